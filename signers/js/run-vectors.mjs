#!/usr/bin/env node
// Runs bloonio-hmac1.mjs against every case of vectors/hmac1_sign.json,
// vectors/hmac1_verify.json and vectors/callbacks.json.
//
//   node signers/js/run-vectors.mjs [VECTORS_DIR]
//
// Prints one line per failing case (by id) and a last line "js signer: N passed, M failed";
// exit 0 only when every case passed and every file had cases.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign, headers, verify } from './bloonio-hmac1.mjs';

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'vectors');
const bodyOf = (t) => ('body_hex' in t ? Buffer.from(t.body_hex, 'hex') : Buffer.from(t.body, 'utf8'));
function cases(name) {
  const doc = JSON.parse(readFileSync(join(root, name), 'utf8'));
  const out = doc.testGroups.flatMap((g) => g.tests);
  if (out.length !== doc.numberOfTests) throw new Error(`${name}: ${out.length} tests, numberOfTests says ${doc.numberOfTests}`);
  return out;
}

let passed = 0;
let failed = 0;
const counts = {};
function check(name, t, ok, got) {
  counts[name] = (counts[name] ?? 0) + 1;
  if (ok) passed++;
  else {
    failed++;
    console.log(`FAIL ${name} ${t.id}: ${JSON.stringify(got)}`);
  }
}

for (const t of cases('hmac1_sign.json')) {
  const s = sign(t.secret, bodyOf(t), t.timestamp_ms);
  check('hmac1_sign', t, s.bodySha256 === t.body_sha256 && s.signingString === t.signing_string && s.signature === t.signature, s);
  const v = verify(Object.entries(headers('t', s)), bodyOf(t), Number(t.timestamp_ms), new Map([['t', [t.secret, 'active']]]));
  check('hmac1_sign(verify)', t, v.ok, v);
}
for (const t of cases('hmac1_verify.json')) {
  const tenants = new Map(t.tenants.map((x) => [x.tenant_id, [x.tenant_secret, x.status]]));
  const v = verify(t.headers, bodyOf(t), t.now_ms, tenants);
  let ok = t.result === 'valid' ? v.ok
    : !v.ok && v.failedStep === t.failed_step && v.status === t.status && v.error === t.error;
  if ('signing_string' in t) ok = ok && v.signingString === t.signing_string;
  check('hmac1_verify', t, ok, v);
}
for (const t of cases('callbacks.json')) {
  const v = verify(t.headers, bodyOf(t), t.now_ms, new Map([[t.tenant_id, [t.tenant_secret, 'active']]]));
  const wantOk = t.expected_backend_response === '2xx';
  check('callbacks', t, v.ok === wantOk && (wantOk || v.failedStep === t.failed_step), v);
}
for (const name of ['hmac1_sign', 'hmac1_verify', 'callbacks']) {
  if (!counts[name]) {
    console.log(`FAIL ${name}: no cases`);
    failed++;
  }
}
console.log('js signer: ' + Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', '));
console.log(`js signer: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
