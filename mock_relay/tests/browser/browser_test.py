#!/usr/bin/env python3
"""Browser test of the widget flow (SPEC.md §7.1, §7.5, §8): headless Chromium.

A page served from an allowed origin creates a visitor session with fetch(),
opens the WebSocket with the visitor token, sends a message and writes the echo
into the DOM; a page served from a second, unlisted origin must see its fetch()
refused by CORS. Exits 77 (ctest SKIP_RETURN_CODE) when Chromium is missing.

The page reports its outcome to the static server (GET /report?...), and an
<img src="/hold"> that the server answers only after that report keeps the load
event (and so --dump-dom / --screenshot) waiting for the asynchronous flow.

usage: browser_test.py --mock PATH_TO_MOCK_RELAY [--out DIR]
"""
import argparse
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request

ADMIN_KEY = "browser-test-admin-key"
SKIP = 77

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>widget test</title>
<style>body{font:16px sans-serif;margin:2em} #result{font-weight:bold}</style></head>
<body>
<h1>Bloonio widget test</h1>
<p>origin: <code id="origin"></code></p>
<p>result: <span id="result">PENDING</span></p>
<script>
const CFG = %(cfg)s;
document.getElementById('origin').textContent = location.origin;
function done(text) {
  document.getElementById('result').textContent = text;
  fetch('/report?r=' + encodeURIComponent(text)).catch(() => {});
}
async function run() {
  let resp;
  try {
    resp = await fetch(CFG.mock + '/api/v1/create/visitor-session', {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({tenant_id: CFG.tenant_id, widget_public_key: CFG.widget_key,
                            origin: location.origin})
    });
  } catch (e) {
    done('CORS-REFUSED: ' + e.name);
    return;
  }
  if (resp.status !== 201) { done('HTTP-' + resp.status); return; }
  const env = await resp.json();
  const ws = new WebSocket(CFG.ws + '/api/v1/ws/widget?token=' +
                           encodeURIComponent(env.data.visitor_token));
  const timer = setTimeout(() => done('TIMEOUT'), 8000);
  ws.onmessage = (ev) => {
    const f = JSON.parse(ev.data);
    if (f.type === 'welcome') {
      ws.send(JSON.stringify({type: 'message', content: 'hello from chromium'}));
    } else if (f.type === 'message' && f.role === 'visitor') {
      clearTimeout(timer);
      done('ECHO: ' + f.content + ' (' + f.id.slice(0, 4) + ')');
      ws.close(1000);
    }
  };
  ws.onclose = (ev) => { if (ev.code !== 1000) done('CLOSED-' + ev.code); };
}
run();
</script>
<img src="/hold" alt="" width="1" height="1">
</body></html>
"""


class PageServer:
    """Serves PAGE on 127.0.0.1:<free port>, collects the page's report."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.reported = threading.Event()
        self.report = None
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                if url.path == "/page.html":
                    body = (PAGE % {"cfg": json.dumps(outer.cfg)}).encode()
                    self._send(200, "text/html; charset=utf-8", body)
                elif url.path == "/report":
                    outer.report = urllib.parse.parse_qs(url.query).get("r", [""])[0]
                    outer.reported.set()
                    self._send(204, "text/plain", b"")
                elif url.path == "/hold":
                    outer.reported.wait(15)
                    self._send(404, "text/plain", b"")
                else:
                    self._send(404, "text/plain", b"")

            def _send(self, status, ctype, body):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.origin = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def reset(self):
        self.reported.clear()
        self.report = None

    def close(self):
        self.httpd.shutdown()


def admin(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"X-Admin-Key": ADMIN_KEY,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.loads(r.read())


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_chromium(binary, url, extra):
    profile = tempfile.mkdtemp(prefix="bt-chromium-")
    try:
        cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync",
               "--user-data-dir=" + profile] + extra + [url]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        return p.stdout.decode(errors="replace")
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mock", required=True)
    ap.add_argument("--out", default=".")
    args = ap.parse_args()

    binary = chromium_binary()
    if binary is None:
        print("SKIP: chromium is not installed (apt-get install -y chromium)")
        return SKIP

    mock = subprocess.Popen([args.mock, "--port", "0", "--admin-key", ADMIN_KEY],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    allowed = blocked = None
    failures = []
    try:
        first = mock.stdout.readline().decode().strip()
        base = first.rsplit(" ", 1)[-1]
        mock_port = int(base.rsplit(":", 1)[-1])
        # Two static servers: two origins (ports differ).
        allowed_cfg = {"mock": base, "ws": "ws://127.0.0.1:%d" % mock_port}
        allowed = PageServer(allowed_cfg)
        blocked = PageServer(dict(allowed_cfg))
        status, env = admin(base, "POST", "/api/v1/provision/tenant",
                            {"tenant_name": "Browser Shop", "allowed_origins": [allowed.origin]})
        assert status == 201, env
        for page in (allowed, blocked):
            page.cfg["tenant_id"] = env["data"]["tenant_id"]
            page.cfg["widget_key"] = env["data"]["widget_public_key"]

        # 1. Allowed origin: session, WebSocket, echo in the DOM.
        dom = run_chromium(binary, allowed.origin + "/page.html",
                           ["--dump-dom"])
        if 'id="result">ECHO: hello from chromium' not in dom:
            failures.append("allowed origin: no echo in the DOM (report=%r)" % allowed.report)
        # The same page again, as a screenshot artifact.
        os.makedirs(args.out, exist_ok=True)
        shot = os.path.join(args.out, "browser_widget_echo.png")
        allowed.reset()
        run_chromium(binary, allowed.origin + "/page.html",
                     ["--screenshot=" + shot, "--window-size=900,500"])
        if os.path.exists(shot):
            print("screenshot: " + shot)
        else:
            failures.append("no screenshot written")

        # 2. Unlisted origin: the preflight is refused, fetch() rejects (§7.5.4).
        dom = run_chromium(binary, blocked.origin + "/page.html",
                           ["--dump-dom"])
        if 'id="result">CORS-REFUSED: TypeError' not in dom:
            failures.append("unlisted origin: no CORS refusal in the DOM (report=%r)"
                            % blocked.report)
    finally:
        mock.terminate()
        mock.wait(10)
        for page in (allowed, blocked):
            if page is not None:
                page.close()
    for f in failures:
        print("FAIL: " + f)
    if not failures:
        print("PASS: echo seen on the allowed origin, CORS refusal on the unlisted one")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
