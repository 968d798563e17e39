/*
 * routes_lifecycle.c - the lifecycle side of the control plane (SPEC.md §10.8).
 *
 *   PUT  /__mock/lifecycle/trigger    {"tenant_id","phrase"}            escalation phrase
 *   POST /__mock/lifecycle/escalate   {"tenant_id","conversation_id"}   → pending + ticket
 *   GET  /__mock/lifecycle/queue      ?tenant_id=&operator_id=&limit=&offset=
 *   POST /__mock/lifecycle/take       {"tenant_id","operator_id","conversation_id"}
 *   POST /__mock/lifecycle/release    (same)
 *   POST /__mock/lifecycle/resolve    (same)
 *   POST /__mock/lifecycle/send       (same) + "content"
 *   POST /__mock/lifecycle/scenario   {"tenant_id","routing_key"}       a whole lifecycle
 *
 * Operator calls act as one provisioned operator, named by tenant_id + operator_id,
 * or by an operator token in `Authorization: Bearer` whose tids scope is enforced
 * (§10.8.3). Mock only: a real relay has none of these paths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conv_store.h"
#include "relay_fields.h"
#include "relay_jwt.h"
#include "relay_lifecycle.h"
#include "operator_store.h"
#include "relay_router.h"
#include "tenant_store.h"
#include "relay_ws.h"
#include "ws_push.h"

#define ID_MAX            128 /* tenant, operator and conversation ids in bodies */
#define QUEUE_LIMIT_MAX   200
#define QUEUE_LIMIT_DEF   50
#define SCENARIO_EMAIL    "scenario-operator@example.invalid"
#define SCENARIO_VISITOR  "scenario-visitor"
#define SCENARIO_HELLO    "Hello, I have a question about my order."
#define SCENARIO_HUMAN    "I would like to talk to a human, please."
#define SCENARIO_OPERATOR "Hello, I am an operator. Let me check your order."

static void invalid(struct relay_response *resp, const char *field)
{
	response_error(resp, RELAY_E_VALIDATION_FAILED, field, NULL);
}

/* 404 tenant_not_found unless tenant_id exists. */
static bool tenant_exists(struct relay_request *req, const char *tenant_id,
			  struct relay_response *resp)
{
	struct tenant_snapshot *t = calloc(1, sizeof(*t));
	enum relay_rc rc =
		t == NULL ? RELAY_E_NOMEM : tenant_store_snapshot(req->st->store, tenant_id, t);

	free(t);
	if (rc != RELAY_OK)
		response_error(resp, rc, NULL, NULL);
	return rc == RELAY_OK;
}

/*
 * The acting operator (§10.8.3). tenant and operator are the values named by the
 * body or the query (NULL when absent). With `Authorization: Bearer <operator
 * token>`: the token must verify and be unexpired (401 invalid_token); tenant, when
 * given, must be one of its tids (403 insufficient_scope), else its only tenant is
 * used; operator, when given, must be its sub (403). Without a token both are
 * required (422). Then the tenant (404) and the operator of that tenant (404).
 */
static bool actor_resolve(struct relay_request *req, const char *tenant, const char *operator,
			  char tenant_out[ID_MAX + 1], struct operator_view *op,
			  struct relay_response *resp)
{
	const char *auth = request_header(req, "Authorization");
	json_t *claims = NULL, *tids;
	const char *sub = NULL;
	bool expired = true, ok = false;
	enum relay_rc rc;

	if (auth != NULL) {
		if (strncasecmp(auth, "Bearer ", 7) != 0 || auth[7] == '\0' ||
		    strlen(auth + 7) > TOKEN_MAX_LEN ||
		    token_verify(req->st->token_key, sizeof(req->st->token_key), auth + 7,
				 req->now_ms, &claims, &expired) != RELAY_OK ||
		    expired) {
			response_error(resp, RELAY_E_INVALID_TOKEN, NULL, NULL);
			goto out;
		}
		tids = json_object_get(claims, "tids");
		sub = json_string_value(json_object_get(claims, "sub"));
		if (!json_is_object(tids) || sub == NULL) { /* a visitor token */
			response_error(resp, RELAY_E_INVALID_TOKEN, NULL, NULL);
			goto out;
		}
		if (tenant == NULL && json_object_size(tids) == 1)
			tenant = json_object_iter_key(json_object_iter(tids));
		if (tenant == NULL || json_object_get(tids, tenant) == NULL ||
		    (operator!= NULL && strcmp(operator, sub) != 0)) {
			/* tenant A's token never opens tenant B's queue (TEN) */
			response_error(resp, RELAY_E_INSUFFICIENT_SCOPE, NULL, NULL);
			goto out;
		}
		operator= sub;
	} else if (tenant == NULL) {
		invalid(resp, "tenant_id");
		goto out;
	} else if (operator== NULL) {
		invalid(resp, "operator_id");
		goto out;
	}
	if (strlen(tenant) > ID_MAX || strlen(operator) > ID_MAX) {
		response_error(resp, RELAY_E_OPERATOR_NOT_FOUND, NULL, NULL);
		goto out;
	}
	if (!tenant_exists(req, tenant, resp))
		goto out;
	rc = operator_store_get(req->st->operators, tenant, operator, op);
	if (rc != RELAY_OK) {
		response_error(resp, rc, NULL, NULL);
		goto out;
	}
	snprintf(tenant_out, ID_MAX + 1, "%s", tenant);
	ok = true;
out:
	json_decref(claims);
	return ok;
}

