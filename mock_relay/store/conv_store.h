/*
 * conv_store.h - conversations and their messages (SPEC §6.1, §6.2, §6.6, §13).
 *
 * One bucket per tenant, each with its own mutex; a store-wide rwlock is held
 * shared by every operation and exclusively only by reset (and briefly when a
 * tenant's first conversation creates its bucket). Every lookup takes the tenant
 * id: another tenant's conversation id is simply not found.
 *
 * Results are JSON snapshots built under the lock (new references the caller
 * owns), so no pointer into the store ever escapes.
 */
#ifndef CONV_STORE_H
#define CONV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "relay_ids.h"
#include "relay_rc.h"

#define CONV_MAX_PER_TENANT 10000 /* §13, visitor sessions' conversations included */
#define CONV_MAX_MESSAGES   1000  /* §13, per conversation */
#define CONV_CONTENT_MAX    10000 /* §6.2.1, characters */
#define CONV_PAGE_LIMIT_MAX 200   /* §6.2.5 */
#define CONV_PAGE_LIMIT_DEF 50

#define CONV_ROUTING_KEY_MAX 128 /* §7.1.2, characters */

struct conv_store;

/* Fields of a new conversation (§6.1.1); strings are copied, metadata deep-copied. */
struct conv_fields {
	const char *visitor_user_id;      /* required */
	const char *visitor_display_name; /* NULL: null */
	const char *locale;               /* NULL: "fr" */
	json_t *metadata;                 /* borrowed object; NULL: {} */
	const char *mode;                 /* "bot" | "human"; NULL: "bot" (§9.6) */
	const char *routing_key;          /* the queue (§9.7); NULL: null */
};

/* §9.6.3: open → pending → assigned → resolved (released: assigned → pending). */
enum conv_status { CONV_OPEN = 0, CONV_PENDING, CONV_ASSIGNED, CONV_RESOLVED };

/*
 * The conversation's lifecycle state (§9.6), changed only by conv_store_life_apply()
 * under the conversation's lock. Empty strings are null.
 */
struct conv_life {
	enum conv_status status;
	bool human;                                     /* mode "human" */
	char routing_key[4 * CONV_ROUTING_KEY_MAX + 1]; /* UTF-8; "" = null */
	bool has_routing_key;                           /* routing_key is not null */
	char ticket_id[PREFIXED_ID_MAX + 1];            /* "" until a ticket exists */
	int64_t ticket_created_ms;
	char operator_id[PREFIXED_ID_MAX + 1]; /* assigned operator, "" when none */
};

/* "open", "pending", "assigned" or "resolved". */
const char *conv_store_status_name(enum conv_status st);

/* New empty store; NULL when out of memory. Free with conv_store_free(). */
struct conv_store *conv_store_new(void);

/* Frees the store and everything in it; NULL is a no-op. */
void conv_store_free(struct conv_store *s);

/* Forget every conversation and message (§10.1). */
void conv_store_reset(struct conv_store *s);

/*
 * Create a conversation for tenant_id at now_ms. On RELAY_OK, *conv (may be NULL)
 * receives the conversation object {"id","visitor_user_id","visitor_display_name",
 * "locale","metadata","status","created_at"} and id (may be NULL) its id.
 * RELAY_E_CAPACITY_EXCEEDED past CONV_MAX_PER_TENANT.
 */
RELAY_WUR enum relay_rc conv_store_create(struct conv_store *s, const char *tenant_id,
					  const struct conv_fields *f, int64_t now_ms,
					  json_t **conv, char id[PREFIXED_ID_MAX + 1]);

/* Forget a conversation (undo of conv_store_create when its session cannot be stored). */
void conv_store_remove(struct conv_store *s, const char *tenant_id, const char *conversation_id);

/* The conversation object, or RELAY_E_CONVERSATION_NOT_FOUND (also another tenant's). */
RELAY_WUR enum relay_rc conv_store_fetch(struct conv_store *s, const char *tenant_id,
					 const char *conversation_id, json_t **conv);

/*
 * Reads the same object as compact JSON text (json_dumps with JSON_COMPACT |
 * JSON_PRESERVE_ORDER), serialized when the conversation was created or its
 * lifecycle changed: calls use(cls, text, len, status) once with the bucket locked,
 * so the text needs no copy; use must not call into this store and must copy what
 * it keeps (text is the store's). RELAY_OK, or RELAY_E_CONVERSATION_NOT_FOUND as
 * conv_store_fetch() without calling use.
 */
typedef void conv_text_fn(void *cls, const char *text, size_t len, enum conv_status status);
RELAY_WUR enum relay_rc conv_store_fetch_text(struct conv_store *s, const char *tenant_id,
					      const char *conversation_id, conv_text_fn *use,
					      void *cls);

