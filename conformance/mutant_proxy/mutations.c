/*
 * mutations.c - the table of single-rule breaks (see mutations.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mutations.h"
#include "relay_ids.h"

const char *mut_header_get(const struct mut_response *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->n_headers; i++) {
		if (strcasecmp(rs->headers[i].name, name) == 0)
			return rs->headers[i].value;
	}
	return NULL;
}

void mut_header_remove(struct mut_response *rs, const char *name)
{
	size_t i = 0;

	while (i < rs->n_headers) {
		if (strcasecmp(rs->headers[i].name, name) != 0) {
			i++;
			continue;
		}
		free(rs->headers[i].name);
		free(rs->headers[i].value);
		memmove(&rs->headers[i], &rs->headers[i + 1],
			(rs->n_headers - i - 1) * sizeof(rs->headers[0]));
		rs->n_headers--;
	}
}

/* Replaces every header called name by one "name: value". 0 on success. */
int mut_header_set(struct mut_response *rs, const char *name, const char *value)
{
	char *n, *v;

	mut_header_remove(rs, name);
	if (rs->n_headers >= MUT_HEADERS_MAX)
		return -1;
	n = strdup(name);
	v = strdup(value);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return -1;
	}
	rs->headers[rs->n_headers].name = n;
	rs->headers[rs->n_headers].value = v;
	rs->n_headers++;
	return 0;
}

void mut_response_cleanup(struct mut_response *rs)
{
	size_t i;

	for (i = 0; i < rs->n_headers; i++) {
		free(rs->headers[i].name);
		free(rs->headers[i].value);
	}
	json_decref(rs->json);
	memset(rs, 0, sizeof(*rs));
}

/* error.code of an error envelope, or NULL. */
static const char *error_code(const struct mut_response *rs)
{
	json_t *err = json_object_get(rs->json, "error");

	return json_string_value(json_object_get(err, "code"));
}

/* Turns the response into a success envelope with status (the break "accepts" it). */
static void to_success(struct mut_response *rs, long status)
{
	json_t *env = json_pack("{s:I, s:{}, s:s}", "status_code", (json_int_t)status, "data",
				"message", "OK.");

	if (env == NULL)
		return;
	json_decref(rs->json);
	rs->json = env;
	rs->json_modified = 1;
	rs->status = status;
	mut_header_remove(rs, "Retry-After");
	if (mut_header_get(rs, "Content-Type") == NULL)
		(void)mut_header_set(rs, "Content-Type", "application/json; charset=utf-8");
}

static void accept_code(struct mut_response *rs, const char *code, long status)
{
	const char *got = error_code(rs);

	if (got != NULL && strcmp(got, code) == 0)
		to_success(rs, status);
}

static void m_none(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	(void)rs;
}

static void m_accept_stale(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	accept_code(rs, "stale_timestamp", 200);
}

static void m_accept_bad_signature(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	accept_code(rs, "invalid_signature", 200);
}

static void m_accept_missing_headers(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	accept_code(rs, "missing_signature", 200);
}

static void m_suspended_allowed(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	accept_code(rs, "tenant_suspended", 200);
}

static void add_secret(json_t *obj)
{
	if (json_is_object(obj))
		json_object_set_new(obj, "tenant_secret",
				    json_string("sk_LEAKEDLEAKEDLEAKEDLEAKEDLEAKEDLEAKEDLEAKED1"));
}

static void m_leak_secret(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *data = json_object_get(rs->json, "data"), *item;
	size_t i;

	if (rs->status != 200 || !json_is_object(data))
		return;
	if (strcmp(rq->path, "/api/v1/fetch/tenant") == 0) {
		add_secret(data);
		rs->json_modified = 1;
	} else if (strcmp(rq->path, "/api/v1/fetch/tenants") == 0) {
		json_array_foreach(json_object_get(data, "items"), i, item) add_secret(item);
		rs->json_modified = 1;
	}
}

static int is_provision(const struct mut_request *rq, const struct mut_response *rs)
{
	return strcmp(rq->path, "/api/v1/provision/tenant") == 0 && rs->status == 201 &&
	       json_is_object(rs->json);
}

