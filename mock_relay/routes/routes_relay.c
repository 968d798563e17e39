/*
 * routes_relay.c - the relay API behind the HMAC#1 gate (SPEC §6).
 *
 * relay_http runs the gate (§4 steps 1-6) before these handlers, so req->tenant_id
 * is the verified tenant: body or query ids never select a tenant (§6.6.2). Each
 * handler then checks its body or query (step 7: 400, then 422 naming the first
 * failing field in SPEC's table order), then the objects (404, 507).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callbacks_emit.h"
#include "conv_store.h"
#include "relay_fields.h"
#include "relay_jwt.h"
#include "operator_store.h"
#include "relay_lifecycle.h"
#include "relay_router.h"
#include "session_store.h"
#include "tenant_store.h"
#include "ws_push.h"
#include "relay_text.h"

_Static_assert(sizeof(((struct relay_state *)0)->token_key) == TOKEN_KEY_LEN,
	       "relay_state.token_key must hold TOKEN_KEY_LEN bytes");

#define VISITOR_ID_MAX   128 /* §6.1.1, characters */
#define DISPLAY_NAME_MAX 200 /* §6.1.1, §6.4.1 */
#define ROUTING_KEYS_MAX 100 /* §6.4.1 */
#define ROUTING_KEY_MAX  128
#define EMAIL_HASH_LEN   (7 + 64) /* "sha256:" + 64 lowercase hex (§6.3.1) */

/* 422 naming field. */
static void invalid(struct relay_response *resp, const char *field)
{
	response_error(resp, RELAY_E_VALIDATION_FAILED, field, NULL);
}

/* ?conversation_id= (§1.6.5); 400 naming it when missing or malformed. */
static const char *conversation_param(struct relay_request *req, struct relay_response *resp)
{
	const char *v = request_query(req, "conversation_id");

	if (request_query_count(req, "conversation_id") > 1 || !text_id_valid(v)) {
		response_error(resp, RELAY_E_MALFORMED_REQUEST, "conversation_id", NULL);
		return NULL;
	}
	return v;
}

/* §10.3.3: the journal entry names the conversation and its status after the call. */
static void journal_status(struct relay_request *req, const char *conversation_id,
			   enum conv_status status)
{
	journal_copy(req->journal->conversation_id, sizeof(req->journal->conversation_id),
		     conversation_id);
	journal_copy(req->journal->conversation_status, sizeof(req->journal->conversation_status),
		     conv_store_status_name(status));
}

/* The same, the status looked up. */
static void journal_conversation(struct relay_request *req, const char *conversation_id)
{
	struct conv_life life;

	if (conv_store_life_get(req->st->conversations, req->tenant_id, conversation_id, &life) ==
	    RELAY_OK)
		journal_status(req, conversation_id, life.status);
}

