/*
 * relay_state.c - the configuration's defaults (see relay_state.h).
 */
#include <string.h>

#include "relay_state.h"
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
	cfg->conns_per_ip = CONFIG_CONNS_PER_IP_DEFAULT;
}
