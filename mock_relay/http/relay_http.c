/*
 * relay_http.c - libmicrohttpd glue (SPEC §1, §10.3, §10.4, §13).
 *
 * Per request: the URI log callback creates the request context (it sees the raw
 * URI, so the query string length can be checked), the access handler accumulates
 * the body under HTTP_BODY_MAX and then dispatches, and the completion callback
 * writes the journal entry and the log line and frees the context.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "relay_auth.h"
#include "relay_envelope.h"
#include "relay_faults.h"
#include "relay_guard.h"
#include "relay_http.h"
#include "relay_hup.h"
#include "relay_log.h"
#include "relay_router.h"
#include "relay_statedb.h"
#include "relay_ws.h"

/*
 * §13: open connections, upgraded WebSockets included. The limit is split between the
 * pool's threads, which do not share load evenly: room for a full hub plus HTTP
 * traffic on one thread.
 */
#define HTTP_CONN_LIMIT (WS_MAX_CONNS * 4)

/*
 * Requests between URI callback and completion, counted per worker thread: one shared
 * counter was a cache line written by both workers on every request. A connection
 * stays on one worker, so a thread's count is its own requests; threads past
 * INFLIGHT_SLOTS share slots (still exact: the slots are atomic). Read by summing.
 */
#define INFLIGHT_SLOTS 64

struct inflight_slot {
	_Alignas(64) atomic_int n;
};

struct relay_http {
	struct MHD_Daemon *daemon;
	struct relay_state *st;
	struct hup_watch *hup; /* §1.9.4: half-closed connections; NULL when none could start */
	atomic_int conns;      /* open connections (upgraded WebSockets included) */
	int port;
	struct inflight_slot inflight[INFLIGHT_SLOTS];
};

/* This thread's inflight slot. */
static atomic_int *inflight_mine(struct relay_http *http)
{
	static atomic_uint next_slot;
	static _Thread_local int slot = -1;

	if (slot < 0)
		slot = (int)(atomic_fetch_add(&next_slot, 1) % INFLIGHT_SLOTS);
	return &http->inflight[slot].n;
}

/* Requests in flight on every thread. */
static int inflight_total(struct relay_http *http)
{
	int n = 0;

	for (size_t i = 0; i < INFLIGHT_SLOTS; i++)
		n += atomic_load_explicit(&http->inflight[i].n, memory_order_relaxed);
	return n;
}

/*
 * One per connection (MHD's socket context): the request context on_uri made and
 * on_completed has not taken yet. MHD does not call on_completed for a request it
 * refuses itself after the URI callback (e.g. more query arguments than its memory
 * pool holds); on_connection frees such a context when the connection closes.
 */
struct conn_slot {
	struct req_ctx *pending;
	struct req_ctx *spare; /* the last request's context, kept for the next one */
	int hup;               /* its hup_watch entry, or -1 */
};

/* A query this long or shorter is copied into the request context, not allocated. */
#define QUERY_INLINE_MAX 255

