/*
 * mutant_proxy.c - a reverse proxy in front of a relay that breaks exactly one rule.
 *
 *   mutant-proxy --upstream http://127.0.0.1:PORT [--port 0] [--bind 127.0.0.1]
 *                --mutation NAME
 *   mutant-proxy --list
 *
 * Every request is forwarded unchanged (libcurl); the response comes back through
 * the mutation named on the command line (mutations.c), which rewrites it so that a
 * single observable rule of SPEC.md is broken. The mock's control plane (/__mock/...)
 * is never mutated: it is the test's instrument, not the relay under test.
 * WebSocket upgrades are tunnelled byte for byte. Prints
 * "mutant-proxy listening on http://ADDR:PORT" once ready; SIGTERM or SIGINT stop it.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>

#include "mutations.h"

#define PROXY_BODY_MAX     (4u * 1024 * 1024) /* request bodies kept for forwarding */
#define PROXY_RESPONSE_MAX (16u * 1024 * 1024)
#define PROXY_HEAD_MAX     16384 /* upstream response head on a WebSocket upgrade */
#define PROXY_TIMEOUT_MS   60000L

struct proxy {
	char upstream[512]; /* no trailing slash */
	char up_host[256];
	char up_port[8];
	const struct mutation *mutation;
};

static struct proxy g_proxy;

/* One client request, created by the URI log callback. */
struct preq {
	char *uri; /* raw request target, query included */
	char *body;
	size_t len, cap;
	int too_large;
	int started;
};

/* Request headers gathered for forwarding. */
struct fwd_headers {
	struct curl_slist *list;
	char *raw; /* "Name: value\r\n"... for the WebSocket tunnel */
	size_t raw_len, raw_cap;
	int has_content_type, has_accept, websocket, failed;
	char origin[512];
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct preq *r = calloc(1, sizeof(*r));

	(void)cls;
	(void)conn;
	if (r == NULL)
		return NULL;
	r->uri = strdup(uri);
	if (r->uri == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct preq *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	free(r->uri);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static int raw_append(struct fwd_headers *h, const char *s)
{
	size_t n = strlen(s);

	if (h->raw_len + n + 1 > h->raw_cap) {
		size_t cap = (h->raw_cap + n + 1) * 2;
		char *nb = realloc(h->raw, cap);

		if (nb == NULL)
			return -1;
		h->raw = nb;
		h->raw_cap = cap;
	}
	memcpy(h->raw + h->raw_len, s, n + 1);
	h->raw_len += n;
	return 0;
}

static int skip_hop_header(const char *name)
{
	static const char *const hop[] = {
		"Host",       "Content-Length", "Connection", "Expect", "Transfer-Encoding",
		"Keep-Alive", "Upgrade",        "TE"};
	size_t i;

	for (i = 0; i < sizeof(hop) / sizeof(hop[0]); i++) {
		if (strcasecmp(name, hop[i]) == 0)
			return 1;
	}
	return 0;
}

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct fwd_headers *h = cls;
	char line[8192];
	struct curl_slist *tmp;

	(void)kind;
	if (value == NULL)
		value = "";
	if (strcasecmp(key, "Upgrade") == 0 && strcasestr(value, "websocket") != NULL)
		h->websocket = 1;
	if (strcasecmp(key, "Origin") == 0)
		snprintf(h->origin, sizeof(h->origin), "%s", value);
	/* The tunnel forwards every header except Host; curl gets the end-to-end ones. */
	if (strcasecmp(key, "Host") != 0) {
		snprintf(line, sizeof(line), "%s: %s\r\n", key, value);
		if (raw_append(h, line) != 0)
			h->failed = 1;
	}
	if (skip_hop_header(key))
		return MHD_YES;
	if (strcasecmp(key, "Content-Type") == 0)
		h->has_content_type = 1;
	if (strcasecmp(key, "Accept") == 0)
		h->has_accept = 1;
	/* curl drops "Name:" lines; "Name;" sends an empty value. */
	if (value[0] == '\0')
		snprintf(line, sizeof(line), "%s;", key);
	else
		snprintf(line, sizeof(line), "%s: %s", key, value);
	tmp = curl_slist_append(h->list, line);
	if (tmp == NULL)
		h->failed = 1;
	else
		h->list = tmp;
	return MHD_YES;
}

struct body_sink {
	char *buf;
	size_t len, cap;
	int overflow;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body_sink *s = userdata;
	size_t n = size * nmemb;

