#!/usr/bin/env python3
"""ctest `locust_distributed`: the Locust file run distributed on loopback against a fresh mock.

  scripts/locust/run_distributed.py --mock BUILD/bin/mock-relay [--seconds 15] [--users 8]

Starts mock-relay (127.0.0.1, --port 0), then a Locust master (--headless, bound to
127.0.0.1 on a free port) and two --worker processes, for --seconds; each simulated user
provisions its own tenant and drives the signed relay API mix. Prints the master's summary
(requests, 2xx rate, failures by status, requests by worker) and fails unless there were
requests, every one of them got its documented status, and both workers reported some.
Exits 77 with a "SKIP: ..." line when Locust is not installed (Debian python3-locust).
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "conformance", "tests"))
ADMIN = "locust-admin-key"


def locust_command():
    """Locust's console script, or a python3 that imports locust (Debian's python3-locust
    lives in /usr/bin/python3's dist-packages, not in another interpreter's)."""
    exe = shutil.which("locust")
    if exe:
        return [exe]
    for py in ("/usr/bin/python3", sys.executable):
        if os.path.exists(py) and subprocess.run([py, "-c", "import locust"], capture_output=True).returncode == 0:
            return [py, "-m", "locust"]
    return None


def master_bound(master, port, log, timeout=60.0):
    """True once the master listens on port; False when it exited because the port was
    taken (anything else is left for the caller to report)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if master.poll() is not None:
            log.flush()
            log.seek(0)
            return "was busy" not in log.read()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return True


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_mock(path):
    proc = subprocess.Popen([path, "--port", "0", "--admin-key", ADMIN], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith("mock-relay listening on "):
            return proc, line.split()[-1]
        if proc.poll() is not None:
            break
    proc.kill()
    sys.exit("locust_distributed: mock-relay did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mock", required=True)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--users", type=int, default=8)
    a = ap.parse_args()
    cmd = locust_command()
    if cmd is None:
        print("SKIP: Locust is not installed (Debian: apt-get install python3-locust; scripts/setup.sh --all)")
        return 77

    mock, base = start_mock(a.mock)
    procs = []
    with tempfile.TemporaryDirectory(prefix="bloonio-locust-") as tmp:
        summary_path = os.path.join(tmp, "summary.json")
        env = dict(os.environ, BLOONIO_CHAT_ADMIN_KEY=ADMIN, BLOONIO_LOAD_SUMMARY=summary_path,
                   PYTHONDONTWRITEBYTECODE="1")
        env.pop("BLOONIO_CHAT_TENANT_ID", None)
        locustfile = os.path.join(HERE, "locustfile.py")
        common = ["-f", locustfile, "--host", base, "--loglevel", "WARNING"]
        master_log = open(os.path.join(tmp, "master.log"), "w+")
        try:
            # free_port() only finds a port that was free a moment ago: another process
            # may take it before the master binds it ("port ... was busy"); then the
            # master is started again on another port (at most 5 times).
            for _ in range(5):
                port = free_port()
                master_log.seek(0)
                master_log.truncate()
                master = subprocess.Popen(
                    cmd + common + ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                                    "--headless", "-u", str(a.users), "-r", str(a.users), "-t", f"{a.seconds}s",
                                    "--expect-workers", "2", "--expect-workers-max-wait", "60",
                                    "--stop-timeout", "5", "--only-summary"],
                    stdout=master_log, stderr=subprocess.STDOUT, env=env, cwd=tmp)
                if not master_bound(master, port, master_log):
                    master.wait()
                    continue
                break
            procs.append(master)
            for i in range(2):
                wlog = open(os.path.join(tmp, f"worker{i}.log"), "w+")
                procs.append(subprocess.Popen(
                    cmd + common + ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)],
                    stdout=wlog, stderr=subprocess.STDOUT, env=env, cwd=tmp))
            try:
                rc = master.wait(timeout=a.seconds + 120)
            except subprocess.TimeoutExpired:
                rc = None
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            mock.kill()
            mock.wait()
        master_log.seek(0)
        out = master_log.read()
        print(out[-6000:])
        if rc is None:
            print("FAIL: the Locust master did not finish in time")
            return 1
        try:
            with open(summary_path, encoding="utf-8") as f:
                s = json.load(f)
        except (OSError, ValueError):
            print("FAIL: the master wrote no summary (BLOONIO_LOAD_SUMMARY)")
            for i in range(2):
                with open(os.path.join(tmp, f"worker{i}.log")) as f:
                    print(f"---- worker{i}.log\n" + f.read()[-3000:])
            return 1

    print("summary: " + json.dumps(s))
    problems = []
    if s["requests"] <= 0:
        problems.append("no requests were made")
    if s["locust_total_requests"] != s["requests"]:
        problems.append(f"Locust's own count ({s['locust_total_requests']}) differs from the status count")
    if s["failures_by_status"] or s["locust_total_failures"]:
        problems.append(f"unexpected answers: {s['failures_by_status']}")
    reporting = [w for w, n in s["workers"].items() if n > 0]
    if len(reporting) != 2:
        problems.append(f"{len(reporting)} workers reported requests, want 2: {s['workers']}")
    if rc != 0:
        problems.append(f"the master exited {rc}")
    for p in problems:
        print("FAIL: " + p)
    if not problems:
        print(f"locust_distributed: master + 2 workers, {s['requests']} signed requests in {s['seconds']} s, "
              f"{100.0 * s['ok_2xx_rate']:.2f}% 2xx ({s['ok_2xx_per_second']:.1f}/s), no failures")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
