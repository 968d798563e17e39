/*
 * test_journal.c - relay_journal (SPEC §10.3): a bounded ring, newest first, ids from
 * 1, the tenant filter, limit vs total, the hmac1 object only for HMAC#1 calls, reset,
 * and journal_copy()'s truncation and replacement of bytes that cannot be logged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "relay_journal.h"

static void append(struct relay_journal *j, const char *path, const char *tenant, int status)
{
	struct journal_entry e;

	memset(&e, 0, sizeof(e));
	journal_copy(e.method, sizeof(e.method), "GET");
	journal_copy(e.path, sizeof(e.path), path);
	journal_copy(e.tenant_id, sizeof(e.tenant_id), tenant);
	e.status = status;
	e.seq = 999; /* assigned by the journal, not taken from the caller */
	journal_append(j, &e);
}

static const char *path_of(json_t *items, size_t i)
{
	return json_string_value(json_object_get(json_array_get(items, i), "path"));
}

static json_int_t id_of(json_t *items, size_t i)
{
	return json_integer_value(json_object_get(json_array_get(items, i), "id"));
}

static void test_journal_new_refuses_zero_slots(void **state)
{
	(void)state;
	assert_null(journal_new(0));
}

static void test_journal_ring_keeps_the_newest_first_and_evicts_the_oldest(void **state)
{
	struct relay_journal *j = journal_new(3);
	json_t *items = NULL;
	size_t total = 0;

	(void)state;
	assert_non_null(j);
	assert_int_equal(journal_to_json(j, NULL, 10, &items, &total), RELAY_OK);
	assert_int_equal(json_array_size(items), 0);
	assert_int_equal(total, 0);
	json_decref(items);
	append(j, "/1", "", 200);
	append(j, "/2", "", 200);
	append(j, "/3", "", 404);
	append(j, "/4", "", 200); /* evicts /1 */
	assert_int_equal(journal_to_json(j, NULL, 10, &items, &total), RELAY_OK);
	assert_int_equal(total, 3);
	assert_int_equal(json_array_size(items), 3);
	assert_string_equal(path_of(items, 0), "/4");
	assert_int_equal(id_of(items, 0), 4);
	assert_string_equal(path_of(items, 2), "/2");
	assert_int_equal(id_of(items, 2), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 1), "status")),
			 404);
	/* No hmac1 object on an entry that is not an HMAC#1 call; null tenant when none. */
	assert_null(json_object_get(json_array_get(items, 0), "hmac1"));
	assert_true(json_is_null(json_object_get(json_array_get(items, 0), "tenant_id")));
	json_decref(items);
	journal_free(j);
}

static void test_journal_tenant_filter_and_limit_vs_total(void **state)
{
	struct relay_journal *j = journal_new(16);
	json_t *items = NULL;
	size_t total = 0;

	(void)state;
	assert_non_null(j);
	append(j, "/a1", "tenant-a", 200);
	append(j, "/b1", "tenant-b", 200);
	append(j, "/a2", "tenant-a", 200);
	append(j, "/a3", "tenant-a", 401);
	assert_int_equal(journal_to_json(j, "tenant-a", 2, &items, &total), RELAY_OK);
	assert_int_equal(total, 3); /* every match held, not just those returned */
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(path_of(items, 0), "/a3");
	assert_string_equal(path_of(items, 1), "/a2");
	json_decref(items);
	assert_int_equal(journal_to_json(j, "tenant-c", 10, &items, &total), RELAY_OK);
	assert_int_equal(total, 0);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	assert_int_equal(journal_to_json(j, NULL, 0, &items, &total), RELAY_OK);
	assert_int_equal(total, 4);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	journal_free(j);
}

