/*
 * test_rc.c - the one result table (SPEC.md §1.4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "relay_rc.h"

/* SPEC.md §1.4, as fixed in the brief: code -> status. */
static const struct {
	enum relay_rc rc;
	const char *code;
	int status;
} spec[] = {
	{RELAY_E_MALFORMED_REQUEST, "malformed_request", 400},
	{RELAY_E_INVALID_ADMIN_KEY, "invalid_admin_key", 401},
	{RELAY_E_MISSING_SIGNATURE, "missing_signature", 401},
	{RELAY_E_STALE_TIMESTAMP, "stale_timestamp", 401},
	{RELAY_E_INVALID_SIGNATURE, "invalid_signature", 401},
	{RELAY_E_REPLAYED_REQUEST, "replayed_request", 401},
	{RELAY_E_INVALID_WIDGET_KEY, "invalid_widget_key", 401},
	{RELAY_E_INVALID_TOKEN, "invalid_token", 401},
	{RELAY_E_SESSION_EXPIRED, "session_expired", 401},
	{RELAY_E_TENANT_SUSPENDED, "tenant_suspended", 403},
	{RELAY_E_ORIGIN_NOT_ALLOWED, "origin_not_allowed", 403},
	{RELAY_E_NOT_FOUND, "not_found", 404},
	{RELAY_E_TENANT_NOT_FOUND, "tenant_not_found", 404},
	{RELAY_E_CONVERSATION_NOT_FOUND, "conversation_not_found", 404},
	{RELAY_E_OPERATOR_NOT_FOUND, "operator_not_found", 404},
	{RELAY_E_METHOD_NOT_ALLOWED, "method_not_allowed", 405},
	{RELAY_E_TENANT_ALREADY_SUSPENDED, "tenant_already_suspended", 409},
	{RELAY_E_TENANT_ALREADY_ACTIVE, "tenant_already_active", 409},
	{RELAY_E_PAYLOAD_TOO_LARGE, "payload_too_large", 413},
	{RELAY_E_VALIDATION_FAILED, "validation_failed", 422},
	{RELAY_E_RATE_LIMITED, "rate_limited", 429},
	{RELAY_E_CAPACITY_EXCEEDED, "capacity_exceeded", 507},
	{RELAY_E_INSUFFICIENT_SCOPE, "insufficient_scope", 403},
	{RELAY_E_CONVERSATION_STATE, "conversation_state", 409},
	{RELAY_E_QUOTA_EXCEEDED, "quota_exceeded", 429},
	{RELAY_E_INTERNAL, "internal_error", 500},
};

static void test_every_rc_has_status_code_and_message(void **state)
{
	int rc;

	(void)state;
	for (rc = 0; rc < RELAY_RC_COUNT; rc++) {
		const struct relay_rc_info *info = relay_rc_info((enum relay_rc)rc);

		assert_non_null(info);
		assert_non_null(info->code);
		assert_non_null(info->message);
		assert_true(info->code[0] != '\0');
		assert_true(info->message[0] != '\0');
		assert_in_range(info->http_status, 200, 599);
		if (rc != RELAY_OK)
			assert_in_range(info->http_status, 400, 599);
	}
}

static void test_protocol_error_codes_are_unique(void **state)
{
	int a, b;

	(void)state;
	for (a = RELAY_E_MALFORMED_REQUEST; a <= RELAY_E_INTERNAL; a++) {
		for (b = a + 1; b <= RELAY_E_INTERNAL; b++) {
			if (strcmp(relay_rc_code((enum relay_rc)a),
				   relay_rc_code((enum relay_rc)b)) == 0)
				fail_msg("rc %d and %d share code %s", a, b,
					 relay_rc_code((enum relay_rc)a));
		}
	}
}

static void test_codes_are_snake_case(void **state)
{
	int rc;
	const char *p;

	(void)state;
	for (rc = 0; rc < RELAY_RC_COUNT; rc++) {
		for (p = relay_rc_code((enum relay_rc)rc); *p != '\0'; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
	}
}

static void test_table_matches_spec_statuses(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
		assert_string_equal(relay_rc_code(spec[i].rc), spec[i].code);
		assert_int_equal(relay_rc_status(spec[i].rc), spec[i].status);
		assert_int_equal(relay_rc_from_code(spec[i].code), spec[i].rc);
	}
	/* fault_injected's status is chosen by the fault; the default is a 5xx */
	assert_string_equal(relay_rc_code(RELAY_E_FAULT_INJECTED), "fault_injected");
	assert_in_range(relay_rc_status(RELAY_E_FAULT_INJECTED), 500, 599);
}

static void test_local_errors_map_to_internal_error_500(void **state)
{
	int rc;

	(void)state;
	for (rc = RELAY_E_INTERNAL + 1; rc < RELAY_RC_COUNT; rc++) {
		assert_string_equal(relay_rc_code((enum relay_rc)rc), "internal_error");
		assert_int_equal(relay_rc_status((enum relay_rc)rc), 500);
	}
}

static void test_out_of_range_rc_is_internal_error(void **state)
{
	(void)state;
	assert_string_equal(relay_rc_code((enum relay_rc) - 1), "internal_error");
	assert_string_equal(relay_rc_code(RELAY_RC_COUNT), "internal_error");
	assert_int_equal(relay_rc_status((enum relay_rc)1000), 500);
}

static void test_unknown_code_maps_to_internal(void **state)
{
	(void)state;
	assert_int_equal(relay_rc_from_code("no_such_code"), RELAY_E_INTERNAL);
	assert_int_equal(relay_rc_from_code(NULL), RELAY_E_INTERNAL);
	assert_int_equal(relay_rc_from_code("ok"), RELAY_E_INTERNAL);
	assert_int_equal(relay_rc_from_code("internal_error"), RELAY_E_INTERNAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_rc_has_status_code_and_message),
		cmocka_unit_test(test_protocol_error_codes_are_unique),
		cmocka_unit_test(test_codes_are_snake_case),
		cmocka_unit_test(test_table_matches_spec_statuses),
		cmocka_unit_test(test_local_errors_map_to_internal_error_500),
		cmocka_unit_test(test_out_of_range_rc_is_internal_error),
		cmocka_unit_test(test_unknown_code_maps_to_internal),
	};

	return cmocka_run_group_tests_name("rc", tests, NULL, NULL);
}
