/*
 * suite_fixtures.c - what a case sets up before it checks anything: the relay's clock
 * (the mock's, §10.2), tenants (provisioned, or given on the command line) and visitor
 * sessions (§7) (SPEC.md §12).
 */
#include "suite_fixtures.h"

#include <stdio.h>
#include <string.h>

#include "relay_clock.h"
#include "suite_http.h"

/* ---- clock */

long mock_clock_get(struct relay_client *cl, const struct suite_config *cfg, int64_t *now_ms)
{
	struct client_response r;
	char key[1200];
	const char *h[1] = {key};
	struct client_request rq = {.method = "GET",
				    .path = "/__mock/clock",
				    .headers = h,
				    .n_headers = 1,
				    .timeout_ms = cfg->timeout_ms};
	long status = 0;

	snprintf(key, sizeof(key), "X-Admin-Key: %s", cfg->admin_key);
	if (client_perform(cl, &rq, &r) == RELAY_OK) {
		status = r.status;
		if (status == 200) {
			json_t *j = client_response_json(&r);
			json_t *v = json_object_get(json_object_get(j, "data"), "now_ms");

			if (json_is_integer(v))
				*now_ms = (int64_t)json_integer_value(v);
			json_decref(j);
		}
	}
	client_response_cleanup(&r);
	return status;
}

int64_t relay_now_ms(struct case_ctx *x)
{
	int64_t now = relay_clock_real_ms();

	if (x->s->is_mock)
		(void)mock_clock_get(x->cl, &x->s->cfg, &now);
	return now;
}

/*
 * One change of the mock clock: {"<key>": ms} to method path. The clock counts as
 * frozen from here (restored after the case); a refusal SKIPs the case ("could not be
 * <what>").
 */
static bool mock_clock_change(struct case_ctx *x, const char *method, const char *path,
			      const char *key, int64_t ms, const char *what)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"%s\":%lld}", key, (long long)ms);
	x->clock_frozen = true;
	if (req_admin(x, method, path, body) != 200) {
		report_case_verdict(x->rcase, REPORT_SKIP,
				    "mock clock could not be %s (status %ld)", what,
				    x->resp.status);
		return false;
	}
	return true;
}

bool mock_clock_set(struct case_ctx *x, int64_t ms)
{
	return mock_clock_change(x, "PUT", "/__mock/clock", "now_ms", ms, "set");
}

bool mock_clock_advance(struct case_ctx *x, int64_t ms)
{
	return mock_clock_change(x, "POST", "/__mock/clock/advance", "ms", ms, "advanced");
}

void mock_clock_restore(struct case_ctx *x)
{
	if (x->clock_frozen && x->s->is_mock)
		(void)req_admin(x, "PUT", "/__mock/clock", "{\"now_ms\":null}");
}

/* ---- tenants */

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

bool tenant_provision(struct case_ctx *x, struct suite_tenant *t, const char *extra)
{
	char body[4096];
	json_t *d;

	memset(t, 0, sizeof(*t));
	snprintf(body, sizeof(body),
		 "{\"tenant_name\":\"conformance %s #%u\",\"allowed_origins\":"
		 "[\"https://shop.demo.com\",\"app://bloonio_chat_flutter\"]%s%s}",
		 x->meta->id, ++x->s->n_tenants, extra ? "," : "", extra ? extra : "");
	if (req_admin(x, "POST", "/api/v1/provision/tenant", body) != 201) {
		report_case_verdict(x->rcase, REPORT_FAIL,
				    "could not provision a tenant: status %ld (expected 201)",
				    x->resp.status);
		report_case_actual_response(x->rcase, x->resp.status, resp_error_code(x),
					    x->resp.body, x->resp.body_len);
		report_case_curl(x->rcase, x->curl);
		return false;
	}
	d = resp_data(x);
	if (!json_is_string(json_object_get(d, "tenant_id")) ||
	    !json_is_string(json_object_get(d, "tenant_secret"))) {
		report_case_verdict(x->rcase, REPORT_FAIL,
				    "provision response lacks data.tenant_id/tenant_secret");
		return false;
	}
	copy_str(t->id, sizeof(t->id), data_str(x, "tenant_id"));
	copy_str(t->secret, sizeof(t->secret), data_str(x, "tenant_secret"));
	copy_str(t->widget_key, sizeof(t->widget_key), data_str(x, "widget_public_key"));
	copy_str(t->origin, sizeof(t->origin), "https://shop.demo.com");
	t->provisioned = true;
	return true;
}

void tenant_given(struct case_ctx *x, struct suite_tenant *t)
{
	const struct suite_config *cfg = &x->s->cfg;

	copy_str(t->id, sizeof(t->id), cfg->tenant_id);
	copy_str(t->secret, sizeof(t->secret), cfg->tenant_secret);
	copy_str(t->widget_key, sizeof(t->widget_key), cfg->widget_key);
	copy_str(t->origin, sizeof(t->origin), cfg->origin);
}

long req_admin_tenant(struct case_ctx *x, const char *method, const char *route,
		      const struct suite_tenant *t, const char *body)
{
	char path[256];

	snprintf(path, sizeof(path), "/api/v1/%s?tenant_id=%s", route, t->id);
	return req_admin(x, method, path, body);
}

bool tenant_action(struct case_ctx *x, const struct suite_tenant *t, const char *route)
{
	req_admin_tenant(x, "POST", route, t, NULL);
	return expect_status(x, 200, NULL);
}

/* ---- visitor sessions */

long req_visitor_session_from(struct case_ctx *x, const struct suite_tenant *t, const char *origin,
			      const char *origin_header)
{
	char body[1024], hdr[400];
	const char *h[2];
	size_t n = 0;

	snprintf(body, sizeof(body),
		 "{\"tenant_id\":\"%s\",\"widget_public_key\":\"%s\",\"origin\":\"%s\"}", t->id,
		 t->widget_key, origin);
	h[n++] = "Content-Type: application/json";
	if (origin_header != NULL) {
		snprintf(hdr, sizeof(hdr), "Origin: %s", origin_header);
		h[n++] = hdr;
	}
	return req_raw(x, "POST", "/api/v1/create/visitor-session", h, n, body, strlen(body));
}

long req_visitor_session(struct case_ctx *x, const struct suite_tenant *t)
{
	return req_visitor_session_from(x, t, t->origin, NULL);
}

bool visitor_session(struct case_ctx *x, char *tok, size_t tok_size, char *sid, size_t sid_size)
{
	req_visitor_session(x, &x->t);
	if (!expect_status(x, 201, NULL))
		return false;
	copy_str(tok, tok_size, data_str(x, "visitor_token"));
	copy_str(sid, sid_size, data_str(x, "session_id"));
	return true;
}

long req_refresh(struct case_ctx *x, const char *token)
{
	char auth[4200];
	const char *h[1] = {auth};

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	return req_raw(x, "POST", "/api/v1/refresh/visitor-token", h, 1, NULL, 0);
}
