/*
 * cb_receiver.c - a callback receiver for the mock's tests (see cb_receiver.h).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "cb_receiver.h"
#include "relay_clock.h"
#include "relay_hmac1.h"

struct rx_conn {
	char *body;
	size_t len;
};

static void rx_header(void *cls, const char *name, const char *value)
{
	hmac1_headers_add(cls, name, value);
}

static enum MHD_Result rx_each_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	(void)kind;
	rx_header(cls, key, value);
	return MHD_YES;
}

static enum MHD_Result rx_answer(struct MHD_Connection *conn, int status, const char *location)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (location != NULL)
		MHD_add_response_header(r, "Location", location);
	ret = MHD_queue_response(conn, (unsigned int)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result rx_handler(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct receiver *rx = cls;
	struct rx_conn *c = *con_cls;
	struct hmac1_headers h;
	struct hmac1_verdict v;
	struct rx_record *rec;
	const char *ct;
	int status = 200;
	char location[128];

	(void)method;
	(void)version;
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return MHD_NO;
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		char *nb = realloc(c->body, c->len + *upload_size + 1);

		if (nb == NULL || c->len + *upload_size > RX_BODY_MAX)
			return MHD_NO;
		c->body = nb;
		memcpy(c->body + c->len, upload, *upload_size);
		c->len += *upload_size;
		c->body[c->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&rx->lock);
	if (strncmp(url, "/api/v1/chat-callbacks/", 23) != 0) {
		rx->stray++;
		pthread_mutex_unlock(&rx->lock);
		return rx_answer(conn, 200, NULL);
	}
	if (rx->n >= RX_MAX) {
		pthread_mutex_unlock(&rx->lock);
		return rx_answer(conn, 200, NULL);
	}
	rec = &rx->rec[rx->n];
	snprintf(rec->path, sizeof(rec->path), "%s", url);
	ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	snprintf(rec->content_type, sizeof(rec->content_type), "%s", ct != NULL ? ct : "");
	rec->body_len = c->len < sizeof(rec->body) - 1 ? c->len : sizeof(rec->body) - 1;
	if (c->body != NULL)
		memcpy(rec->body, c->body, rec->body_len);
	rec->body[rec->body_len] = '\0';
	hmac1_headers_init(&h);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, rx_each_header, &h);
	snprintf(rec->tenant_id, sizeof(rec->tenant_id), "%s",
		 h.tenant_id != NULL ? h.tenant_id : "");
	/* What a tenant backend does (CWH): the raw body, its timestamp window, its secret. */
	rec->sig_valid = hmac1_verify(&h, c->body, c->len, relay_clock_real_ms(), rx->secret,
				      strlen(rx->secret), 0, &v) == RELAY_OK;
	if (rx->mode == RX_FAIL_FIRST && rx->n < rx->fail_first)
		status = 500;
	if (rx->mode == RX_REDIRECT)
		status = 302;
	if (rx->mode == RX_HOLD_FIRST && rx->n == 0)
		status = 500;
	rec->answered = status;
	rx->n++;
	if (rx->mode == RX_HOLD_FIRST && rec == &rx->rec[0])
		while (!rx->released)
			pthread_cond_wait(&rx->released_cv, &rx->lock);
	pthread_mutex_unlock(&rx->lock);
	if (rx->mode == RX_SLOW)
		rx_sleep_ms(1500); /* longer than the mock's --callback-timeout-ms */
	snprintf(location, sizeof(location), "http://127.0.0.1:%d/elsewhere", rx->port);
	return rx_answer(conn, status, status == 302 ? location : NULL);
}

static void rx_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct rx_conn *c = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (c != NULL) {
		free(c->body);
		free(c);
		*con_cls = NULL;
	}
}

struct receiver *rx_start(enum rx_mode mode, int fail_first)
{
	struct receiver *rx = calloc(1, sizeof(*rx));
	const union MHD_DaemonInfo *info;

	assert_non_null(rx);
	pthread_mutex_init(&rx->lock, NULL);
	pthread_cond_init(&rx->released_cv, NULL);
	rx->mode = mode;
	rx->fail_first = fail_first;
	rx->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
				 rx_handler, rx, MHD_OPTION_NOTIFY_COMPLETED, rx_completed, rx,
				 MHD_OPTION_END);
	assert_non_null(rx->d);
	info = MHD_get_daemon_info(rx->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	rx->port = info->port;
	return rx;
}

void rx_stop(struct receiver *rx)
{
	MHD_stop_daemon(rx->d);
	pthread_cond_destroy(&rx->released_cv);
	pthread_mutex_destroy(&rx->lock);
	free(rx);
}

void rx_release(struct receiver *rx)
{
	pthread_mutex_lock(&rx->lock);
	rx->released = 1;
	pthread_cond_broadcast(&rx->released_cv);
	pthread_mutex_unlock(&rx->lock);
}

void rx_set_secret(struct receiver *rx, const char *secret)
{
	pthread_mutex_lock(&rx->lock);
	snprintf(rx->secret, sizeof(rx->secret), "%s", secret);
	pthread_mutex_unlock(&rx->lock);
}

int rx_count(struct receiver *rx)
{
	int n;

	pthread_mutex_lock(&rx->lock);
	n = rx->n;
	pthread_mutex_unlock(&rx->lock);
	return n;
}

void rx_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

void rx_wait(struct receiver *rx, int n)
{
	int i;

	for (i = 0; i < 1000 && rx_count(rx) < n; i++)
		rx_sleep_ms(10);
	assert_true(rx_count(rx) >= n);
}
