/*
 * widget.c - visitor sessions, origins as presented, the visitor JWT, refresh and
 * widget-config (SPEC.md §3, §7); CORS is cors.c.
 */
#include <stdio.h>
#include <string.h>

#include "suite_fixtures.h"
#include "suite_http.h"

#define SESSION         "/api/v1/create/visitor-session"
#define REFRESH         "/api/v1/refresh/visitor-token"
#define SESSION_MESSAGE "Visitor session created."

static void widget_session_create(struct case_ctx *x)
{
	json_t *cfg;

	req_visitor_session_from(x, &x->t, x->t.origin, NULL);
	if (!expect_status(x, 201, NULL) || !expect_envelope(x))
		return;
	cfg = json_object_get(resp_data(x), "widget_config");
	expect_true(
		x,
		data_str(x, "session_id") && strncmp(data_str(x, "session_id"), "vs_", 3) == 0 &&
			data_str(x, "visitor_token") && data_str(x, "expires_at") &&
			json_is_string(json_object_get(cfg, "tenant_name")) &&
			json_is_boolean(json_object_get(cfg, "is_online")),
		"data {session_id vs_..., visitor_token, expires_at, widget_config {tenant_name, "
		"is_online}} (WS)");
}

static void widget_session_message(struct case_ctx *x)
{
	req_visitor_session_from(x, &x->t, x->t.origin, NULL);
	if (!expect_status(x, 201, NULL))
		return;
	expect_true(x,
		    streq(json_string_value(json_object_get(x->json, "message")), SESSION_MESSAGE),
		    "message exactly \"%s\" (WS)", SESSION_MESSAGE);
}

/* Presented origins, by case id: body origin, expected status (201 or 403). */
static const struct {
	const char *id, *origin;
	long status;
} presented[] = {
	{"widget.session.origin-not-allowed", "https://evil.example", 403},
	{"widget.origin.lookalike-suffix", "https://shop.demo.com.evil.example", 403},
	{"widget.origin.lookalike-prefix", "https://evilshop.demo.com", 403},
	{"widget.origin.scheme-differs", "http://shop.demo.com", 403},
	{"widget.origin.port-differs", "https://shop.demo.com:8443", 403},
	{"widget.origin.trailing-dot", "https://shop.demo.com.", 403},
	{"widget.origin.userinfo", "https://user@shop.demo.com", 403},
	{"widget.origin.path", "https://shop.demo.com/app", 403},
	{"widget.origin.wildcard", "*", 403},
	{"widget.origin.null", "null", 403},
	{"widget.origin.normalized-match", "https://SHOP.demo.com:443/", 201},
	{"widget.origin.custom-scheme", "app://bloonio_chat_flutter", 201},
};

static void widget_origin(struct case_ctx *x)
{
	for (size_t i = 0; i < sizeof(presented) / sizeof(presented[0]); i++) {
		if (strcmp(presented[i].id, x->meta->id) != 0)
			continue;
		req_visitor_session_from(x, &x->t, presented[i].origin, NULL);
		if (presented[i].status == 201)
			expect_status(x, 201, NULL);
		else if (x->meta->prov == REPORT_DOCUMENTED)
			expect_status(x, 403, "origin_not_allowed");
		else
			expect_status(x, 403, "origin_not_allowed");
	}
}

static void widget_origin_header_mismatch(struct case_ctx *x)
{
	req_visitor_session_from(x, &x->t, x->t.origin, "https://evil.example");
	expect_status(x, 403, "origin_not_allowed");
}

static void widget_origin_header_match(struct case_ctx *x)
{
	req_visitor_session_from(x, &x->t, x->t.origin, x->t.origin);
	expect_status(x, 201, NULL);
}

static void widget_session_bad_key(struct case_ctx *x)
{
	char saved[sizeof(x->t.widget_key)];

	snprintf(saved, sizeof(saved), "%s", x->t.widget_key);
	snprintf(x->t.widget_key, sizeof(x->t.widget_key), "pk_%043d", 0);
	req_visitor_session_from(x, &x->t, x->t.origin, NULL);
	snprintf(x->t.widget_key, sizeof(x->t.widget_key), "%s", saved);
	expect_status(x, 401, "invalid_widget_key");
}

