/*
 * relay_ids.h - identifiers, keys and times (SPEC.md §1.8).
 *
 * Randomness comes from OpenSSL's RAND_bytes; base64url from OpenSSL's encoder.
 */
#ifndef RELAY_IDS_H
#define RELAY_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "relay_rc.h"

#define UUID_STR_LEN     36       /* 8-4-4-4-12 */
#define KEY_RANDOM_BYTES 32       /* sk_ / pk_ keys */
#define KEY_STR_LEN      (3 + 43) /* "sk_" + 43 base64url chars */
#define PREFIXED_ID_MAX  48       /* "conv_" + 32 hex, with room */
#define RFC3339_LEN      20       /* 2026-06-21T10:00:00Z */

/* A UUIDv7 for unix_ms, lowercase, into out[UUID_STR_LEN + 1]. */
RELAY_WUR enum relay_rc ids_uuid7(int64_t unix_ms, char out[UUID_STR_LEN + 1]);

/* 1 when s is a lowercase or uppercase canonical UUID string (any version). */
int ids_is_uuid(const char *s);

/* prefix ("sk_", "pk_") + base64url(32 random bytes) into out[KEY_STR_LEN + 1]. */
RELAY_WUR enum relay_rc ids_key(const char *prefix, char out[KEY_STR_LEN + 1]);

/* prefix ("vs_", "conv_", ...) + the 32 hex digits of a UUIDv7 into out[PREFIXED_ID_MAX + 1]. */
RELAY_WUR enum relay_rc ids_prefixed(const char *prefix, int64_t unix_ms,
				     char out[PREFIXED_ID_MAX + 1]);

/*
 * base64url without padding of in[0..len) into out (out_size >= 4*ceil(len/3)+1).
 * Returns the encoded length, or 0 when out is too small.
 */
size_t ids_base64url(const unsigned char *in, size_t len, char *out, size_t out_size);

/* Bytes ids_base64url_decode() may write for len input chars: 3 per started group of 4. */
#define IDS_BASE64URL_DECODED_MAX(len) (((len) + 3) / 4 * 3)
/* Longest input ids_base64url_decode() takes (a cap on outside input). */
#define IDS_BASE64URL_IN_MAX (64u * 1024u * 1024u)

/*
 * Decodes base64url without padding (RFC 4648 §5: A-Z a-z 0-9 - _, no '=') of
 * in[0..len) into out (out_size >= IDS_BASE64URL_DECODED_MAX(len)), the decoded length
 * into *out_len. RELAY_E_INVALID_ARGUMENT, *out_len untouched, for a char outside that
 * alphabet, a length no encoding has (len % 4 == 1), len over IDS_BASE64URL_IN_MAX or
 * out too small; RELAY_E_NOMEM when memory runs out. out may have been written to on
 * failure.
 */
RELAY_WUR enum relay_rc ids_base64url_decode(const char *in, size_t len, unsigned char *out,
					     size_t out_size, size_t *out_len);

/* unix_ms as RFC 3339 UTC with seconds ("2026-06-21T10:00:00Z") into out[RFC3339_LEN + 1]. */
void ids_rfc3339(int64_t unix_ms, char out[RFC3339_LEN + 1]);

/* Parses the form above (exactly); 1 on success. */
int ids_parse_rfc3339(const char *s, int64_t *unix_ms);

#endif
