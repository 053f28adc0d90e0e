#!/usr/bin/env bash
# Runs the same put load, with one client (`rafttop bench --endpoints`), against a three-member
# etcd 3.4 (Debian's etcd-server) and against `rafttop serve`, both on loopback on this machine,
# and prints puts/s and p50/p99 for each client count with the ratios (rafttop / etcd) of
# puts/s and of p50, over one or more rounds.
# Usage: Scripts/compare-etcd.sh [seconds per run, default 5] [client counts, default "1 16 64 256"]
#        [rounds, default 1]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
counts=${2:-"1 16 64 256"}
rounds=${3:-1}
[[ "$seconds" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "seconds per run must be a number, not '$seconds'" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "rounds must be a whole number from 1, not '$rounds'" >&2; exit 2; }
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
# A port held by an earlier run would have the load measure that run's server: stop instead.
for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "a server did not start (its ports may be in use):" >&2
        tail -n 3 "$work"/*.log >&2
        exit 1
    fi
done
grep -q "try: " "$work/serve.log" || { echo "rafttop serve did not come up:" >&2; tail -n 5 "$work/serve.log" >&2; exit 1; }

echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$(etcd --version 2>/dev/null | head -1), ${seconds} s per run, ${rounds} round(s), 256-byte values"
# Each round runs etcd and rafttop back to back, the first of the two alternating, so that a
# drift in the machine's speed falls on both; the table shows medians over the rounds, and with
# more than one round the lowest and highest ratio of a single round.
for c in $counts; do
    for r in $(seq "$rounds"); do
        if [ $((r % 2)) -eq 1 ]; then order="etcd rafttop"; else order="rafttop etcd"; fi
        for system in $order; do
            if [ "$system" = etcd ]; then endpoints=$etcd_endpoints; else endpoints=$rafttop_endpoints; fi
            result=$("$bin" bench --endpoints "$endpoints" --clients "$c" --duration "$seconds" --json | tail -1)
            echo "$c $r $system $result" >>"$work/results"
        done
    done
done
python3 - "$work/results" "$rounds" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    clients, round_, system, result = line.split(" ", 3)
    runs.setdefault(int(clients), {}).setdefault(int(round_), {})[system] = json.loads(result)
rounds = int(sys.argv[2])
print(f"{'clients':<8} {'etcd puts/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'rafttop p/s':>12} {'p50 ms':>8} {'p99 ms':>8} "
      f"{'puts x':>8} {'p50 x':>7}" + (f" {'puts x range':>14} {'p50 x range':>13}" if rounds > 1 else ""))
for clients, by_round in sorted(runs.items()):
    def median(system, field):
        return statistics.median(r[system][field] for r in by_round.values())
    ep, rp = median("etcd", "puts_per_second"), median("rafttop", "puts_per_second")
    e50, r50 = median("etcd", "p50_ms"), median("rafttop", "p50_ms")
    line = (f"{clients:<8} {ep:>12.0f} {e50:>8.2f} {median('etcd', 'p99_ms'):>8.2f} {rp:>12.0f} {r50:>8.2f} "
            f"{median('rafttop', 'p99_ms'):>8.2f} {rp / ep if ep else 0:>7.2f}x {r50 / e50 if e50 else 0:>6.2f}x")
    if rounds > 1:
        puts = [r["rafttop"]["puts_per_second"] / r["etcd"]["puts_per_second"] for r in by_round.values()]
        p50s = [r["rafttop"]["p50_ms"] / r["etcd"]["p50_ms"] for r in by_round.values()]
        line += f" {min(puts):>6.2f}-{max(puts):.2f}x {min(p50s):>6.2f}-{max(p50s):.2f}x"
    print(line)
PY
