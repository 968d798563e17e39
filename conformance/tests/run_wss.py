#!/usr/bin/env python3
"""ctest `conformance_wss`: relay-conformance against the mock behind a TLS proxy.

A self-signed certificate is made at test time (openssl), a small TLS-terminating proxy
(stdlib ssl) forwards to a fresh mock-relay, and the suite runs against
https://127.0.0.1:PORT (SPEC.md §12.1.6):
  - without --insecure it refuses the certificate: exit 2 (the relay is unreachable);
  - with --insecure the ws.* cases (now over wss://) and a few HTTP cases all PASS.
"""
import argparse
import json
import os
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import threading

from mock_process import start_mock

ADMIN_KEY = "wss-test-admin-key"


def pump(client, backend_port):
    """Forwards one TLS connection to the mock until both directions end."""
    try:
        back = socket.create_connection(("127.0.0.1", backend_port), timeout=10)
    except OSError:
        client.close()
        return
    up = True  # client -> mock still open
    try:
        while True:
            readable = [back] + ([client] if up else [])
            if up and client.pending():
                ready = [client]
            else:
                ready, _, _ = select.select(readable, [], [], 10)
                if not ready:
                    break
            if client in ready:
                try:
                    data = client.recv(65536)
                except (OSError, ssl.SSLError):
                    data = b""
                if data:
                    try:
                        back.sendall(data)
                    except OSError:
                        up = False  # the mock closed first: still drain its answer
                else:
                    up = False
                    try:
                        back.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
            if back in ready:
                try:
                    data = back.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    break
                client.sendall(data)
    except (OSError, ssl.SSLError):
        pass
    finally:
        back.close()
        try:
            client.close()
        except OSError:
            pass


def serve(listener, ctx, backend_port):
    while True:
        try:
            raw, _ = listener.accept()
        except OSError:
            return
        try:
            raw.settimeout(10)
            tls = ctx.wrap_socket(raw, server_side=True)
            tls.settimeout(None)
        except (OSError, ssl.SSLError):
            raw.close()  # e.g. the suite refusing the certificate
            continue
        threading.Thread(target=pump, args=(tls, backend_port), daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", required=True)
    ap.add_argument("--mock", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    failures = 0

    def check(cond, what):
        nonlocal failures
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures += 1

    with tempfile.TemporaryDirectory() as tmp:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        mock, mock_url = start_mock(a.mock, ADMIN_KEY)
        mock_port = int(mock_url.rsplit(":", 1)[1])
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        port = listener.getsockname()[1]
        threading.Thread(target=serve, args=(listener, ctx, mock_port), daemon=True).start()
        base = f"https://127.0.0.1:{port}"
        try:
            r = subprocess.run([a.suite, "--base-url", base, "--admin-key", ADMIN_KEY,
                                "--filter", "ws.*", "--no-color"],
                               capture_output=True, text=True, timeout=120)
            check(r.returncode == 2,
                  f"a self-signed relay is refused without --insecure (exit {r.returncode})")
            report = os.path.join(a.out, "wss.json")
            r = subprocess.run([a.suite, "--base-url", base, "--admin-key", ADMIN_KEY,
                                "--insecure", "--filter", "ws.*", "--json", report,
                                "--no-color"],
                               capture_output=True, text=True, timeout=300)
            check(r.returncode == 0, f"ws.* over wss:// with --insecure exits 0 "
                  f"(got {r.returncode})")
            if r.returncode != 0:
                print(r.stdout[-4000:])
            with open(report) as f:
                cases = json.load(f)["cases"]
            not_pass = [f"{c['id']}={c['verdict']}" for c in cases if c["verdict"] != "PASS"]
            check(len(cases) >= 14 and not not_pass,
                  f"every ws.* case PASSes over wss:// ({len(cases)} cases; "
                  f"not PASS: {not_pass})")
            r = subprocess.run([a.suite, "--base-url", base, "--admin-key", ADMIN_KEY,
                                "--insecure", "--filter", "admin.provision.*", "--no-color"],
                               capture_output=True, text=True, timeout=120)
            check(r.returncode == 0, f"admin.provision.* over https:// with --insecure exits 0 "
                  f"(got {r.returncode})")
        finally:
            listener.close()
            mock.terminate()
            mock.wait(timeout=10)
    print("run_wss: " + ("all checks passed" if failures == 0 else f"{failures} failed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
