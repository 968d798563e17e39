/*
 * suite.h - the case table and the helpers every case uses (SPEC.md §12).
 *
 * A case is a row of metadata (stable id, SPEC rule, provenance, needs, requirement
 * text) and a body. suite.c runs each row as a CMocka test: the setup opens the
 * report case and an HTTP client, the body checks the relay and records verdicts,
 * and the wrapper turns the final verdict into CMocka's (FAIL/XPASS → fail_msg,
 * SKIP → skip(), everything else passes).
 *
 * Helpers keep the last request and response of the case, so a broken expectation
 * reports expected vs actual, the HMAC#1 intermediate values and a curl command.
 */
#ifndef CONFORMANCE_SUITE_H
#define CONFORMANCE_SUITE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sys/socket.h>

#include <jansson.h>

#include "relay_client.h"
#include "relay_hmac1.h"
#include "relay_ids.h"
#include "report.h"

/* What a case needs; missing needs SKIP it with the reason. */
#define NEED_ADMIN  0x01u /* --admin-key: provisions its own tenants */
#define NEED_MOCK   0x02u /* the /__mock control plane (clock, journal) */
#define NEED_TENANT 0x04u /* tenant credentials: provisioned, or --tenant-id/--tenant-secret */
#define NEED_WIDGET                                                                                \
	0x08u /* widget key + an allowed origin: provisioned, or --widget-key/--origin */
#define NEED_CALLBACK                                                                              \
	0x10u /* a callback receiver the relay can reach: a loopback target, or                    \
		 --callback-public-url */

struct suite_config {
	const char *base_url;
	const char *admin_key;
	const char *tenant_id;
	const char *tenant_secret;
	const char *widget_key;
	const char *origin;
	long timeout_ms;
	bool insecure;               /* --insecure: no TLS verification (https, wss) */
	const char *callback_listen; /* --callback-listen ADDR:PORT (NULL: 127.0.0.1:0) */
	const char
		*callback_public_url; /* --callback-public-url: the receiver as the relay sees it */
};

struct suite {
	struct suite_config cfg;
	struct report *report;
	bool is_mock;       /* GET /__mock/clock answered 200 */
	unsigned n_tenants; /* provisioned so far, for names */
};

/* One tenant's credentials. */
struct tenant {
	char id[HMAC1_TENANT_MAX + 1];
	char secret[HMAC1_SECRET_MAX + 1];
	char widget_key[256];
	char origin[256]; /* an allowed origin */
	bool provisioned; /* by this case (else given on the command line) */
};

struct case_ctx;
typedef void (*case_fn)(struct case_ctx *ctx);

struct suite_case {
	const char *id;      /* SPEC §12.2 grammar */
	const char *section; /* "§4.4" or "4.4.2" */
	enum report_provenance prov;
	unsigned needs;
	const char *title; /* the requirement */
	case_fn fn;
};

struct case_ctx {
	struct suite *s;
	const struct suite_case *meta;
	struct report_case *rc;
	struct relay_client *cl;
	struct tenant t; /* the case's tenant, when it needs one */
	bool clock_frozen;
	bool failed_hard;     /* a request could not be made at all */
	bool waited_for_rate; /* already waited once for the shared tenant's rate window */
	/* last exchange */
	struct client_response resp;
	json_t *json; /* parsed body of resp, or NULL */
	char *curl;   /* reproduces the last request */
	struct hmac1_signed sig;
	bool has_sig;
};

/* Case tables, each ended by a row with id NULL (cases_*.c). */
extern const struct suite_case cases_envelope[];
extern const struct suite_case cases_admin[];
extern const struct suite_case cases_origin[];
extern const struct suite_case cases_hmac1[];
extern const struct suite_case cases_ratelimit[];
extern const struct suite_case cases_relay[];
extern const struct suite_case cases_widget[];
extern const struct suite_case cases_hostile[];
extern const struct suite_case cases_ws[];
extern const struct suite_case cases_more[];
extern const struct suite_case cases_callback[];
extern const struct suite_case cases_lifecycle[];
extern const struct suite_case cases_plan[];
/* cases_mutation_gaps.c: rules the mutation test found uncovered (sdk/backend helper) */
extern const struct suite_case cases_mutation_gaps[];

/* ---- requests (each replaces the case's last exchange; returns the HTTP status, 0 on none) */

/* Any request; headers "Name: value"; body may be NULL. */
long req_raw(struct case_ctx *x, const char *method, const char *path, const char *const *headers,
	     size_t n_headers, const void *body, size_t body_len);

/* With X-Admin-Key (the configured key) and a JSON Content-Type when body is set. */
long req_admin(struct case_ctx *x, const char *method, const char *path, const char *body);
/* req_admin() to /api/v1/<route>?tenant_id=<t's id> ("fetch/tenant", "update/tenant", ...). */
long req_admin_tenant(struct case_ctx *x, const char *method, const char *route,
		      const struct tenant *t, const char *body);

/* Signed with HMAC#1 for tenant t at ts_ms (the three headers, built here). */
long req_signed_at(struct case_ctx *x, const struct tenant *t, const char *method, const char *path,
		   const char *body, int64_t ts_ms);
/* Signed at the relay's now. */
long req_signed(struct case_ctx *x, const struct tenant *t, const char *method, const char *path,
		const char *body);

