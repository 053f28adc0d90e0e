#!/usr/bin/env bash
# What a store of N distinct keys costs, rafttop beside etcd 3.4 on this machine (issue 27):
# loads N keys of 256 B once each into three members (etcd through etcd's own benchmark tool,
# KEY_SPACE_SIZE=N; rafttop through `rafttop bench --keys N`, in process), then prints for each
# puts/s while loading, resident size of the three members, bytes on disk per member and the
# time from starting again on the same data directories to the first answered put.
# Usage: Scripts/compare-store.sh [keys, default 200000] [clients, default 64]
# etcd's RSS is the sum of its three processes' VmRSS; rafttop's is its one process's.
set -euo pipefail
cd "$(dirname "$0")/.."
keys=${1:-200000}
clients=${2:-64}
[[ "$keys" =~ ^[1-9][0-9]*$ ]] && (( keys <= 10000000 )) || { echo "keys must be 1 to 10000000, not '$keys'" >&2; exit 2; }
[[ "$clients" =~ ^[1-9][0-9]*$ ]] || { echo "clients must be a whole number from 1, not '$clients'" >&2; exit 2; }
command -v etcd >/dev/null || { echo "etcd is not installed: apt-get install etcd-server" >&2; exit 2; }
command -v etcdctl >/dev/null || { echo "etcdctl is not installed: apt-get install etcd-client" >&2; exit 2; }
tools=${ETCD_BENCHMARK_TOOLS:-/work/shared/tools/etcd-benchmark}
[ -x "$tools/run.sh" ] || { echo "etcd's benchmark scripts are not in $tools (set ETCD_BENCHMARK_TOOLS)" >&2; exit 2; }
# RAFTTOP=path runs that binary instead of building a release one.
if [ -n "${RAFTTOP:-}" ]; then bin=$RAFTTOP; else swift build -c release --product rafttop >/dev/null; bin=.build/release/rafttop; fi
work=$(mktemp -d)
pids=()
stop_etcd() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -9 "$pid" 2>/dev/null || true
    done
    pids=()
}
cleanup() {
    stop_etcd
    rm -rf "$work"
}
trap cleanup EXIT

cluster="e1=http://127.0.0.1:22380,e2=http://127.0.0.1:22382,e3=http://127.0.0.1:22384"
endpoints=127.0.0.1:22379,127.0.0.1:22381,127.0.0.1:22383
start_etcd() {
    for i in 1 2 3; do
        client=$((22379 + 2 * (i - 1))); peer=$((client + 1))
        etcd --name "e$i" --data-dir "$work/etcd-$i" \
            --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
            --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
            --initial-cluster "$cluster" --initial-cluster-state new --log-level error >>"$work/etcd-$i.log" 2>&1 &
        pids+=($!)
    done
}
now() { date +%s.%N; }
# Puts until one is answered; prints nothing, fails after 120 s.
first_put() {
    local deadline=$(( $(date +%s) + 120 ))
    until ETCDCTL_API=3 etcdctl --endpoints="$endpoints" --command-timeout=2s put compare-store-restart 1 >/dev/null 2>&1; do
        (( $(date +%s) < deadline )) || { echo "etcd answered no put within 120 s" >&2; return 1; }
        sleep 0.01
    done
}

start_etcd
first_put
load=$(KEY_SPACE_SIZE="$keys" "$tools/run.sh" "$endpoints" "$clients" 8 "$keys" | tail -1)
etcd_puts=$(sed -n 's/.*puts_per_sec=\([0-9.]*\).*/\1/p' <<<"$load")
etcd_rss=0
for pid in "${pids[@]}"; do
    kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
    etcd_rss=$((etcd_rss + kb * 1024))
done
stop_etcd
etcd_disk=$(for i in 1 2 3; do du -sb "$work/etcd-$i" | cut -f1; done | paste -sd' ')
started=$(now)
start_etcd
first_put
etcd_restart=$(echo "$(now) - $started" | bc)
stop_etcd

rafttop=$("$bin" bench --keys "$keys" --clients "$clients" --json --data-dir "$work/rafttop" | tail -1)
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(" ".join(map(str, v)) if isinstance(v, list) else v)' "$rafttop" "$1"; }

mb() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
mbs() { for b in $1; do mb "$b"; echo; done | paste -sd' '; }
printf '%s keys of 256 B, %s clients, three members each\n' "$keys" "$clients"
printf '%-28s %18s %18s\n' "" "rafttop" "etcd $(etcd --version | awk '/etcd Version/ { print $3 }')"
printf '%-28s %18.0f %18.0f\n' "puts/s while loading" "$(field puts_per_second)" "$etcd_puts"
printf '%-28s %18s %18s\n' "resident MB, 3 members" "$(mb "$(field rss_bytes)")" "$(mb "$etcd_rss")"
printf '%-28s %18s %18s\n' "disk MB per member" "$(mbs "$(field disk_bytes_per_member)")" "$(mbs "$etcd_disk")"
printf '%-28s %18.2f %18.2f\n' "restart to first put, s" "$(field restart_seconds)" "$etcd_restart"
