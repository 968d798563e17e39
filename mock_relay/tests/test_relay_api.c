/*
 * test_relay_api.c - the HMAC#1-signed relay API over HTTP (SPEC §6): every
 * rule with a passing and a breaking case, tenant isolation, and the tokens
 * decoded and checked claim by claim.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jwt.h>

#include "mock_harness.h"
#include "relay_hmac1.h"

#define NOW_MS  1782036000000LL /* 2026-06-21T10:00:00Z, the mock's frozen clock */
#define NOW_TXT "2026-06-21T10:00:00Z"
#define TENANT_BODY                                                                                \
	"{\"tenant_name\":\"Demo Boutique\",\"rate_limit_per_min\":10000,"                         \
	"\"allowed_origins\":[\"https://shop.demo.com\"]}"

/* A signed call as tenant t; returns the parsed envelope (caller decrefs), *status. */
static json_t *relay(const struct mock_tenant *t, const char *method, const char *path,
		     const char *body, long *status)
{
	struct client_response resp;
	json_t *env = NULL;

	*status = 0;
	if (mock_signed(mock_shared, method, path, body, t->tenant_id, t->tenant_secret, NOW_MS,
			&resp) == 0) {
		*status = resp.status;
		env = client_response_json(&resp);
	}
	client_response_cleanup(&resp);
	assert_non_null(env);
	return env;
}

/* Asserts status, error.code and (when field is not NULL) error.field; frees env. */
static void expect_error(json_t *env, long status, long want_status, const char *code,
			 const char *field)
{
	assert_int_equal(status, want_status);
	assert_int_equal(json_integer_value(json_object_get(env, "status_code")), want_status);
	assert_true(json_is_null(json_object_get(env, "data")));
	assert_string_equal(mock_error_code(env), code);
	if (field != NULL)
		assert_string_equal(
			json_string_value(json_object_get(json_object_get(env, "error"), "field")),
			field);
	json_decref(env);
}

static void expect_422(const struct mock_tenant *t, const char *path, const char *body,
		       const char *field)
{
	long status;
	json_t *env = relay(t, "POST", path, body, &status);

	expect_error(env, status, 422, "validation_failed", field);
}

static void new_tenant(struct mock_tenant *t)
{
	assert_int_equal(mock_provision(mock_shared, TENANT_BODY, t), 0);
}

/* A conversation of t; its id into id. */
static void new_conversation(const struct mock_tenant *t, char id[64])
{
	long status;
	json_t *env = relay(t, "POST", "/api/v1/relay/create/conversation",
			    "{\"visitor_user_id\":\"visitor-42\"}", &status);
	const char *s = json_string_value(json_object_get(json_object_get(env, "data"), "id"));

	assert_int_equal(status, 201);
	assert_non_null(s);
	snprintf(id, 64, "%s", s);
	json_decref(env);
}

/* One mock for the file, its clock frozen at NOW_MS. */
static int group_setup(void **state)
{
	if (mock_shared_start(state) != 0)
		return -1;
	return mock_set_clock(mock_shared, NOW_MS);
}

/* ---- §6.1 conversations --------------------------------------------------- */

static void test_create_conversation_defaults_exact_body(void **state)
{
	struct mock_tenant t;
	long status;
	json_t *env;
	char *dump, want[512];
	const char *id;

	(void)state;
	new_tenant(&t);
	env = relay(&t, "POST", "/api/v1/relay/create/conversation",
		    "{\"visitor_user_id\":\"visitor-42\"}", &status);
	assert_int_equal(status, 201);
	id = json_string_value(json_object_get(json_object_get(env, "data"), "id"));
	assert_non_null(id);
	assert_int_equal(strncmp(id, "conv_", 5), 0);
	assert_int_equal(strlen(id), 37);
	snprintf(want, sizeof(want),
		 "{\"status_code\":201,\"data\":{\"id\":\"%s\",\"visitor_user_id\":\"visitor-42\","
		 "\"visitor_display_name\":null,\"locale\":\"fr\",\"metadata\":{},"
		 "\"status\":\"open\",\"created_at\":\"" NOW_TXT "\"},"
		 "\"message\":\"Conversation created.\"}",
		 id);
	dump = json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(dump, want);
	free(dump);
	json_decref(env);
}

