#!/usr/bin/env bash
# test_mutations.sh BIN_DIR [MUTATION...] - mutation testing of relay-conformance.
#
# For each mutation of conformance/mutant_proxy (each breaks exactly one observable
# rule of SPEC.md by rewriting the mock's responses), start a mock relay and a
# mutant-proxy in front of it, run `relay-conformance --strict` through the proxy, and
# require a non-zero exit AND at least one FAIL whose id matches that mutation's
# expected set below. The proxy with --mutation none must pass (exit 0). A tolerated
# mutation (second table: an answer the suite once failed by mistake) must pass too,
# without --strict, with its case graded as listed. Prints the table
# "mutation -> caught by <ids>". Jobs run in parallel (MUTATION_JOBS, default 4).
set -uo pipefail
bin=${1:?usage: test_mutations.sh BIN_DIR [MUTATION...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
xfail=$here/../expected-failures.txt
tmp=$(mktemp -d)
jobs=${MUTATION_JOBS:-4}
trap 'rm -rf "$tmp"' EXIT

# mutation | expected case ids (fnmatch globs, space-separated). A FAIL outside the
# set still fails the run but does not count as "caught" for the mutation's rule.
expected_table() {
	cat <<'TABLE'
none|
accept-stale|hmac1.window.* hmac1.order.window-* hmac1.order.headers-before-window
accept-bad-signature|hmac1.signature.* hmac1.order.signature-* admin.rotate-secret.old-invalid admin.key.tenant-signature
accept-missing-headers|hmac1.headers.* hmac1.order.headers-*
suspended-allowed|admin.suspend.* admin.reactivate.* hmac1.order.signature-before-status hmac1.order.status-* widget.*suspend*
leak-secret-on-fetch|admin.fetch.no-secret admin.fetch-tenants.no-secret admin.*secret*
wrong-provision-message|admin.provision.message
provision-status-200|admin.provision.envelope admin.provision.status*
no-status-code-field|envelope.* *.envelope*
status-code-mismatch|envelope.* *.envelope*
cors-wildcard|cors.*
cors-missing|cors.*
origin-not-checked|widget.session.origin-* widget.*origin* cors.*
rate-limit-missing|ratelimit.*
rate-limit-headers-missing|ratelimit.*
error-envelope-missing-code|envelope.* *.envelope* hmac1.* admin.*
wrong-content-type|envelope.*.shape *content-type*
cross-tenant-404-as-200|relay.isolation.* relay.*cross-tenant* relay.*other-tenant* relay.*not-found* relay.*unknown*
jwt-alg-none|widget.token.* widget.jwt.* widget.*token* ws.*
405-without-allow|envelope.routing.405* *method-not-allowed* *.405*
stale-as-invalid-signature|hmac1.window.* hmac1.order.window-*
suspended-as-401|admin.suspend.* widget.session.suspended hmac1.order.status-*
visitor-session-message|widget.session.create widget.session.message
cors-no-vary|cors.*
operator-reprovision-201|relay.operator.idempotent
retry-after-missing|ratelimit.*
ratelimit-remaining-off-by-one|ratelimit.*
error-field-missing|admin.provision.* admin.update.* admin.fetch* hostile.query.* relay.* widget.* envelope.error.*
envelope-key-order|envelope.*.key-order
key-prefix-wrong|admin.provision.key-*
messages-newest-first|relay.messages.* relay.message.*
conversation-status|relay.conversation.*
ws-upgrade-refused|ws.*
suspend-status-field|admin.suspend.*
widget-config-no-is-online|widget.session.* widget.config.*
session-no-expires-at|widget.session.*
session-id-prefix|widget.session.* widget.refresh.*
fetch-tenants-total|admin.fetch-tenants.*
created-at-millis|admin.provision.created-at relay.conversation.* relay.message.*
leak-secret-in-widget-config|widget.config.*
brew-503|hostile.method.brew
TABLE
}

# Tolerated mutation | the case it concerns | the verdicts that case may get. The run
# (without --strict) must exit 0 with no FAIL anywhere.
tolerated_table() {
	cat <<'TABLE'
accept-escaped-nul|hostile.json.escaped-nul|WARN
brew-501|hostile.method.brew|PASS
TABLE
}

# wait_url FILE: the URL printed on FILE's first line ("... listening on http://...").
wait_url() {
	local f=$1 url=
	for _ in $(seq 1 200); do
		url=$(sed -n '1s/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$f" 2>/dev/null)
		if [ -n "$url" ]; then
			echo "$url"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# run_one MUTATION: writes $tmp/MUTATION.result = "exit|caught ids|other FAIL ids".
run_one() {
	local m=$1 key mock_pid proxy_pid mock_url proxy_url st args
	key=mut-admin-$RANDOM$RANDOM
	"$bin/mock-relay" --port 0 --admin-key "$key" >"$tmp/$m.mock.out" 2>"$tmp/$m.mock.err" &
	mock_pid=$!
	if ! mock_url=$(wait_url "$tmp/$m.mock.out"); then
		echo "start|mock did not start|" >"$tmp/$m.result"
		kill "$mock_pid" 2>/dev/null
		return
	fi
	"$bin/mutant-proxy" --upstream "$mock_url" --port 0 --mutation "$m" \
		>"$tmp/$m.proxy.out" 2>"$tmp/$m.proxy.err" &
	proxy_pid=$!
	if ! proxy_url=$(wait_url "$tmp/$m.proxy.out"); then
		echo "start|proxy did not start|" >"$tmp/$m.result"
		kill "$proxy_pid" "$mock_pid" 2>/dev/null
		return
	fi
	args=(--base-url "$proxy_url" --admin-key "$key" --quiet --no-color --json "$tmp/$m.json")
	tol=$(tolerated_table | sed -n "s/^$m|//p")
	if [ -z "$tol" ]; then
		args+=(--strict)
	fi
	if [ -f "$xfail" ]; then
		args+=(--expected-failures "$xfail")
	fi
	"$bin/relay-conformance" "${args[@]}" >"$tmp/$m.suite.out" 2>&1
	st=$?
	kill "$proxy_pid" "$mock_pid" 2>/dev/null
	wait "$proxy_pid" "$mock_pid" 2>/dev/null
	python3 - "$tmp/$m.json" "$st" "$(expected_table | sed -n "s/^$m|//p")" "$tol" \
		>"$tmp/$m.result" <<'PY'
import fnmatch, json, sys
path, status, patterns, tol = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4]
try:
    cases = json.load(open(path))["cases"]
except (OSError, ValueError, KeyError):
    print(f"{status}|no JSON report|")
    sys.exit()
fails = [c["id"] for c in cases if c["verdict"] in ("FAIL", "XPASS")]
if tol:
    # tolerated: "verdict of the case|every FAIL"
    case_id = tol.split("|")[0]
    got = [c["verdict"] for c in cases if c["id"] == case_id]
    print(f"{status}|{got[0] if got else 'absent'}|{' '.join(fails)}")
    sys.exit()
caught = [i for i in fails if any(fnmatch.fnmatchcase(i, p) for p in patterns)]
other = [i for i in fails if i not in caught]
print(f"{status}|{' '.join(caught)}|{' '.join(other)}")
PY
}

if [ $# -gt 0 ]; then
	mutations=("$@")
else
	mapfile -t mutations < <(
		expected_table | cut -d'|' -f1
		tolerated_table | cut -d'|' -f1
	)
fi
for m in "${mutations[@]}"; do
	if ! "$bin/mutant-proxy" --list | awk '{print $1}' | grep -qx -- "$m"; then
		echo "test_mutations: unknown mutation $m" >&2
		exit 2
	fi
done
# Every mutation the proxy knows must have an expected set here.
for m in $("$bin/mutant-proxy" --list | awk '{print $1}'); do
	if ! expected_table | grep -q "^$m|" && ! tolerated_table | grep -q "^$m|"; then
		echo "test_mutations: mutation $m has no expected set in this script" >&2
		exit 2
	fi
done

export -f run_one wait_url expected_table tolerated_table
export bin tmp xfail
printf '%s\n' "${mutations[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}

failures=0
printf '\n%-31s %-6s %s\n' mutation exit "caught by"
printf '%-31s %-6s %s\n' -------- ---- ---------
for m in "${mutations[@]}"; do
	IFS='|' read -r st caught other <"$tmp/$m.result"
	shown=$(echo "$caught" | tr ' ' '\n' | head -n 4 | paste -sd' ')
	n=$(echo "$caught" | wc -w)
	[ "$n" -gt 4 ] && shown="$shown (+$((n - 4)) more)"
	tol=$(tolerated_table | sed -n "s/^$m|//p")
	if [ -n "$tol" ]; then
		allowed=${tol#*|}
		if [ "$st" = 0 ] && [ -z "$other" ] && [[ " $allowed " == *" $caught "* ]]; then
			printf '%-31s %-6s %s\n' "$m" "$st" "(tolerated: ${tol%%|*} $caught)"
		else
			printf '%-31s %-6s %s\n' "$m" "$st" \
				"NOT TOLERATED: ${tol%%|*} got $caught (want $allowed); FAILs: ${other:-none}"
			failures=$((failures + 1))
		fi
	elif [ "$m" = none ]; then
		if [ "$st" = 0 ]; then
			printf '%-31s %-6s %s\n' "$m" "$st" "(passes, as it must)"
		else
			printf '%-31s %-6s %s\n' "$m" "$st" "NOT PASSING: ${other:-$caught}"
			sed -n '1,60p' "$tmp/$m.suite.out"
			# the unmutated run must pass: show why each failed case failed
			python3 - "$tmp/$m.json" <<'PY'
import json, sys
try:
    cases = json.load(open(sys.argv[1]))["cases"]
except (OSError, ValueError, KeyError):
    sys.exit()
for c in cases:
    if c["verdict"] in ("FAIL", "XPASS"):
        d = c.get("details") or {}
        print(f"  {c['id']} {c['verdict']} ({c.get('duration_ms')} ms): {c.get('reason')}")
        print(f"    actual: {str(d.get('actual'))[:600]}")
        print("    log: " + str(d.get("log"))[-1500:].replace("\n", "\n         "))
PY
			failures=$((failures + 1))
		fi
	elif [ "$st" != 0 ] && [ "$st" != start ] && [ -n "$caught" ]; then
		printf '%-31s %-6s %s\n' "$m" "$st" "$shown"
	else
		printf '%-31s %-6s %s\n' "$m" "$st" "MISSED (other FAILs: ${other:-none})"
		failures=$((failures + 1))
	fi
done
echo
if [ "$failures" -ne 0 ]; then
	echo "test_mutations: $failures mutation(s) not caught (or the unmutated run failed)"
	exit 1
fi
echo "test_mutations: every mutation caught (${#mutations[@]} runs)"
