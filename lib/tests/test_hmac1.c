/*
 * test_hmac1.c - HMAC#1 signing and verification (SPEC.md §4).
 *
 * Known answers come from the documented Python recipe (SPEC.md §4.2/§4.3):
 *   body_hash = hashlib.sha256(body).hexdigest()
 *   signature = hmac.new(tenant_secret.encode(), signing_string.encode(),
 *                        hashlib.sha256).hexdigest()
 * Then every step of §4.5 in isolation and in order, and every case of
 * vectors/hmac1_sign.json and vectors/hmac1_verify.json.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "relay_hmac1.h"
#include "vectors_util.h"

#define SECRET "sk_test_secret"
#define TS     1750500000000LL
#define TS_TXT "1750500000000"
#define TENANT "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f"
#define BODY                                                                                       \
	"{\"visitor_user_id\":\"user-123\",\"visitor_display_name\":\"Mary\",\"locale\":\"en\"}"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A request signed with SECRET over BODY at TS, ready to verify. */
struct signed_request {
	struct hmac1_signed sig;
	struct hmac1_headers h;
	char tenant[256];
};

static void sign_request(struct signed_request *r, const char *secret, int64_t ts, const char *body)
{
	assert_int_equal(hmac1_sign(secret, strlen(secret), ts, body, strlen(body), &r->sig),
			 RELAY_OK);
	snprintf(r->tenant, sizeof(r->tenant), "%s", TENANT);
	hmac1_headers_init(&r->h);
	hmac1_headers_add(&r->h, HMAC1_HEADER_TENANT, r->tenant);
	hmac1_headers_add(&r->h, HMAC1_HEADER_TIMESTAMP, r->sig.timestamp);
	hmac1_headers_add(&r->h, HMAC1_HEADER_SIGNATURE, r->sig.signature);
}

/* Verify r against SECRET at now_ms; asserts the step and rc. */
static void expect_verdict(const struct signed_request *r, const char *body, int64_t now_ms,
			   const char *secret, int suspended, enum hmac1_step step,
			   enum relay_rc rc)
{
	struct hmac1_verdict v;
	size_t slen = secret != NULL ? strlen(secret) : 0;

	assert_int_equal(
		hmac1_verify(&r->h, body, strlen(body), now_ms, secret, slen, suspended, &v), rc);
	assert_int_equal(v.rc, rc);
	assert_string_equal(hmac1_step_name(v.failed_step), hmac1_step_name(step));
	assert_non_null(v.detail);
}

/* ---- known answers (documented Python recipe) ---- */

static void test_sign_empty_body_matches_python_recipe(void **state)
{
	struct hmac1_signed s;

	(void)state;
	assert_int_equal(hmac1_sign(SECRET, strlen(SECRET), TS, NULL, 0, &s), RELAY_OK);
	assert_string_equal(s.timestamp, TS_TXT);
	assert_string_equal(s.body_sha256, EMPTY_SHA256);
	assert_string_equal(s.signing_string, TS_TXT "." EMPTY_SHA256);
	assert_string_equal(s.signature,
			    "6caab1a2d3ee5235498b368e4feae74dc5d624e619de2d12a04f4c5f8a1a3681");
}

static void test_sign_quickstart_json_body_matches_python_recipe(void **state)
{
	struct hmac1_signed s;

	(void)state;
	assert_int_equal(hmac1_sign(SECRET, strlen(SECRET), TS, BODY, strlen(BODY), &s), RELAY_OK);
	assert_string_equal(s.body_sha256,
			    "71069b9dc924fd6e0dcd1d2fb8959edd3c3c280c376c98affc48411333957f46");
	assert_string_equal(
		s.signing_string,
		"1750500000000.71069b9dc924fd6e0dcd1d2fb8959edd3c3c280c376c98affc48411333957f46");
	assert_string_equal(s.signature,
			    "7016009fbe3b6d95da8d89813cc1e7ef7a67b3e954e82436c1972c7a118777ba");
}

