#!/usr/bin/env bash
# conformance-against-mock.sh [BUILD_DIR] [relay-conformance options...]
#
# Starts BUILD_DIR/bin/mock-relay on a free port with a fresh admin key, runs
# relay-conformance against it writing reports/conformance.{junit.xml,json,html},
# stops the mock and exits with the suite's status (0 iff no FAIL, SPEC.md §12.1.1).
# Extra options go to the suite (e.g. --strict, --filter 'hmac1.*', --verbose).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
[ $# -gt 0 ] && shift
case $build in /*) ;; *) build=$root/$build ;; esac
bin=$build/bin
for exe in mock-relay relay-conformance; do
	if [ ! -x "$bin/$exe" ]; then
		echo "conformance-against-mock: $bin/$exe not built (cmake --build $build)" >&2
		exit 2
	fi
done
reports=${REPORTS_DIR:-$root/reports}
mkdir -p "$reports"
admin_key=conformance-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
out=$(mktemp)
"$bin/mock-relay" --port 0 --admin-key "$admin_key" >"$out" 2>"$reports/mock-relay.log" &
mock_pid=$!
cleanup() {
	kill "$mock_pid" 2>/dev/null
	wait "$mock_pid" 2>/dev/null
	rm -f "$out"
}
trap cleanup EXIT
base=
for _ in $(seq 1 300); do # up to 15 s: a cold sanitizer build starts slowly
	line=$(head -n 1 "$out" 2>/dev/null)
	case $line in
	"mock-relay listening on "*)
		base=${line#mock-relay listening on }
		break
		;;
	esac
	sleep 0.05
done
if [ -z "$base" ]; then
	echo "conformance-against-mock: mock-relay did not start (see $reports/mock-relay.log)" >&2
	exit 2
fi
xfail=()
if [ -f "$root/conformance/expected-failures.txt" ]; then
	xfail=(--expected-failures "$root/conformance/expected-failures.txt")
fi
"$bin/relay-conformance" --base-url "$base" --admin-key "$admin_key" "${xfail[@]}" \
	--junit "$reports/conformance.junit.xml" --json "$reports/conformance.json" \
	--html "$reports/conformance.html" "$@"
status=$?
echo "reports: $reports/conformance.html, conformance.json, conformance.junit.xml"
exit $status
