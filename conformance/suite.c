/*
 * suite.c - the runner: runs the case tables (cases/<prefix>.c) as CMocka groups, one
 * per SPEC section, checking each case's needs first, and prints --list (SPEC.md §12).
 * Requests and expectations are suite_http.c, clock/tenant/session fixtures
 * suite_fixtures.c.
 */
#include "suite.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "suite_fixtures.h"
#include "suite_http.h"

const struct suite_case *const suite_tables[] = {
	cases_envelope, cases_admin, cases_origin,  cases_hmac1, cases_ratelimit, cases_relay,
	cases_widget,   cases_cors,  cases_hostile, cases_ws,    cases_callback,  NULL};

static struct suite *g_suite; /* CMocka fixtures take no user pointer */

bool suite_target_local(const struct suite *s, int *port)
{
	static const char *const prefixes[] = {"http://127.0.0.1:", "http://localhost:"};

	for (size_t i = 0; i < 2; i++)
		if (strncmp(s->cfg.base_url, prefixes[i], strlen(prefixes[i])) == 0) {
			if (port != NULL)
				*port = atoi(s->cfg.base_url + strlen(prefixes[i]));
			return true;
		}
	return false;
}

bool suite_listen_parse(const char *v, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon;
	char *end;
	long port;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (v[0] == '[') {
		const char *rb = strchr(v, ']');

		if (rb == NULL || rb[1] != ':')
			return false;
		n = (size_t)(rb - v - 1);
		colon = rb + 1;
		v++;
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL)
			return false;
		n = (size_t)(colon - v);
	}
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, v, n);
	host[n] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || port < 0 || port > 65535)
		return false;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		if (len != NULL)
			*len = sizeof(struct sockaddr_in);
		return true;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		if (len != NULL)
			*len = sizeof(struct sockaddr_in6);
		return true;
	}
	return false;
}

bool suite_target_loopback(const struct suite *s)
{
	const char *u = s->cfg.base_url, *h = strstr(u, "://");

	if (h == NULL)
		return false;
	h += 3;
	return strncmp(h, "127.", 4) == 0 || strncasecmp(h, "localhost", 9) == 0 ||
	       strncmp(h, "[::1]", 5) == 0;
}

/* ---- the CMocka glue */

static int case_setup(void **state)
{
	const struct suite_case *meta = *state;
	struct case_ctx *x = calloc(1, sizeof(*x));
	char section[32];

	if (x == NULL)
		return -1;
	x->s = g_suite;
	x->meta = meta;
	snprintf(section, sizeof(section), "§%s", meta->section);
	x->rcase = report_case_begin(g_suite->report, meta->id, section, meta->title, meta->prov);
	x->cl = client_new(g_suite->cfg.base_url);
	client_set_insecure(x->cl, g_suite->cfg.insecure);
	if (x->rcase == NULL || x->cl == NULL) {
		client_free(x->cl);
		free(x);
		return -1;
	}
	*state = x;
	return 0;
}

static int case_teardown(void **state)
{
	struct case_ctx *x = *state;

	case_last_clear(x);
	client_free(x->cl);
	free(x);
	return 0;
}

/* Checks the needs and prepares the case's tenant; false = skipped. */
static bool case_prepare(struct case_ctx *x)
{
	const struct suite_config *cfg = &x->s->cfg;
	unsigned needs = x->meta->needs;

	if ((needs & NEED_ADMIN) && cfg->admin_key == NULL) {
		case_skip(x, "no admin key (--admin-key or BLOONIO_CHAT_ADMIN_KEY)");
		return false;
	}
	if ((needs & NEED_MOCK) && !x->s->is_mock) {
		case_skip(x, "target is not a mock (no /__mock control plane); window edges at "
			     "exactly 30000 ms need the mock clock");
		return false;
	}
	if ((needs & NEED_CALLBACK) && !suite_target_loopback(x->s) &&
	    cfg->callback_public_url == NULL) {
		case_skip(x,
			  "no callback receiver the target can reach: %s is not on this machine; "
			  "give --callback-public-url (and --callback-listen) to run callback "
			  "cases",
			  cfg->base_url);
		return false;
	}
	if (needs & (NEED_TENANT | NEED_WIDGET)) {
		if (cfg->admin_key != NULL)
			return tenant_provision(x, &x->t, NULL);
		if ((needs & NEED_TENANT) &&
		    (cfg->tenant_id == NULL || cfg->tenant_secret == NULL)) {
			case_skip(x, "no tenant credentials (--tenant-id/--tenant-secret) and no "
				     "admin key to provision one");
			return false;
		}
		if ((needs & NEED_WIDGET) &&
		    (cfg->widget_key == NULL || cfg->origin == NULL || cfg->tenant_id == NULL)) {
			case_skip(x, "no widget credentials (--tenant-id --widget-key --origin) "
				     "and no admin key to provision them");
			return false;
		}
		tenant_given(x, &x->t);
	}
	return true;
}

static void case_run(void **state)
{
	struct case_ctx *x = *state;
	enum report_verdict v;

	if (case_prepare(x))
		x->meta->fn(x);
	mock_clock_restore(x);
	/* a shared tenant (no admin key) may run into its own rate limit */
	if (!x->t.provisioned && x->resp.status == 429 && strncmp(x->meta->id, "ratelimit.", 10))
		case_skip(x, "rate limited on the shared tenant: rerun later or give --admin-key");
	v = report_case_end(x->s->report, x->rcase);
	if (v == REPORT_FAIL || v == REPORT_XPASS)
		fail_msg("%s: %s", x->meta->id, report_case_reason(x->rcase));
	if (v == REPORT_SKIP)
		skip();
}

