/*
 * ws.c - the widget WebSocket (SPEC.md §8, §2.6.3, §2.7.3).
 *
 * Sockets go through lib/relay_wsclient (ws:// or wss:// on any host, wslay framing):
 * the base URL's http:// becomes ws:// and https:// becomes wss://, verified unless
 * --insecure.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay_wsclient.h"
#include "suite_fixtures.h"
#include "suite_http.h"

#define WS_PATH "/api/v1/ws/widget?token="

/*
 * How long a frame or close the case expects may take: the per-request --timeout
 * (10 s by default). Every wait below is for something that must come, so a
 * generous wait costs nothing when it does; a busy relay (or TLS proxy) can take
 * seconds.
 */
static int wait_ms(const struct case_ctx *x)
{
	return x->s->cfg.timeout_ms < INT_MAX ? (int)x->s->cfg.timeout_ms : INT_MAX;
}

/* Whether the base URL has a scheme with a WebSocket counterpart. */
static bool ws_base_ok(const struct case_ctx *x)
{
	return strncmp(x->s->cfg.base_url, "https://", 8) == 0 ||
	       strncmp(x->s->cfg.base_url, "http://", 7) == 0;
}

/* The socket URL for token: the base URL with ws(s):// for http(s)://. False if too long. */
static bool ws_url(const struct case_ctx *x, const char *token, char *out, size_t size)
{
	const char *base = x->s->cfg.base_url;
	size_t blen = strlen(base);
	int n;

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (strncmp(base, "https://", 8) == 0)
		n = snprintf(out, size, "wss://%.*s%s%s", (int)blen - 8, base + 8, WS_PATH, token);
	else if (strncmp(base, "http://", 7) == 0)
		n = snprintf(out, size, "ws://%.*s%s%s", (int)blen - 7, base + 7, WS_PATH, token);
	else
		return false;
	return n > 0 && (size_t)n < size;
}

/* Opens the socket; NULL (and the case marked broken when want_101) when no 101 came. */
static struct wsclient *ws_open(struct case_ctx *x, const char *token, bool want_101)
{
	char url[8192];
	struct wsclient_options opt = {x->t.origin[0] != '\0' ? x->t.origin : NULL,
				       (int)x->s->cfg.timeout_ms, x->s->cfg.insecure, NULL};
	struct wsclient_error err;
	struct wsclient *c;

	if (!ws_url(x, token, url, sizeof(url))) {
		case_skip(x, "no WebSocket URL for base URL %s (http:// or https:// expected)",
			  x->s->cfg.base_url);
		return NULL;
	}
	report_case_log(x->rcase, "GET /api/v1/ws/widget?token=<%zu bytes> (WebSocket upgrade, %s)",
			strlen(token), strncmp(url, "wss:", 4) == 0 ? "wss" : "ws");
	c = wsclient_connect_opts(url, &opt, &err);
	if (c == NULL) {
		report_case_log(x->rcase, "no socket: %s (HTTP %d) %.200s", err.text,
				err.http_status, err.body);
		if (want_101)
			expect_true(x, false,
				    "the upgrade answered 101 (§8.1.3), got %d: %s %.200s",
				    err.http_status, err.text, err.body);
	}
	return c;
}

/* The next text frame as JSON (new reference) or NULL (timeout, close, not JSON). */
static json_t *ws_next(struct case_ctx *x, struct wsclient *c)
{
	char *text = NULL;
	size_t len = 0;
	int op = 0;
	json_t *j = NULL;

	if (wsclient_recv(c, wait_ms(x), &op, &text, &len) != WSCLIENT_GOT)
		return NULL;
	if (op == WSCLIENT_TEXT) {
		report_case_log(x->rcase, "frame: %.300s", text);
		j = json_loadb(text, len, 0, NULL);
	} else {
		report_case_log(x->rcase, "close %d \"%.100s\"", wsclient_close_code(c), text);
	}
	free(text);
	return j;
}

