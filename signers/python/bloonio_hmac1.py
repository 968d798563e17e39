"""HMAC#1 reference signer and verifier for the Bloonio Chat Relay (SPEC.md §4).

Python standard library only; copy this file into your project. Every intermediate value
is returned, so a 401 can be compared with what the relay computed (the mock's journal,
`hmac1 verify`).

    import bloonio_hmac1 as h
    s = h.sign(tenant_secret, body=b'{"visitor_user_id":"user-123"}')
    headers = h.headers(tenant_id, s)         # the three X-Bloonio-* headers
    v = h.verify(received_headers, body, now_ms=..., tenants={tenant_id: (secret, "active")})
    v.ok, v.failed_step, v.status, v.error    # True, None, 200, None  or  False, "window", 401, "stale_timestamp"

Recipe (SPEC.md §4.2-4.3):
    body_sha256    = lowercase hex SHA-256(body bytes)      (GET: the empty body)
    signing_string = "{timestamp_ms}.{body_sha256}"         (the timestamp as sent, in ms)
    signature      = lowercase hex HMAC-SHA256(UTF-8 bytes of the whole secret, signing_string)
"""
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple, Union

HEADER_TENANT = "X-Bloonio-Tenant-Id"
HEADER_TIMESTAMP = "X-Bloonio-Timestamp"
HEADER_SIGNATURE = "X-Bloonio-Signature"
WINDOW_MS = 30000  # |now - timestamp| <= 30000 is accepted (§4.4)
TENANT_MAX = 128  # bytes (§4.1)
TIMESTAMP_MAX_DIGITS = 16  # (§4.1)

__all__ = ["Signed", "Verdict", "sign", "headers", "verify", "now_ms", "WINDOW_MS"]

Bytes = Union[bytes, bytearray, memoryview, str]


@dataclass(frozen=True)
class Signed:
    """Every value a signer computes."""

    timestamp: str  # the X-Bloonio-Timestamp text
    body_sha256: str
    signing_string: str
    signature: str


@dataclass(frozen=True)
class Verdict:
    """What the relay's order of checks (§4.5, steps 1-4) decides."""

    ok: bool
    failed_step: Optional[str]  # None, "headers", "window", "signature" or "tenant_status"
    status: int  # 200 when ok, else the HTTP status the relay answers with
    error: Optional[str]  # None when ok, else the relay's error.code
    body_sha256: Optional[str] = None
    signing_string: Optional[str] = None  # None when the timestamp is unusable


def now_ms() -> int:
    """The current time in milliseconds (the unit HMAC#1 wants: not seconds)."""
    return time.time_ns() // 1_000_000


def _bytes(body: Optional[Bytes]) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def sign(secret: str, body: Optional[Bytes] = b"", timestamp_ms: Union[int, str, None] = None) -> Signed:
    """Sign body (bytes as sent; a str is taken as its UTF-8 bytes) with the tenant secret
    (the whole string, "sk_" included) at timestamp_ms (default: now). A str timestamp is
    used as the exact header text."""
    ts = str(now_ms() if timestamp_ms is None else timestamp_ms)
    body_sha256 = hashlib.sha256(_bytes(body)).hexdigest()
    signing_string = f"{ts}.{body_sha256}"
    signature = hmac.new(secret.encode("utf-8"), signing_string.encode("ascii"), hashlib.sha256).hexdigest()
    return Signed(ts, body_sha256, signing_string, signature)


def headers(tenant_id: str, signed: Signed) -> dict:
    """The three request headers for a signed call."""
    return {
        HEADER_TENANT: tenant_id,
        HEADER_TIMESTAMP: signed.timestamp,
        HEADER_SIGNATURE: signed.signature,
    }


def _is_ascii_digits(s: str) -> bool:
    return 1 <= len(s) <= TIMESTAMP_MAX_DIGITS and all("0" <= c <= "9" for c in s)


def _is_hex64(s: str) -> bool:
    return len(s) == 64 and all(c in "0123456789abcdefABCDEF" for c in s)


def _refuse(step: str, body_sha256=None, signing_string=None) -> Verdict:
    status, error = {
        "headers": (401, "missing_signature"),
        "window": (401, "stale_timestamp"),
        "signature": (401, "invalid_signature"),
        "tenant_status": (403, "tenant_suspended"),
    }[step]
    return Verdict(False, step, status, error, body_sha256, signing_string)


def verify(
    received: Union[Mapping[str, str], Sequence[Tuple[str, str]]],
    body: Optional[Bytes],
    now_ms: int,
    tenants: Mapping[str, Tuple[str, str]],
) -> Verdict:
    """Check a request as the relay does (§4.5 steps 1-4; replay and rate limits keep state
    and are the relay's). received: the headers as (name, value) pairs or a mapping;
    tenants: tenant_id -> (tenant_secret, "active" | "suspended"). The first failing step
    wins."""
    pairs = list(received.items()) if isinstance(received, Mapping) else list(received)
    found = {HEADER_TENANT.lower(): [], HEADER_TIMESTAMP.lower(): [], HEADER_SIGNATURE.lower(): []}
    for name, value in pairs:
        if name.lower() in found:
            found[name.lower()].append(value)
    tenant = found[HEADER_TENANT.lower()]
    ts = found[HEADER_TIMESTAMP.lower()]
    sig = found[HEADER_SIGNATURE.lower()]

    body_sha256 = hashlib.sha256(_bytes(body)).hexdigest()
    signing_string = None
    if len(ts) == 1 and _is_ascii_digits(ts[0]):
        signing_string = f"{ts[0]}.{body_sha256}"

    # 1. headers: each present once, not empty, well-formed
    if (
        len(tenant) != 1
        or len(ts) != 1
        or len(sig) != 1
        or not tenant[0]
        or len(tenant[0].encode("utf-8")) > TENANT_MAX
        or signing_string is None
        or not _is_hex64(sig[0])
    ):
        return _refuse("headers", body_sha256, signing_string)
    # 2. window, before any tenant lookup
    if abs(now_ms - int(ts[0])) > WINDOW_MS:
        return _refuse("window", body_sha256, signing_string)
    # 3. signature: an unknown tenant is the same failure, at the same cost
    known = tenants.get(tenant[0])
    secret = known[0] if known is not None else "\0unknown tenant"
    expected = hmac.new(secret.encode("utf-8"), signing_string.encode("ascii"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), sig[0].encode("ascii")) or known is None:
        return _refuse("signature", body_sha256, signing_string)
    # 4. tenant status
    if known[1] == "suspended":
        return _refuse("tenant_status", body_sha256, signing_string)
    return Verdict(True, None, 200, None, body_sha256, signing_string)
