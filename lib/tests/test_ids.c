/*
 * test_ids.c - UUIDv7, sk_/pk_ keys, prefixed ids, base64url, RFC 3339 (SPEC.md §1.8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "relay_ids.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void test_uuid7_is_lowercase_canonical_with_version_7_and_variant_10(void **state)
{
	char u[UUID_STR_LEN + 1];
	int i, k;

	(void)state;
	for (k = 0; k < 64; k++) {
		assert_int_equal(ids_uuid7(1750500000000LL + k, u), RELAY_OK);
		assert_int_equal(strlen(u), UUID_STR_LEN);
		assert_true(ids_is_uuid(u));
		for (i = 0; i < UUID_STR_LEN; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23)
				assert_int_equal(u[i], '-');
			else
				assert_true(hexval(u[i]) >= 0);
		}
		assert_int_equal(u[14], '7');
		assert_int_equal(hexval(u[19]) & 0xc, 0x8);
	}
}

static void test_uuid7_carries_the_unix_ms_in_its_first_48_bits(void **state)
{
	char u[UUID_STR_LEN + 1];

	(void)state;
	/* 0x0197_91ee_4100 = 1750500000000 */
	assert_int_equal(ids_uuid7(1750500000000LL, u), RELAY_OK);
	assert_memory_equal(u, "019791ee-4100-7", 15);
	assert_int_equal(ids_uuid7(0, u), RELAY_OK);
	assert_memory_equal(u, "00000000-0000-7", 15);
	assert_int_not_equal(ids_uuid7(-1, u), RELAY_OK);
}

static void test_uuid7_sorts_by_time(void **state)
{
	char prev[UUID_STR_LEN + 1], cur[UUID_STR_LEN + 1];
	int64_t ms;

	(void)state;
	assert_int_equal(ids_uuid7(1700000000000LL, prev), RELAY_OK);
	for (ms = 1700000000001LL; ms < 1700000000200LL; ms += 1) {
		assert_int_equal(ids_uuid7(ms, cur), RELAY_OK);
		assert_true(strcmp(prev, cur) < 0);
		memcpy(prev, cur, sizeof(cur));
	}
	assert_int_equal(ids_uuid7(2000000000000LL, cur), RELAY_OK);
	assert_true(strcmp(prev, cur) < 0);
}

static void test_uuid7_random_part_differs_within_one_ms(void **state)
{
	char a[UUID_STR_LEN + 1], b[UUID_STR_LEN + 1];

	(void)state;
	assert_int_equal(ids_uuid7(1750500000000LL, a), RELAY_OK);
	assert_int_equal(ids_uuid7(1750500000000LL, b), RELAY_OK);
	assert_string_not_equal(a, b);
}

static void test_is_uuid_accepts_canonical_forms_only(void **state)
{
	(void)state;
	assert_true(ids_is_uuid("019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f"));
	assert_true(ids_is_uuid("019E4AE7-1A2B-7C3D-8E4F-5A6B7C8D9E0F"));
	assert_false(ids_is_uuid("019e4ae71a2b7c3d8e4f5a6b7c8d9e0f"));
	assert_false(ids_is_uuid("019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0"));
	assert_false(ids_is_uuid("019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0fa"));
	assert_false(ids_is_uuid("019e4ae7-1a2b-7c3d-8e4f_5a6b7c8d9e0f"));
	assert_false(ids_is_uuid("019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0g"));
	assert_false(ids_is_uuid("tnt_1234"));
	assert_false(ids_is_uuid(""));
	assert_false(ids_is_uuid(NULL));
}

static int is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static void expect_key_shape(const char *prefix)
{
	char k1[KEY_STR_LEN + 1], k2[KEY_STR_LEN + 1];
	size_t i;

	assert_int_equal(ids_key(prefix, k1), RELAY_OK);
	assert_int_equal(ids_key(prefix, k2), RELAY_OK);
	assert_int_equal(strlen(k1), 46);
	assert_memory_equal(k1, prefix, 3);
	for (i = 3; i < 46; i++)
		assert_true(is_b64url(k1[i]));
	/* 32 bytes = 256 bits: the 43rd char carries 4 bits, the low 2 bits of its value are 0 */
	assert_non_null(strchr("AEIMQUYcgkosw048", k1[45]));
	assert_string_not_equal(k1, k2);
}

static void test_secret_key_is_sk_and_43_base64url_chars(void **state)
{
	(void)state;
	expect_key_shape("sk_");
}

static void test_widget_key_is_pk_and_43_base64url_chars(void **state)
{
	(void)state;
	expect_key_shape("pk_");
}