static void m_wrong_provision_message(const struct mut_request *rq, struct mut_response *rs)
{
	if (!is_provision(rq, rs))
		return;
	json_object_set_new(rs->json, "message",
			    json_string("Tenant provisioned. Save tenant_secret now — it will "
					"not be shown again."));
	rs->json_modified = 1;
}

static void m_provision_status_200(const struct mut_request *rq, struct mut_response *rs)
{
	if (!is_provision(rq, rs))
		return;
	json_object_set_new(rs->json, "status_code", json_integer(200));
	rs->json_modified = 1;
	rs->status = 200;
}

static void m_no_status_code_field(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	if (json_object_get(rs->json, "status_code") == NULL)
		return;
	json_object_del(rs->json, "status_code");
	rs->json_modified = 1;
}

static void m_status_code_mismatch(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	if (json_object_get(rs->json, "status_code") == NULL)
		return;
	json_object_set_new(rs->json, "status_code", json_integer(rs->status + 1));
	rs->json_modified = 1;
}

static void m_cors_wildcard(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	if (mut_header_get(rs, "Access-Control-Allow-Origin") != NULL)
		(void)mut_header_set(rs, "Access-Control-Allow-Origin", "*");
}

static void m_cors_missing(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	mut_header_remove(rs, "Access-Control-Allow-Origin");
}

static void m_origin_not_checked(const struct mut_request *rq, struct mut_response *rs)
{
	long status = strcmp(rq->method, "POST") == 0 ? 201 : 200;
	const char *got = error_code(rs);

	if (got == NULL || strcmp(got, "origin_not_allowed") != 0)
		return;
	to_success(rs, status);
	if (rq->origin != NULL)
		(void)mut_header_set(rs, "Access-Control-Allow-Origin", rq->origin);
}

static void m_rate_limit_missing(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	accept_code(rs, "rate_limited", 200);
}

static void m_rate_limit_headers_missing(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	mut_header_remove(rs, "X-RateLimit-Limit");
	mut_header_remove(rs, "X-RateLimit-Remaining");
	mut_header_remove(rs, "X-RateLimit-Reset");
	mut_header_remove(rs, "Retry-After");
}

static void m_error_envelope_missing_code(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *err = json_object_get(rs->json, "error");

	(void)rq;
	if (!json_is_object(err) || json_object_get(err, "code") == NULL)
		return;
	json_object_del(err, "code");
	rs->json_modified = 1;
}

static void m_wrong_content_type(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	if (mut_header_get(rs, "Content-Type") != NULL)
		(void)mut_header_set(rs, "Content-Type", "text/plain; charset=utf-8");
}

static void m_cross_tenant_404_as_200(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	accept_code(rs, "conversation_not_found", 200);
	accept_code(rs, "operator_not_found", 200);
}

/* Replaces a JWT's header by {"alg":"none"} and drops its signature. */
static void unsign_token(json_t *data, const char *key, int *modified)
{
	static const char hdr[] = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
	const char *tok = json_string_value(json_object_get(data, key));
	const char *dot1, *dot2;
	char enc[64], *out;
	size_t elen, plen;

	if (tok == NULL)
		return;
	dot1 = strchr(tok, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL)
		return;
	elen = ids_base64url((const unsigned char *)hdr, sizeof(hdr) - 1, enc, sizeof(enc));
	if (elen == 0)
		return;
	plen = (size_t)(dot2 - dot1); /* ".payload" */
	out = malloc(elen + plen + 2);
	if (out == NULL)
		return;
	memcpy(out, enc, elen);
	memcpy(out + elen, dot1, plen);
	out[elen + plen] = '.';
	out[elen + plen + 1] = '\0';
	json_object_set_new(data, key, json_string(out));
	free(out);
	*modified = 1;
}

static void m_jwt_alg_none(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *data = json_object_get(rs->json, "data");

	(void)rq;
	if (!json_is_object(data))
		return;
	unsign_token(data, "visitor_token", &rs->json_modified);
	unsign_token(data, "operator_token", &rs->json_modified);
}

static void m_405_without_allow(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	if (rs->status == 405)
		mut_header_remove(rs, "Allow");
}

