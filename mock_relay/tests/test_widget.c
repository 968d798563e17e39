/*
 * test_widget.c - the public widget calls over HTTP (SPEC §7): visitor
 * sessions and their JWT, widget-config, refresh (with the settable clock) and
 * CORS, each rule with a passing and a breaking case.
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

#define NOW_MS 1782036000000LL /* 2026-06-21T10:00:00Z */
#define DAY_MS 86400000LL
#define ORIGIN "https://shop.demo.com"
#define TENANT_BODY                                                                                \
	"{\"tenant_name\":\"Demo Boutique\",\"allowed_origins\":[\"https://shop.demo.com\","       \
	"\"app://bloonio_chat_flutter\"]}"

/* A call with up to three extra header lines (NULL ends); parsed body, *status, ACAO. */
struct reply {
	long status;
	json_t *env;
	char acao[300];  /* Access-Control-Allow-Origin or "" */
	char vary[64];   /* Vary or "" */
	char allow[64];  /* Allow or "" */
	int n_ac;        /* Access-Control-* headers seen */
	char ctype[64];  /* Content-Type or "" */
	size_t body_len; /* raw body length */
};

static void call(const char *method, const char *path, const char *body, const char *h1,
		 const char *h2, struct reply *r)
{
	const char *hdr[3] = {h1, h2, NULL};
	struct client_response resp;
	const char *v;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (h1 == NULL)
		hdr[0] = h2, hdr[1] = NULL;
	assert_int_equal(mock_call(mock_shared, method, path, body, 0, hdr, &resp), 0);
	r->status = resp.status;
	r->env = client_response_json(&resp);
	r->body_len = resp.body_len;
	v = client_response_header(&resp, "Access-Control-Allow-Origin");
	snprintf(r->acao, sizeof(r->acao), "%s", v != NULL ? v : "");
	v = client_response_header(&resp, "Vary");
	snprintf(r->vary, sizeof(r->vary), "%s", v != NULL ? v : "");
	v = client_response_header(&resp, "Allow");
	snprintf(r->allow, sizeof(r->allow), "%s", v != NULL ? v : "");
	v = client_response_header(&resp, "Content-Type");
	snprintf(r->ctype, sizeof(r->ctype), "%s", v != NULL ? v : "");
	for (i = 0; i < resp.n_headers; i++) {
		if (strncasecmp(resp.headers[i].name, "Access-Control-", 15) == 0)
			r->n_ac++;
	}
	client_response_cleanup(&resp);
}

static void reply_error(struct reply *r, long status, const char *code, const char *field)
{
	assert_int_equal(r->status, status);
	assert_non_null(r->env);
	assert_string_equal(mock_error_code(r->env), code);
	if (field != NULL)
		assert_string_equal(json_string_value(json_object_get(
					    json_object_get(r->env, "error"), "field")),
				    field);
	json_decref(r->env);
	r->env = NULL;
}

/* r has this status; its envelope is freed. */
static void reply_ok(struct reply *r, long status)
{
	assert_int_equal(r->status, status);
	json_decref(r->env);
	r->env = NULL;
}

static json_t *data_of(const struct reply *r)
{
	return json_object_get(r->env, "data");
}

static void new_tenant(struct mock_tenant *t)
{
	assert_int_equal(mock_provision(mock_shared, TENANT_BODY, t), 0);
}

static void admin(const char *fmt, const char *tenant_id, const char *body)
{
	char path[256];
	long status;

	snprintf(path, sizeof(path), fmt, tenant_id);
	json_decref(mock_admin(mock_shared, "POST", path, body, &status));
	assert_int_equal(status, 200);
}

/* POST create/visitor-session for t with origin (and an Origin header when hdr). */
static void create_session(const struct mock_tenant *t, const char *origin, const char *extra,
			   const char *hdr, struct reply *r)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "{\"tenant_id\":\"%s\",\"widget_public_key\":\"%s\",\"origin\":\"%s\"%s}",
		 t->tenant_id, t->widget_public_key, origin, extra != NULL ? extra : "");
	call("POST", "/api/v1/create/visitor-session", body, hdr, NULL, r);
}

/* A session's token (malloc'd) for t from ORIGIN. */
static char *session_token(const struct mock_tenant *t, char session_id[64])
{
	struct reply r;
	char *tok;

	create_session(t, ORIGIN, NULL, NULL, &r);
	assert_int_equal(r.status, 201);
	tok = strdup(json_string_value(json_object_get(data_of(&r), "visitor_token")));
	if (session_id != NULL)
		snprintf(session_id, 64, "%s",
			 json_string_value(json_object_get(data_of(&r), "session_id")));
	json_decref(r.env);
	return tok;
}

