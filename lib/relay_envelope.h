/*
 * relay_envelope.h - the relay's response bodies (SPEC.md §1.2, §1.3).
 *
 *   success: {"status_code": S, "data": {...}, "message": "..."}
 *   error:   {"status_code": S, "data": null, "message": "...",
 *             "error": {"code": "...", "field": "..."}}
 *
 * status_code always equals the HTTP status: for errors both come from relay_rc.
 */
#ifndef RELAY_ENVELOPE_H
#define RELAY_ENVELOPE_H

#include <jansson.h>

#include "relay_rc.h"

/*
 * Success envelope. Steals data (even on failure; NULL data becomes {}).
 * Returns a new reference, or NULL when out of memory.
 */
json_t *envelope_success(int status, json_t *data, const char *message);

/*
 * Error envelope for rc. message NULL uses the table's; field, when not NULL, is
 * added as error.field. status_override > 0 replaces the table's status (only for
 * injected faults). Returns a new reference, or NULL when out of memory.
 */
json_t *envelope_error(enum relay_rc rc, const char *message, const char *field,
		       int status_override);

/*
 * Compact serialization; caller frees with free(). NULL when out of memory.
 * Steals env (it is released here).
 */
char *envelope_dump(json_t *env, size_t *len);

/*
 * The compact text of a success envelope whose data is already serialized:
 * data[0..data_len) is compact JSON text (json_dumps with JSON_COMPACT |
 * JSON_PRESERVE_ORDER) and message UTF-8. The bytes are those envelope_dump()
 * writes for envelope_success(status, <data parsed>, message), without building
 * or walking a tree (hot read paths keep their objects' text). Caller frees with
 * free(); *len (may be NULL) receives the length. NULL when out of memory.
 */
char *envelope_success_text(int status, const char *data, size_t data_len, const char *message,
			    size_t *len);

#endif
