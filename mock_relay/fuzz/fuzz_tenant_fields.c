/*
 * fuzz_tenant_fields.c - tenant_fields_parse() on any JSON body (SPEC §2.3, §3).
 *
 * The first byte picks the mode (even: provision, odd: update); the rest is the body,
 * loaded as relay_http loads it (JSON_REJECT_DUPLICATES). A refused body names a
 * field and a reason; an accepted one holds only values inside §2.3's ranges, and a
 * provision is stored (tenant_store_create) and read back (tenant_store_to_json,
 * tenant_store_update) without error.
 */
#include <string.h>

#include "fuzz.h"
#include "relay_origin.h"
#include "tenant_store.h"
#include "tenant_fields.h"

#define NOW_MS 1781344800000LL /* 2026-06-13T10:00:00Z, fixed: deterministic */

static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int no_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	}
	return 1;
}

static void check_fields(const struct tenant_fields *f, enum tenant_parse_mode mode)
{
	char again[ORIGIN_MAX_LEN + 1];
	const char *why;
	size_t i, j, n;

	if (mode == TENANT_PARSE_PROVISION)
		FUZZ_CHECK(f->tenant_name != NULL && f->plan_tier != NULL);
	if (f->tenant_name != NULL) {
		n = strlen(f->tenant_name);
		FUZZ_CHECK(n >= 1 && n <= TENANT_NAME_MAX_BYTES);
		FUZZ_CHECK(chars(f->tenant_name) <= TENANT_NAME_MAX_CHARS);
		FUZZ_CHECK(no_control(f->tenant_name));
		FUZZ_CHECK(f->tenant_name[0] != ' ' && f->tenant_name[n - 1] != ' ');
	}
	FUZZ_CHECK(f->n_origins <= TENANT_ORIGINS_MAX);
	for (i = 0; i < f->n_origins; i++) {
		n = strlen(f->origins[i]);
		FUZZ_CHECK(origin_normalize(f->origins[i], n, again, sizeof(again), &why) ==
			   RELAY_OK);
		FUZZ_CHECK(strcmp(again, f->origins[i]) == 0);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(f->origins[j], f->origins[i]) != 0);
	}
	if (f->set & TF_RATE)
		FUZZ_CHECK(f->rate_limit_per_min >= TENANT_RATE_MIN &&
			   f->rate_limit_per_min <= TENANT_RATE_MAX);
	if (f->set & TF_QUOTA)
		FUZZ_CHECK(f->monthly_msg_quota >= 0 && f->monthly_msg_quota <= TENANT_QUOTA_MAX);
	if (f->set & TF_SEATS)
		FUZZ_CHECK(f->agent_seats >= 0 && f->agent_seats <= TENANT_SEATS_MAX);
	if (f->callback_url_base != NULL) {
		n = strlen(f->callback_url_base);
		FUZZ_CHECK(n <= TENANT_URL_MAX);
		FUZZ_CHECK(strncmp(f->callback_url_base, "https://", 8) == 0 ||
			   strncmp(f->callback_url_base, "http://", 7) == 0);
		FUZZ_CHECK(strpbrk(f->callback_url_base, "?#@ ") == NULL);
		FUZZ_CHECK(n == 0 || f->callback_url_base[n - 1] != '/');
	}
	if (f->plan_tier != NULL) {
		FUZZ_CHECK(f->plan_tier[0] != '\0' && chars(f->plan_tier) <= TENANT_PLAN_MAX);
		FUZZ_CHECK(no_control(f->plan_tier));
	}
	if (f->branding_primary_color != NULL) {
		FUZZ_CHECK(strlen(f->branding_primary_color) == TENANT_COLOR_LEN);
		FUZZ_CHECK(f->branding_primary_color[0] == '#');
		FUZZ_CHECK(strspn(f->branding_primary_color + 1, "0123456789ABCDEF") ==
			   TENANT_COLOR_LEN - 1);
	}
	if (f->stripe_customer_id != NULL) {
		FUZZ_CHECK(f->stripe_customer_id[0] != '\0' &&
			   chars(f->stripe_customer_id) <= TENANT_STRIPE_MAX);
		FUZZ_CHECK(no_control(f->stripe_customer_id));
	}
}

/* Stores a provisioned tenant, updates it with the same fields and serializes it. */
static void check_store(const struct tenant_fields *f)
{
	struct tenant_store *s = tenant_store_new();
	json_t *data = NULL, *t = NULL, *id;
	char *text;

	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(tenant_store_create(s, f, NOW_MS, &data) == RELAY_OK);
	id = json_object_get(data, "tenant_id");
	FUZZ_CHECK(json_is_string(id));
	FUZZ_CHECK(tenant_store_update(s, json_string_value(id), f, NOW_MS + 1, NULL) == RELAY_OK);
	FUZZ_CHECK(tenant_store_to_json(s, json_string_value(id), &t) == RELAY_OK);
	text = json_dumps(t, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	free(text);
	json_decref(t);
	json_decref(data);
	tenant_store_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum tenant_parse_mode mode;
	struct tenant_fields f;
	const char *field = NULL, *reason = NULL;
	json_error_t err;
	enum relay_rc rc;
	json_t *body;

	if (size < 1)
		return 0;
	mode = (data[0] & 1) ? TENANT_PARSE_UPDATE : TENANT_PARSE_PROVISION;
	body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &err);
	if (body == NULL)
		return 0;
	tenant_fields_init(&f);
	rc = tenant_fields_parse(body, mode, &f, &field, &reason);
	if (!json_is_object(body)) {
		FUZZ_CHECK(rc == RELAY_E_MALFORMED_REQUEST);
	} else if (rc == RELAY_OK) {
		check_fields(&f, mode);
		if (mode == TENANT_PARSE_PROVISION)
			check_store(&f);
	} else {
		FUZZ_CHECK(rc == RELAY_E_VALIDATION_FAILED);
		FUZZ_CHECK(field != NULL && reason != NULL && reason[0] != '\0');
	}
	tenant_fields_cleanup(&f);
	json_decref(body);
	return 0;
}