static void refresh(const char *token, const char *hdr, struct reply *r)
{
	char *auth = malloc(strlen(token) + 32);

	sprintf(auth, "Authorization: Bearer %s", token);
	call("POST", "/api/v1/refresh/visitor-token", NULL, auth, hdr, r);
	free(auth);
}

static json_t *claims_of(const char *token)
{
	jwt_t *jwt = NULL;
	char *all;
	json_t *claims;

	assert_int_equal(jwt_decode(&jwt, token, NULL, 0), 0);
	assert_string_equal(jwt_get_header(jwt, "alg"), "HS256");
	assert_string_equal(jwt_get_header(jwt, "typ"), "JWT");
	all = jwt_get_grants_json(jwt, NULL);
	claims = json_loads(all, 0, NULL);
	free(all);
	jwt_free(jwt);
	assert_non_null(claims);
	return claims;
}

static struct mock_tenant tn; /* every test's tenant, provisioned by at_now */
static char *tok;             /* with_session: a visitor token of tn from ORIGIN... */
static char sid[64];          /* ... and its session_id */

/* Every test starts at NOW on a frozen clock, with a new tenant tn. */
static int at_now(void **state)
{
	(void)state;
	if (mock_set_clock(mock_shared, NOW_MS) != 0)
		return -1;
	return mock_provision(mock_shared, TENANT_BODY, &tn);
}

/* at_now, then a visitor session of tn from ORIGIN: tok and sid. */
static int with_session(void **state)
{
	if (at_now(state) != 0)
		return -1;
	tok = session_token(&tn, sid);
	return 0;
}

static int free_session(void **state)
{
	(void)state;
	free(tok);
	tok = NULL;
	return 0;
}

/* ---- §7.1 create visitor session ------------------------------------------ */

static void test_create_session_documented_shape(void **state)
{
	struct reply r;
	json_t *d, *cfg;
	char *dump, want[2048];

	(void)state;
	create_session(&tn, ORIGIN, NULL, NULL, &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.ctype, "application/json; charset=utf-8");
	d = data_of(&r);
	assert_int_equal(strncmp(json_string_value(json_object_get(d, "session_id")), "vs_", 3), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(d, "session_id"))), 35);
	cfg = json_object_get(d, "widget_config");
	snprintf(want, sizeof(want),
		 "{\"status_code\":201,\"data\":{\"session_id\":\"%s\",\"visitor_token\":\"%s\","
		 "\"expires_at\":\"2026-06-21T11:00:00Z\",\"widget_config\":{\"tenant_name\":"
		 "\"Demo Boutique\",\"is_online\":true,\"branding_primary_color\":null}},"
		 "\"message\":\"Visitor session created.\"}",
		 json_string_value(json_object_get(d, "session_id")),
		 json_string_value(json_object_get(d, "visitor_token")));
	dump = json_dumps(r.env, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(dump, want);
	free(dump);
	assert_true(json_is_true(json_object_get(cfg, "is_online")));
	json_decref(r.env);
}

static void test_visitor_token_claims(void **state)
{
	struct reply r;
	json_t *claims, *d;
	char wpk[65];

	(void)state;
	/* §3.2: the stored origin is the normalized form */
	create_session(&tn, "https://SHOP.demo.com:443/", NULL, NULL, &r);
	assert_int_equal(r.status, 201);
	d = data_of(&r);
	claims = claims_of(json_string_value(json_object_get(d, "visitor_token")));
	assert_int_equal(json_object_size(claims), 8);
	assert_string_equal(json_string_value(json_object_get(claims, "iss")),
			    "bloonio-mock-relay");
	assert_string_equal(json_string_value(json_object_get(claims, "sub")),
			    json_string_value(json_object_get(d, "session_id")));
	assert_string_equal(json_string_value(json_object_get(claims, "sid")),
			    json_string_value(json_object_get(d, "session_id")));
	assert_string_equal(json_string_value(json_object_get(claims, "tid")), tn.tenant_id);
	assert_string_equal(json_string_value(json_object_get(claims, "origin")), ORIGIN);
	assert_int_equal(hmac1_sha256_hex(tn.widget_public_key, strlen(tn.widget_public_key), wpk),
			 RELAY_OK);
	wpk[16] = '\0';
	assert_string_equal(json_string_value(json_object_get(claims, "wpk")), wpk);
	assert_int_equal(json_integer_value(json_object_get(claims, "iat")), NOW_MS / 1000);
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")), NOW_MS / 1000 + 3600);
	json_decref(claims);
	json_decref(r.env);
}

