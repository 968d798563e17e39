/*
 * test_callbacks.c - signed callbacks to tenant backends (SPEC §9, §10.5).
 *
 * An in-test receiver (cb_receiver.c, libmicrohttpd on a free port) records each delivery,
 * checks its HMAC#1 signature with the shared library (hmac1_verify), the way a
 * tenant backend does (§9.2, documented: CWH). Mocks run with a short backoff so
 * the retry path takes a fraction of a second.
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

static const char *const fast_retries[] = {"--callback-backoff-ms", "50", NULL};

/* A mock and a tenant whose callback_url_base points at rx. */
static struct mock *start_with_tenant(struct receiver *rx, const char *const *extra,
				      struct mock_tenant *t)
{
	struct mock *m = mock_start(extra);
	char body[256];

	assert_non_null(m);
	snprintf(body, sizeof(body),
		 "{\"tenant_name\":\"Callbacks\",\"callback_url_base\":\"http://127.0.0.1:%d/\"}",
		 rx->port);
	assert_int_equal(mock_provision(m, body, t), 0);
	rx_set_secret(rx, t->tenant_secret);
	return m;
}

static json_t *fire(struct mock *m, const char *tenant_id, const char *event, const char *data,
		    long *status)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\",\"event\":\"%s\"%s%s}", tenant_id,
		 event, data != NULL ? ",\"data\":" : "", data != NULL ? data : "");
	return mock_admin(m, "POST", "/__mock/callbacks/fire", body, status);
}

/*
 * Fires event for tenant_id and expects 202; its event_id into event_id (may be NULL).
 * Returns the answer's data (new reference).
 */
static json_t *fire_accepted(struct mock *m, const char *tenant_id, const char *event,
			     const char *data, char event_id[64])
{
	long status;
	json_t *env = fire(m, tenant_id, event, data, &status), *d;

	assert_int_equal(status, 202);
	d = json_object_get(env, "data");
	if (event_id != NULL)
		snprintf(event_id, 64, "%s", json_string_value(json_object_get(d, "event_id")));
	json_incref(d);
	json_decref(env);
	return d;
}

/*
 * The delivery of event_id in GET /__mock/callbacks once it left "pending" (10 s max),
 * asserted to be in state want (new reference).
 */
static json_t *wait_delivery(struct mock *m, const char *event_id, const char *want)
{
	int i;
	size_t k;
	long status;

	for (i = 0; i < 1000; i++) {
		json_t *env = mock_admin(m, "GET", "/__mock/callbacks?limit=1024", NULL, &status);
		json_t *items = json_object_get(json_object_get(env, "data"), "items"), *d;

		assert_int_equal(status, 200);
		json_array_foreach(items, k, d)
		{
			const char *id = json_string_value(json_object_get(d, "event_id"));
			const char *state = json_string_value(json_object_get(d, "state"));

			if (id != NULL && strcmp(id, event_id) == 0 && state != NULL &&
			    strcmp(state, "pending") != 0) {
				assert_string_equal(state, want);
				json_incref(d);
				json_decref(env);
				return d;
			}
		}
		json_decref(env);
		rx_sleep_ms(10);
	}
	fail_msg("delivery %s never left pending", event_id);
	return NULL;
}

/* Fires event (202, no data) and returns its delivery once settled in state want. */
static json_t *fire_settled(struct mock *m, const char *tenant_id, const char *event,
			    const char *want)
{
	char event_id[64];

	json_decref(fire_accepted(m, tenant_id, event, NULL, event_id));
	return wait_delivery(m, event_id, want);
}

