/*
 * test_faults.c - relay_faults (SPEC §10.4): rule validation, prefix matching, the
 * `times` budget, first rule wins, control paths never faulted, clear and reset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "relay_faults.h"

static int setup(void **state)
{
	*state = faults_new();
	return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	faults_free(*state);
	return 0;
}

/* faults_add() of the JSON text body; returns rc and sets *field (NULL on success). */
static enum relay_rc add(struct relay_faults *f, const char *body, const char **field)
{
	json_t *b = json_loads(body, 0, NULL), *rule = NULL;
	enum relay_rc rc;

	assert_non_null(b);
	rc = faults_add(f, b, &rule, field);
	if (rc == RELAY_OK)
		assert_non_null(rule);
	json_decref(rule);
	json_decref(b);
	return rc;
}

static void test_faults_none_armed_takes_nothing(void **state)
{
	struct fault_hit hit;

	faults_take(*state, "/api/v1/relay/send/message", &hit);
	assert_int_equal(hit.kind, FAULT_NONE);
}

static void test_faults_status_rule_fires_times_then_disarms(void **state)
{
	struct relay_faults *f = *state;
	struct fault_hit hit;
	const char *field;
	json_t *list;

	assert_int_equal(
		add(f, "{\"path_prefix\":\"/api/v1/relay/\",\"times\":2,\"status\":503}", &field),
		RELAY_OK);
	assert_null(field);
	faults_take(f, "/api/v1/widget/config", &hit); /* other prefix: untouched */
	assert_int_equal(hit.kind, FAULT_NONE);
	faults_take(f, "/api/v1/relay/send/message", &hit);
	assert_int_equal(hit.kind, FAULT_STATUS);
	assert_int_equal(hit.status, 503);
	faults_take(f, "/api/v1/relay/fetch/messages", &hit);
	assert_int_equal(hit.kind, FAULT_STATUS);
	faults_take(f, "/api/v1/relay/fetch/messages", &hit); /* budget spent */
	assert_int_equal(hit.kind, FAULT_NONE);
	list = faults_to_json(f);
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
}

static void test_faults_delay_and_drop_rules_and_their_json(void **state)
{
	struct relay_faults *f = *state;
	struct fault_hit hit;
	const char *field;
	json_t *list, *r;

	assert_int_equal(add(f, "{\"path_prefix\":\"/a\",\"delay_ms\":250}", &field), RELAY_OK);
	assert_int_equal(add(f, "{\"path_prefix\":\"/b\",\"drop\":true,\"status\":null}", &field),
			 RELAY_OK);
	list = faults_to_json(f);
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 2);
	r = json_array_get(list, 0);
	assert_int_equal(json_integer_value(json_object_get(r, "fault_id")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "times")), 1); /* default */
	assert_int_equal(json_integer_value(json_object_get(r, "delay_ms")), 250);
	assert_true(json_is_null(json_object_get(r, "status")));
	assert_true(json_is_false(json_object_get(r, "drop")));
	r = json_array_get(list, 1);
	assert_int_equal(json_integer_value(json_object_get(r, "fault_id")), 2);
	assert_true(json_is_true(json_object_get(r, "drop")));
	json_decref(list);
	faults_take(f, "/abc", &hit);
	assert_int_equal(hit.kind, FAULT_DELAY);
	assert_int_equal(hit.delay_ms, 250);
	faults_take(f, "/b", &hit);
	assert_int_equal(hit.kind, FAULT_DROP);
}

static void test_faults_first_matching_rule_wins(void **state)
{
	struct relay_faults *f = *state;
	struct fault_hit hit;
	const char *field;

	assert_int_equal(add(f, "{\"path_prefix\":\"/api/\",\"status\":500}", &field), RELAY_OK);
	assert_int_equal(add(f, "{\"path_prefix\":\"/api/v1/\",\"status\":429}", &field), RELAY_OK);
	faults_take(f, "/api/v1/x", &hit);
	assert_int_equal(hit.status, 500);
	faults_take(f, "/api/v1/x", &hit); /* the first is spent: the second answers */
	assert_int_equal(hit.status, 429);
}

