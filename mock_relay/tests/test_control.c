/*
 * test_control.c - the mock control plane (SPEC §10) and what never leaks into
 * the journal or the log (§2.10, §10.3.5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mock_harness.h"
#include "relay_clock.h"

#define T0 1782036000000LL /* 2026-06-21T10:00:00Z */

static json_t *ok(const char *method, const char *path, const char *body, long status)
{
	struct client_response resp;
	json_t *data;

	assert_int_equal(mock_call(mock_shared, method, path, body, 1, NULL, &resp), 0);
	data = mock_check_success(&resp, status);
	client_response_cleanup(&resp);
	assert_non_null(data);
	return data;
}

static void err(const char *method, const char *path, const char *body, int admin, long status,
		const char *code, const char *field)
{
	struct client_response resp;

	assert_int_equal(mock_call(mock_shared, method, path, body, admin, NULL, &resp), 0);
	assert_int_equal(mock_check_error(&resp, status, code, field), 0);
	client_response_cleanup(&resp);
}

static long plain_status(const char *method, const char *path)
{
	struct client_response resp;
	long status;

	assert_int_equal(mock_call(mock_shared, method, path, NULL, 1, NULL, &resp), 0);
	status = resp.status;
	client_response_cleanup(&resp);
	return status;
}

/* §10: every control route needs the admin key. */
static void test_control_routes_require_admin_key(void **state)
{
	static const char *const routes[][2] = {
		{"POST", "/__mock/reset"},  {"GET", "/__mock/clock"},
		{"PUT", "/__mock/clock"},   {"POST", "/__mock/clock/advance"},
		{"GET", "/__mock/journal"}, {"GET", "/__mock/faults"},
		{"POST", "/__mock/faults"}, {"DELETE", "/__mock/faults"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		err(routes[i][0], routes[i][1], "{}", 0, 401, "invalid_admin_key", NULL);
}

/* §10.2: freeze, advance, back to real time; validation. */
static void test_clock_set_advance_and_release(void **state)
{
	json_t *d;

	(void)state;
	d = ok("GET", "/__mock/clock", NULL, 200);
	assert_false(json_is_true(json_object_get(d, "frozen")));
	assert_true(json_integer_value(json_object_get(d, "now_ms")) > T0 - 10LL * 365 * 86400000);
	json_decref(d);
	d = ok("PUT", "/__mock/clock", "{\"now_ms\":1782036000000}", 200);
	assert_int_equal(json_integer_value(json_object_get(d, "now_ms")), T0);
	assert_true(json_is_true(json_object_get(d, "frozen")));
	json_decref(d);
	d = ok("POST", "/__mock/clock/advance", "{\"ms\":-1500}", 200);
	assert_int_equal(json_integer_value(json_object_get(d, "now_ms")), T0 - 1500);
	assert_true(json_is_true(json_object_get(d, "frozen")));
	json_decref(d);
	d = ok("GET", "/__mock/clock", NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(d, "now_ms")), T0 - 1500);
	json_decref(d);
	d = ok("PUT", "/__mock/clock", "{\"now_ms\":null}", 200);
	assert_false(json_is_true(json_object_get(d, "frozen")));
	json_decref(d);
	/* Advancing the real clock adds an offset and stays real. */
	d = ok("POST", "/__mock/clock/advance", "{\"ms\":86400000}", 200);
	assert_false(json_is_true(json_object_get(d, "frozen")));
	json_decref(d);
	err("PUT", "/__mock/clock", "{\"now_ms\":-1}", 1, 422, "validation_failed", "now_ms");
	err("PUT", "/__mock/clock", "{\"now_ms\":\"1\"}", 1, 422, "validation_failed", "now_ms");
	err("PUT", "/__mock/clock", "{\"now_ms\":1.5}", 1, 422, "validation_failed", "now_ms");
	err("PUT", "/__mock/clock", "{}", 1, 422, "validation_failed", "now_ms");
	err("PUT", "/__mock/clock", "{\"now_ms\":9007199254740992}", 1, 422, "validation_failed",
	    "now_ms");
	err("PUT", "/__mock/clock", "not json", 1, 400, "malformed_request", NULL);
	err("POST", "/__mock/clock/advance", "{\"ms\":true}", 1, 422, "validation_failed", "ms");
	err("POST", "/__mock/clock/advance", "{}", 1, 422, "validation_failed", "ms");
	/* The clock drives created_at (§10.2.4). */
	d = ok("PUT", "/__mock/clock", "{\"now_ms\":1782036000000}", 200);
	json_decref(d);
	d = ok("POST", "/api/v1/provision/tenant", "{\"tenant_name\":\"c\"}", 201);
	assert_string_equal(json_string_value(json_object_get(d, "created_at")),
			    "2026-06-21T10:00:00Z");
	json_decref(d);
}

/* §10.1: reset forgets tenants, journal (ids from 1), faults; clock back to real. */
static void test_reset_forgets_everything(void **state)
{
	char path[128];
	struct mock_tenant tn;
	json_t *d;

	(void)state;
	assert_int_equal(mock_set_clock(mock_shared, T0), 0);
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"r\"}", &tn), 0);
	d = ok("POST", "/__mock/faults", "{\"path_prefix\":\"/nothing\",\"status\":500}", 201);
	json_decref(d);
	d = ok("POST", "/__mock/reset", NULL, 200);
	assert_int_equal(json_object_size(d), 0);
	json_decref(d);
	d = ok("GET", "/__mock/clock", NULL, 200);
	assert_false(json_is_true(json_object_get(d, "frozen")));
	json_decref(d);
	d = ok("GET", "/__mock/faults", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(d, "items")), 0);
	json_decref(d);
	d = ok("GET", "/__mock/journal", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(d, "items")), 0);
	assert_int_equal(json_integer_value(json_object_get(d, "total")), 0);
	json_decref(d);
	snprintf(path, sizeof(path), "/api/v1/fetch/tenant?tenant_id=%s", tn.tenant_id);
	err("GET", path, NULL, 1, 404, "tenant_not_found", NULL);
	d = ok("GET", "/__mock/journal", NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(d, "items"), 0), "id")),
			 1);
	json_decref(d);
}

