/*
 * routes_admin.c - admin tenant endpoints behind X-Admin-Key (SPEC §2).
 *
 * The X-Admin-Key check runs in relay_http before these handlers (ROUTE_ADMIN).
 * Then, per §2.1.4: query parameters (400) -> body JSON (400) -> body fields (422)
 * -> tenant lookup (404) -> state (409).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "relay_router.h"
#include "ws_push.h"
#include "tenant_store.h"
#include "tenant_fields.h"

/* §1.2.3 message table. */
#define MSG_PROVISIONED                                                                            \
	"Tenant provisioned. Save tenant_secret and widget_public_key now \xE2\x80\x94 the "       \
	"secret "                                                                                  \
	"will not be shown again."
#define MSG_UPDATED "Tenant updated."
#define MSG_SECRET_ROTATED                                                                         \
	"Tenant secret rotated. Save it now \xE2\x80\x94 it will not be shown again."
#define MSG_KEY_ROTATED "Widget key rotated."
#define MSG_SUSPENDED   "Tenant suspended."
#define MSG_REACTIVATED "Tenant reactivated."
#define MSG_FETCHED     "Tenant fetched."
#define MSG_LISTED      "Tenants fetched."

#define LIST_LIMIT_DEFAULT 50         /* §2.9.2 */
#define LIST_LIMIT_MAX     200        /* §2.9.2 */
#define LIST_OFFSET_MAX    2147483647 /* §2.9.2 */

/* 422 naming the field (§1.3.3); the message is the code's fixed text (§1.3.2). */
static void field_error(struct relay_response *resp, enum relay_rc rc, const char *field,
			const char *reason)
{
	(void)reason;
	response_error(resp, rc, rc == RELAY_E_VALIDATION_FAILED ? field : NULL, NULL);
}

/* ?tenant_id= (a UUID, §2.4-§2.8); also names the tenant in the journal. */
static bool tenant_param(struct relay_request *req, struct relay_response *resp,
			 char id[UUID_STR_LEN + 1])
{
	const char *raw = request_query(req, "tenant_id");

	if (raw != NULL && strlen(raw) <= HMAC1_TENANT_MAX)
		journal_copy(req->tenant_id, sizeof(req->tenant_id), raw);
	return request_uuid_param(req, "tenant_id", id, resp);
}

/* §2.2 POST /api/v1/provision/tenant */
static void provision(struct relay_request *req, struct relay_response *resp)
{
	struct tenant_fields f;
	const char *field = NULL, *reason = NULL;
	json_t *body, *data = NULL;
	enum relay_rc rc;

	tenant_fields_init(&f);
	body = request_json_object(req, resp);
	if (body == NULL)
		goto out;
	rc = tenant_fields_parse(body, TENANT_PARSE_PROVISION, &f, &field, &reason);
	if (rc != RELAY_OK) {
		field_error(resp, rc, field, reason);
		goto out;
	}
	rc = tenant_store_create(req->st->store, &f, req->now_ms, &data);
	if (rc != RELAY_OK) {
		response_error(resp, rc, NULL, NULL);
		goto out;
	}
	journal_copy(req->tenant_id, sizeof(req->tenant_id),
		     json_string_value(json_object_get(data, "tenant_id")));
	response_success(resp, 201, data, MSG_PROVISIONED);
out:
	json_decref(body);
	tenant_fields_cleanup(&f);
}

/* §2.4 POST /api/v1/update/tenant?tenant_id= */
static void update(struct relay_request *req, struct relay_response *resp)
{
	char id[UUID_STR_LEN + 1];
	struct tenant_fields f;
	const char *field = NULL, *reason = NULL;
	json_t *body = NULL, *data = NULL;
	enum relay_rc rc;

	tenant_fields_init(&f);
	if (!tenant_param(req, resp, id))
		goto out;
	body = request_json_object(req, resp);
	if (body == NULL)
		goto out;
	rc = tenant_fields_parse(body, TENANT_PARSE_UPDATE, &f, &field, &reason);
	if (rc != RELAY_OK) {
		field_error(resp, rc, field, reason);
		goto out;
	}
	rc = tenant_store_update(req->st->store, id, &f, req->now_ms, &data);
	if (rc != RELAY_OK) {
		response_error(resp, rc, NULL, NULL);
		goto out;
	}
	response_success(resp, 200, data, MSG_UPDATED);
out:
	json_decref(body);
	tenant_fields_cleanup(&f);
}

/* §2.5 POST /api/v1/rotate/tenant-secret?tenant_id= */
static void rotate_secret(struct relay_request *req, struct relay_response *resp)
{
	char id[UUID_STR_LEN + 1], secret[KEY_STR_LEN + 1];
	enum relay_rc rc;

	if (!tenant_param(req, resp, id))
		return;
	rc = tenant_store_rotate_secret(req->st->store, id, req->now_ms, secret);
	if (rc != RELAY_OK) {
		response_error(resp, rc, NULL, NULL);
		return;
	}
	response_success(resp, 200,
			 json_pack("{s:s, s:s}", "tenant_id", id, "tenant_secret", secret),
			 MSG_SECRET_ROTATED);
	OPENSSL_cleanse(secret, sizeof(secret));
}

