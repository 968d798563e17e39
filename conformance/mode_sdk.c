/*
 * mode_sdk.c - relay-conformance sdk: runs an SDK's own test command against a fresh
 * mock relay and explains every relay call it made (SPEC.md §4, §10.3, §12).
 *
 *   relay-conformance sdk [--mock PATH] [--keep] [--timeout-s N] [--strict]
 *                         [--junit F] [--json F] [--html F] -- COMMAND ARGS...
 *
 * Starts mock-relay (by default the one beside this executable) on port 0 with a
 * random admin key, provisions a tenant, runs COMMAND with BLOONIO_CHAT_BASE_URL,
 * BLOONIO_CHAT_TENANT_ID and BLOONIO_CHAT_TENANT_SECRET set (plus the quickstart's
 * CHAT_RELAY_* and widget names), then reads the mock's journal. Each relay call
 * becomes one case: accepted or refused, the HMAC#1 step that failed, the signing
 * string the relay computed next to the timestamp it received, and a plain-language
 * diagnosis of the classic bugs. Exit 0 iff the command exited 0 and every relay
 * call was accepted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli.h"
#include "relay_client.h"
#include "relay_clock.h"
#include "relay_hmac1.h"
#include "relay_ids.h"
#include "report.h"

#define SDK_LINE_MAX      512
#define SDK_START_MS      10000 /* mock start-up budget */
#define SDK_JOURNAL_LIMIT 1024
#define SDK_EMPTY_SHA256  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct mock_proc {
	pid_t pid;
	char log[64]; /* its stdout (and stderr unless verbose): a file, so --keep is safe */
	char url[256];
	char admin_key[KEY_STR_LEN + 1];
};

struct sdk_tenant {
	char id[HMAC1_TENANT_MAX + 1];
	char secret[HMAC1_SECRET_MAX + 1];
	char widget_key[256];
};

/* The path of mock-relay beside this executable, into out. */
static bool default_mock_path(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return false;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	return snprintf(out, size, "%s/mock-relay", self) < (int)size;
}

/* Waits until the log file's first line is complete (within deadline_ms). */
static bool first_line(const char *log, char *line, size_t size, int64_t deadline_ms)
{
	while (relay_clock_real_ms() < deadline_ms) {
		FILE *f = fopen(log, "r");
		bool done = false;

		if (f != NULL) {
			done = fgets(line, (int)size, f) != NULL && strchr(line, '\n') != NULL;
			fclose(f);
		}
		if (done)
			return true;
		usleep(20000);
	}
	return false;
}

/*
 * Starts mock-relay on port 0 with a random admin key; fills m. Its output goes to
 * a log file (its stderr stays ours when verbose); the first line gives the URL.
 */
static bool mock_start(struct mock_proc *m, const char *path, bool verbose)
{
	char line[SDK_LINE_MAX], *url;
	int fd, status;

	memset(m, 0, sizeof(*m));
	m->pid = -1;
	if (access(path, X_OK) != 0) {
		fprintf(stderr, "relay-conformance sdk: cannot run %s: %s\n", path,
			strerror(errno));
		return false;
	}
	snprintf(m->log, sizeof(m->log), "/tmp/relay-conformance-mock-XXXXXX");
	fd = mkstemp(m->log);
	if (fd < 0) {
		m->log[0] = '\0';
		return false;
	}
	if (ids_key("ak_", m->admin_key) != RELAY_OK) {
		close(fd);
		return false;
	}
	m->pid = fork();
	if (m->pid < 0) {
		close(fd);
		return false;
	}
	if (m->pid == 0) {
		dup2(fd, STDOUT_FILENO);
		if (!verbose)
			dup2(fd, STDERR_FILENO);
		close(fd);
		execl(path, path, "--port", "0", "--admin-key", m->admin_key, (char *)NULL);
		_exit(127);
	}
	close(fd);
	if (!first_line(m->log, line, sizeof(line), relay_clock_real_ms() + SDK_START_MS) ||
	    waitpid(m->pid, &status, WNOHANG) != 0)
		return false;
	url = strstr(line, "http://");
	if (url == NULL)
		return false;
	url[strcspn(url, " \r\n\t")] = '\0';
	snprintf(m->url, sizeof(m->url), "%s", url);
	return true;
}