static void test_faults_never_fault_the_control_plane(void **state)
{
	struct relay_faults *f = *state;
	struct fault_hit hit;
	const char *field;

	assert_int_equal(add(f, "{\"path_prefix\":\"/\",\"status\":500}", &field), RELAY_OK);
	faults_take(f, "/__mock/journal", &hit);
	assert_int_equal(hit.kind, FAULT_NONE);
	faults_take(f, "/api/v1/x", &hit); /* still armed for other paths */
	assert_int_equal(hit.kind, FAULT_STATUS);
}

static void test_faults_refuse_bad_rules_naming_the_field(void **state)
{
	struct relay_faults *f = *state;
	const char *field;
	json_t *list;
	size_t i;
	static const struct {
		const char *body, *field;
	} bad[] = {
		{"{\"status\":500}", "path_prefix"},
		{"{\"path_prefix\":\"\",\"status\":500}", "path_prefix"},
		{"{\"path_prefix\":\"api\",\"status\":500}", "path_prefix"},
		{"{\"path_prefix\":7,\"status\":500}", "path_prefix"},
		{"{\"path_prefix\":\"/a\",\"times\":0,\"status\":500}", "times"},
		{"{\"path_prefix\":\"/a\",\"times\":1001,\"status\":500}", "times"},
		{"{\"path_prefix\":\"/a\",\"times\":\"2\",\"status\":500}", "times"},
		{"{\"path_prefix\":\"/a\",\"status\":399}", "status"},
		{"{\"path_prefix\":\"/a\",\"status\":600}", "status"},
		{"{\"path_prefix\":\"/a\",\"delay_ms\":0}", "delay_ms"},
		{"{\"path_prefix\":\"/a\",\"delay_ms\":30001}", "delay_ms"},
		{"{\"path_prefix\":\"/a\",\"drop\":1}", "drop"},
		{"{\"path_prefix\":\"/a\"}", "status"},                              /* no kind */
		{"{\"path_prefix\":\"/a\",\"status\":500,\"drop\":true}", "status"}, /* two */
	};

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		field = NULL;
		assert_int_equal(add(f, bad[i].body, &field), RELAY_E_VALIDATION_FAILED);
		assert_non_null(field);
		assert_string_equal(field, bad[i].field);
	}
	list = faults_to_json(f);
	assert_int_equal(json_array_size(list), 0); /* nothing stored */
	json_decref(list);
}

static void test_faults_capacity_clear_and_reset(void **state)
{
	struct relay_faults *f = *state;
	const char *field;
	json_t *list;
	int i;

	for (i = 0; i < FAULTS_MAX; i++)
		assert_int_equal(add(f, "{\"path_prefix\":\"/a\",\"status\":500}", &field),
				 RELAY_OK);
	assert_int_equal(add(f, "{\"path_prefix\":\"/a\",\"status\":500}", &field),
			 RELAY_E_CAPACITY_EXCEEDED);
	assert_int_equal(faults_clear(f), FAULTS_MAX);
	assert_int_equal(faults_clear(f), 0);
	/* After clear ids go on; after reset they restart at 1. */
	assert_int_equal(add(f, "{\"path_prefix\":\"/a\",\"status\":500}", &field), RELAY_OK);
	list = faults_to_json(f);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "fault_id")),
			 FAULTS_MAX + 1);
	json_decref(list);
	faults_reset(f);
	assert_int_equal(add(f, "{\"path_prefix\":\"/a\",\"status\":500}", &field), RELAY_OK);
	list = faults_to_json(f);
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "fault_id")),
			 1);
	json_decref(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_faults_none_armed_takes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_faults_status_rule_fires_times_then_disarms,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_faults_delay_and_drop_rules_and_their_json,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_faults_first_matching_rule_wins, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_faults_never_fault_the_control_plane, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_faults_refuse_bad_rules_naming_the_field,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_faults_capacity_clear_and_reset, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