static void test_create_session_optional_fields(void **state)
{
	struct reply r;

	(void)state;
	create_session(&tn, "app://bloonio_chat_flutter",
		       ",\"locale\":\"en\",\"metadata\":{\"page\":\"/cart\"},"
		       "\"routing_key\":\"store-12\",\"mode\":\"human\"",
		       NULL, &r);
	reply_ok(&r, 201);
	create_session(&tn, ORIGIN, ",\"routing_key\":null,\"mode\":\"bot\"", NULL, &r);
	reply_ok(&r, 201);
}

static void test_create_session_422_per_field(void **state)
{
	static const char *const path = "/api/v1/create/visitor-session";
	/* whole bodies, and the field each one gets wrong */
	static const char *const bodies[][2] = {
		{"{\"widget_public_key\":\"pk\",\"origin\":\"o\"}", "tenant_id"},
		{"{\"tenant_id\":1,\"widget_public_key\":\"pk\",\"origin\":\"o\"}", "tenant_id"},
		{"{\"tenant_id\":\"t\",\"origin\":\"o\"}", "widget_public_key"},
		{"{\"tenant_id\":\"t\",\"widget_public_key\":\"pk\"}", "origin"},
		{"{\"tenant_id\":\"t\",\"widget_public_key\":\"pk\",\"origin\":null}", "origin"},
		/* validation (422) comes before the widget key (401) */
		{"{\"tenant_id\":\"nope\",\"widget_public_key\":\"pk\","
		 "\"origin\":\"o\",\"mode\":1}",
		 "mode"},
	};
	/* optional fields added to a valid body of tn, and the field */
	static const char *const extras[][2] = {
		{",\"locale\":\"french\"", "locale"},
		{",\"metadata\":\"x\"", "metadata"},
		{",\"routing_key\":\"\"", "routing_key"},
		{",\"mode\":\"robot\"", "mode"},
	};
	struct reply r;
	char body[256], rk[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		call("POST", path, bodies[i][0], NULL, NULL, &r);
		reply_error(&r, 422, "validation_failed", bodies[i][1]);
	}
	for (i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
		create_session(&tn, ORIGIN, extras[i][0], NULL, &r);
		reply_error(&r, 422, "validation_failed", extras[i][1]);
	}
	memset(rk, 'k', 129);
	rk[129] = '\0';
	snprintf(body, sizeof(body), ",\"routing_key\":\"%s\"", rk);
	create_session(&tn, ORIGIN, body, NULL, &r);
	reply_error(&r, 422, "validation_failed", "routing_key");
	call("POST", path, "{\"tenant_id\":", NULL, NULL, &r);
	reply_error(&r, 400, "malformed_request", NULL);
}

static void test_create_session_wrong_key_or_tenant_401(void **state)
{
	struct mock_tenant t = tn, other;
	struct reply r;

	(void)state;
	new_tenant(&other);
	snprintf(t.widget_public_key, sizeof(t.widget_public_key), "%s", other.widget_public_key);
	create_session(&t, ORIGIN, NULL, NULL, &r);
	reply_error(&r, 401, "invalid_widget_key", NULL);
	snprintf(t.tenant_id, sizeof(t.tenant_id), "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f");
	create_session(&t, ORIGIN, NULL, NULL, &r);
	reply_error(&r, 401, "invalid_widget_key", NULL);
	/* 401 comes before the origin check */
	snprintf(t.tenant_id, sizeof(t.tenant_id), "%s", other.tenant_id);
	snprintf(t.widget_public_key, sizeof(t.widget_public_key), "pk_wrong");
	create_session(&t, "https://evil.example", NULL, NULL, &r);
	reply_error(&r, 401, "invalid_widget_key", NULL);
}

