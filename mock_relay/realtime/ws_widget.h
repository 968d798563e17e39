/*
 * ws_widget.h - the widget socket's protocol over the hub (SPEC §8).
 *
 * The hub (relay_ws) moves frames; this module decides what they mean against the
 * mock's state: the checks of an upgraded socket and its welcome frame (§8.1.3,
 * §8.1.4), the client's message frames (§8.2), and the pushes other modules ask for
 * (§8.4, §2.6.3, §2.7.3). relay_state_new() (relay_state_build.c) builds the hub with the two hooks
 * below and the state as their context.
 */
#ifndef WS_WIDGET_H
#define WS_WIDGET_H

#include <stdint.h>

#include <jansson.h>

#include "relay_ws.h"

struct relay_state;

/*
 * ws_open_fn (ctx is the struct relay_state): a valid unexpired visitor token of a
 * live session, tenant not suspended, widget key not rotated, origin still allowed.
 * 0 with *ci filled and the welcome frame in *first_frame, else the close code.
 */
uint16_t ws_widget_on_open(void *ctx, const char *token, const char *origin,
			   struct ws_conn_info *ci, char **first_frame);

/* ws_text_fn (ctx is the struct relay_state): a client message frame (§8.2). */
int ws_widget_on_text(void *ctx, struct ws_conn_info *ci, const char *text, size_t len,
		      char **reply);

#endif
