#!/usr/bin/env python3
"""Signed-call throughput of mock-relay against a bare libmicrohttpd server.

Prints figures; asserts nothing (speed is measured, not timed in tests).

  scripts/bench_signed.py [--build build] [--seconds 10] [--rounds 3] [--connections 32]
                          [--tenants 64]
  scripts/bench_signed.py --soak 1000000     # memory over a million signed calls

Both servers run with the same thread count on 127.0.0.1 and get the same requests
(one wrk Lua script, pre-signed, round-robin over the tenants). The mock serves
GET /api/v1/relay/fetch/conversation (HMAC#1 verified: headers, window, signature,
tenant status, rate limit, store lookup). Each tenant's rate limit is the maximum
(10,000 a minute), so the load is spread over --tenants pre-signed requests to stay
on the happy path. The requests are signed afresh before each round, and a run must
stay under the 30 s window (--seconds <= 25). The mock's memory (VmRSS) is sampled
before and after.

On a shared machine one run's figure swings with whatever else runs, so the two
servers are measured in --rounds alternating pairs (bare then mock, then mock then
bare, ...): each round gives a ratio mock/bare of requests per second measured
seconds apart, and the median of the rounds is the figure to quote. Each server's
CPU time per request (user + system, from /proc/PID/stat) is printed beside it: it
depends far less on the machine's other load than requests per second do.

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


def cpu_s(pid):
    """User + system CPU seconds of every thread of pid so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk_run(url, seconds, connections, lua=None, pid=None):
    """One wrk run: requests/s, latency percentiles, non-2xx count, requests served and,
    when pid is given, that server's CPU seconds during the run."""
    cmd = ["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--latency"]
    if lua:
        cmd += ["-s", lua]
    cpu0 = cpu_s(pid) if pid else 0.0
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    cpu1 = cpu_s(pid) if pid else 0.0
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "lat": dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", out)),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "n": int(re.search(r"(\d+) requests in", out).group(1)),
            "cpu": cpu1 - cpu0}


def wrk(url, seconds, connections, lua=None):
    r = wrk_run(url, seconds, connections, lua)
    return r["rps"], r["lat"], r["non2xx"]


def write_lua(reqs, ts):
    """A wrk script sending each tenant's fetch/conversation signed at ts, round-robin."""
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write("local reqs = {}\n")
    for tid, sk, cid in reqs:
        h = sign(tid, sk, b"", ts)
        # wrk.format() at load time does not add wrk's Host header yet: HTTP/1.1 needs
        # one (RFC 9112 §3.2; the mock answers 400 without it, SPEC §1.9.2)
        h["Host"] = "127.0.0.1"
        path = "/api/v1/relay/fetch/conversation?conversation_id=" + cid
        lua.write("reqs[#reqs+1] = wrk.format('GET', %s, {%s})\n" % (
            json.dumps(path), ", ".join('[%s]=%s' % (json.dumps(k), json.dumps(v))
                                       for k, v in h.items())))
    lua.write("local i = 0\nfunction request()\n  i = i + 1\n"
              "  return reqs[(i %% %d) + 1]\nend\n" % len(reqs))
    lua.close()
    return lua.name


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--tenants", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3,
                    help="alternating bare/mock pairs of runs; the median ratio is quoted")
    ap.add_argument("--soak", type=int, default=0, metavar="N",
                    help="serve N signed calls on a frozen clock, printing memory as it goes")
    a = ap.parse_args()
    if a.soak:
        a.tenants = max(a.tenants, a.soak // 9000 + 1)
    if a.seconds > 25:
        sys.exit("bench: --seconds must be <= 25 (signatures expire after 30 s)")
    if a.rounds < 1:
        sys.exit("bench: --rounds must be >= 1")
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
            lua = write_lua(reqs, ts)
            served = bad = 0
            print("soak: %d signed calls over %d tenants, frozen clock; VmRSS %d KiB at start"
                  % (a.soak, len(reqs), rss0))
            while served < a.soak:
                n, nb = wrk_count(base + "/", 10, a.connections, lua)
                served += n
                bad += nb
                print("  %9d calls served   non-2xx %-7d VmRSS %d KiB"
                      % (served, bad, rss_kib(mock.pid)), flush=True)
            os.unlink(lua)
            return

        print("bench_signed: %d threads, %d connections, %d s per run, %d tenants, %d rounds"
              % (a.threads, a.connections, a.seconds, a.tenants, a.rounds))
        ratios, bcpu, mcpu = [], [], []
        for r in range(a.rounds):
            # The same requests (same Lua script, same headers) to both servers, so the
            # load generator costs the same on this shared machine either way.
            lua = write_lua(reqs, int(time.time() * 1000))
            runs = {}
            for who in (("bare", "mock") if r % 2 == 0 else ("mock", "bare")):
                if who == "bare":
                    runs[who] = wrk_run("http://127.0.0.1:%d/" % bport, a.seconds,
                                        a.connections, lua, bare.pid)
                else:
                    runs[who] = wrk_run(base + "/", a.seconds, a.connections, lua, mock.pid)
            os.unlink(lua)
            b, m = runs["bare"], runs["mock"]
            ratios.append(m["rps"] / b["rps"] if b["rps"] else 0)
            bcpu.append(1e6 * b["cpu"] / b["n"] if b["n"] else 0)
            mcpu.append(1e6 * m["cpu"] / m["n"] if m["n"] else 0)
            print("  round %d" % (r + 1))
            print("    bare libmicrohttpd     %10.0f req/s   p50 %-8s p99 %-8s   %5.1f us CPU/req"
                  % (b["rps"], b["lat"].get("50", "?"), b["lat"].get("99", "?"), bcpu[-1]))
            print("    mock-relay signed GET  %10.0f req/s   p50 %-8s p99 %-8s   %5.1f us CPU/req"
                  "   non-2xx %d" % (m["rps"], m["lat"].get("50", "?"), m["lat"].get("99", "?"),
                                     mcpu[-1], m["non2xx"]))
            print("    ratio mock/bare        %10.2f" % ratios[-1], flush=True)
        rss1 = rss_kib(mock.pid)
        print("  ratio mock/bare req/s    %8.2f median of %d rounds (min %.2f, max %.2f)"
              "   (target >= 0.50)" % (median(ratios), a.rounds, min(ratios), max(ratios)))
        print("  CPU per request          %8.1f us bare, %.1f us mock (medians): ratio %.2f"
              % (median(bcpu), median(mcpu),
                 median(bcpu) / median(mcpu) if median(mcpu) else 0))
        print("  mock VmRSS               %d KiB before, %d KiB after" % (rss0, rss1))
    finally:
        for p in (bare, mock):
            p.terminate()
            p.wait()


if __name__ == "__main__":
    main()
