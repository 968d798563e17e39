/*
 * cases_lifecycle.c - a conversation's life (SPEC.md §9.5.6, §9.6, §9.7, §10.8): the
 * bot and human modes, escalation, tickets, operators and their queues, and the
 * callbacks these flows fire, in order.
 *
 * Cases that drive escalation or operators use the mock's /__mock/lifecycle/... routes
 * control plane (a real relay has a RAG bot and an operator console instead) and
 * SKIP without it. Callback cases start the suite's receiver (suite_receiver.c, bound to
 * --callback-listen, reached as --callback-public-url or loopback) and match
 * deliveries by tenant.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "relay_clock.h"
#include "relay_wsclient.h"
#include "suite_fixtures.h"
#include "suite_http.h"
#include "suite_receiver.h"

#define LC_WAIT_MS   8000
#define CREATE_CONV  "/api/v1/relay/create/conversation"
#define SEND_MESSAGE "/api/v1/relay/send/message"
#define PROVISION_OP "/api/v1/relay/provision/operator"

/* s, or "?" when NULL (for messages and joins). */
static const char *or_q(const char *s)
{
	return s != NULL ? s : "?";
}

/* The number of deliveries for tenant so far (r->lock held). */
static size_t lc_count_locked(const struct receiver *r, const char *tenant)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += streq(r->got[i].tenant, tenant);
	return n;
}

/* Waits (LC_WAIT_MS) until tenant has n deliveries, woken by each; true when it has. */
static bool lc_wait(struct receiver *r, const char *tenant, size_t n)
{
	int64_t end = relay_clock_mono_ms() + LC_WAIT_MS;
	bool done;

	pthread_mutex_lock(&r->lock);
	while (!(done = lc_count_locked(r, tenant) >= n) && receiver_await(r, end))
		;
	pthread_mutex_unlock(&r->lock);
	return done;
}

/* The k-th delivery of tenant (arrival order), or NULL. */
static const struct receiver_delivery *lc_get(struct receiver *r, const char *tenant, size_t k)
{
	const struct receiver_delivery *dv = NULL;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n && dv == NULL; i++)
		if (streq(r->got[i].tenant, tenant) && k-- == 0)
			dv = &r->got[i];
	pthread_mutex_unlock(&r->lock);
	return dv;
}

/* "a,b,c": the events of tenant's deliveries that were acknowledged, in arrival order. */
static void lc_sequence(struct receiver *r, const char *tenant, char *out, size_t size)
{
	out[0] = '\0';
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n; i++) {
		if (!streq(r->got[i].tenant, tenant) || r->got[i].answered != MHD_HTTP_OK)
			continue;
		if (out[0] != '\0')
			strncat(out, ",", size - strlen(out) - 1);
		strncat(out, r->got[i].event, size - strlen(out) - 1);
	}
	pthread_mutex_unlock(&r->lock);
}

/* true when every delivery of tenant verifies with HMAC#1 and secret (WH, CWH). */
static bool lc_all_signed(struct case_ctx *x, struct receiver *r, const char *tenant,
			  const char *secret)
{
	bool ok = true;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n; i++) {
		struct hmac1_headers h;
		struct hmac1_verdict v;

		if (!streq(r->got[i].tenant, tenant))
			continue;
		hmac1_headers_init(&h);
		hmac1_headers_add(&h, HMAC1_HEADER_TENANT, r->got[i].tenant);
		hmac1_headers_add(&h, HMAC1_HEADER_TIMESTAMP, r->got[i].timestamp);
		hmac1_headers_add(&h, HMAC1_HEADER_SIGNATURE, r->got[i].signature);
		(void)hmac1_verify(&h, r->got[i].body, r->got[i].body_len, relay_now_ms(x), secret,
				   strlen(secret), 0, &v);
		ok = ok && v.rc == RELAY_OK;
	}
	pthread_mutex_unlock(&r->lock);
	return ok;
}

