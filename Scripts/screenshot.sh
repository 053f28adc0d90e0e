#!/bin/sh
# Makes docs/screenshot.svg, the README's picture, from a real run: rafttop in a 120x40 tmux
# window, a put, a few seconds of load, one more put, then the screen with its colours.
# Needs tmux and python3; builds rafttop first.
# Usage: Scripts/screenshot.sh [OUT.svg [RAFTTOP ARGUMENTS...]]
#   Scripts/screenshot.sh                                   the built-in cluster (docs/screenshot.svg)
#   Scripts/screenshot.sh docs/screenshot-etcd.svg etcd     real etcd members (needs etcd on PATH)
set -eu
cd "$(dirname "$0")/.."
out="${1:-docs/screenshot.svg}"
[ $# -gt 0 ] && shift
[ $# -eq 0 ] && set -- --members 3 --in-memory
arguments=""
for a in "$@"; do arguments="$arguments '$a'"; done
swift build --product rafttop >/dev/null
binary="$(swift build --show-bin-path)/rafttop"
socket="rafttop-screenshot-$$"
capture="$(mktemp)"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -f "$capture"' EXIT
tmux -L "$socket" new-session -d -x 120 -y 40 -s shot "TERM=xterm-256color '$binary' $arguments"
sleep 6
tmux -L "$socket" send-keys -t shot ":" ; tmux -L "$socket" send-keys -t shot -l "put greeting hello"; tmux -L "$socket" send-keys -t shot Enter
sleep 1
tmux -L "$socket" send-keys -t shot "l"
sleep 6
tmux -L "$socket" send-keys -t shot "l"
sleep 1
tmux -L "$socket" send-keys -t shot ":" ; tmux -L "$socket" send-keys -t shot -l "put greeting world"; tmux -L "$socket" send-keys -t shot Enter
sleep 1
tmux -L "$socket" capture-pane -t shot -e -p > "$capture"
tmux -L "$socket" send-keys -t shot "q"
python3 Scripts/ansi-to-svg.py "$capture" "$out" --columns 120 --rows 40
echo "wrote $out"
