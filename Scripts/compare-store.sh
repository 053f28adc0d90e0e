#!/usr/bin/env bash
# What a store of N distinct keys costs, rafttop beside etcd 3.4 on this machine (issue 27).
# Each system runs as three members: etcd as three processes (Debian's etcd-server), rafttop as
# one `rafttop serve` process. Both are loaded in turn by etcd's own benchmark tool (64 clients,
# 8 connections, 256-byte values, KEY_SPACE_SIZE=N with --sequential-keys, so every key is
# written once), then the script reads the resident size of the processes, the bytes in each
# member's data directory, stops them, starts them again on the same directories and times
# the first answered put. Last, `rafttop bench --keys N` runs the same load inside one process
# with no network, for the in-process figure.
# Usage: Scripts/compare-store.sh [keys, default 200000] [clients, default 64]
set -euo pipefail
cd "$(dirname "$0")/.."
keys=${1:-200000}
clients=${2:-64}
[[ "$keys" =~ ^[1-9][0-9]*$ ]] && (( keys <= 10000000 )) || { echo "keys must be 1 to 10000000, not '$keys'" >&2; exit 2; }
[[ "$clients" =~ ^[1-9][0-9]*$ ]] && (( clients <= 10000 )) || { echo "clients must be 1 to 10000, not '$clients'" >&2; exit 2; }
command -v etcd >/dev/null || { echo "etcd is not installed: apt-get install etcd-server" >&2; exit 2; }
command -v etcdctl >/dev/null || { echo "etcdctl is not installed: apt-get install etcd-client" >&2; exit 2; }
tools=${ETCD_BENCHMARK_TOOLS:-/work/shared/tools/etcd-benchmark}
[ -x "$tools/run.sh" ] || { echo "etcd's benchmark scripts are not in $tools (set ETCD_BENCHMARK_TOOLS)" >&2; exit 2; }
# RAFTTOP=path runs that binary instead of building a release one.
if [ -n "${RAFTTOP:-}" ]; then bin=$RAFTTOP; else swift build -c release --product rafttop >/dev/null; bin=.build/release/rafttop; fi
work=$(mktemp -d)
pids=()
stop_all() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 240); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -9 "$pid" 2>/dev/null || true
    done
    pids=()
}
cleanup() {
    stop_all
    rm -rf "$work"
}
trap cleanup EXIT

etcd_cluster="e1=http://127.0.0.1:22380,e2=http://127.0.0.1:22382,e3=http://127.0.0.1:22384"
etcd_endpoints=127.0.0.1:22379,127.0.0.1:22381,127.0.0.1:22383
rafttop_endpoints=127.0.0.1:32379,127.0.0.1:32380,127.0.0.1:32381
start_etcd() {
    for i in 1 2 3; do
        client=$((22379 + 2 * (i - 1))); peer=$((client + 1))
        etcd --name "e$i" --data-dir "$work/etcd-$i" \
            --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
            --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
            --initial-cluster "$etcd_cluster" --initial-cluster-state new --log-level error >>"$work/etcd-$i.log" 2>&1 &
        pids+=($!)
    done
}
start_rafttop() {
    "$bin" serve --data-dir "$work/rafttop" --client-port-base 32379 --no-gateway >>"$work/serve.log" 2>&1 &
    pids+=($!)
}
now() { date +%s.%N; }
# Puts until one is answered at $1; fails after 120 s.
first_put() {
    local deadline=$(( $(date +%s) + 120 ))
    until ETCDCTL_API=3 etcdctl --endpoints="$1" --command-timeout=2s put compare-store-restart 1 >/dev/null 2>&1; do
        (( $(date +%s) < deadline )) || { echo "no put was answered at $1 within 120 s" >&2; tail -n 5 "$work"/*.log >&2; return 1; }
        sleep 0.01
    done
}
rss_of_pids() {
    local total=0 kb
    for pid in "${pids[@]}"; do
        kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
        total=$((total + kb * 1024))
    done
    echo "$total"
}
# One system: load, resident size, disk per member, restart to the first put.
# Sets puts, rss, disk and restart.
measure() {
    local system=$1 endpoints=$2 started load
    "start_$system"
    first_put "$endpoints"
    load=$(KEY_SPACE_SIZE="$keys" "$tools/run.sh" "$endpoints" "$clients" 8 "$keys" | tail -1)
    puts=$(sed -n 's/.*puts_per_sec=\([0-9.]*\).*/\1/p' <<<"$load")
    [ -n "$puts" ] || { echo "$system: the benchmark printed no rate: $load" >&2; exit 1; }
    rss=$(rss_of_pids)
    stop_all
    if [ "$system" = etcd ]; then
        disk=$(for i in 1 2 3; do du -sb "$work/etcd-$i" | cut -f1; done | paste -sd' ')
    else
        disk=$(for d in "$work"/rafttop/*/; do du -sb "$d" | cut -f1; done | paste -sd' ')
    fi
    started=$(now)
    "start_$system"
    first_put "$endpoints"
    restart=$(echo "$(now) - $started" | bc)
    stop_all
}

measure etcd "$etcd_endpoints"
etcd_puts=$puts etcd_rss=$rss etcd_disk=$disk etcd_restart=$restart
measure rafttop "$rafttop_endpoints"
serve_puts=$puts serve_rss=$rss serve_disk=$disk serve_restart=$restart

inproc=$("$bin" bench --keys "$keys" --clients "$clients" --json --data-dir "$work/bench" | tail -1)
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(" ".join(map(str, v)) if isinstance(v, list) else v)' "$inproc" "$1"; }

mb() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
mbs() { for b in $1; do mb "$b"; echo; done | paste -sd' '; }
printf '%s distinct keys of 256 B, %s clients, three members each; %s, %s cores\n' "$keys" "$clients" "$(date -u +%Y-%m-%d)" "$(nproc)"
printf '%-28s %20s %20s %20s\n' "" "rafttop serve" "etcd $(etcd --version | awk '/etcd Version/ { print $3 }')" "rafttop bench --keys"
printf '%-28s %20.0f %20.0f %20.0f\n' "puts/s while loading" "$serve_puts" "$etcd_puts" "$(field puts_per_second)"
printf '%-28s %20s %20s %20s\n' "resident MB, 3 members" "$(mb "$serve_rss")" "$(mb "$etcd_rss")" "$(mb "$(field rss_bytes)")"
printf '%-28s %20s %20s %20s\n' "disk MB per member" "$(mbs "$serve_disk")" "$(mbs "$etcd_disk")" "$(mbs "$(field disk_bytes_per_member)")"
printf '%-28s %20.2f %20.2f %20.2f\n' "restart to first put, s" "$serve_restart" "$etcd_restart" "$(field restart_seconds)"
printf '%-28s %19.2fx %20s\n' "rafttop serve / etcd, puts/s" "$(echo "$serve_puts / $etcd_puts" | bc -l)" ""
printf '%-28s %19.2fx %20s\n' "rafttop serve / etcd, RSS" "$(echo "$serve_rss / $etcd_rss" | bc -l)" ""
printf '%-28s %19.2fx %20s\n' "rafttop serve / etcd, restart" "$(echo "$serve_restart / $etcd_restart" | bc -l)" ""
