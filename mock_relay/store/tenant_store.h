/*
 * tenant_store.h - the tenant store (SPEC §2, §5, §4.7, §13).
 *
 * In memory: one hash map by tenant_id behind one readers-writer lock whose readers
 * share no lock word (relay_brlock.h), so signed calls on different worker threads
 * never pass a lock's cache line between them; each tenant has its own mutex for
 * the counters that change on every call (rate-limit window, replay cache). Tenant
 * creation order is kept for fetch/tenants.
 *
 * Nothing here hands out a pointer into a tenant: every accessor copies what the
 * caller needs while holding the lock, so a concurrent rotation, update or reset can
 * never free memory a caller still reads. That also keeps the interface free of the
 * in-memory representation: a SQLite backend can implement these same functions
 * later without any caller changing.
 */
#ifndef TENANT_STORE_H
#define TENANT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "relay_hmac1.h"
#include "relay_ids.h"
#include "relay_rc.h"
#include "tenant_fields.h"

#define STORE_MAX_TENANTS    10000 /* §13: past it provision answers 507 capacity_exceeded */
#define STORE_REPLAY_MAX     65536 /* §4.7, §13: live triples per tenant; past it 507 */
#define STORE_RATE_WINDOW_MS 60000 /* §5: fixed window */

struct tenant_store;

/* What the HMAC#1 gate needs, copied out under the lock. */
struct tenant_auth {
	char secret[KEY_STR_LEN + 1]; /* the current tenant_secret; cleanse after use */
	bool suspended;
	int rate_limit_per_min;
};

/* Scalar view of a tenant (no secret, no origins), copied out under the lock. */
struct tenant_snapshot {
	char tenant_id[UUID_STR_LEN + 1];
	char tenant_name[TENANT_NAME_MAX_BYTES + 1];
	char widget_public_key[KEY_STR_LEN + 1];
	char callback_url_base[TENANT_URL_MAX + 1];        /* "" when none */
	char plan_tier[4 * TENANT_PLAN_MAX + 1];           /* UTF-8 */
	char branding_primary_color[TENANT_COLOR_LEN + 1]; /* "" when none */
	bool suspended;
	int rate_limit_per_min;
	int64_t monthly_msg_quota;
	int64_t agent_seats;
	int64_t created_at_ms;
	int64_t updated_at_ms;
	char feature_flags[TENANT_FLAGS_JSON_MAX + 1]; /* compact JSON object (§2.3.3) */
};

/* The rate-limit decision of §5, with the values of the X-RateLimit-* headers. */
struct rate_verdict {
	int limit;
	int remaining;
	int64_t reset_s;   /* Unix seconds when the window ends (X-RateLimit-Reset) */
	int retry_after_s; /* seconds until then, at least 1 (Retry-After) */
};

/* §5 taken by tenant_store_verify() under its lookup (see there). */
struct rate_take {
	int64_t now_ms;        /* in: the window's clock */
	bool taken;            /* out: the call was counted (or refused) there */
	enum relay_rc rc;      /* out, when taken: tenant_store_rate_limit_take()'s answer */
	struct rate_verdict v; /* out, when taken: its verdict */
};

/* New empty store, NULL when out of memory. Free with tenant_store_free(). */
struct tenant_store *tenant_store_new(void);
void tenant_store_free(struct tenant_store *s);

/* Forget every tenant (§10.1). */
void tenant_store_reset(struct tenant_store *s);

size_t tenant_store_count(struct tenant_store *s);

/*
 * Provision a tenant from validated fields (§2.2) at now_ms: generates tenant_id,
 * tenant_secret and widget_public_key. On RELAY_OK *data is a new JSON object (caller
 * owns it) holding exactly tenant_id, tenant_secret, widget_public_key, tenant_name,
 * rate_limit_per_min, created_at in that order (§2.2.2).
 * RELAY_E_CAPACITY_EXCEEDED past STORE_MAX_TENANTS.
 */
RELAY_WUR enum relay_rc tenant_store_create(struct tenant_store *s, const struct tenant_fields *f,
					    int64_t now_ms, json_t **data);

/*
 * Applies the fields present in f and sets updated_at (§2.4). On RELAY_OK *out (may
 * be NULL) is the updated tenant object. RELAY_E_TENANT_NOT_FOUND when unknown.
 */
RELAY_WUR enum relay_rc tenant_store_update(struct tenant_store *s, const char *tenant_id,
					    const struct tenant_fields *f, int64_t now_ms,
					    json_t **out);

/* §2.5: a new secret, copied into secret_out; the old one stops working at once. */
RELAY_WUR enum relay_rc tenant_store_rotate_secret(struct tenant_store *s, const char *tenant_id,
						   int64_t now_ms,
						   char secret_out[KEY_STR_LEN + 1]);

