/*
 * test_smoke.c - the mock starts, answers with envelopes and stops cleanly
 * (SPEC §1.1, §1.3, §1.5, §1.6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mock_harness.h"

static void test_unknown_path_is_404_envelope(void **state)
{
	struct mock *m = mock_start(NULL);
	struct client_response resp;
	json_t *env;

	(void)state;
	assert_non_null(m);
	assert_int_equal(mock_call(m, "GET", "/nope", NULL, 0, NULL, &resp), 0);
	assert_int_equal(resp.status, 404);
	assert_string_equal(client_response_header(&resp, "Content-Type"),
			    "application/json; charset=utf-8");
	env = client_response_json(&resp);
	assert_non_null(env);
	assert_int_equal(json_integer_value(json_object_get(env, "status_code")), 404);
	assert_true(json_is_null(json_object_get(env, "data")));
	assert_string_equal(mock_error_code(env), "not_found");
	json_decref(env);
	client_response_cleanup(&resp);
	assert_int_equal(mock_stop(m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_path_is_404_envelope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
