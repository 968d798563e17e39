/*
 * fuzz_relay_body.c - the JSON bodies of the relay API (SPEC §6) and of
 * create/visitor-session (§7.1), through the real route handlers.
 *
 * One relay_state (stores, token key; its callback worker and WebSocket loop idle)
 * lives for the whole run and is reset before each input, then holds one tenant
 * allowing https://shop.demo.com, one conversation and one operator. The first byte
 * picks the route (and, for the widget route, whether an Origin header came); the
 * rest is the body, in which "@T", "@W", "@C" and "@O" are replaced by that tenant's
 * id, widget key, conversation id and operator id so the fuzzer can reach past the
 * 404s. The handler runs as relay_http would call it after the HMAC#1 gate.
 *
 * Invariants: the handler always answers; the status is one the route documents and
 * never 5xx but 507; the envelope's status_code is the HTTP status; a 400 means the
 * body is not a JSON object; a 422 names one of the route's fields; an accepted value
 * is inside SPEC's ranges.
 */
#include <string.h>

#include "fuzz.h"
#include "conv_store.h"
#include "relay_fields.h"
#include "relay_journal.h"
#include "operator_store.h"
#include "relay_router.h"
#include "relay_state_build.h"
#include "tenant_store.h"
#include "tenant_fields.h"
#include "relay_text.h"

#define NOW_MS   1781344800000LL
#define BODY_MAX 65536 /* §1.7: relay_http never hands a handler more */

struct route_case {
	const struct relay_route *table;
	const char *path;
	const char *fields[8]; /* error.field values the route may name in a 422 */
};

static const struct route_case cases[] = {
	{routes_relay,
	 "/api/v1/relay/create/conversation",
	 {"visitor_user_id", "visitor_display_name", "locale", "metadata"}},
	{routes_relay, "/api/v1/relay/send/message", {"conversation_id", "role", "content"}},
	{routes_relay,
	 "/api/v1/relay/mint/visitor-token",
	 {"visitor_user_id", "visitor_email_hash", "ttl_seconds"}},
	{routes_relay,
	 "/api/v1/relay/provision/operator",
	 {"email", "display_name", "routing_keys"}},
	{routes_relay, "/api/v1/relay/mint/operator-token", {"operator_id", "ttl_seconds"}},
	{routes_widget,
	 "/api/v1/create/visitor-session",
	 {"tenant_id", "widget_public_key", "origin", "locale", "metadata", "routing_key", "mode"}},
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static struct relay_state *st;

static struct fixture {
	char tenant_id[UUID_STR_LEN + 1];
	char widget_key[KEY_STR_LEN + 1];
	char conversation_id[64];
	char operator_id[64];
} fx;

static route_handler find_handler(const struct relay_route *table, const char *path)
{
	for (; table->path != NULL; table++) {
		if (strcmp(table->method, "POST") == 0 && strcmp(table->path, path) == 0)
			return table->handler;
	}
	FUZZ_CHECK(!"route not found");
	return NULL;
}

/* Empties the state and provisions the tenant, conversation and operator. */
static void setup(void)
{
	struct tenant_fields tf;
	struct conv_fields cf = {"visitor-1", NULL, NULL, NULL};
	struct operator_fields of = {"op@demo.com", false, NULL, false, NULL};
	const char *field, *reason;
	json_t *body, *data = NULL, *op = NULL;
	bool created;

	if (st == NULL) {
		struct relay_config cfg;

		relay_config_defaults(&cfg);
		cfg.port = 0;
		st = relay_state_new(&cfg);
		FUZZ_CHECK(st != NULL);
	}
	relay_state_reset(st);
	body = json_pack("{s:s, s:[s]}", "tenant_name", "Fuzz", "allowed_origins",
			 "https://shop.demo.com");
	tenant_fields_init(&tf);
	FUZZ_CHECK(tenant_fields_parse(body, TENANT_PARSE_PROVISION, &tf, &field, &reason) ==
		   RELAY_OK);
	FUZZ_CHECK(tenant_store_create(st->store, &tf, NOW_MS, &data) == RELAY_OK);
	tenant_fields_cleanup(&tf);
	json_decref(body);
	snprintf(fx.tenant_id, sizeof(fx.tenant_id), "%s",
		 json_string_value(json_object_get(data, "tenant_id")));
	snprintf(fx.widget_key, sizeof(fx.widget_key), "%s",
		 json_string_value(json_object_get(data, "widget_public_key")));
	json_decref(data);
	FUZZ_CHECK(conv_store_create(st->conversations, fx.tenant_id, &cf, NOW_MS, NULL,
				     fx.conversation_id) == RELAY_OK);
	FUZZ_CHECK(operator_store_provision(st->operators, fx.tenant_id, &of, NOW_MS, &created,
					    &op) == RELAY_OK);
	snprintf(fx.operator_id, sizeof(fx.operator_id), "%s",
		 json_string_value(json_object_get(op, "operator_id")));
	json_decref(op);
}

/* data[0..size) with the @T @W @C @O placeholders expanded; NUL-terminated, *len set. */
static char *expand(const uint8_t *data, size_t size, size_t *len)
{
	char *out = malloc(size * 24 + 1); /* "@X" (2 bytes) grows to at most 46 */
	size_t i, o = 0;
	const char *rep;

	FUZZ_CHECK(out != NULL);
	for (i = 0; i < size; i++) {
		rep = NULL;
		if (data[i] == '@' && i + 1 < size) {
			switch (data[i + 1]) {
			case 'T':
				rep = fx.tenant_id;
				break;
			case 'W':
				rep = fx.widget_key;
				break;
			case 'C':
				rep = fx.conversation_id;
				break;
			case 'O':
				rep = fx.operator_id;
				break;
			}
		}
		if (rep != NULL) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
			i++;
		} else {
			out[o++] = (char)data[i];
		}
	}
	out[o] = '\0';
	*len = o;
	return out;
}