/* SIGTERM, then SIGKILL after 5 s; reaps the mock. */
static void mock_stop(struct mock_proc *m)
{
	int64_t deadline = relay_clock_real_ms() + 5000;
	int status;

	if (m->pid > 0) {
		kill(m->pid, SIGTERM);
		while (waitpid(m->pid, &status, WNOHANG) == 0) {
			if (relay_clock_real_ms() > deadline) {
				kill(m->pid, SIGKILL);
				waitpid(m->pid, &status, 0);
				break;
			}
			usleep(20000);
		}
		m->pid = -1;
	}
	if (m->log[0] != '\0')
		unlink(m->log);
	m->log[0] = '\0';
}

/* An admin call to the mock; *env receives the parsed envelope. Returns the status. */
static long admin_call(struct relay_client *cl, const struct mock_proc *m, const char *method,
		       const char *path, const char *body, json_t **env)
{
	char key[64 + KEY_STR_LEN];
	const char *headers[2];
	struct client_request req;
	struct client_response resp;
	long status = 0;

	*env = NULL;
	snprintf(key, sizeof(key), "X-Admin-Key: %s", m->admin_key);
	headers[0] = key;
	headers[1] = "Content-Type: application/json";
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.headers = headers;
	req.n_headers = 2;
	req.body = body;
	req.body_len = body != NULL ? strlen(body) : 0;
	if (client_perform(cl, &req, &resp) == RELAY_OK) {
		status = resp.status;
		*env = client_response_json(&resp);
	}
	client_response_cleanup(&resp);
	return status;
}

static bool copy_str(char *dst, size_t size, json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL || strlen(s) >= size)
		return false;
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

static bool provision(struct relay_client *cl, const struct mock_proc *m, struct sdk_tenant *t)
{
	static const char body[] = "{\"tenant_name\":\"SDK under test\",\"allowed_origins\":"
				   "[\"https://shop.demo.com\",\"app://bloonio_chat_flutter\"]}";
	json_t *env, *data;
	bool ok;

	if (admin_call(cl, m, "POST", "/api/v1/provision/tenant", body, &env) != 201) {
		json_decref(env);
		return false;
	}
	data = json_object_get(env, "data");
	ok = copy_str(t->id, sizeof(t->id), data, "tenant_id") &&
	     copy_str(t->secret, sizeof(t->secret), data, "tenant_secret");
	if (!copy_str(t->widget_key, sizeof(t->widget_key), data, "widget_public_key"))
		t->widget_key[0] = '\0';
	json_decref(env);
	return ok;
}

/* The journal's items, oldest first (a new reference), or NULL. */
static json_t *journal_fetch(struct relay_client *cl, const struct mock_proc *m)
{
	char path[64];
	json_t *env, *items, *out;
	size_t i, n;

	snprintf(path, sizeof(path), "/__mock/journal?limit=%d", SDK_JOURNAL_LIMIT);
	if (admin_call(cl, m, "GET", path, NULL, &env) != 200) {
		json_decref(env);
		return NULL;
	}
	items = json_object_get(json_object_get(env, "data"), "items");
	out = json_array();
	n = json_array_size(items);
	for (i = n; out != NULL && i > 0; i--)
		json_array_append(out, json_array_get(items, i - 1));
	json_decref(env);
	return out;
}

/* An entry's sequence number (SPEC calls it "id"; accept "seq" too). */
static json_int_t entry_seq(json_t *e)
{
	json_t *v = json_object_get(e, "id");

	if (!json_is_integer(v))
		v = json_object_get(e, "seq");
	return json_integer_value(v);
}

static const char *hmac1_str(json_t *h, const char *key, const char *alt)
{
	const char *s = json_string_value(json_object_get(h, key));

	if (s == NULL && alt != NULL)
		s = json_string_value(json_object_get(h, alt));
	return s;
}

