#!/usr/bin/env bash
# Every test: installs what is missing, then builds and runs ctest twice — a normal
# build (build/) and an AddressSanitizer + UndefinedBehaviorSanitizer build
# (build-asan/) — then a short live fuzzing run when clang's libFuzzer is present.
# Exit status 0 only when everything passed.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh --all || exit 1

total_pass=0
total_fail=0
status=0

# run_ctest DIR [CMAKE-ARGS...]: configure, build and test one build directory.
run_ctest() {
	local dir=$1
	shift
	echo "==> $dir: configure and build"
	mkdir -p "$dir"
	if ! cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug "$@" >"$dir/configure.log" 2>&1; then
		cat "$dir/configure.log"
		status=1
		return
	fi
	if ! cmake --build "$dir" -j"$jobs" >"$dir/build.log" 2>&1; then
		tail -n 60 "$dir/build.log"
		echo "$dir: build failed" >&2
		status=1
		return
	fi
	echo "==> $dir: ctest"
	local log="$dir/ctest.log"
	(cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 600) 2>&1 | tee "$log"
	local line passed failed
	line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		status=1
		return
	fi
	failed=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
	passed=$(($(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/') - failed))
	total_pass=$((total_pass + passed))
	total_fail=$((total_fail + failed))
	if [ "$failed" -ne 0 ]; then
		status=1
	fi
}

run_ctest build
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_ctest build-asan -DRELAY_SANITIZE=ON

if [ -x scripts/fuzz.sh ] && command -v clang >/dev/null 2>&1; then
	echo "==> short live fuzzing run (scripts/fuzz.sh 10)"
	if scripts/fuzz.sh 10; then
		total_pass=$((total_pass + 1))
	else
		total_fail=$((total_fail + 1))
		status=1
	fi
fi

echo
echo "all builds: $total_pass passed, $total_fail failed"
exit $status
