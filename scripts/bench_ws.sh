#!/usr/bin/env bash
# WebSocket capacity benchmark (SPEC.md §8, §13): 1,000 open widget sockets while
# signed HTTP calls are measured with wrk. Prints figures, asserts nothing.
#   scripts/bench_ws.sh [BUILD_DIR] [extra bench_ws.py options, e.g. --sockets 1000]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
command -v wrk >/dev/null || { echo "bench_ws: wrk not found (apt-get install -y wrk)" >&2; exit 1; }
cmake --build "$build" --target mock-relay bench-ws-hold >/dev/null
exec python3 scripts/bench_ws.py --build "$build" "$@"
