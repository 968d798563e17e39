/*
 * relay_guard.c - HTTP hardening checks (SPEC.md §1.9).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "relay_guard.h"

/* The header section as guard_request_check() sees it, one header at a time. */
struct header_scan {
	unsigned host, content_length, transfer_encoding, expect;
	const char *te;       /* first Transfer-Encoding value */
	const char *cl;       /* first Content-Length value */
	const char *prev_end; /* one past the previous header's value, NULL before the first */
	bool bad_layout;      /* a folded line, a NUL (header_cb), a name that is no token */
	struct request_headers *hdrs;
	guard_header_fn each;
	void *each_cls;
};

/*
 * libmicrohttpd 0.9.75 parses the header section in place: each name and value point
 * into its read buffer, the name's ':' and each line's CR LF overwritten with NULs.
 * Two malformations leave traces it does not report:
 *  - an obs-fold continuation line (RFC 9112 §5.2) is appended to the *name* of the
 *    header before it, which it moves out of the read buffer: the value then no
 *    longer follows its name;
 *  - a NUL inside a value ends the value there, the rest of the line kept in the
 *    buffer: the next header does not start right after the value's CR LF (or LF).
 * Both are refused (RFC 9112 §5.2: a server MUST reject obs-fold or replace it;
 * RFC 9110 §5.5: NUL is never allowed in a field value).
 */
static bool value_follows_name(const char *key, size_t key_size, const char *value)
{
	const char *p;

	if (value < key + key_size + 1 || (size_t)(value - key) > key_size + 1 + 8192)
		return false;
	if (key[key_size] != '\0')
		return false;
	for (p = key + key_size + 1; p < value; p++) {
		if (*p != ' ' && *p != '\t')
			return false;
	}
	return true;
}

/*
 * RFC 9110 §5.1: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 * "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA; a table, as every header name of
 * every request is checked byte by byte.
 */
static const bool tchar[256] = {
	['!'] = true, ['#'] = true, ['$'] = true, ['%'] = true, ['&'] = true, ['\''] = true,
	['*'] = true, ['+'] = true, ['-'] = true, ['.'] = true, ['^'] = true, ['_'] = true,
	['`'] = true, ['|'] = true, ['~'] = true, ['0'] = true, ['1'] = true, ['2'] = true,
	['3'] = true, ['4'] = true, ['5'] = true, ['6'] = true, ['7'] = true, ['8'] = true,
	['9'] = true, ['A'] = true, ['B'] = true, ['C'] = true, ['D'] = true, ['E'] = true,
	['F'] = true, ['G'] = true, ['H'] = true, ['I'] = true, ['J'] = true, ['K'] = true,
	['L'] = true, ['M'] = true, ['N'] = true, ['O'] = true, ['P'] = true, ['Q'] = true,
	['R'] = true, ['S'] = true, ['T'] = true, ['U'] = true, ['V'] = true, ['W'] = true,
	['X'] = true, ['Y'] = true, ['Z'] = true, ['a'] = true, ['b'] = true, ['c'] = true,
	['d'] = true, ['e'] = true, ['f'] = true, ['g'] = true, ['h'] = true, ['i'] = true,
	['j'] = true, ['k'] = true, ['l'] = true, ['m'] = true, ['n'] = true, ['o'] = true,
	['p'] = true, ['q'] = true, ['r'] = true, ['s'] = true, ['t'] = true, ['u'] = true,
	['v'] = true, ['w'] = true, ['x'] = true, ['y'] = true, ['z'] = true,
};

bool guard_name_is_token(const char *key, size_t key_size)
{
	size_t i;

	if (key_size == 0)
		return false;
	for (i = 0; i < key_size; i++) {
		if (!tchar[(unsigned char)key[i]])
			return false;
	}
	return true;
}

/* A header the caller reads (struct request_headers); its name's length picks the candidates. */
static void collect(struct header_scan *s, const char *key, size_t key_size, const char *value)
{
	struct request_headers *h = s->hdrs;

	switch (key_size) {
	case 4:
		if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
			s->host++;
		break;
	case 6:
		if (strcasecmp(key, MHD_HTTP_HEADER_ORIGIN) == 0) {
			if (h->origin == NULL)
				h->origin = value;
		} else if (strcasecmp(key, MHD_HTTP_HEADER_EXPECT) == 0) {
			s->expect++;
		}
		break;
	case 11:
		if (strcasecmp(key, "X-Admin-Key") == 0 && h->admin_key_count++ == 0)
			h->admin_key = value;
		break;
	case 14:
		if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0 &&
		    s->content_length++ == 0)
			s->cl = h->content_length = value;
		break;
	case 17:
		if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0 &&
		    s->transfer_encoding++ == 0)
			s->te = value;
		break;
	case sizeof(HMAC1_HEADER_TENANT) - 1: /* the three X-Bloonio-* names are as long */
		hmac1_headers_add(&h->hmac1, key, value);
		break;
	default:
		break;
	}
}