/*
 * Append a message (role and content already validated, content_len bytes of
 * UTF-8). On RELAY_OK *msg (may be NULL) receives the message object
 * {"id","conversation_id","role","content","created_at"}.
 * RELAY_E_CONVERSATION_NOT_FOUND, or RELAY_E_CAPACITY_EXCEEDED at CONV_MAX_MESSAGES.
 */
RELAY_WUR enum relay_rc conv_store_append_message(struct conv_store *s, const char *tenant_id,
						  const char *conversation_id, const char *role,
						  const char *content, size_t content_len,
						  int64_t now_ms, json_t **msg);

/*
 * One page of messages, oldest first: *page = {"items":[...],"total","limit","offset"}.
 * RELAY_E_CONVERSATION_NOT_FOUND as above.
 */
RELAY_WUR enum relay_rc conv_store_fetch_messages(struct conv_store *s, const char *tenant_id,
						  const char *conversation_id, size_t limit,
						  size_t offset, json_t **page);

#define CONV_LIST_LIMIT_MAX 1000 /* §10.6.1 */
#define CONV_LIST_LIMIT_DEF 100

/*
 * §10.6.1 (control plane): the tenant's conversations, newest first (created_at, then
 * id), at most limit: *page = {"items":[...],"total"}; each item is the conversation
 * object (with its "mode" and "routing_key", §9.6) followed by "message_count". An
 * unknown tenant has none.
 */
RELAY_WUR enum relay_rc conv_store_list_recent(struct conv_store *s, const char *tenant_id,
					       size_t limit, json_t **page);

/*
 * Change one conversation's lifecycle state atomically. Under the conversation's
 * lock, fn(ctx, life) edits a copy of the state and returns RELAY_OK to keep it
 * (any other rc is returned and nothing changes); when the state changed, the
 * stored object is rebuilt and done(ctx, conv) (may be NULL) runs, still under
 * the lock, with the new conversation object (borrowed), so what it queues is in
 * the order of the changes. fn and done MUST NOT call into this store. On
 * RELAY_OK *conv (may be NULL) receives the object after the call (new
 * reference). RELAY_E_CONVERSATION_NOT_FOUND as conv_store_fetch().
 */
typedef enum relay_rc (*conv_life_fn)(void *ctx, struct conv_life *life);
typedef void (*conv_life_done_fn)(void *ctx, const json_t *conv);
RELAY_WUR enum relay_rc conv_store_life_apply(struct conv_store *s, const char *tenant_id,
					      const char *conversation_id, conv_life_fn fn,
					      conv_life_done_fn done, void *ctx, json_t **conv);

/* A copy of the lifecycle state. RELAY_E_CONVERSATION_NOT_FOUND as conv_store_fetch(). */
RELAY_WUR enum relay_rc conv_store_life_get(struct conv_store *s, const char *tenant_id,
					    const char *conversation_id, struct conv_life *out);

/*
 * The tenant's conversations for which keep(ctx, life) is true, oldest first
 * (creation order), as {"items":[conversation…],"total","limit","offset"}.
 * keep runs under the tenant's lock. An unknown tenant has none.
 */
RELAY_WUR enum relay_rc conv_store_list(struct conv_store *s, const char *tenant_id,
					bool (*keep)(void *ctx, const struct conv_life *life),
					void *ctx, size_t limit, size_t offset, json_t **page);

/* Number of conversations the tenant holds (tests, diagnostics). */
size_t conv_store_count(struct conv_store *s, const char *tenant_id);

/* 1 when role is visitor, operator, bot or system (§6.2.1). */
int conv_store_role_valid(const char *role);

/* 1 when locale matches ^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$ and is at most 35 bytes (§6.1.1). */
int conv_store_locale_valid(const char *locale);

struct statedb;

/* §14: from now on every new conversation and message is queued for db (NULL: none). */
void conv_store_set_statedb(struct conv_store *s, struct statedb *db);

/*
 * §14: a conversation from the state file (its object as conv_create made it),
 * created at created_ms, not written back. RELAY_E_INVALID_ARGUMENT when malformed,
 * RELAY_E_CAPACITY_EXCEEDED past the cap or when already present.
 */
RELAY_WUR enum relay_rc conv_store_load(struct conv_store *s, const char *tenant_id,
					int64_t created_ms, const json_t *obj);

/* §14: a message from the state file into its (already loaded) conversation. */
RELAY_WUR enum relay_rc conv_store_load_message(struct conv_store *s, const char *tenant_id,
						const char *conversation_id, int64_t created_ms,
						const json_t *obj);

#endif
