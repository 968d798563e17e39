/*
 * relay_guard.h - HTTP hardening that libmicrohttpd 0.9.75 leaves to the mock (SPEC.md §1.9).
 *
 * Framing and header rules of RFC 9112 checked once per request, when its headers have
 * arrived and before any of its body is read, and the redaction of request-supplied
 * tenant ids before they are written to the journal or the log. Stateless: nothing
 * here allocates.
 */
#ifndef RELAY_GUARD_H
#define RELAY_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "relay_rc.h"
#include "relay_req.h"

/* §1.9.3: a request-supplied tenant id is journaled and logged as is up to this length. */
#define GUARD_ID_LOG_MAX 36

/* What guard_request_check() learned about the request's body. */
struct guard_framing {
	bool has_body; /* Content-Length above 0, or Transfer-Encoding: chunked */
	bool expect;   /* an Expect header is present */
};

/* One received header: name[name_len] and value[value_len], each also NUL-terminated. */
typedef void (*guard_header_fn)(void *cls, const char *name, size_t name_len, const char *value,
				size_t value_len);

/*
 * §1.9.2: the request's header section against RFC 9112 (Host present once on
 * HTTP/1.1 and at most once otherwise; at most one Content-Length; not both
 * Content-Length and Transfer-Encoding; Transfer-Encoding exactly "chunked"; no
 * obs-fold continuation line; no NUL in a header line; every field name a token, so
 * no whitespace before its colon). version is the request's
 * HTTP version string. Returns RELAY_OK and fills *out, or RELAY_E_MALFORMED_REQUEST:
 * the caller answers 400 and closes the connection.
 *
 * The same single pass over the headers fills *hdrs (always, refused or not) and
 * calls each (when not NULL) for every header in arrival order, duplicates included:
 * nothing else on the request path walks the header list again.
 */
enum relay_rc guard_request_check(struct MHD_Connection *conn, const char *version,
				  struct guard_framing *out, struct request_headers *hdrs,
				  guard_header_fn each, void *each_cls)
	__attribute__((warn_unused_result));

/* RFC 9110 §5.1: key[0..key_size) is a token (1+ tchar), so a valid field name. */
bool guard_name_is_token(const char *key, size_t key_size);

/*
 * §1.9.3: true when text taken from the request may be written out (journal, log) as
 * received: at most max_len bytes and nothing shaped like a tenant secret (`sk_`).
 */
bool guard_loggable(const char *text, size_t max_len);

/* guard_loggable() of text[len], its length known (a NUL inside does not end it). */
bool guard_loggable_n(const char *text, size_t len, size_t max_len);

/*
 * §1.9.3: replaces text (NUL-terminated, in a buffer of size bytes) with its redacted
 * form "[redacted:N-bytes]" unless guard_loggable(text, max_len).
 */
void guard_redact(char *text, size_t size, size_t max_len);

#endif
