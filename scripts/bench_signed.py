#!/usr/bin/env python3
"""Signed-call throughput of mock-relay against a bare libmicrohttpd server.

Prints figures; asserts nothing (speed is measured, not timed in tests).

  scripts/bench_signed.py [--build build] [--seconds 10] [--connections 32] [--tenants 64]
  scripts/bench_signed.py --soak 1000000     # memory over a million signed calls

Both servers run with the same thread count on 127.0.0.1 and get the same requests
(one wrk Lua script, pre-signed, round-robin over the tenants). The mock serves
GET /api/v1/relay/fetch/conversation (HMAC#1 verified: headers, window, signature,
tenant status, rate limit, store lookup). Each tenant's rate limit is the maximum
(10,000 a minute), so the load is spread over --tenants pre-signed requests to stay
on the happy path. Timestamps are signed at start; a run must stay under the 30 s
window (--seconds <= 25). The mock's memory (VmRSS) is sampled before and after.

--soak N instead freezes the mock's clock (PUT /__mock/clock) at the signing time,
so the signatures stay inside the window, provisions enough tenants that N calls
stay under their rate limits, and runs wrk in 10 s segments until N calls were
served, printing VmRSS after each segment: every store and log is bounded, so the
figure should level off.
"""
import argparse
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ADMIN = "bench-admin-key"


def start(cmd, pattern):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.time() + 10
    while time.time() < deadline:
        line = proc.stdout.readline()
        m = re.search(pattern, line)
        if m:
            return proc, int(m.group(1))
    proc.kill()
    sys.exit("bench: %s did not start" % cmd[0])


def call(url, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def sign(tenant_id, secret, body, ts_ms):
    bh = hashlib.sha256(body).hexdigest()
    sig = hmac.new(secret.encode(), ("%d.%s" % (ts_ms, bh)).encode(), hashlib.sha256).hexdigest()
    return {"X-Bloonio-Tenant-Id": tenant_id, "X-Bloonio-Timestamp": str(ts_ms),
            "X-Bloonio-Signature": sig}


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wrk_count(url, seconds, connections, lua):
    out = subprocess.run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "-s", lua, url],
                         capture_output=True, text=True).stdout
    n = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return n, int(non2xx.group(1)) if non2xx else 0


def wrk(url, seconds, connections, lua=None):
    cmd = ["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--latency"]
    if lua:
        cmd += ["-s", lua]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, lat, int(non2xx.group(1)) if non2xx else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--tenants", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--soak", type=int, default=0, metavar="N",
                    help="serve N signed calls on a frozen clock, printing memory as it goes")
    a = ap.parse_args()
    if a.soak:
        a.tenants = max(a.tenants, a.soak // 9000 + 1)
    if a.seconds > 25:
        sys.exit("bench: --seconds must be <= 25 (signatures expire after 30 s)")
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk not found (apt-get install wrk)")
    bindir = os.path.join(a.build, "bin")

    bare, bport = start([os.path.join(bindir, "bench-bare-mhd"), str(a.threads)],
                        r"listening on http://127\.0\.0\.1:(\d+)")
    mock, mport = start([os.path.join(bindir, "mock-relay"), "--port", "0", "--admin-key", ADMIN,
                         "--threads", str(a.threads)], r"listening on http://127\.0\.0\.1:(\d+)")
    base = "http://127.0.0.1:%d" % mport
    try:
        reqs = []
        for i in range(a.tenants):
            body = json.dumps({"tenant_name": "bench-%d" % i, "rate_limit_per_min": 10000}).encode()
            st, env = call(base + "/api/v1/provision/tenant", "POST", body,
                           {"X-Admin-Key": ADMIN, "Content-Type": "application/json"})
            if st != 201:
                sys.exit("bench: provision answered %d" % st)
            tid, sk = env["data"]["tenant_id"], env["data"]["tenant_secret"]
            body = json.dumps({"visitor_user_id": "bench-%d" % i}).encode()
            ts = int(time.time() * 1000)
            st, env = call(base + "/api/v1/relay/create/conversation", "POST", body,
                           dict(sign(tid, sk, body, ts), **{"Content-Type": "application/json"}))
            if st != 201:
                sys.exit("bench: create/conversation answered %d" % st)
            reqs.append((tid, sk, env["data"]["id"]))

        rss0 = rss_kib(mock.pid)
        ts = int(time.time() * 1000)
        if a.soak:
            st, _ = call(base + "/__mock/clock", "PUT", json.dumps({"now_ms": ts}).encode(),
                         {"X-Admin-Key": ADMIN, "Content-Type": "application/json"})
            if st != 200:
                sys.exit("bench: PUT /__mock/clock answered %d" % st)
        lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        lua.write("local reqs = {}\n")
        for tid, sk, cid in reqs:
            h = sign(tid, sk, b"", ts)
            path = "/api/v1/relay/fetch/conversation?conversation_id=" + cid
            lua.write("reqs[#reqs+1] = wrk.format('GET', %s, {%s})\n" % (
                json.dumps(path), ", ".join('[%s]=%s' % (json.dumps(k), json.dumps(v))
                                           for k, v in h.items())))
        lua.write("local i = 0\nfunction request()\n  i = i + 1\n"
                  "  return reqs[(i %% %d) + 1]\nend\n" % len(reqs))
        lua.close()

        if a.soak:
            served = bad = 0
            print("soak: %d signed calls over %d tenants, frozen clock; VmRSS %d KiB at start"
                  % (a.soak, len(reqs), rss0))
            while served < a.soak:
                n, nb = wrk_count(base + "/", 10, a.connections, lua.name)
                served += n
                bad += nb
                print("  %9d calls served   non-2xx %-7d VmRSS %d KiB"
                      % (served, bad, rss_kib(mock.pid)), flush=True)
            os.unlink(lua.name)
            return

        # The same requests (same Lua script, same headers) to both servers, so the load
        # generator costs the same on this shared machine either way.
        brps, blat, _ = wrk("http://127.0.0.1:%d/" % bport, a.seconds, a.connections, lua.name)
        mrps, mlat, non2xx = wrk(base + "/", a.seconds, a.connections, lua.name)
        rss1 = rss_kib(mock.pid)
        os.unlink(lua.name)

        print("bench_signed: %d threads, %d connections, %d s per run, %d tenants"
              % (a.threads, a.connections, a.seconds, a.tenants))
        print("  bare libmicrohttpd     %10.0f req/s   p50 %-8s p99 %s"
              % (brps, blat.get("50", "?"), blat.get("99", "?")))
        print("  mock-relay signed GET  %10.0f req/s   p50 %-8s p99 %s   non-2xx %d"
              % (mrps, mlat.get("50", "?"), mlat.get("99", "?"), non2xx))
        print("  ratio mock/bare        %10.2f   (target >= 0.50)" % (mrps / brps if brps else 0))
        print("  mock VmRSS             %d KiB before, %d KiB after" % (rss0, rss1))
    finally:
        for p in (bare, mock):
            p.terminate()
            p.wait()


if __name__ == "__main__":
    main()