static void widget_session_unknown_tenant(struct case_ctx *x)
{
	snprintf(x->t.id, sizeof(x->t.id), "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f");
	req_visitor_session_from(x, &x->t, x->t.origin, NULL);
	expect_status(x, 401, "invalid_widget_key");
}

static void widget_session_get(struct case_ctx *x)
{
	req_raw(x, "GET", SESSION, NULL, 0, NULL, 0);
	if (expect_status(x, 405, "method_not_allowed"))
		expect_true(x, resp_header(x, "Allow") != NULL, "an Allow header with the 405");
}

static void widget_session_missing_origin(struct case_ctx *x)
{
	char body[512];
	const char *h[] = {"Content-Type: application/json"};

	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\",\"widget_public_key\":\"%s\"}", x->t.id,
		 x->t.widget_key);
	req_raw(x, "POST", SESSION, h, 1, body, strlen(body));
	expect_status(x, 422, "validation_failed");
}

static void widget_session_suspended(struct case_ctx *x)
{
	if (!tenant_action(x, &x->t, "suspend/tenant"))
		return;
	req_visitor_session_from(x, &x->t, x->t.origin, NULL);
	expect_status(x, 403, "tenant_suspended");
}

/* ---- §7.2 JWT */

static void widget_jwt_shape(struct case_ctx *x)
{
	const char *tok;
	json_t *hdr = NULL, *claims = NULL;

	req_visitor_session_from(x, &x->t, x->t.origin, NULL);
	if (!expect_status(x, 201, NULL))
		return;
	tok = data_str(x, "visitor_token");
	if (!expect_true(x, jwt_segments(tok) == 3, "visitor_token: 3 base64url parts"))
		return;
	hdr = jwt_part(tok, 0);
	claims = jwt_part(tok, 1);
	expect_true(x,
		    streq(json_string_value(json_object_get(hdr, "alg")), "HS256") &&
			    streq(json_string_value(json_object_get(claims, "tid")), x->t.id) &&
			    streq(json_string_value(json_object_get(claims, "sid")),
				  data_str(x, "session_id")) &&
			    json_is_integer(json_object_get(claims, "exp")) &&
			    json_is_integer(json_object_get(claims, "iat")),
		    "header alg HS256; claims tid = tenant_id, sid = session_id, integer iat/exp "
		    "(§7.2.1)");
	json_decref(hdr);
	json_decref(claims);
}

static void widget_jwt_one_hour(struct case_ctx *x)
{
	int64_t now = relay_now_ms(x), exp_ms;
	const char *e;

	req_visitor_session_from(x, &x->t, x->t.origin, NULL);
	if (!expect_status(x, 201, NULL))
		return;
	e = data_str(x, "expires_at");
	if (!expect_true(x, e && ids_parse_rfc3339(e, &exp_ms), "expires_at in RFC 3339"))
		return;
	expect_true(x, exp_ms - now > 3300000 && exp_ms - now < 3900000,
		    "visitor token lifetime ~1 h (WS): expires_at %s", e);
}

/* ---- §7.4 refresh */

static void widget_refresh_same_session(struct case_ctx *x)
{
	char tok[4096], sid[128];

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	req_refresh(x, tok);
	if (!expect_status(x, 200, NULL))
		return;
	expect_true(x, streq(data_str(x, "session_id"), sid) && data_str(x, "visitor_token"),
		    "refresh resumes the same session with a new token (WS)");
}

static void widget_refresh_expired(struct case_ctx *x)
{
	char tok[4096], sid[128];

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	if (!mock_clock_set(x, relay_now_ms(x) + 2 * 3600 * 1000))
		return;
	req_refresh(x, tok);
	if (!expect_status(x, 200, NULL))
		return;
	expect_true(x, streq(data_str(x, "session_id"), sid),
		    "an expired token (mock clock +2 h) still refreshes the same session (WS)");
}

static void widget_refresh_30_days(struct case_ctx *x)
{
	char tok[4096], sid[128];

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	if (!mock_clock_set(x, relay_now_ms(x) + 2592000000LL + 1000))
		return;
	req_refresh(x, tok);
	expect_status(x, 401, "session_expired");
}

static void widget_refresh_no_bearer(struct case_ctx *x)
{
	req_raw(x, "POST", REFRESH, NULL, 0, NULL, 0);
	expect_status(x, 401, "invalid_token");
}

