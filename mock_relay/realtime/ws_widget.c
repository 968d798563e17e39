/*
 * ws_widget.c - the widget socket's protocol over the hub (see ws_widget.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "callbacks_emit.h"
#include "conv_store.h"
#include "relay_jwt.h"
#include "relay_lifecycle.h"
#include "relay_origin.h"
#include "session_store.h"
#include "relay_state.h"
#include "relay_statedb.h"
#include "tenant_store.h"
#include "ws_push.h"
#include "ws_widget.h"
#include "relay_text.h"

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
	/* 1: valid (§7.2.5), unexpired (§7.2.3), naming a live session of its tenant. */
	if (token == NULL || strlen(token) > TOKEN_MAX_LEN)
		goto out;
	if (token_verify_visitor(st->token_key, TOKEN_KEY_LEN, token, now_ms, vc, &expired) !=
		    RELAY_OK ||
	    expired)
		goto out;
	if (tenant_store_snapshot(st->store, vc->tid, snap) != RELAY_OK)
		goto out;
	if (session_store_find(st->sessions, vc->tid, vc->sid, vs) != RELAY_OK)
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
		if (!tenant_store_origin_allowed(st->store, vc->tid, vc->origin,
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
uint16_t ws_widget_on_open(void *ctx, const char *token, const char *origin,
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

	if (tenant_store_auth(st->store, ci->tenant_id, &auth) != RELAY_OK)
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
int ws_widget_on_text(void *ctx, struct ws_conn_info *ci, const char *text, size_t len,
		      char **reply)
{
	struct relay_state *st = ctx;
	json_t *root, *msg = NULL, *frame;
	const char *type, *content;
	size_t content_len, chars;
	int64_t now_ms = relay_clock_now_ms(&st->clock), quota;
	struct tenant_snapshot *quota_snap;
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
	chars = text_utf8_chars(content, content_len);
	if (chars < 1 || chars > CONV_CONTENT_MAX)
		goto out;
	if (!ws_rate_take(st, ci, now_ms)) {
		code = WS_CLOSE_RATE_LIMITED;
		goto out;
	}
	code = 0;
	/* §2.3.4: over the tenant's monthly quota → an error frame, nothing stored */
	quota_snap = calloc(1, sizeof(*quota_snap));
	rc = quota_snap == NULL ? RELAY_E_NOMEM
				: tenant_store_snapshot(st->store, ci->tenant_id, quota_snap);
	quota = rc == RELAY_OK ? quota_snap->monthly_msg_quota : 0;
	free(quota_snap);
	if (rc == RELAY_OK)
		rc = lifecycle_quota_take(st->lifecycle, ci->tenant_id, quota, now_ms);
	if (rc == RELAY_E_QUOTA_EXCEEDED) {
		*reply = frame_text(
			json_pack("{s:s, s:s}", "type", "error", "code", "quota_exceeded"));
		goto out;
	}
	rc = conv_store_append_message(st->conversations, ci->tenant_id, ci->conversation_id,
				       "visitor", content, content_len, now_ms, &msg);
	if (rc != RELAY_OK)
		lifecycle_quota_refund(st->lifecycle, ci->tenant_id, quota, now_ms);
	if (rc == RELAY_E_CAPACITY_EXCEEDED) {
		*reply = frame_text(
			json_pack("{s:s, s:s}", "type", "error", "code", "capacity_exceeded"));
		goto out;
	}
	if (rc != RELAY_OK) { /* the conversation is gone (reset): the token is dead */
		code = WS_CLOSE_INVALID_TOKEN;
		goto out;
	}
	/* §14.2: the message is committed before anyone is told of it. */
	if (statedb_sync() != RELAY_OK) {
		*reply = frame_text(
			json_pack("{s:s, s:s}", "type", "error", "code", "state_unavailable"));
		goto out;
	}
	/* §8.2.1: echoed through the push, so every socket of the conversation sees it. */
	frame = ws_message_frame(msg);
	if (frame != NULL)
		ws_push_message(st, ci->tenant_id, ci->conversation_id, frame);
	/* message-received, then the bot or the escalation (§9.6.1) */
	lifecycle_visitor_message(st, ci->tenant_id, ci->conversation_id, msg, NULL);
	msg = NULL;
out:
	json_decref(msg);
	json_decref(root);
	return code;
}
