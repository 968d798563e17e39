#!/usr/bin/env bash
# Installs the Debian packages this project needs, only when some are missing.
#   scripts/setup.sh           build + test dependencies
#   scripts/setup.sh --all     also clang's fuzzer runtime, Chromium (browser test), Locust
#                              (distributed load test) and Node.js (the JS reference signer)
#   scripts/setup.sh --bench   also what scripts/bench needs: wrk, valgrind (callgrind),
#                              Java and Node when missing, and the peers' npm packages
#                              (WireMock, Prism) into scripts/benchtools/node_modules
set -euo pipefail

pkgs=(build-essential cmake pkg-config git python3 python3-yaml clang-format wrk
      libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev libssl-dev
      libcmocka-dev libjwt-dev libwslay-dev libsqlite3-dev openssl curl dpkg-dev file)
if [ "${1:-}" = "--all" ]; then
	pkgs+=(clang libclang-rt-14-dev chromium python3-locust nodejs)
fi
if [ "${1:-}" = "--bench" ]; then
	pkgs+=(wrk valgrind)
	command -v java >/dev/null 2>&1 || pkgs+=(openjdk-17-jre-headless)
	command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi
npm_peers() {
	if [ "${1:-}" = "--bench" ] && [ ! -d "$(dirname "$0")/benchtools/node_modules" ]; then
		echo "setup: npm ci in scripts/benchtools (WireMock, Prism)"
		(cd "$(dirname "$0")/benchtools" && npm ci --no-audit --no-fund >/dev/null)
	fi
}

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	npm_peers "${1:-}"
	exit 0
fi

echo "setup: installing ${missing[*]}"
as_root=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		as_root=(sudo)
	else
		echo "setup: missing packages (${missing[*]}) and not root; install them and retry" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_peers "${1:-}"
