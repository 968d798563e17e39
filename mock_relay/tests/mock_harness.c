/*
 * mock_harness.c - see mock_harness.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "relay_clock.h"
#include "mock_harness.h"

#ifndef MOCK_RELAY_BIN
#define MOCK_RELAY_BIN "build/bin/mock-relay"
#endif

#define MAX_ARGS      32
#define START_WAIT_MS 10000

/* Reads one line from fd within wait_ms; 0 on success. */
static int read_line(int fd, char *buf, size_t size, int wait_ms)
{
	size_t n = 0;
	struct pollfd p = {fd, POLLIN, 0};

	while (n + 1 < size) {
		ssize_t r;

		if (poll(&p, 1, wait_ms) <= 0)
			return -1;
		r = read(fd, buf + n, 1);
		if (r <= 0)
			return -1;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return 0;
		}
		n++;
	}
	return -1;
}

struct mock *mock_start(const char *const *extra)
{
	return mock_start_argv(extra, 1, NULL, 0);
}

struct mock *mock_start_argv(const char *const *extra, int defaults, char *second_line, size_t size)
{
	const char *bin = getenv("MOCK_RELAY_BIN");
	const char *argv[MAX_ARGS + 1];
	char line[256];
	struct mock *m;
	int pipefd[2] = {-1, -1}, logfd, argc = 0, i;
	const char *prefix = "mock-relay listening on http://127.0.0.1:";

	if (second_line != NULL && size > 0)
		second_line[0] = '\0';