/* Reads until the peer's close frame; its code, or 0 when none came within wait_ms(). */
static int ws_wait_close(struct case_ctx *x, struct wsclient *c)
{
	for (;;) {
		char *text = NULL;
		size_t len = 0;
		int op = 0;

		if (wsclient_recv(c, wait_ms(x), &op, &text, &len) != WSCLIENT_GOT)
			return 0;
		if (op == WSCLIENT_CLOSE) {
			report_case_log(x->rcase, "close %d \"%.100s\"", wsclient_close_code(c),
					text);
			free(text);
			return wsclient_close_code(c);
		}
		report_case_log(x->rcase, "frame: %.300s", text);
		free(text);
	}
}

static void ws_welcome(struct case_ctx *x)
{
	char tok[4096], sid[128];
	struct wsclient *c;
	json_t *w;

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	c = ws_open(x, tok, true);
	if (c == NULL)
		return;
	w = ws_next(x, c);
	expect_true(x,
		    streq(json_string_value(json_object_get(w, "type")), "welcome") &&
			    streq(json_string_value(json_object_get(w, "session_id")), sid) &&
			    json_is_string(json_object_get(w, "conversation_id")),
		    "a welcome frame first (WS): {type: welcome, session_id: %s, conversation_id}",
		    sid);
	json_decref(w);
	wsclient_free(c);
}

/*
 * §6.3.1: a token minted by the backend is what "your client SDK uses to authenticate its
 * WebSocket" (PY): it opens /ws/widget and gets the welcome frame. The mint path is
 * [inferred] (the docs name only the SDK method): a relay without it SKIPs.
 */
static void ws_minted_token(struct case_ctx *x)
{
	char tok[4096];
	struct wsclient *c;
	json_t *w;

	req_signed(x, &x->t, "POST", "/api/v1/relay/mint/visitor-token",
		   "{\"visitor_user_id\":\"user-123\"}");
	if (x->resp.status == 404 && !streq(resp_error_code(x), "tenant_not_found")) {
		case_skip(x, "no POST /api/v1/relay/mint/visitor-token on this relay (the path "
			     "is [inferred], §6.3.1; the docs name only mint_visitor_token)");
		return;
	}
	if (!expect_status(x, 201, NULL))
		return;
	snprintf(tok, sizeof(tok), "%s",
		 data_str(x, "visitor_token") ? data_str(x, "visitor_token") : "");
	c = ws_open(x, tok, true);
	if (c == NULL)
		return;
	w = ws_next(x, c);
	expect_true(x,
		    streq(json_string_value(json_object_get(w, "type")), "welcome") &&
			    json_is_string(json_object_get(w, "conversation_id")),
		    "the minted token opens the socket: a welcome frame first (PY, WS)");
	json_decref(w);
	wsclient_free(c);
}

/*
 * A visitor session created without a field (§7.1.2) shows that field's default on its
 * conversation (§6.1.5, named by the welcome frame), read through the relay API.
 */
static void ws_session_default(struct case_ctx *x, const char *field, const char *want,
			       const char *why)
{
	char tok[4096], sid[128], path[300] = "";
	struct wsclient *c;
	json_t *w;

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	c = ws_open(x, tok, true);
	if (c == NULL)
		return;
	w = ws_next(x, c);
	if (json_is_string(json_object_get(w, "conversation_id")))
		snprintf(path, sizeof(path), "/api/v1/relay/fetch/conversation?conversation_id=%s",
			 json_string_value(json_object_get(w, "conversation_id")));
	json_decref(w);
	wsclient_free(c);
	if (!expect_true(x, path[0] != '\0', "a welcome frame naming the conversation (§8.1.4)"))
		return;
	req_signed(x, &x->t, "GET", path, NULL);
	if (expect_status(x, 200, NULL))
		expect_true(x, streq(data_str(x, field), want),
			    "the session's conversation has %s \"%s\" (%s), got %s", field, want,
			    why, data_str(x, field) ? data_str(x, field) : "(none)");
}

/* §7.1.2: a visitor session created without locale has locale "fr" (WS). */
static void ws_default_locale(struct case_ctx *x)
{
	ws_session_default(x, "locale", "fr", "WS: locale default fr");
}

/*
 * §7.1.2, §9.6.1: a visitor session created without mode is in bot mode (WS: "bot by
 * default"); the conversation object's `mode` that shows it is inferred (§6.1.2).
 */
static void ws_default_mode(struct case_ctx *x)
{
	ws_session_default(x, "mode", "bot", "WS: mode bot by default");
}

