/*
 * test_lifecycle.c - a conversation's life and the callbacks its flows fire
 * (SPEC.md §9.5.6, §9.6, §9.7, §10.8).
 *
 * Bot and human modes, escalation by phrase and through the control plane,
 * tickets, operator take / release / resolve / send with routing_keys and token
 * scopes, queues, per-conversation callback order under retries, and the scenario
 * run. An in-test receiver (cb_receiver.c) verifies every delivery's
 * HMAC#1 signature the way a tenant backend does.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "cb_receiver.h"
#include "mock_harness.h"
#include "relay_clock.h"
#include "relay_hmac1.h"
#include "relay_lifecycle.h"

#define ORIGIN "https://shop.lifecycle.example"

static const char *const fast_retries[] = {"--callback-backoff-ms", "50", NULL};

/* A mock and a tenant; callbacks to rx when rx is not NULL. */
static struct mock *start(struct receiver *rx, struct mock_tenant *t)
{
	struct mock *m = mock_start(fast_retries);
	char body[256];

	assert_non_null(m);
	if (rx != NULL)
		snprintf(body, sizeof(body),
			 "{\"tenant_name\":\"Lifecycle\",\"allowed_origins\":[\"" ORIGIN
			 "\"],\"callback_url_base\":\"http://127.0.0.1:%d\"}",
			 rx->port);
	else
		snprintf(body, sizeof(body),
			 "{\"tenant_name\":\"Lifecycle\",\"allowed_origins\":[\"" ORIGIN "\"]}");
	assert_int_equal(mock_provision(m, body, t), 0);
	if (rx != NULL)
		rx_set_secret(rx, t->tenant_secret);
	return m;
}

/* The timestamp relay_ok() signs with: the mock's frozen clock, or 0 for real time. */
static int64_t sign_at_ms;

/* A signed relay call answered with status; returns data (new reference). */
static json_t *relay_ok(struct mock *m, const struct mock_tenant *t, const char *method,
			const char *path, const char *body, long status)
{
	struct client_response resp;
	json_t *data;

	assert_int_equal(mock_signed(m, method, path, body, t->tenant_id, t->tenant_secret,
				     sign_at_ms != 0 ? sign_at_ms : relay_clock_real_ms(), &resp),
			 0);
	data = mock_check_success(&resp, status);
	client_response_cleanup(&resp);
	assert_non_null(data);
	return data;
}

/* A control-plane call (X-Admin-Key) with extra headers (may be NULL); the raw answer. */
static void control(struct mock *m, const char *method, const char *path, const char *body,
		    const char *const *headers, struct client_response *resp)
{
	assert_int_equal(mock_call(m, method, path, body, 1, headers, resp), 0);
}

/* A control-plane call expected to succeed with status; returns data. */
static json_t *control_ok(struct mock *m, const char *method, const char *path, const char *body,
			  long status)
{
	struct client_response resp;
	json_t *data;

	control(m, method, path, body, NULL, &resp);
	data = mock_check_success(&resp, status);
	client_response_cleanup(&resp);
	assert_non_null(data);
	return data;
}

/* A control-plane call expected to fail with status and code. */
static void control_err(struct mock *m, const char *method, const char *path, const char *body,
			const char *const *headers, long status, const char *code)
{
	struct client_response resp;

	control(m, method, path, body, headers, &resp);
	assert_int_equal(mock_check_error(&resp, status, code, NULL), 0);
	client_response_cleanup(&resp);
}

/* New conversation with extra body fields (e.g. ",\"mode\":\"human\""); its id into id. */
static void new_conv(struct mock *m, const struct mock_tenant *t, const char *extra, char id[64])
{
	char body[256];
	json_t *d;

	snprintf(body, sizeof(body), "{\"visitor_user_id\":\"v-1\"%s}", extra);
	d = relay_ok(m, t, "POST", "/api/v1/relay/create/conversation", body, 201);
	snprintf(id, 64, "%s", json_string_value(json_object_get(d, "id")));
	json_decref(d);
}

static void visitor_says(struct mock *m, const struct mock_tenant *t, const char *conv,
			 const char *content)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"%s\"}", conv,
		 content);
	json_decref(relay_ok(m, t, "POST", "/api/v1/relay/send/message", body, 201));
}

/* The conversation as fetch/conversation returns it. */
static json_t *fetch_conv(struct mock *m, const struct mock_tenant *t, const char *conv)
{
	char path[160];

	snprintf(path, sizeof(path), "/api/v1/relay/fetch/conversation?conversation_id=%s", conv);
	return relay_ok(m, t, "GET", path, NULL, 200);
}

static void assert_status(struct mock *m, const struct mock_tenant *t, const char *conv,
			  const char *status)
{
	json_t *c = fetch_conv(m, t, conv);

	assert_string_equal(json_string_value(json_object_get(c, "status")), status);
	json_decref(c);
}

static json_t *messages(struct mock *m, const struct mock_tenant *t, const char *conv)
{
	char path[160];

	snprintf(path, sizeof(path), "/api/v1/relay/fetch/messages?conversation_id=%s", conv);
	return relay_ok(m, t, "GET", path, NULL, 200);
}

