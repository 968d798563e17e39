/*
 * relay_brlock.h - a readers-writer lock whose readers share no cache line.
 *
 * A pthread rwlock is one lock word that every reader writes (its reader count): two
 * worker threads reading the same store pass that cache line back and forth on every
 * request, though neither ever waits for the other. Here each thread reads under its
 * own slot, a mutex alone on its cache line; a writer takes every slot in order.
 * Readers of different slots never touch a common line, and a writer (provisioning,
 * a rotation, a reset: rare next to reads) excludes all of them.
 *
 * Threads get slots round-robin on their first read; past BRLOCK_SLOTS threads share
 * slots (correct: the slot is a mutex, so sharers only wait for each other). A slot's
 * mutex is recursive, as rwlock read locks are: a thread may take the read lock again
 * while holding it. A writer must not hold a read lock of the same brlock.
 */
#ifndef RELAY_BRLOCK_H
#define RELAY_BRLOCK_H

#include <pthread.h>

#include "relay_rc.h"

#define BRLOCK_SLOTS 16

struct brlock_slot {
	_Alignas(64) pthread_mutex_t mu;
};

struct brlock {
	struct brlock_slot slot[BRLOCK_SLOTS];
};

RELAY_WUR enum relay_rc brlock_init(struct brlock *l);
void brlock_destroy(struct brlock *l);

/* Shared: returns the slot taken, to give back to brlock_read_unlock(). */
unsigned brlock_read_lock(struct brlock *l);
void brlock_read_unlock(struct brlock *l, unsigned slot);

/* Exclusive: every slot, in order. */
void brlock_write_lock(struct brlock *l);
void brlock_write_unlock(struct brlock *l);

#endif
