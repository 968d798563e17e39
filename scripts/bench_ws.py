#!/usr/bin/env python3
"""WebSocket capacity benchmark: N open widget sockets vs signed HTTP traffic.

Prints figures; asserts nothing (SPEC.md §8, §13; issue: "holds at least 1,000
concurrent open sockets ... without blocking HTTP traffic").

  scripts/bench_ws.py [--build build] [--sockets 1000] [--seconds 10] [--connections 32]

1. starts mock-relay (--threads 2) and provisions tenants;
2. measures signed GETs with wrk (like scripts/bench_signed.py): baseline;
3. creates N visitor sessions and opens N WebSockets with bench-ws-hold, which
   waits for every welcome frame and keeps the sockets open;
4. measures the same signed GETs again while the sockets are open;
5. releases the sockets after checking each still answers a ping.
The mock's thread count and VmRSS are sampled (one event-loop thread for all sockets).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_signed import ADMIN, call, rss_kib, sign, start, wrk, write_lua  # noqa: E402

ORIGIN = "https://bench.example"
T0 = time.time()


def log(msg):
    sys.stderr.write("[%5.1f s] %s\n" % (time.time() - T0, msg))


def threads(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--sockets", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--tenants", type=int, default=64)
    a = ap.parse_args()
    if a.seconds > 25:
        sys.exit("bench_ws: --seconds must be <= 25 (signatures expire after 30 s)")
    if shutil.which("wrk") is None:
        sys.exit("bench_ws: wrk not found (apt-get install wrk)")
    bindir = os.path.join(a.build, "bin")
    mock, mport = start([os.path.join(bindir, "mock-relay"), "--port", "0", "--admin-key", ADMIN,
                         "--threads", "2"], r"listening on http://127\.0\.0\.1:(\d+)")
    base = "http://127.0.0.1:%d" % mport
    hold = None
    try:
        log("mock on port %d; provisioning %d tenants" % (mport, a.tenants))
        reqs = []
        for i in range(a.tenants):
            body = json.dumps({"tenant_name": "bench-%d" % i, "rate_limit_per_min": 10000,
                               "allowed_origins": [ORIGIN]}).encode()
            st, env = call(base + "/api/v1/provision/tenant", "POST", body,
                           {"X-Admin-Key": ADMIN, "Content-Type": "application/json"})
            if st != 201:
                sys.exit("bench_ws: provision answered %d" % st)
            tid, sk = env["data"]["tenant_id"], env["data"]["tenant_secret"]
            wpk = env["data"]["widget_public_key"]
            body = json.dumps({"visitor_user_id": "bench-%d" % i}).encode()
            st, env = call(base + "/api/v1/relay/create/conversation", "POST", body,
                           dict(sign(tid, sk, body, int(time.time() * 1000)),
                                **{"Content-Type": "application/json"}))
            if st != 201:
                sys.exit("bench_ws: create/conversation answered %d" % st)
            reqs.append((tid, sk, env["data"]["id"]))
            if i == 0:
                widget = (tid, wpk)

        log("creating %d visitor sessions" % a.sockets)
        tokens = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
        t0 = time.time()
        for i in range(a.sockets):
            body = json.dumps({"tenant_id": widget[0], "widget_public_key": widget[1],
                               "origin": ORIGIN}).encode()
            st, env = call(base + "/api/v1/create/visitor-session", "POST", body,
                           {"Content-Type": "application/json"})
            if st != 201:
                sys.exit("bench_ws: create/visitor-session answered %d" % st)
            tokens.write(env["data"]["visitor_token"] + "\n")
        tokens.close()
        sessions_s = time.time() - t0

        log("wrk baseline")
        lua = write_lua(reqs, int(time.time() * 1000))
        rps0, lat0, bad0 = wrk(base + "/", a.seconds, a.connections, lua)
        os.unlink(lua)
        thr0, rss0 = threads(mock.pid), rss_kib(mock.pid)

        hold = subprocess.Popen([os.path.join(bindir, "bench-ws-hold"), str(mport), tokens.name],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        log("opening %d WebSockets" % a.sockets)
        opened = hold.stdout.readline().strip()
        log(opened + "; wrk with the sockets open")
        thr1, rss1 = threads(mock.pid), rss_kib(mock.pid)
        lua = write_lua(reqs, int(time.time() * 1000))
        rps1, lat1, bad1 = wrk(base + "/", a.seconds, a.connections, lua)
        os.unlink(lua)
        log("pinging and closing the sockets")
        hold.stdin.close()
        alive = hold.stdout.readline().strip()
        hold.wait(60)
        hold = None
        os.unlink(tokens.name)
        log("done")

        print("bench_ws: mock-relay --threads 2, wrk %d connections, %d s per run, %d tenants"
              % (a.connections, a.seconds, a.tenants))
        print("  %d visitor sessions created in %.1f s" % (a.sockets, sessions_s))
        print("  bench-ws-hold: %s; after the second run: %s" % (opened, alive))
        print("  signed GET, no sockets     %8.0f req/s  p50 %-8s p99 %-8s non-2xx %d"
              % (rps0, lat0.get("50", "?"), lat0.get("99", "?"), bad0))
        print("  signed GET, sockets open   %8.0f req/s  p50 %-8s p99 %-8s non-2xx %d"
              % (rps1, lat1.get("50", "?"), lat1.get("99", "?"), bad1))
        print("  mock threads               %d without sockets, %d with them" % (thr0, thr1))
        print("  mock VmRSS                 %d KiB without sockets, %d KiB with them"
              % (rss0, rss1))
    finally:
        if hold is not None:
            hold.kill()
        mock.terminate()
        mock.wait()


if __name__ == "__main__":
    main()