/* Provision an operator (routing_keys as JSON text, NULL: absent); its id into id. */
static void new_operator(struct mock *m, const struct mock_tenant *t, const char *email,
			 const char *keys, char id[64])
{
	char body[256];
	json_t *d;

	snprintf(body, sizeof(body), "{\"email\":\"%s\"%s%s}", email,
		 keys != NULL ? ",\"routing_keys\":" : "", keys != NULL ? keys : "");
	d = relay_ok(m, t, "POST", "/api/v1/relay/provision/operator", body, 201);
	snprintf(id, 64, "%s", json_string_value(json_object_get(d, "operator_id")));
	json_decref(d);
}

/* POST /__mock/lifecycle/<action> as operator op on conv. */
static void op_act(struct mock *m, const struct mock_tenant *t, const char *action, const char *op,
		   const char *conv, long status, const char *code)
{
	char path[64], body[320];

	snprintf(path, sizeof(path), "/__mock/lifecycle/%s", action);
	snprintf(body, sizeof(body),
		 "{\"tenant_id\":\"%s\",\"operator_id\":\"%s\",\"conversation_id\":\"%s\"%s}",
		 t->tenant_id, op, conv,
		 strcmp(action, "send") == 0 ? ",\"content\":\"Hello from the operator\"" : "");
	if (code == NULL)
		json_decref(control_ok(m, "POST", path, body, status));
	else
		control_err(m, "POST", path, body, NULL, status, code);
}

static void escalate(struct mock *m, const struct mock_tenant *t, const char *conv)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\",\"conversation_id\":\"%s\"}",
		 t->tenant_id, conv);
	json_decref(control_ok(m, "POST", "/__mock/lifecycle/escalate", body, 200));
}

/* The event of delivery i (from its path), and its parsed body. */
static const char *rx_event(struct receiver *rx, int i)
{
	return rx->rec[i].path + strlen("/api/v1/chat-callbacks/");
}

static json_t *rx_json(struct receiver *rx, int i)
{
	json_t *j = json_loads(rx->rec[i].body, 0, NULL);

	assert_non_null(j);
	return j;
}

/* §9.6.1: bot mode (default) answers each visitor message with its own role. */
static void test_bot_mode_replies_to_each_visitor_message(void **state)
{
	struct mock_tenant t;
	struct mock *m = start(NULL, &t);
	char conv[64];
	json_t *page, *items;

	(void)state;
	new_conv(m, &t, "", conv);
	visitor_says(m, &t, conv, "Where is my order?");
	visitor_says(m, &t, conv, "Thanks");
	page = messages(m, &t, conv);
	items = json_object_get(page, "items");
	assert_int_equal(json_array_size(items), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "role")),
			    "visitor");
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "role")),
			    "bot");
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "content")),
			    LIFECYCLE_BOT_REPLY);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 3), "role")),
			    "bot");
	json_decref(page);
	assert_status(m, &t, conv, "open");
	/* operator and system messages get no reply */
	{
		char body[256];

		snprintf(body, sizeof(body),
			 "{\"conversation_id\":\"%s\",\"role\":\"system\",\"content\":\"hi\"}",
			 conv);
		json_decref(relay_ok(m, &t, "POST", "/api/v1/relay/send/message", body, 201));
		page = messages(m, &t, conv);
		assert_int_equal(json_integer_value(json_object_get(page, "total")), 5);
		json_decref(page);
	}
	assert_int_equal(mock_stop(m), 0);
}

/* §9.6.1: human mode: the first visitor message makes a pending assignment, no bot. */
static void test_human_mode_first_message_is_pending_without_bot(void **state)
{
	struct receiver *rx = rx_start(RX_OK, 0);
	struct mock_tenant t;
	struct mock *m = start(rx, &t);
	char conv[64];
	json_t *page, *c, *ev;

	(void)state;
	new_conv(m, &t, ",\"mode\":\"human\",\"routing_key\":\"store-7\"", conv);
	assert_status(m, &t, conv, "open");
	visitor_says(m, &t, conv, "Hello");
	visitor_says(m, &t, conv, "Anyone?");
	page = messages(m, &t, conv);
	assert_int_equal(json_integer_value(json_object_get(page, "total")), 2);
	json_decref(page);
	c = fetch_conv(m, &t, conv);
	assert_string_equal(json_string_value(json_object_get(c, "status")), "pending");
	assert_string_equal(json_string_value(json_object_get(c, "mode")), "human");
	assert_string_equal(json_string_value(json_object_get(c, "routing_key")), "store-7");
	assert_int_equal(strncmp(json_string_value(json_object_get(c, "ticket_id")), "tkt_", 4), 0);
	/* §10.3.3: the journal names the conversation and its status after each relay call */
	{
		char path[200];
		json_t *j, *e;
		long st;

		snprintf(path, sizeof(path), "/__mock/journal?tenant_id=%s&limit=1", t.tenant_id);
		j = mock_admin(m, "GET", path, NULL, &st);
		assert_int_equal(st, 200);
		e = json_array_get(json_object_get(json_object_get(j, "data"), "items"), 0);
		assert_string_equal(json_string_value(json_object_get(e, "path")),
				    "/api/v1/relay/fetch/conversation");
		assert_string_equal(json_string_value(json_object_get(
					    json_object_get(e, "conversation"), "id")),
				    conv);
		assert_string_equal(json_string_value(json_object_get(
					    json_object_get(e, "conversation"), "status")),
				    "pending");
		json_decref(j);
	}
	/* conversation-started, message-received, ticket-created, message-received */
	rx_wait(rx, 4);
	assert_string_equal(rx_event(rx, 0), "conversation-started");
	assert_string_equal(rx_event(rx, 1), "message-received");
	assert_string_equal(rx_event(rx, 2), "ticket-created");
	assert_string_equal(rx_event(rx, 3), "message-received");
	ev = rx_json(rx, 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(ev, "data"), "ticket"), "id")),
			    json_string_value(json_object_get(c, "ticket_id")));
	json_decref(ev);
	json_decref(c);
	assert_int_equal(mock_stop(m), 0);
	rx_stop(rx);
}

