/*
 * relay_ids.c - UUIDv7, keys, base64url and RFC 3339 (SPEC.md §1.8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "relay_ids.h"

enum relay_rc ids_uuid7(int64_t unix_ms, char out[UUID_STR_LEN + 1])
{
	unsigned char b[16];
	int i;

	if (unix_ms < 0 || RAND_bytes(b + 6, 10) != 1)
		return RELAY_E_CRYPTO;
	for (i = 0; i < 6; i++)
		b[i] = (unsigned char)((uint64_t)unix_ms >> (8 * (5 - i)));
	b[6] = (unsigned char)(0x70 | (b[6] & 0x0f)); /* version 7 */
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f)); /* variant 10 */
	snprintf(out, UUID_STR_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
	return RELAY_OK;
}

int ids_is_uuid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != UUID_STR_LEN)
		return 0;
	for (i = 0; i < UUID_STR_LEN; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return 0;
		}
	}
	return 1;
}

size_t ids_base64url(const unsigned char *in, size_t len, char *out, size_t out_size)
{
	size_t need = 4 * ((len + 2) / 3) + 1, n, i;

	if (out_size < need || len > 0x3fffffff)
		return 0;
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return n;
}

/*
 * OpenSSL decodes the standard alphabet with padding: the input is translated and
 * padded into a copy, and the padding's zero bytes are taken off the length again.
 */
enum relay_rc ids_base64url_decode(const char *in, size_t len, unsigned char *out, size_t out_size,
				   size_t *out_len)
{
	enum relay_rc rc = RELAY_E_INVALID_ARGUMENT;
	size_t padded = (len + 3) / 4 * 4, i;
	unsigned char *b64 = NULL;
	int n;

	if (in == NULL || out == NULL || out_len == NULL || len % 4 == 1 ||
	    len > IDS_BASE64URL_IN_MAX || out_size < IDS_BASE64URL_DECODED_MAX(len))
		goto out;
	b64 = malloc(padded + 1);
	if (b64 == NULL) {
		rc = RELAY_E_NOMEM;
		goto out;
	}
	for (i = 0; i < len; i++) {
		char c = in[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			b64[i] = (unsigned char)c;
		else if (c == '-')
			b64[i] = '+';
		else if (c == '_')
			b64[i] = '/';
		else
			goto out;
	}
	memset(b64 + len, '=', padded - len);
	b64[padded] = '\0';
	n = EVP_DecodeBlock(out, b64, (int)padded);
	if (n < 0 || (size_t)n < padded - len)
		goto out;
	/* EVP_DecodeBlock counts each padding char as a zero byte */
	*out_len = (size_t)n - (padded - len);
	rc = RELAY_OK;
out:
	free(b64);
	return rc;
}

enum relay_rc ids_key(const char *prefix, char out[KEY_STR_LEN + 1])
{
	unsigned char raw[KEY_RANDOM_BYTES];
	char enc[4 * ((KEY_RANDOM_BYTES + 2) / 3) + 1];
	size_t n;

	if (prefix == NULL || strlen(prefix) != 3)
		return RELAY_E_INVALID_ARGUMENT;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return RELAY_E_CRYPTO;
	n = ids_base64url(raw, sizeof(raw), enc, sizeof(enc));
	OPENSSL_cleanse(raw, sizeof(raw));
	if (n != 43)
		return RELAY_E_CRYPTO;
	memcpy(out, prefix, 3);
	memcpy(out + 3, enc, n + 1);
	OPENSSL_cleanse(enc, sizeof(enc));
	return RELAY_OK;
}

enum relay_rc ids_prefixed(const char *prefix, int64_t unix_ms, char out[PREFIXED_ID_MAX + 1])
{
	char uuid[UUID_STR_LEN + 1];
	size_t plen, i, o;
	enum relay_rc rc;

	plen = prefix != NULL ? strlen(prefix) : 0;
	if (plen > PREFIXED_ID_MAX - 32)
		return RELAY_E_INVALID_ARGUMENT;
	rc = ids_uuid7(unix_ms, uuid);
	if (rc != RELAY_OK)
		return rc;
	if (plen > 0) /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(out, prefix, plen);
	o = plen;
	for (i = 0; i < UUID_STR_LEN; i++) {
		if (uuid[i] != '-')
			out[o++] = uuid[i];
	}
	out[o] = '\0';
	return RELAY_OK;
}

void ids_rfc3339(int64_t unix_ms, char out[RFC3339_LEN + 1])
{
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;

	if (unix_ms < 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, RFC3339_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) != RFC3339_LEN)
		memcpy(out, "1970-01-01T00:00:00Z", RFC3339_LEN + 1);
}

int ids_parse_rfc3339(const char *s, int64_t *unix_ms)
{
	char back[RFC3339_LEN + 1];
	struct tm tm;
	const char *end;
	int64_t ms;

	if (s == NULL || strlen(s) != RFC3339_LEN)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return 0;
	ms = (int64_t)timegm(&tm) * 1000;
	/*
	 * strptime skips spaces, takes one-digit fields and any day 1-31, and timegm
	 * folds 2026-02-30 into March: only text that formats back to itself is exact.
	 */
	ids_rfc3339(ms, back);
	if (ms < 0 || strcmp(back, s) != 0)
		return 0;
	*unix_ms = ms;
	return 1;
}
