/*
 * cases_callback.c - signed callbacks from the relay to the tenant backend (SPEC.md §9).
 *
 * Each case starts a small receiver (libmicrohttpd on 127.0.0.1, a free port), points
 * a fresh tenant's callback_url_base at it and checks what arrives. The relay must be
 * able to reach this machine: these cases need a target on 127.0.0.1 (NEED_CALLBACK).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "relay_clock.h"
#include "suite.h"

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

static bool receiver_start(struct case_ctx *x, struct receiver *r)
{
	const union MHD_DaemonInfo *info;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				on_request, r, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				MHD_OPTION_END);
	if (r->d == NULL) {
		case_skip(x, "cannot start a callback receiver on this machine");
		return false;
	}
	info = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
	r->port = info ? info->port : 0;
	report_case_log(x->rc, "callback receiver on http://127.0.0.1:%d", r->port);
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

/* Waits until a delivery whose path ends with suffix has arrived (index), or -1. */
static int receiver_wait(struct receiver *r, const char *suffix, size_t skip)
{
	int64_t end = relay_clock_real_ms() + WAIT_MS;
	size_t seen = 0;

	while (relay_clock_real_ms() < end) {
		pthread_mutex_lock(&r->lock);
		for (size_t i = 0; i < r->n; i++) {
			size_t lp = strlen(r->got[i].path), ls = strlen(suffix);

			if (lp >= ls && strcmp(r->got[i].path + lp - ls, suffix) == 0 &&
			    seen++ == skip) {
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
	char extra[128];

	snprintf(extra, sizeof(extra), "\"callback_url_base\":\"http://127.0.0.1:%d/hooks\"",
		 r->port);
	return tenant_provision(x, &x->t, extra);
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
	report_case_hmac1(x->rc, &shown);
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
		i = receiver_wait(&r, "/conversation-started", 0);
		if (expect_true(
			    x, i >= 0,
			    "POST {callback_url_base}/api/v1/chat-callbacks/conversation-started "
			    "within %d ms",
			    WAIT_MS)) {
			const struct delivery *dv = &r.got[i];

			if (strcmp(x->meta->id, "callback.url.path") == 0) {
				expect_true(
					x,
					streq(dv->path,
					      "/hooks/api/v1/chat-callbacks/conversation-started"),
					"path /hooks/api/v1/chat-callbacks/conversation-started "
					"(WH template), got %s",
					dv->path);
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
			expect_true(x, receiver_wait(&r, "/message-received", 0) >= 0,
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
		a = receiver_wait(&r, "/conversation-started", 0);
		b = receiver_wait(&r, "/conversation-started", 1);
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
	char conv[128], path[256];
	int i;

	if (!receiver_start(x, &r))
		return;
	if (callback_tenant(x, &r)) {
		snprintf(path, sizeof(path), "/api/v1/rotate/tenant-secret?tenant_id=%s", x->t.id);
		req_admin(x, "POST", path, NULL);
		if (expect_status(x, 200, NULL)) {
			snprintf(x->t.secret, sizeof(x->t.secret), "%s",
				 data_str(x, "tenant_secret") ? data_str(x, "tenant_secret") : "");
			if (create_conversation(x, conv, sizeof(conv))) {
				i = receiver_wait(&r, "/conversation-started", 0);
				if (expect_true(x, i >= 0, "a conversation-started callback"))
					verify_delivery(x, &r.got[i], x->t.secret);
			}
		}
	}
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
	{NULL, NULL, 0, 0, NULL, NULL}};