/* A fresh tenant whose callback_url_base is the receiver (+ "/hooks"), or none. */
static bool lc_tenant(struct case_ctx *x, struct receiver *r)
{
	char extra[640];
	json_t *url;
	char *quoted;
	bool ok = false;

	if (r == NULL)
		return tenant_provision(x, &x->t, NULL);
	url = json_string(r->base);
	quoted = url != NULL ? json_dumps(url, JSON_ENCODE_ANY) : NULL;
	if (quoted != NULL && strlen(quoted) > 2) {
		snprintf(extra, sizeof(extra), "\"callback_url_base\":\"%.*s/hooks\"",
			 (int)strlen(quoted) - 2, quoted + 1);
		ok = tenant_provision(x, &x->t, extra);
	}
	free(quoted);
	json_decref(url);
	return ok;
}

/* A conversation of x->t with extra body fields; its id into id. */
static bool lc_conversation(struct case_ctx *x, const char *extra, char id[128])
{
	char body[256];

	snprintf(body, sizeof(body), "{\"visitor_user_id\":\"user-123\"%s}", extra);
	req_signed(x, &x->t, "POST", CREATE_CONV, body);
	if (!expect_status(x, 201, NULL))
		return false;
	snprintf(id, 128, "%s", data_str(x, "id") ? data_str(x, "id") : "");
	return true;
}

static bool lc_say(struct case_ctx *x, const char *conv, const char *content)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"%s\"}", conv,
		 content);
	req_signed(x, &x->t, "POST", SEND_MESSAGE, body);
	return expect_status(x, 201, NULL);
}

/* The conversation's status (fetch/conversation), copied into out ("" on failure). */
static void lc_status(struct case_ctx *x, const char *conv, char *out, size_t size)
{
	char path[200];

	snprintf(path, sizeof(path), "/api/v1/relay/fetch/conversation?conversation_id=%s", conv);
	req_signed(x, &x->t, "GET", path, NULL);
	snprintf(out, size, "%s",
		 expect_status(x, 200, NULL) && data_str(x, "status") ? data_str(x, "status") : "");
}

/* The conversation's messages' roles, "visitor,bot,..." (fetch/messages). */
static void lc_roles(struct case_ctx *x, const char *conv, char *out, size_t size)
{
	char path[200];
	json_t *m;
	size_t i;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/api/v1/relay/fetch/messages?conversation_id=%s", conv);
	req_signed(x, &x->t, "GET", path, NULL);
	if (!expect_status(x, 200, NULL))
		return;
	json_array_foreach(json_object_get(resp_data(x), "items"), i, m)
	{
		if (out[0] != '\0')
			strncat(out, ",", size - strlen(out) - 1);
		strncat(out, or_q(json_string_value(json_object_get(m, "role"))),
			size - strlen(out) - 1);
	}
}

/* An operator of x->t (routing_keys JSON text or NULL); its id into id. */
static bool lc_operator(struct case_ctx *x, const struct suite_tenant *t, const char *email,
			const char *keys, char id[128])
{
	char body[256];

	snprintf(body, sizeof(body), "{\"email\":\"%s\"%s%s}", email,
		 keys != NULL ? ",\"routing_keys\":" : "", keys != NULL ? keys : "");
	req_signed(x, t, "POST", PROVISION_OP, body);
	if (!expect_status(x, x->resp.status == 201 ? 201 : 200, NULL))
		return false;
	snprintf(id, 128, "%s", data_str(x, "operator_id") ? data_str(x, "operator_id") : "");
	return true;
}

/* POST /__mock/lifecycle/<action> as (t, op) on conv; the HTTP status. */
static long lc_act(struct case_ctx *x, const struct suite_tenant *t, const char *action,
		   const char *op, const char *conv)
{
	char path[64], body[400];

	snprintf(path, sizeof(path), "/__mock/lifecycle/%s", action);
	snprintf(body, sizeof(body),
		 "{\"tenant_id\":\"%s\",\"operator_id\":\"%s\",\"conversation_id\":\"%s\"%s}",
		 t->id, op, conv,
		 strcmp(action, "send") == 0 ? ",\"content\":\"Hello from an operator\"" : "");
	return req_admin(x, "POST", path, body);
}

