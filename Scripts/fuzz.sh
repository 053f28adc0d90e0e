#!/bin/sh
# Builds libFuzzer targets with swiftc -sanitize=fuzzer,address and runs each for a while.
#
#   Scripts/fuzz.sh [seconds per target, default 10] [target...]
#
# Targets: message (Raft's message decoder), wal (WAL segment and snapshot file decoders).
# A target is its sources compiled into one module with the entry point in Scripts/fuzz/, since
# -sanitize=fuzzer brings libFuzzer's own main and SwiftPM has no such sanitizer. Crashes are
# written to .build/fuzz/<target>/crash-*; replay one with: .build/fuzz/<target>/fuzz CRASHFILE
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-10}
[ $# -gt 0 ] && shift
targets=${*:-message wal}
out=.build/fuzz
flags="-sanitize=fuzzer,address -parse-as-library -O -swift-version 6"
mkdir -p "$out"

build_raft_module() {
    [ -f "$out/Raft.swiftmodule" ] && [ -z "$(find Sources/Raft -newer "$out/libRaft.a" -name '*.swift')" ] && return
    echo "building the Raft module for fuzzing"
    swiftc $flags -emit-library -static -module-name Raft -emit-module -emit-module-path "$out/Raft.swiftmodule" \
        $(find Sources/Raft -name '*.swift') -o "$out/libRaft.a" 2>&1 | grep -v "ld.gold: warning" || true
}

for target in $targets; do
    mkdir -p "$out/$target/corpus"
    echo "building fuzz target $target"
    case $target in
    message)
        swiftc $flags -module-name RaftFuzz $(find Sources/Raft -name '*.swift') Scripts/fuzz/MessageFuzzer.swift \
            -o "$out/$target/fuzz" 2>&1 | grep -v "ld.gold: warning" || true ;;
    wal)
        build_raft_module
        swiftc $flags -module-name WAL -I "$out" $(find Sources/WAL -name '*.swift') Scripts/fuzz/WALFuzzer.swift \
            "$out/libRaft.a" -o "$out/$target/fuzz" 2>&1 | grep -v "ld.gold: warning" || true ;;
    *)
        echo "unknown target $target" >&2
        exit 2 ;;
    esac
    echo "fuzzing $target for $seconds s"
    (cd "$out/$target" && ./fuzz -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 corpus 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss|Done|==[0-9]+==ERROR|SUMMARY)" )
done
