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

#define RECV_MAX      32
#define RECV_BODY_MAX 65536
#define WAIT_MS       6000

struct delivery {
	char path[256];
	char tenant[HMAC1_TENANT_MAX + 1];
	char timestamp[32];
	char signature[80];
	char *body;
	size_t body_len;
};

struct receiver {
	struct MHD_Daemon *d;
	int port;
	char base[512]; /* the callback_url_base given to the relay, without "/hooks" */
	pthread_mutex_t lock;
	struct delivery got[RECV_MAX];
	size_t n;
	int fail_first; /* answer 500 to this many requests first */
};

struct upload {
	char *buf;
	size_t len;
	bool too_big;
};

static void copy_header(struct MHD_Connection *conn, const char *name, char *out, size_t size)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

	snprintf(out, size, "%s", v ? v : "");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct receiver *r = cls;
	struct upload *u = *con_cls;
	struct MHD_Response *resp;
	static const char ok[] = "{\"received\":true}";
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;

	(void)method;
	(void)version;
	if (u == NULL) {
		u = calloc(1, sizeof(*u));
		if (u == NULL)
			return MHD_NO;
		*con_cls = u;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (u->len + *data_size > RECV_BODY_MAX) {
			u->too_big = true;
		} else {
			char *grown = realloc(u->buf, u->len + *data_size + 1);

			if (grown == NULL)
				return MHD_NO;
			u->buf = grown;
			memcpy(u->buf + u->len, data, *data_size);
			u->len += *data_size;
			u->buf[u->len] = '\0';
		}
		*data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&r->lock);
	if (r->fail_first > 0) {
		r->fail_first--;
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	if (r->n < RECV_MAX && !u->too_big) {
		struct delivery *dv = &r->got[r->n++];

		snprintf(dv->path, sizeof(dv->path), "%s", url);
		copy_header(conn, HMAC1_HEADER_TENANT, dv->tenant, sizeof(dv->tenant));
		copy_header(conn, HMAC1_HEADER_TIMESTAMP, dv->timestamp, sizeof(dv->timestamp));
		copy_header(conn, HMAC1_HEADER_SIGNATURE, dv->signature, sizeof(dv->signature));
		dv->body = u->buf ? u->buf : strdup("");
		dv->body_len = u->len;
		u->buf = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	resp = MHD_create_response_from_buffer(sizeof(ok) - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (u != NULL) {
		free(u->buf);
		free(u);
	}
	*con_cls = NULL;
}

/* Starts the receiver on --callback-listen (default 127.0.0.1:0) and fixes r->base. */
static bool receiver_start(struct case_ctx *x, struct receiver *r)
{
	const struct suite_config *cfg = &x->s->cfg;
	const char *listen = cfg->callback_listen != NULL ? cfg->callback_listen : "127.0.0.1:0";
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	char host[INET6_ADDRSTRLEN] = "127.0.0.1";
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	size_t blen;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	if (!suite_listen_parse(listen, &ss, NULL)) { /* main.c checked it already */
		case_skip(x, "--callback-listen %s is not ADDR:PORT", listen);
		return false;
	}
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
	}
	r->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, r, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&ss, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (r->d == NULL) {
		case_skip(x, "cannot start a callback receiver on %s", listen);
		return false;
	}
	info = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
	r->port = info ? info->port : 0;
	if (cfg->callback_public_url != NULL) {
		snprintf(r->base, sizeof(r->base), "%s", cfg->callback_public_url);
	} else {
		/* a wildcard bind is reached through loopback by a local target */
		if (strcmp(host, "0.0.0.0") == 0)
			snprintf(host, sizeof(host), "127.0.0.1");
		else if (strcmp(host, "::") == 0)
			snprintf(host, sizeof(host), "::1");
		snprintf(r->base, sizeof(r->base),
			 ss.ss_family == AF_INET6 ? "http://[%s]:%d" : "http://%s:%d", host,
			 r->port);
	}
	blen = strlen(r->base);
	while (blen > 0 && r->base[blen - 1] == '/')
		r->base[--blen] = '\0';
	report_case_log(x->rcase, "callback receiver on %s port %d, reached as %s", listen, r->port,
			r->base);
	return r->port > 0;
}

static void receiver_stop(struct receiver *r)
{
	if (r->d != NULL)
		MHD_stop_daemon(r->d);
	for (size_t i = 0; i < r->n; i++)
		free(r->got[i].body);
	pthread_mutex_destroy(&r->lock);
}

/*
 * Waits until the (skip+1)-th delivery for tenant whose path ends with suffix has
 * arrived: its index, or -1 after WAIT_MS.
 */
static int receiver_wait(struct receiver *r, const char *tenant, const char *suffix, size_t skip)
{
	int64_t end = relay_clock_real_ms() + WAIT_MS;
	size_t seen = 0;

	while (relay_clock_real_ms() < end) {
		pthread_mutex_lock(&r->lock);
		for (size_t i = 0; i < r->n; i++) {
			size_t lp = strlen(r->got[i].path), ls = strlen(suffix);

			if (lp >= ls && strcmp(r->got[i].path + lp - ls, suffix) == 0 &&
			    streq(r->got[i].tenant, tenant) && seen++ == skip) {
				pthread_mutex_unlock(&r->lock);
				return (int)i;
			}
		}
		seen = 0;
		pthread_mutex_unlock(&r->lock);
		nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 20000000}, NULL);
	}
	return -1;
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
static bool verify_delivery(struct case_ctx *x, const struct delivery *dv, const char *secret)
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

	if (!receiver_start(x, &r))
		return;
	if (callback_tenant(x, &r) && create_conversation(x, conv, sizeof(conv))) {
		i = receiver_wait(&r, x->t.id, "/conversation-started", 0);
		if (expect_true(
			    x, i >= 0,
			    "POST {callback_url_base}/api/v1/chat-callbacks/conversation-started "
			    "within %d ms",
			    WAIT_MS)) {
			const struct delivery *dv = &r.got[i];

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

	if (!receiver_start(x, &r))
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

	if (!receiver_start(x, &r))
		return;
	r.fail_first = 1;
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

static void callback_after_rotation(struct case_ctx *x)
{
	struct receiver r;
	char conv[128];
	int i;

	if (!receiver_start(x, &r))
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
static void delivery_str(const struct delivery *dv, const char *key, char *out, size_t size)
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

	if (!receiver_start(x, &r))
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
 * §9.5.4: a receiver that always answers 500 gets the default 3 attempts (1 s, then
 * 2 s apart), all with one event_id, and then no more.
 */
static void callback_retry_exhausted(struct case_ctx *x)
{
	static const char suffix[] = "/hooks/api/v1/chat-callbacks/conversation-started";
	struct receiver r;
	char conv[128], state[32] = "", ids[3][64];
	size_t attempts = 0, n;
	int at[3];
	int64_t end;

	if (!receiver_start(x, &r))
		return;
	r.fail_first = INT_MAX;
	if (!callback_tenant(x, &r) || !create_conversation(x, conv, sizeof(conv)))
		goto out;
	for (size_t k = 0; k < 3; k++)
		at[k] = receiver_wait(&r, x->t.id, suffix, k);
	if (!expect_true(x, at[0] >= 0 && at[1] >= 0 && at[2] >= 0,
			 "three attempts against a receiver answering 500 (§9.5.4: 3 attempts, 1 s "
			 "then 2 s apart)"))
		goto out;
	for (size_t k = 0; k < 3; k++)
		delivery_str(&r.got[at[k]], "event_id", ids[k], sizeof(ids[k]));
	expect_true(x, ids[0][0] != '\0' && streq(ids[0], ids[1]) && streq(ids[0], ids[2]),
		    "every attempt carries the same event_id (§9.3.3): %s, %s, %s", ids[0], ids[1],
		    ids[2]);
	/* the mock records the delivery as failed once the last attempt is answered */
	end = relay_clock_real_ms() + WAIT_MS;
	while (mock_delivery(x, state, sizeof(state), &attempts) && strcmp(state, "failed") != 0 &&
	       relay_clock_real_ms() < end)
		nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 100000000}, NULL);
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
