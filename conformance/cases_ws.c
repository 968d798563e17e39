/*
 * cases_ws.c - the widget WebSocket (SPEC.md §8, §2.6.3, §2.7.3).
 *
 * Frames go through mock_relay/tests/ws_client.c (wslay over a plain socket), which
 * connects to 127.0.0.1: against another host these cases SKIP with the reason.
 * Built only when that client exists (CMake defines HAVE_WS_CLIENT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"

#if defined(HAVE_WS_CLIENT)

#include "ws_client.h"

#define WS_PATH "/api/v1/ws/widget?token="
#define WAIT_MS 3000

/* The port of a local target, else 0. */
static int local_port(const struct suite *s)
{
	int port = 0;

	return suite_target_local(s, &port) ? port : 0;
}

/* A visitor session for the case's tenant: token and ids. */
static bool new_session(struct case_ctx *x, char *tok, size_t tok_size, char *sid, size_t sid_size)
{
	char body[1024];
	const char *h[] = {"Content-Type: application/json"};

	snprintf(body, sizeof(body),
		 "{\"tenant_id\":\"%s\",\"widget_public_key\":\"%s\",\"origin\":\"%s\"}", x->t.id,
		 x->t.widget_key, x->t.origin);
	req_raw(x, "POST", "/api/v1/create/visitor-session", h, 1, body, strlen(body));
	if (!expect_status(x, 201, NULL))
		return false;
	snprintf(tok, tok_size, "%s",
		 data_str(x, "visitor_token") ? data_str(x, "visitor_token") : "");
	snprintf(sid, sid_size, "%s", data_str(x, "session_id") ? data_str(x, "session_id") : "");
	return true;
}

/* Opens the socket; NULL (and the case marked) when the port is not local or no 101. */
static struct ws_client *ws_open(struct case_ctx *x, const char *token, bool want_101)
{
	char path[4400];
	int port = local_port(x->s), status = 0;
	char body[512] = "";
	struct ws_client *c;

