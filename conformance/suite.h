/*
 * suite.h - the case table and the helpers every case uses (SPEC.md §12).
 *
 * A case is a row of metadata (stable id, SPEC rule, provenance, needs, requirement
 * text) and a body. suite.c runs each row as a CMocka test: the setup opens the
 * report case and an HTTP client, the body checks the relay and records verdicts,
 * and the wrapper turns the final verdict into CMocka's (FAIL/XPASS → fail_msg,
 * SKIP → skip(), everything else passes).
 *
 * A case body uses suite_http.h (requests, expectations) and suite_fixtures.h (clock,
 * tenants, visitor sessions).
 */
#ifndef CONFORMANCE_SUITE_H
#define CONFORMANCE_SUITE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sys/socket.h>

#include <jansson.h>

#include "relay_client.h"
#include "relay_hmac1.h"
#include "relay_ids.h"
#include "report.h"

/* What a case needs; missing needs SKIP it with the reason. */
#define NEED_ADMIN  0x01u /* --admin-key: provisions its own tenants */
#define NEED_MOCK   0x02u /* the /__mock control plane (clock, journal) */
#define NEED_TENANT 0x04u /* tenant credentials: provisioned, or --tenant-id/--tenant-secret */
#define NEED_WIDGET                                                                                \
	0x08u /* widget key + an allowed origin: provisioned, or --widget-key/--origin */
#define NEED_CALLBACK                                                                              \
	0x10u /* a callback receiver the relay can reach: a loopback target, or                    \
		 --callback-public-url */

struct suite_config {
	const char *base_url;
	const char *admin_key;
	const char *tenant_id;
	const char *tenant_secret;
	const char *widget_key;
	const char *origin;
	long timeout_ms;
	bool insecure;               /* --insecure: no TLS verification (https, wss) */
	const char *callback_listen; /* --callback-listen ADDR:PORT (NULL: 127.0.0.1:0) */
	const char
		*callback_public_url; /* --callback-public-url: the receiver as the relay sees it */
};

struct suite {
	struct suite_config cfg;
	struct report *report;
	bool is_mock;       /* GET /__mock/clock answered 200 */
	unsigned n_tenants; /* provisioned so far, for names */
};

/* One tenant's credentials. */
struct suite_tenant {
	char id[HMAC1_TENANT_MAX + 1];
	char secret[HMAC1_SECRET_MAX + 1];
	char widget_key[256];
	char origin[256]; /* an allowed origin */
	bool provisioned; /* by this case (else given on the command line) */
};

struct case_ctx;
typedef void (*case_fn)(struct case_ctx *ctx);

struct suite_case {
	const char *id;      /* SPEC.md §12.2 grammar */
	const char *section; /* the SPEC.md rule without its "§" ("4.4.2"), shown as "§4.4.2" */
	enum report_provenance prov;
	unsigned needs;
	const char *title; /* the requirement */
	case_fn fn;
};

struct case_ctx {
	struct suite *s;
	const struct suite_case *meta;
	struct report_case *rcase;
	struct relay_client *cl;
	struct suite_tenant t; /* the case's tenant, when it needs one */
	bool clock_frozen;
	bool failed_hard;     /* a request could not be made at all */
	bool waited_for_rate; /* already waited once for the shared tenant's rate window */
	/* last exchange */
	struct client_response resp;
	json_t *json; /* parsed body of resp, or NULL */
	char *curl;   /* reproduces the last request */
	struct hmac1_signed sig;
	bool has_sig;
};

/*
 * Case tables, each ended by a row with id NULL: cases_<name>[] is
 * conformance/cases/<name>.c and holds exactly the cases whose id starts "<name>."
 * (ctest conformance_case_files checks it).
 */
extern const struct suite_case cases_envelope[];
extern const struct suite_case cases_admin[];
extern const struct suite_case cases_origin[];
extern const struct suite_case cases_hmac1[];
extern const struct suite_case cases_ratelimit[];
extern const struct suite_case cases_relay[];
extern const struct suite_case cases_widget[];
extern const struct suite_case cases_cors[];
extern const struct suite_case cases_hostile[];
extern const struct suite_case cases_ws[];
extern const struct suite_case cases_callback[];

/* 1 when the target is http://127.0.0.1:PORT or http://localhost:PORT (then *port is set). */
bool suite_target_local(const struct suite *s, int *port);
/*
 * Parses --callback-listen's "ADDR:PORT" (dotted IPv4, or "[IPv6]") into *ss (port in
 * network order) and *len (may be NULL). False when it is not of that form.
 */
bool suite_listen_parse(const char *v, struct sockaddr_storage *ss, socklen_t *len);

/* 1 when the target's host is a loopback address (127.*, localhost, [::1]), any scheme. */
bool suite_target_loopback(const struct suite *s);

/* Runs the suite (main.c parsed options). Returns the exit status. */
struct suite_run_options {
	const char *filter;
	bool list;
	bool verbose;
	struct report_files files;
};
int suite_run(struct suite *s, const struct suite_run_options *o);

/* Every case table in order, for --list and the runner. */
extern const struct suite_case *const suite_tables[];

#endif
