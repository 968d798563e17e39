/*
 * tenant_fields.c - validation of tenant fields (SPEC §2.3, §3).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tenant_fields.h"
#include "relay_text.h"

void tenant_fields_init(struct tenant_fields *f)
{
	memset(f, 0, sizeof(*f));
}

void tenant_fields_cleanup(struct tenant_fields *f)
{
	size_t i;

	if (f == NULL)
		return;
	free(f->tenant_name);
	for (i = 0; i < f->n_origins; i++)
		free(f->origins[i]);
	free(f->origins);
	free(f->callback_url_base);
	free(f->plan_tier);
	free(f->branding_primary_color);
	free(f->stripe_customer_id);
	memset(f, 0, sizeof(*f));
}

/* §2.3: tenant_name is trimmed of space, TAB, CR and LF only. */
static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int has_control(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 1;
	}
	return 0;
}

/* 1 when s has 1..max characters and no C0 control character or DEL (§2.3). */
static int is_text(const char *s, size_t len, size_t max)
{
	if (len == 0 || text_utf8_chars(s, len) > max || memchr(s, '\0', len) != NULL)
		return 0;
	return !has_control(s, len);
}

/* 1 when s is printable ASCII without spaces, 1..max bytes (URLs). */
static int is_token(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	}
	return 1;
}

static enum relay_rc bad(const char **field, const char **reason, const char *f, const char *r)
{
	*field = f;
	*reason = r;
	return RELAY_E_VALIDATION_FAILED;
}

static enum relay_rc parse_name(const json_t *v, struct tenant_fields *f, const char **field,
				const char **reason)
{
	const char *s;
	size_t len, start = 0, end;

	if (!json_is_string(v))
		return bad(field, reason, "tenant_name", "tenant_name must be a string");
	s = json_string_value(v);
	len = json_string_length(v);
	end = len;
	while (start < end && is_space((unsigned char)s[start]))
		start++;
	while (end > start && is_space((unsigned char)s[end - 1]))
		end--;
	if (end == start || text_utf8_chars(s + start, end - start) > TENANT_NAME_MAX_CHARS ||
	    end - start > TENANT_NAME_MAX_BYTES)
		return bad(field, reason, "tenant_name",
			   "tenant_name must be 1-200 characters after trimming");
	if (memchr(s + start, '\0', end - start) != NULL || has_control(s + start, end - start))
		return bad(field, reason, "tenant_name",
			   "tenant_name must not contain control characters");
	f->tenant_name = strndup(s + start, end - start);
	if (f->tenant_name == NULL)
		return RELAY_E_NOMEM;
	return RELAY_OK;
}

static enum relay_rc parse_origins(const json_t *v, struct tenant_fields *f, const char **field,
				   const char **reason)
{
	char norm[ORIGIN_MAX_LEN + 1];
	const char *why = NULL;
	size_t i, j, n;
	int dup;

	if (!json_is_array(v))
		return bad(field, reason, "allowed_origins",
			   "allowed_origins must be a list of origins");
	n = json_array_size(v);
	if (n > TENANT_ORIGINS_MAX)
		return bad(field, reason, "allowed_origins",
			   "allowed_origins holds at most 50 origins");
	f->origins = calloc(n > 0 ? n : 1, sizeof(*f->origins));
	if (f->origins == NULL)
		return RELAY_E_NOMEM;
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);

		if (!json_is_string(e))
			return bad(field, reason, "allowed_origins",
				   "allowed_origins entries must be strings");
		if (origin_normalize(json_string_value(e), json_string_length(e), norm,
				     sizeof(norm), &why) != RELAY_OK)
			return bad(field, reason, "allowed_origins",
				   "allowed_origins holds an invalid origin "
				   "(scheme://host[:port] only, SPEC §3.4)");
		dup = 0;
		for (j = 0; j < f->n_origins; j++) {
			if (strcmp(f->origins[j], norm) == 0)
				dup = 1;
		}
		if (dup)
			continue;
		f->origins[f->n_origins] = strdup(norm);
		if (f->origins[f->n_origins] == NULL)
			return RELAY_E_NOMEM;
		f->n_origins++;
	}
	return RELAY_OK;
}

