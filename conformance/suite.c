/*
 * suite.c - runs the case tables as CMocka groups (one per SPEC section) and gives
 * the cases their request and expectation helpers (SPEC.md §12).
 */
#include "suite.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "relay_clock.h"

const struct suite_case *const suite_tables[] = {
	cases_envelope, cases_admin,         cases_origin,
	cases_hmac1,    cases_ratelimit,     cases_relay,
	cases_widget,   cases_hostile,       cases_ws,
	cases_more,     cases_callback,      cases_lifecycle,
	cases_plan,     cases_mutation_gaps, NULL};

static struct suite *g_suite; /* CMocka fixtures take no user pointer */

/* ---- last exchange */

static void last_clear(struct case_ctx *x)
{
	client_response_cleanup(&x->resp);
	memset(&x->resp, 0, sizeof(x->resp));
	json_decref(x->json);
	x->json = NULL;
	free(x->curl);
	x->curl = NULL;
	x->has_sig = false;
}

/* curl command with the admin key masked as $ADMIN_KEY. */
static char *curl_masked(struct case_ctx *x, const struct client_request *rq)
{
	const char *lines[CLIENT_HEADERS_MAX];
	struct client_request copy = *rq;
	char *cmd, *p;
	const char *quoted = "'X-Admin-Key: $ADMIN_KEY'";

	for (size_t i = 0; i < rq->n_headers && i < CLIENT_HEADERS_MAX; i++)
		lines[i] = strncasecmp(rq->headers[i], "X-Admin-Key:", 12) == 0
				   ? "X-Admin-Key: $ADMIN_KEY"
				   : rq->headers[i];
	copy.headers = lines;
	cmd = client_curl_command(x->cl, &copy);
	if (cmd == NULL)
		return NULL;
	/* let the shell expand $ADMIN_KEY */
	while ((p = strstr(cmd, quoted)) != NULL) {
		p[0] = '"';
		p[strlen(quoted) - 1] = '"';
	}
	return cmd;
}

static void broken_details(struct case_ctx *x);

/* What is wrong with the last response's envelope (§1.2, §1.3, §1.5.1), or NULL. */
static const char *envelope_problem(struct case_ctx *x)
{
	json_t *sc = json_object_get(x->json, "status_code");
	json_t *data = json_object_get(x->json, "data");
	const char *ct = resp_header(x, "Content-Type");

	if (!json_is_object(x->json))
		return "the body is not a JSON object";
	if (!json_is_integer(sc) || json_integer_value(sc) != x->resp.status)
		return "status_code differs from the HTTP status";
	if (!json_is_string(json_object_get(x->json, "message")))
		return "no string message";
	if (x->resp.status >= 400 && (!json_is_null(data) || resp_error_code(x) == NULL))
		return "an error without data: null and error.code";
	if (x->resp.status < 400 && !json_is_object(data))
		return "a success whose data is not an object";
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0)
		return "Content-Type is not application/json";
	return NULL;
}

/*
 * Every response carries the envelope (§1.2, §1.3): checked on each exchange of
 * every case, whatever the case is about. A broken success envelope is FAIL (QS), a
 * broken error envelope WARN (the error shape is [inferred]).
 */
static void envelope_invariant(struct case_ctx *x, const char *method, const char *path)
{
	const char *why;

	if (x->resp.status == 0 || x->resp.status == 204 || x->resp.status == 101 ||
	    strcmp(method, "HEAD") == 0)
		return;
	why = envelope_problem(x);
	if (why == NULL)
		return;
	report_case_verdict(x->rc, x->resp.status < 400 ? REPORT_FAIL : REPORT_WARN,
			    "envelope broken on %s %s (%ld): %s (§1.2/§1.3, checked on every "
			    "response)",
			    method, path, x->resp.status, why);
	report_case_expected(x->rc, "an envelope {status_code, data, message[, error]}");
	broken_details(x);
}