/* §9.6.2: a visitor message with the tenant's phrase escalates: two events, signed. */
static void test_phrase_escalates_with_escalation_then_ticket_created(void **state)
{
	struct receiver *rx = rx_start(RX_OK, 0);
	struct mock_tenant t;
	struct mock *m = start(rx, &t);
	char conv[64], body[256];
	json_t *page, *ev, *data;
	int i;

	(void)state;
	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\",\"phrase\":\"Talk to a human\"}",
		 t.tenant_id);
	json_decref(control_ok(m, "PUT", "/__mock/lifecycle/trigger", body, 200));
	new_conv(m, &t, ",\"routing_key\":\"store-1\"", conv);
	visitor_says(m, &t, conv, "hello");
	visitor_says(m, &t, conv, "I want to TALK TO A HUMAN now");
	assert_status(m, &t, conv, "pending");
	/* the bot answered the first message only */
	page = messages(m, &t, conv);
	assert_int_equal(json_integer_value(json_object_get(page, "total")), 3);
	json_decref(page);
	rx_wait(rx, 5);
	assert_string_equal(rx_event(rx, 0), "conversation-started");
	assert_string_equal(rx_event(rx, 1), "message-received");
	assert_string_equal(rx_event(rx, 2), "message-received");
	assert_string_equal(rx_event(rx, 3), "escalation-triggered");
	assert_string_equal(rx_event(rx, 4), "ticket-created");
	for (i = 0; i < 5; i++)
		assert_true(rx->rec[i].sig_valid);
	for (i = 3; i < 5; i++) {
		ev = rx_json(rx, i);
		data = json_object_get(ev, "data");
		assert_string_equal(json_string_value(json_object_get(data, "conversation_id")),
				    conv);
		assert_string_equal(json_string_value(json_object_get(
					    json_object_get(data, "conversation"), "status")),
				    "pending");
		assert_string_equal(json_string_value(json_object_get(data, "routing_key")),
				    "store-1");
		assert_string_equal(json_string_value(json_object_get(
					    json_object_get(data, "ticket"), "status")),
				    "open");
		if (i == 3)
			assert_string_equal(json_string_value(json_object_get(data, "reason")),
					    "trigger_phrase");
		json_decref(ev);
	}
	/* clearing the phrase: a new conversation saying it gets the bot */
	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\",\"phrase\":null}", t.tenant_id);
	json_decref(control_ok(m, "PUT", "/__mock/lifecycle/trigger", body, 200));
	new_conv(m, &t, "", conv);
	visitor_says(m, &t, conv, "talk to a human");
	assert_status(m, &t, conv, "open");
	assert_int_equal(mock_stop(m), 0);
	rx_stop(rx);
}

/* §10.8.2: escalation through the control plane, once; unknown ids answered. */
static void test_control_plane_escalation_and_its_errors(void **state)
{
	struct mock_tenant t;
	struct mock *m = start(NULL, &t);
	char conv[64], body[256];

	(void)state;
	new_conv(m, &t, "", conv);
	escalate(m, &t, conv);
	assert_status(m, &t, conv, "pending");
	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\",\"conversation_id\":\"%s\"}",
		 t.tenant_id, conv);
	control_err(m, "POST", "/__mock/lifecycle/escalate", body, NULL, 409, "conversation_state");
	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\",\"conversation_id\":\"conv_nope\"}",
		 t.tenant_id);
	control_err(m, "POST", "/__mock/lifecycle/escalate", body, NULL, 404,
		    "conversation_not_found");
	control_err(m, "POST", "/__mock/lifecycle/escalate",
		    "{\"tenant_id\":\"019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f\","
		    "\"conversation_id\":\"conv_x\"}",
		    NULL, 404, "tenant_not_found");
	{
		struct client_response resp;

		control(m, "POST", "/__mock/lifecycle/escalate", "{\"tenant_id\":5}", NULL, &resp);
		assert_int_equal(mock_check_error(&resp, 422, "validation_failed", "tenant_id"), 0);
		client_response_cleanup(&resp);
		control(m, "POST", "/__mock/lifecycle/escalate", "{", NULL, &resp);
		assert_int_equal(mock_check_error(&resp, 400, "malformed_request", NULL), 0);
		client_response_cleanup(&resp);
		/* the control plane needs the admin key */
		assert_int_equal(
			mock_call(m, "POST", "/__mock/lifecycle/escalate", body, 0, NULL, &resp),
			0);
		assert_int_equal(mock_check_error(&resp, 401, "invalid_admin_key", NULL), 0);
		client_response_cleanup(&resp);
	}
	assert_int_equal(mock_stop(m), 0);
}

