#!/usr/bin/env bash
# Runs the whole test suite under ThreadSanitizer, in its own build folder so the normal
# build is untouched. Usage: Scripts/tsan.sh [extra swift test arguments]
# TSan makes the CLI tests' child processes exit with 66 on any report, so they fail too.
# --no-parallel: run side by side under TSan, dozens of real-time members' threads queue on the
# Swift runtime's one-time metadata setup and the run crawls; one test at a time it takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
TSAN_OPTIONS="suppressions=$PWD/Scripts/tsan-suppressions.txt ${TSAN_OPTIONS:-}" \
    swift test --sanitize=thread --scratch-path .build-tsan --no-parallel "$@" 2>&1 | tee .build-tsan.log
echo "ThreadSanitizer reports: $(grep -c 'WARNING: ThreadSanitizer' .build-tsan.log || true)"
