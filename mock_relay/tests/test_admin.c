/*
 * test_admin.c - admin tenant endpoints over HTTP (SPEC §2, §1.2-§1.3, §3.4).
 *
 * One mock for the file; each test starts from POST /__mock/reset.
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

#define SEED_BODY                                                                                  \
	"{\"tenant_name\": \"Demo Boutique\", \"allowed_origins\": [\"https://shop.demo.com\", "   \
	"\"app://bloonio_chat_flutter\"]}"
#define SEED_MESSAGE                                                                               \
	"Tenant provisioned. Save tenant_secret and widget_public_key now \xE2\x80\x94 the "       \
	"secret "                                                                                  \
	"will not be shown again."
#define T0 1782036000000LL /* 2026-06-21T10:00:00Z */

/* Admin call; returns the HTTP status, fills resp (caller cleans up). */
static long admin(const char *method, const char *path, const char *body,
		  struct client_response *resp)
{
	assert_int_equal(mock_call(mock_shared, method, path, body, 1, NULL, resp), 0);
	return resp->status;
}

static void expect_admin_error(const char *method, const char *path, const char *body, long status,
			       const char *code, const char *field)
{
	struct client_response resp;

	admin(method, path, body, &resp);
	assert_int_equal(mock_check_error(&resp, status, code, field), 0);
	client_response_cleanup(&resp);
}

static json_t *admin_ok(const char *method, const char *path, const char *body, long status)
{
	struct client_response resp;
	json_t *data;

	admin(method, path, body, &resp);
	data = mock_check_success(&resp, status);
	client_response_cleanup(&resp);
	assert_non_null(data);
	return data;
}