static void test_create_session_origin_rules(void **state)
{
	/* unlisted; look-alike, other scheme, port, path, null, empty: all refused */
	static const char *const refused[] = {
		"https://evil.example",
		"https://shop.demo.com.evil.example",
		"http://shop.demo.com",
		"https://shop.demo.com:8443",
		"https://shop.demo.com/cart",
		"null",
		"",
	};
	struct reply r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		create_session(&tn, refused[i], NULL, NULL, &r);
		reply_error(&r, 403, "origin_not_allowed", NULL);
	}
	/* the normalized form matches */
	create_session(&tn, "HTTPS://Shop.Demo.Com/", NULL, NULL, &r);
	reply_ok(&r, 201);
}

static void test_create_session_origin_header_must_agree(void **state)
{
	struct reply r;

	(void)state;
	create_session(&tn, ORIGIN, NULL, "Origin: https://shop.demo.com", &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.acao, "https://shop.demo.com");
	assert_string_equal(r.vary, "Origin");
	json_decref(r.env);
	/* equal after normalization */
	create_session(&tn, ORIGIN, NULL, "Origin: https://SHOP.demo.com:443", &r);
	reply_ok(&r, 201);
	/* a body claiming an allowed origin from a page elsewhere */
	create_session(&tn, ORIGIN, NULL, "Origin: https://evil.example", &r);
	reply_error(&r, 403, "origin_not_allowed", NULL);
	assert_string_equal(r.acao, "");
	create_session(&tn, ORIGIN, NULL, "Origin: app://bloonio_chat_flutter", &r);
	reply_error(&r, 403, "origin_not_allowed", NULL);
	create_session(&tn, ORIGIN, NULL, "Origin: null", &r);
	reply_error(&r, 403, "origin_not_allowed", NULL);
}

static void test_create_session_suspended_tenant_403(void **state)
{
	struct reply r;

	(void)state;
	admin("/api/v1/suspend/tenant?tenant_id=%s", tn.tenant_id, NULL);
	create_session(&tn, ORIGIN, NULL, NULL, &r);
	reply_error(&r, 403, "tenant_suspended", NULL);
	/* suspension is checked before the origin */
	create_session(&tn, "https://evil.example", NULL, NULL, &r);
	reply_error(&r, 403, "tenant_suspended", NULL);
	admin("/api/v1/reactivate/tenant?tenant_id=%s", tn.tenant_id, NULL);
	create_session(&tn, ORIGIN, NULL, NULL, &r);
	reply_ok(&r, 201);
}

static void test_create_session_get_is_405(void **state)
{
	struct reply r;

	(void)state;
	call("GET", "/api/v1/create/visitor-session", NULL, NULL, NULL, &r);
	assert_string_equal(r.allow, "POST, OPTIONS");
	reply_error(&r, 405, "method_not_allowed", NULL);
}

/* ---- §7.3 widget config --------------------------------------------------- */