static bool case_selected(const struct suite_case *c, const char *filter)
{
	return filter == NULL || fnmatch(filter, c->id, 0) == 0;
}

/* A row's section "4.4.2" → 4 (0 when none). */
static int section_number(const char *section)
{
	const char *p = section;

	if (strncmp(p, "§", strlen("§")) == 0)
		p += strlen("§");
	return atoi(p);
}

/* "admin+mock+tenant" or "-". */
static void needs_text(unsigned needs, char *out, size_t size)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{NEED_ADMIN, "admin"},
		     {NEED_MOCK, "mock"},
		     {NEED_TENANT, "tenant"},
		     {NEED_WIDGET, "widget"},
		     {NEED_CALLBACK, "callback"}};
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (needs & names[i].bit)
			len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "+" : "",
						names[i].name);
	if (len == 0)
		snprintf(out, size, "-");
}

/* One line per case: id, SPEC rule, provenance, needs, requirement. */
static void print_list(const char *filter)
{
	char needs[64];

	for (size_t t = 0; suite_tables[t] != NULL; t++)
		for (const struct suite_case *c = suite_tables[t]; c->id != NULL; c++) {
			if (!case_selected(c, filter))
				continue;
			needs_text(c->needs, needs, sizeof(needs));
			printf("%-44s §%-7s %-10s %-22s %s\n", c->id, c->section,
			       report_provenance_name(c->prov), needs, c->title);
		}
}

static bool probe_mock(struct suite *s, long *status)
{
	struct relay_client *cl;
	int64_t now;

	if (s->cfg.admin_key == NULL)
		return false;
	cl = client_new(s->cfg.base_url);
	if (cl == NULL)
		return false;
	client_set_insecure(cl, s->cfg.insecure);
	*status = mock_clock_get(cl, &s->cfg, &now);
	client_free(cl);
	return *status == 200;
}

static bool probe_reachable(struct suite *s, char *why, size_t size)
{
	struct relay_client *cl = client_new(s->cfg.base_url);
	struct client_response r;
	struct client_request rq = {.method = "GET",
				    .path = "/api/v1/fetch/widget-config",
				    .timeout_ms = s->cfg.timeout_ms};
	bool ok = false;

	if (cl == NULL)
		return false;
	client_set_insecure(cl, s->cfg.insecure);
	if (client_perform(cl, &rq, &r) == RELAY_OK && r.status > 0)
		ok = true;
	else
		snprintf(why, size, "%s", r.error);
	client_response_cleanup(&r);
	client_free(cl);
	return ok;
}

int suite_run(struct suite *s, const struct suite_run_options *o)
{
	int saved_out = -1, saved_err = -1, devnull = -1;
	char why[256] = "";
	long probe_status = 0;
	int status;

	if (o->list) {
		print_list(o->filter);
		return 0;
	}
	g_suite = s;
	if (!probe_reachable(s, why, sizeof(why))) {
		fprintf(stderr, "relay-conformance: %s is unreachable: %s\n", s->cfg.base_url, why);
		return 2;
	}
	s->is_mock = probe_mock(s, &probe_status);
	report_note(s->report, "target %s %s", s->cfg.base_url,
		    s->is_mock ? "is a mock (GET /__mock/clock answered): window edges use the "
				 "mock clock"
			       : "is not a mock: window edges use client-side timestamps "
				 "(now +/- 35 s / 25 s); exact +/-30000 ms edges need the mock");
	if (s->cfg.admin_key == NULL)
		report_note(s->report, "no admin key: cases that provision tenants are skipped");
	else if (probe_status == 401)
		report_note(s->report,
			    "GET /__mock/clock refused the admin key (401): if the "
			    "target is a mock, the key is wrong and admin cases will fail");

	/* CMocka's own output is replaced by the report's progress lines. */
	if (!o->verbose) {
		fflush(stdout);
		fflush(stderr);
		devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			saved_out = dup(STDOUT_FILENO);
			saved_err = dup(STDERR_FILENO);
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
	}
	for (int sec = 0; sec <= 13; sec++) {
		struct CMUnitTest *tests = NULL;
		size_t n = 0, cap = 0;
		char name[32];

		for (size_t t = 0; suite_tables[t] != NULL; t++)
			for (const struct suite_case *c = suite_tables[t]; c->id != NULL; c++) {
				if (section_number(c->section) != sec ||
				    !case_selected(c, o->filter))
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 32;
					tests = realloc(tests, cap * sizeof(*tests));
					if (tests == NULL)
						abort();
				}
				tests[n] = (struct CMUnitTest){.name = c->id,
							       .test_func = case_run,
							       .setup_func = case_setup,
							       .teardown_func = case_teardown,
							       .initial_state = (void *)c};
				n++;
			}
		if (n > 0) {
			snprintf(name, sizeof(name), "§%d", sec);
			(void)_cmocka_run_group_tests(name, tests, n, NULL, NULL);
		}
		free(tests);
	}
	if (saved_out >= 0) {
		fflush(stdout);
		fflush(stderr);
		dup2(saved_out, STDOUT_FILENO);
		dup2(saved_err, STDERR_FILENO);
		close(saved_out);
		close(saved_err);
	}
	if (devnull >= 0)
		close(devnull);
	report_print_summary(s->report);
	status = report_exit_status(s->report);
	/* a run that already failed keeps 1 (SPEC.md §12.1.1) */
	if (report_write_files(s->report, &o->files) != RELAY_OK)
		status = status ? status : 2;
	return status;
}