/* §6.1.1 create/conversation: {visitor_user_id, visitor_display_name, locale, metadata}. */
static void handle_create_conversation(struct relay_request *req, struct relay_response *resp)
{
	struct conv_fields f;
	json_t *body, *conv = NULL;
	enum relay_rc rc;

	body = request_json_object(req, resp);
	if (body == NULL)
		return;
	memset(&f, 0, sizeof(f));
	if (!field_string(body, "visitor_user_id", FIELD_REQUIRED | FIELD_NO_CONTROL, 1,
			  VISITOR_ID_MAX, &f.visitor_user_id, NULL)) {
		invalid(resp, "visitor_user_id");
	} else if (!field_string(body, "visitor_display_name", FIELD_NULLABLE | FIELD_NO_CONTROL, 1,
				 DISPLAY_NAME_MAX, &f.visitor_display_name, NULL)) {
		invalid(resp, "visitor_display_name");
	} else if (!field_string(body, "locale", 0, 1, 35, &f.locale, NULL) ||
		   (f.locale != NULL && !conv_store_locale_valid(f.locale))) {
		invalid(resp, "locale");
	} else if (!field_object(body, "metadata", &f.metadata)) {
		invalid(resp, "metadata");
	} else if (!field_string(body, "routing_key", FIELD_NULLABLE, 1, ROUTING_KEY_MAX,
				 &f.routing_key, NULL)) {
		invalid(resp, "routing_key");
	} else if (!field_string(body, "mode", 0, 1, 8, &f.mode, NULL) ||
		   (f.mode != NULL && strcmp(f.mode, "bot") != 0 && strcmp(f.mode, "human") != 0)) {
		invalid(resp, "mode");
	} else {
		rc = conv_store_create(req->st->conversations, req->tenant_id, &f, req->now_ms,
				       &conv, NULL);
		if (rc != RELAY_OK) {
			response_error(resp, rc, NULL, NULL);
		} else {
			/* §6.1.3, §9.4; the payload bytes are fixed inside the call */
			callbacks_emit(req->st, req->tenant_id, "conversation-started",
				       json_incref(conv));
			journal_conversation(req, json_string_value(json_object_get(conv, "id")));
			response_success(resp, 201, conv, "Conversation created.");
		}
	}
	json_decref(body);
}

/* §6.1.4 fetch/conversation?conversation_id= */
/* handle_fetch_conversation()'s reader, under the conversation's lock. */
struct fetched {
	struct relay_response *resp;
	enum conv_status status;
};

static void fetched_envelope(void *cls, const char *text, size_t len, enum conv_status status)
{
	struct fetched *f = cls;

	/* the envelope is built around the stored text: no tree built or dumped per call */
	response_success_text(f->resp, 200, text, len, "Conversation fetched.");
	f->status = status;
}

static void handle_fetch_conversation(struct relay_request *req, struct relay_response *resp)
{
	const char *id = conversation_param(req, resp);
	struct fetched f = {resp, CONV_OPEN};
	enum relay_rc rc;

	if (id == NULL)
		return;
	rc = conv_store_fetch_text(req->st->conversations, req->tenant_id, id, fetched_envelope,
				   &f);
	if (rc != RELAY_OK)
		response_error(resp, rc, NULL, NULL);
	else if (resp->rc == RELAY_OK)
		journal_status(req, id, f.status);
}

/* §2.3.4: one visitor message against the tenant's monthly quota (*quota: 0 = none). */
static enum relay_rc visitor_quota_take(struct relay_request *req, int64_t *quota)
{
	struct tenant_snapshot *t = calloc(1, sizeof(*t));
	enum relay_rc rc = RELAY_E_NOMEM;

	*quota = 0;
	if (t != NULL)
		rc = tenant_store_snapshot(req->st->store, req->tenant_id, t);
	if (rc == RELAY_OK) {
		*quota = t->monthly_msg_quota;
		rc = lifecycle_quota_take(req->st->lifecycle, req->tenant_id, *quota, req->now_ms);
	}
	free(t);
	return rc;
}

