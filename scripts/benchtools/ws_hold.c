/*
 * ws_hold.c - benchmark helper: open many widget WebSockets, keep them open and
 * time the push of messages to them.
 *
 *   bench-ws-hold PORT TOKENS_FILE
 *
 * Reads one visitor token per line (a token may repeat: each line is one socket,
 * and sockets of one token share its conversation), opens /api/v1/ws/widget?token=
 * for each (handshake + welcome frame through lib/relay_wsclient, wslay framing)
 * and prints "open N failed F in MS ms", then "conv ID" for each conversation its
 * welcome frames named (once per run of lines with the same conversation) and
 * "end". Then it reads commands on stdin:
 *
 *   push E   E message frames are about to reach the sockets (the caller posts
 *            them through the relay API); each frame's content holds "t=<us>",
 *            the wall-clock microseconds when its POST was sent. Waits up to 60 s
 *            for E frames and prints "push got G of E p50 A p99 B max C" (push
 *            latency in microseconds: frame received - POST sent).
 *
 * At end of input it checks each socket is still open by sending an app-level ping
 * and waiting for its pong, and prints "alive N". Asserts nothing: scripts/bench
 * and scripts/bench_ws.py read the figures (SPEC.md §8, §13).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <sys/resource.h>

#include <jansson.h>

#include "relay_wsclient.h"

#define HOLD_MAX   20000
#define TOKEN_LINE 8192
#define PUSH_WAIT  60000 /* ms for every expected frame of one push */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The next text message within timeout_ms (caller frees), or NULL. */
static char *recv_text(struct wsclient *c, int timeout_ms)
{
	char *payload = NULL;
	size_t len;
	int op;

	if (wsclient_recv(c, timeout_ms, &op, &payload, &len) != WSCLIENT_GOT)
		return NULL;
	if (op != WSCLIENT_TEXT) {
		free(payload);
		return NULL;
	}
	return payload;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* Waits for expected message frames on the n clients; prints their latencies. */
static void push(struct wsclient **clients, size_t n, size_t expected)
{
	static struct epoll_event evs[256];
	long long *lat = calloc(expected > 0 ? expected : 1, sizeof(*lat));
	long long deadline = now_ms() + PUSH_WAIT;
	size_t got = 0, i;
	int ep = epoll_create1(0), k, ready;

	if (lat == NULL || ep < 0) {
		printf("push got 0 of %zu (no memory)\n", expected);
		free(lat);
		if (ep >= 0)
			close(ep);
		return;
	}
	for (i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = i};

		if (clients[i] != NULL)
			(void)epoll_ctl(ep, EPOLL_CTL_ADD, wsclient_fd(clients[i]), &ev);
	}
	while (got < expected && now_ms() < deadline) {
		ready = epoll_wait(ep, evs, 256, 100);
		for (k = 0; k < ready && got < expected; k++) {
			struct wsclient *c = clients[evs[k].data.u64];
			char *msg, *t;

			/* readable: one frame now (wsclient_recv's 1 ms wait is not reached) */
			msg = recv_text(c, 1);
			if (msg == NULL)
				continue;
			t = strstr(msg, "t=");
			if (strstr(msg, "\"message\"") != NULL && t != NULL)
				lat[got++] = wall_us() - atoll(t + 2);
			free(msg);
		}
	}
	close(ep);
	qsort(lat, got, sizeof(*lat), cmp_ll);
	if (got == 0)
		printf("push got 0 of %zu\n", expected);
	else
		printf("push got %zu of %zu p50 %lld p99 %lld max %lld\n", got, expected,
		       lat[got / 2], lat[got * 99 / 100 < got ? got * 99 / 100 : got - 1],
		       lat[got - 1]);
	fflush(stdout);
	free(lat);
}

int main(int argc, char **argv)
{
	static struct wsclient *clients[HOLD_MAX];
	static char line[TOKEN_LINE], url[TOKEN_LINE + 96], conv[256], last[256];
	static char convs[HOLD_MAX][64];
	size_t n_convs = 0;
	size_t n = 0, failed = 0, alive = 0, i;
	struct rlimit rl;
	long long t0;
	FILE *f;
	int port;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-ws-hold PORT TOKENS_FILE\n");
		return 2;
	}
	/* one descriptor per socket: take the hard limit */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	port = atoi(argv[1]);
	f = fopen(argv[2], "r");
	if (f == NULL) {
		perror(argv[2]);
		return 2;
	}
	t0 = now_ms();
	while (n < HOLD_MAX && fgets(line, sizeof(line), f) != NULL) {
		char *welcome;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		snprintf(url, sizeof(url), "ws://127.0.0.1:%d/api/v1/ws/widget?token=%s", port,
			 line);
		clients[n] = wsclient_connect(url, NULL, 5000, NULL);
		welcome = clients[n] != NULL ? recv_text(clients[n], 5000) : NULL;
		conv[0] = '\0';
		if (welcome != NULL) {
			json_t *w = json_loads(welcome, 0, NULL);
			const char *type = json_string_value(json_object_get(w, "type"));
			const char *id = json_string_value(json_object_get(w, "conversation_id"));

			if (type != NULL && strcmp(type, "welcome") == 0 && id != NULL)
				snprintf(conv, sizeof(conv), "%s", id);
			json_decref(w);
		}
		if (conv[0] == '\0') {
			wsclient_free(clients[n]);
			clients[n] = NULL;
			failed++;
		} else if (strcmp(conv, last) != 0 && strlen(conv) < sizeof(convs[0])) {
			memcpy(convs[n_convs++], conv, strlen(conv) + 1);
			memcpy(last, conv, sizeof(conv));
		}
		free(welcome);
		n++;
	}
	fclose(f);
	printf("open %zu failed %zu in %lld ms\n", n - failed, failed, now_ms() - t0);
	for (i = 0; i < n_convs; i++)
		printf("conv %s\n", convs[i]);
	printf("end\n");
	fflush(stdout);

	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (strncmp(line, "push ", 5) == 0)
			push(clients, n, (size_t)strtoull(line + 5, NULL, 10));
	}

	for (i = 0; i < n; i++) {
		char *pong;

		if (clients[i] == NULL)
			continue;
		if (wsclient_send_text(clients[i], "{\"type\":\"ping\"}", 15) == RELAY_OK) {
			int k;

			/* frames pushed earlier and not read yet come first */
			for (k = 0; k < 4; k++) {
				pong = recv_text(clients[i], 5000);
				if (pong == NULL)
					break;
				if (strstr(pong, "\"pong\"") != NULL) {
					alive++;
					free(pong);
					break;
				}
				free(pong);
			}
		}
		(void)!wsclient_close(clients[i], 1000);
		wsclient_free(clients[i]);
	}
	printf("alive %zu\n", alive);
	return 0;
}
