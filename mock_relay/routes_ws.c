/*
 * routes_ws.c - GET /api/v1/ws/widget?token=<visitor JWT> (SPEC.md §8).
 *
 * The handler checks the HTTP side of the upgrade (400 when it is not a WebSocket
 * handshake, 507 over the socket cap) and answers 101. Everything about the token
 * is decided after the upgrade, on the hub's event loop (ws_on_open), and a refusal
 * is a close frame (4401, 4403): a browser cannot read the status of a refused
 * handshake, but it can read a close code (§8.1.3). Client frames come back through
 * ws_on_text() below, on the same loop thread (relay_ws.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "relay_callbacks.h"
#include "relay_conv.h"
#include "relay_jwt.h"
#include "relay_origin.h"
#include "relay_router.h"
#include "relay_sessions.h"
#include "relay_store.h"
#include "relay_ws.h"

#define WS_GUID        "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" /* RFC 6455 §1.3 */
#define WS_KEY_B64_LEN 24                                     /* base64 of 16 bytes */
#define WS_ACCEPT_LEN  28                                     /* base64 of 20 bytes */

/* true when the comma-separated header value holds token (case-insensitive). */
static bool header_has_token(const char *value, const char *token)
{
	size_t n = strlen(token);
	const char *p = value;

	if (value == NULL)
		return false;
	while (*p != '\0') {
		const char *end;
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		end = p;
		while (*end != '\0' && *end != ',')
			end++;
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(p, token, n) == 0)
			return true;
		p = end;
	}
	return false;
}

/* Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2), OpenSSL only. */
static bool ws_accept_value(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char buf[WS_KEY_B64_LEN + sizeof(WS_GUID)];

	snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
	if (EVP_Digest(buf, strlen(buf), md, &md_len, EVP_sha1(), NULL) != 1 || md_len != 20)
		return false;
	return EVP_EncodeBlock((unsigned char *)out, md, (int)md_len) == WS_ACCEPT_LEN;
}

/* A Sec-WebSocket-Key is the base64 of 16 bytes (RFC 6455 §4.1). */
static bool ws_key_valid(const char *key)
{
	unsigned char raw[WS_KEY_B64_LEN];

	if (key == NULL || strlen(key) != WS_KEY_B64_LEN)
		return false;
	/* 24 chars decode to 18 bytes, two of them padding: "==" ending. */
	return EVP_DecodeBlock(raw, (const unsigned char *)key, WS_KEY_B64_LEN) == 18 &&
	       key[22] == '=' && key[23] == '=';
}

/*
 * §8.1.3: decide what an upgraded socket gets. Returns 0 and fills *ci when the
 * welcome frame is due, else the close code.
 */
static uint16_t ws_decide(struct relay_state *st, const char *token, const char *origin_hdr,
			  struct ws_conn_info *ci)
{
	struct visitor_claims *vc = calloc(1, sizeof(*vc));
	struct visitor_session *vs = calloc(1, sizeof(*vs));
	struct tenant_snapshot *snap = calloc(1, sizeof(*snap));
	char wpk[TOKEN_WPK_LEN + 1], norm[ORIGIN_MAX_LEN + 1];
	bool expired = true;
	uint16_t code = WS_CLOSE_INVALID_TOKEN;
	int64_t now_ms = relay_clock_now_ms(&st->clock);

	if (vc == NULL || vs == NULL || snap == NULL)
		goto out;
	/* 1: valid (7.2.5), unexpired (7.2.3), naming a live session of its tenant. */
	if (token == NULL || strlen(token) > TOKEN_MAX_LEN)
		goto out;
	if (token_verify_visitor(st->token_key, TOKEN_KEY_LEN, token, now_ms, vc, &expired) !=
		    RELAY_OK ||
	    expired)
		goto out;
	if (store_tenant_snapshot(st->store, vc->tid, snap) != RELAY_OK)
		goto out;
	if (sessions_find(st->sessions, vc->tid, vc->sid, vs) != RELAY_OK)
		goto out;
	/* 2: tenant suspended; 3: widget key rotated since the token was issued. */
	code = WS_CLOSE_FORBIDDEN;
	if (snap->suspended)
		goto out;
	if (token_widget_key_hash(snap->widget_public_key, wpk) != RELAY_OK ||
	    strcmp(wpk, vc->wpk) != 0)
		goto out;
	/* 4: the token's origin is still allowed, and the browser's Origin is that one. */
	if (vc->origin[0] != '\0') {
		if (!store_tenant_origin_allowed(st->store, vc->tid, vc->origin,
						 strlen(vc->origin)))
			goto out;
		if (origin_hdr != NULL && (origin_normalize(origin_hdr, strlen(origin_hdr), norm,
							    sizeof(norm), NULL) != RELAY_OK ||
					   strcmp(norm, vc->origin) != 0))
			goto out;
	}
	memset(ci, 0, sizeof(*ci));
	snprintf(ci->tenant_id, sizeof(ci->tenant_id), "%.*s", HMAC1_TENANT_MAX, vc->tid);
	snprintf(ci->session_id, sizeof(ci->session_id), "%s", vs->session_id);
	snprintf(ci->conversation_id, sizeof(ci->conversation_id), "%s", vs->conversation_id);
	ci->rate_window = -1;
	code = 0;
out:
	free(vc);
	free(vs);
	free(snap);
	return code;
}

