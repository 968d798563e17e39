/*
 * admin.c - admin key, provisioning and the tenant lifecycle (SPEC.md §2).
 */
#include <stdio.h>
#include <string.h>

#include "suite_fixtures.h"
#include "suite_http.h"

#define PROVISION "/api/v1/provision/tenant"
#define PROVISION_MESSAGE                                                                          \
	"Tenant provisioned. Save tenant_secret and widget_public_key now \xe2\x80\x94 the "       \
	"secret will not be shown again."
#define DEMO_BODY                                                                                  \
	"{\"tenant_name\":\"Demo Boutique\",\"allowed_origins\":[\"https://shop.demo.com\","       \
	"\"app://bloonio_chat_flutter\"]}"

/* "sk_"/"pk_" + 43 base64url characters (§1.8.2). */
static bool is_key(const char *s, const char *prefix)
{
	if (s == NULL || strncmp(s, prefix, 3) != 0 || strlen(s) != KEY_STR_LEN)
		return false;
	for (s += 3; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

static bool is_lower_uuid(const char *s)
{
	if (s == NULL || !ids_is_uuid(s))
		return false;
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'F')
			return false;
	return true;
}

/* ---- §2.1 admin key */

static void admin_key_missing(struct case_ctx *x)
{
	const char *h[] = {"Content-Type: application/json"};

	req_raw(x, "POST", PROVISION, h, 1, DEMO_BODY, strlen(DEMO_BODY));
	expect_status(x, 401, "invalid_admin_key");
}

static void admin_key_wrong(struct case_ctx *x)
{
	const char *h[] = {"X-Admin-Key: not-the-admin-key-conformance",
			   "Content-Type: application/json"};

	req_raw(x, "POST", PROVISION, h, 2, DEMO_BODY, strlen(DEMO_BODY));
	expect_status(x, 401, "invalid_admin_key");
}

static void admin_key_tenant_signature(struct case_ctx *x)
{
	char path[256], ts[32];
	struct signed_parts p;

	snprintf(ts, sizeof(ts), "%lld", (long long)relay_now_ms(x));
	if (!sign_parts(x, &x->t, ts, NULL, 0, &p))
		return;
	snprintf(path, sizeof(path), "/api/v1/fetch/tenant?tenant_id=%s", x->t.id);
	req_parts(x, &p, "GET", path, NULL, 0);
	expect_true(x, x->resp.status == 401,
		    "an admin call signed with HMAC#1 and no X-Admin-Key refused with 401, got %ld",
		    x->resp.status);
}

/* ---- §2.2 provision */

static void admin_provision_envelope(struct case_ctx *x)
{
	req_admin(x, "POST", PROVISION, DEMO_BODY);
	if (!expect_status(x, 201, NULL))
		return;
	expect_envelope(x);
}

static void admin_provision_message(struct case_ctx *x)
{
	const char *m;

	req_admin(x, "POST", PROVISION, DEMO_BODY);
	if (!expect_status(x, 201, NULL))
		return;
	m = json_string_value(json_object_get(x->json, "message"));
	expect_true(x, m != NULL && strcmp(m, PROVISION_MESSAGE) == 0, "message exactly \"%s\"",
		    PROVISION_MESSAGE);
}

static void admin_provision_data_keys(struct case_ctx *x)
{
	static const char *const keys[] = {"tenant_id",   "tenant_secret",      "widget_public_key",
					   "tenant_name", "rate_limit_per_min", "created_at"};
	json_t *d;

	req_admin(x, "POST", PROVISION, DEMO_BODY);
	if (!expect_status(x, 201, NULL))
		return;
	d = resp_data(x);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!expect_true(x, json_object_get(d, keys[i]) != NULL, "data.%s present (QS)",
				 keys[i]))
			return;
	expect_true(x, streq(data_str(x, "tenant_name"), "Demo Boutique"),
		    "data.tenant_name \"Demo Boutique\"");
}