/* One relay call as the journal holds it (SPEC.md §10.3); strings borrowed, NULL when absent. */
struct call {
	json_t *hmac1; /* an object on HMAC#1 routes */
	const char *method, *path, *code, *tenant;
	const char *step, *ts, *ss, *hash; /* from hmac1 */
	long status;
	json_int_t at_ms;
	bool accepted; /* a 2xx or 3xx */
};

static void call_read(json_t *e, struct call *c)
{
	c->hmac1 = json_object_get(e, "hmac1");
	c->method = json_string_value(json_object_get(e, "method"));
	c->path = json_string_value(json_object_get(e, "path"));
	c->code = json_string_value(json_object_get(e, "error_code"));
	c->tenant = json_string_value(json_object_get(e, "tenant_id"));
	c->step = hmac1_str(c->hmac1, "failed_step", NULL);
	c->ts = hmac1_str(c->hmac1, "received_timestamp", "timestamp");
	c->ss = hmac1_str(c->hmac1, "signing_string", NULL);
	c->hash = hmac1_str(c->hmac1, "body_sha256", NULL);
	c->status = (long)json_integer_value(json_object_get(e, "status"));
	c->at_ms = json_integer_value(json_object_get(e, "at_ms"));
	c->accepted = c->status >= 200 && c->status <= 399;
}

/* "relay-create-conversation" from "/api/v1/relay/create/conversation". */
static void slug(const char *path, char *out, size_t size)
{
	size_t o = 0;

	if (strncmp(path, "/api/v1/", 8) == 0)
		path += 8;
	for (; *path != '\0' && o + 1 < size; path++) {
		char ch = *path;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			ch = '-';
		if (ch == '-' && (o == 0 || out[o - 1] == '-'))
			continue;
		out[o++] = ch;
	}
	while (o > 0 && out[o - 1] == '-')
		o--;
	if (o == 0 && size > 4) {
		memcpy(out, "root", 4);
		o = 4;
	}
	out[o] = '\0';
}

/*
 * A plain-language diagnosis of a refused call (read from its journal entry), into out.
 * t is the tenant this mode provisioned: a call naming another tenant is told apart.
 */
