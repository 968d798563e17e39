/*
 * session_store.c - visitor sessions, sharded, bounded (SPEC §7).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "relay_map.h"
#include "session_store.h"

#define SHARD_MAX (SESSIONS_MAX / SESSIONS_SHARDS)

struct session_node {
	struct visitor_session v;
	struct session_node *prev, *next; /* insertion order */
};

struct session_shard {
	pthread_mutex_t lock;
	struct relay_map by_id; /* session id -> struct session_node */
	struct session_node *oldest, *newest;
};

struct session_store {
	struct session_shard shards[SESSIONS_SHARDS];
};

/* The shard of session_id (map_shard(), the stores' one rule). */
static struct session_shard *shard_of(struct session_store *s, const char *session_id)
{
	return &s->shards[map_shard(session_id, SESSIONS_SHARDS)];
}

static void unlink_node(struct session_shard *sh, struct session_node *n)
{
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		sh->oldest = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		sh->newest = n->prev;
}

struct session_store *session_store_new(void)
{
	struct session_store *s = calloc(1, sizeof(*s));
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < SESSIONS_SHARDS; i++) {
		if (pthread_mutex_init(&s->shards[i].lock, NULL) != 0) {
			while (i-- > 0)
				pthread_mutex_destroy(&s->shards[i].lock);
			free(s);
			return NULL;
		}
		map_init(&s->shards[i].by_id);
	}
	return s;
}

static void shard_clear(struct session_shard *sh)
{
	map_cleanup(&sh->by_id, free);
	sh->oldest = NULL;
	sh->newest = NULL;
}

void session_store_free(struct session_store *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < SESSIONS_SHARDS; i++) {
		shard_clear(&s->shards[i]);
		pthread_mutex_destroy(&s->shards[i].lock);
	}
	free(s);
}

void session_store_reset(struct session_store *s)
{
	size_t i;

	for (i = 0; i < SESSIONS_SHARDS; i++) {
		pthread_mutex_lock(&s->shards[i].lock);
		shard_clear(&s->shards[i]);
		pthread_mutex_unlock(&s->shards[i].lock);
	}
}

enum relay_rc session_store_add(struct session_store *s, const struct visitor_session *v,
				int64_t now_ms)
{
	struct session_shard *sh;
	struct session_node *n;
	enum relay_rc rc;

	if (s == NULL || v == NULL || v->session_id[0] == '\0')
		return RELAY_E_INVALID_ARGUMENT;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return RELAY_E_NOMEM;
	n->v = *v;
	sh = shard_of(s, v->session_id);
	pthread_mutex_lock(&sh->lock);
	if (map_count(&sh->by_id) >= SHARD_MAX) {
		struct session_node *old = sh->oldest;

		if (old == NULL || now_ms - old->v.created_ms < SESSION_MAX_AGE_MS) {
			rc = RELAY_E_CAPACITY_EXCEEDED;
			goto out;
		}
		unlink_node(sh, old);
		map_remove(&sh->by_id, old->v.session_id);
		free(old);
	}
	rc = map_put(&sh->by_id, n->v.session_id, n);
	if (rc != RELAY_OK)
		goto out;
	n->prev = sh->newest;
	if (sh->newest != NULL)
		sh->newest->next = n;
	else
		sh->oldest = n;
	sh->newest = n;
	n = NULL;
out:
	pthread_mutex_unlock(&sh->lock);
	free(n);
	return rc;
}

enum relay_rc session_store_find(struct session_store *s, const char *tenant_id,
				 const char *session_id, struct visitor_session *out)
{
	struct session_shard *sh;
	struct session_node *n;
	enum relay_rc rc = RELAY_E_INVALID_TOKEN;

	if (s == NULL || tenant_id == NULL || session_id == NULL)
		return rc;
	sh = shard_of(s, session_id);
	pthread_mutex_lock(&sh->lock);
	n = map_get(&sh->by_id, session_id);
	if (n != NULL && strcmp(n->v.tenant_id, tenant_id) == 0) {
		if (out != NULL)
			*out = n->v;
		rc = RELAY_OK;
	}
	pthread_mutex_unlock(&sh->lock);
	return rc;
}

void session_store_remove(struct session_store *s, const char *session_id)
{
	struct session_shard *sh;
	struct session_node *n;

	if (s == NULL || session_id == NULL)
		return;
	sh = shard_of(s, session_id);
	pthread_mutex_lock(&sh->lock);
	n = map_remove(&sh->by_id, session_id);
	if (n != NULL) {
		unlink_node(sh, n);
		free(n);
	}
	pthread_mutex_unlock(&sh->lock);
}

size_t session_store_count(struct session_store *s)
{
	size_t i, n = 0;

	for (i = 0; i < SESSIONS_SHARDS; i++) {
		pthread_mutex_lock(&s->shards[i].lock);
		n += map_count(&s->shards[i].by_id);
		pthread_mutex_unlock(&s->shards[i].lock);
	}
	return n;
}
