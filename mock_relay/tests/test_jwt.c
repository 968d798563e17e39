/*
 * test_jwt.c - visitor and operator tokens (SPEC §6.5, §7.2): round trips and
 * the tokens the relay must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jwt.h>

#include "relay_jwt.h"

#define NOW_MS 1782036000000LL /* 2026-06-21T10:00:00Z */

static unsigned char key[TOKEN_KEY_LEN];

static struct visitor_claims sample_visitor(void)
{
	struct visitor_claims c;

	memset(&c, 0, sizeof(c));
	strcpy(c.sub, "vis_0190aaaabbbbccccddddeeeeffff0000");
	strcpy(c.tid, "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f");
	strcpy(c.sid, "vs_019e4ae71a2b7c3d8e4f5a6b7c8d9e0f");
	strcpy(c.origin, "https://shop.demo.com");
	assert_int_equal(token_widget_key_hash("pk_example", c.wpk), RELAY_OK);
	c.iat = NOW_MS / 1000;
	c.exp = c.iat + TOKEN_VISITOR_TTL_S;
	return c;
}

static char *mint_sample_visitor(void)
{
	struct visitor_claims c = sample_visitor();
	char *tok = NULL;

	assert_int_equal(token_mint_visitor(key, sizeof(key), &c, &tok), RELAY_OK);
	assert_non_null(tok);
	return tok;
}

/* A token signed by libjwt with alg and key of our choosing, claims from json. */
static char *forge(jwt_alg_t alg, const unsigned char *k, int klen, const char *claims)
{
	jwt_t *jwt = NULL;
	char *tok;

	assert_int_equal(jwt_new(&jwt), 0);
	if (alg != JWT_ALG_NONE)
		assert_int_equal(jwt_set_alg(jwt, alg, k, klen), 0);
	assert_int_equal(jwt_add_grants_json(jwt, claims), 0);
	tok = jwt_encode_str(jwt);
	jwt_free(jwt);
	assert_non_null(tok);
	return tok;
}

static void test_widget_key_hash_is_16_hex_of_sha256(void **state)
{
	char wpk[TOKEN_WPK_LEN + 1];

	(void)state;
	/* sha256("abc") = ba7816bf8f01cfea414140de5dae2223... */
	assert_int_equal(token_widget_key_hash("abc", wpk), RELAY_OK);
	assert_string_equal(wpk, "ba7816bf8f01cfea");
}

static void test_visitor_token_round_trip(void **state)
{
	struct visitor_claims in = sample_visitor(), out;
	char *tok = mint_sample_visitor();
	json_t *claims = NULL;
	bool expired = true;

	(void)state;
	assert_int_equal(token_verify_visitor(key, sizeof(key), tok, NOW_MS, &out, &expired),
			 RELAY_OK);
	assert_false(expired);
	assert_string_equal(out.sub, in.sub);
	assert_string_equal(out.tid, in.tid);
	assert_string_equal(out.sid, in.sid);
	assert_string_equal(out.origin, in.origin);
	assert_string_equal(out.wpk, in.wpk);
	assert_int_equal(out.iat, in.iat);
	assert_int_equal(out.exp, in.iat + 3600);

	/* the raw claims carry exactly the documented names */
	assert_int_equal(token_verify(key, sizeof(key), tok, NOW_MS, &claims, NULL), RELAY_OK);
	assert_string_equal(json_string_value(json_object_get(claims, "iss")), TOKEN_ISSUER);
	assert_int_equal(json_object_size(claims), 8);
	json_decref(claims);
	free(tok);
}

static void test_visitor_token_is_hs256_jwt(void **state)
{
	char *tok = mint_sample_visitor();
	jwt_t *jwt = NULL;

	(void)state;
	assert_int_equal(jwt_decode(&jwt, tok, key, sizeof(key)), 0);
	assert_int_equal(jwt_get_alg(jwt), JWT_ALG_HS256);
	assert_string_equal(jwt_get_header(jwt, "alg"), "HS256");
	jwt_free(jwt);
	free(tok);
}

