/*
 * relay_hmac1.c - HMAC#1 (SPEC.md §4). OpenSSL does the SHA-256 and the HMAC.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "relay_hmac1.h"

static const char *const step_names[] = {
	[HMAC1_STEP_NONE] = "none",
	[HMAC1_STEP_HEADERS] = "headers",
	[HMAC1_STEP_WINDOW] = "window",
	[HMAC1_STEP_SIGNATURE] = "signature",
	[HMAC1_STEP_TENANT_STATUS] = "tenant_status",
	[HMAC1_STEP_REPLAY] = "replay",
	[HMAC1_STEP_RATE_LIMIT] = "rate_limit",
	[HMAC1_STEP_BODY] = "body",
};

const char *hmac1_step_name(enum hmac1_step step)
{
	if ((int)step < 0 || step > HMAC1_STEP_BODY)
		return "none";
	return step_names[step];
}

static void hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

/*
 * OpenSSL 3 looks an algorithm up by name (locks, hash tables) on every one-shot
 * EVP_sha256()/HMAC() call: SHA-256 and HMAC are fetched once per process and each
 * thread keeps its own digest and MAC contexts, so the hot path takes no lock.
 *
 * A verification keys the thread's one MAC context with the tenant's secret
 * (EVP_MAC_init with the key). That context stays in the thread's cache; a keyed
 * context per tenant (each a graph of OpenSSL objects: MAC, HMAC, three digest
 * contexts) was one more set of cold cache lines per call when calls go to many
 * tenants, and measured slower (docs/BENCHMARKS.md).
 */
struct hmac1_tls {
	EVP_MD_CTX *md;
	EVP_MAC_CTX *mac; /* digest set to SHA-256 once; the key is set per call */
};

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;
static EVP_MAC *hmac_mac;
static pthread_key_t tls_key;
static int crypto_ready;
static _Thread_local struct hmac1_tls *tls_ctx;

/* pthread key destructor: frees a thread's contexts when it exits. */
static void tls_free(void *p)
{
	struct hmac1_tls *t = p;

	if (t == NULL)
		return;
	EVP_MD_CTX_free(t->md);
	EVP_MAC_CTX_free(t->mac); /* cleanses the last key */
	free(t);
}

static void crypto_init(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (sha256_md == NULL || hmac_mac == NULL || pthread_key_create(&tls_key, tls_free) != 0)
		return;
	crypto_ready = 1;
}

/* This thread's contexts, made on first use; NULL when OpenSSL fails. */
static struct hmac1_tls *tls_get(void)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[2];
	struct hmac1_tls *t = NULL;

	if (tls_ctx != NULL)
		return tls_ctx;
	if (pthread_once(&crypto_once, crypto_init) != 0 || !crypto_ready)
		goto fail;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto fail;
	t->md = EVP_MD_CTX_new();
	t->mac = EVP_MAC_CTX_new(hmac_mac);
	if (t->md == NULL || t->mac == NULL)
		goto fail;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(t->mac, params) != 1 || pthread_setspecific(tls_key, t) != 0)
		goto fail;
	tls_ctx = t;
	return t;
fail:
	tls_free(t);
	return NULL;
}