static void admin_provision_tenant_id_uuid(struct case_ctx *x)
{
	req_admin(x, "POST", PROVISION, DEMO_BODY);
	if (!expect_status(x, 201, NULL))
		return;
	expect_true(x, is_lower_uuid(data_str(x, "tenant_id")),
		    "tenant_id a lowercase UUID (QS example), got %s",
		    data_str(x, "tenant_id") ? data_str(x, "tenant_id") : "(none)");
}

static void admin_provision_tenant_id_v7(struct case_ctx *x)
{
	const char *id;

	req_admin(x, "POST", PROVISION, DEMO_BODY);
	if (!expect_status(x, 201, NULL))
		return;
	id = data_str(x, "tenant_id");
	expect_true(x, is_lower_uuid(id) && id[14] == '7' && strchr("89ab", id[19]) != NULL,
		    "tenant_id a UUIDv7 (version 7, RFC 4122 variant), got %s", id ? id : "(none)");
}

static void admin_provision_secret_prefix(struct case_ctx *x)
{
	const char *sk, *pk;

	req_admin(x, "POST", PROVISION, DEMO_BODY);
	if (!expect_status(x, 201, NULL))
		return;
	sk = data_str(x, "tenant_secret");
	pk = data_str(x, "widget_public_key");
	expect_true(x, sk && strncmp(sk, "sk_", 3) == 0 && pk && strncmp(pk, "pk_", 3) == 0,
		    "tenant_secret starts with sk_ and widget_public_key with pk_ (QS)");
}

static void admin_provision_key_format(struct case_ctx *x)
{
	req_admin(x, "POST", PROVISION, DEMO_BODY);
	if (!expect_status(x, 201, NULL))
		return;
	expect_true(x,
		    is_key(data_str(x, "tenant_secret"), "sk_") &&
			    is_key(data_str(x, "widget_public_key"), "pk_"),
		    "sk_/pk_ + 43 base64url characters (32 random bytes, §1.8.2)");
}

static void admin_provision_defaults(struct case_ctx *x)
{
	json_t *rl;

	req_admin(x, "POST", PROVISION, "{\"tenant_name\":\"Defaults Only\"}");
	if (!expect_status(x, 201, NULL))
		return;
	rl = json_object_get(resp_data(x), "rate_limit_per_min");
	expect_true(x, json_is_integer(rl) && json_integer_value(rl) == 60,
		    "only tenant_name required; rate_limit_per_min defaults to 60 (QS)");
}

static void admin_provision_created_at(struct case_ctx *x)
{
	int64_t ms, now = relay_now_ms(x);
	const char *t;

	req_admin(x, "POST", PROVISION, DEMO_BODY);
	if (!expect_status(x, 201, NULL))
		return;
	t = data_str(x, "created_at");
	if (!expect_true(x, t && ids_parse_rfc3339(t, &ms),
			 "created_at RFC 3339 UTC with seconds (2026-06-21T10:00:00Z), got %s",
			 t ? t : "(none)"))
		return;
	expect_true(x, ms > now - 120000 && ms < now + 120000,
		    "created_at within 2 minutes of the relay's clock");
}

static void admin_provision_unique(struct case_ctx *x)
{
	struct suite_tenant a, b;

	if (!tenant_provision(x, &a, NULL) || !tenant_provision(x, &b, NULL))
		return;
	expect_true(x,
		    strcmp(a.id, b.id) != 0 && strcmp(a.secret, b.secret) != 0 &&
			    strcmp(a.widget_key, b.widget_key) != 0,
		    "two provisions give distinct tenant_id, tenant_secret and widget_public_key");
}

