/*
 * cases_misc.c - envelopes and routing (§1), stored origins (§3.4), rate limits (§5),
 * hostile input (never a 5xx, §1.4-§1.7), and the WebSocket/callback placeholders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "suite.h"

#define CREATE_CONV "/api/v1/relay/create/conversation"
#define BODY        "{\"visitor_user_id\":\"user-123\"}"

/* ---- §1 envelopes and routing */

static void envelope_error_shape(struct case_ctx *x)
{
	req_raw(x, "GET", "/api/v1/no/such/route", NULL, 0, NULL, 0);
	if (expect_status(x, 404, "not_found"))
		expect_envelope(x);
}

static void envelope_success_shape(struct case_ctx *x)
{
	req_signed(x, &x->t, "POST", CREATE_CONV, BODY);
	if (expect_status(x, 201, NULL))
		expect_envelope(x);
}

static void envelope_no_success_key(struct case_ctx *x)
{
	req_signed(x, &x->t, "POST", CREATE_CONV, BODY);
	if (!expect_status(x, 201, NULL))
		return;
	if (json_object_get(x->json, "success") != NULL)
		case_info(x, "the envelope carries a \"success\" key (the Auth relay's form, AQS); "
			     "the chat QS example has none");
}

static void envelope_content_type(struct case_ctx *x)
{
	const char *ct;

	if (strstr(x->meta->id, ".error") != NULL)
		req_raw(x, "GET", "/api/v1/no/such/route", NULL, 0, NULL, 0);
	else
		req_signed(x, &x->t, "POST", CREATE_CONV, BODY);
	if (!expect_true(x, x->resp.status != 0, "an HTTP response"))
		return;
	ct = resp_header(x, "Content-Type");
	expect_true(x, ct != NULL && strcasecmp(ct, "application/json; charset=utf-8") == 0,
		    "Content-Type: application/json; charset=utf-8 (§1.5.1), got %s",
		    ct ? ct : "(none)");
}

static void envelope_405_allow(struct case_ctx *x)
{
	req_raw(x, "DELETE", "/api/v1/provision/tenant", NULL, 0, NULL, 0);
	if (!expect_status(x, 405, "method_not_allowed"))
		return;
	expect_true(x, streq(resp_header(x, "Allow"), "POST"), "Allow: POST (§1.6.2), got %s",
		    resp_header(x, "Allow") ? resp_header(x, "Allow") : "(none)");
	expect_envelope(x);
}

static void envelope_trailing_slash(struct case_ctx *x)
{
	req_raw(x, "POST", "/api/v1/provision/tenant/", NULL, 0, "{}", 2);
	expect_status(x, 404, "not_found");
}

static void envelope_path_case(struct case_ctx *x)
{
	req_raw(x, "POST", "/API/v1/provision/tenant", NULL, 0, "{}", 2);
	expect_status(x, 404, "not_found");
}

static void envelope_404_before_auth(struct case_ctx *x)
{
	req_raw(x, "GET", "/api/v1/relay/no-such-thing", NULL, 0, NULL, 0);
	expect_status(x, 404, "not_found");
}

static void envelope_console_not_mocked(struct case_ctx *x)
{
	req_raw(x, "POST", "/api/v1/console/login", NULL, 0, "{}", 2);
	if (x->resp.status == 404)
		return;
	case_info(x, "the target serves /api/v1/console/* (status %ld): not covered by this suite",
		  x->resp.status);
}

/* ---- §3.4 stored origins refused */

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

/* ---- §5 rate limits: a tenant provisioned with rate_limit_per_min 3 */

/* Aligns to the start of a rate window: freezes the mock clock, or waits out the minute's end. */
static bool rate_window_start(struct case_ctx *x)
{
	int64_t now = relay_now_ms(x);

	if (x->s->is_mock)
		return mock_clock_set(x, (now / 60000 + 1) * 60000 + 1000);
	if (now % 60000 > 45000) {
		struct timespec ts = {.tv_sec = (60000 - now % 60000) / 1000 + 1, .tv_nsec = 0};

		nanosleep(&ts, NULL);
	}
	return true;
}

