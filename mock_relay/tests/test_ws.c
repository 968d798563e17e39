/*
 * test_ws.c - the widget WebSocket (SPEC §8, §2.6.3, §2.7.3, §10.1.1).
 *
 * Sockets are lib/relay_wsclient clients (frames through wslay), opened with the
 * harness's mock_ws_open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>

#include "mock_harness.h"
#include "relay_clock.h"
#include "relay_ws.h"

#define ORIGIN "https://shop.example"

struct fixture {
	struct mock *m;
	struct mock_tenant t;
	char token[4096];
	char session_id[64];
};

/* A visitor session for f's tenant (§7.1); fills f->token and f->session_id. */
static void new_session(struct fixture *f)
{
	struct client_response resp;
	char body[512];
	json_t *env, *data;

	snprintf(body, sizeof(body),
		 "{\"tenant_id\":\"%s\",\"widget_public_key\":\"%s\",\"origin\":\"" ORIGIN "\"}",
		 f->t.tenant_id, f->t.widget_public_key);
	assert_int_equal(
		mock_call(f->m, "POST", "/api/v1/create/visitor-session", body, 0, NULL, &resp), 0);
	assert_int_equal(resp.status, 201);
	env = client_response_json(&resp);
	data = json_object_get(env, "data");
	snprintf(f->token, sizeof(f->token), "%s",
		 json_string_value(json_object_get(data, "visitor_token")));
	snprintf(f->session_id, sizeof(f->session_id), "%s",
		 json_string_value(json_object_get(data, "session_id")));
	json_decref(env);
	client_response_cleanup(&resp);
}

/*
 * A mock (its clock frozen at frozen_ms, unless 0), a tenant (rate_limit_per_min =
 * rate) and one visitor session.
 */
static struct fixture *setup_at(int rate, int64_t frozen_ms)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char body[256];

	assert_non_null(f);
	f->m = mock_start(NULL);
	assert_non_null(f->m);
	if (frozen_ms != 0)
		assert_int_equal(mock_set_clock(f->m, frozen_ms), 0);
	snprintf(body, sizeof(body),
		 "{\"tenant_name\":\"WS Shop\",\"allowed_origins\":[\"" ORIGIN
		 "\"],\"rate_limit_per_min\":%d}",
		 rate);
	assert_int_equal(mock_provision(f->m, body, &f->t), 0);
	new_session(f);
	return f;
}

static struct fixture *setup(int rate)
{
	return setup_at(rate, 0);
}

static void teardown(struct fixture *f)
{
	assert_int_equal(mock_stop(f->m), 0);
	free(f);
}

/* Open a socket with token (NULL: f's) and an Origin header (NULL: none); asserts the 101. */
static struct wsclient *open_ws(struct fixture *f, const char *token, const char *origin)
{
	char path[4200];
	struct wsclient_error err;
	struct wsclient *c;

	snprintf(path, sizeof(path), "/api/v1/ws/widget?token=%s",
		 token != NULL ? token : f->token);
	c = mock_ws_open(f->m, path, origin, &err);
	assert_int_equal(err.http_status, 101);
	assert_non_null(c);
	return c;
}

/* The next frame as JSON (5 s max). */
static json_t *recv_json(struct wsclient *c)
{
	char *text = mock_ws_recv_text(c, 5000);
	json_t *j;

	assert_non_null(text);
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	free(text);
	return j;
}

/* Open, read the welcome frame; conversation_id (may be NULL) receives its id. */
static struct wsclient *open_welcomed(struct fixture *f, char conv[64])
{
	struct wsclient *c = open_ws(f, NULL, NULL);
	json_t *w = recv_json(c);

	assert_string_equal(json_string_value(json_object_get(w, "type")), "welcome");
	if (conv != NULL)
		snprintf(conv, 64, "%s", json_string_value(json_object_get(w, "conversation_id")));
	json_decref(w);
	return c;
}

static enum relay_rc send_str(struct wsclient *c, const char *s)
{
	return wsclient_send_text(c, s, strlen(s));
}

