/*
 * test_http_edges.c - routing, limits, command line, logs and shutdown of the mock
 * (SPEC §1.1, §1.5-§1.7, §2.1.3, §13).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mock_harness.h"
#include "relay_clock.h"

static void expect(struct mock *mm, const char *method, const char *path, const char *body,
		   int admin, long status, const char *code)
{
	struct client_response resp;

	assert_int_equal(mock_call(mm, method, path, body, admin, NULL, &resp), 0);
	if (code != NULL)
		assert_int_equal(mock_check_error(&resp, status, code, NULL), 0);
	else
		assert_int_equal(resp.status, status);
	client_response_cleanup(&resp);
}

/* §1.6.1: exact paths; unknown -> 404 before any authentication. */
static void test_unknown_paths_are_404(void **state)
{
	static const char *const paths[] = {
		"/",
		"/api/v1/provision/tenant/",
		"/API/v1/provision/tenant",
		"/api/v1/provision/tenants",
		"/api/v1/console/login",
		"/api/v1/relay/unknown",
		"/__mock/unknown",
		/* an encoded NUL does not cut the path down to a known route */
		"/api/v1/fetch/tenants%00anything",
		"/api/v1/provision/tenant%00",
		"/__mock/clock%00",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		expect(mock_shared, "GET", paths[i], NULL, 0, 404, "not_found");
		expect(mock_shared, "POST", paths[i], "{}", 1, 404, "not_found");
	}
}

/* §1.6.4: a query parameter given twice is 400 naming it, on every route that reads one. */
static void test_duplicated_query_parameters_are_400(void **state)
{
	struct mock_tenant t;
	struct client_response resp;
	char path[512];

	(void)state;
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"dup\"}", &t), 0);

	assert_int_equal(mock_signed(mock_shared, "GET",
				     "/api/v1/relay/fetch/conversation?conversation_id=conv_a"
				     "&conversation_id=conv_b",
				     NULL, t.tenant_id, t.tenant_secret, relay_clock_real_ms(),
				     &resp),
			 0);
	assert_int_equal(mock_check_error(&resp, 400, "malformed_request", "conversation_id"), 0);
	client_response_cleanup(&resp);

	snprintf(path, sizeof(path),
		 "/api/v1/fetch/widget-config?tenant_id=%s&tenant_id=%s&widget_public_key=%s",
		 t.tenant_id, t.tenant_id, t.widget_public_key);
	assert_int_equal(mock_call(mock_shared, "GET", path, NULL, 0, NULL, &resp), 0);
	assert_int_equal(mock_check_error(&resp, 400, "malformed_request", "tenant_id"), 0);
	client_response_cleanup(&resp);

	snprintf(path, sizeof(path),
		 "/api/v1/fetch/widget-config?tenant_id=%s&widget_public_key=%s"
		 "&widget_public_key=%s",
		 t.tenant_id, t.widget_public_key, t.widget_public_key);
	assert_int_equal(mock_call(mock_shared, "GET", path, NULL, 0, NULL, &resp), 0);
	assert_int_equal(mock_check_error(&resp, 400, "malformed_request", "widget_public_key"), 0);
	client_response_cleanup(&resp);

	assert_int_equal(mock_call(mock_shared, "GET", "/__mock/callbacks?tenant_id=a&tenant_id=b",
				   NULL, 1, NULL, &resp),
			 0);
	assert_int_equal(mock_check_error(&resp, 400, "malformed_request", "tenant_id"), 0);
	client_response_cleanup(&resp);

	assert_int_equal(mock_call(mock_shared, "GET", "/api/v1/ws/widget?token=a&token=b", NULL, 0,
				   NULL, &resp),
			 0);
	assert_int_equal(mock_check_error(&resp, 400, "malformed_request", "token"), 0);
	client_response_cleanup(&resp);
}

