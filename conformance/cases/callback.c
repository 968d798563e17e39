/*
 * callback.c - signed callbacks from the relay to the tenant backend (SPEC.md §9).
 *
 * Each case starts a small receiver (libmicrohttpd bound to --callback-listen, by
 * default 127.0.0.1 on a free port), points a fresh tenant's callback_url_base at it
 * (or at --callback-public-url, the receiver as a remote relay reaches it) and checks
 * what arrives. Without --callback-public-url these cases need a loopback target
 * (NEED_CALLBACK; suite.c SKIPs them otherwise). Deliveries are matched by tenant, so
 * a late retry for an earlier case's tenant is never taken for this case's.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "relay_clock.h"
#include "suite_fixtures.h"
#include "suite_http.h"
#include "suite_receiver.h"

#define WAIT_MS 6000
/* a slow handler's retry: after the relay's attempt timeout and its first backoff */
#define SLOW_WAIT_MS RECEIVER_HOLD_MS

/*
 * Waits until the (skip+1)-th delivery for tenant whose path ends with suffix has
 * arrived: its index, or -1 after wait_ms. Woken by each delivery (no polling).
 */
static int receiver_wait_ms(struct receiver *r, const char *tenant, const char *suffix, size_t skip,
			    int64_t wait_ms)
{
	int64_t end = relay_clock_mono_ms() + wait_ms;
	size_t ls = strlen(suffix);
	int found = -1;

	pthread_mutex_lock(&r->lock);
	do {
		size_t seen = 0;

		for (size_t i = 0; i < r->n && found < 0; i++) {
			size_t lp = strlen(r->got[i].path);

			if (lp >= ls && strcmp(r->got[i].path + lp - ls, suffix) == 0 &&
			    streq(r->got[i].tenant, tenant) && seen++ == skip)
				found = (int)i;
		}
	} while (found < 0 && receiver_await(r, end));
	pthread_mutex_unlock(&r->lock);
	return found;
}

static int receiver_wait(struct receiver *r, const char *tenant, const char *suffix, size_t skip)
{
	return receiver_wait_ms(r, tenant, suffix, skip, WAIT_MS);
}

/* A tenant whose callback_url_base is the receiver (+ "/hooks"). */
static bool callback_tenant(struct case_ctx *x, struct receiver *r)
{
	char extra[640];
	json_t *url = json_string(r->base);
	char *quoted = url != NULL ? json_dumps(url, JSON_ENCODE_ANY) : NULL;
	bool ok = false;

	/* the base is spliced into JSON through jansson, so any URL text stays valid JSON */
	if (quoted != NULL && strlen(quoted) > 2) {
		snprintf(extra, sizeof(extra), "\"callback_url_base\":\"%.*s/hooks\"",
			 (int)strlen(quoted) - 2, quoted + 1);
		ok = tenant_provision(x, &x->t, extra);
	} else {
		expect_true(x, false, "the callback URL %s can be written as JSON", r->base);
	}
	free(quoted);
	json_decref(url);
	return ok;
}

static bool create_conversation(struct case_ctx *x, char *id, size_t size)
{
	req_signed(x, &x->t, "POST", "/api/v1/relay/create/conversation",
		   "{\"visitor_user_id\":\"user-123\"}");
	if (!expect_status(x, 201, NULL))
		return false;
	snprintf(id, size, "%s", data_str(x, "id") ? data_str(x, "id") : "");
	return true;
}