long req_raw(struct case_ctx *x, const char *method, const char *path, const char *const *headers,
	     size_t n_headers, const void *body, size_t body_len)
{
	struct client_request rq = {.method = method,
				    .path = path,
				    .headers = headers,
				    .n_headers = n_headers,
				    .body = body,
				    .body_len = body_len,
				    .timeout_ms = x->s->cfg.timeout_ms};
	enum relay_rc rc;

	last_clear(x);
	x->curl = curl_masked(x, &rq);
	rc = client_perform(x->cl, &rq, &x->resp);
	if (rc != RELAY_OK) {
		report_case_log(x->rc, "%s %s: no HTTP response (%s)", method, path, x->resp.error);
		x->failed_hard = true;
		return 0;
	}
	x->json = client_response_json(&x->resp);
	report_case_log(x->rc, "%s %s -> %ld %s", method, path, x->resp.status,
			resp_error_code(x) ? resp_error_code(x) : "");
	envelope_invariant(x, method, path);
	return x->resp.status;
}

long req_admin(struct case_ctx *x, const char *method, const char *path, const char *body)
{
	char key[1200];
	const char *h[2];
	size_t n = 0;

	snprintf(key, sizeof(key), "X-Admin-Key: %s",
		 x->s->cfg.admin_key ? x->s->cfg.admin_key : "");
	h[n++] = key;
	if (body != NULL)
		h[n++] = "Content-Type: application/json";
	return req_raw(x, method, path, h, n, body, body ? strlen(body) : 0);
}

bool sign_headers(struct case_ctx *x, const struct tenant *t, const char *ts_text, const void *body,
		  size_t body_len, char h[3][160], struct hmac1_signed *sig)
{
	if (hmac1_sign_text(t->secret, strlen(t->secret), ts_text, body, body_len, sig) !=
	    RELAY_OK) {
		report_case_verdict(x->rc, REPORT_FAIL, "suite error: cannot sign");
		return false;
	}
	snprintf(h[0], 160, "%s: %s", HMAC1_HEADER_TENANT, t->id);
	snprintf(h[1], 160, "%s: %s", HMAC1_HEADER_TIMESTAMP, sig->timestamp);
	snprintf(h[2], 160, "%s: %s", HMAC1_HEADER_SIGNATURE, sig->signature);
	return true;
}

bool sign_parts(struct case_ctx *x, const struct tenant *t, const char *ts_text, const void *body,
		size_t body_len, struct signed_parts *p)
{
	if (!sign_headers(x, t, ts_text, body, body_len, p->h, &p->sig))
		return false;
	p->n = 0;
	p->lines[p->n++] = p->h[0];
	p->lines[p->n++] = p->h[1];
	p->lines[p->n++] = p->h[2];
	if (body != NULL)
		p->lines[p->n++] = "Content-Type: application/json";
	return true;
}

long req_parts(struct case_ctx *x, const struct signed_parts *p, const char *method,
	       const char *path, const void *body, size_t body_len)
{
	long status = req_raw(x, method, path, p->lines, p->n, body, body_len);

	/* after req_raw, which clears the last exchange */
	x->sig = p->sig;
	x->has_sig = true;
	return status;
}

long req_signed_at(struct case_ctx *x, const struct tenant *t, const char *method, const char *path,
		   const char *body, int64_t ts_ms)
{
	char ts[32];
	struct signed_parts p;
	size_t len = body ? strlen(body) : 0;
	long status;

	snprintf(ts, sizeof(ts), "%lld", (long long)ts_ms);
	if (!sign_parts(x, t, ts, body, len, &p))
		return 0;
	status = req_parts(x, &p, method, path, body, len);
	/*
	 * A tenant given on the command line is shared by every case and may hit its own
	 * rate limit (§5): wait for the window to reset (Retry-After, at most 61 s) and
	 * send the request once more, re-signed. Rate-limit cases use their own tenants.
	 */
	if (status == 429 && !t->provisioned && !x->waited_for_rate &&
	    strncmp(x->meta->id, "ratelimit.", 10) != 0) {
		const char *ra = resp_header(x, "Retry-After");
		long wait_s = ra ? strtol(ra, NULL, 10) : 60;
		struct timespec pause = {.tv_sec = wait_s < 1 ? 1 : wait_s > 61 ? 61 : wait_s};

		report_case_log(x->rc, "rate limited on the shared tenant: waiting %lld s",
				(long long)pause.tv_sec);
		nanosleep(&pause, NULL);
		x->waited_for_rate = true;
		return req_signed_at(x, t, method, path, body, ts_ms + pause.tv_sec * 1000);
	}
	return status;
}

