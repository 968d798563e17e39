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
	if (tb == NULL || bucket_new == NULL || bucket_free == NULL)
		return RELAY_E_INVALID_ARGUMENT;
	if (brlock_init(&tb->lock) != RELAY_OK)
		return RELAY_E_NOMEM;
	map_init(&tb->tenants);
	tb->bucket_new = bucket_new;
	tb->bucket_free = bucket_free;
	return RELAY_OK;
}

void buckets_cleanup(struct tenant_buckets *tb)
{
	if (tb == NULL || tb->bucket_free == NULL)
		return;
	map_cleanup(&tb->tenants, tb->bucket_free);
	brlock_destroy(&tb->lock);
}

void buckets_reset(struct tenant_buckets *tb)
{
	/* held exclusively: no operation sees some tenants reset and others not */
	brlock_write_lock(&tb->lock);
	map_cleanup(&tb->tenants, tb->bucket_free);
	brlock_write_unlock(&tb->lock);
}

/* Adds an empty bucket for tenant_id unless one exists (tb->lock held exclusively). */
static int add_bucket(struct tenant_buckets *tb, const char *tenant_id)
{
	struct bucket_head *b;

	if (map_get(&tb->tenants, tenant_id) != NULL)
		return 1;
	b = tb->bucket_new();
	if (b == NULL)
		return 0;
	if (map_put(&tb->tenants, tenant_id, b) != RELAY_OK) {
		tb->bucket_free(b);
		return 0;
	}
	return 1;
}

struct bucket_head *buckets_lock(struct tenant_buckets *tb, const char *tenant_id, int create)
{
	struct bucket_head *b;
	unsigned slot;
	int attempt, ok;

	/*
	 * A reset may free a bucket added a moment ago, between the exclusive lock that
	 * adds it and the shared lock that uses it: try again rather than fail.
	 */
	for (attempt = 0; attempt < 4; attempt++) {
		slot = brlock_read_lock(&tb->lock);
		b = map_get(&tb->tenants, tenant_id);
		if (b != NULL) {
			pthread_mutex_lock(&b->lock);
			b->slot = slot;
			return b;
		}
		brlock_read_unlock(&tb->lock, slot);
		if (!create)
			return NULL;
		brlock_write_lock(&tb->lock);
		ok = add_bucket(tb, tenant_id);
		brlock_write_unlock(&tb->lock);
		if (!ok)
			return NULL;
	}
	return NULL;
}

void buckets_unlock(struct tenant_buckets *tb, struct bucket_head *b)
{
	unsigned slot = b->slot;

	pthread_mutex_unlock(&b->lock);
	brlock_read_unlock(&tb->lock, slot);
}