/* §6.2.1 send/message: {conversation_id, role, content}. */
static void handle_send_message(struct relay_request *req, struct relay_response *resp)
{
	const char *conv_id, *role, *content;
	size_t content_len;
	json_t *body, *msg = NULL;
	enum relay_rc rc;

	body = request_json_object(req, resp);
	if (body == NULL)
		return;
	if (!field_string(body, "conversation_id", FIELD_REQUIRED, 1, 128, &conv_id, NULL)) {
		invalid(resp, "conversation_id");
	} else if (!field_string(body, "role", FIELD_REQUIRED, 1, 16, &role, NULL) ||
		   !conv_store_role_valid(role)) {
		invalid(resp, "role");
	} else if (!field_string(body, "content", FIELD_REQUIRED, 1, CONV_CONTENT_MAX, &content,
				 &content_len)) {
		invalid(resp, "content");
	} else {
		int64_t quota = 0;

		/* §2.3.4: visitor messages count against the monthly quota */
		rc = strcmp(role, "visitor") == 0 ? visitor_quota_take(req, &quota) : RELAY_OK;
		if (rc == RELAY_OK)
			rc = conv_store_append_message(req->st->conversations, req->tenant_id,
						       conv_id, role, content, content_len,
						       req->now_ms, &msg);
		if (rc != RELAY_OK && rc != RELAY_E_QUOTA_EXCEEDED)
			lifecycle_quota_refund(req->st->lifecycle, req->tenant_id, quota,
					       req->now_ms);
		if (rc != RELAY_OK) {
			response_error(resp, rc, NULL, NULL);
		} else {
			/* §6.2.4: pushed to the conversation's sockets; visitor → callback */
			ws_push_message(req->st, req->tenant_id, conv_id, ws_message_frame(msg));
			/* the bot's reply (§9.6.1) comes after the answer's message */
			json_incref(msg);
			response_success(resp, 201, msg, "Message sent.");
			if (strcmp(role, "visitor") == 0)
				lifecycle_visitor_message(req->st, req->tenant_id, conv_id, msg,
							  NULL);
			else
				json_decref(msg);
			journal_conversation(req, conv_id);
		}
	}
	json_decref(body);
}

/* §6.2.5 fetch/messages?conversation_id=&limit=&offset= */
static void handle_fetch_messages(struct relay_request *req, struct relay_response *resp)
{
	const char *id = conversation_param(req, resp);
	long long limit, offset;
	json_t *page = NULL;
	enum relay_rc rc;

	if (id == NULL ||
	    !request_int_param(req, "limit", 1, CONV_PAGE_LIMIT_MAX, CONV_PAGE_LIMIT_DEF, &limit,
			       resp) ||
	    !request_int_param(req, "offset", 0, 2147483647LL, 0, &offset, resp))
		return;
	rc = conv_store_fetch_messages(req->st->conversations, req->tenant_id, id, (size_t)limit,
				       (size_t)offset, &page);
	if (rc != RELAY_OK)
		response_error(resp, rc, NULL, NULL);
	else
		response_success(resp, 200, page, "Messages fetched.");
}

/* 1 when h is "sha256:" followed by 64 lowercase hex digits (§6.3.1). */
static int email_hash_valid(const char *h, size_t len)
{
	size_t i;

	if (len != EMAIL_HASH_LEN || strncmp(h, "sha256:", 7) != 0)
		return 0;
	for (i = 7; i < len; i++) {
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	}
	return 1;
}

/* {"<name>": token, "expires_at": RFC 3339 of exp} */
static json_t *token_data(const char *name, const char *token, int64_t exp_s)
{
	char at[RFC3339_LEN + 1];

	ids_rfc3339(exp_s * 1000, at);
	return json_pack("{s:s, s:s}", name, token, "expires_at", at);
}

/*
 * §6.3 mint/visitor-token: a session (no origin) and its conversation, bound to the
 * tenant's current widget key; the token's sub is visitor_user_id.
 */
