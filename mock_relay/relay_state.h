/*
 * relay_state.h - the mock relay's server context (SPEC §10, §13).
 *
 * One struct relay_state per process: the configuration from the command line, the
 * settable clock, and one pointer per module. The struct is the context every handler
 * and hook reads; it is built, reset and freed in one place only, relay_state_build
 * (the one module that knows every other). A new module adds its member here and its
 * calls in relay_state_build.c.
 */
#ifndef RELAY_STATE_H
#define RELAY_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "relay_clock.h"
#include "relay_log.h"
#include "relay_rc.h"

#define CONFIG_BIND_MAX        64    /* textual IPv4 / IPv6 address */
#define CONFIG_ADMIN_KEY_MAX   256   /* longest accepted --admin-key */
#define CONFIG_JOURNAL_DEFAULT 1024  /* §10.3 */
#define CONFIG_JOURNAL_MAX     65536 /* = the largest GET /__mock/journal limit (§10.3.2) */
#define CONFIG_THREADS_DEFAULT 2
#define CONFIG_THREADS_MAX     256
#define CONFIG_WS_MAX_SOCKETS  16384 /* largest --ws-max-sockets (default WS_MAX_CONNS) */
#define CONFIG_PORT_DEFAULT    7811  /* §1.1: the documented relay port */
#define CONFIG_CB_ATTEMPTS     3     /* §9.5 */
#define CONFIG_CB_BACKOFF_MS   1000  /* §9.5: first retry after 1 s, then doubled */
#define CONFIG_CB_TIMEOUT_MS   5000  /* §9.5: whole-attempt timeout */

/* §1.9.1: half the connection limit (4 x 1,024 WebSockets, http/relay_http.c) per address */
#define CONFIG_CONNS_PER_IP_DEFAULT 2048
#define CONFIG_CONNS_PER_IP_MAX     4096

/* What main.c parsed from the command line (see `mock-relay --help`). */
struct relay_config {
	int port;                                 /* 0 = any free port */
	char bind[CONFIG_BIND_MAX + 1];           /* listen address */
	char admin_key[CONFIG_ADMIN_KEY_MAX + 1]; /* X-Admin-Key (§2.1) */
	bool reject_replays;                      /* §4.7 */
	size_t journal_size;                      /* §10.3 */
	unsigned threads;                         /* libmicrohttpd thread pool */
	size_t ws_max_sockets;                    /* §13: open WebSockets, then 507 */
	enum log_format log_format;
	int callback_attempts;   /* §9.5, used by relay_callbacks */
	int callback_backoff_ms; /* §9.5, used by relay_callbacks */
	int callback_timeout_ms; /* §9.5, used by relay_callbacks */
	unsigned conns_per_ip;   /* §1.9.1: connections one client address holds; 0 = no cap */
	const char *state_path;  /* §14: --state PATH (borrowed from argv), NULL: memory only */
};

struct tenant_store;
struct relay_journal;
struct relay_faults;
struct conv_store;
struct operator_store;
struct session_store;
struct callbacks;
struct ws_hub;
struct lifecycle;
struct statedb;

struct relay_state {
	struct relay_config cfg;
	struct relay_clock clock;      /* §10.2: the mock's "now" */
	struct tenant_store *store;    /* tenants (§2), rate-limit and replay counters */
	struct relay_journal *journal; /* §10.3 */
	struct relay_faults *faults;   /* §10.4 */
	/* Later modules add one pointer member each below this line. */
	struct conv_store *conversations; /* §6.1-6.2: conversations + messages (conv_store) */
	struct operator_store *operators; /* §6.4 (operator_store) */
	struct session_store *sessions;   /* §7: visitor sessions (session_store) */
	unsigned char token_key[32];      /* §7.2.4: JWT signing key, TOKEN_KEY_LEN bytes */
	struct callbacks *callbacks;      /* §9: delivery worker (relay_callbacks) */
	struct ws_hub *ws;                /* §8: WebSocket event loop (relay_ws) */
	struct lifecycle *lifecycle;      /* §9.6: escalation triggers (relay_lifecycle) */
	struct statedb *statedb;          /* §14: the state file (relay_statedb), NULL: none */
};

/* Defaults for every field (port 7811, bind 127.0.0.1, no admin key yet, ...). */
void relay_config_defaults(struct relay_config *cfg);

#endif