/* One request's state; owned by MHD's con_cls between the callbacks. */
struct req_ctx {
	struct relay_http *http;
	struct conn_slot *slot; /* NULL when the connection has none */
	int64_t start_ns;
	size_t query_len;
	char *query; /* raw query copy, NULL when none or over HTTP_QUERY_MAX */
	bool started;
	bool too_large;
	bool control;   /* control-plane route: no journal entry */
	bool journaled; /* its journal entry is written (journal_request) */
	bool path_nul;  /* the raw path holds %00: libmicrohttpd's decoded path is cut there */
	bool refused;   /* §1.9.2: its header section broke RFC 9112; 400, then close */
	char *body;     /* at most HTTP_BODY_MAX + 1 bytes */
	size_t body_len;
	size_t body_cap;
	size_t received;             /* bytes seen, stored or not */
	struct request_headers hdrs; /* the one header pass (guard_request_check) */
	struct journal_entry je;
	/* not cleared between requests: query points here when the query fits */
	char query_inline[QUERY_INLINE_MAX + 1];
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- dispatch ----------------------------------------------------------- */

/* 1 when the raw path uri[0..len) holds an encoded NUL ("%00"). */
static int path_has_nul(const char *uri, size_t len)
{
	size_t i;

	for (i = 0; i + 2 < len; i++) {
		if (uri[i] == '%' && uri[i + 1] == '0' && uri[i + 2] == '0')
			return 1;
	}
	return 0;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct relay_http *http = cls;
	const union MHD_ConnectionInfo *info;
	struct conn_slot *slot;
	struct req_ctx *ctx;
	const char *q;

	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	slot = info != NULL ? info->socket_context : NULL;
	/* a keep-alive connection's requests come one at a time: one context serves them all */
	if (slot != NULL && slot->spare != NULL) {
		ctx = slot->spare;
		slot->spare = NULL;
		memset(ctx, 0, offsetof(struct req_ctx, query_inline));
	} else {
		ctx = calloc(1, sizeof(*ctx));
		if (ctx == NULL)
			return NULL; /* the access handler refuses the request */
	}
	ctx->http = http;
	ctx->slot = slot;
	if (slot != NULL)
		slot->pending = ctx;
	ctx->start_ns = mono_ns();
	q = uri != NULL ? strchr(uri, '?') : NULL;
	ctx->path_nul =
		uri != NULL && path_has_nul(uri, q != NULL ? (size_t)(q - uri) : strlen(uri));
	ctx->query_len = q != NULL ? strlen(q + 1) : 0;
	if (q != NULL && ctx->query_len <= QUERY_INLINE_MAX) {
		memcpy(ctx->query_inline, q + 1, ctx->query_len + 1);
		ctx->query = ctx->query_inline;
	} else if (q != NULL && ctx->query_len <= HTTP_QUERY_MAX) {
		ctx->query = strdup(q + 1); /* NULL when out of memory: treated as none */
	}
	atomic_fetch_add_explicit(inflight_mine(http), 1, memory_order_relaxed);
	return ctx;
}

/* Frees the query copy unless it is the inline one. */
static void query_free(struct req_ctx *ctx)
{
	if (ctx->query != ctx->query_inline)
		free(ctx->query);
	ctx->query = NULL;
}

/* Appends data to the body unless that would pass HTTP_BODY_MAX (§1.7). */
static void take_body(struct req_ctx *ctx, const char *data, size_t n)
{
	size_t cap;
	char *nb;

	ctx->received += n;
	if (ctx->too_large || ctx->body_len + n > HTTP_BODY_MAX) {
		ctx->too_large = true;
		return;
	}
	if (ctx->body_len + n + 1 > ctx->body_cap) {
		cap = ctx->body_cap > 0 ? ctx->body_cap : 4096;
		while (cap < ctx->body_len + n + 1)
			cap *= 2;
		if (cap > HTTP_BODY_MAX + 1)
			cap = HTTP_BODY_MAX + 1;
		nb = realloc(ctx->body, cap);
		if (nb == NULL) {
			ctx->too_large = true; /* cannot keep it: answer 413 rather than crash */
			return;
		}
		ctx->body = nb;
		ctx->body_cap = cap;
	}
	memcpy(ctx->body + ctx->body_len, data, n);
	ctx->body_len += n;
	ctx->body[ctx->body_len] = '\0';
}

static void dispatch(struct req_ctx *ctx, struct relay_request *req, struct relay_response *resp)
{
	struct relay_state *st = ctx->http->st;
	const struct relay_route *route;
	char allow[ROUTER_ALLOW_MAX];
	struct fault_hit hit;
	enum relay_rc rc = RELAY_OK;

	/* §1.9.2 framing, then §1.6.3: query cap, body cap, faults, routing, the route. */
	if (ctx->refused) {
		response_error(resp, RELAY_E_MALFORMED_REQUEST, NULL, NULL);
		(void)response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
		return;
	}
	if (ctx->query_len > HTTP_QUERY_MAX) {
		response_error(resp, RELAY_E_MALFORMED_REQUEST, NULL, NULL);
		return;
	}
	if (ctx->too_large) {
		response_error(resp, RELAY_E_PAYLOAD_TOO_LARGE, NULL, NULL);
		return;
	}
	/* §1.6.1: no route holds a NUL, so a path with %00 matches none (not its prefix). */
	if (ctx->path_nul) {
		route = NULL;
		rc = RELAY_E_NOT_FOUND;
	} else {
		route = router_match(req->method, req->path, &rc, allow);
	}
	ctx->control = (route != NULL && (route->flags & ROUTE_CONTROL)) ||
		       strncmp(req->path, "/__mock/", 8) == 0;
	if (!ctx->control) {
		faults_take(st->faults, req->path, &hit);
		if (hit.kind == FAULT_DROP) {
			resp->drop = true;
			return;
		}
		if (hit.kind == FAULT_STATUS) {
			response_error_status(resp, RELAY_E_FAULT_INJECTED, hit.status, NULL);
			return;
		}
		if (hit.kind == FAULT_DELAY) {
			struct timespec ts = {hit.delay_ms / 1000,
					      (hit.delay_ms % 1000) * 1000000L};

			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
			req->now_ms = relay_clock_now_ms(&st->clock);
		}
	}
	if (route == NULL) {
		response_error(resp, rc, NULL, NULL);
		if (rc == RELAY_E_METHOD_NOT_ALLOWED)
			(void)response_header(resp, "Allow", allow);
		return;
	}
	if ((route->flags & (ROUTE_ADMIN | ROUTE_CONTROL)) && !auth_admin_key_ok(req)) {
		response_error(resp, RELAY_E_INVALID_ADMIN_KEY, NULL, NULL);
		return;
	}
	if ((route->flags & ROUTE_HMAC1) && auth_hmac1(req, resp) != RELAY_OK)
		return;
	route->handler(req, resp);
	if (resp->status == 0 && !resp->drop)
		response_error(resp, RELAY_E_INTERNAL, NULL, NULL);
	/* §4.5 step 7: the route refused the query or the body. */
	if ((route->flags & ROUTE_HMAC1) &&
	    (resp->rc == RELAY_E_MALFORMED_REQUEST || resp->rc == RELAY_E_VALIDATION_FAILED))
		journal_copy(req->journal->failed_step, sizeof(req->journal->failed_step),
			     hmac1_step_name(HMAC1_STEP_BODY));
}

/*
 * §10.3.1: the request's journal entry and log line, written once: when its response is
 * queued, before any byte of it is sent (so a client that waits for each response finds
 * its calls in the journal in the order it made them, and, when no other request is in
 * flight, its log line already written), or when the connection ends without one
 * (status 0).
 */
/*
 * True when the buffered log lines should go out now (relay_log.h): inflight
 * requests are in flight (this one included) and one connection at most is open,
 * so a client that waits for each answer finds each line written. Under concurrent
 * load the flusher writes them in batches instead of one write(2) per request.
 */
static bool alone(struct relay_http *http, int inflight)
{
	/* conns first: it changes per connection, not per request, so under load it ends this */
	return atomic_load(&http->conns) <= 1 && inflight_total(http) == inflight;
}

static void journal_request(struct relay_http *http, struct req_ctx *ctx, int status)
{
	if (ctx->journaled)
		return;
	ctx->journaled = true;
	ctx->je.status = status;
	/* §1.9.3: no secret sent by mistake is written out as received */
	guard_redact(ctx->je.tenant_id, sizeof(ctx->je.tenant_id), GUARD_ID_LOG_MAX);
	guard_redact(ctx->je.path, sizeof(ctx->je.path), sizeof(ctx->je.path));
	if (ctx->je.hmac1)
		guard_redact(ctx->je.timestamp, sizeof(ctx->je.timestamp),
			     sizeof(ctx->je.timestamp));
	ctx->je.duration_us = (mono_ns() - ctx->start_ns) / 1000;
	if (!ctx->control)
		journal_append(http->st->journal, &ctx->je);
	log_request(http->st->cfg.log_format, &ctx->je);
	if (alone(http, 1))
		log_flush();
}

/* Queues resp on conn; MHD_NO closes the connection (drop fault, or no memory). */
static enum MHD_Result send_response(struct MHD_Connection *conn, struct relay_response *resp,
				     struct req_ctx *ctx)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *body;
	size_t len = 0, i;

