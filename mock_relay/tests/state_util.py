"""Helpers for the --state tests (state_kill9.py, state_files.py): start a real
mock-relay process on a state file, make admin and HMAC#1-signed calls with the
standard library only (urllib, hmac, hashlib), read the state file with Python's
sqlite3 module.
"""
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import subprocess
import time

ADMIN = "state-test-admin-key"


class Mock:
    """A running mock-relay (or one that exited at once: see .rc / .stderr)."""

    def __init__(self, binary, state, extra=(), wait=True):
        self.errpath = state + ".stderr.%d" % time.monotonic_ns()
        self.err = open(self.errpath, "w")
        cmd = [binary, "--port", "0", "--admin-key", ADMIN, "--threads", "4",
               "--log-format", "json"]
        if state is not None:
            cmd += ["--state", state]
        cmd += list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.err, text=True)
        self.port = None
        self.rc = None
        if not wait:
            return
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:  # exited
                self.rc = self.proc.wait(timeout=30)
                break
            m = re.search(r"listening on http://[^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        else:
            self.proc.kill()
            raise RuntimeError("mock-relay did not start within 60 s")

    @property
    def stderr(self):
        self.err.flush()
        with open(self.errpath) as f:
            return f.read()

    def kill9(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60)
        self.close()
        return rc

    def close(self):
        if self.proc.stdout:
            self.proc.stdout.close()
        self.err.close()
        try:
            os.unlink(self.errpath)
        except OSError:
            pass

    def call(self, method, path, body=None, headers=None, timeout=30):
        """(status, parsed JSON or None). Raises OSError when no answer came."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = None if body is None else (body if isinstance(body, bytes)
                                              else json.dumps(body).encode())
            h = dict(headers or {})
            if data is not None:
                h.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            raw = r.read()
            try:
                return r.status, json.loads(raw) if raw else None
            except ValueError:
                return r.status, None
        except http.client.HTTPException as e:
            raise OSError(str(e))
        finally:
            conn.close()

    def admin(self, method, path, body=None):
        return self.call(method, path, body, {"X-Admin-Key": ADMIN})

    def signed(self, method, path, tenant_id, secret, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        return self.call(method, path, data if body is not None else None,
                         sign(tenant_id, secret, data))


def sign(tenant_id, secret, body):
    """HMAC#1 headers (SPEC.md §4): HMAC-SHA256(secret, "{ts}.{sha256(body)}")."""
    ts = int(time.time() * 1000)
    bh = hashlib.sha256(body).hexdigest()
    sig = hmac.new(secret.encode(), ("%d.%s" % (ts, bh)).encode(), hashlib.sha256).hexdigest()
    return {"X-Bloonio-Tenant-Id": tenant_id, "X-Bloonio-Timestamp": str(ts),
            "X-Bloonio-Signature": sig}


def integrity(path):
    """PRAGMA integrity_check of the real file, by Python's sqlite3 module."""
    import sqlite3
    con = sqlite3.connect(path, timeout=30)
    try:
        return [r[0] for r in con.execute("PRAGMA integrity_check")]
    finally:
        con.close()


def all_tenants(mock):
    """Every tenant of fetch/tenants, following the pages."""
    out, offset = [], 0
    while True:
        st, env = mock.admin("GET", "/api/v1/fetch/tenants?limit=200&offset=%d" % offset)
        if st != 200:
            raise AssertionError("fetch/tenants answered %d: %r" % (st, env))
        items = env["data"]["items"]
        out += items
        offset += len(items)
        if not items or offset >= env["data"]["total"]:
            return out
