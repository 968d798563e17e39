#!/usr/bin/env python3
"""WebSocket capacity and push benchmark: N widget sockets held by one mock.

Prints figures; asserts nothing (SPEC.md §8, §13).

  scripts/bench_ws.py [--build build] [--sockets 10000] [--per-conversation 100] [--json FILE]

1. starts mock-relay with --ws-max-sockets raised to N, --conns-per-ip 0 (every socket comes
   from 127.0.0.1) and its descriptor limit raised to the hard limit; provisions one tenant and creates
   N / --per-conversation visitor sessions (one conversation each);
2. bench-ws-hold opens --per-conversation sockets with each session's token, waits
   for every welcome frame and keeps them all open: the mock holds N sockets;
3. one message per conversation is posted through the relay API
   (POST /api/v1/relay/send/message, HMAC#1-signed, content "t=<wall-clock us>");
   bench-ws-hold counts the frames and the push latency (frame received - POST
   sent) on every socket: each message must reach every socket of its conversation;
4. the mock's VmRSS and thread count with the sockets open; then each socket must
   still answer a ping ("alive").
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_signed import (ADMIN, call, loadavg, provision, rss_kib, sign,  # noqa: E402
                          start_mock)

ORIGIN = "https://bench.example"


def threads(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def ws_bench(bindir, sockets, per_conv, log=print):
    nofile = raise_nofile()  # inherited by the mock and bench-ws-hold
    res = {"sockets": sockets, "per_conversation": per_conv, "nofile": nofile,
           "load_before": loadavg()}
    mock, mport = start_mock(bindir, 2, ["--ws-max-sockets", str(max(1024, sockets)),
                                         "--conns-per-ip", "0"])
    base = "http://127.0.0.1:%d" % mport
    hold = None
    try:
        ((tid, sk, _, data),) = provision(base, 1, origins=[ORIGIN])
        wpk = data["widget_public_key"]
        n_conv = (sockets + per_conv - 1) // per_conv
        log("bench_ws: %d visitor sessions, %d sockets each" % (n_conv, per_conv))
        tokens = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
        left = sockets
        for _ in range(n_conv):
            body = json.dumps({"tenant_id": tid, "widget_public_key": wpk,
                               "origin": ORIGIN}).encode()
            st, env = call(base + "/api/v1/create/visitor-session", "POST", body,
                           {"Content-Type": "application/json"})
            if st != 201:
                sys.exit("bench_ws: create/visitor-session answered %d" % st)
            k = min(per_conv, left)
            left -= k
            tokens.write((env["data"]["visitor_token"] + "\n") * k)
        tokens.close()
        rss0 = rss_kib(mock.pid)
        hold = subprocess.Popen([os.path.join(bindir, "bench-ws-hold"), str(mport), tokens.name],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        log("bench_ws: opening %d WebSockets" % sockets)
        opened = hold.stdout.readline().split()
        convs = []
        for line in hold.stdout:
            if line.strip() == "end":
                break
            convs.append(line.split()[1])
        res["open"], res["open_failed"], res["open_ms"] = int(opened[1]), int(opened[3]), \
            int(opened[5])
        res["rss_open"] = rss_kib(mock.pid)
        res["threads"] = threads(mock.pid)
        res["rss_before"] = rss0
        # every open socket gets exactly one frame: its conversation's message
        log("bench_ws: %d sockets open; posting one message to each of %d conversations"
            % (res["open"], len(convs)))
        hold.stdin.write("push %d\n" % res["open"])
        hold.stdin.flush()
        posted = 0
        for cid in convs:
            body = json.dumps({"conversation_id": cid, "role": "operator",
                               "content": "t=%d" % int(time.time() * 1e6)}).encode()
            st, _ = call(base + "/api/v1/relay/send/message", "POST", body,
                         dict(sign(tid, sk, body, int(time.time() * 1000)),
                              **{"Content-Type": "application/json"}))
            posted += st == 201
        res["posted"] = posted
        got = hold.stdout.readline().split()
        # "push got G of E p50 A p99 B max C"
        res["push_got"], res["push_expected"] = int(got[2]), int(got[4])
        if len(got) >= 11:
            res["push_p50_ms"] = int(got[6]) / 1000.0
            res["push_p99_ms"] = int(got[8]) / 1000.0
            res["push_max_ms"] = int(got[10]) / 1000.0
        res["rss_after_push"] = rss_kib(mock.pid)
        hold.stdin.close()
        alive = hold.stdout.readline().split()
        res["alive"] = int(alive[1]) if len(alive) == 2 else 0
        hold.wait(120)
        hold = None
        os.unlink(tokens.name)
    finally:
        if hold is not None:
            hold.kill()
        mock.terminate()
        mock.wait()
    res["load_after"] = loadavg()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--sockets", type=int, default=10000)
    ap.add_argument("--per-conversation", type=int, default=100)
    ap.add_argument("--json", metavar="FILE")
    a = ap.parse_args()
    if not 1 <= a.sockets <= 16384:
        sys.exit("bench_ws: --sockets must be 1-16384 (mock-relay --ws-max-sockets)")
    r = ws_bench(os.path.join(a.build, "bin"), a.sockets, a.per_conversation,
                 log=lambda m: sys.stderr.write(m + "\n"))
    print("bench_ws: %d sockets asked (descriptor limit %d), %d open, %d failed, in %d ms"
          % (r["sockets"], r["nofile"], r["open"], r["open_failed"], r["open_ms"]))
    print("  push: %d messages posted, %d of %d frames received; latency p50 %s p99 %s "
          "max %s ms" % (r["posted"], r["push_got"], r["push_expected"],
                         r.get("push_p50_ms"), r.get("push_p99_ms"), r.get("push_max_ms")))
    print("  alive after the push: %d; mock threads %d" % (r["alive"], r["threads"]))
    print("  mock VmRSS %d KiB before the sockets, %d KiB with them open, %d KiB after the "
          "push" % (r["rss_before"], r["rss_open"], r["rss_after_push"]))
    print("  load average %s before, %s after" % (r["load_before"], r["load_after"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=1)


if __name__ == "__main__":
    main()
