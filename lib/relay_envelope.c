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

char *envelope_success_text(int status, const char *data, size_t data_len, const char *message,
			    size_t *len)
{
	char digits[11], *d = digits + sizeof(digits);
	unsigned u = status < 0 ? 0u - (unsigned)status : (unsigned)status;
	size_t dn, mn, total;
	char *out = NULL, *p, *msg = NULL;
	json_t *m;

	if (data == NULL)
		return NULL;
	/* The message as a JSON string, quotes included: jansson escapes it. */
	m = json_string(message != NULL ? message : "");
	if (m != NULL)
		msg = json_dumps(m, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(m);
	if (msg == NULL)
		return NULL;
	do { /* status in decimal, as jansson writes an integer */
		*--d = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (status < 0)
		*--d = '-';
	dn = (size_t)(digits + sizeof(digits) - d);
	mn = strlen(msg);
	/* {"status_code": digits ,"data": data ,"message": msg } and the NUL */
	total = 15 + dn + 8 + data_len + 11 + mn + 1;
	out = malloc(total + 1);
	if (out == NULL)
		goto out;
	p = out;
	memcpy(p, "{\"status_code\":", 15);
	p += 15;
	memcpy(p, d, dn);
	p += dn;
	memcpy(p, ",\"data\":", 8);
	p += 8;
	memcpy(p, data, data_len);
	p += data_len;
	memcpy(p, ",\"message\":", 11);
	p += 11;
	memcpy(p, msg, mn);
	p += mn;
	memcpy(p, "}", 2);
	if (len != NULL)
		*len = total;
out:
	free(msg);
	return out;
}
