#!/usr/bin/env bash
# readme_quickstart.sh BUILD_DIR: runs the README's quickstart block verbatim in a
# scratch directory (with build/ pointing at BUILD_DIR) and checks what it printed
# against the documented flow: 201 provisioning with the seed's message, a 201
# visitor session, 403 origin_not_allowed for a look-alike origin, a 201 signed
# call, and a journal entry carrying the signing string.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: readme_quickstart.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$build" "$work/build"

# The block kills its mock at its end; should it stop early (bash -e), this trap does.
# After the block's own kill the mock may already be gone (and reaped), so the trap's
# kill can fail: "|| true", for under bash -e a failing command in an EXIT trap would
# make the whole block exit 1 after every line of it succeeded.
echo 'trap '\''[ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null || true'\'' EXIT' >"$work/quickstart.sh"
sed -n '/<!-- quickstart:begin -->/,/<!-- quickstart:end -->/p' "$root/README.md" |
	sed '/^<!--/d; /^```/d' >>"$work/quickstart.sh"
if [ "$(wc -l <"$work/quickstart.sh")" -le 1 ]; then
	echo "readme_quickstart: no quickstart block in README.md" >&2
	exit 1
fi
(cd "$work" && timeout 60 bash -e quickstart.sh) >"$work/out.txt" 2>&1
rc=$?
cat "$work/out.txt"
fail=0
expect() {
	if ! grep -qF -- "$1" "$work/out.txt" "$work/tenant.json" 2>/dev/null; then
		echo "readme_quickstart: expected to see: $1" >&2
		fail=1
	fi
}
[ "$rc" -eq 0 ] || { echo "readme_quickstart: the block exited $rc" >&2; fail=1; }
expect '"status_code":201'
expect 'Tenant provisioned. Save tenant_secret and widget_public_key now — the secret will not be shown again.'
expect 'Visitor session created.'
expect '"code":"origin_not_allowed"'
expect 'Conversation created.'
expect '"signing_string":"'
# The secret was shown once, at provisioning, and never again.
secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["tenant_secret"])' "$work/tenant.json" 2>/dev/null)
if [ -z "$secret" ] || grep -qF -- "$secret" "$work/out.txt" "$work/mock.log"; then
	echo "readme_quickstart: the tenant secret is missing from provisioning or shows up later" >&2
	fail=1
fi
if [ "$fail" -eq 0 ]; then
	echo "readme_quickstart: the documented flow works as the README says"
fi
exit $fail
