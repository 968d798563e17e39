#!/usr/bin/env python3
"""default_port.py --bin MOCK - the mock's default port is 7811 (SPEC.md §1.1.2, OV).

Starts mock-relay without --port. It either listens on 127.0.0.1:7811 (its first
stdout line says so, and GET /__mock/clock answers there), or, when another process
holds 7811 on this shared machine, exits saying it cannot listen on 127.0.0.1:7811.
Either way the port it chose without --port is 7811; any other port, or any other
outcome, fails. Standard library only.
"""
import argparse
import subprocess
import sys
import urllib.request

KEY = "default-port-test-key"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    a = ap.parse_args()
    proc = subprocess.Popen([a.bin, "--admin-key", KEY], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        if line:
            want = "mock-relay listening on http://127.0.0.1:7811"
            if line != want:
                sys.exit(f"FAIL: first line {line!r}, expected {want!r}")
            req = urllib.request.Request("http://127.0.0.1:7811/__mock/clock",
                                         headers={"X-Admin-Key": KEY})
            with urllib.request.urlopen(req, timeout=30) as r:
                if r.status != 200:
                    sys.exit(f"FAIL: GET /__mock/clock on 7811 answered {r.status}")
            print("ok: without --port the mock listens on 127.0.0.1:7811")
            return
        # no first line: the mock exited; it must have tried 7811
        err = proc.stderr.read()
        code = proc.wait(timeout=30)
        if code != 0 and "cannot listen on 127.0.0.1:7811" in err:
            print("ok: 7811 is taken on this machine; the mock tried 127.0.0.1:7811 "
                  f"(exit {code})")
            return
        sys.exit(f"FAIL: exit {code} without listening; stderr {err.strip()!r}")
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
