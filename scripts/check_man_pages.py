#!/usr/bin/env python3
"""Checks that the man pages list every flag of the tools' --help.

  scripts/check_man_pages.py --bin BUILD/bin --man docs/man

Runs each tool's --help (mock-relay; relay-conformance and its sdk and backend modes;
hmac1 and its sign, verify and vectors commands), collects every --flag it prints and
fails when one is missing from the tool's man page (docs/man/<tool>.1, roff escapes
such as \\- and \\f[BIR] removed). It also fails when a --help run exits non-zero or
prints nothing, and when a flag named at the head of an item of the man page's OPTIONS
section appears in none of the tool's --help texts (a removed or misspelt flag).
Stdlib only; exit 0 when everything holds, 1 otherwise.
"""
import argparse
import os
import re
import subprocess
import sys

TOOLS = {
    "mock-relay": [[]],
    "relay-conformance": [[], ["sdk"], ["backend"]],
    "hmac1": [[], ["sign"], ["verify"], ["vectors"]],
}
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]")


def roff_text(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"\\f(\[[A-Z]*\]|[BIRP])", "", text)
    text = text.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")
    return text


def help_flags(out):
    """The tool's own flags in a --help text: those of the usage block (from a line
    starting "usage:" to the next blank line) and those starting an option line.
    Flags quoted inside prose or examples (e.g. curl's) are not the tool's."""
    flags, in_usage = set(), False
    for line in out.splitlines():
        if line.lstrip().lower().startswith("usage:"):
            in_usage = True
        elif not line.strip():
            in_usage = False
        if in_usage:
            flags |= set(FLAG.findall(line))
        else:
            m = re.match(r"\s*(--[a-z][a-z0-9-]*[a-z0-9])", line)
            if m:
                flags.add(m.group(1))
    return flags


def option_heads(text):
    """Flags at the head of the items (.TP next line, .IP) of the OPTIONS section."""
    m = re.search(r"^\.SH OPTIONS\s*$(.*?)(?=^\.SH )", text, re.M | re.S)
    if not m:
        return None
    lines = m.group(1).splitlines()
    heads = []
    for n, line in enumerate(lines):
        if line.startswith(".TP") and n + 1 < len(lines):
            heads += FLAG.findall(lines[n + 1])
        elif line.startswith(".IP"):
            heads += FLAG.findall(line)
    return heads


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="directory holding the built tools")
    ap.add_argument("--man", required=True, help="directory holding <tool>.1")
    args = ap.parse_args()
    problems = []
    for tool, commands in TOOLS.items():
        exe = os.path.join(args.bin, tool)
        page = os.path.join(args.man, tool + ".1")
        if not os.access(exe, os.X_OK):
            problems.append("%s: not built (%s)" % (tool, exe))
            continue
        try:
            text = roff_text(page)
        except OSError as e:
            problems.append("%s: %s" % (page, e))
            continue
        heads = option_heads(text)
        # A flag counts as documented only where an item of OPTIONS starts with it.
        in_page = set(heads or [])
        in_help = {"--help"}  # run below, so accepted even where the text omits it
        for cmd in commands:
            argv = [exe] + cmd + ["--help"]
            shown = " ".join([tool] + cmd + ["--help"])
            try:
                r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=30, check=False)
            except (OSError, subprocess.TimeoutExpired) as e:
                problems.append("%s: %s" % (shown, e))
                continue
            out = r.stdout.decode("utf-8", "replace")
            if r.returncode != 0 or not out.strip():
                problems.append("%s: exit %d, %d bytes of output" % (shown, r.returncode, len(out)))
                continue
            flags = help_flags(out)
            in_help |= flags
            for flag in sorted(flags - in_page):
                problems.append("%s: %s is not an item of the OPTIONS section of %s"
                                % (shown, flag, page))
        if heads is None:
            problems.append("%s: no OPTIONS section" % page)
        else:
            for flag in sorted(set(heads) - in_help):
                problems.append("%s: OPTIONS lists %s, which no %s --help shows" % (page, flag, tool))
    for p in problems:
        print("check_man_pages: " + p)
    if problems:
        print("check_man_pages: %d problem(s)" % len(problems))
        return 1
    print("check_man_pages: ok (every --help flag of %s is in its man page)" % ", ".join(TOOLS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