long req_signed(struct case_ctx *x, const struct tenant *t, const char *method, const char *path,
		const char *body)
{
	return req_signed_at(x, t, method, path, body, relay_now_ms(x));
}

/* ---- clock */

/*
 * GET /__mock/clock with the admin key through cl (§10.2): the HTTP status, 0 when
 * none came; on 200 the mock's now_ms goes into *now_ms (left alone otherwise).
 */
static long mock_clock_get(struct relay_client *cl, const struct suite_config *cfg, int64_t *now_ms)
{
	struct client_response r;
	char key[1200];
	const char *h[1] = {key};
	struct client_request rq = {.method = "GET",
				    .path = "/__mock/clock",
				    .headers = h,
				    .n_headers = 1,
				    .timeout_ms = cfg->timeout_ms};
	long status = 0;

	snprintf(key, sizeof(key), "X-Admin-Key: %s", cfg->admin_key);
	if (client_perform(cl, &rq, &r) == RELAY_OK) {
		status = r.status;
		if (status == 200) {
			json_t *j = client_response_json(&r);
			json_t *v = json_object_get(json_object_get(j, "data"), "now_ms");

			if (json_is_integer(v))
				*now_ms = (int64_t)json_integer_value(v);
			json_decref(j);
		}
	}
	client_response_cleanup(&r);
	return status;
}

int64_t relay_now_ms(struct case_ctx *x)
{
	int64_t now = relay_clock_real_ms();

	if (x->s->is_mock)
		(void)mock_clock_get(x->cl, &x->s->cfg, &now);
	return now;
}

/*
 * One change of the mock clock: {"<key>": ms} to method path. The clock counts as
 * frozen from here (restored after the case); a refusal SKIPs the case ("could not be
 * <what>").
 */
static bool mock_clock_change(struct case_ctx *x, const char *method, const char *path,
			      const char *key, int64_t ms, const char *what)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"%s\":%lld}", key, (long long)ms);
	x->clock_frozen = true;
	if (req_admin(x, method, path, body) != 200) {
		report_case_verdict(x->rc, REPORT_SKIP, "mock clock could not be %s (status %ld)",
				    what, x->resp.status);
		return false;
	}
	return true;
}

bool mock_clock_set(struct case_ctx *x, int64_t ms)
{
	return mock_clock_change(x, "PUT", "/__mock/clock", "now_ms", ms, "set");
}

bool mock_clock_advance(struct case_ctx *x, int64_t ms)
{
	return mock_clock_change(x, "POST", "/__mock/clock/advance", "ms", ms, "advanced");
}

/* ---- tenants */

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

bool tenant_provision(struct case_ctx *x, struct tenant *t, const char *extra)
{
	char body[4096];
	json_t *d;

	memset(t, 0, sizeof(*t));
	snprintf(body, sizeof(body),
		 "{\"tenant_name\":\"conformance %s #%u\",\"allowed_origins\":"
		 "[\"https://shop.demo.com\",\"app://bloonio_chat_flutter\"]%s%s}",
		 x->meta->id, ++x->s->n_tenants, extra ? "," : "", extra ? extra : "");
	if (req_admin(x, "POST", "/api/v1/provision/tenant", body) != 201) {
		report_case_verdict(x->rc, REPORT_FAIL,
				    "could not provision a tenant: status %ld (expected 201)",
				    x->resp.status);
		report_case_actual_response(x->rc, x->resp.status, resp_error_code(x), x->resp.body,
					    x->resp.body_len);
		report_case_curl(x->rc, x->curl);
		return false;
	}
	d = resp_data(x);
	if (!json_is_string(json_object_get(d, "tenant_id")) ||
	    !json_is_string(json_object_get(d, "tenant_secret"))) {
		report_case_verdict(x->rc, REPORT_FAIL,
				    "provision response lacks data.tenant_id/tenant_secret");
		return false;
	}
	copy_str(t->id, sizeof(t->id), data_str(x, "tenant_id"));
	copy_str(t->secret, sizeof(t->secret), data_str(x, "tenant_secret"));
	copy_str(t->widget_key, sizeof(t->widget_key), data_str(x, "widget_public_key"));
	copy_str(t->origin, sizeof(t->origin), "https://shop.demo.com");
	t->provisioned = true;
	return true;
}