/* A body string field of 1-ID_MAX chars, or absent (NULL). false: 422 naming it. */
static bool opt_id(json_t *body, const char *name, const char **out, struct relay_response *resp)
{
	if (!field_string(body, name, 0, 1, ID_MAX, out, NULL)) {
		invalid(resp, name);
		return false;
	}
	return true;
}

/* PUT /__mock/lifecycle/trigger {"tenant_id","phrase"} (§10.8.1). */
static void trigger_put(struct relay_request *req, struct relay_response *resp)
{
	json_t *body = request_json_object(req, resp);
	const char *tenant = NULL, *phrase = NULL;
	enum relay_rc rc;

	if (body == NULL)
		return;
	if (!field_string(body, "tenant_id", FIELD_REQUIRED, 1, ID_MAX, &tenant, NULL)) {
		invalid(resp, "tenant_id");
	} else if (json_object_get(body, "phrase") == NULL ||
		   !field_string(body, "phrase", FIELD_NULLABLE | FIELD_NO_CONTROL, 1,
				 LIFECYCLE_PHRASE_MAX, &phrase, NULL)) {
		invalid(resp, "phrase");
	} else if (tenant_exists(req, tenant, resp)) {
		rc = lifecycle_set_trigger(req->st->lifecycle, tenant, phrase);
		if (rc != RELAY_OK)
			response_error(resp, rc, NULL, NULL);
		else
			response_success(
				resp, 200,
				json_pack("{s:s, s:s?}", "tenant_id", tenant, "phrase", phrase),
				"Escalation trigger set.");
	}
	json_decref(body);
}

/* POST /__mock/lifecycle/escalate {"tenant_id","conversation_id"} (§10.8.2). */
static void escalate_post(struct relay_request *req, struct relay_response *resp)
{
	json_t *body = request_json_object(req, resp), *conv = NULL;
	const char *tenant = NULL, *conv_id = NULL;
	enum relay_rc rc;

	if (body == NULL)
		return;
	if (!field_string(body, "tenant_id", FIELD_REQUIRED, 1, ID_MAX, &tenant, NULL)) {
		invalid(resp, "tenant_id");
	} else if (!field_string(body, "conversation_id", FIELD_REQUIRED, 1, ID_MAX, &conv_id,
				 NULL)) {
		invalid(resp, "conversation_id");
	} else if (tenant_exists(req, tenant, resp)) {
		rc = lifecycle_escalate(req->st, tenant, conv_id, "control_plane", NULL, &conv);
		if (rc != RELAY_OK)
			response_error(resp, rc, NULL, NULL);
		else
			response_success(resp, 200, conv, "Conversation escalated.");
	}
	json_decref(body);
}

/* GET /__mock/lifecycle/queue?tenant_id=&operator_id=&limit=&offset= (§10.8.4). */
static void queue_get(struct relay_request *req, struct relay_response *resp)
{
	char tenant_q[TEXT_ID_MAX + 1], op_q[TEXT_ID_MAX + 1], tenant[ID_MAX + 1];
	struct operator_view op;
	long long limit, offset;
	json_t *page = NULL;
	enum relay_rc rc;

	if (!request_id_param(req, "tenant_id", false, tenant_q, resp) ||
	    !request_id_param(req, "operator_id", false, op_q, resp) ||
	    !request_int_param(req, "limit", 1, QUEUE_LIMIT_MAX, QUEUE_LIMIT_DEF, &limit, resp) ||
	    !request_int_param(req, "offset", 0, 2147483647LL, 0, &offset, resp))
		return;
	if (!actor_resolve(req, tenant_q[0] != '\0' ? tenant_q : NULL,
			   op_q[0] != '\0' ? op_q : NULL, tenant, &op, resp))
		return;
	rc = lifecycle_queue(req->st, tenant, &op, (size_t)limit, (size_t)offset, &page);
	operator_store_view_cleanup(&op);
	if (rc != RELAY_OK)
		response_error(resp, rc, NULL, NULL);
	else
		response_success(resp, 200, page, "Queue fetched.");
}

