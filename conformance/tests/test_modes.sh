#!/usr/bin/env bash
# test_modes.sh BIN_DIR - the sdk and backend modes of relay-conformance (SPEC.md §12)
# against the examples in scripts/examples/:
#   sdk:     good_client.py passes (exit 0); buggy_client.py fails with a report that
#            names both classic bugs, each on its own as well;
#   backend: backend_receiver.py passes; with each --bug it fails, on the expected case;
#            the mock's own callbacks reach it and are acknowledged.
# Reports written with --json/--junit are checked with real parsers.
set -uo pipefail
bin=${1:?usage: test_modes.sh BIN_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
ex=$root/scripts/examples
rc_bin=$bin/relay-conformance
tmp=$(mktemp -d)
receiver_pid=
failures=0

cleanup() {
	if [ -n "$receiver_pid" ]; then
		kill "$receiver_pid" 2>/dev/null
		wait "$receiver_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

ok() {
	echo "ok:   $*"
}

# json_verdict FILE ID: the final verdict of case ID in a JSON report.
json_verdict() {
	python3 -c 'import json,sys
for c in json.load(open(sys.argv[1]))["cases"]:
    if c["id"] == sys.argv[2]: print(c["verdict"])' "$1" "$2"
}

# ---- sdk mode
out=$tmp/sdk-good.txt
if "$rc_bin" sdk --mock "$bin/mock-relay" --json "$tmp/good.json" --junit "$tmp/good.xml" \
	--html "$tmp/good.html" -- python3 "$ex/good_client.py" >"$out" 2>&1; then
	ok "sdk: good_client.py passes"
else
	fail "sdk: good_client.py should pass"
	cat "$out"
fi
if grep -q 'sdk.call.001.relay-create-conversation' "$out" &&
	grep -q 'sdk.call.003.relay-fetch-messages' "$out"; then
	ok "sdk: the report lists the client's three relay calls"
else
	fail "sdk: the report should list create/conversation .. fetch/messages"
	cat "$out"
fi
if python3 -c 'import json,sys,xml.etree.ElementTree as ET
d = json.load(open(sys.argv[1]))
assert d["summary"]["fail"] == 0 and len(d["cases"]) == 4, d["summary"]
ET.parse(sys.argv[2])' "$tmp/good.json" "$tmp/good.xml"; then
	ok "sdk: JSON and JUnit reports parse"
else
	fail "sdk: reports should parse with 4 cases and no FAIL"
fi

out=$tmp/sdk-buggy.txt
"$rc_bin" sdk --mock "$bin/mock-relay" -- python3 "$ex/buggy_client.py" >"$out" 2>&1
st=$?
if [ "$st" -eq 1 ]; then
	ok "sdk: buggy_client.py fails (exit 1)"
else
	fail "sdk: buggy_client.py should exit 1, got $st"
fi
for want in 'timestamp in seconds: the relay wants milliseconds' \
	'the signed bytes differ from the sent bytes, e.g. a re-serialized JSON body: sign exactly the bytes you send' \
	'invalid_signature at step signature' 'stale_timestamp at step window' \
	'signing string the relay expected: '; do
	if grep -qF "$want" "$out"; then
		ok "sdk: buggy report says \"$want\""
	else
		fail "sdk: buggy report should say \"$want\""
		cat "$out"
	fi
done

for bug in reserialized-body seconds-timestamp; do
	out=$tmp/sdk-$bug.txt
	"$rc_bin" sdk --mock "$bin/mock-relay" -- python3 "$ex/buggy_client.py" --bug "$bug" \
		>"$out" 2>&1
	st=$?
	case $bug in
	reserialized-body) want='re-serialized JSON body' other='timestamp in seconds' ;;
	seconds-timestamp) want='timestamp in seconds' other='re-serialized JSON body' ;;
	esac
	if [ "$st" -eq 1 ] && grep -qF "$want" "$out" && ! grep -qF "$other" "$out"; then
		ok "sdk: --bug $bug is diagnosed alone"
	else
		fail "sdk: --bug $bug (exit $st) should be diagnosed alone"
		cat "$out"
	fi
done

# The less classic bugs, each with its own diagnosis.
while IFS='|' read -r bug want; do
	out=$tmp/sdk-$bug.txt
	"$rc_bin" sdk --mock "$bin/mock-relay" -- python3 "$ex/buggy_client.py" --bug "$bug" \
		>"$out" 2>&1
	st=$?
	if [ "$st" -eq 1 ] && grep -qF "diagnosis: $want" "$out"; then
		ok "sdk: --bug $bug diagnosed as \"$want\""
	else
		fail "sdk: --bug $bug (exit $st) should be diagnosed as \"$want\""
		cat "$out"
	fi
done <<'BUGS'
microseconds-timestamp|timestamp in microseconds: the relay wants milliseconds
clock-skew|clock skew: the timestamp is 90.
missing-timestamp|X-Bloonio-Timestamp missing, empty or sent twice
truncated-signature|X-Bloonio-Tenant-Id or X-Bloonio-Signature missing, empty, duplicated or malformed
wrong-tenant|unknown tenant: X-Bloonio-Tenant-Id "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f"
BUGS