static int is_object_body(const char *body, size_t len)
{
	json_error_t err;
	json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	int ok = json_is_object(v);

	json_decref(v);
	return ok;
}

static int no_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	}
	return 1;
}

/* What a 201/200 returned is inside SPEC's ranges. */
static void check_accepted(size_t route, json_t *d)
{
	const char *s;

	FUZZ_CHECK(json_is_object(d));
	switch (route) {
	case 0: /* §6.1.1 */
		s = json_string_value(json_object_get(d, "visitor_user_id"));
		FUZZ_CHECK(s != NULL && s[0] != '\0' && no_control(s));
		FUZZ_CHECK(text_utf8_chars(s, strlen(s)) <= 128);
		s = json_string_value(json_object_get(d, "locale"));
		FUZZ_CHECK(s != NULL && conv_store_locale_valid(s));
		FUZZ_CHECK(json_is_object(json_object_get(d, "metadata")));
		break;
	case 1: /* §6.2.1 */
		s = json_string_value(json_object_get(d, "role"));
		FUZZ_CHECK(s != NULL && conv_store_role_valid(s));
		s = json_string_value(json_object_get(d, "content"));
		FUZZ_CHECK(s != NULL && s[0] != '\0');
		FUZZ_CHECK(text_utf8_chars(s, strlen(s)) <= CONV_CONTENT_MAX);
		break;
	case 2: /* §6.3 */
	case 4: /* §6.5 */
		FUZZ_CHECK(json_is_string(json_object_get(d, "expires_at")));
		break;
	case 3: /* §6.4 */
		s = json_string_value(json_object_get(d, "email"));
		FUZZ_CHECK(s != NULL && operator_store_email_valid(s, strlen(s)));
		break;
	case 5: /* §7.1 */
		FUZZ_CHECK(json_is_string(json_object_get(d, "visitor_token")));
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int allowed[] = {200, 201, 400, 401, 403, 404, 422, 507};
	struct relay_request req;
	struct relay_response resp;
	struct journal_entry je;
	const struct route_case *rc;
	json_t *env, *err, *field;
	size_t route, len, i;
	char *body, *text;
	int ok;

	if (size < 1 || size > BODY_MAX)
		return 0;
	route = data[0] % N_CASES;
	rc = &cases[route];
	setup();
	body = expand(data + 1, size - 1, &len);
	if (len > BODY_MAX) {
		free(body);
		return 0;
	}

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	memset(&je, 0, sizeof(je));
	req.st = st;
	req.method = "POST";
	req.path = rc->path;
	req.query = "";
	req.body = body;
	req.body_len = len;
	req.now_ms = NOW_MS;
	req.origin = (data[0] / N_CASES) % 2 ? "https://SHOP.demo.com:443" : NULL;
	req.journal = &je;
	if (rc->table == routes_relay)
		memcpy(req.tenant_id, fx.tenant_id, sizeof(fx.tenant_id)); /* the HMAC#1 gate */
	find_handler(rc->table, rc->path)(&req, &resp);

	FUZZ_CHECK(resp.raw == NULL && !resp.drop);
	ok = 0;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		ok |= resp.status == allowed[i];
	FUZZ_CHECK(ok);
	env = resp.envelope;
	FUZZ_CHECK(json_is_object(env));
	FUZZ_CHECK(json_integer_value(json_object_get(env, "status_code")) == resp.status);
	FUZZ_CHECK(json_is_string(json_object_get(env, "message")));
	text = json_dumps(env, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	free(text);
	if (resp.status == 400)
		FUZZ_CHECK(!is_object_body(body, len));
	if (resp.status >= 400) {
		FUZZ_CHECK(json_is_null(json_object_get(env, "data")));
		err = json_object_get(env, "error");
		FUZZ_CHECK(json_is_string(json_object_get(err, "code")));
		field = json_object_get(err, "field");
		if (resp.status == 422) {
			ok = 0;
			for (i = 0; i < 8 && rc->fields[i] != NULL; i++)
				ok |= field != NULL &&
				      strcmp(json_string_value(field), rc->fields[i]) == 0;
			FUZZ_CHECK(ok);
		}
	} else {
		check_accepted(route, json_object_get(env, "data"));
	}
	response_cleanup(&resp);
	free(body);
	return 0;
}
