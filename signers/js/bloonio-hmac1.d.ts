// Types of bloonio-hmac1.mjs for TypeScript SDKs.
export declare const HEADER_TENANT: 'X-Bloonio-Tenant-Id';
export declare const HEADER_TIMESTAMP: 'X-Bloonio-Timestamp';
export declare const HEADER_SIGNATURE: 'X-Bloonio-Signature';
export declare const WINDOW_MS: 30000;

export type Body = string | Uint8Array | null | undefined;

/** Every value a signer computes. */
export interface Signed {
  timestamp: string;
  bodySha256: string;
  signingString: string;
  signature: string;
}

export type FailedStep = 'headers' | 'window' | 'signature' | 'tenant_status';

/** What the relay's order of checks (SPEC.md §4.5, steps 1-4) decides. */
export interface Verdict {
  ok: boolean;
  failedStep: FailedStep | null;
  status: number;
  error: 'missing_signature' | 'stale_timestamp' | 'invalid_signature' | 'tenant_suspended' | null;
  bodySha256: string;
  signingString: string | null;
}

export type TenantStore =
  | Map<string, [secret: string, status: 'active' | 'suspended']>
  | Record<string, [secret: string, status: 'active' | 'suspended']>;

export declare function sign(secret: string, body?: Body, timestampMs?: number | string): Signed;
export declare function headers(tenantId: string, signed: Signed): Record<string, string>;
export declare function verify(
  received: Array<[string, string]> | Record<string, string>,
  body: Body,
  nowMs: number,
  tenants: TenantStore,
): Verdict;