	if (resp->drop) {
		journal_request(ctx->http, ctx, 0);
		return MHD_NO;
	}
	if (resp->raw != NULL) {
		r = resp->raw;
		resp->raw = NULL;
	} else {
		if (resp->text != NULL) {
			body = resp->text;
			len = resp->text_len;
			resp->text = NULL;
		} else {
			body = envelope_dump(resp->envelope, &len);
			resp->envelope = NULL;
		}
		if (body == NULL) {
			static const char oom[] = "{\"status_code\":500,\"data\":null,\"message\":"
						  "\"Out of memory.\",\"error\":{\"code\":"
						  "\"internal_error\"}}";

			resp->status = 500;
			resp->rc = RELAY_E_INTERNAL;
			r = MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom,
							    MHD_RESPMEM_PERSISTENT);
		} else {
			r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
			if (r == NULL)
				free(body);
		}
		if (r == NULL)
			return MHD_NO;
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, HTTP_CONTENT_TYPE);
	}
	for (i = 0; i < resp->n_headers; i++)
		(void)MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	journal_request(ctx->http, ctx, resp->status);
	ret = MHD_queue_response(conn, (unsigned int)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * guard_request_check() callback: one header into the journal entry cls. A value shaped
 * like a tenant secret, or an X-Bloonio-Tenant-Id longer than an id, is journaled
 * redacted as the entry's tenant_id is (SPEC §1.9.3, §10.3.5).
 */
static void journal_header(void *cls, const char *name, size_t name_len, const char *value,
			   size_t value_len)
{
	char redacted[64];
	size_t nl, vl;
	int n;

	if (name == NULL || value == NULL)
		return;
	/* the text up to its first NUL, as the journal stores C strings (§1.9.2 refuses NULs) */
	nl = strnlen(name, name_len);
	vl = strnlen(value, value_len);
	if (!guard_loggable_n(value, vl,
			      nl == sizeof(HMAC1_HEADER_TENANT) - 1 &&
					      strncasecmp(name, HMAC1_HEADER_TENANT, nl) == 0
				      ? GUARD_ID_LOG_MAX
				      : SIZE_MAX)) {
		n = snprintf(redacted, sizeof(redacted), "[redacted:%zu-bytes]", vl);
		value = redacted;
		vl = n > 0 ? (size_t)n : 0;
	}
	journal_add_header_n(cls, name, nl, value, vl);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct relay_http *http = cls;
	struct req_ctx *ctx = *con_cls;
	struct relay_request req;
	struct relay_response resp;
	struct guard_framing framing = {false, false};
	enum MHD_Result ret;
	const char *cl;

	if (ctx == NULL)
		return MHD_NO;
	if (!ctx->started) {
		ctx->started = true;
		journal_copy(ctx->je.method, sizeof(ctx->je.method), method);
		journal_copy(ctx->je.path, sizeof(ctx->je.path), url);
		/*
		 * §1.9.2: a header section RFC 9112 refuses is answered before its body.
		 * The same pass keeps the headers the gate reads and journals each one
		 * (§10.3.3: as received, secrets redacted; kept for control routes too,
		 * which are not journaled).
		 */
		ctx->refused = guard_request_check(conn, version, &framing, &ctx->hdrs,
						   journal_header, &ctx->je) != RELAY_OK;
		cl = ctx->hdrs.content_length;
		/* A body declared this large is refused before any of it is read. */
		if (cl != NULL && strtoull(cl, NULL, 10) > HTTP_DRAIN_MAX)
			ctx->too_large = true;
		/*
		 * §1.9.5: with Expect and no body, answer now: libmicrohttpd 0.9.75 would
		 * send its 100 Continue and lose the answer to bytes pipelined after it.
		 */
		else if (!ctx->refused && (framing.has_body || !framing.expect))
			return MHD_YES;
	} else if (*upload_data_size > 0) {
		take_body(ctx, upload_data, *upload_data_size);
		*upload_data_size = 0;
		if (ctx->received <= HTTP_DRAIN_MAX)
			return MHD_YES;
	}

	memset(&req, 0, sizeof(req));
	response_init(&resp); /* not a memset: the header slots alone are 9 KiB */
	req.st = http->st;
	req.conn = conn;
	req.method = method;
	req.path = url;
	req.query = ctx->query != NULL ? ctx->query : "";
	req.body = ctx->body != NULL ? ctx->body : "";
	req.body_len = ctx->body_len;
	req.now_ms = relay_clock_now_ms(&http->st->clock);
	req.origin = ctx->hdrs.origin;
	req.headers = &ctx->hdrs;
	req.journal = &ctx->je;
	ctx->je.at_ms = req.now_ms;

	dispatch(ctx, &req, &resp);
	/* §14.2: what the request wrote is committed before its answer is queued. */
	if (statedb_sync() != RELAY_OK && resp.status >= 200 && resp.status <= 299) {
		response_cleanup(&resp);
		response_init(&resp);
		response_error(&resp, RELAY_E_STATE_UNAVAILABLE, NULL, NULL);
	}
	if (req.tenant_id[0] != '\0')
		journal_copy(ctx->je.tenant_id, sizeof(ctx->je.tenant_id), req.tenant_id);
	if (resp.rc != RELAY_OK)
		journal_copy(ctx->je.error_code, sizeof(ctx->je.error_code),
			     relay_rc_code(resp.rc));
	ret = send_response(conn, &resp, ctx);
	response_cleanup(&resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct relay_http *http = cls;
	struct req_ctx *ctx = *con_cls;

	(void)conn;
	(void)toe;
	if (ctx == NULL)
		return;
	*con_cls = NULL;
	if (ctx->started)
		journal_request(http, ctx, 0); /* no response was queued */
	if (ctx->slot != NULL && ctx->slot->pending == ctx)
		ctx->slot->pending = NULL;
	free(ctx->body);
	query_free(ctx);
	if (ctx->slot != NULL && ctx->slot->spare == NULL)
		ctx->slot->spare = ctx; /* freed with the connection (on_connection) */
	else
		free(ctx);
	/* Nothing else in flight on the only connection: the lines go out (relay_log.h). */
	atomic_fetch_sub_explicit(inflight_mine(http), 1, memory_order_relaxed);
	if (alone(http, 0))
		log_flush();
}

/* Connection start and end: the slot of struct conn_slot, and any request left in it. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct relay_http *http = cls;
	struct conn_slot *slot = *socket_context;
	const union MHD_ConnectionInfo *info;
	struct req_ctx *ctx;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&http->conns, 1);
		slot = calloc(1, sizeof(struct conn_slot)); /* NULL: no slot */
		*socket_context = slot;
		if (slot == NULL)
			return;
		info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		slot->hup = info != NULL ? hup_watch_add(http->hup, info->connect_fd) : -1;
		return;
	}
	atomic_fetch_sub(&http->conns, 1);
	if (slot == NULL)
		return;
	/* before libmicrohttpd closes the socket, so its number is not reused yet */
	hup_watch_remove(http->hup, slot->hup);
	ctx = slot->pending;
	if (ctx != NULL) {
		/* refused by MHD before the access handler: nothing was answered or logged */
		free(ctx->body);
		query_free(ctx);
		free(ctx);
		atomic_fetch_sub_explicit(inflight_mine(http), 1, memory_order_relaxed);
	}
	free(slot->spare);
	free(slot);
	*socket_context = NULL;
}