/* §9.7.3: take → release → take → resolve; statuses and the seven events in order. */
static void test_operator_flow_fires_agent_and_ticket_events_in_order(void **state)
{
	static const char *const want[] = {
		"conversation-started", "escalation-triggered", "ticket-created",
		"agent-assigned",       "ticket-assigned",      "agent-released",
		"agent-assigned",       "ticket-assigned",      "agent-resolved",
		"ticket-resolved",      "message-received"};
	struct receiver *rx = rx_start(RX_OK, 0);
	struct mock_tenant t;
	struct mock *m = start(rx, &t);
	char conv[64], op[64], op2[64];
	json_t *page, *ev;
	size_t i, n = sizeof(want) / sizeof(want[0]);

	(void)state;
	new_operator(m, &t, "ann@shop.example", NULL, op);
	new_operator(m, &t, "bob@shop.example", "[]", op2);
	new_conv(m, &t, "", conv);
	op_act(m, &t, "take", op, conv, 409, "conversation_state"); /* open: not queued yet */
	escalate(m, &t, conv);
	op_act(m, &t, "take", op, conv, 200, NULL);
	assert_status(m, &t, conv, "assigned");
	op_act(m, &t, "take", op2, conv, 409, "conversation_state");    /* already taken */
	op_act(m, &t, "release", op2, conv, 409, "conversation_state"); /* not his */
	op_act(m, &t, "send", op, conv, 201, NULL);
	op_act(m, &t, "release", op, conv, 200, NULL);
	assert_status(m, &t, conv, "pending");
	op_act(m, &t, "send", op, conv, 409, "conversation_state"); /* released */
	op_act(m, &t, "take", op2, conv, 200, NULL);
	op_act(m, &t, "resolve", op2, conv, 200, NULL);
	assert_status(m, &t, conv, "resolved");
	op_act(m, &t, "take", op, conv, 409, "conversation_state");
	/* §9.6.5: after resolution a visitor message is stored, fires, gets no bot */
	visitor_says(m, &t, conv, "one more thing");
	assert_status(m, &t, conv, "resolved");
	page = messages(m, &t, conv);
	assert_int_equal(json_integer_value(json_object_get(page, "total")), 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(page, "items"), 0), "role")),
			    "operator");
	json_decref(page);

	rx_wait(rx, (int)n);
	for (i = 0; i < n; i++) {
		assert_string_equal(rx_event(rx, (int)i), want[i]);
		assert_true(rx->rec[i].sig_valid);
	}
	ev = rx_json(rx, 3); /* agent-assigned names the operator and the ticket */
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(ev, "data"), "operator_id")), op);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(ev, "data"), "ticket"), "status")),
		"assigned");
	json_decref(ev);
	ev = rx_json(rx, 9); /* ticket-resolved */
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(ev, "data"), "ticket"), "status")),
		"resolved");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(ev, "data"), "operator_id")),
		op2);
	json_decref(ev);
	assert_int_equal(mock_stop(m), 0);
	rx_stop(rx);
}

/* Queue read as operator op: the ids of the conversations listed, comma-joined. */
static void queue_ids(struct mock *m, const char *query, const char *const *headers, char *out,
		      size_t size)
{
	struct client_response resp;
	char path[400];
	json_t *data, *c;
	size_t i;

	snprintf(path, sizeof(path), "/__mock/lifecycle/queue?%s", query);
	control(m, "GET", path, NULL, headers, &resp);
	data = mock_check_success(&resp, 200);
	client_response_cleanup(&resp);
	assert_non_null(data);
	out[0] = '\0';
	json_array_foreach(json_object_get(data, "items"), i, c)
	{
		strncat(out, json_string_value(json_object_get(c, "id")), size - strlen(out) - 2);
		strncat(out, ",", size - strlen(out) - 1);
	}
	json_decref(data);
}

