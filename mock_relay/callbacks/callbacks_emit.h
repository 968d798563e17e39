/*
 * callbacks_emit.h - the callbacks the route handlers ask for (SPEC §9.1.3, §9.4).
 *
 * The delivery worker (relay_callbacks) knows tenants only through a lookup hook;
 * this module is that hook over the mock's tenant store, and the calls the route
 * handlers make with the mock's state. relay_state_new() (relay_state_build.c) builds the worker
 * with callbacks_tenant_lookup() and the state as its context.
 */
#ifndef CALLBACKS_EMIT_H
#define CALLBACKS_EMIT_H

#include <stdbool.h>

#include <jansson.h>

#include "relay_callbacks.h"

struct relay_state;

/*
 * callbacks_lookup_fn (ctx is the struct relay_state): the tenant's URL base and
 * current secret, copied from the tenant store.
 */
bool callbacks_tenant_lookup(void *ctx, const char *tenant_id, struct callbacks_tenant *out);

/*
 * conversation-started for a conversation just created (§9.4): data is the
 * conversation object (§9.3.2), read back from the store.
 */
void callbacks_emit_conversation(struct relay_state *st, const char *tenant_id,
				 const char *conversation_id);

/*
 * The hook the route handlers call: queue event for tenant_id when the tenant has a
 * callback_url_base, silently do nothing otherwise (§9.1.3). data is stolen.
 */
void callbacks_emit(struct relay_state *st, const char *tenant_id, const char *event, json_t *data);

#endif
