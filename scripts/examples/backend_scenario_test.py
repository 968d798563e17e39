#!/usr/bin/env python3
"""A tenant backend team's integration test against the mock relay (SPEC.md §10.8.5).

    backend_scenario_test.py --mock build/bin/mock-relay

What a backend's own test does, standard library only:
  1. start `mock-relay` on a free port with a known admin key;
  2. start the backend's callback receiver (here a small in-process one standing in for
     the team's app: it verifies HMAC#1 exactly as CWH says, acknowledges with 2xx and
     stores each event once, idempotent on event_id);
  3. provision a tenant whose callback_url_base is that receiver;
  4. play one whole conversation lifecycle with ONE control-plane call,
     POST /__mock/lifecycle/scenario;
  5. assert on what the handlers stored: the twelve events, in order, for one
     conversation, with the ticket and operator the scenario reports.

Exit 0 when every assertion holds. Run by ctest as `backend_scenario_example`.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import subprocess
import sys
import threading
import time
import urllib.request

ADMIN_KEY = "backend-team-test-key"
EXPECTED = [
    "conversation-started", "message-received", "escalation-triggered", "ticket-created",
    "message-received", "agent-assigned", "ticket-assigned", "agent-released",
    "agent-assigned", "ticket-assigned", "agent-resolved", "ticket-resolved",
]


class Store:
    """What the backend's handlers persist: one row per event_id, in arrival order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []
        self.ids = set()
        self.secret = b""

    def add(self, payload):
        with self.lock:
            if payload["event_id"] in self.ids:
                return  # a redelivery: already handled
            self.ids.add(payload["event_id"])
            self.rows.append(payload)


STORE = Store()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ts = self.headers.get("X-Bloonio-Timestamp", "")
        sig = self.headers.get("X-Bloonio-Signature", "")
        # CWH: sha256 of the raw body, "{timestamp}.{body_hash}", HMAC with the tenant secret
        signing = f"{ts}.{hashlib.sha256(body).hexdigest()}".encode()
        good = hmac.new(STORE.secret, signing, hashlib.sha256).hexdigest()
        fresh = ts.isdigit() and abs(time.time() * 1000 - int(ts)) <= 30000
        if not (fresh and hmac.compare_digest(good, sig)):
            self.send_response(401)
            self.end_headers()
            return
        STORE.add(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"received":true}')


def call(base, method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"X-Admin-Key": ADMIN_KEY,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["data"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mock", required=True, help="path to mock-relay")
    args = ap.parse_args()

    mock = subprocess.Popen([args.mock, "--port", "0", "--admin-key", ADMIN_KEY],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    rx = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=rx.serve_forever, daemon=True).start()
    try:
        base = mock.stdout.readline().split()[-1]  # "mock-relay listening on http://..."
        tenant = call(base, "POST", "/api/v1/provision/tenant", {
            "tenant_name": "Backend Team",
            "callback_url_base": "http://127.0.0.1:%d" % rx.server_address[1]})
        STORE.secret = tenant["tenant_secret"].encode()

        run = call(base, "POST", "/__mock/lifecycle/scenario",
                   {"tenant_id": tenant["tenant_id"], "routing_key": "store-42"})
        assert [e["event"] for e in run["events"]] == EXPECTED, run["events"]

        deadline = time.time() + 20
        while len(STORE.rows) < len(EXPECTED) and time.time() < deadline:
            time.sleep(0.05)
        got = [row["event"] for row in STORE.rows]
        assert got == EXPECTED, "handlers stored %s" % got
        assert [row["event_id"] for row in STORE.rows] == [e["event_id"] for e in run["events"]]
        assert {row["tenant_id"] for row in STORE.rows} == {tenant["tenant_id"]}
        ticket = next(r["data"]["ticket"] for r in STORE.rows if r["event"] == "ticket-created")
        assert ticket["id"] == run["ticket_id"] and ticket["routing_key"] == "store-42"
        assigned = next(r["data"] for r in STORE.rows if r["event"] == "agent-assigned")
        assert assigned["operator_id"] == run["operator_id"]
        resolved = STORE.rows[-1]["data"]
        assert resolved["conversation"]["status"] == "resolved"
        assert resolved["ticket"]["status"] == "resolved"
        print("backend_scenario_test: ok (%d events stored in order for %s)"
              % (len(got), run["conversation_id"]))
        return 0
    except AssertionError as e:
        print("backend_scenario_test: FAILED: %s" % e, file=sys.stderr)
        return 1
    finally:
        rx.shutdown()
        mock.terminate()
        mock.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
