/*
 * relay_origin.h - web origins as the relay stores and compares them (SPEC.md §3).
 *
 * Only "scheme://host[:port][/]" is an origin. Normalizing lowercases scheme and
 * host, drops a default port (http 80, https 443) and one trailing "/". Two
 * origins match when their normalized forms are the same bytes.
 */
#ifndef RELAY_ORIGIN_H
#define RELAY_ORIGIN_H

#include <stddef.h>

#include "relay_rc.h"

#define ORIGIN_MAX_LEN 255 /* longest accepted input, in bytes */

/*
 * Normalize in[0..len) into out (at least ORIGIN_MAX_LEN + 1 bytes). Returns
 * RELAY_OK, or RELAY_E_VALIDATION_FAILED with *reason set to a static text saying
 * which rule of §3.4 the input breaks (reason may be NULL).
 */
RELAY_WUR enum relay_rc origin_normalize(const char *in, size_t len, char *out, size_t out_size,
					 const char **reason);

/*
 * 1 when the presented origin (raw) matches one of the n normalized allowed origins,
 * 0 when it does not or is not a valid origin.
 */
int origin_allowed(const char *presented, size_t len, const char *const *allowed, size_t n);

#endif
