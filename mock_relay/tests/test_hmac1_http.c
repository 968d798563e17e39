/*
 * test_hmac1_http.c - the HMAC#1 gate over HTTP (SPEC §4, §5, §2.5, §2.7, §10.3).
 *
 * The gate is exercised through a real relay route: GET fetch/conversation of a
 * conversation that does not exist answers 404 conversation_not_found once every
 * gate step passed, so that 404 is the "accepted" outcome here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mock_harness.h"
#include "relay_hmac1.h"

#define T0    1782036000000LL /* 2026-06-21T10:00:00Z, a minute boundary */
#define PATH  "/api/v1/relay/fetch/conversation?conversation_id=conv_0000000000000000000000000000"
#define CPATH "/api/v1/relay/create/conversation"

static struct mock_tenant tn;
static int route_missing;

static int group_setup(void **state)
{
	struct client_response resp;

	if (mock_shared_start(state) != 0)
		return -1;
	/* Skip everything while the relay API routes are not there yet. */
	if (mock_call(mock_shared, "GET", PATH, NULL, 0, NULL, &resp) != 0)
		return -1;
	route_missing = resp.status == 404;
	client_response_cleanup(&resp);
	return 0;
}

/* Reset, freeze the clock at T0, provision one tenant. */
static int setup(void **state)
{
	if (mock_shared_reset(state) != 0 || mock_set_clock(mock_shared, T0) != 0)
		return -1;
	return mock_provision(mock_shared, "{\"tenant_name\":\"Gate\",\"rate_limit_per_min\":1000}",
			      &tn);
}