out=$tmp/sdk-exit.txt
if "$rc_bin" sdk --mock "$bin/mock-relay" -- sh -c 'exit 3' >"$out" 2>&1; then
	fail "sdk: a command exiting 3 should fail the run"
elif grep -q 'sdk.command.exit' "$out"; then
	ok "sdk: a failing command fails the run"
else
	fail "sdk: sdk.command.exit missing"
	cat "$out"
fi

# ---- backend mode
secret=sk_$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')

# start_receiver ARGS...: starts backend_receiver.py, sets receiver_url.
# Each start gets its own output file: a background job truncates its redirection
# only once it runs, so a shared file could still show the previous receiver's URL.
receiver_n=0
start_receiver() {
	receiver_n=$((receiver_n + 1))
	local rout=$tmp/receiver.$receiver_n.out
	python3 "$ex/backend_receiver.py" --port 0 --tenant-secret "$secret" "$@" \
		>"$rout" 2>"$tmp/receiver.$receiver_n.err" &
	receiver_pid=$!
	receiver_url=
	for _ in $(seq 1 200); do
		receiver_url=$(sed -n 's/.*listening on //p' "$rout")
		[ -n "$receiver_url" ] && return 0
		sleep 0.05
	done
	return 1
}

stop_receiver() {
	kill "$receiver_pid" 2>/dev/null
	wait "$receiver_pid" 2>/dev/null
	receiver_pid=
}

start_receiver || fail "backend: receiver did not start"
out=$tmp/backend-good.txt
if "$rc_bin" backend --callback-url "$receiver_url" --tenant-secret "$secret" \
	--json "$tmp/backend.json" --junit "$tmp/backend.xml" --html "$tmp/backend.html" \
	>"$out" 2>&1; then
	ok "backend: backend_receiver.py passes"
else
	fail "backend: backend_receiver.py should pass"
	cat "$out"
fi
if python3 -c 'import json,sys,xml.etree.ElementTree as ET
d = json.load(open(sys.argv[1]))
assert d["summary"]["pass"] == len(d["cases"]) >= 19, d["summary"]
assert ET.parse(sys.argv[2]).getroot().tag in ("testsuites", "testsuite")' \
	"$tmp/backend.json" "$tmp/backend.xml"; then
	ok "backend: JSON and JUnit reports parse, every case PASS"
else
	fail "backend: reports"
fi
stop_receiver

# The reports of both modes against the suite's schema and JUnit/HTML checks (§12.3).
validator=$root/scripts/validate_report.py
schema=$root/conformance/report.schema.json
if [ -f "$validator" ] && [ -f "$schema" ]; then
	for m in good backend; do
		j=$tmp/$m.json x=$tmp/$m.xml h=$tmp/$m.html
		if python3 "$validator" --schema "$schema" --json "$j" --junit "$x" --html "$h"; then
			ok "reports: $m JSON/JUnit/HTML validate"
		else
			fail "reports: $m reports do not validate"
		fi
	done
fi

# Each planted bug must fail the run on the case that names it.
while read -r bug case_id; do
	start_receiver --bug "$bug" || fail "backend: receiver --bug $bug did not start"
	"$rc_bin" backend --callback-url "$receiver_url" --tenant-secret "$secret" --strict \
		--json "$tmp/bug.json" >"$tmp/bug.txt" 2>&1
	st=$?
	verdict=$(json_verdict "$tmp/bug.json" "$case_id")
	if [ "$st" -eq 1 ] && [ "$verdict" = FAIL ]; then
		ok "backend: --bug $bug caught by $case_id"
	else
		fail "backend: --bug $bug: exit $st, $case_id is '$verdict' (want exit 1, FAIL)"
		cat "$tmp/bug.txt"
	fi
	stop_receiver
done <<'BUGS'
accept-unsigned backend.reject.unsigned
no-window backend.reject.stale-5min
past-only-window backend.reject.future-5min
no-signature-check backend.reject.wrong-signature
reserialized-body backend.callback.message-received.signed
reject-duplicates backend.duplicate.acknowledged
reject-duplicates backend.lifecycle.duplicates
slow-ack backend.callback.ack-within-5s
BUGS

# The mock's real callbacks are accepted by the example receiver (both sides agree).
if python3 "$(dirname "$0")/mock_to_receiver.py" "$bin/mock-relay" "$ex/backend_receiver.py" \
	>"$tmp/m2r.txt" 2>&1; then
	ok "backend: the mock's own nine callbacks are acknowledged by backend_receiver.py"
else
	fail "backend: the mock's callbacks to backend_receiver.py"
	cat "$tmp/m2r.txt"
fi

if "$rc_bin" backend --callback-url http://127.0.0.1:9 --tenant-secret "$secret" \
	>"$tmp/unreach.txt" 2>&1; then
	fail "backend: an unreachable receiver should not pass"
else
	st=$?
	[ "$st" -eq 2 ] && ok "backend: unreachable receiver exits 2" ||
		fail "backend: unreachable receiver exited $st, want 2"
fi

echo
if [ "$failures" -ne 0 ]; then
	echo "test_modes: $failures failure(s)"
	exit 1
fi
echo "test_modes: all passed"
