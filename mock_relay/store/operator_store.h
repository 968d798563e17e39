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

#include "relay_rc.h"

#define OPERATORS_MAX_PER_TENANT 1000 /* §13 */
#define OPERATOR_EMAIL_MAX       254  /* §6.4.1, bytes */

struct operator_store;

/* A provisioning request (§6.4.1), already validated. */
struct operator_fields {
	const char *email;        /* required; lowercased by the store */
	bool has_display_name;    /* field present in the body */
	const char *display_name; /* NULL: null */
	bool has_routing_keys;    /* field present in the body */
	json_t *routing_keys;     /* borrowed array of strings, deep-copied; NULL: null */
};

struct operator_store *operator_store_new(void);
void operator_store_free(struct operator_store *s);

/* Forget every operator (§10.1). */
void operator_store_reset(struct operator_store *s);

/*
 * Create or refresh the operator (email, tenant_id). On RELAY_OK *created says
 * which, and *op (may be NULL) receives {"operator_id","created","email",
 * "display_name","routing_keys","created_at"} (§6.4.3).
 * RELAY_E_CAPACITY_EXCEEDED past OPERATORS_MAX_PER_TENANT new operators.
 */
RELAY_WUR enum relay_rc operator_store_provision(struct operator_store *s, const char *tenant_id,
						 const struct operator_fields *f, int64_t now_ms,
						 bool *created, json_t **op);

/* RELAY_OK when operator_id belongs to tenant_id, else RELAY_E_OPERATOR_NOT_FOUND. */
RELAY_WUR enum relay_rc operator_store_find(struct operator_store *s, const char *tenant_id,
					    const char *operator_id);

/* 1 when email passes §6.4.1 (≤ 254 bytes, one '@', both sides non-empty, no space/control). */
int operator_store_email_valid(const char *email, size_t len);

#endif