/* take / release / resolve / send: body {tenant_id, operator_id, conversation_id[, content]}. */
static void operator_call(struct relay_request *req, struct relay_response *resp,
			  enum lifecycle_action action, bool send)
{
	static const char *const messages[] = {"Conversation taken.", "Conversation released.",
					       "Conversation resolved."};
	json_t *body = request_json_object(req, resp), *out = NULL;
	const char *tenant_in = NULL, *op_in = NULL, *conv_id = NULL, *content = NULL;
	char tenant[ID_MAX + 1];
	struct operator_view op;
	size_t content_len = 0;
	enum relay_rc rc;

	memset(&op, 0, sizeof(op));
	if (body == NULL)
		return;
	if (!opt_id(body, "tenant_id", &tenant_in, resp) ||
	    !opt_id(body, "operator_id", &op_in, resp))
		goto out;
	if (!field_string(body, "conversation_id", FIELD_REQUIRED, 1, ID_MAX, &conv_id, NULL)) {
		invalid(resp, "conversation_id");
		goto out;
	}
	if (send && !field_string(body, "content", FIELD_REQUIRED, 1, CONV_CONTENT_MAX, &content,
				  &content_len)) {
		invalid(resp, "content");
		goto out;
	}
	if (!actor_resolve(req, tenant_in, op_in, tenant, &op, resp))
		goto out;
	if (send) {
		rc = lifecycle_operator_send(req->st, tenant, &op, conv_id, content, content_len,
					     &out);
		if (rc == RELAY_OK)
			response_success(resp, 201, out, "Message sent.");
	} else {
		rc = lifecycle_operator_act(req->st, tenant, &op, conv_id, action, NULL, &out);
		if (rc == RELAY_OK)
			response_success(resp, 200, out, messages[action]);
	}
	if (rc != RELAY_OK)
		response_error(resp, rc, NULL, NULL);
out:
	operator_store_view_cleanup(&op);
	json_decref(body);
}

static void take_post(struct relay_request *req, struct relay_response *resp)
{
	operator_call(req, resp, LC_TAKE, false);
}

static void release_post(struct relay_request *req, struct relay_response *resp)
{
	operator_call(req, resp, LC_RELEASE, false);
}

static void resolve_post(struct relay_request *req, struct relay_response *resp)
{
	operator_call(req, resp, LC_RESOLVE, false);
}

static void send_post(struct relay_request *req, struct relay_response *resp)
{
	operator_call(req, resp, LC_TAKE, true);
}

/* Store a message and run the flow a relay API call would (§6.2.4, §9.6.1). */
static enum relay_rc scenario_visitor(struct relay_state *st, const char *tenant,
				      const char *conv_id, const char *content, json_t *trace)
{
	json_t *msg = NULL;
	enum relay_rc rc;

	rc = conv_store_append_message(st->conversations, tenant, conv_id, "visitor", content,
				       strlen(content), relay_clock_now_ms(&st->clock), &msg);
	if (rc != RELAY_OK)
		return rc;
	ws_push_message(st, tenant, conv_id, ws_message_frame(msg));
	lifecycle_visitor_message(st, tenant, conv_id, msg, trace);
	return RELAY_OK;
}

/*
 * POST /__mock/lifecycle/scenario {"tenant_id","routing_key"} (§10.8.5): one whole
 * documented lifecycle, each step through the same code as the real flow.
 */
