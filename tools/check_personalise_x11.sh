#!/usr/bin/env bash
# Personalise in the real window under Xvfb, driven by xdotool as a user would: draw a seven
# written as a flat zigzag (a style the model does not know) three times, each corrected
# with the key 7; Model → Personalise (Alt+M, P); back on the Draw tab, draw a fourth one.
# Prints what the window read before and after (its debug log) and which model it uses;
# PASS when the fourth zigzag reads 7 and the window uses the personalised model.
#
#     tools/check_personalise_x11.sh [OUT_DIR]     (needs Xvfb, xdotool, ImageMagick's import)
#
# Settings and data go to a temporary HOME. Positions are those of a 1100x750 window.
set -u
OUT=${1:-$(mktemp -d)}; mkdir -p "$OUT"
# shellcheck source=tools/x11_app.sh
. "$(dirname "$0")/x11_app.sh"
zigzag() {  # x0 y0 width height: four corners, the pen down from the first to the last
    local x0=$1 y0=$2 w=$3 h=$4
    xdotool mousemove "$x0" "$y0" mousedown 1
    for t in $(seq 1 10); do xdotool mousemove $((x0 + w * 45 * t / 1000)) $((y0 + h * t / 10)); done
    for t in $(seq 1 10); do xdotool mousemove $((x0 + w * 45 / 100 + w * t / 100)) $((y0 + h - h * t / 10)); done
    for t in $(seq 1 10); do xdotool mousemove $((x0 + w * 55 / 100 + w * 45 * t / 1000)) $((y0 + h * t / 10)); done
    xdotool mouseup 1; sleep 0.8
}
last() { grep -o 'prediction: .*' "$LOG" | tail -1; }
n=0
for spec in "120 330 380 70" "150 300 330 60" "100 360 420 80"; do
    zigzag $spec
    n=$((n + 1)); echo "zigzag $n before: $(last)"
    xdotool key 7; sleep 0.6; xdotool key Delete; sleep 0.4
done
echo "stored: $($PY -m digitpad digits list)"
xdotool key alt+m; sleep 0.5; xdotool key p
for _ in $(seq 90); do  # personalising: up to 90 s
    sleep 1
    ls "$XDG_DATA_HOME"/digitpad/models/*/*.tflite >/dev/null 2>&1 && break
done
sleep 3
import -window root "$OUT/personalised.png"
xdotool mousemove 28 32 click 1; sleep 1  # the Draw tab
zigzag 140 320 360 65
after=$(last)
echo "zigzag 4 after personalising: $after"
import -window root "$OUT/after.png"

echo "screenshots in $OUT"
case "$after" in
    "prediction: 7 "*) echo PASS ;;
    *) echo "FAIL: the fourth zigzag is not read as 7"; exit 1 ;;
esac