static void test_sign_full_length_secret_matches_python_recipe(void **state)
{
	static const char secret[] = "sk_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v";
	struct hmac1_signed s;

	(void)state;
	assert_int_equal(hmac1_sign(secret, strlen(secret), 1782036000000LL, "{\"a\":1}", 7, &s),
			 RELAY_OK);
	assert_string_equal(s.body_sha256,
			    "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
	assert_string_equal(s.signature,
			    "c35d6cf2f8a312983d7bc704ecf45d816094af41db736e55ceeb136982ec9a94");
}

static void test_sign_utf8_secret_and_body_use_their_utf8_bytes(void **state)
{
	static const char secret[] = "sk_caf\xc3\xa9";
	static const char body[] = "h\xc3\xa9llo";
	struct hmac1_signed s;

	(void)state;
	assert_int_equal(hmac1_sign(secret, strlen(secret), TS, body, strlen(body), &s), RELAY_OK);
	assert_string_equal(s.body_sha256,
			    "3c48591d8d098a4538f5e013dfcf406e948eac4d3277b10bf614e295d6068179");
	assert_string_equal(s.signature,
			    "c12e5e4fdd5a2f10bd61572b808fb43c83162d4ae6a644f3ef704434c14c5987");
}

static void test_sign_empty_secret_and_zero_timestamp_are_signable(void **state)
{
	struct hmac1_signed s;

	(void)state;
	assert_int_equal(hmac1_sign("", 0, 0, "x", 1, &s), RELAY_OK);
	assert_string_equal(s.signing_string,
			    "0.2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
	assert_string_equal(s.signature,
			    "210e959acd6df8a69b0034e78180a86621101c9e9d75af17179469f8b2e0224e");
}

static void test_sign_text_uses_timestamp_text_exactly(void **state)
{
	struct hmac1_signed a, b;

	(void)state;
	assert_int_equal(hmac1_sign_text(SECRET, strlen(SECRET), "0" TS_TXT, NULL, 0, &a),
			 RELAY_OK);
	assert_int_equal(hmac1_sign(SECRET, strlen(SECRET), TS, NULL, 0, &b), RELAY_OK);
	assert_string_equal(a.signing_string, "0" TS_TXT "." EMPTY_SHA256);
	assert_string_not_equal(a.signature, b.signature);
}

static void test_sign_refuses_bad_arguments(void **state)
{
	char big[HMAC1_SECRET_MAX + 2];
	struct hmac1_signed s;

	(void)state;
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(hmac1_sign(SECRET, strlen(SECRET), -1, NULL, 0, &s),
			 RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(hmac1_sign(big, strlen(big), TS, NULL, 0, &s), RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(hmac1_sign(big, HMAC1_SECRET_MAX, TS, NULL, 0, &s), RELAY_OK);
	assert_int_equal(hmac1_sign(SECRET, strlen(SECRET), TS, NULL, 3, &s),
			 RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(hmac1_sign(NULL, 0, TS, NULL, 0, &s), RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(hmac1_sign_text(SECRET, strlen(SECRET), "", NULL, 0, &s),
			 RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(
		hmac1_sign_text(SECRET, strlen(SECRET), "123456789012345678901", NULL, 0, &s),
		RELAY_E_INVALID_ARGUMENT);
}

/* The three lines, split at ": " and fed to the verifier, verify (§4.1, §4.5). */
static void test_header_lines_are_what_the_verifier_accepts(void **state)
{
	static const char body[] = "{\"visitor_user_id\":\"user-123\"}";
	char lines[3][HMAC1_HEADER_LINE_MAX];
	struct hmac1_signed s;
	struct hmac1_headers h;
	struct hmac1_verdict v;
	size_t i;

	(void)state;
	assert_int_equal(hmac1_sign(SECRET, strlen(SECRET), TS, body, strlen(body), &s), RELAY_OK);
	assert_int_equal(hmac1_header_lines("tenant-1", &s, lines), RELAY_OK);
	assert_string_equal(lines[0], "X-Bloonio-Tenant-Id: tenant-1");
	assert_string_equal(lines[1], "X-Bloonio-Timestamp: " TS_TXT);
	assert_int_equal(strncmp(lines[2], "X-Bloonio-Signature: ", 21), 0);
	assert_string_equal(lines[2] + 21, s.signature);
	hmac1_headers_init(&h);
	for (i = 0; i < 3; i++) {
		char *colon = strchr(lines[i], ':');

		assert_non_null(colon);
		assert_int_equal(colon[1], ' ');
		*colon = '\0';
		hmac1_headers_add(&h, lines[i], colon + 2);
	}
	assert_int_equal(hmac1_verify(&h, body, strlen(body), TS, SECRET, strlen(SECRET), 0, &v),
			 RELAY_OK);
}

static void test_header_lines_take_tenant_ids_up_to_the_send_cap(void **state)
{
	char id[HMAC1_TENANT_SEND_MAX + 2];
	char lines[3][HMAC1_HEADER_LINE_MAX];
	struct hmac1_signed s;

	(void)state;
	assert_int_equal(hmac1_sign(SECRET, strlen(SECRET), TS, NULL, 0, &s), RELAY_OK);
	memset(id, 'a', HMAC1_TENANT_SEND_MAX);
	id[HMAC1_TENANT_SEND_MAX] = '\0';
	assert_int_equal(hmac1_header_lines(id, &s, lines), RELAY_OK);
	/* the longest tenant line fills its buffer exactly */
	assert_int_equal(strlen(lines[0]) + 1, HMAC1_HEADER_LINE_MAX);
	assert_string_equal(lines[0] + strlen(HMAC1_HEADER_TENANT) + 2, id);

	strcpy(lines[0], "untouched");
	id[HMAC1_TENANT_SEND_MAX] = 'a';
	id[HMAC1_TENANT_SEND_MAX + 1] = '\0';
	assert_int_equal(hmac1_header_lines(id, &s, lines), RELAY_E_INVALID_ARGUMENT);
	assert_string_equal(lines[0], "untouched");
	assert_int_equal(hmac1_header_lines(NULL, &s, lines), RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(hmac1_header_lines("t", NULL, lines), RELAY_E_INVALID_ARGUMENT);
}

static void test_sha256_hex_is_lowercase_and_refuses_null_with_length(void **state)
{
	char out[HMAC1_HEX_LEN + 1];

	(void)state;
	assert_int_equal(hmac1_sha256_hex("abc", 3, out), RELAY_OK);
	assert_string_equal(out,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(hmac1_sha256_hex(NULL, 0, out), RELAY_OK);
	assert_string_equal(out, EMPTY_SHA256);
	assert_int_not_equal(hmac1_sha256_hex(NULL, 5, out), RELAY_OK);
}

static void test_step_names_match_spec(void **state)
{
	(void)state;
	assert_string_equal(hmac1_step_name(HMAC1_STEP_NONE), "none");
	assert_string_equal(hmac1_step_name(HMAC1_STEP_HEADERS), "headers");
	assert_string_equal(hmac1_step_name(HMAC1_STEP_WINDOW), "window");
	assert_string_equal(hmac1_step_name(HMAC1_STEP_SIGNATURE), "signature");
	assert_string_equal(hmac1_step_name(HMAC1_STEP_TENANT_STATUS), "tenant_status");
	assert_string_equal(hmac1_step_name(HMAC1_STEP_REPLAY), "replay");
	assert_string_equal(hmac1_step_name(HMAC1_STEP_RATE_LIMIT), "rate_limit");
	assert_string_equal(hmac1_step_name(HMAC1_STEP_BODY), "body");
	assert_string_equal(hmac1_step_name((enum hmac1_step)99), "none");
}

/* ---- §4.5 step 1: headers ---- */

static void test_verify_accepts_correctly_signed_request(void **state)
{
	struct signed_request r;
	struct hmac1_verdict v;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	assert_int_equal(hmac1_verify(&r.h, BODY, strlen(BODY), TS, SECRET, strlen(SECRET), 0, &v),
			 RELAY_OK);
	assert_int_equal(v.failed_step, HMAC1_STEP_NONE);
	assert_true(v.timestamp_ms == TS);
	assert_true(v.skew_ms == 0);
	assert_string_equal(v.body_sha256, r.sig.body_sha256);
	assert_string_equal(v.signing_string, r.sig.signing_string);
}

static void test_verify_refuses_each_missing_header(void **state)
{
	const char *names[] = {HMAC1_HEADER_TENANT, HMAC1_HEADER_TIMESTAMP, HMAC1_HEADER_SIGNATURE};
	struct signed_request r;
	size_t skip, i;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	for (skip = 0; skip < 3; skip++) {
		const char *values[] = {r.tenant, r.sig.timestamp, r.sig.signature};
		struct signed_request m = r;

		hmac1_headers_init(&m.h);
		for (i = 0; i < 3; i++) {
			if (i != skip)
				hmac1_headers_add(&m.h, names[i], values[i]);
		}
		expect_verdict(&m, BODY, TS, SECRET, 0, HMAC1_STEP_HEADERS,
			       RELAY_E_MISSING_SIGNATURE);
	}
}

static void test_verify_refuses_each_duplicated_header(void **state)
{
	const char *names[] = {HMAC1_HEADER_TENANT, HMAC1_HEADER_TIMESTAMP, HMAC1_HEADER_SIGNATURE};
	struct signed_request r;
	size_t i;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	for (i = 0; i < 3; i++) {
		struct signed_request m = r;
		const char *values[] = {r.tenant, r.sig.timestamp, r.sig.signature};

		/* even the identical value twice is refused */
		hmac1_headers_add(&m.h, names[i], values[i]);
		expect_verdict(&m, BODY, TS, SECRET, 0, HMAC1_STEP_HEADERS,
			       RELAY_E_MISSING_SIGNATURE);
	}
}

static void test_verify_matches_header_names_case_insensitively(void **state)
{
	struct signed_request r;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	hmac1_headers_init(&r.h);
	hmac1_headers_add(&r.h, "x-bloonio-tenant-id", r.tenant);
	hmac1_headers_add(&r.h, "X-BLOONIO-TIMESTAMP", r.sig.timestamp);
	hmac1_headers_add(&r.h, "x-Bloonio-Signature", r.sig.signature);
	hmac1_headers_add(&r.h, "X-Bloonio-Other", "ignored");
	hmac1_headers_add(&r.h, "Content-Type", "application/json");
	expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_NONE, RELAY_OK);
}

/* Which slot hmac1_headers_add() filled for name: 0 none, else 1 + its index. */
static int slot_taken(const char *name)
{
	struct hmac1_headers h;

	hmac1_headers_init(&h);
	hmac1_headers_add(&h, name, "v");
	return h.tenant_id != NULL ? 1 : h.timestamp != NULL ? 2 : h.signature != NULL ? 3 : 0;
}

/*
 * Every case of every byte of the three names is the same name; every other byte
 * at any position, a shorter or a longer name is none of them (case-insensitive
 * equality, RFC 9110 §5.1).
 */
static void test_header_names_every_byte_every_position(void **state)
{
	static const char *const names[] = {HMAC1_HEADER_TENANT, HMAC1_HEADER_TIMESTAMP,
					    HMAC1_HEADER_SIGNATURE};
	char name[32];
	size_t k, pos, len;
	int c;

	(void)state;
	for (k = 0; k < 3; k++) {
		len = strlen(names[k]);
		assert_int_equal(slot_taken(names[k]), (int)k + 1);
		for (pos = 0; pos < len; pos++) {
			for (c = 1; c < 256; c++) {
				memcpy(name, names[k], len + 1);
				name[pos] = (char)c;
				assert_int_equal(slot_taken(name),
						 strcasecmp(name, names[k]) == 0 ? (int)k + 1 : 0);
			}
			memcpy(name, names[k], pos); /* a prefix */
			name[pos] = '\0';
			assert_int_equal(slot_taken(name), 0);
		}
		memcpy(name, names[k], len);
		memcpy(name + len, "x", 2); /* one byte longer */
		assert_int_equal(slot_taken(name), 0);
	}
}

static void test_verify_refuses_empty_tenant_id(void **state)
{
	struct signed_request r;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	r.tenant[0] = '\0';
	expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_HEADERS, RELAY_E_MISSING_SIGNATURE);
}

static void test_verify_refuses_tenant_id_of_129_bytes_but_not_128(void **state)
{
	struct signed_request r;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	memset(r.tenant, 'a', 128);
	r.tenant[128] = '\0';
	expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_NONE, RELAY_OK);
	r.tenant[128] = 'a';
	r.tenant[129] = '\0';
	expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_HEADERS, RELAY_E_MISSING_SIGNATURE);
}

static void test_verify_refuses_malformed_timestamps(void **state)
{
	const char *bad[] = {"",
			     "17505e9000000",
			     "+1750500000000",
			     " 1750500000000",
			     "1750500000000 ",
			     "-1750500000000",
			     "1750500000000.0",
			     "0x19",
			     "17505000000000000" /* 17 digits */};
	struct signed_request r;
	size_t i;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.h.timestamp = bad[i];
		expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_HEADERS,
			       RELAY_E_MISSING_SIGNATURE);
	}
}

static void test_verify_takes_16_digit_timestamp_to_the_window_step(void **state)
{
	struct signed_request r;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	r.h.timestamp = "9999999999999999";
	expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_WINDOW, RELAY_E_STALE_TIMESTAMP);
}

static void test_verify_refuses_signature_not_64_hex_chars(void **state)
{
	struct signed_request r;
	char sig[HMAC1_HEX_LEN + 2];

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	/* 63 chars */
	memcpy(sig, r.sig.signature, HMAC1_HEX_LEN - 1);
	sig[HMAC1_HEX_LEN - 1] = '\0';
	r.h.signature = sig;
	expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_HEADERS, RELAY_E_MISSING_SIGNATURE);
	/* 65 chars */
	memcpy(sig, r.sig.signature, HMAC1_HEX_LEN);
	sig[HMAC1_HEX_LEN] = '0';
	sig[HMAC1_HEX_LEN + 1] = '\0';
	expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_HEADERS, RELAY_E_MISSING_SIGNATURE);
	/* 64 chars, one not hex */
	sig[HMAC1_HEX_LEN] = '\0';
	sig[10] = 'g';
	expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_HEADERS, RELAY_E_MISSING_SIGNATURE);
	/* empty */
	r.h.signature = "";
	expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_HEADERS, RELAY_E_MISSING_SIGNATURE);
}

