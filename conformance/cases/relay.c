/*
 * relay.c - the relay API: conversations, messages, token minting, operators
 * and tenant isolation (SPEC.md §6).
 */
#include <stdio.h>
#include <string.h>

#include "relay_clock.h"
#include "suite_fixtures.h"
#include "suite_http.h"

#define CREATE_CONV "/api/v1/relay/create/conversation"
#define SEND_MSG    "/api/v1/relay/send/message"
#define PROV_OP     "/api/v1/relay/provision/operator"
#define MINT_OP     "/api/v1/relay/mint/operator-token"
#define MINT_VT     "/api/v1/relay/mint/visitor-token"

static bool has_prefix_hex32(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (s == NULL || strncmp(s, prefix, n) != 0 || strlen(s) != n + 32)
		return false;
	for (s += n; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* Creates a conversation for t; its id into out. */
static bool make_conversation(struct case_ctx *x, const struct suite_tenant *t, char *out,
			      size_t size)
{
	req_signed(x, t, "POST", CREATE_CONV,
		   "{\"visitor_user_id\":\"user-123\",\"visitor_display_name\":\"Mary\","
		   "\"locale\":\"en\",\"metadata\":{\"order\":\"A-1\"}}");
	if (!expect_status(x, 201, NULL))
		return false;
	snprintf(out, size, "%s", data_str(x, "id") ? data_str(x, "id") : "");
	return expect_true(x, out[0] != '\0', "data.id of the new conversation");
}

static void relay_conversation_create(struct case_ctx *x)
{
	char id[128];
	json_t *d;

	if (!make_conversation(x, &x->t, id, sizeof(id)) || !expect_envelope(x))
		return;
	d = resp_data(x);
	expect_true(x,
		    has_prefix_hex32(id, "conv_") &&
			    streq(data_str(x, "visitor_user_id"), "user-123") &&
			    streq(data_str(x, "locale"), "en") && data_str(x, "status") &&
			    streq(data_str(x, "status"), "open") &&
			    json_is_object(json_object_get(d, "metadata")) &&
			    data_str(x, "created_at") != NULL,
		    "conversation object {id conv_<32 hex>, visitor_user_id, visitor_display_name, "
		    "locale, metadata, status \"open\", created_at} (§6.1.2)");
}

static void relay_conversation_default_locale(struct case_ctx *x)
{
	req_signed(x, &x->t, "POST", CREATE_CONV, "{\"visitor_user_id\":\"user-9\"}");
	if (!expect_status(x, 201, NULL))
		return;
	expect_true(x, data_str(x, "locale") && streq(data_str(x, "locale"), "fr"),
		    "locale defaults to \"fr\" (§6.1.1)");
}

static void relay_conversation_fetch(struct case_ctx *x)
{
	char id[128], path[256];

	if (!make_conversation(x, &x->t, id, sizeof(id)))
		return;
	snprintf(path, sizeof(path), "/api/v1/relay/fetch/conversation?conversation_id=%s", id);
	req_signed(x, &x->t, "GET", path, NULL);
	if (!expect_status(x, 200, NULL))
		return;
	expect_true(x, data_str(x, "id") && streq(data_str(x, "id"), id),
		    "fetch/conversation returns the conversation asked for");
}

static void relay_conversation_unknown(struct case_ctx *x)
{
	req_signed(x, &x->t, "GET",
		   "/api/v1/relay/fetch/conversation?conversation_id="
		   "conv_019e4ae71a2b7c3d8e4f5a6b7c8d9e0f",
		   NULL);
	expect_status(x, 404, "conversation_not_found");
}

static void relay_conversation_invalid(struct case_ctx *x)
{
	const char *field;

	req_signed(x, &x->t, "POST", CREATE_CONV, "{\"visitor_display_name\":\"Mary\"}");
	if (!expect_status(x, 422, "validation_failed"))
		return;
	field = resp_error_field(x);
	expect_true(x, field && strcmp(field, "visitor_user_id") == 0,
		    "error.field \"visitor_user_id\"");
}

static void relay_message_send(struct case_ctx *x)
{
	char id[128], body[512];

	if (!make_conversation(x, &x->t, id, sizeof(id)))
		return;
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"Where is my "
		 "order?\"}",
		 id);
	req_signed(x, &x->t, "POST", SEND_MSG, body);
	if (!expect_status(x, 201, NULL) || !expect_envelope(x))
		return;
	expect_true(x,
		    has_prefix_hex32(data_str(x, "id"), "msg_") &&
			    streq(data_str(x, "conversation_id"), id) &&
			    streq(data_str(x, "role"), "visitor") &&
			    streq(data_str(x, "content"), "Where is my order?"),
		    "message object {id msg_<32 hex>, conversation_id, role, content, created_at} "
		    "(§6.2.3)");
}

static void relay_message_invalid(struct case_ctx *x)
{
	const char *id_case = x->meta->id;
	char id[128], body[512];
	const char *want;
	const char *field;

	if (!make_conversation(x, &x->t, id, sizeof(id)))
		return;
	if (strcmp(id_case, "relay.message.role-invalid") == 0) {
		snprintf(body, sizeof(body),
			 "{\"conversation_id\":\"%s\",\"role\":\"admin\",\"content\":\"hi\"}", id);
		want = "role";
	} else {
		snprintf(body, sizeof(body),
			 "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"\"}", id);
		want = "content";
	}
	req_signed(x, &x->t, "POST", SEND_MSG, body);
	if (!expect_status(x, 422, "validation_failed"))
		return;
	field = resp_error_field(x);
	expect_true(x, field && strcmp(field, want) == 0, "error.field \"%s\"", want);
}

static void relay_message_unknown_conversation(struct case_ctx *x)
{
	req_signed(x, &x->t, "POST", SEND_MSG,
		   "{\"conversation_id\":\"conv_019e4ae71a2b7c3d8e4f5a6b7c8d9e0f\",\"role\":"
		   "\"visitor\",\"content\":\"hi\"}");
	expect_status(x, 404, "conversation_not_found");
}

static void relay_messages_fetch(struct case_ctx *x)
{
	char id[128], body[512], path[256];
	json_t *items;

	if (!make_conversation(x, &x->t, id, sizeof(id)))
		return;
	for (int i = 1; i <= 3; i++) {
		snprintf(body, sizeof(body),
			 "{\"conversation_id\":\"%s\",\"role\":\"%s\",\"content\":\"m%d\"}", id,
			 i == 2 ? "operator" : "visitor", i);
		req_signed(x, &x->t, "POST", SEND_MSG, body);
		if (!expect_status(x, 201, NULL))
			return;
	}
	snprintf(path, sizeof(path), "/api/v1/relay/fetch/messages?conversation_id=%s&limit=2", id);
	req_signed(x, &x->t, "GET", path, NULL);
	if (!expect_status(x, 200, NULL))
		return;
	items = json_object_get(resp_data(x), "items");
	expect_true(x,
		    json_array_size(items) == 2 &&
			    json_integer_value(json_object_get(resp_data(x), "total")) == 3 &&
			    streq(json_string_value(
					  json_object_get(json_array_get(items, 0), "content")),
				  "m1"),
		    "{items: 2 oldest first (m1, m2), total: 3} with limit=2 (§6.2.5)");
}

static void relay_visitor_token_mint(struct case_ctx *x)
{
	const char *tok;
	json_t *hdr, *claims;
	json_int_t iat, exp;

	req_signed(x, &x->t, "POST", MINT_VT,
		   "{\"visitor_user_id\":\"user-123\",\"visitor_email_hash\":\"sha256:"
		   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
		   "\"ttl_seconds\":600}");
	if (!expect_status(x, 201, NULL))
		return;
	tok = data_str(x, "visitor_token");
	if (!expect_true(x, jwt_segments(tok) == 3, "visitor_token a JWT of 3 base64url parts"))
		return;
	hdr = jwt_part(tok, 0);
	claims = jwt_part(tok, 1);
	iat = json_integer_value(json_object_get(claims, "iat"));
	exp = json_integer_value(json_object_get(claims, "exp"));
	expect_true(x,
		    hdr && claims &&
			    streq(json_string_value(json_object_get(hdr, "alg")), "HS256") &&
			    streq(json_string_value(json_object_get(claims, "sub")), "user-123") &&
			    streq(json_string_value(json_object_get(claims, "tid")), x->t.id) &&
			    exp - iat == 600 && data_str(x, "expires_at") != NULL,
		    "HS256 JWT with sub = visitor_user_id, tid, exp = iat + ttl_seconds (§6.3.3)");
	json_decref(hdr);
	json_decref(claims);
}

static void relay_visitor_token_ttl(struct case_ctx *x)
{
	req_signed(x, &x->t, "POST", MINT_VT,
		   "{\"visitor_user_id\":\"user-123\",\"ttl_seconds\":59}");
	expect_status(x, 422, "validation_failed");
}

/*
 * provision/operator with body, where "EMAIL" stands for an address unique to this case
 * run (the tenant may be shared, without an admin key). The same address within a case.
 */
static bool provision_operator(struct case_ctx *x, const char *body, long status)
{
	static unsigned run_counter;
	static char email[96];
	static const struct report_case *owner;
	char real[1024];
	const char *at = strstr(body, "EMAIL");

	if (owner != x->rcase) {
		owner = x->rcase;
		snprintf(email, sizeof(email), "merchant-%lld-%u@shop.example",
			 (long long)relay_clock_real_ms(), ++run_counter);
	}
	if (at == NULL)
		snprintf(real, sizeof(real), "%s", body);
	else
		snprintf(real, sizeof(real), "%.*s%s%s", (int)(at - body), body, email, at + 5);
	req_signed(x, &x->t, "POST", PROV_OP, real);
	return expect_status(x, status, NULL);
}

static void relay_operator_provision(struct case_ctx *x)
{
	json_t *created;

	if (!provision_operator(x,
				"{\"email\":\"EMAIL\",\"display_name\":\"Shop\","
				"\"routing_keys\":[\"store-1\"]}",
				201))
		return;
	created = json_object_get(resp_data(x), "created");
	expect_true(x, json_is_true(created) && data_str(x, "operator_id") != NULL,
		    "201 with data.operator_id and created: true (OP)");
}

static void relay_operator_idempotent(struct case_ctx *x)
{
	char first[128];
	json_t *keys;

	if (!provision_operator(x, "{\"email\":\"EMAIL\",\"routing_keys\":[\"store-1\"]}", 201))
		return;
	snprintf(first, sizeof(first), "%s",
		 data_str(x, "operator_id") ? data_str(x, "operator_id") : "");
	if (!provision_operator(x, "{\"email\":\"EMAIL\",\"routing_keys\":[\"store-2\"]}", 200))
		return;
	keys = json_object_get(resp_data(x), "routing_keys");
	expect_true(x,
		    json_is_false(json_object_get(resp_data(x), "created")) &&
			    data_str(x, "operator_id") && streq(data_str(x, "operator_id"), first),
		    "re-provisioning the same email is 200, created: false, same operator_id (OP)");
	expect_true(x,
		    json_array_size(keys) == 1 &&
			    streq(json_string_value(json_array_get(keys, 0)), "store-2"),
		    "re-provisioning refreshes routing_keys (OP)");
}

static void relay_operator_no_password(struct case_ctx *x)
{
	if (!provision_operator(x, "{\"email\":\"EMAIL\"}", 201))
		return;
	expect_true(x, strstr(x->resp.body, "password") == NULL,
		    "the operator's password is never returned (OP)");
}

static void relay_operator_token(struct case_ctx *x)
{
	char body[256];
	json_t *claims, *tids;

	if (!provision_operator(x, "{\"email\":\"EMAIL\"}", 201))
		return;
	snprintf(body, sizeof(body), "{\"operator_id\":\"%s\"}",
		 data_str(x, "operator_id") ? data_str(x, "operator_id") : "");
	req_signed(x, &x->t, "POST", MINT_OP, body);
	if (!expect_status(x, 201, NULL))
		return;
	claims = jwt_part(data_str(x, "operator_token"), 1);
	tids = json_object_get(claims, "tids");
	expect_true(x,
		    json_is_object(tids) && json_object_size(tids) == 1 &&
			    json_is_string(json_object_get(tids, x->t.id)),
		    "operator token scope tids = {<calling tenant_id>: role} only (TEN)");
	json_decref(claims);
}

static void relay_operator_token_unknown(struct case_ctx *x)
{
	req_signed(x, &x->t, "POST", MINT_OP,
		   "{\"operator_id\":\"op_019e4ae71a2b7c3d8e4f5a6b7c8d9e0f\"}");
	expect_status(x, 404, "operator_not_found");
}

/* ---- §6.6 isolation: tenant B asks for tenant A's objects */

static void relay_isolation(struct case_ctx *x)
{
	struct suite_tenant b;
	char id[128], path[256], body[512];
	const char *which = x->meta->id;

	if (!tenant_provision(x, &b, NULL))
		return;
	if (strcmp(which, "relay.isolation.operator-token") == 0) {
		if (!provision_operator(x, "{\"email\":\"EMAIL\"}", 201))
			return;
		snprintf(body, sizeof(body), "{\"operator_id\":\"%s\"}",
			 data_str(x, "operator_id") ? data_str(x, "operator_id") : "");
		req_signed(x, &b, "POST", MINT_OP, body);
		expect_status(x, 404, "operator_not_found");
		return;
	}
	if (!make_conversation(x, &x->t, id, sizeof(id)))
		return;
	if (strcmp(which, "relay.isolation.fetch-conversation") == 0) {
		snprintf(path, sizeof(path), "/api/v1/relay/fetch/conversation?conversation_id=%s",
			 id);
		req_signed(x, &b, "GET", path, NULL);
	} else if (strcmp(which, "relay.isolation.fetch-messages") == 0) {
		snprintf(path, sizeof(path), "/api/v1/relay/fetch/messages?conversation_id=%s", id);
		req_signed(x, &b, "GET", path, NULL);
	} else {
		snprintf(body, sizeof(body),
			 "{\"conversation_id\":\"%s\",\"role\":\"operator\",\"content\":\"x\"}",
			 id);
		req_signed(x, &b, "POST", SEND_MSG, body);
	}
	expect_status(x, 404, "conversation_not_found");
}

static void relay_content_too_long(struct case_ctx *x)
{
	size_t n = 10001;
	char *body;
	const char *conv;
	char id[128];
	int off;

	req_signed(x, &x->t, "POST", CREATE_CONV, "{\"visitor_user_id\":\"user-123\"}");
	if (!expect_status(x, 201, NULL))
		return;
	conv = data_str(x, "id");
	snprintf(id, sizeof(id), "%s", conv ? conv : "");
	body = malloc(n + 256);
	if (body == NULL)
		return;
	off = snprintf(body, 256, "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"",
		       id);
	memset(body + off, 'a', n);
	strcpy(body + off + n, "\"}");
	req_signed(x, &x->t, "POST", SEND_MSG, body);
	free(body);
	expect_status(x, 422, "validation_failed");
}

const struct suite_case cases_relay[] = {
	{"relay.conversation.create", "6.1.2", REPORT_INFERRED, NEED_TENANT,
	 "create/conversation answers 201 with the conversation object", relay_conversation_create},
	{"relay.conversation.default-locale", "6.1.1", REPORT_INFERRED, NEED_TENANT,
	 "locale defaults to fr", relay_conversation_default_locale},
	{"relay.conversation.fetch", "6.1.4", REPORT_INFERRED, NEED_TENANT,
	 "fetch/conversation returns a created conversation", relay_conversation_fetch},
	{"relay.conversation.unknown", "6.1.4", REPORT_INFERRED, NEED_TENANT,
	 "An unknown conversation is 404 conversation_not_found", relay_conversation_unknown},
	{"relay.conversation.visitor-user-id-required", "6.1.1", REPORT_INFERRED, NEED_TENANT,
	 "visitor_user_id is required: 422 field visitor_user_id", relay_conversation_invalid},
	{"relay.message.send", "6.2.3", REPORT_INFERRED, NEED_TENANT,
	 "send/message answers 201 with the message object", relay_message_send},
	{"relay.message.role-invalid", "6.2.1", REPORT_INFERRED, NEED_TENANT,
	 "role outside visitor|operator|bot|system is 422 field role", relay_message_invalid},
	{"relay.message.content-empty", "6.2.1", REPORT_INFERRED, NEED_TENANT,
	 "empty content is 422 field content", relay_message_invalid},
	{"relay.message.unknown-conversation", "6.2.2", REPORT_INFERRED, NEED_TENANT,
	 "A message to an unknown conversation is 404", relay_message_unknown_conversation},
	{"relay.messages.fetch", "6.2.5", REPORT_INFERRED, NEED_TENANT,
	 "fetch/messages pages oldest first with total", relay_messages_fetch},
	{"relay.visitor-token.mint", "6.3.3", REPORT_INFERRED, NEED_TENANT,
	 "mint/visitor-token returns an HS256 JWT honouring ttl_seconds", relay_visitor_token_mint},
	{"relay.visitor-token.ttl-range", "6.3.1", REPORT_INFERRED, NEED_TENANT,
	 "ttl_seconds under 60 is 422", relay_visitor_token_ttl},
	{"relay.operator.provision", "6.4.2", REPORT_DOCUMENTED, NEED_TENANT,
	 "provision/operator answers 201 created: true with operator_id (OP)",
	 relay_operator_provision},
	{"relay.operator.idempotent", "6.4.2", REPORT_DOCUMENTED, NEED_TENANT,
	 "provision/operator is idempotent on email: 200 created: false, routing_keys refreshed "
	 "(OP)",
	 relay_operator_idempotent},
	{"relay.operator.no-password", "6.4.4", REPORT_DOCUMENTED, NEED_TENANT,
	 "The operator password is never returned (OP)", relay_operator_no_password},
	{"relay.operator-token.tids", "6.5.3", REPORT_DOCUMENTED, NEED_TENANT,
	 "An operator token's tids scope names only the calling tenant (TEN)",
	 relay_operator_token},
	{"relay.operator-token.unknown", "6.5.2", REPORT_INFERRED, NEED_TENANT,
	 "An unknown operator is 404 operator_not_found", relay_operator_token_unknown},
	{"relay.isolation.fetch-conversation", "6.6.1", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "Another tenant's conversation is 404, never 403", relay_isolation},
	{"relay.isolation.fetch-messages", "6.6.1", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "Another tenant's messages are 404", relay_isolation},
	{"relay.isolation.send-message", "6.6.1", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "Posting into another tenant's conversation is 404", relay_isolation},
	{"relay.isolation.operator-token", "6.6.1", REPORT_DOCUMENTED, NEED_ADMIN | NEED_TENANT,
	 "Tenant B cannot mint a token for tenant A's operator (TEN)", relay_isolation},
	{"relay.message.content-too-long", "6.2.1", REPORT_INFERRED, NEED_TENANT,
	 "content over 10,000 chars is 422", relay_content_too_long},
	{NULL, NULL, 0, 0, NULL, NULL}};
