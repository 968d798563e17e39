#!/usr/bin/env python3
"""gen_vectors.py - write the test vectors in vectors/ (SPEC.md §11).

Deterministic: every secret, body, timestamp and id below is a literal or is
derived from a fixed label with SHA-256; nothing is random and nothing reads the
clock. Running it twice gives the same bytes.

Each case states its expected outcome by hand (normalized origin, failed step,
...); the generator also computes the outcome with its own reference code and
refuses to write anything when the two disagree. scripts/check_vectors.py then
re-checks the written files with code that shares nothing with this file.

Usage:
  scripts/gen_vectors.py            write vectors/*.json, *.schema.json
  scripts/gen_vectors.py --out DIR  write into DIR instead
  scripts/gen_vectors.py --check    exit 1 if the files on disk differ from what
                                    would be written (for CI)

python3 stdlib only.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time

GENERATOR_VERSION = "1.0.0"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS_DIR = os.path.join(ROOT, "vectors")
SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"

# --------------------------------------------------------------------------
# Fixed inputs
# --------------------------------------------------------------------------

# 2026-06-21T10:00:00Z, the instant of the documented provisioning example.
NOW_MS = 1782036000000
NOW_RFC3339 = "2026-06-21T10:00:00Z"
TS = str(NOW_MS)
WINDOW_MS = 30000

H_TENANT = "X-Bloonio-Tenant-Id"
H_TS = "X-Bloonio-Timestamp"
H_SIG = "X-Bloonio-Signature"
HMAC1_NAMES = (H_TENANT.lower(), H_TS.lower(), H_SIG.lower())


def fixed_secret(label):
    """sk_ + 43 base64url chars (32 bytes, no padding), derived from a label."""
    raw = hashlib.sha256(("bloonio-vectors:" + label).encode()).digest()
    return "sk_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def uuid7_hex(ms, label):
    """32 lowercase hex digits shaped like a UUIDv7 (ms prefix, version 7, variant 10)."""
    h = hashlib.sha256(("bloonio-vectors:" + label).encode()).hexdigest()
    return "%012x7%s%s%s" % (ms, h[0:3], "89ab"[int(h[3], 16) % 4], h[4:19])


# Tenants. TENANT_A's id is the one in the documented quickstart.
TENANT_A = "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f"
TENANT_B = "019e4ae7-2b3c-7d4e-9f50-6a7b8c9d0e1f"
TENANT_S = "019e4ae7-3c4d-7e5f-a061-7b8c9d0e1f20"  # suspended
TENANT_U = "019e4ae7-4d5e-7f60-b172-8c9d0e1f2031"  # uses a non-ASCII secret
TENANT_UNKNOWN = "019e4ae7-ffff-7fff-bfff-ffffffffffff"

SK_A = fixed_secret("tenant-a")
SK_A_OLD = fixed_secret("tenant-a:before-rotation")
SK_B = fixed_secret("tenant-b")
SK_S = fixed_secret("tenant-s")
SK_UTF8 = "sk_clé-secrète_ключ_鍵_🔑"

SECRET_SPEC = "sk_" + "A" * 43  # SPEC.md 4.3.4
SECRET_SHORT = "s"
SECRET_SK_TEST = "sk_test"
SECRET_LONG200 = "sk_" + ("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_" * 4)[:197]
SECRET_64 = "sk_" + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[:61]
SECRET_65 = SECRET_64 + "x"
SECRET_B64STD = "sk_AbC+dEf/GhI=jKl+mN/oP=="
SECRET_SPACE = SK_A + " "
SECRET_NO_PREFIX = SK_A[3:]

BODY_CONV = '{"visitor_user_id":"user-123","visitor_display_name":"Mary","locale":"en"}'
BODY_MSG = '{"conversation_id":"conv_%s","role":"visitor","content":"Where is my order?"}' % uuid7_hex(
    NOW_MS - 60000, "conv-1")
BODY_OPERATOR = ('{"email":"merchant@shop.demo.com","display_name":"Shop Owner",'
                 '"routing_keys":["store-42","store-43"]}')
BODY_MINT = '{"visitor_user_id":"user-123","visitor_email_hash":"sha256:%s","ttl_seconds":3600}' % (
    hashlib.sha256(b"mary@example.com").hexdigest())


def body_64k():
    """A JSON text of exactly 65536 bytes (the mock's body limit)."""
    head, tail = '{"visitor_user_id":"user-123","metadata":{"note":"', '"}}'
    fill = "Bloonio vectors: a body of exactly 64 KiB. "
    n = 65536 - len(head) - len(tail)
    text = head + (fill * (n // len(fill) + 1))[:n] + tail
    assert len(text.encode("utf-8")) == 65536
    return text


# --------------------------------------------------------------------------
# Reference HMAC#1 (generator side)
# --------------------------------------------------------------------------

def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def hmac1(secret, ts_text, body):
    """(body_sha256, signing_string, signature) for secret (str), ts_text (str), body (bytes)."""
    bh = sha256_hex(body)
    ss = ts_text + "." + bh
    sig = hmac.new(secret.encode("utf-8"), ss.encode("utf-8"), hashlib.sha256).hexdigest()
    return bh, ss, sig


def ts_well_formed(text):
    return 1 <= len(text) <= 16 and all(c in "0123456789" for c in text)


def sig_well_formed(text):
    return len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text)


STEP_ERRORS = {
    "headers": (401, "missing_signature"),
    "window": (401, "stale_timestamp"),
    "signature": (401, "invalid_signature"),
    "tenant_status": (403, "tenant_suspended"),
}


def reference_verify(tenants, now_ms, headers, body):
    """Steps 1-4 of the brief's order. Returns (failed_step or None, signing_string or None)."""
    seen = {}
    for name, value in headers:
        if name.lower() in HMAC1_NAMES:
            seen.setdefault(name.lower(), []).append(value)
    ts_vals = seen.get(HMAC1_NAMES[1], [])
    ss = None
    if len(ts_vals) == 1 and ts_well_formed(ts_vals[0]):
        ss = ts_vals[0] + "." + sha256_hex(body)
    if any(len(seen.get(n, [])) != 1 for n in HMAC1_NAMES):
        return "headers", ss
    tid, ts, sig = (seen[n][0] for n in HMAC1_NAMES)
    if tid == "" or len(tid.encode("utf-8")) > 128:
        return "headers", ss
    if not ts_well_formed(ts) or not sig_well_formed(sig):
        return "headers", ss
    if abs(now_ms - int(ts)) > WINDOW_MS:
        return "window", ss
    tenant = next((t for t in tenants if t["tenant_id"] == tid), None)
    if tenant is None:
        return "signature", ss
    want = hmac.new(tenant["tenant_secret"].encode("utf-8"), ss.encode("utf-8"),
                    hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want.encode(), sig.encode("utf-8")):
        return "signature", ss
    if tenant["status"] != "active":
        return "tenant_status", ss
    return None, ss


def put_body(test, body):
    """body (str) -> "body"; body (bytes) -> "body_hex". Returns the bytes."""
    if isinstance(body, bytes):
        test["body_hex"] = body.hex()
        return body
    test["body"] = body
    return body.encode("utf-8")


class Ids:
    """Allocates tcIds and refuses duplicate ids."""

    def __init__(self):
        self.n = 0
        self.ids = set()

    def next(self, ident):
        if ident in self.ids:
            raise SystemExit("duplicate id " + ident)
        self.ids.add(ident)
        self.n += 1
        return self.n


def check_flags(groups, notes):
    used = {f for g in groups for t in g["tests"] for f in t["flags"]}
    if used - set(notes):
        raise SystemExit("flags without a note: %s" % sorted(used - set(notes)))
    if set(notes) - used:
        raise SystemExit("notes for unused flags: %s" % sorted(set(notes) - used))


def document(algorithm, schema, header, notes, groups):
    check_flags(groups, notes)
    return {
        "algorithm": algorithm,
        "schema": schema,
        "generatorVersion": GENERATOR_VERSION,
        "numberOfTests": sum(len(g["tests"]) for g in groups),
        "header": header,
        "notes": dict(sorted(notes.items())),
        "testGroups": groups,
    }


# --------------------------------------------------------------------------
# hmac1_sign.json
# --------------------------------------------------------------------------

SIGN_NOTES = {
    "SpecExample": "The worked example printed in SPEC.md 4.3.4.",
    "EmptyBody": "Body-less request (GET): the body is the empty string, sha256 e3b0c442...b855.",
    "Json": "A JSON body as a client would send it.",
    "LargeBody": "A 65536-byte body, the mock relay's limit (SPEC §1.7); hashed as is.",
    "Utf8": "Non-ASCII text: the UTF-8 bytes are hashed, never code points or UTF-16 units.",
    "UnicodeNormalization": "NFC and NFD spellings of the same text are different bytes and sign differently; no normalization is applied.",
    "Binary": "A non-text body, given as body_hex; may contain NUL bytes or invalid UTF-8.",
    "Reserialization": "The same logical JSON serialized differently (whitespace, key order, escapes, number form): each form has its own hash and signature, so sign the exact bytes you send.",
    "LineEndings": "Trailing newline vs none, LF vs CRLF: every byte counts.",
    "SecretShape": "A tenant_secret of a particular shape; the key is the UTF-8 bytes of the whole string, sk_ prefix included, never base64-decoded or trimmed.",
    "SecretNonAscii": "A secret containing non-ASCII characters: the key is its UTF-8 bytes.",
    "SecretLong": "A secret longer than SHA-256's 64-byte block: HMAC hashes the key first.",
    "SecretBlockSize": "A secret of exactly 64 or 65 bytes, either side of the HMAC block-size boundary.",
    "TimestampDigits": "A timestamp that is not 13 digits; the signing string uses the header text as is.",
    "LeadingZeros": "A timestamp with leading zeros: the signing string uses the text as sent, so the signature differs from the one over the same value without zeros.",
}

SIGN_HEADER = [
    "HMAC#1 request signing (SPEC.md §4.2-4.3; docs: concepts/authentication).",
    "body_sha256 = lowercase hex SHA-256 of the exact body bytes (empty for GET).",
    "signing_string = timestamp_ms + \".\" + body_sha256, where timestamp_ms is the X-Bloonio-Timestamp text exactly as sent.",
    "signature = lowercase hex HMAC-SHA256(key = UTF-8 bytes of the whole tenant_secret, message = ASCII bytes of signing_string).",
    "body is UTF-8 text; body_hex is used for binary bodies; exactly one of the two is present.",
    "timestamp_ms is a string of 1-16 ASCII digits so that leading zeros survive.",
]


def sign_cases():
    big = body_64k()
    # (id, comment, flags, secret, timestamp text, body str|bytes)
    return [
        # SPEC.md 4.3.4 worked example
        ("hmac1.sign.spec-example-json", "SPEC.md 4.3.4 worked example: secret sk_ + 43 x A, a small JSON body", ["Json", "SpecExample"], SECRET_SPEC, TS,
         '{"visitor_user_id":"user-123"}'),
        ("hmac1.sign.spec-example-get", "SPEC.md 4.3.4 worked example: secret sk_ + 43 x A, GET", ["EmptyBody", "SpecExample"], SECRET_SPEC, TS, ""),
        # bodies
        ("hmac1.sign.body-empty-get", "GET with no body: sha256 of the empty string", ["EmptyBody"], SK_A, TS, ""),
        ("hmac1.sign.body-json-create-conversation", "POST /api/v1/relay/create/conversation, compact JSON; the reference for the hmac1.sign.secret-* and hmac1.sign.ts-* cases", ["Json"], SK_A, TS, BODY_CONV),
        ("hmac1.sign.body-json-send-message", "POST /api/v1/relay/send/message", ["Json"], SK_A, TS, BODY_MSG),
        ("hmac1.sign.body-json-provision-operator", "POST /api/v1/relay/provision/operator with routing_keys", ["Json"], SK_A, TS, BODY_OPERATOR),
        ("hmac1.sign.body-json-mint-visitor-token", "POST /api/v1/relay/mint/visitor-token", ["Json"], SK_A, TS, BODY_MINT),
        ("hmac1.sign.body-json-empty-object", "the two-byte body {}", ["Json"], SK_A, TS, "{}"),
        ("hmac1.sign.body-single-space", "a body of one space is not the empty body", [], SK_A, TS, " "),
        ("hmac1.sign.body-64kib", "a JSON body of exactly 65536 bytes", ["Json", "LargeBody"], SK_A, TS, big),
        # UTF-8
        ("hmac1.sign.body-utf8-accents", "French accents, UTF-8 encoded", ["Json", "Utf8"], SK_A, TS,
         '{"conversation_id":"conv_1","role":"visitor","content":"Où est ma commande ? Déjà payée, reçu n° 42."}'),
        ("hmac1.sign.body-utf8-emoji", "emoji outside the BMP, a skin tone modifier and a ZWJ sequence", ["Json", "Utf8"], SK_A, TS,
         '{"content":"Merci 👋🏽 🎉 👩‍💻"}'),
        ("hmac1.sign.body-utf8-cjk", "Chinese and Japanese text", ["Json", "Utf8"], SK_A, TS,
         '{"content":"我的订单在哪里？ 注文はどこですか"}'),
        ("hmac1.sign.body-utf8-mixed-scripts", "Arabic, Cyrillic and Greek text", ["Json", "Utf8"], SK_A, TS,
         '{"content":"أين طلبي؟ Где мой заказ? Πού είναι;"}'),
        ("hmac1.sign.body-unicode-nfc", "é as one code point U+00E9 (bytes c3 a9)", ["Json", "Utf8", "UnicodeNormalization"], SK_A, TS,
         '{"content":"r\u00e9sum\u00e9"}'),
        ("hmac1.sign.body-unicode-nfd", "é as e + U+0301 (bytes 65 cc 81): differs from the NFC case", ["Json", "Utf8", "UnicodeNormalization"], SK_A, TS,
         '{"content":"re\u0301sume\u0301"}'),
        # binary
        ("hmac1.sign.body-binary-nul", "binary body with NUL bytes", ["Binary"], SK_A, TS,
         bytes.fromhex("00010203000000ff00fe0d0a00")),
        ("hmac1.sign.body-binary-single-nul", "a body of one NUL byte", ["Binary"], SK_A, TS, b"\x00"),
        ("hmac1.sign.body-binary-invalid-utf8", "bytes that are not valid UTF-8 (c3 28, ff, lone continuation)", ["Binary"], SK_A, TS,
         b'{"content":"\xc3\x28 \xff \x80"}'),
        ("hmac1.sign.body-binary-all-bytes", "the 256 byte values 00..ff in order", ["Binary"], SK_A, TS, bytes(range(256))),
        # JSON serializations of one value
        ("hmac1.sign.json-compact", "compact form, the reference for the sign.json.* cases", ["Json", "Reserialization"], SK_A, TS,
         '{"visitor_user_id":"user-123","locale":"fr"}'),
        ("hmac1.sign.json-spaces-after-separators", "same value, Python json.dumps default separators", ["Json", "Reserialization"], SK_A, TS,
         '{"visitor_user_id": "user-123", "locale": "fr"}'),
        ("hmac1.sign.json-pretty-indent-2", "same value, pretty-printed with LF newlines", ["Json", "Reserialization"], SK_A, TS,
         '{\n  "visitor_user_id": "user-123",\n  "locale": "fr"\n}'),
        ("hmac1.sign.json-key-order-swapped", "same value, keys in the other order", ["Json", "Reserialization"], SK_A, TS,
         '{"locale":"fr","visitor_user_id":"user-123"}'),
        ("hmac1.sign.json-unicode-raw", "é sent as raw UTF-8", ["Json", "Reserialization", "Utf8"], SK_A, TS,
         '{"content":"café"}'),
        ("hmac1.sign.json-unicode-escaped", "é sent as the six ASCII characters \\u00e9 (ensure_ascii style)", ["Json", "Reserialization"], SK_A, TS,
         '{"content":"caf\\u00e9"}'),
        ("hmac1.sign.json-unicode-escaped-upper", "é sent as \\u00E9 with uppercase hex", ["Json", "Reserialization"], SK_A, TS,
         '{"content":"caf\\u00E9"}'),
        ("hmac1.sign.json-slash-plain", "a URL with plain slashes", ["Json", "Reserialization"], SK_A, TS,
         '{"callback_url_base":"https://shop.demo.com"}'),
        ("hmac1.sign.json-slash-escaped", "the same URL with \\/ escapes (PHP json_encode style)", ["Json", "Reserialization"], SK_A, TS,
         '{"callback_url_base":"https:\\/\\/shop.demo.com"}'),
        ("hmac1.sign.json-number-integer", "ttl_seconds as 3600", ["Json", "Reserialization"], SK_A, TS,
         '{"ttl_seconds":3600}'),
        ("hmac1.sign.json-number-float", "ttl_seconds as 3600.0", ["Json", "Reserialization"], SK_A, TS,
         '{"ttl_seconds":3600.0}'),
        # line endings
        ("hmac1.sign.body-no-trailing-newline", "JSON without a trailing newline", ["Json", "LineEndings"], SK_A, TS,
         '{"locale":"fr"}'),
        ("hmac1.sign.body-trailing-lf", "the same JSON followed by LF (as curl -d @file may send)", ["Json", "LineEndings"], SK_A, TS,
         '{"locale":"fr"}\n'),
        ("hmac1.sign.body-trailing-crlf", "the same JSON followed by CRLF", ["Json", "LineEndings"], SK_A, TS,
         '{"locale":"fr"}\r\n'),
        ("hmac1.sign.body-multiline-lf", "two lines of text separated by LF", ["LineEndings", "Utf8"], SK_A, TS,
         "Bonjour,\nj'ai une question.\n"),
        ("hmac1.sign.body-multiline-crlf", "the same text with CRLF line endings", ["LineEndings", "Utf8"], SK_A, TS,
         "Bonjour,\r\nj'ai une question.\r\n"),
        # secrets
        ("hmac1.sign.secret-realistic-b", "another realistic secret: sk_ + 43 base64url chars", ["SecretShape"], SK_B, TS, BODY_CONV),
        ("hmac1.sign.secret-realistic-with-dash-underscore", "a realistic secret (the pre-rotation one) whose base64url part uses - or _", ["SecretShape"], SK_A_OLD, TS, BODY_CONV),
        ("hmac1.sign.secret-short-1-char", "a one-character secret", ["SecretShape"], SECRET_SHORT, TS, BODY_CONV),
        ("hmac1.sign.secret-short-sk-test", "a short test secret", ["SecretShape"], SECRET_SK_TEST, TS, BODY_CONV),
        ("hmac1.sign.secret-long-200", "a 200-character secret (hashed first, longer than the block)", ["SecretShape", "SecretLong"], SECRET_LONG200, TS, BODY_CONV),
        ("hmac1.sign.secret-64-bytes", "a secret of exactly 64 bytes, used as the key without hashing", ["SecretShape", "SecretBlockSize"], SECRET_64, TS, BODY_CONV),
        ("hmac1.sign.secret-65-bytes", "a secret of 65 bytes, hashed first", ["SecretShape", "SecretBlockSize", "SecretLong"], SECRET_65, TS, BODY_CONV),
        ("hmac1.sign.secret-non-ascii", "a secret with accents, Cyrillic, CJK and an emoji: key = its UTF-8 bytes", ["SecretShape", "SecretNonAscii"], SK_UTF8, TS, BODY_CONV),
        ("hmac1.sign.secret-base64-standard-chars", "a secret containing +, / and = (used verbatim, never decoded)", ["SecretShape"], SECRET_B64STD, TS, BODY_CONV),
        ("hmac1.sign.secret-trailing-space", "the realistic secret plus a trailing space: the space is part of the key (never trim)", ["SecretShape"], SECRET_SPACE, TS, BODY_CONV),
        ("hmac1.sign.secret-without-sk-prefix", "the realistic secret without its sk_ prefix signs differently (the prefix is part of the key)", ["SecretShape"], SECRET_NO_PREFIX, TS, BODY_CONV),
        ("hmac1.sign.secret-non-ascii-empty-body", "the non-ASCII secret with a GET", ["SecretShape", "SecretNonAscii", "EmptyBody"], SK_UTF8, TS, ""),
        # timestamps
        ("hmac1.sign.ts-13-digit-plus-1ms", "one millisecond later than the other cases", [], SK_A, str(NOW_MS + 1), BODY_CONV),
        ("hmac1.sign.ts-13-digit-epoch-2001", "the first 13-digit timestamp, 1000000000000 (2001-09-09)", [], SK_A, "1000000000000", BODY_CONV),
        ("hmac1.sign.ts-1-digit", "a one-digit timestamp", ["TimestampDigits"], SK_A, "7", BODY_CONV),
        ("hmac1.sign.ts-1-digit-zero", "the timestamp 0", ["TimestampDigits"], SK_A, "0", ""),
        ("hmac1.sign.ts-10-digit-seconds", "a timestamp in seconds instead of milliseconds (signs fine, fails the window)", ["TimestampDigits"], SK_A, str(NOW_MS // 1000), BODY_CONV),
        ("hmac1.sign.ts-16-digit-microseconds", "a timestamp in microseconds (16 digits)", ["TimestampDigits"], SK_A, str(NOW_MS * 1000), BODY_CONV),
        ("hmac1.sign.ts-16-digit-max", "the largest accepted timestamp text, sixteen 9s", ["TimestampDigits"], SK_A, "9999999999999999", BODY_CONV),
        ("hmac1.sign.ts-leading-zero-14", "the 13-digit timestamp with one leading zero", ["TimestampDigits", "LeadingZeros"], SK_A, "0" + TS, BODY_CONV),
        ("hmac1.sign.ts-leading-zeros-16", "the 13-digit timestamp padded with zeros to 16 digits", ["TimestampDigits", "LeadingZeros"], SK_A, "000" + TS, BODY_CONV),
        ("hmac1.sign.ts-leading-zeros-empty-body", "leading zeros with a GET", ["TimestampDigits", "LeadingZeros", "EmptyBody"], SK_A, "00" + TS, ""),
    ]


def sign_spec(ident, flags):
    """The SPEC.md rule a sign case covers."""
    if "SpecExample" in flags:
        return "4.3.4"
    if "LeadingZeros" in flags:
        return "4.2.4"
    if ".secret-" in ident:
        return "4.3.1"
    if ".ts-" in ident:
        return "4.2.3"
    return "4.2.1"


def build_sign():
    ids = Ids()
    tests = []
    sigs = {}
    for ident, comment, flags, secret, ts, body in sign_cases():
        assert ts_well_formed(ts), ident
        t = {"tcId": ids.next(ident), "id": ident, "spec": sign_spec(ident, flags), "comment": comment,
             "flags": flags, "result": "valid", "secret": secret, "timestamp_ms": ts}
        raw = put_body(t, body)
        bh, ss, sig = hmac1(secret, ts, raw)
        t.update({"body_sha256": bh, "signing_string": ss, "signature": sig})
        if sig in sigs:
            raise SystemExit("%s signs like %s" % (ident, sigs[sig]))
        sigs[sig] = ident
        tests.append(t)
    groups = [{"type": "Hmac1Sign", "tests": tests}]
    return document("HMAC#1", "hmac1_sign.schema.json", SIGN_HEADER, SIGN_NOTES, groups)


# --------------------------------------------------------------------------
# hmac1_verify.json
# --------------------------------------------------------------------------

VERIFY_NOTES = {
    "HeaderCase": "Header names are case-insensitive (HTTP/2 sends them lowercase).",
    "ExtraHeaders": "Other headers are present and must be ignored.",
    "MissingHeader": "A required X-Bloonio-* header is absent.",
    "EmptyHeader": "A required header is present with an empty value.",
    "DuplicateHeader": "A required header appears twice (names compared case-insensitively): step 1 fails even if both values agree.",
    "TenantIdLength": "X-Bloonio-Tenant-Id longer than 128 bytes fails step 1; 128 bytes passes it.",
    "TimestampSyntax": "X-Bloonio-Timestamp is not 1-16 ASCII digits (sign, space, dot, letters, non-ASCII digits, 17 digits): step 1.",
    "SignatureSyntax": "X-Bloonio-Signature is not exactly 64 hex characters: step 1 (missing_signature), not step 3.",
    "UppercaseHex": "The signature is hex with uppercase letters: it passes step 1 but is a mismatch at step 3 (signatures are lowercase).",
    "WindowEdge": "|now_ms - timestamp| exactly 30000 (accepted) or 30001 (stale), in the past and in the future.",
    "Stale": "The timestamp is outside the +-30000 ms window.",
    "TimestampUnit": "The timestamp is in seconds or microseconds instead of milliseconds: fails the window.",
    "LeadingZeros": "A timestamp with leading zeros: valid when the signing string used the same text.",
    "WindowBeforeSignature": "Several checks would fail; the window (step 2) is checked first.",
    "UnknownTenant": "X-Bloonio-Tenant-Id names no tenant: invalid_signature, the same answer as a mismatch.",
    "WrongSecret": "Signed with a secret that is not the tenant's current secret.",
    "SecretRotation": "After rotate/tenant-secret the old secret fails at once; the new one passes.",
    "BodyMismatch": "The body received is not the body that was signed.",
    "Reserialization": "The JSON was re-serialized after signing (same value, other bytes).",
    "SigningMistake": "A common client mistake in building the signature.",
    "Suspended": "The tenant is suspended: 403 tenant_suspended, but only after a good signature (step 4).",
    "SignatureBeforeStatus": "A suspended tenant with a bad signature gets 401 invalid_signature: step 3 comes before step 4.",
    "Utf8": "A non-ASCII body or secret.",
    "Binary": "A binary body given as body_hex.",
    "EmptyBody": "A body-less request (GET).",
    "MultiTenant": "Several tenants are known to the verifier.",
}

VERIFY_HEADER = [
    "HMAC#1 verification by the relay (SPEC.md §4.4-4.6), steps in order, first failure wins:",
    "1 headers -> 401 missing_signature: a header missing, empty or duplicated; tenant id over 128 bytes; timestamp not 1-16 ASCII digits; signature not 64 hex chars (either case).",
    "2 window -> 401 stale_timestamp: |now_ms - int(timestamp)| > 30000.",
    "3 signature -> 401 invalid_signature: unknown tenant, or signature != lowercase hex HMAC (constant-time compare).",
    "4 tenant_status -> 403 tenant_suspended.",
    "Replay and rate limit (steps 5-6) are stateful and not covered here.",
    "headers is a list of [name, value] pairs as received; values are used exactly as given (an HTTP stack would already have removed surrounding whitespace).",
    "tenants is every tenant the verifier knows; tenant ids are compared byte for byte.",
    "signing_string is informational: what a verifier computes from the received timestamp text and body; null when the timestamp header is missing, duplicated or not 1-16 digits.",
]


def tenant(tid, secret, status="active"):
    return {"tenant_id": tid, "tenant_secret": secret, "status": status}


T_A = tenant(TENANT_A, SK_A)
T_B = tenant(TENANT_B, SK_B)
T_S = tenant(TENANT_S, SK_S, "suspended")
T_U = tenant(TENANT_U, SK_UTF8)
T_A_ROTATED = tenant(TENANT_A, SK_A)  # current secret; SK_A_OLD was the previous one
ALL = [T_A, T_B, T_S]


def sig_for(secret, ts, body):
    if isinstance(body, str):
        body = body.encode("utf-8")
    return hmac1(secret, ts, body)[2]


def std_headers(tid, ts, sig, names=(H_TENANT, H_TS, H_SIG)):
    return [[names[0], tid], [names[1], ts], [names[2], sig]]


def verify_cases():
    """(id, comment, flags, tenants, now_ms, headers, body, expected step or None)."""
    n = NOW_MS
    sa = sig_for(SK_A, TS, BODY_CONV)
    sa_get = sig_for(SK_A, TS, "")
    ok = std_headers(TENANT_A, TS, sa)
    cases = []

    def add(ident, comment, flags, headers, body=BODY_CONV, expect=None, tenants=ALL, now=n):
        cases.append((ident, comment, flags, tenants, now, headers, body, expect))

    # ---- valid
    add("hmac1.accept.get-empty-body", "GET signed over the empty body", ["EmptyBody"],
        std_headers(TENANT_A, TS, sa_get), body="")
    add("hmac1.accept.post-json", "POST with a compact JSON body", [], ok)
    add("hmac1.accept.skew-zero", "timestamp equal to now_ms, only tenant A known", [], ok, tenants=[T_A])
    ts = str(n - WINDOW_MS)
    add("hmac1.window.past-30000ms", "timestamp exactly 30000 ms in the past (accepted)", ["WindowEdge"],
        std_headers(TENANT_A, ts, sig_for(SK_A, ts, BODY_CONV)))
    ts = str(n + WINDOW_MS)
    add("hmac1.window.future-30000ms", "timestamp exactly 30000 ms in the future (accepted)", ["WindowEdge"],
        std_headers(TENANT_A, ts, sig_for(SK_A, ts, BODY_CONV)))
    add("hmac1.accept.lowercase-header-names", "header names all lowercase, as HTTP/2 delivers them", ["HeaderCase"],
        std_headers(TENANT_A, TS, sa, names=(H_TENANT.lower(), H_TS.lower(), H_SIG.lower())))
    add("hmac1.accept.mixed-case-header-names", "header names in odd mixed case", ["HeaderCase"],
        std_headers(TENANT_A, TS, sa, names=("x-BLOONIO-tenant-ID", "X-bloonio-TIMESTAMP", "x-Bloonio-Signature")))
    add("hmac1.accept.uppercase-header-names", "header names all uppercase", ["HeaderCase"],
        std_headers(TENANT_A, TS, sa, names=(H_TENANT.upper(), H_TS.upper(), H_SIG.upper())))
    add("hmac1.accept.extra-headers", "Content-Type, User-Agent and an unrelated X-Bloonio-* header are ignored", ["ExtraHeaders"],
        [["Content-Type", "application/json"], ["User-Agent", "bloonio-chat-relay-client/0.1.1"]] + ok
        + [["X-Bloonio-Request-Id", "req-1"], ["Accept", "application/json"]])
    add("hmac1.accept.header-order-reversed", "the three headers in reverse order", [],
        list(reversed(ok)))
    ts = "0" + TS
    add("hmac1.accept.leading-zero-timestamp", "timestamp with a leading zero, signed over that same text", ["LeadingZeros"],
        std_headers(TENANT_A, ts, sig_for(SK_A, ts, BODY_CONV)))
    ts = "000" + TS
    add("hmac1.accept.leading-zeros-16-digit", "16-digit timestamp made of zeros then the 13 digits, signed over that text", ["LeadingZeros"],
        std_headers(TENANT_A, ts, sig_for(SK_A, ts, BODY_CONV)))
    body = '{"conversation_id":"conv_1","role":"visitor","content":"Où est ma commande ? 我的订单 👋🏽"}'
    add("hmac1.accept.utf8-body", "a body with accents, CJK and emoji", ["Utf8"],
        std_headers(TENANT_A, TS, sig_for(SK_A, TS, body)), body=body)
    body = bytes.fromhex("00ff00fe0d0a0000")
    add("hmac1.accept.binary-body", "a binary body with NUL bytes", ["Binary"],
        std_headers(TENANT_A, TS, sig_for(SK_A, TS, body)), body=body)
    add("hmac1.accept.second-tenant", "tenant B signs with its own secret while A and a suspended tenant are known", ["MultiTenant"],
        std_headers(TENANT_B, TS, sig_for(SK_B, TS, BODY_CONV)))
    add("hmac1.accept.non-ascii-secret", "a tenant whose secret contains non-ASCII characters", ["Utf8"],
        std_headers(TENANT_U, TS, sig_for(SK_UTF8, TS, BODY_CONV)), tenants=[T_A, T_U])
    add("hmac1.accept.rotated-new-secret", "after rotation, the new secret signs", ["SecretRotation"],
        ok, tenants=[T_A_ROTATED])
    body = BODY_CONV + "\n"
    add("hmac1.accept.trailing-newline-signed", "a body with a trailing newline, signed with it", [],
        std_headers(TENANT_A, TS, sig_for(SK_A, TS, body)), body=body)

    # ---- step 1: headers
    add("hmac1.headers.missing-tenant-id", "no X-Bloonio-Tenant-Id", ["MissingHeader"], ok[1:], expect="headers")
    add("hmac1.headers.missing-timestamp", "no X-Bloonio-Timestamp", ["MissingHeader"], [ok[0], ok[2]], expect="headers")
    add("hmac1.headers.missing-signature", "no X-Bloonio-Signature", ["MissingHeader"], ok[:2], expect="headers")
    add("hmac1.headers.unsigned", "none of the three headers", ["MissingHeader"],
        [["Content-Type", "application/json"]], expect="headers")
    add("hmac1.headers.misspelled-name", "X-Bloonio-Tenant instead of X-Bloonio-Tenant-Id", ["MissingHeader"],
        [["X-Bloonio-Tenant", TENANT_A], ok[1], ok[2]], expect="headers")
    add("hmac1.headers.empty-tenant-id", "X-Bloonio-Tenant-Id present but empty", ["EmptyHeader"],
        std_headers("", TS, sa), expect="headers")
    add("hmac1.headers.empty-timestamp", "X-Bloonio-Timestamp present but empty", ["EmptyHeader"],
        std_headers(TENANT_A, "", sa), expect="headers")
    add("hmac1.headers.empty-signature", "X-Bloonio-Signature present but empty", ["EmptyHeader"],
        std_headers(TENANT_A, TS, ""), expect="headers")
    add("hmac1.headers.duplicate-tenant-id-same-value", "X-Bloonio-Tenant-Id twice with the same value", ["DuplicateHeader"],
        ok + [[H_TENANT, TENANT_A]], expect="headers")
    add("hmac1.headers.duplicate-timestamp", "X-Bloonio-Timestamp twice with different values", ["DuplicateHeader"],
        ok + [[H_TS, str(n + 1)]], expect="headers")
    add("hmac1.headers.duplicate-signature-other-case", "X-Bloonio-Signature and x-bloonio-signature, both the good signature", ["DuplicateHeader", "HeaderCase"],
        ok + [[H_SIG.lower(), sa]], expect="headers")
    add("hmac1.headers.tenant-id-129-bytes", "tenant id of 129 bytes", ["TenantIdLength"],
        std_headers("t" * 129, TS, sa), expect="headers")
    add("hmac1.headers.signature-63-hex", "signature truncated to 63 hex characters", ["SignatureSyntax"],
        std_headers(TENANT_A, TS, sa[:63]), expect="headers")
    add("hmac1.headers.signature-65-hex", "signature padded to 65 hex characters", ["SignatureSyntax"],
        std_headers(TENANT_A, TS, sa + "0"), expect="headers")
    add("hmac1.headers.signature-non-hex", "64 characters with a non-hex 'g'", ["SignatureSyntax"],
        std_headers(TENANT_A, TS, sa[:10] + "g" + sa[11:]), expect="headers")
    add("hmac1.headers.signature-0x-prefix", "signature with a 0x prefix (66 characters)", ["SignatureSyntax"],
        std_headers(TENANT_A, TS, "0x" + sa), expect="headers")
    sig_b64 = base64.b64encode(bytes.fromhex(sa)).decode()
    add("hmac1.headers.signature-base64", "the right MAC encoded in base64 instead of hex", ["SignatureSyntax", "SigningMistake"],
        std_headers(TENANT_A, TS, sig_b64), expect="headers")
    add("hmac1.headers.signature-sha256-prefix", "signature written as sha256=<hex> (GitHub webhook style)", ["SignatureSyntax", "SigningMistake"],
        std_headers(TENANT_A, TS, "sha256=" + sa), expect="headers")
    add("hmac1.headers.timestamp-non-digit", "timestamp 'abc'", ["TimestampSyntax"],
        std_headers(TENANT_A, "abc", sa), expect="headers")
    add("hmac1.headers.timestamp-plus-sign", "timestamp with a leading +", ["TimestampSyntax"],
        std_headers(TENANT_A, "+" + TS, sig_for(SK_A, "+" + TS, BODY_CONV)), expect="headers")
    add("hmac1.headers.timestamp-minus-sign", "timestamp with a leading -", ["TimestampSyntax"],
        std_headers(TENANT_A, "-" + TS, sig_for(SK_A, "-" + TS, BODY_CONV)), expect="headers")
    ts = TS[:7] + " " + TS[7:]
    add("hmac1.headers.timestamp-inner-space", "timestamp with a space inside", ["TimestampSyntax"],
        std_headers(TENANT_A, ts, sig_for(SK_A, ts, BODY_CONV)), expect="headers")
    add("hmac1.headers.timestamp-decimal-point", "timestamp 1782036000000.0", ["TimestampSyntax"],
        std_headers(TENANT_A, TS + ".0", sa), expect="headers")
    add("hmac1.headers.timestamp-exponent", "timestamp 1.782036e12", ["TimestampSyntax"],
        std_headers(TENANT_A, "1.782036e12", sa), expect="headers")
    add("hmac1.headers.timestamp-17-digits", "timestamp of 17 digits (zero-padded now)", ["TimestampSyntax"],
        std_headers(TENANT_A, "0000" + TS, sig_for(SK_A, "0000" + TS, BODY_CONV)), expect="headers")
    add("hmac1.headers.timestamp-iso8601", "an RFC 3339 date instead of milliseconds", ["TimestampSyntax", "SigningMistake"],
        std_headers(TENANT_A, NOW_RFC3339, sig_for(SK_A, NOW_RFC3339, BODY_CONV)), expect="headers")
    ts = "".join(chr(0xFF10 + int(c)) for c in TS)
    add("hmac1.headers.timestamp-fullwidth-digits", "timestamp in FULLWIDTH digits (U+FF10..): not ASCII digits", ["TimestampSyntax"],
        std_headers(TENANT_A, ts, sa), expect="headers")
    add("hmac1.headers.duplicate-beats-suspended", "a duplicated header on a suspended tenant: step 1 first", ["DuplicateHeader", "Suspended"],
        std_headers(TENANT_S, TS, sig_for(SK_S, TS, BODY_CONV)) + [[H_TS, TS]], expect="headers")

    # ---- step 2: window
    ts = str(n - WINDOW_MS - 1)
    add("hmac1.window.past-30001ms", "timestamp 30001 ms in the past", ["WindowEdge", "Stale"],
        std_headers(TENANT_A, ts, sig_for(SK_A, ts, BODY_CONV)), expect="window")
    ts = str(n + WINDOW_MS + 1)
    add("hmac1.window.future-30001ms", "timestamp 30001 ms in the future", ["WindowEdge", "Stale"],
        std_headers(TENANT_A, ts, sig_for(SK_A, ts, BODY_CONV)), expect="window")
    ts = str(n - 3600 * 1000)
    add("hmac1.window.one-hour-old", "a correctly signed request captured an hour ago", ["Stale"],
        std_headers(TENANT_A, ts, sig_for(SK_A, ts, BODY_CONV)), expect="window")
    ts = str(n // 1000)
    add("hmac1.window.timestamp-in-seconds", "10-digit timestamp in seconds, correctly signed", ["TimestampUnit", "Stale"],
        std_headers(TENANT_A, ts, sig_for(SK_A, ts, BODY_CONV)), expect="window")
    ts = str(n * 1000)
    add("hmac1.window.timestamp-in-microseconds", "16-digit timestamp in microseconds, correctly signed", ["TimestampUnit", "Stale"],
        std_headers(TENANT_A, ts, sig_for(SK_A, ts, BODY_CONV)), expect="window")
    add("hmac1.window.1-digit", "timestamp '5'", ["Stale"],
        std_headers(TENANT_A, "5", sig_for(SK_A, "5", BODY_CONV)), expect="window")
    ts = str(n - 60000)
    add("hmac1.window.stale-and-bad-signature", "a minute old and a wrong signature: the window wins", ["Stale", "WindowBeforeSignature"],
        std_headers(TENANT_A, ts, "0" * 64), expect="window")
    add("hmac1.window.stale-and-unknown-tenant", "a minute old and an unknown tenant: the window wins, nothing is said about tenants", ["Stale", "WindowBeforeSignature", "UnknownTenant"],
        std_headers(TENANT_UNKNOWN, ts, sig_for(SK_A, ts, BODY_CONV)), expect="window")
    add("hmac1.window.stale-and-suspended", "a minute old on a suspended tenant with a good signature", ["Stale", "WindowBeforeSignature", "Suspended"],
        std_headers(TENANT_S, ts, sig_for(SK_S, ts, BODY_CONV)), expect="window")

    # ---- step 3: signature
    add("hmac1.signature.uppercase-hex", "the right signature in uppercase hex", ["UppercaseHex"],
        std_headers(TENANT_A, TS, sa.upper()), expect="signature")
    mixed = sa.replace(next(c for c in sa if c in "abcdef"), next(c for c in sa if c in "abcdef").upper(), 1)
    add("hmac1.signature.one-uppercase-hex-digit", "the right signature with one letter uppercased", ["UppercaseHex"],
        std_headers(TENANT_A, TS, mixed), expect="signature")
    add("hmac1.signature.all-zero", "64 zeros", [], std_headers(TENANT_A, TS, "0" * 64), expect="signature")
    add("hmac1.signature.unknown-tenant", "a well-formed UUIDv7 no tenant has, signed with A's secret", ["UnknownTenant"],
        std_headers(TENANT_UNKNOWN, TS, sa), expect="signature")
    add("hmac1.signature.tenant-id-128-bytes", "a 128-byte tenant id passes step 1 and is unknown", ["UnknownTenant", "TenantIdLength"],
        std_headers("t" * 128, TS, sa), expect="signature")
    add("hmac1.signature.tenant-id-uppercase", "tenant A's id in uppercase: ids compare byte for byte, so unknown", ["UnknownTenant"],
        std_headers(TENANT_A.upper(), TS, sa), expect="signature")
    add("hmac1.signature.other-tenants-secret", "tenant A's id, signed with tenant B's secret", ["WrongSecret", "MultiTenant"],
        std_headers(TENANT_A, TS, sig_for(SK_B, TS, BODY_CONV)), expect="signature")
    add("hmac1.signature.rotated-old-secret", "signed with the secret from before rotate/tenant-secret", ["SecretRotation", "WrongSecret"],
        std_headers(TENANT_A, TS, sig_for(SK_A_OLD, TS, BODY_CONV)), tenants=[T_A_ROTATED], expect="signature")
    add("hmac1.signature.body-changed", "body changed after signing (user-123 -> user-124)", ["BodyMismatch"],
        ok, body=BODY_CONV.replace("user-123", "user-124"), expect="signature")
    pretty = json.dumps(json.loads(BODY_CONV), indent=2)
    add("hmac1.signature.reserialized-json", "signed over compact JSON, sent pretty-printed", ["BodyMismatch", "Reserialization"],
        ok, body=pretty, expect="signature")
    add("hmac1.signature.trailing-newline-added", "signed without, sent with a trailing newline", ["BodyMismatch"],
        ok, body=BODY_CONV + "\n", expect="signature")
    add("hmac1.signature.signed-empty-sent-body", "signed as a GET (empty body) but sent with a body", ["BodyMismatch", "SigningMistake"],
        std_headers(TENANT_A, TS, sa_get), expect="signature")
    body = '{"content":"cafe\u0301"}'
    add("hmac1.signature.nfc-signed-nfd-sent", "signed with é as U+00E9, sent with e + U+0301", ["BodyMismatch", "Utf8"],
        std_headers(TENANT_A, TS, sig_for(SK_A, TS, '{"content":"caf\u00e9"}')), body=body, expect="signature")
    add("hmac1.signature.leading-zero-sent-not-signed", "header '0'+ts but signed over ts without the zero", ["LeadingZeros"],
        std_headers(TENANT_A, "0" + TS, sa), expect="signature")
    add("hmac1.signature.timestamp-off-by-one", "signed at ts, header says ts+1", [],
        std_headers(TENANT_A, str(n + 1), sa), expect="signature")
    add("hmac1.signature.secret-without-prefix", "signed with the secret minus its sk_ prefix", ["SigningMistake", "WrongSecret"],
        std_headers(TENANT_A, TS, sig_for(SECRET_NO_PREFIX, TS, BODY_CONV)), expect="signature")
    decoded = base64.urlsafe_b64decode(SK_A[3:] + "=")
    wrong = hmac.new(decoded, (TS + "." + sha256_hex(BODY_CONV.encode())).encode(), hashlib.sha256).hexdigest()
    add("hmac1.signature.secret-base64-decoded", "signed with the base64url-decoded bytes of the secret", ["SigningMistake", "WrongSecret"],
        std_headers(TENANT_A, TS, wrong), expect="signature")
    wrong = hmac.new(SK_A.encode(), (TS + "." + sha256_hex(BODY_CONV.encode()).upper()).encode(), hashlib.sha256).hexdigest()
    add("hmac1.signature.uppercase-body-hash", "signing string built with an uppercase body hash", ["SigningMistake"],
        std_headers(TENANT_A, TS, wrong), expect="signature")
    wrong = hmac.new(SK_A.encode(), BODY_CONV.encode(), hashlib.sha256).hexdigest()
    add("hmac1.signature.mac-over-body-only", "HMAC over the body alone, no timestamp", ["SigningMistake"],
        std_headers(TENANT_A, TS, wrong), expect="signature")
    wrong = hmac.new(SK_A.encode(), (TS + sha256_hex(BODY_CONV.encode())).encode(), hashlib.sha256).hexdigest()
    add("hmac1.signature.no-dot-separator", "signing string without the '.'", ["SigningMistake"],
        std_headers(TENANT_A, TS, wrong), expect="signature")
    add("hmac1.signature.suspended-bad-signature", "suspended tenant, wrong signature: 401, not 403", ["Suspended", "SignatureBeforeStatus"],
        std_headers(TENANT_S, TS, sig_for(SK_A, TS, BODY_CONV)), expect="signature")

    # ---- step 4: tenant status
    add("hmac1.tenant-status.suspended-valid-signature", "suspended tenant, good signature", ["Suspended"],
        std_headers(TENANT_S, TS, sig_for(SK_S, TS, BODY_CONV)), expect="tenant_status")
    add("hmac1.tenant-status.suspended-get-lowercase", "suspended tenant, GET, lowercase header names", ["Suspended", "EmptyBody", "HeaderCase"],
        std_headers(TENANT_S, TS, sig_for(SK_S, TS, ""), names=HMAC1_NAMES), body="", expect="tenant_status")
    return cases


def verify_spec(step, flags):
    """The SPEC.md rule a verify case covers."""
    f = set(flags)
    if step is None:
        for flag, rule in (("WindowEdge", "4.4.2"), ("HeaderCase", "4.1.2"), ("LeadingZeros", "4.2.4"),
                           ("SecretRotation", "4.8.1")):
            if flag in f:
                return rule
        return "4.3.1"
    if step == "headers":
        return "4.1.3" if f & {"TimestampSyntax", "SignatureSyntax", "TenantIdLength"} else "4.1.2"
    if step == "window":
        for flag, rule in (("WindowBeforeSignature", "4.5"), ("WindowEdge", "4.4.2"), ("TimestampUnit", "4.4.3")):
            if flag in f:
                return rule
        return "4.4.1"
    if step == "signature":
        for flag, rule in (("SignatureBeforeStatus", "4.5"), ("SecretRotation", "4.8.1"), ("UnknownTenant", "4.6.2"),
                           ("UppercaseHex", "4.3.2"), ("LeadingZeros", "4.2.4"), ("BodyMismatch", "4.2.1")):
            if flag in f:
                return rule
        return "4.3.1"
    return "4.5"


def build_verify():
    ids = Ids()
    tests = []
    for ident, comment, flags, tenants, now, headers, body, expect in verify_cases():
        t = {"tcId": ids.next(ident), "id": ident, "spec": verify_spec(expect, flags), "comment": comment,
             "flags": flags, "result": "valid" if expect is None else "invalid",
             "tenants": [dict(x) for x in tenants], "now_ms": now,
             "headers": [list(h) for h in headers]}
        raw = put_body(t, body)
        step, ss = reference_verify(tenants, now, headers, raw)
        if step != expect:
            raise SystemExit("%s: expected %s, reference verifier says %s" % (ident, expect, step))
        t["body_sha256"] = sha256_hex(raw)
        t["signing_string"] = ss
        if expect is not None:
            t["status"], t["error"] = STEP_ERRORS[expect]
            t["failed_step"] = expect
        tests.append(t)
    groups = [{"type": "Hmac1Verify", "tests": tests}]
    return document("HMAC#1", "hmac1_verify.schema.json", VERIFY_HEADER, VERIFY_NOTES, groups)


# --------------------------------------------------------------------------
# origins.json
# --------------------------------------------------------------------------

ORIGIN_NOTES = {
    "CaseFolding": "Scheme and host are lowercased.",
    "DefaultPort": "http:80 and https:443 are dropped; every other port, and 80/443 on another scheme, is kept.",
    "TrailingSlash": "One trailing / is dropped.",
    "CustomScheme": "A non-http scheme such as app:// (mobile SDKs) is valid; no default port applies.",
    "Ipv6": "A bracketed IPv6 literal; hex digits are lowercased, never otherwise rewritten.",
    "Localhost": "localhost or a loopback address with a port.",
    "Port": "Port syntax and range (1-65535 decimal).",
    "TrailingDot": "A trailing dot in the host is kept (no folding), so it never matches the dot-less host.",
    "LookAlike": "A host that only resembles an allowed one.",
    "SchemeMismatch": "Same host, other scheme.",
    "Path": "Anything after the host beyond one lone /.",
    "Query": "A ? query.",
    "Fragment": "A # fragment.",
    "Userinfo": "user@ or user:pass@ before the host.",
    "NullOrigin": "The literal null origin (sandboxed iframes, file://).",
    "Empty": "The empty string.",
    "Wildcard": "A * anywhere: no wildcard matching.",
    "Whitespace": "Whitespace or control characters anywhere (never trimmed).",
    "PercentEncoding": "A % anywhere.",
    "NonAscii": "Non-ASCII characters (no IDNA processing; send punycode).",
    "Length": "Input length limit of 255 bytes.",
    "Syntax": "Not of the form scheme://host.",
}

ORIGIN_HEADER = [
    "Origins (SPEC.md §3). Grammar: scheme://host[:port][/] and nothing else.",
    "scheme [A-Za-z][A-Za-z0-9+.-]*, lowercased. host: [A-Za-z0-9._-]+ or a bracketed IPv6 literal [...] of hex digits, ':' and '.', lowercased; required.",
    "port 1-65535 decimal digits, dropped when http:80 or https:443. One trailing / dropped.",
    "Invalid: userinfo (@), path beyond a lone /, query (?), fragment (#), % , whitespace or control or non-ASCII characters, *, the literal null, empty host, over 255 bytes (of input), port 0, >65535 or not digits.",
    "Stored allowed_origins are normalized when written (invalid entry -> 422); a presented origin is normalized the same way (invalid -> 403).",
    "Matching is byte equality of normalized forms: no trailing-dot folding, no IDNA, no wildcard, no IPv6 canonicalization.",
    "reason (invalid cases) names the rule broken, from a fixed list; it is informational and an implementation may word it otherwise.",
]

# Reason codes, in the order the generator's reference parser reports them.
ORIGIN_REASONS = [
    "empty", "too_long", "null_origin", "whitespace_or_control", "non_ascii", "percent_encoding",
    "wildcard", "userinfo", "query", "fragment", "invalid_scheme", "missing_scheme_separator",
    "empty_host", "invalid_host", "invalid_port", "path",
]


def reference_normalize(s):
    """(normalized, None) or (None, reason). A small hand-written parser."""
    b = s.encode("utf-8")
    if not b:
        return None, "empty"
    if len(b) > 255:
        return None, "too_long"
    if s == "null":
        return None, "null_origin"
    for c in s:
        o = ord(c)
        if o <= 0x20 or o == 0x7F:
            return None, "whitespace_or_control"
        if o > 0x7F:
            return None, "non_ascii"
    for ch, why in (("%", "percent_encoding"), ("*", "wildcard"), ("@", "userinfo"),
                    ("?", "query"), ("#", "fragment")):
        if ch in s:
            return None, why
    i = 0
    alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while i < len(s) and s[i] != ":":
        if not (s[i] in alpha or (i > 0 and (s[i].isdigit() or s[i] in "+.-"))):
            return None, "invalid_scheme" if s.find("://") >= 0 else "missing_scheme_separator"
        i += 1
    if i == 0:
        return None, "invalid_scheme"
    if s[i:i + 3] != "://":
        return None, "missing_scheme_separator"
    scheme = s[:i].lower()
    i += 3
    start = i
    if i < len(s) and s[i] == "[":
        j = s.find("]", i)
        if j < 0 or j == i + 1 or any(c not in "0123456789abcdefABCDEF:." for c in s[i + 1:j]):
            return None, "invalid_host"
        i = j + 1
    else:
        while i < len(s) and (s[i].isalnum() or s[i] in "._-"):
            i += 1
    host = s[start:i].lower()
    if not host:
        return None, "empty_host"
    port = None
    if i < len(s) and s[i] == ":":
        j = i + 1
        while j < len(s) and s[j].isdigit():
            j += 1
        digits = s[i + 1:j]
        if not digits or int(digits) < 1 or int(digits) > 65535:
            return None, "invalid_port"
        if j < len(s) and s[j] != "/":
            return None, "invalid_port"
        port = int(digits)
        i = j
    rest = s[i:]
    if rest not in ("", "/"):
        return None, "path" if rest.startswith("/") else "invalid_host"
    out = scheme + "://" + host
    if port is not None and not ((scheme, port) in (("http", 80), ("https", 443))):
        out += ":%d" % port
    return out, None


def long_origin(total):
    """https://<host> of exactly total bytes, host made of 63-char labels."""
    n = total - len("https://")
    labels, left = [], n
    while left > 0:
        take = min(63, left)
        if left - take == 1:  # never end with an empty label or a lone dot
            take -= 1
        labels.append("a" * take)
        left -= take + 1
    host = ".".join(labels)
    assert len(host) == n, (len(host), n)
    return "https://" + host


def origin_normalize_cases():
    """(id, input, expected normalized or None, expected reason or None, flags)."""
    V = lambda i, inp, out, fl: (i, inp, out, None, fl)  # noqa: E731
    X = lambda i, inp, why, fl: (i, inp, None, why, fl)  # noqa: E731
    return [
        V("origin.normalize.https-plain", "https://shop.demo.com", "https://shop.demo.com", []),
        V("origin.normalize.upper-scheme-and-host", "HTTPS://SHOP.DEMO.COM", "https://shop.demo.com", ["CaseFolding"]),
        V("origin.normalize.mixed-case-trailing-slash", "https://Shop.Demo.Com/", "https://shop.demo.com", ["CaseFolding", "TrailingSlash"]),
        V("origin.normalize.https-443-dropped", "https://shop.demo.com:443", "https://shop.demo.com", ["DefaultPort"]),
        V("origin.normalize.http-80-dropped", "http://shop.demo.com:80", "http://shop.demo.com", ["DefaultPort"]),
        V("origin.normalize.upper-scheme-80-dropped", "HTTP://shop.demo.com:80/", "http://shop.demo.com", ["DefaultPort", "CaseFolding", "TrailingSlash"]),
        V("origin.normalize.https-8080-kept", "https://shop.demo.com:8080", "https://shop.demo.com:8080", ["DefaultPort", "Port"]),
        V("origin.normalize.http-443-kept", "http://shop.demo.com:443", "http://shop.demo.com:443", ["DefaultPort", "SchemeMismatch"]),
        V("origin.normalize.https-80-kept", "https://shop.demo.com:80", "https://shop.demo.com:80", ["DefaultPort", "SchemeMismatch"]),
        V("origin.normalize.brief-example", "https://SHOP.demo.com:443/", "https://shop.demo.com", ["CaseFolding", "DefaultPort", "TrailingSlash"]),
        V("origin.normalize.wss-443-kept", "wss://shop.demo.com:443", "wss://shop.demo.com:443", ["DefaultPort", "CustomScheme"]),
        V("origin.normalize.app-scheme", "app://bloonio_chat_flutter", "app://bloonio_chat_flutter", ["CustomScheme"]),
        V("origin.normalize.app-scheme-upper", "APP://Bloonio_Chat_Flutter/", "app://bloonio_chat_flutter", ["CustomScheme", "CaseFolding", "TrailingSlash"]),
        V("origin.normalize.scheme-plus-dot-dash", "X-App.v2+web://shop", "x-app.v2+web://shop", ["CustomScheme", "CaseFolding"]),
        V("origin.normalize.localhost-port", "http://localhost:3000", "http://localhost:3000", ["Localhost"]),
        V("origin.normalize.localhost-port-slash", "http://LocalHost:3000/", "http://localhost:3000", ["Localhost", "TrailingSlash", "CaseFolding"]),
        V("origin.normalize.loopback-ipv4", "http://127.0.0.1:8000", "http://127.0.0.1:8000", ["Localhost"]),
        V("origin.normalize.ipv6-loopback", "http://[::1]", "http://[::1]", ["Ipv6", "Localhost"]),
        V("origin.normalize.ipv6-loopback-port", "http://[::1]:8080/", "http://[::1]:8080", ["Ipv6", "Localhost", "TrailingSlash"]),
        V("origin.normalize.ipv6-http-80-dropped", "http://[::1]:80", "http://[::1]", ["Ipv6", "DefaultPort"]),
        V("origin.normalize.ipv6-upper-443", "https://[2001:DB8::1]:443", "https://[2001:db8::1]", ["Ipv6", "CaseFolding", "DefaultPort"]),
        V("origin.normalize.ipv6-mapped-ipv4", "http://[::FFFF:127.0.0.1]:3000", "http://[::ffff:127.0.0.1]:3000", ["Ipv6", "CaseFolding"]),
        V("origin.normalize.port-1", "http://localhost:1", "http://localhost:1", ["Port", "Localhost"]),
        V("origin.normalize.port-65535", "http://localhost:65535", "http://localhost:65535", ["Port", "Localhost"]),
        V("origin.normalize.port-leading-zero", "http://localhost:08080", "http://localhost:8080", ["Port", "Localhost"]),
        V("origin.normalize.trailing-dot-kept", "https://shop.demo.com.", "https://shop.demo.com.", ["TrailingDot"]),
        V("origin.normalize.underscore-host", "https://shop_demo.example", "https://shop_demo.example", []),
        V("origin.normalize.punycode-host", "https://XN--CAF-DMA.example", "https://xn--caf-dma.example", ["CaseFolding", "NonAscii"]),
        V("origin.normalize.length-255", long_origin(255), long_origin(255), ["Length"]),
        X("origin.normalize.empty", "", "empty", ["Empty"]),
        X("origin.normalize.null", "null", "null_origin", ["NullOrigin"]),
        X("origin.normalize.length-256", long_origin(256), "too_long", ["Length"]),
        X("origin.normalize.path", "https://shop.demo.com/checkout", "path", ["Path"]),
        X("origin.normalize.path-double-slash", "https://shop.demo.com//", "path", ["Path", "TrailingSlash"]),
        X("origin.normalize.path-after-port", "https://shop.demo.com:443/index.html", "path", ["Path", "DefaultPort"]),
        X("origin.normalize.query", "https://shop.demo.com?utm=1", "query", ["Query"]),
        X("origin.normalize.query-after-slash", "https://shop.demo.com/?utm=1", "query", ["Query"]),
        X("origin.normalize.empty-query", "https://shop.demo.com?", "query", ["Query"]),
        X("origin.normalize.fragment", "https://shop.demo.com#top", "fragment", ["Fragment"]),
        X("origin.normalize.userinfo", "https://user@shop.demo.com", "userinfo", ["Userinfo"]),
        X("origin.normalize.userinfo-password", "https://user:pass@shop.demo.com", "userinfo", ["Userinfo"]),
        X("origin.normalize.userinfo-lookalike", "https://shop.demo.com@evil.example", "userinfo", ["Userinfo", "LookAlike"]),
        X("origin.normalize.wildcard-subdomain", "https://*.demo.com", "wildcard", ["Wildcard"]),
        X("origin.normalize.wildcard-alone", "*", "wildcard", ["Wildcard"]),
        X("origin.normalize.leading-space", " https://shop.demo.com", "whitespace_or_control", ["Whitespace"]),
        X("origin.normalize.trailing-space", "https://shop.demo.com ", "whitespace_or_control", ["Whitespace"]),
        X("origin.normalize.trailing-newline", "https://shop.demo.com\n", "whitespace_or_control", ["Whitespace"]),
        X("origin.normalize.inner-tab", "https://shop.\tdemo.com", "whitespace_or_control", ["Whitespace"]),
        X("origin.normalize.del-char", "https://shop.demo.com\x7f", "whitespace_or_control", ["Whitespace"]),
        X("origin.normalize.percent-encoded-dot", "https://shop%2Edemo.com", "percent_encoding", ["PercentEncoding"]),
        X("origin.normalize.non-ascii-host", "https://café.example", "non_ascii", ["NonAscii"]),
        X("origin.normalize.port-0", "https://shop.demo.com:0", "invalid_port", ["Port"]),
        X("origin.normalize.port-65536", "https://shop.demo.com:65536", "invalid_port", ["Port"]),
        X("origin.normalize.port-non-digit", "https://shop.demo.com:abc", "invalid_port", ["Port"]),
        X("origin.normalize.port-empty", "https://shop.demo.com:", "invalid_port", ["Port"]),
        X("origin.normalize.port-trailing-letter", "https://shop.demo.com:80a", "invalid_port", ["Port"]),
        X("origin.normalize.port-negative", "https://shop.demo.com:-1", "invalid_port", ["Port"]),
        X("origin.normalize.empty-host", "https://", "empty_host", ["Syntax"]),
        X("origin.normalize.empty-host-with-port", "https://:443", "empty_host", ["Syntax", "Port"]),
        X("origin.normalize.no-scheme", "shop.demo.com", "missing_scheme_separator", ["Syntax"]),
        X("origin.normalize.one-slash", "https:/shop.demo.com", "missing_scheme_separator", ["Syntax"]),
        X("origin.normalize.empty-scheme", "://shop.demo.com", "invalid_scheme", ["Syntax"]),
        X("origin.normalize.scheme-starts-with-digit", "1https://shop.demo.com", "invalid_scheme", ["Syntax"]),
        X("origin.normalize.host-comma", "https://shop,demo.com", "invalid_host", ["Syntax"]),
        X("origin.normalize.ipv6-unclosed", "http://[::1", "invalid_host", ["Ipv6"]),
        X("origin.normalize.ipv6-empty", "http://[]", "invalid_host", ["Ipv6"]),
        X("origin.normalize.ipv6-bad-char", "http://[::g]", "invalid_host", ["Ipv6"]),
    ]


QUICKSTART_ORIGINS = ["https://shop.demo.com", "app://bloonio_chat_flutter"]


def origin_match_cases():
    """(id, allowed raw list, presented, expected result, flags)."""
    q = QUICKSTART_ORIGINS
    return [
        ("origin.match.exact", q, "https://shop.demo.com", "match", []),
        ("origin.match.brief-example", q, "https://SHOP.demo.com:443/", "match", ["CaseFolding", "DefaultPort", "TrailingSlash"]),
        ("origin.match.upper-scheme", q, "HTTPS://shop.demo.com", "match", ["CaseFolding"]),
        ("origin.match.app-scheme", q, "app://bloonio_chat_flutter", "match", ["CustomScheme"]),
        ("origin.match.app-scheme-upper", q, "APP://BLOONIO_CHAT_FLUTTER", "match", ["CustomScheme", "CaseFolding"]),
        ("origin.match.stored-unnormalized", ["HTTPS://Shop.Demo.Com:443/"], "https://shop.demo.com", "match", ["CaseFolding", "DefaultPort"]),
        ("origin.match.lookalike-suffix", q, "https://shop.demo.com.evil.example", "no-match", ["LookAlike"]),
        ("origin.match.lookalike-prefix", q, "https://evilshop.demo.com", "no-match", ["LookAlike"]),
        ("origin.match.lookalike-hyphen", q, "https://shop-demo.com", "no-match", ["LookAlike"]),
        ("origin.match.parent-domain", q, "https://demo.com", "no-match", ["LookAlike"]),
        ("origin.match.subdomain", q, "https://www.shop.demo.com", "no-match", ["LookAlike"]),
        ("origin.match.app-lookalike", q, "app://bloonio_chat_flutter_evil", "no-match", ["LookAlike", "CustomScheme"]),
        ("origin.match.scheme-differs", q, "http://shop.demo.com", "no-match", ["SchemeMismatch"]),
        ("origin.match.http-443-vs-https", ["https://shop.demo.com"], "http://shop.demo.com:443", "no-match", ["SchemeMismatch", "DefaultPort"]),
        ("origin.match.stored-http-443", ["http://shop.demo.com:443"], "https://shop.demo.com", "no-match", ["SchemeMismatch", "DefaultPort"]),
        ("origin.match.other-port", q, "https://shop.demo.com:8443", "no-match", ["Port"]),
        ("origin.match.port-8080-slash", ["https://shop.demo.com:8080"], "https://shop.demo.com:8080/", "match", ["Port", "TrailingSlash"]),
        ("origin.match.trailing-dot", q, "https://shop.demo.com.", "no-match", ["TrailingDot"]),
        ("origin.match.empty-allow-list", [], "https://shop.demo.com", "no-match", []),
        ("origin.match.localhost", ["http://localhost:3000"], "http://localhost:3000/", "match", ["Localhost", "TrailingSlash"]),
        ("origin.match.localhost-other-port", ["http://localhost:3000"], "http://localhost:3001", "no-match", ["Localhost", "Port"]),
        ("origin.match.localhost-no-port", ["http://localhost:3000"], "http://localhost", "no-match", ["Localhost", "Port"]),
        ("origin.match.localhost-vs-loopback", ["http://localhost:3000"], "http://127.0.0.1:3000", "no-match", ["Localhost"]),
        ("origin.match.ipv6", ["http://[::1]:8080"], "http://[::1]:8080", "match", ["Ipv6", "Localhost"]),
        ("origin.match.ipv6-default-port", ["http://[::1]"], "http://[::1]:80", "match", ["Ipv6", "DefaultPort"]),
        ("origin.match.ipv6-expanded", ["http://[::1]:8080"], "http://[0:0:0:0:0:0:0:1]:8080", "no-match", ["Ipv6", "Localhost"]),
        ("origin.match.null", q, "null", "invalid", ["NullOrigin"]),
        ("origin.match.empty", q, "", "invalid", ["Empty"]),
        ("origin.match.with-path", q, "https://shop.demo.com/checkout", "invalid", ["Path"]),
        ("origin.match.wildcard", ["https://shop.demo.com"], "https://*.demo.com", "invalid", ["Wildcard"]),
        ("origin.match.userinfo-lookalike", q, "https://shop.demo.com@evil.example", "invalid", ["Userinfo", "LookAlike"]),
        ("origin.match.trailing-space", q, "https://shop.demo.com ", "invalid", ["Whitespace"]),
        ("origin.match.percent-encoded", q, "https://shop%2Edemo.com", "invalid", ["PercentEncoding"]),
    ]


def build_origins():
    ids = Ids()
    norm_tests, match_tests = [], []
    for ident, inp, out, why, flags in origin_normalize_cases():
        got, got_why = reference_normalize(inp)
        if (got, got_why) != (out, why):
            raise SystemExit("%s: expected %r/%r, reference says %r/%r" % (ident, out, why, got, got_why))
        t = {"tcId": ids.next(ident), "id": ident, "spec": "3.2" if out is not None else "3.4", "comment": "",
             "flags": flags, "input": inp,
             "result": "valid" if out is not None else "invalid"}
        if out is not None:
            t["normalized"] = out
            t["comment"] = "normalizes to %s" % out if out != inp else "already normalized"
        else:
            t["reason"] = why
            t["comment"] = "invalid: %s" % why
        norm_tests.append(t)
    for ident, allowed, presented, result, flags in origin_match_cases():
        stored = []
        for a in allowed:
            n, _ = reference_normalize(a)
            assert n is not None, (ident, a)
            stored.append(n)
        pn, _ = reference_normalize(presented)
        got = "invalid" if pn is None else ("match" if pn in stored else "no-match")
        if got != result:
            raise SystemExit("%s: expected %s, reference says %s" % (ident, result, got))
        comment = {"match": "normalized %s is allowed" % pn,
                   "no-match": "normalized %s is not in the allowed list" % pn,
                   "invalid": "the presented origin is not a valid origin"}[result]
        match_tests.append({"tcId": ids.next(ident), "id": ident, "spec": "3.3.1", "comment": comment, "flags": flags,
                            "allowed": list(allowed), "origin": presented, "result": result})
    groups = [{"type": "OriginNormalize", "tests": norm_tests},
              {"type": "OriginMatch", "tests": match_tests}]
    return document("Origin", "origins.schema.json", ORIGIN_HEADER, ORIGIN_NOTES, groups)


# --------------------------------------------------------------------------
# callbacks.json
# --------------------------------------------------------------------------

EVENTS = ["conversation-started", "message-received", "ticket-created", "ticket-assigned",
          "ticket-resolved", "escalation-triggered", "agent-assigned", "agent-released",
          "agent-resolved"]

CALLBACK_NOTES = {
    "Event": "A correctly signed delivery of one of the nine documented events.",
    "HeaderCase": "Header names arrive lowercase (HTTP/2 or a proxy).",
    "WindowEdge": "The delivery is exactly 30000 ms old: still accepted.",
    "Stale": "The timestamp is more than 30000 ms in the past.",
    "Future": "The timestamp is more than 30000 ms in the future.",
    "WrongSecret": "Signed with a secret that is not the backend's tenant_secret.",
    "BodyMismatch": "The body was changed after signing.",
    "Unsigned": "The X-Bloonio-* headers are missing.",
    "UppercaseHex": "The signature is in uppercase hex.",
    "TenantMismatch": "X-Bloonio-Tenant-Id is not the backend's own tenant.",
    "Utf8": "The payload contains non-ASCII text.",
}

CALLBACK_HEADER = [
    "Callbacks, relay -> tenant backend (SPEC.md §9; docs: chat/webhooks, concepts/webhooks).",
    "POST {callback_url_base}/api/v1/chat-callbacks/<event>, signed with HMAC#1 and the tenant's secret, exactly like an outbound call.",
    "Body (compact JSON, keys in this order, SPEC.md 9.3.1): {\"event_id\":\"evt_<32 hex>\",\"event\":\"<event>\",\"tenant_id\":\"...\",\"occurred_at\":\"<RFC 3339 UTC>Z\",\"data\":{...}}.",
    "data is the conversation object for conversation-started and the message object for message-received (SPEC.md 9.3.2); for the other events, which the mock fires through its control plane, it is illustrative.",
    "The backend knows one tenant (tenant_id, tenant_secret) and verifies: headers present and well-formed, |now_ms - timestamp| <= 30000, X-Bloonio-Tenant-Id equals its tenant_id, signature equals lowercase hex HMAC-SHA256(tenant_secret, timestamp + \".\" + sha256_hex(raw body)).",
    "expected_backend_response: 2xx when all of that holds, reject (any non-2xx, typically 401) otherwise. The relay retries non-2xx deliveries with the same event_id.",
    "failed_step (reject only) uses the step names of hmac1_verify.json.",
]


def event_data(event, conv, op, tkt, ms):
    when = iso(ms - 1000)
    return {
        # SPEC 9.3.2: the conversation object (6.1.2) and the message object (6.2.3)
        "conversation-started": {"id": conv, "visitor_user_id": "user-123", "visitor_display_name": "Marie", "locale": "fr",
                                 "metadata": {"cart_id": "c-42"}, "status": "open", "created_at": when},
        "message-received": {"id": "msg_" + uuid7_hex(ms - 1000, "msg-1"), "conversation_id": conv, "role": "visitor",
                             "content": "Où est ma commande ? 📦", "created_at": when},
        # the other seven are fired through the control plane with caller-chosen data (SPEC 10.5.2)
        "ticket-created": {"ticket_id": tkt, "conversation_id": conv, "reason": "escalation"},
        "ticket-assigned": {"ticket_id": tkt, "conversation_id": conv, "operator_id": op},
        "ticket-resolved": {"ticket_id": tkt, "conversation_id": conv, "operator_id": op},
        "escalation-triggered": {"conversation_id": conv, "reason": "visitor_requested_human", "routing_key": "store-42"},
        "agent-assigned": {"conversation_id": conv, "operator_id": op, "routing_key": "store-42"},
        "agent-released": {"conversation_id": conv, "operator_id": op, "routing_key": "store-42"},
        "agent-resolved": {"conversation_id": conv, "operator_id": op},
    }[event]


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def callback_body(event, occurred_ms):
    conv = "conv_" + uuid7_hex(NOW_MS - 600000, "conv-cb")
    op = "op_" + uuid7_hex(NOW_MS - 86400000, "op-1")
    tkt = "tkt_" + uuid7_hex(NOW_MS - 300000, "ticket-1")
    payload = {"event_id": "evt_" + uuid7_hex(occurred_ms, "event:" + event), "event": event,
               "tenant_id": TENANT_A, "occurred_at": iso(occurred_ms),
               "data": event_data(event, conv, op, tkt, occurred_ms)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def callback_cases():
    """(id, comment, flags, event, now_ms, headers, body, expected step or None)."""
    cases = []
    delay = 1200  # the delivery reaches the backend 1.2 s after it was signed
    for ev in EVENTS:
        ts = str(NOW_MS)
        body = callback_body(ev, NOW_MS)
        flags = ["Event"] + (["Utf8"] if ev == "message-received" else [])
        cases.append(("callback.accept." + ev, "a correctly signed %s delivery, received 1200 ms after signing" % ev,
                      flags, ev, NOW_MS + delay, std_headers(TENANT_A, ts, sig_for(SK_A, ts, body))
                      + [["Content-Type", "application/json"]], body, None))
    ev = "message-received"
    body = callback_body(ev, NOW_MS)
    sig = sig_for(SK_A, TS, body)
    good = std_headers(TENANT_A, TS, sig) + [["Content-Type", "application/json"]]
    cases += [
        ("callback.accept.lowercase-header-names", "header names lowercase", ["HeaderCase", "Utf8"], ev, NOW_MS,
         std_headers(TENANT_A, TS, sig, names=HMAC1_NAMES), body, None),
        ("callback.window.past-30000ms", "received exactly 30000 ms after signing", ["WindowEdge", "Utf8"], ev,
         NOW_MS + WINDOW_MS, good, body, None),
        ("callback.window.past-30001ms", "received 30001 ms after signing", ["Stale", "WindowEdge", "Utf8"], ev,
         NOW_MS + WINDOW_MS + 1, good, body, "window"),
        ("callback.window.replayed-10-minutes-later", "a captured delivery replayed 10 minutes later", ["Stale", "Utf8"], ev,
         NOW_MS + 600000, good, body, "window"),
        ("callback.window.future-30001ms", "timestamp 30001 ms ahead of the backend's clock", ["Future", "WindowEdge", "Utf8"], ev,
         NOW_MS - WINDOW_MS - 1, good, body, "window"),
        ("callback.window.future-2-minutes", "timestamp two minutes ahead of the backend's clock", ["Future", "Utf8"], ev,
         NOW_MS - 120000, good, body, "window"),
        ("callback.signature.wrong-secret", "signed with another tenant's secret", ["WrongSecret", "Utf8"], ev, NOW_MS,
         std_headers(TENANT_A, TS, sig_for(SK_B, TS, body)), body, "signature"),
        ("callback.signature.old-secret", "signed with the secret from before a rotation", ["WrongSecret", "Utf8"], ev, NOW_MS,
         std_headers(TENANT_A, TS, sig_for(SK_A_OLD, TS, body)), body, "signature"),
        ("callback.signature.body-altered", "message content changed after signing", ["BodyMismatch", "Utf8"], ev, NOW_MS,
         good, body.replace("commande", "commando"), "signature"),
        ("callback.signature.body-reserialized", "payload re-serialized with spaces and ASCII escapes after signing", ["BodyMismatch"], ev, NOW_MS,
         good, json.dumps(json.loads(body)), "signature"),
        ("callback.signature.other-event-signature", "ticket-created body with the message-received signature", ["BodyMismatch"],
         "ticket-created", NOW_MS, good, callback_body("ticket-created", NOW_MS), "signature"),
        ("callback.signature.uppercase-signature", "the right signature in uppercase hex", ["UppercaseHex", "Utf8"], ev, NOW_MS,
         std_headers(TENANT_A, TS, sig.upper()), body, "signature"),
        ("callback.signature.tenant-mismatch", "another tenant's id and secret: not this backend's tenant", ["TenantMismatch", "Utf8"], ev, NOW_MS,
         std_headers(TENANT_B, TS, sig_for(SK_B, TS, body)), body, "signature"),
        ("callback.headers.unsigned", "no X-Bloonio-* headers at all", ["Unsigned", "Utf8"], ev, NOW_MS,
         [["Content-Type", "application/json"]], body, "headers"),
        ("callback.headers.signature-missing", "tenant and timestamp but no signature", ["Unsigned", "Utf8"], ev, NOW_MS,
         good[:2], body, "headers"),
    ]
    return cases


def build_callbacks():
    ids = Ids()
    tests = []
    me = [T_A]
    for ident, comment, flags, ev, now, headers, body, expect in callback_cases():
        raw = body.encode("utf-8")
        step, ss = reference_verify(me, now, headers, raw)
        if step != expect:
            raise SystemExit("%s: expected %s, reference verifier says %s" % (ident, expect, step))
        t = {"tcId": ids.next(ident), "id": ident, "spec": "9.2.3" if expect == "window" else "9.2.1",
             "comment": comment, "flags": flags, "result": "valid" if expect is None else "invalid",
             "url_path": "/api/v1/chat-callbacks/" + ev, "tenant_id": TENANT_A, "tenant_secret": SK_A,
             "now_ms": now, "headers": [list(h) for h in headers], "body": body,
             "body_sha256": sha256_hex(raw), "signing_string": ss,
             "expected_backend_response": "2xx" if expect is None else "reject"}
        if expect is not None:
            t["failed_step"] = expect
        tests.append(t)
    missing = set(EVENTS) - {t["url_path"].rsplit("/", 1)[1] for t in tests if t["result"] == "valid"}
    assert not missing, missing
    groups = [{"type": "CallbackVerify", "tests": tests}]
    return document("HMAC#1", "callbacks.schema.json", CALLBACK_HEADER, CALLBACK_NOTES, groups)


# --------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------

HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
FLAGS = {"type": "array", "items": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]*$"}, "uniqueItems": True}
ID = {"type": "string", "pattern": "^[a-z0-9]+(\\.[a-z0-9][a-z0-9-]*)+$", "maxLength": 128}  # SPEC.md 12.2.1
SPEC_RULE = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)*$"}
TCID = {"type": "integer", "minimum": 1}
BODY = {"type": "string"}
BODY_HEX = {"type": "string", "pattern": "^(?:[0-9a-f]{2})*$"}
ONE_BODY = [{"required": ["body"]}, {"required": ["body_hex"]}]
HEADERS = {"type": "array", "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}],
                                      "items": False, "minItems": 2, "maxItems": 2}}
SIGNING_STRING = {"type": "string", "pattern": "^[0-9]{1,16}\\.[0-9a-f]{64}$"}
STEP = {"enum": ["headers", "window", "signature", "tenant_status"]}


def top_schema(title, algorithm, schema_name, group_type, test_schema):
    return {
        "$schema": SCHEMA_URI,
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "required": ["algorithm", "schema", "generatorVersion", "numberOfTests", "header", "notes", "testGroups"],
        "properties": {
            "algorithm": {"const": algorithm},
            "schema": {"const": schema_name},
            "generatorVersion": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$"},
            "numberOfTests": {"type": "integer", "minimum": 1},
            "header": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": "object", "additionalProperties": {"type": "string"}},
            "testGroups": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/testGroup"}},
        },
        "$defs": {
            "testGroup": group_type,
            "test": test_schema,
        },
    }


def group_schema(type_name, test_ref="#/$defs/test"):
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "tests"],
        "properties": {"type": {"const": type_name},
                       "tests": {"type": "array", "minItems": 1, "items": {"$ref": test_ref}}},
    }


def sign_schema():
    test = {
        "type": "object",
        "additionalProperties": False,
        "required": ["tcId", "id", "spec", "comment", "flags", "result", "secret", "timestamp_ms",
                     "body_sha256", "signing_string", "signature"],
        "oneOf": ONE_BODY,
        "properties": {
            "tcId": TCID, "id": ID, "spec": SPEC_RULE, "comment": {"type": "string"}, "flags": FLAGS,
            "result": {"const": "valid"},
            "secret": {"type": "string"},
            "timestamp_ms": {"type": "string", "pattern": "^[0-9]{1,16}$"},
            "body": BODY, "body_hex": BODY_HEX,
            "body_sha256": HEX64, "signing_string": SIGNING_STRING, "signature": HEX64,
        },
    }
    return top_schema("HMAC#1 signing vectors", "HMAC#1", "hmac1_sign.schema.json", group_schema("Hmac1Sign"), test)


def verify_schema():
    s = top_schema("HMAC#1 verification vectors", "HMAC#1", "hmac1_verify.schema.json",
                   group_schema("Hmac1Verify"), None)
    s["$defs"]["tenant"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["tenant_id", "tenant_secret", "status"],
        "properties": {"tenant_id": {"type": "string", "minLength": 1},
                       "tenant_secret": {"type": "string", "minLength": 1},
                       "status": {"enum": ["active", "suspended"]}},
    }
    s["$defs"]["test"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["tcId", "id", "spec", "comment", "flags", "result", "tenants", "now_ms", "headers",
                     "body_sha256", "signing_string"],
        "allOf": [
            {"oneOf": ONE_BODY},
            {"if": {"properties": {"result": {"const": "invalid"}}},
             "then": {"required": ["status", "error", "failed_step"]},
             "else": {"not": {"anyOf": [{"required": ["status"]}, {"required": ["error"]},
                                        {"required": ["failed_step"]}]}}},
            {"oneOf": [
                {"required": ["result"], "properties": {"result": {"const": "valid"}}},
                {"required": ["failed_step"], "properties": {"failed_step": {"const": "headers"}, "status": {"const": 401}, "error": {"const": "missing_signature"}}},
                {"required": ["failed_step"], "properties": {"failed_step": {"const": "window"}, "status": {"const": 401}, "error": {"const": "stale_timestamp"}}},
                {"required": ["failed_step"], "properties": {"failed_step": {"const": "signature"}, "status": {"const": 401}, "error": {"const": "invalid_signature"}}},
                {"required": ["failed_step"], "properties": {"failed_step": {"const": "tenant_status"}, "status": {"const": 403}, "error": {"const": "tenant_suspended"}}},
            ]},
        ],
        "properties": {
            "tcId": TCID, "id": ID, "spec": SPEC_RULE, "comment": {"type": "string"}, "flags": FLAGS,
            "result": {"enum": ["valid", "invalid"]},
            "tenants": {"type": "array", "items": {"$ref": "#/$defs/tenant"}},
            "now_ms": {"type": "integer", "minimum": 0, "maximum": 9007199254740991},
            "headers": HEADERS,
            "body": BODY, "body_hex": BODY_HEX,
            "body_sha256": HEX64,
            "signing_string": {"oneOf": [SIGNING_STRING, {"type": "null"}]},
            "status": {"enum": [401, 403]},
            "error": {"enum": ["missing_signature", "stale_timestamp", "invalid_signature", "tenant_suspended"]},
            "failed_step": STEP,
        },
    }
    return s


def origins_schema():
    s = top_schema("Origin normalization and matching vectors", "Origin", "origins.schema.json", None, None)
    del s["$defs"]["test"]
    s["$defs"]["testGroup"] = {"oneOf": [group_schema("OriginNormalize", "#/$defs/normalizeTest"),
                                         group_schema("OriginMatch", "#/$defs/matchTest")]}
    common = {"tcId": TCID, "id": ID, "spec": SPEC_RULE, "comment": {"type": "string"}, "flags": FLAGS}
    s["$defs"]["normalizeTest"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["tcId", "id", "spec", "comment", "flags", "input", "result"],
        "if": {"properties": {"result": {"const": "valid"}}},
        "then": {"required": ["normalized"], "not": {"required": ["reason"]}},
        "else": {"required": ["reason"], "not": {"required": ["normalized"]}},
        "properties": dict(common, **{
            "input": {"type": "string"},
            "result": {"enum": ["valid", "invalid"]},
            "normalized": {"type": "string", "minLength": 4, "maxLength": 255},
            "reason": {"enum": ORIGIN_REASONS},
        }),
    }
    s["$defs"]["matchTest"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["tcId", "id", "spec", "comment", "flags", "allowed", "origin", "result"],
        "properties": dict(common, **{
            "allowed": {"type": "array", "items": {"type": "string"}},
            "origin": {"type": "string"},
            "result": {"enum": ["match", "no-match", "invalid"]},
        }),
    }
    return s


def callbacks_schema():
    test = {
        "type": "object",
        "additionalProperties": False,
        "required": ["tcId", "id", "spec", "comment", "flags", "result", "url_path", "tenant_id", "tenant_secret",
                     "now_ms", "headers", "body", "body_sha256", "signing_string", "expected_backend_response"],
        "allOf": [
            {"if": {"properties": {"result": {"const": "valid"}}},
             "then": {"properties": {"expected_backend_response": {"const": "2xx"}}, "not": {"required": ["failed_step"]}},
             "else": {"properties": {"expected_backend_response": {"const": "reject"}}, "required": ["failed_step"]}},
        ],
        "properties": {
            "tcId": TCID, "id": ID, "spec": SPEC_RULE, "comment": {"type": "string"}, "flags": FLAGS,
            "result": {"enum": ["valid", "invalid"]},
            "url_path": {"type": "string", "pattern": "^/api/v1/chat-callbacks/(?:%s)$" % "|".join(EVENTS)},
            "tenant_id": {"type": "string", "minLength": 1},
            "tenant_secret": {"type": "string", "minLength": 1},
            "now_ms": {"type": "integer", "minimum": 0, "maximum": 9007199254740991},
            "headers": HEADERS,
            "body": BODY,
            "body_sha256": HEX64,
            "signing_string": {"oneOf": [SIGNING_STRING, {"type": "null"}]},
            "expected_backend_response": {"enum": ["2xx", "reject"]},
            "failed_step": {"enum": ["headers", "window", "signature"]},
        },
    }
    return top_schema("Callback signature vectors (relay -> backend)", "HMAC#1", "callbacks.schema.json",
                      group_schema("CallbackVerify"), test)


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

def dump(obj):
    return json.dumps(obj, ensure_ascii=False, indent=1) + "\n"


def all_files():
    return {
        "hmac1_sign.json": dump(build_sign()),
        "hmac1_sign.schema.json": dump(sign_schema()),
        "hmac1_verify.json": dump(build_verify()),
        "hmac1_verify.schema.json": dump(verify_schema()),
        "origins.json": dump(build_origins()),
        "origins.schema.json": dump(origins_schema()),
        "callbacks.json": dump(build_callbacks()),
        "callbacks.schema.json": dump(callbacks_schema()),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=VECTORS_DIR, help="output directory (default: vectors/)")
    ap.add_argument("--check", action="store_true", help="compare with the files on disk instead of writing")
    args = ap.parse_args()
    files = all_files()
    if args.check:
        stale = []
        for name, text in sorted(files.items()):
            path = os.path.join(args.out, name)
            try:
                with open(path, encoding="utf-8", newline="") as f:
                    if f.read() != text:
                        stale.append(name)
            except OSError:
                stale.append(name)
        for name in stale:
            print("out of date: %s (run scripts/gen_vectors.py)" % name)
        return 1 if stale else 0
    os.makedirs(args.out, exist_ok=True)
    for name, text in sorted(files.items()):
        with open(os.path.join(args.out, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)
    for name in sorted(files):
        if name.endswith(".schema.json"):
            continue
        n = json.loads(files[name])["numberOfTests"]
        print("%-20s %3d tests" % (name, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