long req_admin_tenant(struct case_ctx *x, const char *method, const char *route,
		      const struct tenant *t, const char *body)
{
	char path[256];

	snprintf(path, sizeof(path), "/api/v1/%s?tenant_id=%s", route, t->id);
	return req_admin(x, method, path, body);
}

bool tenant_action(struct case_ctx *x, const struct tenant *t, const char *route)
{
	req_admin_tenant(x, "POST", route, t, NULL);
	return expect_status(x, 200, NULL);
}

/* ---- visitor sessions */

long req_visitor_session(struct case_ctx *x, const struct tenant *t)
{
	char body[1024];
	const char *h[] = {"Content-Type: application/json"};

	snprintf(body, sizeof(body),
		 "{\"tenant_id\":\"%s\",\"widget_public_key\":\"%s\",\"origin\":\"%s\"}", t->id,
		 t->widget_key, t->origin);
	return req_raw(x, "POST", "/api/v1/create/visitor-session", h, 1, body, strlen(body));
}

bool visitor_session(struct case_ctx *x, char *tok, size_t tok_size, char *sid, size_t sid_size)
{
	req_visitor_session(x, &x->t);
	if (!expect_status(x, 201, NULL))
		return false;
	copy_str(tok, tok_size, data_str(x, "visitor_token"));
	copy_str(sid, sid_size, data_str(x, "session_id"));
	return true;
}

long req_refresh(struct case_ctx *x, const char *token)
{
	char auth[4200];
	const char *h[1] = {auth};

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	return req_raw(x, "POST", "/api/v1/refresh/visitor-token", h, 1, NULL, 0);
}

/* ---- views */

json_t *resp_data(struct case_ctx *x)
{
	return json_object_get(x->json, "data");
}

const char *resp_error_code(struct case_ctx *x)
{
	return json_string_value(json_object_get(json_object_get(x->json, "error"), "code"));
}

const char *resp_error_field(struct case_ctx *x)
{
	return json_string_value(json_object_get(json_object_get(x->json, "error"), "field"));
}

const char *resp_header(struct case_ctx *x, const char *name)
{
	return client_response_header(&x->resp, name);
}

const char *data_str(struct case_ctx *x, const char *key)
{
	return json_string_value(json_object_get(resp_data(x), key));
}

/* ---- expectations */

static void broken_details(struct case_ctx *x)
{
	report_case_actual_response(x->rc, x->resp.status, resp_error_code(x), x->resp.body,
				    x->resp.body_len);
	if (x->curl)
		report_case_curl(x->rc, x->curl);
	if (x->has_sig)
		report_case_hmac1(x->rc, &x->sig);
}

static void broken_v(struct case_ctx *x, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (x->failed_hard && x->resp.status == 0)
		report_case_verdict(x->rc, REPORT_FAIL, "%s (no HTTP response: %s)", buf,
				    x->resp.error);
	else
		report_case_broken(x->rc, "%s", buf);
	report_case_expected(x->rc, "%s", buf);
	broken_details(x);
}

bool expect_true(struct case_ctx *x, bool cond, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return true;
	va_start(ap, fmt);
	broken_v(x, fmt, ap);
	va_end(ap);
	return false;
}