/* ---- daemon ------------------------------------------------------------- */

struct relay_http *http_start(struct relay_state *st)
{
	struct relay_http *h;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	const union MHD_DaemonInfo *info;
	size_t conn_limit;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_UPGRADE | MHD_USE_ITC;

	h = aligned_alloc(_Alignof(struct relay_http), sizeof(*h)); /* the slots' alignment */
	if (h == NULL)
		return NULL;
	memset(h, 0, sizeof(*h));
	h->st = st;
	for (size_t i = 0; i < INFLIGHT_SLOTS; i++)
		atomic_init(&h->inflight[i].n, 0);
	atomic_init(&h->conns, 0);
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, st->cfg.bind, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)st->cfg.port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, st->cfg.bind, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)st->cfg.port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		fprintf(stderr, "mock-relay: --bind %s is not an IPv4 or IPv6 address\n",
			st->cfg.bind);
		free(h);
		return NULL;
	}
	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL
									: MHD_USE_AUTO;
	conn_limit = HTTP_CONN_LIMIT > st->cfg.ws_max_sockets * 4 ? HTTP_CONN_LIMIT
								  : st->cfg.ws_max_sockets * 4;
	h->hup = hup_watch_new(conn_limit); /* NULL: half-closes wait for the timeout */
	h->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, h, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
		h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned int)st->cfg.threads, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
		/*
		 * Upgraded WebSockets count as connections until closed (§13), and the
		 * limit is split between the pool's threads, which do not share load
		 * evenly: leave room for a full hub plus HTTP traffic on one thread.
		 */
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)conn_limit,
		/* §1.9.1: one client address holds at most its share of the limit */
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)st->cfg.conns_per_ip,
		MHD_OPTION_END);
	if (h->daemon == NULL) {
		fprintf(stderr, "mock-relay: cannot listen on %s:%d: %s\n", st->cfg.bind,
			st->cfg.port, strerror(errno));
		hup_watch_free(h->hup);
		free(h);
		return NULL;
	}
	if (!log_start())
		fprintf(stderr,
			"mock-relay: no log flusher thread: each log line written at once\n");
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL && info->port != 0 ? (int)info->port : st->cfg.port;
	return h;
}

int http_port(const struct relay_http *h)
{
	return h->port;
}

void http_stop(struct relay_http *h, int wait_ms)
{
	int waited = 0;

	if (h == NULL)
		return;
	/*
	 * Let the requests in flight finish (bounded), then stop the daemon, which closes
	 * the listening socket. No MHD_quiesce_daemon() first: with an epoll thread pool,
	 * libmicrohttpd 0.9.75 takes the listening socket out of a worker's epoll set both
	 * there and in the worker itself once it sees the daemon quiesced, neither under a
	 * lock, and aborts the process when the second removal fails (ENOENT): a worker
	 * woken by any socket at that moment (a client closing its WebSocket as the mock is
	 * told to stop) made the mock die of SIGABRT at exit now and then. A connection
	 * accepted during the wait is served like any other and waited for alike.
	 */
	while (inflight_total(h) > 0 && waited < wait_ms) {
		struct timespec ts = {0, 10 * 1000000L};

		nanosleep(&ts, NULL);
		waited += 10;
	}
	MHD_stop_daemon(h->daemon);
	hup_watch_free(h->hup); /* after the daemon: no connection is left to remove */
	log_stop();             /* the workers are gone: every buffered line is written */
	free(h);
}