/* Every byte value at every position of a 64-character signature: only hex digits pass. */
static void test_verify_headers_hex_rule_every_byte_every_position(void **state)
{
	struct signed_request r;
	struct hmac1_verdict v;
	char sig[HMAC1_HEX_LEN + 1];
	size_t pos;
	int c, hex;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	r.h.signature = sig;
	for (pos = 0; pos < HMAC1_HEX_LEN; pos++) {
		for (c = 1; c < 256; c++) {
			memcpy(sig, r.sig.signature, sizeof(sig));
			sig[pos] = (char)c;
			hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			      (c >= 'A' && c <= 'F');
			if (hex) {
				assert_int_equal(
					hmac1_verify_headers(&r.h, BODY, strlen(BODY), TS, &v),
					RELAY_OK);
			} else {
				assert_int_equal(
					hmac1_verify_headers(&r.h, BODY, strlen(BODY), TS, &v),
					RELAY_E_MISSING_SIGNATURE);
				assert_int_equal(v.failed_step, HMAC1_STEP_HEADERS);
			}
		}
	}
}

/* ---- step 2: window ---- */

static void test_verify_accepts_timestamp_exactly_30000ms_either_side(void **state)
{
	struct signed_request r;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	expect_verdict(&r, BODY, TS + 30000, SECRET, 0, HMAC1_STEP_NONE, RELAY_OK);
	expect_verdict(&r, BODY, TS - 30000, SECRET, 0, HMAC1_STEP_NONE, RELAY_OK);
}