static bool lc_escalate(struct case_ctx *x, const char *conv)
{
	char body[300];

	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\",\"conversation_id\":\"%s\"}", x->t.id,
		 conv);
	req_admin(x, "POST", "/__mock/lifecycle/escalate", body);
	return expect_status(x, 200, NULL);
}

/* §9.6.1: bot mode (default) answers a visitor message with a message of role bot. */
static void lifecycle_bot_reply(struct case_ctx *x)
{
	char conv[128], roles[256];

	if (!lc_conversation(x, "", conv) || !lc_say(x, conv, "Where is my order?"))
		return;
	lc_roles(x, conv, roles, sizeof(roles));
	expect_true(x, streq(roles, "visitor,bot"),
		    "the bot answers the visitor's message (OP: bot mode); roles %s", roles);
}

/* §9.6.3: a new conversation is open; a visitor message in bot mode keeps it open. */
static void lifecycle_status_open(struct case_ctx *x)
{
	char conv[128], st[32];

	if (!lc_conversation(x, "", conv))
		return;
	if (!expect_true(x, streq(data_str(x, "status"), "open"), "created open"))
		return;
	if (!lc_say(x, conv, "hello"))
		return;
	lc_status(x, conv, st, sizeof(st));
	expect_true(x, streq(st, "open"), "still open after a message the bot answered, got %s",
		    st);
}

/* §9.6.1: human mode: the first visitor message makes a pending assignment, no bot. */
static void lifecycle_human_pending(struct case_ctx *x)
{
	char conv[128], st[32], roles[256];

	if (!lc_conversation(x, ",\"mode\":\"human\"", conv) || !lc_say(x, conv, "Hello"))
		return;
	lc_status(x, conv, st, sizeof(st));
	lc_roles(x, conv, roles, sizeof(roles));
	expect_true(x, streq(st, "pending") && streq(roles, "visitor"),
		    "human mode: pending after the first message and no bot reply (OP); "
		    "status %s, roles %s",
		    st, roles);
}

/* §6.4.5: relay_user_id returned at provisioning and the same on re-provisioning. */
static void lifecycle_relay_user_id(struct case_ctx *x)
{
	char first[128];

	req_signed(x, &x->t, "POST", PROVISION_OP,
		   "{\"email\":\"relay-user@shop.example\",\"backend_user_id\":\"user-42\"}");
	if (!expect_status(x, x->resp.status == 201 ? 201 : 200, NULL))
		return;
	snprintf(first, sizeof(first), "%s",
		 data_str(x, "relay_user_id") ? data_str(x, "relay_user_id") : "");
	if (!expect_true(x, first[0] != '\0', "provisioning returns relay_user_id (TEN)"))
		return;
	req_signed(x, &x->t, "POST", PROVISION_OP,
		   "{\"email\":\"Relay-User@shop.example\",\"display_name\":\"R\"}");
	if (!expect_status(x, 200, NULL))
		return;
	expect_true(x,
		    streq(data_str(x, "relay_user_id"), first) &&
			    streq(data_str(x, "backend_user_id"), "user-42"),
		    "re-provisioning returns the same relay_user_id (%s) and keeps "
		    "backend_user_id, got %s",
		    first, data_str(x, "relay_user_id") ? data_str(x, "relay_user_id") : "none");
}

/* §9.6.2: the tenant's phrase escalates: pending with a ticket, the bot silent. */
static void lifecycle_escalation_phrase(struct case_ctx *x)
{
	char conv[128], body[256], st[32], roles[256];

	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\",\"phrase\":\"speak to a human\"}",
		 x->t.id);
	req_admin(x, "PUT", "/__mock/lifecycle/trigger", body);
	if (!expect_status(x, 200, NULL) || !lc_conversation(x, "", conv) ||
	    !lc_say(x, conv, "Please, let me SPEAK TO A HUMAN."))
		return;
	lc_status(x, conv, st, sizeof(st));
	if (!expect_true(x, streq(st, "pending"), "escalated to pending, got %s", st))
		return;
	expect_true(x, strncmp(or_q(data_str(x, "ticket_id")), "tkt_", 4) == 0,
		    "a ticket is created on escalation (OV)");
	lc_roles(x, conv, roles, sizeof(roles));
	expect_true(x, streq(roles, "visitor"), "the bot does not answer the escalating message");
}

