/*
 * origin.c - stored origins (SPEC.md §3): normalized on update, refused when they are
 * not an origin (§3.4) or too long.
 */
#include <stdio.h>
#include <string.h>

#include "suite_fixtures.h"
#include "suite_http.h"

static void origin_store_normalized(struct case_ctx *x)
{
	json_t *o;

	req_admin_tenant(
		x, "POST", "update/tenant", &x->t,
		"{\"allowed_origins\":[\"https://SHOP.demo.com:443/\",\"APP://bloonio_chat_"
		"flutter\",\"http://[::1]:80\",\"https://shop.demo.com\"]}");
	if (!expect_status(x, 200, NULL))
		return;
	o = json_object_get(resp_data(x), "allowed_origins");
	expect_true(
		x,
		json_array_size(o) == 3 &&
			streq(json_string_value(json_array_get(o, 0)), "https://shop.demo.com") &&
			streq(json_string_value(json_array_get(o, 1)),
			      "app://bloonio_chat_flutter") &&
			streq(json_string_value(json_array_get(o, 2)), "http://[::1]"),
		"stored origins normalized, duplicates dropped in first-seen order (§2.3, "
		"§3.2): [https://shop.demo.com, app://bloonio_chat_flutter, http://[::1]]");
}

static const struct {
	const char *id, *origin;
} bad_origins[] = {
	{"origin.store.userinfo", "https://user@shop.demo.com"},
	{"origin.store.path", "https://shop.demo.com/app"},
	{"origin.store.query", "https://shop.demo.com/?a=1"},
	{"origin.store.fragment", "https://shop.demo.com#x"},
	{"origin.store.percent", "https://shop%2Edemo.com"},
	{"origin.store.whitespace", "https://shop.demo.com "},
	{"origin.store.wildcard", "https://*.demo.com"},
	{"origin.store.null", "null"},
	{"origin.store.empty-host", "https://"},
	{"origin.store.port-zero", "https://shop.demo.com:0"},
	{"origin.store.port-65536", "https://shop.demo.com:65536"},
	{"origin.store.no-scheme", "shop.demo.com"},
};

static void origin_store_refused(struct case_ctx *x)
{
	char body[512];
	const char *field;

	for (size_t i = 0; i < sizeof(bad_origins) / sizeof(bad_origins[0]); i++) {
		if (strcmp(bad_origins[i].id, x->meta->id) != 0)
			continue;
		snprintf(body, sizeof(body), "{\"tenant_name\":\"x\",\"allowed_origins\":[\"%s\"]}",
			 bad_origins[i].origin);
		req_admin(x, "POST", "/api/v1/provision/tenant", body);
		if (!expect_status(x, 422, "validation_failed"))
			return;
		field = resp_error_field(x);
		expect_true(x, streq(field, "allowed_origins"), "error.field \"allowed_origins\"");
	}
}

static void origin_store_too_long(struct case_ctx *x)
{
	char body[1024], host[300];

	memset(host, 'a', 250);
	host[250] = '\0';
	snprintf(body, sizeof(body), "{\"tenant_name\":\"x\",\"allowed_origins\":[\"https://%s\"]}",
		 host);
	req_admin(x, "POST", "/api/v1/provision/tenant", body);
	expect_status(x, 422, "validation_failed");
}

#define BO(id, title)                                                                              \
	{                                                                                          \
		id, "3.4", REPORT_INFERRED, NEED_ADMIN, title, origin_store_refused                \
	}

const struct suite_case cases_origin[] = {
	{"origin.store.normalized", "3.3.2", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "Stored origins are normalized, duplicates dropped", origin_store_normalized},
	BO("origin.store.userinfo", "A stored origin with userinfo is 422"),
	BO("origin.store.path", "A stored origin with a path is 422"),
	BO("origin.store.query", "A stored origin with a query is 422"),
	BO("origin.store.fragment", "A stored origin with a fragment is 422"),
	BO("origin.store.percent", "A stored origin with percent-encoding is 422"),
	BO("origin.store.whitespace", "A stored origin with whitespace is 422"),
	BO("origin.store.wildcard", "A stored wildcard origin is 422"),
	BO("origin.store.null", "The stored origin null is 422"),
	BO("origin.store.empty-host", "A stored origin without host is 422"),
	BO("origin.store.port-zero", "A stored origin with port 0 is 422"),
	BO("origin.store.port-65536", "A stored origin with port 65536 is 422"),
	BO("origin.store.no-scheme", "A stored origin without scheme is 422"),
	{"origin.store.too-long", "3.1.5", REPORT_INFERRED, NEED_ADMIN,
	 "A stored origin over 255 bytes is 422", origin_store_too_long},
	{NULL, NULL, 0, 0, NULL, NULL}};
