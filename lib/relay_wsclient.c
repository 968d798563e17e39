/*
 * relay_wsclient.c - WebSocket client over TCP or TLS (see relay_wsclient.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <wslay/wslay.h>

#include "relay_clock.h"
#include "relay_wsclient.h"

#define WS_GUID       "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define HOST_MAX      256
#define PATH_MAX_LEN  8192
#define FLUSH_WAIT_MS 5000

struct msg {
	int opcode;
	char *data;
	size_t len;
	struct msg *next;
};

struct wsclient {
	int fd;
	SSL_CTX *ssl_ctx;
	SSL *ssl;
	wslay_event_context_ptr ctx;
	char *extra; /* bytes read past the 101 answer, fed to wslay first */
	size_t extra_len, extra_off;
	struct msg *head, *tail;
	bool lost;        /* the connection ended or broke the protocol */
	bool close_seen;  /* the peer's close frame was received */
	bool close_given; /* ... and returned by wsclient_recv */
	int close_code;   /* its code (1005 when it had none) */
	char close_reason[128];
	int pongs; /* pong frames received */
};

struct url_parts {
	bool tls;
	char host[HOST_MAX]; /* without brackets */
	bool ipv6;
	int port;
	char path[PATH_MAX_LEN]; /* path and query, "/" at least */
};

static void set_err(struct wsclient_error *err, enum wsclient_stage stage, const char *fmt,
		    const char *arg)
{
	if (err == NULL)
		return;
	err->stage = stage;
	snprintf(err->text, sizeof(err->text), fmt, arg != NULL ? arg : "");
}

/* ws://host[:port][/path][?query] or wss://...; no userinfo, no fragment. */
static bool url_parse(const char *url, struct url_parts *u)
{
	const char *p, *host_end, *auth_end;
	size_t n;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, "ws://", 5) == 0) {
		p = url + 5;
		u->port = 80;
	} else if (strncasecmp(url, "wss://", 6) == 0) {
		p = url + 6;
		u->tls = true;
		u->port = 443;
	} else {
		return false;
	}
	auth_end = p + strcspn(p, "/?#");
	if (*auth_end == '#' || strchr(url, '#') != NULL)
		return false;
	if (memchr(p, '@', (size_t)(auth_end - p)) != NULL)
		return false;
	if (*p == '[') {
		host_end = memchr(p, ']', (size_t)(auth_end - p));
		if (host_end == NULL)
			return false;
		n = (size_t)(host_end - p - 1);
		if (n == 0 || n >= sizeof(u->host))
			return false;
		memcpy(u->host, p + 1, n);
		u->ipv6 = true;
		host_end++;
	} else {
		host_end = p + strcspn(p, ":/?");
		if (host_end > auth_end)
			host_end = auth_end;
		n = (size_t)(host_end - p);
		if (n == 0 || n >= sizeof(u->host))
			return false;
		memcpy(u->host, p, n);
	}
	u->host[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u->host[i] <= ' ' || u->host[i] == 0x7f)
			return false;
	if (host_end < auth_end) {
		char *end;
		long port;

		if (*host_end != ':' || host_end + 1 == auth_end)
			return false;
		port = strtol(host_end + 1, &end, 10);
		if (end != auth_end || port < 1 || port > 65535)
			return false;
		u->port = (int)port;
	}
	if (*auth_end == '\0')
		snprintf(u->path, sizeof(u->path), "/");
	else if (*auth_end == '?')
		n = (size_t)snprintf(u->path, sizeof(u->path), "/%s", auth_end);
	else
		n = (size_t)snprintf(u->path, sizeof(u->path), "%s", auth_end);
	if (n >= sizeof(u->path))
		return false;
	for (const char *q = u->path; *q != '\0'; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return false;
	return true;
}

/* Waits for fd to be ready for events until deadline; true when it is. */
static bool wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {fd, events, 0};
		int64_t left = deadline - relay_clock_mono_ms();
		int r;

		if (left <= 0)
			return false;
		r = poll(&pfd, 1, (int)left);
		if (r > 0)
			return true;
		if (r == 0 || errno != EINTR)
			return false;
	}
}