/* §9.7.2: routing_keys restrict; null/[] is tenant-wide; other tenants' operators are 404. */
static void test_routing_keys_scope_queues_and_actions(void **state)
{
	struct mock_tenant t, t2;
	struct mock *m = start(NULL, &t);
	char c1[64], c2[64], c3[64], wide[64], store1[64], other[64], q[256], want[256];

	(void)state;
	assert_int_equal(mock_provision(m, "{\"tenant_name\":\"Other\"}", &t2), 0);
	new_operator(m, &t, "wide@shop.example", NULL, wide);
	new_operator(m, &t, "s1@shop.example", "[\"store-1\"]", store1);
	new_operator(m, &t2, "x@other.example", NULL, other);
	new_conv(m, &t, ",\"routing_key\":\"store-1\"", c1);
	new_conv(m, &t, ",\"routing_key\":\"store-2\"", c2);
	new_conv(m, &t, "", c3); /* no queue: tenant-wide operators only */
	escalate(m, &t, c1);
	escalate(m, &t, c2);
	escalate(m, &t, c3);

	snprintf(q, sizeof(q), "tenant_id=%s&operator_id=%s", t.tenant_id, store1);
	queue_ids(m, q, NULL, want, sizeof(want));
	snprintf(q, sizeof(q), "%s,", c1);
	assert_string_equal(want, q);
	snprintf(q, sizeof(q), "tenant_id=%s&operator_id=%s", t.tenant_id, wide);
	queue_ids(m, q, NULL, want, sizeof(want));
	snprintf(q, sizeof(q), "%s,%s,%s,", c1, c2, c3);
	assert_string_equal(want, q);

	op_act(m, &t, "take", store1, c2, 403, "insufficient_scope");
	op_act(m, &t, "take", store1, c3, 403, "insufficient_scope");
	op_act(m, &t, "take", store1, c1, 200, NULL);
	op_act(m, &t, "take", other, c2, 404, "operator_not_found"); /* t2's operator */
	/* re-provisioning refreshes routing_keys (§6.4.2): now store-2 only */
	{
		json_t *d = relay_ok(
			m, &t, "POST", "/api/v1/relay/provision/operator",
			"{\"email\":\"s1@shop.example\",\"routing_keys\":[\"store-2\"]}", 200);
		json_decref(d);
	}
	op_act(m, &t, "take", store1, c2, 200, NULL);
	op_act(m, &t, "resolve", store1, c1, 403, "insufficient_scope");
	assert_int_equal(mock_stop(m), 0);
}

/* Mint an operator token for op of t. */
static void op_token(struct mock *m, const struct mock_tenant *t, const char *op, char *out,
		     size_t size)
{
	char body[128];
	json_t *d;

	snprintf(body, sizeof(body), "{\"operator_id\":\"%s\"}", op);
	d = relay_ok(m, t, "POST", "/api/v1/relay/mint/operator-token", body, 201);
	snprintf(out, size, "Authorization: Bearer %s",
		 json_string_value(json_object_get(d, "operator_token")));
	json_decref(d);
}

/* §10.8.3 (TEN): an operator token's tids scope is enforced. */
static void test_operator_token_scope_is_enforced(void **state)
{
	struct mock_tenant a, b;
	struct mock *m = start(NULL, &a);
	char ca[64], cb[64], opa[64], opb[64], auth[1200], q[256], got[256], body[320];
	const char *headers[2] = {auth, NULL};

	(void)state;
	assert_int_equal(mock_provision(m, "{\"tenant_name\":\"B\"}", &b), 0);
	new_operator(m, &a, "a@a.example", NULL, opa);
	new_operator(m, &b, "b@b.example", NULL, opb);
	new_conv(m, &a, "", ca);
	new_conv(m, &b, "", cb);
	escalate(m, &a, ca);
	escalate(m, &b, cb);
	op_token(m, &a, opa, auth, sizeof(auth));

	queue_ids(m, "", headers, got, sizeof(got)); /* the token's own tenant */
	snprintf(q, sizeof(q), "%s,", ca);
	assert_string_equal(got, q);
	snprintf(q, sizeof(q), "/__mock/lifecycle/queue?tenant_id=%s", b.tenant_id);
	control_err(m, "GET", q, NULL, headers, 403, "insufficient_scope");
	snprintf(q, sizeof(q), "/__mock/lifecycle/queue?tenant_id=%s&operator_id=%s", b.tenant_id,
		 opb);
	control_err(m, "GET", q, NULL, headers, 403, "insufficient_scope");
	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\",\"conversation_id\":\"%s\"}",
		 b.tenant_id, cb);
	control_err(m, "POST", "/__mock/lifecycle/take", body, headers, 403, "insufficient_scope");
	snprintf(body, sizeof(body), "{\"conversation_id\":\"%s\"}", ca);
	{
		struct client_response resp;
		json_t *d;

		control(m, "POST", "/__mock/lifecycle/take", body, headers, &resp);
		d = mock_check_success(&resp, 200);
		client_response_cleanup(&resp);
		assert_non_null(d);
		assert_string_equal(json_string_value(json_object_get(d, "operator_id")), opa);
		json_decref(d);
	}
	/* an expired token is refused (the mock clock, §7.2.3) */
	assert_int_equal(mock_set_clock(m, relay_clock_real_ms() + 2 * 3600 * 1000LL), 0);
	control_err(m, "GET", "/__mock/lifecycle/queue", NULL, headers, 401, "invalid_token");
	assert_int_equal(mock_stop(m), 0);
}

/*
 * §9.5.6: a retry of an earlier event of a conversation is never overtaken by a
 * later one of the same conversation (without the rule, message-received would
 * arrive during the 400 ms backoff of conversation-started's retry).
 */