/* Opens a socket whose handshake must be closed with code. */
static void ws_expect_close(struct case_ctx *x, const char *token, int code)
{
	struct wsclient *c = ws_open(x, token, false);
	int got;

	if (c == NULL) {
		if (ws_base_ok(x))
			expect_true(x, false,
				    "upgrade completed then closed with %d (§8.1.3): no 101 came",
				    code);
		return;
	}
	got = ws_wait_close(x, c);
	expect_true(x, got == code, "close code %d (§8.3), got %d", code, got);
	wsclient_free(c);
}

static void ws_invalid_token(struct case_ctx *x)
{
	ws_expect_close(x, "not.a.token", 4401);
}

static void ws_expired_token(struct case_ctx *x)
{
	char tok[4096], sid[128];

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	if (!mock_clock_set(x, relay_now_ms(x) + 2 * 3600 * 1000))
		return;
	ws_expect_close(x, tok, 4401);
}

static void ws_suspended(struct case_ctx *x)
{
	char tok[4096], sid[128];

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	if (!tenant_action(x, &x->t, "suspend/tenant"))
		return;
	ws_expect_close(x, tok, 4403);
}

static void ws_key_rotated(struct case_ctx *x)
{
	char tok[4096], sid[128];

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	if (!tenant_action(x, &x->t, "rotate/widget-key"))
		return;
	ws_expect_close(x, tok, 4403);
}

static void ws_no_upgrade(struct case_ctx *x)
{
	char tok[4096], sid[128], path[4400];

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	snprintf(path, sizeof(path), "%s%s", WS_PATH, tok);
	req_raw(x, "GET", path, NULL, 0, NULL, 0);
	expect_status(x, 400, "malformed_request");
}

/* Opens a socket and reads the welcome; conversation id into conv. */
static struct wsclient *ws_ready(struct case_ctx *x, char *conv, size_t conv_size)
{
	char tok[4096], sid[128];
	struct wsclient *c;
	json_t *w;

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return NULL;
	c = ws_open(x, tok, true);
	if (c == NULL)
		return NULL;
	w = ws_next(x, c);
	snprintf(conv, conv_size, "%s",
		 json_string_value(json_object_get(w, "conversation_id"))
			 ? json_string_value(json_object_get(w, "conversation_id"))
			 : "");
	json_decref(w);
	if (!expect_true(x, conv[0] != '\0', "a welcome frame with conversation_id")) {
		wsclient_free(c);
		return NULL;
	}
	return c;
}

static void ws_echo(struct case_ctx *x)
{
	static const char msg[] = "{\"type\":\"message\",\"content\":\"Where is my order?\"}";
	char conv[128];
	struct wsclient *c = ws_ready(x, conv, sizeof(conv));
	json_t *m;

	if (c == NULL)
		return;
	if (!expect_true(x, wsclient_send_text(c, msg, strlen(msg)) == RELAY_OK,
			 "the frame was sent")) {
		wsclient_free(c);
		return;
	}
	m = ws_next(x, c);
	expect_true(x,
		    streq(json_string_value(json_object_get(m, "type")), "message") &&
			    streq(json_string_value(json_object_get(m, "role")), "visitor") &&
			    streq(json_string_value(json_object_get(m, "content")),
				  "Where is my order?") &&
			    json_is_string(json_object_get(m, "id")),
		    "the stored message echoed {type: message, id, role: visitor, content} "
		    "(§8.2.1)");
	json_decref(m);
	wsclient_free(c);
}

static void ws_push(struct case_ctx *x)
{
	char conv[128], body[512];
	struct wsclient *c;
	json_t *m;

	c = ws_ready(x, conv, sizeof(conv));
	if (c == NULL)
		return;
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"operator\",\"content\":\"On its way\"}",
		 conv);
	req_signed(x, &x->t, "POST", "/api/v1/relay/send/message", body);
	if (expect_status(x, 201, NULL)) {
		m = ws_next(x, c);
		expect_true(x,
			    streq(json_string_value(json_object_get(m, "role")), "operator") &&
				    streq(json_string_value(json_object_get(m, "content")),
					  "On its way"),
			    "an operator message sent through the relay API is pushed to the "
			    "socket (§8.4.1)");
		json_decref(m);
	}
	wsclient_free(c);
}