/* The next frame is JSON of this type. */
static void expect_type(struct wsclient *c, const char *type)
{
	json_t *j = recv_json(c);

	assert_string_equal(json_string_value(json_object_get(j, "type")), type);
	json_decref(j);
}

/* A call of the relay API, HMAC#1-signed as f's tenant now; its envelope (caller decrefs). */
static json_t *relay_call(struct fixture *f, const char *method, const char *path, const char *body,
			  long status)
{
	struct client_response resp;
	json_t *env;

	assert_int_equal(mock_signed(f->m, method, path, body, f->t.tenant_id, f->t.tenant_secret,
				     relay_clock_real_ms(), &resp),
			 0);
	assert_int_equal(resp.status, status);
	env = client_response_json(&resp);
	client_response_cleanup(&resp);
	assert_non_null(env);
	return env;
}

/* An admin POST on f's tenant (fmt: the path, one %s for the tenant id); expects 200. */
static void admin_post(struct fixture *f, const char *fmt, const char *body)
{
	char path[160];
	long status;

	snprintf(path, sizeof(path), fmt, f->t.tenant_id);
	json_decref(mock_admin(f->m, "POST", path, body, &status));
	assert_int_equal(status, 200);
}

/* The peer closes c with code (5 s max) and, when reason is not NULL, that reason; frees c. */
static void expect_closed(struct wsclient *c, int code, const char *reason)
{
	char got[128];

	assert_int_equal(mock_ws_wait_close(c, 5000, got, sizeof(got)), code);
	if (reason != NULL)
		assert_string_equal(got, reason);
	wsclient_free(c);
}

/* §8.1.4, §8.2.1: welcome first, then a visitor message is stored and echoed. */
static void test_welcome_then_echo(void **state)
{
	struct fixture *f = setup(60);
	struct wsclient *c = open_ws(f, NULL, NULL);
	json_t *w, *e;
	const char *conv;

	(void)state;
	w = recv_json(c);
	assert_string_equal(json_string_value(json_object_get(w, "type")), "welcome");
	assert_string_equal(json_string_value(json_object_get(w, "session_id")), f->session_id);
	conv = json_string_value(json_object_get(w, "conversation_id"));
	assert_non_null(conv);
	assert_int_equal(strncmp(conv, "conv_", 5), 0);

	assert_int_equal(send_str(c, "{\"type\":\"message\",\"content\":\"bonjour\"}"), RELAY_OK);
	e = recv_json(c);
	assert_string_equal(json_string_value(json_object_get(e, "type")), "message");
	assert_string_equal(json_string_value(json_object_get(e, "role")), "visitor");
	assert_string_equal(json_string_value(json_object_get(e, "content")), "bonjour");
	assert_int_equal(strncmp(json_string_value(json_object_get(e, "id")), "msg_", 4), 0);
	assert_non_null(json_string_value(json_object_get(e, "created_at")));

	/* The message is stored in the session's conversation (§6.2.5). */
	{
		char path[160];
		json_t *page;

		snprintf(path, sizeof(path), "/api/v1/relay/fetch/messages?conversation_id=%s",
			 conv);
		page = relay_call(f, "GET", path, NULL, 200);
		assert_int_equal(
			json_integer_value(json_object_get(json_object_get(page, "data"), "total")),
			1);
		json_decref(page);
	}
	json_decref(w);
	json_decref(e);
	wsclient_free(c);
	teardown(f);
}

/* §8.2: app-level ping → pong; §8.2.3 RFC 6455 ping → pong. */
static void test_ping_pong(void **state)
{
	struct fixture *f = setup(60);
	struct wsclient *c = open_welcomed(f, NULL);
	int i;

	(void)state;
	assert_int_equal(send_str(c, "{\"type\":\"ping\"}"), RELAY_OK);
	expect_type(c, "pong");
	assert_int_equal(wsclient_send_ping(c), RELAY_OK);
	/* the pong (5 s at most), and no second one within 300 ms */
	for (i = 0; i < 50 && wsclient_pongs(c) == 0; i++)
		(void)mock_ws_wait_close(c, 100, NULL, 0);
	(void)mock_ws_wait_close(c, 300, NULL, 0);
	assert_int_equal(wsclient_pongs(c), 1);
	wsclient_free(c);
	teardown(f);
}

