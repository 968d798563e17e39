/*
 * fuzz_base64url.c - ids_base64url_decode() on any bytes (SPEC.md §1.8: keys and
 * tokens are base64url; the suite decodes the relay's JWTs with it).
 *
 * Never writes past IDS_BASE64URL_DECODED_MAX(size) bytes; accepts exactly the
 * unpadded URL-safe alphabet with a length other than 1 mod 4; what it decodes is
 * 3/4 of the input, and encoding it again gives a text of the same length that
 * decodes to the same bytes.
 */
#include <string.h>

#include "fuzz.h"
#include "relay_ids.h"

static int base64url_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = IDS_BASE64URL_DECODED_MAX(size), n = 0, n2 = 0, m, i;
	/* exactly the room the decoder may use: a write past it is a heap overflow */
	unsigned char *out = malloc(cap > 0 ? cap : 1), *again = NULL;
	char *enc = NULL;
	enum relay_rc rc;
	int valid = size % 4 != 1;

	FUZZ_CHECK(out != NULL);
	for (i = 0; i < size && valid; i++)
		valid = base64url_char(data[i]);
	rc = ids_base64url_decode((const char *)data, size, out, cap, &n);
	FUZZ_CHECK(rc == (valid ? RELAY_OK : RELAY_E_INVALID_ARGUMENT));
	if (rc == RELAY_OK) {
		FUZZ_CHECK(n == size * 3 / 4);
		enc = malloc(4 * ((n + 2) / 3) + 1);
		/* the decoder may use all of IDS_BASE64URL_DECODED_MAX(), not just n bytes */
		again = malloc(cap > 0 ? cap : 1);
		FUZZ_CHECK(enc != NULL && again != NULL);
		m = ids_base64url(out, n, enc, 4 * ((n + 2) / 3) + 1);
		FUZZ_CHECK(m == size);
		FUZZ_CHECK(ids_base64url_decode(enc, m, again, cap, &n2) == RELAY_OK);
		FUZZ_CHECK(n2 == n && memcmp(again, out, n) == 0);
	}
	free(enc);
	free(again);
	free(out);
	return 0;
}
