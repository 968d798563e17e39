/*
 * main.c - mock-relay: the command line, start-up and clean shutdown (SPEC §1.1, §10).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "relay_http.h"
#include "relay_ids.h"
#include "relay_log.h"
#include "relay_state_build.h"
#include "relay_statedb.h"
#include "relay_ws.h"

#ifndef RELAY_VERSION
#define RELAY_VERSION "0.0.0"
#endif

#define SHUTDOWN_WAIT_MS 5000 /* in-flight requests get this long to finish */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mock-relay [options]\n"
		"\n"
		"A mock of the Bloonio Chat Relay for tests (SPEC.md).\n"
		"\n"
		"  --port N                 listen on port N (default 7811; 0 picks a free port)\n"
		"  --bind ADDR              listen address (default 127.0.0.1)\n"
		"  --admin-key KEY          X-Admin-Key (else $MOCK_RELAY_ADMIN_KEY; else one is\n"
		"                           generated and printed once)\n"
		"  --reject-replays         refuse a signed request seen before in the window\n"
		"  --journal-size N         requests kept by GET /__mock/journal (default 1024,\n"
		"                           at most 65536)\n"
		"  --threads N              HTTP worker threads (default 2)\n"
		"  --ws-max-sockets N       WebSockets open at once, then 507 (default 1024,\n"
		"                           at most 16384; each needs a file descriptor)\n"
		"  --log-format text|json   request log format on stderr (default text)\n"
		"  --callback-attempts N    callback deliveries per event (default 3)\n"
		"  --callback-backoff-ms N  delay before the first retry, doubled after (default "
		"1000)\n"
		"  --callback-timeout-ms N  whole-attempt timeout of a callback (default 5000)\n"
		"  --conns-per-ip N         connections one client address may hold (default\n"
		"                           2048; 0 = no per-address cap, for load tests)\n"
		"  --state PATH             keep tenants, conversations, operators, sessions and\n"
		"                           pending callbacks in the SQLite file PATH (created\n"
		"                           when missing); without it everything is in memory\n"
		"  --help                   this text\n"
		"  --version                the version\n"
		"\n"
		"The first line on stdout is \"mock-relay listening on http://ADDR:PORT\".\n");
}

