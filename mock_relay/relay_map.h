/*
 * relay_map.h - a string-keyed hash map for the mock's in-memory stores.
 *
 * Chained buckets, FNV-1a, doubling when the load reaches 1. Keys are copied;
 * values are borrowed pointers the caller owns. Not thread-safe: each store
 * guards its maps with its own lock.
 */
#ifndef RELAY_MAP_H
#define RELAY_MAP_H

#include <stddef.h>

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

/* Calls fn(ctx, key, value) for every entry, in no particular order; the map must not change
 * meanwhile. */
void map_each(const struct relay_map *m, void (*fn)(void *ctx, const char *key, void *value),
	      void *ctx);

#endif
