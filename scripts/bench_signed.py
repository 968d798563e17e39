#!/usr/bin/env python3
"""Signed-call throughput of mock-relay against a bare libmicrohttpd server.

Prints figures; asserts nothing (speed is measured, not timed in tests).

  scripts/bench_signed.py [--build build] [--seconds 10] [--rounds 5] [--connections 32]
                          [--tenants 2000] [--json FILE]
  scripts/bench_signed.py --soak 1000000     # memory over a million signed calls

Both servers run with the same thread count on 127.0.0.1 and get the same requests
(one wrk Lua script, pre-signed, round-robin over the tenants). The mock serves
GET /api/v1/relay/fetch/conversation (HMAC#1 verified: headers, window, signature,
tenant status, rate limit, store lookup), with its journal and its request log on
(the log goes to a pipe that this script drains). The bare server answers every
request with a fixed small JSON body.

Only 2xx answers count as served. wrk counts every answer with a status >= 400 as
"Non-2xx or 3xx" (the mock never answers 3xx); a round in which either server gave
one such answer, or in which wrk saw socket errors, is printed as INVALID and left
out of every figure of the summary. The limiter must never bite: each tenant's
rate_limit_per_min is the maximum (10,000), --tenants is raised until every tenant
stays under 9,000 requests per 60 s window at the rates this machine reaches (the
estimate is printed), and after the run the requests each tenant received in the
whole run are printed (round-robin, so all within one of each other).

On a shared machine one run's figure swings with whatever else runs, so the two
servers are measured in --rounds alternating pairs (bare then mock, then mock then
bare, ...): each round gives a ratio mock/bare of 2xx per second measured seconds
apart, and the median of the valid rounds is the figure to quote. Each server's CPU
time per request (user + system, from /proc/PID/stat) is printed beside it: it
depends far less on the machine's other load than requests per second do. The load
average is printed before and after, because it says how far to trust the rates.

--soak N instead freezes the mock's clock (PUT /__mock/clock) at the signing time,
so the signatures stay inside the window, provisions enough tenants that N calls
stay under their rate limits, and runs wrk in segments until N 2xx calls were
served, printing VmRSS after each segment: every store and log is bounded, so the
figure should level off after the warm-up.
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ADMIN = "bench-admin-key"
RATE_MAX = 10000      # largest rate_limit_per_min (SPEC §5)
TENANT_BUDGET = 9000  # requests one tenant may get per 60 s window here (10 % margin)
RATE_CEILING = 250000  # signed calls/s no 2-core run here has come near; sizes --tenants


def start(cmd, pattern, stderr=subprocess.DEVNULL):
    """Starts a server that prints its port on stdout; (Popen, port)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stdout.readline()
        m = re.search(pattern, line)
        if m:
            return proc, int(m.group(1))
        if line == "" and proc.poll() is not None:
            break
    proc.kill()
    sys.exit("bench: %s did not start" % cmd[0])


def start_mock(bindir, threads, extra=()):
    """mock-relay on a free port with its request log on (stderr drained by a thread)."""
    proc, port = start([os.path.join(bindir, "mock-relay"), "--port", "0", "--admin-key", ADMIN,
                        "--threads", str(threads)] + list(extra),
                       r"listening on http://127\.0\.0\.1:(\d+)", stderr=subprocess.PIPE)

    def drain(f):
        while f.read(65536):
            pass
    threading.Thread(target=drain, args=(proc.stderr,), daemon=True).start()
    return proc, port


_conns = {}


def call(url, method="GET", body=None, headers=None):
    """One request over a kept-alive connection per host:port; (status, parsed body)."""
    m = re.match(r"http://([^/:]+):(\d+)(/.*)", url)
    key = (m.group(1), int(m.group(2)))
    for attempt in range(2):
        conn = _conns.get(key)
        if conn is None:
            conn = _conns[key] = http.client.HTTPConnection(key[0], key[1], timeout=30)
        try:
            conn.request(method, m.group(3), body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, json.loads(data or b"null")
        except (http.client.HTTPException, OSError):
            conn.close()
            _conns.pop(key, None)
            if attempt == 1:
                raise
    return 0, None


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


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_split(pid):
    """(user, system) CPU seconds of every thread of pid so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tck, int(fields[12]) / tck


def cpu_s(pid):
    """User + system CPU seconds of every thread of pid so far."""
    return sum(cpu_split(pid))


def ms(text):
    """wrk's latency text (e.g. 1.23ms, 870.00us, 1.02s) in milliseconds."""
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text or "")
    if m is None:
        return None
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[m.group(2)]


