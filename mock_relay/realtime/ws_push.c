/*
 * ws_push.c - frames pushed to widget sockets from outside the socket (see ws_push.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay_state.h"
#include "relay_ws.h"
#include "ws_push.h"

void ws_push_message(struct relay_state *st, const char *tenant_id, const char *conversation_id,
		     json_t *frame)
{
	char *text;

	if (st == NULL || st->ws == NULL || frame == NULL || ws_hub_count(st->ws) == 0) {
		json_decref(frame);
		return;
	}
	text = json_dumps(frame, JSON_COMPACT);
	json_decref(frame);
	if (text == NULL)
		return;
	ws_hub_push(st->ws, tenant_id, conversation_id, text, strlen(text));
	free(text);
}

void ws_close_tenant(struct relay_state *st, const char *tenant_id, int close_code)
{
	if (st == NULL || st->ws == NULL)
		return;
	ws_hub_close_tenant(st->ws, tenant_id, (uint16_t)close_code);
}