/* §10.3: newest first, filter, limit, total, entry keys; control calls not journaled. */
static void test_journal_lists_requests_newest_first(void **state)
{
	struct mock_tenant a, b;
	char path[160];
	json_t *d, *items, *e;

	(void)state;
	assert_int_equal(mock_set_clock(mock_shared, T0), 0);
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"a\"}", &a), 0);
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"b\"}", &b), 0);
	snprintf(path, sizeof(path), "/api/v1/fetch/tenant?tenant_id=%s", a.tenant_id);
	d = ok("GET", path, NULL, 200);
	json_decref(d);
	err("GET", "/api/v1/nope", NULL, 1, 404, "not_found", NULL);
	d = ok("GET", "/__mock/journal", NULL, 200);
	items = json_object_get(d, "items");
	assert_int_equal(json_array_size(items), 4);
	assert_int_equal(json_integer_value(json_object_get(d, "total")), 4);
	e = json_array_get(items, 0);
	assert_string_equal(json_string_value(json_object_get(e, "path")), "/api/v1/nope");
	assert_int_equal(json_integer_value(json_object_get(e, "status")), 404);
	assert_string_equal(json_string_value(json_object_get(e, "error_code")), "not_found");
	assert_true(json_is_null(json_object_get(e, "tenant_id")));
	assert_int_equal(json_integer_value(json_object_get(e, "id")), 4);
	assert_int_equal(json_integer_value(json_object_get(e, "at_ms")), T0);
	assert_true(json_is_integer(json_object_get(e, "duration_us")));
	assert_null(json_object_get(e, "hmac1")); /* not an HMAC#1 route */
	e = json_array_get(items, 1);
	assert_string_equal(json_string_value(json_object_get(e, "method")), "GET");
	assert_string_equal(json_string_value(json_object_get(e, "path")), "/api/v1/fetch/tenant");
	assert_string_equal(json_string_value(json_object_get(e, "tenant_id")), a.tenant_id);
	assert_true(json_is_null(json_object_get(e, "error_code")));
	json_decref(d);
	snprintf(path, sizeof(path), "/__mock/journal?tenant_id=%s&limit=1", a.tenant_id);
	d = ok("GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(d, "items")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "total")), 2);
	json_decref(d);
	err("GET", "/__mock/journal?limit=0", NULL, 1, 400, "malformed_request", "limit");
	err("GET", "/__mock/journal?limit=65537", NULL, 1, 400, "malformed_request", "limit");
	err("GET", "/__mock/journal?tenant_id=a%20b", NULL, 1, 400, "malformed_request",
	    "tenant_id");
}

