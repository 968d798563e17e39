#!/usr/bin/env bash
# Every test: installs what is missing, then builds and runs ctest twice — a normal
# build (build/) and an AddressSanitizer + UndefinedBehaviorSanitizer build
# (build-asan/) — then compiles every target optimised (Release) with gcc and with
# clang, warnings as errors, and ends with a short live fuzzing run when clang's
# libFuzzer is present. Exit status 0 only when everything passed.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh --all || exit 1

total_pass=0
total_fail=0
status=0
failed_dirs=()

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
		failed_dirs+=("$dir")
	fi
}

# failure_summary DIR: each failed test of DIR's last ctest run, with the end of its output
# (from ctest's own LastTest.log), so that the tail of a CI log names what failed and why.
failure_summary() {
	local dir=$1 name
	local last="$dir/Testing/Temporary/LastTest.log"
	sed -n 's/^[0-9]*:\(.*\)$/\1/p' "$dir/Testing/Temporary/LastTestsFailed.log" 2>/dev/null |
		while read -r name; do
			awk -v t="$name" '
				/^[0-9]+\/[0-9]+ Testing: / { on = ($3 == t) }
				on { print }
				on && /^"/ && / end time: / { on = 0 }
			' "$last" >"$dir/failed-output.txt"
			echo "---- $dir: $name FAILED; its failure lines:"
			grep -E '\[  FAILED  \]|\[  ERROR   \]|FAIL|[Ee]rror|runtime error|Sanitizer|Assert|Timeout' \
				"$dir/failed-output.txt" | head -n 30
			echo "---- $dir: $name: the last 40 lines of its output:"
			tail -n 40 "$dir/failed-output.txt"
		done
}

run_ctest build
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_ctest build-asan -DRELAY_SANITIZE=ON

# build_only DIR CC: configure and build every target with CC, Release (-O3), warnings as
# errors (RELAY_WERROR is on), no tests. Some warnings exist only when optimising (gcc's
# -Wdangling-pointer after inlining) or only in one compiler (clang's
# -Wstring-concatenation), and the Debug builds above see neither.
build_only() {
	local dir=$1 cc=$2
	echo "==> $dir: configure and build with $cc, Release, every target (no tests)"
	mkdir -p "$dir"
	if CC=$cc cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release >"$dir/configure.log" 2>&1 &&
		cmake --build "$dir" -j"$jobs" >"$dir/build.log" 2>&1; then
		total_pass=$((total_pass + 1))
	else
		tail -n 60 "$dir/configure.log" "$dir/build.log"
		echo "---- $dir: the $cc Release build FAILED"
		total_fail=$((total_fail + 1))
		status=1
	fi
}

build_only build-release-gcc gcc
if command -v clang >/dev/null 2>&1; then
	build_only build-release-clang clang
fi

if [ -x scripts/fuzz.sh ] && command -v clang >/dev/null 2>&1; then
	echo "==> short live fuzzing run (scripts/fuzz.sh 10; full output in build-fuzz/fuzz.log)"
	mkdir -p build-fuzz
	if scripts/fuzz.sh 10 >build-fuzz/fuzz.log 2>&1; then
		grep -E '^(== fuzz_|Done [0-9]+ runs)' build-fuzz/fuzz.log
		total_pass=$((total_pass + 1))
	else
		# The log holds every target's run; show the failing targets' reports, not the
		# tail (which is whichever target ran last), and each reproducer in hex so a CI
		# log alone is enough to rebuild it (xxd -r -p reads the dump back).
		grep -E '^== fuzz_|^INFO: Seed|found a failure' build-fuzz/fuzz.log
		awk '/^== fuzz_/ { n = 0 } /^==[0-9]+== ?(ERROR|WARNING)|deadly signal|^SUMMARY|runtime error|ALARM|out-of-memory|invariant failed/ { n = 60 } n > 0 { print; n-- }' \
			build-fuzz/fuzz.log | head -n 200
		for f in build-fuzz/crash-* build-fuzz/timeout-* build-fuzz/oom-* build-fuzz/leak-*; do
			[ -f "$f" ] || continue
			echo "---- reproducer $f ($(wc -c <"$f") bytes), hex:"
			head -c 4096 "$f" | od -An -v -tx1
		done
		echo "---- the short fuzzing run FAILED (build-fuzz/fuzz.log; reproducers in build-fuzz/{crash,timeout,oom,leak}-*)"
		total_fail=$((total_fail + 1))
		fuzz_failed=1
		status=1
	fi
fi

echo
for d in "${failed_dirs[@]}"; do
	failure_summary "$d"
done
if [ "${fuzz_failed:-0}" -eq 1 ]; then
	echo "---- the short fuzzing run failed: see its output above"
fi
for d in "${failed_dirs[@]}"; do
	echo "failed in $d:"
	sed -n 's/^[0-9]*:\(.*\)$/  \1/p' "$d/Testing/Temporary/LastTestsFailed.log" 2>/dev/null
done
echo "all builds: $total_pass passed, $total_fail failed"
exit $status
