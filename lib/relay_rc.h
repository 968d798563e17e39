/*
 * relay_rc.h - the one result type of the project (SPEC.md §1.4).
 *
 * Every function that can fail returns an enum relay_rc. Protocol failures carry
 * the HTTP status and the snake_case error code that the relay answers with, from
 * a single table, so a status and its envelope can never disagree.
 */
#ifndef RELAY_RC_H
#define RELAY_RC_H

#define RELAY_WUR __attribute__((warn_unused_result))

enum relay_rc {
	RELAY_OK = 0,
	/* protocol errors: each maps to one HTTP status and error code */
	RELAY_E_MALFORMED_REQUEST,
	RELAY_E_INVALID_ADMIN_KEY,
	RELAY_E_MISSING_SIGNATURE,
	RELAY_E_STALE_TIMESTAMP,
	RELAY_E_INVALID_SIGNATURE,
	RELAY_E_REPLAYED_REQUEST,
	RELAY_E_INVALID_WIDGET_KEY,
	RELAY_E_INVALID_TOKEN,
	RELAY_E_SESSION_EXPIRED,
	RELAY_E_TENANT_SUSPENDED,
	RELAY_E_ORIGIN_NOT_ALLOWED,
	RELAY_E_NOT_FOUND,
	RELAY_E_TENANT_NOT_FOUND,
	RELAY_E_CONVERSATION_NOT_FOUND,
	RELAY_E_OPERATOR_NOT_FOUND,
	RELAY_E_METHOD_NOT_ALLOWED,
	RELAY_E_TENANT_ALREADY_SUSPENDED,
	RELAY_E_TENANT_ALREADY_ACTIVE,
	RELAY_E_PAYLOAD_TOO_LARGE,
	RELAY_E_VALIDATION_FAILED,
	RELAY_E_RATE_LIMITED,
	RELAY_E_CAPACITY_EXCEEDED,
	RELAY_E_FAULT_INJECTED,
	RELAY_E_INSUFFICIENT_SCOPE,
	RELAY_E_CONVERSATION_STATE,
	RELAY_E_QUOTA_EXCEEDED,
	RELAY_E_STATE_UNAVAILABLE,
	RELAY_E_INTERNAL,
	/* local errors: never sent on the wire as such (they map to internal_error) */
	RELAY_E_NOMEM,
	RELAY_E_INVALID_ARGUMENT,
	RELAY_E_IO,
	RELAY_E_CRYPTO,
	RELAY_RC_COUNT
};

struct relay_rc_info {
	int http_status;     /* status the relay answers with */
	const char *code;    /* snake_case error code (error.code) */
	const char *message; /* default human message */
};

/* Table entry for rc; out-of-range values map to internal_error. Never NULL. */
const struct relay_rc_info *relay_rc_info(enum relay_rc rc);

/* Shorthands. */
int relay_rc_status(enum relay_rc rc);
const char *relay_rc_code(enum relay_rc rc);

/* The rc whose error code is `code`, or RELAY_E_INTERNAL when none is. */
enum relay_rc relay_rc_from_code(const char *code);

#endif