static void diagnose(const struct call *c, const struct sdk_tenant *t, char *out, size_t size)
{
	const char *step = c->step, *ts = c->ts, *hash = c->hash, *code = c->code;
	const char *tenant = c->tenant;
	json_int_t at_ms = c->at_ms;
	size_t tslen = ts != NULL ? strlen(ts) : 0;

	out[0] = '\0';
	if (!json_is_object(c->hmac1)) {
		if (code != NULL && strcmp(code, "not_found") == 0)
			snprintf(out, size,
				 "unknown route: relay calls live under /api/v1/relay/... "
				 "(SPEC.md §1.6, §6)");
		else if (code != NULL && strcmp(code, "method_not_allowed") == 0)
			snprintf(out, size, "wrong method for this route (see its Allow header)");
		else if (code != NULL)
			snprintf(out, size, "refused with %s (not an HMAC#1 route)", code);
		return;
	}
	if (step == NULL || strcmp(step, "none") == 0) {
		if (code != NULL)
			snprintf(out, size, "refused by the route (%s), after HMAC#1 passed", code);
		return;
	}
	if (strcmp(step, "headers") == 0) {
		if (ts == NULL)
			snprintf(out, size,
				 "X-Bloonio-Timestamp missing, empty or sent twice: send the three "
				 "headers X-Bloonio-Tenant-Id, X-Bloonio-Timestamp, "
				 "X-Bloonio-Signature once each");
		else if (tslen == 0 || tslen > HMAC1_TS_MAX_DIGITS ||
			 strspn(ts, "0123456789") != tslen)
			snprintf(out, size,
				 "X-Bloonio-Timestamp \"%s\" is not 1-16 decimal digits: send "
				 "Unix milliseconds, e.g. str(int(time.time() * 1000))",
				 ts);
		else
			snprintf(out, size,
				 "X-Bloonio-Tenant-Id or X-Bloonio-Signature missing, empty, "
				 "duplicated or malformed: the signature is 64 lowercase hex "
				 "characters, the tenant id at most %d bytes",
				 HMAC1_TENANT_MAX);
		return;
	}
	if (strcmp(step, "window") == 0) {
		long long v = ts != NULL ? strtoll(ts, NULL, 10) : 0;

		if (tslen <= 10)
			snprintf(out, size,
				 "timestamp in seconds: the relay wants milliseconds "
				 "(X-Bloonio-Timestamp %s has %zu digits; use "
				 "str(int(time.time() * 1000)))",
				 ts, tslen);
		else if (tslen >= 16)
			snprintf(out, size,
				 "timestamp in microseconds: the relay wants milliseconds "
				 "(X-Bloonio-Timestamp %s has %zu digits)",
				 ts, tslen);
		else
			snprintf(out, size,
				 "clock skew: the timestamp is %.1f s %s the relay's clock (window "
				 "±30 s); sync the clock or sign right before sending",
				 (double)llabs((long long)at_ms - v) / 1000.0,
				 v < (long long)at_ms ? "behind" : "ahead of");
		return;
	}
	if (strcmp(step, "signature") == 0) {
		if (tenant == NULL || strcmp(tenant, t->id) != 0) {
			snprintf(
				out, size,
				"unknown tenant: X-Bloonio-Tenant-Id \"%s\" is not the tenant this "
				"run provisioned (%s)",
				tenant != NULL ? tenant : "", t->id);
			return;
		}
		if (hash != NULL && strcmp(hash, SDK_EMPTY_SHA256) != 0)
			snprintf(
				out, size,
				"the signed bytes differ from the sent bytes, e.g. a re-serialized "
				"JSON body: sign exactly the bytes you send (or the wrong "
				"tenant_secret was used)");
		else
			snprintf(
				out, size,
				"signature mismatch on an empty body: check the tenant_secret (the "
				"whole string, sk_ included, is the key) and that the signing "
				"string is \"{timestamp}.{sha256_hex(body)}\"");
		return;
	}
	if (strcmp(step, "tenant_status") == 0)
		snprintf(out, size, "the tenant is suspended (403)");
	else if (strcmp(step, "replay") == 0)
		snprintf(out, size, "the same signed request was sent twice inside the window");
	else if (strcmp(step, "rate_limit") == 0)
		snprintf(out, size,
			 "over rate_limit_per_min: honour Retry-After and the X-RateLimit-* "
			 "headers");
	else if (strcmp(step, "body") == 0)
		snprintf(out, size, "the body or query was refused (%s): see SPEC.md §6",
			 code != NULL ? code : "?");
	else
		snprintf(out, size, "refused at step %s", step);
}

/*
 * The plain report: one row per call (method, path, status, accepted or refused,
 * failed step, error code), then for each refusal the signing string the relay
 * computed next to the timestamp it received, and the diagnosis.
 */
static void print_calls(json_t *calls, const struct sdk_tenant *t)
{
	struct call c;
	json_t *e;
	size_t i;
	char why[512];

	printf("\nrelay calls made by the command (from the mock's journal):\n");
	printf("  %-4s %-7s %-40s %-6s %-9s %-14s %s\n", "#", "method", "path", "status", "result",
	       "failed step", "error code");
	json_array_foreach(calls, i, e)
	{
		call_read(e, &c);
		printf("  %03zu  %-7s %-40s %-6ld %-9s %-14s %s\n", i + 1,
		       c.method ? c.method : "?", c.path ? c.path : "?", c.status,
		       c.accepted ? "accepted" : "REFUSED",
		       c.step != NULL && strcmp(c.step, "none") != 0 ? c.step : "-",
		       c.code != NULL ? c.code : "-");
	}
	json_array_foreach(calls, i, e)
	{
		call_read(e, &c);
		if (c.accepted)
			continue;
		printf("\ncall %03zu %s %s refused: %ld %s\n", i + 1, c.method, c.path, c.status,
		       c.code != NULL ? c.code : "");
		if (json_is_object(c.hmac1)) {
			printf("  received X-Bloonio-Timestamp:      %s\n",
			       c.ts != NULL ? c.ts : "(none)");
			printf("  relay clock at arrival (ms):       %lld\n", (long long)c.at_ms);
			printf("  sha256 of the body received:       %s\n",
			       c.hash != NULL ? c.hash : "-");
			printf("  signing string the relay expected: %s\n",
			       c.ss != NULL ? c.ss : "(none: the timestamp header is malformed)");
		}
		diagnose(&c, t, why, sizeof(why));
		if (why[0] != '\0')
			printf("  diagnosis: %s\n", why);
	}
	printf("\n");
}