static int is_b64url_key(const char *s, const char *prefix)
{
	size_t i;

	if (s == NULL || strlen(s) != KEY_STR_LEN || strncmp(s, prefix, 3) != 0)
		return 0;
	for (i = 3; i < KEY_STR_LEN; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* §2.2 + seed: the documented quickstart provision, byte for byte where documented. */
static void test_quickstart_provision_exactly_as_documented(void **state)
{
	static const char *const keys[] = {"\"tenant_id\"",          "\"tenant_secret\"",
					   "\"widget_public_key\"",  "\"tenant_name\"",
					   "\"rate_limit_per_min\"", "\"created_at\""};
	struct client_response resp;
	const char *prev, *p, *id;
	json_t *env, *data;
	size_t i;

	(void)state;
	assert_int_equal(mock_set_clock(mock_shared, T0), 0);
	assert_int_equal(admin("POST", "/api/v1/provision/tenant", SEED_BODY, &resp), 201);
	assert_string_equal(client_response_header(&resp, "Content-Type"),
			    "application/json; charset=utf-8");
	/* Envelope keys and data keys in the seed's order, nothing else in data. */
	assert_true(strncmp(resp.body, "{\"status_code\":201,\"data\":{\"tenant_id\":", 39) == 0);
	prev = resp.body;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		p = strstr(resp.body, keys[i]);
		assert_non_null(p);
		assert_true(p > prev);
		prev = p;
	}
	/* The em dash is raw UTF-8, not \u2014 (§1.2.3). */
	assert_non_null(strstr(resp.body, "\xE2\x80\x94"));
	env = client_response_json(&resp);
	assert_non_null(env);
	assert_string_equal(json_string_value(json_object_get(env, "message")), SEED_MESSAGE);
	assert_null(json_object_get(env, "success"));
	data = json_object_get(env, "data");
	assert_int_equal(json_object_size(data), 6);
	id = json_string_value(json_object_get(data, "tenant_id"));
	assert_true(ids_is_uuid(id));
	assert_int_equal(id[14], '7'); /* UUIDv7 */
	for (i = 0; i < UUID_STR_LEN; i++)
		assert_false(id[i] >= 'A' && id[i] <= 'F');
	assert_true(
		is_b64url_key(json_string_value(json_object_get(data, "tenant_secret")), "sk_"));
	assert_true(is_b64url_key(json_string_value(json_object_get(data, "widget_public_key")),
				  "pk_"));
	assert_string_equal(json_string_value(json_object_get(data, "tenant_name")),
			    "Demo Boutique");
	assert_int_equal(json_integer_value(json_object_get(data, "rate_limit_per_min")), 60);
	assert_string_equal(json_string_value(json_object_get(data, "created_at")),
			    "2026-06-21T10:00:00Z");
	json_decref(env);
	client_response_cleanup(&resp);
}

/* §2.1.2: missing, empty, wrong, duplicated key -> 401; the right one passes. */
static void test_admin_key_required_on_every_admin_route(void **state)
{
	static const char *const routes[][2] = {
		{"POST", "/api/v1/provision/tenant"},     {"POST", "/api/v1/update/tenant"},
		{"POST", "/api/v1/rotate/tenant-secret"}, {"POST", "/api/v1/rotate/widget-key"},
		{"POST", "/api/v1/suspend/tenant"},       {"POST", "/api/v1/reactivate/tenant"},
		{"GET", "/api/v1/fetch/tenant"},          {"GET", "/api/v1/fetch/tenants"},
	};
	static const char *const wrong[] = {"X-Admin-Key: test-admin-kez", NULL};
	static const char *const shorter[] = {"X-Admin-Key: test-admin-ke", NULL};
	static const char *const empty[] = {"X-Admin-Key;", NULL};
	static const char *const lower[] = {"x-admin-key: test-admin-key", NULL};
	static const char *const dup[] = {"X-Admin-Key: test-admin-key",
					  "X-Admin-Key: test-admin-key", NULL};
	const char *const *bad[] = {NULL, wrong, shorter, empty, dup};
	struct client_response resp;
	size_t r, b;

	(void)state;
	for (r = 0; r < sizeof(routes) / sizeof(routes[0]); r++) {
		for (b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			assert_int_equal(mock_call(mock_shared, routes[r][0], routes[r][1],
						   SEED_BODY, 0, bad[b], &resp),
					 0);
			assert_int_equal(mock_check_error(&resp, 401, "invalid_admin_key", NULL),
					 0);
			client_response_cleanup(&resp);
		}
	}
	/* Header names are case-insensitive. */
	assert_int_equal(
		mock_call(mock_shared, "GET", "/api/v1/fetch/tenants", NULL, 0, lower, &resp), 0);
	assert_int_equal(resp.status, 200);
	client_response_cleanup(&resp);
}

/* §2.3: every field rule has a breaking case naming the field (422). */
static void test_provision_validation_names_the_field(void **state)
{
	static const struct {
		const char *body;
		const char *field;
	} cases[] = {
		{"{}", "tenant_name"},
		{"{\"tenant_name\":\"\"}", "tenant_name"},
		{"{\"tenant_name\":\" \\t\\r\\n \"}", "tenant_name"},
		{"{\"tenant_name\":5}", "tenant_name"},
		{"{\"tenant_name\":null}", "tenant_name"},
		{"{\"tenant_name\":\"a\\u0001b\"}", "tenant_name"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":\"https://a.com\"}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[5]}", "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://u@a.com\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://a.com/app\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://*.a.com\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"null\"]}", "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://a.com:0\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://shop.demo.com/?a=1\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://shop.demo.com#x\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://shop%2Edemo.com\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://shop.demo.com \"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://shop\\t.demo.com\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"*\"]}", "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://\"]}", "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://:443\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://shop.demo.com:65536\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://shop.demo.com:80a\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"shop.demo.com\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"allowed_origins\":[\"https://shop.demo.com//\"]}",
		 "allowed_origins"},
		{"{\"tenant_name\":\"a\",\"rate_limit_per_min\":0}", "rate_limit_per_min"},
		{"{\"tenant_name\":\"a\",\"rate_limit_per_min\":10001}", "rate_limit_per_min"},
		{"{\"tenant_name\":\"a\",\"rate_limit_per_min\":\"60\"}", "rate_limit_per_min"},
		{"{\"tenant_name\":\"a\",\"rate_limit_per_min\":60.0}", "rate_limit_per_min"},
		{"{\"tenant_name\":\"a\",\"rate_limit_per_min\":true}", "rate_limit_per_min"},
		{"{\"tenant_name\":\"a\",\"callback_url_base\":\"ftp://a.com\"}",
		 "callback_url_base"},
		{"{\"tenant_name\":\"a\",\"callback_url_base\":\"https://\"}", "callback_url_base"},
		{"{\"tenant_name\":\"a\",\"callback_url_base\":\"https://a.com?x=1\"}",
		 "callback_url_base"},
		{"{\"tenant_name\":\"a\",\"callback_url_base\":\"https://u@a.com\"}",
		 "callback_url_base"},
		{"{\"tenant_name\":\"a\",\"callback_url_base\":5}", "callback_url_base"},
		{"{\"tenant_name\":\"a\",\"plan_tier\":\"\"}", "plan_tier"},
		{"{\"tenant_name\":\"a\",\"plan_tier\":null}", "plan_tier"},
		{"{\"tenant_name\":\"a\",\"monthly_msg_quota\":-1}", "monthly_msg_quota"},
		{"{\"tenant_name\":\"a\",\"monthly_msg_quota\":2147483648}", "monthly_msg_quota"},
		{"{\"tenant_name\":\"a\",\"agent_seats\":-1}", "agent_seats"},
		{"{\"tenant_name\":\"a\",\"agent_seats\":100001}", "agent_seats"},
		{"{\"tenant_name\":\"a\",\"branding_primary_color\":\"0055FF\"}",
		 "branding_primary_color"},
		{"{\"tenant_name\":\"a\",\"branding_primary_color\":\"#0055FG\"}",
		 "branding_primary_color"},
		{"{\"tenant_name\":\"a\",\"stripe_customer_id\":\"\"}", "stripe_customer_id"},
		{"{\"tenant_name\":\"a\",\"tenant_secret\":\"sk_x\"}", "tenant_secret"},
		{"{\"tenant_name\":\"a\",\"tenant_id\":\"x\"}", "tenant_id"},
		{"{\"tenant_name\":\"a\",\"widget_public_key\":\"pk_x\"}", "widget_public_key"},
		{"{\"tenant_name\":\"a\",\"status\":\"active\"}", "status"},
		{"{\"tenant_name\":\"a\",\"created_at\":\"x\"}", "created_at"},
		{"{\"tenant_name\":\"a\",\"updated_at\":\"x\"}", "updated_at"},
		/* §2.3.2: reserved keys are checked before tenant_name. */
		{"{\"status\":\"active\"}", "status"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_admin_error("POST", "/api/v1/provision/tenant", cases[i].body, 422,
				   "validation_failed", cases[i].field);
	/* Nothing was created. */
	json_t *list = admin_ok("GET", "/api/v1/fetch/tenants", NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(list, "total")), 0);
	json_decref(list);
}

/* Provisioning body answers 201 when within is true, else 422 on allowed_origins. */
static void expect_origins_within_cap(const char *body, bool within)
{
	struct client_response resp;

	admin("POST", "/api/v1/provision/tenant", body, &resp);
	if (within)
		assert_int_equal(resp.status, 201);
	else
		assert_int_equal(
			mock_check_error(&resp, 422, "validation_failed", "allowed_origins"), 0);
	client_response_cleanup(&resp);
}

/* §2.3: the edges that pass. */
static void test_provision_accepts_boundary_values(void **state)
{
	char name[256], body[1024], origins[51 * 24 + 64];
	size_t i, n;
	json_t *data;

	(void)state;
	memset(name, 'x', 200);
	name[200] = '\0';
	snprintf(body, sizeof(body), "{\"tenant_name\":\"  %s  \",\"rate_limit_per_min\":10000}",
		 name);
	data = admin_ok("POST", "/api/v1/provision/tenant", body, 201);
	assert_string_equal(json_string_value(json_object_get(data, "tenant_name")), name);
	assert_int_equal(json_integer_value(json_object_get(data, "rate_limit_per_min")), 10000);
	json_decref(data);
	/* 200 characters of 2-byte UTF-8 are 200 characters. */
	n = (size_t)snprintf(body, sizeof(body), "{\"tenant_name\":\"");
	for (i = 0; i < 200; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "\xC3\xA9");
	snprintf(body + n, sizeof(body) - n, "\",\"rate_limit_per_min\":1}");
	data = admin_ok("POST", "/api/v1/provision/tenant", body, 201);
	json_decref(data);
	/* 201 characters fail. */
	name[200] = 'y';
	name[201] = '\0';
	snprintf(body, sizeof(body), "{\"tenant_name\":\"%s\"}", name);
	expect_admin_error("POST", "/api/v1/provision/tenant", body, 422, "validation_failed",
			   "tenant_name");
	/* §3.1.5: 255 bytes pass, 256 fail. */
	for (n = 255; n <= 256; n++) {
		char origin[300];

		memset(origin, 'a', sizeof(origin));
		memcpy(origin, "https://", 8);
		origin[n] = '\0';
		snprintf(body, sizeof(body), "{\"tenant_name\":\"o\",\"allowed_origins\":[\"%s\"]}",
			 origin);
		expect_origins_within_cap(body, n == 255);
	}
	/* 50 origins pass, 51 fail (§13). */
	for (n = 0; n <= 1; n++) {
		size_t len = (size_t)snprintf(origins, sizeof(origins),
					      "{\"tenant_name\":\"o\",\"allowed_origins\":[");

		for (i = 0; i < 50 + n; i++)
			len += (size_t)snprintf(origins + len, sizeof(origins) - len,
						"%s\"https://h%zu.example\"", i ? "," : "", i);
		snprintf(origins + len, sizeof(origins) - len, "]}");
		expect_origins_within_cap(origins, n == 0);
	}
}

/* §1.5.4: bad JSON, non-object, duplicate keys, empty body -> 400. */
static void test_provision_malformed_json_is_400(void **state)
{
	static const char *const bodies[] = {
		"{",
		"[]",
		"\"x\"",
		"",
		"null",
		"{\"tenant_name\":\"a\",\"tenant_name\":\"b\"}",
		"{\"tenant_name\":\"a\"} trailing",
		"\xff\xfe",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		expect_admin_error("POST", "/api/v1/provision/tenant", bodies[i], 400,
				   "malformed_request", NULL);
	expect_admin_error("POST",
			   "/api/v1/update/tenant?tenant_id=019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
			   "[1]", 400, "malformed_request", NULL);
}

/* §2.3, §3.2, §9.1.2: stored values are normalized. */
static void test_provision_stores_normalized_fields(void **state)
{
	char path[128];
	json_t *data, *t, *o;
	struct mock_tenant tn;

	(void)state;
	assert_int_equal(
		mock_provision(
			mock_shared,
			"{\"tenant_name\":\"N\",\"allowed_origins\":[\"HTTPS://SHOP.demo.com:443/"
			"\",\"https://shop.demo.com\",\"app://bloonio_chat_flutter\",\"http://"
			"[::1]:80\"],\"callback_url_base\":\"HTTPS://cb.example/base//\","
			"\"branding_primary_color\":\"#0055ff\",\"plan_tier\":\"pro\","
			"\"monthly_msg_quota\":50000,\"agent_seats\":25,"
			"\"stripe_customer_id\":\"cus_123\",\"unknown_flag\":true}",
			&tn),
		0);
	snprintf(path, sizeof(path), "/api/v1/fetch/tenant?tenant_id=%s", tn.tenant_id);
	t = admin_ok("GET", path, NULL, 200);
	o = json_object_get(t, "allowed_origins");
	assert_int_equal(json_array_size(o), 3);
	assert_string_equal(json_string_value(json_array_get(o, 0)), "https://shop.demo.com");
	assert_string_equal(json_string_value(json_array_get(o, 1)), "app://bloonio_chat_flutter");
	assert_string_equal(json_string_value(json_array_get(o, 2)), "http://[::1]");
	assert_string_equal(json_string_value(json_object_get(t, "callback_url_base")),
			    "https://cb.example/base");
	assert_string_equal(json_string_value(json_object_get(t, "branding_primary_color")),
			    "#0055FF");
	assert_string_equal(json_string_value(json_object_get(t, "plan_tier")), "pro");
	assert_int_equal(json_integer_value(json_object_get(t, "monthly_msg_quota")), 50000);
	assert_int_equal(json_integer_value(json_object_get(t, "agent_seats")), 25);
	assert_string_equal(json_string_value(json_object_get(t, "stripe_customer_id")), "cus_123");
	assert_string_equal(json_string_value(json_object_get(t, "status")), "active");
	assert_string_equal(json_string_value(json_object_get(t, "widget_public_key")),
			    tn.widget_public_key);
	assert_null(json_object_get(t, "tenant_secret"));
	assert_null(json_object_get(t, "unknown_flag"));
	json_decref(t);
	/* Defaults (§2.3). */
	data = admin_ok("POST", "/api/v1/provision/tenant", "{\"tenant_name\":\"d\"}", 201);
	snprintf(path, sizeof(path), "/api/v1/fetch/tenant?tenant_id=%s",
		 json_string_value(json_object_get(data, "tenant_id")));
	json_decref(data);
	t = admin_ok("GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(t, "allowed_origins")), 0);
	assert_int_equal(json_integer_value(json_object_get(t, "rate_limit_per_min")), 60);
	assert_true(json_is_null(json_object_get(t, "callback_url_base")));
	assert_string_equal(json_string_value(json_object_get(t, "plan_tier")), "free");
	assert_int_equal(json_integer_value(json_object_get(t, "monthly_msg_quota")), 0);
	assert_int_equal(json_integer_value(json_object_get(t, "agent_seats")), 1);
	assert_true(json_is_null(json_object_get(t, "branding_primary_color")));
	assert_true(json_is_null(json_object_get(t, "stripe_customer_id")));
	json_decref(t);
}

/* §2.4-§2.8 + brief: ?tenant_id= missing, not a UUID, twice -> 400; unknown -> 404. */
static void test_tenant_id_parameter_rules(void **state)
{
	static const char *const routes[][2] = {
		{"POST", "/api/v1/update/tenant"},     {"POST", "/api/v1/rotate/tenant-secret"},
		{"POST", "/api/v1/rotate/widget-key"}, {"POST", "/api/v1/suspend/tenant"},
		{"POST", "/api/v1/reactivate/tenant"}, {"GET", "/api/v1/fetch/tenant"},
	};
#define TWICE_ID "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f"
	static const char *const bad[] = {
		"",
		"?tenant_id=",
		"?tenant_id=abc",
		"?tenant_id=019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0",
		"?tenant_id=" TWICE_ID
		"&tenant_id=" TWICE_ID, /* from a macro: clang -Wstring-concatenation */
	};
#undef TWICE_ID
	char path[256], upper[UUID_STR_LEN + 1];
	struct mock_tenant tn;
	size_t r, b, i;
	json_t *t;

	(void)state;
	for (r = 0; r < sizeof(routes) / sizeof(routes[0]); r++) {
		for (b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			snprintf(path, sizeof(path), "%s%s", routes[r][1], bad[b]);
			expect_admin_error(routes[r][0], path, "{}", 400, "malformed_request",
					   "tenant_id");
		}
		snprintf(path, sizeof(path), "%s?tenant_id=019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
			 routes[r][1]);
		expect_admin_error(routes[r][0], path, "{}", 404, "tenant_not_found", NULL);
	}
	/* An uppercase UUID names the same tenant. */
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"u\"}", &tn), 0);
	for (i = 0; i <= UUID_STR_LEN; i++)
		upper[i] = (tn.tenant_id[i] >= 'a' && tn.tenant_id[i] <= 'f')
				   ? (char)(tn.tenant_id[i] - 32)
				   : tn.tenant_id[i];
	snprintf(path, sizeof(path), "/api/v1/fetch/tenant?tenant_id=%s", upper);
	t = admin_ok("GET", path, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(t, "tenant_id")), tn.tenant_id);
	json_decref(t);
}

/* §2.4: partial update, nulls, reserved keys, all-or-nothing. */
static void test_update_writes_only_present_fields(void **state)
{
	char path[128], fpath[128];
	struct mock_tenant tn;
	json_t *t;

	(void)state;
	assert_int_equal(mock_set_clock(mock_shared, T0), 0);
	assert_int_equal(
		mock_provision(
			mock_shared,
			"{\"tenant_name\":\"Up\",\"callback_url_base\":\"https://cb.example\","
			"\"allowed_origins\":[\"https://a.example\"]}",
			&tn),
		0);
	snprintf(path, sizeof(path), "/api/v1/update/tenant?tenant_id=%s", tn.tenant_id);
	snprintf(fpath, sizeof(fpath), "/api/v1/fetch/tenant?tenant_id=%s", tn.tenant_id);
	assert_int_equal(mock_set_clock(mock_shared, T0 + 5000), 0);
	t = admin_ok("POST", path,
		     "{\"plan_tier\":\"pro\",\"monthly_msg_quota\":50000,\"agent_seats\":25,"
		     "\"branding_primary_color\":\"#0055FF\"}",
		     200);
	assert_string_equal(json_string_value(json_object_get(t, "tenant_name")), "Up");
	assert_string_equal(json_string_value(json_object_get(t, "plan_tier")), "pro");
	assert_string_equal(json_string_value(json_object_get(t, "callback_url_base")),
			    "https://cb.example");
	assert_int_equal(json_array_size(json_object_get(t, "allowed_origins")), 1);
	assert_string_equal(json_string_value(json_object_get(t, "created_at")),
			    "2026-06-21T10:00:00Z");
	assert_string_equal(json_string_value(json_object_get(t, "updated_at")),
			    "2026-06-21T10:00:05Z");
	assert_null(json_object_get(t, "tenant_secret"));
	json_decref(t);
	/* null clears a nullable field; {} is valid. */
	t = admin_ok("POST", path, "{\"callback_url_base\":null}", 200);
	assert_true(json_is_null(json_object_get(t, "callback_url_base")));
	json_decref(t);
	t = admin_ok("POST", path, "{}", 200);
	json_decref(t);
	/* Reserved keys and a failing field write nothing (§2.4.4). */
	expect_admin_error("POST", path, "{\"tenant_secret\":\"sk_x\"}", 422, "validation_failed",
			   "tenant_secret");
	expect_admin_error("POST", path, "{\"widget_public_key\":\"pk_x\"}", 422,
			   "validation_failed", "widget_public_key");
	expect_admin_error("POST", path, "{\"status\":\"suspended\"}", 422, "validation_failed",
			   "status");
	expect_admin_error("POST", path, "{\"tenant_id\":\"x\"}", 422, "validation_failed",
			   "tenant_id");
	expect_admin_error("POST", path, "{\"tenant_name\":null}", 422, "validation_failed",
			   "tenant_name");
	expect_admin_error("POST", path, "{\"rate_limit_per_min\":5,\"agent_seats\":-1}", 422,
			   "validation_failed", "agent_seats");
	expect_admin_error("POST", path, "", 400, "malformed_request", NULL);
	t = admin_ok("GET", fpath, NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(t, "rate_limit_per_min")), 60);
	assert_int_equal(json_integer_value(json_object_get(t, "agent_seats")), 25);
	assert_string_equal(json_string_value(json_object_get(t, "status")), "active");
	json_decref(t);
}

