/*
 * relay_ws.c - the WebSocket event loop (see relay_ws.h).
 *
 * Threads: MHD threads call ws_hub_adopt/push/close_*, which append a command to
 * a locked queue and write the eventfd; the loop thread alone touches sockets,
 * wslay contexts and the connection list. A socket leaves the loop when wslay
 * wants neither to read nor to write (close handshake done or I/O error), or when
 * the peer has not answered our close within WS_CLOSE_LINGER_MS; then the loop
 * asks MHD to close it (MHD_upgrade_action), as MHD requires.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/rand.h>
#include <wslay/wslay.h>

#include "relay_clock.h"
#include "relay_ws.h"

enum ws_cmd_kind { CMD_ADOPT, CMD_PUSH, CMD_CLOSE_TENANT, CMD_CLOSE_ALL };

struct ws_conn;

struct ws_cmd {
	enum ws_cmd_kind kind;
	struct ws_conn *conn; /* CMD_ADOPT */
	char tenant_id[HMAC1_TENANT_MAX + 1];
	char conversation_id[PREFIXED_ID_MAX + 1];
	char *text; /* CMD_PUSH */
	size_t len;
	uint16_t code;
	struct ws_cmd *next;
};

struct ws_conn {
	struct ws_hub *hub;
	int fd;
	struct MHD_UpgradeResponseHandle *urh;
	wslay_event_context_ptr ctx;
	struct ws_conn_info info;
	char *extra; /* bytes MHD read past the request, consumed first */
	size_t extra_len, extra_off;
	char *token;               /* from the handshake, until on_open ran */
	char *origin;              /* Origin header of the handshake, or NULL */
	uint32_t ep_events;        /* what epoll currently watches */
	bool dead;                 /* I/O failed: drop it */
	bool dropped;              /* out of the loop; freed at the end of the epoll batch */
	bool draining;             /* close done, write side shut: reading to EOF before the drop */
	int64_t close_deadline_ms; /* 0: no close sent yet */
	struct ws_conn *prev, *next;
};

struct ws_hub {
	ws_open_fn on_open;
	ws_text_fn on_text;
	void *ctx;
	size_t max_conns;
	atomic_size_t n_conns;

	int epfd;
	int evfd;
	pthread_t thread;
	bool started;

	pthread_mutex_t lock; /* guards the command queue and `stopped` */
	struct ws_cmd *head, *tail;
	bool stopped; /* no more commands: the loop is gone or going */

	struct ws_conn *conns;     /* loop thread only */
	struct ws_conn *graveyard; /* dropped in this epoll batch, freed after it */
};

const char *ws_close_reason(uint16_t close_code)
{
	switch (close_code) {
	case WS_CLOSE_MALFORMED:
		return "malformed frame";
	case WS_CLOSE_INVALID_TOKEN:
		return "invalid token";
	case WS_CLOSE_FORBIDDEN:
		return "forbidden";
	case WS_CLOSE_RATE_LIMITED:
		return "rate limited";
	case WS_CLOSE_GOING_AWAY:
		return "going away";
	case WS_CLOSE_TOO_BIG:
		return "message too big";
	case WS_CLOSE_POLICY:
		return "send queue full";
	default:
		return "";
	}
}