/* One journal entry → one case. Returns true when the call was accepted. */
static bool report_call(struct report *r, unsigned n, json_t *e, const struct sdk_tenant *t)
{
	struct call v;
	const char *method, *path, *code;
	struct report_case *c;
	char id[160], title[400], s[96], why[512];

	call_read(e, &v);
	method = v.method != NULL ? v.method : "?";
	path = v.path != NULL ? v.path : "?";
	code = v.code;
	slug(path, s, sizeof(s));
	snprintf(id, sizeof(id), "sdk.call.%03u.%s", n, s);
	snprintf(title, sizeof(title), "%s %s is accepted", method, path);
	c = report_case_begin(r, id, json_is_object(v.hmac1) ? "§4" : "§1", title,
			      REPORT_DOCUMENTED);
	if (c == NULL)
		return v.accepted;
	report_case_log(c, "%s %s -> %ld%s%s", method, path, v.status, code != NULL ? " " : "",
			code != NULL ? code : "");
	if (json_is_object(v.hmac1)) {
		report_case_log(c, "received X-Bloonio-Timestamp: %s",
				v.ts != NULL ? v.ts : "(none)");
		report_case_log(c, "relay clock at arrival:       %lld ms", (long long)v.at_ms);
		report_case_log(c, "body_sha256 of the received body: %s",
				v.hash != NULL ? v.hash : "-");
		report_case_log(c, "signing string the relay expected: %s",
				v.ss != NULL ? v.ss : "(none: timestamp malformed)");
	}
	if (!v.accepted) {
		diagnose(&v, t, why, sizeof(why));
		report_case_verdict(c, REPORT_FAIL, "refused %ld %s%s%s%s%s", v.status,
				    code != NULL ? code : "", v.step != NULL ? " at step " : "",
				    v.step != NULL ? v.step : "", why[0] != '\0' ? ": " : "", why);
		if (json_is_object(v.hmac1)) {
			report_case_expected(c, "2xx; the relay signed over \"%s\"",
					     v.ss != NULL ? v.ss : "(none)");
			report_case_actual(c, "%ld %s, failed_step %s, received timestamp %s",
					   v.status, code != NULL ? code : "-",
					   v.step != NULL ? v.step : "-",
					   v.ts != NULL ? v.ts : "(none)");
		} else {
			report_case_expected(c, "2xx");
			report_case_actual(c, "%ld %s", v.status, code != NULL ? code : "-");
		}
	}
	report_case_end(r, c);
	return v.accepted;
}

