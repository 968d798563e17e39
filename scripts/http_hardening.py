#!/usr/bin/env python3
"""HTTP hardening rules of SPEC.md §1.9 against a live mock-relay, one check each.

    scripts/http_hardening.py --bin build/bin/mock-relay [--only NAME ...]

Raw sockets on 127.0.0.1, every wait bounded (5 s per read, 30 s for the whole run on
an idle machine). Each check asserts an outcome, never a time:
  framing     invalid Content-Length: at most one answer, then the connection closes
              (libmicrohttpd 0.9.75 answers these itself and repeats its status line:
              reported as the known deviation of SPEC, fails with --strict-library)
  smuggling   two Content-Length, Content-Length with Transfer-Encoding, a coding other
              than chunked, obs-fold, NUL in a header value, HTTP/1.1 without Host, Host
              twice: 400 malformed_request envelope, Connection: close, closed, the request
              not run; and ordinary header sections (bare LF, empty values, odd spacing)
              still answered 200
  expect      Expect: 100-continue on a body-less request with bytes pipelined after it:
              the client gets the request's answer
  halfclose   an incomplete request, then the client half-closes: the mock closes at once
              (well before its 30 s timeout); a complete request half-closed is answered
  depth       stored JSON (metadata) 32 deep is stored, 33 or 2,047 deep is 422
              validation_failed with field "metadata" (create/conversation, visitor session)
  secrets     a tenant secret (or an over-long id) sent as X-Bloonio-Tenant-Id,
              ?tenant_id= or in the path is in neither the journal nor the request log
  mhd_html    libmicrohttpd's own answers are exactly those SPEC lists as deviations
Exits 0 when every check passes, 1 with the failures listed.
"""
import argparse
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_http as hh  # noqa: E402  (Mock, read_response, sign, provision)

ADMIN = hh.ADMIN_KEY
failures = []
notes = []
after_stop = []  # checks of the mock's stderr, once it has exited (the log is buffered)


def fail(what):
    failures.append(what)


