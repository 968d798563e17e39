#!/usr/bin/env bash
# The main job: installs what is missing, builds, starts a fresh mock relay on a free
# port, runs the conformance suite against it and prints the report. Reports land in
# reports/ (conformance.junit.xml, conformance.json, conformance.html).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
exec scripts/conformance-against-mock.sh build "$@"