/* §8.4: an operator message sent through the relay API is pushed to the socket. */
static void test_operator_message_pushed(void **state)
{
	struct fixture *f = setup(60);
	char conv[64], body[256];
	struct wsclient *c = open_welcomed(f, conv);
	json_t *e;

	(void)state;
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"operator\",\"content\":\"Un agent "
		 "arrive\"}",
		 conv);
	json_decref(relay_call(f, "POST", "/api/v1/relay/send/message", body, 201));
	e = recv_json(c);
	assert_string_equal(json_string_value(json_object_get(e, "type")), "message");
	assert_string_equal(json_string_value(json_object_get(e, "role")), "operator");
	assert_string_equal(json_string_value(json_object_get(e, "content")), "Un agent arrive");
	json_decref(e);
	wsclient_free(c);
	teardown(f);
}

/* Open, welcome, send frame (text unless binary), expect the close code. */
static void expect_close_after(struct fixture *f, const char *frame, size_t len, bool binary,
			       int code)
{
	struct wsclient *c = open_welcomed(f, NULL);
	enum relay_rc rc;

	/* A big frame may be refused before it is fully sent: the send result is moot. */
	if (binary)
		rc = wsclient_send_binary(c, frame, len);
	else
		rc = wsclient_send_text(c, frame, len);
	(void)rc;
	expect_closed(c, code, NULL);
}

/* §8.2.4, §8.3: every malformed frame closes 4400 "malformed frame". */
static void test_malformed_frames_close_4400(void **state)
{
	static const char *const frames[] = {
		"not json",
		"[1,2]",
		"{\"type\":\"typing\"}",
		"{\"content\":\"no type\"}",
		"{\"type\":\"message\"}",
		"{\"type\":\"message\",\"content\":42}",
		"{\"type\":\"message\",\"content\":\"\"}",
	};
	struct fixture *f = setup(60);
	struct wsclient *c;
	char *big;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		expect_close_after(f, frames[i], strlen(frames[i]), false, 4400);
	expect_close_after(f, "\x01\x02", 2, true, 4400);
	/* Invalid UTF-8 in a text frame: wslay fails the connection with 1007 as RFC 6455
	 * §8.1 requires, before the frame reaches the JSON parser. */
	expect_close_after(f, "{\"type\":\"message\",\"content\":\"\xff\xfe\"}", 33, false, 1007);
	/* content over 10,000 characters */
	big = malloc(10100);
	assert_non_null(big);
	memcpy(big, "{\"type\":\"message\",\"content\":\"", 29);
	memset(big + 29, 'a', 10001);
	memcpy(big + 29 + 10001, "\"}", 3);
	expect_close_after(f, big, strlen(big), false, 4400);
	free(big);
	/* the reason text of §8.3 */
	c = open_welcomed(f, NULL);
	assert_int_equal(send_str(c, "nope"), RELAY_OK);
	expect_closed(c, 4400, "malformed frame");
	teardown(f);
}

/* §8.2.5: a message over 65,536 bytes closes 1009. */
static void test_oversized_message_closes_1009(void **state)
{
	struct fixture *f = setup(60);
	char *big = malloc(70000);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', 70000);
	expect_close_after(f, big, 70000, false, 1009);
	free(big);
	teardown(f);
}