/* Verifies delivery dv with secret at the relay's now; records the values. */
static bool verify_delivery(struct case_ctx *x, const struct receiver_delivery *dv,
			    const char *secret)
{
	struct hmac1_headers h;
	struct hmac1_verdict v;
	struct hmac1_signed shown;

	hmac1_headers_init(&h);
	hmac1_headers_add(&h, HMAC1_HEADER_TENANT, dv->tenant);
	hmac1_headers_add(&h, HMAC1_HEADER_TIMESTAMP, dv->timestamp);
	hmac1_headers_add(&h, HMAC1_HEADER_SIGNATURE, dv->signature);
	(void)hmac1_verify(&h, dv->body, dv->body_len, relay_now_ms(x), secret, strlen(secret), 0,
			   &v);
	memset(&shown, 0, sizeof(shown));
	snprintf(shown.timestamp, sizeof(shown.timestamp), "%.20s", dv->timestamp);
	snprintf(shown.body_sha256, sizeof(shown.body_sha256), "%s", v.body_sha256);
	snprintf(shown.signing_string, sizeof(shown.signing_string), "%s", v.signing_string);
	report_case_hmac1(x->rcase, &shown);
	return expect_true(x, v.rc == RELAY_OK && streq(dv->tenant, x->t.id),
			   "a callback signed with HMAC#1 and the tenant secret (WH, CWH); "
			   "verification failed at step %s (%s)",
			   hmac1_step_name(v.failed_step), v.detail ? v.detail : "");
}

static void callback_started(struct case_ctx *x)
{
	struct receiver r;
	char conv[128];
	int i;

	if (!receiver_start(x, &r, RECEIVER_THREADED))
		return;
	if (callback_tenant(x, &r) && create_conversation(x, conv, sizeof(conv))) {
		i = receiver_wait(&r, x->t.id, "/conversation-started", 0);
		if (expect_true(
			    x, i >= 0,
			    "POST {callback_url_base}/api/v1/chat-callbacks/conversation-started "
			    "within %d ms",
			    WAIT_MS)) {
			const struct receiver_delivery *dv = &r.got[i];

			if (strcmp(x->meta->id, "callback.url.path") == 0) {
				static const char want[] =
					"/hooks/api/v1/chat-callbacks/conversation-started";
				size_t lp = strlen(dv->path), lw = sizeof(want) - 1;
				/* behind --callback-public-url a proxy may add a prefix */
				bool ok =
					x->s->cfg.callback_public_url != NULL
						? lp >= lw && strcmp(dv->path + lp - lw, want) == 0
						: streq(dv->path, want);

				expect_true(x, ok,
					    "path {callback_url_base}/api/v1/chat-callbacks/"
					    "conversation-started, here %s (WH template), got %s",
					    want, dv->path);
			} else if (strcmp(x->meta->id, "callback.signing.valid") == 0) {
				verify_delivery(x, dv, x->t.secret);
			} else {
				json_t *p = json_loadb(dv->body, dv->body_len, 0, NULL);
				const char *eid = json_string_value(json_object_get(p, "event_id"));

				expect_true(
					x,
					eid && strncmp(eid, "evt_", 4) == 0 &&
						streq(json_string_value(
							      json_object_get(p, "event")),
						      "conversation-started") &&
						streq(json_string_value(
							      json_object_get(p, "tenant_id")),
						      x->t.id) &&
						json_is_string(json_object_get(p, "occurred_at")) &&
						streq(json_string_value(json_object_get(
							      json_object_get(p, "data"), "id")),
						      conv),
					"payload {event_id evt_..., event, tenant_id, occurred_at, "
					"data: the conversation} (§9.3.1)");
				json_decref(p);
			}
		}
	}
	receiver_stop(&r);
}

static void callback_message_received(struct case_ctx *x)
{
	struct receiver r;
	char conv[128], body[256];

	if (!receiver_start(x, &r, RECEIVER_THREADED))
		return;
	if (callback_tenant(x, &r) && create_conversation(x, conv, sizeof(conv))) {
		snprintf(body, sizeof(body),
			 "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"hi\"}",
			 conv);
		req_signed(x, &x->t, "POST", "/api/v1/relay/send/message", body);
		if (expect_status(x, 201, NULL))
			expect_true(x, receiver_wait(&r, x->t.id, "/message-received", 0) >= 0,
				    "a visitor message fires message-received (§9.4)");
	}
	receiver_stop(&r);
}