/*
 * ws_open_fn (§8.1.3, §8.1.4), on the hub's loop thread: the checks of ws_decide(),
 * then the welcome frame.
 */
static uint16_t ws_on_open(void *ctx, const char *token, const char *origin,
			   struct ws_conn_info *ci, char **first_frame)
{
	struct relay_state *st = ctx;
	uint16_t code = ws_decide(st, token, origin, ci);
	json_t *frame;

	if (code != 0)
		return code;
	frame = json_pack("{s:s, s:s, s:s}", "type", "welcome", "session_id", ci->session_id,
			  "conversation_id", ci->conversation_id);
	*first_frame = frame != NULL ? json_dumps(frame, JSON_COMPACT) : NULL;
	json_decref(frame);
	return *first_frame != NULL ? 0 : WS_CLOSE_GOING_AWAY;
}

/* MHD hands over the socket once the 101 is out: the hub takes it (§8.1.3). */
static void on_upgrade(void *cls, struct MHD_Connection *connection, void *req_cls,
		       const char *extra_in, size_t extra_in_size, MHD_socket sock,
		       struct MHD_UpgradeResponseHandle *urh)
{
	struct relay_state *st = cls;

	(void)req_cls;
	ws_hub_adopt(st->ws, sock, urh, extra_in, extra_in_size,
		     MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "token"),
		     MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin"));
}

/* GET /api/v1/ws/widget (§8.1.1, §8.1.2). */
static void ws_widget(struct relay_request *req, struct relay_response *resp)
{
	const char *key = request_header(req, "Sec-WebSocket-Key");
	const char *token = request_query(req, "token");
	struct visitor_claims *vc;
	char accept[WS_ACCEPT_LEN + 1];
	struct MHD_Response *raw;
	bool expired;

	if (request_query_count(req, "token") > 1) { /* §1.6.4 */
		response_error(resp, RELAY_E_MALFORMED_REQUEST, "token", NULL);
		return;
	}
	if (!header_has_token(request_header(req, "Upgrade"), "websocket") ||
	    !header_has_token(request_header(req, "Connection"), "upgrade") || !ws_key_valid(key) ||
	    request_header(req, "Sec-WebSocket-Version") == NULL ||
	    strcmp(request_header(req, "Sec-WebSocket-Version"), "13") != 0) {
		response_error(resp, RELAY_E_MALFORMED_REQUEST, NULL,
			       "Not a WebSocket handshake (RFC 6455, version 13).");
		return;
	}
	if (ws_hub_count(req->st->ws) >= ws_hub_max(req->st->ws)) {
		response_error(resp, RELAY_E_CAPACITY_EXCEEDED, NULL, "Too many open WebSockets.");
		return;
	}
	/* The journal names the token's tenant when the token verifies (§10.3.3). */
	vc = calloc(1, sizeof(*vc));
	if (vc != NULL && token != NULL && strlen(token) <= TOKEN_MAX_LEN &&
	    token_verify_visitor(req->st->token_key, TOKEN_KEY_LEN, token, req->now_ms, vc,
				 &expired) == RELAY_OK &&
	    strlen(vc->tid) <= HMAC1_TENANT_MAX)
		snprintf(req->tenant_id, sizeof(req->tenant_id), "%.*s", HMAC1_TENANT_MAX, vc->tid);
	free(vc);

	raw = NULL;
	if (ws_accept_value(key, accept))
		raw = MHD_create_response_for_upgrade(on_upgrade, req->st);
	if (raw == NULL) {
		response_error(resp, RELAY_E_INTERNAL, NULL, NULL);
		return;
	}
	if (MHD_add_response_header(raw, "Upgrade", "websocket") != MHD_YES ||
	    MHD_add_response_header(raw, "Sec-WebSocket-Accept", accept) != MHD_YES) {
		MHD_destroy_response(raw);
		response_error(resp, RELAY_E_INTERNAL, NULL, NULL);
		return;
	}
	response_raw(resp, MHD_HTTP_SWITCHING_PROTOCOLS, raw);
}