/* §9.4, §9.6.2: escalation fires escalation-triggered then ticket-created, signed. */
static void lifecycle_escalation_events(struct case_ctx *x)
{
	struct receiver r;
	char conv[128], seq[512];
	const struct receiver_delivery *dv;

	if (!receiver_start(x, &r, RECEIVER_EVENTS_ONLY))
		return;
	if (lc_tenant(x, &r) && lc_conversation(x, ",\"routing_key\":\"store-1\"", conv) &&
	    lc_escalate(x, conv)) {
		lc_wait(&r, x->t.id, 3);
		lc_sequence(&r, x->t.id, seq, sizeof(seq));
		if (expect_true(
			    x,
			    streq(seq, "conversation-started,escalation-triggered,ticket-created"),
			    "escalation fires escalation-triggered then ticket-created (WH); got "
			    "%s",
			    seq) &&
		    expect_true(x, lc_all_signed(x, &r, x->t.id, x->t.secret),
				"every callback is signed with HMAC#1 and the tenant secret")) {
			json_t *p, *d;

			dv = lc_get(&r, x->t.id, 2);
			p = json_loadb(dv->body, dv->body_len, 0, NULL);
			d = json_object_get(p, "data");
			expect_true(
				x,
				streq(json_string_value(json_object_get(d, "conversation_id")),
				      conv) &&
					json_is_object(json_object_get(d, "conversation")) &&
					json_is_object(json_object_get(d, "ticket")) &&
					streq(json_string_value(json_object_get(d, "routing_key")),
					      "store-1"),
				"ticket-created data names the conversation, the ticket and the "
				"routing_key (§9.6.4)");
			json_decref(p);
		}
	}
	receiver_stop(&r);
}

/* §9.4, §9.7.3: take, release, take, resolve fire the agent and ticket events in order. */
static void lifecycle_operator_events(struct case_ctx *x)
{
	static const char want[] = "conversation-started,escalation-triggered,ticket-created,"
				   "agent-assigned,ticket-assigned,agent-released,agent-assigned,"
				   "ticket-assigned,agent-resolved,ticket-resolved";
	static const char *const steps[] = {"take", "release", "take", "resolve"};
	struct receiver r;
	char conv[128], op[128], seq[1024];
	size_t i;

	if (!receiver_start(x, &r, RECEIVER_EVENTS_ONLY))
		return;
	if (lc_tenant(x, &r) && lc_operator(x, &x->t, "agent@shop.example", NULL, op) &&
	    lc_conversation(x, "", conv) && lc_escalate(x, conv)) {
		for (i = 0; i < 4; i++) {
			lc_act(x, &x->t, steps[i], op, conv);
			if (!expect_status(x, 200, NULL))
				goto out;
		}
		lc_wait(&r, x->t.id, 10);
		lc_sequence(&r, x->t.id, seq, sizeof(seq));
		if (expect_true(x, streq(seq, want),
				"the flow fires the seven lifecycle events in order (WH); got %s",
				seq))
			expect_true(x, lc_all_signed(x, &r, x->t.id, x->t.secret),
				    "every callback is signed with HMAC#1 and the tenant secret");
	}
out:
	receiver_stop(&r);
}

