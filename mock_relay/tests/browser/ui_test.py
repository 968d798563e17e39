#!/usr/bin/env python3
"""Browser test of the control-plane page GET /__mock/ui (SPEC §10.7): headless Chromium.

Against a running mock: provisions a tenant (its name carries markup), sends a well
signed and a badly signed HMAC#1 call and a request whose path carries <script> and
<img onerror>, then loads the page in Chromium, types the admin key and checks from
the DOM that
  - the page's own script ran under its Content-Security-Policy (no CSP violation
    reported), and the response carries the CSP, nosniff and frame-ancestors 'none';
  - both signed calls are listed with their status (201, 401 invalid_signature);
  - opened with the keyboard, the bad call shows failed step "signature", the signing
    string the mock computed ("<timestamp>.<sha256(body)>") and an hmac1 verify command;
  - the provision call's X-Admin-Key header shows as [redacted] and the key appears
    nowhere in the DOM;
  - the <script> path and tenant name render as text: no element was made from them and
    none of their code ran;
  - a call made while the page is open appears without a reload, and the status
    filter leaves only the matching rows;
  - the page fits a phone-width viewport without horizontal scrolling.
It saves screenshots (1280x800 and 390x844) to --out, and the 1280x800 one also to
--screenshot when given (the README's docs/ui.png is made that way).

Chromium is driven over the DevTools protocol on --remote-debugging-pipe (JSON messages
separated by NUL bytes on fds 3 and 4), so nothing beyond the Python standard library is
needed. Exits 77 (ctest SKIP_RETURN_CODE) when Chromium is missing.

usage: ui_test.py --mock PATH_TO_MOCK_RELAY [--out DIR] [--screenshot PNG]
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ADMIN_KEY = "ui-test-admin-key-7c1f"
SKIP = 77
FROZEN_MS = 1782036000000  # 2026-06-21T10:00:00Z: fixed, so the screenshot is stable
XSS_PATH = "/api/v1/<script>window.xssRan=1</script><img src=x onerror=\"window.xssRan=2\">"
XSS_NAME = "Shop <script>window.xssRan=3</script><b>bold</b>"
DEADLINE_S = 60  # generous: the machine may be heavily loaded


class Fail(Exception):
    pass


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Mock:
    def __init__(self, binary):
        self.proc = subprocess.Popen([binary, "--port", "0", "--admin-key", ADMIN_KEY],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        first = self.proc.stdout.readline().decode().strip()
        self.base = first.rsplit(" ", 1)[-1]
        self.port = int(self.base.rsplit(":", 1)[-1])

    def call(self, method, path, body=None, headers=None):
        """Raw HTTP (the path is sent as given); returns (status, headers, parsed body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            data = body.encode() if isinstance(body, str) else body
            conn.request(method, path, body=data, headers=headers or {})
            r = conn.getresponse()
            raw = r.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw
            return r.status, r.headers, parsed
        finally:
            conn.close()

    def admin(self, method, path, body=None):
        return self.call(method, path, json.dumps(body) if body is not None else None,
                         {"X-Admin-Key": ADMIN_KEY, "Content-Type": "application/json"})

    def signed(self, path, body, tenant_id, secret, ts_ms):
        digest = hashlib.sha256(body.encode()).hexdigest()
        signing = "%d.%s" % (ts_ms, digest)
        sig = hmac.new(secret.encode(), signing.encode(), hashlib.sha256).hexdigest()
        status, _, env = self.call("POST", path, body, {
            "Content-Type": "application/json", "X-Bloonio-Tenant-Id": tenant_id,
            "X-Bloonio-Timestamp": str(ts_ms), "X-Bloonio-Signature": sig})
        return status, env, signing

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class Chromium:
    """One headless Chromium, one page, driven over the DevTools pipe."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="ui-chromium-")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def remap():  # the child: fd 3 = commands in, fd 4 = replies out
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--hide-scrollbars", "--remote-debugging-pipe",
             "--user-data-dir=" + self.profile, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=remap,
            close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self.next_id = 0
        self.replies = {}
        self.events = []
        self.cond = threading.Condition()
        threading.Thread(target=self._reader, daemon=True).start()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.send("Log.enable", session=True)
        self.send("Runtime.enable", session=True)
        self.send("Page.enable", session=True)

    def _reader(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self.from_child, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                with self.cond:
                    self.replies[-1] = None  # the browser went away
                    self.cond.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                m = json.loads(msg)
                with self.cond:
                    if "id" in m:
                        self.replies[m["id"]] = m
                    else:
                        self.events.append(m)
                    self.cond.notify_all()

    def send(self, method, params=None, session=False, timeout=DEADLINE_S):
        with self.cond:
            self.next_id += 1
            mid = self.next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout
        with self.cond:
            while mid not in self.replies:
                if -1 in self.replies:
                    raise Fail("chromium exited during " + method)
                left = end - time.monotonic()
                if left <= 0:
                    raise Fail("no DevTools reply to %s in %d s" % (method, timeout))
                self.cond.wait(left)
            m = self.replies.pop(mid)
        if "error" in m:
            raise Fail("%s: %s" % (method, m["error"]))
        return m.get("result", {})

    def eval(self, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True}, session=True)
        if "exceptionDetails" in r:
            raise Fail("page exception in %r: %s" % (expr[:60], r["exceptionDetails"]))
        return r["result"].get("value")

    def wait_for(self, expr, what, timeout=DEADLINE_S):
        """Polls expr until it is truthy; returns its value."""
        end = time.monotonic() + timeout
        while True:
            v = self.eval(expr)
            if v:
                return v
            if time.monotonic() > end:
                raise Fail("timed out waiting for " + what)
            time.sleep(0.2)

    def key(self, key, code, vk, text=None):
        down = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": vk}
        if text is not None:
            down["text"] = text
        self.send("Input.dispatchKeyEvent", down, session=True)
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code,
                                             "windowsVirtualKeyCode": vk}, session=True)

    def viewport(self, width, height, mobile):
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
                  session=True)

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def console_messages(self):
        with self.cond:
            return [e["params"]["entry"].get("text", "") for e in self.events
                    if e.get("method") == "Log.entryAdded"]

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except Fail:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self.to_child)
        os.close(self.from_child)
        shutil.rmtree(self.profile, ignore_errors=True)


# per row: id, path, status, error code (cells: #, time, method, path, status+code, tenant)
ROWS_JS = """JSON.stringify([...document.querySelectorAll('#requests tbody tr')].map(
  tr => ({id: tr.dataset.id, path: tr.cells[3].textContent,
          status: tr.querySelector('.status').textContent,
          code: tr.querySelector('.error-code').textContent})))"""


def run(args, binary, mock, failures):
    def check(cond, msg):
        if not cond:
            failures.append(msg)

    # --- state: a tenant, a good call, a bad call, a hostile path ---
    status, _, env = mock.admin("PUT", "/__mock/clock", {"now_ms": FROZEN_MS})
    if status != 200:
        raise Fail("PUT /__mock/clock: %s" % status)
    status, _, env = mock.admin("POST", "/api/v1/provision/tenant",
                                {"tenant_name": XSS_NAME,
                                 "allowed_origins": ["https://shop.example"]})
    if status != 201:
        raise Fail("provision: %s %s" % (status, env))
    tid, secret = env["data"]["tenant_id"], env["data"]["tenant_secret"]
    body = json.dumps({"visitor_user_id": "user-42", "locale": "en"})
    good_status, good_env, _ = mock.signed("/api/v1/relay/create/conversation", body, tid,
                                           secret, FROZEN_MS - 1200)
    check(good_status == 201, "good call answered %s, not 201" % good_status)
    bad_status, bad_env, bad_signing = mock.signed(
        "/api/v1/relay/create/conversation", body, tid,
        "sk_" + "W" * 43, FROZEN_MS - 800)  # someone else's secret
    check(bad_status == 401, "bad call answered %s, not 401" % bad_status)
    mock.call("GET", urllib.parse.quote(XSS_PATH, safe="/"))

    # --- the page's response headers (SPEC §10.7) ---
    status, headers, page = mock.call("GET", "/__mock/ui")
    check(status == 200, "GET /__mock/ui without a key answered %s" % status)
    csp = headers.get("Content-Security-Policy", "")
    check("script-src 'sha256-" in csp and "unsafe-inline" not in csp
          and "frame-ancestors 'none'" in csp and "default-src 'none'" in csp,
          "CSP header missing or weak: %r" % csp)
    check(headers.get("X-Content-Type-Options") == "nosniff", "no X-Content-Type-Options")
    check(headers.get("Content-Type", "").startswith("text/html"), "not served as text/html")

    # --- the browser ---
    browser = Chromium(binary)
    try:
        browser.viewport(1280, 800, False)
        browser.send("Page.navigate", {"url": mock.base + "/__mock/ui"}, session=True)
        browser.wait_for("document.readyState === 'complete' && !!document.getElementById('key')",
                         "the page to load")
        # the inline script runs (its hash is in the CSP): it focused the key field
        browser.wait_for("document.activeElement && document.activeElement.id === 'key'",
                         "the page's script to focus the key field")
        browser.send("Input.insertText", {"text": ADMIN_KEY}, session=True)
        browser.key("Enter", "Enter", 13, "\r")
        rows = json.loads(browser.wait_for(
            "(() => { const r = %s; return JSON.parse(r).length >= 4 ? r : ''; })()" % ROWS_JS,
            "the journal rows"))
        by_path = {}
        for r in rows:
            by_path.setdefault(r["path"], []).append(r)
        convs = by_path.get("/api/v1/relay/create/conversation", [])
        statuses = sorted(r["status"] for r in convs)
        check(statuses == ["201", "401"],
              "create/conversation rows show statuses %r, not 201 and 401" % statuses)
        bad = [r for r in convs if r["status"] == "401"]
        check(bad and bad[0]["code"] == "invalid_signature",
              "the 401 row does not show invalid_signature: %r" % bad)
        check(int(rows[0]["id"]) > int(rows[-1]["id"]), "the list is not newest first")
        check(XSS_PATH in by_path, "the <script> path is not shown as text: %r"
              % list(by_path))

        # open the bad call with the keyboard: focus its button, Enter
        if bad:
            browser.eval("document.querySelector('tr[data-id=\"%s\"] button').focus()"
                         % int(bad[0]["id"]))
            browser.key("Enter", "Enter", 13, "\r")
            step = browser.wait_for(
                "document.getElementById('failed-step') && "
                "document.getElementById('failed-step').textContent", "the diagnosis")
            check(step.startswith("Failed step: signature"), "failed step shown: %r" % step)
            signing = browser.eval("document.getElementById('signing').textContent")
            check(bad_signing in signing,
                  "expected signing string %s not in %r" % (bad_signing, signing))
            check("800 ms behind the mock clock (inside" in signing,
                  "timestamp distance not shown: %r" % signing)
            cmd = browser.eval("document.getElementById('hmac1-cmd').textContent")
            check("hmac1 verify" in cmd and "--timestamp '%d'" % (FROZEN_MS - 800) in cmd
                  and "--now-ms %d" % FROZEN_MS in cmd and "--tenant '%s'" % tid in cmd
                  and "--body-file body.json" in cmd,
                  "hmac1 command incomplete: %r" % cmd)
            if args.out:
                browser.screenshot(os.path.join(args.out, "ui.png"))
            if args.screenshot:
                browser.screenshot(args.screenshot)

        # live: a call made now appears without a reload (the page polls the journal)
        browser.eval("window.loadedOnce = true")
        stale_status, _, _ = mock.signed("/api/v1/relay/create/conversation", body, tid, secret,
                                         FROZEN_MS - 45000)
        check(stale_status == 401, "stale call answered %s, not 401" % stale_status)
        browser.wait_for(
            "[...document.querySelectorAll('#requests tbody .error-code')].some("
            "c => c.textContent === 'stale_timestamp')", "the new call to appear live")
        check(browser.eval("window.loadedOnce === true"), "the page reloaded")
        # filters: status class 2xx leaves only the 201s
        browser.eval("(() => { const s = document.getElementById('f-status'); s.value = '2';"
                     " s.dispatchEvent(new Event('input')); })()")
        shown = json.loads(browser.eval(ROWS_JS))
        check(shown and all(r["status"].startswith("2") for r in shown) and len(shown) == 2,
              "status filter 2xx shows %r" % [(r["path"], r["status"]) for r in shown])
        browser.eval("(() => { const s = document.getElementById('f-status'); s.value = '';"
                     " s.dispatchEvent(new Event('input')); })()")

        # the provision call: X-Admin-Key kept by name only
        prov = by_path.get("/api/v1/provision/tenant", [])
        if prov:
            browser.eval("document.querySelector('tr[data-id=\"%s\"]').click()"
                         % int(prov[0]["id"]))
            hdrs = json.loads(browser.wait_for(
                "document.getElementById('entry-headers') && document.getElementById("
                "'entry-title').textContent.includes('provision') && JSON.stringify([...document"
                ".querySelectorAll('#entry-headers tbody tr')].map(tr => [tr.cells[0]"
                ".textContent, tr.cells[1].textContent]))", "the provision entry's headers"))
            check(["X-Admin-Key", "[redacted]"] in hdrs,
                  "X-Admin-Key not shown as [redacted]: %r" % hdrs)
        else:
            failures.append("the provision call is not listed")

        # the tenants view: the name renders as text
        browser.eval("document.getElementById('tab-tenants').click()")
        name = browser.wait_for(
            "(() => { const c = document.querySelector('#tenants tbody tr td:nth-child(2)');"
            " return c ? c.textContent : ''; })()", "the tenants table")
        check(name == XSS_NAME, "tenant name not rendered as text: %r" % name)

        # nothing executed, nothing was parsed from data, no key in the DOM
        check(browser.eval("typeof window.xssRan") == "undefined", "injected code ran")
        check(browser.eval("document.scripts.length") == 1, "a script element was injected")
        check(browser.eval("document.querySelectorAll('img, b').length") == 0,
              "an element was made from request data")
        check(ADMIN_KEY not in browser.eval("document.documentElement.outerHTML"),
              "the admin key is in the DOM")
        csp_errors = [m for m in browser.console_messages() if "Content Security Policy" in m]
        check(not csp_errors, "CSP violations: %r" % csp_errors)

        # phone width: no horizontal scrolling
        browser.eval("document.getElementById('tab-requests').click()")
        browser.viewport(390, 844, True)
        time.sleep(0.5)
        width = browser.eval("[document.documentElement.scrollWidth, window.innerWidth]")
        check(width[0] <= width[1] + 1, "phone width: page is %d px wide in %d" % tuple(width))
        if args.out:
            browser.screenshot(os.path.join(args.out, "ui-phone.png"))
    finally:
        browser.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mock", required=True)
    ap.add_argument("--out", default="")
    ap.add_argument("--screenshot", default="")
    args = ap.parse_args()

    binary = chromium_binary()
    if binary is None:
        print("SKIP: chromium is not installed (scripts/setup.sh --all, or apt-get install -y "
              "chromium)")
        return SKIP
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    failures = []
    mock = Mock(args.mock)
    try:
        run(args, binary, mock, failures)
    except Fail as e:
        failures.append(str(e))
    finally:
        mock.stop()
    for f in failures:
        print("FAIL: " + f)
    if not failures:
        print("PASS: good and bad HMAC#1 calls listed with their status, diagnosis shown, "
              "hostile path and name rendered as text, CSP respected, phone width fits")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
