/*
 * fuzz_journal_copy.c - journal_copy() on any bytes (SPEC §10.3).
 *
 * The first byte picks the destination size (1-256), the rest is the source up to
 * its first NUL, as a decoded path or header value would be. The copy is always
 * NUL-terminated inside dst, valid UTF-8 without control characters (so the
 * journal always serializes), and equal to the source when the source was already
 * clean and fits. The same bytes, split at their first ':' into a header name and
 * value, go through journal_add_header() (§10.3.3) twice: the entry's header text stays
 * under its cap as "Name: value\n" lines, and the journal's JSON lists one header per
 * line kept.
 * guard_redact() then leaves nothing secret-shaped and nothing over
 * GUARD_ID_LOG_MAX (§1.9.3), and leaves a clean short id as it was.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "relay_guard.h"
#include "relay_journal.h"

/* Length of the valid UTF-8 sequence at s (RFC 3629), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t k, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		k = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		k = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		k = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/* 1 when s[0..n) is valid UTF-8 with no C0 control character or DEL. */
static int clean(const unsigned char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		k = utf8_len(s + i, n - i);
		if (k == 0 || (k == 1 && (s[i] < 0x20 || s[i] == 0x7f)))
			return 0;
		i += k;
	}
	return 1;
}

/* journal_add_header() with name/value taken from src; checks the entry and its JSON. */
static void check_headers(const char *src)
{
	struct journal_entry *e = calloc(1, sizeof(*e));
	struct relay_journal *j = journal_new(1);
	char name[1024];
	const char *colon = strchr(src, ':'), *p;
	size_t lines = 0, total = 0, len;
	json_t *items = NULL, *hs;

	FUZZ_CHECK(e != NULL && j != NULL);
	len = colon != NULL ? (size_t)(colon - src) : strlen(src);
	memcpy(name, src, len);
	name[len] = '\0';
	journal_add_header(e, name, colon != NULL ? colon + 1 : "");
	journal_add_header(e, name, colon != NULL ? colon + 1 : "");
	len = strlen(e->headers);
	FUZZ_CHECK(len == e->headers_len);
	FUZZ_CHECK(len <= JOURNAL_HEADERS_MAX);
	for (p = e->headers; *p != '\0'; p++) {
		FUZZ_CHECK((unsigned char)*p >= 0x20 || *p == '\n');
		lines += *p == '\n';
	}
	FUZZ_CHECK(len == 0 || e->headers[len - 1] == '\n');
	FUZZ_CHECK(lines == 2 || e->headers_truncated);
	journal_append(j, e);
	FUZZ_CHECK(journal_to_json(j, NULL, 1, &items, &total) == RELAY_OK);
	hs = json_object_get(json_array_get(items, 0), "headers");
	/* a name holding ": " splits early, but the count of lines is kept */
	FUZZ_CHECK(json_array_size(hs) == lines);
	json_decref(items);
	journal_free(j);
	free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char src[1024], dst[257 + 8];
	size_t dsize, n, out;
	json_t *s;

	if (size < 1)
		return 0;
	dsize = (size_t)data[0] % 256 + 1;
	n = size - 1 < sizeof(src) - 1 ? size - 1 : sizeof(src) - 1;
	memcpy(src, data + 1, n);
	src[n] = '\0';
	n = strlen(src);

	/* canary past dst[dsize) */
	memset(dst, 0x5a, sizeof(dst));
	journal_copy(dst, dsize, src);
	FUZZ_CHECK(memchr(dst, '\0', dsize) != NULL);
	for (out = dsize; out < sizeof(dst); out++)
		FUZZ_CHECK(dst[out] == 0x5a);
	out = strlen(dst);
	FUZZ_CHECK(out < dsize);
	FUZZ_CHECK(out <= n);
	FUZZ_CHECK(clean((const unsigned char *)dst, out));
	s = json_stringn(dst, out);
	FUZZ_CHECK(s != NULL);
	json_decref(s);
	if (clean((const unsigned char *)src, n) && n < dsize)
		FUZZ_CHECK(strcmp(dst, src) == 0);
	/* a clean source is copied as a prefix, cut on a character boundary */
	if (clean((const unsigned char *)src, n))
		FUZZ_CHECK(memcmp(dst, src, out) == 0);

	/* §1.9.3: what is written out after redaction is never secret-shaped */
	guard_redact(dst, dsize, GUARD_ID_LOG_MAX);
	FUZZ_CHECK(memchr(dst, '\0', dsize) != NULL);
	FUZZ_CHECK(strlen(dst) <= GUARD_ID_LOG_MAX);
	FUZZ_CHECK(strstr(dst, "sk_") == NULL);
	if (out <= GUARD_ID_LOG_MAX && clean((const unsigned char *)src, n) && n < dsize &&
	    strstr(src, "sk_") == NULL)
		FUZZ_CHECK(strcmp(dst, src) == 0);

	journal_copy(dst, dsize, NULL);
	FUZZ_CHECK(dst[0] == '\0');
	check_headers(src);
	return 0;
}
