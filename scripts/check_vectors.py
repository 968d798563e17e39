#!/usr/bin/env python3
"""check_vectors.py - independent cross-check of vectors/*.json (SPEC.md §11).

Shares no code with scripts/gen_vectors.py or the C library: HMAC#1 signing and
verification, the order of checks and origin normalization are re-implemented
here from the written rules (HMAC-SHA256 itself by hand from RFC 2104 over
hashlib.sha256, self-tested against RFC 4231). Every file is validated against
its JSON Schema with a small built-in validator (and with the `jsonschema`
package too when it is importable), then every value of every test is
recomputed.

Prints one line per failure and finally `vectors: N passed, M failed`, where N
counts tests whose every check held and M counts failed tests plus failed
file-level checks. Exit status 1 when M > 0.

Usage: scripts/check_vectors.py [--dir vectors] [--openssl] [-v]
  --openssl  also recompute body hashes and signatures with the openssl command
             line (`openssl dgst -sha256 -hmac KEY` and `-mac HMAC -macopt hexkey:`)
             for the sign file and every valid verify/callback case.

python3 stdlib only.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.join(os.path.dirname(HERE), "vectors")

FILES = ["hmac1_sign.json", "hmac1_verify.json", "origins.json", "callbacks.json"]


# ==========================================================================
# Crypto, by hand
# ==========================================================================

def hmac_sha256_hex(key, msg):
    """RFC 2104 HMAC with SHA-256 (block 64 bytes), lowercase hex."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key + b"\x00" * (64 - len(key))
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + msg).digest()
    return hashlib.sha256(bytes(b ^ 0x5C for b in key) + inner).hexdigest()