def connect(port, source=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    if source:
        s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_all(s, timeout=5.0):
    """Every byte until the peer closes; (bytes, closed) where closed is False on timeout."""
    out = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return out, False
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return out, False
        except ConnectionResetError:
            return out, True
        if not chunk:
            return out, True
        out += chunk


def send_raw(port, raw, timeout=5.0, half_close=False):
    s = connect(port)
    try:
        try:
            s.sendall(raw)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_all(s, timeout)
    finally:
        s.close()


def parse_one(data):
    """(status, headers, body, rest) of the first response in data, or None."""
    pending = [data]

    class Fake:
        def settimeout(self, t):
            pass

        def recv(self, n):
            return b""

    r = hh.read_response(Fake(), pending, timeout=1.0)
    if r is None or r == "timeout":
        return None
    status, headers, body = r
    return status, headers, body, pending[0]


def journal(port, limit=50):
    s = connect(port)
    s.sendall(b"GET /__mock/journal?limit=%d HTTP/1.1\r\nHost: x\r\nX-Admin-Key: %s\r\n"
              b"Connection: close\r\n\r\n" % (limit, ADMIN.encode()))
    data, _ = read_all(s)
    s.close()
    r = parse_one(data)
    return json.loads(r[2])["data"]["items"] if r and r[0] == 200 else None


def req(method, path, headers=(), body=b"", host=True, version=b"HTTP/1.1"):
    out = method.encode() + b" " + path.encode() + b" " + version + b"\r\n"
    if host:
        out += b"Host: 127.0.0.1\r\n"
    for k, v in headers:
        out += (k.encode() if isinstance(k, str) else k) + b": " + \
            (v.encode() if isinstance(v, str) else v) + b"\r\n"
    return out + b"\r\n" + body


# ---- checks ----------------------------------------------------------------------------

def check_framing(port, strict_library):
    body = b'{"tenant_name":"cl"}'
    for cl in (b"99999999999999999999", b"-1", b"abc"):
        raw = (b"POST /api/v1/provision/tenant HTTP/1.1\r\nHost: x\r\nX-Admin-Key: " +
               ADMIN.encode() + b"\r\nContent-Length: " + cl + b"\r\n\r\n" + body)
        data, closed = send_raw(port, raw)
        lines = data.count(b"HTTP/1.1 ")
        if not closed:
            fail("framing: Content-Length %r: connection not closed within 5 s" % cl)
        if lines == 0:
            fail("framing: Content-Length %r: no answer" % cl)
        elif lines > 1:
            what = ("framing: Content-Length %r: %d status lines on one connection "
                    "(libmicrohttpd 0.9.75's own answer, SPEC Known deviations)" % (cl, lines))
            (fail if strict_library else notes.append)(what)


def refused(port, label, raw, route_ran=None):
    data, closed = send_raw(port, raw)
    r = parse_one(data)
    if r is None:
        fail("smuggling %s: no answer (%r)" % (label, data[:80]))
        return
    status, headers, body, rest = r
    try:
        env = json.loads(body)
    except ValueError:
        env = None
    if status != 400 or not env or (env.get("error") or {}).get("code") != "malformed_request":
        fail("smuggling %s: %d %r, want 400 malformed_request" % (label, status, body[:120]))
    if headers.get("connection", "").lower() != "close":
        fail("smuggling %s: no Connection: close" % label)
    if not closed:
        fail("smuggling %s: connection left open" % label)
    if rest.strip():
        fail("smuggling %s: more bytes after the answer: %r" % (label, rest[:80]))


def check_smuggling(port):
    admin = ("X-Admin-Key", ADMIN)
    before = len(journal(port, 65536) or [])
    body = b'{"tenant_name":"smuggled"}'
    prov = "/api/v1/provision/tenant"
    refused(port, "two Content-Length", req("POST", prov, [admin, ("Content-Length", "26"),
                                                           ("Content-Length", "27")], body + b"X"))
    refused(port, "Content-Length twice, same value",
            req("POST", prov, [admin, ("Content-Length", "26"), ("Content-Length", "26")], body))
    refused(port, "Content-Length + Transfer-Encoding",
            req("POST", prov, [admin, ("Content-Length", "3"), ("Transfer-Encoding", "chunked")],
                b"1a\r\n" + body + b"\r\n0\r\n\r\n"))
    refused(port, "Transfer-Encoding gzip",
            req("POST", prov, [admin, ("Transfer-Encoding", "gzip, chunked")],
                b"1a\r\n" + body + b"\r\n0\r\n\r\n"))
    refused(port, "obs-fold", req("GET", "/__mock/clock", [admin, ("X-Note", "a\r\n  folded")]))
    refused(port, "obs-fold tab", req("GET", "/__mock/clock", [("X-Note", "a\r\n\tb"), admin]))
    refused(port, "NUL in a value", req("GET", "/__mock/clock", [("X-Note", b"a\x00b"), admin]))
    refused(port, "NUL in the last value", req("GET", "/__mock/clock", [admin, ("X-Note", b"a\x00b")]))
    refused(port, "space before a colon", req("GET", "/__mock/clock", [admin, ("X-Note ", "a")]))
    refused(port, "control byte in a name", req("GET", "/__mock/clock", [admin, (b"X-\x01", "a")]))
    refused(port, "no Host", req("GET", "/__mock/clock", [admin], host=False))
    refused(port, "Host twice", req("GET", "/__mock/clock", [admin, ("Host", "evil")]))
    refused(port, "no Host with a body", req("POST", prov, [admin, ("Content-Length", "26")], body,
                                             host=False))
    items = journal(port, 65536) or []
    new = items[:max(0, len(items) - before)]
    if any(i["status"] == 201 for i in new):
        fail("smuggling: a refused provision ran: %r" % [i for i in new if i["status"] == 201])
    # ordinary header sections are not refused (no false positive)
    for label, raw in [
            ("bare LF", b"GET /__mock/clock HTTP/1.1\nHost: x\nX-Admin-Key: " + ADMIN.encode() +
             b"\nX-Empty:\nConnection: close\n\n"),
            ("empty values", req("GET", "/__mock/clock", [("X-Empty", ""), admin, ("X-B", " ")])),
            ("spacing", b"GET /__mock/clock HTTP/1.1\r\nHost:x\r\nX-Admin-Key:\t \t" +
             ADMIN.encode() + b"\r\nX-A:    spaced   value  \r\n\r\n"),
            ("HTTP/1.0 without Host", req("GET", "/__mock/clock", [admin], host=False,
                                          version=b"HTTP/1.0")),
            ("many headers", req("GET", "/__mock/clock", [("X-%d" % i, "v" * i) for i in range(60)] +
                                 [admin])),
            ("Content-Length 0 and Expect", req("GET", "/__mock/clock",
                                                [admin, ("Content-Length", "0")]))]:
        if b"\r\n\r\n" in raw:
            raw = raw.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
        data, _ = send_raw(port, raw)
        r = parse_one(data)
        if r is None or r[0] != 200:
            fail("smuggling false positive %s: %r" % (label, data[:160]))
    # chunked alone is fine
    chunked = req("POST", prov, [admin, ("Transfer-Encoding", "chunked"), ("Connection", "close")],
                  b"1a\r\n" + body + b"\r\n0\r\n\r\n")
    r = parse_one(send_raw(port, chunked)[0])
    if r is None or r[0] != 201:
        fail("chunked provision: %r" % (r and r[:3]))


def check_expect(port):
    admin = ("X-Admin-Key", ADMIN)
    first = req("GET", "/__mock/clock", [admin, ("Expect", "100-continue")])
    second = req("GET", "/__mock/clock", [admin])
    data, _ = send_raw(port, first + second)
    rest = data
    final = None
    while rest:
        r = parse_one(rest)
        if r is None:
            break
        status, headers, body, rest = r
        if status != 100:
            final = (status, body)
            break
    if final is None or final[0] != 200 or b'"now_ms"' not in final[1]:
        fail("expect: no answer to the request sent with Expect: 100-continue: %r" % data[:200])


def check_halfclose(port):
    partials = [("request line", b"GET /__mock/clock HTTP/1.1\r\n"),
                ("headers", b"GET /__mock/clock HTTP/1.1\r\nHost: x\r\n"),
                ("body", b"POST /__mock/clock/advance HTTP/1.1\r\nHost: x\r\nX-Admin-Key: " +
                 ADMIN.encode() + b"\r\nContent-Length: 10\r\n\r\n{\"ms\"")]
    for label, raw in partials:
        for attempt in range(3):  # the race is between the last bytes and the FIN
            data, closed = send_raw(port, raw, timeout=10.0, half_close=True)
            if not closed:
                fail("halfclose: incomplete %s held 10 s after the client half-closed "
                     "(attempt %d)" % (label, attempt + 1))
                break
    full = req("GET", "/__mock/clock", [("X-Admin-Key", ADMIN)])
    for attempt in range(3):
        data, closed = send_raw(port, full, timeout=10.0, half_close=True)
        r = parse_one(data)
        if r is None or r[0] != 200:
            fail("halfclose: a complete request half-closed got no answer: %r" % data[:120])
        if not closed:
            fail("halfclose: connection held after answering a half-closed client")


def nested(depth):
    """An object `depth` levels deep (the outer object is level 1)."""
    return "{" + '"a":{' * (depth - 1) + "}" * (depth - 1) + "}"


def check_depth(port, tenant):
    def create(meta, label, want, field=None):
        body = ('{"visitor_user_id":"deep","metadata":%s}' % meta).encode()
        hdrs = hh.sign(tenant["tenant_id"], tenant["tenant_secret"], body,
                       int(time.time() * 1000)) + [("Connection", "close")]
        data, _ = send_raw(port, req("POST", "/api/v1/relay/create/conversation", hdrs + [
            ("Content-Length", str(len(body)))], body))
        r = parse_one(data)
        try:
            env = json.loads(r[2]) if r else None
        except (ValueError, RecursionError):
            env = None  # what the issue saw: 2,047 levels echoed back break Python's json
        if not r or r[0] != want or not env or \
                (field and (env.get("error") or {}).get("field") != field):
            fail("depth %s: %r, want %d %s" % (label, data[:200], want, field or ""))
        return env

    env = create(nested(32), "32 deep", 201)
    if env and env.get("status_code") == 201:
        depth, v = 0, env["data"].get("metadata")
        while isinstance(v, dict):
            depth, v = depth + 1, v.get("a")
        if depth != 32:
            fail("depth: 32-deep metadata echoed %d deep" % depth)
    create(nested(33), "33 deep", 422, "metadata")
    create(nested(2047), "2047 deep", 422, "metadata")
    create('{"a":[[[' + "[" * 40 + "]" * 40 + "]]]}", "arrays 44 deep", 422, "metadata")
    body = json.dumps({"tenant_id": tenant["tenant_id"],
                       "widget_public_key": tenant["widget_public_key"],
                       "origin": "https://shop.demo.com"})[:-1] + ',"metadata":%s}' % nested(33)
    body = body.encode()
    data, _ = send_raw(port, req("POST", "/api/v1/create/visitor-session", [
        ("Origin", "https://shop.demo.com"), ("Content-Length", str(len(body))),
        ("Connection", "close")], body))
    r = parse_one(data)
    if not r or r[0] != 422 or (json.loads(r[2]).get("error") or {}).get("field") != "metadata":
        fail("depth visitor-session 33 deep: %r" % data[:200])


def check_secrets(port, tenant):
    secret = tenant["tenant_secret"]
    long_id = "t" * 100
    ok_id = "unknown-tenant-short"
    for tid in (secret, long_id, ok_id):
        body = b'{"visitor_user_id":"s"}'
        hdrs = hh.sign(tid, secret, body, int(time.time() * 1000)) + [
            ("Content-Length", str(len(body))), ("Connection", "close")]
        send_raw(port, req("POST", "/api/v1/relay/create/conversation", hdrs, body))
    admin = [("X-Admin-Key", ADMIN), ("Connection", "close")]
    send_raw(port, req("GET", "/api/v1/fetch/tenant?tenant_id=" + secret, admin))
    send_raw(port, req("GET", "/api/v1/fetch/tenant?tenant_id=" + long_id, admin))
    send_raw(port, req("GET", "/api/v1/fetch/" + secret, admin))
    items = journal(port, 20) or []
    text = json.dumps(items)
    if not items:
        fail("secrets: empty journal")
    for needle, what in ((secret, "the tenant secret"), (secret[3:20], "part of the secret"),
                         (long_id, "the 100-byte id")):
        if needle in text:
            fail("secrets: %s is in the journal" % what)
    if ok_id not in text:
        fail("secrets: the short unknown id %r is no longer journaled as received" % ok_id)
    if "[redacted:46-bytes]" not in text or "[redacted:100-bytes]" not in text:
        fail("secrets: no redacted form in the journal: %s" % text[:400])

    def check_log(log):
        for needle, what in ((secret, "the tenant secret"), (secret[3:20], "part of the secret"),
                             (long_id, "the 100-byte id")):
            if needle in log:
                fail("secrets: %s is in the request log" % what)
        if "[redacted:46-bytes]" not in log or "[redacted:100-bytes]" not in log:
            fail("secrets: no redacted form in the request log")
    after_stop.append(check_log)


def check_mhd_html(port):
    """libmicrohttpd's own answers: only the deviations SPEC lists (§1.9.5)."""
    cases = [("header line without a colon", req("GET", "/__mock/clock", [("Foo", "x")])
              .replace(b"Foo: x", b"Foo"), {400}),
             ("HTTP/2.0", req("GET", "/__mock/clock", version=b"HTTP/2.0"), {505}),
             ("chunk size zz", req("POST", "/api/v1/provision/tenant",
                                   [("X-Admin-Key", ADMIN), ("Transfer-Encoding", "chunked")],
                                   b"zz\r\nxx\r\n0\r\n\r\n"), {400}),
             ("headers over 32 KiB", req("GET", "/__mock/clock", [("X-Big", "a" * 40000)]),
              {431}),
             ("request line over 32 KiB", req("GET", "/__mock/clock?" + "a" * 40000), {414, 431})]
    for label, raw, statuses in cases:
        data, closed = send_raw(port, raw)
        r = parse_one(data)
        if r is None:
            fail("mhd_html %s: no answer" % label)
            continue
        status, headers, body, rest = r
        if headers.get("content-type", "").startswith("application/json"):
            continue  # the mock answered: better than the deviation
        if status not in statuses:
            fail("mhd_html %s: %d is not the deviation SPEC lists (%r)" % (label, status, statuses))
        if not closed:
            fail("mhd_html %s: connection left open" % label)
        notes.append("libmicrohttpd answers %s itself: %d %s" % (
            label, status, headers.get("content-type", "(no type)")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--strict-library", action="store_true",
                    help="fail on libmicrohttpd's own deviations too")
    a = ap.parse_args()
    started = time.monotonic()
    mock = hh.Mock(a.bin)
    log_text = [None]
    try:
        tenant = hh.provision(mock.port, "Hardening")
        checks = [("framing", lambda: check_framing(mock.port, a.strict_library)),
                  ("smuggling", lambda: check_smuggling(mock.port)),
                  ("expect", lambda: check_expect(mock.port)),
                  ("halfclose", lambda: check_halfclose(mock.port)),
                  ("depth", lambda: check_depth(mock.port, tenant)),
                  ("secrets", lambda: check_secrets(mock.port, tenant)),
                  ("mhd_html", lambda: check_mhd_html(mock.port))]
        for name, fn in checks:
            if a.only and name not in a.only:
                continue
            n0 = len(failures)
            t0 = time.monotonic()
            fn()
            print("http_hardening: %-9s %s (%.1f s)" % (
                name, "ok" if len(failures) == n0 else "FAILED", time.monotonic() - t0))
            if mock.proc.poll() is not None:
                fail("mock-relay died during %s" % name)
                break
    finally:
        rc, log_text[0] = mock.stop()
    for check in after_stop:
        check(log_text[0])
    for mark in hh.SANITIZER_MARKS:
        if mark in log_text[0]:
            fail("sanitizer report on the mock's stderr: %s" % log_text[0][-2000:])
            break
    if rc != 0:
        fail("mock-relay exit status %r after SIGTERM" % rc)
    for n in notes:
        print("http_hardening: note: " + n)
    print("http_hardening: %.1f s" % (time.monotonic() - started))
    if failures:
        print("http_hardening: FAILED", file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
        return 1
    print("http_hardening: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
