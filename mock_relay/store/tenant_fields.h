/*
 * tenant_fields.h - tenant fields as the admin API accepts them (SPEC §2.3).
 *
 * Parses and validates the JSON body of provision/tenant and update/tenant into a
 * struct tenant_fields, which tenant_store copies into a tenant. Validation failures
 * name the offending field (error.field of the 422 envelope).
 */
#ifndef TENANT_FIELDS_H
#define TENANT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "relay_origin.h"
#include "relay_rc.h"

#define TENANT_NAME_MAX_CHARS 200  /* §2.3: 1-200 characters after trimming */
#define TENANT_NAME_MAX_BYTES 800  /* 200 UTF-8 characters */
#define TENANT_ORIGINS_MAX    50   /* §2.3, §13: allowed_origins entries */
#define TENANT_URL_MAX        2048 /* callback_url_base */
#define TENANT_PLAN_MAX       64   /* plan_tier */
#define TENANT_STRIPE_MAX     255  /* stripe_customer_id */
#define TENANT_COLOR_LEN      7    /* "#RRGGBB" */
#define TENANT_RATE_MIN       1
#define TENANT_RATE_MAX       10000
#define TENANT_RATE_DEFAULT   60         /* documented default */
#define TENANT_QUOTA_MAX      2147483647 /* §2.3 */
#define TENANT_SEATS_MAX      100000
#define TENANT_PLAN_DEFAULT   "free"
#define TENANT_SEATS_DEFAULT  1
#define TENANT_QUOTA_DEFAULT  0 /* 0: no quota (the mock never enforces quotas) */

/* Bits of tenant_fields.set: which fields the body named. */
enum tenant_field_bit {
	TF_NAME = 1u << 0,
	TF_ORIGINS = 1u << 1,
	TF_RATE = 1u << 2,
	TF_CALLBACK = 1u << 3,
	TF_PLAN = 1u << 4,
	TF_QUOTA = 1u << 5,
	TF_SEATS = 1u << 6,
	TF_COLOR = 1u << 7,
	TF_STRIPE = 1u << 8
};

/* Validated values; every string is owned (tenant_fields_cleanup() frees them). */
struct tenant_fields {
	unsigned set;      /* TF_* bits present in the body */
	char *tenant_name; /* trimmed */
	char **origins;    /* normalized (§3.2), duplicates removed */
	size_t n_origins;
	int rate_limit_per_min;
	char *callback_url_base; /* NULL: none (null in the body clears it) */
	char *plan_tier;
	int64_t monthly_msg_quota;
	int64_t agent_seats;
	char *branding_primary_color; /* NULL: none */
	char *stripe_customer_id;     /* NULL: none */
};

enum tenant_parse_mode { TENANT_PARSE_PROVISION, TENANT_PARSE_UPDATE };

void tenant_fields_init(struct tenant_fields *f);
void tenant_fields_cleanup(struct tenant_fields *f);

/*
 * Validates the JSON object body for mode into f (initialised by the caller).
 * Provision requires tenant_name and fills defaults for the rest; update only fills
 * what is present. Both refuse the reserved keys tenant_id, tenant_secret,
 * widget_public_key, status, created_at and updated_at (§2.3.1).
 * Unknown fields are ignored. Returns RELAY_OK or RELAY_E_VALIDATION_FAILED with
 * *field naming the field (static string) and *reason a static explanation.
 */
RELAY_WUR enum relay_rc tenant_fields_parse(const json_t *body, enum tenant_parse_mode mode,
					    struct tenant_fields *f, const char **field,
					    const char **reason);

#endif
