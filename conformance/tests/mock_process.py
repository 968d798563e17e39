"""mock-relay as a child process of the conformance tests (run_against_mock.py, run_wss.py).

Standard library only; imported from the tests' own directory.
"""
import subprocess
import sys

LISTENING = "mock-relay listening on "


def start_mock(mock, admin_key):
    """Starts the mock-relay executable mock on a free port with admin_key.

    Returns (process, base URL), the URL read from its first line; exits the test when
    that line does not come. The caller terminates the process.
    """
    proc = subprocess.Popen([mock, "--port", "0", "--admin-key", admin_key],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith(LISTENING):
        proc.kill()
        sys.exit(f"mock-relay did not start: {line!r}")
    return proc, line[len(LISTENING):]