bool expect_status(struct case_ctx *x, long status, const char *code)
{
	const char *got = resp_error_code(x);
	bool code_ok = code == NULL ? got == NULL : (got != NULL && strcmp(got, code) == 0);

	if (x->resp.status == status && code_ok)
		return true;
	if (x->resp.status == status && code != NULL && x->meta->prov == REPORT_DOCUMENTED) {
		/* the status is documented, every error code is [inferred] (§1.4.2) */
		report_case_verdict(x->rc, REPORT_WARN,
				    "status %ld as documented, but error.code %s (expected %s, "
				    "[inferred] §1.4.2)",
				    status, got ? got : "(none)", code);
		report_case_expected(x->rc, "%ld %s", status, code);
		broken_details(x);
		return false;
	}
	return expect_true(x, false, "expected %ld %s, got %ld %s", status,
			   code ? code : "(success envelope)", x->resp.status,
			   got ? got : "(no error.code)");
}

bool expect_either(struct case_ctx *x, long s1, const char *c1, long s2, const char *c2)
{
	const char *got = resp_error_code(x);

	if (x->resp.status == s1 && got && strcmp(got, c1) == 0)
		return true;
	if (x->resp.status == s2 && got && strcmp(got, c2) == 0)
		return true;
	return expect_true(x, false, "expected %ld %s or %ld %s, got %ld %s", s1, c1, s2, c2,
			   x->resp.status, got ? got : "(no error.code)");
}

bool expect_envelope(struct case_ctx *x)
{
	json_t *sc = json_object_get(x->json, "status_code");
	json_t *data = json_object_get(x->json, "data");
	json_t *msg = json_object_get(x->json, "message");
	const char *ct = resp_header(x, "Content-Type");
	bool is_error = x->resp.status >= 400;

	if (!expect_true(x, json_is_object(x->json), "a JSON object body (§1.2/§1.3)"))
		return false;
	if (!expect_true(x, json_is_integer(sc) && json_integer_value(sc) == x->resp.status,
			 "status_code equal to the HTTP status %ld (§1.2.1)", x->resp.status))
		return false;
	if (!expect_true(x, json_is_string(msg), "a string \"message\" (§1.2.1)"))
		return false;
	if (is_error) {
		if (!expect_true(x, json_is_null(data), "\"data\": null on an error (§1.3.1)"))
			return false;
		if (!expect_true(x, resp_error_code(x) != NULL,
				 "an error object with a string code (§1.3.1)"))
			return false;
	} else if (!expect_true(x, json_is_object(data),
				"\"data\" an object on success (§1.2.2)")) {
		return false;
	}
	return expect_true(x, ct != NULL && strncasecmp(ct, "application/json", 16) == 0,
			   "Content-Type application/json; charset=utf-8 (§1.5.1), got %s",
			   ct ? ct : "(none)");
}

bool expect_no_5xx(struct case_ctx *x)
{
	if (x->resp.status == 0)
		return expect_true(x, false, "an HTTP response (the relay closed the connection)");
	if (x->resp.status >= 500) {
		/* never a 5xx for bad input: a documented 500 meaning, so FAIL */
		report_case_verdict(x->rc, REPORT_FAIL,
				    "got %ld for bad input: a relay never answers 5xx to bad "
				    "input (§1.4, 500 = internal error)",
				    x->resp.status);
		report_case_expected(x->rc, "a 4xx with an error envelope");
		broken_details(x);
		return false;
	}
	return expect_envelope(x);
}

/* A verdict with a printf-style reason, cut at 1023 bytes. */
static void case_verdict_v(struct case_ctx *x, enum report_verdict v, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	report_case_verdict(x->rc, v, "%s", buf);
}

void case_skip(struct case_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	case_verdict_v(x, REPORT_SKIP, fmt, ap);
	va_end(ap);
}

void case_info(struct case_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	case_verdict_v(x, REPORT_INFO, fmt, ap);
	va_end(ap);
}

bool suite_target_local(const struct suite *s, int *port)
{
	static const char *const prefixes[] = {"http://127.0.0.1:", "http://localhost:"};

	for (size_t i = 0; i < 2; i++)
		if (strncmp(s->cfg.base_url, prefixes[i], strlen(prefixes[i])) == 0) {
			if (port != NULL)
				*port = atoi(s->cfg.base_url + strlen(prefixes[i]));
			return true;
		}
	return false;
}