static void handle_mint_visitor_token(struct relay_request *req, struct relay_response *resp)
{
	struct relay_state *st = req->st;
	struct tenant_snapshot t;
	struct visitor_session v;
	struct visitor_claims c;
	struct conv_fields f = {NULL, NULL, "fr", NULL, NULL, NULL};
	const char *visitor, *email_hash;
	size_t email_hash_len;
	json_int_t ttl;
	json_t *body;
	char *token = NULL;
	bool conv_made = false;
	enum relay_rc rc;

	body = request_json_object(req, resp);
	if (body == NULL)
		return;
	if (!field_string(body, "visitor_user_id", FIELD_REQUIRED | FIELD_NO_CONTROL, 1,
			  VISITOR_ID_MAX, &visitor, NULL)) {
		invalid(resp, "visitor_user_id");
		goto out;
	}
	if (!field_string(body, "visitor_email_hash", FIELD_NULLABLE, 1, EMAIL_HASH_LEN,
			  &email_hash, &email_hash_len) ||
	    (email_hash != NULL && !email_hash_valid(email_hash, email_hash_len))) {
		invalid(resp, "visitor_email_hash");
		goto out;
	}
	if (!field_int(body, "ttl_seconds", TOKEN_TTL_MIN_S, TOKEN_TTL_MAX_S, TOKEN_VISITOR_TTL_S,
		       &ttl)) {
		invalid(resp, "ttl_seconds");
		goto out;
	}

	memset(&v, 0, sizeof(v));
	memset(&c, 0, sizeof(c));
	rc = tenant_store_snapshot(st->store, req->tenant_id, &t);
	if (rc == RELAY_OK)
		rc = token_widget_key_hash(t.widget_public_key, v.wpk);
	if (rc == RELAY_OK)
		rc = ids_prefixed("vs_", req->now_ms, v.session_id);
	if (rc != RELAY_OK)
		goto fail;
	f.visitor_user_id = visitor;
	rc = conv_store_create(st->conversations, req->tenant_id, &f, req->now_ms, NULL,
			       v.conversation_id);
	if (rc != RELAY_OK)
		goto fail;
	conv_made = true;
	memcpy(v.tenant_id, req->tenant_id, sizeof(v.tenant_id) - 1);
	snprintf(v.sub, sizeof(v.sub), "%s", visitor);
	memcpy(v.locale, "fr", 3);
	memcpy(v.mode, "bot", 4);
	v.created_ms = req->now_ms;
	v.ttl_s = ttl;
	rc = session_store_add(st->sessions, &v, req->now_ms);
	if (rc != RELAY_OK)
		goto fail;

	memcpy(c.sub, v.sub, sizeof(v.sub));
	memcpy(c.tid, v.tenant_id, sizeof(v.tenant_id));
	memcpy(c.sid, v.session_id, sizeof(v.session_id));
	memcpy(c.wpk, v.wpk, sizeof(v.wpk));
	c.iat = req->now_ms / 1000;
	c.exp = c.iat + ttl;
	rc = token_mint_visitor(st->token_key, sizeof(st->token_key), &c, &token);
	if (rc != RELAY_OK) {
		session_store_remove(st->sessions, v.session_id);
		goto fail;
	}
	callbacks_emit_conversation(st, req->tenant_id, v.conversation_id); /* §9.4 */
	response_success(resp, 201, token_data("visitor_token", token, c.exp),
			 "Visitor token minted.");
	goto out;
fail:
	if (conv_made)
		conv_store_remove(st->conversations, req->tenant_id, v.conversation_id);
	response_error(resp, rc, NULL, NULL);
out:
	free(token);
	json_decref(body);
}

/* routing_keys: null, or an array of at most 100 strings of 1-128 characters. */
static int routing_keys_valid(json_t *body, bool *present, json_t **out)
{
	json_t *v = json_object_get(body, "routing_keys"), *k;
	size_t i;

	*present = v != NULL;
	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 1;
	if (!json_is_array(v) || json_array_size(v) > ROUTING_KEYS_MAX)
		return 0;
	json_array_foreach(v, i, k)
	{
		size_t chars;

		if (!json_is_string(k))
			return 0;
		chars = text_utf8_chars(json_string_value(k), json_string_length(k));
		if (chars < 1 || chars > ROUTING_KEY_MAX)
			return 0;
	}
	*out = v;
	return 1;
}