	if (port <= 0) {
		case_skip(x, "WebSocket cases connect to 127.0.0.1 only (base URL %s)",
			  x->s->cfg.base_url);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s%s", WS_PATH, token);
	report_case_log(x->rc, "GET /api/v1/ws/widget?token=<%zu bytes> (WebSocket upgrade)",
			strlen(token));
	c = ws_client_connect(port, path, NULL, false, &status, body, sizeof(body));
	if (c == NULL && want_101) {
		expect_true(x, false, "the upgrade answered 101 (§8.1.3), got %d: %.200s", status,
			    body);
	}
	return c;
}

/* The next JSON frame (new reference) or NULL. */
static json_t *ws_next(struct case_ctx *x, struct ws_client *c)
{
	char *text = ws_client_recv_text(c, WAIT_MS);
	json_t *j;

	if (text == NULL)
		return NULL;
	report_case_log(x->rc, "frame: %.300s", text);
	j = json_loads(text, 0, NULL);
	free(text);
	return j;
}

static void ws_welcome(struct case_ctx *x)
{
	char tok[4096], sid[128];
	struct ws_client *c;
	json_t *w;

	if (!new_session(x, tok, sizeof(tok), sid, sizeof(sid)))
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
	ws_client_free(c);
}

/* Opens a socket whose handshake must be closed with code. */
static void ws_expect_close(struct case_ctx *x, const char *token, int code)
{
	struct ws_client *c = ws_open(x, token, false);
	int got;

	if (c == NULL) {
		if (local_port(x->s) > 0)
			expect_true(x, false,
				    "upgrade completed then closed with %d (§8.1.3): no 101 came",
				    code);
		return;
	}
	got = ws_client_wait_close(c, WAIT_MS);
	expect_true(x, got == code, "close code %d (§8.3), got %d", code, got);
	ws_client_free(c);
}

static void ws_invalid_token(struct case_ctx *x)
{
	ws_expect_close(x, "not.a.token", 4401);
}

static void ws_expired_token(struct case_ctx *x)
{
	char tok[4096], sid[128];

	if (!new_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	if (!mock_clock_set(x, relay_now_ms(x) + 2 * 3600 * 1000))
		return;
	ws_expect_close(x, tok, 4401);
}

static void ws_suspended(struct case_ctx *x)
{
	char tok[4096], sid[128], path[256];

	if (!new_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	snprintf(path, sizeof(path), "/api/v1/suspend/tenant?tenant_id=%s", x->t.id);
	req_admin(x, "POST", path, NULL);
	if (!expect_status(x, 200, NULL))
		return;
	ws_expect_close(x, tok, 4403);
}

static void ws_key_rotated(struct case_ctx *x)
{
	char tok[4096], sid[128], path[256];

	if (!new_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	snprintf(path, sizeof(path), "/api/v1/rotate/widget-key?tenant_id=%s", x->t.id);
	req_admin(x, "POST", path, NULL);
	if (!expect_status(x, 200, NULL))
		return;
	ws_expect_close(x, tok, 4403);
}

static void ws_no_upgrade(struct case_ctx *x)
{
	char tok[4096], sid[128], path[4400];

	if (!new_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	snprintf(path, sizeof(path), "%s%s", WS_PATH, tok);
	req_raw(x, "GET", path, NULL, 0, NULL, 0);
	expect_status(x, 400, "malformed_request");
}

/* Opens a socket and reads the welcome; conversation id into conv. */
static struct ws_client *ws_ready(struct case_ctx *x, char *conv, size_t conv_size)
{
	char tok[4096], sid[128];
	struct ws_client *c;
	json_t *w;

	if (!new_session(x, tok, sizeof(tok), sid, sizeof(sid)))
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
		ws_client_free(c);
		return NULL;
	}
	return c;
}

static void ws_echo(struct case_ctx *x)
{
	static const char msg[] = "{\"type\":\"message\",\"content\":\"Where is my order?\"}";
	char conv[128];
	struct ws_client *c = ws_ready(x, conv, sizeof(conv));
	json_t *m;

	if (c == NULL)
		return;
	if (!expect_true(x, ws_client_send_text(c, msg, strlen(msg)) == 0, "the frame was sent")) {
		ws_client_free(c);
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
	ws_client_free(c);
}

static void ws_push(struct case_ctx *x)
{
	char conv[128], body[512];
	struct ws_client *c;
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
	ws_client_free(c);
}

static void ws_malformed(struct case_ctx *x)
{
	char conv[128];
	struct ws_client *c = ws_ready(x, conv, sizeof(conv));
	int got;

	if (c == NULL)
		return;
	(void)ws_client_send_text(c, "not json", 8);
	got = ws_client_wait_close(c, WAIT_MS);
	expect_true(x, got == 4400, "a non-JSON frame closes with 4400 (§8.2.4), got %d", got);
	ws_client_free(c);
}

static void ws_suspend_while_open(struct case_ctx *x)
{
	char conv[128], path[256];
	struct ws_client *c = ws_ready(x, conv, sizeof(conv));
	int got;

	if (c == NULL)
		return;
	snprintf(path, sizeof(path), "/api/v1/suspend/tenant?tenant_id=%s", x->t.id);
	req_admin(x, "POST", path, NULL);
	if (expect_status(x, 200, NULL)) {
		got = ws_client_wait_close(c, WAIT_MS);
		expect_true(x, got == 4403,
			    "suspending the tenant closes its open sockets with 4403 (§2.7.3), got "
			    "%d",
			    got);
	}
	ws_client_free(c);
}

#define WS_CASE(id, sec, prov, needs, title, fn)                                                   \
	{                                                                                          \
		id, sec, prov, needs, title, fn                                                    \
	}

#else /* !HAVE_WS_CLIENT */

static void ws_unavailable(struct case_ctx *x)
{
	case_skip(x, "this build has no WebSocket client (mock_relay/tests/ws_client.c)");
}

#define WS_CASE(id, sec, prov, needs, title, fn)                                                   \
	{                                                                                          \
		id, sec, prov, needs, title, ws_unavailable                                        \
	}

#endif

const struct suite_case cases_ws[] = {
	WS_CASE("ws.handshake.welcome", "8.1.4", REPORT_DOCUMENTED, NEED_WIDGET,
		"A valid visitor token opens /ws/widget?token= and receives a welcome frame (WS)",
		ws_welcome),
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
	{NULL, NULL, 0, 0, NULL, NULL}};