/* One provision body per validation case, expecting 422 with field. */
static const struct {
	const char *id, *body, *field;
} bad_provisions[] = {
	{"admin.provision.tenant-name-required", "{\"allowed_origins\":[]}", "tenant_name"},
	{"admin.provision.tenant-name-blank", "{\"tenant_name\":\"   \"}", "tenant_name"},
	{"admin.provision.tenant-name-type", "{\"tenant_name\":42}", "tenant_name"},
	{"admin.provision.rate-limit-zero", "{\"tenant_name\":\"x\",\"rate_limit_per_min\":0}",
	 "rate_limit_per_min"},
	{"admin.provision.rate-limit-10001", "{\"tenant_name\":\"x\",\"rate_limit_per_min\":10001}",
	 "rate_limit_per_min"},
	{"admin.provision.rate-limit-string",
	 "{\"tenant_name\":\"x\",\"rate_limit_per_min\":\"60\"}", "rate_limit_per_min"},
	{"admin.provision.rate-limit-float", "{\"tenant_name\":\"x\",\"rate_limit_per_min\":60.0}",
	 "rate_limit_per_min"},
	{"admin.provision.reserved-tenant-secret",
	 "{\"tenant_name\":\"x\",\"tenant_secret\":\"sk_mine\"}", "tenant_secret"},
	{"admin.provision.reserved-tenant-id", "{\"tenant_name\":\"x\",\"tenant_id\":\"mine\"}",
	 "tenant_id"},
	{"admin.provision.origins-not-array",
	 "{\"tenant_name\":\"x\",\"allowed_origins\":\"https://shop.demo.com\"}",
	 "allowed_origins"},
	{"admin.provision.callback-url-scheme",
	 "{\"tenant_name\":\"x\",\"callback_url_base\":\"ftp://backend.example\"}",
	 "callback_url_base"},
	{"admin.provision.branding-color",
	 "{\"tenant_name\":\"x\",\"branding_primary_color\":\"blue\"}", "branding_primary_color"},
};

static void admin_provision_invalid(struct case_ctx *x)
{
	for (size_t i = 0; i < sizeof(bad_provisions) / sizeof(bad_provisions[0]); i++) {
		const char *field;

		if (strcmp(bad_provisions[i].id, x->meta->id) != 0)
			continue;
		req_admin(x, "POST", PROVISION, bad_provisions[i].body);
		if (!expect_status(x, 422, "validation_failed"))
			return;
		field = resp_error_field(x);
		expect_true(x, field && strcmp(field, bad_provisions[i].field) == 0,
			    "error.field \"%s\", got %s", bad_provisions[i].field,
			    field ? field : "(none)");
	}
}

/* ---- §2.8-2.10 fetch, secrets shown once */

static void admin_fetch_no_secret(struct case_ctx *x)
{
	req_admin_tenant(x, "GET", "fetch/tenant", &x->t, NULL);
	if (!expect_status(x, 200, NULL))
		return;
	expect_true(x,
		    json_object_get(resp_data(x), "tenant_secret") == NULL &&
			    strstr(x->resp.body, x->t.secret) == NULL,
		    "fetch/tenant returns the tenant without its secret (TM)");
}

static void admin_fetch_object(struct case_ctx *x)
{
	static const char *const keys[] = {"tenant_id",
					   "tenant_name",
					   "status",
					   "widget_public_key",
					   "allowed_origins",
					   "rate_limit_per_min",
					   "callback_url_base",
					   "plan_tier",
					   "monthly_msg_quota",
					   "agent_seats",
					   "branding_primary_color",
					   "stripe_customer_id",
					   "created_at",
					   "updated_at"};
	json_t *d;

	req_admin_tenant(x, "GET", "fetch/tenant", &x->t, NULL);
	if (!expect_status(x, 200, NULL) || !expect_envelope(x))
		return;
	d = resp_data(x);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!expect_true(x, json_object_get(d, keys[i]) != NULL,
				 "tenant object key %s (§2.8.2)", keys[i]))
			return;
	expect_true(x,
		    streq(data_str(x, "tenant_id"), x->t.id) &&
			    streq(data_str(x, "status"), "active"),
		    "the tenant asked for, status \"active\"");
}

static void admin_fetch_unknown(struct case_ctx *x)
{
	req_admin(x, "GET", "/api/v1/fetch/tenant?tenant_id=019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
		  NULL);
	expect_status(x, 404, "tenant_not_found");
}

static void admin_fetch_missing_param(struct case_ctx *x)
{
	req_admin(x, "GET", "/api/v1/fetch/tenant", NULL);
	expect_status(x, 400, "malformed_request");
}

