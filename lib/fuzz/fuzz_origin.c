/*
 * fuzz_origin.c - origin_normalize() on any bytes (SPEC.md §3).
 *
 * Never crashes; a valid origin's normalized form is no longer than the input, is
 * made only of the characters §3.1 allows, re-normalizes to itself and matches the
 * input; an invalid one always comes with a reason and matches nothing.
 */
#include <string.h>

#include "fuzz.h"
#include "relay_origin.h"

static int allowed_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
	       c == '_' || c == '+' || c == ':' || c == '/' || c == '[' || c == ']';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[ORIGIN_MAX_LEN + 1], again[ORIGIN_MAX_LEN + 1];
	const char *reason = NULL;
	const char *allowed[1];
	enum relay_rc rc;
	size_t i, n;

	rc = origin_normalize((const char *)data, size, out, sizeof(out), &reason);
	if (rc != RELAY_OK) {
		FUZZ_CHECK(rc == RELAY_E_VALIDATION_FAILED);
		FUZZ_CHECK(reason != NULL && reason[0] != '\0');
		allowed[0] = "https://shop.demo.com";
		FUZZ_CHECK(origin_allowed((const char *)data, size, allowed, 1) == 0);
		return 0;
	}
	n = strlen(out);
	FUZZ_CHECK(n > 0 && n <= size && n <= ORIGIN_MAX_LEN);
	FUZZ_CHECK(strstr(out, "://") != NULL);
	FUZZ_CHECK(out[n - 1] != '/');
	for (i = 0; i < n; i++)
		FUZZ_CHECK(allowed_char(out[i]));
	/* default ports are dropped (host text cannot end in ":443" outside a port) */
	FUZZ_CHECK(
		!(strncmp(out, "https://", 8) == 0 && n >= 4 && strcmp(out + n - 4, ":443") == 0));
	FUZZ_CHECK(!(strncmp(out, "http://", 7) == 0 && n >= 3 && strcmp(out + n - 3, ":80") == 0));

	/* idempotent */
	rc = origin_normalize(out, n, again, sizeof(again), &reason);
	FUZZ_CHECK(rc == RELAY_OK);
	FUZZ_CHECK(strcmp(out, again) == 0);

	/* the input matches its own normalized form and nothing else */
	allowed[0] = out;
	FUZZ_CHECK(origin_allowed((const char *)data, size, allowed, 1) == 1);
	again[n - 1] = again[n - 1] == 'x' ? 'y' : 'x';
	allowed[0] = again;
	FUZZ_CHECK(origin_allowed((const char *)data, size, allowed, 1) == 0);
	return 0;
}