static void scenario_post(struct relay_request *req, struct relay_response *resp)
{
	struct relay_state *st = req->st;
	json_t *body = request_json_object(req, resp), *trace = NULL, *conv = NULL, *tmp = NULL;
	json_t *keys = NULL, *op_json = NULL;
	const char *tenant = NULL, *routing_key = NULL;
	struct conv_fields f;
	struct operator_fields of;
	struct operator_view op;
	char conv_id[PREFIXED_ID_MAX + 1];
	bool created = false;
	enum relay_rc rc;
	static const enum lifecycle_action steps[] = {LC_TAKE, LC_RELEASE, LC_TAKE, LC_RESOLVE};
	size_t i;

	memset(&op, 0, sizeof(op));
	if (body == NULL)
		return;
	if (!field_string(body, "tenant_id", FIELD_REQUIRED, 1, ID_MAX, &tenant, NULL)) {
		invalid(resp, "tenant_id");
		goto out;
	}
	if (!field_string(body, "routing_key", FIELD_NULLABLE, 1, CONV_ROUTING_KEY_MAX,
			  &routing_key, NULL)) {
		invalid(resp, "routing_key");
		goto out;
	}
	if (!tenant_exists(req, tenant, resp))
		goto out;
	trace = json_array();
	rc = RELAY_E_NOMEM;
	if (trace == NULL)
		goto fail;

	/* the operator who takes it: covers the queue (tenant-wide without one) */
	memset(&of, 0, sizeof(of));
	of.email = SCENARIO_EMAIL;
	of.has_display_name = true;
	of.display_name = "Scenario Operator";
	of.has_routing_keys = true;
	if (routing_key != NULL) {
		keys = json_pack("[s]", routing_key);
		if (keys == NULL)
			goto fail;
		of.routing_keys = keys;
	}
	rc = operator_store_provision(st->operators, tenant, &of, relay_clock_now_ms(&st->clock),
				      &created, &op_json);
	if (rc == RELAY_OK)
		rc = operator_store_get(st->operators, tenant,
					json_string_value(json_object_get(op_json, "operator_id")),
					&op);
	if (rc != RELAY_OK)
		goto fail;

	/* start → messages (the bot answers) → escalation → ticket → … → resolution */
	memset(&f, 0, sizeof(f));
	f.visitor_user_id = SCENARIO_VISITOR;
	f.mode = "bot";
	f.routing_key = routing_key;
	rc = conv_store_create(st->conversations, tenant, &f, relay_clock_now_ms(&st->clock), &conv,
			       conv_id);
	if (rc != RELAY_OK)
		goto fail;
	lifecycle_emit(st, tenant, "conversation-started", conv, trace);
	conv = NULL;
	rc = scenario_visitor(st, tenant, conv_id, SCENARIO_HELLO, trace);
	if (rc == RELAY_OK)
		rc = lifecycle_escalate(st, tenant, conv_id, "control_plane", trace, NULL);
	if (rc == RELAY_OK)
		rc = scenario_visitor(st, tenant, conv_id, SCENARIO_HUMAN, trace);
	for (i = 0; rc == RELAY_OK && i < sizeof(steps) / sizeof(steps[0]); i++) {
		rc = lifecycle_operator_act(st, tenant, &op, conv_id, steps[i], trace, NULL);
		if (rc == RELAY_OK && i == 0) {
			rc = lifecycle_operator_send(st, tenant, &op, conv_id, SCENARIO_OPERATOR,
						     strlen(SCENARIO_OPERATOR), &tmp);
			json_decref(tmp);
			tmp = NULL;
		}
	}
	if (rc == RELAY_OK)
		rc = conv_store_fetch(st->conversations, tenant, conv_id, &conv);
	if (rc != RELAY_OK)
		goto fail;
	response_success(resp, 201,
			 json_pack("{s:s, s:O, s:s, s:s, s:o}", "conversation_id", conv_id,
				   "ticket_id", json_object_get(conv, "ticket_id"), "operator_id",
				   op.operator_id, "status",
				   json_string_value(json_object_get(conv, "status")), "events",
				   json_incref(trace)),
			 "Scenario played.");
	goto out;
fail:
	response_error(resp, rc, NULL, NULL);
out:
	operator_store_view_cleanup(&op);
	json_decref(op_json);
	json_decref(keys);
	json_decref(conv);
	json_decref(trace);
	json_decref(body);
}

const struct relay_route routes_lifecycle[] = {
	{"PUT", "/__mock/lifecycle/trigger", ROUTE_CONTROL, trigger_put},
	{"POST", "/__mock/lifecycle/escalate", ROUTE_CONTROL, escalate_post},
	{"GET", "/__mock/lifecycle/queue", ROUTE_CONTROL, queue_get},
	{"POST", "/__mock/lifecycle/take", ROUTE_CONTROL, take_post},
	{"POST", "/__mock/lifecycle/release", ROUTE_CONTROL, release_post},
	{"POST", "/__mock/lifecycle/resolve", ROUTE_CONTROL, resolve_post},
	{"POST", "/__mock/lifecycle/send", ROUTE_CONTROL, send_post},
	{"POST", "/__mock/lifecycle/scenario", ROUTE_CONTROL, scenario_post},
	{NULL, NULL, 0, NULL},
};