static void test_create_conversation_keeps_given_fields(void **state)
{
	struct mock_tenant t;
	long status;
	json_t *env, *data;

	(void)state;
	new_tenant(&t);
	env = relay(&t, "POST", "/api/v1/relay/create/conversation",
		    "{\"visitor_user_id\":\"u1\",\"visitor_display_name\":\"Marie\","
		    "\"locale\":\"en-GB\",\"metadata\":{\"cart\":[1,2]},\"unknown\":true}",
		    &status);
	assert_int_equal(status, 201);
	data = json_object_get(env, "data");
	assert_string_equal(json_string_value(json_object_get(data, "visitor_display_name")),
			    "Marie");
	assert_string_equal(json_string_value(json_object_get(data, "locale")), "en-GB");
	assert_int_equal(json_integer_value(json_array_get(
				 json_object_get(json_object_get(data, "metadata"), "cart"), 1)),
			 2);
	json_decref(env);
}

static void test_create_conversation_422_per_field(void **state)
{
	static const char *const path = "/api/v1/relay/create/conversation";
	struct mock_tenant t;
	char long_id[200];

	(void)state;
	new_tenant(&t);
	expect_422(&t, path, "{}", "visitor_user_id");
	expect_422(&t, path, "{\"visitor_user_id\":\"\"}", "visitor_user_id");
	expect_422(&t, path, "{\"visitor_user_id\":42}", "visitor_user_id");
	expect_422(&t, path, "{\"visitor_user_id\":null}", "visitor_user_id");
	expect_422(&t, path, "{\"visitor_user_id\":\"a\\tb\"}", "visitor_user_id");
	memset(long_id, 'a', 129);
	{
		char body[300];

		snprintf(body, sizeof(body), "{\"visitor_user_id\":\"%.*s\"}", 129, long_id);
		expect_422(&t, path, body, "visitor_user_id");
		snprintf(body, sizeof(body), "{\"visitor_user_id\":\"%.*s\"}", 128, long_id);
		{
			long status;
			json_t *env = relay(&t, "POST", path, body, &status);

			assert_int_equal(status, 201);
			json_decref(env);
		}
	}
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"visitor_display_name\":\"\"}",
		   "visitor_display_name");
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"visitor_display_name\":7}",
		   "visitor_display_name");
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"locale\":\"f\"}", "locale");
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"locale\":\"en_US\"}", "locale");
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"locale\":null}", "locale");
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"metadata\":[]}", "metadata");
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"metadata\":null}", "metadata");
	/* the first failing field in table order is named */
	expect_422(&t, path, "{\"locale\":\"x\",\"metadata\":1}", "visitor_user_id");
}

static void test_create_conversation_bad_json_is_400(void **state)
{
	struct mock_tenant t;
	long status;
	json_t *env;

	(void)state;
	new_tenant(&t);
	env = relay(&t, "POST", "/api/v1/relay/create/conversation",
		    "{\"visitor_user_id\":", &status);
	expect_error(env, status, 400, "malformed_request", NULL);
	env = relay(&t, "POST", "/api/v1/relay/create/conversation", "[1]", &status);
	expect_error(env, status, 400, "malformed_request", NULL);
}

static void test_relay_routes_require_hmac1(void **state)
{
	struct client_response resp;
	json_t *env;

	(void)state;
	assert_int_equal(mock_call(mock_shared, "POST", "/api/v1/relay/create/conversation",
				   "{\"visitor_user_id\":\"u\"}", 0, NULL, &resp),
			 0);
	env = client_response_json(&resp);
	expect_error(env, resp.status, 401, "missing_signature", NULL);
	client_response_cleanup(&resp);
}

