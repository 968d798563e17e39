/*
 * callbacks_emit.c - the callbacks the route handlers ask for (see callbacks_emit.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "callbacks_emit.h"
#include "conv_store.h"
#include "relay_state.h"
#include "tenant_store.h"

void callbacks_emit(struct relay_state *st, const char *tenant_id, const char *event, json_t *data)
{
	enum relay_rc rc;

	if (st == NULL || st->callbacks == NULL) {
		json_decref(data);
		return;
	}
	/* No callback_url_base (or tenant gone): no delivery (§9.1.3). */
	rc = callbacks_enqueue(st->callbacks, tenant_id, event, data, NULL, NULL);
	(void)rc;
}

bool callbacks_tenant_lookup(void *ctx, const char *tenant_id, struct callbacks_tenant *out)
{
	struct relay_state *st = ctx;
	struct tenant_snapshot *snap = calloc(1, sizeof(*snap));
	char secret[KEY_STR_LEN + 1];
	bool found = false;

	if (snap == NULL)
		return false;
	if (tenant_store_snapshot(st->store, tenant_id, snap) != RELAY_OK)
		goto out;
	if (tenant_store_secret_copy(st->store, tenant_id, secret) != RELAY_OK)
		goto out;
	snprintf(out->url_base, sizeof(out->url_base), "%s", snap->callback_url_base);
	snprintf(out->secret, sizeof(out->secret), "%s", secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	found = true;
out:
	free(snap);
	return found;
}

void callbacks_emit_conversation(struct relay_state *st, const char *tenant_id,
				 const char *conversation_id)
{
	json_t *conv = NULL;

	if (st == NULL || st->callbacks == NULL)
		return;
	if (conv_store_fetch(st->conversations, tenant_id, conversation_id, &conv) != RELAY_OK)
		return;
	callbacks_emit(st, tenant_id, "conversation-started", conv);
}