static void ws_malformed(struct case_ctx *x)
{
	char conv[128];
	struct wsclient *c = ws_ready(x, conv, sizeof(conv));
	int got;

	if (c == NULL)
		return;
	(void)!wsclient_send_text(c, "not json", 8);
	got = ws_wait_close(x, c);
	expect_true(x, got == 4400, "a non-JSON frame closes with 4400 (§8.2.4), got %d", got);
	wsclient_free(c);
}

/* Opens, then has the relay act on the tenant through admin path; expects code. */
static void ws_admin_while_open(struct case_ctx *x, const char *what, int code, const char *rule)
{
	char conv[128];
	struct wsclient *c = ws_ready(x, conv, sizeof(conv));
	int got;

	if (c == NULL)
		return;
	if (tenant_action(x, &x->t, what)) {
		got = ws_wait_close(x, c);
		expect_true(x, got == code, "%s (%s), got %d", rule, x->meta->section, got);
	}
	wsclient_free(c);
}

static void ws_suspend_while_open(struct case_ctx *x)
{
	ws_admin_while_open(x, "suspend/tenant", 4403,
			    "suspending the tenant closes its open sockets with 4403");
}

static void ws_key_rotated_while_open(struct case_ctx *x)
{
	ws_admin_while_open(x, "rotate/widget-key", 4403,
			    "rotating the widget key closes the sockets opened with the old one "
			    "with 4403");
}

/* Sends data (not checked) on a ready socket and expects the close code. */
static void ws_send_expect_close(struct case_ctx *x, const void *data, size_t len, int code,
				 const char *rule)
{
	char conv[128];
	struct wsclient *c = ws_ready(x, conv, sizeof(conv));
	int got;

	if (c == NULL)
		return;
	report_case_log(x->rcase, "sending a %zu-byte text frame", len);
	/* the relay may close before reading all of it: a failed send is not the verdict */
	(void)!wsclient_send_text(c, data, len);
	got = ws_wait_close(x, c);
	expect_true(x, got == code, "%s (§8.2.5), got %d", rule, got);
	wsclient_free(c);
}

static void ws_too_big(struct case_ctx *x)
{
	size_t len = 65536 + 1;
	char *big = malloc(len);

	if (!expect_true(x, big != NULL, "memory for a 64 KiB frame"))
		return;
	memset(big, 'x', len);
	ws_send_expect_close(x, big, len, 1009, "a message over 65,536 bytes closes with 1009");
	free(big);
}

static void ws_invalid_utf8(struct case_ctx *x)
{
	static const char bad[] = "{\"type\":\"message\",\"content\":\"\xc3\x28\"}";

	ws_send_expect_close(
		x, bad, sizeof(bad) - 1, 1007,
		"a text frame that is not valid UTF-8 closes with 1007 (RFC 6455 §8.1)");
}

/* A tenant allowing 2 messages a minute: the third message frame closes with 4429. */
static void ws_rate_limited(struct case_ctx *x)
{
	static const char msg[] = "{\"type\":\"message\",\"content\":\"hello\"}";
	char conv[128];
	struct wsclient *c;
	int got, echoes = 0, sent = 0;

	if (!tenant_provision(x, &x->t, "\"rate_limit_per_min\":2"))
		return;
	/* the window is per (mock-)clock minute: a frozen clock keeps the three in one */
	if (x->s->is_mock && !mock_clock_set(x, relay_now_ms(x)))
		return;
	c = ws_ready(x, conv, sizeof(conv));
	if (c == NULL)
		return;
	/* one at a time: each echo is awaited before the next frame goes */
	for (int i = 0; i < 2; i++) {
		json_t *m;

		if (wsclient_send_text(c, msg, sizeof(msg) - 1) == RELAY_OK)
			sent++;
		m = ws_next(x, c);
		if (streq(json_string_value(json_object_get(m, "type")), "message"))
			echoes++;
		json_decref(m);
	}
	if (wsclient_send_text(c, msg, sizeof(msg) - 1) == RELAY_OK)
		sent++;
	got = ws_wait_close(x, c);
	expect_true(x, sent == 3 && echoes == 2 && got == 4429,
		    "with rate_limit_per_min 2, two message frames are echoed and the third closes "
		    "with 4429 (§8.2.6); sent %d, echoed %d, close %d",
		    sent, echoes, got);
	wsclient_free(c);
}