static void test_relay_routes_refuse_suspended_tenant(void **state)
{
	struct mock_tenant t;
	char path[128];
	long status;
	json_t *env;

	(void)state;
	new_tenant(&t);
	snprintf(path, sizeof(path), "/api/v1/suspend/tenant?tenant_id=%s", t.tenant_id);
	json_decref(mock_admin(mock_shared, "POST", path, NULL, &status));
	assert_int_equal(status, 200);
	env = relay(&t, "POST", "/api/v1/relay/create/conversation", "{\"visitor_user_id\":\"u\"}",
		    &status);
	expect_error(env, status, 403, "tenant_suspended", NULL);
}

static void test_fetch_conversation_and_isolation(void **state)
{
	struct mock_tenant a, b;
	char id[64], path[160];
	long status;
	json_t *env;

	(void)state;
	new_tenant(&a);
	new_tenant(&b);
	new_conversation(&a, id);
	snprintf(path, sizeof(path), "/api/v1/relay/fetch/conversation?conversation_id=%s", id);
	env = relay(&a, "GET", path, NULL, &status);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(env, "message")),
			    "Conversation fetched.");
	assert_string_equal(json_string_value(json_object_get(json_object_get(env, "data"), "id")),
			    id);
	json_decref(env);
	/* §6.6: another tenant's conversation is 404, never 403 */
	env = relay(&b, "GET", path, NULL, &status);
	expect_error(env, status, 404, "conversation_not_found", NULL);
	env = relay(&a, "GET",
		    "/api/v1/relay/fetch/conversation?conversation_id=conv_"
		    "00000000000000000000000000000000",
		    NULL, &status);
	expect_error(env, status, 404, "conversation_not_found", NULL);
	env = relay(&a, "GET", "/api/v1/relay/fetch/conversation", NULL, &status);
	expect_error(env, status, 400, "malformed_request", "conversation_id");
	env = relay(&a, "GET", "/api/v1/relay/fetch/conversation?conversation_id=a.b", NULL,
		    &status);
	expect_error(env, status, 400, "malformed_request", "conversation_id");
}

/* ---- §6.2 messages -------------------------------------------------------- */

static void test_send_message_exact_body(void **state)
{
	struct mock_tenant t;
	char id[64], body[256], *dump, want[512];
	long status;
	json_t *env;
	const char *msg_id;

	(void)state;
	new_tenant(&t);
	new_conversation(&t, id);
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"operator\",\"content\":\" Bonjour \"}",
		 id);
	env = relay(&t, "POST", "/api/v1/relay/send/message", body, &status);
	assert_int_equal(status, 201);
	msg_id = json_string_value(json_object_get(json_object_get(env, "data"), "id"));
	assert_non_null(msg_id);
	assert_int_equal(strncmp(msg_id, "msg_", 4), 0);
	snprintf(want, sizeof(want),
		 "{\"status_code\":201,\"data\":{\"id\":\"%s\",\"conversation_id\":\"%s\","
		 "\"role\":\"operator\",\"content\":\" Bonjour \",\"created_at\":\"" NOW_TXT
		 "\"},\"message\":\"Message sent.\"}",
		 msg_id, id);
	dump = json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(dump, want);
	free(dump);
	json_decref(env);
}

