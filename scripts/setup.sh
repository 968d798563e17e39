#!/usr/bin/env bash
# Installs the Debian packages this project needs, only when some are missing.
#   scripts/setup.sh           build + test dependencies
#   scripts/setup.sh --all     also clang's fuzzer runtime, Chromium (browser test), Locust
#                              (distributed load test) and Node.js (the JS reference signer)
set -euo pipefail

pkgs=(build-essential cmake pkg-config git python3 python3-yaml clang-format
      libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev libssl-dev
      libcmocka-dev libjwt-dev libwslay-dev libsqlite3-dev openssl curl dpkg-dev file)
if [ "${1:-}" = "--all" ]; then
	pkgs+=(clang libclang-rt-14-dev chromium python3-locust nodejs)
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
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