bool suite_listen_parse(const char *v, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon;
	char *end;
	long port;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (v[0] == '[') {
		const char *rb = strchr(v, ']');

		if (rb == NULL || rb[1] != ':')
			return false;
		n = (size_t)(rb - v - 1);
		colon = rb + 1;
		v++;
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL)
			return false;
		n = (size_t)(colon - v);
	}
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, v, n);
	host[n] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || port < 0 || port > 65535)
		return false;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		if (len != NULL)
			*len = sizeof(struct sockaddr_in);
		return true;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		if (len != NULL)
			*len = sizeof(struct sockaddr_in6);
		return true;
	}
	return false;
}

bool suite_target_loopback(const struct suite *s)
{
	const char *u = s->cfg.base_url, *h = strstr(u, "://");

	if (h == NULL)
		return false;
	h += 3;
	return strncmp(h, "127.", 4) == 0 || strncasecmp(h, "localhost", 9) == 0 ||
	       strncmp(h, "[::1]", 5) == 0;
}

/* ---- the CMocka glue */

static int case_setup(void **state)
{
	const struct suite_case *meta = *state;
	struct case_ctx *x = calloc(1, sizeof(*x));
	char section[32];

	if (x == NULL)
		return -1;
	x->s = g_suite;
	x->meta = meta;
	snprintf(section, sizeof(section), "§%s", meta->section);
	x->rc = report_case_begin(g_suite->report, meta->id, section, meta->title, meta->prov);
	x->cl = client_new(g_suite->cfg.base_url);
	client_set_insecure(x->cl, g_suite->cfg.insecure);
	if (x->rc == NULL || x->cl == NULL) {
		client_free(x->cl);
		free(x);
		return -1;
	}
	*state = x;
	return 0;
}

static int case_teardown(void **state)
{
	struct case_ctx *x = *state;

	last_clear(x);
	client_free(x->cl);
	free(x);
	return 0;
}

/* Checks the needs and prepares the case's tenant; false = skipped. */
static bool case_prepare(struct case_ctx *x)
{
	const struct suite_config *cfg = &x->s->cfg;
	unsigned needs = x->meta->needs;

	if ((needs & NEED_ADMIN) && cfg->admin_key == NULL) {
		case_skip(x, "no admin key (--admin-key or BLOONIO_CHAT_ADMIN_KEY)");
		return false;
	}
	if ((needs & NEED_MOCK) && !x->s->is_mock) {
		case_skip(x, "target is not a mock (no /__mock control plane); window edges at "
			     "exactly 30000 ms need the mock clock");
		return false;
	}
	if ((needs & NEED_CALLBACK) && !suite_target_loopback(x->s) &&
	    cfg->callback_public_url == NULL) {
		case_skip(x,
			  "no callback receiver the target can reach: %s is not on this machine; "
			  "give --callback-public-url (and --callback-listen) to run callback "
			  "cases",
			  cfg->base_url);
		return false;
	}
	if (needs & (NEED_TENANT | NEED_WIDGET)) {
		if (cfg->admin_key != NULL)
			return tenant_provision(x, &x->t, NULL);
		if ((needs & NEED_TENANT) &&
		    (cfg->tenant_id == NULL || cfg->tenant_secret == NULL)) {
			case_skip(x, "no tenant credentials (--tenant-id/--tenant-secret) and no "
				     "admin key to provision one");
			return false;
		}
		if ((needs & NEED_WIDGET) &&
		    (cfg->widget_key == NULL || cfg->origin == NULL || cfg->tenant_id == NULL)) {
			case_skip(x, "no widget credentials (--tenant-id --widget-key --origin) "
				     "and no admin key to provision them");
			return false;
		}
		copy_str(x->t.id, sizeof(x->t.id), cfg->tenant_id);
		copy_str(x->t.secret, sizeof(x->t.secret), cfg->tenant_secret);
		copy_str(x->t.widget_key, sizeof(x->t.widget_key), cfg->widget_key);
		copy_str(x->t.origin, sizeof(x->t.origin), cfg->origin);
	}
	return true;
}