#define WS_CASE(id, sec, prov, needs, title, fn)                                                   \
	{                                                                                          \
		id, sec, prov, needs, title, fn                                                    \
	}

const struct suite_case cases_ws[] = {
	WS_CASE("ws.handshake.welcome", "8.1.4", REPORT_DOCUMENTED, NEED_WIDGET,
		"A valid visitor token opens /ws/widget?token= and receives a welcome frame (WS)",
		ws_welcome),
	WS_CASE("ws.handshake.minted-token", "6.3.1", REPORT_DOCUMENTED, NEED_TENANT,
		"A backend-minted visitor token opens /ws/widget and receives the welcome frame "
		"(PY)",
		ws_minted_token),
	WS_CASE("ws.welcome.default-locale", "7.1.2", REPORT_DOCUMENTED, NEED_WIDGET | NEED_TENANT,
		"A visitor session without locale gets locale fr (WS), seen on its conversation",
		ws_default_locale),
	WS_CASE("ws.welcome.default-mode", "7.1.2", REPORT_INFERRED, NEED_WIDGET | NEED_TENANT,
		"A visitor session without mode is in bot mode (WS), seen as mode on its "
		"conversation",
		ws_default_mode),
	WS_CASE("ws.handshake.invalid-token", "8.1.3", REPORT_INFERRED, 0,
		"An invalid token: upgrade, then close 4401", ws_invalid_token),
	WS_CASE("ws.handshake.expired-token", "8.1.3", REPORT_INFERRED, NEED_WIDGET | NEED_MOCK,
		"An expired token (mock clock +2 h): close 4401", ws_expired_token),
	WS_CASE("ws.handshake.suspended", "8.1.3", REPORT_INFERRED, NEED_ADMIN | NEED_WIDGET,
		"A suspended tenant's token: close 4403", ws_suspended),
	WS_CASE("ws.handshake.key-rotated", "2.6.3", REPORT_INFERRED, NEED_ADMIN | NEED_WIDGET,
		"A token bound to a rotated widget key: close 4403", ws_key_rotated),
	WS_CASE("ws.handshake.no-upgrade", "8.1.2", REPORT_INFERRED, NEED_WIDGET,
		"A plain GET without the upgrade headers is 400", ws_no_upgrade),
	WS_CASE("ws.frame.echo", "8.2.1", REPORT_INFERRED, NEED_WIDGET,
		"A visitor message frame is stored and echoed", ws_echo),
	WS_CASE("ws.push.relay-message", "8.4.1", REPORT_INFERRED, NEED_WIDGET | NEED_TENANT,
		"A message posted through the relay API is pushed to the open socket", ws_push),
	WS_CASE("ws.frame.malformed", "8.2.4", REPORT_INFERRED, NEED_WIDGET,
		"A non-JSON frame closes with 4400", ws_malformed),
	WS_CASE("ws.close.suspend-while-open", "2.7.3", REPORT_INFERRED, NEED_ADMIN | NEED_WIDGET,
		"Suspension closes the tenant's open sockets with 4403", ws_suspend_while_open),
	WS_CASE("ws.close.key-rotated-while-open", "2.6.3", REPORT_INFERRED,
		NEED_ADMIN | NEED_WIDGET,
		"Rotating the widget key closes the sockets it opened with 4403",
		ws_key_rotated_while_open),
	WS_CASE("ws.close.rate-limited", "8.2.6", REPORT_INFERRED, NEED_ADMIN,
		"Message frames over the tenant's rate_limit_per_min close with 4429",
		ws_rate_limited),
	WS_CASE("ws.close.message-too-big", "8.2.5", REPORT_INFERRED, NEED_WIDGET,
		"A message over 65,536 bytes closes with 1009", ws_too_big),
	WS_CASE("ws.close.invalid-utf8", "8.2.5", REPORT_INFERRED, NEED_WIDGET,
		"A text frame that is not valid UTF-8 closes with 1007", ws_invalid_utf8),
	{NULL, NULL, 0, 0, NULL, NULL}};
