/*
 * relay_fields.h - body field and query id rules shared by the relay-API and widget
 * routes (SPEC §1.5, §1.6.5, §6, §7).
 *
 * Each reader returns 1 when the field satisfies its rule (absent counts as valid
 * unless FIELD_REQUIRED) and 0 when it does not; the caller answers 422 naming
 * the field. Lengths are in characters (UTF-8 code points), as SPEC writes them.
 */
#ifndef RELAY_FIELDS_H
#define RELAY_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum field_flags {
	FIELD_REQUIRED = 1u << 0,  /* absent is invalid */
	FIELD_NULLABLE = 1u << 1,  /* null is accepted (and read as NULL) */
	FIELD_NO_CONTROL = 1u << 2 /* no C0 control char or DEL */
};

/*
 * body[name] as a string of min..max characters. *out (borrowed from body) is the
 * value, or NULL when absent or null; *len (may be NULL) its length in bytes.
 */
int field_string(json_t *body, const char *name, unsigned flags, size_t min_chars, size_t max_chars,
		 const char **out, size_t *len);

/* body[name] as a JSON integer (not a real, not a boolean) in [min, max]; def when absent. */
int field_int(json_t *body, const char *name, json_int_t min, json_int_t max, json_int_t def,
	      json_int_t *out);

/* body[name] as an object (borrowed; NULL when absent). */
int field_object(json_t *body, const char *name, json_t **out);

/* 1 when s[0..len) holds a C0 control character or DEL. */
int field_has_control(const char *s, size_t len);

#endif