static void case_run(void **state)
{
	struct case_ctx *x = *state;
	enum report_verdict v;

	if (case_prepare(x))
		x->meta->fn(x);
	if (x->clock_frozen && x->s->is_mock)
		(void)req_admin(x, "PUT", "/__mock/clock", "{\"now_ms\":null}");
	/* a shared tenant (no admin key) may run into its own rate limit */
	if (!x->t.provisioned && x->resp.status == 429 && strncmp(x->meta->id, "ratelimit.", 10))
		case_skip(x, "rate limited on the shared tenant: rerun later or give --admin-key");
	v = report_case_end(x->s->report, x->rc);
	if (v == REPORT_FAIL || v == REPORT_XPASS)
		fail_msg("%s: %s", x->meta->id, report_case_reason(x->rc));
	if (v == REPORT_SKIP)
		skip();
}

static bool case_selected(const struct suite_case *c, const char *filter)
{
	return filter == NULL || fnmatch(filter, c->id, 0) == 0;
}

/* "§4.4" / "4.4.2" → 4 (0 when none). */
static int section_number(const char *section)
{
	const char *p = section;

	if (strncmp(p, "§", strlen("§")) == 0)
		p += strlen("§");
	return atoi(p);
}

/* "admin+mock+tenant" or "-". */
static void needs_text(unsigned needs, char *out, size_t size)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{NEED_ADMIN, "admin"},
		     {NEED_MOCK, "mock"},
		     {NEED_TENANT, "tenant"},
		     {NEED_WIDGET, "widget"},
		     {NEED_CALLBACK, "callback"}};
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (needs & names[i].bit)
			len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "+" : "",
						names[i].name);
	if (len == 0)
		snprintf(out, size, "-");
}

/* One line per case: id, SPEC rule, provenance, needs, requirement. */
static void print_list(const char *filter)
{
	char needs[64];

	for (size_t t = 0; suite_tables[t] != NULL; t++)
		for (const struct suite_case *c = suite_tables[t]; c->id != NULL; c++) {
			if (!case_selected(c, filter))
				continue;
			needs_text(c->needs, needs, sizeof(needs));
			printf("%-44s §%-7s %-10s %-22s %s\n", c->id, c->section,
			       report_provenance_name(c->prov), needs, c->title);
		}
}

static bool probe_mock(struct suite *s, long *status)
{
	struct relay_client *cl;
	int64_t now;

	if (s->cfg.admin_key == NULL)
		return false;
	cl = client_new(s->cfg.base_url);
	if (cl == NULL)
		return false;
	client_set_insecure(cl, s->cfg.insecure);
	*status = mock_clock_get(cl, &s->cfg, &now);
	client_free(cl);
	return *status == 200;
}

static bool probe_reachable(struct suite *s, char *why, size_t size)
{
	struct relay_client *cl = client_new(s->cfg.base_url);
	struct client_response r;
	struct client_request rq = {.method = "GET",
				    .path = "/api/v1/fetch/widget-config",
				    .timeout_ms = s->cfg.timeout_ms};
	bool ok = false;

	if (cl == NULL)
		return false;
	client_set_insecure(cl, s->cfg.insecure);
	if (client_perform(cl, &rq, &r) == RELAY_OK && r.status > 0)
		ok = true;
	else
		snprintf(why, size, "%s", r.error);
	client_response_cleanup(&r);
	client_free(cl);
	return ok;
}