/* §1.6.2: known path, other method -> 405 with Allow in route-table order. */
static void test_wrong_method_is_405_with_allow(void **state)
{
	static const struct {
		const char *method, *path, *allow;
	} cases[] = {
		{"GET", "/api/v1/provision/tenant", "POST"},
		{"PUT", "/api/v1/update/tenant", "POST"},
		{"POST", "/api/v1/fetch/tenant", "GET"},
		{"DELETE", "/api/v1/fetch/tenants", "GET"},
		{"DELETE", "/__mock/clock", "GET, PUT"},
		{"PATCH", "/__mock/faults", "GET, POST, DELETE"},
		{"GET", "/__mock/reset", "POST"},
	};
	struct client_response resp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mock_call(mock_shared, cases[i].method, cases[i].path, NULL, 0,
					   NULL, &resp),
				 0);
		assert_int_equal(mock_check_error(&resp, 405, "method_not_allowed", NULL), 0);
		assert_string_equal(client_response_header(&resp, "Allow"), cases[i].allow);
		client_response_cleanup(&resp);
	}
	/* HEAD is a method like any other (no body comes back). */
	assert_int_equal(
		mock_call(mock_shared, "HEAD", "/api/v1/fetch/tenant", NULL, 1, NULL, &resp), 0);
	assert_int_equal(resp.status, 405);
	assert_string_equal(client_response_header(&resp, "Allow"), "GET");
	client_response_cleanup(&resp);
}

/* A provision body of exactly len bytes: valid JSON padded with spaces. */
static char *padded_body(size_t len)
{
	static const char head[] = "{\"tenant_name\":\"big\"}";
	char *b = malloc(len + 1);

	assert_non_null(b);
	memset(b, ' ', len);
	memcpy(b, head, sizeof(head) - 1);
	b[len] = '\0';
	return b;
}

/* §1.7.1: 65536 bytes pass, 65537 are 413 on every route, before routing and auth. */
static void test_body_cap_is_65536_bytes(void **state)
{
	char *ok = padded_body(65536), *big = padded_body(65537);

	(void)state;
	expect(mock_shared, "POST", "/api/v1/provision/tenant", ok, 1, 201, NULL);
	expect(mock_shared, "POST", "/api/v1/provision/tenant", big, 1, 413, "payload_too_large");
	expect(mock_shared, "POST", "/api/v1/provision/tenant", big, 0, 413, "payload_too_large");
	expect(mock_shared, "POST", "/no/such/route", big, 0, 413, "payload_too_large");
	expect(mock_shared, "PUT", "/__mock/clock", big, 1, 413, "payload_too_large");
	/* Body-less routes ignore a body within the cap (§1.7.3). */
	expect(mock_shared, "GET", "/api/v1/fetch/tenants", ok, 1, 200, NULL);
	free(ok);
	free(big);
}

/* §1.7.1: a Content-Length over the cap is refused without the body being sent. */
static void test_huge_content_length_refused_without_reading(void **state)
{
	static const char req[] = "POST /api/v1/provision/tenant HTTP/1.1\r\n"
				  "Host: 127.0.0.1\r\n"
				  "X-Admin-Key: " MOCK_ADMIN_KEY "\r\n"
				  "Content-Length: 1000000000\r\n\r\n";
	struct sockaddr_in sin;
	struct pollfd p;
	char buf[2048];
	ssize_t n;
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)mock_shared->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
	p.fd = fd;
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, 5000), 1);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_true(strncmp(buf, "HTTP/1.1 413", 12) == 0);
	assert_non_null(strstr(buf, "payload_too_large"));
	close(fd);
}

/* §1.7.2: query strings up to 4096 bytes pass, 4097 are 400. */
static void test_query_cap_is_4096_bytes(void **state)
{
	char path[4200 + 64];
	size_t base;

	(void)state;
	base = (size_t)snprintf(path, sizeof(path), "/api/v1/fetch/tenants?x=");
	memset(path + base, 'a', 4096 - 2);
	path[base + 4096 - 2] = '\0';
	expect(mock_shared, "GET", path, NULL, 1, 200, NULL);
	path[base + 4096 - 2] = 'a';
	path[base + 4096 - 1] = '\0';
	expect(mock_shared, "GET", path, NULL, 1, 400, "malformed_request");
}

