/*
 * test_wsclient.c - relay_wsclient: URL refusals, connect failures, the 101 checks and
 * frame reading and writing (binary, ping and pong, a send that fails after the
 * peer's close) against a one-connection fake server, and the TLS paths
 * against `openssl s_server -www` with a self-signed certificate made at test time
 * (verification fails by default, the hostname is checked, the insecure option gets
 * past TLS, and the non-WebSocket answer fails the upgrade cleanly). The WebSocket
 * exchange itself is exercised against the mock by the conformance ws.* cases.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
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
#include <openssl/evp.h>
#include <pthread.h>

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

/*
 * A one-connection fake server: reads the upgrade request, answers with the mode's
 * canned head (accept computed from the request's key when the mode wants it right),
 * then writes the mode's raw bytes (RFC 6455 §5.2 known-answer frames).
 */
enum fake_mode {
	FAKE_OK,
	FAKE_BAD_ACCEPT,
	FAKE_NO_UPGRADE,
	FAKE_403,
	FAKE_HUGE_HEAD,
	FAKE_PONG,
	FAKE_CLOSE_UNREAD
};

struct fake {
	int listen_fd, port;
	enum fake_mode mode;
	pthread_t thread;
	char seen[64]; /* FAKE_PONG: the client's frames, "opcode:payload " each */
};

static bool recv_all(int fd, unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);

		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

/*
 * Known-answer check of one client frame (RFC 6455 §5.2): FIN set, masked, payload
 * under 126 bytes; appends "opcode:payload " (unmasked) to out, or "?" when the
 * frame is not that.
 */
static void read_client_frame(int fd, char *out, size_t size)
{
	unsigned char h[6], p[126];
	size_t n, have = strlen(out);

	if (!recv_all(fd, h, 2) || (h[0] & 0x80) == 0 || (h[1] & 0x80) == 0 ||
	    (n = h[1] & 0x7f) >= 126 || !recv_all(fd, h + 2, 4) || !recv_all(fd, p, n)) {
		snprintf(out + have, size - have, "?");
		return;
	}
	for (size_t i = 0; i < n; i++)
		p[i] ^= h[2 + i % 4];
	snprintf(out + have, size - have, "%x:%.*s ", h[0] & 0x0f, (int)n, (const char *)p);
}

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	char req[4096] = "", key[64] = "", buf[256], acc[64];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	size_t have = 0;
	int fd = accept(f->listen_fd, NULL, NULL);
	const char *k;

	if (fd < 0)
		return NULL;
	while (strstr(req, "\r\n\r\n") == NULL && have < sizeof(req) - 1) {
		ssize_t n = recv(fd, req + have, sizeof(req) - 1 - have, 0);

		if (n <= 0)
			break;
		have += (size_t)n;
		req[have] = '\0';
	}
	k = strstr(req, "Sec-WebSocket-Key: ");
	if (k != NULL)
		sscanf(k + 19, "%63[^\r]", key);
	snprintf(buf, sizeof(buf), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
		 f->mode == FAKE_BAD_ACCEPT ? "x" : key);
	EVP_Digest(buf, strlen(buf), md, &md_len, EVP_sha1(), NULL);
	EVP_EncodeBlock((unsigned char *)acc, md, (int)md_len);
	if (f->mode == FAKE_OK || f->mode == FAKE_BAD_ACCEPT || f->mode == FAKE_PONG ||
	    f->mode == FAKE_CLOSE_UNREAD) {
		/* FAKE_OK: a text frame "hi" and a close 1000 "bye", unmasked (server to client) */
		static const char hi_bye[] = "\x81\x02hi\x88\x05\x03\xe8"
					     "bye";
		/* FAKE_PONG: a pong "p", then a text frame "ok" for the client to return */
		static const char pong_ok[] = "\x8a\x01p\x81\x02ok";
		/* FAKE_CLOSE_UNREAD: a close 1009 "too big" */
		static const char too_big[] = "\x88\x09\x03\xf1too big";

		snprintf(req, sizeof(req),
			 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n"
			 "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			 acc);
		send(fd, req, strlen(req), MSG_NOSIGNAL);
		if (f->mode == FAKE_PONG) {
			read_client_frame(fd, f->seen, sizeof(f->seen)); /* the binary message */
			read_client_frame(fd, f->seen, sizeof(f->seen)); /* the ping */
			send(fd, pong_ok, sizeof(pong_ok) - 1, MSG_NOSIGNAL);
		} else if (f->mode == FAKE_CLOSE_UNREAD) {
			/* then hang up at once: the client's next writes fail */
			send(fd, too_big, sizeof(too_big) - 1, MSG_NOSIGNAL);
			close(fd);
			return NULL;
		} else {
			send(fd, hi_bye, sizeof(hi_bye) - 1, MSG_NOSIGNAL);
		}
	} else if (f->mode == FAKE_NO_UPGRADE) {
		snprintf(req, sizeof(req),
			 "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Accept: %s\r\n\r\n",
			 acc);
		send(fd, req, strlen(req), MSG_NOSIGNAL);
	} else if (f->mode == FAKE_403) {
		static const char ans[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\n"
					  "forbidden";

		send(fd, ans, sizeof(ans) - 1, MSG_NOSIGNAL);
	} else {
		static const char line[] =
			"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";

		send(fd, "HTTP/1.1 101 Switching Protocols\r\n", 34, MSG_NOSIGNAL);
		for (int i = 0; i < 400; i++)
			if (send(fd, line, sizeof(line) - 1, MSG_NOSIGNAL) < 0)
				break;
	}
	/* wait for the client to hang up (bounded by the client's own timeouts) */
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	close(fd);
	return NULL;
}

static void fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);

	f->mode = mode;
	f->seen[0] = '\0';
	f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->listen_fd >= 0);
	assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->listen_fd, 1), 0);
	assert_int_equal(getsockname(f->listen_fd, (struct sockaddr *)&sa, &sl), 0);
	f->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