static void test_verify_refuses_timestamp_30001ms_in_the_past(void **state)
{
	struct signed_request r;
	struct hmac1_verdict v;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	expect_verdict(&r, BODY, TS + 30001, SECRET, 0, HMAC1_STEP_WINDOW, RELAY_E_STALE_TIMESTAMP);
	(void)hmac1_verify(&r.h, BODY, strlen(BODY), TS + 30001, SECRET, strlen(SECRET), 0, &v);
	assert_true(v.skew_ms == 30001);
}

static void test_verify_refuses_timestamp_30001ms_in_the_future(void **state)
{
	struct signed_request r;
	struct hmac1_verdict v;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	expect_verdict(&r, BODY, TS - 30001, SECRET, 0, HMAC1_STEP_WINDOW, RELAY_E_STALE_TIMESTAMP);
	(void)hmac1_verify(&r.h, BODY, strlen(BODY), TS - 30001, SECRET, strlen(SECRET), 0, &v);
	assert_true(v.skew_ms == -30001);
}

static void test_verify_refuses_timestamp_in_seconds_at_the_window_step(void **state)
{
	struct signed_request r;

	(void)state;
	/* signed correctly, but over seconds: the window catches it before the signature */
	sign_request(&r, SECRET, TS / 1000, BODY);
	expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_WINDOW, RELAY_E_STALE_TIMESTAMP);
}

static void test_verify_survives_extreme_now_values(void **state)
{
	struct signed_request r;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	expect_verdict(&r, BODY, INT64_MIN, SECRET, 0, HMAC1_STEP_WINDOW, RELAY_E_STALE_TIMESTAMP);
	expect_verdict(&r, BODY, INT64_MAX, SECRET, 0, HMAC1_STEP_WINDOW, RELAY_E_STALE_TIMESTAMP);
}

/* ---- step 3: signature ---- */

static void test_verify_refuses_wrong_secret(void **state)
{
	struct signed_request r;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	expect_verdict(&r, BODY, TS, "sk_other_secret", 0, HMAC1_STEP_SIGNATURE,
		       RELAY_E_INVALID_SIGNATURE);
}

static void test_verify_refuses_unknown_tenant_like_a_wrong_signature(void **state)
{
	struct signed_request r;
	struct hmac1_verdict unknown, wrong;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	expect_verdict(&r, BODY, TS, NULL, 0, HMAC1_STEP_SIGNATURE, RELAY_E_INVALID_SIGNATURE);
	(void)hmac1_verify(&r.h, BODY, strlen(BODY), TS, NULL, 0, 0, &unknown);
	(void)hmac1_verify(&r.h, BODY, strlen(BODY), TS, "x", 1, 0, &wrong);
	assert_string_equal(unknown.detail, wrong.detail);
}

/* ---- the thread's MAC context, keyed per verification ---- */

/* Steps 1-2 of r at TS over BODY, then step 3 with secret; returns the verdict's rc. */
static enum relay_rc verify_with(const struct signed_request *r, const char *secret,
				 struct hmac1_verdict *v)
{
	assert_int_equal(hmac1_verify_headers(&r->h, BODY, strlen(BODY), TS, v), RELAY_OK);
	return hmac1_verify_signature(&r->h, secret, secret != NULL ? strlen(secret) : 0, v);
}

