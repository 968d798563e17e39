/*
 * relay_journal.h - bounded ring of recent requests (SPEC §10.3).
 *
 * Each request the mock answers (control-plane calls excepted) leaves one entry:
 * method, path, status, error code, tenant and, for HMAC#1 calls, what the mock
 * received and computed (timestamp text, body hash, signing string, failed step).
 * Never a secret and never the signature the mock expected.
 *
 * Lock-light: writers claim a slot with one atomic increment and lock only that
 * slot; readers lock one slot at a time.
 */
#ifndef RELAY_JOURNAL_H
#define RELAY_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "relay_hmac1.h"
#include "relay_rc.h"

#define JOURNAL_PATH_MAX    256 /* longer paths are truncated */
#define JOURNAL_DETAIL_MAX  127
#define JOURNAL_TS_MAX      32   /* received X-Bloonio-Timestamp text, truncated */
#define JOURNAL_HEADERS_MAX 1536 /* request headers as "Name: value\n" lines (§10.3.3) */
#define JOURNAL_REDACTED    "[redacted]"

/* One request. Fixed size: copying it never allocates. */
struct journal_entry {
	/*
	 * Short fields first, the long text arrays last, headers at the end:
	 * journal_append() copies the fixed part whole and each text only up to its NUL,
	 * so an entry written into the ring touches the cache lines it fills, not 2 KiB.
	 */
	uint64_t seq; /* 1, 2, ...; 0 = empty slot */
	int64_t at_ms;
	int64_t duration_us;
	int status;             /* 0: connection dropped by a fault */
	bool headers_truncated; /* a header did not fit: it and later ones left out */
	bool hmac1;             /* the HMAC#1 fields are meaningful (HMAC#1 routes) */
	bool has_timestamp;     /* the header came exactly once */
	char method[16];
	char error_code[32];                /* "" on success */
	char failed_step[16];               /* "" when every step passed */
	char conversation_status[16];       /* its status after the call (§9.6.3) */
	char timestamp[JOURNAL_TS_MAX + 1]; /* as received, truncated */
	char body_sha256[HMAC1_HEX_LEN + 1];
	/* the text arrays, copied up to their NUL */
	char tenant_id[HMAC1_TENANT_MAX + 1]; /* "" when none */
	char conversation_id[64]; /* §10.3.3: the conversation the call concerned, "" none */
	char signing_string[HMAC1_SIGNING_STRING_MAX +
			    1];              /* "" unless the timestamp passed §4.1.3 */
	char detail[JOURNAL_DETAIL_MAX + 1]; /* why (hmac1.reason, static text) */
	char path[JOURNAL_PATH_MAX + 1];
	size_t headers_len;                    /* strlen(headers) */
	char headers[JOURNAL_HEADERS_MAX + 1]; /* "Name: value\n" lines, secrets redacted */
};

struct relay_journal;

/* New journal of `size` slots (>= 1). NULL when out of memory. */
struct relay_journal *journal_new(size_t size);
void journal_free(struct relay_journal *j);

/* Empties the journal; ids restart at 1 (§10.1). */
void journal_reset(struct relay_journal *j);

/* Copies e into the next slot (its seq is assigned here), evicting the oldest. */
void journal_append(struct relay_journal *j, const struct journal_entry *e);

/*
 * §10.3.2: newest first, at most limit entries, only tenant_id's when it is not NULL.
 * *items is a new JSON array (caller owns it); *total counts every matching entry
 * held.
 */
RELAY_WUR enum relay_rc journal_to_json(struct relay_journal *j, const char *tenant_id,
					size_t limit, json_t **items, size_t *total);

/*
 * Appends one received header to e->headers (§10.3.3), both sanitized as by
 * journal_copy(); the value of X-Admin-Key, Authorization, Proxy-Authorization and
 * Cookie is replaced by JOURNAL_REDACTED (§10.3.5). A line that does not fit sets
 * e->headers_truncated and it and every later header are left out.
 */
void journal_add_header(struct journal_entry *e, const char *name, const char *value);

/*
 * journal_add_header() of name[name_len] and value[value_len], their lengths known
 * (no NUL inside either: the caller stops each at its first NUL).
 */
void journal_add_header_n(struct journal_entry *e, const char *name, size_t name_len,
			  const char *value, size_t value_len);

/*
 * Copies src into dst[size], truncating on a character boundary, always
 * NUL-terminated; invalid UTF-8 and control characters become '?'.
 */
void journal_copy(char *dst, size_t size, const char *src);

#endif
