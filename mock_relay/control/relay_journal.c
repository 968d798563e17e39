/*
 * relay_journal.c - the request journal (SPEC §10.3).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "relay_journal.h"

struct journal_slot {
	pthread_mutex_t mu;
	struct journal_entry e;
};

struct relay_journal {
	size_t size;
	atomic_uint_fast64_t next; /* last seq handed out */
	struct journal_slot *slots;
};

struct relay_journal *journal_new(size_t size)
{
	struct relay_journal *j;
	size_t i;

	if (size == 0)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return NULL;
	j->slots = calloc(size, sizeof(*j->slots));
	if (j->slots == NULL) {
		free(j);
		return NULL;
	}
	j->size = size;
	atomic_init(&j->next, 0);
	for (i = 0; i < size; i++)
		pthread_mutex_init(&j->slots[i].mu, NULL);
	return j;
}

void journal_free(struct relay_journal *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->size; i++)
		pthread_mutex_destroy(&j->slots[i].mu);
	free(j->slots);
	free(j);
}

void journal_reset(struct relay_journal *j)
{
	size_t i;

	for (i = 0; i < j->size; i++) {
		pthread_mutex_lock(&j->slots[i].mu);
		j->slots[i].e.seq = 0;
		pthread_mutex_unlock(&j->slots[i].mu);
	}
	atomic_store(&j->next, 0);
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return len;
}

/*
 * True when none of the eight bytes of w is below 0x20 or above 0x7e (each test is
 * exact for bytes of any value: "Bit Twiddling Hacks", hasless(w, 0x20) and
 * hasmore(w, 0x7e)).
 */
static bool printable8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;

	return (((w - ones * 0x20) & ~w) | ((w + ones * (127 - 0x7e)) | w)) & highs ? false : true;
}

/* True when every byte of s[0..n) is printable ASCII (0x20-0x7e). */
static bool printable_all(const unsigned char *s, size_t n)
{
	uint64_t w;
	size_t k;

	if (n < 8) {
		for (k = 0; k < n; k++) {
			if ((unsigned char)(s[k] - 0x20) >= 0x5f)
				return false;
		}
		return true;
	}
	for (k = 0; k + 8 <= n; k += 8) {
		memcpy(&w, s + k, 8);
		if (!printable8(w))
			return false;
	}
	memcpy(&w, s + n - 8, 8); /* the last 8, overlapping the words already seen */
	return printable8(w);
}

/*
 * journal_copy() of src[0..n) into dst[0..size) (size >= 1): the bytes written before
 * the NUL, and *whole = every byte of src was taken (nothing truncated).
 */
