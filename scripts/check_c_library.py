#!/usr/bin/env python3
"""Checks libbloonio-relay as an SDK author gets it: installed, found by pkg-config,
exporting exactly its public header's functions, and working.

  scripts/check_c_library.py --build BUILD_DIR [--cflags "EXTRA FLAGS"]

1. `cmake --install BUILD_DIR --prefix TMP` (a temporary prefix: no root needed);
2. TMP holds one public header (bloonio_relay.h), the shared library with its SONAME
   (libbloonio-relay.so.0) and symlinks, and bloonio-relay.pc;
3. the exported symbols are exactly the functions the header declares (nothing internal);
4. examples/c/hmac1_sign_verify.c is built against the installed copy with
   `cc ... $(pkg-config --cflags --libs bloonio-relay)` (PKG_CONFIG_PATH=TMP/...), ldd shows it
   loads TMP's library, and it reproduces every vectors/hmac1_sign.json case (body hash,
   signing string, signature), verifies its own signature and refuses a tampered one.
Exit 0 when all of it holds, 1 otherwise.
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
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--cflags", default="", help="extra compiler flags (the sanitizers of an ASan build)")
    a = ap.parse_args()
    cc = os.environ.get("CC") or shutil.which("cc") or "gcc"

    with tempfile.TemporaryDirectory(prefix="bloonio-lib-") as tmp:
        prefix = os.path.join(tmp, "prefix")
        r = run(["cmake", "--install", a.build, "--prefix", prefix])
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            fail("cmake --install failed")
            return 1
        pcs = [os.path.join(d, f) for d, _, fs in os.walk(prefix) for f in fs if f == "bloonio-relay.pc"]
        if len(pcs) != 1:
            fail(f"expected one bloonio-relay.pc under the prefix, found {pcs}")
            return 1
        pcdir = os.path.dirname(pcs[0])
        libdir = os.path.dirname(pcdir)
        headers = [os.path.relpath(os.path.join(d, f), prefix) for d, _, fs in os.walk(prefix) for f in fs if f.endswith(".h")]
        if headers != ["include/bloonio_relay.h"]:
            fail(f"installed headers are {headers}, want exactly include/bloonio_relay.h")
        so = os.path.join(libdir, "libbloonio-relay.so")
        for name in ("libbloonio-relay.so", "libbloonio-relay.so.0"):
            if not os.path.islink(os.path.join(libdir, name)):
                fail(f"{name} is not an installed symlink")
        r = run(["readelf", "-d", so])
        if "Library soname: [libbloonio-relay.so.0]" not in r.stdout:
            fail("SONAME is not libbloonio-relay.so.0")
        print(f"installed: {os.path.relpath(libdir, prefix)}/libbloonio-relay.so.0 (SONAME ok), include/bloonio_relay.h, "
              f"{os.path.relpath(pcs[0], prefix)}")

        # 3. exports == the header's functions
        with open(os.path.join(prefix, "include", "bloonio_relay.h"), encoding="utf-8") as f:
            header = f.read()
        code = re.sub(r"/\*.*?\*/", "", header, flags=re.S)
        declared = set(re.findall(r"^[A-Za-z_][\w \t*]*?\b([a-z][a-z0-9_]*)\s*\([^;{]*\)\s*;", code, flags=re.M))
        r = run(["nm", "-D", "--defined-only", so])
        exported = set()
        for line in r.stdout.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TtWwDdBbRr" and parts[1] != "A":
                exported.add(parts[2].split("@")[0])
        if not declared:
            fail("no function declarations found in bloonio_relay.h")
        if exported != declared:
            fail(f"exported but not declared: {sorted(exported - declared)}; declared but not exported: "
                 f"{sorted(declared - exported)}")
        else:
            print(f"exports: the {len(exported)} functions of bloonio_relay.h and nothing else")

        # 4. the example against the installed copy, through pkg-config
        env = dict(os.environ, PKG_CONFIG_PATH=pcdir)
        r = run(["pkg-config", "--cflags", "--libs", "bloonio-relay"], env=env)
        if r.returncode != 0:
            fail("pkg-config --cflags --libs bloonio-relay: " + r.stderr.strip())
            return 1
        pc_flags = shlex.split(r.stdout)
        libdir_pc = run(["pkg-config", "--variable=libdir", "bloonio-relay"], env=env).stdout.strip()
        print("pkg-config --cflags --libs bloonio-relay: " + r.stdout.strip())
        exe = os.path.join(tmp, "hmac1_sign_verify")
        cmd = ([cc, "-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror"] + shlex.split(a.cflags) +
               [os.path.join(ROOT, "examples", "c", "hmac1_sign_verify.c"), "-o", exe] + pc_flags +
               ["-Wl,-rpath," + libdir_pc])
        r = run(cmd, env=env)
        if r.returncode != 0:
            print(" ".join(cmd), r.stdout, r.stderr)
            fail("the example does not build against the installed library")
            return 1
        r = run(["ldd", exe])
        m = re.search(r"libbloonio-relay\.so\.0 => (\S+)", r.stdout)
        if not m or os.path.realpath(m.group(1)) != os.path.realpath(os.path.join(libdir, "libbloonio-relay.so.0")):
            fail(f"the example does not load the installed library: {r.stdout}")
        with open(os.path.join(ROOT, "vectors", "hmac1_sign.json"), encoding="utf-8") as f:
            doc = json.load(f)
        n = 0
        for t in (t for g in doc["testGroups"] for t in g["tests"]):
            body = bytes.fromhex(t["body_hex"]) if "body_hex" in t else t["body"].encode("utf-8")
            p = subprocess.run([exe, t["secret"], t["timestamp_ms"]], input=body, capture_output=True, timeout=30)
            lines = p.stdout.decode().splitlines()
            out = dict(line.split(" ", 1) for line in lines if " " in line and not line.startswith("header "))
            hdrs = [line[len("header "):] for line in lines if line.startswith("header ")]
            want_hdrs = ["X-Bloonio-Tenant-Id: 019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                         f"X-Bloonio-Timestamp: {t['timestamp_ms']}", f"X-Bloonio-Signature: {t['signature']}"]
            if hdrs != want_hdrs:
                fail(f"example on {t['id']}: header lines {hdrs}, want {want_hdrs}")
            want = {"body_sha256": t["body_sha256"], "signing_string": t["signing_string"], "signature": t["signature"],
                    "verify": "none 200 ok", "tampered": "signature 401 invalid_signature",
                    "origin": "https://shop.demo.com"}
            got = {k: out.get(k) for k in want}
            if p.returncode != 0 or got != want:
                fail(f"example on {t['id']}: exit {p.returncode}, got {got}, want {want}")
            n += 1
        print(f"example (built with pkg-config against the installed copy): {n} hmac1_sign vectors reproduced")
    print(f"c library: {'FAILED' if failures else 'ok'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
