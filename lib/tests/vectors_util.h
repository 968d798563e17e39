/*
 * vectors_util.h - loading the vectors/ JSON files for the unit tests (SPEC.md §11).
 *
 * The tests read the same files as scripts/check_vectors.py and `hmac1 vectors`:
 * adding a case to a file needs no new C.
 */
#ifndef VECTORS_UTIL_H
#define VECTORS_UTIL_H

#include <stddef.h>

#include <jansson.h>

/*
 * vectors/<name> parsed (new reference). The directory is $RELAY_VECTORS_DIR when
 * set, else the compile-time VECTORS_DIR. NULL (with a message on stderr) when the
 * file is missing or not JSON.
 */
json_t *vectors_load(const char *name);

/* The directory vectors_load() reads. */
const char *vectors_dir(void);

/*
 * The body bytes of a test: "body" (UTF-8 text) or "body_hex". Caller frees; never
 * NULL on success (an empty body is a 1-byte allocation with *len 0). NULL when the
 * test has neither or body_hex is not hex.
 */
unsigned char *vectors_body(const json_t *test, size_t *len);

/* String member or "" when absent; borrowed from test. */
const char *vectors_str(const json_t *test, const char *key);

/* "<id>" of the test, or "tcId <n>" when it has no id (static buffer). */
const char *vectors_id(const json_t *test);

#endif