/* §9.5: 500, 500, 200 → three attempts, identical bytes, fresh valid signatures. */
static void test_callback_retried_until_2xx_with_same_event_id(void **state)
{
	struct receiver *rx = rx_start(RX_FAIL_FIRST, 2);
	struct mock_tenant t;
	struct mock *m = start_with_tenant(rx, fast_retries, &t);
	json_t *data, *payload, *d, *attempts;
	char event_id[64], url[256];
	int i;

	(void)state;
	data = fire_accepted(m, t.tenant_id, "ticket-created", "{\"ticket_id\":\"tk_1\"}",
			     event_id);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/chat-callbacks/ticket-created",
		 rx->port);
	assert_string_equal(json_string_value(json_object_get(data, "url")), url);
	assert_int_equal(strncmp(event_id, "evt_", 4), 0);
	json_decref(data);

	rx_wait(rx, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(rx->rec[i].path, "/api/v1/chat-callbacks/ticket-created");
		assert_string_equal(rx->rec[i].content_type, "application/json");
		assert_string_equal(rx->rec[i].tenant_id, t.tenant_id);
		assert_true(rx->rec[i].sig_valid);
		/* §9.2.2: the same bytes on every attempt. */
		assert_string_equal(rx->rec[i].body, rx->rec[0].body);
	}
	payload = json_loads(rx->rec[0].body, 0, NULL);
	assert_non_null(payload);
	assert_string_equal(json_string_value(json_object_get(payload, "event_id")), event_id);
	assert_string_equal(json_string_value(json_object_get(payload, "event")), "ticket-created");
	assert_string_equal(json_string_value(json_object_get(payload, "tenant_id")), t.tenant_id);
	assert_non_null(json_string_value(json_object_get(payload, "occurred_at")));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(payload, "data"), "ticket_id")),
		"tk_1");
	/* §9.3.1: keys in order. */
	assert_int_equal(strncmp(rx->rec[0].body, "{\"event_id\":\"evt_", 17), 0);
	json_decref(payload);

	d = wait_delivery(m, event_id, "delivered");
	assert_string_equal(json_string_value(json_object_get(d, "url")), url);
	attempts = json_object_get(d, "attempts");
	assert_int_equal(json_array_size(attempts), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(attempts, 0), "status")),
			 500);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(attempts, 0), "error")), "status");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(attempts, 2), "status")),
			 200);
	assert_true(json_is_null(json_object_get(json_array_get(attempts, 2), "error")));
	json_decref(d);
	assert_int_equal(mock_stop(m), 0);
	rx_stop(rx);
}

/* §9.5.4: after the last attempt the delivery is failed; no fourth request. */
static void test_callback_gives_up_after_attempts(void **state)
{
	struct receiver *rx = rx_start(RX_FAIL_FIRST, 100);
	struct mock_tenant t;
	struct mock *m = start_with_tenant(rx, fast_retries, &t);
	json_t *d;

	(void)state;
	d = fire_settled(m, t.tenant_id, "agent-released", "failed");
	assert_int_equal(json_array_size(json_object_get(d, "attempts")), 3);
	json_decref(d);
	rx_sleep_ms(300);
	assert_int_equal(rx_count(rx), 3);
	assert_int_equal(mock_stop(m), 0);
	rx_stop(rx);
}

/*
 * §9.2.2: every attempt is signed with the tenant's CURRENT secret. The receiver
 * holds its 500 to the first attempt until the secret is rotated, so the retry
 * (which can only start after that answer) comes after the rotation however slow
 * the machine is; the attempt timeout is long enough not to end the held attempt.
 */
static void test_callback_retry_signed_with_rotated_secret(void **state)
{
	static const char *const args[] = {"--callback-backoff-ms", "50", "--callback-timeout-ms",
					   "600000", NULL};
	struct receiver *rx = rx_start(RX_HOLD_FIRST, 0);
	struct mock_tenant t;
	struct mock *m = start_with_tenant(rx, args, &t);
	json_t *env;
	long status;
	char path[128];

	(void)state;
	json_decref(fire_accepted(m, t.tenant_id, "ticket-resolved", NULL, NULL));
	rx_wait(rx, 1);
	assert_true(rx->rec[0].sig_valid);
	snprintf(path, sizeof(path), "/api/v1/rotate/tenant-secret?tenant_id=%s", t.tenant_id);
	env = mock_admin(m, "POST", path, NULL, &status);
	assert_int_equal(status, 200);
	rx_set_secret(rx, json_string_value(
				  json_object_get(json_object_get(env, "data"), "tenant_secret")));
	json_decref(env);
	rx_release(rx);
	rx_wait(rx, 2);
	assert_true(rx->rec[1].sig_valid);
	assert_string_equal(rx->rec[1].body, rx->rec[0].body);
	assert_int_equal(mock_stop(m), 0);
	rx_stop(rx);
}