def self_test():
    """RFC 4231 test cases 2 and 6 (short key; 131-byte key)."""
    cases = [
        (b"Jefe", b"what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ]
    for key, msg, want in cases:
        if hmac_sha256_hex(key, msg) != want:
            raise SystemExit("check_vectors: HMAC self-test failed")


# ==========================================================================
# A small JSON Schema (2020-12) validator: the keywords the schemas use
# ==========================================================================

ANNOTATIONS = {"$schema", "$id", "$comment", "$defs", "title", "description"}


def json_equal(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def is_type(v, t):
    return {
        "object": lambda: isinstance(v, dict),
        "array": lambda: isinstance(v, list),
        "string": lambda: isinstance(v, str),
        "boolean": lambda: isinstance(v, bool),
        "null": lambda: v is None,
        "integer": lambda: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda: isinstance(v, (int, float)) and not isinstance(v, bool),
    }[t]()


def ecma_search(pattern, s):
    # ECMA '$' does not match before a final newline; Python's does.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.search(pattern, s) is not None


class MiniSchema:
    def __init__(self, root):
        self.root = root

    def resolve(self, ref):
        if not ref.startswith("#/"):
            raise ValueError("unsupported $ref " + ref)
        node = self.root
        for part in ref[2:].split("/"):
            node = node[part]
        return node

    def errors(self, v, s=None, path="$"):
        """List of 'path: message' strings; empty when v is valid."""
        if s is None:
            s = self.root
        if s is True:
            return []
        if s is False:
            return ["%s: not allowed" % path]
        out = []
        for kw, arg in s.items():
            if kw in ANNOTATIONS or kw in ("then", "else", "prefixItems", "additionalProperties"):
                continue
            out += self.keyword(kw, arg, v, s, path)
        if "additionalProperties" in s and isinstance(v, dict):
            known = set(s.get("properties", {}))
            for k in v:
                if k not in known:
                    out += self.errors(v[k], s["additionalProperties"], "%s.%s" % (path, k)) \
                        if s["additionalProperties"] is not False else ["%s: unexpected key %r" % (path, k)]
        return out

    def keyword(self, kw, arg, v, s, path):
        if kw == "$ref":
            return self.errors(v, self.resolve(arg), path)
        if kw == "type":
            types = arg if isinstance(arg, list) else [arg]
            return [] if any(is_type(v, t) for t in types) else ["%s: not of type %s" % (path, arg)]
        if kw == "const":
            return [] if json_equal(v, arg) else ["%s: must be %r" % (path, arg)]
        if kw == "enum":
            return [] if any(json_equal(v, a) for a in arg) else ["%s: %r not one of %r" % (path, v, arg)]
        if kw == "pattern":
            return [] if not isinstance(v, str) or ecma_search(arg, v) else ["%s: %r does not match %s" % (path, v, arg)]
        if kw in ("minLength", "maxLength"):
            if not isinstance(v, str):
                return []
            ok = len(v) >= arg if kw == "minLength" else len(v) <= arg
            return [] if ok else ["%s: %s %d" % (path, kw, arg)]
        if kw in ("minimum", "maximum"):
            if not is_type(v, "number"):
                return []
            ok = v >= arg if kw == "minimum" else v <= arg
            return [] if ok else ["%s: %s %r" % (path, kw, arg)]
        if kw in ("minItems", "maxItems"):
            if not isinstance(v, list):
                return []
            ok = len(v) >= arg if kw == "minItems" else len(v) <= arg
            return [] if ok else ["%s: %s %d" % (path, kw, arg)]
        if kw == "uniqueItems":
            if not arg or not isinstance(v, list):
                return []
            for i in range(len(v)):
                for j in range(i):
                    if json_equal(v[i], v[j]):
                        return ["%s: items not unique" % path]
            return []
        if kw == "items":
            if not isinstance(v, list):
                return []
            start = len(s.get("prefixItems", []))
            out = []
            for i, item in enumerate(v):
                if i < start:
                    out += self.errors(item, s["prefixItems"][i], "%s[%d]" % (path, i))
                else:
                    out += self.errors(item, arg, "%s[%d]" % (path, i))
            return out
        if kw == "required":
            if not isinstance(v, dict):
                return []
            return ["%s: missing %r" % (path, k) for k in arg if k not in v]
        if kw == "properties":
            if not isinstance(v, dict):
                return []
            out = []
            for k, sub in arg.items():
                if k in v:
                    out += self.errors(v[k], sub, "%s.%s" % (path, k))
            return out
        if kw == "allOf":
            return [e for sub in arg for e in self.errors(v, sub, path)]
        if kw == "anyOf":
            return [] if any(not self.errors(v, sub, path) for sub in arg) else ["%s: matches no anyOf branch" % path]
        if kw == "oneOf":
            n = sum(1 for sub in arg if not self.errors(v, sub, path))
            return [] if n == 1 else ["%s: matches %d oneOf branches, not 1" % (path, n)]
        if kw == "not":
            return [] if self.errors(v, arg, path) else ["%s: matches a 'not' schema" % path]
        if kw == "if":
            branch = "then" if not self.errors(v, arg, path) else "else"
            return self.errors(v, s[branch], path) if branch in s else []
        return ["%s: schema keyword %r unsupported by check_vectors.py" % (path, kw)]


# ==========================================================================
# HMAC#1 rules, re-implemented
# ==========================================================================

WINDOW = 30000
TENANT_HDR, TS_HDR, SIG_HDR = "x-bloonio-tenant-id", "x-bloonio-timestamp", "x-bloonio-signature"
ERRORS = {"headers": (401, "missing_signature"), "window": (401, "stale_timestamp"),
          "signature": (401, "invalid_signature"), "tenant_status": (403, "tenant_suspended")}
TS_RE = re.compile(r"[0-9]{1,16}")
SIG_RE = re.compile(r"[0-9a-fA-F]{64}")


def signing_string(ts_text, body):
    return "%s.%s" % (ts_text, hashlib.sha256(body).hexdigest())


def sign(secret, ts_text, body):
    return hmac_sha256_hex(secret.encode("utf-8"), signing_string(ts_text, body).encode("ascii"))


def verify(tenants, now_ms, headers, body):
    """(failed step or None, signing string or None) per the brief's order of checks."""
    by_name = {TENANT_HDR: [], TS_HDR: [], SIG_HDR: []}
    for name, value in headers:
        key = name.lower()
        if key in by_name:
            by_name[key].append(value)
    ts_list = by_name[TS_HDR]
    ss = signing_string(ts_list[0], body) if len(ts_list) == 1 and TS_RE.fullmatch(ts_list[0]) else None
    counts = [len(x) for x in by_name.values()]
    if counts != [1, 1, 1]:
        return "headers", ss
    tid, ts, sig = by_name[TENANT_HDR][0], ts_list[0], by_name[SIG_HDR][0]
    if not 1 <= len(tid.encode("utf-8")) <= 128 or not TS_RE.fullmatch(ts) or not SIG_RE.fullmatch(sig):
        return "headers", ss
    if not -WINDOW <= now_ms - int(ts) <= WINDOW:
        return "window", ss
    match = [t for t in tenants if t["tenant_id"] == tid]
    if not match or sign(match[0]["tenant_secret"], ts, body) != sig:
        return "signature", ss
    if match[0]["status"] == "suspended":
        return "tenant_status", ss
    return None, ss


# ==========================================================================
# Origin rules, re-implemented (regex based)
# ==========================================================================

SCHEME = r"[A-Za-z][A-Za-z0-9+.\-]*"
ORIGIN_RE = re.compile(r"(%s)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._\-]+)(?::([0-9]+))?/?" % SCHEME)
FORBIDDEN = {"%": "percent_encoding", "*": "wildcard", "@": "userinfo", "?": "query", "#": "fragment"}


def origin_diagnose(s):
    """Structural reasons a string with no forbidden character is not an origin."""
    sep = s.find("://")
    if sep < 0:
        out = {"missing_scheme_separator"}
        if not re.fullmatch(SCHEME, s.split(":", 1)[0]):
            out.add("invalid_scheme")
        return out
    if not re.fullmatch(SCHEME, s[:sep]):
        return {"invalid_scheme"}
    m = re.match(r"(\[[^\]]*\]?|[^:/]*)(.*)", s[sep + 3:], re.S)
    host, tail = m.group(1), m.group(2)
    if host == "":
        return {"empty_host"}
    if not re.fullmatch(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._\-]+", host):
        return {"invalid_host"}
    if tail.startswith(":"):
        pm = re.match(r":([^/]*)(.*)", tail, re.S)
        port, tail = pm.group(1), pm.group(2)
        if not re.fullmatch(r"[0-9]+", port) or not 1 <= int(port) <= 65535:
            return {"invalid_port"}
    if tail.startswith("/") and tail != "/":
        return {"path"}
    return {"invalid_host"} if tail not in ("", "/") else set()


def origin_normalize(s):
    """(normalized, set()) or (None, reasons)."""
    if s == "":
        return None, {"empty"}
    reasons = set()
    if len(s.encode("utf-8")) > 255:
        reasons.add("too_long")
    if s == "null":
        reasons.add("null_origin")
    for ch in s:
        if ord(ch) <= 0x20 or ord(ch) == 0x7F:
            reasons.add("whitespace_or_control")
        elif ord(ch) > 0x7F:
            reasons.add("non_ascii")
        elif ch in FORBIDDEN:
            reasons.add(FORBIDDEN[ch])
    if reasons:
        return None, reasons
    m = ORIGIN_RE.fullmatch(s)
    if m is None:
        why = origin_diagnose(s)
        return None, why or {"unexplained"}
    scheme, host, port = m.group(1).lower(), m.group(2).lower(), m.group(3)
    if port is not None:
        p = int(port)
        if not 1 <= p <= 65535:
            return None, {"invalid_port"}
        if (scheme, p) not in (("http", 80), ("https", 443)):
            host += ":%d" % p
    return "%s://%s" % (scheme, host), set()


# ==========================================================================
# openssl
# ==========================================================================

def openssl_hex(args, data):
    r = subprocess.run(["openssl", "dgst", "-sha256"] + args + ["-r"], input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    m = re.search(rb"\b([0-9a-f]{64})\b", r.stdout)
    if r.returncode != 0 or m is None:
        return "openssl failed: " + r.stderr.decode("utf-8", "replace").strip()
    return m.group(1).decode()


def openssl_checks(secret, signing, body, want_sha, want_sig):
    """Problems found when openssl recomputes the body hash and the signature."""
    out = []
    got = openssl_hex([], body)
    if got != want_sha:
        out.append("openssl body sha256 %s != %s" % (got, want_sha))
    key = secret.encode("utf-8")
    got = openssl_hex(["-mac", "HMAC", "-macopt", "hexkey:" + key.hex()], signing.encode("ascii"))
    if got != want_sig:
        out.append("openssl HMAC (hexkey) %s != %s" % (got, want_sig))
    if secret.isascii() and secret.isprintable() and not secret.startswith("-"):
        got = openssl_hex(["-hmac", secret], signing.encode("ascii"))
        if got != want_sig:
            out.append("openssl HMAC (-hmac) %s != %s" % (got, want_sig))
    return out


# ==========================================================================
# Per-file checks
# ==========================================================================

def body_bytes(t, problems, allow_hex=True):
    has_text, has_hex = "body" in t, "body_hex" in t
    if has_text == has_hex and allow_hex:
        problems.append("exactly one of body / body_hex is required")
        return b""
    if has_hex and allow_hex:
        h = t["body_hex"]
        if not re.fullmatch(r"(?:[0-9a-f]{2})*", h):
            problems.append("body_hex is not lowercase hex of whole bytes")
            return b""
        return bytes.fromhex(h)
    if not isinstance(t.get("body"), str):
        problems.append("body must be a string")
        return b""
    return t["body"].encode("utf-8")


def expect(problems, what, got, want):
    if got != want:
        problems.append("%s: vector has %r, recomputed %r" % (what, got, want))


def check_sign(t, group_type, ctx):
    p = []
    if group_type != "Hmac1Sign":
        return ["unexpected group type %r" % group_type]
    body = body_bytes(t, p)
    ts, secret = t.get("timestamp_ms"), t.get("secret")
    if not isinstance(ts, str) or not TS_RE.fullmatch(ts):
        return p + ["timestamp_ms is not a string of 1-16 ASCII digits"]
    if not isinstance(secret, str):
        return p + ["secret is not a string"]
    expect(p, "result", t.get("result"), "valid")
    sha = hashlib.sha256(body).hexdigest()
    expect(p, "body_sha256", t.get("body_sha256"), sha)
    ss = ts + "." + sha
    expect(p, "signing_string", t.get("signing_string"), ss)
    sig = hmac_sha256_hex(secret.encode("utf-8"), ss.encode("ascii"))
    expect(p, "signature", t.get("signature"), sig)
    if ctx["openssl"] and not p:
        p += openssl_checks(secret, ss, body, sha, sig)
    ctx["sign_bodies"].append(body)
    ctx["sign_ts"].append(ts)
    ctx["sign_secrets"].append(secret)
    ctx["sign_sigs"].append(t.get("signature"))
    for ex_ts, ex_body, ex_sha, ex_sig in SPEC_EXAMPLES:
        if secret == SPEC_EXAMPLE_SECRET and ts == ex_ts and body == ex_body:
            expect(p, "SPEC 4.3.4 body_sha256", t.get("body_sha256"), ex_sha)
            expect(p, "SPEC 4.3.4 signature", t.get("signature"), ex_sig)
            ctx["spec_examples"] += 1
    return p


def check_verify(t, group_type, ctx):
    p = []
    if group_type != "Hmac1Verify":
        return ["unexpected group type %r" % group_type]
    body = body_bytes(t, p)
    tenants, headers, now = t.get("tenants"), t.get("headers"), t.get("now_ms")
    if not isinstance(tenants, list) or not isinstance(headers, list) or not isinstance(now, int):
        return p + ["tenants/headers/now_ms missing or of the wrong type"]
    ids = [x.get("tenant_id") for x in tenants]
    if len(set(ids)) != len(ids):
        p.append("tenant ids are not unique")
    step, ss = verify(tenants, now, [tuple(h) for h in headers], body)
    p += compare_outcome(t, step)
    expect(p, "body_sha256", t.get("body_sha256"), hashlib.sha256(body).hexdigest())
    expect(p, "signing_string", t.get("signing_string"), ss)
    if ctx["openssl"] and step is None and not p:
        hdr = {n.lower(): v for n, v in headers}
        secret = next(x["tenant_secret"] for x in tenants if x["tenant_id"] == hdr[TENANT_HDR])
        p += openssl_checks(secret, ss, body, t["body_sha256"], hdr[SIG_HDR])
    ctx["verify_steps"].add(step)
    return p


def compare_outcome(t, step):
    p = []
    expect(p, "result", t.get("result"), "valid" if step is None else "invalid")
    if step is None:
        for k in ("status", "error", "failed_step"):
            if k in t:
                p.append("valid case carries %r" % k)
    else:
        expect(p, "failed_step", t.get("failed_step"), step)
        expect(p, "status", t.get("status"), ERRORS[step][0])
        expect(p, "error", t.get("error"), ERRORS[step][1])
    return p


def check_origin(t, group_type, ctx):
    p = []
    if group_type == "OriginNormalize":
        norm, why = origin_normalize(t.get("input"))
        if norm is not None:
            expect(p, "result", t.get("result"), "valid")
            expect(p, "normalized", t.get("normalized"), norm)
            again, _ = origin_normalize(norm)
            if again != norm:
                p.append("normalizing %r again gives %r" % (norm, again))
        else:
            expect(p, "result", t.get("result"), "invalid")
            if t.get("reason") not in why:
                p.append("reason %r is not among the rules broken: %s" % (t.get("reason"), sorted(why)))
        ctx["origin_results"].add(t.get("result"))
    elif group_type == "OriginMatch":
        stored = []
        for a in t.get("allowed", []):
            n, why = origin_normalize(a)
            if n is None:
                p.append("allowed entry %r would be refused on store (%s)" % (a, sorted(why)))
            stored.append(n)
        n, _ = origin_normalize(t.get("origin"))
        want = "invalid" if n is None else ("match" if n in stored else "no-match")
        expect(p, "result", t.get("result"), want)
        ctx["origin_results"].add(want)
    else:
        p.append("unexpected group type %r" % group_type)
    return p


CALLBACK_EVENTS = ["conversation-started", "message-received", "ticket-created", "ticket-assigned",
                   "ticket-resolved", "escalation-triggered", "agent-assigned", "agent-released",
                   "agent-resolved"]
# SPEC.md 9.3.2: conversation object (6.1.2) and message object (6.2.3).
DATA_KEYS = {"conversation-started": ["id", "visitor_user_id", "visitor_display_name", "locale", "metadata",
                                      "status", "created_at"],
             "message-received": ["id", "conversation_id", "role", "content", "created_at"]}
PAYLOAD_KEYS = ["event_id", "event", "tenant_id", "occurred_at", "data"]


def check_callback(t, group_type, ctx):
    p = []
    if group_type != "CallbackVerify":
        return ["unexpected group type %r" % group_type]
    if "body_hex" in t:
        p.append("callbacks carry JSON text bodies only")
    body = body_bytes(t, p, allow_hex=False)
    me = [{"tenant_id": t.get("tenant_id"), "tenant_secret": t.get("tenant_secret"), "status": "active"}]
    step, ss = verify(me, t.get("now_ms"), [tuple(h) for h in t.get("headers", [])], body)
    expect(p, "result", t.get("result"), "valid" if step is None else "invalid")
    expect(p, "expected_backend_response", t.get("expected_backend_response"), "2xx" if step is None else "reject")
    expect(p, "failed_step", t.get("failed_step"), step)
    expect(p, "body_sha256", t.get("body_sha256"), hashlib.sha256(body).hexdigest())
    expect(p, "signing_string", t.get("signing_string"), ss)
    m = re.fullmatch(r"/api/v1/chat-callbacks/([a-z-]+)", t.get("url_path", ""))
    event = m.group(1) if m else None
    if event not in CALLBACK_EVENTS:
        p.append("url_path %r names no documented event" % t.get("url_path"))
    try:
        pairs = json.loads(body.decode("utf-8"), object_pairs_hook=lambda kv: kv)
        payload = json.loads(body.decode("utf-8"))
    except ValueError as e:
        return p + ["body is not JSON: %s" % e]
    if [k for k, _ in pairs] != PAYLOAD_KEYS:
        p.append("payload keys %r, want %r in that order" % ([k for k, _ in pairs], PAYLOAD_KEYS))
        return p
    if not re.fullmatch(r"evt_[0-9a-f]{32}", payload["event_id"]):
        p.append("event_id %r is not evt_ + 32 lowercase hex" % payload["event_id"])
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", payload["occurred_at"]):
        p.append("occurred_at %r is not RFC 3339 UTC with seconds" % payload["occurred_at"])
    if not isinstance(payload["data"], dict):
        p.append("data is not an object")
    if step is None:
        expect(p, "payload event (vs url_path)", payload["event"], event)
        expect(p, "payload tenant_id", payload["tenant_id"], t.get("tenant_id"))
        compact = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        if compact != body.decode("utf-8"):
            p.append("a valid delivery's body is not compact JSON")
        shape = DATA_KEYS.get(event)
        if shape is not None and isinstance(payload["data"], dict):
            expect(p, "data keys of %s (SPEC 9.3.2)" % event, list(payload["data"]), shape)
        ctx["callback_events"].add(event)
        if ctx["openssl"] and not p:
            hdr = {n.lower(): v for n, v in t["headers"]}
            p += openssl_checks(t["tenant_secret"], ss, body, t["body_sha256"], hdr[SIG_HDR])
    else:
        ctx["callback_rejects"].update(t.get("flags", []))
    return p


# SPEC.md 4.3.4 worked example, copied by hand from the SPEC: the sign file must contain
# these cases with exactly these values (an anchor outside both scripts).
SPEC_EXAMPLE_SECRET = "sk_" + "A" * 43
SPEC_EXAMPLES = [
    ("1782036000000", b'{"visitor_user_id":"user-123"}',
     "63aadb487e86c442073706e64ebc8c6c035b935730d2d44eeb4747271c2f6163",
     "3bab57c3033adb2da9199c27ca6f14e70f47cd87b292275931755919b002cf5b"),
    ("1782036000000", b"",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "2861c55e39a6d0d6f4e85587eae408b4f6846f3073924091e03b75ef80ffb17a"),
]

CHECKERS = {"hmac1_sign.json": check_sign, "hmac1_verify.json": check_verify,
            "origins.json": check_origin, "callbacks.json": check_callback}
MIN_TESTS = {"hmac1_sign.json": 45, "hmac1_verify.json": 45, "origins.json": 40, "callbacks.json": 9}


def coverage(name, ctx):
    """File-level checks that the brief's required cases are present."""
    out = []
    if name == "hmac1_sign.json":
        bodies, ts, secrets = ctx["sign_bodies"], ctx["sign_ts"], ctx["sign_secrets"]
        need = [
            (b"" in bodies, "an empty body"),
            (any(len(b) == 65536 for b in bodies), "a 65536-byte body"),
            (any(b"\x00" in b for b in bodies), "a body with NUL bytes"),
            (any(len(x) == 1 for x in ts), "a 1-digit timestamp"),
            (any(len(x) == 16 for x in ts), "a 16-digit timestamp"),
            (any(len(x) == 13 for x in ts), "a 13-digit timestamp"),
            (any(len(x) > 1 and x.startswith("0") for x in ts), "a timestamp with leading zeros"),
            (any(not s.isascii() for s in secrets), "a non-ASCII secret"),
            (any(len(s) == 200 for s in secrets), "a 200-character secret"),
            (any(re.fullmatch(r"sk_[A-Za-z0-9_-]{43}", s) for s in secrets), "a realistic sk_ secret"),
            (any(set("=+/") <= set(s) for s in secrets), "a secret with = + /"),
            (any(b"\r\n" in b for b in bodies), "a CRLF body"),
        ]
        out += ["missing coverage: " + what for ok, what in need if not ok]
        if ctx["spec_examples"] != len(SPEC_EXAMPLES):
            out.append("missing coverage: the SPEC.md 4.3.4 worked examples")
        sigs = ctx["sign_sigs"]
        if len(set(sigs)) != len(sigs):
            out.append("two sign cases have the same signature (a duplicated case)")
    elif name == "hmac1_verify.json":
        for step in (None, "headers", "window", "signature", "tenant_status"):
            if step not in ctx["verify_steps"]:
                out.append("missing coverage: outcome %s" % (step or "valid"))
    elif name == "origins.json":
        for r in ("valid", "invalid", "match", "no-match"):
            if r not in ctx["origin_results"]:
                out.append("missing coverage: result %s" % r)
    elif name == "callbacks.json":
        for ev in CALLBACK_EVENTS:
            if ev not in ctx["callback_events"]:
                out.append("missing coverage: a valid %s delivery" % ev)
        for flag in ("Stale", "Future", "WrongSecret", "BodyMismatch", "Unsigned"):
            if flag not in ctx["callback_rejects"]:
                out.append("missing coverage: a rejected %s delivery" % flag)
    return out


def check_file(dirpath, name, ctx, report):
    """Returns (passed, failed)."""
    path = os.path.join(dirpath, name)
    schema_name = name.replace(".json", ".schema.json")
    try:
        with open(path, "rb") as f:
            raw = f.read()
        doc = json.loads(raw.decode("utf-8"))
        with open(os.path.join(dirpath, schema_name), encoding="utf-8") as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        report("%s: cannot load: %s" % (name, e))
        return 0, 1
    file_problems = []
    if not raw.endswith(b"\n"):
        file_problems.append("file does not end with a newline")
    if doc.get("schema") != schema_name:
        file_problems.append("schema field %r, want %r" % (doc.get("schema"), schema_name))
    try:
        file_problems += ["schema: " + e for e in MiniSchema(schema).errors(doc)]
    except (ValueError, KeyError) as e:
        file_problems.append("schema: cannot evaluate: %s" % e)
    if ctx["jsonschema"] is not None:
        js = ctx["jsonschema"]
        try:
            js.Draft202012Validator.check_schema(schema)
            for e in js.Draft202012Validator(schema).iter_errors(doc):
                file_problems.append("jsonschema: %s at %s" % (e.message[:200], "/".join(map(str, e.absolute_path))))
        except js.exceptions.SchemaError as e:
            file_problems.append("jsonschema: the schema itself is invalid: %s" % e.message)

    groups = doc.get("testGroups") if isinstance(doc.get("testGroups"), list) else []
    tests = [(g.get("type"), t) for g in groups if isinstance(g, dict)
             for t in (g.get("tests") or []) if isinstance(t, dict)]
    if doc.get("numberOfTests") != len(tests):
        file_problems.append("numberOfTests %r but %d tests" % (doc.get("numberOfTests"), len(tests)))
    if len(tests) < MIN_TESTS[name]:
        file_problems.append("only %d tests, want at least %d" % (len(tests), MIN_TESTS[name]))
    tcids = [t.get("tcId") for _, t in tests]
    if sorted(x for x in tcids if isinstance(x, int)) != list(range(1, len(tests) + 1)):
        file_problems.append("tcIds are not exactly 1..%d" % len(tests))
    ids = [t.get("id") for _, t in tests]
    dup = sorted({i for i in ids if ids.count(i) > 1 and isinstance(i, str)})
    if dup:
        file_problems.append("duplicate ids: %s" % ", ".join(dup))
    notes = doc.get("notes") if isinstance(doc.get("notes"), dict) else {}
    used = {f for _, t in tests for f in (t.get("flags") or [])}
    if used - set(notes):
        file_problems.append("flags without a note: %s" % sorted(used - set(notes)))
    if set(notes) - used:
        file_problems.append("notes for unused flags: %s" % sorted(set(notes) - used))

    passed = failed = 0
    for gtype, t in tests:
        try:
            problems = CHECKERS[name](t, gtype, ctx)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            problems = ["cannot check: %s: %s" % (type(e).__name__, e)]
        if problems:
            failed += 1
            for msg in problems:
                report("%s #%s %s: %s" % (name, t.get("tcId"), t.get("id"), msg))
        else:
            passed += 1
    file_problems += coverage(name, ctx)
    for msg in file_problems:
        report("%s: %s" % (name, msg))
    return passed, failed + len(file_problems)


def main():
    ap = argparse.ArgumentParser(description="Cross-check vectors/*.json independently of the generator.")
    ap.add_argument("--dir", default=DEFAULT_DIR, help="vectors directory (default: vectors/)")
    ap.add_argument("--openssl", action="store_true", help="also recompute with the openssl command line")
    ap.add_argument("-v", "--verbose", action="store_true", help="print per-file totals")
    args = ap.parse_args()
    self_test()
    try:
        import jsonschema  # optional, not stdlib
    except ImportError:
        jsonschema = None
    if args.openssl:
        try:
            subprocess.run(["openssl", "version"], stdout=subprocess.DEVNULL, check=True)
        except (OSError, subprocess.CalledProcessError):
            print("check_vectors: --openssl given but openssl is not runnable", file=sys.stderr)
            return 2
    total_ok = total_bad = 0
    for name in FILES:
        ctx = {"openssl": args.openssl, "jsonschema": jsonschema, "sign_bodies": [], "sign_ts": [],
               "sign_secrets": [], "sign_sigs": [], "spec_examples": 0, "verify_steps": set(), "origin_results": set(),
               "callback_events": set(), "callback_rejects": set()}
        ok, bad = check_file(args.dir, name, ctx, print)
        if args.verbose:
            print("%-20s %d passed, %d failed" % (name, ok, bad))
        total_ok += ok
        total_bad += bad
    print("vectors: %d passed, %d failed" % (total_ok, total_bad))
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