/* §8.1.3 step 1: a bad or missing token is accepted, then closed 4401. */
static void test_bad_token_closes_4401(void **state)
{
	struct fixture *f = setup(60);
	struct wsclient_error err;
	struct wsclient *c;

	(void)state;
	c = open_ws(f, "eyJhbGciOiJIUzI1NiJ9.e30.bad", NULL);
	expect_closed(c, 4401, "invalid token");
	c = mock_ws_open(f->m, "/api/v1/ws/widget", NULL, &err);
	assert_int_equal(err.http_status, 101);
	assert_non_null(c);
	expect_closed(c, 4401, NULL);
	teardown(f);
}

/* §7.2.3, §8.1.3: a token expired by the mock clock closes 4401. */
static void test_expired_token_closes_4401(void **state)
{
	struct fixture *f = setup(60);

	(void)state;
	assert_int_equal(mock_set_clock(f->m, relay_clock_real_ms() + 3601 * 1000LL), 0);
	expect_closed(open_ws(f, NULL, NULL), 4401, NULL);
	/* one second before exp it still works */
	assert_int_equal(mock_set_clock(f->m, relay_clock_real_ms() + 3500 * 1000LL), 0);
	wsclient_free(open_welcomed(f, NULL));
	teardown(f);
}

/* §2.6.3: rotating the widget key closes open sockets 4403 and refuses new ones. */
static void test_rotated_widget_key_closes_4403(void **state)
{
	struct fixture *f = setup(60);
	struct wsclient *c = open_welcomed(f, NULL);

	(void)state;
	admin_post(f, "/api/v1/rotate/widget-key?tenant_id=%s", NULL);
	expect_closed(c, 4403, "forbidden");
	expect_closed(open_ws(f, NULL, NULL), 4403, NULL);
	teardown(f);
}

/* §2.7.3, §2.7.5: suspension closes 4403 and refuses; reactivation restores. */
static void test_suspended_tenant_closes_4403(void **state)
{
	struct fixture *f = setup(60);
	struct wsclient *c = open_welcomed(f, NULL);

	(void)state;
	admin_post(f, "/api/v1/suspend/tenant?tenant_id=%s", NULL);
	expect_closed(c, 4403, NULL);
	expect_closed(open_ws(f, NULL, NULL), 4403, NULL);
	admin_post(f, "/api/v1/reactivate/tenant?tenant_id=%s", NULL);
	wsclient_free(open_welcomed(f, NULL));
	teardown(f);
}

/* §8.1.3 step 4: an Origin header other than the token's closes 4403. */
static void test_foreign_origin_header_closes_4403(void **state)
{
	struct fixture *f = setup(60);
	struct wsclient *c;

	(void)state;
	expect_closed(open_ws(f, NULL, "https://evil.example"), 4403, NULL);
	c = open_ws(f, NULL, "https://SHOP.example:443");
	expect_type(c, "welcome");
	wsclient_free(c);
	teardown(f);
}

/* §8.2.6: rate_limit_per_min messages per clock minute, then 4429 (not stored). */
static void test_rate_limited_closes_4429(void **state)
{
	/* Frozen inside one minute window so the count cannot roll over. */
	struct fixture *f = setup_at(3, relay_clock_real_ms() / 60000 * 60000 + 1000);
	struct wsclient *c = open_welcomed(f, NULL);
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_int_equal(send_str(c, "{\"type\":\"message\",\"content\":\"m\"}"), RELAY_OK);
		expect_type(c, "message");
	}
	assert_int_equal(send_str(c, "{\"type\":\"message\",\"content\":\"m\"}"), RELAY_OK);
	expect_closed(c, 4429, "rate limited");
	teardown(f);
}

/* §8.1.2: not a WebSocket handshake → HTTP 400 malformed_request. */
static void test_plain_get_is_400(void **state)
{
	static const char *const version_8[] = {
		"Upgrade: websocket",
		"Connection: Upgrade",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
		"Sec-WebSocket-Version: 8",
		NULL,
	};
	struct fixture *f = setup(60);
	struct client_response resp;
	char path[4200];

	(void)state;
	snprintf(path, sizeof(path), "/api/v1/ws/widget?token=%s", f->token);
	assert_int_equal(mock_call(f->m, "GET", path, NULL, 0, NULL, &resp), 0);
	assert_int_equal(resp.status, 400);
	assert_non_null(strstr(resp.body, "malformed_request"));
	client_response_cleanup(&resp);
	assert_int_equal(mock_call(f->m, "GET", path, NULL, 0, version_8, &resp), 0);
	assert_int_equal(resp.status, 400);
	client_response_cleanup(&resp);
	teardown(f);
}