/* §10.3.1: the ring keeps --journal-size entries. */
static void test_journal_is_bounded(void **state)
{
	static const char *const args[] = {"--journal-size", "3", NULL};
	struct mock *small = mock_start(args);
	struct client_response resp;
	long status = 0;
	json_t *env;
	int i;

	(void)state;
	assert_non_null(small);
	for (i = 0; i < 5; i++) {
		assert_int_equal(
			mock_call(small, "GET", "/api/v1/fetch/tenants", NULL, 1, NULL, &resp), 0);
		client_response_cleanup(&resp);
	}
	env = mock_admin(small, "GET", "/__mock/journal", NULL, &status);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(json_object_get(json_object_get(env, "data"), "items")),
			 3);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_array_get(json_object_get(json_object_get(env, "data"), "items"), 0),
			"id")),
		5);
	json_decref(env);
	assert_int_equal(mock_stop(small), 0);
}

/*
 * §10.3.1: an entry is written before its response is sent, so calls a client makes one
 * after the other, each on a new connection (handled by different threads), are journaled
 * in that order. Written at the end of the connection instead, they swapped now and then.
 */
static void test_journal_keeps_the_order_of_sequential_calls(void **state)
{
	enum { N = 400 };
	static const char *const args[] = {"--journal-size", "1000", "--threads", "4", NULL};
	struct mock *m = mock_start(args);
	struct client_response resp;
	struct client_request req = {.method = "GET"};
	char path[64];
	long status = 0;
	json_t *env, *items;
	int i;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < N; i++) {
		struct relay_client *fresh = client_new(m->base_url); /* a new connection */

		assert_non_null(fresh);
		snprintf(path, sizeof(path), "/api/v1/order/%d", i);
		req.path = path;
		assert_int_equal(client_perform(fresh, &req, &resp), RELAY_OK);
		assert_int_equal(resp.status, 404);
		client_response_cleanup(&resp);
		client_free(fresh);
	}
	env = mock_admin(m, "GET", "/__mock/journal?limit=1000", NULL, &status);
	assert_int_equal(status, 200);
	items = json_object_get(json_object_get(env, "data"), "items");
	assert_int_equal(json_array_size(items), N);
	for (i = 0; i < N; i++) {
		/* newest first: item i is call N-1-i */
		snprintf(path, sizeof(path), "/api/v1/order/%d", N - 1 - i);
		assert_string_equal(json_string_value(json_object_get(
					    json_array_get(items, (size_t)i), "path")),
				    path);
	}
	json_decref(env);
	assert_int_equal(mock_stop(m), 0);
}

/* §2.10, §10.3.5: secrets and the admin key never reach the journal or the log. */
static void test_secrets_absent_from_journal_and_log(void **state)
{
	struct client_response resp;
	struct mock_tenant tn;
	char path[160], secret2[KEY_STR_LEN + 1];
	json_t *d;
	char *log;

	(void)state;
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"secret\"}", &tn), 0);
	snprintf(path, sizeof(path), "/api/v1/rotate/tenant-secret?tenant_id=%s", tn.tenant_id);
	d = ok("POST", path, NULL, 200);
	snprintf(secret2, sizeof(secret2), "%s",
		 json_string_value(json_object_get(d, "tenant_secret")));
	json_decref(d);
	/* Signed calls with both secrets, whatever route answers. */
	assert_int_equal(mock_signed(mock_shared, "GET",
				     "/api/v1/relay/fetch/conversation?conversation_id=x", NULL,
				     tn.tenant_id, tn.tenant_secret, relay_clock_real_ms(), &resp),
			 0);
	client_response_cleanup(&resp);
	assert_int_equal(mock_signed(mock_shared, "GET",
				     "/api/v1/relay/fetch/conversation?conversation_id=x", NULL,
				     tn.tenant_id, secret2, relay_clock_real_ms(), &resp),
			 0);
	client_response_cleanup(&resp);
	assert_int_equal(
		mock_call(mock_shared, "GET", "/__mock/journal?limit=65536", NULL, 1, NULL, &resp),
		0);
	assert_int_equal(resp.status, 200);
	assert_non_null(strstr(resp.body, tn.tenant_id));
	assert_null(strstr(resp.body, tn.tenant_secret));
	assert_null(strstr(resp.body, secret2));
	assert_null(strstr(resp.body, "sk_"));
	assert_null(strstr(resp.body, MOCK_ADMIN_KEY));
	client_response_cleanup(&resp);
	/* the lines are written after the answers went out: wait for them */
	log = mock_log_wait(mock_shared, "/api/v1/rotate/tenant-secret");
	assert_non_null(log);
	free(log);
	log = mock_log_wait(mock_shared, "/api/v1/relay/fetch/conversation");
	assert_non_null(log);
	assert_null(strstr(log, tn.tenant_secret));
	assert_null(strstr(log, secret2));
	assert_null(strstr(log, "sk_"));
	assert_null(strstr(log, MOCK_ADMIN_KEY));
	free(log);
}

