/*
 * cases_plan.c - what update/tenant is "used for": feature flags, quotas, the plan
 * (SPEC.md §2.3.3, §2.3.4, [documented: TM] for the purpose, [inferred] for the
 * field and the enforcement).
 */
#include <stdio.h>
#include <string.h>

#include "suite_fixtures.h"
#include "suite_http.h"

#define SEND_MESSAGE "/api/v1/relay/send/message"

/* POST /api/v1/update/tenant?tenant_id= for x->t with body. */
static long plan_update(struct case_ctx *x, const char *body)
{
	char path[200];

	snprintf(path, sizeof(path), "/api/v1/update/tenant?tenant_id=%s", x->t.id);
	return req_admin(x, "POST", path, body);
}

/* §2.3.3, §2.8.2: feature_flags are stored at provisioning and returned by fetch/tenant. */
static void plan_flags_stored(struct case_ctx *x)
{
	char path[200];
	json_t *flags;

	if (!tenant_provision(x, &x->t, "\"feature_flags\":{\"live_chat\":true,\"csat\":false}"))
		return;
	snprintf(path, sizeof(path), "/api/v1/fetch/tenant?tenant_id=%s", x->t.id);
	req_admin(x, "GET", path, NULL);
	if (!expect_status(x, 200, NULL))
		return;
	flags = json_object_get(resp_data(x), "feature_flags");
	expect_true(x,
		    json_is_true(json_object_get(flags, "live_chat")) &&
			    json_is_false(json_object_get(flags, "csat")),
		    "fetch/tenant returns the feature_flags given at provisioning (§2.3.3)");
}

/* §2.4.1 (TM: partial update): an update without feature_flags keeps them; with, replaces. */
static void plan_flags_partial_update(struct case_ctx *x)
{
	json_t *d, *flags;

	if (!tenant_provision(x, &x->t, "\"feature_flags\":{\"live_chat\":true}"))
		return;
	plan_update(x, "{\"plan_tier\":\"pro\",\"agent_seats\":25}");
	if (!expect_status(x, 200, NULL))
		return;
	d = resp_data(x);
	if (!expect_true(
		    x,
		    json_is_true(
			    json_object_get(json_object_get(d, "feature_flags"), "live_chat")) &&
			    streq(json_string_value(json_object_get(d, "plan_tier")), "pro") &&
			    json_integer_value(json_object_get(d, "agent_seats")) == 25,
		    "an update of plan_tier and agent_seats keeps feature_flags (TM: writes only "
		    "the fields present)"))
		return;
	plan_update(x, "{\"feature_flags\":{\"file_upload\":true}}");
	if (!expect_status(x, 200, NULL))
		return;
	flags = json_object_get(resp_data(x), "feature_flags");
	expect_true(x,
		    json_object_size(flags) == 1 &&
			    json_is_true(json_object_get(flags, "file_upload")),
		    "an update naming feature_flags replaces the object (§2.3.3)");
}

/* §2.3.3: a flag that is not a boolean, or a bad name, is 422 field feature_flags. */
static void plan_flags_invalid(struct case_ctx *x)
{
	if (!tenant_provision(x, &x->t, NULL))
		return;
	plan_update(x, "{\"feature_flags\":{\"live_chat\":\"yes\"}}");
	if (!expect_status(x, 422, "validation_failed"))
		return;
	expect_true(x, streq(resp_error_field(x), "feature_flags"), "error.field feature_flags");
}

/* §7.3.3: the widget config carries the tenant's feature_flags. */
static void plan_flags_widget_config(struct case_ctx *x)
{
	char path[600];

	if (!tenant_provision(x, &x->t, "\"feature_flags\":{\"live_chat\":true}"))
		return;
	snprintf(path, sizeof(path),
		 "/api/v1/fetch/widget-config?tenant_id=%s&widget_public_key=%s", x->t.id,
		 x->t.widget_key);
	req_raw(x, "GET", path, NULL, 0, NULL, 0);
	if (!expect_status(x, 200, NULL))
		return;
	expect_true(x,
		    json_is_true(json_object_get(json_object_get(resp_data(x), "feature_flags"),
						 "live_chat")),
		    "widget_config.feature_flags holds the tenant's flags (§7.3.3)");
}

/* §2.3.4: visitor messages over monthly_msg_quota are 429 quota_exceeded. */
static void plan_quota_enforced(struct case_ctx *x)
{
	char conv[128], body[256];

	if (!tenant_provision(x, &x->t, "\"monthly_msg_quota\":1"))
		return;
	req_signed(x, &x->t, "POST", "/api/v1/relay/create/conversation",
		   "{\"visitor_user_id\":\"quota-visitor\"}");
	if (!expect_status(x, 201, NULL))
		return;
	snprintf(conv, sizeof(conv), "%s", data_str(x, "id") ? data_str(x, "id") : "");
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"visitor\",\"content\":\"one\"}", conv);
	req_signed(x, &x->t, "POST", SEND_MESSAGE, body);
	if (!expect_status(x, 201, NULL))
		return;
	req_signed(x, &x->t, "POST", SEND_MESSAGE, body);
	if (!expect_status(x, 429, "quota_exceeded"))
		return;
	snprintf(body, sizeof(body),
		 "{\"conversation_id\":\"%s\",\"role\":\"operator\",\"content\":\"still here\"}",
		 conv);
	req_signed(x, &x->t, "POST", SEND_MESSAGE, body);
	expect_status(x, 201, NULL); /* only visitor messages count */
}

const struct suite_case cases_plan[] = {
	{"plan.feature-flags.stored", "2.3.3", REPORT_INFERRED, NEED_ADMIN,
	 "feature_flags given at provisioning are returned by fetch/tenant", plan_flags_stored},
	{"plan.feature-flags.partial-update", "2.4.1", REPORT_INFERRED, NEED_ADMIN,
	 "update/tenant keeps feature_flags it does not name and replaces them when it does",
	 plan_flags_partial_update},
	{"plan.feature-flags.invalid", "2.3.3", REPORT_INFERRED, NEED_ADMIN,
	 "A non-boolean flag is 422 validation_failed, field feature_flags", plan_flags_invalid},
	{"plan.feature-flags.widget-config", "7.3.3", REPORT_INFERRED, NEED_ADMIN,
	 "fetch/widget-config carries the tenant's feature_flags", plan_flags_widget_config},
	{"plan.quota.enforced", "2.3.4", REPORT_INFERRED, NEED_ADMIN,
	 "A visitor message over monthly_msg_quota is 429 quota_exceeded; other roles are not "
	 "counted",
	 plan_quota_enforced},
	{NULL, NULL, 0, 0, NULL, NULL}};
