/*
 * test_stores.c - the relay-API stores without HTTP (SPEC §6, §7, §13):
 * conversations, messages, operators and visitor sessions, their caps and their
 * tenant isolation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conv_store.h"
#include "operator_store.h"
#include "session_store.h"
#include "relay_text.h"

#define NOW_MS   1782036000000LL
#define TENANT_A "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0a"
#define TENANT_B "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0b"

static struct conv_fields visitor_fields(void)
{
	struct conv_fields f = {"visitor-1", NULL, NULL, NULL};

	return f;
}

static void test_conversation_object_shape(void **state)
{
	struct conv_store *s = conv_store_new();
	struct conv_fields f = visitor_fields();
	char id[PREFIXED_ID_MAX + 1];
	json_t *conv = NULL, *again = NULL;
	char *dump;

	(void)state;
	assert_int_equal(conv_store_create(s, TENANT_A, &f, NOW_MS, &conv, id), RELAY_OK);
	assert_int_equal(strncmp(id, "conv_", 5), 0);
	assert_int_equal(strlen(id), 5 + 32);
	dump = json_dumps(conv, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_non_null(dump);
	{
		char want[512];

		snprintf(want, sizeof(want),
			 "{\"id\":\"%s\",\"visitor_user_id\":\"visitor-1\","
			 "\"visitor_display_name\":null,\"locale\":\"fr\",\"metadata\":{},"
			 "\"status\":\"open\",\"created_at\":\"2026-06-21T10:00:00Z\"}",
			 id);
		assert_string_equal(dump, want);
	}
	free(dump);
	assert_int_equal(conv_store_fetch(s, TENANT_A, id, &again), RELAY_OK);
	assert_true(json_equal(conv, again));
	json_decref(conv);
	json_decref(again);
	conv_store_free(s);
}

static void test_conversation_invisible_to_other_tenant(void **state)
{
	struct conv_store *s = conv_store_new();
	struct conv_fields f = visitor_fields();
	char id[PREFIXED_ID_MAX + 1];
	json_t *page = NULL;

	(void)state;
	assert_int_equal(conv_store_create(s, TENANT_A, &f, NOW_MS, NULL, id), RELAY_OK);
	assert_int_equal(conv_store_fetch(s, TENANT_B, id, NULL), RELAY_E_CONVERSATION_NOT_FOUND);
	assert_int_equal(
		conv_store_append_message(s, TENANT_B, id, "visitor", "hi", 2, NOW_MS, NULL),
		RELAY_E_CONVERSATION_NOT_FOUND);
	assert_int_equal(conv_store_fetch_messages(s, TENANT_B, id, 50, 0, &page),
			 RELAY_E_CONVERSATION_NOT_FOUND);
	assert_int_equal(conv_store_fetch(s, TENANT_A, "conv_unknown", NULL),
			 RELAY_E_CONVERSATION_NOT_FOUND);
	conv_store_free(s);
}

static void test_messages_page_oldest_first_and_cap(void **state)
{
	struct conv_store *s = conv_store_new();
	struct conv_fields f = visitor_fields();
	char id[PREFIXED_ID_MAX + 1], text[16];
	json_t *page = NULL, *msg = NULL;
	int i;

	(void)state;
	assert_int_equal(conv_store_create(s, TENANT_A, &f, NOW_MS, NULL, id), RELAY_OK);
	for (i = 0; i < CONV_MAX_MESSAGES; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		assert_int_equal(conv_store_append_message(s, TENANT_A, id, "operator", text,
							   strlen(text), NOW_MS + i, NULL),
				 RELAY_OK);
	}
	assert_int_equal(
		conv_store_append_message(s, TENANT_A, id, "visitor", "x", 1, NOW_MS, &msg),
		RELAY_E_CAPACITY_EXCEEDED);
	assert_null(msg);
	assert_int_equal(conv_store_fetch_messages(s, TENANT_A, id, 2, 998, &page), RELAY_OK);
	assert_int_equal(json_integer_value(json_object_get(page, "total")), 1000);
	assert_int_equal(json_array_size(json_object_get(page, "items")), 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(page, "items"), 0), "content")),
			    "m998");
	json_decref(page);
	assert_int_equal(conv_store_fetch_messages(s, TENANT_A, id, 50, 5000, &page), RELAY_OK);
	assert_int_equal(json_array_size(json_object_get(page, "items")), 0);
	json_decref(page);
	conv_store_free(s);
}

static void test_conversation_cap_per_tenant(void **state)
{
	struct conv_store *s = conv_store_new();
	struct conv_fields f = visitor_fields();
	int i;

	(void)state;
	for (i = 0; i < CONV_MAX_PER_TENANT; i++)
		assert_int_equal(conv_store_create(s, TENANT_A, &f, NOW_MS, NULL, NULL), RELAY_OK);
	assert_int_equal(conv_store_create(s, TENANT_A, &f, NOW_MS, NULL, NULL),
			 RELAY_E_CAPACITY_EXCEEDED);
	/* the cap is per tenant */
	assert_int_equal(conv_store_create(s, TENANT_B, &f, NOW_MS, NULL, NULL), RELAY_OK);
	conv_store_reset(s);
	assert_int_equal(conv_store_count(s, TENANT_A), 0);
	assert_int_equal(conv_store_create(s, TENANT_A, &f, NOW_MS, NULL, NULL), RELAY_OK);
	conv_store_free(s);
}