static void m_stale_as_invalid_signature(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *err = json_object_get(rs->json, "error");
	const char *got = error_code(rs);

	(void)rq;
	if (got == NULL || strcmp(got, "stale_timestamp") != 0)
		return;
	json_object_set_new(err, "code", json_string("invalid_signature"));
	json_object_set_new(rs->json, "message", json_string("Invalid signature."));
	rs->json_modified = 1;
}

static void m_suspended_as_401(const struct mut_request *rq, struct mut_response *rs)
{
	const char *got = error_code(rs);

	(void)rq;
	if (got == NULL || strcmp(got, "tenant_suspended") != 0)
		return;
	json_object_set_new(rs->json, "status_code", json_integer(401));
	rs->json_modified = 1;
	rs->status = 401;
}

static void m_visitor_session_message(const struct mut_request *rq, struct mut_response *rs)
{
	if (strcmp(rq->path, "/api/v1/create/visitor-session") != 0 || rs->status != 201 ||
	    !json_is_object(rs->json))
		return;
	json_object_set_new(rs->json, "message", json_string("Session created."));
	rs->json_modified = 1;
}

static void m_cors_no_vary(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	mut_header_remove(rs, "Vary");
}

static void m_operator_reprovision_201(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *data = json_object_get(rs->json, "data");

	if (strcmp(rq->path, "/api/v1/relay/provision/operator") != 0 || rs->status != 200 ||
	    !json_is_object(data))
		return;
	json_object_set_new(rs->json, "status_code", json_integer(201));
	json_object_set_new(data, "created", json_true());
	rs->json_modified = 1;
	rs->status = 201;
}

static void m_retry_after_missing(const struct mut_request *rq, struct mut_response *rs)
{
	(void)rq;
	if (rs->status == 429)
		mut_header_remove(rs, "Retry-After");
}

static void m_ratelimit_remaining_off(const struct mut_request *rq, struct mut_response *rs)
{
	const char *v = mut_header_get(rs, "X-RateLimit-Remaining");
	char buf[32];

	(void)rq;
	if (v == NULL)
		return;
	snprintf(buf, sizeof(buf), "%ld", strtol(v, NULL, 10) + 1);
	(void)mut_header_set(rs, "X-RateLimit-Remaining", buf);
}

static void m_error_field_missing(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *err = json_object_get(rs->json, "error");

	(void)rq;
	if (!json_is_object(err) || json_object_get(err, "field") == NULL)
		return;
	json_object_del(err, "field");
	rs->json_modified = 1;
}

/* Same members, message first: {"message","data","status_code"[,"error"]}. */
static void m_envelope_key_order(const struct mut_request *rq, struct mut_response *rs)
{
	static const char *const order[] = {"message", "data", "status_code", "error"};
	json_t *out, *v;
	const char *key;
	size_t i;

	(void)rq;
	if (!json_is_object(rs->json) || json_object_get(rs->json, "status_code") == NULL)
		return;
	out = json_object();
	if (out == NULL)
		return;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		v = json_object_get(rs->json, order[i]);
		if (v != NULL)
			json_object_set(out, order[i], v);
	}
	json_object_foreach(rs->json, key, v)
	{
		if (json_object_get(out, key) == NULL)
			json_object_set(out, key, v);
	}
	json_decref(rs->json);
	rs->json = out;
	rs->json_modified = 1;
}

static void m_key_prefix_wrong(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *data = json_object_get(rs->json, "data");
	const char *sk = json_string_value(json_object_get(data, "tenant_secret"));
	char *copy;

	(void)rq;
	if (sk == NULL || strncmp(sk, "sk_", 3) != 0)
		return;
	copy = strdup(sk);
	if (copy == NULL)
		return;
	copy[2] = '-';
	json_object_set_new(data, "tenant_secret", json_string(copy));
	free(copy);
	rs->json_modified = 1;
}

static void m_created_at_millis(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *data = json_object_get(rs->json, "data");
	const char *at = json_string_value(json_object_get(data, "created_at"));
	char buf[40];

	(void)rq;
	if (at == NULL || strlen(at) != 20 || at[19] != 'Z')
		return;
	snprintf(buf, sizeof(buf), "%.19s.000Z", at);
	json_object_set_new(data, "created_at", json_string(buf));
	rs->json_modified = 1;
}

