/*
 * relay_envelope.c - success and error envelopes (SPEC.md §1.2, §1.3).
 */
#include <pthread.h>
#include <stdatomic.h>
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
 * Messages as JSON strings, escaped by jansson once per distinct text: the routes'
 * messages are a fixed table (SPEC.md §1.2.3), so a hot route does not pay for a
 * json_string and a json_dumps on every answer. Entries are immutable once published
 * and never freed (at most MSG_CACHE_SLOTS of them); a message that finds no free
 * slot is escaped per call, as before.
 */
#define MSG_CACHE_SLOTS 128
#define MSG_CACHE_PROBE 8
#define MSG_CACHE_MAX   256 /* longer messages are not cached */

struct msg_json {
	char *text; /* the message as given */
	char *json; /* jansson's compact dump of it, quotes included */
	size_t json_len;
};

static _Atomic(struct msg_json *) msg_cache[MSG_CACHE_SLOTS];
static pthread_mutex_t msg_cache_mu = PTHREAD_MUTEX_INITIALIZER;

/* jansson's escaping of message as a new string (caller frees), or NULL. */
static char *msg_dump(const char *message)
{
	json_t *m = json_string(message);
	char *out = m != NULL ? json_dumps(m, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	json_decref(m);
	return out;
}

static size_t msg_hash(const char *s)
{
	size_t h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* The cached entry of message, made on first use; NULL when it cannot be cached. */
static const struct msg_json *msg_cached(const char *message)
{
	size_t i, h, n = strlen(message);
	struct msg_json *e, *fresh = NULL;

	if (n > MSG_CACHE_MAX)
		return NULL;
	h = msg_hash(message);
	for (i = 0; i < MSG_CACHE_PROBE; i++) {
		e = atomic_load_explicit(&msg_cache[(h + i) % MSG_CACHE_SLOTS],
					 memory_order_acquire);
		if (e == NULL)
			break;
		if (strcmp(e->text, message) == 0)
			return e;
	}
	fresh = calloc(1, sizeof(*fresh));
	if (fresh == NULL)
		return NULL;
	fresh->text = strdup(message);
	fresh->json = msg_dump(message);
	if (fresh->text == NULL || fresh->json == NULL)
		goto drop;
	fresh->json_len = strlen(fresh->json);
	pthread_mutex_lock(&msg_cache_mu);
	for (i = 0; i < MSG_CACHE_PROBE; i++) {
		size_t slot = (h + i) % MSG_CACHE_SLOTS;

		e = atomic_load_explicit(&msg_cache[slot], memory_order_acquire);
		if (e != NULL && strcmp(e->text, message) == 0)
			break; /* another thread was first */
		if (e == NULL) {
			atomic_store_explicit(&msg_cache[slot], fresh, memory_order_release);
			e = fresh;
			fresh = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&msg_cache_mu);
	if (i < MSG_CACHE_PROBE) {
		if (fresh != NULL)
			goto drop;
		return e;
	}
drop:
	if (fresh != NULL) {
		free(fresh->text);
		free(fresh->json);
		free(fresh);
	}
	return NULL;
}

char *envelope_success_text(int status, const char *data, size_t data_len, const char *message,
			    size_t *len)
{
	char digits[11], *d = digits + sizeof(digits);
	unsigned u = status < 0 ? 0u - (unsigned)status : (unsigned)status;
	size_t dn, mn, total;
	char *out = NULL, *p, *msg = NULL;
	const struct msg_json *cached;
	const char *mtext;

	if (data == NULL)
		return NULL;
	/* The message as a JSON string, quotes included: jansson escapes it (once). */
	if (message == NULL)
		message = "";
	cached = msg_cached(message);
	if (cached != NULL) {
		mtext = cached->json;
		mn = cached->json_len;
	} else {
		msg = msg_dump(message);
		if (msg == NULL)
			return NULL;
		mtext = msg;
		mn = strlen(msg);
	}
	do { /* status in decimal, as jansson writes an integer */
		*--d = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (status < 0)
		*--d = '-';
	dn = (size_t)(digits + sizeof(digits) - d);
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
	memcpy(p, mtext, mn);
	p += mn;
	memcpy(p, "}", 2);
	if (len != NULL)
		*len = total;
out:
	free(msg);
	return out;
}
