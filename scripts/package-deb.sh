#!/usr/bin/env bash
# package-deb.sh [BUILD_DIR] [--keep]: builds the Debian package with CPack from an
# already built BUILD_DIR (default build), checks its metadata and contents, installs it
# with `apt-get install ./….deb`, runs the INSTALLED tools (by absolute /usr paths: the
# mock answers, the suite passes against it with --strict, `hmac1 vectors` passes on the
# installed vectors, the C example builds against the installed library through
# pkg-config), then purges the package again (--keep leaves it installed).
#
# Needs root (or sudo), apt-get, dpkg-deb, dpkg-shlibdeps (dpkg-dev) and cpack. Where they
# are missing it prints a "SKIP: ..." line and exits 77 (ctest reports the test skipped).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=build
keep=0
for arg in "$@"; do
	case $arg in
	--keep) keep=1 ;;
	*) build=$arg ;;
	esac
done
build=$(cd "$build" 2>/dev/null && pwd) || { echo "package-deb: no build directory $build" >&2; exit 1; }
pkg=bloonio-relay-conformance

as_root=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		as_root=(sudo -n)
	else
		echo "SKIP: package-deb needs root (or password-less sudo) to install the package"
		exit 77
	fi
fi
for tool in apt-get dpkg-deb dpkg-shlibdeps cpack pkg-config cc; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: package-deb needs $tool (Debian: apt-get install dpkg-dev cmake pkg-config build-essential)"
		exit 77
	fi
done
if [ ! -f "$build/CPackConfig.cmake" ] || [ ! -x "$build/bin/mock-relay" ]; then
	echo "package-deb: $build is not a configured and built tree" >&2
	exit 1
fi

