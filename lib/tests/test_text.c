/*
 * test_text.c - UTF-8 code-point counts and the §1.6.5 id rule (relay_text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "relay_text.h"

static void test_utf8_chars_counts_code_points_not_bytes(void **state)
{
	(void)state;
	assert_int_equal(text_utf8_chars("", 0), 0);
	assert_int_equal(text_utf8_chars("abc", 3), 3);
	assert_int_equal(text_utf8_chars("\xc3\xa9t\xc3\xa9", 5), 3); /* été */
	assert_int_equal(text_utf8_chars("\xe2\x82\xac", 3), 1);      /* € */
	assert_int_equal(text_utf8_chars("\xf0\x9f\x98\x80!", 5), 2); /* emoji + ! */
	assert_int_equal(text_utf8_chars("a\0b", 3), 3);              /* NUL counts */
	assert_int_equal(text_utf8_chars("\xc3\xa9t\xc3\xa9", 2), 1); /* only len */
}

static void test_id_valid_accepts_the_alphabet_up_to_the_cap(void **state)
{
	char id[TEXT_ID_MAX + 2];

	(void)state;
	assert_true(text_id_valid("a"));
	assert_true(text_id_valid("conv_019e-AZaz09"));
	memset(id, 'x', TEXT_ID_MAX);
	id[TEXT_ID_MAX] = '\0';
	assert_true(text_id_valid(id));
	id[TEXT_ID_MAX] = 'x';
	id[TEXT_ID_MAX + 1] = '\0';
	assert_false(text_id_valid(id)); /* 129 bytes */
}

static void test_id_valid_refuses_empty_null_and_other_bytes(void **state)
{
	(void)state;
	assert_false(text_id_valid(NULL));
	assert_false(text_id_valid(""));
	assert_false(text_id_valid("a b"));
	assert_false(text_id_valid("a.b"));
	assert_false(text_id_valid("a/b"));
	assert_false(text_id_valid("a%00"));
	assert_false(text_id_valid("\xc3\xa9"));
	assert_false(text_id_valid("tenant\n"));
}

/* Every byte value at every position of every length up to 40, against the rule. */
static void test_id_valid_every_byte_every_position(void **state)
{
	char id[41];
	size_t len, pos;
	int c, ok;

	(void)state;
	for (len = 1; len <= 40; len++) {
		for (pos = 0; pos < len; pos++) {
			for (c = 1; c < 256; c++) {
				memset(id, 'a', len);
				id[len] = '\0';
				id[pos] = (char)c;
				ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				     (c >= '0' && c <= '9') || c == '_' || c == '-';
				assert_int_equal(text_id_valid(id), ok);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_chars_counts_code_points_not_bytes),
		cmocka_unit_test(test_id_valid_accepts_the_alphabet_up_to_the_cap),
		cmocka_unit_test(test_id_valid_refuses_empty_null_and_other_bytes),
		cmocka_unit_test(test_id_valid_every_byte_every_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
