#!/usr/bin/env python3
"""An example tenant backend receiving Bloonio Chat Relay callbacks (SPEC.md §9).

    backend_receiver.py --port 0 --tenant-secret sk_... [--tenant-id ID] [--bug NAME]...

Serves POST /api/v1/chat-callbacks/<event> for the nine documented events and verifies
HMAC#1 exactly as documented (CWH): take the raw body bytes, compute sha256_hex(body),
rebuild "{timestamp}.{body_hash}", sign it with the tenant_secret and compare in constant
time (hmac.compare_digest); the timestamp must be within ±30 s. Missing or malformed
headers, a stale or future timestamp or a bad signature → 401; unknown event path → 404.
Events are idempotent on event_id: a duplicate is acknowledged (200) and not processed
again. Prints "backend-receiver listening on http://127.0.0.1:PORT" once ready.

--bug NAME (repeatable) plants a classic receiver bug, so that the conformance suite's
backend mode can be shown to catch it:
    accept-unsigned     requests without the HMAC#1 headers are accepted
    no-window           the timestamp window is not checked
    past-only-window    only timestamps too far in the past are refused
    no-signature-check  the signature is not compared at all
    reserialized-body   verifies over json.dumps(json.loads(body)), not the raw bytes
    reject-duplicates   a duplicate event_id is answered 409 instead of acknowledged
    slow-ack            processes agent-resolved for 5.5 s before acknowledging

Standard library only.
"""
import argparse
import hashlib
import hmac
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EVENTS = frozenset((
    "conversation-started", "message-received", "ticket-created", "ticket-assigned",
    "ticket-resolved", "escalation-triggered", "agent-assigned", "agent-released",
    "agent-resolved",
))
BUGS = ("accept-unsigned", "no-window", "past-only-window", "no-signature-check",
        "reserialized-body", "reject-duplicates", "slow-ack")
PREFIX = "/api/v1/chat-callbacks/"
WINDOW_MS = 30000
BODY_MAX = 1 << 20
TS_RE = re.compile(r"^[0-9]{1,16}$")
SIG_RE = re.compile(r"^[0-9A-Fa-f]{64}$")


class Receiver:
    def __init__(self, secret, tenant_id, bugs):
        self.secret = secret.encode()
        self.tenant_id = tenant_id
        self.bugs = set(bugs)
        self.seen = set()
        self.lock = threading.Lock()
        self.processed = 0

    def verify(self, headers, body):
        """None when the request is authentic, else the reason it is refused."""
        tenant = headers.get_all("X-Bloonio-Tenant-Id") or []
        ts = headers.get_all("X-Bloonio-Timestamp") or []
        sig = headers.get_all("X-Bloonio-Signature") or []
        if not tenant and not ts and not sig and "accept-unsigned" in self.bugs:
            return None
        if len(tenant) != 1 or len(ts) != 1 or len(sig) != 1:
            return "missing_signature"
        tenant, ts, sig = tenant[0], ts[0], sig[0]
        if not tenant or not TS_RE.match(ts) or not SIG_RE.match(sig):
            return "missing_signature"
        if self.tenant_id is not None and tenant != self.tenant_id:
            return "invalid_signature"
        skew = int(time.time() * 1000) - int(ts)
        if "no-window" not in self.bugs:
            if skew > WINDOW_MS or (skew < -WINDOW_MS and "past-only-window" not in self.bugs):
                return "stale_timestamp"
        if "no-signature-check" in self.bugs:
            return None
        signed = body
        if "reserialized-body" in self.bugs:
            try:
                signed = json.dumps(json.loads(body)).encode()
            except ValueError:
                pass
        signing_string = f"{ts}.{hashlib.sha256(signed).hexdigest()}".encode()
        expected = hmac.new(self.secret, signing_string, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), sig.encode()):
            return "invalid_signature"
        return None

    def handle(self, event, payload):
        """Processes a verified event once. Returns (status, body)."""
        event_id = payload.get("event_id") if isinstance(payload, dict) else None
        if not isinstance(event_id, str) or not event_id:
            return 400, {"received": False, "error": "event_id missing"}
        with self.lock:
            duplicate = event_id in self.seen
            if not duplicate:
                self.seen.add(event_id)
                self.processed += 1
        if duplicate:
            if "reject-duplicates" in self.bugs:
                return 409, {"received": False, "error": "duplicate event"}
            return 200, {"received": True, "duplicate": True}
        print(f"event {event} {event_id}", file=sys.stderr, flush=True)
        if "slow-ack" in self.bugs and event == "agent-resolved":
            time.sleep(5.5)  # BUG: work before acknowledging
        return 200, {"received": True}


def make_handler(receiver):
    class Handler(BaseHTTPRequestHandler):
        server_version = "backend-receiver/1"

        def log_message(self, fmt, *args):
            pass

        def reply(self, status, obj, extra=None):
            data = json.dumps(obj, separators=(",", ":")).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            path = self.path.split("?", 1)[0]
            event = path[len(PREFIX):] if path.startswith(PREFIX) else None
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0 or length > BODY_MAX:
                self.reply(413, {"received": False, "error": "payload_too_large"})
                return
            body = self.rfile.read(length)
            if event not in EVENTS:
                self.reply(404, {"received": False, "error": "not_found"})
                return
            why = receiver.verify(self.headers, body)
            if why is not None:
                self.reply(401, {"received": False, "error": why})
                return
            try:
                payload = json.loads(body)
            except ValueError:
                self.reply(400, {"received": False, "error": "malformed_request"})
                return
            status, obj = receiver.handle(event, payload)
            self.reply(status, obj)

        def do_GET(self):
            self.reply(405, {"received": False, "error": "method_not_allowed"},
                       {"Allow": "POST"})

        do_PUT = do_DELETE = do_PATCH = do_GET

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--tenant-secret", required=True)
    parser.add_argument("--tenant-id")
    parser.add_argument("--bug", choices=BUGS, action="append", default=[])
    args = parser.parse_args()
    receiver = Receiver(args.tenant_secret, args.tenant_id, args.bug)
    server = ThreadingHTTPServer((args.bind, args.port), make_handler(receiver))
    server.daemon_threads = True
    host, port = server.server_address[:2]
    print(f"backend-receiver listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