static void test_retry_is_not_overtaken_within_a_conversation(void **state)
{
	static const char *const slow[] = {"--callback-backoff-ms", "400", NULL};
	struct receiver *rx = rx_start(RX_FAIL_FIRST, 1);
	struct mock_tenant t;
	struct mock *m = mock_start(slow);
	char conv[64], body[256];
	json_t *a, *b;

	(void)state;
	assert_non_null(m);
	snprintf(body, sizeof(body),
		 "{\"tenant_name\":\"Order\",\"callback_url_base\":\"http://127.0.0.1:%d\"}",
		 rx->port);
	assert_int_equal(mock_provision(m, body, &t), 0);
	rx_set_secret(rx, t.tenant_secret);
	new_conv(m, &t, "", conv);
	rx_wait(rx, 1); /* the first attempt was refused (500) */
	visitor_says(m, &t, conv, "are you there?");
	rx_wait(rx, 3);
	assert_string_equal(rx_event(rx, 0), "conversation-started");
	assert_int_equal(rx->rec[0].answered, 500);
	assert_string_equal(rx_event(rx, 1), "conversation-started");
	assert_int_equal(rx->rec[1].answered, 200);
	assert_string_equal(rx_event(rx, 2), "message-received");
	/* the retry carries the same event id (§9.3.3) */
	a = rx_json(rx, 0);
	b = rx_json(rx, 1);
	assert_string_equal(json_string_value(json_object_get(a, "event_id")),
			    json_string_value(json_object_get(b, "event_id")));
	json_decref(a);
	json_decref(b);
	assert_int_equal(mock_stop(m), 0);
	rx_stop(rx);
}

/* §10.8.5: one call plays the whole lifecycle; every event reaches the backend in order. */
static void test_scenario_plays_the_whole_lifecycle(void **state)
{
	static const char *const want[] = {
		"conversation-started", "message-received", "escalation-triggered",
		"ticket-created",       "message-received", "agent-assigned",
		"ticket-assigned",      "agent-released",   "agent-assigned",
		"ticket-assigned",      "agent-resolved",   "ticket-resolved"};
	struct receiver *rx = rx_start(RX_OK, 0);
	struct mock_tenant t;
	struct mock *m = start(rx, &t);
	char body[256];
	json_t *d, *events, *page;
	size_t i, n = sizeof(want) / sizeof(want[0]);

	(void)state;
	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\",\"routing_key\":\"store-9\"}",
		 t.tenant_id);
	d = control_ok(m, "POST", "/__mock/lifecycle/scenario", body, 201);
	assert_string_equal(json_string_value(json_object_get(d, "status")), "resolved");
	events = json_object_get(d, "events");
	assert_int_equal(json_array_size(events), n);
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(events, i);

		assert_string_equal(json_string_value(json_object_get(e, "event")), want[i]);
		assert_int_equal(
			strncmp(json_string_value(json_object_get(e, "event_id")), "evt_", 4), 0);
	}
	rx_wait(rx, (int)n);
	for (i = 0; i < n; i++) {
		json_t *ev = rx_json(rx, (int)i);

		assert_string_equal(rx_event(rx, (int)i), want[i]);
		assert_true(rx->rec[i].sig_valid);
		assert_string_equal(
			json_string_value(json_object_get(ev, "event_id")),
			json_string_value(json_object_get(json_array_get(events, i), "event_id")));
		json_decref(ev);
	}
	/* hello, the bot, "a human please", the operator: the conversation is real */
	page = messages(m, &t, json_string_value(json_object_get(d, "conversation_id")));
	assert_int_equal(json_integer_value(json_object_get(page, "total")), 4);
	json_decref(page);
	json_decref(d);
	/* unknown tenant */
	control_err(m, "POST", "/__mock/lifecycle/scenario",
		    "{\"tenant_id\":\"019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f\"}", NULL, 404,
		    "tenant_not_found");
	assert_int_equal(mock_stop(m), 0);
	rx_stop(rx);
}

static enum relay_rc ws_send(struct wsclient *c, const char *text)
{
	return wsclient_send_text(c, text, strlen(text));
}

