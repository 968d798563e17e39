/*
 * ws_hold.c - benchmark helper: open many widget WebSockets and keep them open.
 *
 *   bench-ws-hold PORT TOKENS_FILE
 *
 * Reads one visitor token per line, opens /api/v1/ws/widget?token=... for each
 * (handshake + welcome frame through lib/relay_wsclient, wslay framing), prints
 * "open N failed F in MS ms" on stdout, then holds every socket until stdin is
 * closed, and finally checks each socket is still open by sending an app-level
 * ping and waiting for its pong ("alive N"). Asserts nothing: scripts/bench_ws.sh
 * reads the figures (SPEC.md §8, §13).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "relay_wsclient.h"

#define HOLD_MAX   20000
#define TOKEN_LINE 8192

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next text message within 5 s (caller frees), or NULL. */
static char *recv_text(struct wsclient *c)
{
	char *payload = NULL;
	size_t len;
	int op;

	if (wsclient_recv(c, 5000, &op, &payload, &len) != WSCLIENT_GOT)
		return NULL;
	if (op != WSCLIENT_TEXT) {
		free(payload);
		return NULL;
	}
	return payload;
}

int main(int argc, char **argv)
{
	static struct wsclient *clients[HOLD_MAX];
	static char line[TOKEN_LINE], url[TOKEN_LINE + 96];
	size_t n = 0, failed = 0, alive = 0, i;
	long long t0;
	FILE *f;
	int port;
	char c;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-ws-hold PORT TOKENS_FILE\n");
		return 2;
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
		welcome = clients[n] != NULL ? recv_text(clients[n]) : NULL;
		if (welcome == NULL || strstr(welcome, "\"welcome\"") == NULL) {
			wsclient_free(clients[n]);
			clients[n] = NULL;
			failed++;
		}
		free(welcome);
		n++;
	}
	fclose(f);
	printf("open %zu failed %zu in %lld ms\n", n - failed, failed, now_ms() - t0);
	fflush(stdout);

	while (read(0, &c, 1) > 0) /* hold until the script closes our stdin */
		;

	for (i = 0; i < n; i++) {
		char *pong;

		if (clients[i] == NULL)
			continue;
		if (wsclient_send_text(clients[i], "{\"type\":\"ping\"}", 15) == RELAY_OK) {
			pong = recv_text(clients[i]);
			if (pong != NULL && strstr(pong, "\"pong\"") != NULL)
				alive++;
			free(pong);
		}
		(void)!wsclient_close(clients[i], 1000);
		wsclient_free(clients[i]);
	}
	printf("alive %zu\n", alive);
	return 0;
}