/* §2.5, §2.6, §2.10: rotation returns the new value once; fetch never shows the secret. */
static void test_rotation_returns_new_credentials(void **state)
{
	char path[128];
	struct mock_tenant tn;
	struct client_response resp;
	json_t *d, *env;

	(void)state;
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"R\"}", &tn), 0);
	snprintf(path, sizeof(path), "/api/v1/rotate/tenant-secret?tenant_id=%s", tn.tenant_id);
	admin("POST", path, NULL, &resp);
	env = client_response_json(&resp);
	assert_string_equal(json_string_value(json_object_get(env, "message")),
			    "Tenant secret rotated. Save it now \xE2\x80\x94 it will not be shown "
			    "again.");
	json_decref(env);
	d = mock_check_success(&resp, 200);
	client_response_cleanup(&resp);
	assert_non_null(d);
	assert_int_equal(json_object_size(d), 2);
	assert_string_equal(json_string_value(json_object_get(d, "tenant_id")), tn.tenant_id);
	assert_true(is_b64url_key(json_string_value(json_object_get(d, "tenant_secret")), "sk_"));
	assert_string_not_equal(json_string_value(json_object_get(d, "tenant_secret")),
				tn.tenant_secret);
	json_decref(d);

	snprintf(path, sizeof(path), "/api/v1/rotate/widget-key?tenant_id=%s", tn.tenant_id);
	d = admin_ok("POST", path, NULL, 200);
	assert_int_equal(json_object_size(d), 2);
	assert_true(
		is_b64url_key(json_string_value(json_object_get(d, "widget_public_key")), "pk_"));
	assert_string_not_equal(json_string_value(json_object_get(d, "widget_public_key")),
				tn.widget_public_key);
	snprintf(path, sizeof(path), "/api/v1/fetch/tenant?tenant_id=%s", tn.tenant_id);
	env = admin_ok("GET", path, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(env, "widget_public_key")),
			    json_string_value(json_object_get(d, "widget_public_key")));
	json_decref(env);
	json_decref(d);
}