def wrk_run(url, seconds, connections, lua=None, pid=None, method_lua=None):
    """One wrk run: 2xx count and rate, latency p50/p99/max (ms), non-2xx and socket
    errors, and, when pid is given, that server's CPU seconds during the run."""
    cmd = ["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--latency",
           "--timeout", "10s"]
    if lua:
        cmd += ["-s", lua]
    cpu0 = cpu_split(pid) if pid else (0.0, 0.0)
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    cpu1 = cpu_split(pid) if pid else (0.0, 0.0)
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if m is None:
        sys.exit("bench: wrk gave no figures:\n" + out)
    n = int(m.group(1))
    dur = ms(m.group(2) + m.group(3)) / 1000.0
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    non2xx = int(non2xx.group(1)) if non2xx else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    sock = sum(int(x) for x in sock.groups()) if sock else 0
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    lmax = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", out, re.M)
    ok = n - non2xx
    return {"n": n, "ok": ok, "non2xx": non2xx, "sock_err": sock, "secs": dur,
            "rps2xx": ok / dur if dur else 0.0,
            "p50": ms(lat.get("50")), "p99": ms(lat.get("99")),
            "max": ms(lmax.group(1)) if lmax else None,
            "cpu": sum(cpu1) - sum(cpu0), "cpu_user": cpu1[0] - cpu0[0],
            "cpu_sys": cpu1[1] - cpu0[1], "valid": non2xx == 0 and sock == 0 and ok > 0}


def write_lua(reqs, ts):
    """A wrk script sending each tenant's fetch/conversation signed at ts, round-robin."""
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write("local reqs = {}\n")
    for tid, sk, cid in reqs:
        # wrk.format at load time has no Host of its own (HTTP/1.1 requires one)
        h = dict(sign(tid, sk, b"", ts), Host="127.0.0.1")
        path = "/api/v1/relay/fetch/conversation?conversation_id=" + cid
        lua.write("reqs[#reqs+1] = wrk.format('GET', %s, {%s})\n" % (
            json.dumps(path), ", ".join('[%s]=%s' % (json.dumps(k), json.dumps(v))
                                       for k, v in h.items())))
    # each wrk thread starts at its own offset, so the threads do not hit one tenant together
    lua.write("local i = math.random(0, %d)\nfunction request()\n  i = i + 1\n"
              "  return reqs[(i %% %d) + 1]\nend\n" % (len(reqs) - 1, len(reqs)))
    lua.close()
    return lua.name


def median(xs):
    xs = sorted(xs)
    if not xs:
        return None
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def provision(base, count, origins=None, log=None):
    """count tenants with one conversation each: [(tenant_id, secret, conversation_id)]."""
    reqs = []
    for i in range(count):
        fields = {"tenant_name": "bench-%d" % i, "rate_limit_per_min": RATE_MAX}
        if origins:
            fields["allowed_origins"] = origins
        st, env = call(base + "/api/v1/provision/tenant", "POST", json.dumps(fields).encode(),
                       {"X-Admin-Key": ADMIN, "Content-Type": "application/json"})
        if st != 201:
            sys.exit("bench: provision answered %d" % st)
        tid, sk = env["data"]["tenant_id"], env["data"]["tenant_secret"]
        body = json.dumps({"visitor_user_id": "bench-%d" % i}).encode()
        st, env2 = call(base + "/api/v1/relay/create/conversation", "POST", body,
                        dict(sign(tid, sk, body, int(time.time() * 1000)),
                             **{"Content-Type": "application/json"}))
        if st != 201:
            sys.exit("bench: create/conversation answered %d" % st)
        reqs.append((tid, sk, env2["data"]["id"], env["data"]))
        if log and (i + 1) % 500 == 0:
            log("  %d tenants provisioned" % (i + 1))
    return reqs


def tenants_needed(calls_per_window):
    return calls_per_window // TENANT_BUDGET + 1