static void test_send_message_rules(void **state)
{
	static const char *const path = "/api/v1/relay/send/message";
	struct mock_tenant a, b;
	char id[64], body[10200];
	long status;
	json_t *env;
	int n;

	(void)state;
	new_tenant(&a);
	new_tenant(&b);
	new_conversation(&a, id);
	expect_422(&a, path, "{\"role\":\"x\",\"content\":\"\"}", "conversation_id");
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"admin\",\"content\":\"x\"}", id);
	expect_422(&a, path, body, "role");
	snprintf(body, sizeof(body), "{\"conversation_id\":\"%s\",\"content\":\"x\"}", id);
	expect_422(&a, path, body, "role");
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"bot\",\"content\":\"\"}", id);
	expect_422(&a, path, body, "content");
	snprintf(body, sizeof(body), "{\"conversation_id\":\"%s\",\"role\":\"bot\",\"content\":1}",
		 id);
	expect_422(&a, path, body, "content");
	/* 10,000 characters pass, 10,001 do not */
	n = snprintf(body, sizeof(body),
		     "{\"conversation_id\":\"%s\",\"role\":\"system\",\"content\":\"", id);
	memset(body + n, 'x', 10000);
	memcpy(body + n + 10000, "\"}", 3);
	env = relay(&a, "POST", path, body, &status);
	assert_int_equal(status, 201);
	json_decref(env);
	memset(body + n, 'x', 10001);
	memcpy(body + n + 10001, "\"}", 3);
	expect_422(&a, path, body, "content");
	/* unknown, or another tenant's conversation: 404 */
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"x\"}", id);
	env = relay(&b, "POST", path, body, &status);
	expect_error(env, status, 404, "conversation_not_found", NULL);
	env = relay(&a, "POST", path,
		    "{\"conversation_id\":\"conv_nope\",\"role\":\"visitor\",\"content\":\"x\"}",
		    &status);
	expect_error(env, status, 404, "conversation_not_found", NULL);
}

static void test_fetch_messages_pages_oldest_first(void **state)
{
	struct mock_tenant a, b;
	char id[64], body[256], path[256];
	long status;
	json_t *env, *data;
	int i;

	(void)state;
	new_tenant(&a);
	new_tenant(&b);
	new_conversation(&a, id);
	for (i = 0; i < 5; i++) {
		snprintf(body, sizeof(body),
			 "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"m%d\"}",
			 id, i);
		json_decref(relay(&a, "POST", "/api/v1/relay/send/message", body, &status));
		assert_int_equal(status, 201);
	}
	snprintf(path, sizeof(path),
		 "/api/v1/relay/fetch/messages?conversation_id=%s&limit=2&offset=1", id);
	env = relay(&a, "GET", path, NULL, &status);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(env, "message")),
			    "Messages fetched.");
	data = json_object_get(env, "data");
	assert_int_equal(json_integer_value(json_object_get(data, "total")), 5);
	assert_int_equal(json_integer_value(json_object_get(data, "limit")), 2);
	assert_int_equal(json_integer_value(json_object_get(data, "offset")), 1);
	assert_int_equal(json_array_size(json_object_get(data, "items")), 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(data, "items"), 0), "content")),
			    "m1");
	json_decref(env);

	snprintf(path, sizeof(path), "/api/v1/relay/fetch/messages?conversation_id=%s", id);
	env = relay(&a, "GET", path, NULL, &status);
	assert_int_equal(status, 200);
	data = json_object_get(env, "data");
	assert_int_equal(json_integer_value(json_object_get(data, "limit")), 50);
	assert_int_equal(json_integer_value(json_object_get(data, "offset")), 0);
	assert_int_equal(json_array_size(json_object_get(data, "items")), 5);
	json_decref(env);

	env = relay(&b, "GET", path, NULL, &status);
	expect_error(env, status, 404, "conversation_not_found", NULL);

	snprintf(path, sizeof(path), "/api/v1/relay/fetch/messages?conversation_id=%s&limit=0", id);
	env = relay(&a, "GET", path, NULL, &status);
	expect_error(env, status, 400, "malformed_request", "limit");
	snprintf(path, sizeof(path), "/api/v1/relay/fetch/messages?conversation_id=%s&limit=201",
		 id);
	env = relay(&a, "GET", path, NULL, &status);
	expect_error(env, status, 400, "malformed_request", "limit");
	snprintf(path, sizeof(path), "/api/v1/relay/fetch/messages?conversation_id=%s&offset=-1",
		 id);
	env = relay(&a, "GET", path, NULL, &status);
	expect_error(env, status, 400, "malformed_request", "offset");
	env = relay(&a, "GET", "/api/v1/relay/fetch/messages?limit=5", NULL, &status);
	expect_error(env, status, 400, "malformed_request", "conversation_id");
}