/* Never a 500 (or a crash) for bad input on any admin or control route. */
static void test_garbage_never_500(void **state)
{
	static const char *const routes[][2] = {
		{"POST", "/api/v1/provision/tenant"},
		{"POST", "/api/v1/update/tenant?tenant_id=019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f"},
		{"POST", "/api/v1/rotate/tenant-secret?tenant_id=%00"},
		{"POST", "/api/v1/rotate/widget-key?tenant_id=%ff%fe"},
		{"POST", "/api/v1/suspend/tenant?tenant_id=&&&="},
		{"GET", "/api/v1/fetch/tenant?tenant_id=%"},
		{"GET", "/api/v1/fetch/tenants?limit=99999999999999999999&offset=%20"},
		{"PUT", "/__mock/clock"},
		{"POST", "/__mock/clock/advance"},
		{"POST", "/__mock/faults"},
		{"GET", "/__mock/journal?limit=%2B1&tenant_id=%00"},
		{"POST", "/api/v1/relay/create/conversation"},
	};
	static const char *const bodies[] = {
		"",
		"{",
		"\"\\ud800\"",
		"{\"tenant_name\":\"\\u0000\"}",
		"{\"tenant_name\":[1,2,{}],\"allowed_origins\":[[\"x\"]]}",
		"{\"tenant_name\":\"a\",\"allowed_origins\":[\"" /* unterminated */,
		"{\"now_ms\":1e400,\"ms\":-1e400}",
		"{\"path_prefix\":{},\"times\":-9223372036854775808}",
		"{\"tenant_name\":\"a\",\"rate_limit_per_min\":9223372036854775807}",
		"\xc3\x28",
		/* in parentheses: one literal in pieces (clang -Wstring-concatenation) */
		("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]"
		 "]"
		 "]]]"),
	};
	struct client_response resp;
	size_t r, b;

	(void)state;
	for (r = 0; r < sizeof(routes) / sizeof(routes[0]); r++) {
		for (b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
			assert_int_equal(mock_call(mock_shared, routes[r][0], routes[r][1],
						   bodies[b], 1, NULL, &resp),
					 0);
			if (resp.status >= 500 || resp.status < 200)
				fprintf(stderr, "%s %s [%s] -> %ld %s\n", routes[r][0],
					routes[r][1], bodies[b], resp.status, resp.body);
			assert_true(resp.status >= 200 && resp.status < 500);
			client_response_cleanup(&resp);
		}
	}
}