static size_t copy_clean_n(char *dst, size_t size, const char *src, size_t n, bool *whole)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, k, lim;

	/* nearly every text journaled: printable ASCII that fits, copied as it is */
	if (n < size && printable_all(s, n)) {
		memcpy(dst, s, n);
		dst[n] = '\0';
		*whole = true;
		return n;
	}

	/*
	 * Request bytes (decoded paths, header values) may be anything: keep valid UTF-8
	 * and replace the rest and control characters with '?', so the journal and the
	 * JSON log can always be serialized.
	 */
	while (i < n && o + 1 < size) {
		/* printable ASCII, nearly every byte seen: a run of it copied at once */
		lim = n - i < size - 1 - o ? n - i : size - 1 - o;
		for (k = 0; k + 8 <= lim; k += 8) {
			uint64_t w;

			memcpy(&w, s + i + k, 8);
			if (!printable8(w))
				break;
		}
		for (; k < lim && (unsigned char)(s[i + k] - 0x20) < 0x5f; k++)
			;
		if (k > 0) {
			memcpy(dst + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		k = utf8_seq(s + i, n - i);
		if (k == 0 || (k == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
			dst[o++] = '?';
			i++;
			continue;
		}
		if (o + k + 1 > size)
			break; /* truncate on a character boundary */
		memcpy(dst + o, s + i, k);
		o += k;
		i += k;
	}
	dst[o] = '\0';
	*whole = i == n;
	return o;
}

static size_t copy_clean(char *dst, size_t size, const char *src, bool *whole)
{
	if (src == NULL)
		src = "";
	return copy_clean_n(dst, size, src, strlen(src), whole);
}

void journal_copy(char *dst, size_t size, const char *src)
{
	bool whole;

	if (size > 0)
		(void)copy_clean(dst, size, src, &whole);
}

/* Headers whose value is a credential (§10.3.5): the name is kept, the value is not. */
static bool header_secret(const char *name, size_t len)
{
	static const struct {
		const char *name;
		size_t len;
	} secret[] = {{"X-Admin-Key", 11},
		      {"Authorization", 13},
		      {"Proxy-Authorization", 19},
		      {"Cookie", 6}};
	size_t i;

	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		if (len == secret[i].len && strncasecmp(name, secret[i].name, len) == 0)
			return true;
	}
	return false;
}

void journal_add_header(struct journal_entry *e, const char *name, const char *value)
{
	if (name == NULL)
		return;
	if (value == NULL)
		value = "";
	journal_add_header_n(e, name, strlen(name), value, strlen(value));
}

void journal_add_header_n(struct journal_entry *e, const char *name, size_t name_len,
			  const char *value, size_t value_len)
{
	size_t room, nl, vl;
	bool whole_n, whole_v;
	char *p;

	if (e->headers_truncated || name == NULL || value == NULL)
		return;
	/*
	 * "Name: value\n" written in place, sanitized (so no '\n' inside), when all of it
	 * fits in the room left; otherwise nothing of it, and no later header either.
	 */
	p = e->headers + e->headers_len;
	room = JOURNAL_HEADERS_MAX - e->headers_len;
	nl = copy_clean_n(p, room + 1, name, name_len, &whole_n);
	if (!whole_n || nl + 3 > room)
		goto truncated;
	if (header_secret(name, name_len)) {
		value = JOURNAL_REDACTED;
		value_len = sizeof(JOURNAL_REDACTED) - 1;
	}
	vl = copy_clean_n(p + nl + 2, room - nl - 3 + 1, value, value_len, &whole_v);
	if (!whole_v)
		goto truncated;
	memcpy(p + nl, ": ", 2);
	p[nl + 2 + vl] = '\n';
	p[nl + 2 + vl + 1] = '\0';
	e->headers_len += nl + 2 + vl + 1;
	return;
truncated:
	p[0] = '\0';
	e->headers_truncated = true;
}

/* e->headers as [{"name","value"}...] in arrival order. */
static json_t *headers_json(const struct journal_entry *e)
{
	const char *p = e->headers, *colon, *end;
	json_t *arr = json_array(), *h;

	while (arr != NULL && *p != '\0') {
		end = strchr(p, '\n');
		colon = strstr(p, ": ");
		if (end == NULL || colon == NULL || colon > end)
			break; /* not written by journal_add_header */
		h = json_pack("{s:s%, s:s%}", "name", p, (size_t)(colon - p), "value", colon + 2,
			      (size_t)(end - colon - 2));
		if (json_array_append_new(arr, h) != 0) {
			json_decref(arr);
			return NULL;
		}
		p = end + 1;
	}
	return arr;
}

/* The text src[0..size) into dst, up to its first NUL, NUL-terminated (cut at size - 1). */
static void copy_text(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

#define COPY_TEXT(dst, src) copy_text((dst), (src), sizeof(src))

void journal_append(struct relay_journal *j, const struct journal_entry *e)
{
	uint64_t seq = atomic_fetch_add(&j->next, 1) + 1;
	struct journal_slot *slot = &j->slots[(seq - 1) % j->size];
	struct journal_entry *d = &slot->e;

	pthread_mutex_lock(&slot->mu);
	/* A slower writer of an older seq must not overwrite a newer entry. */
	if (d->seq < seq) {
		/*
		 * The fixed part whole, each text up to its NUL: the ring is megabytes,
		 * and every byte written here is a cache line fetched and another
		 * store's line evicted. Bytes after a NUL are never read.
		 */
		size_t hl =
			e->headers_len < JOURNAL_HEADERS_MAX ? e->headers_len : JOURNAL_HEADERS_MAX;

		memcpy(d, e, offsetof(struct journal_entry, tenant_id));
		COPY_TEXT(d->tenant_id, e->tenant_id);
		COPY_TEXT(d->conversation_id, e->conversation_id);
		COPY_TEXT(d->signing_string, e->signing_string);
		COPY_TEXT(d->detail, e->detail);
		COPY_TEXT(d->path, e->path);
		d->headers_len = hl;
		memcpy(d->headers, e->headers, hl);
		d->headers[hl] = '\0';
		d->seq = seq;
	}
	pthread_mutex_unlock(&slot->mu);
}

static json_t *str_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

/* §10.3.3: keys in SPEC order; hmac1 only for HMAC#1 routes. */
static json_t *entry_json(const struct journal_entry *e)
{
	json_t *obj, *h;

	obj = json_pack("{s:I, s:I, s:s, s:s, s:i, s:o, s:o, s:I, s:o, s:b}", "id",
			(json_int_t)e->seq, "at_ms", (json_int_t)e->at_ms, "method", e->method,
			"path", e->path, "status", e->status, "error_code",
			str_or_null(e->error_code), "tenant_id", str_or_null(e->tenant_id),
			"duration_us", (json_int_t)e->duration_us, "headers", headers_json(e),
			"headers_truncated", e->headers_truncated);
	if (obj == NULL)
		return obj;
	if (e->hmac1) {
		h = json_pack("{s:o, s:s, s:o, s:o, s:o}", "timestamp",
			      e->has_timestamp ? json_string(e->timestamp) : json_null(),
			      "body_sha256", e->body_sha256, "signing_string",
			      str_or_null(e->signing_string), "failed_step",
			      str_or_null(e->failed_step), "reason",
			      str_or_null(e->failed_step[0] != '\0' ? e->detail : ""));
		if (h == NULL || json_object_set_new(obj, "hmac1", h) != 0) {
			json_decref(obj);
			return NULL;
		}
	}
	if (e->conversation_id[0] != '\0') { /* §10.3.3: the lifecycle status after the call */
		h = json_pack("{s:s, s:s}", "id", e->conversation_id, "status",
			      e->conversation_status);
		if (h == NULL || json_object_set_new(obj, "conversation", h) != 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

enum relay_rc journal_to_json(struct relay_journal *j, const char *tenant_id, size_t limit,
			      json_t **items, size_t *total)
{
	struct journal_entry *e;
	json_t *arr;
	uint64_t head, seq;
	enum relay_rc rc = RELAY_E_NOMEM;
	size_t matched = 0;

	e = malloc(sizeof(*e));
	arr = json_array();
	if (e == NULL || arr == NULL)
		goto out;
	head = atomic_load(&j->next);
	for (seq = head; seq > 0 && head - seq < j->size; seq--) {
		struct journal_slot *slot = &j->slots[(seq - 1) % j->size];
		int take;

		pthread_mutex_lock(&slot->mu);
		take = slot->e.seq == seq;
		if (take)
			*e = slot->e;
		pthread_mutex_unlock(&slot->mu);
		if (!take)
			continue;
		if (tenant_id != NULL && strcmp(e->tenant_id, tenant_id) != 0)
			continue;
		matched++;
		if (json_array_size(arr) >= limit)
			continue;
		if (json_array_append_new(arr, entry_json(e)) != 0)
			goto out;
	}
	*items = arr;
	arr = NULL;
	*total = matched;
	rc = RELAY_OK;
out:
	json_decref(arr);
	free(e);
	return rc;
}
