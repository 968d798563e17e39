#!/usr/bin/env python3
"""Tests of the `hmac1` command (ctest `hmac1_cli`, label unit).

usage: test_hmac1_cli.py HMAC1_BINARY VECTORS_DIR

`hmac1 sign` must reproduce the documented Python recipe (SPEC.md §4.2-4.3) for any
secret, body and timestamp; `hmac1 verify` exits 0 accepted / 1 refused / 2 usage and
names the failed step; `hmac1 vectors` passes the real files and fails a corrupted copy.
Standard library only.
"""
import glob
import hashlib
import hmac
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

HMAC1, VECTORS = sys.argv[1], sys.argv[2]
TENANT = "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f"
failures = []


def python_recipe(secret: str, ts: str, body: bytes):
    """The documented recipe, verbatim in spirit."""
    body_hash = hashlib.sha256(body).hexdigest()
    signing_string = f"{ts}.{body_hash}"
    signature = hmac.new(secret.encode(), signing_string.encode(), hashlib.sha256).hexdigest()
    return body_hash, signing_string, signature


def run(args, stdin=None, env=None):
    p = subprocess.run([HMAC1] + args, input=stdin, capture_output=True, env=env, timeout=30)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def check(name, cond, detail=""):
    if not cond:
        failures.append(f"{name}: {detail}")
        print(f"FAIL {name}: {detail}")
    else:
        print(f"PASS {name}")


def test_sign_matches_python_recipe():
    tmp = tempfile.mkdtemp()
    try:
        cases = [
            ("sk_wo-ZedfAFuuqdMzGe2m1WlrbaSl32N-U0jmH2H1Bmyo", "1782036000000", b""),
            ("sk_test_secret", "1750500000000",
             b'{"visitor_user_id":"user-123","visitor_display_name":"Mary","locale":"en"}'),
            ("sk_caf\u00e9-\u00fc", "1782036012345", "Où est ma commande ? 📦".encode()),
            ("x" * 200, "0001782036000000", b"line1\r\nline2\n"),
            ("sk_" + "A" * 61, "1", bytes(range(256))),
            ("", "9999999999999999", b"{}"),
        ]
        for i, (secret, ts, body) in enumerate(cases):
            want = python_recipe(secret, ts, body)
            path = os.path.join(tmp, f"body{i}")
            with open(path, "wb") as f:
                f.write(body)
            rc, out, err = run(["sign", "--secret", secret, "--tenant", TENANT,
                                "--timestamp-ms", ts, "--body-file", path, "--format", "json"])
            if rc != 0:
                check(f"sign case {i}", False, f"exit {rc}: {err}")
                continue
            got = json.loads(out)
            check(f"sign case {i} matches hashlib/hmac",
                  (got["body_sha256"], got["signing_string"], got["signature"]) == want
                  and got["body_length"] == len(body) and got["timestamp_ms"] == ts
                  and got["headers"]["X-Bloonio-Signature"] == want[2]
                  and got["headers"]["X-Bloonio-Tenant-Id"] == TENANT,
                  f"got {got}, want {want}")
        # text output carries the same values and the -H lines
        secret, ts, body = cases[1]
        want = python_recipe(secret, ts, body)
        rc, out, _ = run(["sign", "--secret", secret, "--tenant", TENANT, "--timestamp-ms", ts,
                          "--body", body.decode()])
        check("sign text output", rc == 0 and want[0] in out and want[1] in out
              and f"-H 'X-Bloonio-Signature: {want[2]}'" in out
              and f"X-Bloonio-Timestamp: {ts}" in out, out)
        # body from stdin, secret from the environment
        env = dict(os.environ, HMAC1_TEST_SECRET=secret)
        rc, out, _ = run(["sign", "--secret-env", "HMAC1_TEST_SECRET", "--tenant", TENANT,
                          "--timestamp-ms", ts, "--body-file", "-", "--format", "json"],
                         stdin=body, env=env)
        check("sign --secret-env and stdin body", rc == 0 and json.loads(out)["signature"] == want[2],
              out)
        # default timestamp: now, in milliseconds
        rc, out, _ = run(["sign", "--secret", "s", "--tenant", TENANT, "--format", "json"])
        got = json.loads(out) if rc == 0 else {}
        check("sign defaults to now in ms", rc == 0 and len(got["timestamp_ms"]) == 13
              and got["signature"] == python_recipe("s", got["timestamp_ms"], b"")[2], out)
    finally:
        shutil.rmtree(tmp)


