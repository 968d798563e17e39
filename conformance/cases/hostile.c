/*
 * hostile.c - hostile input (SPEC.md §1.4-§1.7): never a 5xx, always the right 4xx
 * with an envelope (bad JSON, huge bodies, long or odd paths and queries, unknown
 * methods, garbage headers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "suite_fixtures.h"
#include "suite_http.h"

#define CREATE_CONV "/api/v1/relay/create/conversation"
#define BODY        "{\"visitor_user_id\":\"user-123\"}"

static void hostile_signed(struct case_ctx *x, const char *body, size_t len, long status,
			   const char *code)
{
	char ts[32];
	struct signed_parts p;

	snprintf(ts, sizeof(ts), "%lld", (long long)relay_now_ms(x));
	if (!sign_parts(x, &x->t, ts, body, len, &p))
		return;
	req_parts(x, &p, "POST", CREATE_CONV, body, len);
	if (expect_no_5xx(x))
		expect_status(x, status, code);
}

/* a body literal and its length (it may hold a NUL) */
#define JB(s) s, sizeof(s) - 1

static void hostile_json(struct case_ctx *x)
{
	static const struct {
		const char *id, *body;
		size_t len;
		long status;
		const char *code;
	} t[] = {
		{"hostile.json.truncated", JB("{\"visitor_user_id\":"), 400, "malformed_request"},
		{"hostile.json.not-object", JB("[\"user-123\"]"), 400, "malformed_request"},
		{"hostile.json.empty-body", JB(""), 400, "malformed_request"},
		{"hostile.json.duplicate-keys",
		 JB("{\"visitor_user_id\":\"a\",\"visitor_user_id\":\"b\"}"), 400,
		 "malformed_request"},
		{"hostile.json.escaped-nul", JB("{\"visitor_user_id\":\"a\\u0000b\"}"), 400,
		 "malformed_request"},
		{"hostile.json.raw-nul", JB("{\"visitor_user_id\":\"a\0b\"}"), 400,
		 "malformed_request"},
		{"hostile.json.invalid-utf8", JB("{\"visitor_user_id\":\"\xc3\x28\"}"), 400,
		 "malformed_request"},
		{"hostile.json.wrong-type", JB("{\"visitor_user_id\":123}"), 422,
		 "validation_failed"},
		{"hostile.json.null-required", JB("{\"visitor_user_id\":null}"), 422,
		 "validation_failed"},
		{"hostile.json.control-chars", JB("{\"visitor_user_id\":\"a\\u0007b\"}"), 422,
		 "validation_failed"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].id, x->meta->id) == 0)
			hostile_signed(x, t[i].body, t[i].len, t[i].status, t[i].code);
}

static void hostile_deep_nesting(struct case_ctx *x)
{
	size_t n = 20000;
	char *body = malloc(2 * n + 32);

	if (body == NULL)
		return;
	memcpy(body, "{\"metadata\":", 12);
	memset(body + 12, '[', n);
	memset(body + 12 + n, ']', n);
	body[12 + 2 * n] = '}';
	req_raw(x, "POST", "/api/v1/create/visitor-session", NULL, 0, body, 13 + 2 * n);
	free(body);
	expect_no_5xx(x);
}

static void hostile_huge_body(struct case_ctx *x)
{
	size_t n = 70000;
	char *body = malloc(n);
	const char *path = strcmp(x->meta->id, "hostile.body.huge-relay") == 0
				   ? CREATE_CONV
				   : "/api/v1/create/visitor-session";

	if (body == NULL)
		return;
	memset(body, ' ', n);
	body[0] = '{';
	body[n - 1] = '}';
	req_raw(x, "POST", path, NULL, 0, body, n);
	free(body);
	if (expect_no_5xx(x))
		expect_status(x, 413, "payload_too_large");
}

static void hostile_body_at_cap(struct case_ctx *x)
{
	/* exactly 65536 bytes: not 413 (§1.7.1: "over 65,536") */
	size_t n = 65536;
	char *body = malloc(n);

	if (body == NULL)
		return;
	memset(body, ' ', n);
	memcpy(body, BODY, strlen(BODY));
	hostile_signed(x, body, n, 201, NULL);
	free(body);
}

