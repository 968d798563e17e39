/*
 * operator_store.h - operators provisioned by a tenant's backend (SPEC §6.4, §6.5).
 *
 * Idempotent on (lowercased email, tenant): provisioning an existing email
 * refreshes the fields present instead of failing. Per-tenant buckets with their
 * own mutex, as in conv_store.h; another tenant's operator is not found.
 */
#ifndef OPERATOR_STORE_H
#define OPERATOR_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "relay_ids.h"
#include "relay_rc.h"

#define OPERATORS_MAX_PER_TENANT 1000 /* §13 */
#define OPERATOR_EMAIL_MAX       254  /* §6.4.1, bytes */

struct operator_store;

/* A provisioning request (§6.4.1), already validated. */
struct operator_fields {
	const char *email;           /* required; lowercased by the store */
	bool has_display_name;       /* field present in the body */
	const char *display_name;    /* NULL: null */
	bool has_routing_keys;       /* field present in the body */
	json_t *routing_keys;        /* borrowed array of strings, deep-copied; NULL: null */
	bool has_backend_user_id;    /* field present in the body */
	const char *backend_user_id; /* the backend's own user id (§6.4.5); NULL: null */
};

#define OPERATOR_ID_MAX PREFIXED_ID_MAX

/* What an operator action needs (§9.7), copied out under the lock. */
struct operator_view {
	char operator_id[OPERATOR_ID_MAX + 1];
	char relay_user_id[OPERATOR_ID_MAX + 1];
	json_t *routing_keys; /* owned deep copy (array) or NULL: tenant-wide when NULL or [] */
};

struct operator_store *operator_store_new(void);
void operator_store_free(struct operator_store *s);

/* Forget every operator (§10.1). */
void operator_store_reset(struct operator_store *s);

/*
 * Create or refresh the operator (email, tenant_id). On RELAY_OK *created says
 * which, and *op (may be NULL) receives {"operator_id","created","email",
 * "display_name","routing_keys","created_at","relay_user_id","backend_user_id"}
 * (§6.4.3, §6.4.5).
 * RELAY_E_CAPACITY_EXCEEDED past OPERATORS_MAX_PER_TENANT new operators.
 */
RELAY_WUR enum relay_rc operator_store_provision(struct operator_store *s, const char *tenant_id,
						 const struct operator_fields *f, int64_t now_ms,
						 bool *created, json_t **op);

/* RELAY_OK when operator_id belongs to tenant_id, else RELAY_E_OPERATOR_NOT_FOUND. */
RELAY_WUR enum relay_rc operator_store_find(struct operator_store *s, const char *tenant_id,
					    const char *operator_id);

/*
 * A copy of the operator: RELAY_E_OPERATOR_NOT_FOUND when unknown or another
 * tenant's. On RELAY_OK release *out with operator_store_view_cleanup().
 */
RELAY_WUR enum relay_rc operator_store_get(struct operator_store *s, const char *tenant_id,
					   const char *operator_id, struct operator_view *out);
void operator_store_view_cleanup(struct operator_view *v);

/* 1 when email passes §6.4.1 (≤ 254 bytes, one '@', both sides non-empty, no space/control). */
int operator_store_email_valid(const char *email, size_t len);

struct statedb;

/*
 * §14: from now on every provisioned or refreshed operator is queued for db (NULL:
 * none). Operators loaded without a relay_user_id are queued now, with the one
 * made for them at load (statedb_sync() commits them).
 */
void operator_store_set_statedb(struct operator_store *s, struct statedb *db);

/*
 * §14: an operator from the state file (its §6.4.3 object), not written back.
 * RELAY_E_INVALID_ARGUMENT when malformed, RELAY_E_CAPACITY_EXCEEDED when full or
 * already present.
 */
RELAY_WUR enum relay_rc operator_store_load(struct operator_store *s, const char *tenant_id,
					    int64_t created_ms, const json_t *obj);

#endif