static void admin_fetch_tenants_no_secret(struct case_ctx *x)
{
	req_admin(x, "GET", "/api/v1/fetch/tenants?limit=200", NULL);
	if (!expect_status(x, 200, NULL))
		return;
	expect_true(x,
		    strstr(x->resp.body, "tenant_secret") == NULL &&
			    strstr(x->resp.body, x->t.secret) == NULL,
		    "fetch/tenants lists tenants without secrets (TM)");
}

static void admin_fetch_tenants_shape(struct case_ctx *x)
{
	json_t *d;

	req_admin(x, "GET", "/api/v1/fetch/tenants?limit=2&offset=0", NULL);
	if (!expect_status(x, 200, NULL))
		return;
	d = resp_data(x);
	expect_true(x,
		    json_is_array(json_object_get(d, "items")) &&
			    json_array_size(json_object_get(d, "items")) <= 2 &&
			    json_is_integer(json_object_get(d, "total")) &&
			    json_integer_value(json_object_get(d, "limit")) == 2 &&
			    json_integer_value(json_object_get(d, "offset")) == 0,
		    "data {items (<= limit), total, limit: 2, offset: 0} (§2.9.3)");
}

static void admin_fetch_tenants_bad_limit(struct case_ctx *x)
{
	const char *field;

	req_admin(x, "GET", "/api/v1/fetch/tenants?limit=0", NULL);
	if (!expect_status(x, 400, "malformed_request"))
		return;
	field = resp_error_field(x);
	expect_true(x, field && strcmp(field, "limit") == 0, "error.field \"limit\" (§1.6.6)");
}

/* ---- §2.5 rotate secret */

static void admin_rotate_secret_old_invalid(struct case_ctx *x)
{
	struct suite_tenant old = x->t;

	if (!tenant_action(x, &x->t, "rotate/tenant-secret"))
		return;
	snprintf(x->t.secret, sizeof(x->t.secret), "%s",
		 data_str(x, "tenant_secret") ? data_str(x, "tenant_secret") : "");
	if (!expect_true(x, is_key(x->t.secret, "sk_") && strcmp(x->t.secret, old.secret) != 0,
			 "a new sk_ secret in data.tenant_secret (§2.5.2)"))
		return;
	req_signed(x, &old, "POST", "/api/v1/relay/create/conversation",
		   "{\"visitor_user_id\":\"user-123\"}");
	if (!expect_status(x, 401, "invalid_signature"))
		return;
	req_signed(x, &x->t, "POST", "/api/v1/relay/create/conversation",
		   "{\"visitor_user_id\":\"user-123\"}");
	expect_status(x, 201, NULL);
}

static void admin_rotate_secret_shown_once(struct case_ctx *x)
{
	char secret[HMAC1_SECRET_MAX + 1];

	if (!tenant_action(x, &x->t, "rotate/tenant-secret"))
		return;
	snprintf(secret, sizeof(secret), "%s",
		 data_str(x, "tenant_secret") ? data_str(x, "tenant_secret") : "");
	req_admin_tenant(x, "GET", "fetch/tenant", &x->t, NULL);
	if (!expect_status(x, 200, NULL))
		return;
	expect_true(x, secret[0] != '\0' && strstr(x->resp.body, secret) == NULL,
		    "the rotated secret is not returned by fetch/tenant (§2.10.1)");
}

/* ---- §2.6 rotate widget key */

static void admin_rotate_widget_key(struct case_ctx *x)
{
	const char *pk;

	if (!tenant_action(x, &x->t, "rotate/widget-key"))
		return;
	pk = data_str(x, "widget_public_key");
	if (!expect_true(x, is_key(pk, "pk_") && strcmp(pk, x->t.widget_key) != 0,
			 "a new pk_ key in data.widget_public_key (§2.6.2)"))
		return;
	req_visitor_session(x, &x->t);
	expect_true(x, x->resp.status == 401,
		    "the old widget key stops working immediately (TM): 401, got %ld",
		    x->resp.status);
}

/* ---- §2.7 suspend / reactivate */

