/*
 * hmac1.c - HMAC#1 signing, each rejection step, the window and replays
 * (SPEC.md §4). The signed call is POST /api/v1/relay/create/conversation.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "suite_fixtures.h"
#include "suite_http.h"

#define ROUTE "/api/v1/relay/create/conversation"
#define BODY  "{\"visitor_user_id\":\"user-123\"}"

/* Signs BODY for the case's tenant at ts_ms. */
static bool parts_init(struct case_ctx *x, struct signed_parts *p, int64_t ts_ms)
{
	char ts[32];

	snprintf(ts, sizeof(ts), "%lld", (long long)ts_ms);
	return sign_parts(x, &x->t, ts, BODY, strlen(BODY), p);
}

/* POSTs body to ROUTE with p's headers. */
static long parts_send(struct case_ctx *x, struct signed_parts *p, const char *body)
{
	return req_parts(x, p, "POST", ROUTE, body, strlen(body));
}

/* ---- accepted */

static void hmac1_sign_valid_post(struct case_ctx *x)
{
	req_signed(x, &x->t, "POST", ROUTE, BODY);
	if (expect_status(x, 201, NULL))
		expect_envelope(x);
}

static void hmac1_sign_valid_get(struct case_ctx *x)
{
	char path[256];

	req_signed(x, &x->t, "POST", ROUTE, BODY);
	if (!expect_status(x, 201, NULL))
		return;
	snprintf(path, sizeof(path), "/api/v1/relay/fetch/conversation?conversation_id=%s",
		 data_str(x, "id") ? data_str(x, "id") : "");
	req_signed(x, &x->t, "GET", path, NULL);
	expect_status(x, 200, NULL);
}

static void hmac1_headers_lowercase_names(struct case_ctx *x)
{
	struct signed_parts p;

	if (!parts_init(x, &p, relay_now_ms(x)))
		return;
	for (int i = 0; i < 3; i++)
		for (char *c = p.h[i]; *c && *c != ':'; c++)
			*c = (char)tolower((unsigned char)*c);
	parts_send(x, &p, BODY);
	expect_status(x, 201, NULL);
}

static void hmac1_timestamp_leading_zeros(struct case_ctx *x)
{
	char ts[40];
	struct signed_parts p;

	snprintf(ts, sizeof(ts), "000%lld", (long long)relay_now_ms(x));
	if (!sign_parts(x, &x->t, ts, BODY, strlen(BODY), &p))
		return;
	parts_send(x, &p, BODY);
	expect_status(x, 201, NULL);
}

/* ---- step 1: headers */

static void drop_header(struct signed_parts *p, int which)
{
	size_t k = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->lines[i] != p->h[which])
			p->lines[k++] = p->lines[i];
	p->n = k;
}

static void hmac1_headers_edit(struct case_ctx *x)
{
	const char *id = x->meta->id;
	struct signed_parts p;
	char extra[HMAC1_HEADER_LINE_MAX];

	if (!parts_init(x, &p, relay_now_ms(x)))
		return;
	if (strcmp(id, "hmac1.headers.missing-tenant-id") == 0)
		drop_header(&p, 0);
	else if (strcmp(id, "hmac1.headers.missing-timestamp") == 0)
		drop_header(&p, 1);
	else if (strcmp(id, "hmac1.headers.missing-signature") == 0)
		drop_header(&p, 2);
	else if (strcmp(id, "hmac1.headers.empty-signature") == 0)
		/* "Name;" is how curl sends an empty value */
		snprintf(p.h[2], sizeof(p.h[2]), "%s;", HMAC1_HEADER_SIGNATURE);
	else if (strcmp(id, "hmac1.headers.duplicated-timestamp") == 0) {
		snprintf(extra, sizeof(extra), "%s", p.h[1]);
		p.lines[p.n++] = extra;
	} else if (strcmp(id, "hmac1.headers.duplicated-signature") == 0) {
		snprintf(extra, sizeof(extra), "%s", p.h[2]);
		p.lines[p.n++] = extra;
	} else if (strcmp(id, "hmac1.headers.signature-63-hex") == 0)
		p.h[2][strlen(p.h[2]) - 1] = '\0';
	else if (strcmp(id, "hmac1.headers.signature-65-hex") == 0)
		strcat(p.h[2], "0");
	else if (strcmp(id, "hmac1.headers.signature-not-hex") == 0)
		p.h[2][strlen(p.h[2]) - 1] = 'g';
	else if (strcmp(id, "hmac1.headers.timestamp-not-digits") == 0)
		snprintf(p.h[1], sizeof(p.h[1]), "%s: %sZ", HMAC1_HEADER_TIMESTAMP,
			 p.sig.timestamp);
	else if (strcmp(id, "hmac1.headers.timestamp-17-digits") == 0)
		snprintf(p.h[1], sizeof(p.h[1]), "%s: 0000%s", HMAC1_HEADER_TIMESTAMP,
			 p.sig.timestamp);
	else if (strcmp(id, "hmac1.headers.timestamp-negative") == 0)
		snprintf(p.h[1], sizeof(p.h[1]), "%s: -%s", HMAC1_HEADER_TIMESTAMP,
			 p.sig.timestamp);
	else if (strcmp(id, "hmac1.headers.tenant-id-129-bytes") == 0) {
		char long_id[130];

		memset(long_id, 'a', 129);
		long_id[129] = '\0';
		snprintf(p.h[0], sizeof(p.h[0]), "%s: %s", HMAC1_HEADER_TENANT, long_id);
	}
	parts_send(x, &p, BODY);
	expect_status(x, 401, "missing_signature");
}