/* wslay I/O over the non-blocking socket (the extra bytes MHD read come first). */
static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
		       void *user_data)
{
	struct ws_conn *c = user_data;
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
	do {
		n = recv(c->fd, buf, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		else
			wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	if (n == 0) { /* peer went away without a close frame */
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *user_data)
{
	struct ws_conn *c = user_data;
	ssize_t n;

	(void)flags;
	do {
		n = send(c->fd, data, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		else
			wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

/* Only clients mask; wslay asks anyway through the table, so answer with random bytes. */
static int on_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user_data)
{
	(void)ctx;
	(void)user_data;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

/* Queue a close frame with the reason text of §8.3 (no-op when one was queued). */
static void conn_close(struct ws_conn *c, uint16_t code)
{
	const char *reason = ws_close_reason(code);

	if (wslay_event_queue_close(c->ctx, code, (const uint8_t *)reason, strlen(reason)) == 0 &&
	    c->close_deadline_ms == 0)
		c->close_deadline_ms = relay_clock_mono_ms() + WS_CLOSE_LINGER_MS;
}

/* Queue a text frame; a socket whose queue grew past WS_SENDQ_MAX is dropped. */
static void conn_send_text(struct ws_conn *c, const char *text, size_t len)
{
	struct wslay_event_msg msg = {WSLAY_TEXT_FRAME, (const uint8_t *)text, len};

	if (wslay_event_get_queued_msg_length(c->ctx) + len > WS_SENDQ_MAX) {
		c->dead = true;
		return;
	}
	(void)wslay_event_queue_msg(c->ctx, &msg); /* fails only once closing: fine */
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
		   void *user_data)
{
	struct ws_conn *c = user_data;
	char *reply = NULL;
	int code;

	(void)ctx;
	if (arg->opcode == WSLAY_TEXT_FRAME) {
		code = c->hub->on_text(c->hub->ctx, &c->info, (const char *)arg->msg,
				       arg->msg_length, &reply);
		if (reply != NULL)
			conn_send_text(c, reply, strlen(reply));
		free(reply);
		if (code != 0)
			conn_close(c, (uint16_t)code);
	} else if (arg->opcode == WSLAY_BINARY_FRAME) {
		conn_close(c, WS_CLOSE_MALFORMED); /* §8.2.4 */
	}
	/* close, ping and pong are handled by wslay (§8.2.3). */
}

static void conn_free(struct ws_conn *c)
{
	if (c == NULL)
		return;
	if (c->ctx != NULL)
		wslay_event_context_free(c->ctx);
	free(c->extra);
	free(c->token);
	free(c->origin);
	free(c);
}

/* Watch what wslay wants; false when it wants nothing (the socket is done). */
static bool conn_rearm(struct ws_hub *hub, struct ws_conn *c)
{
	struct epoll_event ev = {0};
	uint32_t want = 0;

	if (c->dead)
		return false;
	if (wslay_event_want_read(c->ctx))
		want |= EPOLLIN;
	if (wslay_event_want_write(c->ctx))
		want |= EPOLLOUT;
	if (want == 0) {
		/*
		 * Close handshake over on our side. Shut our write side and read what the
		 * peer still sends until EOF (or the linger ends): dropping a socket with
		 * unread data makes the kernel send RST, which can destroy our close frame
		 * before the peer reads it (e.g. after 1009 on a half-sent big message).
		 */
		if (!c->draining) {
			c->draining = true;
			shutdown(c->fd, SHUT_WR);
			if (c->close_deadline_ms == 0)
				c->close_deadline_ms = relay_clock_mono_ms() + WS_CLOSE_LINGER_MS;
		}
		want = EPOLLIN;
	}
	/* Past the close linger the peer lost its chance to answer. */
	if (c->close_deadline_ms != 0 && relay_clock_mono_ms() > c->close_deadline_ms)
		return false;
	if (want != c->ep_events) {
		ev.events = want;
		ev.data.ptr = c;
		if (epoll_ctl(hub->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
			return false;
		c->ep_events = want;
	}
	return true;
}

/*
 * Take c out of the loop and hand the socket back to MHD to close. c itself is
 * freed after the current epoll batch, which may still name it.
 */
static void conn_drop(struct ws_hub *hub, struct ws_conn *c)
{
	if (c->dropped)
		return;
	c->dropped = true;
	epoll_ctl(hub->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		hub->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	shutdown(c->fd, SHUT_RDWR);
	MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
	c->next = hub->graveyard;
	hub->graveyard = c;
	atomic_fetch_sub(&hub->n_conns, 1);
}

static void bury(struct ws_hub *hub)
{
	struct ws_conn *c;

	while (hub->graveyard != NULL) {
		c = hub->graveyard;
		hub->graveyard = c->next;
		conn_free(c);
	}
}

/* Flush and rearm, dropping c when it is done. */
static void conn_pump(struct ws_hub *hub, struct ws_conn *c)
{
	if (!c->dead && wslay_event_want_write(c->ctx) && wslay_event_send(c->ctx) != 0)
		c->dead = true;
	if (!conn_rearm(hub, c))
		conn_drop(hub, c);
}

/* Discard what a closed peer still sends; drop at EOF or error. */
static void conn_drain(struct ws_hub *hub, struct ws_conn *c)
{
	char buf[16384];
	ssize_t n;
	int rounds;

	for (rounds = 0; rounds < 64; rounds++) { /* at most 1 MiB per wake-up */
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		conn_drop(hub, c);
		return;
	}
}

static void conn_start(struct ws_hub *hub, struct ws_conn *c)
{
	struct epoll_event ev = {0};
	char *first = NULL;
	uint16_t code;

	ev.events = EPOLLIN;
	ev.data.ptr = c;
	c->next = hub->conns;
	if (hub->conns != NULL)
		hub->conns->prev = c;
	hub->conns = c;
	if (epoll_ctl(hub->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
		conn_drop(hub, c);
		return;
	}
	c->ep_events = EPOLLIN;
	code = hub->on_open(hub->ctx, c->token, c->origin, &c->info, &first);
	if (code != 0)
		conn_close(c, code);
	else if (first != NULL)
		conn_send_text(c, first, strlen(first));
	free(first);
	/* Frames the client sent with the handshake are already buffered. */
	if (c->extra_len > 0 && wslay_event_recv(c->ctx) != 0)
		c->dead = true;
	conn_pump(hub, c);
}

static void cmd_free(struct ws_cmd *cmd)
{
	if (cmd == NULL)
		return;
	free(cmd->text);
	free(cmd);
}

/* Append cmd for the loop; false (cmd not taken) once the hub is shut down. */
static bool enqueue(struct ws_hub *hub, struct ws_cmd *cmd)
{
	uint64_t one = 1;
	ssize_t n;

	pthread_mutex_lock(&hub->lock);
	if (hub->stopped) {
		pthread_mutex_unlock(&hub->lock);
		return false;
	}
	if (hub->tail != NULL)
		hub->tail->next = cmd;
	else
		hub->head = cmd;
	hub->tail = cmd;
	pthread_mutex_unlock(&hub->lock);
	n = write(hub->evfd, &one, sizeof(one));
	(void)n; /* a full counter still wakes the loop */
	return true;
}

/* Run the queued commands; returns true when asked to stop. */
static bool run_commands(struct ws_hub *hub)
{
	struct ws_cmd *list, *cmd;
	struct ws_conn *c, *next;
	bool stop = false;
	uint64_t v;
	ssize_t n;

	n = read(hub->evfd, &v, sizeof(v));
	(void)n;
	pthread_mutex_lock(&hub->lock);
	list = hub->head;
	hub->head = hub->tail = NULL;
	stop = hub->stopped; /* nothing is queued after the flag: run the rest, then stop */
	pthread_mutex_unlock(&hub->lock);

	while (list != NULL) {
		cmd = list;
		list = cmd->next;
		switch (cmd->kind) {
		case CMD_ADOPT:
			conn_start(hub, cmd->conn);
			break;
		case CMD_PUSH:
			for (c = hub->conns; c != NULL; c = next) {
				next = c->next;
				if (strcmp(c->info.conversation_id, cmd->conversation_id) != 0 ||
				    strcmp(c->info.tenant_id, cmd->tenant_id) != 0)
					continue;
				conn_send_text(c, cmd->text, cmd->len);
				conn_pump(hub, c);
			}
			break;
		case CMD_CLOSE_TENANT:
		case CMD_CLOSE_ALL:
			for (c = hub->conns; c != NULL; c = next) {
				next = c->next;
				if (cmd->kind == CMD_CLOSE_TENANT &&
				    strcmp(c->info.tenant_id, cmd->tenant_id) != 0)
					continue;
				conn_close(c, cmd->code);
				conn_pump(hub, c);
			}
			break;
		}
		cmd_free(cmd);
	}
	return stop;
}

/* Drop sockets whose close linger ran out (the peer never answered our close). */
static void sweep_lingering(struct ws_hub *hub)
{
	struct ws_conn *c, *next;
	int64_t now = relay_clock_mono_ms();

	for (c = hub->conns; c != NULL; c = next) {
		next = c->next;
		if (c->close_deadline_ms != 0 && now > c->close_deadline_ms)
			conn_drop(hub, c);
	}
}

#define WS_EVENTS_BATCH 256

static void *loop_main(void *arg)
{
	struct ws_hub *hub = arg;
	struct epoll_event evs[WS_EVENTS_BATCH];
	bool stop = false;
	int n, i;

	while (!stop) {
		n = epoll_wait(hub->epfd, evs, WS_EVENTS_BATCH, 500);
		for (i = 0; i < n; i++) {
			struct ws_conn *c = evs[i].data.ptr;

			if (c == NULL) {
				stop = run_commands(hub) || stop;
				continue;
			}
			if (c->dropped) /* by a command earlier in this batch */
				continue;
			if (c->draining) {
				conn_drain(hub, c);
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				if (wslay_event_recv(c->ctx) != 0)
					c->dead = true;
			}
			conn_pump(hub, c);
		}
		sweep_lingering(hub);
		bury(hub);
	}
	/* Going away: close every socket, give the frames a moment, drop the rest. */
	{
		struct ws_conn *c, *next;
		int64_t until = relay_clock_mono_ms() + 200;

		for (c = hub->conns; c != NULL; c = next) {
			next = c->next;
			conn_close(c, WS_CLOSE_GOING_AWAY);
			conn_pump(hub, c);
		}
		while (hub->conns != NULL && relay_clock_mono_ms() < until) {
			n = epoll_wait(hub->epfd, evs, WS_EVENTS_BATCH, 50);
			for (i = 0; i < n; i++) {
				struct ws_conn *cc = evs[i].data.ptr;

				if (cc == NULL || cc->dropped)
					continue;
				if (cc->draining) {
					conn_drain(hub, cc);
					continue;
				}
				if ((evs[i].events & EPOLLIN) && wslay_event_recv(cc->ctx) != 0)
					cc->dead = true;
				conn_pump(hub, cc);
			}
			bury(hub);
		}
		while (hub->conns != NULL)
			conn_drop(hub, hub->conns);
		bury(hub);
	}
	return NULL;
}

/*
 * Each socket is a file descriptor: make sure the soft limit leaves room for a full
 * hub plus HTTP traffic (a common default soft limit is 1,024), up to the hard limit.
 */
static void raise_fd_limit(size_t max_conns)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_conns * 4 + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

struct ws_hub *ws_hub_new(size_t max_conns, ws_open_fn on_open, ws_text_fn on_text, void *ctx)
{
	struct ws_hub *hub = calloc(1, sizeof(*hub));
	struct epoll_event ev = {0};

	if (hub == NULL)
		return NULL;
	raise_fd_limit(max_conns);
	hub->on_open = on_open;
	hub->on_text = on_text;
	hub->ctx = ctx;
	hub->max_conns = max_conns;
	hub->epfd = -1;
	hub->evfd = -1;
	pthread_mutex_init(&hub->lock, NULL);
	hub->epfd = epoll_create1(EPOLL_CLOEXEC);
	hub->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (hub->epfd < 0 || hub->evfd < 0)
		goto fail;
	ev.events = EPOLLIN;
	ev.data.ptr = NULL; /* NULL marks the eventfd */
	if (epoll_ctl(hub->epfd, EPOLL_CTL_ADD, hub->evfd, &ev) != 0)
		goto fail;
	if (pthread_create(&hub->thread, NULL, loop_main, hub) != 0)
		goto fail;
	hub->started = true;
	return hub;
fail:
	ws_hub_free(hub);
	return NULL;
}

void ws_hub_shutdown(struct ws_hub *hub)
{
	uint64_t one = 1;
	ssize_t n;

	if (hub == NULL || !hub->started)
		return;
	pthread_mutex_lock(&hub->lock);
	hub->stopped = true;
	pthread_mutex_unlock(&hub->lock);
	n = write(hub->evfd, &one, sizeof(one));
	(void)n;
	pthread_join(hub->thread, NULL);
	hub->started = false;
}

void ws_hub_free(struct ws_hub *hub)
{
	struct ws_cmd *cmd;

	if (hub == NULL)
		return;
	ws_hub_shutdown(hub);
	while (hub->head != NULL) {
		cmd = hub->head;
		hub->head = cmd->next;
		cmd_free(cmd);
	}
	if (hub->epfd >= 0)
		close(hub->epfd);
	if (hub->evfd >= 0)
		close(hub->evfd);
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}

size_t ws_hub_count(struct ws_hub *hub)
{
	return hub == NULL ? 0 : atomic_load(&hub->n_conns);
}

size_t ws_hub_max(struct ws_hub *hub)
{
	return hub == NULL ? 0 : hub->max_conns;
}

void ws_hub_adopt(struct ws_hub *hub, int sock, struct MHD_UpgradeResponseHandle *urh,
		  const char *extra_in, size_t extra_in_size, const char *token, const char *origin)
{
	static const struct wslay_event_callbacks cbs = {
		on_recv, on_send, on_genmask, NULL, NULL, NULL, on_msg,
	};
	struct ws_conn *c = calloc(1, sizeof(*c));
	struct ws_cmd *cmd = calloc(1, sizeof(*cmd));
	int flags, one = 1;

	if (c == NULL || cmd == NULL)
		goto fail;
	c->hub = hub;
	c->fd = sock;
	c->urh = urh;
	c->token = token != NULL ? strdup(token) : NULL;
	c->origin = origin != NULL ? strdup(origin) : NULL;
	if ((token != NULL && c->token == NULL) || (origin != NULL && c->origin == NULL))
		goto fail;
	if (extra_in_size > 0) {
		c->extra = malloc(extra_in_size);
		if (c->extra == NULL)
			goto fail;
		memcpy(c->extra, extra_in, extra_in_size);
		c->extra_len = extra_in_size;
	}
	if (wslay_event_context_server_init(&c->ctx, &cbs, c) != 0) {
		c->ctx = NULL;
		goto fail;
	}
	wslay_event_config_set_max_recv_msg_length(c->ctx, WS_MAX_MSG);
	flags = fcntl(sock, F_GETFL, 0);
	if (flags < 0 || fcntl(sock, F_SETFL, flags | O_NONBLOCK) != 0)
		goto fail;
	/* Frames are small and written whole: send them now, not after a delayed ACK. */
	MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CORK_OFF);
	(void)setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	atomic_fetch_add(&hub->n_conns, 1);
	cmd->kind = CMD_ADOPT;
	cmd->conn = c;
	if (!enqueue(hub, cmd)) { /* shutting down: give the socket straight back */
		atomic_fetch_sub(&hub->n_conns, 1);
		goto fail;
	}
	return;
fail:
	conn_free(c);
	free(cmd);
	MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

void ws_hub_push(struct ws_hub *hub, const char *tenant_id, const char *conversation_id,
		 const char *text, size_t len)
{
	struct ws_cmd *cmd;

	if (hub == NULL || atomic_load(&hub->n_conns) == 0)
		return;
	cmd = calloc(1, sizeof(*cmd));
	if (cmd == NULL)
		return;
	cmd->kind = CMD_PUSH;
	snprintf(cmd->tenant_id, sizeof(cmd->tenant_id), "%s", tenant_id);
	snprintf(cmd->conversation_id, sizeof(cmd->conversation_id), "%s", conversation_id);
	cmd->text = malloc(len + 1);
	if (cmd->text == NULL) {
		free(cmd);
		return;
	}
	memcpy(cmd->text, text, len);
	cmd->text[len] = '\0';
	cmd->len = len;
	if (!enqueue(hub, cmd))
		cmd_free(cmd);
}

static void close_cmd(struct ws_hub *hub, enum ws_cmd_kind kind, const char *tenant_id,
		      uint16_t close_code)
{
	struct ws_cmd *cmd;

	if (hub == NULL)
		return;
	cmd = calloc(1, sizeof(*cmd));
	if (cmd == NULL)
		return;
	cmd->kind = kind;
	cmd->code = close_code;
	if (tenant_id != NULL)
		snprintf(cmd->tenant_id, sizeof(cmd->tenant_id), "%s", tenant_id);
	if (!enqueue(hub, cmd))
		free(cmd);
}

void ws_hub_close_tenant(struct ws_hub *hub, const char *tenant_id, uint16_t close_code)
{
	close_cmd(hub, CMD_CLOSE_TENANT, tenant_id, close_code);
}

void ws_hub_close_all(struct ws_hub *hub, uint16_t close_code)
{
	close_cmd(hub, CMD_CLOSE_ALL, NULL, close_code);
}

json_t *ws_message_frame(const json_t *msg)
{
	return json_pack("{s:s, s:O, s:O, s:O, s:O}", "type", "message", "id",
			 json_object_get(msg, "id"), "role", json_object_get(msg, "role"),
			 "content", json_object_get(msg, "content"), "created_at",
			 json_object_get(msg, "created_at"));
}