def signed_rounds(bindir, a, log=print):
    """The alternating rounds; a dict of every figure (see main for the printing)."""
    # Sized so that the limiter cannot bite even at RATE_CEILING: a round's mock run
    # lasts a.seconds, and at most 60 s of mock runs fall in one 60 s window.
    window_s = min(60, a.seconds * a.rounds)
    tenants = max(a.tenants, tenants_needed(RATE_CEILING * window_s))
    bare, bport = start([os.path.join(bindir, "bench-bare-mhd"), str(a.threads)],
                        r"listening on http://127\.0\.0\.1:(\d+)")
    mock, mport = start_mock(bindir, a.threads)
    base = "http://127.0.0.1:%d" % mport
    res = {"threads": a.threads, "connections": a.connections, "seconds": a.seconds,
           "tenants": tenants, "rounds": [], "load_before": loadavg()}
    try:
        log("bench_signed: provisioning %d tenants" % tenants)
        reqs = [r[:3] for r in provision(base, tenants, log=log)]
        res["rss0"] = rss_kib(mock.pid)
        mock_total = 0
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
            mock_total += m["n"]
            rnd = {"bare": b, "mock": m, "valid": b["valid"] and m["valid"],
                   "load": loadavg()}
            for x in (b, m):
                for src, dst in (("cpu", "cpu_us"), ("cpu_user", "user_us"),
                                 ("cpu_sys", "sys_us")):
                    x[dst] = 1e6 * x[src] / x["ok"] if x["ok"] else None
            rnd["ratio"] = m["rps2xx"] / b["rps2xx"] if b["rps2xx"] else None
            res["rounds"].append(rnd)
            log(format_round(r + 1, rnd))
        res["rss1"] = rss_kib(mock.pid)
        res["per_tenant_total"] = mock_total / len(reqs)
        res["load_after"] = loadavg()
    finally:
        for p in (bare, mock):
            p.terminate()
            p.wait()
    valid = [x for x in res["rounds"] if x["valid"]]
    res["valid_rounds"] = len(valid)
    if valid:
        res["ratio"] = median([x["ratio"] for x in valid])
        res["ratio_min"] = min(x["ratio"] for x in valid)
        res["ratio_max"] = max(x["ratio"] for x in valid)
        for who in ("bare", "mock"):
            for k in ("rps2xx", "cpu_us", "user_us", "sys_us", "p50", "p99", "max"):
                res["%s_%s" % (who, k)] = median([x[who][k] for x in valid
                                                  if x[who][k] is not None])
        # as the 2xx ratio: each round's two servers measured under the same conditions,
        # then the median over the rounds (a quotient of medians would pair rounds apart)
        cpu = [x["mock"]["cpu_us"] / x["bare"]["cpu_us"] for x in valid
               if x["mock"]["cpu_us"] and x["bare"]["cpu_us"]]
        res["cpu_ratio"] = median(cpu) if cpu else None
        res["cpu_ratio_min"] = min(cpu) if cpu else None
        res["cpu_ratio_max"] = max(cpu) if cpu else None
    return res


def fmt_ms(v):
    return "?" if v is None else ("%.2f ms" % v)


def format_round(i, rnd):
    lines = ["  round %d%s   (load average %s)" % (i, "" if rnd["valid"] else "   INVALID",
                                                  rnd["load"])]
    for who, label in (("bare", "bare libmicrohttpd"), ("mock", "mock-relay signed GET")):
        x = rnd[who]
        lines.append("    %-22s %9.0f 2xx/s  p50 %-9s p99 %-9s max %-10s %6s us CPU/2xx"
                     " (user %s, sys %s)   2xx %d  non-2xx %d  socket errors %d"
                     % (label, x["rps2xx"], fmt_ms(x["p50"]), fmt_ms(x["p99"]), fmt_ms(x["max"]),
                        *["?" if x[k] is None else "%.1f" % x[k]
                          for k in ("cpu_us", "user_us", "sys_us")],
                        x["ok"], x["non2xx"], x["sock_err"]))
    lines.append("    ratio mock/bare (2xx/s) %.2f%s" % (rnd["ratio"] or 0,
                                                      "" if rnd["valid"] else
                                                      "   (not counted: non-2xx or errors)"))
    return "\n".join(lines)