static void callback_retry_same_id(struct case_ctx *x)
{
	struct receiver r;
	char conv[128];
	int a, b;

	if (!receiver_start(x, &r, RECEIVER_THREADED))
		return;
	receiver_set_faults(&r, 1, false);
	if (callback_tenant(x, &r) && create_conversation(x, conv, sizeof(conv))) {
		a = receiver_wait(&r, x->t.id, "/conversation-started", 0);
		b = receiver_wait(&r, x->t.id, "/conversation-started", 1);
		if (expect_true(x, a >= 0 && b >= 0,
				"a 500 answer is retried (§9.5.3): two attempts within %d ms",
				WAIT_MS)) {
			json_t *p1 = json_loadb(r.got[a].body, r.got[a].body_len, 0, NULL);
			json_t *p2 = json_loadb(r.got[b].body, r.got[b].body_len, 0, NULL);

			expect_true(x,
				    streq(json_string_value(json_object_get(p1, "event_id")),
					  json_string_value(json_object_get(p2, "event_id"))) &&
					    r.got[a].body_len == r.got[b].body_len,
				    "the retry carries the same event_id and body (CWH: derive an "
				    "idempotency key from the event id)");
			json_decref(p1);
			json_decref(p2);
		}
	}
	receiver_stop(&r);
}

static void delivery_str(const struct receiver_delivery *dv, const char *key, char *out,
			 size_t size);

/*
 * §9.5.3: "slow handlers trigger retries" (CWH). The receiver holds its first answer
 * past any timeout (until a second attempt comes); the same event arrives again, with
 * the same event_id (§9.3.3, [inferred]: a different one is a WARN).
 */
static void callback_retry_slow(struct case_ctx *x)
{
	static const char suffix[] = "/hooks/api/v1/chat-callbacks/conversation-started";
	struct receiver r;
	char conv[128], id1[64], id2[64];
	int a, b;

	if (!receiver_start(x, &r, RECEIVER_THREADED))
		return;
	receiver_set_faults(&r, 0, true);
	if (callback_tenant(x, &r) && create_conversation(x, conv, sizeof(conv))) {
		a = receiver_wait(&r, x->t.id, suffix, 0);
		b = receiver_wait_ms(&r, x->t.id, suffix, 1, SLOW_WAIT_MS);
		if (expect_true(x, a >= 0 && b >= 0,
				"a handler slower than the relay's timeout sees the event again "
				"(CWH: slow handlers trigger retries) within %d ms",
				SLOW_WAIT_MS)) {
			delivery_str(&r.got[a], "event_id", id1, sizeof(id1));
			delivery_str(&r.got[b], "event_id", id2, sizeof(id2));
			if (id1[0] == '\0' || !streq(id1, id2)) {
				report_case_verdict(
					x->rcase, REPORT_WARN,
					"the retry of a slow delivery carries event_id "
					"\"%s\", the first \"%s\" (§9.3.3 [inferred]: the "
					"same)",
					id2, id1);
			}
		}
	}
	receiver_stop(&r);
}

/*
 * §9.1.1: callback_url_base is "configured at provisioning or via update/tenant" (WH): a
 * tenant provisioned without it, then given the receiver by update/tenant, gets callbacks.
 */
static void callback_url_updated(struct case_ctx *x)
{
	struct receiver r;
	char conv[128], body[700];
	json_t *url;
	char *quoted = NULL;

	if (!receiver_start(x, &r, RECEIVER_THREADED))
		return;
	url = json_string(r.base);
	quoted = url != NULL ? json_dumps(url, JSON_ENCODE_ANY) : NULL;
	json_decref(url);
	if (quoted == NULL || strlen(quoted) < 2 || !tenant_provision(x, &x->t, NULL))
		goto out;
	snprintf(body, sizeof(body), "{\"callback_url_base\":\"%.*s/hooks\"}",
		 (int)strlen(quoted) - 2, quoted + 1);
	req_admin_tenant(x, "POST", "update/tenant", &x->t, body);
	if (expect_status(x, 200, NULL) && create_conversation(x, conv, sizeof(conv)))
		expect_true(x,
			    receiver_wait(&r, x->t.id,
					  "/hooks/api/v1/chat-callbacks/conversation-started",
					  0) >= 0,
			    "after update/tenant set callback_url_base, conversation-started "
			    "arrives there within %d ms (WH)",
			    WAIT_MS);
out:
	free(quoted);
	receiver_stop(&r);
}

