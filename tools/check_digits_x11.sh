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
# shellcheck source=tools/x11_app.sh
. "$(dirname "$0")/x11_app.sh"
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