static void m_messages_newest_first(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *items = json_object_get(json_object_get(rs->json, "data"), "items");
	size_t i, n = json_array_size(items);

	if (strcmp(rq->path, "/api/v1/relay/fetch/messages") != 0 || n < 2)
		return;
	for (i = 0; i < n / 2; i++) {
		json_t *a = json_incref(json_array_get(items, i));
		json_t *b = json_incref(json_array_get(items, n - 1 - i));

		json_array_set_new(items, i, b);
		json_array_set_new(items, n - 1 - i, a);
	}
	rs->json_modified = 1;
}

static void m_conversation_status(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *data = json_object_get(rs->json, "data");

	if (strncmp(rq->path, "/api/v1/relay/", 14) != 0 ||
	    !json_is_string(json_object_get(data, "status")))
		return;
	json_object_set_new(data, "status", json_string("pending"));
	rs->json_modified = 1;
}

static void m_ws_upgrade_refused(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *env;

	(void)rq;
	if (rs->status != 101)
		return;
	env = json_pack("{s:i, s:n, s:s, s:{s:s}}", "status_code", 401, "data", "message",
			"Invalid or expired token.", "error", "code", "invalid_token");
	if (env == NULL)
		return;
	json_decref(rs->json);
	rs->json = env;
	rs->json_modified = 1;
	rs->status = 401;
	mut_header_remove(rs, "Upgrade");
	mut_header_remove(rs, "Sec-WebSocket-Accept");
	(void)mut_header_set(rs, "Content-Type", "application/json; charset=utf-8");
}

static void m_suspend_status_field(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *data = json_object_get(rs->json, "data");

	if (strcmp(rq->path, "/api/v1/suspend/tenant") != 0 ||
	    !json_is_string(json_object_get(data, "status")))
		return;
	json_object_set_new(data, "status", json_string("active"));
	rs->json_modified = 1;
}

static void m_widget_config_no_is_online(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *data = json_object_get(rs->json, "data");
	json_t *wc = json_object_get(data, "widget_config");

	(void)rq;
	if (json_is_object(wc) && json_object_get(wc, "is_online") != NULL) {
		json_object_del(wc, "is_online");
		rs->json_modified = 1;
	} else if (strcmp(rq->path, "/api/v1/fetch/widget-config") == 0 &&
		   json_object_get(data, "is_online") != NULL) {
		json_object_del(data, "is_online");
		rs->json_modified = 1;
	}
}

static void m_session_no_expires_at(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *data = json_object_get(rs->json, "data");

	if (strcmp(rq->path, "/api/v1/create/visitor-session") != 0 ||
	    json_object_get(data, "expires_at") == NULL)
		return;
	json_object_del(data, "expires_at");
	rs->json_modified = 1;
}

static void m_session_id_prefix(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *data = json_object_get(rs->json, "data");
	const char *sid = json_string_value(json_object_get(data, "session_id"));
	char *copy;

	(void)rq;
	if (sid == NULL || strncmp(sid, "vs_", 3) != 0)
		return;
	copy = strdup(sid);
	if (copy == NULL)
		return;
	copy[1] = 'z';
	json_object_set_new(data, "session_id", json_string(copy));
	free(copy);
	rs->json_modified = 1;
}

static void m_fetch_tenants_total(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *data = json_object_get(rs->json, "data");
	json_t *total = json_object_get(data, "total");

	if (strcmp(rq->path, "/api/v1/fetch/tenants") != 0 || !json_is_integer(total))
		return;
	json_object_set_new(data, "total", json_integer(json_integer_value(total) + 7));
	rs->json_modified = 1;
}

/* The tenant_secret of the latest provision answer seen (the proxy serves in threads). */
static pthread_mutex_t g_secret_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_last_secret[256];

