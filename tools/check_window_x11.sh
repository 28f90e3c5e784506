#!/usr/bin/env bash
# Drive the real window under Xvfb with xdotool: keyboard focus and per-tab shortcuts, as a
# user would (issue 14, items 1 and 2), and opening a picture of a number (issue 16). Prints PASS/FAIL per step and leaves screenshots.
#
#     tools/check_window_x11.sh [OUT_DIR]        (needs Xvfb, xdotool, ImageMagick's import)
#
# Settings and data go to a temporary HOME; the user's own are never touched. What the
# window predicted is read from --log-level debug ("prediction: 1 0.99" / "prediction: none").
# The click positions are those of the current layout at 1100x750 (pen-width box in the
# Draw tab's toolbar, tabs at the top left); a layout change needs them updated.
set -u
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
# shellcheck source=tools/x11_app.sh
. "$(dirname "$0")/x11_app.sh"

FAILS=0
predictions() { grep -c '^DEBUG digitpad.ui.draw_tab: prediction:' "$LOG"; }
last() { grep '^DEBUG digitpad.ui.draw_tab: prediction:' "$LOG" | tail -1 | sed 's/.*prediction: //'; }
check() {  # check NAME EXPECTED-LAST-PREDICTION-PREFIX
    sleep 0.6
    if [[ "$(last)" == $2* ]]; then echo "PASS: $1"; else echo "FAIL: $1 (last prediction: $(last))"; FAILS=$((FAILS + 1)); fi
}
# Where things are in a 1100x750 window (the canvas fills the left of the Draw tab).
BOX="300 60"; CANVAS_X=290; TOP=250; BOTTOM=560; TRAIN_TAB="82 32"; DRAW_TAB="27 32"
stroke() {
    xdotool mousemove $CANVAS_X $TOP mousedown 1
    for y in $(seq $TOP 10 $BOTTOM); do xdotool mousemove $CANVAS_X "$y"; done
    xdotool mouseup 1
    sleep 0.5
}

xdotool mousemove $BOX click 1; sleep 0.3
xdotool key ctrl+a; xdotool type 30; xdotool key Return; sleep 0.3
stroke; check "a stroke after typing a pen width and Enter reads 1" "1 "
xdotool key ctrl+z; check "Ctrl+Z then undoes it (the canvas has the keys)" "none"
xdotool mousemove $BOX click 1; sleep 0.3
stroke; check "drawing after clicking the pen-width box" "1 "
xdotool key Delete; check "Delete clears the canvas, not the box" "none"
stroke
N=$(predictions)
xdotool mousemove $TRAIN_TAB click 1; sleep 1.5
import -window root -crop 1100x750+0+0 "$OUT/train-tab.png"
xdotool key Escape Delete e ctrl+z; sleep 0.8
if [ "$(predictions)" = "$N" ]; then echo "PASS: Esc, Delete, E, Ctrl+Z do nothing on the Train tab"; else echo "FAIL: keys reached the hidden canvas"; FAILS=$((FAILS + 1)); fi
xdotool mousemove $DRAW_TAB click 1; sleep 0.8
import -window root -crop 1100x750+0+0 "$OUT/draw-tab.png"
check "back on the Draw tab the drawing is still there" "1 "
xdotool key Escape; check "Esc clears it again" "none"
# File > Open image... with the keyboard, as a user would: a picture of a number is read
# as the number (the picture is made of the shipped MNIST slice, tools/screenshot_picture.py).
PIC="$OUT/number-picture.png"
"$PY" -c "import sys; from pathlib import Path; sys.path.insert(0, '$HERE/tools'); \
from screenshot_picture import picture; picture('2026', Path('$PIC'))"
xdotool key ctrl+o; sleep 1.5
xdotool type --delay 20 "$PIC"; xdotool key Return
check "Ctrl+O, a picture of 2026 typed in the dialog, Enter: the window reads 2026" "number 2026"
import -window root -crop 1100x750+0+0 "$OUT/opened-picture.png"
echo "screenshots and the log: $OUT"
exit $((FAILS > 0))