/* A non-blocking TCP connection to one of host's addresses, or -1. */
static int tcp_connect(const struct url_parts *u, int64_t deadline, struct wsclient_error *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int fd = -1, rc, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", u->port);
	rc = getaddrinfo(u->host, port, &hints, &res);
	if (rc != 0) {
		set_err(err, WSCLIENT_STAGE_CONNECT, "cannot resolve host: %s", gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
		rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc != 0 && errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
			rc = 0;
		else if (rc != 0 && soerr != 0)
			errno = soerr;
		if (rc == 0)
			break;
		set_err(err, WSCLIENT_STAGE_CONNECT, "connect failed: %s",
			relay_clock_mono_ms() >= deadline ? "timeout" : strerror(errno));
		close(fd);
		fd = -1;
		if (relay_clock_mono_ms() >= deadline)
			break;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	else if (err != NULL && err->text[0] == '\0')
		set_err(err, WSCLIENT_STAGE_CONNECT, "connect failed: %s", "no address");
	return fd;
}

/* The OpenSSL error queue's first entry (or the verify result) as text into err. */
static void tls_err(struct wsclient *c, struct wsclient_error *err, const char *what)
{
	char buf[200];
	long vr = c->ssl != NULL ? SSL_get_verify_result(c->ssl) : X509_V_OK;
	unsigned long e = ERR_peek_error();

	if (vr != X509_V_OK)
		snprintf(buf, sizeof(buf), "%s: certificate verification failed: %s", what,
			 X509_verify_cert_error_string(vr));
	else if (e != 0)
		snprintf(buf, sizeof(buf), "%s: %s", what, ERR_reason_error_string(e));
	else
		snprintf(buf, sizeof(buf), "%s: connection closed", what);
	ERR_clear_error();
	set_err(err, WSCLIENT_STAGE_TLS, "%s", buf);
}

/*
 * OpenSSL writes with write(2), so a peer that closed first would kill the process with
 * SIGPIPE (plain sockets use MSG_NOSIGNAL). Each SSL call runs with SIGPIPE blocked in
 * this thread, and one it raised is consumed before the mask is restored (curl does
 * the same); the process's own SIGPIPE handling is left alone.
 */
struct sigpipe_guard {
	sigset_t old;
	bool was_blocked;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
	g->was_blocked = sigismember(&g->old, SIGPIPE) == 1;
}

static void sigpipe_restore(struct sigpipe_guard *g)
{
	sigset_t set, pending;
	const struct timespec zero = {0, 0};

	if (!g->was_blocked && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		(void)sigtimedwait(&set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* TLS over c->fd: SNI, hostname (or IP) verification unless opt->insecure. */
static bool tls_start(struct wsclient *c, const struct url_parts *u,
		      const struct wsclient_options *opt, int64_t deadline,
		      struct wsclient_error *err)
{
	unsigned char probe[16];
	bool is_ip = u->ipv6 || inet_pton(AF_INET, u->host, probe) == 1;

	c->ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (c->ssl_ctx == NULL) {
		tls_err(c, err, "TLS setup");
		return false;
	}
	SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION);
	if (!opt->insecure) {
		SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER, NULL);
		if (SSL_CTX_set_default_verify_paths(c->ssl_ctx) != 1 ||
		    (opt->ca_file != NULL &&
		     SSL_CTX_load_verify_locations(c->ssl_ctx, opt->ca_file, NULL) != 1)) {
			tls_err(c, err, "TLS trust store");
			return false;
		}
	} else {
		SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_NONE, NULL);
	}
	c->ssl = SSL_new(c->ssl_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		tls_err(c, err, "TLS setup");
		return false;
	}
	if (!is_ip && SSL_set_tlsext_host_name(c->ssl, u->host) != 1) {
		tls_err(c, err, "TLS SNI");
		return false;
	}
	if (!opt->insecure) {
		int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), u->host)
			       : SSL_set1_host(c->ssl, u->host);

		if (ok != 1) {
			tls_err(c, err, "TLS hostname");
			return false;
		}
	}
	for (;;) {
		struct sigpipe_guard g;
		int r, e;

		sigpipe_block(&g);
		r = SSL_connect(c->ssl);
		sigpipe_restore(&g);

		if (r == 1)
			return true;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ && wait_fd(c->fd, POLLIN, deadline))
			continue;
		if (e == SSL_ERROR_WANT_WRITE && wait_fd(c->fd, POLLOUT, deadline))
			continue;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			set_err(err, WSCLIENT_STAGE_TLS, "TLS handshake: %s", "timeout");
			return false;
		}
		tls_err(c, err, "TLS handshake");
		return false;
	}
}

/*
 * One SSL_write of wbuf when it is not NULL, else one SSL_read into rbuf, with SIGPIPE
 * held: bytes, 0 when a read meets the peer's close_notify, -1 error, -2 would block.
 */
