/*
 * test_buckets.c - relay_buckets: per-tenant buckets created on demand, found again,
 * kept apart per tenant, freed by reset and cleanup; locks released by unlock.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "relay_buckets.h"

struct test_bucket {
	struct bucket_head head; /* first, as relay_buckets.h requires */
	int uses;
};

static int made, freed;

static struct bucket_head *tb_new(void)
{
	struct test_bucket *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	if (!bucket_head_init(&b->head)) {
		free(b);
		return NULL;
	}
	made++;
	return &b->head;
}

static void tb_free(void *p)
{
	struct test_bucket *b = p;

	bucket_head_destroy(&b->head);
	free(b);
	freed++;
}

static int setup(void **state)
{
	struct tenant_buckets *tb = calloc(1, sizeof(*tb));

	if (tb == NULL || buckets_init(tb, tb_new, tb_free) != RELAY_OK) {
		free(tb);
		return -1;
	}
	made = 0;
	freed = 0;
	*state = tb;
	return 0;
}

static int teardown(void **state)
{
	buckets_cleanup(*state);
	free(*state);
	return 0;
}

static void test_buckets_init_refuses_missing_hooks(void **state)
{
	struct tenant_buckets tb;

	(void)state;
	assert_int_equal(buckets_init(&tb, NULL, tb_free), RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(buckets_init(&tb, tb_new, NULL), RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(buckets_init(NULL, tb_new, tb_free), RELAY_E_INVALID_ARGUMENT);
}

static void test_buckets_absent_tenant_is_not_created_without_create(void **state)
{
	struct tenant_buckets *tb = *state;

	assert_null(buckets_lock(tb, "tenant-a", 0));
	assert_int_equal(made, 0);
}

static void test_buckets_created_once_then_found_with_its_contents(void **state)
{
	struct tenant_buckets *tb = *state;
	struct test_bucket *b;

	b = (struct test_bucket *)buckets_lock(tb, "tenant-a", 1);
	assert_non_null(b);
	assert_non_null(b->head.shard);
	b->uses = 5;
	buckets_unlock(tb, &b->head);
	b = (struct test_bucket *)buckets_lock(tb, "tenant-a", 1);
	assert_non_null(b);
	assert_int_equal(b->uses, 5); /* the same bucket, not a new one */
	buckets_unlock(tb, &b->head);
	b = (struct test_bucket *)buckets_lock(tb, "tenant-a", 0);
	assert_non_null(b);
	buckets_unlock(tb, &b->head);
	assert_int_equal(made, 1);
}

static void test_buckets_tenants_are_kept_apart(void **state)
{
	struct tenant_buckets *tb = *state;
	struct test_bucket *a, *b;
	char id[32];
	int i;

	a = (struct test_bucket *)buckets_lock(tb, "tenant-a", 1);
	assert_non_null(a);
	a->uses = 1;
	buckets_unlock(tb, &a->head);
	b = (struct test_bucket *)buckets_lock(tb, "tenant-b", 1);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(b->uses, 0);
	buckets_unlock(tb, &b->head);
	/* Many tenants, over every shard: each gets its own bucket. */
	for (i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "t-%d", i);
		b = (struct test_bucket *)buckets_lock(tb, id, 1);
		assert_non_null(b);
		b->uses = i + 100;
		buckets_unlock(tb, &b->head);
	}
	for (i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "t-%d", i);
		b = (struct test_bucket *)buckets_lock(tb, id, 0);
		assert_non_null(b);
		assert_int_equal(b->uses, i + 100);
		buckets_unlock(tb, &b->head);
	}
	assert_int_equal(made, 202);
}

static void test_buckets_reset_frees_every_bucket(void **state)
{
	struct tenant_buckets *tb = *state;
	struct bucket_head *b;

	b = buckets_lock(tb, "tenant-a", 1);
	assert_non_null(b);
	buckets_unlock(tb, b);
	b = buckets_lock(tb, "tenant-b", 1);
	assert_non_null(b);
	buckets_unlock(tb, b);
	buckets_reset(tb);
	assert_int_equal(freed, 2);
	assert_null(buckets_lock(tb, "tenant-a", 0));
	assert_null(buckets_lock(tb, "tenant-b", 0));
	/* Usable after a reset: a new, empty bucket. */
	b = buckets_lock(tb, "tenant-a", 1);
	assert_non_null(b);
	assert_int_equal(((struct test_bucket *)b)->uses, 0);
	buckets_unlock(tb, b);
	assert_int_equal(made, 3);
}

static void test_buckets_unlock_releases_both_locks(void **state)
{
	struct tenant_buckets *tb = *state;
	struct bucket_head *b = buckets_lock(tb, "tenant-a", 1);
	struct bucket_shard *sh;

	assert_non_null(b);
	sh = b->shard;
	/* Held: the bucket's mutex, and the shard's lock shared (no writer gets in). */
	assert_int_equal(pthread_mutex_trylock(&b->lock), EBUSY);
	assert_int_equal(pthread_rwlock_trywrlock(&sh->lock), EBUSY);
	buckets_unlock(tb, b);
	/* Both free again: the bucket mutex and the shard's lock exclusively. */
	assert_int_equal(pthread_mutex_trylock(&b->lock), 0);
	pthread_mutex_unlock(&b->lock);
	assert_int_equal(pthread_rwlock_trywrlock(&sh->lock), 0);
	pthread_rwlock_unlock(&sh->lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_init_refuses_missing_hooks),
		cmocka_unit_test_setup_teardown(
			test_buckets_absent_tenant_is_not_created_without_create, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_buckets_created_once_then_found_with_its_contents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buckets_tenants_are_kept_apart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_buckets_reset_frees_every_bucket, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_buckets_unlock_releases_both_locks, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