static void test_operator_token_round_trip_with_tids(void **state)
{
	struct operator_claims in, out;
	json_t *claims = NULL;
	char *tok = NULL;
	bool expired = true;

	(void)state;
	memset(&in, 0, sizeof(in));
	strcpy(in.sub, "op_019e4ae71a2b7c3d8e4f5a6b7c8d9e0f");
	strcpy(in.tid, "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f");
	in.iat = NOW_MS / 1000;
	in.exp = in.iat + 600;
	assert_int_equal(token_mint_operator(key, sizeof(key), &in, &tok), RELAY_OK);
	assert_int_equal(token_verify_operator(key, sizeof(key), tok, NOW_MS, &out, &expired),
			 RELAY_OK);
	assert_false(expired);
	assert_string_equal(out.sub, in.sub);
	assert_string_equal(out.tid, in.tid);
	assert_int_equal(out.exp, in.iat + 600);
	assert_int_equal(token_verify(key, sizeof(key), tok, NOW_MS, &claims, NULL), RELAY_OK);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(claims, "tids"), in.tid)),
		"operator");
	json_decref(claims);

	/* an operator token is not a visitor token */
	{
		struct visitor_claims v;

		assert_int_equal(token_verify_visitor(key, sizeof(key), tok, NOW_MS, &v, NULL),
				 RELAY_E_INVALID_TOKEN);
	}
	free(tok);
}

static void test_visitor_token_not_an_operator_token(void **state)
{
	struct operator_claims o;
	char *tok = mint_sample_visitor();

	(void)state;
	assert_int_equal(token_verify_operator(key, sizeof(key), tok, NOW_MS, &o, NULL),
			 RELAY_E_INVALID_TOKEN);
	free(tok);
}

static void test_tampered_payload_refused(void **state)
{
	char *tok = mint_sample_visitor();
	/* an index, not a pointer: gcc -O3 inlines the mint and then warns that a
	 * pointer from strchr() dangles (-Wdangling-pointer, a false positive) */
	size_t dot = strcspn(tok, ".");
	struct visitor_claims out;

	(void)state;
	assert_true(tok[dot] == '.' && strlen(tok) > dot + 5);
	/* flip one character of the payload segment */
	tok[dot + 5] = tok[dot + 5] == 'A' ? 'B' : 'A';
	assert_int_equal(token_verify_visitor(key, sizeof(key), tok, NOW_MS, &out, NULL),
			 RELAY_E_INVALID_TOKEN);
	free(tok);
}

static void test_tampered_signature_refused(void **state)
{
	char *tok = mint_sample_visitor();
	size_t n = strlen(tok);

	(void)state;
	tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(token_verify(key, sizeof(key), tok, NOW_MS, NULL, NULL),
			 RELAY_E_INVALID_TOKEN);
	free(tok);
}

/* Visitor claims issued by iss (a string literal), not expired. */
#define CLAIMS_ISSUED_BY(iss)                                                                      \
	"{\"iss\":\"" iss "\",\"sub\":\"v\",\"tid\":\"t\",\"sid\":\"s\","                          \
	"\"wpk\":\"0123456789abcdef\",\"iat\":1,\"exp\":9999999999}"

/* A token forged with alg, k and claims is refused (RELAY_E_INVALID_TOKEN). */
static void expect_forged_refused(jwt_alg_t alg, const unsigned char *k, int klen,
				  const char *claims)
{
	char *tok = forge(alg, k, klen, claims);

	assert_int_equal(token_verify(key, sizeof(key), tok, NOW_MS, NULL, NULL),
			 RELAY_E_INVALID_TOKEN);
	free(tok);
}

static void test_alg_none_refused(void **state)
{
	(void)state;
	expect_forged_refused(JWT_ALG_NONE, NULL, 0, CLAIMS_ISSUED_BY("bloonio-mock-relay"));
}

static void test_other_algorithm_refused(void **state)
{
	(void)state;
	expect_forged_refused(JWT_ALG_HS512, key, sizeof(key),
			      CLAIMS_ISSUED_BY("bloonio-mock-relay"));
}