static bool rate_tenant(struct case_ctx *x, struct tenant *t, int limit)
{
	char extra[64];

	snprintf(extra, sizeof(extra), "\"rate_limit_per_min\":%d", limit);
	return tenant_provision(x, t, extra) && rate_window_start(x);
}

/* Two more signed calls for t: the second must be over the limit (429 rate_limited). */
static bool rate_limit_reached(struct case_ctx *x, const struct tenant *t)
{
	req_signed(x, t, "POST", CREATE_CONV, BODY);
	req_signed(x, t, "POST", CREATE_CONV, BODY);
	return expect_status(x, 429, "rate_limited");
}

static void ratelimit_exceeded(struct case_ctx *x)
{
	struct tenant t;

	if (!rate_tenant(x, &t, 3))
		return;
	for (int i = 0; i < 3; i++) {
		req_signed(x, &t, "POST", CREATE_CONV, BODY);
		if (!expect_status(x, 201, NULL))
			return;
	}
	req_signed(x, &t, "POST", CREATE_CONV, BODY);
	expect_status(x, 429, "rate_limited");
}

static void ratelimit_headers(struct case_ctx *x)
{
	struct tenant t;
	const char *lim, *rem, *reset, *retry;
	int64_t now;

	if (!rate_tenant(x, &t, 2))
		return;
	req_signed(x, &t, "POST", CREATE_CONV, BODY);
	if (!expect_status(x, 201, NULL))
		return;
	lim = resp_header(x, "X-RateLimit-Limit");
	rem = resp_header(x, "X-RateLimit-Remaining");
	if (!expect_true(x, streq(lim, "2") && streq(rem, "1"),
			 "X-RateLimit-Limit: 2, X-RateLimit-Remaining: 1 after the first call "
			 "(§5.5)"))
		return;
	if (!rate_limit_reached(x, &t))
		return;
	now = relay_now_ms(x);
	reset = resp_header(x, "X-RateLimit-Reset");
	retry = resp_header(x, "Retry-After");
	expect_true(x,
		    streq(resp_header(x, "X-RateLimit-Remaining"), "0") && retry &&
			    atol(retry) >= 1 && atol(retry) <= 60 && reset &&
			    atoll(reset) * 1000 > now && atoll(reset) * 1000 <= now + 61000,
		    "429 with Retry-After 1-60 s, X-RateLimit-Remaining: 0, X-RateLimit-Reset the "
		    "window end in Unix seconds (§5.5)");
}

static void ratelimit_admin_not_counted(struct case_ctx *x)
{
	struct tenant t;

	if (!rate_tenant(x, &t, 1))
		return;
	for (int i = 0; i < 3; i++) {
		req_admin_tenant(x, "GET", "fetch/tenant", &t, NULL);
		if (!expect_status(x, 200, NULL))
			return;
	}
	req_signed(x, &t, "POST", CREATE_CONV, BODY);
	expect_status(x, 201, NULL);
}

static void ratelimit_window_resets(struct case_ctx *x)
{
	struct tenant t;

	if (!rate_tenant(x, &t, 1))
		return;
	if (!rate_limit_reached(x, &t))
		return;
	if (!mock_clock_advance(x, 60000))
		return;
	req_signed(x, &t, "POST", CREATE_CONV, BODY);
	expect_status(x, 201, NULL);
}

static void ratelimit_update_applies(struct case_ctx *x)
{
	struct tenant t;

	if (!rate_tenant(x, &t, 1))
		return;
	if (!rate_limit_reached(x, &t))
		return;
	req_admin_tenant(x, "POST", "update/tenant", &t, "{\"rate_limit_per_min\":100}");
	if (!expect_status(x, 200, NULL))
		return;
	req_signed(x, &t, "POST", CREATE_CONV, BODY);
	expect_status(x, 201, NULL);
}

