/*
 * cases_mutation_gaps.c - cases added because the mutation test
 * (conformance/tests/test_mutations.sh) found a single-rule break that no other case
 * noticed. Each names the mutation that revealed it.
 */
#include <stdio.h>
#include <string.h>

#include "suite.h"

#define CREATE_CONV "/api/v1/relay/create/conversation"
#define BODY        "{\"visitor_user_id\":\"user-123\"}"

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

/*
 * §2.9: fetch/tenants "total" counts every tenant: the page at offset total-1 holds
 * exactly one tenant and the page at offset total none. Revealed by the
 * fetch-tenants-total mutation (the shape cases only check the keys).
 */
static void fetch_tenants_total(struct case_ctx *x)
{
	char path[128];
	json_int_t total;
	json_t *data;

	if (req_admin(x, "GET", "/api/v1/fetch/tenants?limit=1", NULL) == 0 ||
	    !expect_status(x, 200, NULL))
		return;
	data = resp_data(x);
	total = json_integer_value(json_object_get(data, "total"));
	if (!expect_true(x, json_is_integer(json_object_get(data, "total")) && total >= 1,
			 "data.total an integer >= 1 (a tenant exists)"))
		return;
	snprintf(path, sizeof(path), "/api/v1/fetch/tenants?limit=1&offset=%lld",
		 (long long)total - 1);
	req_admin(x, "GET", path, NULL);
	if (!expect_status(x, 200, NULL))
		return;
	if (!expect_true(x, json_array_size(json_object_get(resp_data(x), "items")) == 1,
			 "one tenant at offset total-1 = %lld (§2.9)", (long long)total - 1))
		return;
	snprintf(path, sizeof(path), "/api/v1/fetch/tenants?limit=1&offset=%lld", (long long)total);
	req_admin(x, "GET", path, NULL);
	if (expect_status(x, 200, NULL))
		expect_true(x, json_array_size(json_object_get(resp_data(x), "items")) == 0,
			    "no tenant at offset total = %lld (§2.9)", (long long)total);
}

const struct suite_case cases_mutation_gaps[] = {
	{"envelope.success.key-order", "1.2.2", REPORT_INFERRED, NEED_TENANT,
	 "Success envelope keys come in the order status_code, data, message",
	 envelope_success_key_order},
	{"envelope.error.key-order", "1.3.1", REPORT_INFERRED, 0,
	 "Error envelope keys come in the order status_code, data, message, error",
	 envelope_error_key_order},
	{"admin.fetch-tenants.total", "2.9", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "fetch/tenants total counts the tenants: offset total-1 has one, offset total none",
	 fetch_tenants_total},
	{NULL, NULL, 0, 0, NULL, NULL}};
