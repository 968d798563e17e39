/*
 * suite_receiver.c - the suite's callback receiver (see suite_receiver.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "relay_clock.h"
#include "suite_http.h"
#include "suite_receiver.h"

struct upload {
	char *buf;
	size_t len;
	bool too_big;
};

bool receiver_await(struct receiver *r, int64_t deadline_ms)
{
	struct timespec until;

	if (r->stopping || relay_clock_mono_ms() >= deadline_ms)
		return false;
	until.tv_sec = (time_t)(deadline_ms / 1000);
	until.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
	(void)pthread_cond_timedwait(&r->changed, &r->lock, &until);
	return true;
}

static void copy_header(struct MHD_Connection *conn, const char *name, char *out, size_t size)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

	snprintf(out, size, "%s", v ? v : "");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct receiver *r = cls;
	struct upload *u = *con_cls;
	struct MHD_Response *resp;
	static const char ok[] = "{\"received\":true}";
	const char *ev;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;

	(void)method;
	(void)version;
	if (u == NULL) {
		u = calloc(1, sizeof(*u));
		if (u == NULL)
			return MHD_NO;
		*con_cls = u;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (u->len + *data_size > RECEIVER_BODY_MAX) {
			u->too_big = true;
		} else {
			char *grown = realloc(u->buf, u->len + *data_size + 1);

			if (grown == NULL)
				return MHD_NO;
			u->buf = grown;
			memcpy(u->buf + u->len, data, *data_size);
			u->len += *data_size;
			u->buf[u->len] = '\0';
		}
		*data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&r->lock);
	if (r->fail_first > 0) {
		r->fail_first--;
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	ev = strstr(url, RECEIVER_EVENTS_PATH);
	if (r->n < RECEIVER_MAX && !u->too_big &&
	    (ev != NULL || !(r->opts & RECEIVER_EVENTS_ONLY))) {
		struct receiver_delivery *dv = &r->got[r->n++];

		snprintf(dv->path, sizeof(dv->path), "%s", url);
		snprintf(dv->event, sizeof(dv->event), "%s",
			 ev != NULL ? ev + strlen(RECEIVER_EVENTS_PATH) : "");
		copy_header(conn, HMAC1_HEADER_TENANT, dv->tenant, sizeof(dv->tenant));
		copy_header(conn, HMAC1_HEADER_TIMESTAMP, dv->timestamp, sizeof(dv->timestamp));
		copy_header(conn, HMAC1_HEADER_SIGNATURE, dv->signature, sizeof(dv->signature));
		dv->body = u->buf ? u->buf : strdup("");
		dv->body_len = u->len;
		dv->answered = status;
		dv->at_ms = relay_clock_mono_ms();
		u->buf = NULL;
		pthread_cond_broadcast(&r->changed);
	}
	if (r->hold_first && r->n == 1) {
		/* slower than any timeout: held until the retry arrives (RECEIVER_HOLD_MS at most)
		 */
		int64_t end = relay_clock_mono_ms() + RECEIVER_HOLD_MS;

		while (r->n < 2 && receiver_await(r, end))
			;
	}
	pthread_mutex_unlock(&r->lock);
	resp = MHD_create_response_from_buffer(sizeof(ok) - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (u != NULL) {
		free(u->buf);
		free(u);
	}
	*con_cls = NULL;
}

bool receiver_start(struct case_ctx *x, struct receiver *r, unsigned opts)
{
	const struct suite_config *cfg = &x->s->cfg;
	const char *listen = cfg->callback_listen != NULL ? cfg->callback_listen : "127.0.0.1:0";
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	char host[INET6_ADDRSTRLEN] = "127.0.0.1";
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	size_t blen;
	pthread_condattr_t cattr;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC); /* receiver_await() deadlines */
	pthread_cond_init(&r->changed, &cattr);
	pthread_condattr_destroy(&cattr);
	r->opts = opts;
	if (opts & RECEIVER_THREADED)
		flags |= MHD_USE_THREAD_PER_CONNECTION;
	if (!suite_listen_parse(listen, &ss, NULL)) { /* main.c checked it already */
		case_skip(x, "--callback-listen %s is not ADDR:PORT", listen);
		receiver_stop(r);
		return false;
	}
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
	}
	r->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, r, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&ss, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (r->d == NULL) {
		case_skip(x, "cannot start a callback receiver on %s", listen);
		receiver_stop(r);
		return false;
	}
	info = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
	r->port = info ? info->port : 0;
	if (r->port <= 0) {
		case_skip(x, "the callback receiver on %s has no port", listen);
		receiver_stop(r);
		return false;
	}
	if (cfg->callback_public_url != NULL) {
		snprintf(r->base, sizeof(r->base), "%s", cfg->callback_public_url);
	} else {
		/* a wildcard bind is reached through loopback by a local target */
		if (strcmp(host, "0.0.0.0") == 0)
			snprintf(host, sizeof(host), "127.0.0.1");
		else if (strcmp(host, "::") == 0)
			snprintf(host, sizeof(host), "::1");
		snprintf(r->base, sizeof(r->base),
			 ss.ss_family == AF_INET6 ? "http://[%s]:%d" : "http://%s:%d", host,
			 r->port);
	}
	blen = strlen(r->base);
	while (blen > 0 && r->base[blen - 1] == '/')
		r->base[--blen] = '\0';
	report_case_log(x->rcase, "callback receiver on %s port %d, reached as %s", listen, r->port,
			r->base);
	return true;
}

void receiver_set_faults(struct receiver *r, int fail_first, bool hold_first)
{
	pthread_mutex_lock(&r->lock);
	r->fail_first = fail_first;
	r->hold_first = hold_first;
	pthread_mutex_unlock(&r->lock);
}

void receiver_stop(struct receiver *r)
{
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	if (r->d != NULL)
		MHD_stop_daemon(r->d);
	for (size_t i = 0; i < r->n; i++)
		free(r->got[i].body);
	pthread_cond_destroy(&r->changed);
	pthread_mutex_destroy(&r->lock);
}
