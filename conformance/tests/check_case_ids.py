#!/usr/bin/env python3
"""ctest `conformance_case_ids`: case ids are stable (SPEC.md §12.2.3).

Every id published in conformance/cases.txt must still be listed by
`relay-conformance --list`, with the same SPEC rule and provenance, and every listed id
must follow the §12.2.1 grammar and be unique. New cases are allowed; regenerate the
file with `relay-conformance --list > conformance/cases.txt` to publish them.
"""
import re
import subprocess
import sys

GRAMMAR = re.compile(r"^[a-z0-9]+(\.[a-z0-9][a-z0-9-]*)+$")


def parse(lines):
    out = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 3:
            out.setdefault(parts[0], []).append((parts[1], parts[2]))
    return out


def main():
    suite, published = sys.argv[1], sys.argv[2]
    listing = subprocess.run([suite, "--list"], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    now = parse(listing)
    with open(published, encoding="utf-8") as f:
        old = parse(f.read().splitlines())
    errors = []
    for case_id, rows in now.items():
        if len(rows) > 1:
            errors.append(f"duplicate id {case_id}")
        if not GRAMMAR.match(case_id):
            errors.append(f"id {case_id} breaks the §12.2.1 grammar")
    for case_id, rows in old.items():
        if case_id not in now:
            errors.append(f"published id {case_id} disappeared (ids are stable, §12.2.3)")
        elif now[case_id][0] != rows[0]:
            errors.append(f"{case_id}: rule/provenance changed {rows[0]} -> {now[case_id][0]}")
    for e in errors:
        print(f"check_case_ids: {e}", file=sys.stderr)
    new = sorted(set(now) - set(old))
    if new:
        print(f"check_case_ids: {len(new)} new id(s) not yet in {published}: {' '.join(new)}")
    print(f"check_case_ids: {len(now)} ids listed, {len(old)} published")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