/* Runs argv with the tenant's credentials in the environment; returns its wait status. */
static int run_command(char **argv, const struct mock_proc *m, const struct sdk_tenant *t,
		       long timeout_s, bool *timed_out)
{
	int64_t deadline = relay_clock_real_ms() + timeout_s * 1000;
	int status = 0;
	pid_t pid, w;

	*timed_out = false;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setenv("BLOONIO_CHAT_BASE_URL", m->url, 1);
		setenv("BLOONIO_CHAT_TENANT_ID", t->id, 1);
		setenv("BLOONIO_CHAT_TENANT_SECRET", t->secret, 1);
		/* The quickstart's backend and widget names (QS). */
		setenv("CHAT_RELAY_BASE_URL", m->url, 1);
		setenv("CHAT_RELAY_TENANT_ID", t->id, 1);
		setenv("CHAT_RELAY_TENANT_SECRET", t->secret, 1);
		setenv("CHAT_TENANT_ID", t->id, 1);
		if (t->widget_key[0] != '\0') {
			setenv("CHAT_WIDGET_PUBLIC_KEY", t->widget_key, 1);
			setenv("BLOONIO_CHAT_WIDGET_PUBLIC_KEY", t->widget_key, 1);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "relay-conformance sdk: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return status;
		if (w < 0 && errno != EINTR)
			return -1;
		if (relay_clock_real_ms() > deadline) {
			*timed_out = true;
			kill(pid, SIGTERM);
			usleep(500000);
			if (waitpid(pid, &status, WNOHANG) != pid) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
			}
			return status;
		}
		usleep(20000);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: relay-conformance sdk [--mock PATH] [--keep] [--timeout-s N] "
		   "[--strict] [--quiet]\n"
		   "           [--verbose] [--junit FILE] [--json FILE] [--html FILE] -- "
		   "COMMAND ARGS...\n"
		   "  Runs COMMAND against a fresh mock relay with BLOONIO_CHAT_BASE_URL,\n"
		   "  BLOONIO_CHAT_TENANT_ID and BLOONIO_CHAT_TENANT_SECRET set, then reports\n"
		   "  every relay call it made. --keep leaves the mock running afterwards.\n");
}

