#!/usr/bin/env python3
"""mock-relay --state survives kill -9 (SPEC.md §14.2).

Several rounds on one state file. Each round starts the mock on the file, runs
concurrent writers (provision tenants, rotate secrets, create conversations, send
messages, provision operators, lifecycle actions: escalate a conversation and take it
with an operator, and writes the mock must refuse with a 4xx), kills
the mock with SIGKILL at a random moment, checks the file with PRAGMA
integrity_check (Python's sqlite3 module), restarts the mock on it and checks:

  * every acknowledged write (2xx) is there: each tenant is listed and its current
    (last acknowledged) secret still signs calls that verify, each conversation and
    message is found (the visitors' messages: the bot's replies are the mock's own),
    each conversation shows the status, ticket and operator of its last acknowledged
    lifecycle action, each operator is found (re-provisioning answers created:false
    with the same operator_id and relay_user_id);
  * a secret replaced by an acknowledged rotation no longer verifies;
  * no refused write (4xx) is there;
  * a write in flight when the mock died (no answer) may or may not be there.

Prints the figures: rounds, writes acknowledged, found, in flight.

  state_kill9.py --bin build/bin/mock-relay [--rounds 6] [--seed N] [--workers 6]
"""
import argparse
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from state_util import Mock, all_tenants, integrity  # noqa: E402

NO_CONV = "conv_" + "0" * 32


