/*
 * relay_req.h - the route handlers' API: one request in, one response out (SPEC §1).
 *
 * A handler reads a struct relay_request and fills a struct relay_response through
 * the response_* helpers below: the status and the envelope always come from the
 * same place (relay_rc's table for errors). relay_http (the libmicrohttpd daemon)
 * builds the request, runs the handler and sends the response; handlers never see
 * libmicrohttpd (the WebSocket upgrade, routes_ws.c, aside).
 */
#ifndef RELAY_REQ_H
#define RELAY_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "relay_hmac1.h"
#include "relay_ids.h"
#include "relay_journal.h"
#include "relay_rc.h"
#include "relay_state.h"
#include "relay_text.h"

#define HTTP_BODY_MAX     65536 /* §1.7: larger bodies get 413 */
#define HTTP_QUERY_MAX    4096  /* §1.7: longer query strings get 400 */
#define RESP_HEADERS_MAX  16
#define RESP_HEADER_NAME  64
#define RESP_HEADER_VALUE 512

/* libmicrohttpd's handles, opaque here (relay_req.c and relay_http.c use them). */
struct MHD_Connection;
struct MHD_Response;

/*
 * What the one pass over a request's headers found (guard_request_check(), before the
 * body is read): the headers the gate and the routes read, the first of each as
 * libmicrohttpd's lookup would give it. Values borrowed from MHD for the request's life.
 */
struct request_headers {
	struct hmac1_headers hmac1; /* the three X-Bloonio-* headers (§4.1) */
	const char *origin;         /* first Origin, NULL when none */
	const char *admin_key;      /* first X-Admin-Key, NULL when none */
	unsigned admin_key_count;   /* §2.1.2: twice is refused */
	const char *content_length; /* first Content-Length, NULL when none */
};

struct relay_request {
	struct relay_state *st;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;  /* decoded path, without the query */
	const char *query; /* raw query string after "?", "" when none (<= HTTP_QUERY_MAX) */
	const char *body;  /* NUL-terminated; "" when none */
	size_t body_len;
	int64_t now_ms;     /* the mock's clock, read once per request (§10.2) */
	const char *origin; /* Origin header or NULL */
	const struct request_headers *headers; /* the header pass; NULL: no headers */
	/*
	 * For HMAC#1 routes: the verified tenant, set by the gate before the handler
	 * runs. Other handlers may set it (journal_copy()) so the journal and the log
	 * name the tenant concerned.
	 */
	char tenant_id[HMAC1_TENANT_MAX + 1];
	struct journal_entry *journal; /* this request's entry (diagnostics), never NULL */
};

struct response_header {
	char name[RESP_HEADER_NAME];
	char value[RESP_HEADER_VALUE];
};

struct relay_response {
	int status;       /* 0 until a response_* helper ran */
	json_t *envelope; /* owned */
	char *text;       /* owned; the envelope already serialized (response_success_text) */
	size_t text_len;
	enum relay_rc rc; /* RELAY_OK or the error answered (journal, log) */
	struct response_header headers[RESP_HEADERS_MAX];
	size_t n_headers;
	struct MHD_Response *raw; /* owned; sent as is with `status` when not NULL */
	bool drop;                /* close the connection without answering (faults) */
};

/* Value of the query parameter name (the first one), or NULL. Borrowed from MHD. */
const char *request_query(const struct relay_request *r, const char *name);

/* How many times the query parameter name appears (§1.6.4: twice is a 400). */
unsigned request_query_count(const struct relay_request *r, const char *name);

/*
 * ?name= as an id (§1.6.5: 1-128 bytes of [A-Za-z0-9_-], given once) into
 * out[TEXT_ID_MAX + 1]. Absent: returns false with a 400 when required, else
 * true with out = "". On failure sets a 400 malformed_request with error.field = name.
 */
bool request_id_param(const struct relay_request *r, const char *name, bool required,
		      char out[TEXT_ID_MAX + 1], struct relay_response *resp);

/* Value of the first header named name (case-insensitive), or NULL. Borrowed. */
const char *request_header(const struct relay_request *r, const char *name);

/*
 * The body parsed as a JSON object (new reference). On failure returns NULL and
 * sets a 400 malformed_request on resp (empty body, bad JSON, not an object).
 */
json_t *request_json_object(const struct relay_request *r, struct relay_response *resp);

/*
 * ?name= as a UUID (§1.8), given once, into out (lowercased). On failure returns
 * false and sets a 400 malformed_request with error.field = name on resp.
 */
bool request_uuid_param(const struct relay_request *r, const char *name, char out[UUID_STR_LEN + 1],
			struct relay_response *resp);

/*
 * ?name= as decimal digits only in [min, max], def when absent. On failure (empty,
 * signed, fractional, out of range, given twice) returns false and sets a 400
 * malformed_request with error.field = name on resp.
 */
bool request_int_param(const struct relay_request *r, const char *name, long long min,
		       long long max, long long def, long long *out, struct relay_response *resp);

/*
 * The syntax check of request_int_param, without a connection: v is 1-12 decimal
 * digits (no sign, no space, no fraction) whose value is in [min, max]. On true
 * *out receives the value; on false *out is untouched.
 */
bool query_int_parse(const char *v, long long min, long long max, long long *out);

/* Success envelope (§1.2). Steals data (NULL becomes {}). */
void response_success(struct relay_response *resp, int status, json_t *data, const char *message);

/*
 * The same envelope with data given as its compact JSON text (borrowed, copied):
 * the bytes sent are those response_success() would send for the parsed data
 * (envelope_success_text()). Out of memory answers 500 internal_error.
 */
void response_success_text(struct relay_response *resp, int status, const char *data,
			   size_t data_len, const char *message);

/*
 * Error envelope for rc (§1.3): status from the rc table, message NULL = the table's,
 * field NULL = none. Replaces whatever resp held.
 */
void response_error(struct relay_response *resp, enum relay_rc rc, const char *field,
		    const char *message);

/* Same with an explicit status (injected faults, §10.4). */
void response_error_status(struct relay_response *resp, enum relay_rc rc, int status,
			   const char *message);

/* Adds (or replaces) a response header; false when RESP_HEADERS_MAX is reached. */
bool response_header(struct relay_response *resp, const char *name, const char *value);

/*
 * Escape hatch (e.g. the WebSocket upgrade): send raw with status as is. Takes
 * ownership of raw. No envelope or Content-Type is added.
 */
void response_raw(struct relay_response *resp, int status, struct MHD_Response *raw);

/*
 * A response with no body and no Content-Type (e.g. 204 to a CORS preflight): status
 * as is, the headers added with response_header() still sent. Out of memory answers
 * 500 internal_error.
 */
void response_empty(struct relay_response *resp, int status);

/*
 * A body that is not an envelope (the §10.7 page): len bytes of data, borrowed and
 * never freed (static storage), sent with status and Content-Type: content_type; the
 * headers added with response_header() are sent too. Out of memory answers 500
 * internal_error.
 */
void response_static(struct relay_response *resp, int status, const char *content_type,
		     const void *data, size_t len);

/*
 * An empty response (status 0, no envelope). The header slots are left as they are:
 * only the first n_headers are ever read, so a response is not zeroed whole.
 */
void response_init(struct relay_response *resp);

/* Frees what resp owns. */
void response_cleanup(struct relay_response *resp);

#endif