static void test_key_refuses_bad_prefix(void **state)
{
	char k[KEY_STR_LEN + 1];

	(void)state;
	assert_int_equal(ids_key("sk", k), RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(ids_key("sk__", k), RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(ids_key(NULL, k), RELAY_E_INVALID_ARGUMENT);
}

static void test_prefixed_id_is_prefix_and_32_lowercase_hex(void **state)
{
	const char *prefixes[] = {"vs_", "conv_", "msg_", "op_", "evt_"};
	char id[PREFIXED_ID_MAX + 1];
	size_t i, j, plen;

	(void)state;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		plen = strlen(prefixes[i]);
		assert_int_equal(ids_prefixed(prefixes[i], 1750500000000LL, id), RELAY_OK);
		assert_int_equal(strlen(id), plen + 32);
		assert_memory_equal(id, prefixes[i], plen);
		for (j = plen; j < plen + 32; j++)
			assert_true(hexval(id[j]) >= 0);
		assert_memory_equal(id + plen, "019791ee41007", 13);
	}
	assert_int_equal(ids_prefixed("", 0, id), RELAY_OK);
	assert_int_equal(strlen(id), 32);
	assert_int_equal(ids_prefixed(NULL, 0, id), RELAY_OK);
	assert_int_equal(strlen(id), 32);
	assert_int_not_equal(ids_prefixed("a_prefix_longer_than_16", 0, id), RELAY_OK);
}

/* RFC 4648 §10 test vectors, in the URL-safe alphabet without padding. */
static void test_base64url_matches_rfc4648_vectors(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
		{"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
	};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(ids_base64url((const unsigned char *)v[i].in, strlen(v[i].in), out,
					       sizeof(out)),
				 strlen(v[i].out));
		assert_string_equal(out, v[i].out);
	}
}

static void test_base64url_uses_dash_and_underscore(void **state)
{
	static const unsigned char in[] = {0xfb, 0xff, 0xbf};
	char out[16];

	(void)state;
	/* standard base64 of these is "+/+/" */
	assert_int_equal(ids_base64url(in, 3, out, sizeof(out)), 4);
	assert_string_equal(out, "-_-_");
	assert_int_equal(ids_base64url(in, 2, out, sizeof(out)), 3);
	assert_string_equal(out, "-_8");
}

static void test_base64url_refuses_small_output(void **state)
{
	char out[8];

	(void)state;
	/* "foobar" needs 8 + NUL before padding is removed */
	assert_int_equal(ids_base64url((const unsigned char *)"foobar", 6, out, sizeof(out)), 0);
	assert_int_equal(ids_base64url((const unsigned char *)"fooba", 5, out, 9), 7);
}

/* Decoding the RFC 4648 §10 vectors (URL-safe, unpadded) gives their input back. */
static void test_base64url_decode_matches_rfc4648_vectors(void **state)
{
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	char enc[64];
	unsigned char out[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		n = ids_base64url((const unsigned char *)in[i], strlen(in[i]), enc, sizeof(enc));
		assert_int_equal(ids_base64url_decode(enc, n, out, sizeof(out), &n), RELAY_OK);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(out, in[i], n);
	}
	assert_int_equal(ids_base64url_decode("Zm9vYmFy", 8, out, sizeof(out), &n), RELAY_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foobar", 6);
}

static void test_base64url_decode_reads_dash_and_underscore(void **state)
{
	unsigned char out[8];
	size_t n;

	(void)state;
	assert_int_equal(ids_base64url_decode("-_-_", 4, out, sizeof(out), &n), RELAY_OK);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 0xfb);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(out[2], 0xbf);
	assert_int_equal(ids_base64url_decode("-_8", 3, out, sizeof(out), &n), RELAY_OK);
	assert_int_equal(n, 2);
}

/* Every length 0-100 of every byte value round-trips through the encoder. */
static void test_base64url_decode_round_trips_the_encoder(void **state)
{
	unsigned char in[100], out[100];
	char enc[160];
	size_t len, n, i;

	(void)state;
	for (len = 0; len <= sizeof(in); len++) {
		for (i = 0; i < len; i++)
			in[i] = (unsigned char)(i * 37 + len * 11);
		n = ids_base64url(in, len, enc, sizeof(enc));
		assert_int_equal(n, (len * 4 + 2) / 3);
		assert_int_equal(
			ids_base64url_decode(enc, n, out, IDS_BASE64URL_DECODED_MAX(n), &n),
			RELAY_OK);
		assert_int_equal(n, len);
		assert_memory_equal(out, in, len);
	}
}

