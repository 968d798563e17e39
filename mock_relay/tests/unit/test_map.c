/*
 * test_map.c - relay_map: put/get/remove, duplicates, growth, iteration, the one
 * hash and shard rule of the stores.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relay_map.h"

static void test_map_put_get_remove_round_trip(void **state)
{
	struct relay_map m;
	int a = 1, b = 2;

	(void)state;
	map_init(&m);
	assert_null(map_get(&m, "a")); /* empty map: nothing allocated yet */
	assert_int_equal(map_count(&m), 0);
	assert_int_equal(map_put(&m, "a", &a), RELAY_OK);
	assert_int_equal(map_put(&m, "b", &b), RELAY_OK);
	assert_ptr_equal(map_get(&m, "a"), &a);
	assert_ptr_equal(map_get(&m, "b"), &b);
	assert_null(map_get(&m, "c"));
	assert_null(map_get(&m, NULL));
	assert_int_equal(map_count(&m), 2);
	assert_ptr_equal(map_remove(&m, "a"), &a);
	assert_null(map_get(&m, "a"));
	assert_null(map_remove(&m, "a")); /* already gone */
	assert_int_equal(map_count(&m), 1);
	map_cleanup(&m, NULL);
	assert_int_equal(map_count(&m), 0);
}

static void test_map_refuses_a_duplicate_key_and_keeps_the_first_value(void **state)
{
	struct relay_map m;
	int a = 1, b = 2;

	(void)state;
	map_init(&m);
	assert_int_equal(map_put(&m, "k", &a), RELAY_OK);
	assert_int_equal(map_put(&m, "k", &b), RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(map_put(&m, NULL, &b), RELAY_E_INVALID_ARGUMENT);
	assert_ptr_equal(map_get(&m, "k"), &a);
	assert_int_equal(map_count(&m), 1);
	map_cleanup(&m, NULL);
}

static void test_map_copies_keys(void **state)
{
	struct relay_map m;
	char key[8] = "abc";
	int v = 7;

	(void)state;
	map_init(&m);
	assert_int_equal(map_put(&m, key, &v), RELAY_OK);
	key[0] = 'x'; /* the caller's buffer changes: the map's key does not */
	assert_ptr_equal(map_get(&m, "abc"), &v);
	assert_null(map_get(&m, "xbc"));
	map_cleanup(&m, NULL);
}

static int freed;

static void count_free(void *p)
{
	freed++;
	free(p);
}

static int sum_values(void *cls, const char *key, void *value)
{
	(void)key;
	*(long *)cls += *(int *)value;
	return 0;
}

static int find_key(void *cls, const char *key, void *value)
{
	(void)value;
	return strcmp(key, cls) == 0 ? 42 : 0;
}

static void test_map_grows_keeps_every_entry_and_frees_values(void **state)
{
	struct relay_map m;
	char key[32];
	long sum = 0;
	int i, *v;

	(void)state;
	map_init(&m);
	for (i = 0; i < 1000; i++) { /* well past the first bucket array (64) */
		snprintf(key, sizeof(key), "tenant-%d", i);
		v = malloc(sizeof(*v));
		assert_non_null(v);
		*v = i;
		assert_int_equal(map_put(&m, key, v), RELAY_OK);
	}
	assert_int_equal(map_count(&m), 1000);
	for (i = 0; i < 1000; i += 37) {
		snprintf(key, sizeof(key), "tenant-%d", i);
		v = map_get(&m, key);
		assert_non_null(v);
		assert_int_equal(*v, i);
	}
	assert_int_equal(map_each(&m, sum_values, &sum), 0);
	assert_int_equal(sum, 999L * 1000 / 2);
	assert_int_equal(map_each(&m, find_key, "tenant-500"), 42); /* stops, returns fn's value */
	assert_int_equal(map_each(&m, find_key, "tenant-1000"), 0);
	freed = 0;
	map_cleanup(&m, count_free);
	assert_int_equal(freed, 1000);
	assert_null(map_get(&m, "tenant-1"));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * map_hash() reads eight bytes a step: every length (tails of 0-7 bytes included)
 * and every byte position must count, and the low bits that pick a bucket
 * (h % n_buckets, a power of two) must spread ids that differ in one character.
 */
static void test_map_hash_counts_every_byte_and_spreads_low_bits(void **state)
{
	enum { N = 4096 };
	static uint64_t h[N];
	size_t counts[64] = {0}, i, j;
	char key[64], other[64];

	(void)state;
	for (i = 0; i < N; i++) { /* ids differing in their last characters */
		snprintf(key, sizeof(key), "0190a1b2-c3d4-7e5f-8a6b-%012zu", i);
		h[i] = map_hash(key);
		assert_true(h[i] == map_hash(key));
		counts[h[i] % 64]++;
	}
	for (i = 0; i < 64; i++) /* 64 expected each */
		assert_true(counts[i] > 24 && counts[i] < 128);
	qsort(h, N, sizeof(h[0]), cmp_u64);
	for (i = 1; i < N; i++)
		assert_true(h[i] != h[i - 1]);
	/* one byte changed at any position, for every length 1-40 */
	for (i = 1; i <= 40; i++) {
		memset(key, 'k', i);
		key[i] = '\0';
		for (j = 0; j < i; j++) {
			memcpy(other, key, i + 1);
			other[j] = 'K';
			assert_true(map_hash(other) != map_hash(key));
		}
		memcpy(other, key, i + 1);
		other[i - 1] = '\0'; /* one byte shorter */
		assert_true(map_hash(other) != map_hash(key));
	}
	assert_true(map_hash("") != map_hash("\x01"));
}

static void test_map_shard_is_stable_in_range_and_spreads(void **state)
{
	size_t counts[16] = {0}, i, s;
	char key[48];

	(void)state;
	for (i = 0; i < 1600; i++) {
		snprintf(key, sizeof(key), "0190a1b2-c3d4-7e5f-8a6b-%012zu", i);
		s = map_shard(key, 16);
		assert_true(s < 16);
		assert_int_equal(map_shard(key, 16), s); /* same key, same shard */
		counts[s]++;
	}
	for (i = 0; i < 16; i++) { /* 100 expected each: none nearly empty, none a third */
		assert_true(counts[i] > 25 && counts[i] < 1600 / 3);
		counts[i] = 0;
	}
	for (i = 0; i < 1600; i++) { /* short keys too */
		snprintf(key, sizeof(key), "t-%zu", i);
		counts[map_shard(key, 16)]++;
	}
	for (i = 0; i < 16; i++)
		assert_true(counts[i] > 25 && counts[i] < 1600 / 3);
	assert_int_equal(map_shard("anything", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_put_get_remove_round_trip),
		cmocka_unit_test(test_map_refuses_a_duplicate_key_and_keeps_the_first_value),
		cmocka_unit_test(test_map_copies_keys),
		cmocka_unit_test(test_map_grows_keeps_every_entry_and_frees_values),
		cmocka_unit_test(test_map_hash_counts_every_byte_and_spreads_low_bits),
		cmocka_unit_test(test_map_shard_is_stable_in_range_and_spreads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
