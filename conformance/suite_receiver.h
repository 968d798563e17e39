/*
 * suite_receiver.h - the suite's callback receiver (SPEC.md §9): a small libmicrohttpd
 * server bound to --callback-listen (default 127.0.0.1 on a free port), reached by the
 * relay as --callback-public-url or through loopback. It records each delivery (path,
 * event, HMAC#1 headers, raw body, the status it answered) for cases/callback.c and
 * cases/lifecycle.c, which match deliveries by tenant.
 */
#ifndef SUITE_RECEIVER_H
#define SUITE_RECEIVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "relay_hmac1.h"
#include "suite.h"

#define RECEIVER_MAX         64
#define RECEIVER_BODY_MAX    65536
#define RECEIVER_EVENTS_PATH "/api/v1/chat-callbacks/"
/* hold_first holds at most this long: the relay's timeout (5 s) + backoff */
#define RECEIVER_HOLD_MS 30000

struct receiver_delivery {
	char path[256];
	char event[64]; /* the path after RECEIVER_EVENTS_PATH, "" when it has none */
	char tenant[HMAC1_TENANT_MAX + 1];
	char timestamp[32];
	char signature[80];
	char *body; /* owned; freed by receiver_stop() */
	size_t body_len;
	unsigned answered; /* the status the receiver answered */
};

struct receiver {
	struct MHD_Daemon *d;
	int port;
	char base[512]; /* the callback_url_base given to the relay, without a trailing '/' */
	pthread_mutex_t lock;
	struct receiver_delivery got[RECEIVER_MAX];
	size_t n;
	int fail_first;  /* answer 500 to this many requests first */
	bool hold_first; /* answer the first request only once a second one came (a slow handler) */
	bool stopping;   /* receiver_stop(): a held answer is released */
	unsigned opts;   /* RECEIVER_* options given to receiver_start() */
};

/* a thread per connection: a held (slow) answer does not stop the next request */
#define RECEIVER_THREADED 1u
/* record only requests to RECEIVER_EVENTS_PATH */
#define RECEIVER_EVENTS_ONLY 2u

/*
 * Starts r on --callback-listen with opts (RECEIVER_*) and fixes r->base (logged to the
 * case). On failure the case is SKIPped and false returned.
 */
bool receiver_start(struct case_ctx *x, struct receiver *r, unsigned opts);

/* Stops r's server (releasing a held answer) and frees the recorded bodies. */
void receiver_stop(struct receiver *r);

#endif
