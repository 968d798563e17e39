#!/usr/bin/env python3
"""A minimal Bloonio Chat Relay SDK client that signs exactly as documented.

Reads BLOONIO_CHAT_BASE_URL, BLOONIO_CHAT_TENANT_ID and BLOONIO_CHAT_TENANT_SECRET
(falling back to the quickstart's CHAT_RELAY_* names), then creates a conversation,
sends a message and fetches the messages through the HMAC#1-signed relay API
(SPEC.md §4, §6). Exits 0 when every call succeeds.

HMAC#1 (SPEC.md §4.2-4.3): sign the exact bytes that are sent, with a timestamp in
Unix milliseconds:
    signature = hex(hmac_sha256(tenant_secret, f"{timestamp_ms}.{sha256_hex(body)}"))

Standard library only.
"""
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def env(name, alias):
    value = os.environ.get(name) or os.environ.get(alias)
    if not value:
        sys.exit(f"good_client: set {name} (or {alias})")
    return value


def hmac1_headers(tenant_id, tenant_secret, body):
    """The three HMAC#1 headers for body (bytes, exactly as sent)."""
    ts_ms = str(int(time.time() * 1000))
    body_hash = hashlib.sha256(body).hexdigest()
    signing_string = f"{ts_ms}.{body_hash}"
    signature = hmac.new(tenant_secret.encode(), signing_string.encode(),
                         hashlib.sha256).hexdigest()
    return {"X-Bloonio-Tenant-Id": tenant_id, "X-Bloonio-Timestamp": ts_ms,
            "X-Bloonio-Signature": signature, "Content-Type": "application/json"}


class Client:
    def __init__(self, base_url, tenant_id, tenant_secret):
        self.base_url = base_url.rstrip("/")
        self.tenant_id = tenant_id
        self.tenant_secret = tenant_secret

    def call(self, method, path, obj=None, query=None):
        """One signed call; returns (status, envelope)."""
        body = b"" if obj is None else json.dumps(obj, separators=(",", ":")).encode()
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        req = urllib.request.Request(url, data=body if method != "GET" else None,
                                     method=method,
                                     headers=hmac1_headers(self.tenant_id,
                                                           self.tenant_secret, body))
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                return err.code, json.loads(raw)
            except ValueError:
                return err.code, raw.decode(errors="replace")


def main():
    client = Client(env("BLOONIO_CHAT_BASE_URL", "CHAT_RELAY_BASE_URL"),
                    env("BLOONIO_CHAT_TENANT_ID", "CHAT_RELAY_TENANT_ID"),
                    env("BLOONIO_CHAT_TENANT_SECRET", "CHAT_RELAY_TENANT_SECRET"))
    ok = True

    status, env_ = client.call("POST", "/api/v1/relay/create/conversation",
                               {"visitor_user_id": "user-123",
                                "visitor_display_name": "Mary", "locale": "en",
                                "metadata": {"plan": "pro"}})
    print(f"create/conversation -> {status}")
    if status != 201:
        print(f"  {env_}")
        return 1
    conv_id = env_["data"]["id"]

    status, env_ = client.call("POST", "/api/v1/relay/send/message",
                               {"conversation_id": conv_id, "role": "visitor",
                                "content": "Bonjour — où est ma commande ?"})
    print(f"send/message -> {status}")
    ok &= status == 201

    status, env_ = client.call("GET", "/api/v1/relay/fetch/messages",
                               query={"conversation_id": conv_id})
    print(f"fetch/messages -> {status}")
    ok &= status == 200 and isinstance(env_, dict) and env_["data"]["total"] >= 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
