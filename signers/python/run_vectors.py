#!/usr/bin/env python3
"""Runs bloonio_hmac1.py against every case of vectors/hmac1_sign.json,
vectors/hmac1_verify.json and vectors/callbacks.json.

    signers/python/run_vectors.py [VECTORS_DIR]

Prints one line per failing case (by id) and a last line "python signer: N passed, M
failed"; exit 0 only when every case passed and every file had cases.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bloonio_hmac1 as h  # noqa: E402


def body_of(t):
    return bytes.fromhex(t["body_hex"]) if "body_hex" in t else t["body"].encode("utf-8")


def cases(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    out = [t for g in doc["testGroups"] for t in g["tests"]]
    if len(out) != doc["numberOfTests"]:
        raise SystemExit(f"{path}: {len(out)} tests, numberOfTests says {doc['numberOfTests']}")
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "vectors")
    passed = failed = 0
    counts = {}

    def check(name, t, ok, got):
        nonlocal passed, failed
        counts[name] = counts.get(name, 0) + 1
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name} {t['id']}: {got}")

    for t in cases(os.path.join(root, "hmac1_sign.json")):
        s = h.sign(t["secret"], body_of(t), t["timestamp_ms"])
        got = (s.body_sha256, s.signing_string, s.signature)
        check("hmac1_sign", t, got == (t["body_sha256"], t["signing_string"], t["signature"]), got)
        # and the signer's own output verifies at its timestamp
        v = h.verify(h.headers("t", s), body_of(t), int(t["timestamp_ms"]), {"t": (t["secret"], "active")})
        check("hmac1_sign(verify)", t, v.ok, v)

    for t in cases(os.path.join(root, "hmac1_verify.json")):
        tenants = {x["tenant_id"]: (x["tenant_secret"], x["status"]) for x in t["tenants"]}
        v = h.verify([tuple(p) for p in t["headers"]], body_of(t), t["now_ms"], tenants)
        if t["result"] == "valid":
            ok = v.ok
        else:
            ok = (not v.ok and v.failed_step == t["failed_step"] and v.status == t["status"]
                  and v.error == t["error"])
        if "signing_string" in t:
            ok = ok and v.signing_string == t["signing_string"]
        check("hmac1_verify", t, ok, v)

    for t in cases(os.path.join(root, "callbacks.json")):
        # a backend knows one tenant: any other id is unknown (step 3)
        v = h.verify([tuple(p) for p in t["headers"]], body_of(t), t["now_ms"],
                     {t["tenant_id"]: (t["tenant_secret"], "active")})
        want_ok = t["expected_backend_response"] == "2xx"
        ok = v.ok == want_ok and (want_ok or v.failed_step == t.get("failed_step"))
        check("callbacks", t, ok, v)

    for name in ("hmac1_sign", "hmac1_verify", "callbacks"):
        if counts.get(name, 0) == 0:
            print(f"FAIL {name}: no cases")
            failed += 1
    print("python signer: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"python signer: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