static void callback_after_rotation(struct case_ctx *x)
{
	struct receiver r;
	char conv[128];
	int i;

	if (!receiver_start(x, &r, RECEIVER_THREADED))
		return;
	if (callback_tenant(x, &r)) {
		if (tenant_action(x, &x->t, "rotate/tenant-secret")) {
			snprintf(x->t.secret, sizeof(x->t.secret), "%s",
				 data_str(x, "tenant_secret") ? data_str(x, "tenant_secret") : "");
			if (create_conversation(x, conv, sizeof(conv))) {
				i = receiver_wait(&r, x->t.id, "/conversation-started", 0);
				if (expect_true(x, i >= 0, "a conversation-started callback"))
					verify_delivery(x, &r.got[i], x->t.secret);
			}
		}
	}
	receiver_stop(&r);
}

/* The deliveries for tenant whose path ends with suffix, so far. */
static size_t receiver_count(struct receiver *r, const char *tenant, const char *suffix)
{
	size_t n = 0, ls = strlen(suffix);

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n; i++) {
		size_t lp = strlen(r->got[i].path);

		if (lp >= ls && strcmp(r->got[i].path + lp - ls, suffix) == 0 &&
		    streq(r->got[i].tenant, tenant))
			n++;
	}
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* The string member key of the JSON body of dv, copied into out ("" when none). */
static void delivery_str(const struct receiver_delivery *dv, const char *key, char *out,
			 size_t size)
{
	json_t *p = json_loadb(dv->body, dv->body_len, 0, NULL);
	const char *v = json_string_value(json_object_get(p, key));

	snprintf(out, size, "%s", v != NULL ? v : "");
	json_decref(p);
}

/*
 * §9.4, §10.5.2: an event only the control plane fires (the case id names it) arrives
 * signed at {callback_url_base}/api/v1/chat-callbacks/<event> with the fired data.
 */
static void callback_fired(struct case_ctx *x)
{
	const char *event = x->meta->id + strlen("callback.event.");
	struct receiver r;
	char body[512], suffix[128], eid[64] = "";
	int i;

	if (!receiver_start(x, &r, RECEIVER_THREADED))
		return;
	if (callback_tenant(x, &r)) {
		snprintf(body, sizeof(body),
			 "{\"tenant_id\":\"%s\",\"event\":\"%s\",\"data\":{\"probe\":\"%s\"}}",
			 x->t.id, event, event);
		req_admin(x, "POST", "/__mock/callbacks/fire", body);
		if (expect_status(x, 202, NULL)) {
			snprintf(eid, sizeof(eid), "%s",
				 data_str(x, "event_id") ? data_str(x, "event_id") : "");
			snprintf(suffix, sizeof(suffix), "/hooks/api/v1/chat-callbacks/%s", event);
			i = receiver_wait(&r, x->t.id, suffix, 0);
			if (expect_true(x, i >= 0, "POST {callback_url_base}%s within %d ms (WH)",
					suffix + 6, WAIT_MS) &&
			    verify_delivery(x, &r.got[i], x->t.secret)) {
				json_t *p = json_loadb(r.got[i].body, r.got[i].body_len, 0, NULL);

				expect_true(
					x,
					streq(json_string_value(json_object_get(p, "event")),
					      event) &&
						streq(json_string_value(
							      json_object_get(p, "event_id")),
						      eid) &&
						streq(json_string_value(json_object_get(
							      json_object_get(p, "data"), "probe")),
						      event),
					"payload {event: %s, event_id: %s (the fire answer's), "
					"data: "
					"the fired data} (§9.3.2)",
					event, eid);
				json_decref(p);
			}
		}
	}
	receiver_stop(&r);
}

