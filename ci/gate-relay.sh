#!/usr/bin/env bash
# Gate a relay release in CI: run the conformance suite against the relay at
# $BLOONIO_CHAT_BASE_URL and leave JUnit, JSON and HTML reports in $REPORT_DIR.
#
# Environment:
#   BLOONIO_CHAT_BASE_URL       the relay under test (required)
#   BLOONIO_CHAT_ADMIN_KEY      admin key (optional: without it, provisioning cases are skipped)
#   BLOONIO_CHAT_TENANT_ID      an existing tenant (used when there is no admin key)
#   BLOONIO_CHAT_TENANT_SECRET  its secret
#   REPORT_DIR                  where reports go (default: reports)
#   CONFORMANCE_ARGS            extra arguments, e.g. "--strict --expected-failures known.txt"
#   BUILD_DIR                   where the project is built (default: build)
#
# Exit status: the suite's (0 only when no case FAILs).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BLOONIO_CHAT_BASE_URL:?set BLOONIO_CHAT_BASE_URL to the relay under test}"
report_dir=${REPORT_DIR:-reports}
build_dir=${BUILD_DIR:-build}

if [ ! -x "$build_dir/bin/relay-conformance" ]; then
	scripts/setup.sh
	cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build_dir" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
mkdir -p "$report_dir"
# shellcheck disable=SC2086 # CONFORMANCE_ARGS is split on purpose
exec "$build_dir/bin/relay-conformance" --base-url "$BLOONIO_CHAT_BASE_URL" \
	--junit "$report_dir/conformance.junit.xml" \
	--json "$report_dir/conformance.json" \
	--html "$report_dir/conformance.html" \
	${CONFORMANCE_ARGS:-}
