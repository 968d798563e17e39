/*
 * relay_state_build.c - builds, resets and frees the server context (see
 * relay_state_build.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "callbacks_emit.h"
#include "conv_store.h"
#include "operator_store.h"
#include "relay_faults.h"
#include "relay_journal.h"
#include "relay_jwt.h"
#include "relay_lifecycle.h"
#include "relay_state_build.h"
#include "relay_statedb.h"
#include "session_store.h"
#include "tenant_store.h"
#include "ws_widget.h"

/* The delivery worker's settings: §9.5's defaults, overridden by the command line. */
static void callbacks_config_for(const struct relay_config *cfg, struct callbacks_config *out)
{
	callbacks_config_default(out);
	if (cfg->callback_attempts > 0)
		out->attempts = cfg->callback_attempts;
	if (cfg->callback_backoff_ms >= 0)
		out->backoff_ms = cfg->callback_backoff_ms;
	if (cfg->callback_timeout_ms > 0)
		out->timeout_ms = cfg->callback_timeout_ms;
}

struct relay_state *relay_state_new(const struct relay_config *cfg)
{
	struct callbacks_config cb_cfg;
	struct relay_state *st;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->cfg = *cfg;
	relay_clock_init(&st->clock);
	st->store = tenant_store_new();
	st->journal = journal_new(cfg->journal_size > 0 ? cfg->journal_size : 1);
	st->faults = faults_new();
	if (st->store == NULL || st->journal == NULL || st->faults == NULL) {
		relay_state_free(st);
		return NULL;
	}
	st->conversations = conv_store_new();
	st->operators = operator_store_new();
	st->sessions = session_store_new();
	st->lifecycle = lifecycle_new();
	if (st->conversations == NULL || st->operators == NULL || st->sessions == NULL ||
	    st->lifecycle == NULL || token_key_generate(st->token_key) != RELAY_OK) {
		relay_state_free(st);
		return NULL;
	}
	/* The worker and the hub read the stores through st (callbacks_emit, ws_widget). */
	callbacks_config_for(&st->cfg, &cb_cfg);
	st->callbacks = callbacks_new(&cb_cfg, &st->clock, callbacks_tenant_lookup, st);
	st->ws = ws_hub_new(st->cfg.ws_max_sockets, ws_widget_on_open, ws_widget_on_text, st);
	if (st->callbacks == NULL || st->ws == NULL) {
		relay_state_free(st);
		return NULL;
	}
	return st;
}

void relay_state_free(struct relay_state *st)
{
	if (st == NULL)
		return;
	ws_hub_free(st->ws);           /* its loop reads the stores */
	callbacks_free(st->callbacks); /* its worker reads the store */
	statedb_close(st->statedb);    /* commits what the stores queued */
	session_store_free(st->sessions);
	lifecycle_free(st->lifecycle);
	operator_store_free(st->operators);
	conv_store_free(st->conversations);
	OPENSSL_cleanse(st->token_key, sizeof(st->token_key));
	faults_free(st->faults);
	journal_free(st->journal);
	tenant_store_free(st->store);
	free(st);
}

void relay_state_reset(struct relay_state *st)
{
	statedb_clear(st->statedb); /* §10.1.3: the file forgets too (the token key is kept) */
	/* Later modules' resets go first: they may refer to tenants. */
	ws_hub_close_all(st->ws, WS_CLOSE_GOING_AWAY); /* §10.1.1 */
	callbacks_reset(st->callbacks);
	session_store_reset(st->sessions);
	lifecycle_reset(st->lifecycle);
	operator_store_reset(st->operators);
	conv_store_reset(st->conversations);
	faults_reset(st->faults);
	journal_reset(st->journal);
	tenant_store_reset(st->store);
	relay_clock_reset(&st->clock);
}
