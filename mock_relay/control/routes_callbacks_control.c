/*
 * routes_callbacks_control.c - the callback side of the control plane (SPEC §10.5).
 *
 *   GET  /__mock/callbacks?tenant_id=&limit=   deliveries, newest first
 *   POST /__mock/callbacks/fire                 {"tenant_id","event","data"} → 202
 */
#include <string.h>

#include "relay_callbacks.h"
#include "relay_fields.h"
#include "relay_router.h"
#include "relay_text.h"

#define CALLBACKS_LIST_DEF 100

/* GET /__mock/callbacks (§10.5.1). */
static void callbacks_list(struct relay_request *req, struct relay_response *resp)
{
	const char *tenant_id = request_query(req, "tenant_id");
	long long limit;
	json_t *data;

	if (!request_int_param(req, "limit", 1, CALLBACKS_KEEP, CALLBACKS_LIST_DEF, &limit, resp))
		return;
	if (request_query_count(req, "tenant_id") > 1 ||
	    (tenant_id != NULL && !text_id_valid(tenant_id))) {
		response_error(resp, RELAY_E_MALFORMED_REQUEST, "tenant_id", NULL);
		return;
	}
	data = callbacks_list_json(req->st->callbacks, tenant_id, (size_t)limit);
	if (data == NULL) {
		response_error(resp, RELAY_E_INTERNAL, NULL, NULL);
		return;
	}
	response_success(resp, 200, data, "Callbacks fetched."); /* §1.2.3 */
}

/* POST /__mock/callbacks/fire (§10.5.2, §10.5.3). */
static void callbacks_fire(struct relay_request *req, struct relay_response *resp)
{
	json_t *body = request_json_object(req, resp), *data, *out;
	const char *tenant_id, *event;
	char event_id[PREFIXED_ID_MAX + 1], url[CALLBACKS_URL_MAX + 64];
	enum relay_rc rc;

	if (body == NULL)
		return;
	tenant_id = json_string_value(json_object_get(body, "tenant_id"));
	if (tenant_id == NULL || strlen(tenant_id) > HMAC1_TENANT_MAX) {
		response_error(resp, RELAY_E_VALIDATION_FAILED, "tenant_id", NULL);
		goto out;
	}
	event = json_string_value(json_object_get(body, "event"));
	if (!callbacks_event_known(event)) {
		response_error(resp, RELAY_E_VALIDATION_FAILED, "event", NULL);
		goto out;
	}
	data = json_object_get(body, "data");
	if (data != NULL && !json_is_null(data) && !json_is_object(data)) {
		response_error(resp, RELAY_E_VALIDATION_FAILED, "data", NULL);
		goto out;
	}
	data = json_is_object(data) ? json_deep_copy(data) : json_object();
	rc = callbacks_enqueue(req->st->callbacks, tenant_id, event, data, event_id, url);
	if (rc == RELAY_E_VALIDATION_FAILED) {
		/* The tenant exists but has nowhere to deliver to (§9.1.3). */
		response_error(resp, rc, "callback_url_base",
			       "The tenant has no callback_url_base.");
		goto out;
	}
	if (rc != RELAY_OK) {
		response_error(resp, rc, NULL, NULL);
		goto out;
	}
	out = json_pack("{s:s, s:s, s:s, s:s}", "event_id", event_id, "event", event, "tenant_id",
			tenant_id, "url", url);
	if (out == NULL) {
		response_error(resp, RELAY_E_INTERNAL, NULL, NULL);
		goto out;
	}
	response_success(resp, 202, out, "Callback queued.");
out:
	json_decref(body);
}

const struct relay_route routes_callbacks_control[] = {
	{"GET", "/__mock/callbacks", ROUTE_ADMIN | ROUTE_CONTROL, callbacks_list},
	{"POST", "/__mock/callbacks/fire", ROUTE_ADMIN | ROUTE_CONTROL, callbacks_fire},
	{NULL, NULL, 0, NULL},
};