/* §9.6.3: open → pending → assigned → pending → assigned → resolved, in fetch. */
static void lifecycle_status_transitions(struct case_ctx *x)
{
	static const char *const steps[] = {"take", "release", "take", "resolve"};
	static const char *const after[] = {"assigned", "pending", "assigned", "resolved"};
	char conv[128], op[128], st[32];
	size_t i;

	if (!lc_operator(x, &x->t, "status@shop.example", NULL, op) ||
	    !lc_conversation(x, "", conv) || !lc_escalate(x, conv))
		return;
	lc_status(x, conv, st, sizeof(st));
	if (!expect_true(x, streq(st, "pending"), "pending after escalation, got %s", st))
		return;
	for (i = 0; i < 4; i++) {
		lc_act(x, &x->t, steps[i], op, conv);
		if (!expect_status(x, 200, NULL))
			return;
		lc_status(x, conv, st, sizeof(st));
		if (!expect_true(x, streq(st, after[i]), "%s after %s, got %s", after[i], steps[i],
				 st))
			return;
	}
	lc_act(x, &x->t, "take", op, conv);
	expect_status(x, 409, "conversation_state");
}

/* §9.6.5: after resolution a visitor message is stored; no bot, still resolved. */
static void lifecycle_resolved_message(struct case_ctx *x)
{
	char conv[128], op[128], st[32], roles[256];

	if (!lc_operator(x, &x->t, "resolver@shop.example", NULL, op) ||
	    !lc_conversation(x, "", conv) || !lc_escalate(x, conv))
		return;
	lc_act(x, &x->t, "take", op, conv);
	if (!expect_status(x, 200, NULL))
		return;
	lc_act(x, &x->t, "resolve", op, conv);
	if (!expect_status(x, 200, NULL) || !lc_say(x, conv, "one more thing"))
		return;
	lc_status(x, conv, st, sizeof(st));
	lc_roles(x, conv, roles, sizeof(roles));
	expect_true(x, streq(st, "resolved") && streq(roles, "visitor"),
		    "stored, still resolved, no bot; status %s, roles %s", st, roles);
}

/* The ids a queue read lists, "a,b"; the HTTP status. */
static long lc_queue(struct case_ctx *x, const char *query, const char *auth, char *out,
		     size_t size)
{
	char path[400], key[1200];
	const char *h[2];
	size_t n = 0, i;
	json_t *c;
	long status;

	snprintf(path, sizeof(path), "/__mock/lifecycle/queue?%s", query);
	snprintf(key, sizeof(key), "X-Admin-Key: %s",
		 x->s->cfg.admin_key ? x->s->cfg.admin_key : "");
	h[n++] = key;
	if (auth != NULL)
		h[n++] = auth;
	status = req_raw(x, "GET", path, h, n, NULL, 0);
	out[0] = '\0';
	json_array_foreach(json_object_get(resp_data(x), "items"), i, c)
	{
		if (out[0] != '\0')
			strncat(out, ",", size - strlen(out) - 1);
		strncat(out, or_q(json_string_value(json_object_get(c, "id"))),
			size - strlen(out) - 1);
	}
	return status;
}

/* §9.7.2: routing_keys restrict the queue; null is tenant-wide. */
static void lifecycle_queue_routing_keys(struct case_ctx *x)
{
	char c1[128], c2[128], wide[128], s1[128], q[400], got[512], want[512];

	if (!lc_operator(x, &x->t, "wide@shop.example", NULL, wide) ||
	    !lc_operator(x, &x->t, "store1@shop.example", "[\"store-1\"]", s1) ||
	    !lc_conversation(x, ",\"routing_key\":\"store-1\"", c1) ||
	    !lc_conversation(x, ",\"routing_key\":\"store-2\"", c2) || !lc_escalate(x, c1) ||
	    !lc_escalate(x, c2))
		return;
	snprintf(q, sizeof(q), "tenant_id=%s&operator_id=%s", x->t.id, s1);
	lc_queue(x, q, NULL, got, sizeof(got));
	if (!expect_status(x, 200, NULL) ||
	    !expect_true(x, streq(got, c1), "routing_keys [store-1] sees store-1 only (OP); got %s",
			 got))
		return;
	snprintf(q, sizeof(q), "tenant_id=%s&operator_id=%s", x->t.id, wide);
	lc_queue(x, q, NULL, got, sizeof(got));
	snprintf(want, sizeof(want), "%s,%s", c1, c2);
	expect_true(x, expect_status(x, 200, NULL) && streq(got, want),
		    "routing_keys null is tenant-wide: sees every conversation (OP); got %s", got);
}