static void test_widget_config(void **state)
{
	struct reply r;
	char path[256], *dump;

	(void)state;
	admin("/api/v1/update/tenant?tenant_id=%s", tn.tenant_id,
	      "{\"branding_primary_color\":\"#0055ff\"}");
	snprintf(path, sizeof(path),
		 "/api/v1/fetch/widget-config?tenant_id=%s&widget_public_key=%s", tn.tenant_id,
		 tn.widget_public_key);
	call("GET", path, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	dump = json_dumps(r.env, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(dump,
			    "{\"status_code\":200,\"data\":{\"tenant_name\":\"Demo Boutique\","
			    "\"is_online\":true,\"branding_primary_color\":\"#0055FF\"},"
			    "\"message\":\"Widget config fetched.\"}");
	free(dump);
	json_decref(r.env);
	/* with an allowed Origin header: 200 and ACAO */
	call("GET", path, NULL, "Origin: https://shop.demo.com", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.acao, "https://shop.demo.com");
	json_decref(r.env);
	/* with another origin: 403 */
	call("GET", path, NULL, "Origin: https://shop.demo.com.evil.example", NULL, &r);
	reply_error(&r, 403, "origin_not_allowed", NULL);
	assert_string_equal(r.acao, "");
	/* suspended */
	admin("/api/v1/suspend/tenant?tenant_id=%s", tn.tenant_id, NULL);
	call("GET", path, NULL, NULL, NULL, &r);
	reply_error(&r, 403, "tenant_suspended", NULL);
}

static void test_widget_config_refusals(void **state)
{
	struct mock_tenant other;
	struct reply r;
	char path[256];

	(void)state;
	new_tenant(&other);
	snprintf(path, sizeof(path),
		 "/api/v1/fetch/widget-config?tenant_id=%s&widget_public_key=%s", tn.tenant_id,
		 other.widget_public_key);
	call("GET", path, NULL, NULL, NULL, &r);
	reply_error(&r, 401, "invalid_widget_key", NULL);
	snprintf(path, sizeof(path),
		 "/api/v1/fetch/widget-config?tenant_id=unknown-tenant"
		 "&widget_public_key=%s",
		 tn.widget_public_key);
	call("GET", path, NULL, NULL, NULL, &r);
	reply_error(&r, 401, "invalid_widget_key", NULL);
	snprintf(path, sizeof(path), "/api/v1/fetch/widget-config?widget_public_key=%s",
		 tn.widget_public_key);
	call("GET", path, NULL, NULL, NULL, &r);
	reply_error(&r, 400, "malformed_request", "tenant_id");
	snprintf(path, sizeof(path), "/api/v1/fetch/widget-config?tenant_id=%s", tn.tenant_id);
	call("GET", path, NULL, NULL, NULL, &r);
	reply_error(&r, 400, "malformed_request", "widget_public_key");
	snprintf(path, sizeof(path),
		 "/api/v1/fetch/widget-config?tenant_id=a%%2Fb&widget_public_key=%s",
		 tn.widget_public_key);
	call("GET", path, NULL, NULL, NULL, &r);
	reply_error(&r, 400, "malformed_request", "tenant_id");
}

/* ---- §7.4 refresh --------------------------------------------------------- */

static void test_refresh_same_session_new_token(void **state)
{
	struct reply r;
	json_t *claims;

	(void)state;
	assert_int_equal(mock_set_clock(mock_shared, NOW_MS + 600000), 0);
	refresh(tok, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.env, "message")),
			    "Visitor token refreshed.");
	assert_int_equal(json_object_size(data_of(&r)), 3);
	assert_string_equal(json_string_value(json_object_get(data_of(&r), "session_id")), sid);
	assert_string_equal(json_string_value(json_object_get(data_of(&r), "expires_at")),
			    "2026-06-21T11:10:00Z");
	claims = claims_of(json_string_value(json_object_get(data_of(&r), "visitor_token")));
	assert_string_equal(json_string_value(json_object_get(claims, "sid")), sid);
	assert_string_equal(json_string_value(json_object_get(claims, "origin")), ORIGIN);
	assert_int_equal(json_integer_value(json_object_get(claims, "iat")), NOW_MS / 1000 + 600);
	json_decref(claims);
	json_decref(r.env);
}

static void test_refresh_accepts_expired_token_within_30_days(void **state)
{
	struct reply r;

	(void)state;
	/* 2 hours later: the token is expired, the session is not */
	assert_int_equal(mock_set_clock(mock_shared, NOW_MS + 2 * 3600000LL), 0);
	refresh(tok, NULL, &r);
	reply_ok(&r, 200);
	/* 30 days minus 1 ms: still fine */
	assert_int_equal(mock_set_clock(mock_shared, NOW_MS + 30 * DAY_MS - 1), 0);
	refresh(tok, NULL, &r);
	reply_ok(&r, 200);
	/* 30 days: the session is over */
	assert_int_equal(mock_set_clock(mock_shared, NOW_MS + 30 * DAY_MS), 0);
	refresh(tok, NULL, &r);
	reply_error(&r, 401, "session_expired", NULL);
}

static void test_refresh_refused_after_widget_key_rotation(void **state)
{
	struct reply r;

	(void)state;
	admin("/api/v1/rotate/widget-key?tenant_id=%s", tn.tenant_id, NULL);
	refresh(tok, NULL, &r);
	reply_error(&r, 401, "invalid_token", NULL);
}

static void test_refresh_refuses_bad_tokens(void **state)
{
	struct reply r;
	char *bad;
	size_t n;

	(void)state;
	call("POST", "/api/v1/refresh/visitor-token", NULL, NULL, NULL, &r);
	reply_error(&r, 401, "invalid_token", NULL);
	call("POST", "/api/v1/refresh/visitor-token", NULL, "Authorization: Basic abc", NULL, &r);
	reply_error(&r, 401, "invalid_token", NULL);
	refresh("not.a.jwt", NULL, &r);
	reply_error(&r, 401, "invalid_token", NULL);
	/* a flipped signature character */
	bad = strdup(tok);
	n = strlen(bad);
	bad[n - 3] = bad[n - 3] == 'A' ? 'B' : 'A';
	refresh(bad, NULL, &r);
	reply_error(&r, 401, "invalid_token", NULL);
	free(bad);
	/* alg none with the same claims */
	{
		jwt_t *jwt = NULL, *none = NULL;
		char *all, *forged;

		assert_int_equal(jwt_decode(&jwt, tok, NULL, 0), 0);
		all = jwt_get_grants_json(jwt, NULL);
		assert_int_equal(jwt_new(&none), 0);
		assert_int_equal(jwt_add_grants_json(none, all), 0);
		forged = jwt_encode_str(none);
		refresh(forged, NULL, &r);
		reply_error(&r, 401, "invalid_token", NULL);
		free(forged);
		free(all);
		jwt_free(none);
		jwt_free(jwt);
	}
}

