#!/usr/bin/env python3
"""ctest `container_recipe`: the Dockerfile's recipe, checked and run without Docker.

  scripts/check_container.py --bin BUILD/bin [--dockerfile Dockerfile]

1. Parses the Dockerfile: a multi-stage build on Debian slim whose build stage runs the
   project's own steps (scripts/setup.sh, the CMake build, cpack -G DEB) and whose final
   stage installs that .deb with apt-get, runs as a non-root USER, EXPOSEs 7811, has a
   HEALTHCHECK and a CMD (JSON form).
2. Runs what the final stage runs, the way a container would: in a private network
   namespace (`unshare --net`, loopback only: nothing is reachable from outside), as an
   unprivileged user (setpriv, uid/gid 65534), the CMD with BUILD/bin first on PATH (the
   build tree's binaries; the .deb's are checked by deb_package_install), and checks the
   start-up warning about the non-loopback bind (SPEC.md §1.1.5), that the HEALTHCHECK
   command passes while the mock runs and fails once it is gone, and that the suite in the
   same "image" passes against it (--strict).
Step 2 needs root and unshare; without them it prints "SKIP: ..." and exits 77 after
step 1 passed.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def instructions(path):
    """(INSTRUCTION, argument text) pairs, with line continuations joined and comments dropped."""
    out, cur = [], ""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not cur and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.rstrip().endswith("\\"):
                cur += line.rstrip()[:-1] + " "
                continue
            cur += line
            word, _, rest = cur.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            cur = ""
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--dockerfile", default=os.path.join(ROOT, "Dockerfile"))
    a = ap.parse_args()
    problems = []
    ins = instructions(a.dockerfile)
    args = {k: v for k, v in (i[1].split("=", 1) for i in ins if i[0] == "ARG" and "=" in i[1])}
    stages = [i for i, (k, _) in enumerate(ins) if k == "FROM"]
    if len(stages) < 2:
        problems.append("not a multi-stage build")
    for i in stages:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), ins[i][1].split()[0])
        if not re.fullmatch(r"debian:[a-z]+-slim", image):
            problems.append(f"stage base {image} is not a Debian slim image")
    build = " ".join(v for k, v in ins[stages[0]:stages[-1]] if k == "RUN") if len(stages) >= 2 else ""
    for step in ("scripts/setup.sh", "cmake -S . -B", "cmake --build", "cpack -G DEB"):
        if step not in build:
            problems.append(f"the build stage does not run `{step}`")
    final = ins[stages[-1]:] if stages else []
    final_run = " ".join(v for k, v in final if k == "RUN")
    if "apt-get install" not in final_run or ".deb" not in final_run:
        problems.append("the final stage does not apt-get install the .deb")
    users = [v for k, v in final if k == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("the final stage does not run as a non-root USER")
    if not any(k == "EXPOSE" and "7811" in v.split() for k, v in final):
        problems.append("no EXPOSE 7811")
    cmd = [json.loads(v) for k, v in final if k == "CMD"]
    health = [v for k, v in final if k == "HEALTHCHECK"]
    if not cmd:
        problems.append("no CMD in JSON form")
    if not health or " CMD " not in f" {health[-1]} ":
        problems.append("no HEALTHCHECK ... CMD")
    if problems:
        for p in problems:
            print("FAIL: " + p)
        return 1
    argv = cmd[-1]
    health_cmd = health[-1].split(" CMD ", 1)[1] if " CMD " in health[-1] else health[-1][4:]
    print(f"Dockerfile: {len(stages)} stages on Debian slim; build stage runs setup.sh, cmake, cpack; "
          f"final stage apt-get installs the .deb, USER {users[-1]}; CMD {argv}")

    if os.geteuid() != 0:
        print("SKIP: running the container's CMD in a private network namespace needs root (unshare --net)")
        return 77
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"SKIP: unshare --net does not work here ({probe.stderr.strip()}); nothing to run the CMD in")
        return 77

    key = "container-admin-key"
    with tempfile.TemporaryDirectory(prefix="bloonio-container-") as tmp:
        os.chmod(tmp, 0o777)
        # The unprivileged user may not traverse the build tree (a checkout under /root):
        # run copies, as the image runs its own.
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        for tool in ("mock-relay", "relay-conformance"):
            shutil.copy2(os.path.join(a.bin, tool), bindir)
        shutil.copy2(os.path.join(ROOT, "conformance", "expected-failures.txt"), tmp)
        os.chmod(bindir, 0o755)
        inner = os.path.join(tmp, "inner.sh")
        with open(inner, "w", encoding="utf-8") as f:
            f.write(f"""set -u
ip link set lo up
cd {shlex.quote(tmp)}
export PATH={shlex.quote(bindir)}:$PATH MOCK_RELAY_ADMIN_KEY={key}
as_user() {{ setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }}
setpriv --reuid=65534 --regid=65534 --clear-groups {' '.join(shlex.quote(x) for x in argv)} > mock.out 2> mock.err &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 300); do grep -q '^mock-relay listening on ' mock.out && break; sleep 0.1; done
echo "listening: $(head -n 1 mock.out)"
echo "uid: $(ps -o uid= -p $pid | tr -d ' ') $(ps -o comm= -p $pid)"
grep -m1 'warning' mock.err | sed 's/^/stderr: /'
if as_user sh -c {shlex.quote(health_cmd)}; then echo "health: ok"; else echo "health: FAILED"; fi
as_user relay-conformance --base-url http://127.0.0.1:7811 --admin-key {key} --strict --quiet --no-color \\
  --expected-failures expected-failures.txt > suite.txt 2>&1
echo "suite: exit $? $(tail -n 1 suite.txt)"
kill $pid; wait $pid
if as_user sh -c {shlex.quote(health_cmd)}; then echo "health after stop: ok"; else echo "health after stop: failing"; fi
""")
        r = subprocess.run(["unshare", "--net", "bash", inner], capture_output=True, text=True, timeout=240)
        out = r.stdout
        print(out + r.stderr[-2000:])
    checks = [
        ("listening: mock-relay listening on http://0.0.0.0:7811", "the CMD does not listen on 0.0.0.0:7811"),
        ("uid: 65534", "the mock does not run as the unprivileged user"),
        ("stderr: mock-relay: warning: listening on 0.0.0.0, not a loopback address", "no start-up warning (SPEC 1.1.5)"),
        ("health: ok", "the HEALTHCHECK command fails while the mock runs"),
        ("suite: exit 0 ", "the suite does not pass against the container's mock"),
        ("health after stop: failing", "the HEALTHCHECK command still passes with the mock gone"),
    ]
    for want, msg in checks:
        if not any(line.startswith(want) for line in out.splitlines()):
            problems.append(msg)
    for p in problems:
        print("FAIL: " + p)
    if not problems:
        print("container_recipe: the image's CMD, USER and HEALTHCHECK behave as the Dockerfile says")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