int suite_run(struct suite *s, const struct suite_run_options *o)
{
	int saved_out = -1, saved_err = -1, devnull = -1;
	char why[256] = "";
	long probe_status = 0;
	int status;

	if (o->list) {
		print_list(o->filter);
		return 0;
	}
	g_suite = s;
	if (!probe_reachable(s, why, sizeof(why))) {
		fprintf(stderr, "relay-conformance: %s is unreachable: %s\n", s->cfg.base_url, why);
		return 2;
	}
	s->is_mock = probe_mock(s, &probe_status);
	report_note(s->report, "target %s %s", s->cfg.base_url,
		    s->is_mock ? "is a mock (GET /__mock/clock answered): window edges use the "
				 "mock clock"
			       : "is not a mock: window edges use client-side timestamps "
				 "(now +/- 35 s / 25 s); exact +/-30000 ms edges need the mock");
	if (s->cfg.admin_key == NULL)
		report_note(s->report, "no admin key: cases that provision tenants are skipped");
	else if (probe_status == 401)
		report_note(s->report,
			    "GET /__mock/clock refused the admin key (401): if the "
			    "target is a mock, the key is wrong and admin cases will fail");

	/* CMocka's own output is replaced by the report's progress lines. */
	if (!o->verbose) {
		fflush(stdout);
		fflush(stderr);
		devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			saved_out = dup(STDOUT_FILENO);
			saved_err = dup(STDERR_FILENO);
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
	}
	for (int sec = 0; sec <= 13; sec++) {
		struct CMUnitTest *tests = NULL;
		size_t n = 0, cap = 0;
		char name[32];

		for (size_t t = 0; suite_tables[t] != NULL; t++)
			for (const struct suite_case *c = suite_tables[t]; c->id != NULL; c++) {
				if (section_number(c->section) != sec ||
				    !case_selected(c, o->filter))
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 32;
					tests = realloc(tests, cap * sizeof(*tests));
					if (tests == NULL)
						abort();
				}
				tests[n] = (struct CMUnitTest){.name = c->id,
							       .test_func = case_run,
							       .setup_func = case_setup,
							       .teardown_func = case_teardown,
							       .initial_state = (void *)c};
				n++;
			}
		if (n > 0) {
			snprintf(name, sizeof(name), "§%d", sec);
			(void)_cmocka_run_group_tests(name, tests, n, NULL, NULL);
		}
		free(tests);
	}
	if (saved_out >= 0) {
		fflush(stdout);
		fflush(stderr);
		dup2(saved_out, STDOUT_FILENO);
		dup2(saved_err, STDERR_FILENO);
		close(saved_out);
		close(saved_err);
	}
	if (devnull >= 0)
		close(devnull);
	report_print_summary(s->report);
	status = report_exit_status(s->report);
	/* a run that already failed keeps 1 (SPEC §12.1.1) */
	if (report_write_files(s->report, &o->files) != RELAY_OK)
		status = status ? status : 2;
	return status;
}

/* ---- JWT inspection (no verification: the suite has no relay key) */

json_t *jwt_part(const char *token, int part)
{
	const char *start = token, *end;
	char *b64 = NULL;
	unsigned char *raw = NULL;
	size_t len, padded;
	int n;
	json_t *out = NULL;

	if (token == NULL)
		return NULL;
	for (int i = 0; i < part; i++) {
		start = strchr(start, '.');
		if (start == NULL)
			return NULL;
		start++;
	}
	end = strchr(start, '.');
	len = end ? (size_t)(end - start) : strlen(start);
	padded = (len + 3) / 4 * 4;
	b64 = malloc(padded + 1);
	raw = malloc(padded + 1);
	if (b64 == NULL || raw == NULL)
		goto out;
	for (size_t i = 0; i < len; i++) {
		char c = start[i];

		if (c == '+' || c == '/' || c == '=')
			goto out; /* base64url has none of these */
		b64[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	for (size_t i = len; i < padded; i++)
		b64[i] = '=';
	b64[padded] = '\0';
	n = EVP_DecodeBlock(raw, (unsigned char *)b64, (int)padded);
	if (n < 0)
		goto out;
	/* EVP_DecodeBlock counts padding bytes as zeros */
	n -= (int)(padded - len);
	out = json_loadb((const char *)raw, (size_t)n, 0, NULL);
out:
	free(b64);
	free(raw);
	return out;
}

int jwt_segments(const char *token)
{
	int n = 1;

	if (token == NULL || *token == '\0')
		return 0;
	for (const char *p = token; *p; p++) {
		if (*p == '.')
			n++;
		else if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return -1;
	}
	return n;
}
