/*
 * relay_buckets.h - per-tenant buckets for the relay-API stores (conversations,
 * operators; SPEC §6.6).
 *
 * One map of tenant ids behind one readers-writer lock whose readers share no lock
 * word (relay_brlock.h): an operation holds it shared, and only adding a tenant's
 * bucket or a reset holds it exclusively. So the worker threads do not pass a lock's
 * cache line back and forth. Each bucket has its own mutex, so one tenant's traffic
 * never waits on another's. A store's bucket struct starts with struct bucket_head.
 */
#ifndef RELAY_BUCKETS_H
#define RELAY_BUCKETS_H

#include <pthread.h>

#include "relay_brlock.h"
#include "relay_map.h"
#include "relay_rc.h"

struct bucket_head {
	pthread_mutex_t lock;
	unsigned slot; /* the read slot of tenant_buckets.lock held with it (buckets_lock) */
};

struct tenant_buckets {
	struct brlock lock;       /* shared by buckets_lock(), exclusive to add or reset */
	struct relay_map tenants; /* tenant id -> bucket (owned) */
	/* A new empty bucket with its head's mutex initialised; NULL when out of memory. */
	struct bucket_head *(*bucket_new)(void);
	/* Frees a bucket: its contents, bucket_head_destroy() on its head, the bucket. */
	void (*bucket_free)(void *b);
};

/* Initialise / destroy a bucket head (for the stores' bucket_new / bucket_free). */
RELAY_WUR int bucket_head_init(struct bucket_head *b);
void bucket_head_destroy(struct bucket_head *b);

RELAY_WUR enum relay_rc buckets_init(struct tenant_buckets *tb,
				     struct bucket_head *(*bucket_new)(void),
				     void (*bucket_free)(void *b));
void buckets_cleanup(struct tenant_buckets *tb);

/* Frees every bucket (exclusive lock). */
void buckets_reset(struct tenant_buckets *tb);

/*
 * The tenant's bucket with its mutex held (and the map's lock shared), created when
 * create is set. NULL, nothing held, when absent or out of memory. Release with
 * buckets_unlock().
 */
struct bucket_head *buckets_lock(struct tenant_buckets *tb, const char *tenant_id, int create);
void buckets_unlock(struct tenant_buckets *tb, struct bucket_head *b);

#endif
