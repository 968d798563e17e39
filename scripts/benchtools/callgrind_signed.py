#!/usr/bin/env python3
"""Instructions per HMAC#1-signed call of mock-relay, counted by callgrind.

Wall-clock figures on a shared machine are noisy; an instruction count is not. This
runs mock-relay under `valgrind --tool=callgrind` (one worker thread), provisions
--tenants tenants with a conversation each, freezes the mock's clock at the signing
time, and sends the same pre-signed GET /api/v1/relay/fetch/conversation as
scripts/bench_signed.py over one keep-alive connection, twice: --calls calls, then
2 x --calls calls. The difference of the two totals, divided by --calls, is the
cost of one signed call (daemon, HMAC#1 gate, handler, journal, log), with start-up,
provisioning and shutdown cancelled out. --bare counts bench-bare-mhd on the same
requests: the baseline of scripts/bench_signed.py.

  scripts/benchtools/callgrind_signed.py [--build build] [--calls 2000] [--tenants 8] [--bare] [--keep FILE]
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ADMIN = "bench-admin-key"


def sign(tenant_id, secret, body, ts_ms):
    bh = hashlib.sha256(body).hexdigest()
    sig = hmac.new(secret.encode(), ("%d.%s" % (ts_ms, bh)).encode(), hashlib.sha256).hexdigest()
    return {"X-Bloonio-Tenant-Id": tenant_id, "X-Bloonio-Timestamp": str(ts_ms),
            "X-Bloonio-Signature": sig}


def call(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    return r.status, json.loads(data or b"null")


def run(cmd, calls, tenants, keep=None):
    """Total instructions of one server run that serves `calls` signed calls."""
    bare = "bench-bare-mhd" in cmd[0]
    out = tempfile.NamedTemporaryFile(suffix=".callgrind", delete=False)
    out.close()
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out.name]
                            + cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    deadline = time.time() + 60
    while time.time() < deadline:
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", proc.stdout.readline())
        if m:
            port = int(m.group(1))
            break
    if port is None:
        proc.kill()
        sys.exit("callgrind_signed: %s did not start" % cmd[0])
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        json_h = {"Content-Type": "application/json"}
        ts = int(time.time() * 1000)
        reqs = []
        if bare:
            # the same requests; the bare server answers 200 to anything
            for i in range(tenants):
                reqs.append(("/api/v1/relay/fetch/conversation?conversation_id=conv_%032d" % i,
                             sign("tn_%d" % i, "sk_%d" % i, b"", ts)))
        else:
            st, _ = call(conn, "PUT", "/__mock/clock", json.dumps({"now_ms": ts}).encode(),
                         dict(json_h, **{"X-Admin-Key": ADMIN}))
            if st != 200:
                sys.exit("callgrind_signed: PUT /__mock/clock answered %d" % st)
        for i in range(0 if bare else tenants):
            body = json.dumps({"tenant_name": "bench-%d" % i, "rate_limit_per_min": 10000})
            st, env = call(conn, "POST", "/api/v1/provision/tenant", body.encode(),
                           dict(json_h, **{"X-Admin-Key": ADMIN}))
            if st != 201:
                sys.exit("callgrind_signed: provision answered %d" % st)
            tid, sk = env["data"]["tenant_id"], env["data"]["tenant_secret"]
            body = json.dumps({"visitor_user_id": "bench-%d" % i}).encode()
            st, env = call(conn, "POST", "/api/v1/relay/create/conversation", body,
                           dict(sign(tid, sk, body, ts), **json_h))
            if st != 201:
                sys.exit("callgrind_signed: create/conversation answered %d" % st)
            reqs.append(("/api/v1/relay/fetch/conversation?conversation_id=" + env["data"]["id"],
                         sign(tid, sk, b"", ts)))
        for i in range(calls):
            path, h = reqs[i % len(reqs)]
            st, _ = call(conn, "GET", path, headers=h)
            if st != 200:
                sys.exit("callgrind_signed: fetch/conversation answered %d" % st)
        conn.close()
    finally:
        proc.terminate()
        proc.wait()
    with open(out.name) as f:
        text = f.read()
    if keep:
        os.replace(out.name, keep)
    else:
        os.unlink(out.name)
    m = re.search(r"^totals:\s+(\d+)", text, re.M) or re.search(r"^summary:\s+(\d+)", text, re.M)
    if m is None:
        sys.exit("callgrind_signed: no totals in the callgrind output")
    return int(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--tenants", type=int, default=8)
    ap.add_argument("--bare", action="store_true",
                    help="count bench-bare-mhd instead, with the same requests (the baseline)")
    ap.add_argument("--keep", metavar="FILE",
                    help="keep the callgrind output of the longer run (for callgrind_annotate)")
    a = ap.parse_args()
    if a.calls * 2 > a.tenants * 9000:
        sys.exit("callgrind_signed: more calls than the tenants' rate limits allow")
    if a.bare:
        cmd = [os.path.join(a.build, "bin", "bench-bare-mhd"), "1"]
    else:
        cmd = [os.path.join(a.build, "bin", "mock-relay"), "--port", "0", "--admin-key", ADMIN,
               "--threads", "1"]
    n1 = run(cmd, a.calls, a.tenants)
    n2 = run(cmd, 2 * a.calls, a.tenants, a.keep)
    print("callgrind_signed: %s: %d instructions per %s call (%d calls: %d, %d calls: %d)"
          % (os.path.basename(cmd[0]), (n2 - n1) // a.calls, "bare" if a.bare else "signed",
             a.calls, n1, 2 * a.calls, n2))


if __name__ == "__main__":
    main()