/* §10.1.1: reset closes every socket with 1001. */
static void test_reset_closes_1001(void **state)
{
	struct fixture *f = setup(60);
	struct wsclient *c = open_welcomed(f, NULL);
	json_t *env;
	long status;

	(void)state;
	env = mock_admin(f->m, "POST", "/__mock/reset", NULL, &status);
	assert_int_equal(status, 200);
	json_decref(env);
	expect_closed(c, 1001, NULL);
	teardown(f);
}

/* §8.2.1: two sockets of one session both see a message sent on one of them. */
static void test_echo_reaches_every_socket_of_the_conversation(void **state)
{
	struct fixture *f = setup(60);
	struct wsclient *a = open_welcomed(f, NULL), *b = open_welcomed(f, NULL);
	json_t *ea, *eb;

	(void)state;
	assert_int_equal(send_str(a, "{\"type\":\"message\",\"content\":\"both\"}"), RELAY_OK);
	ea = recv_json(a);
	eb = recv_json(b);
	assert_string_equal(json_string_value(json_object_get(ea, "id")),
			    json_string_value(json_object_get(eb, "id")));
	json_decref(ea);
	json_decref(eb);
	wsclient_free(a);
	wsclient_free(b);
	teardown(f);
}

/*
 * §10.3.1: the handshake is journaled with status 101 and the token's tenant. MHD
 * reports an upgraded request complete when its socket closes, so the entry (its
 * duration_us = the socket's lifetime) appears then.
 */
static void test_handshake_journaled_101(void **state)
{
	struct fixture *f = setup(60);
	struct wsclient *c = open_welcomed(f, NULL);
	struct timespec pause = {0, 50 * 1000000L};
	json_t *env, *items, *e;
	long status;
	size_t i;
	int found = 0, tries;

	(void)state;
	assert_int_equal(wsclient_close(c, 1000), RELAY_OK);
	expect_closed(c, 1000, NULL);
	for (tries = 0; tries < 100 && !found; tries++) {
		nanosleep(&pause, NULL);
		env = mock_admin(f->m, "GET", "/__mock/journal?limit=10", NULL, &status);
		assert_int_equal(status, 200);
		items = json_object_get(json_object_get(env, "data"), "items");
		json_array_foreach(items, i, e)
		{
			const char *path = json_string_value(json_object_get(e, "path"));

			if (path == NULL || strcmp(path, "/api/v1/ws/widget") != 0)
				continue;
			assert_int_equal(json_integer_value(json_object_get(e, "status")), 101);
			assert_string_equal(json_string_value(json_object_get(e, "tenant_id")),
					    f->t.tenant_id);
			found = 1;
		}
		json_decref(env);
	}
	assert_true(found);
	teardown(f);
}

/* §8.2.2: a message into a full conversation gets an error frame; the socket stays. */
static void test_full_conversation_error_frame(void **state)
{
	struct fixture *f = setup(10000);
	struct wsclient *c;
	char conv[64], body[256];
	json_t *e;
	int i;

	(void)state;
	c = open_welcomed(f, conv);
	wsclient_free(c);
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"bot\",\"content\":\"x\"}", conv);
	for (i = 0; i < 1000; i++)
		json_decref(relay_call(f, "POST", "/api/v1/relay/send/message", body, 201));
	c = open_welcomed(f, NULL);
	assert_int_equal(send_str(c, "{\"type\":\"message\",\"content\":\"one more\"}"), RELAY_OK);
	e = recv_json(c);
	assert_string_equal(json_string_value(json_object_get(e, "type")), "error");
	assert_string_equal(json_string_value(json_object_get(e, "code")), "capacity_exceeded");
	json_decref(e);
	assert_int_equal(send_str(c, "{\"type\":\"ping\"}"), RELAY_OK);
	expect_type(c, "pong");
	wsclient_free(c);
	teardown(f);
}

