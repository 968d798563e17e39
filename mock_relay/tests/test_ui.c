/*
 * test_ui.c - what the control-plane page relies on (SPEC §10.3.3, §10.6, §10.7):
 * GET /__mock/ui (served without the key, CSP allowing exactly its inline script and
 * style), the journal's received headers (credentials redacted) and hmac1.reason, and
 * the conversation reads /__mock/conversations and /__mock/messages. The page itself
 * is tested in Chromium by tests/browser/ui_test.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "mock_harness.h"

#define T0 1782036000000LL /* 2026-06-21T10:00:00Z */

static json_t *ok(const char *path, long status)
{
	struct client_response resp;
	json_t *data;

	assert_int_equal(mock_call(mock_shared, "GET", path, NULL, 1, NULL, &resp), 0);
	data = mock_check_success(&resp, status);
	client_response_cleanup(&resp);
	assert_non_null(data);
	return data;
}

static void err(const char *path, int admin, long status, const char *code, const char *field)
{
	struct client_response resp;

	assert_int_equal(mock_call(mock_shared, "GET", path, NULL, admin, NULL, &resp), 0);
	assert_int_equal(mock_check_error(&resp, status, code, field), 0);
	client_response_cleanup(&resp);
}

/* "'sha256-<base64 of SHA-256(text between open and close in html)>'" into out. */
static void csp_source(const char *html, const char *open, const char *close, char *out,
		       size_t size)
{
	const char *a = strstr(html, open), *b;
	unsigned char md[32], b64[64];
	unsigned int n = 0;

	assert_non_null(a);
	a += strlen(open);
	b = strstr(a, close);
	assert_non_null(b);
	assert_int_equal(EVP_Digest(a, (size_t)(b - a), md, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_EncodeBlock(b64, md, 32), 44);
	snprintf(out, size, "'sha256-%s'", (const char *)b64);
}

/* §10.7: the page shell needs no key; its CSP allows its own script and style, nothing else. */
static void test_ui_page_served_with_csp_of_its_own_script(void **state)
{
	struct client_response resp;
	const char *csp;
	char script[128], style[128];
	json_t *d;

	(void)state;
	assert_int_equal(mock_call(mock_shared, "GET", "/__mock/ui", NULL, 0, NULL, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_non_null(strstr(client_response_header(&resp, "Content-Type"), "text/html"));
	assert_string_equal(client_response_header(&resp, "X-Content-Type-Options"), "nosniff");
	csp = client_response_header(&resp, "Content-Security-Policy");
	assert_non_null(csp);
	csp_source(resp.body, "<script>", "</script>", script, sizeof(script));
	csp_source(resp.body, "<style>", "</style>", style, sizeof(style));
	assert_non_null(strstr(csp, script));
	assert_non_null(strstr(csp, style));
	/* each in its own directive */
	assert_memory_equal(strstr(csp, script) - strlen("script-src "), "script-src ",
			    strlen("script-src "));
	assert_memory_equal(strstr(csp, style) - strlen("style-src "), "style-src ",
			    strlen("style-src "));
	assert_non_null(strstr(csp, "default-src 'none'"));
	assert_non_null(strstr(csp, "frame-ancestors 'none'"));
	assert_null(strstr(csp, "unsafe-inline"));
	assert_null(strstr(csp, "http")); /* no remote source */
	/* exactly one script element: the one the hash allows */
	assert_null(strstr(strstr(resp.body, "</script>"), "<script"));
	/* the shell holds no data: no key, no tenant */
	assert_null(strstr(resp.body, MOCK_ADMIN_KEY));
	client_response_cleanup(&resp);

	/* not journaled, like every /__mock/ call; other methods are 405 */
	d = ok("/__mock/journal", 200);
	assert_int_equal(json_integer_value(json_object_get(d, "total")), 0);
	json_decref(d);
	assert_int_equal(mock_call(mock_shared, "POST", "/__mock/ui", "{}", 1, NULL, &resp), 0);
	assert_int_equal(mock_check_error(&resp, 405, "method_not_allowed", NULL), 0);
	client_response_cleanup(&resp);
}

/* The value of the entry's header name ("" when absent). */
static const char *entry_header(json_t *entry, const char *name)
{
	json_t *h;
	size_t i;

	json_array_foreach(json_object_get(entry, "headers"), i, h)
	{
		if (strcmp(json_string_value(json_object_get(h, "name")), name) == 0)
			return json_string_value(json_object_get(h, "value"));
	}
	return "";
}

/* §10.3.3, §10.3.5: headers as received, in order; credentials only by name. */
static void test_journal_keeps_headers_without_credentials(void **state)
{
	static const char *const hdrs[] = {"Authorization: Bearer tok-SECRET-1",
					   "Cookie: session=SECRET-2", "X-Trace: <b>ok</b>",
					   "X-Admin-Key: SECRET-3", NULL};
	struct client_response resp;
	json_t *d, *e;
	char *text;

	(void)state;
	assert_int_equal(mock_call(mock_shared, "GET", "/api/v1/nope", NULL, 0, hdrs, &resp), 0);
	client_response_cleanup(&resp);
	d = ok("/__mock/journal?limit=1", 200);
	e = json_array_get(json_object_get(d, "items"), 0);
	assert_string_equal(entry_header(e, "Authorization"), "[redacted]");
	assert_string_equal(entry_header(e, "Cookie"), "[redacted]");
	assert_string_equal(entry_header(e, "X-Admin-Key"), "[redacted]");
	assert_string_equal(entry_header(e, "X-Trace"), "<b>ok</b>");
	assert_true(json_is_false(json_object_get(e, "headers_truncated")));
	text = json_dumps(d, 0);
	assert_null(strstr(text, "SECRET"));
	free(text);
	json_decref(d);
}

/* §10.3.3: headers past JOURNAL_HEADERS_MAX bytes are left out, and the entry says so. */
static void test_journal_headers_truncated_past_cap(void **state)
{
	char big[5][520];
	const char *hdrs[6];
	struct client_response resp;
	json_t *d, *e;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(big[i], sizeof(big[i]), "X-Big-%zu: ", i);
		memset(big[i] + strlen(big[i]), 'a', 500);
		big[i][sizeof(big[i]) - 1] = '\0';
		hdrs[i] = big[i];
	}
	hdrs[5] = NULL;
	assert_int_equal(mock_call(mock_shared, "GET", "/api/v1/nope", NULL, 0, hdrs, &resp), 0);
	client_response_cleanup(&resp);
	d = ok("/__mock/journal?limit=1", 200);
	e = json_array_get(json_object_get(d, "items"), 0);
	assert_true(json_is_true(json_object_get(e, "headers_truncated")));
	assert_true(strlen(entry_header(e, "X-Big-0")) > 400);
	assert_string_equal(entry_header(e, "X-Big-4"), ""); /* did not fit */
	json_decref(d);
}

/* §10.3.4: hmac1.reason says why the failed step failed; null when all passed. */
static void test_journal_hmac1_reason(void **state)
{
	struct mock_tenant t;
	struct client_response resp;
	json_t *d, *h;

	(void)state;
	assert_int_equal(mock_set_clock(mock_shared, T0), 0);
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"r\"}", &t), 0);
	assert_int_equal(mock_signed(mock_shared, "GET",
				     "/api/v1/relay/fetch/conversation?conversation_id=conv_x",
				     NULL, t.tenant_id, t.tenant_secret, T0 - 40000, &resp),
			 0);
	assert_int_equal(resp.status, 401);
	client_response_cleanup(&resp);
	d = ok("/__mock/journal?limit=1", 200);
	h = json_object_get(json_array_get(json_object_get(d, "items"), 0), "hmac1");
	assert_string_equal(json_string_value(json_object_get(h, "failed_step")), "window");
	assert_string_equal(json_string_value(json_object_get(h, "reason")),
			    "timestamp is more than 30000 ms in the past");
	json_decref(d);
	assert_int_equal(mock_signed(mock_shared, "GET",
				     "/api/v1/relay/fetch/conversation?conversation_id=conv_x",
				     NULL, t.tenant_id, t.tenant_secret, T0, &resp),
			 0);
	assert_int_equal(resp.status, 404); /* passed the gate; the route found nothing */
	client_response_cleanup(&resp);
	d = ok("/__mock/journal?limit=1", 200);
	h = json_object_get(json_array_get(json_object_get(d, "items"), 0), "hmac1");
	assert_true(json_is_null(json_object_get(h, "failed_step")));
	assert_true(json_is_null(json_object_get(h, "reason")));
	json_decref(d);
}

