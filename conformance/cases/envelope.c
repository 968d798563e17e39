/*
 * envelope.c - the response envelope and routing (SPEC.md §1): envelope shapes, key order,
 * content types, exact path matching and 405.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "suite_fixtures.h"
#include "suite_http.h"

#define CREATE_CONV "/api/v1/relay/create/conversation"
#define BODY        "{\"visitor_user_id\":\"user-123\"}"

static void envelope_error_shape(struct case_ctx *x)
{
	req_raw(x, "GET", "/api/v1/no/such/route", NULL, 0, NULL, 0);
	if (expect_status(x, 404, "not_found"))
		expect_envelope(x);
}

static void envelope_success_shape(struct case_ctx *x)
{
	req_signed(x, &x->t, "POST", CREATE_CONV, BODY);
	if (expect_status(x, 201, NULL))
		expect_envelope(x);
}

static void envelope_no_success_key(struct case_ctx *x)
{
	req_signed(x, &x->t, "POST", CREATE_CONV, BODY);
	if (!expect_status(x, 201, NULL))
		return;
	if (json_object_get(x->json, "success") != NULL)
		case_info(x, "the envelope carries a \"success\" key (the Auth relay's form, AQS); "
			     "the chat QS example has none");
}

static void envelope_content_type(struct case_ctx *x)
{
	const char *ct;

	if (strstr(x->meta->id, ".error") != NULL)
		req_raw(x, "GET", "/api/v1/no/such/route", NULL, 0, NULL, 0);
	else
		req_signed(x, &x->t, "POST", CREATE_CONV, BODY);
	if (!expect_true(x, x->resp.status != 0, "an HTTP response"))
		return;
	ct = resp_header(x, "Content-Type");
	expect_true(x, ct != NULL && strcasecmp(ct, "application/json; charset=utf-8") == 0,
		    "Content-Type: application/json; charset=utf-8 (§1.5.1), got %s",
		    ct ? ct : "(none)");
}

static void envelope_405_allow(struct case_ctx *x)
{
	req_raw(x, "DELETE", "/api/v1/provision/tenant", NULL, 0, NULL, 0);
	if (!expect_status(x, 405, "method_not_allowed"))
		return;
	expect_true(x, streq(resp_header(x, "Allow"), "POST"), "Allow: POST (§1.6.2), got %s",
		    resp_header(x, "Allow") ? resp_header(x, "Allow") : "(none)");
	expect_envelope(x);
}

static void envelope_trailing_slash(struct case_ctx *x)
{
	req_raw(x, "POST", "/api/v1/provision/tenant/", NULL, 0, "{}", 2);
	expect_status(x, 404, "not_found");
}

static void envelope_path_case(struct case_ctx *x)
{
	req_raw(x, "POST", "/API/v1/provision/tenant", NULL, 0, "{}", 2);
	expect_status(x, 404, "not_found");
}

static void envelope_404_before_auth(struct case_ctx *x)
{
	req_raw(x, "GET", "/api/v1/relay/no-such-thing", NULL, 0, NULL, 0);
	expect_status(x, 404, "not_found");
}

static void envelope_console_not_mocked(struct case_ctx *x)
{
	req_raw(x, "POST", "/api/v1/console/login", NULL, 0, "{}", 2);
	if (x->resp.status == 404)
		return;
	case_info(x, "the target serves /api/v1/console/* (status %ld): not covered by this suite",
		  x->resp.status);
}

/*
 * §1.2.2/§1.3.1: envelope keys in the order SPEC writes them (status_code, data,
 * message[, error]). Revealed by the envelope-key-order mutation. jansson keeps the
 * order keys were parsed in, so iterating the object sees the wire order.
 */
static void check_key_order(struct case_ctx *x)
{
	static const char *const order[] = {"status_code", "data", "message", "error"};
	char seen[128] = "";
	size_t next = 0, k;
	const char *key;
	json_t *v;
	bool ok = true;

	if (!expect_true(x, json_is_object(x->json), "a JSON envelope"))
		return;
	json_object_foreach(x->json, key, v)
	{
		(void)v;
		for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
			if (strcmp(key, order[k]) != 0)
				continue;
			if (k < next)
				ok = false;
			next = k + 1;
			if (strlen(seen) + strlen(key) + 2 < sizeof(seen)) {
				strcat(seen, seen[0] != '\0' ? "," : "");
				strcat(seen, key);
			}
		}
	}
	expect_true(x, ok, "keys in the order status_code, data, message[, error] (§1.2.2), got %s",
		    seen);
}

static void envelope_success_key_order(struct case_ctx *x)
{
	req_signed(x, &x->t, "POST", CREATE_CONV, BODY);
	if (expect_status(x, 201, NULL))
		check_key_order(x);
}

static void envelope_error_key_order(struct case_ctx *x)
{
	req_raw(x, "GET", "/api/v1/no/such/route", NULL, 0, NULL, 0);
	if (expect_status(x, 404, "not_found"))
		check_key_order(x);
}

const struct suite_case cases_envelope[] = {
	{"envelope.error.shape", "1.3.1", REPORT_INFERRED, 0,
	 "Errors use {status_code, data: null, message, error: {code}} and JSON content type",
	 envelope_error_shape},
	{"envelope.success.shape", "1.2.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "Successes use {status_code = HTTP status, data: {...}, message} (QS)",
	 envelope_success_shape},
	{"envelope.success.no-success-key", "1.2.2", REPORT_INFERRED, NEED_TENANT,
	 "Observation: does the envelope add the Auth relay's \"success\" key?",
	 envelope_no_success_key},
	{"envelope.content-type.success", "1.5.1", REPORT_INFERRED, NEED_TENANT,
	 "A success response is Content-Type: application/json; charset=utf-8",
	 envelope_content_type},
	{"envelope.content-type.error", "1.5.1", REPORT_INFERRED, 0,
	 "An error response is Content-Type: application/json; charset=utf-8",
	 envelope_content_type},
	{"envelope.routing.405-allow", "1.6.2", REPORT_INFERRED, 0,
	 "A known path with another method is 405 with Allow", envelope_405_allow},
	{"envelope.routing.trailing-slash", "1.6.1", REPORT_INFERRED, 0,
	 "Paths match exactly: a trailing slash is 404", envelope_trailing_slash},
	{"envelope.routing.case-sensitive", "1.6.1", REPORT_INFERRED, 0,
	 "Paths are case-sensitive: /API/v1/... is 404", envelope_path_case},
	{"envelope.routing.404-before-auth", "1.6.1", REPORT_INFERRED, 0,
	 "An unknown /relay/ path is 404 before any authentication", envelope_404_before_auth},
	{"envelope.routing.console", "1.6", REPORT_INFERRED, 0,
	 "Observation: is /api/v1/console/* served?", envelope_console_not_mocked},
	{"envelope.success.key-order", "1.2.2", REPORT_INFERRED, NEED_TENANT,
	 "Success envelope keys come in the order status_code, data, message",
	 envelope_success_key_order},
	{"envelope.error.key-order", "1.3.1", REPORT_INFERRED, 0,
	 "Error envelope keys come in the order status_code, data, message, error",
	 envelope_error_key_order},
	{NULL, NULL, 0, 0, NULL, NULL}};
