#!/usr/bin/env bash
# Builds the libFuzzer targets (lib/fuzz/, mock_relay/fuzz/) with clang, ASan and UBSan, and
# runs each one for SECONDS seconds (default 30), starting from its seed corpus in
# lib/fuzz/corpus/<target> (mock_relay/fuzz/corpus/<target> for the mock_* targets).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      targets: origin hmac1_verify envelope_json base64url
#       mock_tenant_fields mock_relay_body mock_token_verify mock_query_params mock_journal_copy
#
# New inputs the fuzzer finds stay in build-fuzz/corpus/<target> (the repository's seeds are
# not touched); a crash leaves build-fuzz/crash-* and makes this script exit 1. To keep a
# reproducer, copy it into the target's seed directory: the fuzz_replay_<target> ctest then
# replays it on every test run, with or without clang.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	targets=(origin hmac1_verify envelope_json base64url mock_tenant_fields mock_relay_body
		mock_token_verify mock_query_params mock_journal_copy)
fi
case $seconds in
'' | *[!0-9]*)
	echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
	exit 2
	;;
esac
command -v clang >/dev/null || {
	echo "fuzz.sh: clang not found (scripts/setup.sh installs it)" >&2
	exit 2
}

build=${FUZZ_BUILD_DIR:-build-fuzz}
CC=clang cmake -S . -B "$build" -DRELAY_FUZZ=ON -DRELAY_SANITIZE=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
for t in "${targets[@]}"; do
	cmake --build "$build" -j"$(nproc)" --target "fuzz_$t"
done

status=0
for t in "${targets[@]}"; do
	work="$build/corpus/$t"
	seeds="$PWD/lib/fuzz/corpus/$t" # absolute: the fuzzer runs inside $build
	case $t in mock_*) seeds="$PWD/mock_relay/fuzz/corpus/${t#mock_}" ;; esac
	mkdir -p "$work"
	echo "== fuzz_$t for ${seconds}s (corpus $work, seeds $seeds)"
	if ! (cd "$build" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"./bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=4096 -print_final_stats=1 "corpus/$t" "$seeds"); then
		echo "fuzz.sh: fuzz_$t found a failure (see $build/crash-* or the output above)" >&2
		status=1
	fi
done
exit $status
