/*
 * mock_harness.h - start, drive and stop a mock-relay process from a CMocka test.
 *
 * mock_start() runs the mock-relay binary ($MOCK_RELAY_BIN, else the path CMake
 * compiled in) with --port 0 --admin-key test-admin-key plus extra arguments, reads
 * the first stdout line for the port, and captures stderr (the request log) into a
 * temporary file. mock_stop() sends SIGTERM and reaps the process.
 */
#ifndef MOCK_HARNESS_H
#define MOCK_HARNESS_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "relay_client.h"
#include "relay_ids.h"
#include "relay_wsclient.h"

#define MOCK_ADMIN_KEY "test-admin-key"

struct mock {
	pid_t pid;
	int port;
	int stdout_fd;
	char base_url[64];
	char log_path[64]; /* the mock's stderr */
	struct relay_client *client;
};

/* A provisioned tenant's credentials. */
struct mock_tenant {
	char tenant_id[UUID_STR_LEN + 1];
	char tenant_secret[KEY_STR_LEN + 1];
	char widget_public_key[KEY_STR_LEN + 1];
};

/*
 * Starts a mock. extra is a NULL-terminated list of further arguments (may be NULL).
 * Returns NULL on failure (with a message on stderr). Free with mock_stop().
 */
struct mock *mock_start(const char *const *extra);

/*
 * Like mock_start, but with defaults 0 only args are passed (no --port 0 /
 * --admin-key); the child inherits the environment (MOCK_RELAY_ADMIN_KEY).
 * *second_line (may be NULL) receives the second stdout line if one arrives within
 * 2 s (e.g. "admin key: ..."), else "".
 */
struct mock *mock_start_argv(const char *const *args, int defaults, char *second_line, size_t size);

/* SIGTERM, wait (at most 10 s, then SIGKILL), free. Returns the exit status or -1. */
int mock_stop(struct mock *m);

/*
 * CMocka fixtures for a test file whose tests share one mock, mock_shared:
 * mock_shared_start (group setup) starts it with mock_start(NULL);
 * mock_shared_stop (group teardown) stops it and fails unless it exited 0;
 * mock_shared_reset (a test's setup) gives the test a fresh mock state
 * (POST /__mock/reset answered 200). *state is not used.
 */
extern struct mock *mock_shared;
int mock_shared_start(void **state);
int mock_shared_stop(void **state);
int mock_shared_reset(void **state);

/* The mock's stderr so far, NUL-terminated; caller frees. */
char *mock_log(const struct mock *m);

/*
 * The mock's stderr once it contains needle (caller frees), polled for up to 10 s, or
 * NULL. A request's log line is written after its answer went out (relay_log.h), so a
 * client that has its answer must wait for the line.
 */
char *mock_log_wait(const struct mock *m, const char *needle);

/*
 * A request with optional body (text, may be NULL) and up to 8 header lines.
 * With admin non-zero, X-Admin-Key: test-admin-key is added. resp needs
 * client_response_cleanup().
 */
int mock_call(struct mock *m, const char *method, const char *path, const char *body, int admin,
	      const char *const *headers, struct client_response *resp);

/* Same as mock_call with X-Admin-Key; returns the parsed body (caller decrefs) and *status. */
json_t *mock_admin(struct mock *m, const char *method, const char *path, const char *body,
		   long *status);

/* HMAC#1-signed call at ts_ms with the lib's client_signed(). */
int mock_signed(struct mock *m, const char *method, const char *path, const char *body,
		const char *tenant_id, const char *secret, int64_t ts_ms,
		struct client_response *resp);

/* Provisions a tenant from body (JSON text); 0 on success (201). */
int mock_provision(struct mock *m, const char *body, struct mock_tenant *out);

/* Freezes the mock's clock at now_ms (PUT /__mock/clock); 0 on success. */
int mock_set_clock(struct mock *m, int64_t now_ms);

/*
 * Opens ws://127.0.0.1:<port><path> on m (path with its query) with lib/relay_wsclient,
 * an Origin header when origin is not NULL. Returns the client (caller frees with
 * wsclient_free) or NULL; err (may be NULL) says why: err->http_status is 101 on
 * success, else the refusal's status (0: none) with the start of its body in err->body.
 */
struct wsclient *mock_ws_open(struct mock *m, const char *path, const char *origin,
			      struct wsclient_error *err);

/*
 * The next text message within timeout_ms (caller frees), or NULL when the peer's close
 * frame, the end of the connection or the timeout came first.
 */
char *mock_ws_recv_text(struct wsclient *c, int timeout_ms);

/*
 * Reads on, dropping text messages, until the peer's close frame, the end of the
 * connection or timeout_ms. Returns the close code (0 when none came); reason (may be
 * NULL) receives the close reason ("" when none).
 */
int mock_ws_wait_close(struct wsclient *c, int timeout_ms, char *reason, size_t size);

/* error.code of a parsed envelope, or "" (borrowed from env). */
const char *mock_error_code(const json_t *env);

/*
 * 0 when resp is the error envelope of §1.3 with this status, code and field (NULL:
 * no field), with status_code equal to the HTTP status and the JSON content type;
 * otherwise prints what differs on stderr and returns -1.
 */
int mock_check_error(const struct client_response *resp, long status, const char *code,
		     const char *field);

/* data of a success envelope with status (new reference), or NULL with a message. */
json_t *mock_check_success(const struct client_response *resp, long status);

#endif
