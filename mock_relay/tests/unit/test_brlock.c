/*
 * test_brlock.c - relay_brlock: readers on different threads hold the lock at the
 * same time, a writer waits for every reader and excludes new ones, a reader may take
 * the lock again while holding it, and a thread keeps its slot.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "relay_brlock.h"

static struct brlock lk;

static int setup(void **state)
{
	(void)state;
	return brlock_init(&lk) == RELAY_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	brlock_destroy(&lk);
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000L};

	nanosleep(&ts, NULL);
}

/* A reader thread: takes the read lock, says so, holds it until told to let go. */
struct reader {
	atomic_int holding;
	atomic_int release;
	unsigned slot;
};

static void *reader_thread(void *p)
{
	struct reader *r = p;

	r->slot = brlock_read_lock(&lk);
	atomic_store(&r->holding, 1);
	while (!atomic_load(&r->release))
		sleep_ms(1);
	/* cleared before the unlock: a writer that gets in must see 0 */
	atomic_store(&r->holding, 0);
	brlock_read_unlock(&lk, r->slot);
	return NULL;
}

static void test_brlock_readers_on_two_threads_hold_it_together(void **state)
{
	struct reader a = {0}, b = {0};
	pthread_t ta, tb;

	(void)state;
	assert_int_equal(pthread_create(&ta, NULL, reader_thread, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, reader_thread, &b), 0);
	/* both get in while the other holds it (a test that hangs here has failed) */
	while (!atomic_load(&a.holding) || !atomic_load(&b.holding))
		sleep_ms(1);
	assert_int_not_equal(a.slot, b.slot); /* fewer threads than slots: one each */
	atomic_store(&a.release, 1);
	atomic_store(&b.release, 1);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
}

/* A writer thread: takes the write lock, records when, lets go. */
struct writer {
	atomic_int done;
	atomic_int readers_seen; /* readers still holding when the writer got in */
	struct reader *r;
};

static void *writer_thread(void *p)
{
	struct writer *w = p;

	brlock_write_lock(&lk);
	atomic_store(&w->readers_seen, atomic_load(&w->r->holding));
	brlock_write_unlock(&lk);
	atomic_store(&w->done, 1);
	return NULL;
}

static void test_brlock_writer_waits_for_the_reader(void **state)
{
	struct reader r = {0};
	struct writer w = {0};
	pthread_t tr, tw;

	(void)state;
	w.r = &r;
	assert_int_equal(pthread_create(&tr, NULL, reader_thread, &r), 0);
	while (!atomic_load(&r.holding))
		sleep_ms(1);
	assert_int_equal(pthread_create(&tw, NULL, writer_thread, &w), 0);
	sleep_ms(50);
	assert_int_equal(atomic_load(&w.done), 0); /* still waiting for the reader */
	atomic_store(&r.release, 1);
	pthread_join(tr, NULL);
	pthread_join(tw, NULL);
	assert_int_equal(atomic_load(&w.done), 1);
	assert_int_equal(atomic_load(&w.readers_seen), 0);
}

/* Another thread's trylock of one slot: 0 (released again) or EBUSY. */
struct slot_try {
	unsigned slot;
	int rc;
};

static void *try_read_slot(void *p)
{
	struct slot_try *t = p;

	t->rc = pthread_mutex_trylock(&lk.slot[t->slot].mu);
	if (t->rc == 0)
		pthread_mutex_unlock(&lk.slot[t->slot].mu);
	return NULL;
}

static int try_slot_elsewhere(unsigned slot)
{
	struct slot_try a = {slot, -1};
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, try_read_slot, &a), 0);
	pthread_join(t, NULL);
	return a.rc;
}

static void test_brlock_writer_holds_every_slot(void **state)
{
	unsigned i;

	(void)state;
	brlock_write_lock(&lk);
	for (i = 0; i < BRLOCK_SLOTS; i++)
		assert_int_equal(try_slot_elsewhere(i), EBUSY);
	brlock_write_unlock(&lk);
	for (i = 0; i < BRLOCK_SLOTS; i++)
		assert_int_equal(try_slot_elsewhere(i), 0);
}

static void test_brlock_read_lock_is_reentrant_and_the_slot_stays(void **state)
{
	unsigned a, b;

	(void)state;
	a = brlock_read_lock(&lk);
	b = brlock_read_lock(&lk); /* as an rwlock's read lock: no deadlock */
	assert_int_equal(a, b);
	assert_true(a < BRLOCK_SLOTS);
	brlock_read_unlock(&lk, b);
	brlock_read_unlock(&lk, a);
	assert_int_equal(brlock_read_lock(&lk), a);
	brlock_read_unlock(&lk, a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_brlock_readers_on_two_threads_hold_it_together,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_brlock_writer_waits_for_the_reader, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_brlock_writer_holds_every_slot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_brlock_read_lock_is_reentrant_and_the_slot_stays, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