static void test_message_cap_is_507(void **state)
{
	struct mock_tenant t;
	char id[64], body[256];
	long status;
	json_t *env;
	int i;

	(void)state;
	new_tenant(&t);
	new_conversation(&t, id);
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"bot\",\"content\":\"hello\"}", id);
	for (i = 0; i < 1000; i++) {
		json_decref(relay(&t, "POST", "/api/v1/relay/send/message", body, &status));
		assert_int_equal(status, 201);
	}
	env = relay(&t, "POST", "/api/v1/relay/send/message", body, &status);
	expect_error(env, status, 507, "capacity_exceeded", NULL);
}

/* ---- §6.3 visitor token --------------------------------------------------- */

/* Claims of token, parsed by libjwt without verification (the key is the mock's). */
static json_t *claims_of(const char *token, const char *want_alg)
{
	jwt_t *jwt = NULL;
	char *all;
	json_t *claims;

	assert_int_equal(jwt_decode(&jwt, token, NULL, 0), 0);
	assert_string_equal(jwt_get_header(jwt, "alg"), want_alg);
	all = jwt_get_grants_json(jwt, NULL);
	assert_non_null(all);
	claims = json_loads(all, 0, NULL);
	free(all);
	jwt_free(jwt);
	assert_non_null(claims);
	return claims;
}

static void test_mint_visitor_token_claims(void **state)
{
	struct mock_tenant t;
	char wpk_hex[65];
	long status;
	json_t *env, *data, *claims;
	const char *tok;

	(void)state;
	new_tenant(&t);
	env = relay(&t, "POST", "/api/v1/relay/mint/visitor-token",
		    "{\"visitor_user_id\":\"user-7\",\"visitor_email_hash\":\"sha256:"
		    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
		    "\"ttl_seconds\":600}",
		    &status);
	assert_int_equal(status, 201);
	assert_string_equal(json_string_value(json_object_get(env, "message")),
			    "Visitor token minted.");
	data = json_object_get(env, "data");
	assert_int_equal(json_object_size(data), 2);
	assert_string_equal(json_string_value(json_object_get(data, "expires_at")),
			    "2026-06-21T10:10:00Z");
	tok = json_string_value(json_object_get(data, "visitor_token"));
	assert_non_null(tok);
	claims = claims_of(tok, "HS256");
	assert_string_equal(json_string_value(json_object_get(claims, "iss")),
			    "bloonio-mock-relay");
	assert_string_equal(json_string_value(json_object_get(claims, "sub")), "user-7");
	assert_string_equal(json_string_value(json_object_get(claims, "tid")), t.tenant_id);
	assert_int_equal(strncmp(json_string_value(json_object_get(claims, "sid")), "vs_", 3), 0);
	assert_null(json_object_get(claims, "origin"));
	assert_int_equal(
		hmac1_sha256_hex(t.widget_public_key, strlen(t.widget_public_key), wpk_hex),
		RELAY_OK);
	wpk_hex[16] = '\0';
	assert_string_equal(json_string_value(json_object_get(claims, "wpk")), wpk_hex);
	assert_int_equal(json_integer_value(json_object_get(claims, "iat")), NOW_MS / 1000);
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")), NOW_MS / 1000 + 600);
	json_decref(claims);
	json_decref(env);
}