/* Computes the three header lines into h[3] (each 160 bytes) and the values into sig. */
bool sign_headers(struct case_ctx *x, const struct tenant *t, const char *ts_text, const void *body,
		  size_t body_len, char h[3][160], struct hmac1_signed *sig);

/*
 * A signed request built before it is sent, so a case can edit it: h[0] is the
 * X-Bloonio-Tenant-Id line, h[1] X-Bloonio-Timestamp, h[2] X-Bloonio-Signature;
 * lines[0..n) are the header lines sent (the three, then a JSON Content-Type when
 * there is a body), with room for two more.
 */
struct signed_parts {
	char h[3][160];
	struct hmac1_signed sig;
	const char *lines[6];
	size_t n;
};

/*
 * Signs body (body_len bytes, NULL for none) for tenant t with the timestamp text ts_text,
 * sent as written. False (the case FAILs) when it cannot sign.
 */
bool sign_parts(struct case_ctx *x, const struct tenant *t, const char *ts_text, const void *body,
		size_t body_len, struct signed_parts *p);
/* Sends p's header lines with body; the case's HMAC#1 details become p's. */
long req_parts(struct case_ctx *x, const struct signed_parts *p, const char *method,
	       const char *path, const void *body, size_t body_len);

/* ---- the relay's clock (§10.2) */

/* The relay's now: the mock clock when the target is a mock, else this machine's. */
int64_t relay_now_ms(struct case_ctx *x);
/* Freeze the mock clock at ms (restored to real time after the case). */
bool mock_clock_set(struct case_ctx *x, int64_t ms);
bool mock_clock_advance(struct case_ctx *x, int64_t ms);

/* ---- tenants */

/*
 * Provisions a fresh tenant with body fields extra (JSON object text without braces,
 * e.g. "\"rate_limit_per_min\":3", or NULL). Origins default to
 * https://shop.demo.com and app://bloonio_chat_flutter. On failure the case is
 * marked broken and false returned.
 */
bool tenant_provision(struct case_ctx *x, struct tenant *t, const char *extra);

/*
 * POST /api/v1/<route>?tenant_id=<t's id> with the admin key and no body: a tenant
 * action of §2.5-§2.7 ("suspend/tenant", "rotate/widget-key", ...). True when it
 * answered 200, else the case is marked broken; the answer is the last exchange.
 */
bool tenant_action(struct case_ctx *x, const struct tenant *t, const char *route);

/* ---- visitor sessions (§7) */

/* POST /api/v1/create/visitor-session for t with its widget key and allowed origin. */
long req_visitor_session(struct case_ctx *x, const struct tenant *t);
/*
 * A visitor session for the case's tenant: the visitor_token into tok and the
 * session_id into sid. False unless 201 (the case is then marked broken).
 */
bool visitor_session(struct case_ctx *x, char *tok, size_t tok_size, char *sid, size_t sid_size);
/* POST /api/v1/refresh/visitor-token with token as the Bearer credential. */
long req_refresh(struct case_ctx *x, const char *token);

/* ---- expectations: on a mismatch the case is marked broken with details; return true if met */

/* Status and error.code (code NULL = a success envelope expected). */
bool expect_status(struct case_ctx *x, long status, const char *code);
/* One of two statuses/codes. */
bool expect_either(struct case_ctx *x, long s1, const char *c1, long s2, const char *c2);
/* The envelope of §1.2/§1.3 matches the HTTP status. */
bool expect_envelope(struct case_ctx *x);
/* A condition about the last response; fmt says what was expected. */
bool expect_true(struct case_ctx *x, bool cond, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* No 5xx and a well-formed envelope (hostile input). */
bool expect_no_5xx(struct case_ctx *x);

/* NULL-safe string equality. */
static inline bool streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Borrowed views of the last response. */
json_t *resp_data(struct case_ctx *x);
const char *resp_error_code(struct case_ctx *x);
const char *resp_error_field(struct case_ctx *x);
const char *resp_header(struct case_ctx *x, const char *name);
const char *data_str(struct case_ctx *x, const char *key);

/* SKIP with a reason; INFO with an observation. */
void case_skip(struct case_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void case_info(struct case_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Header (part 0) or claims (part 1) of a JWT as JSON (new reference), NULL if not decodable. */
json_t *jwt_part(const char *token, int part);
/* Number of '.'-separated base64url segments; -1 when a char is not base64url. */
int jwt_segments(const char *token);

/* 1 when the target is http://127.0.0.1:PORT or http://localhost:PORT (then *port is set). */
bool suite_target_local(const struct suite *s, int *port);
/*
 * Parses --callback-listen's "ADDR:PORT" (dotted IPv4, or "[IPv6]") into *ss (port in
 * network order) and *len (may be NULL). False when it is not of that form.
 */
bool suite_listen_parse(const char *v, struct sockaddr_storage *ss, socklen_t *len);

/* 1 when the target's host is a loopback address (127.*, localhost, [::1]), any scheme. */
bool suite_target_loopback(const struct suite *s);

/* Runs the suite (main.c parsed options). Returns the exit status. */
struct suite_run_options {
	const char *filter;
	bool list;
	bool verbose;
	struct report_files files;
};
int suite_run(struct suite *s, const struct suite_run_options *o);

/* Every case table in order, for --list and the runner. */
extern const struct suite_case *const suite_tables[];

#endif
