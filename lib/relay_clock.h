/*
 * relay_clock.h - the relay's notion of "now", in Unix milliseconds (SPEC.md §10.2).
 *
 * Real time by default. The mock's control plane and the tests can freeze it at a
 * value or move it by an offset. All fields are atomics: reading the clock on the
 * hot path takes no lock.
 */
#ifndef RELAY_CLOCK_H
#define RELAY_CLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct relay_clock {
	atomic_int_fast64_t offset_ms; /* added to real time when not frozen */
	atomic_int_fast64_t frozen_ms; /* the value when frozen */
	atomic_bool frozen;
};

/* Initialise to real time. */
void relay_clock_init(struct relay_clock *c);

/* Now, in Unix milliseconds. */
int64_t relay_clock_now_ms(const struct relay_clock *c);

/* Freeze at now_ms. */
void relay_clock_set(struct relay_clock *c, int64_t now_ms);

/* Move by delta_ms (frozen stays frozen; real time gains an offset). */
void relay_clock_advance(struct relay_clock *c, int64_t delta_ms);

/* Back to real time, no offset. */
void relay_clock_reset(struct relay_clock *c);

bool relay_clock_is_frozen(const struct relay_clock *c);

/* The machine's real time in Unix milliseconds. */
int64_t relay_clock_real_ms(void);

/* CLOCK_MONOTONIC in milliseconds: for deadlines and durations, never for timestamps. */
int64_t relay_clock_mono_ms(void);

#endif