static void test_verify_signature_takes_each_calls_secret_not_the_last_one(void **state)
{
	struct signed_request good, other;
	struct hmac1_verdict v;

	(void)state;
	sign_request(&good, SECRET, TS, BODY);
	sign_request(&other, "sk_other_secret", TS, BODY);
	/* one thread, one MAC context: each call keys it anew, whatever came before */
	assert_int_equal(verify_with(&good, SECRET, &v), RELAY_OK);
	assert_int_equal(verify_with(&good, SECRET, &v), RELAY_OK);
	assert_int_equal(verify_with(&good, "sk_other_secret", &v), RELAY_E_INVALID_SIGNATURE);
	assert_int_equal(v.failed_step, HMAC1_STEP_SIGNATURE);
	assert_int_equal(verify_with(&other, "sk_other_secret", &v), RELAY_OK);
	assert_int_equal(verify_with(&other, SECRET, &v), RELAY_E_INVALID_SIGNATURE);
	assert_int_equal(verify_with(&good, SECRET, &v), RELAY_OK);
	assert_int_equal(v.failed_step, HMAC1_STEP_NONE);
}

static void test_verify_signature_unknown_tenant_after_a_success_is_refused(void **state)
{
	struct signed_request r;
	struct hmac1_verdict ok, unknown, wrong;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	/* the dummy key of an unknown tenant never reuses the key set by the call before */
	assert_int_equal(verify_with(&r, SECRET, &ok), RELAY_OK);
	assert_int_equal(verify_with(&r, NULL, &unknown), RELAY_E_INVALID_SIGNATURE);
	assert_int_equal(unknown.failed_step, HMAC1_STEP_SIGNATURE);
	assert_int_equal(verify_with(&r, "x", &wrong), RELAY_E_INVALID_SIGNATURE);
	assert_string_equal(unknown.detail, wrong.detail);
	assert_int_equal(verify_with(&r, SECRET, &ok), RELAY_OK);
}

static void test_verify_signature_empty_and_oversized_secrets(void **state)
{
	struct signed_request r;
	struct hmac1_verdict v;
	char big[HMAC1_SECRET_MAX + 2];

	(void)state;
	/* an empty secret is a key like any other (not "keep the previous key") */
	sign_request(&r, "", TS, BODY);
	assert_int_equal(verify_with(&r, SECRET, &v), RELAY_E_INVALID_SIGNATURE);
	assert_int_equal(verify_with(&r, "", &v), RELAY_OK);
	sign_request(&r, SECRET, TS, BODY);
	assert_int_equal(verify_with(&r, "", &v), RELAY_E_INVALID_SIGNATURE);
	/* a secret over HMAC1_SECRET_MAX is refused as an unknown tenant's */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(verify_with(&r, big, &v), RELAY_E_INVALID_SIGNATURE);
	assert_int_equal(verify_with(&r, SECRET, &v), RELAY_OK);
}

#define KEY_THREADS 4
#define KEY_ROUNDS  500

struct key_worker {
	const struct signed_request *a, *b; /* signed with SECRET and "sk_other_secret" */
	int wrong;                          /* verdicts that differed from the expected one */
};

/* Verifies a, b, and each under the other's secret, KEY_ROUNDS times, interleaved. */
static void *key_worker_run(void *p)
{
	struct key_worker *w = p;
	struct hmac1_verdict v;
	int i;

	for (i = 0; i < KEY_ROUNDS; i++) {
		if (hmac1_verify_headers(&w->a->h, BODY, strlen(BODY), TS, &v) != RELAY_OK ||
		    hmac1_verify_signature(&w->a->h, SECRET, strlen(SECRET), &v) != RELAY_OK)
			w->wrong++;
		if (hmac1_verify_headers(&w->b->h, BODY, strlen(BODY), TS, &v) != RELAY_OK ||
		    hmac1_verify_signature(&w->b->h, SECRET, strlen(SECRET), &v) !=
			    RELAY_E_INVALID_SIGNATURE)
			w->wrong++;
		if (hmac1_verify_headers(&w->b->h, BODY, strlen(BODY), TS, &v) != RELAY_OK ||
		    hmac1_verify_signature(&w->b->h, "sk_other_secret", 15, &v) != RELAY_OK)
			w->wrong++;
	}
	return NULL;
}

static void test_verify_signature_threads_keep_their_own_contexts(void **state)
{
	struct signed_request a, b;
	struct key_worker w[KEY_THREADS];
	pthread_t th[KEY_THREADS];
	int i;

	(void)state;
	sign_request(&a, SECRET, TS, BODY);
	sign_request(&b, "sk_other_secret", TS, BODY);
	for (i = 0; i < KEY_THREADS; i++) {
		w[i] = (struct key_worker){.a = &a, .b = &b, .wrong = 0};
		assert_int_equal(pthread_create(&th[i], NULL, key_worker_run, &w[i]), 0);
	}
	for (i = 0; i < KEY_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].wrong, 0);
	}
}

static void test_verify_refuses_uppercase_hex_signature(void **state)
{
	struct signed_request r;
	char upper[HMAC1_HEX_LEN + 1];
	size_t i;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	for (i = 0; i <= HMAC1_HEX_LEN; i++)
		upper[i] = (r.sig.signature[i] >= 'a' && r.sig.signature[i] <= 'f')
				   ? (char)(r.sig.signature[i] - 'a' + 'A')
				   : r.sig.signature[i];
	assert_string_not_equal(upper, r.sig.signature);
	r.h.signature = upper;
	expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_SIGNATURE, RELAY_E_INVALID_SIGNATURE);
}

static void test_verify_refuses_body_changed_after_signing(void **state)
{
	static const char reserialized[] =
		"{\"visitor_user_id\": \"user-123\", "
		"\"visitor_display_name\": \"Mary\", \"locale\": \"en\"}";
	struct signed_request r;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	expect_verdict(&r, reserialized, TS, SECRET, 0, HMAC1_STEP_SIGNATURE,
		       RELAY_E_INVALID_SIGNATURE);
	expect_verdict(&r, "", TS, SECRET, 0, HMAC1_STEP_SIGNATURE, RELAY_E_INVALID_SIGNATURE);
}

