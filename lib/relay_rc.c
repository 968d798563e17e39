/*
 * relay_rc.c - the table behind enum relay_rc (SPEC.md §1.4).
 */
#include <string.h>

#include "relay_rc.h"

static const struct relay_rc_info rc_table[RELAY_RC_COUNT] = {
	[RELAY_OK] = {200, "ok", "OK."},
	[RELAY_E_MALFORMED_REQUEST] = {400, "malformed_request", "Malformed request."},
	[RELAY_E_INVALID_ADMIN_KEY] = {401, "invalid_admin_key", "Missing or invalid X-Admin-Key."},
	[RELAY_E_MISSING_SIGNATURE] = {401, "missing_signature",
				       "Missing or malformed HMAC#1 headers."},
	[RELAY_E_STALE_TIMESTAMP] = {401, "stale_timestamp",
				     "X-Bloonio-Timestamp is outside the ±30 s window."},
	[RELAY_E_INVALID_SIGNATURE] = {401, "invalid_signature", "Invalid signature."},
	[RELAY_E_REPLAYED_REQUEST] = {401, "replayed_request",
				      "This signed request was already received."},
	[RELAY_E_INVALID_WIDGET_KEY] = {401, "invalid_widget_key",
					"Unknown tenant or invalid widget key."},
	[RELAY_E_INVALID_TOKEN] = {401, "invalid_token", "Invalid or expired token."},
	[RELAY_E_SESSION_EXPIRED] = {401, "session_expired", "The visitor session has expired."},
	[RELAY_E_TENANT_SUSPENDED] = {403, "tenant_suspended", "Tenant suspended."},
	[RELAY_E_ORIGIN_NOT_ALLOWED] = {403, "origin_not_allowed",
					"Origin not allowed for this tenant."},
	[RELAY_E_NOT_FOUND] = {404, "not_found", "Not found."},
	[RELAY_E_TENANT_NOT_FOUND] = {404, "tenant_not_found", "Tenant not found."},
	[RELAY_E_CONVERSATION_NOT_FOUND] = {404, "conversation_not_found",
					    "Conversation not found."},
	[RELAY_E_OPERATOR_NOT_FOUND] = {404, "operator_not_found", "Operator not found."},
	[RELAY_E_METHOD_NOT_ALLOWED] = {405, "method_not_allowed", "Method not allowed."},
	[RELAY_E_TENANT_ALREADY_SUSPENDED] = {409, "tenant_already_suspended",
					      "Tenant is already suspended."},
	[RELAY_E_TENANT_ALREADY_ACTIVE] = {409, "tenant_already_active",
					   "Tenant is already active."},
	[RELAY_E_PAYLOAD_TOO_LARGE] = {413, "payload_too_large",
				       "Request body exceeds 65536 bytes."},
	[RELAY_E_VALIDATION_FAILED] = {422, "validation_failed", "Validation failed."},
	[RELAY_E_RATE_LIMITED] = {429, "rate_limited", "Rate limit reached."},
	[RELAY_E_CAPACITY_EXCEEDED] = {507, "capacity_exceeded", "Mock relay capacity reached."},
	[RELAY_E_FAULT_INJECTED] = {503, "fault_injected", "Fault injected by the mock."},
	[RELAY_E_INSUFFICIENT_SCOPE] = {403, "insufficient_scope",
					"Forbidden (insufficient scope)."},
	[RELAY_E_CONVERSATION_STATE] = {409, "conversation_state",
					"The conversation's status does not allow this."},
	[RELAY_E_QUOTA_EXCEEDED] = {429, "quota_exceeded", "Monthly message quota reached."},
	[RELAY_E_STATE_UNAVAILABLE] = {503, "state_unavailable",
				       "The state file could not be written; nothing was changed."},
	[RELAY_E_INTERNAL] = {500, "internal_error", "Internal error."},
	[RELAY_E_NOMEM] = {500, "internal_error", "Out of memory."},
	[RELAY_E_INVALID_ARGUMENT] = {500, "internal_error", "Invalid argument."},
	[RELAY_E_IO] = {500, "internal_error", "I/O error."},
	[RELAY_E_CRYPTO] = {500, "internal_error", "Cryptographic library failure."},
};

const struct relay_rc_info *relay_rc_info(enum relay_rc rc)
{
	if ((int)rc < 0 || rc >= RELAY_RC_COUNT)
		return &rc_table[RELAY_E_INTERNAL];
	return &rc_table[rc];
}

int relay_rc_status(enum relay_rc rc)
{
	return relay_rc_info(rc)->http_status;
}

const char *relay_rc_code(enum relay_rc rc)
{
	return relay_rc_info(rc)->code;
}

enum relay_rc relay_rc_from_code(const char *code)
{
	int i;

	if (code == NULL)
		return RELAY_E_INTERNAL;
	for (i = 1; i < RELAY_E_INTERNAL; i++) {
		if (strcmp(rc_table[i].code, code) == 0)
			return (enum relay_rc)i;
	}
	return RELAY_E_INTERNAL;
}