static void test_refresh_operator_token_refused(void **state)
{
	struct client_response resp;
	struct reply r;
	json_t *env;
	char body[128];

	(void)state;
	assert_int_equal(mock_signed(mock_shared, "POST", "/api/v1/relay/provision/operator",
				     "{\"email\":\"o@shop.example\"}", tn.tenant_id,
				     tn.tenant_secret, NOW_MS, &resp),
			 0);
	env = client_response_json(&resp);
	client_response_cleanup(&resp);
	snprintf(body, sizeof(body), "{\"operator_id\":\"%s\"}",
		 json_string_value(json_object_get(json_object_get(env, "data"), "operator_id")));
	json_decref(env);
	assert_int_equal(mock_signed(mock_shared, "POST", "/api/v1/relay/mint/operator-token", body,
				     tn.tenant_id, tn.tenant_secret, NOW_MS, &resp),
			 0);
	env = client_response_json(&resp);
	client_response_cleanup(&resp);
	refresh(json_string_value(json_object_get(json_object_get(env, "data"), "operator_token")),
		NULL, &r);
	reply_error(&r, 401, "invalid_token", NULL);
	json_decref(env);
}

static void test_refresh_suspended_and_origin_rules(void **state)
{
	struct reply r;

	(void)state;
	/* the browser's Origin must agree with the token's */
	refresh(tok, "Origin: https://shop.demo.com", &r);
	reply_ok(&r, 200);
	refresh(tok, "Origin: https://evil.example", &r);
	reply_error(&r, 403, "origin_not_allowed", NULL);
	/* suspended */
	admin("/api/v1/suspend/tenant?tenant_id=%s", tn.tenant_id, NULL);
	refresh(tok, NULL, &r);
	reply_error(&r, 403, "tenant_suspended", NULL);
	admin("/api/v1/reactivate/tenant?tenant_id=%s", tn.tenant_id, NULL);
	refresh(tok, NULL, &r);
	reply_ok(&r, 200);
	/* the origin removed from allowed_origins */
	admin("/api/v1/update/tenant?tenant_id=%s", tn.tenant_id,
	      "{\"allowed_origins\":[\"app://bloonio_chat_flutter\"]}");
	refresh(tok, NULL, &r);
	reply_error(&r, 403, "origin_not_allowed", NULL);
}

static void test_refresh_after_reset_is_invalid(void **state)
{
	struct reply r;
	long status;

	(void)state;
	json_decref(mock_admin(mock_shared, "POST", "/__mock/reset", NULL, &status));
	assert_int_equal(status, 200);
	assert_int_equal(mock_set_clock(mock_shared, NOW_MS), 0);
	refresh(tok, NULL, &r);
	reply_error(&r, 401, "invalid_token", NULL);
}

/* ---- §7.5 CORS ------------------------------------------------------------ */

static void test_preflight_allowed_origin(void **state)
{
	static const char *const paths[] = {"/api/v1/create/visitor-session",
					    "/api/v1/fetch/widget-config",
					    "/api/v1/refresh/visitor-token"};
	struct client_response resp;
	const char *hdr[] = {"Origin: https://Shop.Demo.com", "Access-Control-Request-Method: POST",
			     NULL};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_int_equal(mock_call(mock_shared, "OPTIONS", paths[i], NULL, 0, hdr, &resp),
				 0);
		assert_int_equal(resp.status, 204);
		assert_int_equal(resp.body_len, 0);
		/* the Origin header exactly as received, never * */
		assert_string_equal(client_response_header(&resp, "Access-Control-Allow-Origin"),
				    "https://Shop.Demo.com");
		assert_string_equal(client_response_header(&resp, "Vary"), "Origin");
		assert_string_equal(client_response_header(&resp, "Access-Control-Allow-Methods"),
				    "GET, POST, OPTIONS");
		assert_string_equal(client_response_header(&resp, "Access-Control-Allow-Headers"),
				    "Content-Type, Authorization");
		assert_string_equal(client_response_header(&resp, "Access-Control-Max-Age"), "600");
		assert_null(client_response_header(&resp, "Access-Control-Allow-Credentials"));
		client_response_cleanup(&resp);
	}
}