	if (s->len + n > PROXY_RESPONSE_MAX) {
		s->overflow = 1;
		return 0;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *nb;

		while (cap < s->len + n + 1)
			cap *= 2;
		nb = realloc(s->buf, cap);
		if (nb == NULL)
			return 0;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, ptr, n);
	s->len += n;
	return n;
}

/* Adds one "Name: value" line of an upstream response head to rs. */
static void add_response_header(struct mut_response *rs, const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	size_t nlen, vstart, vend;

	if (colon == NULL || rs->n_headers >= MUT_HEADERS_MAX)
		return;
	nlen = (size_t)(colon - line);
	vstart = nlen + 1;
	while (vstart < n && (line[vstart] == ' ' || line[vstart] == '\t'))
		vstart++;
	vend = n;
	while (vend > vstart && (line[vend - 1] == '\r' || line[vend - 1] == '\n' ||
				 line[vend - 1] == ' ' || line[vend - 1] == '\t'))
		vend--;
	rs->headers[rs->n_headers].name = strndup(line, nlen);
	rs->headers[rs->n_headers].value = strndup(line + vstart, vend - vstart);
	if (rs->headers[rs->n_headers].name == NULL || rs->headers[rs->n_headers].value == NULL) {
		free(rs->headers[rs->n_headers].name);
		free(rs->headers[rs->n_headers].value);
		return;
	}
	rs->n_headers++;
}

static size_t on_resp_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct mut_response *rs = userdata;
	size_t n = size * nitems, i;

	if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		for (i = 0; i < rs->n_headers; i++) {
			free(rs->headers[i].name);
			free(rs->headers[i].value);
		}
		rs->n_headers = 0;
		return n;
	}
	add_response_header(rs, buf, n);
	return n;
}

/* The request path (no query) of r, into out. */
static void request_path(const struct preq *r, char *out, size_t size)
{
	size_t n = strcspn(r->uri, "?");

	if (n >= size)
		n = size - 1;
	memcpy(out, r->uri, n);
	out[n] = '\0';
}

static int skip_response_header(const char *name)
{
	return strcasecmp(name, "Content-Length") == 0 ||
	       strcasecmp(name, "Transfer-Encoding") == 0 || strcasecmp(name, "Connection") == 0 ||
	       strcasecmp(name, "Keep-Alive") == 0 || strcasecmp(name, "Date") == 0;
}

/* Applies the mutation (when mutate) to (rs, body) and queues the answer. */
static enum MHD_Result answer(struct MHD_Connection *conn, const struct preq *r, const char *method,
			      const char *origin, struct mut_response *rs, const char *body,
			      size_t body_len, bool mutate)
{
	struct mut_request rq;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char path[2048];
	char *dumped = NULL;
	size_t i;

	request_path(r, path, sizeof(path));
	if (body_len > 0 && (body[0] == '{' || body[0] == '['))
		rs->json = json_loadb(body, body_len, 0, NULL);
	if (mutate && strncmp(path, "/__mock/", 8) != 0) {
		rq.method = method;
		rq.path = path;
		rq.origin = origin[0] != '\0' ? origin : NULL;
		rq.body = r->body;
		rq.body_len = r->len;
		g_proxy.mutation->apply(&rq, rs);
	}
	if (rs->json_modified && rs->json != NULL) {
		dumped = json_dumps(rs->json, JSON_COMPACT);
		if (dumped != NULL) {
			body = dumped;
			body_len = strlen(dumped);
		}
	}
	resp = MHD_create_response_from_buffer(body_len, (void *)body, MHD_RESPMEM_MUST_COPY);
	free(dumped);
	if (resp == NULL)
		return MHD_NO;
	for (i = 0; i < rs->n_headers; i++) {
		if (!skip_response_header(rs->headers[i].name))
			MHD_add_response_header(resp, rs->headers[i].name, rs->headers[i].value);
	}
	ret = MHD_queue_response(conn, (unsigned int)rs->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Forwards r with libcurl. MHD_NO (connection closed) when upstream gave no answer. */
static enum MHD_Result forward_http(struct MHD_Connection *conn, struct preq *r, const char *method,
				    struct fwd_headers *h)
{
	struct mut_response rs;
	struct body_sink sink;
	struct curl_slist *tmp;
	enum MHD_Result ret = MHD_NO;
	char url[8192];
	CURL *easy;
	CURLcode cc;

	memset(&rs, 0, sizeof(rs));
	memset(&sink, 0, sizeof(sink));
	if (!h->has_content_type) {
		tmp = curl_slist_append(h->list, "Content-Type:");
		if (tmp != NULL)
			h->list = tmp;
	}
	if (!h->has_accept) {
		tmp = curl_slist_append(h->list, "Accept:");
		if (tmp != NULL)
			h->list = tmp;
	}
	tmp = curl_slist_append(h->list, "Expect:");
	if (tmp != NULL)
		h->list = tmp;
	snprintf(url, sizeof(url), "%s%s", g_proxy.upstream, r->uri);
	easy = curl_easy_init();
	if (easy == NULL)
		return MHD_NO;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
	else if (r->len > 0 || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r->body != NULL ? r->body : "");
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
	}
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h->list);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_resp_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, &rs);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, PROXY_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	cc = curl_easy_perform(easy);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &rs.status);
		ret = answer(conn, r, method, h->origin, &rs, sink.buf != NULL ? sink.buf : "",
			     sink.len, true);
	}
	curl_easy_cleanup(easy);
	mut_response_cleanup(&rs);
	free(sink.buf);
	return ret;
}

