#!/usr/bin/env bash
# Build the one-folder bundle from digitpad.spec and archive it.  Installs nothing: run it
# in an environment with the project and its `package` extra installed
# (pip install -e ".[package]").
#
#   packaging/build.sh                 -> dist/digitpad/ and dist/digitpad-VERSION-linux-x86_64.tar.gz
#   DISTPATH=/tmp/d WORKPATH=/tmp/w packaging/build.sh
#
# On Windows (Git Bash) the archive is dist/digitpad-VERSION-windows-x86_64.zip of the same
# folder; on macOS dist/digitpad-VERSION-macos-arm64.zip of dist/digitpad.app (made with
# ditto, which keeps the bundle's symbolic links and extended attributes).
set -euo pipefail
cd "$(dirname "$0")/.."

DISTPATH=${DISTPATH:-dist}
WORKPATH=${WORKPATH:-build}
PYTHON=${PYTHON:-python}
# PyInstaller imports TensorFlow while analysing it; keep its C++ logging quiet.
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}

case "$(uname -s)" in
    Linux*) os=linux ;;
    Darwin*) os=macos ;;
    MINGW* | MSYS* | CYGWIN*) os=windows ;;
    *) echo "build.sh: no bundle recipe for $(uname -s)" >&2; exit 1 ;;
esac
version=$("$PYTHON" -c 'import digitpad; print(digitpad.__version__)')
arch=$(uname -m)
name="digitpad-$version-$os-$arch"

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DISTPATH" --workpath "$WORKPATH" digitpad.spec
echo "build: $(( $(date +%s) - start )) s"
echo "bundle: $DISTPATH/digitpad  $(du -sh "$DISTPATH/digitpad" | cut -f1) on disk"

case "$os" in
linux)
    # The desktop entry and the icons travel with the folder (see the README's "Install on
    # Linux" for where they go).
    cp packaging/digitpad.desktop "$DISTPATH/digitpad/digitpad.desktop"
    for png in resources/icon-*.png; do
        size=${png#resources/icon-}; size=${size%.png}
        install -D -m 644 "$png" "$DISTPATH/digitpad/icons/hicolor/${size}x${size}/apps/digitpad.png"
    done
    install -D -m 644 resources/icon.svg "$DISTPATH/digitpad/icons/hicolor/scalable/apps/digitpad.svg"
    archive="$DISTPATH/$name.tar.gz"
    rm -f "$archive"
    tar -C "$DISTPATH" -czf "$archive" digitpad
    ;;
windows)
    archive="$DISTPATH/$name.zip"
    rm -f "$archive"
    # shutil's zip is deflated (python -m zipfile -c would store 900 MB as they are).
    "$PYTHON" -c 'import shutil, sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[2], "digitpad")' \
        "$DISTPATH/$name" "$DISTPATH"
    ;;
macos)
    echo "app: $DISTPATH/digitpad.app  $(du -sh "$DISTPATH/digitpad.app" | cut -f1) on disk"
    archive="$DISTPATH/$name.zip"
    rm -f "$archive"
    ditto -c -k --keepParent "$DISTPATH/digitpad.app" "$archive"
    ;;
esac
echo "archive: $archive  $(du -h "$archive" | cut -f1)"