/* The mock's record of the tenant's newest delivery: state and attempts, or false. */
static bool mock_delivery(struct case_ctx *x, char *state, size_t size, size_t *attempts)
{
	char path[256];
	json_t *item;

	snprintf(path, sizeof(path), "/__mock/callbacks?tenant_id=%s&limit=1", x->t.id);
	if (req_admin(x, "GET", path, NULL) != 200)
		return false;
	item = json_array_get(json_object_get(resp_data(x), "items"), 0);
	snprintf(state, size, "%s",
		 json_string_value(json_object_get(item, "state"))
			 ? json_string_value(json_object_get(item, "state"))
			 : "");
	*attempts = json_array_size(json_object_get(item, "attempts"));
	return item != NULL;
}

/*
 * §9.5.4: a receiver that always answers 500 gets the default 3 attempts (the relay's
 * backoff apart: 1 s then 2 s with the mock's defaults; the gaps seen are logged), all
 * with one event_id, and then no more.
 */
static void callback_retry_exhausted(struct case_ctx *x)
{
	static const char suffix[] = "/hooks/api/v1/chat-callbacks/conversation-started";
	struct receiver r;
	char conv[128], state[32] = "", ids[3][64];
	size_t attempts = 0, n;
	int at[3];
	int64_t end;

	if (!receiver_start(x, &r, RECEIVER_THREADED))
		return;
	receiver_set_faults(&r, INT_MAX, false);
	if (!callback_tenant(x, &r) || !create_conversation(x, conv, sizeof(conv)))
		goto out;
	for (size_t k = 0; k < 3; k++)
		at[k] = receiver_wait(&r, x->t.id, suffix, k);
	if (!expect_true(x, at[0] >= 0 && at[1] >= 0 && at[2] >= 0,
			 "three attempts against a receiver answering 500 within %d ms of each "
			 "other (§9.5.4: 3 attempts in all)",
			 WAIT_MS))
		goto out;
	report_case_log(x->rcase, "the attempts arrived %lld ms then %lld ms apart",
			(long long)(r.got[at[1]].at_ms - r.got[at[0]].at_ms),
			(long long)(r.got[at[2]].at_ms - r.got[at[1]].at_ms));
	for (size_t k = 0; k < 3; k++)
		delivery_str(&r.got[at[k]], "event_id", ids[k], sizeof(ids[k]));
	expect_true(x, ids[0][0] != '\0' && streq(ids[0], ids[1]) && streq(ids[0], ids[2]),
		    "every attempt carries the same event_id (§9.3.3): %s, %s, %s", ids[0], ids[1],
		    ids[2]);
	/* the mock records the delivery as failed once the last attempt is answered */
	end = relay_clock_real_ms() + WAIT_MS;
	while (mock_delivery(x, state, sizeof(state), &attempts) && strcmp(state, "failed") != 0 &&
	       relay_clock_real_ms() < end)
		nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 20000000}, NULL);
	expect_true(x, streq(state, "failed") && attempts == 3,
		    "GET /__mock/callbacks: the delivery failed after 3 attempts (§10.5.1), got "
		    "state \"%s\" with %zu attempts",
		    state, attempts);
	nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 500000000}, NULL);
	n = receiver_count(&r, x->t.id, suffix);
	expect_true(x, n == 3, "no attempt after the third (§9.5.4), got %zu", n);
out:
	receiver_stop(&r);
}