static void test_verify_refuses_signature_over_other_timestamp_text(void **state)
{
	struct signed_request r;

	(void)state;
	/* "0" + ts is the same number but a different signing string (§4.2: text as received) */
	sign_request(&r, SECRET, TS, BODY);
	r.h.timestamp = "0" TS_TXT;
	expect_verdict(&r, BODY, TS, SECRET, 0, HMAC1_STEP_SIGNATURE, RELAY_E_INVALID_SIGNATURE);
}

static void test_verify_signature_alone_needs_headers_step_first(void **state)
{
	struct signed_request r;
	struct hmac1_verdict v;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	assert_int_equal(hmac1_verify_headers(&r.h, BODY, strlen(BODY), TS + 40000, &v),
			 RELAY_E_STALE_TIMESTAMP);
	/* a failed verdict stays failed */
	assert_int_equal(hmac1_verify_signature(&r.h, SECRET, strlen(SECRET), &v),
			 RELAY_E_STALE_TIMESTAMP);
	assert_int_equal(hmac1_verify_headers(&r.h, BODY, strlen(BODY), TS, &v), RELAY_OK);
	assert_int_equal(hmac1_verify_signature(&r.h, SECRET, strlen(SECRET), &v), RELAY_OK);
}

/* ---- step 4: tenant status, and the order of checks ---- */

static void test_verify_refuses_suspended_tenant_with_403_after_signature(void **state)
{
	struct signed_request r;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	expect_verdict(&r, BODY, TS, SECRET, 1, HMAC1_STEP_TENANT_STATUS, RELAY_E_TENANT_SUSPENDED);
	assert_int_equal(relay_rc_status(RELAY_E_TENANT_SUSPENDED), 403);
	/* a bad signature on a suspended tenant is reported as the signature (step 3 first) */
	expect_verdict(&r, BODY, TS, "sk_other", 1, HMAC1_STEP_SIGNATURE,
		       RELAY_E_INVALID_SIGNATURE);
}

static void test_verify_reports_first_failing_step(void **state)
{
	struct signed_request r;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	/* stale + wrong secret + suspended: window wins */
	expect_verdict(&r, BODY, TS + 60000, "sk_other", 1, HMAC1_STEP_WINDOW,
		       RELAY_E_STALE_TIMESTAMP);
	/* bad header + stale: headers win */
	r.h.signature = "nothex";
	expect_verdict(&r, BODY, TS + 60000, "sk_other", 1, HMAC1_STEP_HEADERS,
		       RELAY_E_MISSING_SIGNATURE);
}

static void test_verify_shows_body_hash_and_signing_string_when_refusing(void **state)
{
	struct signed_request r;
	struct hmac1_verdict v;

	(void)state;
	sign_request(&r, SECRET, TS, BODY);
	(void)hmac1_verify(&r.h, BODY, strlen(BODY), TS + 99999, SECRET, strlen(SECRET), 0, &v);
	assert_string_equal(v.signing_string, r.sig.signing_string);
	(void)hmac1_verify(&r.h, BODY, strlen(BODY), TS, "nope", 4, 0, &v);
	assert_string_equal(v.signing_string, r.sig.signing_string);
	/* a malformed timestamp still yields the body hash */
	r.h.timestamp = "abc";
	(void)hmac1_verify(&r.h, BODY, strlen(BODY), TS, SECRET, strlen(SECRET), 0, &v);
	assert_string_equal(v.body_sha256, r.sig.body_sha256);
	assert_string_equal(v.signing_string, "");
}

/* ---- vectors/hmac1_sign.json and vectors/hmac1_verify.json ---- */

/* An int64 given as a JSON integer or a string of digits. */
static int json_int64(const json_t *j, int64_t *out)
{
	const char *s;
	char *end;

	if (json_is_integer(j)) {
		*out = (int64_t)json_integer_value(j);
		return 1;
	}
	s = json_string_value(j);
	if (s == NULL || s[0] == '\0')
		return 0;
	*out = (int64_t)strtoll(s, &end, 10);
	return *end == '\0';
}

static const json_t *member(const json_t *test, const json_t *group, const char *key)
{
	const json_t *j = json_object_get(test, key);

	return j != NULL ? j : json_object_get(group, key);
}

/* One sign case; returns NULL when it passes, else why it fails. */
static const char *check_sign_case(const json_t *group, const json_t *t)
{
	const char *secret = json_string_value(member(t, group, "secret"));
	const json_t *ts_j = member(t, group, "timestamp_ms");
	unsigned char *body;
	size_t body_len = 0;
	struct hmac1_signed s;
	const char *why = NULL;
	int valid;

	body = vectors_body(t, &body_len);
	if (secret == NULL || ts_j == NULL || body == NULL) {
		why = "case lacks secret, timestamp_ms or body";
		goto out;
	}
	if (json_is_string(ts_j)) {
		if (hmac1_sign_text(secret, strlen(secret), json_string_value(ts_j), body, body_len,
				    &s) != RELAY_OK) {
			why = "hmac1_sign_text failed";
			goto out;
		}
	} else {
		int64_t ts = 0;

		if (!json_int64(ts_j, &ts) ||
		    hmac1_sign(secret, strlen(secret), ts, body, body_len, &s) != RELAY_OK) {
			why = "hmac1_sign failed";
			goto out;
		}
	}
	if (strcmp(s.body_sha256, vectors_str(t, "body_sha256")) != 0)
		why = "body_sha256 differs";
	else if (strcmp(s.signing_string, vectors_str(t, "signing_string")) != 0)
		why = "signing_string differs";
	else {
		valid = strcmp(vectors_str(t, "result"), "invalid") != 0;
		/* an invalid sign case lists a signature that must NOT be produced */
		if ((strcmp(s.signature, vectors_str(t, "signature")) == 0) != valid)
			why = valid ? "signature differs" : "signature unexpectedly matches";
	}
out:
	free(body);
	return why;
}

