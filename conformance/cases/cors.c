/*
 * cors.c - CORS on the widget routes (SPEC.md §7.5): preflights and the actual
 * responses' Access-Control-Allow-Origin.
 */
#include <stdio.h>
#include <string.h>

#include "suite_fixtures.h"
#include "suite_http.h"

#define SESSION "/api/v1/create/visitor-session"

static long preflight(struct case_ctx *x, const char *origin)
{
	char hdr[400];
	const char *h[3] = {hdr, "Access-Control-Request-Method: POST",
			    "Access-Control-Request-Headers: content-type"};

	snprintf(hdr, sizeof(hdr), "Origin: %s", origin);
	return req_raw(x, "OPTIONS", SESSION, h, 3, NULL, 0);
}

static void cors_preflight_allowed(struct case_ctx *x)
{
	const char *acao, *vary;

	preflight(x, x->t.origin);
	if (!expect_true(x, x->resp.status == 204, "preflight from an allowed origin: 204, got %ld",
			 x->resp.status))
		return;
	acao = resp_header(x, "Access-Control-Allow-Origin");
	vary = resp_header(x, "Vary");
	expect_true(x,
		    streq(acao, x->t.origin) && vary && strstr(vary, "Origin") &&
			    resp_header(x, "Access-Control-Allow-Methods") != NULL,
		    "Access-Control-Allow-Origin: %s (never *), Vary: Origin, "
		    "Access-Control-Allow-Methods (§7.5.3)",
		    x->t.origin);
}

static void cors_preflight_refused(struct case_ctx *x)
{
	preflight(x, "https://shop.demo.com.evil.example");
	if (!expect_status(x, 403, "origin_not_allowed"))
		return;
	expect_true(x, resp_header(x, "Access-Control-Allow-Origin") == NULL,
		    "no Access-Control-Allow-Origin for a refused origin (§7.5.4)");
}

static void cors_actual_acao(struct case_ctx *x)
{
	req_visitor_session_from(x, &x->t, x->t.origin, x->t.origin);
	if (!expect_status(x, 201, NULL))
		return;
	expect_true(x, streq(resp_header(x, "Access-Control-Allow-Origin"), x->t.origin),
		    "the actual response echoes Access-Control-Allow-Origin: %s (§7.5.5)",
		    x->t.origin);
}

static void cors_never_wildcard(struct case_ctx *x)
{
	const char *acao;

	req_visitor_session_from(x, &x->t, "https://evil.example", "https://evil.example");
	acao = resp_header(x, "Access-Control-Allow-Origin");
	expect_true(x,
		    acao == NULL ||
			    (strcmp(acao, "*") != 0 && strcmp(acao, "https://evil.example") != 0),
		    "no Access-Control-Allow-Origin (and never *) for a disallowed origin, got %s",
		    acao ? acao : "(none)");
	expect_true(x, resp_header(x, "Access-Control-Allow-Credentials") == NULL,
		    "never Access-Control-Allow-Credentials (§7.5.5)");
}

const struct suite_case cases_cors[] = {
	{"cors.preflight.allowed", "7.5.3", REPORT_INFERRED, NEED_WIDGET,
	 "OPTIONS from an allowed origin: 204 with ACAO = that origin and Vary: Origin",
	 cors_preflight_allowed},
	{"cors.preflight.refused", "7.5.4", REPORT_INFERRED, NEED_WIDGET,
	 "OPTIONS from an unknown origin: 403 without CORS headers", cors_preflight_refused},
	{"cors.actual.acao", "7.5.5", REPORT_INFERRED, NEED_WIDGET,
	 "A visitor session from an allowed Origin carries ACAO = that origin", cors_actual_acao},
	{"cors.actual.never-wildcard", "7.5.5", REPORT_INFERRED, NEED_WIDGET,
	 "No ACAO (never *) and no Allow-Credentials for a disallowed origin", cors_never_wildcard},
	{NULL, NULL, 0, 0, NULL, NULL}};