const struct suite_case cases_callback[] = {
	{"callback.url.path", "9.1.1", REPORT_DOCUMENTED, NEED_ADMIN | NEED_CALLBACK,
	 "Callbacks POST {callback_url_base}/api/v1/chat-callbacks/<event> (WH)", callback_started},
	{"callback.signing.valid", "9.2.1", REPORT_DOCUMENTED, NEED_ADMIN | NEED_CALLBACK,
	 "Callbacks are signed with HMAC#1 and the tenant secret (WH, CWH)", callback_started},
	{"callback.payload.shape", "9.3.1", REPORT_INFERRED, NEED_ADMIN | NEED_CALLBACK,
	 "Payload {event_id, event, tenant_id, occurred_at, data}", callback_started},
	{"callback.event.message-received", "9.4", REPORT_INFERRED, NEED_ADMIN | NEED_CALLBACK,
	 "A visitor message through the relay API fires message-received",
	 callback_message_received},
	{"callback.retry.same-event-id", "9.5", REPORT_INFERRED, NEED_ADMIN | NEED_CALLBACK,
	 "A failed delivery is retried with the same event_id", callback_retry_same_id},
	{"callback.retry.slow-handler", "9.5.3", REPORT_DOCUMENTED, NEED_ADMIN | NEED_CALLBACK,
	 "A handler slower than the timeout gets the event again, with the same event_id "
	 "(CWH)",
	 callback_retry_slow},
	{"callback.url.update-tenant", "9.1.1", REPORT_DOCUMENTED, NEED_ADMIN | NEED_CALLBACK,
	 "A callback_url_base set via update/tenant takes effect (WH)", callback_url_updated},
	{"callback.rotation.new-secret", "4.8.2", REPORT_INFERRED, NEED_ADMIN | NEED_CALLBACK,
	 "After rotate/tenant-secret, callbacks are signed with the new secret",
	 callback_after_rotation},
	{"callback.event.ticket-created", "9.4", REPORT_DOCUMENTED,
	 NEED_ADMIN | NEED_MOCK | NEED_CALLBACK,
	 "ticket-created (fired through /__mock/callbacks/fire) arrives signed at "
	 "/api/v1/chat-callbacks/ticket-created (WH)",
	 callback_fired},
	{"callback.event.ticket-assigned", "9.4", REPORT_DOCUMENTED,
	 NEED_ADMIN | NEED_MOCK | NEED_CALLBACK,
	 "ticket-assigned (fired through /__mock/callbacks/fire) arrives signed at "
	 "/api/v1/chat-callbacks/ticket-assigned (WH)",
	 callback_fired},
	{"callback.event.ticket-resolved", "9.4", REPORT_DOCUMENTED,
	 NEED_ADMIN | NEED_MOCK | NEED_CALLBACK,
	 "ticket-resolved (fired through /__mock/callbacks/fire) arrives signed at "
	 "/api/v1/chat-callbacks/ticket-resolved (WH)",
	 callback_fired},
	{"callback.event.escalation-triggered", "9.4", REPORT_DOCUMENTED,
	 NEED_ADMIN | NEED_MOCK | NEED_CALLBACK,
	 "escalation-triggered (fired through /__mock/callbacks/fire) arrives signed at "
	 "/api/v1/chat-callbacks/escalation-triggered (WH)",
	 callback_fired},
	{"callback.event.agent-assigned", "9.4", REPORT_DOCUMENTED,
	 NEED_ADMIN | NEED_MOCK | NEED_CALLBACK,
	 "agent-assigned (fired through /__mock/callbacks/fire) arrives signed at "
	 "/api/v1/chat-callbacks/agent-assigned (WH)",
	 callback_fired},
	{"callback.event.agent-released", "9.4", REPORT_DOCUMENTED,
	 NEED_ADMIN | NEED_MOCK | NEED_CALLBACK,
	 "agent-released (fired through /__mock/callbacks/fire) arrives signed at "
	 "/api/v1/chat-callbacks/agent-released (WH)",
	 callback_fired},
	{"callback.event.agent-resolved", "9.4", REPORT_DOCUMENTED,
	 NEED_ADMIN | NEED_MOCK | NEED_CALLBACK,
	 "agent-resolved (fired through /__mock/callbacks/fire) arrives signed at "
	 "/api/v1/chat-callbacks/agent-resolved (WH)",
	 callback_fired},
	{"callback.retry.exhausted", "9.5.4", REPORT_INFERRED,
	 NEED_ADMIN | NEED_MOCK | NEED_CALLBACK,
	 "A receiver always answering 500 gets exactly 3 attempts with one event_id, then none",
	 callback_retry_exhausted},
	{NULL, NULL, 0, 0, NULL, NULL}};