/* §9.6.6: the widget socket hears the bot, the escalation and the operator. */
static void test_widget_socket_gets_bot_status_and_operator_frames(void **state)
{
	struct mock_tenant t;
	struct mock *m = start(NULL, &t);
	struct client_response resp;
	struct wsclient *c;
	struct wsclient_error err;
	char body[512], path[1200], conv[64], op[64];
	json_t *env, *f;
	char *text;

	(void)state;
	snprintf(body, sizeof(body),
		 "{\"tenant_id\":\"%s\",\"widget_public_key\":\"%s\",\"origin\":\"" ORIGIN
		 "\",\"routing_key\":\"store-3\"}",
		 t.tenant_id, t.widget_public_key);
	assert_int_equal(
		mock_call(m, "POST", "/api/v1/create/visitor-session", body, 0, NULL, &resp), 0);
	env = mock_check_success(&resp, 201);
	client_response_cleanup(&resp);
	assert_non_null(env);
	snprintf(path, sizeof(path), "/api/v1/ws/widget?token=%s",
		 json_string_value(json_object_get(env, "visitor_token")));
	json_decref(env);
	c = mock_ws_open(m, path, ORIGIN, &err);
	assert_non_null(c);
	text = mock_ws_recv_text(c, 10000);
	assert_non_null(text);
	f = json_loads(text, 0, NULL);
	free(text);
	snprintf(conv, sizeof(conv), "%s",
		 json_string_value(json_object_get(f, "conversation_id")));
	json_decref(f);
	assert_status(m, &t, conv, "open");

	assert_int_equal(ws_send(c, "{\"type\":\"message\",\"content\":\"hi\"}"), RELAY_OK);
	text = mock_ws_recv_text(c, 10000); /* the echo */
	free(text);
	text = mock_ws_recv_text(c, 10000);
	assert_non_null(text);
	f = json_loads(text, 0, NULL);
	free(text);
	assert_string_equal(json_string_value(json_object_get(f, "role")), "bot");
	json_decref(f);

	escalate(m, &t, conv);
	text = mock_ws_recv_text(c, 10000);
	assert_non_null(text);
	f = json_loads(text, 0, NULL);
	free(text);
	assert_string_equal(json_string_value(json_object_get(f, "type")), "status");
	assert_string_equal(json_string_value(json_object_get(f, "status")), "pending");
	assert_string_equal(json_string_value(json_object_get(f, "reason")), "escalated");
	assert_int_equal(strncmp(json_string_value(json_object_get(f, "ticket_id")), "tkt_", 4), 0);
	json_decref(f);

	new_operator(m, &t, "ops@shop.example", "[\"store-3\"]", op);
	op_act(m, &t, "take", op, conv, 200, NULL);
	text = mock_ws_recv_text(c, 10000);
	assert_non_null(text);
	f = json_loads(text, 0, NULL);
	free(text);
	assert_string_equal(json_string_value(json_object_get(f, "status")), "assigned");
	assert_string_equal(json_string_value(json_object_get(f, "operator_id")), op);
	json_decref(f);
	op_act(m, &t, "send", op, conv, 201, NULL);
	text = mock_ws_recv_text(c, 10000);
	assert_non_null(text);
	f = json_loads(text, 0, NULL);
	free(text);
	assert_string_equal(json_string_value(json_object_get(f, "type")), "message");
	assert_string_equal(json_string_value(json_object_get(f, "role")), "operator");
	json_decref(f);
	/* pending/assigned: a visitor message gets no bot reply, only its echo */
	assert_int_equal(ws_send(c, "{\"type\":\"message\",\"content\":\"ok\"}"), RELAY_OK);
	text = mock_ws_recv_text(c, 10000);
	assert_non_null(text);
	f = json_loads(text, 0, NULL);
	free(text);
	assert_string_equal(json_string_value(json_object_get(f, "role")), "visitor");
	json_decref(f);
	env = messages(m, &t, conv);
	assert_int_equal(json_integer_value(json_object_get(env, "total")), 4);
	json_decref(env);
	wsclient_free(c);
	assert_int_equal(mock_stop(m), 0);
}

/* §6.4.5 (TEN): relay_user_id is made once and kept; backend_user_id is stored. */
static void test_relay_user_id_is_stable_across_provisioning(void **state)
{
	struct mock_tenant t;
	struct mock *m = start(NULL, &t);
	json_t *a, *b;

	(void)state;
	a = relay_ok(m, &t, "POST", "/api/v1/relay/provision/operator",
		     "{\"email\":\"u@shop.example\",\"backend_user_id\":\"user-42\"}", 201);
	b = relay_ok(m, &t, "POST", "/api/v1/relay/provision/operator",
		     "{\"email\":\"U@shop.example\",\"display_name\":\"U\"}", 200);
	assert_int_equal(strncmp(json_string_value(json_object_get(a, "relay_user_id")), "ru_", 3),
			 0);
	assert_string_equal(json_string_value(json_object_get(a, "relay_user_id")),
			    json_string_value(json_object_get(b, "relay_user_id")));
	assert_string_equal(json_string_value(json_object_get(b, "backend_user_id")), "user-42");
	json_decref(a);
	json_decref(b);
	assert_int_equal(mock_stop(m), 0);
}

