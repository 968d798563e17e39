#!/usr/bin/env python3
"""ctest `conformance_against_mock`: relay-conformance against a fresh mock-relay.

1. The full suite with --junit/--json/--html exits 0 and every report validates
   (scripts/validate_report.py: JSON Schema, JUnit structure, self-contained HTML),
   with as many cases as --list prints.
2. --expected-failures honesty: a listed case that passes is XPASS and fails the run.
3. Without an admin key, from the environment only (BLOONIO_CHAT_*), the suite still
   exits 0: cases that provision are SKIPped with the reason, the rest use the tenant.
4. --filter selects by glob; an unreachable relay exits 2.
5. A failing run (admin key refused) exits 1; FAIL cases carry actual and a curl command
   with the admin key masked as $ADMIN_KEY; the reports still validate.
Standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import xml.etree.ElementTree as ET
import urllib.request

from mock_process import start_mock

ADMIN_KEY = "conformance-test-admin-key"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    return r.returncode, r.stdout, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", required=True)
    ap.add_argument("--mock", required=True)
    ap.add_argument("--expected-failures", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--validator", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    junit, js, html = (os.path.join(a.out, n) for n in
                       ("conformance.junit.xml", "conformance.json", "conformance.html"))
    code, listing, _ = run([a.suite, "--list"])
    n_cases = len(listing.splitlines())
    check(code == 0 and n_cases > 100, f"--list prints the cases ({n_cases})")

    mock, base = start_mock(a.mock, ADMIN_KEY)
    # While the mock is being built, a route it does not have yet answers 404 to GET
    # (a route it has answers 405): the suite cannot pass, so the test is skipped (77).
    missing = []
    for route in ("/api/v1/relay/create/conversation", "/api/v1/create/visitor-session"):
        try:
            urllib.request.urlopen(base + route)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                missing.append(route)
    if missing:
        mock.terminate()
        mock.wait(timeout=10)
        print(f"SKIP: the mock has no {', '.join(missing)} yet")
        return 77
    try:
        # 1. the full suite
        code, out, err = run([a.suite, "--base-url", base, "--admin-key", ADMIN_KEY,
                              "--no-color", "--expected-failures", a.expected_failures,
                              "--junit", junit, "--json", js, "--html", html])
        sys.stdout.write(out)
        sys.stderr.write(err)
        check(code == 0, f"suite against the mock exits 0 (got {code})")
        check("conformance: " in out and " passed, 0 failed, " in out,
              "summary line 'conformance: N passed, 0 failed, M skipped'")
        check(ADMIN_KEY not in open(js, encoding="utf-8").read() and
              ADMIN_KEY not in open(junit, encoding="utf-8").read() and
              ADMIN_KEY not in open(html, encoding="utf-8").read() and ADMIN_KEY not in out,
              "the admin key appears in no report")
        v = run([sys.executable, a.validator, "--schema", a.schema, "--json", js,
                 "--junit", junit, "--html", html, "--expect-cases", str(n_cases)])
        sys.stdout.write(v[1])
        sys.stderr.write(v[2])
        check(v[0] == 0, "JSON, JUnit and HTML reports validate")

        # 2. a listed case that passes is XPASS and fails the run
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("# temporary list\nenvelope.error.shape  # passes against the mock\n")
            xfile = f.name
        xjson = os.path.join(a.out, "xpass.json")
        code, out, _ = run([a.suite, "--base-url", base, "--admin-key", ADMIN_KEY,
                            "--no-color", "--filter", "envelope.*", "--expected-failures",
                            xfile, "--json", xjson])
        os.unlink(xfile)
        verdicts = {c["id"]: c["verdict"] for c in json.load(open(xjson))["cases"]}
        check(code == 1 and verdicts.get("envelope.error.shape") == "XPASS",
              f"an expected failure that passes is XPASS and exits 1 (exit {code})")
        check(all(k.startswith("envelope.") for k in verdicts), "--filter 'envelope.*'")

        # 3. no admin key: tenant credentials from the environment only
        req = urllib.request.Request(
            base + "/api/v1/provision/tenant", method="POST",
            data=json.dumps({"tenant_name": "env tenant", "rate_limit_per_min": 10000,
                             "allowed_origins": ["https://shop.demo.com"]}).encode(),
            headers={"X-Admin-Key": ADMIN_KEY, "Content-Type": "application/json"})
        data = json.load(urllib.request.urlopen(req))["data"]
        env = dict(os.environ, BLOONIO_CHAT_BASE_URL=base,
                   BLOONIO_CHAT_TENANT_ID=data["tenant_id"],
                   BLOONIO_CHAT_TENANT_SECRET=data["tenant_secret"],
                   BLOONIO_CHAT_WIDGET_PUBLIC_KEY=data["widget_public_key"])
        env.pop("BLOONIO_CHAT_ADMIN_KEY", None)
        njson = os.path.join(a.out, "no-admin.json")
        code, out, err = run([a.suite, "--origin", "https://shop.demo.com", "--no-color",
                              "--json", njson], env=env)
        rep = json.load(open(njson))
        skipped = [c for c in rep["cases"] if c["verdict"] == "SKIP"]
        ran = [c for c in rep["cases"] if c["verdict"] in ("PASS", "INFO")]
        check(code == 0, f"without an admin key the suite exits 0 (got {code})")
        if code != 0:
            sys.stdout.write(out)
        check(len(ran) > 60 and all(c["reason"] for c in skipped) and
              any("no admin key" in c["reason"] for c in skipped),
              f"without an admin key {len(ran)} cases run, {len(skipped)} SKIP with reasons")
        # 5. a relay that breaks rules (here: the admin key is refused): exit 1, FAIL
        #    cases carry expected/actual/curl (admin key masked), reports still validate
        bad = "not-the-admin-key-" + "x" * 8
        fj, fx, fh = (os.path.join(a.out, n) for n in ("fail.json", "fail.xml", "fail.html"))
        code, out, _ = run([a.suite, "--base-url", base, "--admin-key", bad, "--no-color",
                            "--filter", "admin.provision.*", "--json", fj, "--junit", fx,
                            "--html", fh])
        rep = json.load(open(fj))
        fails = [c for c in rep["cases"] if c["verdict"] == "FAIL"]
        check(code == 1 and fails, f"a broken relay gives FAIL cases and exit 1 (exit {code})")
        check(all(c["details"]["actual"] and c["details"]["curl"] and
                  "$ADMIN_KEY" in c["details"]["curl"] for c in fails),
              "every FAIL carries actual, and a curl command with $ADMIN_KEY")
        check(bad not in "".join(open(f, encoding="utf-8").read() for f in (fj, fx, fh)) and
              bad not in out, "the refused admin key appears in no report")
        v = run([sys.executable, a.validator, "--schema", a.schema, "--json", fj, "--junit", fx,
                 "--html", fh])
        sys.stderr.write(v[2])
        check(v[0] == 0, "reports of a failing run validate")
        junit_failures = ET.parse(fx).getroot().get("failures")
        check(junit_failures == str(len(fails)), f"JUnit failures={junit_failures}")
    finally:
        mock.terminate()
        mock.wait(timeout=10)

    # 4. unreachable relay
    code, _, err = run([a.suite, "--base-url", base, "--no-color"])
    check(code == 2, f"an unreachable relay exits 2 (got {code})")
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