/* Build the reply for a client frame that is answered on the same socket. */
static char *frame_text(json_t *frame)
{
	char *s = frame != NULL ? json_dumps(frame, JSON_COMPACT) : NULL;

	json_decref(frame);
	return s;
}

/*
 * §8.2.6: one more message in the connection's budget of rate_limit_per_min per
 * clock minute (mock clock). false when over it.
 */
static bool ws_rate_take(struct relay_state *st, struct ws_conn_info *ci, int64_t now_ms)
{
	struct tenant_auth auth;
	int64_t window = now_ms >= 0 ? now_ms / 60000 : -1 - (-1 - now_ms) / 60000;
	int limit;

	if (store_tenant_auth(st->store, ci->tenant_id, &auth) != RELAY_OK)
		return false;
	limit = auth.rate_limit_per_min;
	OPENSSL_cleanse(auth.secret, sizeof(auth.secret));
	if (window != ci->rate_window) {
		ci->rate_window = window;
		ci->rate_count = 0;
	}
	if (ci->rate_count >= limit)
		return false;
	ci->rate_count++;
	return true;
}

/* ws_text_fn: a client text frame (§8.2), on the hub's loop thread. */
static int ws_on_text(void *ctx, struct ws_conn_info *ci, const char *text, size_t len,
		      char **reply)
{
	struct relay_state *st = ctx;
	json_t *root, *msg = NULL, *frame;
	const char *type, *content;
	size_t content_len, chars;
	int64_t now_ms = relay_clock_now_ms(&st->clock);
	enum relay_rc rc;
	int code = WS_CLOSE_MALFORMED;

	/* jansson refuses invalid UTF-8 too (§8.2.4). */
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root))
		goto out;
	type = json_string_value(json_object_get(root, "type"));
	if (type == NULL)
		goto out;
	if (strcmp(type, "ping") == 0) {
		*reply = frame_text(json_pack("{s:s}", "type", "pong"));
		code = 0;
		goto out;
	}
	if (strcmp(type, "message") != 0)
		goto out;
	content = json_string_value(json_object_get(root, "content"));
	if (content == NULL)
		goto out;
	content_len = json_string_length(json_object_get(root, "content"));
	chars = conv_utf8_chars(content, content_len);
	if (chars < 1 || chars > CONV_CONTENT_MAX)
		goto out;
	if (!ws_rate_take(st, ci, now_ms)) {
		code = WS_CLOSE_RATE_LIMITED;
		goto out;
	}
	code = 0;
	rc = conv_append_message(st->conversations, ci->tenant_id, ci->conversation_id, "visitor",
				 content, content_len, now_ms, &msg);
	if (rc == RELAY_E_CAPACITY_EXCEEDED) {
		*reply = frame_text(
			json_pack("{s:s, s:s}", "type", "error", "code", "capacity_exceeded"));
		goto out;
	}
	if (rc != RELAY_OK) { /* the conversation is gone (reset): the token is dead */
		code = WS_CLOSE_INVALID_TOKEN;
		goto out;
	}
	/* §8.2.1: echoed through the push, so every socket of the conversation sees it. */
	frame = ws_message_frame(msg);
	if (frame != NULL)
		ws_push_message(st, ci->tenant_id, ci->conversation_id, frame);
	callbacks_emit(st, ci->tenant_id, "message-received", msg);
	msg = NULL;
out:
	json_decref(msg);
	json_decref(root);
	return code;
}

/* The hub for st: ws_on_text with st as context. */
struct ws_hub *ws_hub_new_for_state(struct relay_state *st)
{
	return ws_hub_new(st->cfg.ws_max_sockets, ws_on_open, ws_on_text, st);
}

const struct relay_route routes_ws[] = {
	{"GET", "/api/v1/ws/widget", ROUTE_PUBLIC, ws_widget},
	{NULL, NULL, 0, NULL},
};
