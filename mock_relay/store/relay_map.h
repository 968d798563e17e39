/*
 * relay_map.h - a string-keyed hash map for the mock's in-memory stores, and the
 * one hash and shard rule of the stores split in shards, each with its own lock
 * (session_store, relay_lifecycle).
 *
 * Chained buckets, map_hash(), doubling when the load reaches 1. Keys are copied;
 * values are borrowed pointers the caller owns. Not thread-safe: each store
 * guards its maps with its own lock.
 */
#ifndef RELAY_MAP_H
#define RELAY_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "relay_rc.h"

struct map_entry;

struct relay_map {
	struct map_entry **buckets;
	size_t n_buckets;
	size_t count;
};

/* An empty map (allocates nothing until the first put). */
void map_init(struct relay_map *m);

/* Frees every entry; free_value (may be NULL) is called on each value. */
void map_cleanup(struct relay_map *m, void (*free_value)(void *));

/* The value stored under key, or NULL. */
void *map_get(const struct relay_map *m, const char *key);

/* Store value under a copy of key. RELAY_E_INVALID_ARGUMENT when key is present. */
RELAY_WUR enum relay_rc map_put(struct relay_map *m, const char *key, void *value);

/* Remove key; returns its value (the caller frees it) or NULL when absent. */
void *map_remove(struct relay_map *m, const char *key);

size_t map_count(const struct relay_map *m);

/*
 * Calls fn(cls, key, value) on every entry, in no particular order, until fn returns
 * nonzero; returns that value, or 0. fn must not change m.
 */
int map_each(const struct relay_map *m, int (*fn)(void *cls, const char *key, void *value),
	     void *cls);

/* 64-bit hash of key, eight bytes a step: the hash of every map and shard rule of the stores. */
uint64_t map_hash(const char *key);

/*
 * key's shard among n_shards (n_shards > 0): map_hash() through a 64-bit finalizer,
 * so keys differing only in their last bytes spread over the shards, and the keys of
 * one shard still spread over the buckets of that shard's map.
 */
size_t map_shard(const char *key, size_t n_shards);

#endif
