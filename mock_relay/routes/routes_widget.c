/*
 * routes_widget.c - the public, CORS-gated widget calls (SPEC §7).
 *
 * No HMAC#1 here: the widget proves itself with (tenant_id, widget_public_key) and
 * an allowed origin, then with its visitor token. Orders of checks:
 *   create/visitor-session (§7.1.3): 400 JSON -> 422 fields in table order ->
 *     401 invalid_widget_key -> 403 tenant_suspended -> 403 origin_not_allowed
 *     (body origin, then the Origin header) -> 507 capacity.
 *   fetch/widget-config (§7.3.2): 400 query -> 401 -> 403 suspended -> 403 origin.
 *   refresh/visitor-token (§7.4.2): 401 bearer/token/session -> 403 suspended ->
 *     401 widget key rotated -> 403 origin -> 401 session_expired.
 * CORS (§7.5): every response of these routes carries Vary: Origin, and
 * Access-Control-Allow-Origin (the Origin header as received, never *) when some
 * tenant allows that origin; OPTIONS answers the preflight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "callbacks_emit.h"
#include "conv_store.h"
#include "relay_fields.h"
#include "relay_jwt.h"
#include "relay_origin.h"
#include "relay_router.h"
#include "session_store.h"
#include "tenant_store.h"
#include "relay_text.h"

#define ROUTING_KEY_MAX 128 /* §7.1.2, characters */
#define ANY_LENGTH      ((size_t)-1)

/* §7.5.5: Vary always; ACAO iff the Origin header is CORS-allowed (§7.5.2). */
static void cors_headers(const struct relay_request *req, struct relay_response *resp)
{
	(void)response_header(resp, "Vary", "Origin");
	if (req->origin != NULL &&
	    tenant_store_any_tenant_allows_origin(req->st->store, req->origin, strlen(req->origin)))
		(void)response_header(resp, "Access-Control-Allow-Origin", req->origin);
}