/* http(s)://host[...] without whitespace, query or fragment; one trailing '/' dropped. */
static enum relay_rc parse_callback(const json_t *v, struct tenant_fields *f, const char **field,
				    const char **reason)
{
	const char *s, *host;
	size_t len;

	if (json_is_null(v))
		return RELAY_OK;
	if (!json_is_string(v))
		return bad(field, reason, "callback_url_base",
			   "callback_url_base must be a string or null");
	s = json_string_value(v);
	len = json_string_length(v);
	if (strncasecmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return bad(field, reason, "callback_url_base",
			   "callback_url_base must be an http:// or https:// URL");
	if (len > TENANT_URL_MAX || !is_token(s, len, TENANT_URL_MAX) || *host == '\0' ||
	    *host == '/' || *host == ':' || strpbrk(s, "?#@") != NULL)
		return bad(field, reason, "callback_url_base",
			   "callback_url_base must be an http(s) URL with a host, no query, "
			   "fragment or userinfo, at most 2048 bytes");
	/* §9.1.2: every trailing '/' dropped, scheme lowercased. */
	while (len > 0 && s[len - 1] == '/')
		len--;
	f->callback_url_base = strndup(s, len);
	if (f->callback_url_base == NULL)
		return RELAY_E_NOMEM;
	for (len = 0; f->callback_url_base[len] != ':'; len++)
		f->callback_url_base[len] = (char)tolower((unsigned char)f->callback_url_base[len]);
	return RELAY_OK;
}

static enum relay_rc parse_color(const json_t *v, struct tenant_fields *f, const char **field,
				 const char **reason)
{
	const char *s;
	size_t i;

	if (json_is_null(v))
		return RELAY_OK;
	if (!json_is_string(v) || json_string_length(v) != TENANT_COLOR_LEN)
		return bad(field, reason, "branding_primary_color",
			   "branding_primary_color must be \"#RRGGBB\" or null");
	s = json_string_value(v);
	if (s[0] != '#')
		return bad(field, reason, "branding_primary_color",
			   "branding_primary_color must be \"#RRGGBB\" or null");
	for (i = 1; i < TENANT_COLOR_LEN; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return bad(field, reason, "branding_primary_color",
				   "branding_primary_color must be \"#RRGGBB\" or null");
	}
	f->branding_primary_color = strdup(s);
	if (f->branding_primary_color == NULL)
		return RELAY_E_NOMEM;
	/* §2.3: stored uppercase. */
	for (i = 1; i < TENANT_COLOR_LEN; i++)
		f->branding_primary_color[i] =
			(char)toupper((unsigned char)f->branding_primary_color[i]);
	return RELAY_OK;
}

static enum relay_rc parse_token_field(const json_t *v, const char *name, size_t max, bool nullable,
				       char **out, const char **field, const char **reason,
				       const char *why)
{
	if (nullable && json_is_null(v))
		return RELAY_OK;
	if (!json_is_string(v) || !is_text(json_string_value(v), json_string_length(v), max))
		return bad(field, reason, name, why);
	*out = strdup(json_string_value(v));
	if (*out == NULL)
		return RELAY_E_NOMEM;
	return RELAY_OK;
}

static enum relay_rc parse_int(const json_t *v, const char *name, json_int_t min, json_int_t max,
			       int64_t *out, const char **field, const char **reason,
			       const char *why)
{
	json_int_t n;

	if (!json_is_integer(v))
		return bad(field, reason, name, why);
	n = json_integer_value(v);
	if (n < min || n > max)
		return bad(field, reason, name, why);
	*out = (int64_t)n;
	return RELAY_OK;
}

enum relay_rc tenant_fields_parse(const json_t *body, enum tenant_parse_mode mode,
				  struct tenant_fields *f, const char **field, const char **reason)
{
	static const char *const refused[] = {"tenant_id", "tenant_secret", "widget_public_key",
					      "status",    "created_at",    "updated_at"};
	enum relay_rc rc = RELAY_E_VALIDATION_FAILED;
	const json_t *v;
	int64_t n = 0;
	size_t i;

	*field = NULL;
	*reason = NULL;
	if (!json_is_object(body)) {
		rc = RELAY_E_MALFORMED_REQUEST;
		goto out;
	}
	/* §2.3.1: reserved keys first; they have their own calls (rotate, suspend). */
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (json_object_get(body, refused[i]) != NULL) {
			rc = bad(field, reason, refused[i],
				 "tenant_id, tenant_secret, widget_public_key, status, created_at "
				 "and updated_at cannot be written");
			goto out;
		}
	}
	if (mode == TENANT_PARSE_PROVISION) {
		f->set = TF_NAME | TF_ORIGINS | TF_RATE | TF_CALLBACK | TF_PLAN | TF_QUOTA |
			 TF_SEATS | TF_COLOR | TF_STRIPE;
		f->rate_limit_per_min = TENANT_RATE_DEFAULT;
		f->monthly_msg_quota = TENANT_QUOTA_DEFAULT;
		f->agent_seats = TENANT_SEATS_DEFAULT;
		f->origins = calloc(1, sizeof(*f->origins));
		f->plan_tier = strdup(TENANT_PLAN_DEFAULT);
		if (f->origins == NULL || f->plan_tier == NULL) {
			rc = RELAY_E_NOMEM;
			goto out;
		}
	}

	v = json_object_get(body, "tenant_name");
	if (v == NULL && mode == TENANT_PARSE_PROVISION) {
		rc = bad(field, reason, "tenant_name", "tenant_name is required");
		goto out;
	}
	if (v != NULL) {
		f->set |= TF_NAME;
		rc = parse_name(v, f, field, reason);
		if (rc != RELAY_OK)
			goto out;
	}
	v = json_object_get(body, "allowed_origins");
	if (v != NULL) {
		free(f->origins);
		f->origins = NULL;
		f->set |= TF_ORIGINS;
		rc = parse_origins(v, f, field, reason);
		if (rc != RELAY_OK)
			goto out;
	}
	v = json_object_get(body, "rate_limit_per_min");
	if (v != NULL) {
		f->set |= TF_RATE;
		rc = parse_int(v, "rate_limit_per_min", TENANT_RATE_MIN, TENANT_RATE_MAX, &n, field,
			       reason, "rate_limit_per_min must be an integer from 1 to 10000");
		if (rc != RELAY_OK)
			goto out;
		f->rate_limit_per_min = (int)n;
	}
	v = json_object_get(body, "callback_url_base");
	if (v != NULL) {
		f->set |= TF_CALLBACK;
		rc = parse_callback(v, f, field, reason);
		if (rc != RELAY_OK)
			goto out;
	}
	v = json_object_get(body, "plan_tier");
	if (v != NULL) {
		free(f->plan_tier);
		f->plan_tier = NULL;
		f->set |= TF_PLAN;
		rc = parse_token_field(
			v, "plan_tier", TENANT_PLAN_MAX, false, &f->plan_tier, field, reason,
			"plan_tier must be 1-64 characters without control characters");
		if (rc != RELAY_OK)
			goto out;
	}
	v = json_object_get(body, "monthly_msg_quota");
	if (v != NULL) {
		f->set |= TF_QUOTA;
		rc = parse_int(v, "monthly_msg_quota", 0, TENANT_QUOTA_MAX, &f->monthly_msg_quota,
			       field, reason,
			       "monthly_msg_quota must be an integer from 0 to 2147483647");
		if (rc != RELAY_OK)
			goto out;
	}
	v = json_object_get(body, "agent_seats");
	if (v != NULL) {
		f->set |= TF_SEATS;
		rc = parse_int(v, "agent_seats", 0, TENANT_SEATS_MAX, &f->agent_seats, field,
			       reason, "agent_seats must be an integer from 0 to 100000");
		if (rc != RELAY_OK)
			goto out;
	}
	v = json_object_get(body, "branding_primary_color");
	if (v != NULL) {
		f->set |= TF_COLOR;
		rc = parse_color(v, f, field, reason);
		if (rc != RELAY_OK)
			goto out;
	}
	v = json_object_get(body, "stripe_customer_id");
	if (v != NULL) {
		f->set |= TF_STRIPE;
		rc = parse_token_field(v, "stripe_customer_id", TENANT_STRIPE_MAX, true,
				       &f->stripe_customer_id, field, reason,
				       "stripe_customer_id must be 1-255 characters without "
				       "control characters, or null");
		if (rc != RELAY_OK)
			goto out;
	}
	rc = RELAY_OK;
out:
	return rc;
}
