/*
 * fuzz_envelope_json.c - request-like JSON bodies through jansson and the library's
 * own parsers (SPEC.md §1.2, §1.3, §1.8, §3).
 *
 * A body that parses is wrapped in a success envelope, serialized and parsed back:
 * status_code and data survive. Every string member of it is run through
 * relay_rc_from_code() + envelope_error() (status_code always equals the table's
 * status and error.code its code), ids_parse_rfc3339() (a parsed time formats back
 * to the same text), ids_is_uuid() and origin_normalize().
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "relay_envelope.h"
#include "relay_ids.h"
#include "relay_origin.h"

#define BODY_MAX (64 * 1024) /* SPEC.md §1.7 */

static json_t *reparse(json_t *env)
{
	size_t len = 0;
	char *text = envelope_dump(env, &len);
	json_t *back;

	if (text == NULL)
		return NULL;
	FUZZ_CHECK(strlen(text) == len);
	back = json_loadb(text, len, 0, NULL);
	FUZZ_CHECK(back != NULL);
	free(text);
	return back;
}

static void check_string(const char *s, size_t len)
{
	enum relay_rc rc = relay_rc_from_code(s);
	char out[ORIGIN_MAX_LEN + 1], when[RFC3339_LEN + 1];
	const json_t *err;
	int64_t ms = 0;
	json_t *back;

	/* envelope_error: the table decides the status and the code */
	back = reparse(envelope_error(rc, s, s, 0));
	if (back != NULL) {
		FUZZ_CHECK(json_integer_value(json_object_get(back, "status_code")) ==
			   relay_rc_status(rc));
		FUZZ_CHECK(json_is_null(json_object_get(back, "data")));
		err = json_object_get(back, "error");
		FUZZ_CHECK(strcmp(json_string_value(json_object_get(err, "code")),
				  relay_rc_code(rc)) == 0);
		FUZZ_CHECK(json_string_length(json_object_get(err, "field")) == len);
		FUZZ_CHECK(memcmp(json_string_value(json_object_get(back, "message")), s, len) ==
			   0);
		json_decref(back);
	}
	if (rc != RELAY_E_INTERNAL)
		FUZZ_CHECK(strcmp(relay_rc_code(rc), s) == 0);

	if (ids_parse_rfc3339(s, &ms)) {
		FUZZ_CHECK(ms >= 0 && ms % 1000 == 0);
		ids_rfc3339(ms, when);
		FUZZ_CHECK(strcmp(when, s) == 0);
	}
	if (ids_is_uuid(s))
		FUZZ_CHECK(len == UUID_STR_LEN);
	if (origin_normalize(s, len, out, sizeof(out), NULL) == RELAY_OK)
		FUZZ_CHECK(strlen(out) <= len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root, *back;
	const char *key;
	json_t *value;
	size_t i;

	if (size > BODY_MAX)
		return 0;
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (root == NULL)
		return 0;

	back = reparse(envelope_success(201, json_deep_copy(root), "fuzz"));
	if (back != NULL) {
		FUZZ_CHECK(json_integer_value(json_object_get(back, "status_code")) == 201);
		/* a non-object data is kept as given: the caller decides what data is */
		FUZZ_CHECK(json_equal(json_object_get(back, "data"), root));
		json_decref(back);
	}

	if (json_is_object(root)) {
		json_object_foreach(root, key, value)
		{
			check_string(key, strlen(key));
			if (json_is_string(value))
				check_string(json_string_value(value), json_string_length(value));
		}
	} else if (json_is_array(root)) {
		json_array_foreach(root, i, value)
		{
			if (json_is_string(value))
				check_string(json_string_value(value), json_string_length(value));
		}
	} else if (json_is_string(root)) {
		check_string(json_string_value(root), json_string_length(root));
	}
	json_decref(root);
	return 0;
}
