/*
 * test_guard.c - relay_guard's pure checks (SPEC §1.9): the field-name token test
 * against RFC 9110 §5.1 for every byte value, and what may be journaled or logged as
 * received (§1.9.3) when the text's length is known.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "relay_guard.h"

/* RFC 9110 §5.6.2 tchar, spelled as the RFC lists it. */
static bool rfc_tchar(unsigned char c)
{
	static const char listed[] = "!#$%&'*+-.^_`|~";

	if (c >= '0' && c <= '9')
		return true;
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
		return true;
	return c != '\0' && memchr(listed, c, sizeof(listed) - 1) != NULL;
}

static void test_guard_token_matches_rfc_tchar_for_every_byte(void **state)
{
	char name[3];
	int c;

	(void)state;
	for (c = 0; c < 256; c++) {
		name[0] = (char)c;
		assert_int_equal(guard_name_is_token(name, 1), rfc_tchar((unsigned char)c));
		/* the byte inside a longer name decides as well */
		name[0] = 'X';
		name[1] = (char)c;
		name[2] = 'y';
		assert_int_equal(guard_name_is_token(name, 3), rfc_tchar((unsigned char)c));
	}
}

static void test_guard_token_refuses_empty_and_spaced_names(void **state)
{
	(void)state;
	assert_false(guard_name_is_token("", 0));
	assert_false(guard_name_is_token("Host ", 5));
	assert_false(guard_name_is_token("X Y", 3));
	assert_true(guard_name_is_token("X-Bloonio-Tenant-Id", 19));
	/* only key_size bytes are read: what follows does not count */
	assert_true(guard_name_is_token("Host: x", 4));
}

static void test_guard_loggable_n_agrees_with_the_string_form(void **state)
{
	static const char *const texts[] = {"",
					    "abc",
					    "sk_",
					    "xsk_y",
					    "01a2499d-b4f2-7d26-8373-b87edc2f93b5",
					    "01a2499d-b4f2-7d26-8373-b87edc2f93b5x",
					    "sk",
					    "s_k",
					    "key=sk_live_0123"};
	size_t i, max;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		for (max = 0; max < 40; max++)
			assert_int_equal(guard_loggable_n(texts[i], strlen(texts[i]), max),
					 guard_loggable(texts[i], max));
		assert_int_equal(guard_loggable_n(texts[i], strlen(texts[i]), SIZE_MAX),
				 strstr(texts[i], "sk_") == NULL);
	}
}

static void test_guard_loggable_n_reads_exactly_len_bytes(void **state)
{
	(void)state;
	/* "sk_" past len is not seen; within len it is, even right at the end */
	assert_true(guard_loggable_n("abcsk_", 3, SIZE_MAX));
	assert_false(guard_loggable_n("abcsk_", 6, SIZE_MAX));
	assert_true(guard_loggable_n("abcsk_", 5, SIZE_MAX));
	/* a length over the cap is refused whatever the text */
	assert_false(guard_loggable_n("abcd", 4, 3));
	assert_true(guard_loggable_n("abcd", 4, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guard_token_matches_rfc_tchar_for_every_byte),
		cmocka_unit_test(test_guard_token_refuses_empty_and_spaced_names),
		cmocka_unit_test(test_guard_loggable_n_agrees_with_the_string_form),
		cmocka_unit_test(test_guard_loggable_n_reads_exactly_len_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
