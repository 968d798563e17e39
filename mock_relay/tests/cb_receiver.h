/*
 * cb_receiver.h - a callback receiver for the mock's tests (SPEC §9, §10.5).
 *
 * A tenant backend in-test: libmicrohttpd on a free 127.0.0.1 port records every
 * delivery to /api/v1/chat-callbacks/ and checks its HMAC#1 signature with the shared
 * library (hmac1_verify), the way a tenant backend does (§9.2, documented: CWH).
 * Shared by test_callbacks.c and test_lifecycle.c. Functions assert with CMocka.
 */
#ifndef CB_RECEIVER_H
#define CB_RECEIVER_H

#include <pthread.h>
#include <stddef.h>

#include "relay_ids.h"

#define RX_MAX      64
#define RX_BODY_MAX 65536

/* RX_HOLD_FIRST: the first request is recorded, then answered 500 once rx_release() ran. */
enum rx_mode { RX_OK, RX_FAIL_FIRST, RX_REDIRECT, RX_SLOW, RX_HOLD_FIRST };

struct rx_record {
	char path[256];
	char content_type[64];
	char body[4096];
	size_t body_len;
	int sig_valid; /* hmac1_verify against the tenant's secret at arrival */
	int answered;  /* status the receiver answered */
	char tenant_id[64];
};

struct MHD_Daemon;

struct receiver {
	struct MHD_Daemon *d;
	int port;
	pthread_mutex_t lock;
	enum rx_mode mode;
	int fail_first;
	char secret[KEY_STR_LEN + 1]; /* the tenant's secret the receiver verifies with */
	struct rx_record rec[RX_MAX];
	int n;
	int stray; /* requests to paths outside /api/v1/chat-callbacks/ (redirect targets) */
	pthread_cond_t released_cv; /* RX_HOLD_FIRST */
	int released;
};

/* Starts a receiver answering in mode (fail_first: RX_FAIL_FIRST's count); owned by the caller. */
struct receiver *rx_start(enum rx_mode mode, int fail_first);

/* Stops rx and frees it. */
void rx_stop(struct receiver *rx);

/* RX_HOLD_FIRST: the held first request gets its answer now. */
void rx_release(struct receiver *rx);

/* The tenant secret deliveries are verified with from now on. */
void rx_set_secret(struct receiver *rx, const char *secret);

/* Deliveries recorded so far. */
int rx_count(struct receiver *rx);

/* Waits (up to 10 s) until rx holds n deliveries; asserts it does. */
void rx_wait(struct receiver *rx, int n);

/* Sleeps ms milliseconds. */
void rx_sleep_ms(int ms);

#endif