/* ---- step 3: signature */

static void hmac1_signature_uppercase(struct case_ctx *x)
{
	struct signed_parts p;
	char *v;

	if (!parts_init(x, &p, relay_now_ms(x)))
		return;
	v = strchr(p.h[2], ':') + 2;
	for (; *v; v++)
		*v = (char)toupper((unsigned char)*v);
	parts_send(x, &p, BODY);
	expect_status(x, 401, "invalid_signature");
}

static void hmac1_signature_body_altered(struct case_ctx *x)
{
	struct signed_parts p;

	if (!parts_init(x, &p, relay_now_ms(x)))
		return;
	parts_send(x, &p, "{\"visitor_user_id\":\"user-124\"}");
	expect_status(x, 401, "invalid_signature");
}

static void hmac1_signature_reserialized(struct case_ctx *x)
{
	/* the classic bug: sign json.dumps(obj) (with spaces), send the compact bytes */
	const char *signed_body = "{\"visitor_user_id\": \"user-123\"}";
	struct signed_parts p;
	char ts[32];

	snprintf(ts, sizeof(ts), "%lld", (long long)relay_now_ms(x));
	if (!sign_parts(x, &x->t, ts, signed_body, strlen(signed_body), &p))
		return;
	parts_send(x, &p, BODY);
	report_case_log(x->rcase, "signed bytes: %s; sent bytes: %s", signed_body, BODY);
	expect_status(x, 401, "invalid_signature");
}

static void hmac1_signature_wrong_secret(struct case_ctx *x)
{
	struct suite_tenant other = x->t;

	other.secret[strlen(other.secret) - 1] ^= 1;
	req_signed(x, &other, "POST", ROUTE, BODY);
	expect_status(x, 401, "invalid_signature");
}

static void hmac1_signature_unknown_tenant(struct case_ctx *x)
{
	struct suite_tenant other = x->t;

	snprintf(other.id, sizeof(other.id), "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f");
	req_signed(x, &other, "POST", ROUTE, BODY);
	expect_status(x, 401, "invalid_signature");
}

static void hmac1_signature_not_revealed(struct case_ctx *x)
{
	struct signed_parts p;
	char good[HMAC1_HEX_LEN + 1];

	if (!parts_init(x, &p, relay_now_ms(x)))
		return;
	snprintf(good, sizeof(good), "%s", p.sig.signature);
	snprintf(p.h[2], sizeof(p.h[2]), "%s: %064d", HMAC1_HEADER_SIGNATURE, 0);
	parts_send(x, &p, BODY);
	if (!expect_status(x, 401, "invalid_signature"))
		return;
	expect_true(x,
		    strstr(x->resp.body, good) == NULL &&
			    resp_header(x, "X-Bloonio-Expected-Signature") == NULL,
		    "the error does not reveal the expected signature (§4.6.3)");
}

/* ---- step 2: window */

static void hmac1_window_seconds(struct case_ctx *x)
{
	req_signed_at(x, &x->t, "POST", ROUTE, BODY, relay_now_ms(x) / 1000);
	expect_status(x, 401, "stale_timestamp");
}

