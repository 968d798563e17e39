/*
 * relay_state.c - the server context (see relay_state.h).
 */
#include <stdlib.h>
#include <string.h>

#include "relay_faults.h"
#include "relay_journal.h"
#include "relay_state.h"
#include "relay_store.h"

void relay_config_defaults(struct relay_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = CONFIG_PORT_DEFAULT;
	memcpy(cfg->bind, "127.0.0.1", sizeof("127.0.0.1"));
	cfg->journal_size = CONFIG_JOURNAL_DEFAULT;
	cfg->threads = CONFIG_THREADS_DEFAULT;
	cfg->log_format = LOG_FORMAT_TEXT;
	cfg->callback_attempts = CONFIG_CB_ATTEMPTS;
	cfg->callback_backoff_ms = CONFIG_CB_BACKOFF_MS;
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
	return st;
}

void relay_state_free(struct relay_state *st)
{
	if (st == NULL)
		return;
	faults_free(st->faults);
	journal_free(st->journal);
	store_free(st->store);
	free(st);
}

void relay_state_reset(struct relay_state *st)
{
	/* Later modules' resets go first: they may refer to tenants. */
	faults_reset(st->faults);
	journal_reset(st->journal);
	store_reset(st->store);
	relay_clock_reset(&st->clock);
}