/* The secret and status of the tenant named by tenant_id in the case's tenants[]. */
static const char *find_tenant(const json_t *tenants, const char *tenant_id, int *suspended)
{
	size_t i;
	const json_t *ten;

	*suspended = 0;
	if (tenant_id == NULL)
		return NULL;
	json_array_foreach(tenants, i, ten)
	{
		if (strcmp(vectors_str(ten, "tenant_id"), tenant_id) == 0) {
			*suspended = strcmp(vectors_str(ten, "status"), "suspended") == 0;
			return json_string_value(json_object_get(ten, "tenant_secret"));
		}
	}
	return NULL;
}

static const char *check_verify_case(const json_t *group, const json_t *t)
{
	static char why[256];
	const json_t *headers = member(t, group, "headers");
	const json_t *pair;
	struct hmac1_headers h;
	struct hmac1_verdict v;
	unsigned char *body;
	size_t body_len = 0, i;
	int64_t now_ms = 0;
	const char *secret, *expect_error, *expect_step;
	int suspended = 0, valid;

	body = vectors_body(t, &body_len);
	if (body == NULL || !json_is_array(headers) ||
	    !json_int64(member(t, group, "now_ms"), &now_ms)) {
		free(body);
		return "case lacks body, headers or now_ms";
	}
	hmac1_headers_init(&h);
	json_array_foreach(headers, i, pair)
	{
		hmac1_headers_add(&h, json_string_value(json_array_get(pair, 0)),
				  json_string_value(json_array_get(pair, 1)));
	}
	secret = find_tenant(member(t, group, "tenants"), h.tenant_id, &suspended);
	(void)hmac1_verify(&h, body, body_len, now_ms, secret, secret != NULL ? strlen(secret) : 0,
			   suspended, &v);
	free(body);

	valid = strcmp(vectors_str(t, "result"), "valid") == 0;
	expect_error = vectors_str(t, "error");
	expect_step = vectors_str(t, "failed_step");
	why[0] = '\0';
	if (valid && v.rc != RELAY_OK)
		snprintf(why, sizeof(why), "expected accepted, got %s at step %s",
			 relay_rc_code(v.rc), hmac1_step_name(v.failed_step));
	else if (!valid && v.rc == RELAY_OK)
		snprintf(why, sizeof(why), "expected %s at step %s, got accepted", expect_error,
			 expect_step);
	else if (!valid &&
		 (strcmp(relay_rc_code(v.rc), expect_error) != 0 ||
		  strcmp(hmac1_step_name(v.failed_step), expect_step) != 0 ||
		  (json_is_integer(json_object_get(t, "status")) &&
		   json_integer_value(json_object_get(t, "status")) != relay_rc_status(v.rc))))
		snprintf(why, sizeof(why), "expected %s/%s/%lld, got %s/%s/%d", expect_error,
			 expect_step, (long long)json_integer_value(json_object_get(t, "status")),
			 relay_rc_code(v.rc), hmac1_step_name(v.failed_step),
			 relay_rc_status(v.rc));
	else if (json_is_string(json_object_get(t, "body_sha256")) &&
		 strcmp(v.body_sha256, vectors_str(t, "body_sha256")) != 0)
		snprintf(why, sizeof(why), "body_sha256 differs: %s", v.body_sha256);
	else if (json_object_get(t, "signing_string") != NULL &&
		 strcmp(v.signing_string, vectors_str(t, "signing_string")) != 0)
		/* null in the vector: the timestamp was unusable, nothing was computed */
		snprintf(why, sizeof(why), "signing_string differs: \"%s\"", v.signing_string);
	return why[0] != '\0' ? why : NULL;
}

/* A callback delivery as the tenant backend checks it (SPEC.md §9.2): its one tenant. */
static const char *check_callback_case(const json_t *group, const json_t *t)
{
	static char why[256];
	const json_t *pair;
	struct hmac1_headers h;
	struct hmac1_verdict v;
	unsigned char *body;
	size_t body_len = 0, i;
	int64_t now_ms = 0;
	const char *secret = NULL, *tenant_id = vectors_str(t, "tenant_id");
	int accept;

	(void)group;
	body = vectors_body(t, &body_len);
	if (body == NULL || !json_int64(json_object_get(t, "now_ms"), &now_ms)) {
		free(body);
		return "case lacks body or now_ms";
	}
	hmac1_headers_init(&h);
	json_array_foreach(json_object_get(t, "headers"), i, pair)
	{
		hmac1_headers_add(&h, json_string_value(json_array_get(pair, 0)),
				  json_string_value(json_array_get(pair, 1)));
	}
	/* a delivery for another tenant is checked like an unknown tenant */
	if (h.tenant_id != NULL && strcmp(h.tenant_id, tenant_id) == 0)
		secret = vectors_str(t, "tenant_secret");
	(void)hmac1_verify(&h, body, body_len, now_ms, secret, secret != NULL ? strlen(secret) : 0,
			   0, &v);
	free(body);
	accept = strcmp(vectors_str(t, "expected_backend_response"), "2xx") == 0;
	why[0] = '\0';
	if (accept != (v.rc == RELAY_OK))
		snprintf(why, sizeof(why), "expected %s, got %s at step %s",
			 vectors_str(t, "expected_backend_response"), relay_rc_code(v.rc),
			 hmac1_step_name(v.failed_step));
	else if (!accept &&
		 strcmp(hmac1_step_name(v.failed_step), vectors_str(t, "failed_step")) != 0)
		snprintf(why, sizeof(why), "expected step %s, got %s",
			 vectors_str(t, "failed_step"), hmac1_step_name(v.failed_step));
	else if (strcmp(v.body_sha256, vectors_str(t, "body_sha256")) != 0)
		snprintf(why, sizeof(why), "body_sha256 differs: %s", v.body_sha256);
	return why[0] != '\0' ? why : NULL;
}

