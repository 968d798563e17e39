/*
 * ratelimit.c - the per-tenant rate limit (SPEC.md §5): 429 and its headers, what is
 * counted and what is not, the window (mock clock) and a raised limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "suite_fixtures.h"
#include "suite_http.h"

#define CREATE_CONV "/api/v1/relay/create/conversation"
#define BODY        "{\"visitor_user_id\":\"user-123\"}"

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

static bool rate_tenant(struct case_ctx *x, struct suite_tenant *t, int limit)
{
	char extra[64];

	snprintf(extra, sizeof(extra), "\"rate_limit_per_min\":%d", limit);
	return tenant_provision(x, t, extra) && rate_window_start(x);
}

/* Two more signed calls for t: the second must be over the limit (429 rate_limited). */
static bool rate_limit_reached(struct case_ctx *x, const struct suite_tenant *t)
{
	req_signed(x, t, "POST", CREATE_CONV, BODY);
	req_signed(x, t, "POST", CREATE_CONV, BODY);
	return expect_status(x, 429, "rate_limited");
}

static void ratelimit_exceeded(struct case_ctx *x)
{
	struct suite_tenant t;

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
	struct suite_tenant t;
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
	struct suite_tenant t;

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
	struct suite_tenant t;

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
	struct suite_tenant t;

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
	struct suite_tenant a, b;

	if (!rate_tenant(x, &a, 1) || !tenant_provision(x, &b, "\"rate_limit_per_min\":1"))
		return;
	if (!rate_limit_reached(x, &a))
		return;
	req_signed(x, &b, "POST", CREATE_CONV, BODY);
	expect_status(x, 201, NULL);
}

static void ratelimit_no_headers_before_step6(struct case_ctx *x)
{
	struct suite_tenant other = x->t;

	other.secret[strlen(other.secret) - 1] ^= 1;
	req_signed(x, &other, "POST", CREATE_CONV, BODY);
	if (!expect_status(x, 401, "invalid_signature"))
		return;
	expect_true(x,
		    resp_header(x, "X-RateLimit-Limit") == NULL &&
			    resp_header(x, "X-RateLimit-Remaining") == NULL,
		    "a request refused at steps 1-5 carries no rate-limit headers (§5.6)");
}

static void ratelimit_widget_not_counted(struct case_ctx *x)
{
	struct suite_tenant t;

	if (!tenant_provision(x, &t, "\"rate_limit_per_min\":1"))
		return;
	for (int i = 0; i < 3; i++) {
		req_visitor_session(x, &t);
		if (!expect_status(x, 201, NULL))
			return;
	}
	req_signed(x, &t, "POST", CREATE_CONV, BODY);
	expect_status(x, 201, NULL);
}

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
	{"ratelimit.no-headers-before-step6", "5.6", REPORT_INFERRED, NEED_TENANT,
	 "A request refused at steps 1-5 carries no rate-limit headers",
	 ratelimit_no_headers_before_step6},
	{"ratelimit.widget-not-counted", "5.2", REPORT_INFERRED, NEED_ADMIN,
	 "Widget calls are not counted against rate_limit_per_min", ratelimit_widget_not_counted},
	{NULL, NULL, 0, 0, NULL, NULL}};
