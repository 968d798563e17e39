/*
 * suite_http.h - requests, signing, views and expectations for the cases (suite_http.c).
 *
 * Helpers keep the last request and response of the case, so a broken expectation
 * reports expected vs actual, the HMAC#1 intermediate values and a curl command.
 */
#ifndef CONFORMANCE_SUITE_HTTP_H
#define CONFORMANCE_SUITE_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "suite.h"

/* ---- requests (each replaces the case's last exchange; returns the HTTP status, 0 on none) */

/* Any request; headers "Name: value"; body may be NULL. */
long req_raw(struct case_ctx *x, const char *method, const char *path, const char *const *headers,
	     size_t n_headers, const void *body, size_t body_len);

/* With X-Admin-Key (the configured key) and a JSON Content-Type when body is set. */
long req_admin(struct case_ctx *x, const char *method, const char *path, const char *body);

/* Signed with HMAC#1 for tenant t at ts_ms (the three headers, built here). */
long req_signed_at(struct case_ctx *x, const struct suite_tenant *t, const char *method,
		   const char *path, const char *body, int64_t ts_ms);
/* Signed at the relay's now. */
long req_signed(struct case_ctx *x, const struct suite_tenant *t, const char *method,
		const char *path, const char *body);

/* Computes the three header lines into h (hmac1_header_lines()) and the values into sig. */
bool sign_headers(struct case_ctx *x, const struct suite_tenant *t, const char *ts_text,
		  const void *body, size_t body_len, char h[3][HMAC1_HEADER_LINE_MAX],
		  struct hmac1_signed *sig);

/*
 * A signed request built before it is sent, so a case can edit it: h[0] is the
 * X-Bloonio-Tenant-Id line, h[1] X-Bloonio-Timestamp, h[2] X-Bloonio-Signature;
 * lines[0..n) are the header lines sent (the three, then a JSON Content-Type when
 * there is a body), with room for two more.
 */
struct signed_parts {
	char h[3][HMAC1_HEADER_LINE_MAX];
	struct hmac1_signed sig;
	const char *lines[6];
	size_t n;
};

/*
 * Signs body (body_len bytes, NULL for none) for tenant t with the timestamp text ts_text,
 * sent as written. False (the case FAILs) when it cannot sign.
 */
bool sign_parts(struct case_ctx *x, const struct suite_tenant *t, const char *ts_text,
		const void *body, size_t body_len, struct signed_parts *p);
/* Sends p's header lines with body; the case's HMAC#1 details become p's. */
long req_parts(struct case_ctx *x, const struct signed_parts *p, const char *method,
	       const char *path, const void *body, size_t body_len);

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

/* Frees the case's last exchange (before the next request, and at the end of the case). */
void case_last_clear(struct case_ctx *x);

#endif
