#!/usr/bin/env python3
"""ctest `ci_recipes_run`: the pipeline examples in ci/ parse and name only what exists.

  scripts/check_ci_recipes.py --bin BUILD/bin

Loads ci/github-actions.example.yml and ci/gitlab-ci.example.yml with PyYAML, then checks:
- GitHub: the permissions the JUnit action needs (checks: write); a step starts the relay
  in the background, a later one waits for it, a later one runs relay-conformance with
  --strict and --junit; the reports are uploaded and the JUnit action reads the file the
  suite wrote, both `if: always()`.
- GitLab: the relay is a `services:` entry with an alias that BLOONIO_CHAT_BASE_URL names;
  the admin key reaches the service (MOCK_RELAY_ADMIN_KEY) and the suite
  (BLOONIO_CHAT_ADMIN_KEY) from a CI variable that the file does not define (a masked
  project variable); the JUnit report path is the one gate-relay.sh writes.
- Both: every command of every run/script line exists: project paths (the clone is
  `conformance/`) are files in this tree, the three tools are built in BUILD/bin and every
  --flag given to one of them (including those ci/gate-relay.sh passes, and
  CONFORMANCE_ARGS) appears in that tool's --help; anything else is a standard tool from a
  short list.
Exit 0 when everything holds, 1 otherwise.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = ("mock-relay", "relay-conformance", "hmac1")
STANDARD = {"cmake", "curl", "mkdir", "echo", "kill", "apt-get", "git", "true", "cd", "sleep"}
problems = []
help_cache = {}


def problem(msg):
    problems.append(msg)
    print("FAIL " + msg)


def tool_help(bindir, tool):
    if tool not in help_cache:
        r = subprocess.run([os.path.join(bindir, tool), "--help"], capture_output=True, text=True, timeout=30)
        help_cache[tool] = r.stdout + r.stderr
    return help_cache[tool]


def check_flags(bindir, tool, args, where):
    text = tool_help(bindir, tool)
    for a in args:
        flag = a.split("=", 1)[0]
        if re.fullmatch(r"--[a-z][a-z0-9-]*", flag) and not re.search(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", text):
            problem(f"{where}: {tool} has no {flag} (not in its --help)")


def commands(script):
    """Each simple command of a shell snippet as a token list (redirections, & and
    variable assignments dropped)."""
    script = script.replace("\\\n", " ")
    out = []
    for line in script.splitlines():
        line = re.sub(r"\s#.*$", "", line).strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"\s\d?>>?\s*\S+", " ", line)  # > file, 2> file, >> file
        line = re.sub(r"\s&\s*$", " ", line)  # background
        lex = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lex.whitespace_split = True
        cur = []
        for tok in lex:
            if tok in (";", "&&", "||", "|", "&"):
                if cur:
                    out.append(cur)
                cur = []
            else:
                cur.append(tok)
        if cur:
            out.append(cur)
    cleaned = []
    for c in out:
        while c and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", c[0]):
            c = c[1:]
        if c:
            cleaned.append(c)
    return cleaned


def check_command(bindir, cmd, where, env):
    prog = cmd[0]
    if prog.startswith("conformance/"):
        rel = prog[len("conformance/"):]
        m = re.fullmatch(r"build/bin/([\w-]+)", rel)
        if m:
            tool = m.group(1)
            if tool not in TOOLS or not os.access(os.path.join(bindir, tool), os.X_OK):
                problem(f"{where}: {prog}: no such tool built")
                return
            check_flags(bindir, tool, cmd[1:], where)
            return
        path = os.path.join(ROOT, rel)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            problem(f"{where}: {prog} is not an executable file of the project")
            return
        if rel == "ci/gate-relay.sh":
            with open(path, encoding="utf-8") as f:
                gate = f.read()
            exec_line = gate[gate.index('exec "$build_dir/bin/relay-conformance"'):]
            check_flags(bindir, "relay-conformance", re.findall(r"--[a-z][a-z0-9-]*", exec_line),
                        where + " (ci/gate-relay.sh)")
            check_flags(bindir, "relay-conformance", shlex.split(env.get("CONFORMANCE_ARGS", "")),
                        where + " (CONFORMANCE_ARGS)")
        return
    if prog in TOOLS:
        check_flags(bindir, prog, cmd[1:], where)
        return
    if prog not in STANDARD:
        problem(f"{where}: `{prog}` is neither a project command nor a standard tool")
    if prog == "cmake" and "-S" in cmd:
        src = cmd[cmd.index("-S") + 1]
        if src != "conformance":
            problem(f"{where}: cmake -S {src}: the clone is conformance/")


def github(path, bindir):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    jobs = doc.get("jobs") or {}
    if not jobs:
        problem("github: no jobs")
        return
    perms = dict(doc.get("permissions") or {})
    for name, job in jobs.items():
        p = dict(perms, **(job.get("permissions") or {}))
        if p.get("checks") != "write":
            problem(f"github: job {name}: the JUnit action needs `checks: write`")
        env = dict(doc.get("env") or {}, **(job.get("env") or {}))
        steps = job.get("steps") or []
        started = waited = suite = None
        junit_path = None
        for i, step in enumerate(steps):
            run = step.get("run")
            if run:
                for cmd in commands(run):
                    check_command(bindir, cmd, f"github step {i} ({step.get('name', '')})", env)
                if re.search(r"mock-relay\b.*&\s*$", run, flags=re.M) and started is None:
                    started = i
                if "curl" in run and "--retry-connrefused" in run and waited is None:
                    waited = i
                if "relay-conformance" in run and "--strict" in run and "--junit" in run:
                    suite = i
                    m = re.search(r"--junit\s+(\S+)", run)
                    junit_path = m.group(1) if m else None
            uses = step.get("uses", "")
            if uses.startswith("actions/upload-artifact") and step.get("if") != "always()":
                problem("github: upload-artifact must run `if: always()` (a failing suite still leaves reports)")
            if uses.startswith("mikepenz/action-junit-report"):
                if step.get("if") != "always()":
                    problem("github: the JUnit action must run `if: always()`")
                if (step.get("with") or {}).get("report_paths") != junit_path:
                    problem(f"github: the JUnit action reads {(step.get('with') or {}).get('report_paths')}, "
                            f"the suite writes {junit_path}")
        if not any(s.get("uses", "").startswith("actions/upload-artifact") for s in steps):
            problem("github: the reports are not uploaded")
        if not (started is not None and waited is not None and suite is not None and started < waited < suite):
            problem(f"github: want relay started in the background, then waited for, then the suite "
                    f"(--strict --junit): steps {started}, {waited}, {suite}")
        print(f"github: job {name}: {len(steps)} steps; relay started at step {started}, waited for at "
              f"{waited}, suite --strict --junit at {suite}; reports uploaded; checks: write")


def gitlab(path, bindir):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    top_vars = doc.get("variables") or {}
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and "script" in v}
    if not jobs:
        problem("gitlab: no job with a script")
    for name, job in jobs.items():
        env = dict(top_vars, **(job.get("variables") or {}))
        services = job.get("services") or []
        aliased = [s for s in services if isinstance(s, dict) and s.get("alias")]
        if not aliased:
            problem(f"gitlab: job {name}: the relay is not a services: entry with an alias")
            continue
        host = re.match(r"https?://([^:/]+)", env.get("BLOONIO_CHAT_BASE_URL", ""))
        if not host or host.group(1) not in [s["alias"] for s in aliased]:
            problem(f"gitlab: BLOONIO_CHAT_BASE_URL {env.get('BLOONIO_CHAT_BASE_URL')} names no service alias")
        svc_vars = dict(env, **(aliased[0].get("variables") or {}))
        for var, who in (("MOCK_RELAY_ADMIN_KEY", svc_vars), ("BLOONIO_CHAT_ADMIN_KEY", env)):
            m = re.fullmatch(r"\$\{?(\w+)\}?", str(who.get(var, "")))
            if not m:
                problem(f"gitlab: {var} is not taken from a CI variable")
            elif m.group(1) in top_vars or m.group(1) in env:
                problem(f"gitlab: {var} comes from ${m.group(1)}, which the file itself defines (a secret in the file)")
        for i, line in enumerate(job["script"]):
            for cmd in commands(line):
                check_command(bindir, cmd, f"gitlab {name} script[{i}]", env)
        junit = ((job.get("artifacts") or {}).get("reports") or {}).get("junit")
        want = env.get("REPORT_DIR", "reports").replace("$CI_PROJECT_DIR/", "") + "/conformance.junit.xml"
        if junit != want:
            problem(f"gitlab: artifacts:reports:junit is {junit}, gate-relay.sh writes {want}")
        if (job.get("artifacts") or {}).get("when") != "always":
            problem("gitlab: artifacts must be kept `when: always`")
        print(f"gitlab: job {name}: relay service alias {aliased[0]['alias']}, admin key from a CI variable, "
              f"{len(job['script'])} script lines, JUnit report {junit}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    a = ap.parse_args()
    github(os.path.join(ROOT, "ci", "github-actions.example.yml"), a.bin)
    gitlab(os.path.join(ROOT, "ci", "gitlab-ci.example.yml"), a.bin)
    for tool, var in (("mock-relay", "MOCK_RELAY_ADMIN_KEY"), ("relay-conformance", "BLOONIO_CHAT_ADMIN_KEY"),
                      ("relay-conformance", "BLOONIO_CHAT_BASE_URL")):
        if var not in tool_help(a.bin, tool):
            problem(f"{tool} --help does not mention {var}, which the recipes rely on")
    print(f"ci recipes: {'FAILED' if problems else 'ok'} ({len(problems)} problems)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