def test_sign_curl_config_feeds_curl():
    """README quickstart: hmac1 sign --format curl | curl -K - ... sends the right headers."""
    secret, ts = "sk_quote\"and\\backslash", "1782036000000"
    body = '{"visitor_user_id":"user-123","visitor_display_name":"Mary","locale":"en"}'
    rc, out, err = run(["sign", "--secret", secret, "--tenant", TENANT, "--timestamp-ms", ts,
                        "--body", body, "--format", "curl"])
    want = python_recipe(secret, ts, body.encode())
    check("sign --format curl", rc == 0 and out.splitlines() == [
        f'header = "X-Bloonio-Tenant-Id: {TENANT}"',
        f'header = "X-Bloonio-Timestamp: {ts}"',
        f'header = "X-Bloonio-Signature: {want[2]}"'], out + err)
    if shutil.which("curl") is None:
        print("SKIP curl -K -: no curl command")
        return
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            seen["body"] = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen["headers"] = {k.lower(): v for k, v in self.headers.items()}
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    p = subprocess.run(["curl", "-s", "-K", "-", f"http://127.0.0.1:{server.server_port}/x",
                        "--data-binary", body], input=out.encode(), capture_output=True,
                       timeout=30)
    thread.join(10)
    server.server_close()
    h = seen.get("headers", {})
    check("curl -K - sends the signed headers", p.returncode == 0
          and h.get("x-bloonio-signature") == want[2] and h.get("x-bloonio-timestamp") == ts
          and h.get("x-bloonio-tenant-id") == TENANT and seen.get("body") == body.encode(),
          f"{p.returncode} {p.stderr!r} {seen}")


def verify(args):
    rc, out, err = run(["verify", "--format", "json"] + args)
    try:
        return rc, json.loads(out)
    except ValueError:
        return rc, {"_raw": out + err}


def test_verify_exit_codes_and_steps():
    secret, ts = "sk_test_secret", "1782036000000"
    body = '{"visitor_user_id":"user-123","visitor_display_name":"Mary","locale":"en"}'
    _, _, sig = python_recipe(secret, ts, body.encode())
    base = ["--tenant", TENANT, "--timestamp", ts, "--body", body]

    rc, v = verify(["--secret", secret, "--signature", sig, "--now-ms", "1782036030000"] + base)
    check("verify accepts at +30000 ms", rc == 0 and v.get("verdict") == "accepted", v)
    rc, v = verify(["--secret", secret, "--signature", sig, "--now-ms", "1782036030001"] + base)
    check("verify refuses at +30001 ms", rc == 1 and v.get("failed_step") == "window"
          and v.get("error") == "stale_timestamp" and v.get("status") == 401, v)
    rc, v = verify(["--secret", "sk_other", "--signature", sig, "--now-ms", ts] + base)
    check("verify refuses wrong secret", rc == 1 and v.get("failed_step") == "signature"
          and v.get("error") == "invalid_signature"
          and v.get("expected_signature") == python_recipe("sk_other", ts, body.encode())[2], v)
    rc, v = verify(["--unknown-tenant", "--signature", sig, "--now-ms", ts] + base)
    check("verify refuses unknown tenant like a bad signature",
          rc == 1 and v.get("error") == "invalid_signature", v)
    rc, v = verify(["--secret", secret, "--signature", sig, "--now-ms", ts, "--suspended"] + base)
    check("verify refuses suspended tenant with 403", rc == 1 and v.get("status") == 403
          and v.get("failed_step") == "tenant_status", v)
    rc, v = verify(["--secret", secret, "--signature", sig[:63], "--now-ms", ts] + base)
    check("verify refuses 63-char signature at headers", rc == 1
          and v.get("failed_step") == "headers" and v.get("error") == "missing_signature", v)
    rc, v = verify(["--secret", secret, "--signature", sig.upper(), "--now-ms", ts] + base)
    check("verify explains uppercase hex", rc == 1 and v.get("failed_step") == "signature"
          and any("uppercase" in h for h in v.get("hints", [])), v)
    # classic bugs: seconds, re-serialized JSON
    secs = ts[:-3]
    _, _, sig_s = python_recipe(secret, secs, body.encode())
    rc, v = verify(["--secret", secret, "--tenant", TENANT, "--timestamp", secs, "--signature",
                    sig_s, "--body", body, "--now-ms", ts])
    check("verify explains a timestamp in seconds", rc == 1 and v.get("failed_step") == "window"
          and any("SECONDS" in h for h in v.get("hints", [])), v)
    python_body = json.dumps(json.loads(body)).encode()
    _, _, sig_py = python_recipe(secret, ts, python_body)
    rc, v = verify(["--secret", secret, "--signature", sig_py, "--now-ms", ts] + base)
    check("verify explains a re-serialized JSON body", rc == 1
          and any("re-serialized" in h and "json.dumps" in h for h in v.get("hints", []))
          and v.get("compact_json_sha256") == hashlib.sha256(body.encode()).hexdigest(), v)
    rc, out, _ = run(["verify", "--secret", secret, "--signature", sig, "--now-ms", ts] + base)
    check("verify text output", rc == 0 and "accepted" in out and sig in out, out)