/* §2.7: suspend/reactivate and their 409s. */
static void test_suspend_and_reactivate(void **state)
{
	char sp[128], rp[128], fp[128];
	struct mock_tenant tn;
	json_t *d;

	(void)state;
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"S\"}", &tn), 0);
	snprintf(sp, sizeof(sp), "/api/v1/suspend/tenant?tenant_id=%s", tn.tenant_id);
	snprintf(rp, sizeof(rp), "/api/v1/reactivate/tenant?tenant_id=%s", tn.tenant_id);
	snprintf(fp, sizeof(fp), "/api/v1/fetch/tenant?tenant_id=%s", tn.tenant_id);
	expect_admin_error("POST", rp, NULL, 409, "tenant_already_active", NULL);
	d = admin_ok("POST", sp, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(d, "status")), "suspended");
	assert_string_equal(json_string_value(json_object_get(d, "tenant_id")), tn.tenant_id);
	json_decref(d);
	expect_admin_error("POST", sp, NULL, 409, "tenant_already_suspended", NULL);
	d = admin_ok("GET", fp, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(d, "status")), "suspended");
	json_decref(d);
	d = admin_ok("POST", rp, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(d, "status")), "active");
	json_decref(d);
	expect_admin_error("POST", rp, NULL, 409, "tenant_already_active", NULL);
}