int mode_sdk_main(int argc, char **argv)
{
	const char *mock_path = NULL;
	char mock_buf[PATH_MAX], target[1024];
	struct cli_report_args ra;
	struct relay_client *cl = NULL;
	struct report *r = NULL;
	struct mock_proc m;
	struct sdk_tenant t;
	json_t *before = NULL, *after = NULL, *calls_arr = NULL, *e;
	json_int_t last_seq = 0;
	char **cmd = NULL;
	long timeout_s = 600;
	bool keep = false, timed_out = false, all_ok = true;
	unsigned calls = 0, refused = 0;
	size_t i, k;
	int a, took, status, rc = CONFORMANCE_EXIT_USAGE;

	memset(&ra, 0, sizeof(ra));
	memset(&t, 0, sizeof(t));
	memset(&m, 0, sizeof(m));
	m.pid = -1;
	for (a = 1; a < argc; a++) {
		const char *arg = argv[a];
		const char *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (strcmp(arg, "--") == 0) {
			cmd = &argv[a + 1];
			break;
		} else if (strcmp(arg, "--keep") == 0) {
			keep = true;
		} else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			return CONFORMANCE_EXIT_OK;
		} else if (strcmp(arg, "--expected-failures") == 0) {
			break; /* not an option of this mode */
		} else if ((took = cli_report_arg(&ra, arg, val)) != 0) {
			if (took < 0)
				break;
			a += took - 1;
		} else if (val == NULL) {
			break;
		} else if (strcmp(arg, "--mock") == 0) {
			mock_path = val;
			a++;
		} else if (strcmp(arg, "--timeout-s") == 0) {
			timeout_s = strtol(val, NULL, 10);
			a++;
		} else {
			break;
		}
	}
	if (cmd == NULL || cmd[0] == NULL || timeout_s <= 0) {
		usage(stderr);
		return CONFORMANCE_EXIT_USAGE;
	}
	if (mock_path == NULL) {
		if (!default_mock_path(mock_buf, sizeof(mock_buf))) {
			fprintf(stderr, "relay-conformance sdk: cannot locate mock-relay; use "
					"--mock PATH\n");
			return CONFORMANCE_EXIT_USAGE;
		}
		mock_path = mock_buf;
	}
	if (!mock_start(&m, mock_path, ra.opt.verbose)) {
		fprintf(stderr,
			"relay-conformance sdk: %s did not start (no \"listening on\" "
			"line within %d s)\n",
			mock_path, SDK_START_MS / 1000);
		goto out;
	}
	cl = client_new(m.url);
	if (cl == NULL || !provision(cl, &m, &t)) {
		fprintf(stderr, "relay-conformance sdk: cannot provision a tenant on %s\n", m.url);
		goto out;
	}
	/* Calls up to here are ours: remember where the journal stands. */
	before = journal_fetch(cl, &m);
	if (before == NULL) {
		fprintf(stderr, "relay-conformance sdk: cannot read %s/__mock/journal\n", m.url);
		goto out;
	}
	json_array_foreach(before, i, e)
	{
		if (entry_seq(e) > last_seq)
			last_seq = entry_seq(e);
	}

	k = 0;
	for (i = 0; cmd[i] != NULL && k + 2 < sizeof(target); i++)
		k += (size_t)snprintf(target + k, sizeof(target) - k, "%s%s", i ? " " : "", cmd[i]);
	if (k >= sizeof(target))
		k = sizeof(target) - 1;
	target[k] = '\0';
	printf("relay-conformance sdk: mock relay %s, tenant %s\n", m.url, t.id);
	printf("relay-conformance sdk: running: %s\n", target);
	status = run_command(cmd, &m, &t, timeout_s, &timed_out);

	r = cli_report_new("relay-conformance sdk", target, &ra);
	after = journal_fetch(cl, &m);
	if (r == NULL || after == NULL) {
		fprintf(stderr, "relay-conformance sdk: cannot read the journal after the run\n");
		goto out;
	}
	report_note(r, "mock relay %s, tenant %s", m.url, t.id);
	/* The command's calls: after our own, control plane excluded. */
	calls_arr = json_array();
	if (calls_arr == NULL)
		goto out;
	json_array_foreach(after, i, e)
	{
		const char *path = json_string_value(json_object_get(e, "path"));

		if (entry_seq(e) > last_seq && path != NULL && strncmp(path, "/__mock/", 8) != 0)
			json_array_append(calls_arr, e);
	}
	print_calls(calls_arr, &t);
	json_array_foreach(calls_arr, i, e)
	{
		calls++;
		if (!report_call(r, calls, e, &t)) {
			all_ok = false;
			refused++;
		}
	}
	if (json_array_size(after) >= SDK_JOURNAL_LIMIT)
		report_note(r,
			    "the journal holds its last %d entries: earlier calls may be missing",
			    SDK_JOURNAL_LIMIT);
	{
		struct report_case *c =
			report_case_begin(r, "sdk.command.exit", "§12", "the SDK's command exits 0",
					  REPORT_DOCUMENTED);

		if (c != NULL) {
			if (timed_out)
				report_case_verdict(c, REPORT_FAIL, "timed out after %ld s",
						    timeout_s);
			else if (status < 0)
				report_case_verdict(c, REPORT_FAIL, "could not be run");
			else if (WIFSIGNALED(status))
				report_case_verdict(c, REPORT_FAIL, "killed by signal %d",
						    WTERMSIG(status));
			else if (WEXITSTATUS(status) != 0)
				report_case_verdict(c, REPORT_FAIL, "exited %d",
						    WEXITSTATUS(status));
			if (calls == 0)
				report_case_verdict(
					c, REPORT_INFO,
					"the command made no relay call under /api/v1/ (the "
					"mock journals only those, SPEC.md §10.3.1): check "
					"the base URL and the /api/v1 prefix");
			report_case_end(r, c);
		}
	}
	printf("\n%u relay call%s, %u refused\n", calls, calls == 1 ? "" : "s", refused);
	report_print_summary(r);
	rc = report_exit_status(r);
	if (!all_ok)
		rc = CONFORMANCE_EXIT_FAIL;
	if (report_write_files(r, &ra.files) != RELAY_OK)
		rc = CONFORMANCE_EXIT_USAGE;
out:
	json_decref(before);
	json_decref(after);
	json_decref(calls_arr);
	report_free(r);
	client_free(cl);
	if (keep && m.pid > 0) {
		printf("mock relay left running: pid %ld, %s, admin key %s, log %s\n", (long)m.pid,
		       m.url, m.admin_key, m.log);
	} else {
		mock_stop(&m);
	}
	OPENSSL_cleanse(t.secret, sizeof(t.secret));
	return rc;
}