static void admin_suspend_signed_403(struct case_ctx *x)
{
	if (!tenant_action(x, &x->t, "suspend/tenant"))
		return;
	expect_true(x, data_str(x, "status") && strcmp(data_str(x, "status"), "suspended") == 0,
		    "data.status \"suspended\" (§2.7.4)");
	req_signed(x, &x->t, "POST", "/api/v1/relay/create/conversation",
		   "{\"visitor_user_id\":\"user-123\"}");
	expect_status(x, 403, "tenant_suspended");
}

static void admin_suspend_twice(struct case_ctx *x)
{
	if (!tenant_action(x, &x->t, "suspend/tenant"))
		return;
	req_admin_tenant(x, "POST", "suspend/tenant", &x->t, NULL);
	expect_status(x, 409, "tenant_already_suspended");
}

static void admin_reactivate_restores(struct case_ctx *x)
{
	if (!tenant_action(x, &x->t, "suspend/tenant"))
		return;
	if (!tenant_action(x, &x->t, "reactivate/tenant"))
		return;
	req_signed(x, &x->t, "POST", "/api/v1/relay/create/conversation",
		   "{\"visitor_user_id\":\"user-123\"}");
	expect_status(x, 201, NULL);
}

static void admin_reactivate_active(struct case_ctx *x)
{
	req_admin_tenant(x, "POST", "reactivate/tenant", &x->t, NULL);
	expect_status(x, 409, "tenant_already_active");
}

static void admin_lifecycle_unknown(struct case_ctx *x)
{
	req_admin(x, "POST",
		  "/api/v1/suspend/tenant?tenant_id=019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f", NULL);
	expect_status(x, 404, "tenant_not_found");
}

/* ---- §2.4 update */

static void admin_update_partial(struct case_ctx *x)
{
	json_t *d;

	req_admin_tenant(x, "POST", "update/tenant", &x->t,
			 "{\"plan_tier\":\"pro\",\"monthly_msg_quota\":50000,\"agent_seats\":25,"
			 "\"branding_primary_color\":\"#0055FF\"}");
	if (!expect_status(x, 200, NULL))
		return;
	req_admin_tenant(x, "GET", "fetch/tenant", &x->t, NULL);
	if (!expect_status(x, 200, NULL))
		return;
	d = resp_data(x);
	expect_true(x,
		    json_integer_value(json_object_get(d, "agent_seats")) == 25 &&
			    json_integer_value(json_object_get(d, "rate_limit_per_min")) == 60 &&
			    data_str(x, "tenant_name") &&
			    strncmp(data_str(x, "tenant_name"), "conformance ", 12) == 0 &&
			    json_array_size(json_object_get(d, "allowed_origins")) == 2,
		    "update writes only the fields present (TM): agent_seats 25, other fields "
		    "unchanged");
}

static void admin_update_reserved(struct case_ctx *x)
{
	req_admin_tenant(x, "POST", "update/tenant", &x->t, "{\"status\":\"suspended\"}");
	expect_status(x, 422, "validation_failed");
}

static void admin_update_atomic(struct case_ctx *x)
{
	req_admin_tenant(x, "POST", "update/tenant", &x->t,
			 "{\"agent_seats\":7,\"rate_limit_per_min\":0}");
	if (!expect_status(x, 422, "validation_failed"))
		return;
	req_admin_tenant(x, "GET", "fetch/tenant", &x->t, NULL);
	if (!expect_status(x, 200, NULL))
		return;
	expect_true(x, json_integer_value(json_object_get(resp_data(x), "agent_seats")) != 7,
		    "a 422 update writes nothing (§2.4.4)");
}

static void admin_update_null_clears(struct case_ctx *x)
{
	req_admin_tenant(x, "POST", "update/tenant", &x->t,
			 "{\"branding_primary_color\":\"#0055ff\"}");
	if (!expect_status(x, 200, NULL))
		return;
	expect_true(x,
		    data_str(x, "branding_primary_color") &&
			    strcmp(data_str(x, "branding_primary_color"), "#0055FF") == 0,
		    "branding_primary_color stored uppercase (§2.3)");
	req_admin_tenant(x, "POST", "update/tenant", &x->t, "{\"branding_primary_color\":null}");
	if (!expect_status(x, 200, NULL))
		return;
	expect_true(x, json_is_null(json_object_get(resp_data(x), "branding_primary_color")),
		    "null clears a nullable field (§2.4.2)");
}

