/*
 * cases_more.c - further rules of SPEC.md §2, §4, §5, §6, §7: the admin key's edge
 * cases, pagination, classic signing bugs, unsigned query strings, rate-limit scope,
 * widget modes and refresh lifetimes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"

#define CREATE_CONV "/api/v1/relay/create/conversation"
#define BODY        "{\"visitor_user_id\":\"user-123\"}"

static void admin_key_duplicated(struct case_ctx *x)
{
	char key[1200];
	const char *h[3];

	snprintf(key, sizeof(key), "X-Admin-Key: %s", x->s->cfg.admin_key);
	h[0] = key;
	h[1] = key;
	h[2] = "Content-Type: application/json";
	req_raw(x, "POST", "/api/v1/provision/tenant", h, 3, "{\"tenant_name\":\"dup\"}", 21);
	expect_status(x, 401, "invalid_admin_key");
}

static void admin_update_unknown(struct case_ctx *x)
{
	req_admin(x, "POST", "/api/v1/update/tenant?tenant_id=019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
		  "{\"agent_seats\":2}");
	expect_status(x, 404, "tenant_not_found");
}

static void admin_provision_unknown_fields(struct case_ctx *x)
{
	req_admin(x, "POST", "/api/v1/provision/tenant",
		  "{\"tenant_name\":\"Unknown Fields\",\"feature_flags\":{\"x\":true},\"zz\":1}");
	expect_status(x, 201, NULL);
}

static void admin_fetch_tenants_offset(struct case_ctx *x)
{
	json_t *items;

	req_admin(x, "GET", "/api/v1/fetch/tenants?limit=5&offset=2147483647", NULL);
	if (!expect_status(x, 200, NULL))
		return;
	items = json_object_get(resp_data(x), "items");
	expect_true(x, json_is_array(items) && json_array_size(items) == 0,
		    "offset >= total gives items: [] (§2.9.3)");
}

static void admin_fetch_tenants_bad_offset(struct case_ctx *x)
{
	req_admin(x, "GET", "/api/v1/fetch/tenants?offset=-1", NULL);
	expect_status(x, 400, "malformed_request");
}

/* Classic bug: signing with the secret without its "sk_" prefix (§4.3.1: the whole string). */
static void hmac1_secret_without_prefix(struct case_ctx *x)
{
	struct tenant bare = x->t;

	if (strncmp(x->t.secret, "sk_", 3) != 0) {
		case_skip(x, "the tenant secret has no sk_ prefix");
		return;
	}
	memmove(bare.secret, bare.secret + 3, strlen(bare.secret) - 2);
	req_signed(x, &bare, "POST", CREATE_CONV, BODY);
	expect_status(x, 401, "invalid_signature");
}

/* Observation (§4.2.5, Known deviations): the query string is not signed. */
static void hmac1_query_not_signed(struct case_ctx *x)
{
	char path[256], h[3][160], ts[32];
	const char *lines[3] = {h[0], h[1], h[2]};
	struct hmac1_signed sig;
	const char *id;

	req_signed(x, &x->t, "POST", CREATE_CONV, BODY);
	if (!expect_status(x, 201, NULL))
		return;
	id = data_str(x, "id");
	snprintf(path, sizeof(path), "/api/v1/relay/fetch/messages?conversation_id=%s&limit=1",
		 id ? id : "");
	snprintf(ts, sizeof(ts), "%lld", (long long)relay_now_ms(x));
	if (!sign_headers(x, &x->t, ts, NULL, 0, h, &sig))
		return;
	req_raw(x, "GET", path, lines, 3, NULL, 0);
	if (!expect_status(x, 200, NULL))
		return;
	/* the same three headers on another query */
	path[strlen(path) - 1] = '2';
	req_raw(x, "GET", path, lines, 3, NULL, 0);
	if (x->resp.status == 200)
		case_info(x, "the query string is not covered by the signature: the same signed "
			     "headers were accepted on another query (documented formula, §4.2.5)");
	else
		case_info(x, "the same signed headers on another query got %ld", x->resp.status);
}

static void ratelimit_no_headers_before_step6(struct case_ctx *x)
{
	struct tenant other = x->t;

	other.secret[strlen(other.secret) - 1] ^= 1;
	req_signed(x, &other, "POST", CREATE_CONV, BODY);
	if (!expect_status(x, 401, "invalid_signature"))
		return;
	expect_true(x,
		    resp_header(x, "X-RateLimit-Limit") == NULL &&
			    resp_header(x, "X-RateLimit-Remaining") == NULL,
		    "a request refused at steps 1-5 carries no rate-limit headers (§5.6)");
}

static void ratelimit_widget_not_counted(struct case_ctx *x)
{
	struct tenant t;

	if (!tenant_provision(x, &t, "\"rate_limit_per_min\":1"))
		return;
	for (int i = 0; i < 3; i++) {
		req_visitor_session(x, &t);
		if (!expect_status(x, 201, NULL))
			return;
	}
	req_signed(x, &t, "POST", CREATE_CONV, BODY);
	expect_status(x, 201, NULL);
}

static void relay_content_too_long(struct case_ctx *x)
{
	size_t n = 10001;
	char *body;
	const char *conv;
	char id[128];
	int off;

	req_signed(x, &x->t, "POST", CREATE_CONV, BODY);
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
	req_signed(x, &x->t, "POST", "/api/v1/relay/send/message", body);
	free(body);
	expect_status(x, 422, "validation_failed");
}

