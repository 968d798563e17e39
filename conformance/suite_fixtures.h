/*
 * suite_fixtures.h - the relay's clock, tenants and visitor sessions for the cases
 * (suite_fixtures.c). Requests go through suite_http.h and become the last exchange.
 */
#ifndef CONFORMANCE_SUITE_FIXTURES_H
#define CONFORMANCE_SUITE_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay_client.h"
#include "suite.h"

/* ---- the relay's clock (§10.2) */

/* The relay's now: the mock clock when the target is a mock, else this machine's. */
int64_t relay_now_ms(struct case_ctx *x);
/* Freeze the mock clock at ms (restored to real time after the case). */
bool mock_clock_set(struct case_ctx *x, int64_t ms);
bool mock_clock_advance(struct case_ctx *x, int64_t ms);
/* Back to real time when the case froze the mock clock (after each case). */
void mock_clock_restore(struct case_ctx *x);
/*
 * GET /__mock/clock with the admin key through cl (§10.2): the HTTP status, 0 when
 * none came; on 200 the mock's now_ms goes into *now_ms (left alone otherwise).
 */
long mock_clock_get(struct relay_client *cl, const struct suite_config *cfg, int64_t *now_ms);

/* ---- tenants */

/*
 * Provisions a fresh tenant with body fields extra (JSON object text without braces,
 * e.g. "\"rate_limit_per_min\":3", or NULL). Origins default to
 * https://shop.demo.com and app://bloonio_chat_flutter. On failure the case is
 * marked broken and false returned.
 */
bool tenant_provision(struct case_ctx *x, struct suite_tenant *t, const char *extra);
/* The tenant given on the command line (--tenant-id, --tenant-secret, ...) into t. */
void tenant_given(struct case_ctx *x, struct suite_tenant *t);

/* req_admin() to /api/v1/<route>?tenant_id=<t's id> ("fetch/tenant", "update/tenant", ...). */
long req_admin_tenant(struct case_ctx *x, const char *method, const char *route,
		      const struct suite_tenant *t, const char *body);
/*
 * POST /api/v1/<route>?tenant_id=<t's id> with the admin key and no body: a tenant
 * action of §2.5-§2.7 ("suspend/tenant", "rotate/widget-key", ...). True when it
 * answered 200, else the case is marked broken; the answer is the last exchange.
 */
bool tenant_action(struct case_ctx *x, const struct suite_tenant *t, const char *route);

/* ---- visitor sessions (§7) */

/* POST /api/v1/create/visitor-session for t with its widget key and allowed origin. */
long req_visitor_session(struct case_ctx *x, const struct suite_tenant *t);
/* The same with origin in the body and, unless NULL, an Origin header origin_header. */
long req_visitor_session_from(struct case_ctx *x, const struct suite_tenant *t, const char *origin,
			      const char *origin_header);
/*
 * A visitor session for the case's tenant: the visitor_token into tok and the
 * session_id into sid. False unless 201 (the case is then marked broken).
 */
bool visitor_session(struct case_ctx *x, char *tok, size_t tok_size, char *sid, size_t sid_size);
/* POST /api/v1/refresh/visitor-token with token as the Bearer credential. */
long req_refresh(struct case_ctx *x, const char *token);

#endif
