/*
 * test_origin.c - origin syntax, normalization and matching (SPEC.md §3), directly
 * and over every case of vectors/origins.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relay_origin.h"
#include "vectors_util.h"

static void expect_normalized(const char *in, const char *want)
{
	char out[ORIGIN_MAX_LEN + 1];
	const char *reason = NULL;
	enum relay_rc rc = origin_normalize(in, strlen(in), out, sizeof(out), &reason);

	if (rc != RELAY_OK)
		fail_msg("%s: refused (%s), expected %s", in, reason, want);
	assert_string_equal(out, want);
	/* normalizing a normalized origin changes nothing */
	rc = origin_normalize(want, strlen(want), out, sizeof(out), NULL);
	assert_int_equal(rc, RELAY_OK);
	assert_string_equal(out, want);
}

static void expect_invalid(const char *in, size_t len)
{
	char out[ORIGIN_MAX_LEN + 1];
	const char *reason = NULL;

	if (origin_normalize(in, len, out, sizeof(out), &reason) != RELAY_E_VALIDATION_FAILED)
		fail_msg("%.*s: accepted as %s", (int)len, in, out);
	assert_non_null(reason);
}

#define INVALID(s) expect_invalid(s, strlen(s))

static void test_origin_lowercases_scheme_and_host(void **state)
{
	(void)state;
	expect_normalized("HTTPS://SHOP.Demo.COM", "https://shop.demo.com");
	expect_normalized("App://Bloonio_Chat_Flutter", "app://bloonio_chat_flutter");
}

static void test_origin_drops_default_ports_only_for_their_scheme(void **state)
{
	(void)state;
	expect_normalized("https://shop.demo.com:443", "https://shop.demo.com");
	expect_normalized("http://shop.demo.com:80", "http://shop.demo.com");
	expect_normalized("http://shop.demo.com:443", "http://shop.demo.com:443");
	expect_normalized("https://shop.demo.com:80", "https://shop.demo.com:80");
	expect_normalized("https://shop.demo.com:8443", "https://shop.demo.com:8443");
	expect_normalized("app://x:443", "app://x:443");
	expect_normalized("http://localhost:0080", "http://localhost");
	expect_normalized("http://localhost:65535", "http://localhost:65535");
	expect_normalized("http://localhost:1", "http://localhost:1");
}

static void test_origin_drops_one_trailing_slash(void **state)
{
	(void)state;
	expect_normalized("https://SHOP.demo.com:443/", "https://shop.demo.com");
	expect_normalized("https://shop.demo.com/", "https://shop.demo.com");
	INVALID("https://shop.demo.com//");
}

static void test_origin_accepts_custom_scheme_and_ip_literals(void **state)
{
	(void)state;
	expect_normalized("app://bloonio_chat_flutter", "app://bloonio_chat_flutter");
	expect_normalized("com.example.app+x-y://h", "com.example.app+x-y://h");
	expect_normalized("http://127.0.0.1:8080", "http://127.0.0.1:8080");
	expect_normalized("http://[::1]:3000", "http://[::1]:3000");
	expect_normalized("https://[2001:DB8::1]:443/", "https://[2001:db8::1]");
}

static void test_origin_refuses_paths_query_fragment_userinfo(void **state)
{
	(void)state;
	INVALID("https://shop.demo.com/path");
	INVALID("https://shop.demo.com/a/");
	INVALID("https://shop.demo.com?x=1");
	INVALID("https://shop.demo.com/?x=1");
	INVALID("https://shop.demo.com#frag");
	INVALID("https://user@shop.demo.com");
	INVALID("https://user:pw@shop.demo.com");
}

static void test_origin_refuses_wildcards_null_and_encodings(void **state)
{
	(void)state;
	INVALID("null");
	INVALID("*");
	INVALID("https://*.demo.com");
	INVALID("https://shop%2edemo.com");
	INVALID("https://shop.demo.com ");
	INVALID(" https://shop.demo.com");
	INVALID("https://shop\t.demo.com");
	INVALID("https://sh\xc3\xb6p.demo.com");
	expect_invalid("https://shop\0.demo.com", 22);
}

