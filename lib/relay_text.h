/*
 * relay_text.h - character-level rules of the protocol, written once (SPEC §1.6.5, §1.5).
 *
 * Lengths that SPEC gives in characters are UTF-8 code points (the mock's field
 * caps, §2, §6, §7); ids given in query parameters are 1-TEXT_ID_MAX bytes of
 * [A-Za-z0-9_-] (§1.6.5).
 */
#ifndef RELAY_TEXT_H
#define RELAY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define TEXT_ID_MAX 128 /* §1.6.5: bytes */

/*
 * Number of UTF-8 code points in s[0..len): the bytes that are not continuation
 * bytes (10xxxxxx). s is expected to be valid UTF-8 (jansson strings are).
 */
size_t text_utf8_chars(const char *s, size_t len);

/* true when s is 1-TEXT_ID_MAX bytes of [A-Za-z0-9_-] (§1.6.5); NULL is false. */
bool text_id_valid(const char *s);

#endif
