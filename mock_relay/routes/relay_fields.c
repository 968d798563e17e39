/*
 * relay_fields.c - body field and query id rules (SPEC §1.5, §1.6.5).
 */
#include <string.h>

#include "conv_store.h"
#include "relay_fields.h"
#include "relay_text.h"

int field_has_control(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return 1;
	}
	return 0;
}

int field_string(json_t *body, const char *name, unsigned flags, size_t min_chars, size_t max_chars,
		 const char **out, size_t *len)
{
	json_t *v = json_object_get(body, name);
	size_t n, chars;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (v == NULL)
		return !(flags & FIELD_REQUIRED);
	if (json_is_null(v))
		return (flags & FIELD_NULLABLE) != 0;
	if (!json_is_string(v))
		return 0;
	n = json_string_length(v);
	chars = text_utf8_chars(json_string_value(v), n);
	if (chars < min_chars || chars > max_chars)
		return 0;
	if ((flags & FIELD_NO_CONTROL) && field_has_control(json_string_value(v), n))
		return 0;
	*out = json_string_value(v);
	if (len != NULL)
		*len = n;
	return 1;
}

int field_int(json_t *body, const char *name, json_int_t min, json_int_t max, json_int_t def,
	      json_int_t *out)
{
	json_t *v = json_object_get(body, name);

	if (v == NULL) {
		*out = def;
		return 1;
	}
	/* json_is_integer is false for reals (60.0, 6e1) and booleans (§1.5.5) */
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return 0;
	*out = json_integer_value(v);
	return 1;
}

int field_object(json_t *body, const char *name, json_t **out)
{
	json_t *v = json_object_get(body, name);

	*out = NULL;
	if (v == NULL)
		return 1;
	if (!json_is_object(v))
		return 0;
	*out = v;
	return 1;
}