static void test_origin_refuses_bad_scheme_host_and_port(void **state)
{
	(void)state;
	INVALID("");
	INVALID("shop.demo.com");
	INVALID("//shop.demo.com");
	INVALID("1http://shop.demo.com");
	INVALID("ht_tp://shop.demo.com");
	INVALID("https:/shop.demo.com");
	INVALID("https://");
	INVALID("https:///");
	INVALID("https://:443");
	INVALID("https://shop.demo.com:");
	INVALID("https://shop.demo.com:0");
	INVALID("https://shop.demo.com:65536");
	INVALID("https://shop.demo.com:99999");
	INVALID("https://shop.demo.com:000001");
	INVALID("https://shop.demo.com:8o");
	INVALID("https://shop.demo.com:-1");
	INVALID("https://shop.demo.com:80:80");
	INVALID("https://[]");
	INVALID("https://[::1");
	INVALID("https://[::g]");
	INVALID("https://shop!.demo.com");
}

static void test_origin_refuses_over_255_bytes(void **state)
{
	char in[300], out[ORIGIN_MAX_LEN + 1];
	size_t len;

	(void)state;
	memcpy(in, "https://", 8);
	memset(in + 8, 'a', sizeof(in) - 8);
	len = ORIGIN_MAX_LEN;
	assert_int_equal(origin_normalize(in, len, out, sizeof(out), NULL), RELAY_OK);
	assert_int_equal(strlen(out), ORIGIN_MAX_LEN);
	expect_invalid(in, ORIGIN_MAX_LEN + 1);
}

static void test_origin_refuses_small_output_buffer(void **state)
{
	char out[ORIGIN_MAX_LEN];

	(void)state;
	assert_int_equal(origin_normalize("https://a", 9, out, sizeof(out), NULL),
			 RELAY_E_VALIDATION_FAILED);
}

static void test_origin_match_is_byte_equality_of_normalized_forms(void **state)
{
	const char *allowed[] = {"https://shop.demo.com", "app://bloonio_chat_flutter"};

	(void)state;
	assert_true(origin_allowed("https://shop.demo.com", 21, allowed, 2));
	assert_true(origin_allowed("https://SHOP.demo.com:443/", 26, allowed, 2));
	assert_true(origin_allowed("app://bloonio_chat_flutter", 26, allowed, 2));
	assert_false(origin_allowed("http://shop.demo.com", 20, allowed, 2));
	assert_false(origin_allowed("https://shop.demo.com.evil.example", 34, allowed, 2));
	assert_false(origin_allowed("https://evilshop.demo.com", 25, allowed, 2));
	assert_false(origin_allowed("https://demo.com", 16, allowed, 2));
	assert_false(origin_allowed("https://shop.demo.com:8443", 26, allowed, 2));
	assert_false(origin_allowed("https://shop.demo.com.", 22, allowed, 2));
	assert_false(origin_allowed("null", 4, allowed, 2));
	assert_false(origin_allowed("https://shop.demo.com/x", 23, allowed, 2));
	assert_false(origin_allowed("https://shop.demo.com", 21, allowed, 0));
}

/* ---- vectors/origins.json ---- */

