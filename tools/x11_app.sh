# Sourced by the tools/check_*_x11.sh scripts: start Xvfb and the real digitpad window in a
# temporary HOME (the user's settings and data are never touched), log its predictions
# (--log-level debug) to $LOG, and leave its window id in $W, moved to 0,0 and sized 1100x750.
# Needs: OUT set; sets HERE, PY, LOG, W, APID, XPID; kills both on exit.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
[ -x "$HERE/.venv/bin/python" ] && PY="$HERE/.venv/bin/python"
for tool in Xvfb xdotool import; do
    command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
DISP=:$((50 + RANDOM % 40))
TMPHOME=$(mktemp -d)
Xvfb "$DISP" -screen 0 1280x800x24 >/dev/null 2>&1 &
XPID=$!
APID=
trap 'kill $APID $XPID 2>/dev/null; rm -rf "$TMPHOME"' EXIT
sleep 1
export DISPLAY=$DISP HOME=$TMPHOME XDG_CONFIG_HOME=$TMPHOME/.config XDG_DATA_HOME=$TMPHOME/.local/share
unset QT_QPA_PLATFORM QT_SCALE_FACTOR DIGITPAD_DATA_DIR
LOG=$OUT/app.log
"$PY" -m digitpad --log-level debug 2>"$LOG" &
APID=$!
W=
for _ in $(seq 120); do
    W=$(xdotool search --name '^digitpad$' 2>/dev/null | head -1)
    [ -n "$W" ] && break
    sleep 0.25
done
[ -n "$W" ] || { echo "FAIL: no window"; exit 1; }
sleep 2
xdotool windowmove "$W" 0 0 windowsize "$W" 1100 750
sleep 1
