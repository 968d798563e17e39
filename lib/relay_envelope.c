/*
 * relay_envelope.c - success and error envelopes (SPEC.md §1.2, §1.3).
 */
#include <stdlib.h>
#include <string.h>

#include "relay_envelope.h"

json_t *envelope_success(int status, json_t *data, const char *message)
{
	json_t *env;

	if (data == NULL)
		data = json_object();
	env = json_pack("{s:i, s:o, s:s}", "status_code", status, "data", data, "message",
			message != NULL ? message : "");
	return env;
}

json_t *envelope_error(enum relay_rc rc, const char *message, const char *field,
		       int status_override)
{
	const struct relay_rc_info *info = relay_rc_info(rc);
	int status = status_override > 0 ? status_override : info->http_status;
	json_t *err, *env;

	err = json_pack("{s:s}", "code", info->code);
	if (err == NULL)
		return NULL;
	if (field != NULL && json_object_set_new(err, "field", json_string(field)) != 0) {
		json_decref(err);
		return NULL;
	}
	env = json_pack("{s:i, s:n, s:s, s:o}", "status_code", status, "data", "message",
			message != NULL ? message : info->message, "error", err);
	return env;
}

char *envelope_dump(json_t *env, size_t *len)
{
	char *out;

	if (env == NULL)
		return NULL;
	out = json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(env);
	if (out != NULL && len != NULL)
		*len = strlen(out);
	return out;
}