/* A WebSocket tunnel after the 101: bytes both ways until either side closes. */
struct tunnel {
	int upfd;
	char *pending; /* upstream bytes read past the 101 head, for the client */
	size_t pending_len;
	MHD_socket sock;
	struct MHD_UpgradeResponseHandle *urh;
	char *extra_in; /* client bytes MHD read past the request head */
	size_t extra_len;
};

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *tunnel_run(void *arg)
{
	struct tunnel *t = arg;
	struct pollfd fds[2];
	char buf[16384];
	int i;

	if (write_all(t->sock, t->pending, t->pending_len) != 0 ||
	    write_all(t->upfd, t->extra_in, t->extra_len) != 0)
		goto out;
	fds[0].fd = t->sock;
	fds[1].fd = t->upfd;
	fds[0].events = fds[1].events = POLLIN;
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (fds[i].revents == 0)
				continue;
			n = recv(fds[i].fd, buf, sizeof(buf), 0);
			if (n <= 0)
				goto out;
			if (write_all(fds[1 - i].fd, buf, (size_t)n) != 0)
				goto out;
		}
	}
out:
	close(t->upfd);
	MHD_upgrade_action(t->urh, MHD_UPGRADE_ACTION_CLOSE);
	free(t->pending);
	free(t->extra_in);
	free(t);
	return NULL;
}

static void on_upgraded(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
			size_t extra_in_size, MHD_socket sock,
			struct MHD_UpgradeResponseHandle *urh)
{
	struct tunnel *t = cls;
	pthread_t th;

	(void)conn;
	(void)con_cls;
	t->sock = sock;
	t->urh = urh;
	if (extra_in_size > 0) {
		t->extra_in = malloc(extra_in_size);
		if (t->extra_in != NULL) {
			memcpy(t->extra_in, extra_in, extra_in_size);
			t->extra_len = extra_in_size;
		}
	}
	if (pthread_create(&th, NULL, tunnel_run, t) != 0) {
		close(t->upfd);
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		free(t->pending);
		free(t->extra_in);
		free(t);
		return;
	}
	pthread_detach(th);
}

