/*
 * test_envelope.c - success and error envelopes (SPEC.md §1.2, §1.3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relay_envelope.h"

static void expect_dump(json_t *env, const char *want)
{
	size_t len = 0;
	char *s = envelope_dump(env, &len);

	assert_non_null(s);
	assert_string_equal(s, want);
	assert_int_equal(len, strlen(want));
	free(s);
}

static void test_success_envelope_has_spec_keys_in_order(void **state)
{
	(void)state;
	expect_dump(
		envelope_success(201, json_pack("{s:s}", "tenant_id", "t1"), "Created."),
		"{\"status_code\":201,\"data\":{\"tenant_id\":\"t1\"},\"message\":\"Created.\"}");
}

static void test_success_envelope_has_no_success_key(void **state)
{
	json_t *env = envelope_success(200, NULL, NULL);

	(void)state;
	assert_non_null(env);
	assert_null(json_object_get(env, "success"));
	assert_null(json_object_get(env, "error"));
	assert_int_equal(json_object_size(env), 3);
	expect_dump(env, "{\"status_code\":200,\"data\":{},\"message\":\"\"}");
}

static void test_success_envelope_keeps_data_key_order(void **state)
{
	json_t *data = json_object();

	(void)state;
	assert_int_equal(json_object_set_new(data, "z", json_integer(1)), 0);
	assert_int_equal(json_object_set_new(data, "a", json_integer(2)), 0);
	expect_dump(envelope_success(200, data, "OK."),
		    "{\"status_code\":200,\"data\":{\"z\":1,\"a\":2},\"message\":\"OK.\"}");
}

static void test_error_envelope_status_code_equals_table_status(void **state)
{
	int rc;

	(void)state;
	for (rc = RELAY_E_MALFORMED_REQUEST; rc < RELAY_RC_COUNT; rc++) {
		json_t *env = envelope_error((enum relay_rc)rc, NULL, NULL, 0);
		const json_t *err;

		assert_non_null(env);
		assert_int_equal(json_integer_value(json_object_get(env, "status_code")),
				 relay_rc_status((enum relay_rc)rc));
		assert_true(json_is_null(json_object_get(env, "data")));
		assert_string_equal(json_string_value(json_object_get(env, "message")),
				    relay_rc_info((enum relay_rc)rc)->message);
		err = json_object_get(env, "error");
		assert_string_equal(json_string_value(json_object_get(err, "code")),
				    relay_rc_code((enum relay_rc)rc));
		assert_null(json_object_get(err, "field"));
		json_decref(env);
	}
}

static void test_error_envelope_serializes_exactly(void **state)
{
	(void)state;
	expect_dump(envelope_error(RELAY_E_INVALID_SIGNATURE, NULL, NULL, 0),
		    "{\"status_code\":401,\"data\":null,\"message\":\"Invalid signature.\","
		    "\"error\":{\"code\":\"invalid_signature\"}}");
}

static void test_error_envelope_carries_field_for_validation_failed(void **state)
{
	(void)state;
	expect_dump(envelope_error(RELAY_E_VALIDATION_FAILED, "tenant_name is required.",
				   "tenant_name", 0),
		    "{\"status_code\":422,\"data\":null,\"message\":\"tenant_name is required.\","
		    "\"error\":{\"code\":\"validation_failed\",\"field\":\"tenant_name\"}}");
}

static void test_error_envelope_fault_status_override(void **state)
{
	json_t *env = envelope_error(RELAY_E_FAULT_INJECTED, NULL, NULL, 502);

	(void)state;
	assert_int_equal(json_integer_value(json_object_get(env, "status_code")), 502);
	json_decref(env);
	env = envelope_error(RELAY_E_FAULT_INJECTED, NULL, NULL, 0);
	assert_int_equal(json_integer_value(json_object_get(env, "status_code")),
			 relay_rc_status(RELAY_E_FAULT_INJECTED));
	json_decref(env);
}

static void test_error_envelope_local_errors_become_internal_error(void **state)
{
	json_t *env = envelope_error(RELAY_E_NOMEM, NULL, NULL, 0);

	(void)state;
	assert_int_equal(json_integer_value(json_object_get(env, "status_code")), 500);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(env, "error"), "code")),
		"internal_error");
	json_decref(env);
}

static void test_envelopes_refuse_invalid_utf8_without_leaking(void **state)
{
	(void)state;
	/* jansson refuses non-UTF-8 strings: NULL, and data is released (stolen) */
	assert_null(envelope_success(200, json_object(), "bad \xff"));
	assert_null(envelope_error(RELAY_E_VALIDATION_FAILED, "ok", "bad \xff", 0));
	assert_null(envelope_dump(NULL, NULL));
}

static void test_envelope_dump_escapes_unicode_as_utf8(void **state)
{
	(void)state;
	expect_dump(envelope_success(200, NULL, "caf\xc3\xa9 \"q\""),
		    "{\"status_code\":200,\"data\":{},\"message\":\"caf\xc3\xa9 \\\"q\\\"\"}");
}

/* envelope_success_text writes, byte for byte, what envelope_dump writes for the same envelope. */
static void test_success_text_equals_the_dumped_envelope(void **state)
{
	static const char *const messages[] = {
		"Conversation fetched.",  "", "caf\xc3\xa9 \"q\" \\ /", "tab\tnl\ncr\r\x01\x1f",
		"\xf0\x9f\x98\x80 emoji",
	};
	static const int statuses[] = {200, 201, 7, 65535};
	json_t *data =
		json_pack("{s:s, s:i, s:[s, n], s:{}}", "id", "c1", "n", 3, "a", "x\"y", "o");
	char *data_text = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t i, k, len = 0;

	(void)state;
	assert_non_null(data_text);
	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		for (k = 0; k < sizeof(statuses) / sizeof(statuses[0]); k++) {
			char *want = envelope_dump(
				envelope_success(statuses[k], json_incref(data), messages[i]),
				NULL);
			char *got = envelope_success_text(statuses[k], data_text, strlen(data_text),
							  messages[i], &len);

			assert_non_null(want);
			assert_non_null(got);
			assert_string_equal(got, want);
			assert_int_equal(len, strlen(want));
			free(want);
			free(got);
		}
	}
	/* Not UTF-8: refused, as envelope_success refuses it. */
	assert_null(envelope_success_text(200, data_text, strlen(data_text), "bad \xff", &len));
	assert_null(envelope_success_text(200, NULL, 0, "x", &len));
	free(data_text);
	json_decref(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_envelope_has_spec_keys_in_order),
		cmocka_unit_test(test_success_envelope_has_no_success_key),
		cmocka_unit_test(test_success_envelope_keeps_data_key_order),
		cmocka_unit_test(test_error_envelope_status_code_equals_table_status),
		cmocka_unit_test(test_error_envelope_serializes_exactly),
		cmocka_unit_test(test_error_envelope_carries_field_for_validation_failed),
		cmocka_unit_test(test_error_envelope_fault_status_override),
		cmocka_unit_test(test_error_envelope_local_errors_become_internal_error),
		cmocka_unit_test(test_envelopes_refuse_invalid_utf8_without_leaking),
		cmocka_unit_test(test_envelope_dump_escapes_unicode_as_utf8),
		cmocka_unit_test(test_success_text_equals_the_dumped_envelope),
	};

	return cmocka_run_group_tests_name("envelope", tests, NULL, NULL);
}