/* §8.1.2, §13: past WS_MAX_CONNS open sockets the handshake is HTTP 507. */
static void test_socket_cap_is_507(void **state)
{
	struct fixture *f = setup(60);
	struct wsclient **cs = calloc(WS_MAX_CONNS, sizeof(*cs));
	struct timespec pause = {0, 200 * 1000000L};
	struct rlimit rl;
	struct wsclient_error err;
	char path[4200];
	struct wsclient *extra;
	int i;

	(void)state;
	assert_non_null(cs);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < WS_MAX_CONNS + 256)
		skip(); /* not enough descriptors for this process */
	if (rl.rlim_cur < WS_MAX_CONNS + 256) {
		rl.rlim_cur = WS_MAX_CONNS + 256;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	snprintf(path, sizeof(path), "/api/v1/ws/widget?token=%s", f->token);
	for (i = 0; i < WS_MAX_CONNS; i++) {
		char *welcome;

		cs[i] = mock_ws_open(f->m, path, NULL, &err);
		assert_int_equal(err.http_status, 101);
		assert_non_null(cs[i]);
		/*
		 * The 101 can arrive before the mock's upgrade handler counted the socket;
		 * the welcome frame is sent after it was, so every socket is counted below.
		 */
		welcome = mock_ws_recv_text(cs[i], 10000);
		assert_non_null(welcome);
		free(welcome);
	}
	extra = mock_ws_open(f->m, path, NULL, &err);
	assert_null(extra);
	assert_int_equal(err.http_status, 507);
	assert_non_null(strstr(err.body, "capacity_exceeded"));
	/* one closes, one more fits */
	wsclient_free(cs[0]);
	cs[0] = NULL;
	for (i = 0; i < 50 && cs[0] == NULL; i++) {
		nanosleep(&pause, NULL);
		cs[0] = mock_ws_open(f->m, path, NULL, NULL);
	}
	assert_non_null(cs[0]);
	for (i = 0; i < WS_MAX_CONNS; i++)
		wsclient_free(cs[i]);
	free(cs);
	teardown(f);
}

/* §8.1.3 step 4: the token's origin removed from allowed_origins → 4403. */
static void test_origin_no_longer_allowed_closes_4403(void **state)
{
	struct fixture *f = setup(60);

	(void)state;
	admin_post(f, "/api/v1/update/tenant?tenant_id=%s",
		   "{\"allowed_origins\":[\"https://other.example\"]}");
	expect_closed(open_ws(f, NULL, NULL), 4403, NULL);
	teardown(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_welcome_then_echo),
		cmocka_unit_test(test_ping_pong),
		cmocka_unit_test(test_operator_message_pushed),
		cmocka_unit_test(test_malformed_frames_close_4400),
		cmocka_unit_test(test_oversized_message_closes_1009),
		cmocka_unit_test(test_bad_token_closes_4401),
		cmocka_unit_test(test_expired_token_closes_4401),
		cmocka_unit_test(test_rotated_widget_key_closes_4403),
		cmocka_unit_test(test_suspended_tenant_closes_4403),
		cmocka_unit_test(test_foreign_origin_header_closes_4403),
		cmocka_unit_test(test_origin_no_longer_allowed_closes_4403),
		cmocka_unit_test(test_rate_limited_closes_4429),
		cmocka_unit_test(test_plain_get_is_400),
		cmocka_unit_test(test_reset_closes_1001),
		cmocka_unit_test(test_echo_reaches_every_socket_of_the_conversation),
		cmocka_unit_test(test_handshake_journaled_101),
		cmocka_unit_test(test_full_conversation_error_frame),
		cmocka_unit_test(test_socket_cap_is_507),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
