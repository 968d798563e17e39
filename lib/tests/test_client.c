/*
 * test_client.c - the libcurl client: curl command lines for failure reports, I/O
 * errors, and a signed round trip against a local libmicrohttpd server that checks
 * the HMAC#1 headers with hmac1_verify().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "relay_client.h"
#include "relay_clock.h"

#define SECRET "sk_client_test_secret"
#define TENANT "019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f"

static void test_curl_command_quotes_url_headers_and_body(void **state)
{
	struct relay_client *c = client_new("http://127.0.0.1:7811/");
	const char *headers[] = {"Content-Type: application/json", "X-Note: it's"};
	struct client_request req = {
		.method = "POST",
		.path = "/api/v1/relay/create/conversation?x=1&y=2",
		.headers = headers,
		.n_headers = 2,
		.body = "{\"name\":\"O'Brien\"}",
		.body_len = 18,
	};
	char *cmd;

	(void)state;
	assert_non_null(c);
	assert_string_equal(client_base_url(c), "http://127.0.0.1:7811");
	cmd = client_curl_command(c, &req);
	assert_non_null(cmd);
	assert_string_equal(cmd, "curl -sS -i -X POST "
				 "'http://127.0.0.1:7811/api/v1/relay/create/conversation?x=1&y=2'"
				 " -H 'Content-Type: application/json' -H 'X-Note: it'\\''s'"
				 " --data-binary '{\"name\":\"O'\\''Brien\"}'");
	free(cmd);
	client_free(c);
}

static void test_curl_command_without_body_has_no_data_flag(void **state)
{
	struct relay_client *c = client_new("http://h");
	struct client_request req = {.method = "GET", .path = "/api/v1/fetch/tenants"};
	char *cmd;

	(void)state;
	cmd = client_curl_command(c, &req);
	assert_string_equal(cmd, "curl -sS -i -X GET 'http://h/api/v1/fetch/tenants'");
	free(cmd);
	client_free(c);
}

static void test_curl_command_elides_large_or_binary_body(void **state)
{
	static char big[5000];
	struct relay_client *c = client_new("http://h");
	struct client_request req = {.method = "POST", .path = "/", .body = big, .body_len = 5000};
	char *cmd;

	(void)state;
	memset(big, 'a', sizeof(big));
	cmd = client_curl_command(c, &req);
	assert_non_null(strstr(cmd, "--data-binary @body.bin"));
	assert_null(strstr(cmd, "aaaa"));
	free(cmd);
	req.body = "a\0b";
	req.body_len = 3;
	cmd = client_curl_command(c, &req);
	assert_non_null(strstr(cmd, "--data-binary @body.bin"));
	free(cmd);
	assert_null(client_curl_command(c, NULL));
	assert_null(client_curl_command(NULL, &req));
	client_free(c);
}

/* A TCP port on 127.0.0.1 that nothing listens on (bound, then closed). */
static int closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void test_perform_against_closed_port_is_io_error(void **state)
{
	char url[64];
	struct relay_client *c;
	struct client_request req = {.method = "GET", .path = "/", .timeout_ms = 2000};
	struct client_response resp;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
	c = client_new(url);
	assert_int_equal(client_perform(c, &req, &resp), RELAY_E_IO);
	assert_int_equal(resp.status, 0);
	assert_true(resp.error[0] != '\0');
	client_response_cleanup(&resp);
	client_free(c);
}

static void test_perform_refuses_missing_arguments(void **state)
{
	struct relay_client *c = client_new("http://127.0.0.1:1");
	struct client_request req = {.method = NULL, .path = "/"};
	struct client_response resp;

	(void)state;
	assert_null(client_new(NULL));
	client_free(NULL);
	assert_int_equal(client_perform(c, &req, &resp), RELAY_E_INVALID_ARGUMENT);
	client_response_cleanup(&resp);
	client_response_cleanup(NULL);
	req.method = "GET";
	{
		char tenant[300];

		memset(tenant, 'a', sizeof(tenant) - 1);
		tenant[sizeof(tenant) - 1] = '\0';
		assert_int_equal(client_signed(c, &req, tenant, "sk", 0, &resp, NULL),
				 RELAY_E_INVALID_ARGUMENT);
		assert_int_equal(client_signed(c, &req, "t", NULL, 0, &resp, NULL),
				 RELAY_E_INVALID_ARGUMENT);
		/* a negative timestamp cannot be signed */
		assert_int_equal(client_signed(c, &req, "t", "sk", -1, &resp, NULL),
				 RELAY_E_INVALID_ARGUMENT);
		client_response_cleanup(&resp);
	}
	client_free(c);
}