class Model:
    """What the clients were told (shared by the writers, under a lock)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tenants = {}  # id -> {"secret", "old": set, "maybe": bool, "owner"}
        self.convs = {}  # id -> {"tenant", "acked": set, "maybe": set, "refused": set}
        self.operators = {}  # (tenant, email) -> operator_id
        self.refused_names = set()
        self.acked = {"tenant": 0, "rotation": 0, "conversation": 0, "message": 0,
                      "operator": 0, "lifecycle": 0}
        self.inflight = 0
        self.refused = 0


class Writer(threading.Thread):
    def __init__(self, mock, model, wid, rng, stop):
        super().__init__(daemon=True)
        self.mock, self.m, self.wid, self.rng, self.stop = mock, model, wid, rng, stop
        self.error = None

    def mine(self):
        with self.m.lock:
            return [t for t, v in self.m.tenants.items()
                    if v["owner"] == self.wid and not v["maybe"]]

    def run(self):
        try:
            while not self.stop.is_set():
                if not self.step():
                    return  # the mock is gone
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            self.error = e

    def step(self):
        """One write; False once the mock stopped answering."""
        m, rng = self.m, self.rng
        tenants = self.mine()
        r = rng.random()
        try:
            if not tenants or r < 0.10:
                return self.provision()
            tid = rng.choice(tenants)
            with m.lock:
                secret = m.tenants[tid]["secret"]
                convs = [c for c, v in m.convs.items() if v["tenant"] == tid]
            if r < 0.18:
                return self.rotate(tid)
            if r < 0.36 or not convs:
                return self.create_conv(tid, secret)
            if r < 0.83:
                return self.send(tid, secret, rng.choice(convs))
            if r < 0.88:
                return self.operator(tid, secret)
            if r < 0.93:
                return self.lifecycle(tid, rng.choice(convs))
            return self.refused_write(tid, secret, convs)
        except ConnectionRefusedError:
            return False  # never reached the mock: not a write

    def provision(self):
        name = "k9-%d-%s" % (self.wid, uuid.uuid4().hex[:12])
        try:
            st, env = self.mock.admin("POST", "/api/v1/provision/tenant",
                                      {"tenant_name": name, "rate_limit_per_min": 10000,
                                       "allowed_origins": ["https://k9.example"]})
        except ConnectionRefusedError:
            raise
        except OSError:
            with self.m.lock:
                self.m.inflight += 1
            return False
        if st != 201:
            raise AssertionError("provision answered %d %r" % (st, env))
        d = env["data"]
        with self.m.lock:
            self.m.tenants[d["tenant_id"]] = {"secret": d["tenant_secret"], "old": set(),
                                              "maybe": False, "owner": self.wid}
            self.m.acked["tenant"] += 1
        return True

    def rotate(self, tid):
        try:
            st, env = self.mock.admin("POST", "/api/v1/rotate/tenant-secret?tenant_id=" + tid)
        except ConnectionRefusedError:
            raise
        except OSError:
            with self.m.lock:
                self.m.tenants[tid]["maybe"] = True  # old secret, or one never seen
                self.m.inflight += 1
            return False
        if st != 200:
            raise AssertionError("rotate answered %d %r" % (st, env))
        with self.m.lock:
            t = self.m.tenants[tid]
            t["old"].add(t["secret"])
            t["secret"] = env["data"]["tenant_secret"]
            self.m.acked["rotation"] += 1
        return True

    def create_conv(self, tid, secret):
        try:
            st, env = self.mock.signed("POST", "/api/v1/relay/create/conversation", tid, secret,
                                       {"visitor_user_id": "v-" + uuid.uuid4().hex[:8],
                                        "metadata": {"round": "k9", "n": self.rng.random()}})
        except ConnectionRefusedError:
            raise
        except OSError:
            with self.m.lock:
                self.m.inflight += 1
            return False
        if st != 201:
            raise AssertionError("create/conversation answered %d %r" % (st, env))
        with self.m.lock:
            self.m.convs[env["data"]["id"]] = {"tenant": tid, "acked": set(), "maybe": set(),
                                               "refused": set(), "obj": env["data"],
                                               "life_maybe": False}
            self.m.acked["conversation"] += 1
        return True

    def send(self, tid, secret, cid):
        content = "m-" + uuid.uuid4().hex
        try:
            st, env = self.mock.signed("POST", "/api/v1/relay/send/message", tid, secret,
                                       {"conversation_id": cid, "role": "visitor",
                                        "content": content})
        except ConnectionRefusedError:
            raise
        except OSError:
            with self.m.lock:
                self.m.convs[cid]["maybe"].add(content)
                self.m.inflight += 1
            return False
        if st == 507:  # the conversation is full (§13): refused, so it must not be there
            with self.m.lock:
                self.m.convs[cid]["refused"].add(content)
                self.m.refused += 1
            return True
        if st != 201:
            raise AssertionError("send/message answered %d %r" % (st, env))
        with self.m.lock:
            self.m.convs[cid]["acked"].add(content)
            self.m.acked["message"] += 1
        return True

    def operator(self, tid, secret):
        email = "op-%s@k9.example" % uuid.uuid4().hex[:10]
        try:
            st, env = self.mock.signed("POST", "/api/v1/relay/provision/operator", tid, secret,
                                       {"email": email, "display_name": "Op"})
        except ConnectionRefusedError:
            raise
        except OSError:
            with self.m.lock:
                self.m.inflight += 1
            return False
        if st != 201:
            raise AssertionError("provision/operator answered %d %r" % (st, env))
        with self.m.lock:
            self.m.operators[(tid, email)] = (env["data"]["operator_id"],
                                              env["data"]["relay_user_id"])
            self.m.acked["operator"] += 1
        return True

    def lifecycle(self, tid, cid):
        """Escalate an open conversation, or take a pending one with an operator."""
        with self.m.lock:
            c = self.m.convs[cid]
            status = c["obj"]["status"]
            ops = [v[0] for (t, _e), v in self.m.operators.items() if t == tid]
            if c["life_maybe"] or status not in ("open", "pending") or \
                    (status == "pending" and not ops):
                return True  # nothing to do on this one
        if status == "open":
            path, body = "/__mock/lifecycle/escalate", {"tenant_id": tid, "conversation_id": cid}
        else:
            path, body = "/__mock/lifecycle/take", {"tenant_id": tid, "conversation_id": cid,
                                                    "operator_id": self.rng.choice(ops)}
        try:
            st, env = self.mock.admin("POST", path, body)
        except ConnectionRefusedError:
            raise
        except OSError:
            with self.m.lock:
                c["life_maybe"] = True  # before or after: what the restart shows
                self.m.inflight += 1
            return False
        if st != 200:
            raise AssertionError("%s answered %d %r" % (path, st, env))
        with self.m.lock:
            c["obj"] = env["data"]
            self.m.acked["lifecycle"] += 1
        return True

    def refused_write(self, tid, secret, convs):
        """A write the mock refuses (422): it must never show up."""
        try:
            if self.rng.random() < 0.5:
                name = "k9-refused-" + uuid.uuid4().hex + "x" * 200  # over 200 characters
                st, env = self.mock.admin("POST", "/api/v1/provision/tenant", {"tenant_name": name})
                with self.m.lock:
                    self.m.refused_names.add(name)
            else:
                cid = self.rng.choice(convs)
                content = "r-" + uuid.uuid4().hex
                st, env = self.mock.signed("POST", "/api/v1/relay/send/message", tid, secret,
                                           {"conversation_id": cid, "role": "nobody",
                                            "content": content})
                with self.m.lock:
                    self.m.convs[cid]["refused"].add(content)
        except ConnectionRefusedError:
            raise
        except OSError:
            return False  # refused or not: nothing was promised either way
        if st != 422:
            raise AssertionError("an invalid write answered %d %r" % (st, env))
        with self.m.lock:
            self.m.refused += 1
        return True


def fetch_messages(mock, tid, secret, cid):
    out, offset = [], 0
    while True:
        st, env = mock.signed("GET", "/api/v1/relay/fetch/messages?conversation_id=%s"
                              "&limit=200&offset=%d" % (cid, offset), tid, secret)
        if st != 200:
            raise AssertionError("fetch/messages %s answered %d %r" % (cid, st, env))
        items = env["data"]["items"]
        out += items
        offset += len(items)
        if not items or offset >= env["data"]["total"]:
            return out


def verify(mock, m, found):
    """Checks the restarted mock against the model; counts what was found."""
    listed = {t["tenant_id"]: t for t in all_tenants(mock)}
    names = {t["tenant_name"] for t in listed.values()}
    bad = []
    for name in m.refused_names:
        if name in names:
            bad.append("refused tenant %s is there" % name[:40])
    for tid, t in list(m.tenants.items()):
        if tid not in listed:
            bad.append("acknowledged tenant %s is missing" % tid)
            continue
        found["tenant"] += 1
        st, env = mock.signed("GET", "/api/v1/relay/fetch/conversation?conversation_id=" +
                              NO_CONV, tid, t["secret"])
        if t["maybe"]:
            # An unanswered rotation: the old secret works (not committed) or not (committed,
            # new secret never seen). The tenant is retired either way.
            if st == 404:
                t["maybe"] = False
            elif st == 401:
                m.tenants[tid]["retired"] = True
            else:
                bad.append("tenant %s: %d %r" % (tid, st, env))
        elif st != 404 or env["error"]["code"] != "conversation_not_found":
            bad.append("tenant %s: the current secret does not verify: %d %r" % (tid, st, env))
        else:
            found["secret"] += 1
        for old in list(t["old"])[-2:]:
            st, env = mock.signed("GET", "/api/v1/relay/fetch/conversation?conversation_id=" +
                                  NO_CONV, tid, old)
            if st != 401:
                bad.append("tenant %s: a rotated-out secret still verifies (%d)" % (tid, st))
    for tid in [t for t, v in m.tenants.items() if v.get("retired")]:
        del m.tenants[tid]
        for cid in [c for c, v in m.convs.items() if v["tenant"] == tid]:
            del m.convs[cid]
    for cid, c in m.convs.items():
        secret = m.tenants[c["tenant"]]["secret"]
        st, env = mock.signed("GET", "/api/v1/relay/fetch/conversation?conversation_id=" + cid,
                              c["tenant"], secret)
        if st == 200 and c["life_maybe"]:
            # an unanswered escalate/take: the object before it, or after it (status one
            # step on, a ticket, the operator); adopted as what the restart shows
            after = dict(env["data"])
            for k in ("status", "mode", "ticket_id", "operator_id"):
                after[k] = c["obj"][k]
            step = {"open": "pending", "pending": "assigned"}.get(c["obj"]["status"])
            if env["data"] == c["obj"] or (after == c["obj"] and
                                           env["data"]["status"] == step and
                                           env["data"]["ticket_id"]):
                c["obj"] = env["data"]
                c["life_maybe"] = False
        if st != 200 or env["data"] != c["obj"]:
            bad.append("conversation %s: %d %r (acknowledged: %r)" % (cid, st, env, c["obj"]))
            continue
        found["conversation"] += 1
        have = [x["content"] for x in fetch_messages(mock, c["tenant"], secret, cid)
                if x["role"] == "visitor"]
        hs = set(have)
        missing = c["acked"] - hs
        if missing:
            bad.append("conversation %s: %d acknowledged messages missing" % (cid, len(missing)))
        if hs & c["refused"]:
            bad.append("conversation %s: a refused message is there" % cid)
        extra = hs - c["acked"] - c["maybe"]
        if extra:
            bad.append("conversation %s: %d messages nobody sent" % (cid, len(extra)))
        found["message"] += len(c["acked"] & hs)
        found["inflight_there"] += len(c["maybe"] & hs)
        # From now on an in-flight message is what the restarted mock says.
        c["acked"] |= c["maybe"] & hs
        c["refused"] |= c["maybe"] - hs
        c["maybe"] = set()
    for (tid, email), (oid, ruid) in m.operators.items():
        if tid not in m.tenants:
            continue
        st, env = mock.signed("POST", "/api/v1/relay/provision/operator", tid,
                              m.tenants[tid]["secret"], {"email": email})
        if st != 200 or env["data"]["created"] is not False or \
                env["data"]["operator_id"] != oid or env["data"]["relay_user_id"] != ruid:
            bad.append("operator %s: %d %r" % (email, st, env))
        else:
            found["operator"] += 1
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--budget", type=float, default=90.0, help="seconds for all rounds")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else int(time.time())
    print("state_kill9: seed %d (--seed %d repeats the kill moments)" % (seed, seed))
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="state_kill9.")
    path = os.path.join(tmp, "state.db")
    m = Model()
    t0 = time.monotonic()
    failures = []
    rounds = 0
    try:
        for rnd in range(a.rounds):
            if time.monotonic() - t0 > a.budget:
                print("state_kill9: time budget spent after %d rounds" % rounds)
                break
            mock = Mock(a.bin, path)
            if mock.port is None:
                raise SystemExit("state_kill9: mock did not start: %s" % mock.stderr)
            if rnd > 0:
                found = dict.fromkeys(["tenant", "secret", "conversation", "message",
                                       "operator", "inflight_there"], 0)
                bad = verify(mock, m, found)
                print("state_kill9: round %d after restart: found %r" % (rnd, found))
                failures += ["round %d: %s" % (rnd, b) for b in bad]
                if bad:
                    mock.kill9()
                    break
            stop = threading.Event()
            writers = [Writer(mock, m, w, random.Random(rng.random()), stop)
                       for w in range(a.workers)]
            for w in writers:
                w.start()
            time.sleep(rng.uniform(0.3, 2.5))
            mock.kill9()  # SIGKILL under load
            stop.set()
            for w in writers:
                w.join(timeout=60)
                if w.error is not None:
                    failures.append("round %d: writer: %r" % (rnd, w.error))
            rounds += 1
            ic = integrity(path)
            if ic != ["ok"]:
                failures.append("round %d: integrity_check: %r" % (rnd, ic))
            print("state_kill9: round %d killed; acknowledged so far %r, in flight at kills %d,"
                  " refused %d; integrity_check %s" % (rnd, m.acked, m.inflight, m.refused,
                                                       ic[0]))
            if failures:
                break
        if not failures:
            mock = Mock(a.bin, path)
            found = dict.fromkeys(["tenant", "secret", "conversation", "message", "operator",
                                   "inflight_there"], 0)
            failures += ["final: %s" % b for b in verify(mock, m, found)]
            rc = mock.stop()
            if rc != 0:
                failures.append("final: exit status %d on SIGTERM" % rc)
            print("state_kill9: %d rounds of kill -9; acknowledged %r; found after the last "
                  "restart %r; in flight at the kills %d; refused writes %d, none found" %
                  (rounds, m.acked, found, m.inflight, m.refused))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if rounds < 2 and not failures:
        failures.append("fewer than 2 rounds ran")
    for f in failures[:30]:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
