"""Distributed load on a Bloonio Chat Relay with Locust, every call signed with HMAC#1.

    locust -f locustfile.py --host "$BLOONIO_CHAT_BASE_URL"                   # one machine, web UI
    locust -f locustfile.py --master --headless -u 200 -r 20 -t 5m --expect-workers 4 --host URL
    locust -f locustfile.py --worker --master-host MASTER_HOST                # on each load machine

Credentials (environment, as the suite reads them):
    BLOONIO_CHAT_ADMIN_KEY       when set, each simulated user provisions its own tenant
                                 (POST /api/v1/provision/tenant, rate_limit_per_min
                                 $BLOONIO_LOAD_RATE_LIMIT, default 10000) and uses it
    BLOONIO_CHAT_TENANT_ID,      otherwise every user shares this tenant (its rate limit then
    BLOONIO_CHAT_TENANT_SECRET   caps the whole run: 429s are counted, as failures)

The mix drives the documented relay API (SPEC.md §6), with the weights below: create a
conversation, send messages, fetch the conversation and its messages, mint a visitor token,
provision an operator and mint its token. Each request is signed just before it is sent with
the Python reference signer (signers/python/bloonio_hmac1.py) over the exact body bytes.

A response counts as a success only with the status the relay documents for that call
(201 created, 200 fetched, 200/201 for operator provisioning); anything else is a failure,
named by status. At the end the master (or the single process) prints the 2xx rate and the
failures by status, and which workers reported; BLOONIO_LOAD_SUMMARY=FILE also writes them
as JSON.
"""
import json
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter

import locust.runners
from locust import HttpUser, between, events, task
from locust.runners import MasterRunner, WorkerRunner

# Debian bookworm's python3-locust (2.12.1-1) ships an empty version string
# (locust/_version.py), and a master then refuses every worker as "An old (pre 2.0)
# worker". Give master and workers the same non-empty one; a correctly packaged Locust
# keeps its own.
if not locust.runners.__version__:
    locust.runners.__version__ = "2.12.1+unversioned"


def _find_signer():
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [
        os.environ.get("BLOONIO_SIGNERS_DIR", ""),
        os.path.join(here, "..", "..", "signers", "python"),  # the source tree
        os.path.join(here, "..", "signers", "python"),  # share/bloonio-relay-conformance/
    ]
    for c in candidates:
        if c and os.path.isfile(os.path.join(c, "bloonio_hmac1.py")):
            sys.path.insert(0, os.path.abspath(c))
            return
    raise ImportError("bloonio_hmac1.py not found: set BLOONIO_SIGNERS_DIR to signers/python")


_find_signer()
import bloonio_hmac1  # noqa: E402

MAX_MESSAGES_PER_CONVERSATION = 900  # the relay refuses past 1,000 (SPEC.md §6.2.2)

# Per process: status counts of this process since its last report, and totals.
_lock = threading.Lock()
_pending = Counter()  # "2xx" / "status:NNN" / "error:<kind>" -> count, sent to the master
_totals = Counter()  # the master's (or a single process') aggregate
_by_worker = Counter()  # worker client_id -> requests it reported
_started = [None]


def _record(key):
    with _lock:
        _pending[key] += 1


@events.test_start.add_listener
def _on_test_start(environment, **_kw):
    _started[0] = time.time()


@events.report_to_master.add_listener
def _on_report_to_master(client_id, data):
    with _lock:
        data["bloonio_status"] = dict(_pending)
        _pending.clear()


@events.worker_report.add_listener
def _on_worker_report(client_id, data):
    counts = data.get("bloonio_status") or {}
    with _lock:
        _totals.update(counts)
        _by_worker[client_id] += sum(counts.values())


def _summary(environment):
    with _lock:
        if not isinstance(environment.runner, MasterRunner):
            _totals.update(_pending)  # a single process reports to itself
            _pending.clear()
        totals = dict(_totals)
        workers = dict(_by_worker)
    n = sum(totals.values())
    ok = totals.get("2xx", 0)
    elapsed = time.time() - _started[0] if _started[0] else 0.0
    failures = {k: v for k, v in sorted(totals.items()) if k != "2xx"}
    return {
        "requests": n,
        "ok_2xx": ok,
        "ok_2xx_rate": (ok / n) if n else 0.0,
        "ok_2xx_per_second": (ok / elapsed) if elapsed > 0 else 0.0,
        "seconds": round(elapsed, 1),
        "failures_by_status": failures,
        "workers": workers,
        "locust_total_requests": environment.stats.total.num_requests,
        "locust_total_failures": environment.stats.total.num_failures,
    }


@events.quitting.add_listener
def _on_quitting(environment, **_kw):
    if isinstance(environment.runner, WorkerRunner):
        return
    s = _summary(environment)
    print(f"bloonio load: {s['requests']} requests in {s['seconds']} s, {s['ok_2xx']} 2xx "
          f"({100.0 * s['ok_2xx_rate']:.2f}%, {s['ok_2xx_per_second']:.1f} 2xx/s)", flush=True)
    print("bloonio load: failures by status: " +
          (", ".join(f"{k} x{v}" for k, v in s["failures_by_status"].items()) or "none"), flush=True)
    if s["workers"]:
        print("bloonio load: requests by worker: " +
              ", ".join(f"{k} {v}" for k, v in sorted(s["workers"].items())), flush=True)
    path = os.environ.get("BLOONIO_LOAD_SUMMARY")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(s, f, indent=2)


