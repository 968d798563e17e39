#!/usr/bin/env python3
"""ctest `conformance_case_files`: a case sits in the file named after its id's prefix.

conformance/cases/<name>.c holds the table cases_<name>[] and exactly the cases whose
id starts "<name>." (suite.h). For every id `relay-conformance --list` prints, the id's
string literal must appear in one file under conformance/cases/, and that file must be
<prefix>.c; every file there must define cases_<its name>[] and hold at least one case.
Standard library only.
"""
import os
import re
import subprocess
import sys


def main():
    suite, cases_dir = sys.argv[1], sys.argv[2]
    listing = subprocess.run([suite, "--list"], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    ids = [line.split()[0] for line in listing if line.strip()]
    files = {}
    for name in sorted(os.listdir(cases_dir)):
        if name.endswith(".c"):
            with open(os.path.join(cases_dir, name), encoding="utf-8") as f:
                files[name[:-2]] = f.read()
    errors = []
    used = set()
    for case_id in ids:
        prefix = case_id.split(".", 1)[0]
        holders = [n for n, text in files.items() if f'"{case_id}"' in text]
        if not holders:
            errors.append(f"{case_id}: its id is in no file of {cases_dir} (write ids as literals)")
        elif holders != [prefix]:
            where = ", ".join(f"{n}.c" for n in holders)
            errors.append(f"{case_id}: in {where}, belongs in {prefix}.c (prefix = file name)")
        used.add(prefix)
    for name, text in files.items():
        if not re.search(rf"^const struct suite_case cases_{re.escape(name)}\[\] = {{", text, re.M):
            errors.append(f"{name}.c does not define cases_{name}[]")
        if name not in used:
            errors.append(f"{name}.c holds no listed case")
    for e in errors:
        print(f"check_case_files: {e}", file=sys.stderr)
    print(f"check_case_files: {len(ids)} ids in {len(files)} files, {len(errors)} misplaced")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
