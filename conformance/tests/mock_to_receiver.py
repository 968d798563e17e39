#!/usr/bin/env python3
"""The mock relay's own callbacks reach scripts/examples/backend_receiver.py (SPEC.md §9).

    mock_to_receiver.py MOCK_RELAY RECEIVER_PY

Starts the mock, provisions a tenant, starts the example receiver with that tenant's
secret, points the tenant's callback_url_base at it, fires each of the nine events
through the control plane (§10.5) and requires every delivery to end "delivered"
(a 2xx from the receiver on a genuinely signed callback). Standard library only.
"""
import json
import subprocess
import sys
import time
import urllib.request

EVENTS = ["conversation-started", "message-received", "ticket-created", "ticket-assigned",
          "ticket-resolved", "escalation-triggered", "agent-assigned", "agent-released",
          "agent-resolved"]
KEY = "mock-to-receiver-admin-key"


def first_url(proc):
    line = proc.stdout.readline().decode()
    return line.split("listening on ", 1)[1].split()[0]


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"X-Admin-Key": KEY,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def main():
    mock_bin, receiver_py = sys.argv[1], sys.argv[2]
    mock = subprocess.Popen([mock_bin, "--port", "0", "--admin-key", KEY],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    receiver = None
    try:
        base = first_url(mock)
        st, env = call(base, "POST", "/api/v1/provision/tenant", {"tenant_name": "receiver"})
        assert st == 201, (st, env)
        tenant, secret = env["data"]["tenant_id"], env["data"]["tenant_secret"]
        receiver = subprocess.Popen([sys.executable, receiver_py, "--port", "0",
                                     "--tenant-secret", secret, "--tenant-id", tenant],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        rurl = first_url(receiver)
        st, env = call(base, "POST", f"/api/v1/update/tenant?tenant_id={tenant}",
                       {"callback_url_base": rurl})
        assert st == 200, (st, env)
        for event in EVENTS:
            st, env = call(base, "POST", "/__mock/callbacks/fire",
                           {"tenant_id": tenant, "event": event, "data": {"n": 1}})
            assert st == 202, (event, st, env)
        deadline = time.time() + 20
        while True:
            st, env = call(base, "GET", f"/__mock/callbacks?tenant_id={tenant}")
            items = env["data"]["items"]
            states = {d["event"]: d["state"] for d in items}
            if len(items) >= len(EVENTS) and all(s != "pending" for s in states.values()):
                break
            if time.time() > deadline:
                break
            time.sleep(0.1)
        bad = {e: states.get(e) for e in EVENTS if states.get(e) != "delivered"}
        if bad:
            print(f"mock_to_receiver: not delivered: {bad}")
            print(json.dumps(items, indent=1)[:3000])
            return 1
        print(f"mock_to_receiver: the nine events were delivered and acknowledged")
        return 0
    finally:
        for p in (receiver, mock):
            if p is not None:
                p.terminate()
                p.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