static void test_mint_visitor_token_defaults_and_422(void **state)
{
	static const char *const path = "/api/v1/relay/mint/visitor-token";
	struct mock_tenant t;
	long status;
	json_t *env;

	(void)state;
	new_tenant(&t);
	env = relay(&t, "POST", path, "{\"visitor_user_id\":\"u\",\"visitor_email_hash\":null}",
		    &status);
	assert_int_equal(status, 201);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(env, "data"), "expires_at")),
		"2026-06-21T11:00:00Z");
	json_decref(env);
	expect_422(&t, path, "{}", "visitor_user_id");
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"visitor_email_hash\":\"abc\"}",
		   "visitor_email_hash");
	expect_422(&t, path,
		   "{\"visitor_user_id\":\"u\",\"visitor_email_hash\":\"sha256:"
		   "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"}",
		   "visitor_email_hash");
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"ttl_seconds\":59}", "ttl_seconds");
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"ttl_seconds\":86401}", "ttl_seconds");
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"ttl_seconds\":3600.0}", "ttl_seconds");
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"ttl_seconds\":\"3600\"}", "ttl_seconds");
	expect_422(&t, path, "{\"visitor_user_id\":\"u\",\"ttl_seconds\":true}", "ttl_seconds");
	env = relay(&t, "POST", path, "{\"visitor_user_id\":\"u\",\"ttl_seconds\":86400}", &status);
	assert_int_equal(status, 201);
	json_decref(env);
}

static void test_minted_token_refreshes_same_session(void **state)
{
	struct mock_tenant t;
	char auth[4200];
	const char *hdr[] = {auth, NULL};
	struct client_response resp;
	long status;
	json_t *env, *claims, *renv;

	(void)state;
	new_tenant(&t);
	env = relay(&t, "POST", "/api/v1/relay/mint/visitor-token", "{\"visitor_user_id\":\"u\"}",
		    &status);
	assert_int_equal(status, 201);
	claims = claims_of(
		json_string_value(json_object_get(json_object_get(env, "data"), "visitor_token")),
		"HS256");
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		 json_string_value(json_object_get(json_object_get(env, "data"), "visitor_token")));
	assert_int_equal(mock_call(mock_shared, "POST", "/api/v1/refresh/visitor-token", NULL, 0,
				   hdr, &resp),
			 0);
	assert_int_equal(resp.status, 200);
	renv = client_response_json(&resp);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(renv, "data"), "session_id")),
		json_string_value(json_object_get(claims, "sid")));
	json_decref(renv);
	client_response_cleanup(&resp);
	json_decref(claims);
	json_decref(env);
}

/* §6.1.1, §6.3.1: limits are characters; 128 four-byte characters fit the token's sub */
static void test_visitor_user_id_counts_characters(void **state)
{
	struct mock_tenant t;
	char body[1200], id[600];
	size_t n = 0;
	long status;
	json_t *env, *claims;
	int i;

	(void)state;
	new_tenant(&t);
	for (i = 0; i < 128; i++) {
		memcpy(id + n, "\xf0\x9f\x98\x80", 4); /* U+1F600 */
		n += 4;
	}
	id[n] = '\0';
	snprintf(body, sizeof(body), "{\"visitor_user_id\":\"%s\"}", id);
	env = relay(&t, "POST", "/api/v1/relay/create/conversation", body, &status);
	assert_int_equal(status, 201);
	json_decref(env);
	env = relay(&t, "POST", "/api/v1/relay/mint/visitor-token", body, &status);
	assert_int_equal(status, 201);
	claims = claims_of(
		json_string_value(json_object_get(json_object_get(env, "data"), "visitor_token")),
		"HS256");
	assert_string_equal(json_string_value(json_object_get(claims, "sub")), id);
	json_decref(claims);
	json_decref(env);
	/* one more character is over the limit */
	snprintf(body, sizeof(body), "{\"visitor_user_id\":\"%sx\"}", id);
	expect_422(&t, "/api/v1/relay/create/conversation", body, "visitor_user_id");
	expect_422(&t, "/api/v1/relay/mint/visitor-token", body, "visitor_user_id");
}

/* ---- §6.4 operators ------------------------------------------------------- */