#define SKIP_WITHOUT_ROUTE()                                                                       \
	do {                                                                                       \
		if (route_missing) {                                                               \
			fprintf(stderr, "relay fetch/conversation route not present: skipped\n");  \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* Signed GET of PATH at ts with secret; returns the status. resp cleaned up by caller. */
static long signed_get(const char *tenant, const char *secret, int64_t ts,
		       struct client_response *resp)
{
	assert_int_equal(mock_signed(mock_shared, "GET", PATH, NULL, tenant, secret, ts, resp), 0);
	return resp->status;
}

static void expect_signed(const char *tenant, const char *secret, int64_t ts, long status,
			  const char *code)
{
	struct client_response resp;

	signed_get(tenant, secret, ts, &resp);
	assert_int_equal(mock_check_error(&resp, status, code, NULL), 0);
	client_response_cleanup(&resp);
}

static void expect_accepted(const char *tenant, const char *secret, int64_t ts)
{
	expect_signed(tenant, secret, ts, 404, "conversation_not_found");
}

/* Raw request with the given header lines (NULL-terminated); checks the error. */
static void expect_raw(const char *method, const char *path, const char *body,
		       const char *const *headers, long status, const char *code)
{
	struct client_response resp;

	assert_int_equal(mock_call(mock_shared, method, path, body, 0, headers, &resp), 0);
	assert_int_equal(mock_check_error(&resp, status, code, NULL), 0);
	client_response_cleanup(&resp);
}

/* The three HMAC#1 header lines of a signed request, as mock_call takes them. */
struct sig_lines {
	char t[300], ts[64], sig[128];
	const char *all[4]; /* t, ts, sig, NULL */
};

/* Fills l for tenant with s's timestamp and signature. */
static void sig_lines_init(struct sig_lines *l, const char *tenant, const struct hmac1_signed *s)
{
	snprintf(l->t, sizeof(l->t), "X-Bloonio-Tenant-Id: %s", tenant);
	snprintf(l->ts, sizeof(l->ts), "X-Bloonio-Timestamp: %s", s->timestamp);
	snprintf(l->sig, sizeof(l->sig), "X-Bloonio-Signature: %s", s->signature);
	l->all[0] = l->t;
	l->all[1] = l->ts;
	l->all[2] = l->sig;
	l->all[3] = NULL;
}

/* The newest journal entry (new reference). */
static json_t *last_entry(void)
{
	long status = 0;
	json_t *env = mock_admin(mock_shared, "GET", "/__mock/journal?limit=1", NULL, &status), *e;

	assert_int_equal(status, 200);
	e = json_array_get(json_object_get(json_object_get(env, "data"), "items"), 0);
	assert_non_null(e);
	json_incref(e);
	json_decref(env);
	return e;
}

/* §4.1-§4.3: a correct signature passes; rate-limit headers come with it (§5.5). */
static void test_signed_call_passes_the_gate(void **state)
{
	struct client_response resp;
	json_t *e, *h;

	(void)state;
	SKIP_WITHOUT_ROUTE();
	assert_int_equal(signed_get(tn.tenant_id, tn.tenant_secret, T0, &resp), 404);
	assert_int_equal(mock_check_error(&resp, 404, "conversation_not_found", NULL), 0);
	assert_string_equal(client_response_header(&resp, "X-RateLimit-Limit"), "1000");
	assert_string_equal(client_response_header(&resp, "X-RateLimit-Remaining"), "999");
	assert_string_equal(client_response_header(&resp, "X-RateLimit-Reset"), "1782036060");
	assert_null(client_response_header(&resp, "Retry-After"));
	client_response_cleanup(&resp);
	e = last_entry();
	h = json_object_get(e, "hmac1");
	assert_non_null(h);
	assert_string_equal(json_string_value(json_object_get(e, "tenant_id")), tn.tenant_id);
	assert_string_equal(json_string_value(json_object_get(h, "timestamp")), "1782036000000");
	assert_string_equal(json_string_value(json_object_get(h, "body_sha256")),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(json_string_value(json_object_get(h, "signing_string")),
			    "1782036000000."
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_true(json_is_null(json_object_get(h, "failed_step")));
	json_decref(e);
}

/* §4.5 step 1: missing, empty, duplicated or malformed headers -> 401 missing_signature. */
static void test_header_syntax_is_step_one(void **state)
{
	struct hmac1_signed s;
	struct sig_lines h;
	char long_tenant[130], sig_upper[HMAC1_HEX_LEN + 1];
	size_t i;

	(void)state;
	SKIP_WITHOUT_ROUTE();
	assert_int_equal(hmac1_sign(tn.tenant_secret, strlen(tn.tenant_secret), T0, NULL, 0, &s),
			 RELAY_OK);
	sig_lines_init(&h, tn.tenant_id, &s);
	{
		const char *none[] = {NULL};
		const char *no_t[] = {h.ts, h.sig, NULL};
		const char *no_ts[] = {h.t, h.sig, NULL};
		const char *no_sig[] = {h.t, h.ts, NULL};
		const char *empty_t[] = {"X-Bloonio-Tenant-Id;", h.ts, h.sig, NULL};
		const char *empty_ts[] = {h.t, "X-Bloonio-Timestamp;", h.sig, NULL};
		const char *dup_ts[] = {h.t, h.ts, h.ts, h.sig, NULL};
		const char *dup_t[] = {h.t, h.t, h.ts, h.sig, NULL};
		const char *dup_sig[] = {h.t, h.ts, h.sig, h.sig, NULL};
		const char *ts17[] = {h.t, "X-Bloonio-Timestamp: 17820360000000000", h.sig, NULL};
		const char *ts_alpha[] = {h.t, "X-Bloonio-Timestamp: 178203600000a", h.sig, NULL};
		const char *ts_neg[] = {h.t, "X-Bloonio-Timestamp: -1782036000000", h.sig, NULL};
		const char *sig63[] = {h.t, h.ts, "X-Bloonio-Signature: abc", NULL};
		const char *const *cases[] = {none,     no_t,   no_ts, no_sig,  empty_t,
					      empty_ts, dup_ts, dup_t, dup_sig, ts17,
					      ts_alpha, ts_neg, sig63};
		char sig_bad[HMAC1_HEX_LEN + 32];
		const char *nonhex[] = {h.t, h.ts, sig_bad, NULL};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			expect_raw("GET", PATH, NULL, cases[i], 401, "missing_signature");
		snprintf(sig_bad, sizeof(sig_bad), "X-Bloonio-Signature: %.63sg", s.signature);
		expect_raw("GET", PATH, NULL, nonhex, 401, "missing_signature");
		snprintf(sig_bad, sizeof(sig_bad), "X-Bloonio-Signature: %sa", s.signature);
		expect_raw("GET", PATH, NULL, nonhex, 401, "missing_signature");
		/* Uppercase hex passes step 1 but is a mismatch at step 3 (§4.3.2). */
		for (i = 0; i <= HMAC1_HEX_LEN; i++)
			sig_upper[i] = (s.signature[i] >= 'a' && s.signature[i] <= 'f')
					       ? (char)(s.signature[i] - 32)
					       : s.signature[i];
		snprintf(sig_bad, sizeof(sig_bad), "X-Bloonio-Signature: %s", sig_upper);
		expect_raw("GET", PATH, NULL, nonhex, 401, "invalid_signature");
	}
	/* Tenant ids over 128 bytes fail step 1; 128 bytes unknown fail step 3. */
	memset(long_tenant, 'a', 129);
	long_tenant[129] = '\0';
	expect_signed(long_tenant, tn.tenant_secret, T0, 401, "missing_signature");
	long_tenant[128] = '\0';
	expect_signed(long_tenant, tn.tenant_secret, T0, 401, "invalid_signature");
	/* Lowercase header names are the same headers (§4.1.2). */
	{
		char l_t[300], l_ts[64], l_sig[128];
		const char *lower[] = {l_t, l_ts, l_sig, NULL};
		struct client_response resp;

		snprintf(l_t, sizeof(l_t), "x-bloonio-tenant-id: %s", tn.tenant_id);
		snprintf(l_ts, sizeof(l_ts), "x-bloonio-timestamp: %s", s.timestamp);
		snprintf(l_sig, sizeof(l_sig), "x-bloonio-signature: %s", s.signature);
		assert_int_equal(mock_call(mock_shared, "GET", PATH, NULL, 0, lower, &resp), 0);
		assert_int_equal(resp.status, 404);
		client_response_cleanup(&resp);
	}
}

/* §4.4: |now - ts| <= 30000 passes, 30001 fails, both directions; seconds are stale. */
static void test_window_edges(void **state)
{
	json_t *e;

	(void)state;
	SKIP_WITHOUT_ROUTE();
	expect_accepted(tn.tenant_id, tn.tenant_secret, T0 - 30000);
	expect_accepted(tn.tenant_id, tn.tenant_secret, T0 + 30000);
	expect_signed(tn.tenant_id, tn.tenant_secret, T0 - 30001, 401, "stale_timestamp");
	e = last_entry();
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(e, "hmac1"), "failed_step")),
		"window");
	json_decref(e);
	expect_signed(tn.tenant_id, tn.tenant_secret, T0 + 30001, 401, "stale_timestamp");
	expect_signed(tn.tenant_id, tn.tenant_secret, T0 / 1000, 401, "stale_timestamp");
	/* The window is checked before the tenant (§4.5 step 2). */
	expect_signed("019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f", tn.tenant_secret, T0 + 30001, 401,
		      "stale_timestamp");
	/* Moving the mock clock moves the window. */
	assert_int_equal(mock_set_clock(mock_shared, T0 + 60000), 0);
	expect_signed(tn.tenant_id, tn.tenant_secret, T0, 401, "stale_timestamp");
	expect_accepted(tn.tenant_id, tn.tenant_secret, T0 + 60000);
}

/* §4.2.4: the timestamp text is signed exactly as received (leading zeros). */
static void test_timestamp_text_signed_as_received(void **state)
{
	struct hmac1_signed s;
	struct sig_lines h;
	struct client_response resp;

	(void)state;
	SKIP_WITHOUT_ROUTE();
	assert_int_equal(hmac1_sign_text(tn.tenant_secret, strlen(tn.tenant_secret),
					 "0001782036000000", NULL, 0, &s),
			 RELAY_OK);
	sig_lines_init(&h, tn.tenant_id, &s);
	assert_int_equal(mock_call(mock_shared, "GET", PATH, NULL, 0, h.all, &resp), 0);
	assert_int_equal(resp.status, 404);
	client_response_cleanup(&resp);
}

/* §4.3, §4.6.2: wrong secret, unknown tenant and a changed body are invalid_signature. */
static void test_signature_mismatches(void **state)
{
	static const char body[] = "{\"visitor_user_id\":\"user-123\"}";
	static const char changed[] = "{\"visitor_user_id\":\"user-124\"}";
	struct hmac1_signed s;
	struct client_response resp;
	struct sig_lines h;
	char *journal;
	long status = 0;
	json_t *env;

	(void)state;
	SKIP_WITHOUT_ROUTE();
	expect_signed(tn.tenant_id, "sk_wrong", T0, 401, "invalid_signature");
	expect_signed("019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f", tn.tenant_secret, T0, 401,
		      "invalid_signature");
	expect_signed("tnt_demo", tn.tenant_secret, T0, 401, "invalid_signature");
	/* Body changed after signing. */
	assert_int_equal(
		hmac1_sign(tn.tenant_secret, strlen(tn.tenant_secret), T0, body, strlen(body), &s),
		RELAY_OK);
	sig_lines_init(&h, tn.tenant_id, &s);
	expect_raw("POST", CPATH, changed, h.all, 401, "invalid_signature");
	/* The same headers with the signed body pass (201). */
	assert_int_equal(mock_call(mock_shared, "POST", CPATH, body, 0, h.all, &resp), 0);
	assert_int_equal(resp.status, 201);
	client_response_cleanup(&resp);
	/* The journal shows what the mock computed, never the signature it expected. */
	assert_int_equal(hmac1_sign(tn.tenant_secret, strlen(tn.tenant_secret), T0, changed,
				    strlen(changed), &s),
			 RELAY_OK);
	env = mock_admin(mock_shared, "GET", "/__mock/journal", NULL, &status);
	journal = json_dumps(env, 0);
	assert_non_null(journal);
	assert_null(strstr(journal, s.signature));
	assert_null(strstr(journal, tn.tenant_secret));
	assert_non_null(strstr(journal, "\"failed_step\": \"signature\""));
	free(journal);
	json_decref(env);
}

/* §2.7, §4.5 step 4: suspended -> 403, after the signature check. */
static void test_suspended_tenant_is_403(void **state)
{
	char path[128];
	long status = 0;
	json_t *env;

	(void)state;
	SKIP_WITHOUT_ROUTE();
	snprintf(path, sizeof(path), "/api/v1/suspend/tenant?tenant_id=%s", tn.tenant_id);
	env = mock_admin(mock_shared, "POST", path, NULL, &status);
	json_decref(env);
	assert_int_equal(status, 200);
	expect_signed(tn.tenant_id, tn.tenant_secret, T0, 403, "tenant_suspended");
	expect_signed(tn.tenant_id, "sk_wrong", T0, 401, "invalid_signature");
	env = last_entry();
	json_decref(env);
	snprintf(path, sizeof(path), "/api/v1/reactivate/tenant?tenant_id=%s", tn.tenant_id);
	env = mock_admin(mock_shared, "POST", path, NULL, &status);
	json_decref(env);
	assert_int_equal(status, 200);
	expect_accepted(tn.tenant_id, tn.tenant_secret, T0);
}

/* §2.5, §4.8: the old secret fails at once, the new one works. */
static void test_rotation_old_secret_fails_at_once(void **state)
{
	char path[128], fresh[KEY_STR_LEN + 1];
	long status = 0;
	json_t *env;

	(void)state;
	SKIP_WITHOUT_ROUTE();
	expect_accepted(tn.tenant_id, tn.tenant_secret, T0);
	snprintf(path, sizeof(path), "/api/v1/rotate/tenant-secret?tenant_id=%s", tn.tenant_id);
	env = mock_admin(mock_shared, "POST", path, NULL, &status);
	assert_int_equal(status, 200);
	snprintf(fresh, sizeof(fresh), "%s",
		 json_string_value(json_object_get(json_object_get(env, "data"), "tenant_secret")));
	json_decref(env);
	expect_signed(tn.tenant_id, tn.tenant_secret, T0, 401, "invalid_signature");
	expect_accepted(tn.tenant_id, fresh, T0);
}

/* §5: a tenant with rate_limit_per_min = 3, fixed window on the mock clock. */
static void test_rate_limit_fixed_window(void **state)
{
	struct mock_tenant rl;
	struct client_response resp;
	char want[8];
	int i;

	(void)state;
	SKIP_WITHOUT_ROUTE();
	assert_int_equal(mock_provision(mock_shared,
					"{\"tenant_name\":\"RL\",\"rate_limit_per_min\":3}", &rl),
			 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(signed_get(rl.tenant_id, rl.tenant_secret, T0 + i, &resp), 404);
		snprintf(want, sizeof(want), "%d", 2 - i);
		assert_string_equal(client_response_header(&resp, "X-RateLimit-Remaining"), want);
		assert_string_equal(client_response_header(&resp, "X-RateLimit-Limit"), "3");
		client_response_cleanup(&resp);
		/* Refusals before step 6 are not counted and carry no rate headers (§5.6). */
		assert_int_equal(signed_get(rl.tenant_id, "sk_wrong", T0, &resp), 401);
		assert_null(client_response_header(&resp, "X-RateLimit-Limit"));
		client_response_cleanup(&resp);
	}
	assert_int_equal(signed_get(rl.tenant_id, rl.tenant_secret, T0 + 5, &resp), 429);
	assert_int_equal(mock_check_error(&resp, 429, "rate_limited", NULL), 0);
	assert_string_equal(client_response_header(&resp, "Retry-After"), "60");
	assert_string_equal(client_response_header(&resp, "X-RateLimit-Limit"), "3");
	assert_string_equal(client_response_header(&resp, "X-RateLimit-Remaining"), "0");
	assert_string_equal(client_response_header(&resp, "X-RateLimit-Reset"), "1782036060");
	client_response_cleanup(&resp);
	/* Another tenant is not affected. */
	expect_accepted(tn.tenant_id, tn.tenant_secret, T0);
	/* 1 ms before the window ends: still limited, Retry-After at least 1. */
	assert_int_equal(mock_set_clock(mock_shared, T0 + 59999), 0);
	assert_int_equal(signed_get(rl.tenant_id, rl.tenant_secret, T0 + 59999, &resp), 429);
	assert_string_equal(client_response_header(&resp, "Retry-After"), "1");
	client_response_cleanup(&resp);
	/* The next window starts a fresh count. */
	assert_int_equal(mock_set_clock(mock_shared, T0 + 60000), 0);
	assert_int_equal(signed_get(rl.tenant_id, rl.tenant_secret, T0 + 60000, &resp), 404);
	assert_string_equal(client_response_header(&resp, "X-RateLimit-Remaining"), "2");
	assert_string_equal(client_response_header(&resp, "X-RateLimit-Reset"), "1782036120");
	client_response_cleanup(&resp);
}

/* Sends the same signed request twice with fixed headers; returns the two statuses. */
static void replay_twice(struct mock *mm, long out[2])
{
	struct hmac1_signed s;
	struct sig_lines h;
	struct client_response resp;
	int i;

	assert_int_equal(hmac1_sign(tn.tenant_secret, strlen(tn.tenant_secret), T0, NULL, 0, &s),
			 RELAY_OK);
	sig_lines_init(&h, tn.tenant_id, &s);
	for (i = 0; i < 2; i++) {
		assert_int_equal(mock_call(mm, "GET", PATH, NULL, 0, h.all, &resp), 0);
		out[i] = resp.status;
		if (i == 1 && resp.status == 401)
			assert_int_equal(mock_check_error(&resp, 401, "replayed_request", NULL), 0);
		client_response_cleanup(&resp);
	}
}

/* §4.7: replays are accepted by default and refused with --reject-replays. */
static void test_replays_with_and_without_reject_replays(void **state)
{
	static const char *const args[] = {"--reject-replays", NULL};
	struct mock *saved = mock_shared, *strict;
	struct mock_tenant saved_tn = tn;
	long st[2];
	json_t *e;

	(void)state;
	SKIP_WITHOUT_ROUTE();
	replay_twice(mock_shared, st);
	assert_int_equal(st[0], 404);
	assert_int_equal(st[1], 404);

	strict = mock_start(args);
	assert_non_null(strict);
	mock_shared = strict;
	assert_int_equal(mock_set_clock(mock_shared, T0), 0);
	assert_int_equal(mock_provision(mock_shared, "{\"tenant_name\":\"Replay\"}", &tn), 0);
	replay_twice(mock_shared, st);
	assert_int_equal(st[0], 404);
	assert_int_equal(st[1], 401);
	e = last_entry();
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(e, "hmac1"), "failed_step")),
		"replay");
	json_decref(e);
	/* Another timestamp is another request. */
	expect_accepted(tn.tenant_id, tn.tenant_secret, T0 + 1);
	mock_shared = saved;
	tn = saved_tn;
	assert_int_equal(mock_stop(strict), 0);
}

