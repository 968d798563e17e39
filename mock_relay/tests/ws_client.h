/*
 * ws_client.h - a small WebSocket client, now used only by scripts/bench/ws_hold.c
 * (bench-ws-hold builds this file from here). The mock's tests use lib/relay_wsclient
 * through mock_harness (mock_ws_open); delete this pair once the bench does too.
 *
 * The opening handshake is plain HTTP/1.1 written on a TCP socket and the 101
 * answer is checked (status, Upgrade, Sec-WebSocket-Accept computed with OpenSSL);
 * frames go through wslay's client event API (masking included): no hand-written
 * framing. One client per thread.
 */
#ifndef WS_CLIENT_H
#define WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_CLIENT_HTTP_MAX 8192 /* longest handshake answer read */

struct ws_client;

/*
 * Connect to 127.0.0.1:port and ask for path (with its query). extra_headers (may
 * be NULL) are "Name: value\r\n" lines added as is; skip_upgrade_headers leaves the
 * WebSocket headers out (for 400 tests). Returns the client when the server
 * answered 101, else NULL; *status (may be NULL) receives the HTTP status (0: no
 * answer) and body (may be NULL) up to body_size bytes of the non-101 answer.
 */
struct ws_client *ws_client_connect(int port, const char *path, const char *extra_headers,
				    bool skip_upgrade_headers, int *status, char *body,
				    size_t body_size);

/* Frees the client and closes the socket; NULL is a no-op. */
void ws_client_free(struct ws_client *c);

/* Queue and flush a frame. 0 on success. */
int ws_client_send_text(struct ws_client *c, const char *text, size_t len);
int ws_client_send_binary(struct ws_client *c, const void *data, size_t len);
int ws_client_send_ping(struct ws_client *c);
int ws_client_send_close(struct ws_client *c, uint16_t code);

/*
 * The next text message, waiting up to timeout_ms. New string (caller frees) or
 * NULL on timeout or when the connection closed first.
 */
char *ws_client_recv_text(struct ws_client *c, int timeout_ms);

/*
 * Wait up to timeout_ms for the server's close frame. Returns its status code, or
 * 0 when none came. Text messages received meanwhile are kept for recv_text.
 */
int ws_client_wait_close(struct ws_client *c, int timeout_ms);

/* Pongs received so far. */
int ws_client_pongs(const struct ws_client *c);

/* The close reason the server sent ("" when none). */
const char *ws_client_close_reason(const struct ws_client *c);

#endif
