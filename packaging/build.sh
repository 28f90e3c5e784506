#!/usr/bin/env bash
# Build the one-folder bundle from digitpad.spec and archive it.  Installs nothing: run it
# in an environment with the project and its `package` extra installed
# (pip install -e ".[package]").
#
#   packaging/build.sh                 -> dist/digitpad/ and dist/digitpad-VERSION-linux-x86_64.tar.gz
#   DISTPATH=/tmp/d WORKPATH=/tmp/w packaging/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DISTPATH=${DISTPATH:-dist}
WORKPATH=${WORKPATH:-build}
PYTHON=${PYTHON:-python}
# PyInstaller imports TensorFlow while analysing it; keep its C++ logging quiet.
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}

version=$("$PYTHON" -c 'import digitpad; print(digitpad.__version__)')
arch=$(uname -m)
archive="$DISTPATH/digitpad-$version-linux-$arch.tar.gz"

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DISTPATH" --workpath "$WORKPATH" digitpad.spec
echo "build: $(( $(date +%s) - start )) s"
echo "bundle: $DISTPATH/digitpad  $(du -sh "$DISTPATH/digitpad" | cut -f1) on disk"

# The desktop entry and the icons travel with the folder (see the README's "Install on
# Linux" for where they go).
cp packaging/digitpad.desktop "$DISTPATH/digitpad/digitpad.desktop"
for png in resources/icon-*.png; do
    size=${png#resources/icon-}; size=${size%.png}
    install -D -m 644 "$png" "$DISTPATH/digitpad/icons/hicolor/${size}x${size}/apps/digitpad.png"
done
install -D -m 644 resources/icon.svg "$DISTPATH/digitpad/icons/hicolor/scalable/apps/digitpad.svg"

rm -f "$archive"
tar -C "$DISTPATH" -czf "$archive" digitpad
echo "archive: $archive  $(du -h "$archive" | cut -f1)"
