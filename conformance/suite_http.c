/*
 * suite_http.c - the cases' requests, signing, views of the last response and
 * expectations (SPEC.md §12). Each request replaces the case's last exchange, which a
 * broken expectation reports (expected vs actual, HMAC#1 values, a curl command).
 */
#include "suite_http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "suite_fixtures.h"

/* ---- last exchange */

void case_last_clear(struct case_ctx *x)
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
	report_case_verdict(x->rcase, x->resp.status < 400 ? REPORT_FAIL : REPORT_WARN,
			    "envelope broken on %s %s (%ld): %s (§1.2/§1.3, checked on every "
			    "response)",
			    method, path, x->resp.status, why);
	report_case_expected(x->rcase, "an envelope {status_code, data, message[, error]}");
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

	case_last_clear(x);
	x->curl = curl_masked(x, &rq);
	rc = client_perform(x->cl, &rq, &x->resp);
	if (rc != RELAY_OK) {
		report_case_log(x->rcase, "%s %s: no HTTP response (%s)", method, path,
				x->resp.error);
		x->failed_hard = true;
		return 0;
	}
	x->json = client_response_json(&x->resp);
	report_case_log(x->rcase, "%s %s -> %ld %s", method, path, x->resp.status,
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

bool sign_headers(struct case_ctx *x, const struct suite_tenant *t, const char *ts_text,
		  const void *body, size_t body_len, char h[3][HMAC1_HEADER_LINE_MAX],
		  struct hmac1_signed *sig)
{
	if (hmac1_sign_text(t->secret, strlen(t->secret), ts_text, body, body_len, sig) !=
		    RELAY_OK ||
	    hmac1_header_lines(t->id, sig, h) != RELAY_OK) {
		report_case_verdict(x->rcase, REPORT_FAIL, "suite error: cannot sign");
		return false;
	}
	return true;
}

bool sign_parts(struct case_ctx *x, const struct suite_tenant *t, const char *ts_text,
		const void *body, size_t body_len, struct signed_parts *p)
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

long req_signed_at(struct case_ctx *x, const struct suite_tenant *t, const char *method,
		   const char *path, const char *body, int64_t ts_ms)
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

		report_case_log(x->rcase, "rate limited on the shared tenant: waiting %lld s",
				(long long)pause.tv_sec);
		nanosleep(&pause, NULL);
		x->waited_for_rate = true;
		return req_signed_at(x, t, method, path, body, ts_ms + pause.tv_sec * 1000);
	}
	return status;
}

long req_signed(struct case_ctx *x, const struct suite_tenant *t, const char *method,
		const char *path, const char *body)
{
	return req_signed_at(x, t, method, path, body, relay_now_ms(x));
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
	report_case_actual_response(x->rcase, x->resp.status, resp_error_code(x), x->resp.body,
				    x->resp.body_len);
	if (x->curl)
		report_case_curl(x->rcase, x->curl);
	if (x->has_sig)
		report_case_hmac1(x->rcase, &x->sig);
}

static void broken_v(struct case_ctx *x, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (x->failed_hard && x->resp.status == 0)
		report_case_verdict(x->rcase, REPORT_FAIL, "%s (no HTTP response: %s)", buf,
				    x->resp.error);
	else
		report_case_broken(x->rcase, "%s", buf);
	report_case_expected(x->rcase, "%s", buf);
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
		report_case_verdict(x->rcase, REPORT_WARN,
				    "status %ld as documented, but error.code %s (expected %s, "
				    "[inferred] §1.4.2)",
				    status, got ? got : "(none)", code);
		report_case_expected(x->rcase, "%ld %s", status, code);
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
		report_case_verdict(x->rcase, REPORT_FAIL,
				    "got %ld for bad input: a relay never answers 5xx to bad "
				    "input (§1.4, 500 = internal error)",
				    x->resp.status);
		report_case_expected(x->rcase, "a 4xx with an error envelope");
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
	report_case_verdict(x->rcase, v, "%s", buf);
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

/* ---- JWT inspection (no verification: the suite has no relay key) */

json_t *jwt_part(const char *token, int part)
{
	const char *start = token, *end;
	unsigned char *raw = NULL;
	size_t len, n;
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
	raw = malloc(IDS_BASE64URL_DECODED_MAX(len) + 1);
	if (raw == NULL)
		return NULL;
	if (ids_base64url_decode(start, len, raw, IDS_BASE64URL_DECODED_MAX(len) + 1, &n) ==
	    RELAY_OK)
		out = json_loadb((const char *)raw, n, 0, NULL);
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