static int connect_upstream(void)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = {10, 0};
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(g_proxy.up_host, g_proxy.up_port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/*
 * Forwards a WebSocket handshake over a raw socket. On 101 the connection becomes
 * a tunnel; any other answer is relayed as an ordinary (mutated) response.
 */
static enum MHD_Result forward_websocket(struct MHD_Connection *conn, struct preq *r,
					 const char *method, struct fwd_headers *h)
{
	struct mut_response rs;
	struct MHD_Response *resp;
	struct tunnel *t;
	enum MHD_Result ret = MHD_NO;
	char head[PROXY_HEAD_MAX + 1], line[8192], *end = NULL, *p, *eol;
	size_t got = 0, hlen, i, clen = 0;
	int fd, status = 0;
	ssize_t n;

	memset(&rs, 0, sizeof(rs));
	if (strcmp(method, "GET") != 0)
		return forward_http(conn, r, method, h);
	fd = connect_upstream();
	if (fd < 0)
		return MHD_NO;
	snprintf(line, sizeof(line), "GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: Upgrade\r\n",
		 r->uri, g_proxy.up_host, g_proxy.up_port);
	if (write_all(fd, line, strlen(line)) != 0 || write_all(fd, h->raw, h->raw_len) != 0 ||
	    write_all(fd, "Upgrade: websocket\r\n\r\n", 22) != 0)
		goto fail;
	while (end == NULL && got < PROXY_HEAD_MAX) {
		n = recv(fd, head + got, PROXY_HEAD_MAX - got, 0);
		if (n <= 0)
			goto fail;
		got += (size_t)n;
		head[got] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	if (end == NULL || sscanf(head, "HTTP/1.%*c %d", &status) != 1)
		goto fail;
	hlen = (size_t)(end - head) + 4;
	for (p = strstr(head, "\r\n") + 2; p < end; p = eol + 2) {
		eol = strstr(p, "\r\n");
		add_response_header(&rs, p, (size_t)(eol - p));
	}
	rs.status = status;
	if (status == 101) {
		/* A mutation may refuse the upgrade itself (the tunnel is never opened). */
		char path[2048];
		struct mut_request rq;

		request_path(r, path, sizeof(path));
		rq.method = method;
		rq.path = path;
		rq.origin = h->origin[0] != '\0' ? h->origin : NULL;
		rq.body = r->body;
		rq.body_len = r->len;
		g_proxy.mutation->apply(&rq, &rs);
		if (rs.status != 101) {
			char *body = rs.json != NULL ? json_dumps(rs.json, JSON_COMPACT) : NULL;

			json_decref(rs.json);
			rs.json = NULL;
			rs.json_modified = 0;
			ret = answer(conn, r, method, h->origin, &rs, body != NULL ? body : "",
				     body != NULL ? strlen(body) : 0, false);
			free(body);
			goto fail;
		}
	}
	if (status != 101) {
		const char *cl = mut_header_get(&rs, "Content-Length");
		char *body;

		clen = cl != NULL ? strtoul(cl, NULL, 10) : got - hlen;
		if (clen > PROXY_RESPONSE_MAX)
			goto fail;
		body = malloc(clen + 1);
		if (body == NULL)
			goto fail;
		i = got - hlen < clen ? got - hlen : clen;
		memcpy(body, head + hlen, i);
		while (i < clen) {
			n = recv(fd, body + i, clen - i, 0);
			if (n <= 0)
				break;
			i += (size_t)n;
		}
		ret = answer(conn, r, method, h->origin, &rs, body, i, true);
		free(body);
		goto fail;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto fail;
	t->upfd = fd;
	t->pending_len = got - hlen;
	t->pending = malloc(t->pending_len + 1);
	if (t->pending == NULL) {
		free(t);
		goto fail;
	}
	memcpy(t->pending, head + hlen, t->pending_len);
	resp = MHD_create_response_for_upgrade(on_upgraded, t);
	if (resp == NULL) {
		free(t->pending);
		free(t);
		goto fail;
	}
	for (i = 0; i < rs.n_headers; i++) {
		if (strcasecmp(rs.headers[i].name, "Connection") != 0)
			MHD_add_response_header(resp, rs.headers[i].name, rs.headers[i].value);
	}
	ret = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	MHD_destroy_response(resp);
	mut_response_cleanup(&rs);
	return ret; /* the tunnel owns fd now */
fail:
	mut_response_cleanup(&rs);
	close(fd);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct preq *r = *con_cls;
	struct fwd_headers h;
	enum MHD_Result ret;

	(void)cls;
	(void)url;
	(void)version;
	if (r == NULL)
		return MHD_NO;
	if (!r->started) {
		r->started = 1;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (r->too_large || r->len + n > PROXY_BODY_MAX) {
			r->too_large = 1;
			return MHD_YES;
		}
		if (r->len + n + 1 > r->cap) {
			size_t cap = r->cap ? r->cap : 4096;
			char *nb;

			while (cap < r->len + n + 1)
				cap *= 2;
			nb = realloc(r->body, cap);
			if (nb == NULL)
				return MHD_NO;
			r->body = nb;
			r->cap = cap;
		}
		memcpy(r->body + r->len, upload_data, n);
		r->len += n;
		return MHD_YES;
	}
	if (r->too_large) {
		static const char msg[] =
			"{\"status_code\":413,\"data\":null,\"message\":\"Payload "
			"too large.\",\"error\":{\"code\":\"payload_too_large\"}}";
		struct MHD_Response *resp = MHD_create_response_from_buffer(
			sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);

		if (resp == NULL)
			return MHD_NO;
		MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
		ret = MHD_queue_response(conn, 413, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	memset(&h, 0, sizeof(h));
	MHD_get_connection_values(conn, MHD_HEADER_KIND, on_header, &h);
	if (h.failed)
		ret = MHD_NO;
	else if (h.websocket)
		ret = forward_websocket(conn, r, method, &h);
	else
		ret = forward_http(conn, r, method, &h);
	curl_slist_free_all(h.list);
	free(h.raw);
	return ret;
}

/* Splits "http://host:port[/...]" into g_proxy. 0 on success. */
static int parse_upstream(const char *url)
{
	const char *p, *colon, *slash;
	size_t n;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	snprintf(g_proxy.upstream, sizeof(g_proxy.upstream), "%s", url);
	n = strlen(g_proxy.upstream);
	while (n > 0 && g_proxy.upstream[n - 1] == '/')
		g_proxy.upstream[--n] = '\0';
	p = url + 7;
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	colon = memchr(p, ':', (size_t)(slash - p));
	n = (size_t)((colon != NULL ? colon : slash) - p);
	if (n == 0 || n >= sizeof(g_proxy.up_host))
		return -1;
	memcpy(g_proxy.up_host, p, n);
	g_proxy.up_host[n] = '\0';
	if (colon != NULL) {
		n = (size_t)(slash - colon - 1);
		if (n == 0 || n >= sizeof(g_proxy.up_port))
			return -1;
		memcpy(g_proxy.up_port, colon + 1, n);
		g_proxy.up_port[n] = '\0';
	} else {
		snprintf(g_proxy.up_port, sizeof(g_proxy.up_port), "80");
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mutant-proxy --upstream http://HOST:PORT --mutation NAME "
		   "[--port N] [--bind ADDR]\n"
		   "       mutant-proxy --list\n");
}

int main(int argc, char **argv)
{
	const char *upstream = NULL, *mutation = NULL, *bind_addr = "127.0.0.1";
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d = NULL;
	struct sockaddr_storage ss;
	struct addrinfo hints, *ai = NULL;
	sigset_t set;
	long port = 0;
	int i, sig, rc = 2;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--list") == 0) {
			const struct mutation *t;
			size_t n, k;

			t = mutation_table(&n);
			for (k = 0; k < n; k++)
				printf("%-28s §%-5s %s\n", t[k].name, t[k].spec, t[k].what);
			return 0;
		} else if (strcmp(argv[i], "--upstream") == 0 && i + 1 < argc) {
			upstream = argv[++i];
		} else if (strcmp(argv[i], "--mutation") == 0 && i + 1 < argc) {
			mutation = argv[++i];
		} else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			port = strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
			bind_addr = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (upstream == NULL || mutation == NULL || port < 0 || port > 65535) {
		usage(stderr);
		return 2;
	}
	if (parse_upstream(upstream) != 0) {
		fprintf(stderr, "mutant-proxy: --upstream must be http://HOST[:PORT]\n");
		return 2;
	}
	g_proxy.mutation = mutation_find(mutation);
	if (g_proxy.mutation == NULL) {
		fprintf(stderr, "mutant-proxy: unknown mutation '%s' (see --list)\n", mutation);
		return 2;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(bind_addr, NULL, &hints, &ai) != 0 || ai->ai_addrlen > sizeof(ss)) {
		fprintf(stderr, "mutant-proxy: --bind needs a numeric address\n");
		goto out;
	}
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto out;
	/* Block the stop signals in every thread; main waits for them below. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				     MHD_ALLOW_UPGRADE |
				     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			     (uint16_t)port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, 120U, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "mutant-proxy: cannot listen on %s:%ld\n", bind_addr, port);
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL)
		goto out;
	printf("mutant-proxy listening on http://%s%s%s:%u (mutation %s, upstream %s)\n",
	       ss.ss_family == AF_INET6 ? "[" : "", bind_addr, ss.ss_family == AF_INET6 ? "]" : "",
	       (unsigned)info->port, g_proxy.mutation->name, g_proxy.upstream);
	fflush(stdout);
	if (sigwait(&set, &sig) != 0)
		goto out;
	rc = 0;
out:
	if (d != NULL)
		MHD_stop_daemon(d);
	if (ai != NULL)
		freeaddrinfo(ai);
	curl_global_cleanup();
	return rc;
}