/* ---- a local server that checks HMAC#1 ---- */

struct upload {
	char *body;
	size_t len;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	(void)kind;
	hmac1_headers_add(cls, key, value);
	return MHD_YES;
}

/* Answers {"verdict":"<code>","step":"<step>","method":..,"len":N} with X-Test: yes. */
static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls)
{
	struct upload *up = *con_cls;
	const char *ct;
	struct hmac1_headers h;
	struct hmac1_verdict v;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text;
	json_t *j;

	(void)cls;
	(void)url;
	(void)version;
	if (up == NULL) {
		up = calloc(1, sizeof(*up));
		if (up == NULL)
			return MHD_NO;
		*con_cls = up;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		char *nb = realloc(up->body, up->len + *upload_data_size);

		if (nb == NULL)
			return MHD_NO;
		memcpy(nb + up->len, upload_data, *upload_data_size);
		up->body = nb;
		up->len += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	hmac1_headers_init(&h);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &h);
	(void)hmac1_verify(&h, up->body, up->len, relay_clock_real_ms(), SECRET, strlen(SECRET), 0,
			   &v);
	ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	j = json_pack("{s:s, s:s, s:s, s:I, s:s}", "verdict", relay_rc_code(v.rc), "step",
		      hmac1_step_name(v.failed_step), "method", method, "len", (json_int_t)up->len,
		      "content_type", ct != NULL ? ct : "(none)");
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(resp, "X-Test", "yes");
	ret = MHD_queue_response(conn, v.rc == RELAY_OK ? 200 : 401, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (up != NULL) {
		free(up->body);
		free(up);
	}
	*con_cls = NULL;
}

static int server_start(void **state)
{
	struct MHD_Daemon *d;

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			     MHD_OPTION_END);
	if (d == NULL)
		return -1;
	*state = d;
	return 0;
}

static int server_stop(void **state)
{
	MHD_stop_daemon(*state);
	return 0;
}

static struct relay_client *client_for(void **state)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(*state, MHD_DAEMON_INFO_BIND_PORT);
	char url[64];

	assert_non_null(info);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)info->port);
	return client_new(url);
}

static void expect_json_str(const struct client_response *resp, const char *key, const char *want)
{
	json_t *j = client_response_json(resp);

	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, key)), want);
	json_decref(j);
}

static void test_signed_post_is_accepted_by_hmac1_verify(void **state)
{
	struct relay_client *c = client_for(state);
	const char *headers[] = {"Content-Type: application/json"};
	struct client_request req = {.method = "POST",
				     .path = "/api/v1/relay/x",
				     .headers = headers,
				     .n_headers = 1,
				     .body = "{\"a\":1}",
				     .body_len = 7};
	struct client_response resp;
	struct hmac1_signed sig;

	assert_int_equal(client_signed(c, &req, TENANT, SECRET, relay_clock_real_ms(), &resp, &sig),
			 RELAY_OK);
	assert_int_equal(resp.status, 200);
	expect_json_str(&resp, "verdict", "ok");
	expect_json_str(&resp, "method", "POST");
	assert_string_equal(client_response_header(&resp, "x-test"), "yes");
	assert_string_equal(client_response_header(&resp, "Content-Type"),
			    "application/json; charset=utf-8");
	assert_null(client_response_header(&resp, "X-Absent"));
	assert_int_equal(strlen(sig.signature), HMAC1_HEX_LEN);
	client_response_cleanup(&resp);
	client_free(c);
}

static void test_signed_get_signs_the_empty_body(void **state)
{
	struct relay_client *c = client_for(state);
	struct client_request req = {.method = "GET", .path = "/api/v1/relay/y?limit=1"};
	struct client_response resp;

	assert_int_equal(client_signed(c, &req, TENANT, SECRET, relay_clock_real_ms(), &resp, NULL),
			 RELAY_OK);
	assert_int_equal(resp.status, 200);
	expect_json_str(&resp, "verdict", "ok");
	expect_json_str(&resp, "method", "GET");
	client_response_cleanup(&resp);
	client_free(c);
}