/* §9.7.3: an operator cannot take a conversation outside its routing_keys. */
static void lifecycle_operator_out_of_scope(struct case_ctx *x)
{
	char conv[128], op[128];

	if (!lc_operator(x, &x->t, "narrow@shop.example", "[\"store-1\"]", op) ||
	    !lc_conversation(x, ",\"routing_key\":\"store-2\"", conv) || !lc_escalate(x, conv))
		return;
	lc_act(x, &x->t, "take", op, conv);
	expect_status(x, 403, "insufficient_scope");
}

/* §9.7.3, §6.6.1: another tenant's operator is unknown here. */
static void lifecycle_operator_other_tenant(struct case_ctx *x)
{
	struct suite_tenant other;
	char conv[128], op[128];

	memset(&other, 0, sizeof(other));
	if (!tenant_provision(x, &other, NULL) ||
	    !lc_operator(x, &other, "foreign@other.example", NULL, op) ||
	    !lc_conversation(x, "", conv) || !lc_escalate(x, conv))
		return;
	lc_act(x, &x->t, "take", op, conv);
	expect_status(x, 404, "operator_not_found");
}

/* §9.7.6 (TEN): tenant A's operator token never opens tenant B's queue. */
static void lifecycle_token_tids(struct case_ctx *x)
{
	struct suite_tenant other;
	char op[128], body[200], auth[1200], q[200], got[512];

	memset(&other, 0, sizeof(other));
	if (!tenant_provision(x, &other, NULL) ||
	    !lc_operator(x, &x->t, "token@shop.example", NULL, op))
		return;
	snprintf(body, sizeof(body), "{\"operator_id\":\"%s\"}", op);
	req_signed(x, &x->t, "POST", "/api/v1/relay/mint/operator-token", body);
	if (!expect_status(x, 201, NULL) || data_str(x, "operator_token") == NULL)
		return;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", data_str(x, "operator_token"));
	snprintf(q, sizeof(q), "tenant_id=%s", x->t.id);
	lc_queue(x, q, auth, got, sizeof(got));
	if (!expect_status(x, 200, NULL))
		return;
	snprintf(q, sizeof(q), "tenant_id=%s", other.id);
	lc_queue(x, q, auth, got, sizeof(got));
	expect_status(x, 403, "insufficient_scope");
}

/* §9.5.6: a retry of an earlier event is not overtaken by a later one of the same conversation. */
static void lifecycle_order_retry(struct case_ctx *x)
{
	struct receiver r;
	char conv[128], seq[512];

	if (!receiver_start(x, &r, RECEIVER_EVENTS_ONLY))
		return;
	receiver_set_faults(&r, 1, false); /* conversation-started's first attempt gets a 500 */
	if (lc_tenant(x, &r) && lc_conversation(x, "", conv)) {
		lc_wait(&r, x->t.id, 1);
		if (lc_say(x, conv, "are you there?")) {
			lc_wait(&r, x->t.id, 3);
			lc_sequence(&r, x->t.id, seq, sizeof(seq));
			expect_true(x, streq(seq, "conversation-started,message-received"),
				    "the retried conversation-started is acknowledged before "
				    "message-received arrives; acknowledged order %s",
				    seq);
		}
	}
	receiver_stop(&r);
}

