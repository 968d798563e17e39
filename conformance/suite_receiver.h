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
#include <stdint.h>

#include "relay_hmac1.h"
#include "suite.h"

#define RECEIVER_MAX         64
#define RECEIVER_BODY_MAX    65536
#define RECEIVER_EVENTS_PATH "/api/v1/chat-callbacks/"
/*
 * hold_first holds at most this long: past the relay's attempt timeout plus its first
 * backoff, whatever the relay uses (the mock's defaults need 6 s, SPEC.md §9.5.3-§9.5.4)
 */
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
	int64_t at_ms;     /* when it arrived (relay_clock_mono_ms()) */
};

struct receiver {
	struct MHD_Daemon *d;
	int port;
	char base[512]; /* the callback_url_base given to the relay, without a trailing '/' */
	pthread_mutex_t lock;
	pthread_cond_t changed; /* broadcast (under lock) when a delivery is recorded or on stop */
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
 * case). On failure the case is SKIPped, r is released (no receiver_stop() needed) and
 * false returned.
 */
bool receiver_start(struct case_ctx *x, struct receiver *r, unsigned opts);

/*
 * Sets r->fail_first and r->hold_first under r->lock: the server's threads read them
 * (a late retry for an earlier case's tenant can arrive at any time).
 */
void receiver_set_faults(struct receiver *r, int fail_first, bool hold_first);

/* Stops r's server (releasing a held answer) and frees the recorded bodies. */
void receiver_stop(struct receiver *r);

/*
 * Called with r->lock held: sleeps (the lock released) until a delivery is recorded, the
 * receiver stops or relay_clock_mono_ms() reaches deadline_ms, and returns true with the lock
 * held; returns false at once, without sleeping, when the deadline has passed or the
 * receiver is stopping. Callers re-check their condition after each true (wake-ups may
 * be spurious), so the check after the last sleep is not missed:
 *     while (!cond(r) && receiver_await(r, deadline_ms))
 *             ;
 */
bool receiver_await(struct receiver *r, int64_t deadline_ms);

#endif