static void test_journal_hmac1_entry_carries_what_was_received(void **state)
{
	struct relay_journal *j = journal_new(4);
	struct journal_entry e;
	json_t *items = NULL, *h;
	size_t total = 0;

	(void)state;
	assert_non_null(j);
	memset(&e, 0, sizeof(e));
	journal_copy(e.method, sizeof(e.method), "POST");
	journal_copy(e.path, sizeof(e.path), "/api/v1/relay/send/message");
	e.status = 401;
	e.hmac1 = true;
	e.has_timestamp = false;
	journal_copy(e.body_sha256, sizeof(e.body_sha256), "abc");
	journal_copy(e.failed_step, sizeof(e.failed_step), "headers");
	journal_copy(e.error_code, sizeof(e.error_code), "missing_headers");
	journal_append(j, &e);
	assert_int_equal(journal_to_json(j, NULL, 10, &items, &total), RELAY_OK);
	h = json_object_get(json_array_get(items, 0), "hmac1");
	assert_non_null(h);
	assert_true(json_is_null(json_object_get(h, "timestamp"))); /* header absent */
	assert_true(json_is_null(json_object_get(h, "signing_string")));
	assert_string_equal(json_string_value(json_object_get(h, "failed_step")), "headers");
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(items, 0), "error_code")),
		"missing_headers");
	json_decref(items);
	journal_free(j);
}

/*
 * A slot written again with shorter texts reads back only the new ones (the append
 * copies each text up to its NUL and leaves the old bytes after it), and texts that
 * fill their arrays come back whole.
 */
static void test_journal_reused_slot_reads_only_the_new_texts(void **state)
{
	struct relay_journal *j = journal_new(1);
	struct journal_entry e;
	json_t *items = NULL;
	size_t total = 0;

	(void)state;
	assert_non_null(j);
	memset(&e, 'x', sizeof(e)); /* the arrays full to their last byte, no NUL */
	e.hmac1 = true;
	e.has_timestamp = true;
	e.timestamp[sizeof(e.timestamp) - 1] = '\0';
	e.body_sha256[sizeof(e.body_sha256) - 1] = '\0';
	e.method[sizeof(e.method) - 1] = '\0';
	e.error_code[sizeof(e.error_code) - 1] = '\0';
	e.failed_step[0] = 'f';
	e.failed_step[sizeof(e.failed_step) - 1] = '\0';
	e.conversation_status[sizeof(e.conversation_status) - 1] = '\0';
	e.headers_len = 0;
	e.headers_truncated = false;
	journal_add_header(&e, "Long", "");
	memset(e.headers + 6, 'v', JOURNAL_HEADERS_MAX - 7);
	e.headers[JOURNAL_HEADERS_MAX - 1] = '\n';
	e.headers[JOURNAL_HEADERS_MAX] = '\0';
	e.headers_len = JOURNAL_HEADERS_MAX;
	journal_append(j, &e);
	assert_int_equal(journal_to_json(j, NULL, 10, &items, &total), RELAY_OK);
	assert_int_equal(total, 1);
	/* each text cut at its array's last byte, as journal_copy() would */
	assert_int_equal(
		strlen(json_string_value(json_object_get(json_array_get(items, 0), "tenant_id"))),
		sizeof(e.tenant_id) - 1);
	assert_int_equal(strlen(path_of(items, 0)), sizeof(e.path) - 1);
	assert_int_equal(
		strlen(json_string_value(json_object_get(
			json_object_get(json_array_get(items, 0), "hmac1"), "signing_string"))),
		sizeof(e.signing_string) - 1);
	assert_int_equal(
		strlen(json_string_value(json_object_get(
			json_array_get(json_object_get(json_array_get(items, 0), "headers"), 0),
			"value"))),
		JOURNAL_HEADERS_MAX - 7);
	json_decref(items);

	memset(&e, 0, sizeof(e));
	journal_copy(e.method, sizeof(e.method), "GET");
	journal_copy(e.path, sizeof(e.path), "/p");
	journal_copy(e.tenant_id, sizeof(e.tenant_id), "t1");
	journal_copy(e.conversation_id, sizeof(e.conversation_id), "c1");
	journal_copy(e.conversation_status, sizeof(e.conversation_status), "open");
	journal_copy(e.signing_string, sizeof(e.signing_string), "1.ab");
	journal_copy(e.detail, sizeof(e.detail), "why");
	journal_copy(e.failed_step, sizeof(e.failed_step), "signature");
	e.hmac1 = true;
	journal_add_header(&e, "Host", "h");
	journal_append(j, &e);
	assert_int_equal(journal_to_json(j, NULL, 10, &items, &total), RELAY_OK);
	assert_int_equal(total, 1);
	assert_string_equal(path_of(items, 0), "/p");
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(items, 0), "tenant_id")), "t1");
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_array_get(items, 0), "conversation"), "id")),
		"c1");
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_array_get(items, 0), "hmac1"), "signing_string")),
		"1.ab");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(items, 0), "hmac1"), "reason")),
			    "why");
	assert_int_equal(json_array_size(json_object_get(json_array_get(items, 0), "headers")), 1);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(json_array_get(items, 0), "headers"), 0),
			"value")),
		"h");
	json_decref(items);
	journal_free(j);
}