static void widget_refresh_garbage(struct case_ctx *x)
{
	req_refresh(x, "not.a.jwt");
	expect_status(x, 401, "invalid_token");
}

static void widget_refresh_alg_none(struct case_ctx *x)
{
	char tok[4096], sid[128], forged[4096], hdr_b64[64];
	const char *dot;
	static const char hdr[] = "{\"alg\":\"none\",\"typ\":\"JWT\"}";

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	dot = strchr(tok, '.');
	if (!expect_true(x, dot != NULL, "a JWT visitor_token"))
		return;
	if (ids_base64url((const unsigned char *)hdr, strlen(hdr), hdr_b64, sizeof(hdr_b64)) == 0)
		return;
	/* same claims, alg none, no signature */
	snprintf(forged, sizeof(forged), "%s.%.*s.", hdr_b64,
		 (int)(strchr(dot + 1, '.') ? strchr(dot + 1, '.') - dot - 1 : 0), dot + 1);
	req_refresh(x, forged);
	expect_status(x, 401, "invalid_token");
}

static void widget_refresh_tampered(struct case_ctx *x)
{
	char tok[4096], sid[128];
	size_t n;

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	n = strlen(tok);
	tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
	req_refresh(x, tok);
	expect_status(x, 401, "invalid_token");
}

static void widget_refresh_key_rotated(struct case_ctx *x)
{
	char tok[4096], sid[128];

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	if (!tenant_action(x, &x->t, "rotate/widget-key"))
		return;
	req_refresh(x, tok);
	expect_status(x, 401, "invalid_token");
}

/* ---- §7.3 widget-config */

static long widget_config(struct case_ctx *x, const char *key, const char *origin_header)
{
	char path[512], hdr[400];
	const char *h[1] = {hdr};

	snprintf(path, sizeof(path),
		 "/api/v1/fetch/widget-config?tenant_id=%s&widget_public_key=%s", x->t.id, key);
	snprintf(hdr, sizeof(hdr), "Origin: %s", origin_header ? origin_header : "");
	return req_raw(x, "GET", path, h, origin_header ? 1 : 0, NULL, 0);
}

static void widget_config_fetch(struct case_ctx *x)
{
	widget_config(x, x->t.widget_key, x->t.origin);
	if (!expect_status(x, 200, NULL) || !expect_envelope(x))
		return;
	expect_true(x,
		    json_is_string(json_object_get(resp_data(x), "tenant_name")) &&
			    json_is_boolean(json_object_get(resp_data(x), "is_online")),
		    "widget config {tenant_name, is_online, ...} (§7.3.3)");
}

static void widget_config_bad_key(struct case_ctx *x)
{
	widget_config(x, "pk_0000000000000000000000000000000000000000000", NULL);
	expect_status(x, 401, "invalid_widget_key");
}

static void widget_config_origin(struct case_ctx *x)
{
	widget_config(x, x->t.widget_key, "https://shop.demo.com.evil.example");
	expect_status(x, 403, "origin_not_allowed");
}

static long widget_session_mode(struct case_ctx *x, const char *mode)
{
	char body[1024];
	const char *h[] = {"Content-Type: application/json"};

	snprintf(body, sizeof(body),
		 "{\"tenant_id\":\"%s\",\"widget_public_key\":\"%s\",\"origin\":\"%s\",\"mode\":"
		 "\"%s\",\"locale\":\"en\",\"routing_key\":\"store-1\",\"metadata\":{\"page\":\"/"
		 "cart\"}}",
		 x->t.id, x->t.widget_key, x->t.origin, mode);
	return req_raw(x, "POST", "/api/v1/create/visitor-session", h, 1, body, strlen(body));
}

static void widget_session_human(struct case_ctx *x)
{
	widget_session_mode(x, "human");
	expect_status(x, 201, NULL);
}

static void widget_session_bad_mode(struct case_ctx *x)
{
	const char *field;

	widget_session_mode(x, "robot");
	if (!expect_status(x, 422, "validation_failed"))
		return;
	field = resp_error_field(x);
	expect_true(x, streq(field, "mode"), "error.field \"mode\"");
}

