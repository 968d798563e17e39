/*
 * relay_auth.h - the HMAC#1 gate of every /api/v1/relay/... route (SPEC §4, §5).
 *
 * Checks, in SPEC §4.5's order, first failure wins: headers, window, signature,
 * tenant status, replay (only with --reject-replays), rate limit. Step 7 (the body)
 * belongs to the route handler.
 */
#ifndef RELAY_AUTH_H
#define RELAY_AUTH_H

#include "relay_req.h"
#include "relay_rc.h"

/*
 * Verifies req. On RELAY_OK req->tenant_id holds the verified tenant and resp
 * already carries the X-RateLimit-* headers (§5). Otherwise resp holds the error
 * envelope (with Retry-After and X-RateLimit-* for 429). Either way the HMAC#1
 * diagnostics are written into req->journal (never the secret or the expected
 * signature).
 */
RELAY_WUR enum relay_rc auth_hmac1(struct relay_request *req, struct relay_response *resp);

/*
 * §2.1: 1 when the request's X-Admin-Key equals the configured key (length check,
 * then constant-time comparison), 0 otherwise.
 */
int auth_admin_key_ok(const struct relay_request *req);

#endif