/* §6.4 provision/operator: 201 new, 200 created:false when (email, tenant) exists. */
static void handle_provision_operator(struct relay_request *req, struct relay_response *resp)
{
	struct operator_fields f;
	const char *email;
	size_t email_len;
	json_t *body, *op = NULL;
	bool created = false;
	enum relay_rc rc;

	body = request_json_object(req, resp);
	if (body == NULL)
		return;
	memset(&f, 0, sizeof(f));
	f.has_display_name = json_object_get(body, "display_name") != NULL;
	if (!field_string(body, "email", FIELD_REQUIRED, 1, OPERATOR_EMAIL_MAX, &email,
			  &email_len) ||
	    !operator_store_email_valid(email, email_len)) {
		invalid(resp, "email");
	} else if (!field_string(body, "display_name", FIELD_NULLABLE, 1, DISPLAY_NAME_MAX,
				 &f.display_name, NULL)) {
		invalid(resp, "display_name");
	} else if (!routing_keys_valid(body, &f.has_routing_keys, &f.routing_keys)) {
		invalid(resp, "routing_keys");
	} else if (!field_string(body, "backend_user_id", FIELD_NULLABLE | FIELD_NO_CONTROL, 1,
				 VISITOR_ID_MAX, &f.backend_user_id, NULL)) {
		invalid(resp, "backend_user_id");
	} else {
		f.has_backend_user_id = json_object_get(body, "backend_user_id") != NULL;
		f.email = email;
		rc = operator_store_provision(req->st->operators, req->tenant_id, &f, req->now_ms,
					      &created, &op);
		if (rc != RELAY_OK)
			response_error(resp, rc, NULL, NULL);
		else if (created)
			response_success(resp, 201, op, "Operator provisioned.");
		else
			response_success(resp, 200, op, "Operator already provisioned.");
	}
	json_decref(body);
}

/* §6.5 mint/operator-token: {operator_id, ttl_seconds}. */
static void handle_mint_operator_token(struct relay_request *req, struct relay_response *resp)
{
	struct operator_claims c;
	const char *op_id;
	json_int_t ttl;
	json_t *body;
	char *token = NULL;
	enum relay_rc rc;

	body = request_json_object(req, resp);
	if (body == NULL)
		return;
	/* §6.5.1: any string; an unknown one is 404 below */
	if (!field_string(body, "operator_id", FIELD_REQUIRED, 0, (size_t)-1, &op_id, NULL)) {
		invalid(resp, "operator_id");
		goto out;
	}
	if (!field_int(body, "ttl_seconds", TOKEN_TTL_MIN_S, TOKEN_TTL_MAX_S, TOKEN_VISITOR_TTL_S,
		       &ttl)) {
		invalid(resp, "ttl_seconds");
		goto out;
	}
	rc = operator_store_find(req->st->operators, req->tenant_id, op_id);
	if (rc != RELAY_OK) {
		response_error(resp, rc, NULL, NULL);
		goto out;
	}
	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", op_id);
	snprintf(c.tid, sizeof(c.tid), "%s", req->tenant_id);
	c.iat = req->now_ms / 1000;
	c.exp = c.iat + ttl;
	rc = token_mint_operator(req->st->token_key, sizeof(req->st->token_key), &c, &token);
	if (rc != RELAY_OK) {
		response_error(resp, rc, NULL, NULL);
		goto out;
	}
	response_success(resp, 201, token_data("operator_token", token, c.exp),
			 "Operator token minted.");
out:
	free(token);
	json_decref(body);
}

const struct relay_route routes_relay[] = {
	{"POST", "/api/v1/relay/create/conversation", ROUTE_HMAC1, handle_create_conversation},
	{"GET", "/api/v1/relay/fetch/conversation", ROUTE_HMAC1, handle_fetch_conversation},
	{"POST", "/api/v1/relay/send/message", ROUTE_HMAC1, handle_send_message},
	{"GET", "/api/v1/relay/fetch/messages", ROUTE_HMAC1, handle_fetch_messages},
	{"POST", "/api/v1/relay/mint/visitor-token", ROUTE_HMAC1, handle_mint_visitor_token},
	{"POST", "/api/v1/relay/provision/operator", ROUTE_HMAC1, handle_provision_operator},
	{"POST", "/api/v1/relay/mint/operator-token", ROUTE_HMAC1, handle_mint_operator_token},
	{NULL, NULL, 0, NULL},
};
