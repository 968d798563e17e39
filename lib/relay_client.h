/*
 * relay_client.h - a small HTTP client over libcurl for the tests, the conformance
 * suite and the mock's own callbacks.
 *
 * A struct relay_client wraps one curl easy handle, so consecutive requests reuse
 * the connection. It is not thread-safe: use one per thread.
 */
#ifndef RELAY_CLIENT_H
#define RELAY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "relay_hmac1.h"
#include "relay_rc.h"

#define CLIENT_BODY_MAX    (16u * 1024 * 1024) /* longest response body kept */
#define CLIENT_HEADERS_MAX 64                  /* response headers kept */

struct relay_client;

struct client_request {
	const char *method;         /* "GET", "POST", ... */
	const char *path;           /* appended to the base URL; may carry a query */
	const char *const *headers; /* "Name: value" lines, borrowed */
	size_t n_headers;
	const void *body; /* borrowed; NULL for none */
	size_t body_len;
	long timeout_ms; /* 0: 10 s */
};

struct client_header {
	char *name;
	char *value;
};

struct client_response {
	long status; /* 0 when no HTTP response came back */
	char *body;  /* NUL-terminated, owned */
	size_t body_len;
	struct client_header headers[CLIENT_HEADERS_MAX];
	size_t n_headers;
	char error[256]; /* curl's text when status is 0 */
	double seconds;
};

/* New client for base_url (copied, e.g. "http://127.0.0.1:7811"). NULL on failure. */
struct relay_client *client_new(const char *base_url);

/* Frees the client; NULL is a no-op. */
void client_free(struct relay_client *c);

/* https only: skip certificate and hostname verification (self-signed test relays). */
void client_set_insecure(struct relay_client *c, bool insecure);

const char *client_base_url(const struct relay_client *c);

/*
 * Perform req. On RELAY_OK *resp holds the answer (release with
 * client_response_cleanup()); RELAY_E_IO when no HTTP answer came (resp->error says
 * why; resp still needs cleanup). A request with a body (or a POST/PUT) carries
 * "Content-Type: application/json" unless req->headers sets a Content-Type ("Content-Type:"
 * alone sends none).
 */
RELAY_WUR enum relay_rc client_perform(struct relay_client *c, const struct client_request *req,
				       struct client_response *resp);

/*
 * Like client_perform, adding the three HMAC#1 headers computed over body with
 * secret at ts_ms. sig (may be NULL) receives every intermediate value.
 */
RELAY_WUR enum relay_rc client_signed(struct relay_client *c, const struct client_request *req,
				      const char *tenant_id, const char *secret, int64_t ts_ms,
				      struct client_response *resp, struct hmac1_signed *sig);

void client_response_cleanup(struct client_response *resp);

/* First header named name (case-insensitive) or NULL. Borrowed. */
const char *client_response_header(const struct client_response *resp, const char *name);

/* Body parsed as JSON (new reference) or NULL. */
json_t *client_response_json(const struct client_response *resp);

/*
 * A curl command line that reproduces req against the client's base URL, for
 * failure reports. Caller frees. Bodies over 4 KiB are elided with a note.
 */
char *client_curl_command(const struct relay_client *c, const struct client_request *req);

#endif