/* §10.4: status faults fire `times` times, then the route answers normally. */
static void test_fault_status_then_normal(void **state)
{
	struct client_response resp;
	json_t *d;

	(void)state;
	d = ok("POST", "/__mock/faults",
	       "{\"path_prefix\":\"/api/v1/fetch/\",\"times\":2,\"status\":503}", 201);
	assert_int_equal(json_integer_value(json_object_get(d, "fault_id")), 1);
	assert_string_equal(json_string_value(json_object_get(d, "path_prefix")), "/api/v1/fetch/");
	assert_int_equal(json_integer_value(json_object_get(d, "times")), 2);
	assert_int_equal(json_integer_value(json_object_get(d, "status")), 503);
	assert_true(json_is_null(json_object_get(d, "delay_ms")));
	assert_true(json_is_false(json_object_get(d, "drop")));
	json_decref(d);
	d = ok("GET", "/__mock/faults", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(d, "items")), 1);
	json_decref(d);
	/* Faults apply before routing and before the admin key (§1.6.3). */
	err("GET", "/api/v1/fetch/tenants", NULL, 0, 503, "fault_injected", NULL);
	err("GET", "/api/v1/fetch/nothing", NULL, 1, 503, "fault_injected", NULL);
	assert_int_equal(plain_status("GET", "/api/v1/fetch/tenants"), 200);
	/* Other paths and the control plane are never faulted. */
	d = ok("POST", "/__mock/faults", "{\"path_prefix\":\"/\",\"status\":500}", 201);
	json_decref(d);
	assert_int_equal(plain_status("GET", "/__mock/faults"), 200);
	assert_int_equal(
		mock_call(mock_shared, "GET", "/api/v1/fetch/tenants", NULL, 1, NULL, &resp), 0);
	assert_int_equal(mock_check_error(&resp, 500, "fault_injected", NULL), 0);
	client_response_cleanup(&resp);
	d = ok("GET", "/__mock/journal?limit=1", NULL, 200);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(d, "items"), 0), "error_code")),
			    "fault_injected");
	json_decref(d);
}

/* §10.4: delay waits, then answers normally. */
static void test_fault_delay(void **state)
{
	struct client_response resp;
	json_t *d;

	(void)state;
	d = ok("POST", "/__mock/faults",
	       "{\"path_prefix\":\"/api/v1/fetch/tenants\",\"delay_ms\":300}", 201);
	json_decref(d);
	assert_int_equal(
		mock_call(mock_shared, "GET", "/api/v1/fetch/tenants", NULL, 1, NULL, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_true(resp.seconds >= 0.29);
	client_response_cleanup(&resp);
	assert_int_equal(
		mock_call(mock_shared, "GET", "/api/v1/fetch/tenants", NULL, 1, NULL, &resp), 0);
	assert_true(resp.seconds < 0.29);
	client_response_cleanup(&resp);
}

/* §10.4: drop closes the connection without an answer; the journal shows status 0. */
static void test_fault_drop(void **state)
{
	struct client_response resp;
	json_t *d, *e;

	(void)state;
	d = ok("POST", "/__mock/faults",
	       "{\"path_prefix\":\"/api/v1/fetch/tenants\",\"drop\":true}", 201);
	json_decref(d);
	/* A fresh connection: curl silently retries a request on a reused one that closes. */
	{
		static const char *const key[] = {"X-Admin-Key: " MOCK_ADMIN_KEY};
		struct relay_client *c = client_new(mock_shared->base_url);
		struct client_request req = {"GET", "/api/v1/fetch/tenants", key, 1, NULL, 0, 0};

		assert_non_null(c);
		assert_int_equal(client_perform(c, &req, &resp), RELAY_E_IO);
		assert_int_equal(resp.status, 0);
		client_response_cleanup(&resp);
		client_free(c);
	}
	assert_int_equal(plain_status("GET", "/api/v1/fetch/tenants"), 200);
	d = ok("GET", "/__mock/journal?limit=2", NULL, 200);
	e = json_array_get(json_object_get(d, "items"), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "status")), 0);
	json_decref(d);
}

