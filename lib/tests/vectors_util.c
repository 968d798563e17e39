/*
 * vectors_util.c - see vectors_util.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "vectors_util.h"

const char *vectors_dir(void)
{
	const char *dir = getenv("RELAY_VECTORS_DIR");

	return dir != NULL && dir[0] != '\0' ? dir : VECTORS_DIR;
}

json_t *vectors_load(const char *name)
{
	char path[4096];
	json_error_t err;
	json_t *root;

	snprintf(path, sizeof(path), "%s/%s", vectors_dir(), name);
	root = json_load_file(path, 0, &err);
	if (root == NULL)
		fprintf(stderr, "vectors: cannot load %s: %s (line %d)\n", path, err.text,
			err.line);
	return root;
}

unsigned char *vectors_body(const json_t *test, size_t *len)
{
	const json_t *body = json_object_get(test, "body");
	const json_t *hex = json_object_get(test, "body_hex");
	unsigned char *out = NULL;
	long n = 0;

	if (json_is_string(body)) {
		n = (long)json_string_length(body);
		out = malloc((size_t)n + 1);
		if (out == NULL)
			return NULL;
		memcpy(out, json_string_value(body), (size_t)n);
	} else if (json_is_string(hex)) {
		if (json_string_length(hex) == 0) {
			out = malloc(1);
		} else {
			unsigned char *tmp = OPENSSL_hexstr2buf(json_string_value(hex), &n);

			if (tmp == NULL)
				return NULL;
			out = malloc((size_t)n + 1);
			if (out != NULL)
				memcpy(out, tmp, (size_t)n);
			OPENSSL_free(tmp);
		}
		if (out == NULL)
			return NULL;
	} else {
		return NULL;
	}
	*len = (size_t)n;
	return out;
}

const char *vectors_str(const json_t *test, const char *key)
{
	const char *s = json_string_value(json_object_get(test, key));

	return s != NULL ? s : "";
}

const char *vectors_id(const json_t *test)
{
	static char buf[64];
	const char *id = json_string_value(json_object_get(test, "id"));

	if (id != NULL)
		return id;
	snprintf(buf, sizeof(buf), "tcId %lld",
		 (long long)json_integer_value(json_object_get(test, "tcId")));
	return buf;
}
