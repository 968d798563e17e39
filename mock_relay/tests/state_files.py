#!/usr/bin/env python3
"""mock-relay --state: the file, its version and lock, restarts (SPEC.md §14).

Each case runs real mock-relay processes on a real SQLite file in a temporary
directory:

  unknown_option        --bogus is named in the error, with the usage
  unusable_path         a missing directory, a directory, a path under a file: exit 3
  foreign_text          a text file: exit 4, file untouched
  foreign_sqlite        another program's SQLite file: exit 4, file untouched
  newer_version         a file of schema version 3: exit 4, file untouched
  migrate_v1            a version-1 file is migrated; its tenant, conversation and
                        message are served, the secret still signs; its operator gets a
                        relay_user_id that is written back and kept across restarts
  second_instance       a second mock on the file exits 5 while the first runs; after
                        the first is SIGKILLed a new one starts and has the data
  restart_keeps_all     tenant updates, suspension, widget key rotation, operators,
                        visitor session + token (the signing key is kept) survive a
                        SIGTERM restart; the file is mode 0600
  reset_clears_file     POST /__mock/reset empties the file too
  callbacks_resume      a pending callback (backend down, long backoff) is delivered
                        after kill -9 and restart, with the same event_id and body
  lifecycle_restart     escalate, take with an operator, kill -9, restart on the file:
                        the conversation is still assigned with the same ticket and
                        operator, the operator keeps its relay_user_id, the tenant's
                        escalation phrase still escalates; then resolve works and its
                        callbacks (agent-resolved, ticket-resolved) carry that ticket
  write_failure         when the file cannot grow (RLIMIT_FSIZE) writes answer 503
                        state_unavailable, never 2xx; after a restart every
                        acknowledged tenant is there and no refused one

  state_files.py --bin build/bin/mock-relay [case ...]
"""
import argparse
import hashlib
import http.server
import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from state_util import ADMIN, Mock, integrity  # noqa: E402

APP_ID = 0x426C6F6F
NO_CONV = "conv_" + "0" * 32
BIN = None
TMP = None


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def run_once(args, timeout=60):
    """mock-relay expected to exit at once: (rc, stderr)."""
    p = subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    return p.returncode, p.stderr


def provision(mock, name, **extra):
    body = {"tenant_name": name, "rate_limit_per_min": 10000,
            "allowed_origins": ["https://state.example"]}
    body.update(extra)
    st, env = mock.admin("POST", "/api/v1/provision/tenant", body)
    check(st == 201, "provision answered %d %r" % (st, env))
    return env["data"]


def secret_verifies(mock, tid, secret):
    st, env = mock.signed("GET", "/api/v1/relay/fetch/conversation?conversation_id=" + NO_CONV,
                          tid, secret)
    return st == 404 and env["error"]["code"] == "conversation_not_found"


# ---- cases ----------------------------------------------------------------------------

def case_unknown_option():
    rc, err = run_once(["--bogus"])
    check(rc == 2, "exit %d" % rc)
    check("--bogus" in err and "usage:" in err, "stderr: %r" % err)
    rc, err = run_once(["--port", "0", "--state"])
    check(rc == 2 and "--state" in err and "usage:" in err, "--state without value: %r" % err)
    rc, err = run_once(["--port", "0", "--reject-replays=yes"])
    check(rc == 2 and "--reject-replays=yes" in err, "a flag with a value: %r" % err)
    rc, err = run_once(["-q"])
    check(rc == 2 and "-q" in err and "usage:" in err, "-q: %r" % err)
    rc, err = run_once(["--state", ""])
    check(rc == 2 and "usage:" in err, "--state '': %r" % err)


def case_unusable_path():
    plain = os.path.join(TMP, "plain.txt")
    with open(plain, "w") as f:
        f.write("x")
    for path in (os.path.join(TMP, "no", "such", "dir", "s.db"), TMP,
                 os.path.join(plain, "s.db")):
        rc, err = run_once(["--port", "0", "--state", path])
        check(rc == 3, "%s: exit %d (%s)" % (path, rc, err))
        check(path in err, "%s: the error does not name the path: %r" % (path, err))
    if os.geteuid() != 0:
        ro = os.path.join(TMP, "ro.db")
        open(ro, "w").close()
        os.chmod(ro, 0o400)
        rc, err = run_once(["--port", "0", "--state", ro])
        check(rc == 3 and "Permission denied" in err, "read-only file: %d %r" % (rc, err))
    else:
        print("  (read-only file case skipped: running as root, which may write anyway)")


