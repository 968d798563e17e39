#!/usr/bin/env python3
"""A Bloonio Chat Relay client with the two classic HMAC#1 bugs, for demonstrations.

    --bug reserialized-body   signs json.dumps(obj) but sends a differently serialized
                              body (compact separators): the signed bytes differ from
                              the sent bytes, so the relay answers 401 invalid_signature.
    --bug seconds-timestamp   sends X-Bloonio-Timestamp in seconds (10 digits) instead
                              of milliseconds: 401 stale_timestamp.

Less classic ones, for the sdk mode's diagnosis tests:
    --bug microseconds-timestamp  a 16-digit timestamp (time.time() * 1e6)
    --bug clock-skew              a millisecond timestamp 90 s behind
    --bug missing-timestamp       no X-Bloonio-Timestamp header
    --bug truncated-signature     only the first 32 hex characters of the signature
    --bug wrong-tenant            another tenant id (the signature is right)

Without --bug it makes two calls, one with each classic bug. Reads the same environment
as good_client.py. Exits 1 (the relay refuses its calls). Standard library only.
"""
import argparse
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request

CLASSIC = ("reserialized-body", "seconds-timestamp")
BUGS = CLASSIC + ("microseconds-timestamp", "clock-skew", "missing-timestamp",
                  "truncated-signature", "wrong-tenant")


def env(name, alias):
    value = os.environ.get(name) or os.environ.get(alias)
    if not value:
        sys.exit(f"buggy_client: set {name} (or {alias})")
    return value


def create_conversation(base_url, tenant_id, secret, bug):
    obj = {"visitor_user_id": "user-123", "visitor_display_name": "Mary", "locale": "en"}
    sent = json.dumps(obj, separators=(",", ":")).encode()
    if bug == "reserialized-body":
        # BUG: signs one serialization ({"a": 1}, with spaces), sends another.
        signed = json.dumps(obj).encode()
    else:
        signed = sent
    if bug == "seconds-timestamp":
        ts = str(int(time.time()))  # BUG: seconds, the relay wants milliseconds
    elif bug == "microseconds-timestamp":
        ts = str(int(time.time() * 1000000))
    elif bug == "clock-skew":
        ts = str(int(time.time() * 1000) - 90000)
    else:
        ts = str(int(time.time() * 1000))
    signing_string = f"{ts}.{hashlib.sha256(signed).hexdigest()}"
    signature = hmac.new(secret.encode(), signing_string.encode(), hashlib.sha256).hexdigest()
    headers = {"X-Bloonio-Tenant-Id": tenant_id, "X-Bloonio-Timestamp": ts,
               "X-Bloonio-Signature": signature, "Content-Type": "application/json"}
    if bug == "missing-timestamp":
        del headers["X-Bloonio-Timestamp"]
    elif bug == "truncated-signature":
        headers["X-Bloonio-Signature"] = signature[:32]
    elif bug == "wrong-tenant":
        headers["X-Bloonio-Tenant-Id"] = "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f"
    req = urllib.request.Request(
        base_url.rstrip("/") + "/api/v1/relay/create/conversation", data=sent, method="POST",
        headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bug", choices=BUGS, action="append",
                        help="bug to show (repeatable; default: the two classic ones, one "
                        "call each)")
    args = parser.parse_args()
    base_url = env("BLOONIO_CHAT_BASE_URL", "CHAT_RELAY_BASE_URL")
    tenant_id = env("BLOONIO_CHAT_TENANT_ID", "CHAT_RELAY_TENANT_ID")
    secret = env("BLOONIO_CHAT_TENANT_SECRET", "CHAT_RELAY_TENANT_SECRET")
    ok = True
    for bug in args.bug or CLASSIC:
        status = create_conversation(base_url, tenant_id, secret, bug)
        print(f"create/conversation with bug {bug} -> {status}")
        ok &= 200 <= status < 300
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