static void test_journal_reset_empties_and_restarts_ids(void **state)
{
	struct relay_journal *j = journal_new(4);
	json_t *items = NULL;
	size_t total = 0;

	(void)state;
	assert_non_null(j);
	append(j, "/x", "", 200);
	append(j, "/y", "", 200);
	journal_reset(j);
	assert_int_equal(journal_to_json(j, NULL, 10, &items, &total), RELAY_OK);
	assert_int_equal(total, 0);
	json_decref(items);
	append(j, "/z", "", 200);
	assert_int_equal(journal_to_json(j, NULL, 10, &items, &total), RELAY_OK);
	assert_int_equal(total, 1);
	assert_int_equal(id_of(items, 0), 1);
	json_decref(items);
	journal_free(j);
}

static void test_journal_copy_truncates_on_a_character_boundary(void **state)
{
	char out[8];

	(void)state;
	journal_copy(out, sizeof(out), "/abc");
	assert_string_equal(out, "/abc");
	journal_copy(out, sizeof(out), "/abcdefghij");
	assert_string_equal(out, "/abcdef");                 /* 7 bytes + NUL */
	journal_copy(out, sizeof(out), "/abcd\xe2\x82\xac"); /* € would need 3 more bytes */
	assert_string_equal(out, "/abcd");
	journal_copy(out, sizeof(out), NULL);
	assert_string_equal(out, "");
	journal_copy(out, 0, "untouched"); /* size 0: nothing written, no crash */
}

static void test_journal_copy_replaces_control_and_invalid_bytes(void **state)
{
	char out[64];

	(void)state;
	journal_copy(out, sizeof(out), "a\nb\tc\x7f");
	assert_string_equal(out, "a?b?c?");
	journal_copy(out, sizeof(out), "\xff\xc0\xafz"); /* invalid, overlong */
	assert_string_equal(out, "???"
				 "z");
	journal_copy(out, sizeof(out), "\xed\xa0\x80!"); /* a surrogate */
	assert_string_equal(out, "???"
				 "!");
	journal_copy(out, sizeof(out), "\xc3\xa9t\xc3\xa9"); /* valid UTF-8 kept */
	assert_string_equal(out, "\xc3\xa9t\xc3\xa9");
}

/*
 * Every length up to 40 with one byte that cannot be logged at every position (the
 * printable-ASCII fast path reads 8 bytes at a time and then the last 8): the byte
 * becomes '?' wherever it is, and the rest is kept; lengths around the buffer's size
 * are cut there.
 */
static void test_journal_copy_finds_a_bad_byte_at_any_position(void **state)
{
	static const char bad[] = {'\n', '\x01', '\x7f', '\x80', '\xff'};
	char src[48], want[48], out[33];
	size_t n, pos, b;

	(void)state;
	for (n = 1; n <= 40; n++) {
		for (pos = 0; pos < n; pos++) {
			for (b = 0; b < sizeof(bad); b++) {
				memset(src, 'a', n);
				src[n] = '\0';
				src[pos] = bad[b];
				memcpy(want, src, n + 1);
				want[pos] = '?';
				if (n > sizeof(out) - 1)
					want[sizeof(out) - 1] = '\0';
				journal_copy(out, sizeof(out), src);
				assert_string_equal(out, want);
			}
		}
		memset(src, 'b', n); /* all printable: kept, up to the size */
		src[n] = '\0';
		journal_copy(out, sizeof(out), src);
		assert_int_equal(strlen(out), n < sizeof(out) ? n : sizeof(out) - 1);
	}
}

/*
 * §10.3.3: a header line that does not fit is left out with every later one, and the
 * entry says so, also when the lines before filled the buffer to the last byte.
 */