static void test_base64url_decode_refuses_other_alphabets_and_lengths(void **state)
{
	static const char *const bad[] = {"Zm9v+g", "Zm9v/g", "Zm9vYg==", "Zm9vY",  "Zm 9v",
					  "Zm9v\n", "Zm.9",   "Z",        "Zm9\x80"};
	unsigned char out[64];
	size_t i, n = 12345;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ids_base64url_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n),
				 RELAY_E_INVALID_ARGUMENT);
		assert_int_equal(n, 12345);
	}
	/* "Zm9vYg" needs IDS_BASE64URL_DECODED_MAX(6) = 6 bytes of room, not just the 4 */
	assert_int_equal(ids_base64url_decode("Zm9vYg", 6, out, 5, &n), RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(ids_base64url_decode("Zm9vYg", 6, out, 6, &n), RELAY_OK);
	assert_int_equal(n, 4);
	assert_int_equal(ids_base64url_decode(NULL, 0, out, sizeof(out), &n),
			 RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(ids_base64url_decode("", 0, out, 0, &n), RELAY_OK);
	assert_int_equal(n, 0);
}

static void test_rfc3339_formats_utc_with_seconds(void **state)
{
	char out[RFC3339_LEN + 1];

	(void)state;
	ids_rfc3339(1782036000000LL, out);
	assert_string_equal(out, "2026-06-21T10:00:00Z");
	ids_rfc3339(1782036000999LL, out);
	assert_string_equal(out, "2026-06-21T10:00:00Z");
	ids_rfc3339(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	ids_rfc3339(951782400000LL, out); /* leap day */
	assert_string_equal(out, "2000-02-29T00:00:00Z");
}

static void test_rfc3339_round_trips(void **state)
{
	char out[RFC3339_LEN + 1];
	int64_t ms, back = 0;

	(void)state;
	for (ms = 0; ms < 4102444800000LL; ms += 86399000LL * 37) {
		ids_rfc3339(ms, out);
		assert_true(ids_parse_rfc3339(out, &back));
		assert_true(back == ms - ms % 1000);
	}
	assert_true(ids_parse_rfc3339("2026-06-21T10:00:00Z", &back));
	assert_true(back == 1782036000000LL);
}

static void test_rfc3339_parse_refuses_other_forms(void **state)
{
	const char *bad[] = {
		"2026-06-21T10:00:00",      "2026-06-21 10:00:00Z", "2026-06-21T10:00:00+00:00",
		"2026-06-21T10:00:00.000Z", "2026-06-21t10:00:00z", "2026-6-21T10:00:00Z",
		"2026- 6-21T10:00:00Z",     "2026-06-21T10:00:0 Z", "2026-02-30T10:00:00Z",
		"2026-13-01T10:00:00Z",     "2026-06-21T24:00:00Z", "2026-06-21T10:60:00Z",
		"2026-06-21T10:00:61Z",     "+026-06-21T10:00:00Z", "",
		"2026-06-21T10:00:00ZZ",
	};
	int64_t ms = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ids_parse_rfc3339(bad[i], &ms))
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_false(ids_parse_rfc3339(NULL, &ms));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid7_is_lowercase_canonical_with_version_7_and_variant_10),
		cmocka_unit_test(test_uuid7_carries_the_unix_ms_in_its_first_48_bits),
		cmocka_unit_test(test_uuid7_sorts_by_time),
		cmocka_unit_test(test_uuid7_random_part_differs_within_one_ms),
		cmocka_unit_test(test_is_uuid_accepts_canonical_forms_only),
		cmocka_unit_test(test_secret_key_is_sk_and_43_base64url_chars),
		cmocka_unit_test(test_widget_key_is_pk_and_43_base64url_chars),
		cmocka_unit_test(test_key_refuses_bad_prefix),
		cmocka_unit_test(test_prefixed_id_is_prefix_and_32_lowercase_hex),
		cmocka_unit_test(test_base64url_matches_rfc4648_vectors),
		cmocka_unit_test(test_base64url_uses_dash_and_underscore),
		cmocka_unit_test(test_base64url_refuses_small_output),
		cmocka_unit_test(test_base64url_decode_matches_rfc4648_vectors),
		cmocka_unit_test(test_base64url_decode_reads_dash_and_underscore),
		cmocka_unit_test(test_base64url_decode_round_trips_the_encoder),
		cmocka_unit_test(test_base64url_decode_refuses_other_alphabets_and_lengths),
		cmocka_unit_test(test_rfc3339_formats_utc_with_seconds),
		cmocka_unit_test(test_rfc3339_round_trips),
		cmocka_unit_test(test_rfc3339_parse_refuses_other_forms),
	};

	return cmocka_run_group_tests_name("ids", tests, NULL, NULL);
}