static void test_provision_operator_idempotent(void **state)
{
	static const char *const path = "/api/v1/relay/provision/operator";
	struct mock_tenant a, b;
	long status;
	json_t *env1, *env2, *env3, *d1, *d2;
	char *dump, want[512];

	(void)state;
	new_tenant(&a);
	new_tenant(&b);
	env1 = relay(&a, "POST", path,
		     "{\"email\":\"Merchant@Shop.Example\",\"display_name\":\"Ann\","
		     "\"routing_keys\":[\"store-1\"]}",
		     &status);
	assert_int_equal(status, 201);
	d1 = json_object_get(env1, "data");
	assert_int_equal(strncmp(json_string_value(json_object_get(d1, "operator_id")), "op_", 3),
			 0);
	snprintf(want, sizeof(want),
		 "{\"status_code\":201,\"data\":{\"operator_id\":\"%s\",\"created\":true,"
		 "\"email\":\"merchant@shop.example\",\"display_name\":\"Ann\","
		 "\"routing_keys\":[\"store-1\"],\"created_at\":\"" NOW_TXT "\"},"
		 "\"message\":\"Operator provisioned.\"}",
		 json_string_value(json_object_get(d1, "operator_id")));
	dump = json_dumps(env1, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(dump, want);
	free(dump);

	/* same email (case-insensitive), same tenant: 200, created false, keys refreshed */
	env2 = relay(
		&a, "POST", path,
		"{\"email\":\"merchant@shop.example\",\"routing_keys\":[\"store-2\",\"store-3\"]}",
		&status);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(env2, "message")),
			    "Operator already provisioned.");
	d2 = json_object_get(env2, "data");
	assert_false(json_is_true(json_object_get(d2, "created")));
	assert_true(json_is_false(json_object_get(d2, "created")));
	assert_string_equal(json_string_value(json_object_get(d1, "operator_id")),
			    json_string_value(json_object_get(d2, "operator_id")));
	assert_string_equal(json_string_value(json_object_get(d2, "display_name")), "Ann");
	assert_int_equal(json_array_size(json_object_get(d2, "routing_keys")), 2);

	/* the same email in another tenant is a new operator */
	env3 = relay(&b, "POST", path, "{\"email\":\"merchant@shop.example\"}", &status);
	assert_int_equal(status, 201);
	assert_string_not_equal(
		json_string_value(json_object_get(d1, "operator_id")),
		json_string_value(json_object_get(json_object_get(env3, "data"), "operator_id")));
	assert_true(json_is_null(json_object_get(json_object_get(env3, "data"), "routing_keys")));
	json_decref(env1);
	json_decref(env2);
	json_decref(env3);
}

static void test_provision_operator_422_per_field(void **state)
{
	static const char *const path = "/api/v1/relay/provision/operator";
	struct mock_tenant t;
	char body[2048];
	size_t n;
	int i;

	(void)state;
	new_tenant(&t);
	expect_422(&t, path, "{}", "email");
	expect_422(&t, path, "{\"email\":\"no-at-sign\"}", "email");
	expect_422(&t, path, "{\"email\":\"a@b@c\"}", "email");
	expect_422(&t, path, "{\"email\":\"a b@c\"}", "email");
	expect_422(&t, path, "{\"email\":\"a@b\",\"display_name\":\"\"}", "display_name");
	expect_422(&t, path, "{\"email\":\"a@b\",\"routing_keys\":\"store-1\"}", "routing_keys");
	expect_422(&t, path, "{\"email\":\"a@b\",\"routing_keys\":[\"\"]}", "routing_keys");
	expect_422(&t, path, "{\"email\":\"a@b\",\"routing_keys\":[1]}", "routing_keys");
	n = (size_t)snprintf(body, sizeof(body), "{\"email\":\"a@b\",\"routing_keys\":[");
	for (i = 0; i < 101; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%s\"k\"", i ? "," : "");
	snprintf(body + n, sizeof(body) - n, "]}");
	expect_422(&t, path, body, "routing_keys");
}

/* ---- §6.5 operator token -------------------------------------------------- */