static ssize_t tls_io(struct wsclient *c, void *rbuf, const void *wbuf, size_t len)
{
	struct sigpipe_guard g;
	int n = len > INT32_MAX ? INT32_MAX : (int)len, r, e;

	sigpipe_block(&g);
	r = wbuf != NULL ? SSL_write(c->ssl, wbuf, n) : SSL_read(c->ssl, rbuf, n);
	sigpipe_restore(&g);

	if (r > 0)
		return r;
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return -2;
	ERR_clear_error();
	return wbuf == NULL && e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

/* One read or write on the socket or TLS: bytes, 0 at EOF, -1 error, -2 would block. */
static ssize_t io_read(struct wsclient *c, void *buf, size_t len)
{
	ssize_t n;

	if (c->ssl != NULL)
		return tls_io(c, buf, NULL, len);
	n = recv(c->fd, buf, len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return -2;
	return n;
}

static ssize_t io_write(struct wsclient *c, const void *buf, size_t len)
{
	ssize_t n;

	if (c->ssl != NULL)
		return tls_io(c, NULL, buf, len);
	n = send(c->fd, buf, len, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return -2;
	return n;
}

/* Bytes ready without waiting for the socket (TLS buffers, handshake leftovers). */
static bool io_pending(const struct wsclient *c)
{
	return c->extra_off < c->extra_len || (c->ssl != NULL && SSL_pending(c->ssl) > 0);
}

static bool write_all(struct wsclient *c, const char *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t w = io_write(c, p, n);

		if (w == -2) {
			if (!wait_fd(c->fd, POLLOUT | POLLIN, deadline))
				return false;
			continue;
		}
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* ---- the 101 answer (RFC 6455 §4.1), parsed strictly */

static bool is_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Whether the comma-separated list value holds token (case-insensitive). */
static bool list_has(const char *value, const char *token)
{
	size_t tl = strlen(token);

	while (*value != '\0') {
		size_t n;

		while (*value == ' ' || *value == '\t' || *value == ',')
			value++;
		n = strcspn(value, ", \t");
		if (n == tl && strncasecmp(value, token, tl) == 0)
			return true;
		value += n;
	}
	return false;
}

/*
 * Checks the head (status line and headers, NUL-terminated, ending at the blank
 * line) against key. Sets err->http_status; true when it is a valid 101.
 */
static bool check_head(char *head, const char *key, struct wsclient_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char buf[96], expect[64];
	unsigned int md_len = 0;
	bool upgrade = false, connection = false, accept = false;
	char *line, *next;
	int status;

	if (strncmp(head, "HTTP/1.1 ", 9) != 0 || head[9] < '1' || head[9] > '5' ||
	    head[10] < '0' || head[10] > '9' || head[11] < '0' || head[11] > '9' ||
	    (head[12] != ' ' && head[12] != '\r')) {
		set_err(err, WSCLIENT_STAGE_HTTP, "not an HTTP/1.1 status line%s", "");
		return false;
	}
	status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
	if (err != NULL)
		err->http_status = status;
	if (status != 101) {
		char st[8];

		snprintf(st, sizeof(st), "%d", status);
		set_err(err, WSCLIENT_STAGE_HTTP, "upgrade refused: HTTP %s", st);
		return false;
	}
	snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
	if (EVP_Digest(buf, strlen(buf), md, &md_len, EVP_sha1(), NULL) != 1) {
		set_err(err, WSCLIENT_STAGE_HTTP, "SHA-1 failed%s", "");
		return false;
	}
	EVP_EncodeBlock((unsigned char *)expect, md, (int)md_len);
	line = strstr(head, "\r\n");
	while (line != NULL && line[2] != '\0') {
		char *name = line + 2, *colon, *v, *end;

		next = strstr(name, "\r\n");
		if (next == NULL)
			break;
		*next = '\0';
		colon = strchr(name, ':');
		if (colon == NULL || colon == name) {
			set_err(err, WSCLIENT_STAGE_HTTP,
				"malformed header line in the 101 answer%s", "");
			return false;
		}
		for (char *q = name; q < colon; q++)
			if (!is_tchar(*q)) {
				set_err(err, WSCLIENT_STAGE_HTTP,
					"malformed header name in the 101 answer%s", "");
				return false;
			}
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		end = v + strlen(v);
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		*colon = '\0';
		if (strcasecmp(name, "Upgrade") == 0)
			upgrade = list_has(v, "websocket");
		else if (strcasecmp(name, "Connection") == 0)
			connection = list_has(v, "upgrade");
		else if (strcasecmp(name, "Sec-WebSocket-Accept") == 0)
			accept = !accept && strcmp(v, expect) == 0;
		line = next;
	}
	if (!upgrade || !connection || !accept) {
		set_err(err, WSCLIENT_STAGE_HTTP, "101 answer without %s",
			!upgrade      ? "Upgrade: websocket"
			: !connection ? "Connection: upgrade"
				      : "the right Sec-WebSocket-Accept (RFC 6455 4.1)");
		return false;
	}
	return true;
}

/* The Content-Length of a head (NUL-terminated), or the cap when it has none. */
static size_t head_content_length(const char *head)
{
	const char *cl = strcasestr(head, "\r\nContent-Length:");

	return cl != NULL ? (size_t)strtoul(cl + 17, NULL, 10) : WSCLIENT_HANDSHAKE_MAX;
}

/* Copies the start of a refusal's body into err->body (read until close, deadline or cap). */
static void read_refusal_body(struct wsclient *c, char *resp, size_t have, size_t head_len,
			      size_t body_len, int64_t deadline, struct wsclient_error *err)
{
	size_t want = body_len > WSCLIENT_HANDSHAKE_MAX - head_len ? WSCLIENT_HANDSHAKE_MAX
								   : head_len + body_len;

	while (have < want) {
		ssize_t n = io_read(c, resp + have, want - have);

		if (n == -2 && (io_pending(c) || wait_fd(c->fd, POLLIN, deadline)))
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	if (err != NULL && have > head_len)
		snprintf(err->body, sizeof(err->body), "%.*s", (int)(have - head_len),
			 resp + head_len);
}

/* Sends the upgrade and reads the answer; leftovers after the head go to c->extra. */
static bool http_upgrade(struct wsclient *c, const struct url_parts *u,
			 const struct wsclient_options *opt, int64_t deadline,
			 struct wsclient_error *err)
{
	unsigned char nonce[16];
	char key[32], hostport[HOST_MAX + 16], *req = NULL, *resp = NULL, *end = NULL;
	size_t have = 0, head_len, body_len;
	bool ok = false;
	int n;

	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
		set_err(err, WSCLIENT_STAGE_HTTP, "RAND_bytes failed%s", "");
		return false;
	}
	EVP_EncodeBlock((unsigned char *)key, nonce, sizeof(nonce));
	if (u->port == (u->tls ? 443 : 80))
		snprintf(hostport, sizeof(hostport), u->ipv6 ? "[%s]" : "%s", u->host);
	else
		snprintf(hostport, sizeof(hostport), u->ipv6 ? "[%s]:%d" : "%s:%d", u->host,
			 u->port);
	if (opt->origin != NULL && strpbrk(opt->origin, "\r\n") != NULL) {
		set_err(err, WSCLIENT_STAGE_URL, "origin holds a line break%s", "");
		return false;
	}
	req = malloc(PATH_MAX_LEN + 1024);
	resp = malloc(WSCLIENT_HANDSHAKE_MAX + 1);
	if (req == NULL || resp == NULL) {
		set_err(err, WSCLIENT_STAGE_HTTP, "out of memory%s", "");
		goto out;
	}
	n = snprintf(req, PATH_MAX_LEN + 1024,
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
		     u->path, hostport, key, opt->origin != NULL ? "Origin: " : "",
		     opt->origin != NULL ? opt->origin : "", opt->origin != NULL ? "\r\n" : "");
	if (n < 0 || n >= PATH_MAX_LEN + 1024 || !write_all(c, req, (size_t)n, deadline)) {
		set_err(err, WSCLIENT_STAGE_HTTP, "cannot send the upgrade request%s", "");
		goto out;
	}
	while (end == NULL) {
		ssize_t r;

		if (have == WSCLIENT_HANDSHAKE_MAX) {
			set_err(err, WSCLIENT_STAGE_HTTP, "handshake answer over 16 KiB%s", "");
			goto out;
		}
		r = io_read(c, resp + have, WSCLIENT_HANDSHAKE_MAX - have);
		if (r == -2) {
			if (io_pending(c) || wait_fd(c->fd, POLLIN, deadline))
				continue;
			set_err(err, WSCLIENT_STAGE_HTTP, "no answer to the upgrade: %s",
				"timeout");
			goto out;
		}
		if (r <= 0) {
			set_err(err, WSCLIENT_STAGE_HTTP,
				"connection closed before the upgrade answer%s", "");
			if (have > 0) {
				resp[have] = '\0';
				if (strncmp(resp, "HTTP/", 5) == 0 && err != NULL)
					err->http_status = atoi(resp + 9);
			}
			goto out;
		}
		have += (size_t)r;
		resp[have] = '\0';
		end = strstr(resp, "\r\n\r\n");
	}
	head_len = (size_t)(end + 4 - resp);
	if (memchr(resp, '\0', head_len) != NULL) {
		set_err(err, WSCLIENT_STAGE_HTTP, "NUL byte in the answer's head%s", "");
		goto out;
	}
	end[2] = '\0'; /* the head keeps its last CRLF */
	body_len = head_content_length(resp);
	if (!check_head(resp, key, err)) {
		if (err != NULL && err->http_status != 101 && err->http_status != 0)
			read_refusal_body(c, resp, have, head_len, body_len, deadline, err);
		goto out;
	}
	c->extra_len = have - head_len;
	if (c->extra_len > 0) {
		c->extra = malloc(c->extra_len);
		if (c->extra == NULL)
			goto out;
		memcpy(c->extra, resp + head_len, c->extra_len);
	}
	ok = true;
out:
	free(req);
	free(resp);
	return ok;
}

/* ---- wslay callbacks */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
		       void *user_data)
{
	struct wsclient *c = user_data;
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
	n = io_read(c, buf, len);
	if (n == -2) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (n <= 0) {
		c->lost = true;
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *user_data)
{
	struct wsclient *c = user_data;
	ssize_t n;

	(void)flags;
	n = io_write(c, data, len);
	if (n == -2) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	/* wslay stops writing; what the peer sent first (its close frame) is still read */
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

static void push_msg(struct wsclient *c, int opcode, const uint8_t *data, size_t len)
{
	struct msg *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return;
	m->data = malloc(len + 1);
	if (m->data == NULL) {
		free(m);
		return;
	}
	if (len > 0)
		memcpy(m->data, data, len);
	m->data[len] = '\0';
	m->len = len;
	m->opcode = opcode;
	if (c->tail != NULL)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
		   void *user_data)
{
	struct wsclient *c = user_data;

	(void)ctx;
	if (arg->opcode == WSLAY_TEXT_FRAME) {
		push_msg(c, WSCLIENT_TEXT, arg->msg, arg->msg_length);
	} else if (arg->opcode == WSLAY_PONG) {
		c->pongs++;
	} else if (arg->opcode == WSLAY_CONNECTION_CLOSE && !c->close_seen) {
		size_t rlen = arg->msg_length > 2 ? arg->msg_length - 2 : 0;

		c->close_seen = true;
		c->close_code = arg->status_code;
		if (rlen >= sizeof(c->close_reason))
			rlen = sizeof(c->close_reason) - 1;
		memcpy(c->close_reason, rlen > 0 ? arg->msg + 2 : (const uint8_t *)"", rlen);
		c->close_reason[rlen] = '\0';
		push_msg(c, WSCLIENT_CLOSE, (const uint8_t *)c->close_reason, rlen);
	}
}

struct wsclient *wsclient_connect_opts(const char *url, const struct wsclient_options *opt,
				       struct wsclient_error *err)
{
	static const struct wslay_event_callbacks cbs = {
		on_recv, on_send, on_genmask, NULL, NULL, NULL, on_msg,
	};
	static const struct wsclient_options defaults = {NULL, 0, false, NULL};
	struct url_parts *u = NULL;
	struct wsclient *c = NULL, *ret = NULL;
	int64_t deadline;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (opt == NULL)
		opt = &defaults;
	deadline = relay_clock_mono_ms() + (opt->timeout_ms > 0 ? opt->timeout_ms : 10000);
	u = malloc(sizeof(*u));
	c = calloc(1, sizeof(*c));
	if (u == NULL || c == NULL) {
		set_err(err, WSCLIENT_STAGE_CONNECT, "out of memory%s", "");
		goto out;
	}
	c->fd = -1;
	if (url == NULL || !url_parse(url, u)) {
		set_err(err, WSCLIENT_STAGE_URL, "not a ws:// or wss:// URL: %.200s",
			url != NULL ? url : "(null)");
		goto out;
	}
	c->fd = tcp_connect(u, deadline, err);
	if (c->fd < 0)
		goto out;
	if (u->tls && !tls_start(c, u, opt, deadline, err))
		goto out;
	if (!http_upgrade(c, u, opt, deadline, err))
		goto out;
	if (wslay_event_context_client_init(&c->ctx, &cbs, c) != 0) {
		c->ctx = NULL;
		set_err(err, WSCLIENT_STAGE_HTTP, "wslay init failed%s", "");
		goto out;
	}
	wslay_event_config_set_max_recv_msg_length(c->ctx, WSCLIENT_FRAME_MAX);
	ret = c;
	c = NULL;
out:
	wsclient_free(c);
	free(u);
	return ret;
}

struct wsclient *wsclient_connect(const char *url, const char *origin, int timeout_ms,
				  struct wsclient_error *err)
{
	struct wsclient_options opt = {origin, timeout_ms, false, NULL};

	return wsclient_connect_opts(url, &opt, err);
}

int wsclient_fd(const struct wsclient *c)
{
	return c != NULL ? c->fd : -1;
}

void wsclient_free(struct wsclient *c)
{
	if (c == NULL)
		return;
	while (c->head != NULL) {
		struct msg *m = c->head;

		c->head = m->next;
		free(m->data);
		free(m);
	}
	if (c->ctx != NULL)
		wslay_event_context_free(c->ctx);
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->ssl_ctx != NULL)
		SSL_CTX_free(c->ssl_ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c->extra);
	free(c);
}

/* Writes what wslay has queued, waiting for the socket (up to FLUSH_WAIT_MS). */
static bool flush(struct wsclient *c)
{
	int64_t deadline = relay_clock_mono_ms() + FLUSH_WAIT_MS;

	while (wslay_event_want_write(c->ctx)) {
		if (wslay_event_send(c->ctx) != 0 || c->lost)
			return false;
		if (!wslay_event_want_write(c->ctx))
			break;
		if (!wait_fd(c->fd, POLLOUT, deadline))
			return false;
	}
	return true;
}

/* Queues one message of opcode (data borrowed, copied by wslay) and flushes it. */
static enum relay_rc send_msg(struct wsclient *c, uint8_t opcode, const void *data, size_t len)
{
	struct wslay_event_msg m = {opcode, data, len};

	if (c == NULL || len > WSCLIENT_FRAME_MAX)
		return RELAY_E_INVALID_ARGUMENT;
	if (c->lost || wslay_event_queue_msg(c->ctx, &m) != 0)
		return RELAY_E_IO;
	return flush(c) ? RELAY_OK : RELAY_E_IO;
}

enum relay_rc wsclient_send_text(struct wsclient *c, const void *data, size_t len)
{
	return send_msg(c, WSLAY_TEXT_FRAME, data, len);
}

enum relay_rc wsclient_send_binary(struct wsclient *c, const void *data, size_t len)
{
	return send_msg(c, WSLAY_BINARY_FRAME, data, len);
}

enum relay_rc wsclient_send_ping(struct wsclient *c)
{
	return send_msg(c, WSLAY_PING, "p", 1);
}

int wsclient_pongs(const struct wsclient *c)
{
	return c != NULL ? c->pongs : 0;
}

enum relay_rc wsclient_close(struct wsclient *c, uint16_t code)
{
	if (c == NULL)
		return RELAY_E_INVALID_ARGUMENT;
	if (c->lost || wslay_event_queue_close(c->ctx, code, NULL, 0) != 0)
		return RELAY_E_IO;
	return flush(c) ? RELAY_OK : RELAY_E_IO;
}

int wsclient_close_code(const struct wsclient *c)
{
	return c != NULL ? c->close_code : 0;
}

enum wsclient_recv_result wsclient_recv(struct wsclient *c, int timeout_ms, int *opcode,
					char **payload, size_t *len)
{
	int64_t deadline = relay_clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct msg *m;

	while (c->head == NULL && !c->lost && !c->close_given) {
		if (!io_pending(c) && !wait_fd(c->fd, POLLIN, deadline))
			return WSCLIENT_TIMEOUT;
		if (wslay_event_recv(c->ctx) != 0)
			c->lost = true;
		if (!c->lost)
			(void)flush(c); /* pongs and the close reply */
		/* wslay stops reading after a protocol error or an over-cap message */
		if (c->head == NULL && !wslay_event_get_read_enabled(c->ctx))
			c->lost = true;
	}
	m = c->head;
	if (m == NULL)
		return WSCLIENT_LOST;
	c->head = m->next;
	if (c->head == NULL)
		c->tail = NULL;
	if (m->opcode == WSCLIENT_CLOSE)
		c->close_given = true;
	*opcode = m->opcode;
	*payload = m->data;
	*len = m->len;
	free(m);
	return WSCLIENT_GOT;
}