static void hmac1_window_client(struct case_ctx *x)
{
	const char *id = x->meta->id;
	int64_t now = relay_now_ms(x);

	if (strcmp(id, "hmac1.window.past-35s") == 0) {
		req_signed_at(x, &x->t, "POST", ROUTE, BODY, now - 35000);
		expect_status(x, 401, "stale_timestamp");
	} else if (strcmp(id, "hmac1.window.future-35s") == 0) {
		req_signed_at(x, &x->t, "POST", ROUTE, BODY, now + 35000);
		expect_status(x, 401, "stale_timestamp");
	} else if (strcmp(id, "hmac1.window.past-25s") == 0) {
		req_signed_at(x, &x->t, "POST", ROUTE, BODY, now - 25000);
		expect_status(x, 201, NULL);
	} else {
		req_signed_at(x, &x->t, "POST", ROUTE, BODY, now + 25000);
		expect_status(x, 201, NULL);
	}
}

/* Exact edges: freeze the mock clock at T and sign at T -/+ offset. */
static void hmac1_window_edge(struct case_ctx *x)
{
	const char *id = x->meta->id;
	int64_t t = relay_now_ms(x);
	int64_t off = strstr(id, "30001") ? 30001 : 30000;
	bool past = strstr(id, ".past-") != NULL;

	if (!mock_clock_set(x, t))
		return;
	req_signed_at(x, &x->t, "POST", ROUTE, BODY, past ? t - off : t + off);
	report_case_log(x->rcase, "mock clock frozen at %lld, timestamp %s", (long long)t,
			x->sig.timestamp);
	if (off == 30000)
		expect_status(x, 201, NULL);
	else
		expect_status(x, 401, "stale_timestamp");
}

/* ---- §4.5 order */

static void hmac1_order_headers_first(struct case_ctx *x)
{
	/* stale timestamp AND a 63-char signature: step 1 wins */
	struct signed_parts p;

	if (!parts_init(x, &p, relay_now_ms(x) - 3600000))
		return;
	p.h[2][strlen(p.h[2]) - 1] = '\0';
	parts_send(x, &p, BODY);
	expect_status(x, 401, "missing_signature");
}

static void hmac1_order_window_before_tenant(struct case_ctx *x)
{
	struct suite_tenant other = x->t;

	snprintf(other.id, sizeof(other.id), "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f");
	req_signed_at(x, &other, "POST", ROUTE, BODY, relay_now_ms(x) - 3600000);
	expect_status(x, 401, "stale_timestamp");
}

static void hmac1_order_signature_before_status(struct case_ctx *x)
{
	struct suite_tenant other = x->t;

	if (!tenant_action(x, &x->t, "suspend/tenant"))
		return;
	other.secret[strlen(other.secret) - 1] ^= 1;
	req_signed(x, &other, "POST", ROUTE, BODY);
	expect_status(x, 401, "invalid_signature");
}

static void hmac1_order_status_before_body(struct case_ctx *x)
{
	if (!tenant_action(x, &x->t, "suspend/tenant"))
		return;
	req_signed(x, &x->t, "POST", ROUTE, "{not json");
	expect_status(x, 403, "tenant_suspended");
}

static void hmac1_order_body_last(struct case_ctx *x)
{
	req_signed(x, &x->t, "POST", ROUTE, "{not json");
	expect_status(x, 400, "malformed_request");
}

/* ---- §4.7 replay */

static void hmac1_replay(struct case_ctx *x)
{
	struct signed_parts p;

	if (!parts_init(x, &p, relay_now_ms(x)))
		return;
	parts_send(x, &p, BODY);
	if (!expect_status(x, 201, NULL))
		return;
	parts_send(x, &p, BODY);
	if (x->resp.status == 201)
		case_info(x, "a replayed signed request is accepted inside the window (the "
			     "documented scheme has no nonce, §4.7.1)");
	else if (x->resp.status == 401 && resp_error_code(x) &&
		 strcmp(resp_error_code(x), "replayed_request") == 0)
		case_info(x, "a replayed signed request is refused with 401 replayed_request "
			     "(replay protection on, §4.7.2)");
	else
		expect_true(x, false,
			    "a replay accepted (201) or refused as replayed_request (401), got %ld",
			    x->resp.status);
}

static void hmac1_rotation_immediate(struct case_ctx *x)
{
	struct suite_tenant old = x->t;

	if (!tenant_action(x, &x->t, "rotate/tenant-secret"))
		return;
	req_signed(x, &old, "POST", ROUTE, BODY);
	expect_status(x, 401, "invalid_signature");
}

