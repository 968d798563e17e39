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

/*
 * s as a JSON string body (without the quotes) into out, as jansson's dump writes
 * it without JSON_ENSURE_ASCII or JSON_ESCAPE_SLASH: '"', '\\' and control
 * characters escaped, everything else as is. Returns the length; out NULL only
 * measures.
 */
static size_t json_escape(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[6];
	size_t n = 0, k;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\') {
			if (out != NULL)
				out[n] = (char)c;
			n++;
			continue;
		}
		esc[0] = '\\';
		k = 2;
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default: /* the other controls */
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			k = 6;
		}
		if (out != NULL)
			memcpy(out + n, esc, k);
		n += k;
	}
	return n;
}

char *envelope_success_text(int status, const char *data, size_t data_len, const char *message,
			    size_t *len)
{
	char digits[11], *d = digits + sizeof(digits);
	unsigned u = status < 0 ? 0u - (unsigned)status : (unsigned)status;
	size_t dn, mn, total;
	char *out, *p;

	if (message == NULL)
		message = "";
	if (data == NULL)
		return NULL;
	do { /* status in decimal, as jansson writes an integer */
		*--d = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (status < 0)
		*--d = '-';
	dn = (size_t)(digits + sizeof(digits) - d);
	mn = json_escape(message, NULL);
	/* {"status_code": digits ,"data": data ,"message":" message "} and the NUL */
	total = 15 + dn + 8 + data_len + 12 + mn + 2;
	out = malloc(total + 1);
	if (out == NULL)
		return NULL;
	p = out;
	memcpy(p, "{\"status_code\":", 15);
	p += 15;
	memcpy(p, d, dn);
	p += dn;
	memcpy(p, ",\"data\":", 8);
	p += 8;
	memcpy(p, data, data_len);
	p += data_len;
	memcpy(p, ",\"message\":\"", 12);
	p += 12;
	p += json_escape(message, p);
	memcpy(p, "\"}", 3);
	if (len != NULL)
		*len = total;
	return out;
}
