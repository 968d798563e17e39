/*
 * relay_ws.h - the widget WebSocket hub (SPEC §8).
 *
 * Every upgraded socket is driven by ONE event-loop thread (epoll) with wslay's
 * event API; no thread per socket. Other threads talk to the loop through a locked
 * command queue and an eventfd: adopting a socket after the HTTP upgrade, pushing
 * a frame to a conversation's sockets, closing a tenant's sockets, closing all.
 *
 * The hub knows frames, not the relay: what a socket gets and what a client text
 * frame means are decided by the ws_open_fn and ws_text_fn hooks (ws_widget.c),
 * which run on the loop thread.
 */
#ifndef RELAY_WS_H
#define RELAY_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "relay_hmac1.h"
#include "relay_ids.h"

#define WS_MAX_CONNS       1024       /* §13: open sockets; more → 507 before the upgrade */
#define WS_MAX_MSG         65536      /* §8.2.5: larger → close 1009 (wslay) */
#define WS_SENDQ_MAX       (1u << 20) /* bytes queued to one socket; more drops it */
#define WS_CLOSE_LINGER_MS 2000       /* wait this long for the peer's close reply */

/* Close codes of §8.3. */
#define WS_CLOSE_GOING_AWAY    1001
#define WS_CLOSE_POLICY        1008
#define WS_CLOSE_TOO_BIG       1009
#define WS_CLOSE_MALFORMED     4400
#define WS_CLOSE_INVALID_TOKEN 4401
#define WS_CLOSE_FORBIDDEN     4403
#define WS_CLOSE_RATE_LIMITED  4429

/* Who a socket belongs to, and its per-connection counters (loop thread only). */
struct ws_conn_info {
	char tenant_id[HMAC1_TENANT_MAX + 1];
	char session_id[PREFIXED_ID_MAX + 1];
	char conversation_id[PREFIXED_ID_MAX + 1];
	int64_t rate_window; /* floor(now_ms / 60000) of the counted messages (§8.2.6) */
	int rate_count;
};

/*
 * A client text frame of len bytes arrived on the socket described by ci. Returns 0
 * to keep the socket open, with *reply (may stay NULL) a malloc'd frame for this
 * socket only, or a close code (§8.3) to close it.
 */
typedef int (*ws_text_fn)(void *ctx, struct ws_conn_info *ci, const char *text, size_t len,
			  char **reply);

/*
 * A socket was adopted: decide what it gets, on the loop thread, so that the
 * decision and a later ws_hub_close_tenant() are applied in order (a token checked
 * just before a widget-key rotation cannot slip past the 4403). token and origin
 * (either may be NULL) come from the handshake. Returns 0 with *ci filled and
 * *first_frame a malloc'd frame to send (may stay NULL), or a close code (§8.1.3:
 * accept, then close).
 */
typedef uint16_t (*ws_open_fn)(void *ctx, const char *token, const char *origin,
			       struct ws_conn_info *ci, char **first_frame);

struct ws_hub;
struct MHD_UpgradeResponseHandle; /* libmicrohttpd's, opaque here */

/* Start the loop thread. NULL on failure. */
struct ws_hub *ws_hub_new(size_t max_conns, ws_open_fn on_open, ws_text_fn on_text, void *ctx);

/*
 * Close every socket (1001) and stop the loop; later adoptions are closed at once
 * and pushes dropped. MHD requires upgraded sockets closed before MHD_stop_daemon:
 * call this first. Idempotent; NULL is a no-op.
 */
void ws_hub_shutdown(struct ws_hub *hub);

/* ws_hub_shutdown(), then free. NULL is a no-op. */
void ws_hub_free(struct ws_hub *hub);

/* Open sockets (adopted and not yet closed). */
size_t ws_hub_count(struct ws_hub *hub);
size_t ws_hub_max(struct ws_hub *hub);

/*
 * Take over an upgraded socket (from an MHD upgrade handler). extra_in are bytes
 * MHD read past the request; token and origin (may be NULL) are handed to the
 * ws_open_fn. All three are copied.
 */
void ws_hub_adopt(struct ws_hub *hub, int sock, struct MHD_UpgradeResponseHandle *urh,
		  const char *extra_in, size_t extra_in_size, const char *token,
		  const char *origin);

/* Send text to every socket of (tenant_id, conversation_id). text is copied. */
void ws_hub_push(struct ws_hub *hub, const char *tenant_id, const char *conversation_id,
		 const char *text, size_t len);

/* Close every socket of tenant_id with close_code. */
void ws_hub_close_tenant(struct ws_hub *hub, const char *tenant_id, uint16_t close_code);

/* Close every socket with close_code (reset: 1001). */
void ws_hub_close_all(struct ws_hub *hub, uint16_t close_code);

/* Reason text of a close code (§8.3), "" when none. */
const char *ws_close_reason(uint16_t close_code);

/*
 * The message frame of §8.2 for a stored message object (§6.2.3):
 * {"type":"message","id","role","content","created_at"}. New reference or NULL.
 */
json_t *ws_message_frame(const json_t *msg);

#endif