/* Strict decimal in [min, max]; 0 on success. */
static int parse_num(const char *s, long min, long max, long *out)
{
	char *end = NULL;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A usable admin key: 1-256 printable ASCII bytes, no spaces. */
static int key_ok(const char *k)
{
	size_t i, n = strlen(k);

	if (n == 0 || n > CONFIG_ADMIN_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if ((unsigned char)k[i] <= 0x20 || (unsigned char)k[i] >= 0x7f)
			return 0;
	}
	return 1;
}

enum {
	OPT_PORT = 256,
	OPT_BIND,
	OPT_ADMIN_KEY,
	OPT_REJECT_REPLAYS,
	OPT_JOURNAL_SIZE,
	OPT_THREADS,
	OPT_WS_MAX_SOCKETS,
	OPT_LOG_FORMAT,
	OPT_CB_ATTEMPTS,
	OPT_CB_BACKOFF,
	OPT_CB_TIMEOUT,
	OPT_CONNS_PER_IP,
	OPT_STATE,
	OPT_HELP,
	OPT_VERSION
};

/* Fills cfg from argv; returns 0, or 1 for --help/--version done, or 2 on bad usage. */
static int parse_args(int argc, char **argv, struct relay_config *cfg, int *generated)
{
	static const struct option opts[] = {
		{"port", required_argument, NULL, OPT_PORT},
		{"bind", required_argument, NULL, OPT_BIND},
		{"admin-key", required_argument, NULL, OPT_ADMIN_KEY},
		{"reject-replays", no_argument, NULL, OPT_REJECT_REPLAYS},
		{"journal-size", required_argument, NULL, OPT_JOURNAL_SIZE},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"ws-max-sockets", required_argument, NULL, OPT_WS_MAX_SOCKETS},
		{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
		{"callback-attempts", required_argument, NULL, OPT_CB_ATTEMPTS},
		{"callback-backoff-ms", required_argument, NULL, OPT_CB_BACKOFF},
		{"callback-timeout-ms", required_argument, NULL, OPT_CB_TIMEOUT},
		{"conns-per-ip", required_argument, NULL, OPT_CONNS_PER_IP},
		{"state", required_argument, NULL, OPT_STATE},
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *env;
	char gen[KEY_STR_LEN + 1];
	long v = 0;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PORT:
			if (parse_num(optarg, 0, 65535, &v) != 0)
				goto bad;
			cfg->port = (int)v;
			break;
		case OPT_BIND:
			if (strlen(optarg) == 0 || strlen(optarg) > CONFIG_BIND_MAX)
				goto bad;
			memcpy(cfg->bind, optarg, strlen(optarg) + 1);
			break;
		case OPT_ADMIN_KEY:
			key = optarg;
			break;
		case OPT_REJECT_REPLAYS:
			cfg->reject_replays = true;
			break;
		case OPT_JOURNAL_SIZE:
			if (parse_num(optarg, 1, CONFIG_JOURNAL_MAX, &v) != 0)
				goto bad;
			cfg->journal_size = (size_t)v;
			break;
		case OPT_THREADS:
			if (parse_num(optarg, 1, CONFIG_THREADS_MAX, &v) != 0)
				goto bad;
			cfg->threads = (unsigned)v;
			break;
		case OPT_WS_MAX_SOCKETS:
			if (parse_num(optarg, 1, CONFIG_WS_MAX_SOCKETS, &v) != 0)
				goto bad;
			cfg->ws_max_sockets = (size_t)v;
			break;
		case OPT_LOG_FORMAT:
			if (strcmp(optarg, "text") == 0)
				cfg->log_format = LOG_FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				cfg->log_format = LOG_FORMAT_JSON;
			else
				goto bad;
			break;
		case OPT_CB_ATTEMPTS:
			if (parse_num(optarg, 1, 10, &v) != 0) /* SPEC §9.5.4 */
				goto bad;
			cfg->callback_attempts = (int)v;
			break;
		case OPT_CB_BACKOFF:
			if (parse_num(optarg, 0, 600000, &v) != 0)
				goto bad;
			cfg->callback_backoff_ms = (int)v;
			break;
		case OPT_CB_TIMEOUT:
			if (parse_num(optarg, 1, 600000, &v) != 0)
				goto bad;
			cfg->callback_timeout_ms = (int)v;
			break;
		case OPT_CONNS_PER_IP:
			if (parse_num(optarg, 0, CONFIG_CONNS_PER_IP_MAX, &v) != 0)
				goto bad;
			cfg->conns_per_ip = (unsigned)v;
			break;
		case OPT_STATE:
			if (optarg[0] == '\0')
				goto bad;
			cfg->state_path = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("mock-relay %s\n", RELAY_VERSION);
			return 1;
		case ':':
			fprintf(stderr, "mock-relay: option %s needs a value\n", argv[optind - 1]);
			goto bad;
		default:
			/* An unknown option names itself (getopt_long leaves it at optind - 1). */
			if (optopt > 0 && optopt < OPT_PORT)
				fprintf(stderr, "mock-relay: unknown option -%c\n", optopt);
			else if (optopt >= OPT_PORT) /* a flag given a value (--help=x) */
				fprintf(stderr, "mock-relay: option %s takes no value\n",
					argv[optind - 1]);
			else
				fprintf(stderr, "mock-relay: unknown option %s\n",
					argv[optind - 1]);
			goto bad;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mock-relay: unexpected argument %s\n", argv[optind]);
		goto bad;
	}
	if (key == NULL) {
		env = getenv("MOCK_RELAY_ADMIN_KEY");
		if (env != NULL && env[0] != '\0')
			key = env;
	}
	if (key != NULL) {
		if (!key_ok(key)) {
			fprintf(stderr, "mock-relay: the admin key must be 1-256 printable ASCII "
					"characters without spaces\n");
			goto bad;
		}
		memcpy(cfg->admin_key, key, strlen(key) + 1);
	} else {
		if (ids_key("ak_", gen) != RELAY_OK) {
			fprintf(stderr, "mock-relay: cannot generate an admin key\n");
			return 2;
		}
		memcpy(cfg->admin_key, gen, sizeof(gen));
		OPENSSL_cleanse(gen, sizeof(gen));
		*generated = 1;
	}
	return 0;
bad:
	usage(stderr);
	return 2;
}

/* 1 when addr (an IPv4 or IPv6 literal, as --bind takes) is a loopback address. */
static int bind_is_loopback(const char *addr)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, addr, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6);
	return 0;
}