static void admin_key_duplicated(struct case_ctx *x)
{
	char key[1200];
	const char *h[3];

	snprintf(key, sizeof(key), "X-Admin-Key: %s", x->s->cfg.admin_key);
	h[0] = key;
	h[1] = key;
	h[2] = "Content-Type: application/json";
	req_raw(x, "POST", "/api/v1/provision/tenant", h, 3, "{\"tenant_name\":\"dup\"}", 21);
	expect_status(x, 401, "invalid_admin_key");
}

static void admin_update_unknown(struct case_ctx *x)
{
	req_admin(x, "POST", "/api/v1/update/tenant?tenant_id=019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
		  "{\"agent_seats\":2}");
	expect_status(x, 404, "tenant_not_found");
}

static void admin_provision_unknown_fields(struct case_ctx *x)
{
	req_admin(x, "POST", "/api/v1/provision/tenant",
		  "{\"tenant_name\":\"Unknown Fields\",\"feature_flags\":{\"x\":true},\"zz\":1}");
	expect_status(x, 201, NULL);
}

static void admin_fetch_tenants_offset(struct case_ctx *x)
{
	json_t *items;

	req_admin(x, "GET", "/api/v1/fetch/tenants?limit=5&offset=2147483647", NULL);
	if (!expect_status(x, 200, NULL))
		return;
	items = json_object_get(resp_data(x), "items");
	expect_true(x, json_is_array(items) && json_array_size(items) == 0,
		    "offset >= total gives items: [] (§2.9.3)");
}