static void ratelimit_per_tenant(struct case_ctx *x)
{
	struct tenant a, b;

	if (!rate_tenant(x, &a, 1) || !tenant_provision(x, &b, "\"rate_limit_per_min\":1"))
		return;
	if (!rate_limit_reached(x, &a))
		return;
	req_signed(x, &b, "POST", CREATE_CONV, BODY);
	expect_status(x, 201, NULL);
}

/* ---- hostile input: never a 5xx (§1.4), the right 4xx */

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

const struct suite_case cases_envelope[] = {
	{"envelope.error.shape", "1.3.1", REPORT_INFERRED, 0,
	 "Errors use {status_code, data: null, message, error: {code}} and JSON content type",
	 envelope_error_shape},
	{"envelope.success.shape", "1.2.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "Successes use {status_code = HTTP status, data: {...}, message} (QS)",
	 envelope_success_shape},
	{"envelope.success.no-success-key", "1.2.2", REPORT_INFERRED, NEED_TENANT,
	 "Observation: does the envelope add the Auth relay's \"success\" key?",
	 envelope_no_success_key},
	{"envelope.content-type.success", "1.5.1", REPORT_INFERRED, NEED_TENANT,
	 "A success response is Content-Type: application/json; charset=utf-8",
	 envelope_content_type},
	{"envelope.content-type.error", "1.5.1", REPORT_INFERRED, 0,
	 "An error response is Content-Type: application/json; charset=utf-8",
	 envelope_content_type},
	{"envelope.routing.405-allow", "1.6.2", REPORT_INFERRED, 0,
	 "A known path with another method is 405 with Allow", envelope_405_allow},
	{"envelope.routing.trailing-slash", "1.6.1", REPORT_INFERRED, 0,
	 "Paths match exactly: a trailing slash is 404", envelope_trailing_slash},
	{"envelope.routing.case-sensitive", "1.6.1", REPORT_INFERRED, 0,
	 "Paths are case-sensitive: /API/v1/... is 404", envelope_path_case},
	{"envelope.routing.404-before-auth", "1.6.1", REPORT_INFERRED, 0,
	 "An unknown /relay/ path is 404 before any authentication", envelope_404_before_auth},
	{"envelope.routing.console", "1.6", REPORT_INFERRED, 0,
	 "Observation: is /api/v1/console/* served?", envelope_console_not_mocked},
	{NULL, NULL, 0, 0, NULL, NULL}};

#define BO(id, title)                                                                              \
	{                                                                                          \
		id, "3.4", REPORT_INFERRED, NEED_ADMIN, title, origin_store_refused                \
	}

const struct suite_case cases_origin[] = {
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

const struct suite_case cases_ratelimit[] = {
	{"ratelimit.exceeded", "5.1", REPORT_DOCUMENTED, NEED_ADMIN,
	 "Over rate_limit_per_min, signed calls get 429 (QS, ERR)", ratelimit_exceeded},
	{"ratelimit.headers", "5.5", REPORT_INFERRED, NEED_ADMIN,
	 "X-RateLimit-Limit/-Remaining/-Reset and Retry-After", ratelimit_headers},
	{"ratelimit.admin-not-counted", "5.2", REPORT_INFERRED, NEED_ADMIN,
	 "Admin calls are not counted against the tenant's limit", ratelimit_admin_not_counted},
	{"ratelimit.per-tenant", "5.2", REPORT_INFERRED, NEED_ADMIN,
	 "One tenant's limit does not affect another's", ratelimit_per_tenant},
	{"ratelimit.update-applies", "2.4.5", REPORT_INFERRED, NEED_ADMIN,
	 "A raised rate_limit_per_min applies from the next request", ratelimit_update_applies},
	{"ratelimit.window-resets", "5.3", REPORT_INFERRED, NEED_ADMIN | NEED_MOCK,
	 "The count restarts in the next 60 s window (mock clock)", ratelimit_window_resets},
	{NULL, NULL, 0, 0, NULL, NULL}};

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