/* A relay that shows the tenant secret again, in widget-config (§2.10.1). */
static void m_leak_secret_widget_config(const struct mut_request *rq, struct mut_response *rs)
{
	json_t *data = json_object_get(rs->json, "data");
	const char *sk = json_string_value(json_object_get(data, "tenant_secret"));

	pthread_mutex_lock(&g_secret_lock);
	if (is_provision(rq, rs) && sk != NULL)
		snprintf(g_last_secret, sizeof(g_last_secret), "%s", sk);
	else if (strcmp(rq->path, "/api/v1/fetch/widget-config") == 0 && rs->status == 200 &&
		 json_is_object(data) && g_last_secret[0] != '\0') {
		json_object_set_new(data, "tenant_secret", json_string(g_last_secret));
		rs->json_modified = 1;
	}
	pthread_mutex_unlock(&g_secret_lock);
}

/*
 * Tolerated: a relay that accepts "\u0000" in visitor_user_id and echoes it back in valid
 * JSON (a 201 conversation). The suite grades the acceptance under §1.5.4 ([inferred],
 * WARN), never as a broken envelope.
 */
static void m_accept_escaped_nul(const struct mut_request *rq, struct mut_response *rs)
{
	static const char user[] = "a\0b";
	json_t *env;

	if (strcmp(rq->path, "/api/v1/relay/create/conversation") != 0 || rs->status != 400 ||
	    rq->body == NULL || memmem(rq->body, rq->body_len, "\\u0000", 6) == NULL)
		return;
	env = json_pack("{s:i, s:{s:s, s:o, s:n, s:s, s:{}, s:s, s:s}, s:s}", "status_code", 201,
			"data", "id", "conv_nul", "visitor_user_id",
			json_stringn(user, sizeof(user) - 1), "visitor_display_name", "locale",
			"fr", "metadata", "status", "open", "created_at", "2026-06-21T10:00:00Z",
			"message", "Conversation created.");
	if (env == NULL)
		return;
	json_decref(rs->json);
	rs->json = env;
	rs->json_modified = 1;
	rs->status = 201;
}

/* An unrecognized method (BREW) answered with status instead of 405, as an error envelope. */
static void brew_as(const struct mut_request *rq, struct mut_response *rs, int status,
		    const char *code, const char *message)
{
	json_t *env;

	if (strcmp(rq->method, "BREW") != 0)
		return;
	env = json_pack("{s:i, s:n, s:s, s:{s:s}}", "status_code", status, "data", "message",
			message, "error", "code", code);
	if (env == NULL)
		return;
	json_decref(rs->json);
	rs->json = env;
	rs->json_modified = 1;
	rs->status = status;
	mut_header_remove(rs, "Allow");
	(void)mut_header_set(rs, "Content-Type", "application/json; charset=utf-8");
}

/* Tolerated: 501 to an unrecognized method, as RFC 9110 §9.1 recommends. */
static void m_brew_501(const struct mut_request *rq, struct mut_response *rs)
{
	brew_as(rq, rs, 501, "not_implemented", "Not implemented.");
}

/* Any other 5xx to an unrecognized method stays a failure. */
static void m_brew_503(const struct mut_request *rq, struct mut_response *rs)
{
	brew_as(rq, rs, 503, "unavailable", "Service unavailable.");
}

