#!/usr/bin/env python3
"""Stall test (SPEC.md §1.9.1): one peer holding thousands of incomplete connections
must not stop another client from being served.

    scripts/http_stall.py --bin build/bin/mock-relay [--conns 4096] [--deadline-s 3]

Starts `mock-relay --port 0` with its default options. The attacker, on 127.0.0.1,
opens --conns connections, sends each an incomplete request (a request line and part of
a header section, never the empty line) and keeps trickling one more byte on every
connection still open between probes. Once the mock has taken or refused them all (the
number it holds stops changing; a probe made during the burst must be served within
--burst-deadline-s, 15 s: it waits in the listen queue behind the attacker's
connections, which a slow sanitizer build takes seconds to drain), another
client, on 127.0.0.2 (loopback too, another address), makes a request on a new connection five times; each must be
answered 200 within --deadline-s (an outcome, not a timing: without the per-address
share the client is not served at all until the attacker's connections time out, 30 s).
Then the attacker lets go and 127.0.0.1 is served again.

Needs --conns + 512 file descriptors: the soft RLIMIT_NOFILE is raised up to the hard
limit, and --conns is scaled down (with a message) when the hard limit is lower; below
1,024 connections the test is skipped (exit 77).

Prints the figures: connections opened, held by the mock, refused, and each probe's
latency. Exits 0 on success, 1 on failure.
"""
import argparse
import os
import resource
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_http as hh  # noqa: E402  (Mock)

PARTIAL = b"GET /__mock/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
SKIP = 77


def fd_budget(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = want + 512
    if soft < need:
        new = need if hard == resource.RLIM_INFINITY or hard >= need else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return max(0, soft - 512)


def probe(port, source, deadline):
    """One request on a new connection from `source`: (status or None, seconds)."""
    t0 = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(deadline)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /__mock/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Admin-Key: " +
                  hh.ADMIN_KEY.encode() + b"\r\nConnection: close\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            left = deadline - (time.monotonic() - t0)
            if left <= 0:
                return None, time.monotonic() - t0
            s.settimeout(left)
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else None
        return status, time.monotonic() - t0
    except (OSError, ValueError, IndexError):
        return None, time.monotonic() - t0
    finally:
        s.close()


def still_open(socks):
    """The sockets the mock has not closed (no EOF or reset pending)."""
    poller = select.poll()
    for s in socks:
        poller.register(s, select.POLLIN)
    ready = {fd for fd, _ in poller.poll(0)}
    alive = []
    for s in socks:
        if s.fileno() not in ready:
            alive.append(s)
            continue
        try:
            if s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                alive.append(s)  # an answer (should not happen): counts as held
            else:
                s.close()
        except BlockingIOError:
            alive.append(s)
        except OSError:
            s.close()
    return alive


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--conns", type=int, default=4096)
    ap.add_argument("--deadline-s", type=float, default=3.0)
    ap.add_argument("--burst-deadline-s", type=float, default=15.0)
    ap.add_argument("--probes", type=int, default=5)
    a = ap.parse_args()

    conns = min(a.conns, fd_budget(a.conns))
    if conns < a.conns:
        print("http_stall: RLIMIT_NOFILE allows %d connections, not %d: scaled down" %
              (conns, a.conns))
    if conns < 1024:
        print("http_stall: SKIPPED: fewer than 1,024 descriptors available (ulimit -Hn)")
        return SKIP
    try:
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.close()
    except OSError as e:
        print("http_stall: SKIPPED: cannot bind 127.0.0.2 (%s)" % e)
        return SKIP

    failures = []
    mock = hh.Mock(a.bin)
    socks = []
    refused = 0
    figures = []
    try:
        # baseline: the other client before the attack
        status, t = probe(mock.port, "127.0.0.2", a.deadline_s)
        if status != 200:
            failures.append("baseline probe before the attack: %r" % status)
        t0 = time.monotonic()
        for i in range(conns):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(2)
            try:
                s.bind(("127.0.0.1", 0))
                s.connect(("127.0.0.1", mock.port))
                s.sendall(PARTIAL)
                socks.append(s)
            except OSError:
                refused += 1
                s.close()
        opened = len(socks)
        open_s = time.monotonic() - t0
        # during the burst the other client waits behind the attacker's connections in the
        # listen queue, which the mock accepts (and past the share, closes) in order: a
        # longer deadline (a slow sanitizer build takes seconds to drain 4,096)
        status, t = probe(mock.port, "127.0.0.2", a.burst_deadline_s)
        print("http_stall: probe during the burst from 127.0.0.2: %s in %.3f s" % (status, t))
        if status != 200:
            failures.append("probe during the burst from 127.0.0.2: %s within %.1f s" % (
                status, a.burst_deadline_s))
        # then wait until the mock has taken (or refused) them all: the count stops moving
        settle_t0 = time.monotonic()
        held = -1
        while time.monotonic() - settle_t0 < 30:
            time.sleep(0.5)
            socks = still_open(socks)
            if len(socks) == held:
                break
            held = len(socks)
        print("http_stall: the mock settled %.1f s after the burst" % (
            time.monotonic() - settle_t0))
        print("http_stall: attacker 127.0.0.1: %d connections attempted in %.1f s, %d "
              "connected, %d held by the mock, %d closed by it, %d not connected" % (
                  conns, open_s, opened, held, opened - held, refused))
        if held < 256:
            failures.append("the attack did not take: only %d incomplete connections held" % held)
        for p in range(a.probes):
            for s in socks:  # trickle: one more byte each, the request never completes
                try:
                    s.send(b"x")
                except OSError:
                    pass
            status, t = probe(mock.port, "127.0.0.2", a.deadline_s)
            figures.append(t)
            print("http_stall: probe %d from 127.0.0.2 while %d held: %s in %.3f s" % (
                p + 1, len(socks), status, t))
            if status != 200:
                failures.append("probe %d from 127.0.0.2: %s within %.1f s (want 200)" % (
                    p + 1, status, a.deadline_s))
            time.sleep(2.0)
            socks = still_open(socks)
        status, t = probe(mock.port, "127.0.0.1", a.deadline_s)
        print("http_stall: a new connection from the attacker's own address while it holds "
              "its share: %s" % (status if status is not None else "not served"))
    finally:
        for s in socks:
            s.close()
    # the attacker let go: its address is served again (the mock sees the closes)
    deadline = time.monotonic() + 30
    status = None
    while time.monotonic() < deadline:
        status, t = probe(mock.port, "127.0.0.1", a.deadline_s)
        if status == 200:
            break
        time.sleep(0.5)
    if status != 200:
        failures.append("127.0.0.1 not served again within 30 s of letting go: %r" % status)
    rc, log = mock.stop()
    if rc != 0:
        failures.append("mock-relay exit status %r after SIGTERM" % rc)
    for mark in hh.SANITIZER_MARKS:
        if mark in log:
            failures.append("sanitizer report: %s" % log[log.index(mark):][:2000])
            break
    if figures:
        print("http_stall: probe latency min %.3f s, max %.3f s (deadline %.1f s)" % (
            min(figures), max(figures), a.deadline_s))
    if failures:
        print("http_stall: FAILED", file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
        return 1
    print("http_stall: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