static void test_preflight_refused_origins(void **state)
{
	static const struct {
		const char *path, *origin; /* origin: the Origin header line, or NULL */
		long status;
		const char *code;
	} cases[] = {
		{"/api/v1/create/visitor-session", "Origin: https://shop.demo.com.evil.example",
		 403, "origin_not_allowed"},
		{"/api/v1/create/visitor-session", NULL, 403, "origin_not_allowed"},
		{"/api/v1/fetch/widget-config", "Origin: null", 403, "origin_not_allowed"},
		{"/api/v1/refresh/visitor-token", "Origin: http://shop.demo.com", 403,
		 "origin_not_allowed"},
		/* CORS is only on the widget routes */
		{"/api/v1/relay/create/conversation", "Origin: https://shop.demo.com", 405,
		 "method_not_allowed"},
	};
	struct reply r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		call("OPTIONS", cases[i].path, NULL, cases[i].origin, NULL, &r);
		assert_int_equal(r.n_ac, 0);
		reply_error(&r, cases[i].status, cases[i].code, NULL);
	}
}

static void test_actual_responses_carry_acao_only_for_allowed_origins(void **state)
{
	struct reply r;

	(void)state;
	/* an error answer to an allowed origin is readable by the widget */
	call("POST", "/api/v1/refresh/visitor-token", NULL, "Origin: https://shop.demo.com", NULL,
	     &r);
	assert_string_equal(r.acao, "https://shop.demo.com");
	assert_string_equal(r.vary, "Origin");
	reply_error(&r, 401, "invalid_token", NULL);
	call("POST", "/api/v1/refresh/visitor-token", NULL, "Origin: https://evil.example", NULL,
	     &r);
	assert_string_equal(r.acao, "");
	assert_string_equal(r.vary, "Origin");
	assert_int_equal(r.n_ac, 0);
	reply_error(&r, 401, "invalid_token", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_create_session_documented_shape, at_now),
		cmocka_unit_test_setup(test_visitor_token_claims, at_now),
		cmocka_unit_test_setup(test_create_session_optional_fields, at_now),
		cmocka_unit_test_setup(test_create_session_422_per_field, at_now),
		cmocka_unit_test_setup(test_create_session_wrong_key_or_tenant_401, at_now),
		cmocka_unit_test_setup(test_create_session_origin_rules, at_now),
		cmocka_unit_test_setup(test_create_session_origin_header_must_agree, at_now),
		cmocka_unit_test_setup(test_create_session_suspended_tenant_403, at_now),
		cmocka_unit_test_setup(test_create_session_get_is_405, at_now),
		cmocka_unit_test_setup(test_widget_config, at_now),
		cmocka_unit_test_setup(test_widget_config_refusals, at_now),
		cmocka_unit_test_setup_teardown(test_refresh_same_session_new_token, with_session,
						free_session),
		cmocka_unit_test_setup_teardown(test_refresh_accepts_expired_token_within_30_days,
						with_session, free_session),
		cmocka_unit_test_setup_teardown(test_refresh_refused_after_widget_key_rotation,
						with_session, free_session),
		cmocka_unit_test_setup_teardown(test_refresh_refuses_bad_tokens, with_session,
						free_session),
		cmocka_unit_test_setup(test_refresh_operator_token_refused, at_now),
		cmocka_unit_test_setup_teardown(test_refresh_suspended_and_origin_rules,
						with_session, free_session),
		cmocka_unit_test_setup_teardown(test_refresh_after_reset_is_invalid, with_session,
						free_session),
		cmocka_unit_test_setup(test_preflight_allowed_origin, at_now),
		cmocka_unit_test_setup(test_preflight_refused_origins, at_now),
		cmocka_unit_test_setup(test_actual_responses_carry_acao_only_for_allowed_origins,
				       at_now),
	};

	return cmocka_run_group_tests(tests, mock_shared_start, mock_shared_stop);
}
