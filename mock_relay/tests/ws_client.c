/*
 * ws_client.c - test-side WebSocket client (see ws_client.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <wslay/wslay.h>

#include "ws_client.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

struct text_msg {
	char *text;
	struct text_msg *next;
};

struct ws_client {
	int fd;
	wslay_event_context_ptr ctx;
	char *extra; /* bytes read past the 101 answer */
	size_t extra_len, extra_off;
	struct text_msg *head, *tail;
	int pongs;
	bool closed;    /* close frame received or connection lost */
	int close_code; /* from the server's close frame, 0 when none */
	char close_reason[128];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
		       void *user_data)
{
	struct ws_client *c = user_data;
	ssize_t n;

	(void)flags;
	if (c->extra_off < c->extra_len) {
		size_t take = c->extra_len - c->extra_off;

		if (take > len)
			take = len;
		memcpy(buf, c->extra + c->extra_off, take);
		c->extra_off += take;
		return (ssize_t)take;
	}
	n = recv(c->fd, buf, len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (n <= 0) {
		c->closed = true;
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *user_data)
{
	struct ws_client *c = user_data;
	ssize_t n;

	(void)flags;
	n = send(c->fd, data, len, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (n < 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static int on_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user_data)
{
	(void)ctx;
	(void)user_data;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
		   void *user_data)
{
	struct ws_client *c = user_data;
	struct text_msg *m;

	(void)ctx;
	if (arg->opcode == WSLAY_TEXT_FRAME) {
		m = calloc(1, sizeof(*m));
		if (m == NULL)
			return;
		m->text = malloc(arg->msg_length + 1);
		if (m->text == NULL) {
			free(m);
			return;
		}
		memcpy(m->text, arg->msg, arg->msg_length);
		m->text[arg->msg_length] = '\0';
		if (c->tail != NULL)
			c->tail->next = m;
		else
			c->head = m;
		c->tail = m;
	} else if (arg->opcode == WSLAY_PONG) {
		c->pongs++;
	} else if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
		size_t rlen = arg->msg_length > 2 ? arg->msg_length - 2 : 0;

		c->closed = true;
		c->close_code = arg->status_code;
		if (rlen >= sizeof(c->close_reason))
			rlen = sizeof(c->close_reason) - 1;
		if (rlen > 0)
			memcpy(c->close_reason, arg->msg + 2, rlen);
		c->close_reason[rlen] = '\0';
	}
}

static int tcp_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Case-insensitive value of header name in the head block, copied into out. */
static bool head_value(const char *head, const char *name, char *out, size_t out_size)
{
	const char *p = strstr(head, "\r\n");
	size_t n = strlen(name);

	while (p != NULL && p[2] != '\r') {
		const char *line = p + 2, *end = strstr(line, "\r\n");

		if (end == NULL)
			return false;
		if ((size_t)(end - line) > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			size_t len;

			while (*v == ' ')
				v++;
			len = (size_t)(end - v);
			if (len >= out_size)
				len = out_size - 1;
			memcpy(out, v, len);
			out[len] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}

struct ws_client *ws_client_connect(int port, const char *path, const char *extra_headers,
				    bool skip_upgrade_headers, int *status, char *body,
				    size_t body_size)
{
	static const struct wslay_event_callbacks cbs = {
		on_recv, on_send, on_genmask, NULL, NULL, NULL, on_msg,
	};
	struct ws_client *c = NULL;
	unsigned char nonce[16], md[EVP_MAX_MD_SIZE];
	char key[32], expect[32], got[64], req[8192], *resp = NULL, *end;
	unsigned int md_len = 0;
	size_t have = 0;
	int fd, code = 0, one = 1;
	struct timeval tv = {5, 0};

	if (status != NULL)
		*status = 0;
	if (body != NULL && body_size > 0)
		body[0] = '\0';
	fd = tcp_connect(port);
	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		goto fail;
	EVP_EncodeBlock((unsigned char *)key, nonce, sizeof(nonce));
	if (skip_upgrade_headers)
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n", path,
			 port, extra_headers != NULL ? extra_headers : "");
	else
		snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
			 "Sec-WebSocket-Version: 13\r\n%s\r\n",
			 path, port, key, extra_headers != NULL ? extra_headers : "");
	if (!send_all(fd, req, strlen(req)))
		goto fail;

	resp = malloc(WS_CLIENT_HTTP_MAX + 1);
	if (resp == NULL)
		goto fail;
	/* Read the head; a non-101 answer is read until the server closes or the cap. */
	for (;;) {
		ssize_t n = recv(fd, resp + have, WS_CLIENT_HTTP_MAX - have, 0);

		if (n <= 0)
			break;
		have += (size_t)n;
		resp[have] = '\0';
		end = strstr(resp, "\r\n\r\n");
		if (end != NULL && strncmp(resp, "HTTP/1.1 101", 12) == 0)
			break;
		if (end != NULL) {
			char cl[32];

			if (head_value(resp, "Content-Length", cl, sizeof(cl)) &&
			    have >= (size_t)(end + 4 - resp) + (size_t)atol(cl))
				break;
		}
		if (have == WS_CLIENT_HTTP_MAX)
			break;
	}
	resp[have] = '\0';
	if (sscanf(resp, "HTTP/1.%*d %d", &code) != 1)
		code = 0;
	if (status != NULL)
		*status = code;
	end = strstr(resp, "\r\n\r\n");
	if (code != 101 || end == NULL) {
		if (body != NULL && body_size > 0 && end != NULL)
			snprintf(body, body_size, "%s", end + 4);
		goto fail;
	}
	/* RFC 6455 §4.1: the server proves it read our key. */
	{
		char buf[96];

		snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
		EVP_Digest(buf, strlen(buf), md, &md_len, EVP_sha1(), NULL);
		EVP_EncodeBlock((unsigned char *)expect, md, (int)md_len);
	}
	if (!head_value(resp, "Sec-WebSocket-Accept", got, sizeof(got)) || strcmp(got, expect) != 0)
		goto fail;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->fd = fd;
	c->extra_len = have - (size_t)(end + 4 - resp);
	if (c->extra_len > 0) {
		c->extra = malloc(c->extra_len);
		if (c->extra == NULL)
			goto fail;
		memcpy(c->extra, end + 4, c->extra_len);
	}
	if (wslay_event_context_client_init(&c->ctx, &cbs, c) != 0) {
		c->ctx = NULL;
		goto fail;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
	free(resp);
	return c;
fail:
	free(resp);
	if (c != NULL) {
		c->fd = fd;
		ws_client_free(c);
	} else {
		close(fd);
	}
	return NULL;
}

void ws_client_free(struct ws_client *c)
{
	struct text_msg *m;

	if (c == NULL)
		return;
	while (c->head != NULL) {
		m = c->head;
		c->head = m->next;
		free(m->text);
		free(m);
	}
	if (c->ctx != NULL)
		wslay_event_context_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c->extra);
	free(c);
}

/* Flush what wslay has queued, waiting for the socket as needed (up to 5 s). */
static int flush(struct ws_client *c)
{
	int64_t until = mono_ms() + 5000;

	while (wslay_event_want_write(c->ctx)) {
		struct pollfd pfd = {c->fd, POLLOUT, 0};

		if (wslay_event_send(c->ctx) != 0)
			return -1;
		if (!wslay_event_want_write(c->ctx))
			break;
		if (mono_ms() > until)
			return -1;
		poll(&pfd, 1, 100);
	}
	return 0;
}

static int queue(struct ws_client *c, uint8_t opcode, const void *data, size_t len)
{
	struct wslay_event_msg msg = {opcode, data, len};

	if (wslay_event_queue_msg(c->ctx, &msg) != 0)
		return -1;
	return flush(c);
}

int ws_client_send_text(struct ws_client *c, const char *text, size_t len)
{
	return queue(c, WSLAY_TEXT_FRAME, text, len);
}

int ws_client_send_binary(struct ws_client *c, const void *data, size_t len)
{
	return queue(c, WSLAY_BINARY_FRAME, data, len);
}

int ws_client_send_ping(struct ws_client *c)
{
	return queue(c, WSLAY_PING, "p", 1);
}

int ws_client_send_close(struct ws_client *c, uint16_t code)
{
	if (wslay_event_queue_close(c->ctx, code, NULL, 0) != 0)
		return -1;
	return flush(c);
}

/* Read what arrives within timeout_ms (stops early when done() holds). */
static void pump(struct ws_client *c, int timeout_ms, bool (*done)(const struct ws_client *))
{
	int64_t until = mono_ms() + timeout_ms;

	while (!done(c) && !c->closed) {
		struct pollfd pfd = {c->fd, POLLIN, 0};
		int64_t left = until - mono_ms();

		if (c->extra_off >= c->extra_len) {
			if (left <= 0)
				break;
			if (poll(&pfd, 1, (int)left) <= 0)
				break;
		}
		if (wslay_event_recv(c->ctx) != 0) {
			c->closed = true;
			break;
		}
		(void)flush(c); /* pongs and the close reply */
	}
}

static bool has_text(const struct ws_client *c)
{
	return c->head != NULL;
}

static bool never(const struct ws_client *c)
{
	(void)c;
	return false;
}

char *ws_client_recv_text(struct ws_client *c, int timeout_ms)
{
	struct text_msg *m;
	char *text;

	if (c->head == NULL)
		pump(c, timeout_ms, has_text);
	m = c->head;
	if (m == NULL)
		return NULL;
	c->head = m->next;
	if (c->head == NULL)
		c->tail = NULL;
	text = m->text;
	free(m);
	return text;
}

int ws_client_wait_close(struct ws_client *c, int timeout_ms)
{
	pump(c, timeout_ms, never);
	return c->close_code;
}

int ws_client_pongs(const struct ws_client *c)
{
	return c->pongs;
}

const char *ws_client_close_reason(const struct ws_client *c)
{
	return c->close_reason;
}