static void test_signed_request_with_wrong_secret_is_refused(void **state)
{
	struct relay_client *c = client_for(state);
	struct client_request req = {.method = "POST", .path = "/", .body = "{}", .body_len = 2};
	struct client_response resp;

	assert_int_equal(
		client_signed(c, &req, TENANT, "sk_wrong", relay_clock_real_ms(), &resp, NULL),
		RELAY_OK);
	assert_int_equal(resp.status, 401);
	expect_json_str(&resp, "verdict", "invalid_signature");
	client_response_cleanup(&resp);
	/* a stale timestamp fails at the window */
	assert_int_equal(
		client_signed(c, &req, TENANT, SECRET, relay_clock_real_ms() - 60000, &resp, NULL),
		RELAY_OK);
	expect_json_str(&resp, "step", "window");
	client_response_cleanup(&resp);
	client_free(c);
}

static void test_unsigned_request_is_missing_signature(void **state)
{
	struct relay_client *c = client_for(state);
	struct client_request req = {.method = "PUT", .path = "/", .body = "x", .body_len = 1};
	struct client_response resp;

	assert_int_equal(client_perform(c, &req, &resp), RELAY_OK);
	assert_int_equal(resp.status, 401);
	expect_json_str(&resp, "verdict", "missing_signature");
	expect_json_str(&resp, "method", "PUT");
	assert_true(resp.seconds >= 0.0);
	client_response_cleanup(&resp);
	client_free(c);
}

static void test_body_defaults_to_json_content_type(void **state)
{
	struct relay_client *c = client_for(state);
	const char *plain[] = {"Content-Type: text/plain"};
	const char *none[] = {"Content-Type:"};
	struct client_request req = {.method = "POST", .path = "/", .body = "{}", .body_len = 2};
	struct client_response resp;

	assert_int_equal(client_perform(c, &req, &resp), RELAY_OK);
	expect_json_str(&resp, "content_type", "application/json");
	client_response_cleanup(&resp);
	req.headers = plain;
	req.n_headers = 1;
	assert_int_equal(client_perform(c, &req, &resp), RELAY_OK);
	expect_json_str(&resp, "content_type", "text/plain");
	client_response_cleanup(&resp);
	req.headers = none;
	assert_int_equal(client_perform(c, &req, &resp), RELAY_OK);
	expect_json_str(&resp, "content_type", "(none)");
	client_response_cleanup(&resp);
	req = (struct client_request){.method = "GET", .path = "/"};
	assert_int_equal(client_perform(c, &req, &resp), RELAY_OK);
	expect_json_str(&resp, "content_type", "(none)");
	client_response_cleanup(&resp);
	client_free(c);
}

static void test_curl_command_shows_the_default_content_type(void **state)
{
	struct relay_client *c = client_new("http://h");
	struct client_request req = {.method = "POST", .path = "/p", .body = "{}", .body_len = 2};
	char *cmd;

	(void)state;
	cmd = client_curl_command(c, &req);
	assert_string_equal(cmd, "curl -sS -i -X POST 'http://h/p' -H 'Content-Type: "
				 "application/json' --data-binary '{}'");
	free(cmd);
	client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl_command_quotes_url_headers_and_body),
		cmocka_unit_test(test_curl_command_without_body_has_no_data_flag),
		cmocka_unit_test(test_curl_command_elides_large_or_binary_body),
		cmocka_unit_test(test_perform_against_closed_port_is_io_error),
		cmocka_unit_test(test_perform_refuses_missing_arguments),
		cmocka_unit_test(test_curl_command_shows_the_default_content_type),
	};
	const struct CMUnitTest server_tests[] = {
		cmocka_unit_test(test_signed_post_is_accepted_by_hmac1_verify),
		cmocka_unit_test(test_signed_get_signs_the_empty_body),
		cmocka_unit_test(test_signed_request_with_wrong_secret_is_refused),
		cmocka_unit_test(test_unsigned_request_is_missing_signature),
		cmocka_unit_test(test_body_defaults_to_json_content_type),
	};
	int failed;

	failed = cmocka_run_group_tests_name("client", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("client_roundtrip", server_tests, server_start,
					      server_stop);
	return failed;
}