/* Runs the binary with args (shell words, trusted) and returns its exit status. */
static int run_status(const char *args, char *out, size_t size, int want_stderr)
{
	const char *bin = getenv("MOCK_RELAY_BIN");
	char cmd[1024];
	FILE *p;
	size_t n = 0;
	int st;

	if (bin == NULL || bin[0] == '\0')
		bin = MOCK_RELAY_BIN;
	snprintf(cmd, sizeof(cmd), "'%s' %s %s", bin, args,
		 want_stderr ? "2>&1 >/dev/null" : "2>/dev/null");
	p = popen(cmd, "r");
	assert_non_null(p);
	if (out != NULL && size > 0) {
		n = fread(out, 1, size - 1, p);
		out[n] = '\0';
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Issue 3 flags: --help/--version exit 0; bad flags print usage on stderr, exit 2. */
static void test_command_line(void **state)
{
	static const char *const bad[] = {
		"--bogus",        "--port 70000",      "--port abc",       "--port -1",
		"--threads 0",    "--log-format xml",  "--journal-size 0", "extra",
		"--admin-key ''", "--admin-key 'a b'", "--port",           "--callback-attempts 0",
	};
	char out[4096];
	size_t i;

	(void)state;
	assert_int_equal(run_status("--help", out, sizeof(out), 0), 0);
	assert_non_null(strstr(out, "usage: mock-relay"));
	assert_non_null(strstr(out, "--reject-replays"));
	assert_int_equal(run_status("--version", out, sizeof(out), 0), 0);
	assert_true(strncmp(out, "mock-relay ", 11) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(run_status(bad[i], out, sizeof(out), 1), 2);
		assert_non_null(strstr(out, "usage: mock-relay"));
	}
}

/* §2.1.3 (brief): no key given -> one is generated and printed once on stdout. */
static void test_admin_key_generated_or_from_env(void **state)
{
	static const char *const args[] = {"--port", "0", NULL};
	char line[256], header[300];
	const char *hs[] = {header, NULL};
	struct client_response resp;
	struct mock *g;
	char *log;

	(void)state;
	unsetenv("MOCK_RELAY_ADMIN_KEY");
	g = mock_start_argv(args, 0, line, sizeof(line));
	assert_non_null(g);
	assert_true(strncmp(line, "admin key: ak_", 14) == 0);
	assert_int_equal(strlen(line + 11), KEY_STR_LEN);
	snprintf(header, sizeof(header), "X-Admin-Key: %s", line + 11);
	assert_int_equal(mock_call(g, "GET", "/api/v1/fetch/tenants", NULL, 0, hs, &resp), 0);
	assert_int_equal(resp.status, 200);
	client_response_cleanup(&resp);
	expect(g, "GET", "/api/v1/fetch/tenants", NULL, 1, 401, "invalid_admin_key");
	log = mock_log(g);
	assert_non_null(log);
	assert_null(strstr(log, line + 11));
	free(log);
	assert_int_equal(mock_stop(g), 0);

	setenv("MOCK_RELAY_ADMIN_KEY", "env-admin-key", 1);
	g = mock_start_argv(args, 0, line, sizeof(line));
	unsetenv("MOCK_RELAY_ADMIN_KEY");
	assert_non_null(g);
	assert_string_equal(line, ""); /* nothing printed */
	snprintf(header, sizeof(header), "X-Admin-Key: env-admin-key");
	assert_int_equal(mock_call(g, "GET", "/api/v1/fetch/tenants", NULL, 0, hs, &resp), 0);
	assert_int_equal(resp.status, 200);
	client_response_cleanup(&resp);
	assert_int_equal(mock_stop(g), 0);
}

/* One JSON log line per request with method, path, status, tenant, error, duration. */
static void test_json_log_lines_content(void **state)
{
	static const char *const args[] = {"--log-format", "json", NULL};
	struct mock *j = mock_start(args);
	struct mock_tenant tn;
	char *log, *line, *save = NULL;
	int seen = 0;

	(void)state;
	assert_non_null(j);
	assert_int_equal(mock_provision(j, "{\"tenant_name\":\"log\"}", &tn), 0);
	expect(j, "GET", "/nope", NULL, 0, 404, "not_found");
	/* each line is written after its answer went out: wait for both */
	log = mock_log_wait(j, "/api/v1/provision/tenant");
	assert_non_null(log);
	free(log);
	log = mock_log_wait(j, "/nope");
	assert_non_null(log);
	for (line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, NULL);

		if (o == NULL)
			continue; /* e.g. the shutdown notice */
		assert_true(json_is_string(json_object_get(o, "method")));
		assert_true(json_is_string(json_object_get(o, "path")));
		assert_true(json_is_integer(json_object_get(o, "status")));
		assert_true(json_is_integer(json_object_get(o, "duration_us")));
		if (json_integer_value(json_object_get(o, "status")) == 201) {
			assert_string_equal(json_string_value(json_object_get(o, "tenant_id")),
					    tn.tenant_id);
			seen++;
		}
		if (json_integer_value(json_object_get(o, "status")) == 404) {
			assert_string_equal(json_string_value(json_object_get(o, "error")),
					    "not_found");
			seen++;
		}
		json_decref(o);
	}
	assert_int_equal(seen, 2);
	assert_null(strstr(log, tn.tenant_secret));
	free(log);
	assert_int_equal(mock_stop(j), 0);
}

struct slow_call {
	struct mock *mm;
	long status;
};

static void *do_slow_call(void *arg)
{
	struct slow_call *c = arg;
	struct relay_client *cl = client_new(c->mm->base_url);
	static const char *const key[] = {"X-Admin-Key: " MOCK_ADMIN_KEY};
	struct client_request req = {"GET", "/api/v1/fetch/tenants", key, 1, NULL, 0, 0};
	struct client_response resp;

	if (cl != NULL && client_perform(cl, &req, &resp) == RELAY_OK)
		c->status = resp.status;
	client_response_cleanup(&resp);
	client_free(cl);
	return NULL;
}

/*
 * Whether the mock's one fault rule is still armed: GET /__mock/faults lists it until
 * a request takes it (the rule has times 1), which that request does in flight.
 */
static int fault_armed(struct mock *mm)
{
	long status = 0;
	json_t *env = mock_admin(mm, "GET", "/__mock/faults", NULL, &status);
	size_t n = json_array_size(json_object_get(json_object_get(env, "data"), "items"));

	json_decref(env);
	assert_int_equal(status, 200);
	return n > 0;
}

/* Issue 3: SIGTERM lets an in-flight request finish, then exits 0. */
static void test_sigterm_finishes_in_flight_requests(void **state)
{
	struct mock *s = mock_start(NULL);
	struct slow_call c;
	struct timespec ts = {0, 10 * 1000000L};
	pthread_t t;
	long status = 0;
	json_t *env;
	int waited;

	(void)state;
	assert_non_null(s);
	env = mock_admin(s, "POST", "/__mock/faults",
			 "{\"path_prefix\":\"/api/v1/fetch/tenants\",\"delay_ms\":2000}", &status);
	json_decref(env);
	assert_int_equal(status, 201);
	c.mm = s;
	c.status = 0;
	assert_int_equal(pthread_create(&t, NULL, do_slow_call, &c), 0);
	/* SIGTERM once the slow request is in flight (it took the fault), not after a guess */
	for (waited = 0; waited < 10000 && fault_armed(s); waited += 10)
		nanosleep(&ts, NULL);
	assert_false(fault_armed(s));
	kill(s->pid, SIGTERM);
	pthread_join(t, NULL);
	assert_int_equal(c.status, 200);
	assert_int_equal(mock_stop(s), 0);
}

struct provisioner {
	struct mock *mm;
	int ok;
};

static void *provision_many(void *arg)
{
	struct provisioner *p = arg;
	static const char *const hs[] = {"X-Admin-Key: " MOCK_ADMIN_KEY};
	static const char body[] = "{\"tenant_name\":\"c\"}";
	struct client_request req = {"POST", "/api/v1/provision/tenant", hs, 1,
				     body,   sizeof(body) - 1,           0};
	struct relay_client *cl = client_new(p->mm->base_url);
	struct client_response resp;
	int i;

	for (i = 0; cl != NULL && i < 25; i++) {
		if (client_perform(cl, &req, &resp) == RELAY_OK && resp.status == 201)
			p->ok++;
		client_response_cleanup(&resp);
	}
	client_free(cl);
	return NULL;
}

/* The store under the thread pool: concurrent provisions all land, in order. */
static void test_concurrent_provisions(void **state)
{
	struct provisioner p[4];
	pthread_t t[4];
	long status = 0;
	json_t *env;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		p[i].mm = mock_shared;
		p[i].ok = 0;
		assert_int_equal(pthread_create(&t[i], NULL, provision_many, &p[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(p[i].ok, 25);
	}
	env = mock_admin(mock_shared, "GET", "/api/v1/fetch/tenants?limit=200", NULL, &status);
	assert_int_equal(status, 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(env, "data"), "total")),
			 100);
	json_decref(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unknown_paths_are_404, mock_shared_reset),
		cmocka_unit_test_setup(test_wrong_method_is_405_with_allow, mock_shared_reset),
		cmocka_unit_test_setup(test_body_cap_is_65536_bytes, mock_shared_reset),
		cmocka_unit_test_setup(test_huge_content_length_refused_without_reading,
				       mock_shared_reset),
		cmocka_unit_test_setup(test_query_cap_is_4096_bytes, mock_shared_reset),
		cmocka_unit_test_setup(test_garbage_never_500, mock_shared_reset),
		cmocka_unit_test_setup(test_duplicated_query_parameters_are_400, mock_shared_reset),
		cmocka_unit_test(test_command_line),
		cmocka_unit_test(test_admin_key_generated_or_from_env),
		cmocka_unit_test(test_json_log_lines_content),
		cmocka_unit_test(test_sigterm_finishes_in_flight_requests),
		cmocka_unit_test_setup(test_concurrent_provisions, mock_shared_reset),
	};

	return cmocka_run_group_tests(tests, mock_shared_start, mock_shared_stop);
}