def test_usage_errors_exit_2():
    bad = [
        [], ["nope"], ["sign"], ["sign", "--bogus"], ["sign", "--secret"],
        ["sign", "--secret", "s"],
        ["sign", "--secret", "s", "--tenant", "t", "--timestamp-ms", "17e11"],
        ["sign", "--secret", "s", "--tenant", "t", "--timestamp-ms", "-1"],
        ["sign", "--secret", "s", "--tenant", "t", "--body-file", "/nonexistent/body"],
        ["sign", "--secret", "s", "--tenant", "t", "--body", "a", "--body-file", "/etc/hostname"],
        ["sign", "--secret", "s", "--tenant", "t", "--format", "xml"],
        ["verify", "--secret", "s", "--tenant", "t", "--timestamp", "1", "--signature", "x",
         "--format", "curl"],
        ["sign", "--secret-env", "HMAC1_SURELY_UNSET_VAR", "--tenant", "t"],
        ["sign", "--secret", "s", "--tenant", "t", "stray"],
        ["verify", "--secret", "s", "--tenant", "t", "--timestamp", "1"],
        ["verify", "--tenant", "t", "--timestamp", "1", "--signature", "x"],
        ["verify", "--secret", "s", "--tenant", "t", "--timestamp", "1", "--signature", "x",
         "--now-ms", "soon"],
        ["vectors"], ["vectors", "/nonexistent.json"], ["vectors", "--bogus"],
    ]
    for args in bad:
        rc, _, err = run(args)
        check(f"usage error {args}", rc == 2 and err.strip() != "", f"exit {rc}, stderr {err!r}")
    for sub in (["--help"], ["sign", "--help"], ["verify", "--help"], ["vectors", "--help"]):
        rc, out, _ = run(sub)
        check(f"help {sub}", rc == 0 and "usage" in out, out)


def test_vectors():
    files = [os.path.join(VECTORS, f) for f in
             ("hmac1_sign.json", "hmac1_verify.json", "callbacks.json", "origins.json")]
    files = [f for f in files if os.path.exists(f)]
    rc, out, err = run(["vectors"] + files)
    lines = out.splitlines()
    check("vectors pass", rc == 0 and lines and lines[-1].endswith(" 0 failed")
          and all(l.startswith("PASS ") for l in lines[:-1]), out[-500:] + err)
    # the README's `hmac1 vectors vectors/*.json`: schema files are skipped
    rc, out, err = run(["vectors"] + sorted(glob.glob(os.path.join(VECTORS, "*.json"))))
    check("vectors over vectors/*.json skips the schemas", rc == 0
          and "SKIP " in out and out.splitlines()[-1].endswith(" 0 failed"), out[-300:] + err)
    # a corrupted copy must fail, naming the case
    tmp = tempfile.mkdtemp()
    try:
        with open(files[0]) as f:
            doc = json.load(f)
        case = doc["testGroups"][0]["tests"][0]
        case["signature"] = ("0" if case["signature"][0] != "0" else "1") + case["signature"][1:]
        path = os.path.join(tmp, "corrupt.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        rc, out, _ = run(["vectors", path])
        check("vectors fail on a corrupted case", rc == 1
              and f"FAIL {case['id']}" in out and out.splitlines()[-1].endswith(" 1 failed"), out)
    finally:
        shutil.rmtree(tmp)


test_sign_matches_python_recipe()
test_sign_curl_config_feeds_curl()
test_verify_exit_codes_and_steps()
test_usage_errors_exit_2()
test_vectors()
print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