/* §10.6: conversations newest first with mode, queue and count; their messages. */
static void test_conversations_and_messages_reads(void **state)
{
	struct mock_tenant t, other;
	struct client_response resp;
	char path[512], body[512], conv_api[64], conv_widget[64];
	json_t *d, *items, *c, *env;

	(void)state;
	assert_int_equal(mock_set_clock(mock_shared, T0), 0);
	assert_int_equal(
		mock_provision(
			mock_shared,
			"{\"tenant_name\":\"c\",\"allowed_origins\":[\"https://shop.example\"]}",
			&t),
		0);
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"o\"}", &other), 0);
	/* one conversation from the relay API, with a message */
	assert_int_equal(mock_signed(mock_shared, "POST", "/api/v1/relay/create/conversation",
				     "{\"visitor_user_id\":\"u1\"}", t.tenant_id, t.tenant_secret,
				     T0, &resp),
			 0);
	env = json_loads(resp.body, 0, NULL);
	snprintf(conv_api, sizeof(conv_api), "%s",
		 json_string_value(json_object_get(json_object_get(env, "data"), "id")));
	json_decref(env);
	client_response_cleanup(&resp);
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"<i>hi</i>\"}",
		 conv_api);
	assert_int_equal(mock_signed(mock_shared, "POST", "/api/v1/relay/send/message", body,
				     t.tenant_id, t.tenant_secret, T0, &resp),
			 0);
	assert_int_equal(resp.status, 201);
	client_response_cleanup(&resp);
	/* one from a widget session, later, with a queue */
	assert_int_equal(mock_set_clock(mock_shared, T0 + 1000), 0);
	snprintf(body, sizeof(body),
		 "{\"tenant_id\":\"%s\",\"widget_public_key\":\"%s\",\"origin\":"
		 "\"https://shop.example\",\"routing_key\":\"store-7\",\"mode\":\"human\"}",
		 t.tenant_id, t.widget_public_key);
	assert_int_equal(mock_call(mock_shared, "POST", "/api/v1/create/visitor-session", body, 0,
				   NULL, &resp),
			 0);
	assert_int_equal(resp.status, 201);
	client_response_cleanup(&resp);

	snprintf(path, sizeof(path), "/__mock/conversations?tenant_id=%s", t.tenant_id);
	d = ok(path, 200);
	assert_int_equal(json_integer_value(json_object_get(d, "total")), 2);
	items = json_object_get(d, "items");
	assert_int_equal(json_array_size(items), 2);
	c = json_array_get(items, 0); /* newest first: the widget's */
	snprintf(conv_widget, sizeof(conv_widget), "%s",
		 json_string_value(json_object_get(c, "id")));
	assert_string_not_equal(conv_widget, conv_api);
	assert_string_equal(json_string_value(json_object_get(c, "status")), "open");
	assert_string_equal(json_string_value(json_object_get(c, "mode")), "human");
	assert_string_equal(json_string_value(json_object_get(c, "routing_key")), "store-7");
	assert_int_equal(json_integer_value(json_object_get(c, "message_count")), 0);
	c = json_array_get(items, 1);
	assert_string_equal(json_string_value(json_object_get(c, "id")), conv_api);
	assert_string_equal(json_string_value(json_object_get(c, "visitor_user_id")), "u1");
	/* a relay API conversation is in bot mode unless it says otherwise (§9.6.1) */
	assert_string_equal(json_string_value(json_object_get(c, "mode")), "bot");
	assert_true(json_is_null(json_object_get(c, "routing_key")));
	/* the visitor's message and the bot's answer (§9.6.1) */
	assert_int_equal(json_integer_value(json_object_get(c, "message_count")), 2);
	json_decref(d);
	snprintf(path, sizeof(path), "/__mock/conversations?tenant_id=%s&limit=1", t.tenant_id);
	d = ok(path, 200);
	assert_int_equal(json_array_size(json_object_get(d, "items")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "total")), 2);
	json_decref(d);
	snprintf(path, sizeof(path), "/__mock/conversations?tenant_id=%s", other.tenant_id);
	d = ok(path, 200);
	assert_int_equal(json_integer_value(json_object_get(d, "total")), 0);
	json_decref(d);

	snprintf(path, sizeof(path), "/__mock/messages?tenant_id=%s&conversation_id=%s",
		 t.tenant_id, conv_api);
	d = ok(path, 200);
	c = json_array_get(json_object_get(d, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "content")), "<i>hi</i>");
	assert_string_equal(json_string_value(json_object_get(c, "role")), "visitor");
	c = json_array_get(json_object_get(d, "items"), 1);
	assert_string_equal(json_string_value(json_object_get(c, "role")), "bot");
	assert_int_equal(json_integer_value(json_object_get(d, "total")), 2);
	json_decref(d);
	/* another tenant's conversation is not found */
	snprintf(path, sizeof(path), "/__mock/messages?tenant_id=%s&conversation_id=%s",
		 other.tenant_id, conv_api);
	err(path, 1, 404, "conversation_not_found", NULL);

	/* validation and the key */
	err("/__mock/conversations", 1, 400, "malformed_request", "tenant_id");
	snprintf(path, sizeof(path), "/__mock/conversations?tenant_id=%s&limit=0", t.tenant_id);
	err(path, 1, 400, "malformed_request", "limit");
	snprintf(path, sizeof(path), "/__mock/conversations?tenant_id=%s", t.tenant_id);
	err(path, 0, 401, "invalid_admin_key", NULL);
	snprintf(path, sizeof(path), "/__mock/messages?tenant_id=%s", t.tenant_id);
	err(path, 1, 400, "malformed_request", "conversation_id");
	snprintf(path, sizeof(path), "/__mock/messages?tenant_id=%s&conversation_id=%s",
		 t.tenant_id, conv_api);
	err(path, 0, 401, "invalid_admin_key", NULL);
	/* control reads are not journaled: only the four relay/widget calls and provisions */
	d = ok("/__mock/journal", 200);
	assert_int_equal(json_integer_value(json_object_get(d, "total")), 5);
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ui_page_served_with_csp_of_its_own_script,
				       mock_shared_reset),
		cmocka_unit_test_setup(test_journal_keeps_headers_without_credentials,
				       mock_shared_reset),
		cmocka_unit_test_setup(test_journal_headers_truncated_past_cap, mock_shared_reset),
		cmocka_unit_test_setup(test_journal_hmac1_reason, mock_shared_reset),
		cmocka_unit_test_setup(test_conversations_and_messages_reads, mock_shared_reset),
	};

	return cmocka_run_group_tests(tests, mock_shared_start, mock_shared_stop);
}