/* Normalizes each of allowed[] (as the relay does when storing them); NULL for invalid ones. */
static int check_match_case(const json_t *t, char *why, size_t why_size)
{
	const json_t *allowed_j = json_object_get(t, "allowed");
	const char *origin = json_string_value(json_object_get(t, "origin"));
	const char *result = vectors_str(t, "result");
	char norm[16][ORIGIN_MAX_LEN + 1];
	const char *allowed[16];
	char out[ORIGIN_MAX_LEN + 1];
	size_t i, n = 0;
	const json_t *a;
	int matched, valid;

	if (origin == NULL || !json_is_array(allowed_j) || json_array_size(allowed_j) > 16) {
		snprintf(why, why_size, "case lacks origin or allowed[] (or over 16)");
		return 0;
	}
	json_array_foreach(allowed_j, i, a)
	{
		const char *s = json_string_value(a);

		if (s != NULL &&
		    origin_normalize(s, strlen(s), norm[n], sizeof(norm[n]), NULL) == RELAY_OK) {
			allowed[n] = norm[n];
			n++;
		}
	}
	valid = origin_normalize(origin, strlen(origin), out, sizeof(out), NULL) == RELAY_OK;
	matched = origin_allowed(origin, strlen(origin), allowed, n);
	if (strcmp(result, "invalid") == 0 ? valid
					   : (strcmp(result, "match") == 0) != (matched == 1)) {
		snprintf(why, why_size, "expected %s, got %s", result,
			 !valid ? "invalid" : (matched ? "match" : "no-match"));
		return 0;
	}
	return 1;
}

static int check_normalize_case(const json_t *t, char *why, size_t why_size)
{
	const json_t *in_j = json_object_get(t, "input");
	const char *result = vectors_str(t, "result");
	char out[ORIGIN_MAX_LEN + 1];
	const char *reason = "";
	enum relay_rc rc;

	if (!json_is_string(in_j)) {
		snprintf(why, why_size, "case lacks input");
		return 0;
	}
	rc = origin_normalize(json_string_value(in_j), json_string_length(in_j), out, sizeof(out),
			      &reason);
	if (strcmp(result, "valid") == 0) {
		if (rc != RELAY_OK) {
			snprintf(why, why_size, "refused (%s)", reason);
			return 0;
		}
		if (strcmp(out, vectors_str(t, "normalized")) != 0) {
			snprintf(why, why_size, "normalized to %s, expected %s", out,
				 vectors_str(t, "normalized"));
			return 0;
		}
	} else if (rc == RELAY_OK) {
		snprintf(why, why_size, "accepted as %s", out);
		return 0;
	}
	return 1;
}

static void test_every_origin_vector_holds(void **state)
{
	json_t *root = vectors_load("origins.json");
	const json_t *groups, *group, *t;
	size_t gi, ti, cases = 0;
	int failed = 0;
	char why[512];

	(void)state;
	if (root == NULL)
		fail_msg("cannot load vectors/origins.json from %s", vectors_dir());
	groups = json_object_get(root, "testGroups");
	assert_true(json_is_array(groups));
	json_array_foreach(groups, gi, group)
	{
		const char *type = vectors_str(group, "type");
		int is_match = strcmp(type, "OriginMatch") == 0;

		if (!is_match && strcmp(type, "OriginNormalize") != 0) {
			print_error("FAIL group %zu: unknown type \"%s\"\n", gi, type);
			failed++;
			continue;
		}
		json_array_foreach(json_object_get(group, "tests"), ti, t)
		{
			int ok = is_match ? check_match_case(t, why, sizeof(why))
					  : check_normalize_case(t, why, sizeof(why));

			cases++;
			if (!ok) {
				print_error("FAIL %s: %s\n", vectors_id(t), why);
				failed++;
			}
		}
	}
	json_decref(root);
	assert_true(cases > 0);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_origin_lowercases_scheme_and_host),
		cmocka_unit_test(test_origin_drops_default_ports_only_for_their_scheme),
		cmocka_unit_test(test_origin_drops_one_trailing_slash),
		cmocka_unit_test(test_origin_accepts_custom_scheme_and_ip_literals),
		cmocka_unit_test(test_origin_refuses_paths_query_fragment_userinfo),
		cmocka_unit_test(test_origin_refuses_wildcards_null_and_encodings),
		cmocka_unit_test(test_origin_refuses_bad_scheme_host_and_port),
		cmocka_unit_test(test_origin_refuses_over_255_bytes),
		cmocka_unit_test(test_origin_refuses_small_output_buffer),
		cmocka_unit_test(test_origin_match_is_byte_equality_of_normalized_forms),
		cmocka_unit_test(test_every_origin_vector_holds),
	};

	return cmocka_run_group_tests_name("origin", tests, NULL, NULL);
}