/* §2.9: pagination in creation order and its 400s. */
static void test_fetch_tenants_pagination(void **state)
{
	static const char *const bad_limit[] = {"0", "201", "-1", "abc", "", "1.5", "+5", "1e2"};
	struct mock_tenant a, b, c;
	char path[128];
	json_t *d, *items;
	size_t i;

	(void)state;
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"a\"}", &a), 0);
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"b\"}", &b), 0);
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"c\"}", &c), 0);
	d = admin_ok("GET", "/api/v1/fetch/tenants?limit=2", NULL, 200);
	items = json_object_get(d, "items");
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(items, 0), "tenant_id")),
		a.tenant_id);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(items, 1), "tenant_id")),
		b.tenant_id);
	assert_int_equal(json_integer_value(json_object_get(d, "total")), 3);
	assert_int_equal(json_integer_value(json_object_get(d, "limit")), 2);
	assert_int_equal(json_integer_value(json_object_get(d, "offset")), 0);
	json_decref(d);
	d = admin_ok("GET", "/api/v1/fetch/tenants?limit=2&offset=2", NULL, 200);
	items = json_object_get(d, "items");
	assert_int_equal(json_array_size(items), 1);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(items, 0), "tenant_id")),
		c.tenant_id);
	json_decref(d);
	d = admin_ok("GET", "/api/v1/fetch/tenants?offset=5", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(d, "items")), 0);
	assert_int_equal(json_integer_value(json_object_get(d, "limit")), 50);
	json_decref(d);
	for (i = 0; i < sizeof(bad_limit) / sizeof(bad_limit[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/fetch/tenants?limit=%s", bad_limit[i]);
		expect_admin_error("GET", path, NULL, 400, "malformed_request", "limit");
	}
	expect_admin_error("GET", "/api/v1/fetch/tenants?offset=-1", NULL, 400, "malformed_request",
			   "offset");
	expect_admin_error("GET", "/api/v1/fetch/tenants?offset=2147483648", NULL, 400,
			   "malformed_request", "offset");
	expect_admin_error("GET", "/api/v1/fetch/tenants?limit=1&limit=2", NULL, 400,
			   "malformed_request", "limit");
	d = admin_ok("GET", "/api/v1/fetch/tenants?limit=200&offset=2147483647", NULL, 200);
	json_decref(d);
}

/* §2.10: the secret appears in provision and rotate only. */
static void test_secret_never_in_fetch_or_list(void **state)
{
	struct client_response resp;
	struct mock_tenant tn;
	char path[128], secret2[KEY_STR_LEN + 1];
	json_t *d;

	(void)state;
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"Z\"}", &tn), 0);
	snprintf(path, sizeof(path), "/api/v1/rotate/tenant-secret?tenant_id=%s", tn.tenant_id);
	d = admin_ok("POST", path, NULL, 200);
	snprintf(secret2, sizeof(secret2), "%s",
		 json_string_value(json_object_get(d, "tenant_secret")));
	json_decref(d);
	snprintf(path, sizeof(path), "/api/v1/fetch/tenant?tenant_id=%s", tn.tenant_id);
	admin("GET", path, NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_null(strstr(resp.body, tn.tenant_secret));
	assert_null(strstr(resp.body, secret2));
	assert_null(strstr(resp.body, "sk_"));
	client_response_cleanup(&resp);
	admin("GET", "/api/v1/fetch/tenants", NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_null(strstr(resp.body, "sk_"));
	client_response_cleanup(&resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_quickstart_provision_exactly_as_documented,
				       mock_shared_reset),
		cmocka_unit_test_setup(test_admin_key_required_on_every_admin_route,
				       mock_shared_reset),
		cmocka_unit_test_setup(test_provision_validation_names_the_field,
				       mock_shared_reset),
		cmocka_unit_test_setup(test_provision_accepts_boundary_values, mock_shared_reset),
		cmocka_unit_test_setup(test_provision_malformed_json_is_400, mock_shared_reset),
		cmocka_unit_test_setup(test_provision_stores_normalized_fields, mock_shared_reset),
		cmocka_unit_test_setup(test_tenant_id_parameter_rules, mock_shared_reset),
		cmocka_unit_test_setup(test_update_writes_only_present_fields, mock_shared_reset),
		cmocka_unit_test_setup(test_rotation_returns_new_credentials, mock_shared_reset),
		cmocka_unit_test_setup(test_suspend_and_reactivate, mock_shared_reset),
		cmocka_unit_test_setup(test_fetch_tenants_pagination, mock_shared_reset),
		cmocka_unit_test_setup(test_secret_never_in_fetch_or_list, mock_shared_reset),
	};

	return cmocka_run_group_tests(tests, mock_shared_start, mock_shared_stop);
}