/* §9.4, §10.5.2: the nine documented events, each to its own path. */
static void test_fire_all_nine_events(void **state)
{
	static const char *const events[] = {
		"conversation-started", "message-received", "ticket-created",
		"ticket-assigned",      "ticket-resolved",  "escalation-triggered",
		"agent-assigned",       "agent-released",   "agent-resolved",
	};
	struct receiver *rx = rx_start(RX_OK, 0);
	struct mock_tenant t;
	struct mock *m = start_with_tenant(rx, fast_retries, &t);
	int i, j, found;
	long status;

	(void)state;
	for (i = 0; i < 9; i++)
		json_decref(fire_accepted(m, t.tenant_id, events[i], "{\"n\":1}", NULL));
	rx_wait(rx, 9);
	for (i = 0; i < 9; i++) {
		char path[128];

		snprintf(path, sizeof(path), "/api/v1/chat-callbacks/%s", events[i]);
		found = 0;
		for (j = 0; j < rx->n; j++) {
			json_t *p;

			if (strcmp(rx->rec[j].path, path) != 0)
				continue;
			p = json_loads(rx->rec[j].body, 0, NULL);
			assert_string_equal(json_string_value(json_object_get(p, "event")),
					    events[i]);
			assert_true(rx->rec[j].sig_valid);
			json_decref(p);
			found++;
		}
		assert_int_equal(found, 1);
	}
	{ /* §10.5.1: ?tenant_id= filters, ?limit= caps, newest first */
		json_t *env = mock_admin(m, "GET",
					 "/__mock/callbacks?tenant_id="
					 "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
					 NULL, &status);

		assert_int_equal(status, 200);
		assert_int_equal(
			json_array_size(json_object_get(json_object_get(env, "data"), "items")), 0);
		json_decref(env);
		env = mock_admin(m, "GET", "/__mock/callbacks?limit=2", NULL, &status);
		assert_int_equal(status, 200);
		assert_int_equal(
			json_array_size(json_object_get(json_object_get(env, "data"), "items")), 2);
		assert_string_equal(
			json_string_value(json_object_get(
				json_array_get(
					json_object_get(json_object_get(env, "data"), "items"), 0),
				"event")),
			"agent-resolved");
		json_decref(env);
		env = mock_admin(m, "GET", "/__mock/callbacks?limit=0", NULL, &status);
		assert_int_equal(status, 400);
		json_decref(env);
	}
	assert_int_equal(mock_stop(m), 0);
	rx_stop(rx);
}

/* §10.5.2: unknown event 422 (field event), unknown tenant 404, no URL 422. */
static void test_fire_refusals(void **state)
{
	struct mock *m = mock_start(NULL);
	struct mock_tenant t;
	json_t *env;
	long status;

	(void)state;
	assert_non_null(m);
	assert_int_equal(mock_provision(m, "{\"tenant_name\":\"No URL\"}", &t), 0);
	env = fire(m, t.tenant_id, "agent_assigned", NULL, &status);
	assert_int_equal(status, 422);
	assert_string_equal(mock_error_code(env), "validation_failed");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(env, "error"), "field")),
		"event");
	json_decref(env);
	env = fire(m, t.tenant_id, "agent-assigned", NULL, &status);
	assert_int_equal(status, 422);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(env, "error"), "field")),
		"callback_url_base");
	json_decref(env);
	env = fire(m, "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "agent-assigned", NULL, &status);
	assert_int_equal(status, 404);
	assert_string_equal(mock_error_code(env), "tenant_not_found");
	json_decref(env);
	env = mock_admin(m, "POST", "/__mock/callbacks/fire", "{\"event\":\"agent-assigned\"}",
			 &status);
	assert_int_equal(status, 422);
	json_decref(env);
	{ /* §10: the control plane wants X-Admin-Key */
		struct client_response resp;

		assert_int_equal(mock_call(m, "GET", "/__mock/callbacks", NULL, 0, NULL, &resp), 0);
		assert_int_equal(resp.status, 401);
		client_response_cleanup(&resp);
	}
	assert_int_equal(mock_stop(m), 0);
}

/* §9.5.3: a 3xx is a failed attempt; the Location is never followed. */
static void test_redirect_not_followed(void **state)
{
	struct receiver *rx = rx_start(RX_REDIRECT, 0);
	struct mock_tenant t;
	struct mock *m = start_with_tenant(rx, fast_retries, &t);
	json_t *d;

	(void)state;
	d = fire_settled(m, t.tenant_id, "escalation-triggered", "failed");
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(d, "attempts"), 0), "status")),
			 302);
	json_decref(d);
	assert_int_equal(rx->stray, 0);
	assert_int_equal(mock_stop(m), 0);
	rx_stop(rx);
}

