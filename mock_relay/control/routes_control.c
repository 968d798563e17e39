/*
 * routes_control.c - the mock's control plane behind X-Admin-Key (SPEC §10).
 *
 * Never faulted, rate-limited or journaled (ROUTE_CONTROL).
 */
#include "relay_faults.h"
#include "relay_journal.h"
#include "relay_router.h"
#include "relay_state_build.h"

#define MAX_SAFE_INT          9007199254740991LL /* §10.2.2: 2^53 - 1 */
#define JOURNAL_LIMIT_MAX     65536              /* §10.3.2 */
#define JOURNAL_LIMIT_DEFAULT 100

/* §10.2.1: {"now_ms":N,"frozen":bool} */
static json_t *clock_json(struct relay_state *st)
{
	return json_pack("{s:I, s:b}", "now_ms", (json_int_t)relay_clock_now_ms(&st->clock),
			 "frozen", relay_clock_is_frozen(&st->clock));
}

/* §10.1 POST /__mock/reset */
static void reset(struct relay_request *req, struct relay_response *resp)
{
	relay_state_reset(req->st);
	response_success(resp, 200, json_object(), "Mock reset.");
}

/* §10.2.1 GET /__mock/clock */
static void clock_get(struct relay_request *req, struct relay_response *resp)
{
	response_success(resp, 200, clock_json(req->st), "Clock fetched.");
}

/* §10.2.2 PUT /__mock/clock {"now_ms": N | null} */
static void clock_put(struct relay_request *req, struct relay_response *resp)
{
	json_t *body, *v;

	body = request_json_object(req, resp);
	if (body == NULL)
		goto out;
	v = json_object_get(body, "now_ms");
	if (json_is_null(v)) {
		relay_clock_reset(&req->st->clock);
	} else if (json_is_integer(v) && json_integer_value(v) >= 0 &&
		   json_integer_value(v) <= MAX_SAFE_INT) {
		relay_clock_set(&req->st->clock, (int64_t)json_integer_value(v));
	} else {
		response_error(resp, RELAY_E_VALIDATION_FAILED, "now_ms", NULL);
		goto out;
	}
	response_success(resp, 200, clock_json(req->st), "Clock set.");
out:
	json_decref(body);
}

/* §10.2.3 POST /__mock/clock/advance {"ms": N} */
static void clock_advance(struct relay_request *req, struct relay_response *resp)
{
	json_t *body, *v;
	int64_t now;

	body = request_json_object(req, resp);
	if (body == NULL)
		goto out;
	v = json_object_get(body, "ms");
	if (!json_is_integer(v) || json_integer_value(v) > MAX_SAFE_INT ||
	    json_integer_value(v) < -MAX_SAFE_INT) {
		response_error(resp, RELAY_E_VALIDATION_FAILED, "ms", NULL);
		goto out;
	}
	/*
	 * The clock stays in PUT's range (§10.2.2: 0 to 2^53 - 1): before the epoch no
	 * UUIDv7 can be made, so every later provision answered 500.
	 */
	now = relay_clock_now_ms(&req->st->clock);
	if (now + (int64_t)json_integer_value(v) < 0 ||
	    now + (int64_t)json_integer_value(v) > MAX_SAFE_INT) {
		response_error(resp, RELAY_E_VALIDATION_FAILED, "ms", NULL);
		goto out;
	}
	relay_clock_advance(&req->st->clock, (int64_t)json_integer_value(v));
	response_success(resp, 200, clock_json(req->st), "Clock advanced.");
out:
	json_decref(body);
}

/* §10.3.2 GET /__mock/journal?tenant_id=&limit= */
static void journal_get(struct relay_request *req, struct relay_response *resp)
{
	char tenant[TEXT_ID_MAX + 1];
	long long limit = 0;
	json_t *items = NULL;
	size_t total = 0;
	enum relay_rc rc;

	if (!request_id_param(req, "tenant_id", false, tenant, resp) ||
	    !request_int_param(req, "limit", 1, JOURNAL_LIMIT_MAX, JOURNAL_LIMIT_DEFAULT, &limit,
			       resp))
		return;
	rc = journal_to_json(req->st->journal, tenant[0] != '\0' ? tenant : NULL, (size_t)limit,
			     &items, &total);
	if (rc != RELAY_OK) {
		response_error(resp, rc, NULL, NULL);
		return;
	}
	response_success(resp, 200,
			 json_pack("{s:o, s:I}", "items", items, "total", (json_int_t)total),
			 "Journal fetched.");
}

/* §10.4.1 POST /__mock/faults */
static void faults_post(struct relay_request *req, struct relay_response *resp)
{
	const char *field = NULL;
	json_t *body, *rule = NULL;
	enum relay_rc rc;

	body = request_json_object(req, resp);
	if (body == NULL)
		goto out;
	rc = faults_add(req->st->faults, body, &rule, &field);
	if (rc != RELAY_OK) {
		response_error(resp, rc, rc == RELAY_E_VALIDATION_FAILED ? field : NULL, NULL);
		goto out;
	}
	response_success(resp, 201, rule, "Fault added."); /* steals rule */
out:
	json_decref(body);
}

/* §10.4.4 GET /__mock/faults */
static void faults_get(struct relay_request *req, struct relay_response *resp)
{
	json_t *items = faults_to_json(req->st->faults);

	if (items == NULL) {
		response_error(resp, RELAY_E_NOMEM, NULL, NULL);
		return;
	}
	response_success(resp, 200, json_pack("{s:o}", "items", items), "Faults fetched.");
}

/* §10.4.4 DELETE /__mock/faults */
static void faults_delete(struct relay_request *req, struct relay_response *resp)
{
	(void)faults_clear(req->st->faults);
	response_success(resp, 200, json_object(), "Faults cleared.");
}

const struct relay_route routes_control[] = {
	{"POST", "/__mock/reset", ROUTE_CONTROL, reset},
	{"GET", "/__mock/clock", ROUTE_CONTROL, clock_get},
	{"PUT", "/__mock/clock", ROUTE_CONTROL, clock_put},
	{"POST", "/__mock/clock/advance", ROUTE_CONTROL, clock_advance},
	{"GET", "/__mock/journal", ROUTE_CONTROL, journal_get},
	{"GET", "/__mock/faults", ROUTE_CONTROL, faults_get},
	{"POST", "/__mock/faults", ROUTE_CONTROL, faults_post},
	{"DELETE", "/__mock/faults", ROUTE_CONTROL, faults_delete},
	{NULL, NULL, 0, NULL},
};