/* §2.3.3: feature_flags stored, replaced by update/tenant, kept otherwise, in widget-config. */
static void test_feature_flags_stored_and_given_to_the_widget(void **state)
{
	struct mock *m = mock_start(NULL);
	struct mock_tenant t;
	struct client_response resp;
	char path[256];
	long status;
	json_t *env, *flags;

	(void)state;
	assert_non_null(m);
	assert_int_equal(
		mock_provision(m,
			       "{\"tenant_name\":\"Flags\",\"feature_flags\":{\"live_chat\":"
			       "true,\"csat_survey\":false}}",
			       &t),
		0);
	snprintf(path, sizeof(path), "/api/v1/fetch/tenant?tenant_id=%s", t.tenant_id);
	env = mock_admin(m, "GET", path, NULL, &status);
	assert_int_equal(status, 200);
	flags = json_object_get(json_object_get(env, "data"), "feature_flags");
	assert_true(json_is_true(json_object_get(flags, "live_chat")));
	assert_true(json_is_false(json_object_get(flags, "csat_survey")));
	json_decref(env);

	/* an update without the field keeps them; with it, replaces them (TM: partial) */
	snprintf(path, sizeof(path), "/api/v1/update/tenant?tenant_id=%s", t.tenant_id);
	json_decref(mock_admin(m, "POST", path, "{\"plan_tier\":\"pro\"}", &status));
	assert_int_equal(status, 200);
	env = mock_admin(m, "POST", path, "{\"feature_flags\":{\"file_upload\":true}}", &status);
	assert_int_equal(status, 200);
	flags = json_object_get(json_object_get(env, "data"), "feature_flags");
	assert_int_equal(json_object_size(flags), 1);
	assert_true(json_is_true(json_object_get(flags, "file_upload")));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(env, "data"), "plan_tier")),
		"pro");
	json_decref(env);
	env = mock_admin(m, "POST", path, "{\"feature_flags\":{\"Bad-Name\":true}}", &status);
	assert_int_equal(status, 422);
	assert_string_equal(mock_error_code(env), "validation_failed");
	json_decref(env);
	env = mock_admin(m, "POST", path, "{\"feature_flags\":{\"x\":1}}", &status);
	assert_int_equal(status, 422);
	json_decref(env);

	snprintf(path, sizeof(path),
		 "/api/v1/fetch/widget-config?tenant_id=%s&widget_public_key=%s", t.tenant_id,
		 t.widget_public_key);
	assert_int_equal(mock_call(m, "GET", path, NULL, 0, NULL, &resp), 0);
	env = mock_check_success(&resp, 200);
	client_response_cleanup(&resp);
	assert_non_null(env);
	assert_true(json_is_true(
		json_object_get(json_object_get(env, "feature_flags"), "file_upload")));
	json_decref(env);
	assert_int_equal(mock_stop(m), 0);
}

/* §2.3.4: monthly_msg_quota counts visitor messages per UTC month of the mock clock. */
static void test_monthly_quota_refuses_visitor_messages_until_next_month(void **state)
{
	struct mock_tenant t;
	struct mock *m = start(NULL, &t);
	struct client_response resp;
	char conv[64], path[256], body[256];
	long status;

	(void)state;
	assert_int_equal(mock_set_clock(m, 1782036000000LL), 0); /* 2026-06-21T10:00:00Z */
	sign_at_ms = 1782036000000LL;
	snprintf(path, sizeof(path), "/api/v1/update/tenant?tenant_id=%s", t.tenant_id);
	json_decref(mock_admin(m, "POST", path, "{\"monthly_msg_quota\":2}", &status));
	assert_int_equal(status, 200);
	new_conv(m, &t, ",\"mode\":\"human\"", conv);
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"m\"}", conv);
	json_decref(relay_ok(m, &t, "POST", "/api/v1/relay/send/message", body, 201));
	json_decref(relay_ok(m, &t, "POST", "/api/v1/relay/send/message", body, 201));
	assert_int_equal(mock_signed(m, "POST", "/api/v1/relay/send/message", body, t.tenant_id,
				     t.tenant_secret, 1782036000000LL, &resp),
			 0);
	assert_int_equal(mock_check_error(&resp, 429, "quota_exceeded", NULL), 0);
	client_response_cleanup(&resp);
	/* other roles are not counted; a message to an unknown conversation is given back */
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"system\",\"content\":\"s\"}", conv);
	assert_int_equal(mock_signed(m, "POST", "/api/v1/relay/send/message", body, t.tenant_id,
				     t.tenant_secret, 1782036000000LL, &resp),
			 0);
	assert_int_equal(resp.status, 201);
	client_response_cleanup(&resp);
	/* next month (2026-07-01T00:00:00Z): a fresh count */
	assert_int_equal(mock_set_clock(m, 1782864000000LL), 0);
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"m\"}", conv);
	assert_int_equal(mock_signed(m, "POST", "/api/v1/relay/send/message", body, t.tenant_id,
				     t.tenant_secret, 1782864000000LL, &resp),
			 0);
	assert_int_equal(resp.status, 201);
	client_response_cleanup(&resp);
	sign_at_ms = 0;
	assert_int_equal(mock_stop(m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bot_mode_replies_to_each_visitor_message),
		cmocka_unit_test(test_human_mode_first_message_is_pending_without_bot),
		cmocka_unit_test(test_phrase_escalates_with_escalation_then_ticket_created),
		cmocka_unit_test(test_control_plane_escalation_and_its_errors),
		cmocka_unit_test(test_operator_flow_fires_agent_and_ticket_events_in_order),
		cmocka_unit_test(test_routing_keys_scope_queues_and_actions),
		cmocka_unit_test(test_operator_token_scope_is_enforced),
		cmocka_unit_test(test_retry_is_not_overtaken_within_a_conversation),
		cmocka_unit_test(test_scenario_plays_the_whole_lifecycle),
		cmocka_unit_test(test_widget_socket_gets_bot_status_and_operator_frames),
		cmocka_unit_test(test_relay_user_id_is_stable_across_provisioning),
		cmocka_unit_test(test_feature_flags_stored_and_given_to_the_widget),
		cmocka_unit_test(test_monthly_quota_refuses_visitor_messages_until_next_month),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