typedef const char *(*case_check)(const json_t *group, const json_t *test);

/* Runs check over every test of file; prints each failing id; returns the failure count. */
static int run_vector_file(const char *file, case_check check, size_t min_cases)
{
	json_t *root = vectors_load(file);
	const json_t *groups, *group, *tests, *t;
	size_t gi, ti, cases = 0;
	int failed = 0;

	if (root == NULL)
		fail_msg("cannot load vectors/%s from %s", file, vectors_dir());
	groups = json_object_get(root, "testGroups");
	assert_true(json_is_array(groups));
	json_array_foreach(groups, gi, group)
	{
		tests = json_object_get(group, "tests");
		json_array_foreach(tests, ti, t)
		{
			const char *why = check(group, t);

			cases++;
			if (why != NULL) {
				print_error("FAIL %s: %s\n", vectors_id(t), why);
				failed++;
			}
		}
	}
	if (json_is_integer(json_object_get(root, "numberOfTests")) &&
	    (size_t)json_integer_value(json_object_get(root, "numberOfTests")) != cases) {
		print_error("FAIL %s: numberOfTests says %lld, file has %zu\n", file,
			    (long long)json_integer_value(json_object_get(root, "numberOfTests")),
			    cases);
		failed++;
	}
	json_decref(root);
	if (cases < min_cases) {
		print_error("FAIL %s: only %zu cases\n", file, cases);
		failed++;
	}
	return failed;
}

static void test_every_sign_vector_reproduces(void **state)
{
	(void)state;
	assert_int_equal(run_vector_file("hmac1_sign.json", check_sign_case, 40), 0);
}

static void test_every_verify_vector_gets_its_verdict(void **state)
{
	(void)state;
	assert_int_equal(run_vector_file("hmac1_verify.json", check_verify_case, 40), 0);
}

static void test_every_callback_vector_gets_its_backend_response(void **state)
{
	(void)state;
	assert_int_equal(run_vector_file("callbacks.json", check_callback_case, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_empty_body_matches_python_recipe),
		cmocka_unit_test(test_sign_quickstart_json_body_matches_python_recipe),
		cmocka_unit_test(test_sign_full_length_secret_matches_python_recipe),
		cmocka_unit_test(test_sign_utf8_secret_and_body_use_their_utf8_bytes),
		cmocka_unit_test(test_sign_empty_secret_and_zero_timestamp_are_signable),
		cmocka_unit_test(test_sign_text_uses_timestamp_text_exactly),
		cmocka_unit_test(test_sign_refuses_bad_arguments),
		cmocka_unit_test(test_header_lines_are_what_the_verifier_accepts),
		cmocka_unit_test(test_header_lines_take_tenant_ids_up_to_the_send_cap),
		cmocka_unit_test(test_sha256_hex_is_lowercase_and_refuses_null_with_length),
		cmocka_unit_test(test_step_names_match_spec),
		cmocka_unit_test(test_verify_accepts_correctly_signed_request),
		cmocka_unit_test(test_verify_refuses_each_missing_header),
		cmocka_unit_test(test_verify_refuses_each_duplicated_header),
		cmocka_unit_test(test_verify_matches_header_names_case_insensitively),
		cmocka_unit_test(test_header_names_every_byte_every_position),
		cmocka_unit_test(test_verify_refuses_empty_tenant_id),
		cmocka_unit_test(test_verify_refuses_tenant_id_of_129_bytes_but_not_128),
		cmocka_unit_test(test_verify_refuses_malformed_timestamps),
		cmocka_unit_test(test_verify_takes_16_digit_timestamp_to_the_window_step),
		cmocka_unit_test(test_verify_refuses_signature_not_64_hex_chars),
		cmocka_unit_test(test_verify_headers_hex_rule_every_byte_every_position),
		cmocka_unit_test(test_verify_accepts_timestamp_exactly_30000ms_either_side),
		cmocka_unit_test(test_verify_refuses_timestamp_30001ms_in_the_past),
		cmocka_unit_test(test_verify_refuses_timestamp_30001ms_in_the_future),
		cmocka_unit_test(test_verify_refuses_timestamp_in_seconds_at_the_window_step),
		cmocka_unit_test(test_verify_survives_extreme_now_values),
		cmocka_unit_test(test_verify_refuses_wrong_secret),
		cmocka_unit_test(test_verify_refuses_unknown_tenant_like_a_wrong_signature),
		cmocka_unit_test(test_verify_refuses_uppercase_hex_signature),
		cmocka_unit_test(test_verify_refuses_body_changed_after_signing),
		cmocka_unit_test(test_verify_refuses_signature_over_other_timestamp_text),
		cmocka_unit_test(test_verify_signature_alone_needs_headers_step_first),
		cmocka_unit_test(test_verify_refuses_suspended_tenant_with_403_after_signature),
		cmocka_unit_test(test_verify_reports_first_failing_step),
		cmocka_unit_test(test_verify_shows_body_hash_and_signing_string_when_refusing),
		cmocka_unit_test(test_every_sign_vector_reproduces),
		cmocka_unit_test(test_every_verify_vector_gets_its_verdict),
		cmocka_unit_test(test_verify_signature_takes_each_calls_secret_not_the_last_one),
		cmocka_unit_test(test_verify_signature_unknown_tenant_after_a_success_is_refused),
		cmocka_unit_test(test_verify_signature_empty_and_oversized_secrets),
		cmocka_unit_test(test_verify_signature_threads_keep_their_own_contexts),
		cmocka_unit_test(test_every_callback_vector_gets_its_backend_response),
	};

	return cmocka_run_group_tests_name("hmac1", tests, NULL, NULL);
}
