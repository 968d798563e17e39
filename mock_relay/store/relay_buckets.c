/*
 * relay_buckets.c - per-tenant buckets (see relay_buckets.h).
 */
#include <stdint.h>

#include "relay_buckets.h"

int bucket_head_init(struct bucket_head *b)
{
	return pthread_mutex_init(&b->lock, NULL) == 0;
}

void bucket_head_destroy(struct bucket_head *b)
{
	pthread_mutex_destroy(&b->lock);
}

enum relay_rc buckets_init(struct tenant_buckets *tb, struct bucket_head *(*bucket_new)(void),
			   void (*bucket_free)(void *b))
{
	size_t i;

	if (tb == NULL || bucket_new == NULL || bucket_free == NULL)
		return RELAY_E_INVALID_ARGUMENT;
	for (i = 0; i < BUCKET_SHARDS; i++) {
		if (pthread_rwlock_init(&tb->shards[i].lock, NULL) != 0) {
			while (i-- > 0)
				pthread_rwlock_destroy(&tb->shards[i].lock);
			return RELAY_E_NOMEM;
		}
		map_init(&tb->shards[i].tenants);
	}
	tb->bucket_new = bucket_new;
	tb->bucket_free = bucket_free;
	return RELAY_OK;
}

void buckets_cleanup(struct tenant_buckets *tb)
{
	size_t i;

	if (tb == NULL || tb->bucket_free == NULL)
		return;
	for (i = 0; i < BUCKET_SHARDS; i++) {
		map_cleanup(&tb->shards[i].tenants, tb->bucket_free);
		pthread_rwlock_destroy(&tb->shards[i].lock);
	}
}

void buckets_reset(struct tenant_buckets *tb)
{
	size_t i;

	/* every shard held at once: no operation sees some tenants reset and others not */
	for (i = 0; i < BUCKET_SHARDS; i++)
		pthread_rwlock_wrlock(&tb->shards[i].lock);
	for (i = 0; i < BUCKET_SHARDS; i++)
		map_cleanup(&tb->shards[i].tenants, tb->bucket_free);
	for (i = BUCKET_SHARDS; i-- > 0;)
		pthread_rwlock_unlock(&tb->shards[i].lock);
}

/* The shard of tenant_id (map_shard(), the stores' one rule). */
static struct bucket_shard *shard_of(struct tenant_buckets *tb, const char *tenant_id)
{
	return &tb->shards[map_shard(tenant_id, BUCKET_SHARDS)];
}

/* Adds an empty bucket for tenant_id unless one exists (sh held exclusively). */
static int add_bucket(struct tenant_buckets *tb, struct bucket_shard *sh, const char *tenant_id)
{
	struct bucket_head *b;

	if (map_get(&sh->tenants, tenant_id) != NULL)
		return 1;
	b = tb->bucket_new();
	if (b == NULL)
		return 0;
	b->shard = sh;
	if (map_put(&sh->tenants, tenant_id, b) != RELAY_OK) {
		tb->bucket_free(b);
		return 0;
	}
	return 1;
}

struct bucket_head *buckets_lock(struct tenant_buckets *tb, const char *tenant_id, int create)
{
	struct bucket_shard *sh = shard_of(tb, tenant_id);
	struct bucket_head *b;
	int attempt, ok;

	/*
	 * A reset may free a bucket added a moment ago, between the exclusive lock that
	 * adds it and the shared lock that uses it: try again rather than fail.
	 */
	for (attempt = 0; attempt < 4; attempt++) {
		pthread_rwlock_rdlock(&sh->lock);
		b = map_get(&sh->tenants, tenant_id);
		if (b != NULL) {
			pthread_mutex_lock(&b->lock);
			return b;
		}
		pthread_rwlock_unlock(&sh->lock);
		if (!create)
			return NULL;
		pthread_rwlock_wrlock(&sh->lock);
		ok = add_bucket(tb, sh, tenant_id);
		pthread_rwlock_unlock(&sh->lock);
		if (!ok)
			return NULL;
	}
	return NULL;
}

void buckets_unlock(struct tenant_buckets *tb, struct bucket_head *b)
{
	struct bucket_shard *sh = b->shard;

	(void)tb;
	pthread_mutex_unlock(&b->lock);
	pthread_rwlock_unlock(&sh->lock);
}
