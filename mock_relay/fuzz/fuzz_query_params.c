/*
 * fuzz_query_params.c - the query-string rules of SPEC §1.6.4-§1.6.5 on any bytes.
 *
 * The input (up to its first NUL) is used three ways: as a raw query string for
 * request_query_count() (a repeated name is a 400, §1.6.4), as an id value for
 * text_id_valid() (1-128 bytes of [A-Za-z0-9_-]), as a UUID for ids_is_uuid()
 * (§1.8) and as an integer for query_int_parse() (the syntax of request_int_param:
 * 1-12 digits, in range). An accepted value must satisfy the rule it was checked
 * against, and a rejected one must break it.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "relay_fields.h"
#include "relay_req.h"
#include "relay_ids.h"
#include "relay_text.h"

static int id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int hex_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The counting rule written again: name appears as a key (before '=' or '&'). */
static unsigned count_ref(const char *q, const char *name)
{
	size_t nlen = strlen(name);
	unsigned n = 0;
	const char *p = q;

	for (;;) {
		const char *end = strchr(p, '&');
		size_t plen = end != NULL ? (size_t)(end - p) : strlen(p);
		size_t klen = strcspn(p, "=&");

		if (klen > plen)
			klen = plen;
		if (plen > 0 && klen == nlen && strncmp(p, name, nlen) == 0)
			n++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return n;
}

static void check_int(const char *v, long long min, long long max)
{
	long long n = -7, ref;
	size_t i, len = strlen(v);
	int digits = len >= 1 && len <= 12;

	for (i = 0; i < len; i++)
		digits = digits && v[i] >= '0' && v[i] <= '9';
	ref = digits ? strtoll(v, NULL, 10) : 0;
	if (query_int_parse(v, min, max, &n)) {
		FUZZ_CHECK(digits);
		FUZZ_CHECK(n == ref);
		FUZZ_CHECK(n >= min && n <= max);
	} else {
		FUZZ_CHECK(n == -7);
		FUZZ_CHECK(!digits || ref < min || ref > max);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"limit", "offset", "tenant_id", "conversation_id"};
	struct relay_request req;
	char *v;
	size_t i, len;
	int ok, uuid;

	v = malloc(size + 1);
	if (v == NULL)
		return 0;
	memcpy(v, data, size);
	v[size] = '\0';
	len = strlen(v);

	memset(&req, 0, sizeof(req));
	req.query = v;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		FUZZ_CHECK(request_query_count(&req, names[i]) == count_ref(v, names[i]));
	req.query = NULL;
	FUZZ_CHECK(request_query_count(&req, "limit") == 0);

	ok = len >= 1 && len <= TEXT_ID_MAX;
	for (i = 0; i < len; i++)
		ok = ok && id_char(v[i]);
	FUZZ_CHECK(text_id_valid(v) == ok);

	uuid = len == UUID_STR_LEN;
	for (i = 0; uuid && i < len; i++)
		uuid = (i == 8 || i == 13 || i == 18 || i == 23) ? v[i] == '-' : hex_char(v[i]);
	if (ids_is_uuid(v))
		FUZZ_CHECK(uuid);

	check_int(v, 1, 100);        /* fetch/tenants limit */
	check_int(v, 0, 2147483647); /* offsets */
	check_int(v, 1, 65536);      /* journal limit */
	free(v);
	return 0;
}
