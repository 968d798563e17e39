/*
 * test_router.c - relay_router: exact-path matching over every route table, 404 for
 * an unknown path, 405 with the path's methods in Allow, auth flags as the tables say.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "relay_router.h"

static void test_router_matches_each_table(void **state)
{
	char allow[ROUTER_ALLOW_MAX];
	enum relay_rc rc = RELAY_OK;
	const struct relay_route *r;

	(void)state;
	r = router_match("POST", "/api/v1/provision/tenant", &rc, allow);
	assert_non_null(r);
	assert_string_equal(r->path, "/api/v1/provision/tenant");
	assert_true(r->flags & ROUTE_ADMIN);
	assert_non_null(r->handler);
	r = router_match("POST", "/api/v1/create/visitor-session", &rc, allow);
	assert_non_null(r);
	assert_int_equal(r->flags, ROUTE_PUBLIC);
	r = router_match("POST", "/__mock/reset", &rc, allow);
	assert_non_null(r);
	assert_true(r->flags & ROUTE_CONTROL);
	r = router_match("GET", "/api/v1/ws/widget", &rc, allow);
	assert_non_null(r);
}

static void test_router_relay_api_routes_are_hmac1(void **state)
{
	const struct relay_route *r;
	size_t n = 0;

	(void)state;
	for (r = routes_relay; r->path != NULL; r++, n++) {
		assert_true(strncmp(r->path, "/api/v1/relay/", 14) == 0);
		assert_true(r->flags & ROUTE_HMAC1);
		assert_false(r->flags & ROUTE_ADMIN);
	}
	assert_true(n > 0);
	for (r = routes_admin; r->path != NULL; r++)
		assert_true(r->flags & ROUTE_ADMIN);
	for (r = routes_control; r->path != NULL; r++)
		assert_true(strncmp(r->path, "/__mock/", 8) == 0 && (r->flags & ROUTE_CONTROL));
}

/* router_match(method, path) refuses with want; allow receives the Allow value. */
static void assert_refused(const char *method, const char *path, enum relay_rc want,
			   char allow[ROUTER_ALLOW_MAX])
{
	enum relay_rc rc = RELAY_OK;

	assert_null(router_match(method, path, &rc, allow));
	assert_int_equal(rc, want);
}

static void test_router_unknown_path_is_404(void **state)
{
	char allow[ROUTER_ALLOW_MAX];

	(void)state;
	assert_refused("GET", "/nope", RELAY_E_NOT_FOUND, allow);
	assert_string_equal(allow, "");
	/* Exact paths only: no prefix, no trailing slash, no case folding. */
	assert_refused("POST", "/api/v1/provision/tenant/", RELAY_E_NOT_FOUND, allow);
	assert_refused("POST", "/api/v1/provision", RELAY_E_NOT_FOUND, allow);
	assert_refused("POST", "/API/v1/provision/tenant", RELAY_E_NOT_FOUND, allow);
	assert_refused("GET", "", RELAY_E_NOT_FOUND, allow);
}

static void test_router_known_path_other_method_is_405_with_allow(void **state)
{
	char allow[ROUTER_ALLOW_MAX];

	(void)state;
	assert_refused("GET", "/api/v1/provision/tenant", RELAY_E_METHOD_NOT_ALLOWED, allow);
	assert_string_equal(allow, "POST");
	/* A path with two methods lists both, each once. */
	assert_refused("DELETE", "/__mock/clock", RELAY_E_METHOD_NOT_ALLOWED, allow);
	assert_non_null(strstr(allow, "GET"));
	assert_non_null(strstr(allow, "PUT"));
	assert_int_equal(strlen(allow), strlen("GET, PUT"));
	/* Methods are case-sensitive (RFC 9110 §9.1). */
	assert_refused("post", "/api/v1/provision/tenant", RELAY_E_METHOD_NOT_ALLOWED, allow);
	assert_string_equal(allow, "POST");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router_matches_each_table),
		cmocka_unit_test(test_router_relay_api_routes_are_hmac1),
		cmocka_unit_test(test_router_unknown_path_is_404),
		cmocka_unit_test(test_router_known_path_other_method_is_405_with_allow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
