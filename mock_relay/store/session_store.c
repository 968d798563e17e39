/*
 * session_store.c - visitor sessions, sharded, bounded (SPEC §7).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "relay_map.h"
#include "relay_statedb.h"
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
	struct statedb *db; /* §14: NULL without --state */
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

/* §14: the session as JSON text (malloc'd), NULL when out of memory. */
static char *session_record(const struct visitor_session *v)
{
	json_t *obj;
	char *text = NULL;

	obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "session_id",
			v->session_id, "tenant_id", v->tenant_id, "conversation_id",
			v->conversation_id, "sub", v->sub, "origin", v->origin, "wpk", v->wpk,
			"locale", v->locale, "mode", v->mode, "routing_key", v->routing_key,
			"created_ms", (json_int_t)v->created_ms, "ttl_s", (json_int_t)v->ttl_s);
	if (obj != NULL)
		text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	return text;
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
		statedb_del(s->db, STATEDB_SESSION, old->v.session_id);
		free(old);
	}
	rc = map_put(&sh->by_id, n->v.session_id, n);
	if (rc != RELAY_OK)
		goto out;
	if (s->db != NULL) /* §14: queued under the shard lock */
		statedb_put(s->db, STATEDB_SESSION, v->session_id, v->tenant_id, v->conversation_id,
			    v->created_ms, session_record(v));
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
		statedb_del(s->db, STATEDB_SESSION, session_id);
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

void session_store_set_statedb(struct session_store *s, struct statedb *db)
{
	s->db = db;
}

/* Copies obj's string member key into dst[size]; false when absent or too long. */
static bool rec_copy(const json_t *obj, const char *key, char *dst, size_t size)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return false;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return true;
}

enum relay_rc session_store_load(struct session_store *s, const json_t *obj)
{
	struct visitor_session *v = calloc(1, sizeof(*v));
	struct session_shard *sh;
	struct session_node *n = NULL;
	enum relay_rc rc = RELAY_E_INVALID_ARGUMENT;

	if (v == NULL)
		return RELAY_E_NOMEM;
	if (!rec_copy(obj, "session_id", v->session_id, sizeof(v->session_id)) ||
	    v->session_id[0] == '\0' ||
	    !rec_copy(obj, "tenant_id", v->tenant_id, sizeof(v->tenant_id)) ||
	    !rec_copy(obj, "conversation_id", v->conversation_id, sizeof(v->conversation_id)) ||
	    !rec_copy(obj, "sub", v->sub, sizeof(v->sub)) ||
	    !rec_copy(obj, "origin", v->origin, sizeof(v->origin)) ||
	    !rec_copy(obj, "wpk", v->wpk, sizeof(v->wpk)) ||
	    !rec_copy(obj, "locale", v->locale, sizeof(v->locale)) ||
	    !rec_copy(obj, "mode", v->mode, sizeof(v->mode)) ||
	    !rec_copy(obj, "routing_key", v->routing_key, sizeof(v->routing_key)))
		goto out;
	v->created_ms = json_integer_value(json_object_get(obj, "created_ms"));
	v->ttl_s = json_integer_value(json_object_get(obj, "ttl_s"));
	rc = RELAY_E_NOMEM;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		goto out;
	n->v = *v;
	sh = shard_of(s, v->session_id);
	pthread_mutex_lock(&sh->lock);
	rc = RELAY_E_CAPACITY_EXCEEDED;
	if (map_count(&sh->by_id) < SHARD_MAX)
		rc = map_put(&sh->by_id, n->v.session_id, n);
	if (rc == RELAY_OK) {
		n->prev = sh->newest;
		if (sh->newest != NULL)
			sh->newest->next = n;
		else
			sh->oldest = n;
		sh->newest = n;
		n = NULL;
	}
	pthread_mutex_unlock(&sh->lock);
out:
	free(n);
	free(v);
	return rc;
}