/* §4.5 step 7 and §1.7.1: body errors are journaled as step "body"; 413 before step 1. */
static void test_body_step_and_size_cap(void **state)
{
	struct client_response resp;
	char *big;
	json_t *e;

	(void)state;
	SKIP_WITHOUT_ROUTE();
	assert_int_equal(mock_signed(mock_shared, "POST", CPATH, "{not json", tn.tenant_id,
				     tn.tenant_secret, T0, &resp),
			 0);
	assert_int_equal(mock_check_error(&resp, 400, "malformed_request", NULL), 0);
	assert_non_null(client_response_header(&resp, "X-RateLimit-Limit"));
	client_response_cleanup(&resp);
	e = last_entry();
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(e, "hmac1"), "failed_step")),
		"body");
	json_decref(e);
	big = malloc(65537 + 1);
	assert_non_null(big);
	memset(big, ' ', 65537);
	big[65537] = '\0';
	assert_int_equal(mock_call(mock_shared, "POST", CPATH, big, 0, NULL, &resp), 0);
	assert_int_equal(mock_check_error(&resp, 413, "payload_too_large", NULL), 0);
	client_response_cleanup(&resp);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_signed_call_passes_the_gate, setup),
		cmocka_unit_test_setup(test_header_syntax_is_step_one, setup),
		cmocka_unit_test_setup(test_window_edges, setup),
		cmocka_unit_test_setup(test_timestamp_text_signed_as_received, setup),
		cmocka_unit_test_setup(test_signature_mismatches, setup),
		cmocka_unit_test_setup(test_suspended_tenant_is_403, setup),
		cmocka_unit_test_setup(test_rotation_old_secret_fails_at_once, setup),
		cmocka_unit_test_setup(test_rate_limit_fixed_window, setup),
		cmocka_unit_test_setup(test_replays_with_and_without_reject_replays, setup),
		cmocka_unit_test_setup(test_body_step_and_size_cap, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, mock_shared_stop);
}