fail=0
bad() { echo "package-deb: FAIL: $*"; fail=1; }
work=$(mktemp -d)
installed=0
# remove_pkg: apt-get purge, then check nothing of it is left in /usr/bin.
remove_pkg() {
	installed=0
	"${as_root[@]}" apt-get purge -y -qq -o DPkg::Lock::Timeout=300 "$pkg" >"$work/remove.log" 2>&1 ||
		{ cat "$work/remove.log"; bad "apt-get purge $pkg failed"; return; }
	if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -Eq ' (installed|config-files|unpacked|half-[a-z]+)$' || [ -e /usr/bin/mock-relay ]; then
		bad "$pkg still installed after removal"
	else
		echo "package-deb: $pkg removed again (no /usr/bin/mock-relay left)"
	fi
}
cleanup() {
	[ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null
	[ "$installed" -eq 1 ] && [ "$keep" -eq 0 ] && remove_pkg
	rm -rf "$work"
}
trap cleanup EXIT

# 1. Build the package (cpack runs the install rules into a staging tree; Depends come from
#    dpkg-shlibdeps over the ELF files).
echo "==> cpack -G DEB ($build)"
rm -rf "$build/packages"
if ! (cd "$build" && cpack -G DEB >"$work/cpack.log" 2>&1); then
	cat "$work/cpack.log"
	echo "package-deb: cpack failed" >&2
	exit 1
fi
deb=$(ls "$build"/packages/${pkg}_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { cat "$work/cpack.log"; echo "package-deb: no .deb produced" >&2; exit 1; }
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

# 2. Metadata: Depends names the runtime libraries the ELF files link.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libc6 libmicrohttpd12 libcurl4 libjansson4 libssl3 libcmocka0 libjwt libwslay1; do
	echo "$depends" | grep -q "\b$lib" || bad "Depends lacks $lib"
done
[ "$(dpkg-deb -f "$deb" Package)" = "$pkg" ] || bad "Package is not $pkg"

# 3. Contents under the FHS paths.
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/contents.txt"
libdir=$(grep -E '/libbloonio-relay\.so\.0$' "$work/contents.txt" | xargs -r dirname)
[ -n "$libdir" ] || bad "no libbloonio-relay.so.0 in the package"
for path in /usr/bin/mock-relay /usr/bin/relay-conformance /usr/bin/hmac1 \
	/usr/share/man/man1/mock-relay.1 /usr/share/man/man1/relay-conformance.1 /usr/share/man/man1/hmac1.1 \
	/usr/share/$pkg/vectors/hmac1_sign.json /usr/share/$pkg/vectors/hmac1_verify.json \
	/usr/share/$pkg/vectors/hmac1_sign.schema.json /usr/share/$pkg/schemas/report.schema.json \
	/usr/share/$pkg/openapi.yaml /usr/share/doc/$pkg/SPEC.md /usr/share/doc/$pkg/README.md \
	/usr/share/doc/$pkg/ci/github-actions.example.yml /usr/share/$pkg/signers/python/bloonio_hmac1.py \
	/usr/share/$pkg/signers/js/bloonio-hmac1.mjs /usr/include/bloonio_relay.h \
	"$libdir/libbloonio-relay.so" "$libdir/pkgconfig/bloonio-relay.pc"; do
	grep -qxF "$path" "$work/contents.txt" || bad "the package lacks $path"
done
if grep -q '/usr/share/doc/bloonio_relay_conformance' "$work/contents.txt"; then
	bad "a second spelling of the doc directory"
fi
echo "contents: $(grep -cv '/$' "$work/contents.txt") files, FHS paths present"

# 4. Install it the way a user would (a clean reinstall when a copy is there). One run at
#    a time on this machine: another checkout's run would remove the package under this one.
exec 9>/tmp/bloonio-relay-conformance-deb.lock
if ! flock -w 600 9; then
	echo "package-deb: another package-deb.sh run held the lock for 10 minutes" >&2
	exit 1
fi
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -Eq ' (installed|config-files|unpacked|half-[a-z]+)$'; then
	"${as_root[@]}" apt-get purge -y -qq -o DPkg::Lock::Timeout=300 "$pkg" >/dev/null 2>&1
fi
echo "==> apt-get install ./$(basename "$deb")"
cp "$deb" "$work/"
if ! (cd "$work" && DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq \
	-o DPkg::Lock::Timeout=300 --no-install-recommends "./$(basename "$deb")" >"$work/install.log" 2>&1); then
	cat "$work/install.log"
	echo "package-deb: apt-get install failed" >&2
	exit 1
fi
installed=1
dpkg-query -W -f='installed ${Package} ${Version} (${Status})\n' "$pkg"

# 5. The installed tools, by absolute path (never the build tree's).
for tool in mock-relay relay-conformance hmac1; do
	v=$(/usr/bin/$tool --version 2>&1) || bad "/usr/bin/$tool --version failed"
	[ "$v" = "$tool $(dpkg-deb -f "$deb" Version)" ] || bad "/usr/bin/$tool --version says '$v'"
	echo "/usr/bin/$tool --version: $v"
done
/usr/bin/mock-relay --port 0 --admin-key pkg-admin-key >"$work/mock.out" 2>"$work/mock.log" &
MOCK_PID=$!
for _ in $(seq 300); do grep -q '^mock-relay listening on ' "$work/mock.out" && break; sleep 0.1; done
base=$(head -n 1 "$work/mock.out" | sed -n 's/^mock-relay listening on //p')
if [ -z "$base" ]; then
	bad "the installed mock-relay did not start"; cat "$work/mock.log"
else
	code=$(curl -s -o "$work/provision.json" -w '%{http_code}' "$base/api/v1/provision/tenant" -X POST \
		-H 'X-Admin-Key: pkg-admin-key' -H 'Content-Type: application/json' \
		-d '{"tenant_name":"Package smoke","allowed_origins":["https://shop.demo.com"]}')
	[ "$code" = 201 ] || bad "provisioning on the installed mock answered $code"
	echo "installed mock at $base: provisioning answered $code"
	if /usr/bin/relay-conformance --base-url "$base" --admin-key pkg-admin-key --strict --quiet \
		--no-color --junit "$work/suite.xml" --expected-failures "$root/conformance/expected-failures.txt" \
		>"$work/suite.txt" 2>&1; then
		echo "installed suite against the installed mock: $(tail -n 1 "$work/suite.txt")"
	else
		tail -n 30 "$work/suite.txt"
		bad "the installed relay-conformance failed against the installed mock"
	fi
fi
kill "$MOCK_PID" 2>/dev/null
wait "$MOCK_PID" 2>/dev/null
MOCK_PID=
if /usr/bin/hmac1 vectors /usr/share/$pkg/vectors/hmac1_sign.json /usr/share/$pkg/vectors/hmac1_verify.json \
	/usr/share/$pkg/vectors/origins.json /usr/share/$pkg/vectors/callbacks.json >"$work/vectors.txt" 2>&1; then
	echo "installed hmac1 vectors on the installed vectors: $(tail -n 1 "$work/vectors.txt")"
else
	tail -n 20 "$work/vectors.txt"
	bad "hmac1 vectors failed on the installed vectors"
fi
# The library through the system's pkg-config, without any -rpath: the dynamic loader finds it.
if cc -std=c11 -Wall -Wextra -Werror "$root/examples/c/hmac1_sign_verify.c" -o "$work/example" \
	$(pkg-config --cflags --libs bloonio-relay) 2>"$work/cc.log"; then
	out=$(printf '%s' '{"visitor_user_id":"user-123"}' |
		"$work/example" sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 1782036000000)
	echo "$out" | grep -qx 'signature 3bab57c3033adb2da9199c27ca6f14e70f47cd87b292275931755919b002cf5b' ||
		bad "the example built against the installed library signs wrongly: $out"
	loaded=$(ldd "$work/example" | sed -n 's/.*libbloonio-relay\.so\.0 => \([^ ]*\).*/\1/p')
	if [ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$(realpath "$libdir/libbloonio-relay.so.0")" ]; then
		echo "example built with the system pkg-config, loads $loaded (the package's), SPEC 4.3.4 signature ok"
	else
		bad "the example loads '$loaded', not the package's $libdir/libbloonio-relay.so.0"
	fi
else
	cat "$work/cc.log"
	bad "the example does not build against the installed library"
fi
for page in mock-relay relay-conformance hmac1; do
	if ! man -w "$page" >/dev/null 2>&1 && [ ! -f "/usr/share/man/man1/$page.1" ] &&
		[ ! -f "/usr/share/man/man1/$page.1.gz" ]; then
		bad "no installed man page for $page"
	fi
done

[ "$keep" -eq 0 ] && remove_pkg
if [ "$fail" -eq 0 ]; then
	echo "package-deb: $(basename "$deb") builds, installs and its tools pass"
fi
exit $fail