static void test_locale_and_role_rules(void **state)
{
	(void)state;
	assert_true(conv_store_locale_valid("fr"));
	assert_true(conv_store_locale_valid("en-US"));
	assert_true(conv_store_locale_valid("zh-Hant-TW"));
	assert_false(conv_store_locale_valid("f"));
	assert_false(conv_store_locale_valid("fren"));
	assert_false(conv_store_locale_valid("en-"));
	assert_false(conv_store_locale_valid("en_US"));
	assert_false(conv_store_locale_valid("en-123456789"));
	assert_false(conv_store_locale_valid(""));
	assert_true(conv_store_role_valid("system"));
	assert_false(conv_store_role_valid("admin"));
	assert_false(conv_store_role_valid("Visitor"));
	assert_int_equal(text_utf8_chars("\xc3\xa9t\xc3\xa9", 5), 3);
}

static void test_operator_idempotent_on_lowercased_email(void **state)
{
	struct operator_store *s = operator_store_new();
	struct operator_fields f = {"Ann@Shop.Example", true, "Ann", true, NULL};
	json_t *op1 = NULL, *op2 = NULL, *keys = json_pack("[s]", "store-1");
	bool created = false;

	(void)state;
	assert_int_equal(operator_store_provision(s, TENANT_A, &f, NOW_MS, &created, &op1),
			 RELAY_OK);
	assert_true(created);
	assert_string_equal(json_string_value(json_object_get(op1, "email")), "ann@shop.example");
	assert_true(json_is_null(json_object_get(op1, "routing_keys")));

	f.email = "ann@shop.example";
	f.has_display_name = false;
	f.routing_keys = keys;
	assert_int_equal(operator_store_provision(s, TENANT_A, &f, NOW_MS + 5, &created, &op2),
			 RELAY_OK);
	assert_false(created);
	assert_string_equal(json_string_value(json_object_get(op1, "operator_id")),
			    json_string_value(json_object_get(op2, "operator_id")));
	assert_string_equal(json_string_value(json_object_get(op2, "display_name")), "Ann");
	assert_true(json_equal(json_object_get(op2, "routing_keys"), keys));
	assert_false(json_is_true(json_object_get(op2, "created")));

	assert_int_equal(
		operator_store_find(s, TENANT_A,
				    json_string_value(json_object_get(op1, "operator_id"))),
		RELAY_OK);
	assert_int_equal(
		operator_store_find(s, TENANT_B,
				    json_string_value(json_object_get(op1, "operator_id"))),
		RELAY_E_OPERATOR_NOT_FOUND);
	/* the same email in another tenant is another operator */
	assert_int_equal(operator_store_provision(s, TENANT_B, &f, NOW_MS, &created, NULL),
			 RELAY_OK);
	assert_true(created);
	json_decref(op1);
	json_decref(op2);
	json_decref(keys);
	operator_store_free(s);
}

