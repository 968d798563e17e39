/*
 * relay_clock.c - real or settable clock (SPEC.md §10.2).
 */
#include <time.h>

#include "relay_clock.h"

int64_t relay_clock_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t relay_clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void relay_clock_init(struct relay_clock *c)
{
	atomic_init(&c->offset_ms, 0);
	atomic_init(&c->frozen_ms, 0);
	atomic_init(&c->frozen, false);
}

int64_t relay_clock_now_ms(const struct relay_clock *c)
{
	if (atomic_load(&c->frozen))
		return atomic_load(&c->frozen_ms);
	return relay_clock_real_ms() + atomic_load(&c->offset_ms);
}

void relay_clock_set(struct relay_clock *c, int64_t now_ms)
{
	atomic_store(&c->frozen_ms, now_ms);
	atomic_store(&c->frozen, true);
}

void relay_clock_advance(struct relay_clock *c, int64_t delta_ms)
{
	if (atomic_load(&c->frozen))
		atomic_fetch_add(&c->frozen_ms, delta_ms);
	else
		atomic_fetch_add(&c->offset_ms, delta_ms);
}

void relay_clock_reset(struct relay_clock *c)
{
	atomic_store(&c->frozen, false);
	atomic_store(&c->offset_ms, 0);
}

bool relay_clock_is_frozen(const struct relay_clock *c)
{
	return atomic_load(&c->frozen);
}