/* §2.6: a new widget key, copied into key_out. */
RELAY_WUR enum relay_rc tenant_store_rotate_widget_key(struct tenant_store *s,
						       const char *tenant_id, int64_t now_ms,
						       char key_out[KEY_STR_LEN + 1]);

/*
 * §2.7: suspend (suspended true) or reactivate (also resets nothing else).
 * RELAY_E_TENANT_ALREADY_SUSPENDED / RELAY_E_TENANT_ALREADY_ACTIVE when nothing would change.
 */
RELAY_WUR enum relay_rc tenant_store_set_suspended(struct tenant_store *s, const char *tenant_id,
						   bool suspended, int64_t now_ms);

/*
 * §2.8: the tenant as JSON, never with the secret. *out is a new object (caller
 * owns it).
 */
RELAY_WUR enum relay_rc tenant_store_to_json(struct tenant_store *s, const char *tenant_id,
					     json_t **out);

/*
 * §2.9: tenants in creation order from offset, at most limit. *items is a new array
 * (caller owns it), *total the number of tenants.
 */
RELAY_WUR enum relay_rc tenant_store_list(struct tenant_store *s, size_t limit, size_t offset,
					  json_t **items, size_t *total);

/* Copies of one tenant's state. RELAY_E_TENANT_NOT_FOUND when unknown. */
RELAY_WUR enum relay_rc tenant_store_auth(struct tenant_store *s, const char *tenant_id,
					  struct tenant_auth *out);
/*
 * HMAC#1 step 3 (§4.5) for tenant_id, under the store's read lock, keying the
 * calling thread's MAC context with the tenant's secret: no secret is copied out.
 * An unknown tenant costs the same and fails the same way. On success
 * *suspended is the tenant's status. Returns v->rc.
 *
 * With take not NULL (no replay check stands between the two steps), a verified
 * tenant that is not suspended also has its call counted as
 * tenant_store_rate_limit_take() would, under the same lookup, and take->taken, rc
 * and v say so; take->taken stays false otherwise.
 */
enum relay_rc tenant_store_verify(struct tenant_store *s, const char *tenant_id,
				  const struct hmac1_headers *h, struct hmac1_verdict *v,
				  bool *suspended, struct rate_take *take);
RELAY_WUR enum relay_rc tenant_store_snapshot(struct tenant_store *s, const char *tenant_id,
					      struct tenant_snapshot *out);
/* The current secret (for signing callbacks, §9.2); cleanse the copy after use. */
RELAY_WUR enum relay_rc tenant_store_secret_copy(struct tenant_store *s, const char *tenant_id,
						 char out[KEY_STR_LEN + 1]);

/* 1 when key is the tenant's current widget key (constant-time), 0 otherwise or unknown. */
int tenant_store_widget_key_matches(struct tenant_store *s, const char *tenant_id, const char *key);

/* 1 when the presented origin matches one of the tenant's allowed_origins (§3.3). */
int tenant_store_origin_allowed(struct tenant_store *s, const char *tenant_id, const char *origin,
				size_t len);

/* 1 when some tenant (any) allows origin: CORS preflight (§7.5). */
int tenant_store_any_tenant_allows_origin(struct tenant_store *s, const char *origin, size_t len);

/*
 * §4.7: records (timestamp, signature) for the tenant and returns
 * RELAY_E_REPLAYED_REQUEST when the same pair was already seen inside the window.
 * RELAY_E_CAPACITY_EXCEEDED when STORE_REPLAY_MAX live pairs are held (fails closed,
 * §13).
 */
RELAY_WUR enum relay_rc tenant_store_replay_check(struct tenant_store *s, const char *tenant_id,
						  int64_t timestamp_ms, const char *signature_hex,
						  int64_t now_ms);

/*
 * §5: counts one signed call in the tenant's fixed window floor(now_ms / 60000).
 * RELAY_OK when under the limit (the call is counted), RELAY_E_RATE_LIMITED when
 * not (not counted); *v is filled either way.
 */
RELAY_WUR enum relay_rc tenant_store_rate_limit_take(struct tenant_store *s, const char *tenant_id,
						     int64_t now_ms, struct rate_verdict *v);

struct statedb;

/* §14: from now on every change of a tenant is queued for db (NULL: none). */
void tenant_store_set_statedb(struct tenant_store *s, struct statedb *db);

/*
 * §14: adds the tenant of a state-file record (the tenant object plus tenant_secret,
 * created_at_ms, updated_at_ms) without writing it back. RELAY_E_INVALID_ARGUMENT
 * for a malformed record, RELAY_E_CAPACITY_EXCEEDED when full or already present.
 */
RELAY_WUR enum relay_rc tenant_store_load(struct tenant_store *s, const json_t *rec);

#endif
