/*
 * test_wsclient.c - relay_wsclient: URL refusals, connect failures, and the TLS paths
 * against `openssl s_server -www` with a self-signed certificate made at test time
 * (verification fails by default, the hostname is checked, the insecure option gets
 * past TLS, and the non-WebSocket answer fails the upgrade cleanly). The WebSocket
 * exchange itself is exercised against the mock by the conformance ws.* cases.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "relay_wsclient.h"

struct tls_server {
	char dir[64];
	char cert[128];
	pid_t pid;
	int port;
};

static struct tls_server g_srv;

static void test_url_refusals(void **state)
{
	static const char *const bad[] = {"http://127.0.0.1:1/", "ws://",        "ws://:80/",
					  "ws://user@host/",     "ws://h:0/",    "ws://h:65536/",
					  "ws://h:x/",           "ws://[::1/",   "ws://h/#frag",
					  "ws://h/a b",          "wss://[]:443/"};
	struct wsclient_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(wsclient_connect(bad[i], NULL, 1000, &err));
		assert_int_equal(err.stage, WSCLIENT_STAGE_URL);
		assert_int_equal(err.http_status, 0);
	}
	assert_null(wsclient_connect(NULL, NULL, 1000, NULL));
	wsclient_free(NULL);
}

/* A port nothing listens on: bind to port 0, read it, close. */
static int closed_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void test_connect_refused(void **state)
{
	struct wsclient_error err;
	char url[64];

	(void)state;
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/x", closed_port());
	assert_null(wsclient_connect(url, NULL, 2000, &err));
	assert_int_equal(err.stage, WSCLIENT_STAGE_CONNECT);
	assert_null(wsclient_connect("ws://no-such-host.invalid/", NULL, 2000, &err));
	assert_int_equal(err.stage, WSCLIENT_STAGE_CONNECT);
}

/* Self-signed certificate for localhost (SAN DNS:localhost only) and s_server -www. */
static int tls_setup(void **state)
{
	char cmd[512], line[256];
	int pipefd[2];
	FILE *f;

	(void)state;
	snprintf(g_srv.dir, sizeof(g_srv.dir), "/tmp/wsclient-XXXXXX");
	if (mkdtemp(g_srv.dir) == NULL)
		return -1;
	snprintf(g_srv.cert, sizeof(g_srv.cert), "%s/cert.pem", g_srv.dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/key.pem -out %s -days 1 "
		 "-subj /CN=localhost -addext subjectAltName=DNS:localhost >/dev/null 2>&1",
		 g_srv.dir, g_srv.cert);
	if (system(cmd) != 0)
		return -1;
	if (pipe(pipefd) != 0)
		return -1;
	g_srv.pid = fork();
	if (g_srv.pid < 0)
		return -1;
	if (g_srv.pid == 0) {
		char key[128];

		snprintf(key, sizeof(key), "%s/key.pem", g_srv.dir);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		execlp("openssl", "openssl", "s_server", "-accept", "0", "-www", "-cert",
		       g_srv.cert, "-key", key, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	f = fdopen(pipefd[0], "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strrchr(line, ':');

		if (strncmp(line, "ACCEPT", 6) == 0 && colon != NULL) {
			g_srv.port = atoi(colon + 1);
			break;
		}
	}
	/* s_server's later output is not read: leave the pipe open (closed at exit). */
	return g_srv.port > 0 ? 0 : -1;
}

static int tls_teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (g_srv.pid > 0) {
		kill(g_srv.pid, SIGTERM);
		waitpid(g_srv.pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", g_srv.dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_tls_self_signed_refused_by_default(void **state)
{
	struct wsclient_error err;
	char url[64];

	(void)state;
	snprintf(url, sizeof(url), "wss://localhost:%d/api/v1/ws/widget?token=x", g_srv.port);
	assert_null(wsclient_connect(url, NULL, 5000, &err));
	assert_int_equal(err.stage, WSCLIENT_STAGE_TLS);
	assert_non_null(strstr(err.text, "certificate"));
}

static void test_tls_hostname_mismatch_refused(void **state)
{
	struct wsclient_options opt = {NULL, 5000, false, g_srv.cert};
	struct wsclient_error err;
	char url[64];

	(void)state;
	/* trusted certificate, but for localhost, not 127.0.0.1 */
	snprintf(url, sizeof(url), "wss://127.0.0.1:%d/", g_srv.port);
	assert_null(wsclient_connect_opts(url, &opt, &err));
	assert_int_equal(err.stage, WSCLIENT_STAGE_TLS);
	assert_non_null(strstr(err.text, "certificate"));
}

static void test_tls_trusted_then_upgrade_refused(void **state)
{
	struct wsclient_options opt = {"https://shop.demo.com", 5000, false, g_srv.cert};
	struct wsclient_error err;
	char url[64];

	(void)state;
	snprintf(url, sizeof(url), "wss://localhost:%d/", g_srv.port);
	assert_null(wsclient_connect_opts(url, &opt, &err));
	assert_int_equal(err.stage, WSCLIENT_STAGE_HTTP);
}

static void test_tls_insecure_then_upgrade_refused(void **state)
{
	struct wsclient_options opt = {NULL, 5000, true, NULL};
	struct wsclient_error err;
	char url[64];

	(void)state;
	snprintf(url, sizeof(url), "wss://127.0.0.1:%d/", g_srv.port);
	assert_null(wsclient_connect_opts(url, &opt, &err));
	/* past TLS: s_server -www answers HTTP/1.0 200, not a 101 */
	assert_int_equal(err.stage, WSCLIENT_STAGE_HTTP);
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_url_refusals),
		cmocka_unit_test(test_connect_refused),
	};
	const struct CMUnitTest tls[] = {
		cmocka_unit_test(test_tls_self_signed_refused_by_default),
		cmocka_unit_test(test_tls_hostname_mismatch_refused),
		cmocka_unit_test(test_tls_trusted_then_upgrade_refused),
		cmocka_unit_test(test_tls_insecure_then_upgrade_refused),
	};
	int failed;

	signal(SIGPIPE, SIG_IGN);
	failed = cmocka_run_group_tests_name("wsclient", plain, NULL, NULL);
	if (system("openssl version >/dev/null 2>&1") != 0) {
		puts("wsclient_tls: skipped, no openssl command to make a certificate and serve "
		     "it");
		return failed;
	}
	failed += cmocka_run_group_tests_name("wsclient_tls", tls, tls_setup, tls_teardown);
	return failed;
}