static void test_wrong_key_refused(void **state)
{
	unsigned char other[TOKEN_KEY_LEN];
	char *tok = mint_sample_visitor();

	(void)state;
	memcpy(other, key, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(token_verify(other, sizeof(other), tok, NOW_MS, NULL, NULL),
			 RELAY_E_INVALID_TOKEN);
	free(tok);
}

static void test_wrong_issuer_refused(void **state)
{
	(void)state;
	expect_forged_refused(JWT_ALG_HS256, key, sizeof(key), CLAIMS_ISSUED_BY("someone-else"));
}

static void test_expired_flag_follows_the_clock(void **state)
{
	char *tok = mint_sample_visitor();
	struct visitor_claims out;
	bool expired = false;
	int64_t exp_ms = (NOW_MS / 1000 + TOKEN_VISITOR_TTL_S) * 1000;

	(void)state;
	assert_int_equal(token_verify_visitor(key, sizeof(key), tok, exp_ms - 1, &out, &expired),
			 RELAY_OK);
	assert_false(expired);
	/* still verifies (a refresh accepts it), flagged expired */
	assert_int_equal(token_verify_visitor(key, sizeof(key), tok, exp_ms, &out, &expired),
			 RELAY_OK);
	assert_true(expired);
	free(tok);
}

static void test_garbage_and_oversized_refused(void **state)
{
	char *big = malloc(TOKEN_MAX_LEN + 2);

	(void)state;
	assert_int_equal(token_verify(key, sizeof(key), "", NOW_MS, NULL, NULL),
			 RELAY_E_INVALID_TOKEN);
	assert_int_equal(token_verify(key, sizeof(key), "a.b.c", NOW_MS, NULL, NULL),
			 RELAY_E_INVALID_TOKEN);
	assert_int_equal(token_verify(key, sizeof(key), NULL, NOW_MS, NULL, NULL),
			 RELAY_E_INVALID_TOKEN);
	assert_non_null(big);
	memset(big, 'A', TOKEN_MAX_LEN + 1);
	big[TOKEN_MAX_LEN + 1] = '\0';
	assert_int_equal(token_verify(key, sizeof(key), big, NOW_MS, NULL, NULL),
			 RELAY_E_INVALID_TOKEN);
	free(big);
}

static void test_missing_claims_refused(void **state)
{
	struct visitor_claims out;
	char *tok = forge(JWT_ALG_HS256, key, sizeof(key),
			  "{\"iss\":\"bloonio-mock-relay\",\"sub\":\"v\",\"tid\":\"t\","
			  "\"wpk\":\"0123456789abcdef\",\"iat\":1,\"exp\":9999999999}");

	(void)state;
	/* no sid: verifies as a JWT, not as a visitor token */
	assert_int_equal(token_verify(key, sizeof(key), tok, NOW_MS, NULL, NULL), RELAY_OK);
	assert_int_equal(token_verify_visitor(key, sizeof(key), tok, NOW_MS, &out, NULL),
			 RELAY_E_INVALID_TOKEN);
	free(tok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_widget_key_hash_is_16_hex_of_sha256),
		cmocka_unit_test(test_visitor_token_round_trip),
		cmocka_unit_test(test_visitor_token_is_hs256_jwt),
		cmocka_unit_test(test_operator_token_round_trip_with_tids),
		cmocka_unit_test(test_visitor_token_not_an_operator_token),
		cmocka_unit_test(test_tampered_payload_refused),
		cmocka_unit_test(test_tampered_signature_refused),
		cmocka_unit_test(test_alg_none_refused),
		cmocka_unit_test(test_other_algorithm_refused),
		cmocka_unit_test(test_wrong_key_refused),
		cmocka_unit_test(test_wrong_issuer_refused),
		cmocka_unit_test(test_expired_flag_follows_the_clock),
		cmocka_unit_test(test_garbage_and_oversized_refused),
		cmocka_unit_test(test_missing_claims_refused),
	};

	if (token_key_generate(key) != RELAY_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
