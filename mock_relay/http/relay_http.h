/*
 * relay_http.h - libmicrohttpd glue: the daemon (SPEC §1).
 *
 * relay_http owns the daemon. For every request it accumulates the body (capped at
 * HTTP_BODY_MAX: past it the answer is 413 payload_too_large and the rest is never
 * stored), applies injected faults, routes (404 / 405 + Allow), checks X-Admin-Key
 * or runs the HMAC#1 gate as the route asks, calls the handler, sends the
 * response, and writes one journal entry and one log line.
 *
 * Handlers see only relay_req.h (struct relay_request, struct relay_response).
 */
#ifndef RELAY_HTTP_H
#define RELAY_HTTP_H

#include "relay_req.h"
#include "relay_state.h"

#define HTTP_DRAIN_MAX    (16u * 1024 * 1024) /* bodies declared larger: 413 without reading */
#define HTTP_CONTENT_TYPE "application/json; charset=utf-8"

struct relay_http;

/*
 * Starts listening on st->cfg.bind:st->cfg.port with st->cfg.threads threads. NULL
 * on failure (a message is printed on stderr).
 */
struct relay_http *http_start(struct relay_state *st);

/* The port actually bound (useful with port 0). */
int http_port(const struct relay_http *h);

/*
 * Waits up to wait_ms for in-flight requests to finish, then stops the daemon (which
 * stops accepting) and frees h. NULL is a no-op.
 */
void http_stop(struct relay_http *h, int wait_ms);

#endif
