#!/usr/bin/env bash
# Fails when a tracked C file differs from what clang-format makes of it (.clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=${CLANG_FORMAT:-clang-format}
if ! command -v "$fmt" >/dev/null 2>&1; then
	echo "check-format: $fmt not found" >&2
	exit 1
fi
bad=0
while IFS= read -r f; do
	if ! diff -q <("$fmt" --style=file "$f") "$f" >/dev/null; then
		echo "not formatted: $f (run: $fmt -i --style=file $f)"
		bad=1
	fi
done < <(git ls-files '*.c' '*.h' 2>/dev/null || find lib mock_relay conformance -name '*.[ch]')
if [ "$bad" -ne 0 ]; then
	exit 1
fi
echo "check-format: all C files formatted"
