/*
 * relay_map.c - string-keyed hash map (see relay_map.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay_map.h"

/* A power of two, doubled on growth: a bucket is h & (n_buckets - 1). */
#define MAP_INITIAL_BUCKETS 64

/* One allocation: the key is inline, so a lookup reads no other block for it. */
struct map_entry {
	uint64_t hash;
	void *value;
	struct map_entry *next;
	char key[]; /* NUL-terminated copy */
};

uint64_t map_hash(const char *key)
{
	size_t n = strlen(key);
	uint64_t h = 14695981039346656037ULL ^ ((uint64_t)n * 0xff51afd7ed558ccdULL), w;

	/*
	 * Eight bytes a step (ids are 20-40 bytes; FNV-1a took a dependent multiply per
	 * byte), each multiplied and folded; the tail is zero-padded and the length is
	 * in the seed; SplitMix64's finalizer mixes every bit into the low ones that
	 * pick a bucket (h & (n_buckets - 1)).
	 */
	for (; n >= 8; n -= 8, key += 8) {
		memcpy(&w, key, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, key, n);
	h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 31;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 32;
	return h;
}

void map_init(struct relay_map *m)
{
	m->buckets = NULL;
	m->n_buckets = 0;
	m->count = 0;
}

void map_cleanup(struct relay_map *m, void (*free_value)(void *))
{
	size_t i;

	for (i = 0; i < m->n_buckets; i++) {
		struct map_entry *e = m->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			if (free_value != NULL)
				free_value(e->value);
			free(e);
		}
	}
	free(m->buckets);
	map_init(m);
}

void *map_get(const struct relay_map *m, const char *key)
{
	uint64_t h;
	struct map_entry *e;

	if (m->n_buckets == 0 || key == NULL)
		return NULL;
	h = map_hash(key);
	for (e = m->buckets[h & (m->n_buckets - 1)]; e != NULL; e = e->next) {
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e->value;
	}
	return NULL;
}

/* Double the bucket array (or create it). */
static enum relay_rc map_grow(struct relay_map *m)
{
	size_t n = m->n_buckets == 0 ? MAP_INITIAL_BUCKETS : m->n_buckets * 2, i;
	struct map_entry **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return RELAY_E_NOMEM;
	for (i = 0; i < m->n_buckets; i++) {
		struct map_entry *e = m->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->n_buckets = n;
	return RELAY_OK;
}

enum relay_rc map_put(struct relay_map *m, const char *key, void *value)
{
	struct map_entry *e;
	enum relay_rc rc;
	size_t klen;

	if (key == NULL || map_get(m, key) != NULL)
		return RELAY_E_INVALID_ARGUMENT;
	if (m->count >= m->n_buckets) {
		rc = map_grow(m);
		if (rc != RELAY_OK)
			return rc;
	}
	klen = strlen(key);
	e = malloc(sizeof(*e) + klen + 1);
	if (e == NULL)
		return RELAY_E_NOMEM;
	memcpy(e->key, key, klen + 1);
	e->value = value;
	e->hash = map_hash(key);
	e->next = m->buckets[e->hash & (m->n_buckets - 1)];
	m->buckets[e->hash & (m->n_buckets - 1)] = e;
	m->count++;
	return RELAY_OK;
}

void *map_remove(struct relay_map *m, const char *key)
{
	struct map_entry **pp, *e;
	uint64_t h;
	void *value;

	if (m->n_buckets == 0 || key == NULL)
		return NULL;
	h = map_hash(key);
	for (pp = &m->buckets[h & (m->n_buckets - 1)]; *pp != NULL; pp = &(*pp)->next) {
		e = *pp;
		if (e->hash == h && strcmp(e->key, key) == 0) {
			*pp = e->next;
			value = e->value;
			free(e);
			m->count--;
			return value;
		}
	}
	return NULL;
}

size_t map_count(const struct relay_map *m)
{
	return m->count;
}

int map_each(const struct relay_map *m, int (*fn)(void *cls, const char *key, void *value),
	     void *cls)
{
	const struct map_entry *e;
	size_t i;
	int r;

	for (i = 0; i < m->n_buckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = e->next) {
			r = fn(cls, e->key, e->value);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

__extension__ typedef unsigned __int128 map_u128; /* GCC and clang, 64-bit targets */

size_t map_shard(const char *key, size_t n_shards)
{
	uint64_t h = map_hash(key);

	/*
	 * MurmurHash3's 64-bit finalizer on top of map_hash(), so the shard is not tied
	 * to the map's bucket (the low bits of h) of the same key.
	 */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	/* h scaled to [0, n_shards): a multiply where % was a 64-bit division */
	return (size_t)(((map_u128)h * n_shards) >> 64);
}
