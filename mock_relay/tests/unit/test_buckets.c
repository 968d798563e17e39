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
	assert_true(b->head.slot < BRLOCK_SLOTS);
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

/* Another thread's trylock of m: 0 (and released again) or EBUSY. */
struct trylock_arg {
	pthread_mutex_t *m;
	int rc;
};

static void *trylock_thread(void *p)
{
	struct trylock_arg *a = p;

	a->rc = pthread_mutex_trylock(a->m);
	if (a->rc == 0)
		pthread_mutex_unlock(a->m);
	return NULL;
}

static int trylock_elsewhere(pthread_mutex_t *m)
{
	struct trylock_arg a = {m, -1};
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, trylock_thread, &a), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	return a.rc;
}

static void test_buckets_unlock_releases_both_locks(void **state)
{
	struct tenant_buckets *tb = *state;
	struct bucket_head *b = buckets_lock(tb, "tenant-a", 1);
	pthread_mutex_t *slot;

	assert_non_null(b);
	slot = &tb->lock.slot[b->slot].mu;
	/*
	 * Held: the bucket's mutex, and this thread's read slot of the map's lock (so no
	 * writer, which needs every slot, gets in). Another thread sees both taken.
	 */
	assert_int_equal(trylock_elsewhere(&b->lock), EBUSY);
	assert_int_equal(trylock_elsewhere(slot), EBUSY);
	buckets_unlock(tb, b);
	/* Both free again. */
	assert_int_equal(trylock_elsewhere(&b->lock), 0);
	assert_int_equal(trylock_elsewhere(slot), 0);
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