def case_foreign_text():
    path = os.path.join(TMP, "notes.txt")
    with open(path, "w") as f:
        f.write("These are my notes, not a database.\n" * 100)
    before = digest(path)
    rc, err = run_once(["--port", "0", "--state", path])
    check(rc == 4, "exit %d %r" % (rc, err))
    check("not a mock-relay state file" in err, err)
    check(digest(path) == before, "the file was changed")
    check(not os.path.exists(path + "-wal"), "a WAL was created beside it")


def case_foreign_sqlite():
    path = os.path.join(TMP, "other.sqlite")
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE accounts(id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO accounts(name) VALUES('alice')")
    con.commit()
    con.close()
    before = digest(path)
    rc, err = run_once(["--port", "0", "--state", path])
    check(rc == 4, "exit %d %r" % (rc, err))
    check("not a mock-relay state file" in err, err)
    check(digest(path) == before, "the file was changed")


def make_v(path, version, rows=()):
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE entity(seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL,"
        " tenant TEXT, parent TEXT, at_ms INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL,"
        " UNIQUE(kind, id));"
        "PRAGMA application_id=%d; PRAGMA user_version=%d;" % (APP_ID, version))
    for r in rows:
        con.execute("INSERT INTO entity(kind, id, tenant, parent, at_ms, body)"
                    " VALUES(?,?,?,?,?,?)", r)
    con.commit()
    con.close()


def case_newer_version():
    path = os.path.join(TMP, "newer.db")
    make_v(path, 3)
    before = digest(path)
    rc, err = run_once(["--port", "0", "--state", path])
    check(rc == 4, "exit %d %r" % (rc, err))
    check("version 3" in err and "newer" in err, err)
    check(digest(path) == before, "the file was changed")


def case_migrate_v1():
    path = os.path.join(TMP, "v1.db")
    tid = "01a24200-0000-7000-8000-000000000001"
    secret = "sk_" + "A" * 43
    tenant = {"tenant_id": tid, "tenant_name": "From v1", "status": "active",
              "widget_public_key": "pk_" + "B" * 43,
              "allowed_origins": ["https://v1.example"], "rate_limit_per_min": 100,
              "callback_url_base": None, "plan_tier": "free", "monthly_msg_quota": 0,
              "agent_seats": 1, "branding_primary_color": None, "stripe_customer_id": None,
              "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
              "tenant_secret": secret, "created_at_ms": 1767225600000,
              "updated_at_ms": 1767225600000}
    conv = {"id": "conv_" + "1" * 32, "visitor_user_id": "v1-visitor",
            "visitor_display_name": None, "locale": "fr", "metadata": {"from": "v1"},
            "status": "open", "created_at": "2026-01-01T00:00:00Z"}
    msg = {"id": "msg_" + "2" * 32, "conversation_id": conv["id"], "role": "visitor",
           "content": "hello from v1", "created_at": "2026-01-01T00:00:00Z"}
    # an operator written before operators had a relay_user_id (§6.4.5)
    oper = {"operator_id": "op_" + "3" * 32, "created": False, "email": "old@example.com",
            "display_name": None, "routing_keys": None, "created_at": "2026-01-01T00:00:00Z",
            "backend_user_id": None}
    make_v(path, 1, [
        ("tenant", tid, tid, None, 1767225600000, json.dumps(tenant)),
        ("conversation", conv["id"], tid, None, 1767225600000, json.dumps(conv)),
        ("message", msg["id"], tid, conv["id"], 1767225600000, json.dumps(msg)),
        ("operator", oper["operator_id"], tid, None, 1767225600000, json.dumps(oper)),
    ])
    mock = Mock(BIN, path)
    check(mock.port is not None, "did not start: %s" % mock.stderr)
    try:
        check("migrated from schema version 1" in mock.stderr, mock.stderr)
        st, env = mock.admin("GET", "/api/v1/fetch/tenant?tenant_id=" + tid)
        check(st == 200 and env["data"]["tenant_name"] == "From v1", "%d %r" % (st, env))
        check("tenant_secret" not in env["data"], "the secret is shown")
        check(secret_verifies(mock, tid, secret), "the v1 secret does not verify")
        st, env = mock.signed("GET", "/api/v1/relay/fetch/conversation?conversation_id=" +
                              conv["id"], tid, secret)
        # written before the lifecycle (§9.6): shown with its defaults, a bot conversation
        # without queue, ticket or operator
        shown = dict(conv, mode="bot", routing_key=None, ticket_id=None, operator_id=None)
        check(st == 200 and env["data"] == shown, "%d %r" % (st, env))
        st, env = mock.signed("GET", "/api/v1/relay/fetch/messages?conversation_id=" +
                              conv["id"], tid, secret)
        check(st == 200 and [m["content"] for m in env["data"]["items"]] == ["hello from v1"],
              "%d %r" % (st, env))
    finally:
        check(mock.stop() == 0, "exit status on SIGTERM")
    con = sqlite3.connect(path)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    row = con.execute("SELECT body FROM entity WHERE kind='operator' AND id=?",
                      (oper["operator_id"],)).fetchone()
    con.close()
    check(version == 2 and "meta" in tables and "entity_tenant" in tables,
          "after migration: version %d, %r" % (version, tables))
    check(integrity(path) == ["ok"], "integrity_check")
    # the relay_user_id made at the first start is in the file, though nothing changed
    ruid = json.loads(row[0]).get("relay_user_id") if row else None
    check(isinstance(ruid, str) and re.fullmatch(r"ru_[0-9a-f]{32}", ruid) is not None,
          "the operator's relay_user_id was not written back: %r" % (row,))
    again = Mock(BIN, path)
    check(again.port is not None, "did not start again: %s" % again.stderr)
    try:
        st, env = again.signed("POST", "/api/v1/relay/provision/operator", tid, secret,
                               {"email": "old@example.com"})
        check(st == 200 and env["data"]["relay_user_id"] == ruid,
              "relay_user_id changed across restarts: %d %r vs %r" % (st, env, ruid))
    finally:
        check(again.stop() == 0, "exit status on SIGTERM")


def case_second_instance():
    path = os.path.join(TMP, "shared.db")
    a = Mock(BIN, path)
    check(a.port is not None, a.stderr)
    t = provision(a, "first instance")
    b = Mock(BIN, path)
    check(b.port is None and b.rc == 5, "second instance: port %r rc %r" % (b.port, b.rc))
    check("in use by another mock-relay" in b.stderr, b.stderr)
    b.close()
    check(secret_verifies(a, t["tenant_id"], t["tenant_secret"]), "the first one broke")
    a.kill9()
    c = Mock(BIN, path)
    check(c.port is not None, "after SIGKILL of the first: %s" % c.stderr)
    try:
        check(secret_verifies(c, t["tenant_id"], t["tenant_secret"]), "data lost")
    finally:
        check(c.stop() == 0, "exit status on SIGTERM")


def case_restart_keeps_all():
    path = os.path.join(TMP, "all.db")
    a = Mock(BIN, path)
    check(a.port is not None, a.stderr)
    t = provision(a, "keeps all", callback_url_base="http://127.0.0.1:9/hooks")
    tid = t["tenant_id"]
    st, env = a.admin("POST", "/api/v1/update/tenant?tenant_id=" + tid,
                      {"tenant_name": "renamed", "plan_tier": "pro", "agent_seats": 7,
                       "branding_primary_color": "#112233",
                       "allowed_origins": ["https://one.example", "https://two.example"]})
    check(st == 200, "update %d %r" % (st, env))
    st, env = a.admin("POST", "/api/v1/rotate/widget-key?tenant_id=" + tid)
    check(st == 200, "rotate widget key %d" % st)
    st, env = a.signed("POST", "/api/v1/relay/provision/operator", tid, t["tenant_secret"],
                       {"email": "Agent@Example.com", "display_name": "Agent",
                        "routing_keys": ["billing"]})
    check(st == 201, "operator %d %r" % (st, env))
    op = env["data"]
    st, env = a.signed("POST", "/api/v1/relay/mint/visitor-token", tid, t["tenant_secret"],
                       {"visitor_user_id": "visitor-1"})
    check(st == 201, "mint %d %r" % (st, env))
    token = env["data"]["visitor_token"]
    st, tenant_before = a.admin("GET", "/api/v1/fetch/tenant?tenant_id=" + tid)
    check(a.stop() == 0, "exit status on SIGTERM")
    check(os.stat(path).st_mode & 0o777 == 0o600, "mode %o" % (os.stat(path).st_mode & 0o777))

    b = Mock(BIN, path)
    check(b.port is not None, b.stderr)
    try:
        st, env = b.admin("GET", "/api/v1/fetch/tenant?tenant_id=" + tid)
        check(st == 200 and env["data"] == tenant_before["data"],
              "tenant differs: %r vs %r" % (env, tenant_before))
        st, env = b.signed("POST", "/api/v1/relay/provision/operator", tid, t["tenant_secret"],
                           {"email": "agent@example.com"})
        check(st == 200 and env["data"]["operator_id"] == op["operator_id"] and
              env["data"]["routing_keys"] == ["billing"], "operator %d %r" % (st, env))
        st, env = b.call("POST", "/api/v1/refresh/visitor-token", None,
                         {"Authorization": "Bearer " + token})
        check(st == 200, "the visitor token minted before the restart: %d %r" % (st, env))
        st, env = b.admin("POST", "/api/v1/suspend/tenant?tenant_id=" + tid)
        check(st == 200, "suspend %d" % st)
    finally:
        check(b.stop() == 0, "exit status on SIGTERM")
    c = Mock(BIN, path)
    check(c.port is not None, c.stderr)
    try:
        st, env = c.admin("GET", "/api/v1/fetch/tenant?tenant_id=" + tid)
        check(st == 200 and env["data"]["status"] == "suspended", "%d %r" % (st, env))
    finally:
        check(c.stop() == 0, "exit status on SIGTERM")


def case_reset_clears_file():
    path = os.path.join(TMP, "reset.db")
    a = Mock(BIN, path)
    check(a.port is not None, a.stderr)
    provision(a, "to be forgotten")
    st, env = a.admin("POST", "/__mock/reset")
    check(st in (200, 204), "reset %d %r" % (st, env))
    a.kill9()
    con = sqlite3.connect(path)
    n = con.execute("SELECT count(*) FROM entity").fetchone()[0]
    con.close()
    check(n == 0, "%d rows left after reset" % n)


class Backend(http.server.BaseHTTPRequestHandler):
    """A tenant backend: answers 500 until .up is set, records every body."""
    up = False
    got = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Backend.got.append((self.path, body, self.headers.get("X-Bloonio-Signature")))
        self.send_response(200 if Backend.up else 500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def wait_for(pred, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out after %d s waiting for %s" % (seconds, what))


def case_callbacks_resume():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        path = os.path.join(TMP, "callbacks.db")
        a = Mock(BIN, path, ["--callback-attempts", "5", "--callback-backoff-ms", "600000"])
        check(a.port is not None, a.stderr)
        t = provision(a, "callbacks", callback_url_base="http://127.0.0.1:%d" %
                      srv.server_address[1])
        st, env = a.admin("POST", "/__mock/callbacks/fire",
                          {"tenant_id": t["tenant_id"], "event": "ticket-created",
                           "data": {"ticket": 42}})
        check(st == 202, "fire %d %r" % (st, env))
        event_id = env["data"]["event_id"]
        wait_for(lambda: len(Backend.got) >= 1, 60, "the first attempt")
        first_body = Backend.got[0][1]

        def attempts_recorded():
            st, env = a.admin("GET", "/__mock/callbacks")
            return st == 200 and len(env["data"]["items"][0]["attempts"]) == 1
        wait_for(attempts_recorded, 60, "the first attempt to be recorded")
        a.kill9()  # the next attempt was 10 minutes away
        Backend.up = True
        b = Mock(BIN, path, ["--callback-attempts", "5"])
        check(b.port is not None, b.stderr)
        try:
            wait_for(lambda: len(Backend.got) >= 2, 60, "the delivery after the restart")
            path2, body2, _sig = Backend.got[1]
            check(path2 == "/api/v1/chat-callbacks/ticket-created", path2)
            check(body2 == first_body, "the body changed across the restart")
            check(json.loads(body2)["event_id"] == event_id, "event_id differs")

            def delivered():
                st, env = b.admin("GET", "/__mock/callbacks")
                items = env["data"]["items"]
                return (st == 200 and items and items[0]["event_id"] == event_id and
                        items[0]["state"] == "delivered" and len(items[0]["attempts"]) == 2)
            wait_for(delivered, 60, "the delivery to show as delivered after 2 attempts")
        finally:
            check(b.stop() == 0, "exit status on SIGTERM")
    finally:
        srv.shutdown()
        srv.server_close()


class LifeBackend(http.server.BaseHTTPRequestHandler):
    """A tenant backend that accepts every callback and records (path, body)."""
    got = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        LifeBackend.got.append((self.path, json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def case_lifecycle_restart():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LifeBackend)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        path = os.path.join(TMP, "lifecycle.db")
        a = Mock(BIN, path)
        check(a.port is not None, a.stderr)
        t = provision(a, "lifecycle", callback_url_base="http://127.0.0.1:%d" %
                      srv.server_address[1])
        tid, secret = t["tenant_id"], t["tenant_secret"]
        st, env = a.signed("POST", "/api/v1/relay/provision/operator", tid, secret,
                           {"email": "agent@example.com", "routing_keys": ["billing"]})
        check(st == 201, "operator %d %r" % (st, env))
        op = env["data"]
        check(op["relay_user_id"], "no relay_user_id: %r" % op)
        st, env = a.admin("PUT", "/__mock/lifecycle/trigger",
                          {"tenant_id": tid, "phrase": "Need A Human"})
        check(st == 200, "trigger %d %r" % (st, env))
        st, env = a.signed("POST", "/api/v1/relay/create/conversation", tid, secret,
                           {"visitor_user_id": "visitor-1", "routing_key": "billing"})
        check(st == 201, "create %d %r" % (st, env))
        cid = env["data"]["id"]
        st, env = a.admin("POST", "/__mock/lifecycle/escalate",
                          {"tenant_id": tid, "conversation_id": cid})
        check(st == 200 and env["data"]["status"] == "pending" and env["data"]["ticket_id"],
              "escalate %d %r" % (st, env))
        ticket = env["data"]["ticket_id"]
        act = {"tenant_id": tid, "operator_id": op["operator_id"], "conversation_id": cid}
        st, env = a.admin("POST", "/__mock/lifecycle/take", act)
        check(st == 200 and env["data"]["status"] == "assigned", "take %d %r" % (st, env))
        assigned = env["data"]
        a.kill9()  # every answer above was a 2xx: all of it is in the file

        b = Mock(BIN, path)
        check(b.port is not None, b.stderr)
        try:
            st, env = b.signed("GET", "/api/v1/relay/fetch/conversation?conversation_id=" +
                               cid, tid, secret)
            check(st == 200, "fetch %d %r" % (st, env))
            conv = env["data"]
            for k in ("status", "mode", "routing_key", "ticket_id", "operator_id"):
                check(conv.get(k) == assigned[k], "%s after the restart: %r, before: %r" %
                      (k, conv.get(k), assigned[k]))
            check(conv["status"] == "assigned" and conv["ticket_id"] == ticket and
                  conv["operator_id"] == op["operator_id"], "conversation %r" % conv)
            st, env = b.signed("POST", "/api/v1/relay/provision/operator", tid, secret,
                               {"email": "agent@example.com"})
            check(st == 200 and env["data"]["relay_user_id"] == op["relay_user_id"],
                  "relay_user_id changed across the restart: %d %r vs %r" %
                  (st, env, op["relay_user_id"]))
            st, env = b.admin("GET", "/__mock/lifecycle/queue?tenant_id=%s&operator_id=%s" %
                              (tid, op["operator_id"]))
            check(st == 200 and [c["id"] for c in env["data"]["items"]] == [cid],
                  "queue %d %r" % (st, env))
            # the phrase set before the restart still escalates
            st, env = b.signed("POST", "/api/v1/relay/create/conversation", tid, secret,
                               {"visitor_user_id": "visitor-2"})
            check(st == 201, "create %d %r" % (st, env))
            cid2 = env["data"]["id"]
            st, env = b.signed("POST", "/api/v1/relay/send/message", tid, secret,
                               {"conversation_id": cid2, "role": "visitor",
                                "content": "hello, i need a human please"})
            check(st == 201, "send %d %r" % (st, env))

            def escalated():
                st, env = b.signed("GET", "/api/v1/relay/fetch/conversation?conversation_id=" +
                                   cid2, tid, secret)
                return st == 200 and env["data"]["status"] == "pending"
            wait_for(escalated, 60, "the phrase kept across the restart to escalate")
            LifeBackend.got.clear()
            st, env = b.admin("POST", "/__mock/lifecycle/resolve", act)
            check(st == 200 and env["data"]["status"] == "resolved" and
                  env["data"]["ticket_id"] == ticket, "resolve %d %r" % (st, env))

            def resolved_delivered():
                paths = [p for p, _ in LifeBackend.got]
                return ("/api/v1/chat-callbacks/agent-resolved" in paths and
                        "/api/v1/chat-callbacks/ticket-resolved" in paths)
            wait_for(resolved_delivered, 60, "agent-resolved and ticket-resolved")
            for p, body in list(LifeBackend.got):
                if p.endswith("/agent-resolved") or p.endswith("/ticket-resolved"):
                    data = body["data"]
                    check(data["conversation_id"] == cid and data["ticket"]["id"] == ticket and
                          data["ticket"]["status"] == "resolved" and
                          data["operator_id"] == op["operator_id"], "%s: %r" % (p, body))
        finally:
            check(b.stop() == 0, "exit status on SIGTERM")
        c = Mock(BIN, path)  # the resolution is kept too
        check(c.port is not None, c.stderr)
        try:
            st, env = c.signed("GET", "/api/v1/relay/fetch/conversation?conversation_id=" +
                               cid, tid, secret)
            check(st == 200 and env["data"]["status"] == "resolved" and
                  env["data"]["ticket_id"] == ticket, "after resolve and restart %r" % env)
        finally:
            check(c.stop() == 0, "exit status on SIGTERM")
    finally:
        srv.shutdown()
        srv.server_close()


def case_write_failure():
    path = os.path.join(TMP, "full.db")
    limit = 256 * 1024

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    # The mock's stderr is a file too: the JSON log lines stay far under the limit.
    env_mock = Mock.__new__(Mock)
    env_mock.errpath = path + ".stderr"
    env_mock.err = open(env_mock.errpath, "w")
    env_mock.proc = subprocess.Popen(
        [BIN, "--port", "0", "--admin-key", ADMIN, "--state", path, "--threads", "2"],
        stdout=subprocess.PIPE, stderr=env_mock.err, text=True, preexec_fn=small_files)
    line = env_mock.proc.stdout.readline()
    check("listening" in line, "did not start: %r %s" % (line, env_mock.stderr))
    env_mock.port = int(line.strip().rsplit(":", 1)[1])
    acked, refused = [], []
    try:
        for i in range(2000):
            name = "fill-%04d-%s" % (i, "x" * 150)
            st, env = env_mock.admin("POST", "/api/v1/provision/tenant",
                                     {"tenant_name": name[:200]})
            if st == 201:
                check(not refused, "a write was acknowledged after a refused one")
                acked.append(env["data"]["tenant_id"])
            else:
                check(st == 503 and env["error"]["code"] == "state_unavailable",
                      "write %d answered %d %r" % (i, st, env))
                refused.append(name[:200])
                if len(refused) >= 3:
                    break
        check(refused, "the file never filled up (%d tenants)" % len(acked))
        check("state write failed" in env_mock.stderr, env_mock.stderr)
        st, env = env_mock.admin("GET", "/api/v1/fetch/tenants?limit=1")
        check(st == 200, "reads still work: %d" % st)
    finally:
        env_mock.kill9()
    b = Mock(BIN, path)
    check(b.port is not None, b.stderr)
    try:
        from state_util import all_tenants
        have = all_tenants(b)
        ids = {t["tenant_id"] for t in have}
        names = {t["tenant_name"] for t in have}
        check(set(acked) <= ids, "%d acknowledged tenants missing" % len(set(acked) - ids))
        check(not (set(refused) & names), "a refused tenant is there")
        print("  %d tenants acknowledged before the file was full, all found; %d refused "
              "(503), none found" % (len(acked), len(refused)))
    finally:
        check(b.stop() == 0, "exit status on SIGTERM")
    check(integrity(path) == ["ok"], "integrity_check")


CASES = [name[5:] for name in list(globals()) if name.startswith("case_")]


def main():
    global BIN, TMP
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    BIN = os.path.abspath(a.bin)
    failed = 0
    for name in a.cases or CASES:
        TMP = tempfile.mkdtemp(prefix="state_files.")
        t0 = time.monotonic()
        try:
            globals()["case_" + name]()
            print("ok   %s (%.1f s)" % (name, time.monotonic() - t0))
        except Exception:  # noqa: BLE001 - every case reports
            failed += 1
            print("FAIL %s" % name)
            traceback.print_exc()
        finally:
            shutil.rmtree(TMP, ignore_errors=True)
    print("state_files: %d of %d cases passed" % (len(a.cases or CASES) - failed,
                                                   len(a.cases or CASES)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