static void hostile_query_long(struct case_ctx *x)
{
	static const char head[] = "/api/v1/fetch/widget-config?tenant_id=x&pad=";
	size_t n = 5000;
	char *path = malloc(sizeof(head) + n);

	if (path == NULL)
		return;
	memcpy(path, head, sizeof(head) - 1);
	memset(path + sizeof(head) - 1, 'a', n);
	path[sizeof(head) - 1 + n] = '\0';
	req_raw(x, "GET", path, NULL, 0, NULL, 0);
	free(path);
	if (expect_no_5xx(x))
		expect_status(x, 400, "malformed_request");
}

static void hostile_query_duplicate(struct case_ctx *x)
{
	req_admin(x, "GET", "/api/v1/fetch/tenant?tenant_id=a&tenant_id=b", NULL);
	if (expect_no_5xx(x))
		expect_status(x, 400, "malformed_request");
}

static void hostile_path(struct case_ctx *x)
{
	static const struct {
		const char *id, *path;
	} t[] = {
		{"hostile.path.percent-nul", "/api/v1/provision%00/tenant"},
		{"hostile.path.control-bytes", "/api/v1/%01%02%7f"},
		{"hostile.path.dot-segments", "/api/v1/%2e%2e/v1/provision/tenant"},
		{"hostile.path.invalid-utf8", "/api/v1/%c3%28"},
		{"hostile.path.double-slash", "/api/v1//provision/tenant"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].id, x->meta->id) == 0) {
			req_raw(x, "POST", t[i].path, NULL, 0, "{}", 2);
			if (expect_no_5xx(x))
				expect_true(x, x->resp.status == 404 || x->resp.status == 400,
					    "404 not_found (or 400) for an odd path, got %ld",
					    x->resp.status);
		}
}

static void hostile_path_long(struct case_ctx *x)
{
	size_t n = 3000;
	char *path = malloc(n + 16);

	if (path == NULL)
		return;
	strcpy(path, "/api/v1/");
	memset(path + 8, 'a', n);
	path[8 + n] = '\0';
	req_raw(x, "GET", path, NULL, 0, NULL, 0);
	free(path);
	if (expect_no_5xx(x))
		expect_status(x, 404, "not_found");
}

static void hostile_method(struct case_ctx *x)
{
	const char *m = strstr(x->meta->id, "brew") ? "BREW" : "PATCH";

	req_raw(x, m, "/api/v1/relay/create/conversation", NULL, 0, NULL, 0);
	if (expect_no_5xx(x))
		expect_status(x, 405, "method_not_allowed");
}

static void hostile_admin_json(struct case_ctx *x)
{
	req_admin(x, "POST", "/api/v1/provision/tenant", "{\"tenant_name\":");
	if (expect_no_5xx(x))
		expect_status(x, 400, "malformed_request");
}

static void hostile_widget_types(struct case_ctx *x)
{
	const char *body = "{\"tenant_id\":[],\"widget_public_key\":{},\"origin\":7}";
	const char *h[] = {"Content-Type: application/json"};

	req_raw(x, "POST", "/api/v1/create/visitor-session", h, 1, body, strlen(body));
	if (expect_no_5xx(x))
		expect_status(x, 422, "validation_failed");
}

static void hostile_header_garbage(struct case_ctx *x)
{
	const char *h[] = {"X-Bloonio-Tenant-Id: \x01\x02",
			   "X-Bloonio-Timestamp: 99999999999999999999999",
			   "X-Bloonio-Signature: zz"};

	req_raw(x, "POST", CREATE_CONV, h, 3, BODY, strlen(BODY));
	if (expect_no_5xx(x))
		expect_status(x, 401, "missing_signature");
}

#define HJ(id, sec, title)                                                                         \
	{                                                                                          \
		id, sec, REPORT_INFERRED, NEED_TENANT, title, hostile_json                         \
	}

