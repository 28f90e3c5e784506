#!/usr/bin/env bash
# Corrections in the real window under Xvfb, driven by xdotool: draw a 1 with the mouse,
# press 7 (stored as 7), Ctrl+Z (taken back), Return (the 1 confirmed); after each step
# `digitpad digits list --json` prints what the database holds. Screenshots in OUT_DIR.
#
#     tools/check_digits_x11.sh [OUT_DIR]        (needs Xvfb, xdotool, ImageMagick's import)
#
# Settings and data go to a temporary HOME. Positions are those of a 1100x750 window.
set -u
OUT=${1:-$(mktemp -d)}; mkdir -p "$OUT"
HERE=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
[ -x "$HERE/.venv/bin/python" ] && PY="$HERE/.venv/bin/python"
DISP=:$((50 + RANDOM % 40))
TMPHOME=$(mktemp -d)
Xvfb "$DISP" -screen 0 1280x800x24 >/dev/null 2>&1 &
XPID=$!
trap 'kill $APID $XPID 2>/dev/null; rm -rf "$TMPHOME"' EXIT
sleep 1
export DISPLAY=$DISP HOME=$TMPHOME XDG_CONFIG_HOME=$TMPHOME/.config XDG_DATA_HOME=$TMPHOME/.local/share
unset QT_QPA_PLATFORM QT_SCALE_FACTOR DIGITPAD_DATA_DIR
$PY -m digitpad --log-level debug 2>$OUT/app.log &
APID=$!
for _ in $(seq 120); do W=$(xdotool search --name '^digitpad$' 2>/dev/null | head -1); [ -n "$W" ] && break; sleep 0.25; done
sleep 2
xdotool windowmove "$W" 0 0 windowsize "$W" 1100 750
sleep 1
CANVAS_X=290; TOP=250; BOTTOM=560
xdotool mousemove $CANVAS_X $TOP mousedown 1
for y in $(seq $TOP 10 $BOTTOM); do xdotool mousemove $CANVAS_X "$y"; done
xdotool mouseup 1; sleep 0.8
xdotool key 7; sleep 0.8
import -window root $OUT/after_key.png
echo "after key 7: $($PY -m digitpad digits list --json)"
xdotool key ctrl+z; sleep 0.8
echo "after ctrl+z: $($PY -m digitpad digits list --json)"
xdotool key Return; sleep 0.8
echo "after Return: $($PY -m digitpad digits list --json)"
import -window root $OUT/after_return.png