static void fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
}

static struct wsclient *fake_connect(struct fake *f, enum fake_mode mode,
				     struct wsclient_error *err)
{
	char url[64];

	fake_start(f, mode);
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/api/v1/ws/widget?token=t", f->port);
	return wsclient_connect(url, "https://shop.demo.com", 10000, err);
}

/*
 * The next wsclient_recv (10 s at most: the fake server is a thread that a busy
 * machine may run late) gives want_op with the payload want; then (when lost_after)
 * the connection is over.
 */
static void expect_recv(struct wsclient *c, int want_op, const char *want, bool lost_after)
{
	char *payload = NULL;
	size_t len = 0;
	int op = 0;

	assert_int_equal(wsclient_recv(c, 10000, &op, &payload, &len), WSCLIENT_GOT);
	assert_int_equal(op, want_op);
	assert_int_equal(len, strlen(want));
	assert_string_equal(payload, want);
	free(payload);
	if (lost_after)
		assert_int_equal(wsclient_recv(c, 200, &op, &payload, &len), WSCLIENT_LOST);
}

static void test_text_frame_then_close(void **state)
{
	struct wsclient_error err;
	struct fake f;
	struct wsclient *c = fake_connect(&f, FAKE_OK, &err);

	(void)state;
	assert_non_null(c);
	expect_recv(c, WSCLIENT_TEXT, "hi", false);
	expect_recv(c, WSCLIENT_CLOSE, "bye", true);
	assert_int_equal(wsclient_close_code(c), 1000);
	wsclient_free(c);
	fake_stop(&f);
}

