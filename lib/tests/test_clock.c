/*
 * test_clock.c - real or settable clock (SPEC.md §10.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "relay_clock.h"

/* |a - b| <= slack */
static int near(int64_t a, int64_t b, int64_t slack)
{
	return a - b <= slack && b - a <= slack;
}

static void test_clock_starts_on_real_time(void **state)
{
	struct relay_clock c;

	(void)state;
	relay_clock_init(&c);
	assert_false(relay_clock_is_frozen(&c));
	assert_true(near(relay_clock_now_ms(&c), relay_clock_real_ms(), 1000));
	/* milliseconds, not seconds: later than 2020-01-01 in ms */
	assert_true(relay_clock_real_ms() > 1577836800000LL);
}

static void test_clock_set_freezes_at_value(void **state)
{
	struct relay_clock c;

	(void)state;
	relay_clock_init(&c);
	relay_clock_set(&c, 1750500000000LL);
	assert_true(relay_clock_is_frozen(&c));
	assert_true(relay_clock_now_ms(&c) == 1750500000000LL);
	assert_true(relay_clock_now_ms(&c) == 1750500000000LL);
}

static void test_clock_advance_moves_frozen_clock_and_stays_frozen(void **state)
{
	struct relay_clock c;

	(void)state;
	relay_clock_init(&c);
	relay_clock_set(&c, 1000);
	relay_clock_advance(&c, 30001);
	assert_true(relay_clock_is_frozen(&c));
	assert_true(relay_clock_now_ms(&c) == 31001);
	relay_clock_advance(&c, -1001);
	assert_true(relay_clock_now_ms(&c) == 30000);
}

static void test_clock_advance_on_real_time_adds_an_offset(void **state)
{
	struct relay_clock c;

	(void)state;
	relay_clock_init(&c);
	relay_clock_advance(&c, 3600000);
	assert_false(relay_clock_is_frozen(&c));
	assert_true(near(relay_clock_now_ms(&c), relay_clock_real_ms() + 3600000, 1000));
	relay_clock_advance(&c, -7200000);
	assert_true(near(relay_clock_now_ms(&c), relay_clock_real_ms() - 3600000, 1000));
}

static void test_clock_reset_returns_to_real_time_without_offset(void **state)
{
	struct relay_clock c;

	(void)state;
	relay_clock_init(&c);
	relay_clock_advance(&c, 86400000);
	relay_clock_set(&c, 5);
	relay_clock_reset(&c);
	assert_false(relay_clock_is_frozen(&c));
	assert_true(near(relay_clock_now_ms(&c), relay_clock_real_ms(), 1000));
}

static void test_clock_unfrozen_after_freeze_keeps_no_frozen_value(void **state)
{
	struct relay_clock c;

	(void)state;
	relay_clock_init(&c);
	relay_clock_set(&c, 42);
	relay_clock_reset(&c);
	relay_clock_advance(&c, 10);
	assert_true(near(relay_clock_now_ms(&c), relay_clock_real_ms() + 10, 1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_starts_on_real_time),
		cmocka_unit_test(test_clock_set_freezes_at_value),
		cmocka_unit_test(test_clock_advance_moves_frozen_clock_and_stays_frozen),
		cmocka_unit_test(test_clock_advance_on_real_time_adds_an_offset),
		cmocka_unit_test(test_clock_reset_returns_to_real_time_without_offset),
		cmocka_unit_test(test_clock_unfrozen_after_freeze_keeps_no_frozen_value),
	};

	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