/* §2.6 POST /api/v1/rotate/widget-key?tenant_id= */
static void rotate_widget_key(struct relay_request *req, struct relay_response *resp)
{
	char id[UUID_STR_LEN + 1], key[KEY_STR_LEN + 1];
	enum relay_rc rc;

	if (!tenant_param(req, resp, id))
		return;
	rc = tenant_store_rotate_widget_key(req->st->store, id, req->now_ms, key);
	if (rc != RELAY_OK) {
		response_error(resp, rc, NULL, NULL);
		return;
	}
	ws_close_tenant(req->st, id, WS_CLOSE_FORBIDDEN); /* §2.6.3 */
	response_success(resp, 200,
			 json_pack("{s:s, s:s}", "tenant_id", id, "widget_public_key", key),
			 MSG_KEY_ROTATED);
}

/* §2.7: suspend or reactivate. */
static void set_status(struct relay_request *req, struct relay_response *resp, bool suspended)
{
	char id[UUID_STR_LEN + 1];
	enum relay_rc rc;

	if (!tenant_param(req, resp, id))
		return;
	rc = tenant_store_set_suspended(req->st->store, id, suspended, req->now_ms);
	if (rc != RELAY_OK) {
		response_error(resp, rc, NULL, NULL);
		return;
	}
	if (suspended)
		ws_close_tenant(req->st, id, WS_CLOSE_FORBIDDEN); /* §2.7.3 */
	response_success(resp, 200,
			 json_pack("{s:s, s:s}", "tenant_id", id, "status",
				   suspended ? "suspended" : "active"),
			 suspended ? MSG_SUSPENDED : MSG_REACTIVATED);
}

/* §2.7 POST /api/v1/suspend/tenant?tenant_id= */
static void suspend(struct relay_request *req, struct relay_response *resp)
{
	set_status(req, resp, true);
}

/* §2.7 POST /api/v1/reactivate/tenant?tenant_id= */
static void reactivate(struct relay_request *req, struct relay_response *resp)
{
	set_status(req, resp, false);
}

/* §2.8 GET /api/v1/fetch/tenant?tenant_id= */
static void fetch_tenant(struct relay_request *req, struct relay_response *resp)
{
	char id[UUID_STR_LEN + 1];
	json_t *data = NULL;
	enum relay_rc rc;

	if (!tenant_param(req, resp, id))
		return;
	rc = tenant_store_to_json(req->st->store, id, &data);
	if (rc != RELAY_OK) {
		response_error(resp, rc, NULL, NULL);
		return;
	}
	response_success(resp, 200, data, MSG_FETCHED);
}

/* §2.9 GET /api/v1/fetch/tenants?limit=&offset= */
static void fetch_tenants(struct relay_request *req, struct relay_response *resp)
{
	long long limit = 0, offset = 0;
	json_t *items = NULL;
	size_t total = 0;
	enum relay_rc rc;

	if (!request_int_param(req, "limit", 1, LIST_LIMIT_MAX, LIST_LIMIT_DEFAULT, &limit, resp) ||
	    !request_int_param(req, "offset", 0, LIST_OFFSET_MAX, 0, &offset, resp))
		return;
	rc = tenant_store_list(req->st->store, (size_t)limit, (size_t)offset, &items, &total);
	if (rc != RELAY_OK) {
		response_error(resp, rc, NULL, NULL);
		return;
	}
	response_success(resp, 200,
			 json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total",
				   (json_int_t)total, "limit", (json_int_t)limit, "offset",
				   (json_int_t)offset),
			 MSG_LISTED);
}

const struct relay_route routes_admin[] = {
	{"POST", "/api/v1/provision/tenant", ROUTE_ADMIN, provision},
	{"POST", "/api/v1/update/tenant", ROUTE_ADMIN, update},
	{"POST", "/api/v1/rotate/tenant-secret", ROUTE_ADMIN, rotate_secret},
	{"POST", "/api/v1/rotate/widget-key", ROUTE_ADMIN, rotate_widget_key},
	{"POST", "/api/v1/suspend/tenant", ROUTE_ADMIN, suspend},
	{"POST", "/api/v1/reactivate/tenant", ROUTE_ADMIN, reactivate},
	{"GET", "/api/v1/fetch/tenant", ROUTE_ADMIN, fetch_tenant},
	{"GET", "/api/v1/fetch/tenants", ROUTE_ADMIN, fetch_tenants},
	{NULL, NULL, 0, NULL},
};
