/*
 * relay_state.c - the server context (see relay_state.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "relay_callbacks.h"
#include "relay_conv.h"
#include "relay_faults.h"
#include "relay_journal.h"
#include "relay_jwt.h"
#include "relay_operators.h"
#include "relay_sessions.h"
#include "relay_state.h"
#include "relay_store.h"
#include "relay_ws.h"

void relay_config_defaults(struct relay_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = CONFIG_PORT_DEFAULT;
	memcpy(cfg->bind, "127.0.0.1", sizeof("127.0.0.1"));
	cfg->journal_size = CONFIG_JOURNAL_DEFAULT;
	cfg->threads = CONFIG_THREADS_DEFAULT;
	cfg->ws_max_sockets = WS_MAX_CONNS;
	cfg->log_format = LOG_FORMAT_TEXT;
	cfg->callback_attempts = CONFIG_CB_ATTEMPTS;
	cfg->callback_backoff_ms = CONFIG_CB_BACKOFF_MS;
	cfg->callback_timeout_ms = CONFIG_CB_TIMEOUT_MS;
}

struct relay_state *relay_state_new(const struct relay_config *cfg)
{
	struct relay_state *st;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->cfg = *cfg;
	relay_clock_init(&st->clock);
	st->store = store_new();
	st->journal = journal_new(cfg->journal_size > 0 ? cfg->journal_size : 1);
	st->faults = faults_new();
	if (st->store == NULL || st->journal == NULL || st->faults == NULL) {
		relay_state_free(st);
		return NULL;
	}
	st->conversations = conv_store_new();
	st->operators = operators_new();
	st->sessions = sessions_new();
	if (st->conversations == NULL || st->operators == NULL || st->sessions == NULL ||
	    token_key_generate(st->token_key) != RELAY_OK) {
		relay_state_free(st);
		return NULL;
	}
	st->callbacks = callbacks_new_for_state(st);
	st->ws = ws_hub_new_for_state(st);
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
	sessions_free(st->sessions);
	operators_free(st->operators);
	conv_store_free(st->conversations);
	OPENSSL_cleanse(st->token_key, sizeof(st->token_key));
	faults_free(st->faults);
	journal_free(st->journal);
	store_free(st->store);
	free(st);
}

void relay_state_reset(struct relay_state *st)
{
	/* Later modules' resets go first: they may refer to tenants. */
	ws_hub_close_all(st->ws, WS_CLOSE_GOING_AWAY); /* §10.1.1 */
	callbacks_reset(st->callbacks);
	sessions_reset(st->sessions);
	operators_reset(st->operators);
	conv_store_reset(st->conversations);
	faults_reset(st->faults);
	journal_reset(st->journal);
	store_reset(st->store);
	relay_clock_reset(&st->clock);
}