class RelayUser(HttpUser):
    """One tenant backend calling the relay's signed API."""

    wait_time = between(0.01, 0.05)

    def on_start(self):
        self.conversations = []  # [conversation_id, messages sent]
        self.operators = []
        admin = os.environ.get("BLOONIO_CHAT_ADMIN_KEY")
        if admin:
            body = json.dumps({
                "tenant_name": f"Load {uuid.uuid4().hex[:12]}",
                "allowed_origins": ["https://shop.demo.com"],
                "rate_limit_per_min": int(os.environ.get("BLOONIO_LOAD_RATE_LIMIT", "10000")),
            }).encode()
            with self.client.post("/api/v1/provision/tenant", data=body, name="provision/tenant (admin)",
                                  headers={"X-Admin-Key": admin, "Content-Type": "application/json"},
                                  catch_response=True) as r:
                self._judge(r, (201,))
                if r.status_code != 201:
                    self.stop(force=True)
                    return
                data = r.json()["data"]
                self.tenant_id, self.secret = data["tenant_id"], data["tenant_secret"]
        else:
            self.tenant_id = os.environ.get("BLOONIO_CHAT_TENANT_ID")
            self.secret = os.environ.get("BLOONIO_CHAT_TENANT_SECRET")
            if not self.tenant_id or not self.secret:
                raise RuntimeError("set BLOONIO_CHAT_ADMIN_KEY, or BLOONIO_CHAT_TENANT_ID and "
                                   "BLOONIO_CHAT_TENANT_SECRET")
        self.create_conversation()

    # -- signed calls --------------------------------------------------------------

    @staticmethod
    def _judge(r, expected):
        """Success is the documented status of the call; anything else fails, by status."""
        if r.status_code in expected:
            _record("2xx")
            r.success()
        elif r.status_code == 0:
            _record("error:" + type(r.error).__name__ if r.error else "error:no-response")
            r.failure(f"no response: {r.error}")
        else:
            _record(f"status:{r.status_code}")
            r.failure(f"status {r.status_code}, expected {expected}: {r.text[:200]}")

    def _signed(self, method, path, name, expected, payload=None, params=None):
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        signed = bloonio_hmac1.sign(self.secret, body)  # at send time: the window is 30 s
        headers = bloonio_hmac1.headers(self.tenant_id, signed)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        with self.client.request(method, path, data=body if payload is not None else None, params=params,
                                 headers=headers, name=name, catch_response=True) as r:
            self._judge(r, expected)
            try:
                return r.json().get("data") if r.status_code in expected else None
            except ValueError:
                return None

    # -- the mix -------------------------------------------------------------------

    @task(2)
    def create_conversation(self):
        data = self._signed("POST", "/api/v1/relay/create/conversation", "relay/create/conversation", (201,),
                            {"visitor_user_id": f"user-{uuid.uuid4().hex[:8]}", "visitor_display_name": "Mary",
                             "locale": "en", "metadata": {"source": "locust"}})
        if data and "id" in data:
            self.conversations.append([data["id"], 0])
            del self.conversations[:-20]

    def _conversation(self):
        while self.conversations and self.conversations[-1][1] >= MAX_MESSAGES_PER_CONVERSATION:
            self.conversations.pop()
        return random.choice(self.conversations) if self.conversations else None

    @task(6)
    def send_message(self):
        c = self._conversation()
        if c is None:
            return self.create_conversation()
        c[1] += 1
        self._signed("POST", "/api/v1/relay/send/message", "relay/send/message", (201,),
                     {"conversation_id": c[0], "role": random.choice(("visitor", "operator")),
                      "content": "Bonjour, où en est ma commande ? 📦"})

    @task(3)
    def fetch_messages(self):
        c = self._conversation()
        if c is None:
            return self.create_conversation()
        self._signed("GET", "/api/v1/relay/fetch/messages", "relay/fetch/messages", (200,),
                     params={"conversation_id": c[0], "limit": 20})

    @task(3)
    def fetch_conversation(self):
        c = self._conversation()
        if c is None:
            return self.create_conversation()
        self._signed("GET", "/api/v1/relay/fetch/conversation", "relay/fetch/conversation", (200,),
                     params={"conversation_id": c[0]})

    @task(1)
    def mint_visitor_token(self):
        self._signed("POST", "/api/v1/relay/mint/visitor-token", "relay/mint/visitor-token", (201,),
                     {"visitor_user_id": f"user-{uuid.uuid4().hex[:8]}", "ttl_seconds": 600})

    @task(1)
    def provision_operator(self):
        email = f"op{random.randrange(20)}@{self.tenant_id[:8]}.example"
        data = self._signed("POST", "/api/v1/relay/provision/operator", "relay/provision/operator", (200, 201),
                            {"email": email, "display_name": "Agent", "routing_keys": ["support"]})
        if data and "operator_id" in data and data["operator_id"] not in self.operators:
            self.operators.append(data["operator_id"])

    @task(1)
    def mint_operator_token(self):
        if not self.operators:
            return self.provision_operator()
        self._signed("POST", "/api/v1/relay/mint/operator-token", "relay/mint/operator-token", (201,),
                     {"operator_id": random.choice(self.operators), "ttl_seconds": 600})