/* §10.8.5: one scenario call plays the whole lifecycle; every event arrives in order. */
static void lifecycle_scenario(struct case_ctx *x)
{
	static const char want[] =
		"conversation-started,message-received,escalation-triggered,ticket-created,"
		"message-received,agent-assigned,ticket-assigned,agent-released,agent-assigned,"
		"ticket-assigned,agent-resolved,ticket-resolved";
	struct receiver r;
	char body[256], seq[1024];

	if (!receiver_start(x, &r, RECEIVER_EVENTS_ONLY))
		return;
	if (lc_tenant(x, &r)) {
		snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\",\"routing_key\":\"store-9\"}",
			 x->t.id);
		req_admin(x, "POST", "/__mock/lifecycle/scenario", body);
		if (expect_status(x, 201, NULL) &&
		    expect_true(x, json_array_size(json_object_get(resp_data(x), "events")) == 12,
				"the answer lists the twelve events")) {
			lc_wait(&r, x->t.id, 12);
			lc_sequence(&r, x->t.id, seq, sizeof(seq));
			if (expect_true(x, streq(seq, want), "every event, in order; got %s", seq))
				expect_true(x, lc_all_signed(x, &r, x->t.id, x->t.secret),
					    "every callback is signed with HMAC#1");
		}
	}
	receiver_stop(&r);
}

/* The next text frame as JSON (NULL on close, timeout or non-JSON). */
static json_t *lc_ws_next(struct case_ctx *x, struct wsclient *c)
{
	char *text = NULL;
	size_t len = 0;
	int op = 0;
	json_t *j = NULL;
	int wait = x->s->cfg.timeout_ms < 60000 ? (int)x->s->cfg.timeout_ms : 60000;

	if (wsclient_recv(c, wait, &op, &text, &len) != WSCLIENT_GOT)
		return NULL;
	if (op == WSCLIENT_TEXT) {
		report_case_log(x->rcase, "frame: %.300s", text);
		j = json_loadb(text, len, 0, NULL);
	}
	free(text);
	return j;
}

/* §9.6.6: the widget socket gets a status frame when its conversation escalates. */
static void lifecycle_ws_status_frame(struct case_ctx *x)
{
	const char *base = x->s->cfg.base_url;
	struct wsclient_options opt = {x->t.origin[0] != '\0' ? x->t.origin : NULL,
				       (int)x->s->cfg.timeout_ms, x->s->cfg.insecure, NULL};
	struct wsclient_error err;
	struct wsclient *c;
	char tok[4200], sid[128], url[8400], conv[128];
	size_t blen = strlen(base);
	json_t *f;
	int i;

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (strncmp(base, "https://", 8) == 0)
		snprintf(url, sizeof(url), "wss://%.*s/api/v1/ws/widget?token=%s", (int)blen - 8,
			 base + 8, tok);
	else
		snprintf(url, sizeof(url), "ws://%.*s/api/v1/ws/widget?token=%s", (int)blen - 7,
			 base + 7, tok);
	c = wsclient_connect_opts(url, &opt, &err);
	if (!expect_true(x, c != NULL, "the upgrade answered 101 (§8.1.3): %s", err.text))
		return;
	f = lc_ws_next(x, c);
	snprintf(conv, sizeof(conv), "%s",
		 or_q(json_string_value(json_object_get(f, "conversation_id"))));
	json_decref(f);
	if (expect_true(x, strncmp(conv, "conv_", 5) == 0,
			"a welcome frame names the "
			"conversation (§8.1.4)") &&
	    lc_escalate(x, conv)) {
		bool seen = false;

		for (i = 0; i < 3 && !seen; i++) {
			f = lc_ws_next(x, c);
			if (f == NULL)
				break;
			seen = streq(json_string_value(json_object_get(f, "type")), "status") &&
			       streq(json_string_value(json_object_get(f, "status")), "pending") &&
			       streq(json_string_value(json_object_get(f, "reason")),
				     "escalated") &&
			       strncmp(or_q(json_string_value(json_object_get(f, "ticket_id"))),
				       "tkt_", 4) == 0;
			json_decref(f);
		}
		expect_true(x, seen,
			    "a {type: status, status: pending, reason: escalated, ticket_id} frame "
			    "(§9.6.6)");
	}
	wsclient_free(c);
}