/* A binary message and a ping go out masked (§5.3) with their opcodes; the pong is counted. */
static void test_binary_and_ping_then_pong_counted(void **state)
{
	struct wsclient_error err;
	struct fake f;
	struct wsclient *c = fake_connect(&f, FAKE_PONG, &err);

	(void)state;
	assert_non_null(c);
	assert_int_equal(wsclient_pongs(c), 0);
	assert_int_equal(wsclient_send_binary(c, "abc", 3), RELAY_OK);
	assert_int_equal(wsclient_send_ping(c), RELAY_OK);
	expect_recv(c, WSCLIENT_TEXT, "ok", false);
	assert_int_equal(wsclient_pongs(c), 1);
	wsclient_free(c);
	fake_stop(&f);
	assert_string_equal(f.seen, "2:abc 9:p ");
	assert_int_equal(wsclient_pongs(NULL), 0);
	assert_int_equal(wsclient_send_binary(NULL, "x", 1), RELAY_E_INVALID_ARGUMENT);
	assert_int_equal(wsclient_send_ping(NULL), RELAY_E_INVALID_ARGUMENT);
}

/*
 * A peer that closes (1009) and hangs up while a big message is still going out: the
 * send fails, and the close frame that came before is still returned.
 */
static void test_close_frame_read_after_failed_send(void **state)
{
	struct wsclient_error err;
	struct fake f;
	struct wsclient *c = fake_connect(&f, FAKE_CLOSE_UNREAD, &err);
	char *big = calloc(1, WSCLIENT_FRAME_MAX);

	(void)state;
	assert_non_null(c);
	assert_non_null(big);
	fake_stop(&f); /* the fake has hung up */
	assert_int_equal(wsclient_send_binary(c, big, WSCLIENT_FRAME_MAX), RELAY_E_IO);
	free(big);
	expect_recv(c, WSCLIENT_CLOSE, "too big", true);
	assert_int_equal(wsclient_close_code(c), 1009);
	wsclient_free(c);
}

static void test_bad_accept_refused(void **state)
{
	struct wsclient_error err;
	struct fake f;

	(void)state;
	assert_null(fake_connect(&f, FAKE_BAD_ACCEPT, &err));
	assert_int_equal(err.stage, WSCLIENT_STAGE_HTTP);
	assert_int_equal(err.http_status, 101);
	assert_non_null(strstr(err.text, "Sec-WebSocket-Accept"));
	fake_stop(&f);
}

static void test_missing_upgrade_refused(void **state)
{
	struct wsclient_error err;
	struct fake f;

	(void)state;
	assert_null(fake_connect(&f, FAKE_NO_UPGRADE, &err));
	assert_int_equal(err.stage, WSCLIENT_STAGE_HTTP);
	assert_non_null(strstr(err.text, "Upgrade"));
	fake_stop(&f);
}

static void test_refusal_status_and_body(void **state)
{
	struct wsclient_error err;
	struct fake f;

	(void)state;
	assert_null(fake_connect(&f, FAKE_403, &err));
	assert_int_equal(err.stage, WSCLIENT_STAGE_HTTP);
	assert_int_equal(err.http_status, 403);
	assert_string_equal(err.body, "forbidden");
	fake_stop(&f);
}

static void test_handshake_over_cap_refused(void **state)
{
	struct wsclient_error err;
	struct fake f;

	(void)state;
	assert_null(fake_connect(&f, FAKE_HUGE_HEAD, &err));
	assert_int_equal(err.stage, WSCLIENT_STAGE_HTTP);
	assert_non_null(strstr(err.text, "16 KiB"));
	fake_stop(&f);
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
		cmocka_unit_test(test_text_frame_then_close),
		cmocka_unit_test(test_binary_and_ping_then_pong_counted),
		cmocka_unit_test(test_close_frame_read_after_failed_send),
		cmocka_unit_test(test_bad_accept_refused),
		cmocka_unit_test(test_missing_upgrade_refused),
		cmocka_unit_test(test_refusal_status_and_body),
		cmocka_unit_test(test_handshake_over_cap_refused),
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