static void test_mint_operator_token_tids(void **state)
{
	static const char *const path = "/api/v1/relay/mint/operator-token";
	struct mock_tenant a, b;
	char body[256], op_id[64];
	long status;
	json_t *env, *claims, *tids;

	(void)state;
	new_tenant(&a);
	new_tenant(&b);
	env = relay(&a, "POST", "/api/v1/relay/provision/operator",
		    "{\"email\":\"o@shop.example\"}", &status);
	assert_int_equal(status, 201);
	snprintf(op_id, sizeof(op_id), "%s",
		 json_string_value(json_object_get(json_object_get(env, "data"), "operator_id")));
	json_decref(env);

	snprintf(body, sizeof(body), "{\"operator_id\":\"%s\",\"ttl_seconds\":120}", op_id);
	env = relay(&a, "POST", path, body, &status);
	assert_int_equal(status, 201);
	assert_string_equal(json_string_value(json_object_get(env, "message")),
			    "Operator token minted.");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(env, "data"), "expires_at")),
		"2026-06-21T10:02:00Z");
	claims = claims_of(
		json_string_value(json_object_get(json_object_get(env, "data"), "operator_token")),
		"HS256");
	assert_string_equal(json_string_value(json_object_get(claims, "iss")),
			    "bloonio-mock-relay");
	assert_string_equal(json_string_value(json_object_get(claims, "sub")), op_id);
	tids = json_object_get(claims, "tids");
	assert_int_equal(json_object_size(tids), 1);
	assert_string_equal(json_string_value(json_object_get(tids, a.tenant_id)), "operator");
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")), NOW_MS / 1000 + 120);
	json_decref(claims);
	json_decref(env);

	/* §6.6: tenant B cannot mint a token for tenant A's operator */
	env = relay(&b, "POST", path, body, &status);
	expect_error(env, status, 404, "operator_not_found", NULL);
	env = relay(&a, "POST", path, "{\"operator_id\":\"op_unknown\"}", &status);
	expect_error(env, status, 404, "operator_not_found", NULL);
	expect_422(&a, path, "{}", "operator_id");
	expect_422(&a, path, "{\"operator_id\":7}", "operator_id");
	{
		char longer[400], a300[301];

		memset(a300, 'a', 300);
		a300[300] = '\0';
		snprintf(longer, sizeof(longer), "{\"operator_id\":\"op_%s\"}", a300);
		env = relay(&a, "POST", path, longer, &status);
		expect_error(env, status, 404, "operator_not_found", NULL);
	}
	snprintf(body, sizeof(body), "{\"operator_id\":\"%s\",\"ttl_seconds\":30}", op_id);
	expect_422(&a, path, body, "ttl_seconds");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_conversation_defaults_exact_body),
		cmocka_unit_test(test_create_conversation_keeps_given_fields),
		cmocka_unit_test(test_create_conversation_422_per_field),
		cmocka_unit_test(test_create_conversation_bad_json_is_400),
		cmocka_unit_test(test_relay_routes_require_hmac1),
		cmocka_unit_test(test_relay_routes_refuse_suspended_tenant),
		cmocka_unit_test(test_fetch_conversation_and_isolation),
		cmocka_unit_test(test_send_message_exact_body),
		cmocka_unit_test(test_send_message_rules),
		cmocka_unit_test(test_fetch_messages_pages_oldest_first),
		cmocka_unit_test(test_message_cap_is_507),
		cmocka_unit_test(test_mint_visitor_token_claims),
		cmocka_unit_test(test_mint_visitor_token_defaults_and_422),
		cmocka_unit_test(test_minted_token_refreshes_same_session),
		cmocka_unit_test(test_visitor_user_id_counts_characters),
		cmocka_unit_test(test_provision_operator_idempotent),
		cmocka_unit_test(test_provision_operator_422_per_field),
		cmocka_unit_test(test_mint_operator_token_tids),
	};

	return cmocka_run_group_tests(tests, group_setup, mock_shared_stop);
}