static void test_operator_cap_per_tenant(void **state)
{
	struct operator_store *s = operator_store_new();
	struct operator_fields f = {NULL, false, NULL, false, NULL};
	char email[64];
	bool created;
	int i;

	(void)state;
	for (i = 0; i < OPERATORS_MAX_PER_TENANT; i++) {
		snprintf(email, sizeof(email), "op%d@example.com", i);
		f.email = email;
		assert_int_equal(operator_store_provision(s, TENANT_A, &f, NOW_MS, &created, NULL),
				 RELAY_OK);
	}
	f.email = "one-more@example.com";
	assert_int_equal(operator_store_provision(s, TENANT_A, &f, NOW_MS, &created, NULL),
			 RELAY_E_CAPACITY_EXCEEDED);
	/* re-provisioning an existing one still works at the cap */
	f.email = "op7@example.com";
	assert_int_equal(operator_store_provision(s, TENANT_A, &f, NOW_MS, &created, NULL),
			 RELAY_OK);
	assert_false(created);
	operator_store_free(s);
}

static void test_email_rule(void **state)
{
	(void)state;
	assert_true(operator_store_email_valid("a@b", 3));
	assert_false(operator_store_email_valid("ab", 2));
	assert_false(operator_store_email_valid("@b", 2));
	assert_false(operator_store_email_valid("a@", 2));
	assert_false(operator_store_email_valid("a@b@c", 5));
	assert_false(operator_store_email_valid("a b@c", 5));
}

static struct visitor_session sample_session(const char *id, const char *tenant, int64_t at)
{
	struct visitor_session v;

	memset(&v, 0, sizeof(v));
	snprintf(v.session_id, sizeof(v.session_id), "%s", id);
	snprintf(v.tenant_id, sizeof(v.tenant_id), "%s", tenant);
	snprintf(v.conversation_id, sizeof(v.conversation_id), "conv_x");
	v.created_ms = at;
	v.ttl_s = 3600;
	return v;
}

static void test_session_find_is_tenant_scoped(void **state)
{
	struct session_store *s = session_store_new();
	struct visitor_session v = sample_session("vs_1", TENANT_A, NOW_MS), out;

	(void)state;
	assert_int_equal(session_store_add(s, &v, NOW_MS), RELAY_OK);
	assert_int_equal(session_store_find(s, TENANT_A, "vs_1", &out), RELAY_OK);
	assert_string_equal(out.conversation_id, "conv_x");
	assert_int_equal(session_store_find(s, TENANT_B, "vs_1", &out), RELAY_E_INVALID_TOKEN);
	assert_int_equal(session_store_find(s, TENANT_A, "vs_2", &out), RELAY_E_INVALID_TOKEN);
	session_store_remove(s, "vs_1");
	assert_int_equal(session_store_find(s, TENANT_A, "vs_1", &out), RELAY_E_INVALID_TOKEN);
	assert_int_equal(session_store_add(s, &v, NOW_MS), RELAY_OK);
	session_store_reset(s);
	assert_int_equal(session_store_count(s), 0);
	session_store_free(s);
}

static void test_sessions_cap_evicts_only_expired(void **state)
{
	struct session_store *s = session_store_new();
	struct visitor_session v;
	char id[32];
	int i, refused = 0;

	(void)state;
	for (i = 0; i < SESSIONS_MAX + 64 && refused == 0; i++) {
		snprintf(id, sizeof(id), "vs_%d", i);
		v = sample_session(id, TENANT_A, NOW_MS);
		if (session_store_add(s, &v, NOW_MS) == RELAY_E_CAPACITY_EXCEEDED)
			refused = 1;
	}
	assert_true(refused);
	assert_true(session_store_count(s) <= SESSIONS_MAX);
	/* 30 days later the oldest sessions make room */
	v = sample_session(id, TENANT_A, NOW_MS + SESSION_MAX_AGE_MS);
	assert_int_equal(session_store_add(s, &v, NOW_MS + SESSION_MAX_AGE_MS), RELAY_OK);
	session_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversation_object_shape),
		cmocka_unit_test(test_conversation_invisible_to_other_tenant),
		cmocka_unit_test(test_messages_page_oldest_first_and_cap),
		cmocka_unit_test(test_conversation_cap_per_tenant),
		cmocka_unit_test(test_locale_and_role_rules),
		cmocka_unit_test(test_operator_idempotent_on_lowercased_email),
		cmocka_unit_test(test_operator_cap_per_tenant),
		cmocka_unit_test(test_email_rule),
		cmocka_unit_test(test_session_find_is_tenant_scoped),
		cmocka_unit_test(test_sessions_cap_evicts_only_expired),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
