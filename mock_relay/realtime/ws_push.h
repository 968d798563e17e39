/*
 * ws_push.h - what other modules send to widget sockets (SPEC §8.4, §2.6.3, §2.7.3).
 *
 * The relay API, the control plane and the lifecycle push frames to a conversation's
 * sockets, and close a tenant's, through these two calls over the hub (relay_ws.h);
 * they need nothing of the widget protocol itself (ws_widget.h), which calls into
 * the lifecycle: keeping the two apart keeps the modules' includes acyclic.
 */
#ifndef WS_PUSH_H
#define WS_PUSH_H

#include <jansson.h>

#include "relay_ws.h" /* the close codes (WS_CLOSE_*) */

struct relay_state;

/* frame is stolen and sent compact to every open socket of the conversation. */
void ws_push_message(struct relay_state *st, const char *tenant_id, const char *conversation_id,
		     json_t *frame);

/* Closes every socket of the tenant with close_code, a WS_CLOSE_* (§2.6.3, §2.7.3). */
void ws_close_tenant(struct relay_state *st, const char *tenant_id, int close_code);

#endif