int main(int argc, char **argv)
{
	struct relay_config cfg;
	struct relay_state *st = NULL;
	struct relay_http *http = NULL;
	struct statedb *db = NULL;
	char err[512];
	sigset_t set;
	int generated = 0, sig = 0, rc = 1, r;

	relay_config_defaults(&cfg);
	r = parse_args(argc, argv, &cfg, &generated);
	if (r == 1)
		return 0;
	if (r != 0)
		return 2;

	/* Every thread inherits this mask; main waits for the signals below. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ,
	       SIG_IGN); /* a file-size limit fails the state write (503), not the process */

	st = relay_state_new(&cfg);
	if (st == NULL) {
		fprintf(stderr, "mock-relay: out of memory\n");
		goto out;
	}
	if (cfg.state_path != NULL) {
		/* §14: the file is checked, locked and loaded before any request is served. */
		db = statedb_open(cfg.state_path, err, sizeof(err), &r);
		if (db == NULL) {
			fprintf(stderr, "mock-relay: %s\n", err);
			rc = r;
			goto out;
		}
		if (statedb_load(db, st, err, sizeof(err)) != RELAY_OK) {
			fprintf(stderr, "mock-relay: state %s: %s\n", cfg.state_path, err);
			statedb_close(db);
			rc = STATEDB_EXIT_IO;
			goto out;
		}
		statedb_attach(db, st); /* st owns db from here */
		/* what the load made (an older file's missing relay_user_id) is kept first */
		if (statedb_sync() != RELAY_OK) {
			fprintf(stderr, "mock-relay: state %s: cannot write to the file\n",
				cfg.state_path);
			rc = STATEDB_EXIT_IO;
			goto out;
		}
	}
	http = http_start(st);
	if (http == NULL)
		goto out;
	if (strchr(cfg.bind, ':') != NULL)
		printf("mock-relay listening on http://[%s]:%d\n", cfg.bind, http_port(http));
	else
		printf("mock-relay listening on http://%s:%d\n", cfg.bind, http_port(http));
	if (generated)
		printf("admin key: %s\n", cfg.admin_key);
	fflush(stdout);
	if (!bind_is_loopback(cfg.bind)) /* SPEC §1.1.5 */
		fprintf(stderr,
			"mock-relay: warning: listening on %s, not a loopback address: whoever "
			"reaches this port can use the admin calls and the /__mock/* control "
			"plane (clock, faults, journal) over plain HTTP; bind 127.0.0.1 unless "
			"the network is isolated (a container, a CI service)\n",
			cfg.bind);

	while (sigwait(&set, &sig) != 0)
		;
	log_flush(); /* the lines of the requests already answered come before the notice */
	fprintf(stderr, "mock-relay: signal %d, shutting down\n", sig);
	rc = 0;
out:
	/* MHD wants upgraded sockets closed before its daemon stops (§8.3: 1001). */
	if (st != NULL)
		ws_hub_shutdown(st->ws);
	http_stop(http, SHUTDOWN_WAIT_MS);
	if (st != NULL)
		OPENSSL_cleanse(st->cfg.admin_key, sizeof(st->cfg.admin_key));
	relay_state_free(st);
	return rc;
}