/* §9.5.3: connection refused is a failed attempt with error "connect", status null. */
static void test_refused_connection_recorded(void **state)
{
	struct receiver *rx = rx_start(RX_OK, 0);
	struct mock_tenant t;
	struct mock *m;
	json_t *d, *a;

	(void)state;
	m = start_with_tenant(rx, fast_retries, &t);
	rx_stop(rx); /* nobody listens there any more */
	d = fire_settled(m, t.tenant_id, "ticket-assigned", "failed");
	a = json_array_get(json_object_get(d, "attempts"), 0);
	assert_true(json_is_null(json_object_get(a, "status")));
	assert_string_equal(json_string_value(json_object_get(a, "error")), "connect");
	json_decref(d);
	assert_int_equal(mock_stop(m), 0);
}

/* §9.1.2: a callback_url_base that is not http(s) is refused when stored. */
static void test_non_http_callback_url_refused(void **state)
{
	struct mock *m = mock_start(NULL);
	struct mock_tenant t;
	json_t *env;
	long status;
	char path[128];

	(void)state;
	assert_non_null(m);
	env = mock_admin(m, "POST", "/api/v1/provision/tenant",
			 "{\"tenant_name\":\"X\",\"callback_url_base\":\"ftp://127.0.0.1/\"}",
			 &status);
	assert_int_equal(status, 422);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(env, "error"), "field")),
		"callback_url_base");
	json_decref(env);
	assert_int_equal(mock_provision(m, "{\"tenant_name\":\"Y\"}", &t), 0);
	snprintf(path, sizeof(path), "/api/v1/update/tenant?tenant_id=%s", t.tenant_id);
	env = mock_admin(m, "POST", path, "{\"callback_url_base\":\"file:///etc/passwd\"}",
			 &status);
	assert_int_equal(status, 422);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(env, "error"), "field")),
		"callback_url_base");
	json_decref(env);
	assert_int_equal(mock_stop(m), 0);
}

/* Deliveries of event in rx (payload parsed), at most max. */
static int rx_find(struct receiver *rx, const char *event, json_t **out, int max)
{
	char path[128];
	int i, n = 0;

	snprintf(path, sizeof(path), "/api/v1/chat-callbacks/%s", event);
	pthread_mutex_lock(&rx->lock);
	for (i = 0; i < rx->n && n < max; i++)
		if (strcmp(rx->rec[i].path, path) == 0)
			out[n++] = json_loads(rx->rec[i].body, 0, NULL);
	pthread_mutex_unlock(&rx->lock);
	return n;
}

static json_t *signed_post(struct mock *m, const struct mock_tenant *t, const char *path,
			   const char *body)
{
	struct client_response resp;
	json_t *env;

	assert_int_equal(mock_signed(m, "POST", path, body, t->tenant_id, t->tenant_secret,
				     relay_clock_real_ms(), &resp),
			 0);
	assert_int_equal(resp.status, 201);
	env = client_response_json(&resp);
	client_response_cleanup(&resp);
	return env;
}

