// HMAC#1 reference signer and verifier for the Bloonio Chat Relay (SPEC.md §4), for
// JavaScript and TypeScript SDKs on Node (node:crypto only; types in bloonio-hmac1.d.ts).
// Copy this file into your project. Every intermediate value is returned, so a 401 can be
// compared with what the relay computed (the mock's journal, `hmac1 verify`).
//
//   import { sign, headers, verify } from './bloonio-hmac1.mjs';
//   const s = sign(tenantSecret, '{"visitor_user_id":"user-123"}');
//   fetch(url, { method: 'POST', headers: { ...headers(tenantId, s), 'Content-Type': 'application/json' }, body });
//   verify(receivedHeaders, body, Date.now(), new Map([[tenantId, [secret, 'active']]]));
//
// Recipe (SPEC.md §4.2-4.3):
//   body_sha256    = lowercase hex SHA-256(body bytes)      (GET: the empty body)
//   signing_string = `${timestamp_ms}.${body_sha256}`       (the timestamp as sent, in ms)
//   signature      = lowercase hex HMAC-SHA256(UTF-8 bytes of the whole secret, signing_string)
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const HEADER_TENANT = 'X-Bloonio-Tenant-Id';
export const HEADER_TIMESTAMP = 'X-Bloonio-Timestamp';
export const HEADER_SIGNATURE = 'X-Bloonio-Signature';
export const WINDOW_MS = 30000; // |now - timestamp| <= 30000 is accepted (§4.4)
const TENANT_MAX = 128; // bytes (§4.1)

const REFUSALS = {
  headers: [401, 'missing_signature'],
  window: [401, 'stale_timestamp'],
  signature: [401, 'invalid_signature'],
  tenant_status: [403, 'tenant_suspended'],
};

// A string body is taken as its UTF-8 bytes; Buffer/Uint8Array as is.
function toBytes(body) {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(body.buffer ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : body);
}

function hmacHex(secret, signingString) {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(signingString, 'ascii').digest('hex');
}

/** Sign body with the tenant secret ("sk_" included) at timestampMs (default: now, in
 *  milliseconds). A string timestamp is used as the exact header text. */
export function sign(secret, body = '', timestampMs = Date.now()) {
  const timestamp = String(timestampMs);
  const bodySha256 = createHash('sha256').update(toBytes(body)).digest('hex');
  const signingString = `${timestamp}.${bodySha256}`;
  return { timestamp, bodySha256, signingString, signature: hmacHex(secret, signingString) };
}

/** The three request headers for a signed call. */
export function headers(tenantId, signed) {
  return {
    [HEADER_TENANT]: tenantId,
    [HEADER_TIMESTAMP]: signed.timestamp,
    [HEADER_SIGNATURE]: signed.signature,
  };
}

function refuse(step, bodySha256, signingString) {
  const [status, error] = REFUSALS[step];
  return { ok: false, failedStep: step, status, error, bodySha256, signingString };
}

/** Check a request as the relay does (§4.5 steps 1-4; replay and rate limits are the
 *  relay's). received: [name, value] pairs or an object; tenants: a Map (or object) of
 *  tenantId -> [secret, 'active' | 'suspended']. The first failing step wins. */
export function verify(received, body, nowMs, tenants) {
  const pairs = Array.isArray(received) ? received : Object.entries(received);
  const found = { [HEADER_TENANT.toLowerCase()]: [], [HEADER_TIMESTAMP.toLowerCase()]: [], [HEADER_SIGNATURE.toLowerCase()]: [] };
  for (const [name, value] of pairs) {
    const key = String(name).toLowerCase();
    if (key in found) found[key].push(String(value));
  }
  const tenant = found[HEADER_TENANT.toLowerCase()];
  const ts = found[HEADER_TIMESTAMP.toLowerCase()];
  const sig = found[HEADER_SIGNATURE.toLowerCase()];

  const bodySha256 = createHash('sha256').update(toBytes(body)).digest('hex');
  const tsOk = ts.length === 1 && /^[0-9]{1,16}$/.test(ts[0]);
  const signingString = tsOk ? `${ts[0]}.${bodySha256}` : null;

  // 1. headers: each present once, not empty, well-formed
  if (tenant.length !== 1 || sig.length !== 1 || !tsOk || tenant[0] === '' ||
      Buffer.byteLength(tenant[0], 'utf8') > TENANT_MAX || !/^[0-9a-fA-F]{64}$/.test(sig[0])) {
    return refuse('headers', bodySha256, signingString);
  }
  // 2. window, before any tenant lookup
  if (Math.abs(nowMs - Number(ts[0])) > WINDOW_MS) return refuse('window', bodySha256, signingString);
  // 3. signature: an unknown tenant is the same failure, at the same cost
  const known = tenants instanceof Map ? tenants.get(tenant[0]) : (Object.hasOwn(tenants, tenant[0]) ? tenants[tenant[0]] : undefined);
  const expected = Buffer.from(hmacHex(known ? known[0] : '\0unknown tenant', signingString), 'ascii');
  if (!timingSafeEqual(expected, Buffer.from(sig[0], 'ascii')) || !known) {
    return refuse('signature', bodySha256, signingString);
  }
  // 4. tenant status
  if (known[1] === 'suspended') return refuse('tenant_status', bodySha256, signingString);
  return { ok: true, failedStep: null, status: 200, error: null, bodySha256, signingString };
}