	if (bin == NULL || bin[0] == '\0')
		bin = MOCK_RELAY_BIN;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->pid = -1;
	m->stdout_fd = -1;
	snprintf(m->log_path, sizeof(m->log_path), "/tmp/mock-relay-log-XXXXXX");
	logfd = mkstemp(m->log_path);
	if (logfd < 0 || pipe(pipefd) != 0)
		goto fail;
	argv[argc++] = bin;
	if (defaults) {
		argv[argc++] = "--port";
		argv[argc++] = "0";
		argv[argc++] = "--admin-key";
		argv[argc++] = MOCK_ADMIN_KEY;
	}
	for (i = 0; extra != NULL && extra[i] != NULL && argc < MAX_ARGS; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	m->pid = fork();
	if (m->pid < 0)
		goto fail;
	if (m->pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		close(logfd);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	close(logfd);
	logfd = -1;
	m->stdout_fd = pipefd[0];
	if (read_line(m->stdout_fd, line, sizeof(line), START_WAIT_MS) != 0 ||
	    strncmp(line, prefix, strlen(prefix)) != 0) {
		fprintf(stderr, "mock_harness: %s did not start\n", bin);
		goto fail;
	}
	if (second_line != NULL && size > 0 &&
	    read_line(m->stdout_fd, second_line, size, 2000) != 0)
		second_line[0] = '\0';
	m->port = atoi(line + strlen(prefix));
	snprintf(m->base_url, sizeof(m->base_url), "http://127.0.0.1:%d", m->port);
	m->client = client_new(m->base_url);
	if (m->client == NULL)
		goto fail;
	return m;
fail:
	if (logfd >= 0)
		close(logfd);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	mock_stop(m);
	return NULL;
}

int mock_stop(struct mock *m)
{
	int status = 0, waited = 0, ret = -1;

	if (m == NULL)
		return -1;
	if (m->pid > 0) {
		kill(m->pid, SIGTERM);
		while (waitpid(m->pid, &status, WNOHANG) == 0) {
			struct timespec ts = {0, 10 * 1000000L};

			if (waited >= 10000) {
				kill(m->pid, SIGKILL);
				waitpid(m->pid, &status, 0);
				break;
			}
			nanosleep(&ts, NULL);
			waited += 10;
		}
		if (WIFEXITED(status))
			ret = WEXITSTATUS(status);
	}
	if (m->stdout_fd >= 0)
		close(m->stdout_fd);
	client_free(m->client);
	if (m->log_path[0] != 0)
		unlink(m->log_path);
	free(m);
	return ret;
}

struct mock *mock_shared;

int mock_shared_start(void **state)
{
	(void)state;
	mock_shared = mock_start(NULL);
	return mock_shared != NULL ? 0 : -1;
}

int mock_shared_stop(void **state)
{
	(void)state;
	return mock_stop(mock_shared) == 0 ? 0 : -1;
}

int mock_shared_reset(void **state)
{
	long status = 0;
	json_t *env = mock_admin(mock_shared, "POST", "/__mock/reset", NULL, &status);

	(void)state;
	json_decref(env);
	return status == 200 ? 0 : -1;
}

char *mock_log(const struct mock *m)
{
	FILE *f = fopen(m->log_path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = calloc(1, (size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

char *mock_log_wait(const struct mock *m, const char *needle)
{
	struct timespec ts = {0, 10 * 1000000L};
	int waited;

	for (waited = 0; waited < 10000; waited += 10) {
		char *log = mock_log(m);

		if (log != NULL && strstr(log, needle) != NULL)
			return log;
		free(log);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int mock_call(struct mock *m, const char *method, const char *path, const char *body, int admin,
	      const char *const *headers, struct client_response *resp)
{
	const char *lines[10];
	struct client_request req;
	size_t n = 0, i;

	memset(&req, 0, sizeof(req));
	if (admin)
		lines[n++] = "X-Admin-Key: " MOCK_ADMIN_KEY;
	for (i = 0; headers != NULL && headers[i] != NULL && n < 9; i++)
		lines[n++] = headers[i];
	lines[n++] = "Content-Type: application/json";
	req.method = method;
	req.path = path;
	req.headers = lines;
	req.n_headers = n;
	req.body = body;
	req.body_len = body != NULL ? strlen(body) : 0;
	return client_perform(m->client, &req, resp) == RELAY_OK ? 0 : -1;
}

json_t *mock_admin(struct mock *m, const char *method, const char *path, const char *body,
		   long *status)
{
	struct client_response resp;
	json_t *j = NULL;

	*status = 0;
	if (mock_call(m, method, path, body, 1, NULL, &resp) == 0) {
		*status = resp.status;
		j = client_response_json(&resp);
	}
	client_response_cleanup(&resp);
	return j;
}

int mock_signed(struct mock *m, const char *method, const char *path, const char *body,
		const char *tenant_id, const char *secret, int64_t ts_ms,
		struct client_response *resp)
{
	static const char *const ct[] = {"Content-Type: application/json"};
	struct client_request req;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.headers = ct;
	req.n_headers = 1;
	req.body = body;
	req.body_len = body != NULL ? strlen(body) : 0;
	return client_signed(m->client, &req, tenant_id, secret, ts_ms, resp, NULL) == RELAY_OK
		       ? 0
		       : -1;
}

static int copy_field(const json_t *data, const char *name, char *out, size_t size)
{
	const char *s = json_string_value(json_object_get(data, name));

	if (s == NULL || strlen(s) >= size)
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int mock_provision(struct mock *m, const char *body, struct mock_tenant *out)
{
	long status = 0;
	json_t *env = mock_admin(m, "POST", "/api/v1/provision/tenant", body, &status);
	const json_t *data = json_object_get(env, "data");
	int rc = -1;

	if (status == 201 &&
	    copy_field(data, "tenant_id", out->tenant_id, sizeof(out->tenant_id)) == 0 &&
	    copy_field(data, "tenant_secret", out->tenant_secret, sizeof(out->tenant_secret)) ==
		    0 &&
	    copy_field(data, "widget_public_key", out->widget_public_key,
		       sizeof(out->widget_public_key)) == 0)
		rc = 0;
	json_decref(env);
	return rc;
}

int mock_set_clock(struct mock *m, int64_t now_ms)
{
	char body[64];
	long status = 0;
	json_t *env;

	snprintf(body, sizeof(body), "{\"now_ms\":%" PRId64 "}", now_ms);
	env = mock_admin(m, "PUT", "/__mock/clock", body, &status);
	json_decref(env);
	return status == 200 ? 0 : -1;
}

struct wsclient *mock_ws_open(struct mock *m, const char *path, const char *origin,
			      struct wsclient_error *err)
{
	size_t size = strlen(path) + 32;
	char *url = malloc(size);
	struct wsclient *c;

	if (url == NULL)
		return NULL;
	snprintf(url, size, "ws://127.0.0.1:%d%s", m->port, path);
	c = wsclient_connect(url, origin, 10000, err);
	free(url);
	return c;
}

char *mock_ws_recv_text(struct wsclient *c, int timeout_ms)
{
	char *payload = NULL;
	size_t len = 0;
	int op = 0;

	if (wsclient_recv(c, timeout_ms, &op, &payload, &len) != WSCLIENT_GOT)
		return NULL;
	if (op != WSCLIENT_TEXT) {
		free(payload);
		return NULL;
	}
	return payload;
}

int mock_ws_wait_close(struct wsclient *c, int timeout_ms, char *reason, size_t size)
{
	int64_t deadline = relay_clock_mono_ms() + timeout_ms;

	if (reason != NULL && size > 0)
		reason[0] = '\0';
	for (;;) {
		int64_t left = deadline - relay_clock_mono_ms();
		char *payload = NULL;
		size_t len = 0;
		int op = 0;

		if (wsclient_recv(c, left > 0 ? (int)left : 0, &op, &payload, &len) != WSCLIENT_GOT)
			break;
		if (op == WSCLIENT_CLOSE && reason != NULL && size > 0)
			snprintf(reason, size, "%s", payload);
		free(payload);
		if (op == WSCLIENT_CLOSE)
			break;
	}
	return wsclient_close_code(c);
}

const char *mock_error_code(const json_t *env)
{
	const char *s = json_string_value(json_object_get(json_object_get(env, "error"), "code"));

	return s != NULL ? s : "";
}

int mock_check_error(const struct client_response *resp, long status, const char *code,
		     const char *field)
{
	json_t *env = client_response_json(resp);
	const json_t *err = json_object_get(env, "error");
	const char *ct = client_response_header(resp, "Content-Type");
	const char *got_field = json_string_value(json_object_get(err, "field"));
	int ok;

	ok = env != NULL && resp->status == status &&
	     json_integer_value(json_object_get(env, "status_code")) == status &&
	     json_is_null(json_object_get(env, "data")) &&
	     json_is_string(json_object_get(env, "message")) &&
	     strcmp(mock_error_code(env), code) == 0 && ct != NULL &&
	     strcmp(ct, "application/json; charset=utf-8") == 0 &&
	     (field == NULL ? got_field == NULL
			    : (got_field != NULL && strcmp(got_field, field) == 0));
	if (!ok)
		fprintf(stderr, "expected %ld %s field=%s, got %ld: %s\n", status, code,
			field != NULL ? field : "(none)", resp->status,
			resp->body != NULL ? resp->body : "(no body)");
	json_decref(env);
	return ok ? 0 : -1;
}

json_t *mock_check_success(const struct client_response *resp, long status)
{
	json_t *env = client_response_json(resp);
	json_t *data = json_object_get(env, "data");
	const char *ct = client_response_header(resp, "Content-Type");

	if (env == NULL || resp->status != status ||
	    json_integer_value(json_object_get(env, "status_code")) != status ||
	    !json_is_object(data) || !json_is_string(json_object_get(env, "message")) ||
	    json_object_get(env, "error") != NULL || ct == NULL ||
	    strcmp(ct, "application/json; charset=utf-8") != 0) {
		fprintf(stderr, "expected success %ld, got %ld: %s\n", status, resp->status,
			resp->body != NULL ? resp->body : "(no body)");
		json_decref(env);
		return NULL;
	}
	json_incref(data);
	json_decref(env);
	return data;
}