/* §9.4: conversation-started and message-received come from real traffic. */
static void test_traffic_fires_conversation_started_and_message_received(void **state)
{
	struct receiver *rx = rx_start(RX_OK, 0);
	struct mock *m = mock_start(fast_retries);
	struct mock_tenant t;
	struct client_response resp;
	struct wsclient *ws;
	json_t *env, *got[8];
	char body[512], conv[64], token[4096], path[4200];
	int n, i;
	char *text;

	(void)state;
	assert_non_null(m);
	snprintf(body, sizeof(body),
		 "{\"tenant_name\":\"Traffic\",\"allowed_origins\":[\"https://shop.example\"],"
		 "\"callback_url_base\":\"http://127.0.0.1:%d\"}",
		 rx->port);
	assert_int_equal(mock_provision(m, body, &t), 0);
	rx_set_secret(rx, t.tenant_secret);

	/* relay API: a conversation, a visitor message, an operator message (no event) */
	env = signed_post(m, &t, "/api/v1/relay/create/conversation",
			  "{\"visitor_user_id\":\"u-1\"}");
	snprintf(conv, sizeof(conv), "%s",
		 json_string_value(json_object_get(json_object_get(env, "data"), "id")));
	json_decref(env);
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"hi\"}", conv);
	json_decref(signed_post(m, &t, "/api/v1/relay/send/message", body));
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"operator\",\"content\":\"hello\"}", conv);
	json_decref(signed_post(m, &t, "/api/v1/relay/send/message", body));

	/* widget: a visitor session (its conversation) and a WebSocket message */
	snprintf(body, sizeof(body),
		 "{\"tenant_id\":\"%s\",\"widget_public_key\":\"%s\",\"origin\":"
		 "\"https://shop.example\"}",
		 t.tenant_id, t.widget_public_key);
	assert_int_equal(
		mock_call(m, "POST", "/api/v1/create/visitor-session", body, 0, NULL, &resp), 0);
	assert_int_equal(resp.status, 201);
	env = client_response_json(&resp);
	snprintf(token, sizeof(token), "%s",
		 json_string_value(json_object_get(json_object_get(env, "data"), "visitor_token")));
	json_decref(env);
	client_response_cleanup(&resp);
	snprintf(path, sizeof(path), "/api/v1/ws/widget?token=%s", token);
	ws = mock_ws_open(m, path, NULL, NULL);
	assert_non_null(ws);
	text = mock_ws_recv_text(ws, 5000); /* welcome */
	assert_non_null(text);
	free(text);
	assert_int_equal(wsclient_send_text(ws, "{\"type\":\"message\",\"content\":\"ws\"}", 33),
			 RELAY_OK);
	text = mock_ws_recv_text(ws, 5000); /* echo */
	assert_non_null(text);
	free(text);
	wsclient_free(ws);

	rx_wait(rx, 4);
	rx_sleep_ms(200); /* nothing else may follow */
	assert_int_equal(rx_count(rx), 4);
	n = rx_find(rx, "conversation-started", got, 8);
	assert_int_equal(n, 2);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(got[0], "data"), "id")), conv);
	assert_string_equal(json_string_value(json_object_get(json_object_get(got[0], "data"),
							      "visitor_user_id")),
			    "u-1");
	for (i = 0; i < n; i++)
		json_decref(got[i]);
	n = rx_find(rx, "message-received", got, 8);
	assert_int_equal(n, 2);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(got[0], "data"), "content")),
		"hi");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(got[0], "data"), "role")),
		"visitor");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(got[1], "data"), "content")),
		"ws");
	for (i = 0; i < n; i++)
		json_decref(got[i]);
	for (i = 0; i < 4; i++)
		assert_true(rx->rec[i].sig_valid);
	assert_int_equal(mock_stop(m), 0);
	rx_stop(rx);
}

/* §9.5.3: an attempt past --callback-timeout-ms fails with error "timeout". */
static void test_slow_receiver_times_out(void **state)
{
	static const char *const args[] = {"--callback-attempts", "1", "--callback-timeout-ms",
					   "300", NULL};
	struct receiver *rx = rx_start(RX_SLOW, 0);
	struct mock_tenant t;
	struct mock *m = start_with_tenant(rx, args, &t);
	json_t *d, *a;

	(void)state;
	d = fire_settled(m, t.tenant_id, "ticket-created", "failed");
	assert_int_equal(json_array_size(json_object_get(d, "attempts")), 1);
	a = json_array_get(json_object_get(d, "attempts"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "error")), "timeout");
	assert_true(json_is_null(json_object_get(a, "status")));
	assert_true(json_integer_value(json_object_get(a, "duration_ms")) >= 250);
	json_decref(d);
	assert_int_equal(mock_stop(m), 0);
	rx_stop(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_callback_retried_until_2xx_with_same_event_id),
		cmocka_unit_test(test_callback_gives_up_after_attempts),
		cmocka_unit_test(test_callback_retry_signed_with_rotated_secret),
		cmocka_unit_test(test_fire_all_nine_events),
		cmocka_unit_test(test_fire_refusals),
		cmocka_unit_test(test_redirect_not_followed),
		cmocka_unit_test(test_refused_connection_recorded),
		cmocka_unit_test(test_slow_receiver_times_out),
		cmocka_unit_test(test_non_http_callback_url_refused),
		cmocka_unit_test(test_traffic_fires_conversation_started_and_message_received),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