static void widget_config_without_origin(struct case_ctx *x)
{
	char path[512];

	snprintf(path, sizeof(path),
		 "/api/v1/fetch/widget-config?tenant_id=%s&widget_public_key=%s", x->t.id,
		 x->t.widget_key);
	req_raw(x, "GET", path, NULL, 0, NULL, 0);
	expect_status(x, 200, NULL);
}

static void widget_refresh_extends(struct case_ctx *x)
{
	char tok[4096], sid[128];
	int64_t exp1 = 0, exp2 = 0;

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	if (!ids_parse_rfc3339(data_str(x, "expires_at") ? data_str(x, "expires_at") : "", &exp1))
		exp1 = 0;
	if (!mock_clock_advance(x, 600000))
		return;
	req_refresh(x, tok);
	if (!expect_status(x, 200, NULL))
		return;
	if (!ids_parse_rfc3339(data_str(x, "expires_at") ? data_str(x, "expires_at") : "", &exp2))
		exp2 = 0;
	expect_true(x, exp1 > 0 && exp2 - exp1 >= 590000 && exp2 - exp1 <= 610000,
		    "the refreshed token expires one TTL after the refresh (mock clock +10 min → "
		    "expires_at +10 min, §7.4.3)");
}

#define O(id, prov, title)                                                                         \
	{                                                                                          \
		id, "3.3", prov, NEED_WIDGET, title, widget_origin                                 \
	}

