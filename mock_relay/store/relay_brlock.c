/*
 * relay_brlock.c - readers-writer lock with one slot per reading thread (see
 * relay_brlock.h).
 */
#include <stdatomic.h>

#include "relay_brlock.h"

enum relay_rc brlock_init(struct brlock *l)
{
	pthread_mutexattr_t attr;
	unsigned i;

	if (pthread_mutexattr_init(&attr) != 0)
		return RELAY_E_NOMEM;
	if (pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE) != 0) {
		pthread_mutexattr_destroy(&attr);
		return RELAY_E_NOMEM;
	}
	for (i = 0; i < BRLOCK_SLOTS; i++) {
		if (pthread_mutex_init(&l->slot[i].mu, &attr) != 0) {
			while (i-- > 0)
				pthread_mutex_destroy(&l->slot[i].mu);
			pthread_mutexattr_destroy(&attr);
			return RELAY_E_NOMEM;
		}
	}
	pthread_mutexattr_destroy(&attr);
	return RELAY_OK;
}

void brlock_destroy(struct brlock *l)
{
	unsigned i;

	for (i = 0; i < BRLOCK_SLOTS; i++)
		pthread_mutex_destroy(&l->slot[i].mu);
}

/* This thread's slot, the same for every brlock (a thread reads one store at a time). */
static unsigned slot_mine(void)
{
	static atomic_uint next_slot;
	static _Thread_local unsigned slot = BRLOCK_SLOTS;

	if (slot == BRLOCK_SLOTS)
		slot = atomic_fetch_add_explicit(&next_slot, 1, memory_order_relaxed) %
		       BRLOCK_SLOTS;
	return slot;
}

unsigned brlock_read_lock(struct brlock *l)
{
	unsigned s = slot_mine();

	pthread_mutex_lock(&l->slot[s].mu);
	return s;
}

void brlock_read_unlock(struct brlock *l, unsigned slot)
{
	pthread_mutex_unlock(&l->slot[slot].mu);
}

void brlock_write_lock(struct brlock *l)
{
	unsigned i;

	for (i = 0; i < BRLOCK_SLOTS; i++)
		pthread_mutex_lock(&l->slot[i].mu);
}

void brlock_write_unlock(struct brlock *l)
{
	unsigned i;

	for (i = BRLOCK_SLOTS; i-- > 0;)
		pthread_mutex_unlock(&l->slot[i].mu);
}
