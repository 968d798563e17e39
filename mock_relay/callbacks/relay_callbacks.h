/*
 * relay_callbacks.h - signed callbacks from the mock to tenant backends (SPEC §9, §10.5).
 *
 *   POST {callback_url_base}/api/v1/chat-callbacks/<event>
 *   body {"event_id":"evt_…","event":"<event>","tenant_id":"…","occurred_at":"<RFC
 * 3339>","data":{…}}
 *
 * callbacks_emit() returns at once: the body bytes are fixed there and a single
 * worker thread delivers them with libcurl's multi interface, so no request thread
 * ever waits on a tenant backend (§9.5.1). Each attempt is signed afresh with
 * HMAC#1: the timestamp is the mock clock at the attempt and the secret is the
 * tenant's current one, read at send time (§9.2.2). Non-2xx (3xx included:
 * redirects are never followed), a timeout or a connection error is retried after
 * base × 2^(n−1) ms of wall-clock time, until the configured number of attempts is
 * spent (§9.5). Deliveries are kept in a ring of CALLBACKS_KEEP; when it is full the
 * oldest is forgotten, and a pending one is cancelled with it (§9.5.5, §13).
 */
#ifndef RELAY_CALLBACKS_H
#define RELAY_CALLBACKS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "relay_clock.h"
#include "relay_hmac1.h"
#include "relay_ids.h"
#include "relay_rc.h"

#define CALLBACKS_KEEP           1024 /* deliveries kept (§13) */
#define CALLBACKS_ATTEMPTS_MAX   10   /* --callback-attempts range 1-10 (§9.5.4) */
#define CALLBACKS_ATTEMPTS_DEF   3
#define CALLBACKS_BACKOFF_DEF_MS 1000
#define CALLBACKS_TIMEOUT_DEF_MS 5000
#define CALLBACKS_URL_MAX        2048 /* callback_url_base cap (§9.1.2) */
#define CALLBACKS_INFLIGHT_MAX   64   /* concurrent attempts in the worker */
#define CALLBACKS_PATH_PREFIX    "/api/v1/chat-callbacks/"
#define CALLBACKS_EVENT_COUNT    9

struct callbacks_config {
	int attempts;   /* attempts in all, 1-CALLBACKS_ATTEMPTS_MAX */
	int backoff_ms; /* delay before attempt n+1 is backoff_ms × 2^(n−1) */
	int timeout_ms; /* whole-attempt timeout */
};

/* What the worker needs to know about a tenant, read when it needs it. */
struct callbacks_tenant {
	char url_base[CALLBACKS_URL_MAX + 1]; /* empty when the tenant has none */
	char secret[HMAC1_SECRET_MAX + 1];
};

/*
 * Fills *out for tenant_id and returns true, or false when the tenant does not
 * exist. Called from request threads and from the worker, never with the
 * callbacks lock held.
 */
typedef bool (*callbacks_lookup_fn)(void *ctx, const char *tenant_id, struct callbacks_tenant *out);

struct callbacks;

/* The nine documented events (§9.4), hyphenated. */
extern const char *const callbacks_events[CALLBACKS_EVENT_COUNT];

/* true when event is one of callbacks_events. */
bool callbacks_event_known(const char *event);

/* A config holding the defaults of §9.5.4. */
void callbacks_config_default(struct callbacks_config *cfg);

/*
 * Start the delivery worker. clock (borrowed) gives occurred_at and signing
 * timestamps; lookup(ctx, ...) reads tenants. NULL on failure. Free with
 * callbacks_free().
 */
struct callbacks *callbacks_new(const struct callbacks_config *cfg, const struct relay_clock *clock,
				callbacks_lookup_fn lookup, void *lookup_ctx);

/* Stop the worker (in-flight attempts are abandoned) and free everything. NULL: no-op. */
void callbacks_free(struct callbacks *cb);

/* Forget every delivery; pending retries are cancelled (§10.1.1). */
void callbacks_reset(struct callbacks *cb);

/*
 * Queue event for tenant_id. data is stolen (NULL means {}). On RELAY_OK, event_id
 * and url (either may be NULL) receive the delivery's id and URL.
 * RELAY_E_TENANT_NOT_FOUND: unknown tenant; RELAY_E_VALIDATION_FAILED: unknown
 * event, or the tenant has no callback_url_base (nothing is queued).
 */
RELAY_WUR enum relay_rc callbacks_enqueue(struct callbacks *cb, const char *tenant_id,
					  const char *event, json_t *data,
					  char event_id[PREFIXED_ID_MAX + 1],
					  char url[CALLBACKS_URL_MAX + 64]);

/*
 * {"items":[delivery…]} newest first, at most limit, only tenant_id's when not
 * NULL (§10.5.1). New reference, NULL when out of memory.
 */
json_t *callbacks_list_json(struct callbacks *cb, const char *tenant_id, size_t limit);

#endif
