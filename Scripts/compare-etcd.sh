#!/usr/bin/env bash
# Runs the same put load, with one client (`rafttop bench --endpoints`), against a three-member
# etcd 3.4 (Debian's etcd-server) and against `rafttop serve`, both on loopback on this machine,
# and prints puts/s and p50/p99 for each client count with the ratios (rafttop / etcd) of
# puts/s and of p50.
# Usage: Scripts/compare-etcd.sh [seconds per run, default 5] [client counts, default "1 16 64 256"]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
counts=${2:-"1 16 64 256"}
command -v etcd >/dev/null || { echo "etcd is not installed: apt-get install etcd-server" >&2; exit 2; }
swift build -c release --product rafttop >/dev/null
bin=.build/release/rafttop
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cluster="e1=http://127.0.0.1:22380,e2=http://127.0.0.1:22382,e3=http://127.0.0.1:22384"
for i in 1 2 3; do
    client=$((22379 + 2 * (i - 1))); peer=$((client + 1))
    etcd --name "e$i" --data-dir "$work/etcd-$i" \
        --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
        --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
        --initial-cluster "$cluster" --initial-cluster-state new --log-level error >"$work/etcd-$i.log" 2>&1 &
    pids+=($!)
done
etcd_endpoints=127.0.0.1:22379,127.0.0.1:22381,127.0.0.1:22383

"$bin" serve --data-dir "$work/rafttop" --client-port-base 32379 --no-gateway >"$work/serve.log" 2>&1 &
pids+=($!)
rafttop_endpoints=127.0.0.1:32379,127.0.0.1:32380,127.0.0.1:32381
for _ in $(seq 100); do grep -q "try: " "$work/serve.log" && break; sleep 0.1; done

field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])['$1'])"; }
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$(etcd --version 2>/dev/null | head -1), ${seconds} s per run, 256-byte values"
printf "%-8s %12s %9s %9s %12s %9s %9s %9s %9s\n" clients "etcd puts/s" "p50 ms" "p99 ms" "rafttop p/s" "p50 ms" "p99 ms" "puts x" "p50 x"
for c in $counts; do
    e=$("$bin" bench --endpoints "$etcd_endpoints" --clients "$c" --duration "$seconds" --json)
    r=$("$bin" bench --endpoints "$rafttop_endpoints" --clients "$c" --duration "$seconds" --json)
    ep=$(echo "$e" | field puts_per_second); rp=$(echo "$r" | field puts_per_second)
    e50=$(echo "$e" | field p50_ms); r50=$(echo "$r" | field p50_ms)
    printf "%-8s %12.0f %9.2f %9.2f %12.0f %9.2f %9.2f %8.2fx %8.2fx\n" "$c" "$ep" "$e50" \
        "$(echo "$e" | field p99_ms)" "$rp" "$r50" "$(echo "$r" | field p99_ms)" \
        "$(python3 -c "print($rp / $ep if $ep else 0)")" "$(python3 -c "print($r50 / $e50 if $e50 else 0)")"
done
