/*
 * fuzz_hmac1_verify.c - hmac1_verify() on any header values and body (SPEC.md §4.5).
 *
 * Input layout: byte 0 = flags, bytes 1-2 = clock skew, then up to three
 * '\n'-terminated header values (tenant, timestamp, signature), the rest is the body.
 * flags: bit 0-2 drop tenant/timestamp/signature, bit 3 duplicate one, bit 4 replace
 * the signature with the correct one, bit 5 unknown tenant, bit 6 suspended, bit 7
 * take now from the skew bytes alone (extreme clocks).
 *
 * Never crashes; the verdict's step and error always agree with §4.6; an accepted
 * request always carries the right signature inside the window; a request signed
 * correctly, well-formed and inside the window is always accepted (or suspended).
 */
#include <string.h>

#include "fuzz.h"
#include "relay_hmac1.h"

#define SECRET "sk_fuzz_secret_0123456789abcdefghijklmnopqrstu"

static const enum relay_rc step_rc[] = {
	[HMAC1_STEP_NONE] = RELAY_OK,
	[HMAC1_STEP_HEADERS] = RELAY_E_MISSING_SIGNATURE,
	[HMAC1_STEP_WINDOW] = RELAY_E_STALE_TIMESTAMP,
	[HMAC1_STEP_SIGNATURE] = RELAY_E_INVALID_SIGNATURE,
	[HMAC1_STEP_TENANT_STATUS] = RELAY_E_TENANT_SUSPENDED,
};

/* Copies the next '\n'-terminated field of data into out (at most cap-1 bytes). */
static void next_field(const uint8_t **p, size_t *left, char *out, size_t cap)
{
	const uint8_t *nl = memchr(*p, '\n', *left);
	size_t n = nl != NULL ? (size_t)(nl - *p) : *left;
	size_t keep = n < cap - 1 ? n : cap - 1;

	memcpy(out, *p, keep);
	out[keep] = '\0';
	*p += n + (nl != NULL ? 1 : 0);
	*left -= n + (nl != NULL ? 1 : 0);
}

static int all_digits(const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	return n >= 1 && n <= HMAC1_TS_MAX_DIGITS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char tenant[300], ts[64], sig[128];
	const uint8_t *p = data;
	size_t left = size, i;
	struct hmac1_headers h;
	struct hmac1_verdict v;
	struct hmac1_signed good;
	int64_t now = 0, skew;
	unsigned flags;
	int have_good = 0, well_formed;

	if (size < 3)
		return 0;
	flags = data[0];
	skew = (int64_t)(((unsigned)data[1] << 8) | data[2]) - 32768;
	p += 3;
	left -= 3;
	next_field(&p, &left, tenant, sizeof(tenant));
	next_field(&p, &left, ts, sizeof(ts));
	next_field(&p, &left, sig, sizeof(sig));

	if (all_digits(ts) &&
	    hmac1_sign_text(SECRET, strlen(SECRET), ts, p, left, &good) == RELAY_OK)
		have_good = 1;
	if ((flags & 0x10) && have_good)
		memcpy(sig, good.signature, HMAC1_HEX_LEN + 1);
	if (flags & 0x80) {
		/* spread the two bytes over the whole int64 range, both signs */
		now = (int64_t)((uint64_t)data[1] << 56 | (uint64_t)data[2] << 48);
	} else if (all_digits(ts)) {
		now = strtoll(ts, NULL, 10) + skew;
	}

	hmac1_headers_init(&h);
	if (!(flags & 0x01))
		hmac1_headers_add(&h, HMAC1_HEADER_TENANT, tenant);
	if (!(flags & 0x02))
		hmac1_headers_add(&h, "x-bloonio-timestamp", ts);
	if (!(flags & 0x04))
		hmac1_headers_add(&h, "X-BLOONIO-SIGNATURE", sig);
	if (flags & 0x08)
		hmac1_headers_add(&h, HMAC1_HEADER_TIMESTAMP, ts);

	(void)hmac1_verify(&h, p, left, now, (flags & 0x20) ? NULL : SECRET,
			   (flags & 0x20) ? 0 : strlen(SECRET), (flags & 0x40) != 0, &v);

	FUZZ_CHECK(v.failed_step <= HMAC1_STEP_TENANT_STATUS);
	FUZZ_CHECK(v.rc == step_rc[v.failed_step]);
	FUZZ_CHECK(v.detail != NULL);
	FUZZ_CHECK(strlen(v.body_sha256) == HMAC1_HEX_LEN);
	for (i = 0; i < HMAC1_HEX_LEN; i++)
		FUZZ_CHECK((v.body_sha256[i] >= '0' && v.body_sha256[i] <= '9') ||
			   (v.body_sha256[i] >= 'a' && v.body_sha256[i] <= 'f'));
	if (v.rc == RELAY_OK || v.failed_step == HMAC1_STEP_TENANT_STATUS) {
		FUZZ_CHECK(have_good);
		FUZZ_CHECK(strcmp(sig, good.signature) == 0);
		FUZZ_CHECK(strcmp(v.signing_string, good.signing_string) == 0);
		FUZZ_CHECK(v.skew_ms >= -HMAC1_WINDOW_MS && v.skew_ms <= HMAC1_WINDOW_MS);
		FUZZ_CHECK(!(flags & 0x20));
	}
	if (v.rc == RELAY_OK)
		FUZZ_CHECK(!(flags & 0x40));

	/* the converse: well-formed, correctly signed, in the window -> accepted */
	well_formed = (flags & 0x2f) == 0 && tenant[0] != '\0' && strlen(tenant) <= 128 &&
		      have_good && strcmp(sig, good.signature) == 0;
	if (well_formed && !(flags & 0x80) && skew >= -HMAC1_WINDOW_MS && skew <= HMAC1_WINDOW_MS)
		FUZZ_CHECK(v.rc == ((flags & 0x40) ? RELAY_E_TENANT_SUSPENDED : RELAY_OK));
	return 0;
}