static long widget_session_mode(struct case_ctx *x, const char *mode)
{
	char body[1024];
	const char *h[] = {"Content-Type: application/json"};

	snprintf(body, sizeof(body),
		 "{\"tenant_id\":\"%s\",\"widget_public_key\":\"%s\",\"origin\":\"%s\",\"mode\":"
		 "\"%s\",\"locale\":\"en\",\"routing_key\":\"store-1\",\"metadata\":{\"page\":\"/"
		 "cart\"}}",
		 x->t.id, x->t.widget_key, x->t.origin, mode);
	return req_raw(x, "POST", "/api/v1/create/visitor-session", h, 1, body, strlen(body));
}

static void widget_session_human(struct case_ctx *x)
{
	widget_session_mode(x, "human");
	expect_status(x, 201, NULL);
}

static void widget_session_bad_mode(struct case_ctx *x)
{
	const char *field;

	widget_session_mode(x, "robot");
	if (!expect_status(x, 422, "validation_failed"))
		return;
	field = resp_error_field(x);
	expect_true(x, streq(field, "mode"), "error.field \"mode\"");
}

static void widget_config_without_origin(struct case_ctx *x)
{
	char path[512];

	snprintf(path, sizeof(path),
		 "/api/v1/fetch/widget-config?tenant_id=%s&widget_public_key=%s", x->t.id,
		 x->t.widget_key);
	req_raw(x, "GET", path, NULL, 0, NULL, 0);
	expect_status(x, 200, NULL);
}

static void widget_refresh_extends(struct case_ctx *x)
{
	char tok[4096], sid[128];
	int64_t exp1 = 0, exp2 = 0;

	if (!visitor_session(x, tok, sizeof(tok), sid, sizeof(sid)))
		return;
	if (!ids_parse_rfc3339(data_str(x, "expires_at") ? data_str(x, "expires_at") : "", &exp1))
		exp1 = 0;
	if (!mock_clock_advance(x, 600000))
		return;
	req_refresh(x, tok);
	if (!expect_status(x, 200, NULL))
		return;
	if (!ids_parse_rfc3339(data_str(x, "expires_at") ? data_str(x, "expires_at") : "", &exp2))
		exp2 = 0;
	expect_true(x, exp1 > 0 && exp2 - exp1 >= 590000 && exp2 - exp1 <= 610000,
		    "the refreshed token expires one TTL after the refresh (mock clock +10 min → "
		    "expires_at +10 min, §7.4.3)");
}

const struct suite_case cases_more[] = {
	{"admin.key.duplicated", "2.1.2", REPORT_INFERRED, NEED_ADMIN,
	 "X-Admin-Key sent twice is 401 invalid_admin_key", admin_key_duplicated},
	{"admin.update.unknown-tenant", "2.1.4", REPORT_INFERRED, NEED_ADMIN,
	 "update/tenant of an unknown id is 404 tenant_not_found", admin_update_unknown},
	{"admin.provision.unknown-fields", "1.5.5", REPORT_INFERRED, NEED_ADMIN,
	 "Unknown fields (e.g. unnamed feature flags) are ignored", admin_provision_unknown_fields},
	{"admin.fetch-tenants.offset-past-end", "2.9.3", REPORT_INFERRED, NEED_ADMIN,
	 "offset past the end gives items: []", admin_fetch_tenants_offset},
	{"admin.fetch-tenants.negative-offset", "2.9.2", REPORT_INFERRED, NEED_ADMIN,
	 "offset=-1 is 400", admin_fetch_tenants_bad_offset},
	{"hmac1.signature.secret-without-prefix", "4.3.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "Signing with the secret minus its sk_ prefix is refused with 401 (the whole string "
	 "is the key, AUTH)",
	 hmac1_secret_without_prefix},
	{"hmac1.query.not-signed", "4.2.5", REPORT_INFERRED, NEED_TENANT,
	 "Observation: the query string is not part of the signed string", hmac1_query_not_signed},
	{"ratelimit.no-headers-before-step6", "5.6", REPORT_INFERRED, NEED_TENANT,
	 "A request refused at steps 1-5 carries no rate-limit headers",
	 ratelimit_no_headers_before_step6},
	{"ratelimit.widget-not-counted", "5.2", REPORT_INFERRED, NEED_ADMIN,
	 "Widget calls are not counted against rate_limit_per_min", ratelimit_widget_not_counted},
	{"relay.message.content-too-long", "6.2.1", REPORT_INFERRED, NEED_TENANT,
	 "content over 10,000 chars is 422", relay_content_too_long},
	{"widget.session.mode-human", "7.1.2", REPORT_DOCUMENTED, NEED_WIDGET,
	 "mode human, locale, routing_key and metadata are accepted (WS)", widget_session_human},
	{"widget.session.mode-invalid", "7.1.2", REPORT_INFERRED, NEED_WIDGET,
	 "mode outside bot|human is 422 field mode", widget_session_bad_mode},
	{"widget.config.no-origin-header", "7.3.2", REPORT_INFERRED, NEED_WIDGET,
	 "fetch/widget-config without an Origin header (non-browser) is allowed",
	 widget_config_without_origin},
	{"widget.refresh.new-expiry", "7.4.3", REPORT_INFERRED, NEED_WIDGET | NEED_MOCK,
	 "A refreshed token expires one TTL after the refresh (mock clock)",
	 widget_refresh_extends},
	{NULL, NULL, 0, 0, NULL, NULL}};