static void admin_fetch_tenants_bad_offset(struct case_ctx *x)
{
	req_admin(x, "GET", "/api/v1/fetch/tenants?offset=-1", NULL);
	expect_status(x, 400, "malformed_request");
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

const struct suite_case cases_admin[] = {
	{"admin.key.missing", "2.1.2", REPORT_INFERRED, 0,
	 "A provision without X-Admin-Key is 401 invalid_admin_key", admin_key_missing},
	{"admin.key.wrong", "2.1.2", REPORT_INFERRED, 0,
	 "A provision with a wrong X-Admin-Key is 401 invalid_admin_key", admin_key_wrong},
	{"admin.key.tenant-signature", "2.1.1", REPORT_DOCUMENTED, NEED_TENANT,
	 "An admin call is never authorized by a tenant HMAC#1 signature (ATM)",
	 admin_key_tenant_signature},
	{"admin.provision.envelope", "2.2.2", REPORT_DOCUMENTED, NEED_ADMIN,
	 "Provision answers 201 with the success envelope (QS)", admin_provision_envelope},
	{"admin.provision.message", "2.2.2", REPORT_DOCUMENTED, NEED_ADMIN,
	 "Provision message is exactly the QS text", admin_provision_message},
	{"admin.provision.data-keys", "2.2.2", REPORT_DOCUMENTED, NEED_ADMIN,
	 "Provision data has tenant_id, tenant_secret, widget_public_key, tenant_name, "
	 "rate_limit_per_min, created_at (QS)",
	 admin_provision_data_keys},
	{"admin.provision.tenant-id-uuid", "1.8.1", REPORT_DOCUMENTED, NEED_ADMIN,
	 "tenant_id is a lowercase UUID (QS)", admin_provision_tenant_id_uuid},
	{"admin.provision.tenant-id-v7", "1.8.1", REPORT_INFERRED, NEED_ADMIN,
	 "tenant_id is a UUIDv7", admin_provision_tenant_id_v7},
	{"admin.provision.key-prefixes", "1.8.2", REPORT_DOCUMENTED, NEED_ADMIN,
	 "tenant_secret is sk_..., widget_public_key is pk_... (QS)",
	 admin_provision_secret_prefix},
	{"admin.provision.key-format", "1.8.2", REPORT_INFERRED, NEED_ADMIN,
	 "Keys are the prefix + 43 base64url characters", admin_provision_key_format},
	{"admin.provision.defaults", "2.2.1", REPORT_DOCUMENTED, NEED_ADMIN,
	 "Only tenant_name is required; rate_limit_per_min defaults to 60 (QS)",
	 admin_provision_defaults},
	{"admin.provision.created-at", "1.8.4", REPORT_DOCUMENTED, NEED_ADMIN,
	 "created_at is RFC 3339 UTC with seconds, near the relay's clock (QS)",
	 admin_provision_created_at},
	{"admin.provision.unique", "2.2.1", REPORT_INFERRED, NEED_ADMIN,
	 "Each provision generates a new tenant_id, secret and widget key", admin_provision_unique},
	{"admin.provision.tenant-name-required", "2.3.2", REPORT_INFERRED, NEED_ADMIN,
	 "A provision without tenant_name is 422 field tenant_name", admin_provision_invalid},
	{"admin.provision.tenant-name-blank", "2.3", REPORT_INFERRED, NEED_ADMIN,
	 "A blank tenant_name is 422 field tenant_name", admin_provision_invalid},
	{"admin.provision.tenant-name-type", "2.3", REPORT_INFERRED, NEED_ADMIN,
	 "A non-string tenant_name is 422 field tenant_name", admin_provision_invalid},
	{"admin.provision.rate-limit-zero", "2.3", REPORT_INFERRED, NEED_ADMIN,
	 "rate_limit_per_min 0 is 422", admin_provision_invalid},
	{"admin.provision.rate-limit-10001", "2.3", REPORT_INFERRED, NEED_ADMIN,
	 "rate_limit_per_min over 10,000 is 422", admin_provision_invalid},
	{"admin.provision.rate-limit-string", "1.5.5", REPORT_INFERRED, NEED_ADMIN,
	 "rate_limit_per_min \"60\" (a string) is 422", admin_provision_invalid},
	{"admin.provision.rate-limit-float", "1.5.5", REPORT_INFERRED, NEED_ADMIN,
	 "rate_limit_per_min 60.0 (not a JSON integer) is 422", admin_provision_invalid},
	{"admin.provision.reserved-tenant-secret", "2.3.1", REPORT_INFERRED, NEED_ADMIN,
	 "A provision naming tenant_secret is 422 field tenant_secret", admin_provision_invalid},
	{"admin.provision.reserved-tenant-id", "2.3.1", REPORT_INFERRED, NEED_ADMIN,
	 "A provision naming tenant_id is 422 field tenant_id (it is generated, TM)",
	 admin_provision_invalid},
	{"admin.provision.origins-not-array", "2.3", REPORT_INFERRED, NEED_ADMIN,
	 "allowed_origins as a string is 422", admin_provision_invalid},
	{"admin.provision.callback-url-scheme", "9.1.2", REPORT_INFERRED, NEED_ADMIN,
	 "callback_url_base must be http(s): ftp:// is 422", admin_provision_invalid},
	{"admin.provision.branding-color", "2.3", REPORT_INFERRED, NEED_ADMIN,
	 "branding_primary_color must be #RRGGBB", admin_provision_invalid},
	{"admin.fetch.no-secret", "2.8.1", REPORT_DOCUMENTED, NEED_ADMIN | NEED_TENANT,
	 "fetch/tenant returns the tenant without its secret (TM)", admin_fetch_no_secret},
	{"admin.fetch.object", "2.8.2", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "fetch/tenant returns the tenant object of §2.8.2", admin_fetch_object},
	{"admin.fetch.unknown-tenant", "2.1.4", REPORT_INFERRED, NEED_ADMIN,
	 "fetch/tenant of an unknown id is 404 tenant_not_found", admin_fetch_unknown},
	{"admin.fetch.missing-tenant-id", "1.6.5", REPORT_INFERRED, NEED_ADMIN,
	 "fetch/tenant without ?tenant_id= is 400", admin_fetch_missing_param},
	{"admin.fetch-tenants.no-secret", "2.9.1", REPORT_DOCUMENTED, NEED_ADMIN | NEED_TENANT,
	 "fetch/tenants lists tenants without secrets (TM)", admin_fetch_tenants_no_secret},
	{"admin.fetch-tenants.shape", "2.9.3", REPORT_INFERRED, NEED_ADMIN,
	 "fetch/tenants data is {items, total, limit, offset}", admin_fetch_tenants_shape},
	{"admin.fetch-tenants.bad-limit", "2.9.2", REPORT_INFERRED, NEED_ADMIN,
	 "limit=0 is 400 with error.field limit", admin_fetch_tenants_bad_limit},
	{"admin.rotate-secret.old-invalid", "2.5.1", REPORT_DOCUMENTED, NEED_ADMIN | NEED_TENANT,
	 "After rotate/tenant-secret the old secret is invalid immediately, the new one works (TM)",
	 admin_rotate_secret_old_invalid},
	{"admin.rotate-secret.shown-once", "2.10.1", REPORT_DOCUMENTED, NEED_ADMIN | NEED_TENANT,
	 "The rotated secret is shown once: not in fetch/tenant (TM, TL)",
	 admin_rotate_secret_shown_once},
	{"admin.rotate-widget-key.old-invalid", "2.6.1", REPORT_DOCUMENTED,
	 NEED_ADMIN | NEED_TENANT,
	 "After rotate/widget-key the old key stops working immediately (TM)",
	 admin_rotate_widget_key},
	{"admin.suspend.signed-403", "2.7.2", REPORT_DOCUMENTED, NEED_ADMIN | NEED_TENANT,
	 "A suspended tenant's signed calls get 403 (TL)", admin_suspend_signed_403},
	{"admin.suspend.twice-409", "2.7.4", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "Suspending a suspended tenant is 409 tenant_already_suspended", admin_suspend_twice},
	{"admin.reactivate.restores", "2.7.1", REPORT_DOCUMENTED, NEED_ADMIN | NEED_TENANT,
	 "Reactivation lifts the suspension: signed calls work again (TM)",
	 admin_reactivate_restores},
	{"admin.reactivate.active-409", "2.7.4", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "Reactivating an active tenant is 409 tenant_already_active", admin_reactivate_active},
	{"admin.lifecycle.unknown-tenant", "2.1.4", REPORT_INFERRED, NEED_ADMIN,
	 "suspend/tenant of an unknown id is 404 tenant_not_found", admin_lifecycle_unknown},
	{"admin.update.partial", "2.4.1", REPORT_DOCUMENTED, NEED_ADMIN | NEED_TENANT,
	 "update/tenant writes only the fields present in the body (TM)", admin_update_partial},
	{"admin.update.reserved", "2.3.1", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "Status changes do not go through update/tenant: {\"status\":...} is 422",
	 admin_update_reserved},
	{"admin.update.atomic", "2.4.4", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "An update refused with 422 writes nothing", admin_update_atomic},
	{"admin.update.null-clears", "2.4.2", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "Colors are stored uppercase and null clears a nullable field", admin_update_null_clears},
	{"admin.key.duplicated", "2.1.2", REPORT_INFERRED, NEED_ADMIN,
	 "X-Admin-Key sent twice is 401 invalid_admin_key", admin_key_duplicated},
	{"admin.update.unknown-tenant", "2.1.4", REPORT_INFERRED, NEED_ADMIN,
	 "update/tenant of an unknown id is 404 tenant_not_found", admin_update_unknown},
	{"admin.provision.unknown-fields", "1.5.5", REPORT_INFERRED, NEED_ADMIN,
	 "Unknown fields (e.g. unnamed feature flags) are ignored", admin_provision_unknown_fields},
	{"admin.fetch-tenants.offset-past-end", "2.9.3", REPORT_INFERRED, NEED_ADMIN,
	 "offset past the end gives items: []", admin_fetch_tenants_offset},
	{"admin.fetch-tenants.negative-offset", "2.9.2", REPORT_INFERRED, NEED_ADMIN,
	 "offset=-1 is 400", admin_fetch_tenants_bad_offset},
	{"admin.fetch-tenants.total", "2.9", REPORT_INFERRED, NEED_ADMIN | NEED_TENANT,
	 "fetch/tenants total counts the tenants: offset total-1 has one, offset total none",
	 fetch_tenants_total},
	{NULL, NULL, 0, 0, NULL, NULL}};