/* Classic bug: signing with the secret without its "sk_" prefix (§4.3.1: the whole string). */
static void hmac1_secret_without_prefix(struct case_ctx *x)
{
	struct suite_tenant bare = x->t;

	if (strncmp(x->t.secret, "sk_", 3) != 0) {
		case_skip(x, "the tenant secret has no sk_ prefix");
		return;
	}
	memmove(bare.secret, bare.secret + 3, strlen(bare.secret) - 2);
	req_signed(x, &bare, "POST", ROUTE, BODY);
	expect_status(x, 401, "invalid_signature");
}

/* Observation (§4.2.5, Known deviations): the query string is not signed. */
static void hmac1_query_not_signed(struct case_ctx *x)
{
	char path[256], h[3][HMAC1_HEADER_LINE_MAX], ts[32];
	const char *lines[3] = {h[0], h[1], h[2]};
	struct hmac1_signed sig;
	const char *id;

	req_signed(x, &x->t, "POST", ROUTE, BODY);
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

#define H(id, sec, prov, title)                                                                    \
	{                                                                                          \
		id, sec, prov, NEED_TENANT, title, hmac1_headers_edit                              \
	}

const struct suite_case cases_hmac1[] = {
	{"hmac1.sign.valid-post", "4.2", REPORT_DOCUMENTED, NEED_TENANT,
	 "A POST signed as documented (sha256 of the exact body) is accepted (AUTH)",
	 hmac1_sign_valid_post},
	{"hmac1.sign.valid-get", "4.2.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "A body-less GET signed over the empty string is accepted (AUTH)", hmac1_sign_valid_get},
	{"hmac1.headers.lowercase-names", "4.1.2", REPORT_INFERRED, NEED_TENANT,
	 "Header names are case-insensitive", hmac1_headers_lowercase_names},
	{"hmac1.sign.timestamp-leading-zeros", "4.2.4", REPORT_INFERRED, NEED_TENANT,
	 "The signing string uses the timestamp text as received (leading zeros)",
	 hmac1_timestamp_leading_zeros},
	H("hmac1.headers.missing-tenant-id", "4.1.2", REPORT_INFERRED,
	  "Without X-Bloonio-Tenant-Id: 401 missing_signature"),
	H("hmac1.headers.missing-timestamp", "4.1.2", REPORT_INFERRED,
	  "Without X-Bloonio-Timestamp: 401 missing_signature"),
	H("hmac1.headers.missing-signature", "4.1.2", REPORT_INFERRED,
	  "Without X-Bloonio-Signature: 401 missing_signature"),
	H("hmac1.headers.empty-signature", "4.1.2", REPORT_INFERRED,
	  "An empty X-Bloonio-Signature: 401 missing_signature"),
	H("hmac1.headers.duplicated-timestamp", "4.1.2", REPORT_INFERRED,
	  "X-Bloonio-Timestamp twice: 401 missing_signature"),
	H("hmac1.headers.duplicated-signature", "4.1.2", REPORT_INFERRED,
	  "X-Bloonio-Signature twice: 401 missing_signature"),
	H("hmac1.headers.signature-63-hex", "4.1.3", REPORT_INFERRED,
	  "A 63-char signature: 401 missing_signature"),
	H("hmac1.headers.signature-65-hex", "4.1.3", REPORT_INFERRED,
	  "A 65-char signature: 401 missing_signature"),
	H("hmac1.headers.signature-not-hex", "4.1.3", REPORT_INFERRED,
	  "A signature with a non-hex char: 401 missing_signature"),
	H("hmac1.headers.timestamp-not-digits", "4.1.3", REPORT_INFERRED,
	  "A timestamp with a non-digit: 401 missing_signature"),
	H("hmac1.headers.timestamp-17-digits", "4.1.3", REPORT_INFERRED,
	  "A 17-digit timestamp: 401 missing_signature"),
	H("hmac1.headers.timestamp-negative", "4.1.3", REPORT_INFERRED,
	  "A signed timestamp (-...): 401 missing_signature"),
	H("hmac1.headers.tenant-id-129-bytes", "4.1.3", REPORT_INFERRED,
	  "A 129-byte tenant id: 401 missing_signature"),
	{"hmac1.signature.uppercase-hex", "4.3.2", REPORT_INFERRED, NEED_TENANT,
	 "An uppercase-hex signature is a mismatch: 401 invalid_signature",
	 hmac1_signature_uppercase},
	{"hmac1.signature.body-altered", "4.2.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "A body differing from the signed body is refused with 401 (AUTH, ERR)",
	 hmac1_signature_body_altered},
	{"hmac1.signature.reserialized-json", "4.2.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "Signing a re-serialized body (other bytes than sent) is refused with 401 (AUTH)",
	 hmac1_signature_reserialized},
	{"hmac1.signature.wrong-secret", "4.3.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "A signature made with another secret is refused with 401 (ERR)",
	 hmac1_signature_wrong_secret},
	{"hmac1.signature.unknown-tenant", "4.6.2", REPORT_INFERRED, NEED_TENANT,
	 "An unknown tenant id is 401 invalid_signature, like a mismatch",
	 hmac1_signature_unknown_tenant},
	{"hmac1.signature.not-revealed", "4.6.3", REPORT_INFERRED, NEED_TENANT,
	 "A refused signature's response carries no hint of the expected one",
	 hmac1_signature_not_revealed},
	{"hmac1.window.seconds-timestamp", "4.4.3", REPORT_INFERRED, NEED_TENANT,
	 "A timestamp in seconds is 401 stale_timestamp", hmac1_window_seconds},
	{"hmac1.window.past-35s", "4.4.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "A timestamp 35 s in the past is refused with 401 (AQS: within +/-30 s)",
	 hmac1_window_client},
	{"hmac1.window.future-35s", "4.4.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "A timestamp 35 s in the future is refused with 401 (AQS)", hmac1_window_client},
	{"hmac1.window.past-25s", "4.4.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "A timestamp 25 s in the past is accepted (AQS)", hmac1_window_client},
	{"hmac1.window.future-25s", "4.4.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "A timestamp 25 s in the future is accepted (AQS)", hmac1_window_client},
	{"hmac1.window.past-30000ms", "4.4.2", REPORT_INFERRED, NEED_TENANT | NEED_MOCK,
	 "Exactly 30000 ms in the past is accepted (mock clock)", hmac1_window_edge},
	{"hmac1.window.past-30001ms", "4.4.2", REPORT_INFERRED, NEED_TENANT | NEED_MOCK,
	 "30001 ms in the past is 401 stale_timestamp (mock clock)", hmac1_window_edge},
	{"hmac1.window.future-30000ms", "4.4.2", REPORT_INFERRED, NEED_TENANT | NEED_MOCK,
	 "Exactly 30000 ms in the future is accepted (mock clock)", hmac1_window_edge},
	{"hmac1.window.future-30001ms", "4.4.2", REPORT_INFERRED, NEED_TENANT | NEED_MOCK,
	 "30001 ms in the future is 401 stale_timestamp (mock clock)", hmac1_window_edge},
	{"hmac1.order.headers-before-window", "4.5", REPORT_INFERRED, NEED_TENANT,
	 "A malformed signature wins over a stale timestamp (step 1 before 2)",
	 hmac1_order_headers_first},
	{"hmac1.order.window-before-tenant", "4.5", REPORT_INFERRED, NEED_TENANT,
	 "A stale timestamp of an unknown tenant is stale_timestamp (step 2 before 3)",
	 hmac1_order_window_before_tenant},
	{"hmac1.order.signature-before-status", "4.5", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "A bad signature on a suspended tenant is 401, not 403 (step 3 before 4)",
	 hmac1_order_signature_before_status},
	{"hmac1.order.status-before-body", "4.5", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "Bad JSON from a suspended tenant is 403 tenant_suspended (step 4 before 7)",
	 hmac1_order_status_before_body},
	{"hmac1.order.body-last", "4.5", REPORT_INFERRED, NEED_TENANT,
	 "A correctly signed bad JSON body is 400 malformed_request (step 7)",
	 hmac1_order_body_last},
	{"hmac1.replay.inside-window", "4.7", REPORT_INFERRED, NEED_TENANT,
	 "Observation: is a byte-identical signed request accepted twice?", hmac1_replay},
	{"hmac1.rotation.old-secret", "4.8.1", REPORT_DOCUMENTED, NEED_ADMIN | NEED_TENANT,
	 "Signatures with the old secret fail right after rotation: no grace window (TM)",
	 hmac1_rotation_immediate},
	{"hmac1.signature.secret-without-prefix", "4.3.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "Signing with the secret minus its sk_ prefix is refused with 401 (the whole string "
	 "is the key, AUTH)",
	 hmac1_secret_without_prefix},
	{"hmac1.query.not-signed", "4.2.5", REPORT_INFERRED, NEED_TENANT,
	 "Observation: the query string is not part of the signed string", hmac1_query_not_signed},
	{NULL, NULL, 0, 0, NULL, NULL}};
