#!/usr/bin/env python3
"""Signed writes per second: mock-relay with --state (SQLite, SPEC.md §14) beside in memory.

Prints figures; asserts nothing (a benchmark, not a test).

  scripts/bench_state.py [--build build] [--seconds 10] [--rounds 3] [--connections 32]
                         [--tenants 64] [--convs 8] [--dir DIR]

Each run starts a fresh mock (a fresh state file in --dir for --state: put it on the
disk you care about, not a tmpfs), provisions --tenants tenants (rate limit 10,000 a
minute) with --convs conversations each, then wrk sends POST /api/v1/relay/send/message
(HMAC#1-signed, pre-signed, round-robin over the conversations) for --seconds. Every
such call is a write: with --state it is committed to the file (group commit,
synchronous=NORMAL) before its 201 is sent. Only 201 answers count: the figure is
successful writes per second (wrk's total minus its non-2xx count, over the run's
duration). The two modes alternate over --rounds (memory, state, state, memory, ...)
and the median of each is quoted with the ratio; CPU seconds per 1,000 writes of the
mock process (user + system, /proc/PID/stat) are printed beside them.
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


def start(binary, extra):
    err = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen([binary, "--port", "0", "--admin-key", ADMIN, "--log-format",
                             "json"] + extra, stdout=subprocess.PIPE, stderr=err, text=True)
    proc.errfile = err
    deadline = time.time() + 30
    while time.time() < deadline:
        m = re.search(r":(\d+)$", proc.stdout.readline().strip())
        if m:
            return proc, int(m.group(1))
    proc.kill()
    sys.exit("bench: mock-relay did not start")


def call(url, method="GET", body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    h = dict(headers or {})
    if data is not None:
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def sign(tenant_id, secret, body, ts_ms):
    bh = hashlib.sha256(body).hexdigest()
    sig = hmac.new(secret.encode(), ("%d.%s" % (ts_ms, bh)).encode(), hashlib.sha256).hexdigest()
    return {"X-Bloonio-Tenant-Id": tenant_id, "X-Bloonio-Timestamp": str(ts_ms),
            "X-Bloonio-Signature": sig, "Content-Type": "application/json"}


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def setup(base, tenants, convs):
    """(tenant_id, secret, conversation_id) for every conversation."""
    out = []
    for i in range(tenants):
        st, env = call(base + "/api/v1/provision/tenant", "POST",
                       {"tenant_name": "bench-%d" % i, "rate_limit_per_min": 10000},
                       {"X-Admin-Key": ADMIN})
        if st != 201:
            sys.exit("bench: provision answered %d" % st)
        tid, sk = env["data"]["tenant_id"], env["data"]["tenant_secret"]
        for _ in range(convs):
            body = json.dumps({"visitor_user_id": "bench-visitor"}).encode()
            req = urllib.request.Request(base + "/api/v1/relay/create/conversation", data=body,
                                         method="POST",
                                         headers=sign(tid, sk, body, int(time.time() * 1000)))
            with urllib.request.urlopen(req, timeout=30) as r:
                out.append((tid, sk, json.loads(r.read())["data"]["id"]))
    return out


def write_lua(convs, ts):
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write("local reqs = {}\n")
    for tid, sk, cid in convs:
        body = json.dumps({"conversation_id": cid, "role": "operator",
                           "content": "benchmark message"}).encode()
        h = sign(tid, sk, body, ts)
        lua.write("reqs[#reqs+1] = wrk.format('POST', '/api/v1/relay/send/message', {%s}, %s)\n"
                  % (", ".join('[%s]=%s' % (json.dumps(k), json.dumps(v)) for k, v in h.items()),
                     json.dumps(body.decode())))
    lua.write("local i = 0\nfunction request()\n  i = i + 1\n"
              "  return reqs[(i %% %d) + 1]\nend\n" % len(convs))
    lua.close()
    return lua.name


def run(binary, mode, a):
    """One fresh mock, one wrk run: dict of figures."""
    tmp = tempfile.mkdtemp(prefix="bench_state.", dir=a.dir)
    extra = ["--threads", str(a.threads)]
    if mode == "state":
        extra += ["--state", os.path.join(tmp, "state.db")]
    proc, port = start(binary, extra)
    lua = None
    try:
        base = "http://127.0.0.1:%d" % port
        convs = setup(base, a.tenants, a.convs)
        lua = write_lua(convs, int(time.time() * 1000))
        cpu0 = cpu_s(proc.pid)
        out = subprocess.run(["wrk", "-t2", "-c%d" % a.connections, "-d%ds" % a.seconds,
                              "--latency", "-s", lua, base + "/"],
                             capture_output=True, text=True).stdout
        cpu = cpu_s(proc.pid) - cpu0
        m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
        n, dur = int(m.group(1)), float(m.group(2)) / (1000 if m.group(3) == "ms" else 1)
        non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        bad = int(non2xx.group(1)) if non2xx else 0
        ok = n - bad
        size = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp))
        return {"wps": ok / dur, "ok": ok, "non2xx": bad,
                "lat": dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", out)),
                "cpu_per_k": 1000 * cpu / ok if ok else float("nan"), "bytes": size}
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        proc.errfile.seek(0)
        m = re.search(r"state closed: (\d+) rows written in (\d+) transactions",
                      proc.errfile.read())
        if m:
            print("    (%s rows in %s commits: %.1f rows per commit)" %
                  (m.group(1), m.group(2), int(m.group(1)) / max(1, int(m.group(2)))))
        proc.errfile.close()
        if lua:
            os.unlink(lua)
        shutil.rmtree(tmp, ignore_errors=True)


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--tenants", type=int, default=64)
    ap.add_argument("--convs", type=int, default=8, help="conversations per tenant")
    ap.add_argument("--threads", type=int, default=2, help="mock-relay --threads")
    ap.add_argument("--dir", default=None, help="where the state files go (default: --build)")
    a = ap.parse_args()
    if a.seconds > 25:
        sys.exit("bench: --seconds must be <= 25 (signatures expire after 30 s)")
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk not found (apt-get install wrk)")
    binary = os.path.join(a.build, "bin", "mock-relay")
    a.dir = a.dir or a.build
    fs = subprocess.run(["df", "-T", a.dir], capture_output=True, text=True).stdout.splitlines()
    print("bench_state: %d s runs, %d connections, %d tenants x %d conversations, mock "
          "--threads %d, state files in %s (%s), load average %.1f" %
          (a.seconds, a.connections, a.tenants, a.convs, a.threads, a.dir,
           fs[-1].split()[1] if len(fs) > 1 else "?", os.getloadavg()[0]))
    res = {"memory": [], "state": []}
    for r in range(a.rounds):
        for mode in (("memory", "state") if r % 2 == 0 else ("state", "memory")):
            f = run(binary, mode, a)
            res[mode].append(f)
            print("  round %d %-6s %8.0f writes/s (%d ok, %d non-2xx)  p50 %s p99 %s  "
                  "%.3f CPU s per 1000 writes%s" %
                  (r + 1, mode, f["wps"], f["ok"], f["non2xx"], f["lat"].get("50", "?"),
                   f["lat"].get("99", "?"), f["cpu_per_k"],
                   "  file %.1f MB" % (f["bytes"] / 1e6) if mode == "state" else ""))
    mem = median([f["wps"] for f in res["memory"]])
    state = median([f["wps"] for f in res["state"]])
    print("bench_state: median signed writes/s: in memory %.0f, --state %.0f (%.0f%% of "
          "in-memory)" % (mem, state, 100 * state / mem if mem else 0))


if __name__ == "__main__":
    main()