static void test_journal_headers_truncate_whole_lines(void **state)
{
	static struct journal_entry e;
	char value[JOURNAL_HEADERS_MAX];
	size_t fill = JOURNAL_HEADERS_MAX - 4; /* "N: " + value + "\n" is exactly full */

	(void)state;
	memset(&e, 0, sizeof(e));
	memset(value, 'v', fill);
	value[fill] = '\0';
	journal_add_header(&e, "N", value);
	assert_false(e.headers_truncated);
	assert_int_equal(strlen(e.headers), JOURNAL_HEADERS_MAX);
	assert_int_equal(e.headers_len, JOURNAL_HEADERS_MAX);
	journal_add_header(&e, "A", "b"); /* no room left */
	assert_true(e.headers_truncated);
	assert_int_equal(strlen(e.headers), JOURNAL_HEADERS_MAX);

	memset(&e, 0, sizeof(e));
	journal_add_header(&e, "Host", "x");
	value[fill - 2] = '\0'; /* one byte too long after "Host: x\n" */
	journal_add_header(&e, "N", value);
	assert_true(e.headers_truncated);
	assert_string_equal(e.headers, "Host: x\n");
	journal_add_header(&e, "C", "d"); /* would fit, but comes after a left-out line */
	assert_string_equal(e.headers, "Host: x\n");
	assert_int_equal(e.headers_len, strlen("Host: x\n"));
}

/*
 * journal_add_header_n() reads exactly the lengths given (no NUL needed after them)
 * and writes what journal_add_header() writes for the same text: sanitized bytes,
 * credentials by name in any case redacted.
 */
static void test_journal_headers_with_lengths_match_the_string_form(void **state)
{
	static struct journal_entry a, b;
	static const char *const pairs[][2] = {
		{"Host", "127.0.0.1"},
		{"x-admin-key", "secret-value"},
		{"COOKIE", "a=b"},
		{"Authorization", "Bearer t"},
		{"Proxy-Authorization", "x"},
		{"X-Odd", "tab\there \x01 \xc3\xa9 \xff"},
		{"X-Empty", ""},
	};
	size_t i;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		journal_add_header(&a, pairs[i][0], pairs[i][1]);
		journal_add_header_n(&b, pairs[i][0], strlen(pairs[i][0]), pairs[i][1],
				     strlen(pairs[i][1]));
	}
	assert_string_equal(a.headers, b.headers);
	assert_int_equal(a.headers_len, b.headers_len);
	assert_non_null(strstr(b.headers, "x-admin-key: " JOURNAL_REDACTED "\n"));
	assert_non_null(strstr(b.headers, "COOKIE: " JOURNAL_REDACTED "\n"));
	assert_non_null(strstr(b.headers, "X-Odd: tab?here ? \xc3\xa9 ?\n"));

	/* only the given bytes: the rest of each buffer is not read */
	memset(&b, 0, sizeof(b));
	journal_add_header_n(&b, "Hostile", 4, "127.0.0.1:80", 9);
	assert_string_equal(b.headers, "Host: 127.0.0.1\n");
	/* a name that is a credential's prefix is not one */
	memset(&b, 0, sizeof(b));
	journal_add_header_n(&b, "Cookie2", 7, "v", 1);
	assert_string_equal(b.headers, "Cookie2: v\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_new_refuses_zero_slots),
		cmocka_unit_test(test_journal_ring_keeps_the_newest_first_and_evicts_the_oldest),
		cmocka_unit_test(test_journal_tenant_filter_and_limit_vs_total),
		cmocka_unit_test(test_journal_hmac1_entry_carries_what_was_received),
		cmocka_unit_test(test_journal_reused_slot_reads_only_the_new_texts),
		cmocka_unit_test(test_journal_reset_empties_and_restarts_ids),
		cmocka_unit_test(test_journal_copy_truncates_on_a_character_boundary),
		cmocka_unit_test(test_journal_copy_replaces_control_and_invalid_bytes),
		cmocka_unit_test(test_journal_copy_finds_a_bad_byte_at_any_position),
		cmocka_unit_test(test_journal_headers_truncate_whole_lines),
		cmocka_unit_test(test_journal_headers_with_lengths_match_the_string_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
