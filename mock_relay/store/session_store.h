/*
 * session_store.h - visitor sessions (SPEC §6.3, §7.1, §7.4, §8.1).
 *
 * A session is created by create/visitor-session (widget) or mint/visitor-token
 * (backend) together with its conversation, and lives ~30 days, much longer than
 * its tokens. Tokens carry the session id (sid); refresh and the WebSocket
 * handshake find the session with session_store_find(), which also proves the session
 * belongs to the token's tenant.
 *
 * Sharded by session id (SESSIONS_SHARDS mutexes). Each shard keeps insertion
 * order; when a shard is full, its oldest session is evicted if it is past the
 * 30-day age, otherwise the new one is refused with capacity_exceeded.
 */
#ifndef SESSION_STORE_H
#define SESSION_STORE_H

#include <stdint.h>

#include "relay_ids.h"
#include "relay_jwt.h"
#include "relay_origin.h"
#include "relay_rc.h"

#define SESSIONS_MAX        100000 /* in all */
#define SESSIONS_SHARDS     16
#define SESSION_MAX_AGE_MS  2592000000LL /* §7.4.2: 30 days */
#define SESSION_MODE_MAX    8
#define SESSION_ROUTING_MAX 512 /* bytes: 128 characters of UTF-8 */

/* A session, as stored and as copied out. */
struct visitor_session {
	char session_id[PREFIXED_ID_MAX + 1];
	char tenant_id[UUID_STR_LEN + 1];
	char conversation_id[PREFIXED_ID_MAX + 1];
	char sub[TOKEN_STR_MAX + 1];     /* visitor id: session id or visitor_user_id */
	char origin[ORIGIN_MAX_LEN + 1]; /* normalized; empty for minted tokens */
	char wpk[TOKEN_WPK_LEN + 1];     /* widget key hash at creation */
	char locale[40];
	char mode[SESSION_MODE_MAX];               /* "bot" | "human" */
	char routing_key[SESSION_ROUTING_MAX + 1]; /* empty: null */
	int64_t created_ms;
	int64_t ttl_s; /* token lifetime for this session: 3600 or the minted ttl_seconds */
};

struct session_store;

struct session_store *session_store_new(void);
void session_store_free(struct session_store *s);

/* Forget every session (§10.1). */
void session_store_reset(struct session_store *s);

/*
 * Store a copy of *v (its session_id must be set and unique). now_ms decides which
 * old sessions may be evicted. RELAY_E_CAPACITY_EXCEEDED when full of live sessions.
 */
RELAY_WUR enum relay_rc session_store_add(struct session_store *s, const struct visitor_session *v,
					  int64_t now_ms);

/*
 * Copy the session session_id of tenant_id into *out. RELAY_E_INVALID_TOKEN when
 * there is none (unknown, forgotten by a reset, or another tenant's): the only
 * callers check tokens.
 */
RELAY_WUR enum relay_rc session_store_find(struct session_store *s, const char *tenant_id,
					   const char *session_id, struct visitor_session *out);

/* Remove a session (used when its conversation could not be created). */
void session_store_remove(struct session_store *s, const char *session_id);

/* Sessions held in all (tests, diagnostics). */
size_t session_store_count(struct session_store *s);

#endif