static enum MHD_Result header_cb(void *cls, enum MHD_ValueKind kind, const char *key,
				 size_t key_size, const char *value, size_t value_size)
{
	struct header_scan *s = cls;

	(void)kind;
	if (key == NULL || value == NULL)
		return MHD_YES;
	if (!s->bad_layout) {
		if (s->prev_end != NULL && key != s->prev_end + 1 && key != s->prev_end + 2)
			s->bad_layout = true; /* the previous line went on past its NUL */
		if (!value_follows_name(key, key_size, value) ||
		    !guard_name_is_token(key, key_size))
			s->bad_layout = true;
		s->prev_end = s->bad_layout ? NULL : value + value_size;
	}
	collect(s, key, key_size, value);
	if (s->each != NULL)
		s->each(s->each_cls, key, key_size, value, value_size);
	return MHD_YES; /* on to the end: the journal shows every header of a refused request */
}

_Static_assert(sizeof(HMAC1_HEADER_TENANT) == sizeof(HMAC1_HEADER_TIMESTAMP) &&
		       sizeof(HMAC1_HEADER_TENANT) == sizeof(HMAC1_HEADER_SIGNATURE),
	       "collect() finds the X-Bloonio-* headers by their common length");

enum relay_rc guard_request_check(struct MHD_Connection *conn, const char *version,
				  struct guard_framing *out, struct request_headers *hdrs,
				  guard_header_fn each, void *each_cls)
{
	struct header_scan s;
	const char *p;

	memset(&s, 0, sizeof(s));
	memset(hdrs, 0, sizeof(*hdrs));
	hmac1_headers_init(&hdrs->hmac1);
	s.hdrs = hdrs;
	s.each = each;
	s.each_cls = each_cls;
	(void)MHD_get_connection_values_n(conn, MHD_HEADER_KIND, header_cb, &s);
	/* The last line: its CR LF (or LF and the empty line's LF) follow the value. */
	if (!s.bad_layout && s.prev_end != NULL && s.prev_end[1] != '\0')
		s.bad_layout = true;
	if (s.bad_layout)
		return RELAY_E_MALFORMED_REQUEST;
	/* RFC 9112 §3.2: Host once in HTTP/1.1, never twice. */
	if (s.host > 1 || (s.host == 0 && version != NULL && strcmp(version, "HTTP/1.1") == 0))
		return RELAY_E_MALFORMED_REQUEST;
	/* RFC 9112 §6.3: one body length, from one header, in one coding we read. */
	if (s.content_length > 1 || (s.content_length > 0 && s.transfer_encoding > 0))
		return RELAY_E_MALFORMED_REQUEST;
	if (s.transfer_encoding > 1 || (s.te != NULL && strcasecmp(s.te, "chunked") != 0))
		return RELAY_E_MALFORMED_REQUEST;
	out->has_body = s.transfer_encoding > 0;
	for (p = s.cl; p != NULL && *p != '\0' && !out->has_body; p++)
		out->has_body = *p != '0'; /* libmicrohttpd let only digits through */
	out->expect = s.expect > 0;
	return RELAY_OK;
}

bool guard_loggable(const char *text, size_t max_len)
{
	return guard_loggable_n(text, strlen(text), max_len);
}

bool guard_loggable_n(const char *text, size_t len, size_t max_len)
{
	const char *p = text, *end = text + len, *u;

	if (len > max_len)
		return false;
	/* "sk_" found by its '_', which ids, timestamps and hex signatures never hold */
	while (p < end && (u = memchr(p, '_', (size_t)(end - p))) != NULL) {
		if (u - text >= 2 && u[-2] == 's' && u[-1] == 'k')
			return false;
		p = u + 1;
	}
	return true;
}

void guard_redact(char *text, size_t size, size_t max_len)
{
	size_t len;

	if (size == 0 || guard_loggable(text, max_len))
		return;
	len = strnlen(text, size);
	snprintf(text, size, "[redacted:%zu-bytes]", len);
}