#define NEED_LC    (NEED_ADMIN | NEED_TENANT | NEED_MOCK)
#define NEED_LC_CB (NEED_ADMIN | NEED_MOCK | NEED_CALLBACK) /* provisions its own tenant */

const struct suite_case cases_lifecycle[] = {
	{"lifecycle.bot.reply", "9.6.1", REPORT_INFERRED, NEED_TENANT,
	 "Bot mode (default): a visitor message gets a reply of role bot", lifecycle_bot_reply},
	{"lifecycle.status.open", "9.6.3", REPORT_INFERRED, NEED_TENANT,
	 "A new conversation is open and stays open while the bot answers", lifecycle_status_open},
	{"lifecycle.human.pending", "9.6.1", REPORT_INFERRED, NEED_TENANT,
	 "Human mode: the first visitor message makes the conversation pending; no bot reply",
	 lifecycle_human_pending},
	{"lifecycle.operator.relay-user-id", "6.4.5", REPORT_INFERRED, NEED_TENANT,
	 "Operator provisioning returns relay_user_id, the same on re-provisioning",
	 lifecycle_relay_user_id},
	{"lifecycle.escalation.phrase", "9.6.2", REPORT_INFERRED, NEED_LC,
	 "A visitor message with the tenant's phrase escalates: pending, a ticket, no bot reply",
	 lifecycle_escalation_phrase},
	{"lifecycle.escalation.events", "9.4", REPORT_DOCUMENTED, NEED_LC_CB,
	 "Escalation fires escalation-triggered then ticket-created, signed, with conversation, "
	 "ticket and routing_key",
	 lifecycle_escalation_events},
	{"lifecycle.operator.events", "9.4", REPORT_DOCUMENTED, NEED_LC_CB,
	 "Take, release, take, resolve fire agent-assigned, ticket-assigned, agent-released, "
	 "agent-resolved, ticket-resolved in order",
	 lifecycle_operator_events},
	{"lifecycle.status.transitions", "9.6.3", REPORT_INFERRED, NEED_LC,
	 "Status moves open, pending, assigned, pending, assigned, resolved; then take is 409",
	 lifecycle_status_transitions},
	{"lifecycle.resolved.message", "9.6.5", REPORT_INFERRED, NEED_LC,
	 "After resolution a visitor message is stored; no bot reply; still resolved",
	 lifecycle_resolved_message},
	{"lifecycle.queue.routing-keys", "9.7.2", REPORT_DOCUMENTED, NEED_LC,
	 "An operator's queue holds its routing_keys' conversations; null is tenant-wide",
	 lifecycle_queue_routing_keys},
	{"lifecycle.operator.out-of-scope", "9.7.3", REPORT_INFERRED, NEED_LC,
	 "Taking a conversation outside the operator's routing_keys is 403 insufficient_scope",
	 lifecycle_operator_out_of_scope},
	{"lifecycle.operator.other-tenant", "9.7.3", REPORT_INFERRED, NEED_LC,
	 "Another tenant's operator is 404 operator_not_found", lifecycle_operator_other_tenant},
	{"lifecycle.token.tids", "9.7.6", REPORT_DOCUMENTED, NEED_LC,
	 "Tenant A's operator token never opens tenant B's queue (403)", lifecycle_token_tids},
	{"lifecycle.order.retry", "9.5.6", REPORT_INFERRED, NEED_ADMIN | NEED_CALLBACK,
	 "A retried conversation-started is acknowledged before the conversation's next event "
	 "arrives",
	 lifecycle_order_retry},
	{"lifecycle.ws.status-frame", "9.6.6", REPORT_INFERRED, NEED_LC | NEED_WIDGET,
	 "The widget socket gets a status frame (pending, escalated, ticket_id) on escalation",
	 lifecycle_ws_status_frame},
	{"lifecycle.scenario.events", "10.8.5", REPORT_INFERRED, NEED_LC_CB,
	 "One scenario call plays the whole lifecycle; the twelve callbacks arrive in order, "
	 "signed",
	 lifecycle_scenario},
	{NULL, NULL, 0, 0, NULL, NULL}};