enum relay_rc hmac1_sha256_hex(const void *data, size_t len, char out[HMAC1_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	static const char empty_sha256_hex[HMAC1_HEX_LEN + 1] =
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	struct hmac1_tls *t;

	if (data == NULL && len > 0)
		return RELAY_E_INVALID_ARGUMENT; /* reading len bytes of nothing would overflow */
	if (len == 0) {
		/* every GET and DELETE: the hash of no bytes is a constant */
		memcpy(out, empty_sha256_hex, sizeof(empty_sha256_hex));
		return RELAY_OK;
	}
	t = tls_get();
	if (t == NULL || EVP_DigestInit_ex2(t->md, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(t->md, data, len) != 1 ||
	    EVP_DigestFinal_ex(t->md, md, &md_len) != 1 || md_len != 32)
		return RELAY_E_CRYPTO;
	hex_encode(md, md_len, out);
	return RELAY_OK;
}

/* HMAC-SHA256(secret, msg) as lowercase hex into out. */
static enum relay_rc hmac_hex(const char *secret, size_t secret_len, const char *msg,
			      size_t msg_len, char out[HMAC1_HEX_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t mac_len = 0;
	static const unsigned char nokey[1];
	/* a NULL key would mean "keep the previous key": an empty one is passed as nokey, 0 */
	const unsigned char *key = secret_len > 0 ? (const unsigned char *)secret : nokey;
	enum relay_rc rc = RELAY_E_CRYPTO;
	struct hmac1_tls *t = tls_get();

	if (t == NULL || EVP_MAC_init(t->mac, key, secret_len, NULL) != 1 ||
	    EVP_MAC_update(t->mac, (const unsigned char *)msg, msg_len) != 1 ||
	    EVP_MAC_final(t->mac, mac, &mac_len, sizeof(mac)) != 1 || mac_len != 32)
		goto out;
	hex_encode(mac, mac_len, out);
	rc = RELAY_OK;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

/* body_sha256 and "{timestamp}.{body_sha256}"; timestamp is 1-20 chars. */
static enum relay_rc signing_string(const char *timestamp, const void *body, size_t body_len,
				    char body_sha256[HMAC1_HEX_LEN + 1],
				    char out[HMAC1_SIGNING_STRING_MAX + 1], size_t *out_len)
{
	size_t ts_len = strlen(timestamp);
	enum relay_rc rc;

	if (ts_len == 0 || ts_len > 20)
		return RELAY_E_INVALID_ARGUMENT;
	rc = hmac1_sha256_hex(body, body_len, body_sha256);
	if (rc != RELAY_OK)
		return rc;
	memcpy(out, timestamp, ts_len);
	out[ts_len] = '.';
	memcpy(out + ts_len + 1, body_sha256, HMAC1_HEX_LEN + 1);
	*out_len = ts_len + 1 + HMAC1_HEX_LEN;
	return RELAY_OK;
}

enum relay_rc hmac1_sign_text(const char *secret, size_t secret_len, const char *timestamp,
			      const void *body, size_t body_len, struct hmac1_signed *out)
{
	enum relay_rc rc = RELAY_E_INVALID_ARGUMENT;
	struct hmac1_signed s;
	size_t n = 0;

	if (secret == NULL || secret_len > HMAC1_SECRET_MAX || timestamp == NULL || out == NULL ||
	    (body == NULL && body_len > 0) || strlen(timestamp) >= sizeof(s.timestamp))
		goto out;
	rc = signing_string(timestamp, body, body_len, s.body_sha256, s.signing_string, &n);
	if (rc != RELAY_OK)
		goto out;
	memcpy(s.timestamp, timestamp, strlen(timestamp) + 1);
	rc = hmac_hex(secret, secret_len, s.signing_string, n, s.signature);
	if (rc != RELAY_OK)
		goto out;
	*out = s;
out:
	return rc;
}

enum relay_rc hmac1_sign(const char *secret, size_t secret_len, int64_t timestamp_ms,
			 const void *body, size_t body_len, struct hmac1_signed *out)
{
	char ts[21];

	if (timestamp_ms < 0)
		return RELAY_E_INVALID_ARGUMENT;
	snprintf(ts, sizeof(ts), "%" PRId64, timestamp_ms);
	return hmac1_sign_text(secret, secret_len, ts, body, body_len, out);
}

enum relay_rc hmac1_header_lines(const char *tenant_id, const struct hmac1_signed *sig,
				 char lines[3][HMAC1_HEADER_LINE_MAX])
{
	if (tenant_id == NULL || sig == NULL || lines == NULL ||
	    strlen(tenant_id) > HMAC1_TENANT_SEND_MAX)
		return RELAY_E_INVALID_ARGUMENT;
	/* timestamp (20) and signature (64) are bounded by struct hmac1_signed */
	snprintf(lines[0], HMAC1_HEADER_LINE_MAX, "%s: %s", HMAC1_HEADER_TENANT, tenant_id);
	snprintf(lines[1], HMAC1_HEADER_LINE_MAX, "%s: %s", HMAC1_HEADER_TIMESTAMP, sig->timestamp);
	snprintf(lines[2], HMAC1_HEADER_LINE_MAX, "%s: %s", HMAC1_HEADER_SIGNATURE, sig->signature);
	return RELAY_OK;
}

void hmac1_headers_init(struct hmac1_headers *h)
{
	memset(h, 0, sizeof(*h));
}

void hmac1_headers_add(struct hmac1_headers *h, const char *name, const char *value)
{
	const char **slot = NULL;
	unsigned bit = 0;

	const char *want = NULL;

	if (name == NULL || value == NULL)
		return;
	/*
	 * X-Bloonio-Tenant-Id, X-Bloonio-Timestamp, X-Bloonio-Signature: the bytes after
	 * "X-Bloonio-" pick the one candidate, then one comparison of the whole name.
	 */
	if (strncasecmp(name, "X-Bloonio-", 10) != 0)
		return;
	switch (name[10] | 0x20) {
	case 't':
		if ((name[11] | 0x20) == 'e') {
			want = HMAC1_HEADER_TENANT;
			slot = &h->tenant_id;
			bit = 1u;
		} else {
			want = HMAC1_HEADER_TIMESTAMP;
			slot = &h->timestamp;
			bit = 2u;
		}
		break;
	case 's':
		want = HMAC1_HEADER_SIGNATURE;
		slot = &h->signature;
		bit = 4u;
		break;
	default:
		return;
	}
	if (strcasecmp(name, want) != 0)
		return;
	if (*slot != NULL)
		h->duplicated |= bit;
	else
		*slot = value;
}

/* 1 for the bytes of a hex digit, either case. */
static const unsigned char hex_byte[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
};

/*
 * 1 when s[0..n) are all hex digits: every byte looked up, none tested on its own
 * (a branch per digit of a random signature, 0-9 or a-f, is mispredicted often).
 */
static int all_hex(const char *s, size_t n)
{
	unsigned all = 1;
	size_t i;

	for (i = 0; i < n; i++)
		all &= hex_byte[(unsigned char)s[i]];
	return all != 0;
}

/* Step 1 syntax of the timestamp: 1-16 ASCII digits. Parses into *ms. */
static int parse_timestamp(const char *s, int64_t *ms)
{
	size_t i, len = strlen(s);
	int64_t v = 0;

	if (len == 0 || len > HMAC1_TS_MAX_DIGITS)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*ms = v;
	return 1;
}

static enum relay_rc fail(struct hmac1_verdict *v, enum hmac1_step step, enum relay_rc rc,
			  const char *detail)
{
	v->failed_step = step;
	v->rc = rc;
	v->detail = detail;
	return rc;
}

enum relay_rc hmac1_verify_headers(const struct hmac1_headers *h, const void *body, size_t body_len,
				   int64_t now_ms, struct hmac1_verdict *v)
{
	int64_t ts = 0;
	size_t tlen, n = 0;
	int ts_ok;

	memset(v, 0, sizeof(*v));
	v->rc = RELAY_OK;
	v->detail = "";

	/* The body hash and signing string are shown even when a later check fails. */
	ts_ok = h->timestamp != NULL && (h->duplicated & 2u) == 0 &&
		parse_timestamp(h->timestamp, &ts);
	if (ts_ok) {
		if (signing_string(h->timestamp, body, body_len, v->body_sha256, v->signing_string,
				   &n) != RELAY_OK)
			return fail(v, HMAC1_STEP_HEADERS, RELAY_E_CRYPTO, "sha256 failed");
	} else if (hmac1_sha256_hex(body, body_len, v->body_sha256) != RELAY_OK) {
		return fail(v, HMAC1_STEP_HEADERS, RELAY_E_CRYPTO, "sha256 failed");
	}

	if (h->tenant_id == NULL || h->timestamp == NULL || h->signature == NULL)
		return fail(v, HMAC1_STEP_HEADERS, RELAY_E_MISSING_SIGNATURE,
			    "an X-Bloonio-* header is missing");
	if (h->duplicated != 0)
		return fail(v, HMAC1_STEP_HEADERS, RELAY_E_MISSING_SIGNATURE,
			    "an X-Bloonio-* header is repeated");
	tlen = strlen(h->tenant_id);
	if (tlen == 0 || tlen > HMAC1_TENANT_MAX)
		return fail(v, HMAC1_STEP_HEADERS, RELAY_E_MISSING_SIGNATURE,
			    "X-Bloonio-Tenant-Id is empty or longer than 128 bytes");
	if (!ts_ok)
		return fail(v, HMAC1_STEP_HEADERS, RELAY_E_MISSING_SIGNATURE,
			    "X-Bloonio-Timestamp is not 1-16 decimal digits");
	if (strlen(h->signature) != HMAC1_HEX_LEN)
		return fail(v, HMAC1_STEP_HEADERS, RELAY_E_MISSING_SIGNATURE,
			    "X-Bloonio-Signature is not 64 hex characters");
	if (!all_hex(h->signature, HMAC1_HEX_LEN))
		return fail(v, HMAC1_STEP_HEADERS, RELAY_E_MISSING_SIGNATURE,
			    "X-Bloonio-Signature is not 64 hex characters");

	v->timestamp_ms = ts;
	/* ts < 10^16, but now_ms is the caller's: saturate instead of overflowing */
	if (__builtin_sub_overflow(now_ms, ts, &v->skew_ms))
		v->skew_ms = now_ms < 0 ? INT64_MIN : INT64_MAX;
	if (v->skew_ms > HMAC1_WINDOW_MS || v->skew_ms < -HMAC1_WINDOW_MS)
		return fail(v, HMAC1_STEP_WINDOW, RELAY_E_STALE_TIMESTAMP,
			    v->skew_ms > 0 ? "timestamp is more than 30000 ms in the past"
					   : "timestamp is more than 30000 ms in the future");
	return RELAY_OK;
}

enum relay_rc hmac1_verify_signature(const struct hmac1_headers *h, const char *secret,
				     size_t secret_len, struct hmac1_verdict *v)
{
	static const char dummy[] = "sk_unknown_tenant_constant_time_dummy_secret";
	char expected[HMAC1_HEX_LEN + 1];
	bool known = secret != NULL && secret_len <= HMAC1_SECRET_MAX;
	int same;

	if (v->rc != RELAY_OK)
		return v->rc;
	/* An unknown tenant costs one HMAC and one comparison too, against a dummy key. */
	if (!known) {
		secret = dummy;
		secret_len = sizeof(dummy) - 1;
	}
	if (hmac_hex(secret, secret_len, v->signing_string, strlen(v->signing_string), expected) !=
	    RELAY_OK)
		return fail(v, HMAC1_STEP_SIGNATURE, RELAY_E_CRYPTO, "HMAC failed");
	same = CRYPTO_memcmp(expected, h->signature, HMAC1_HEX_LEN) == 0;
	OPENSSL_cleanse(expected, sizeof(expected));
	if (!known || !same)
		return fail(v, HMAC1_STEP_SIGNATURE, RELAY_E_INVALID_SIGNATURE,
			    "signature does not match (or unknown tenant)");
	return RELAY_OK;
}

enum relay_rc hmac1_verify(const struct hmac1_headers *h, const void *body, size_t body_len,
			   int64_t now_ms, const char *secret, size_t secret_len, int suspended,
			   struct hmac1_verdict *v)
{
	if (hmac1_verify_headers(h, body, body_len, now_ms, v) != RELAY_OK)
		return v->rc;
	if (hmac1_verify_signature(h, secret, secret_len, v) != RELAY_OK)
		return v->rc;
	if (suspended)
		return fail(v, HMAC1_STEP_TENANT_STATUS, RELAY_E_TENANT_SUSPENDED,
			    "tenant is suspended");
	return RELAY_OK;
}