/* §10.4.2, §10.4.4: validation, cap, clear. */
static void test_fault_validation_cap_and_clear(void **state)
{
	static const struct {
		const char *body;
		const char *field;
	} bad[] = {
		{"{\"status\":503}", "path_prefix"},
		{"{\"path_prefix\":\"api\",\"status\":503}", "path_prefix"},
		{"{\"path_prefix\":\"/\",\"times\":0,\"status\":503}", "times"},
		{"{\"path_prefix\":\"/\",\"times\":1001,\"status\":503}", "times"},
		{"{\"path_prefix\":\"/\",\"status\":200}", "status"},
		{"{\"path_prefix\":\"/\",\"status\":600}", "status"},
		{"{\"path_prefix\":\"/\",\"delay_ms\":0}", "delay_ms"},
		{"{\"path_prefix\":\"/\",\"delay_ms\":30001}", "delay_ms"},
		{"{\"path_prefix\":\"/\",\"drop\":\"yes\"}", "drop"},
		{"{\"path_prefix\":\"/\"}", "status"},
		{"{\"path_prefix\":\"/\",\"status\":503,\"drop\":true}", "status"},
	};
	size_t i;
	json_t *d;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		err("POST", "/__mock/faults", bad[i].body, 1, 422, "validation_failed",
		    bad[i].field);
	err("POST", "/__mock/faults", "[]", 1, 400, "malformed_request", NULL);
	for (i = 0; i < 64; i++) {
		d = ok("POST", "/__mock/faults", "{\"path_prefix\":\"/zz\",\"status\":500}", 201);
		json_decref(d);
	}
	err("POST", "/__mock/faults", "{\"path_prefix\":\"/zz\",\"status\":500}", 1, 507,
	    "capacity_exceeded", NULL);
	d = ok("DELETE", "/__mock/faults", NULL, 200);
	assert_int_equal(json_object_size(d), 0);
	json_decref(d);
	d = ok("GET", "/__mock/faults", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(d, "items")), 0);
	json_decref(d);
}

/* §10.3: request bytes that are not UTF-8 never break the journal (no 500). */
static void test_journal_survives_invalid_utf8(void **state)
{
	static const char *const bad_tenant[] = {"X-Bloonio-Tenant-Id: a\xff\xfe\x01",
						 "X-Bloonio-Timestamp: 1\xc3",
						 "X-Bloonio-Signature: 1", NULL};
	struct client_response resp;
	json_t *d, *items;

	(void)state;
	err("GET", "/%ff%fe%c3%28/x", NULL, 0, 404, "not_found", NULL);
	err("GET", "/caf%C3%A9", NULL, 0, 404, "not_found", NULL);
	assert_int_equal(mock_call(mock_shared, "GET",
				   "/api/v1/relay/fetch/conversation?conversation_id=x", NULL, 0,
				   bad_tenant, &resp),
			 0);
	assert_int_equal(resp.status, 401);
	client_response_cleanup(&resp);
	d = ok("GET", "/__mock/journal", NULL, 200);
	items = json_object_get(d, "items");
	assert_int_equal(json_array_size(items), 3);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(items, 0), "tenant_id")), "a???");
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "path")),
			    "/caf\xc3\xa9");
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 2), "path")),
			    "/??"
			    "?(/x");
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_control_routes_require_admin_key, mock_shared_reset),
		cmocka_unit_test_setup(test_clock_set_advance_and_release, mock_shared_reset),
		cmocka_unit_test_setup(test_reset_forgets_everything, mock_shared_reset),
		cmocka_unit_test_setup(test_journal_lists_requests_newest_first, mock_shared_reset),
		cmocka_unit_test_setup(test_journal_is_bounded, mock_shared_reset),
		cmocka_unit_test_setup(test_journal_keeps_the_order_of_sequential_calls,
				       mock_shared_reset),
		cmocka_unit_test_setup(test_journal_survives_invalid_utf8, mock_shared_reset),
		cmocka_unit_test_setup(test_secrets_absent_from_journal_and_log, mock_shared_reset),
		cmocka_unit_test_setup(test_fault_status_then_normal, mock_shared_reset),
		cmocka_unit_test_setup(test_fault_delay, mock_shared_reset),
		cmocka_unit_test_setup(test_fault_drop, mock_shared_reset),
		cmocka_unit_test_setup(test_fault_validation_cap_and_clear, mock_shared_reset),
	};

	return cmocka_run_group_tests(tests, mock_shared_start, mock_shared_stop);
}