/* §7.5.3-7.5.4: OPTIONS on the three widget paths. */
static void handle_preflight(struct relay_request *req, struct relay_response *resp)
{
	(void)response_header(resp, "Vary", "Origin");
	if (req->origin == NULL || !tenant_store_any_tenant_allows_origin(
					   req->st->store, req->origin, strlen(req->origin))) {
		response_error(resp, RELAY_E_ORIGIN_NOT_ALLOWED, NULL, NULL);
		return;
	}
	response_empty(resp, 204);
	if (resp->status != 204)
		return;
	(void)response_header(resp, "Access-Control-Allow-Origin", req->origin);
	(void)response_header(resp, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
	(void)response_header(resp, "Access-Control-Allow-Headers", "Content-Type, Authorization");
	(void)response_header(resp, "Access-Control-Max-Age", "600");
}

/* §7.3.3: {"tenant_name","is_online","branding_primary_color"}. */
static json_t *widget_config(const struct tenant_snapshot *t)
{
	return json_pack("{s:s, s:b, s:s?}", "tenant_name", t->tenant_name, "is_online", 1,
			 "branding_primary_color",
			 t->branding_primary_color[0] != '\0' ? t->branding_primary_color : NULL);
}

/*
 * §7.1.3 step 5 / §7.3.2: when an Origin header is present it must be a valid
 * origin; with expect (normalized, may be NULL) it must also equal it. 1 when fine.
 */
static int origin_header_ok(const struct relay_request *req, const char *expect)
{
	char norm[ORIGIN_MAX_LEN + 1];

	if (req->origin == NULL)
		return 1;
	if (origin_normalize(req->origin, strlen(req->origin), norm, sizeof(norm), NULL) !=
	    RELAY_OK)
		return 0;
	return expect == NULL || strcmp(norm, expect) == 0;
}

/* A visitor token for session v, issued now. *token and *exp_s on RELAY_OK. */
static enum relay_rc session_token(const struct relay_state *st, const struct visitor_session *v,
				   int64_t now_ms, char **token, int64_t *exp_s)
{
	struct visitor_claims c;

	memset(&c, 0, sizeof(c));
	memcpy(c.sub, v->sub, sizeof(v->sub));
	memcpy(c.tid, v->tenant_id, sizeof(v->tenant_id));
	memcpy(c.sid, v->session_id, sizeof(v->session_id));
	memcpy(c.origin, v->origin, sizeof(v->origin));
	memcpy(c.wpk, v->wpk, sizeof(v->wpk));
	c.iat = now_ms / 1000;
	c.exp = c.iat + v->ttl_s;
	*exp_s = c.exp;
	return token_mint_visitor(st->token_key, sizeof(st->token_key), &c, token);
}

/* {"session_id","visitor_token","expires_at"} (+ widget_config when t is not NULL). */
static json_t *session_data(const char *session_id, const char *token, int64_t exp_s,
			    const struct tenant_snapshot *t)
{
	char at[RFC3339_LEN + 1];
	json_t *data;

	ids_rfc3339(exp_s * 1000, at);
	data = json_pack("{s:s, s:s, s:s}", "session_id", session_id, "visitor_token", token,
			 "expires_at", at);
	if (data != NULL && t != NULL &&
	    json_object_set_new(data, "widget_config", widget_config(t)) != 0) {
		json_decref(data);
		data = NULL;
	}
	return data;
}

/* The validated body of create/visitor-session (§7.1.2); strings borrowed from the body. */
struct session_request {
	const char *tenant_id, *widget_key, *origin, *locale, *routing_key, *mode;
	json_t *metadata;
};

/* Step 2 of §7.1.3: fields in table order. Returns the failing field or NULL. */
static const char *session_fields(json_t *body, struct session_request *s)
{
	if (!field_string(body, "tenant_id", FIELD_REQUIRED, 0, ANY_LENGTH, &s->tenant_id, NULL))
		return "tenant_id";
	if (!field_string(body, "widget_public_key", FIELD_REQUIRED, 0, ANY_LENGTH, &s->widget_key,
			  NULL))
		return "widget_public_key";
	if (!field_string(body, "origin", FIELD_REQUIRED, 0, ANY_LENGTH, &s->origin, NULL))
		return "origin";
	if (!field_string(body, "locale", 0, 1, 35, &s->locale, NULL) ||
	    (s->locale != NULL && !conv_store_locale_valid(s->locale)))
		return "locale";
	if (!field_object(body, "metadata", &s->metadata))
		return "metadata";
	if (!field_string(body, "routing_key", FIELD_NULLABLE, 1, ROUTING_KEY_MAX, &s->routing_key,
			  NULL))
		return "routing_key";
	if (!field_string(body, "mode", 0, 1, 8, &s->mode, NULL) ||
	    (s->mode != NULL && strcmp(s->mode, "bot") != 0 && strcmp(s->mode, "human") != 0))
		return "mode";
	if (s->locale == NULL)
		s->locale = "fr";
	if (s->mode == NULL)
		s->mode = "bot";
	return NULL;
}

/* §7.1 POST create/visitor-session. */
static void handle_create_session(struct relay_request *req, struct relay_response *resp)
{
	struct relay_state *st = req->st;
	struct session_request s;
	struct tenant_snapshot t;
	struct visitor_session v;
	struct conv_fields f;
	const char *field;
	json_t *body;
	char *token = NULL;
	int64_t exp_s = 0;
	bool conv_made = false;
	enum relay_rc rc;

	cors_headers(req, resp);
	body = request_json_object(req, resp);
	if (body == NULL)
		return;
	memset(&s, 0, sizeof(s));
	memset(&v, 0, sizeof(v));
	field = session_fields(body, &s);
	if (field != NULL) {
		response_error(resp, RELAY_E_VALIDATION_FAILED, field, NULL);
		goto out;
	}
	rc = RELAY_E_INVALID_WIDGET_KEY;
	if (!tenant_store_widget_key_matches(st->store, s.tenant_id, s.widget_key) ||
	    tenant_store_snapshot(st->store, s.tenant_id, &t) != RELAY_OK)
		goto fail;
	snprintf(req->tenant_id, sizeof(req->tenant_id), "%s", t.tenant_id); /* journal */
	rc = RELAY_E_TENANT_SUSPENDED;
	if (t.suspended)
		goto fail;
	rc = RELAY_E_ORIGIN_NOT_ALLOWED;
	if (origin_normalize(s.origin, strlen(s.origin), v.origin, sizeof(v.origin), NULL) !=
		    RELAY_OK ||
	    !tenant_store_origin_allowed(st->store, t.tenant_id, v.origin, strlen(v.origin)) ||
	    !origin_header_ok(req, v.origin))
		goto fail;

	rc = ids_prefixed("vs_", req->now_ms, v.session_id);
	if (rc == RELAY_OK)
		rc = token_widget_key_hash(s.widget_key, v.wpk);
	if (rc != RELAY_OK)
		goto fail;
	memcpy(v.tenant_id, t.tenant_id, sizeof(v.tenant_id));
	memcpy(v.sub, v.session_id, sizeof(v.session_id)); /* §7.2.1: sub = session id */
	snprintf(v.locale, sizeof(v.locale), "%s", s.locale);
	snprintf(v.mode, sizeof(v.mode), "%s", s.mode);
	if (s.routing_key != NULL)
		snprintf(v.routing_key, sizeof(v.routing_key), "%s", s.routing_key);
	v.created_ms = req->now_ms;
	v.ttl_s = TOKEN_VISITOR_TTL_S;

	/* §6.1.5: the session's conversation exists from the start */
	memset(&f, 0, sizeof(f));
	f.visitor_user_id = v.sub;
	f.locale = v.locale;
	f.metadata = s.metadata;
	rc = conv_store_create(st->conversations, v.tenant_id, &f, req->now_ms, NULL,
			       v.conversation_id);
	if (rc != RELAY_OK)
		goto fail;
	conv_made = true;
	rc = session_store_add(st->sessions, &v, req->now_ms);
	if (rc != RELAY_OK)
		goto fail;
	rc = session_token(st, &v, req->now_ms, &token, &exp_s);
	if (rc != RELAY_OK) {
		session_store_remove(st->sessions, v.session_id);
		goto fail;
	}
	callbacks_emit_conversation(st, v.tenant_id, v.conversation_id); /* §9.4 */
	response_success(resp, 201, session_data(v.session_id, token, exp_s, &t),
			 "Visitor session created.");
	goto out;
fail:
	if (conv_made)
		conv_store_remove(st->conversations, v.tenant_id, v.conversation_id);
	response_error(resp, rc, NULL, NULL);
out:
	free(token);
	json_decref(body);
}

/* §7.3 GET fetch/widget-config?tenant_id=&widget_public_key= */
static void handle_widget_config(struct relay_request *req, struct relay_response *resp)
{
	struct relay_state *st = req->st;
	const char *tenant_id = request_query(req, "tenant_id");
	const char *key = request_query(req, "widget_public_key");
	struct tenant_snapshot t;

	cors_headers(req, resp);
	/* §1.6.4: a parameter given twice is malformed. */
	if (request_query_count(req, "tenant_id") > 1 || !text_id_valid(tenant_id)) {
		response_error(resp, RELAY_E_MALFORMED_REQUEST, "tenant_id", NULL);
		return;
	}
	if (request_query_count(req, "widget_public_key") > 1 || !text_id_valid(key)) {
		response_error(resp, RELAY_E_MALFORMED_REQUEST, "widget_public_key", NULL);
		return;
	}
	if (!tenant_store_widget_key_matches(st->store, tenant_id, key) ||
	    tenant_store_snapshot(st->store, tenant_id, &t) != RELAY_OK) {
		response_error(resp, RELAY_E_INVALID_WIDGET_KEY, NULL, NULL);
		return;
	}
	snprintf(req->tenant_id, sizeof(req->tenant_id), "%s", t.tenant_id);
	if (t.suspended) {
		response_error(resp, RELAY_E_TENANT_SUSPENDED, NULL, NULL);
		return;
	}
	if (req->origin != NULL &&
	    (!origin_header_ok(req, NULL) ||
	     !tenant_store_origin_allowed(st->store, t.tenant_id, req->origin,
					  strlen(req->origin)))) {
		response_error(resp, RELAY_E_ORIGIN_NOT_ALLOWED, NULL, NULL);
		return;
	}
	response_success(resp, 200, widget_config(&t), "Widget config fetched.");
}

/* The token of "Authorization: Bearer <token>", or NULL. */
static const char *bearer_token(const struct relay_request *req)
{
	const char *h = request_header(req, "Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	if (*h == '\0' || strchr(h, ' ') != NULL)
		return NULL;
	return h;
}

/* §7.4 POST refresh/visitor-token (Bearer old token, even expired). */
static void handle_refresh(struct relay_request *req, struct relay_response *resp)
{
	struct relay_state *st = req->st;
	struct visitor_claims c;
	struct visitor_session v;
	struct tenant_snapshot t;
	char wpk[TOKEN_WPK_LEN + 1];
	const char *old = bearer_token(req);
	char *token = NULL;
	int64_t exp_s = 0;
	enum relay_rc rc = RELAY_E_INVALID_TOKEN;

	cors_headers(req, resp);
	/* steps 1-2: a valid token (exp not checked) naming a live tenant and session */
	if (old == NULL ||
	    token_verify_visitor(st->token_key, sizeof(st->token_key), old, req->now_ms, &c,
				 NULL) != RELAY_OK ||
	    tenant_store_snapshot(st->store, c.tid, &t) != RELAY_OK ||
	    session_store_find(st->sessions, c.tid, c.sid, &v) != RELAY_OK)
		goto fail;
	snprintf(req->tenant_id, sizeof(req->tenant_id), "%s", t.tenant_id);
	rc = RELAY_E_TENANT_SUSPENDED;
	if (t.suspended)
		goto fail;
	/* step 4: the widget key the token is bound to is still the tenant's */
	rc = token_widget_key_hash(t.widget_public_key, wpk);
	if (rc != RELAY_OK)
		goto fail;
	rc = RELAY_E_INVALID_TOKEN;
	if (strcmp(wpk, c.wpk) != 0)
		goto fail;
	/* step 5: the origin is still allowed and the browser's Origin agrees */
	rc = RELAY_E_ORIGIN_NOT_ALLOWED;
	if (c.origin[0] != '\0' &&
	    (!tenant_store_origin_allowed(st->store, t.tenant_id, c.origin, strlen(c.origin)) ||
	     !origin_header_ok(req, c.origin)))
		goto fail;
	/* step 6: 30 days from creation */
	rc = RELAY_E_SESSION_EXPIRED;
	if (req->now_ms - v.created_ms >= SESSION_MAX_AGE_MS)
		goto fail;
	rc = session_token(st, &v, req->now_ms, &token, &exp_s);
	if (rc != RELAY_OK)
		goto fail;
	response_success(resp, 200, session_data(v.session_id, token, exp_s, NULL),
			 "Visitor token refreshed.");
	free(token);
	return;
fail:
	response_error(resp, rc, NULL, NULL);
}

const struct relay_route routes_widget[] = {
	{"POST", "/api/v1/create/visitor-session", ROUTE_PUBLIC, handle_create_session},
	{"OPTIONS", "/api/v1/create/visitor-session", ROUTE_PUBLIC, handle_preflight},
	{"GET", "/api/v1/fetch/widget-config", ROUTE_PUBLIC, handle_widget_config},
	{"OPTIONS", "/api/v1/fetch/widget-config", ROUTE_PUBLIC, handle_preflight},
	{"POST", "/api/v1/refresh/visitor-token", ROUTE_PUBLIC, handle_refresh},
	{"OPTIONS", "/api/v1/refresh/visitor-token", ROUTE_PUBLIC, handle_preflight},
	{NULL, NULL, 0, NULL},
};
