/*
 * relay_hmac1.h - HMAC#1 request signing and verification (SPEC.md §4).
 *
 *   X-Bloonio-Signature = hex(HMAC-SHA256(tenant_secret, "{timestamp_ms}.{sha256_hex(body)}"))
 *
 * Signing exposes every intermediate value so that a 401 can be explained byte by
 * byte. Verification applies SPEC's order of checks (§4.5) and reports the step
 * that failed and the error code the relay answers with.
 */
#ifndef RELAY_HMAC1_H
#define RELAY_HMAC1_H

#include <stddef.h>
#include <stdint.h>

#include "relay_rc.h"

#define HMAC1_HEADER_TENANT    "X-Bloonio-Tenant-Id"
#define HMAC1_HEADER_TIMESTAMP "X-Bloonio-Timestamp"
#define HMAC1_HEADER_SIGNATURE "X-Bloonio-Signature"

#define HMAC1_WINDOW_MS     30000 /* §4.4: |now - ts| <= 30000 is accepted */
#define HMAC1_TS_MAX_DIGITS 16    /* §4.1: 1-16 ASCII digits */
#define HMAC1_TENANT_MAX    128   /* §4.1: longer tenant ids fail step 1 */
#define HMAC1_HEX_LEN       64    /* sha256 / signature hex length */
#define HMAC1_SECRET_MAX    1024  /* longest secret the library signs with */
/* "{ts}.{hex}" with ts up to 20 digits (int64 when signing) */
#define HMAC1_SIGNING_STRING_MAX (20 + 1 + HMAC1_HEX_LEN)
/* longest tenant id a signer sends (a verifier refuses over HMAC1_TENANT_MAX at step 1) */
#define HMAC1_TENANT_SEND_MAX 255
/* size of each line hmac1_header_lines() writes: the tenant line is the longest one */
#define HMAC1_HEADER_LINE_MAX (sizeof(HMAC1_HEADER_TENANT) + 2 + HMAC1_TENANT_SEND_MAX)

/* The steps of §4.5, in order. Stateful steps (replay, rate limit) belong to the relay. */
enum hmac1_step {
	HMAC1_STEP_NONE = 0, /* nothing failed */
	HMAC1_STEP_HEADERS,
	HMAC1_STEP_WINDOW,
	HMAC1_STEP_SIGNATURE,
	HMAC1_STEP_TENANT_STATUS,
	HMAC1_STEP_REPLAY,
	HMAC1_STEP_RATE_LIMIT,
	HMAC1_STEP_BODY
};

/* "headers", "window", ... ("none" for HMAC1_STEP_NONE). */
const char *hmac1_step_name(enum hmac1_step step);

/* Every value a signer computes. All strings are NUL-terminated. */
struct hmac1_signed {
	char timestamp[21];                                /* as sent */
	char body_sha256[HMAC1_HEX_LEN + 1];               /* lowercase hex */
	char signing_string[HMAC1_SIGNING_STRING_MAX + 1]; /* "{timestamp}.{body_sha256}" */
	char signature[HMAC1_HEX_LEN + 1];                 /* lowercase hex */
};

/*
 * Sign body with secret at timestamp_ms (decimal text of it goes into the signing
 * string). secret is the UTF-8 bytes of the whole tenant_secret string; secret_len
 * at most HMAC1_SECRET_MAX. body may be NULL when body_len is 0.
 */
RELAY_WUR enum relay_rc hmac1_sign(const char *secret, size_t secret_len, int64_t timestamp_ms,
				   const void *body, size_t body_len, struct hmac1_signed *out);

/*
 * Same, with the timestamp given as the exact header text (used by verifiers, which
 * sign over what they received). timestamp must be 1-20 chars.
 */
RELAY_WUR enum relay_rc hmac1_sign_text(const char *secret, size_t secret_len,
					const char *timestamp, const void *body, size_t body_len,
					struct hmac1_signed *out);

/*
 * The three request header lines of §4.1 for a signed request, "Name: value" as libcurl
 * takes them: lines[0] X-Bloonio-Tenant-Id (tenant_id), lines[1] X-Bloonio-Timestamp
 * and lines[2] X-Bloonio-Signature (sig's timestamp and signature, as they are).
 * RELAY_E_INVALID_ARGUMENT, lines untouched, when tenant_id is NULL or longer than
 * HMAC1_TENANT_SEND_MAX.
 */
RELAY_WUR enum relay_rc hmac1_header_lines(const char *tenant_id, const struct hmac1_signed *sig,
					   char lines[3][HMAC1_HEADER_LINE_MAX]);

/* sha256 of data as 64 lowercase hex chars + NUL into out. */
RELAY_WUR enum relay_rc hmac1_sha256_hex(const void *data, size_t len, char out[HMAC1_HEX_LEN + 1]);

/*
 * The three headers as received. Feed every request header through
 * hmac1_headers_add(); names are matched case-insensitively and a header seen
 * twice is remembered as duplicated (a step 1 failure). Values are borrowed.
 */
struct hmac1_headers {
	const char *tenant_id;
	const char *timestamp;
	const char *signature;
	unsigned duplicated; /* bit 0 tenant, bit 1 timestamp, bit 2 signature */
};

void hmac1_headers_init(struct hmac1_headers *h);
void hmac1_headers_add(struct hmac1_headers *h, const char *name, const char *value);

/* What verification found. Strings are empty when not computed. */
struct hmac1_verdict {
	enum relay_rc rc;            /* RELAY_OK or the error of the failed step */
	enum hmac1_step failed_step; /* HMAC1_STEP_NONE on success */
	int64_t timestamp_ms;        /* parsed timestamp (valid from step 2 on) */
	int64_t skew_ms;             /* now_ms - timestamp_ms (valid from step 2 on) */
	char body_sha256[HMAC1_HEX_LEN + 1];
	char signing_string[HMAC1_SIGNING_STRING_MAX + 1];
	const char *detail; /* static text saying why, for logs and the journal */
};

/*
 * Steps 1-2 (§4.5): header syntax, then the window against now_ms. Computes
 * body_sha256 and signing_string when the timestamp is well-formed, so that a
 * caller can always show them. Returns v->rc.
 */
enum relay_rc hmac1_verify_headers(const struct hmac1_headers *h, const void *body, size_t body_len,
				   int64_t now_ms, struct hmac1_verdict *v);

/*
 * Step 3 (§4.5): the signature, after hmac1_verify_headers() succeeded. secret is
 * the tenant's current secret, or NULL when the tenant is unknown (the two cases
 * are not told apart, and cost the same). Constant-time comparison; uppercase hex
 * is a mismatch. Returns v->rc.
 */
enum relay_rc hmac1_verify_signature(const struct hmac1_headers *h, const char *secret,
				     size_t secret_len, struct hmac1_verdict *v);

/*
 * Steps 1-4 in one call, for vector runners and tools: secret NULL = unknown tenant,
 * suspended marks the tenant's status. Returns v->rc.
 */
enum relay_rc hmac1_verify(const struct hmac1_headers *h, const void *body, size_t body_len,
			   int64_t now_ms, const char *secret, size_t secret_len, int suspended,
			   struct hmac1_verdict *v);

#endif