const struct suite_case cases_widget[] = {
	{"widget.session.create", "7.1.5", REPORT_DOCUMENTED, NEED_WIDGET,
	 "create/visitor-session answers 201 with session_id, visitor_token, expires_at, "
	 "widget_config (WS)",
	 widget_session_create},
	{"widget.session.message", "7.1.5", REPORT_DOCUMENTED, NEED_WIDGET,
	 "The visitor-session message is exactly \"Visitor session created.\" (WS)",
	 widget_session_message},
	{"widget.session.origin-not-allowed", "7.1.3", REPORT_DOCUMENTED, NEED_WIDGET,
	 "An origin not in allowed_origins is refused with 403 (WS, QS)", widget_origin},
	O("widget.origin.lookalike-suffix", REPORT_INFERRED,
	  "https://shop.demo.com.evil.example does not match https://shop.demo.com"),
	O("widget.origin.lookalike-prefix", REPORT_INFERRED,
	  "https://evilshop.demo.com does not match https://shop.demo.com"),
	O("widget.origin.scheme-differs", REPORT_INFERRED,
	  "http://shop.demo.com does not match https://shop.demo.com"),
	O("widget.origin.port-differs", REPORT_INFERRED,
	  "https://shop.demo.com:8443 does not match https://shop.demo.com"),
	O("widget.origin.trailing-dot", REPORT_INFERRED,
	  "https://shop.demo.com. does not match (no trailing-dot folding)"),
	O("widget.origin.userinfo", REPORT_INFERRED, "An origin with userinfo is refused"),
	O("widget.origin.path", REPORT_INFERRED, "An origin with a path is refused"),
	O("widget.origin.wildcard", REPORT_INFERRED, "The origin * is refused"),
	O("widget.origin.null", REPORT_INFERRED, "The literal origin null is refused"),
	O("widget.origin.normalized-match", REPORT_INFERRED,
	  "https://SHOP.demo.com:443/ matches https://shop.demo.com after normalization"),
	{"widget.origin.custom-scheme", "3.1.2", REPORT_DOCUMENTED, NEED_ADMIN | NEED_WIDGET,
	 "app://bloonio_chat_flutter, listed at provisioning, is accepted (QS)", widget_origin},
	{"widget.origin.header-mismatch", "7.1.3", REPORT_INFERRED, NEED_WIDGET,
	 "An Origin header differing from the body origin is 403", widget_origin_header_mismatch},
	{"widget.origin.header-match", "7.1.3", REPORT_INFERRED, NEED_WIDGET,
	 "An Origin header equal to the body origin is accepted", widget_origin_header_match},
	{"widget.session.bad-widget-key", "7.1.3", REPORT_INFERRED, NEED_WIDGET,
	 "A wrong widget_public_key is 401 invalid_widget_key", widget_session_bad_key},
	{"widget.session.unknown-tenant", "7.1.3", REPORT_INFERRED, NEED_WIDGET,
	 "An unknown tenant_id is 401 invalid_widget_key", widget_session_unknown_tenant},
	{"widget.session.get-405", "7.1.1", REPORT_INFERRED, 0,
	 "GET create/visitor-session is 405 with Allow (the POST form is the documented one)",
	 widget_session_get},
	{"widget.session.missing-origin", "7.1.2", REPORT_INFERRED, NEED_WIDGET,
	 "origin is required: 422", widget_session_missing_origin},
	{"widget.session.suspended", "2.7.3", REPORT_INFERRED, NEED_ADMIN | NEED_WIDGET,
	 "A suspended tenant's visitor sessions are 403 tenant_suspended",
	 widget_session_suspended},
	{"widget.jwt.shape", "7.2.1", REPORT_INFERRED, NEED_WIDGET,
	 "visitor_token: 3 base64url parts, alg HS256, claims tid, sid, iat, exp",
	 widget_jwt_shape},
	{"widget.jwt.one-hour", "7.2.2", REPORT_DOCUMENTED, NEED_WIDGET,
	 "The visitor token lives ~1 h (WS)", widget_jwt_one_hour},
	{"widget.refresh.same-session", "7.4.1", REPORT_DOCUMENTED, NEED_WIDGET,
	 "refresh/visitor-token with the token as Bearer resumes the same session (WS)",
	 widget_refresh_same_session},
	{"widget.refresh.expired-token", "7.4.1", REPORT_DOCUMENTED, NEED_WIDGET | NEED_MOCK,
	 "An expired token still refreshes (\"even expired\", WS; mock clock)",
	 widget_refresh_expired},
	{"widget.refresh.session-30-days", "7.4.2", REPORT_INFERRED, NEED_WIDGET | NEED_MOCK,
	 "After the 30-day session, refresh is 401 session_expired (mock clock)",
	 widget_refresh_30_days},
	{"widget.refresh.no-bearer", "7.4.2", REPORT_INFERRED, 0,
	 "refresh without Authorization is 401 invalid_token", widget_refresh_no_bearer},
	{"widget.refresh.garbage", "7.4.2", REPORT_INFERRED, 0,
	 "refresh with a non-JWT is 401 invalid_token", widget_refresh_garbage},
	{"widget.refresh.alg-none", "7.2.5", REPORT_INFERRED, NEED_WIDGET,
	 "A token re-signed with alg none is 401 invalid_token", widget_refresh_alg_none},
	{"widget.refresh.tampered", "7.2.5", REPORT_INFERRED, NEED_WIDGET,
	 "A token with an altered signature is 401 invalid_token", widget_refresh_tampered},
	{"widget.refresh.key-rotated", "2.6.3", REPORT_INFERRED, NEED_ADMIN | NEED_WIDGET,
	 "After rotate/widget-key, tokens bound to the old key fail refresh (401 invalid_token)",
	 widget_refresh_key_rotated},
	{"widget.config.fetch", "7.3.3", REPORT_INFERRED, NEED_WIDGET,
	 "fetch/widget-config returns {tenant_name, is_online, ...}", widget_config_fetch},
	{"widget.config.bad-key", "7.3.2", REPORT_INFERRED, NEED_WIDGET,
	 "fetch/widget-config with a wrong key is 401 invalid_widget_key", widget_config_bad_key},
	{"widget.config.origin-not-allowed", "7.3.2", REPORT_INFERRED, NEED_WIDGET,
	 "fetch/widget-config from a look-alike Origin is 403", widget_config_origin},
	{"widget.session.mode-human", "7.1.2", REPORT_DOCUMENTED, NEED_WIDGET,
	 "mode human, locale, routing_key and metadata are accepted (WS)", widget_session_human},
	{"widget.session.mode-invalid", "7.1.2", REPORT_INFERRED, NEED_WIDGET,
	 "mode outside bot|human is 422 field mode", widget_session_bad_mode},
	{"widget.config.no-origin-header", "7.3.2", REPORT_INFERRED, NEED_WIDGET,
	 "fetch/widget-config without an Origin header (non-browser) is allowed",
	 widget_config_without_origin},
	{"widget.refresh.new-expiry", "7.4.3", REPORT_INFERRED, NEED_WIDGET | NEED_MOCK,
	 "A refreshed token expires one TTL after the refresh (mock clock)",
	 widget_refresh_extends},
	{NULL, NULL, 0, 0, NULL, NULL}};