def soak(bindir, a, log=print):
    """N signed 2xx calls on a frozen clock; VmRSS after each segment."""
    # the clock is frozen, so is each tenant's rate window: the whole run counts, and
    # the last segment may overshoot N by a segment's worth of calls
    tenants = max(a.tenants, tenants_needed(a.soak + RATE_CEILING * a.segment))
    mock, mport = start_mock(bindir, a.threads)
    base = "http://127.0.0.1:%d" % mport
    res = {"calls_target": a.soak, "tenants": tenants, "samples": []}
    try:
        log("soak: provisioning %d tenants" % tenants)
        reqs = [r[:3] for r in provision(base, tenants, log=log)]
        ts = int(time.time() * 1000)
        st, _ = call(base + "/__mock/clock", "PUT", json.dumps({"now_ms": ts}).encode(),
                     {"X-Admin-Key": ADMIN, "Content-Type": "application/json"})
        if st != 200:
            sys.exit("bench: PUT /__mock/clock answered %d" % st)
        lua = write_lua(reqs, ts)
        served = bad = 0
        res["rss0"] = rss_kib(mock.pid)
        log("soak: %d signed calls over %d tenants, frozen clock; VmRSS %d KiB at start"
            % (a.soak, tenants, res["rss0"]))
        segments = 0
        while served < a.soak and segments < 200:
            r = wrk_run(base + "/", a.segment, a.connections, lua)
            served += r["ok"]
            bad += r["non2xx"] + r["sock_err"]
            segments += 1
            res["samples"].append((served, rss_kib(mock.pid)))
            log("  %9d 2xx served   non-2xx/errors %-7d VmRSS %d KiB"
                % (served, bad, res["samples"][-1][1]))
        os.unlink(lua)
    finally:
        mock.terminate()
        mock.wait()
    res["served"], res["bad"] = served, bad
    res["valid"] = bad == 0
    res["per_tenant"] = served / tenants
    # warm-up: the first sample at or past a tenth of the calls
    warm = next((s for s in res["samples"] if s[0] >= a.soak // 10), res["samples"][0])
    res["rss_warm"], res["rss_end"] = warm[1], res["samples"][-1][1]
    res["warm_calls"] = warm[0]
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--tenants", type=int, default=0,
                    help="at least this many tenants (raised so the limiter never bites)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5,
                    help="alternating bare/mock pairs of runs; the median ratio is quoted")
    ap.add_argument("--soak", type=int, default=0, metavar="N",
                    help="serve N signed calls on a frozen clock, printing memory as it goes")
    ap.add_argument("--segment", type=int, default=5, help="seconds per soak segment")
    ap.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    a = ap.parse_args()
    if a.seconds > 12:
        sys.exit("bench: --seconds must be <= 12 (a round signs once; signatures expire "
                 "after 30 s)")
    if a.rounds < 1:
        sys.exit("bench: --rounds must be >= 1")
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk not found (apt-get install wrk, or scripts/setup.sh --bench)")
    bindir = os.path.join(a.build, "bin")
    if a.soak:
        res = soak(bindir, a)
        print("soak: %d 2xx calls (%d non-2xx/errors), %d tenants, %.0f calls per tenant "
              "(limit %d per window, frozen clock)" % (res["served"], res["bad"],
                                                       res["tenants"], res["per_tenant"],
                                                       RATE_MAX))
        print("  VmRSS %d KiB at start, %d KiB after warm-up (%d calls), %d KiB at the end"
              % (res["rss0"], res["rss_warm"], res["warm_calls"], res["rss_end"]))
    else:
        print("bench_signed: %d threads, %d connections, %d s per run, %d rounds, load "
              "average %s" % (a.threads, a.connections, a.seconds, a.rounds, loadavg()))
        res = signed_rounds(bindir, a)
        print("  tenants %d; each received %.0f signed requests in the whole run "
              "(limit %d per 60 s window)" % (res["tenants"], res["per_tenant_total"], RATE_MAX))
        if not res["valid_rounds"]:
            print("  NO VALID ROUND: every round had non-2xx answers or socket errors")
        else:
            print("  ratio mock/bare 2xx/s   %6.2f median of %d valid rounds of %d "
                  "(min %.2f, max %.2f)   (target >= 0.60)"
                  % (res["ratio"], res["valid_rounds"], len(res["rounds"]), res["ratio_min"],
                     res["ratio_max"]))
            print("  CPU per 2xx             %6.1f us bare, %.1f us mock (medians); mock/bare "
                  "%.2f median of the rounds (min %.2f, max %.2f)   (target <= 1.5)"
                  % (res["bare_cpu_us"], res["mock_cpu_us"], res["cpu_ratio"],
                     res["cpu_ratio_min"], res["cpu_ratio_max"]))
            print("    of which user, system %6.1f + %.1f us bare, %.1f + %.1f us mock (medians)"
                  % (res["bare_user_us"], res["bare_sys_us"], res["mock_user_us"],
                     res["mock_sys_us"]))
            print("  mock p50/p99/max        %s / %s / %s (medians of the valid rounds)"
                  % (fmt_ms(res["mock_p50"]), fmt_ms(res["mock_p99"]), fmt_ms(res["mock_max"])))
        print("  mock VmRSS              %d KiB before, %d KiB after" % (res["rss0"], res["rss1"]))
        print("  load average            %s before, %s after" % (res["load_before"],
                                                             res["load_after"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
