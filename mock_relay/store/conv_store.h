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

struct conv_store;

/* Fields of a new conversation (§6.1.1); strings are copied, metadata deep-copied. */
struct conv_fields {
	const char *visitor_user_id;      /* required */
	const char *visitor_display_name; /* NULL: null */
	const char *locale;               /* NULL: "fr" */
	json_t *metadata;                 /* borrowed object; NULL: {} */
};

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
 * The same object as compact JSON text (json_dumps with JSON_COMPACT |
 * JSON_PRESERVE_ORDER), serialized once when the conversation was created: on
 * RELAY_OK *text receives a copy the caller frees and *len (may be NULL) its length.
 * Errors as conv_store_fetch(), or RELAY_E_NOMEM.
 */
RELAY_WUR enum relay_rc conv_store_fetch_text(struct conv_store *s, const char *tenant_id,
					      const char *conversation_id, char **text,
					      size_t *len);

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

/* Number of conversations the tenant holds (tests, diagnostics). */
size_t conv_store_count(struct conv_store *s, const char *tenant_id);

/* 1 when role is visitor, operator, bot or system (§6.2.1). */
int conv_store_role_valid(const char *role);

/* 1 when locale matches ^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$ and is at most 35 bytes (§6.1.1). */
int conv_store_locale_valid(const char *locale);

#endif
