/*
 * relay_wsclient.h - a WebSocket client for the conformance suite (SPEC.md §8).
 *
 * Connects to ws:// or wss:// URLs on any host (getaddrinfo: IPv4 and IPv6, with a
 * connect timeout). wss:// goes through OpenSSL with the system's trust store,
 * SNI and hostname verification (SSL_set1_host), unless the insecure option is set
 * for a self-signed test relay. The RFC 6455 opening handshake is written here and
 * its 101 answer parsed strictly (status line, Upgrade, Connection,
 * Sec-WebSocket-Accept checked with OpenSSL's SHA-1); frames go through wslay's
 * client event API (masking, fragmentation, control frames): no hand-written framing.
 *
 * Caps: a handshake answer over WSCLIENT_HANDSHAKE_MAX bytes and a received message
 * over WSCLIENT_FRAME_MAX bytes are errors, so is sending a message over
 * WSCLIENT_FRAME_MAX. One client per thread; not thread-safe.
 */
#ifndef RELAY_WSCLIENT_H
#define RELAY_WSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay_rc.h"

#define WSCLIENT_FRAME_MAX     (1024u * 1024) /* largest message sent or received */
#define WSCLIENT_HANDSHAKE_MAX (16u * 1024)   /* largest 101 (or refusal) answer read */

/* Opcodes wsclient_recv reports. */
enum wsclient_opcode {
	WSCLIENT_TEXT = 1,  /* a text message (payload NUL-terminated) */
	WSCLIENT_CLOSE = 8, /* the peer's close frame: payload is its reason text */
};

struct wsclient;

/* Why a connect failed: the stage, the HTTP status when one came, and a text. */
enum wsclient_stage {
	WSCLIENT_STAGE_URL = 1, /* the URL could not be parsed */
	WSCLIENT_STAGE_CONNECT, /* name resolution or TCP connect (incl. timeout) */
	WSCLIENT_STAGE_TLS,     /* TLS handshake or certificate verification */
	WSCLIENT_STAGE_HTTP,    /* no (valid) 101 answer to the upgrade */
};

struct wsclient_error {
	enum wsclient_stage stage;
	int http_status; /* the answer's status, 0 when none was parsed */
	char text[256];  /* what went wrong, one line */
	char body[512];  /* the start of a non-101 answer's body ("" when none) */
};

struct wsclient_options {
	const char *origin;  /* sent as Origin when not NULL; borrowed */
	int timeout_ms;      /* connect, TLS and upgrade, each; <= 0: 10000 */
	bool insecure;       /* wss: skip certificate and hostname verification */
	const char *ca_file; /* wss: PEM file of extra trusted CAs (may be NULL); borrowed */
};

/*
 * Connects to url ("ws://host[:port]/path?query" or "wss://..."), sends the opening
 * handshake and checks the 101 answer. Returns a new client (caller frees with
 * wsclient_free) or NULL; then *err (may be NULL) says why. url and origin are
 * borrowed (copied as needed). TLS is verified.
 */
struct wsclient *wsclient_connect(const char *url, const char *origin, int timeout_ms,
				  struct wsclient_error *err);

/* Like wsclient_connect with every option (opt may be NULL for the defaults). */
struct wsclient *wsclient_connect_opts(const char *url, const struct wsclient_options *opt,
				       struct wsclient_error *err);

/* Closes the connection (no close frame) and frees the client; NULL is a no-op. */
void wsclient_free(struct wsclient *c);

/*
 * Queues one text message (data borrowed, copied by wslay) and flushes it, waiting up
 * to 5 s for the socket. Text is not checked for UTF-8, so a test can send invalid
 * bytes on purpose. RELAY_E_IO on a lost connection, RELAY_E_INVALID over the cap.
 */
RELAY_WUR enum relay_rc wsclient_send_text(struct wsclient *c, const void *data, size_t len);

/* Like wsclient_send_text for one binary message. */
RELAY_WUR enum relay_rc wsclient_send_binary(struct wsclient *c, const void *data, size_t len);

/*
 * The client's socket, for a caller that waits on many clients at once (epoll);
 * reading stays wsclient_recv's (call it with timeout 0 when the socket is
 * readable). -1 when c is NULL.
 */
int wsclient_fd(const struct wsclient *c);

/*
 * Sends a ping frame (RFC 6455 §5.5.2, payload "p") and flushes it. Its pong is read
 * by a later wsclient_recv, which counts it (wsclient_pongs) and waits on.
 */
RELAY_WUR enum relay_rc wsclient_send_ping(struct wsclient *c);

/* Pong frames received so far (answers to wsclient_send_ping or unsolicited ones). */
int wsclient_pongs(const struct wsclient *c);

enum wsclient_recv_result {
	WSCLIENT_GOT = 0,     /* a message or the close frame */
	WSCLIENT_TIMEOUT = 1, /* nothing within the timeout */
	WSCLIENT_LOST = 2,    /* the connection ended without (another) close frame */
};

/*
 * Waits up to timeout_ms for the next text message or the peer's close frame (pings
 * are answered and pongs counted on the way; binary messages are dropped).
 * WSCLIENT_GOT: *opcode is WSCLIENT_TEXT or WSCLIENT_CLOSE, *payload a new
 * NUL-terminated buffer of *len bytes (the message, or the close reason) that the
 * caller frees; after a close, wsclient_close_code() gives its code. Messages queued
 * before a close are returned first; the close frame is returned once, then
 * WSCLIENT_LOST. A failed send does not end reading: a close frame the peer sent
 * before it hung up is still returned.
 */
RELAY_WUR enum wsclient_recv_result wsclient_recv(struct wsclient *c, int timeout_ms, int *opcode,
						  char **payload, size_t *len);

/* Sends a close frame with code (no reason) and flushes it. */
RELAY_WUR enum relay_rc wsclient_close(struct wsclient *c, uint16_t code);

/* The peer's close code (0 while none came; 1005 when its close frame had none). */
int wsclient_close_code(const struct wsclient *c);

#endif