const struct suite_case cases_hostile[] = {
	HJ("hostile.json.truncated", "1.5.4", "Truncated JSON is 400 malformed_request"),
	HJ("hostile.json.not-object", "1.5.4", "A top-level array is 400"),
	HJ("hostile.json.empty-body", "1.5.4", "An empty body where JSON is required is 400"),
	HJ("hostile.json.duplicate-keys", "1.5.4", "Duplicate keys are 400"),
	HJ("hostile.json.escaped-nul", "1.5.4", "\\u0000 in a string is 400"),
	HJ("hostile.json.raw-nul", "1.5.4", "A raw NUL byte in the body is 400"),
	HJ("hostile.json.invalid-utf8", "1.5.4", "Invalid UTF-8 in the body is 400"),
	HJ("hostile.json.wrong-type", "1.5.5", "A number where a string is required is 422"),
	HJ("hostile.json.null-required", "1.5.5", "null for a required string is 422"),
	HJ("hostile.json.control-chars", "6.1.1", "A control char in visitor_user_id is 422"),
	{"hostile.json.deep-nesting", "1.5.4", REPORT_INFERRED, 0,
	 "20,000 nested arrays never cause a 5xx", hostile_deep_nesting},
	{"hostile.body.huge-relay", "1.7.1", REPORT_INFERRED, 0,
	 "A 70,000-byte body to a relay route is 413 payload_too_large", hostile_huge_body},
	{"hostile.body.huge-widget", "1.7.1", REPORT_INFERRED, 0,
	 "A 70,000-byte body to a widget route is 413 payload_too_large", hostile_huge_body},
	{"hostile.body.at-cap", "1.7.1", REPORT_INFERRED, NEED_TENANT,
	 "A body of exactly 65,536 bytes is accepted", hostile_body_at_cap},
	{"hostile.query.too-long", "1.7.2", REPORT_INFERRED, 0, "A query string over 4 KiB is 400",
	 hostile_query_long},
	{"hostile.query.duplicate", "1.6.4", REPORT_INFERRED, NEED_ADMIN,
	 "A query parameter given twice is 400", hostile_query_duplicate},
	{"hostile.path.percent-nul", "1.6.1", REPORT_INFERRED, 0, "%00 in a path: 404, no 5xx",
	 hostile_path},
	{"hostile.path.control-bytes", "1.6.1", REPORT_INFERRED, 0,
	 "Encoded control bytes in a path: 404, no 5xx", hostile_path},
	{"hostile.path.dot-segments", "1.6.1", REPORT_INFERRED, 0,
	 "Dot segments are not resolved into a route", hostile_path},
	{"hostile.path.invalid-utf8", "1.6.1", REPORT_INFERRED, 0,
	 "Invalid UTF-8 in a path: 404, no 5xx", hostile_path},
	{"hostile.path.double-slash", "1.6.1", REPORT_INFERRED, 0,
	 "A double slash is not folded into a route", hostile_path},
	{"hostile.path.long", "1.6.1", REPORT_INFERRED, 0, "A 3,000-byte path is 404, no 5xx",
	 hostile_path_long},
	{"hostile.method.patch", "1.6.2", REPORT_INFERRED, 0, "PATCH on a relay route is 405",
	 hostile_method},
	{"hostile.method.brew", "1.6.2", REPORT_INFERRED, 0,
	 "An unknown method (BREW) on a relay route is 405, no 5xx", hostile_method},
	{"hostile.admin.malformed-json", "2.1.4", REPORT_INFERRED, NEED_ADMIN,
	 "Malformed JSON to provision is 400", hostile_admin_json},
	{"hostile.widget.wrong-types", "7.1.2", REPORT_INFERRED, 0,
	 "Arrays/objects/numbers for widget string fields are 422", hostile_widget_types},
	{"hostile.headers.garbage", "4.1.3", REPORT_INFERRED, 0,
	 "Control bytes, a 23-digit timestamp and a short signature are 401 missing_signature",
	 hostile_header_garbage},
	{NULL, NULL, 0, 0, NULL, NULL}};