static const struct mutation table[] = {
	{"none", "-", "forwards everything unchanged", m_none},
	{"accept-stale", "4.4", "401 stale_timestamp becomes a 200 success", m_accept_stale},
	{"accept-bad-signature", "4.3", "401 invalid_signature becomes a 200 success",
	 m_accept_bad_signature},
	{"accept-missing-headers", "4.1", "401 missing_signature becomes a 200 success",
	 m_accept_missing_headers},
	{"suspended-allowed", "2.7", "403 tenant_suspended becomes a 200 success",
	 m_suspended_allowed},
	{"leak-secret-on-fetch", "2.8", "fetch/tenant(s) data gains a tenant_secret",
	 m_leak_secret},
	{"wrong-provision-message", "2.2", "provision answers the Auth relay's message",
	 m_wrong_provision_message},
	{"provision-status-200", "2.2", "provision answers 200 (status and status_code)",
	 m_provision_status_200},
	{"no-status-code-field", "1.2", "envelopes lose status_code", m_no_status_code_field},
	{"status-code-mismatch", "1.2", "envelope status_code is the HTTP status + 1",
	 m_status_code_mismatch},
	{"cors-wildcard", "7.5", "Access-Control-Allow-Origin becomes *", m_cors_wildcard},
	{"cors-missing", "7.5", "Access-Control-Allow-Origin is removed", m_cors_missing},
	{"origin-not-checked", "7.1", "403 origin_not_allowed becomes a success",
	 m_origin_not_checked},
	{"rate-limit-missing", "5", "429 rate_limited becomes a 200 success", m_rate_limit_missing},
	{"rate-limit-headers-missing", "5.5", "X-RateLimit-* and Retry-After are removed",
	 m_rate_limit_headers_missing},
	{"error-envelope-missing-code", "1.3", "error envelopes lose error.code",
	 m_error_envelope_missing_code},
	{"wrong-content-type", "1.5", "Content-Type becomes text/plain", m_wrong_content_type},
	{"cross-tenant-404-as-200", "6.6",
	 "404 conversation_not_found / operator_not_found becomes a 200 success",
	 m_cross_tenant_404_as_200},
	{"jwt-alg-none", "7.2", "visitor and operator tokens get alg none and no signature",
	 m_jwt_alg_none},
	{"405-without-allow", "1.6", "405 responses lose the Allow header", m_405_without_allow},
	{"stale-as-invalid-signature", "4.5", "stale_timestamp is reported as invalid_signature",
	 m_stale_as_invalid_signature},
	{"suspended-as-401", "2.7", "tenant_suspended answers 401 instead of 403",
	 m_suspended_as_401},
	{"visitor-session-message", "7.1", "create/visitor-session answers another message",
	 m_visitor_session_message},
	{"cors-no-vary", "7.5", "the Vary header is removed", m_cors_no_vary},
	{"operator-reprovision-201", "6.4",
	 "re-provisioning an existing operator answers 201 created:true",
	 m_operator_reprovision_201},
	{"retry-after-missing", "5.5", "429 responses lose Retry-After", m_retry_after_missing},
	{"ratelimit-remaining-off-by-one", "5.5", "X-RateLimit-Remaining is one too high",
	 m_ratelimit_remaining_off},
	{"error-field-missing", "1.3", "error.field is removed from 422/400 envelopes",
	 m_error_field_missing},
	{"envelope-key-order", "1.2", "envelope keys come as message, data, status_code",
	 m_envelope_key_order},
	{"key-prefix-wrong", "2.2", "tenant_secret comes back as sk-... instead of sk_...",
	 m_key_prefix_wrong},
	{"messages-newest-first", "6.2.5", "fetch/messages lists the newest message first",
	 m_messages_newest_first},
	{"conversation-status", "6.1.2", "conversations come back with status \"pending\"",
	 m_conversation_status},
	{"ws-upgrade-refused", "8.1", "a valid WebSocket handshake is answered 401 invalid_token",
	 m_ws_upgrade_refused},
	{"suspend-status-field", "2.7", "suspend/tenant answers data.status \"active\"",
	 m_suspend_status_field},
	{"widget-config-no-is-online", "7.1", "widget_config loses is_online",
	 m_widget_config_no_is_online},
	{"session-no-expires-at", "7.1", "create/visitor-session data loses expires_at",
	 m_session_no_expires_at},
	{"session-id-prefix", "1.8", "session_id comes back as vz_... instead of vs_...",
	 m_session_id_prefix},
	{"fetch-tenants-total", "2.9", "fetch/tenants total is 7 too high", m_fetch_tenants_total},
	{"created-at-millis", "1.8", "created_at carries milliseconds (….000Z)",
	 m_created_at_millis},
	{"leak-secret-in-widget-config", "2.10.1",
	 "fetch/widget-config data carries the latest provisioned tenant_secret",
	 m_leak_secret_widget_config},
	{"accept-escaped-nul", "1.5.4",
	 "tolerated: \\u0000 in visitor_user_id is accepted (201) and echoed in valid JSON",
	 m_accept_escaped_nul},
	{"brew-501", "1.6.2", "tolerated: an unrecognized method (BREW) is 501, not 405",
	 m_brew_501},
	{"brew-503", "1.6.2", "an unrecognized method (BREW) is 503, not 405", m_brew_503},
};

const struct mutation *mutation_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	}
	return NULL;
}

const struct mutation *mutation_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}
