/*
 * operator_store.c - operators, idempotent on (email, tenant) (SPEC §6.4).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "relay_ids.h"
#include "relay_map.h"
#include "relay_buckets.h"
#include "operator_store.h"

struct operator
{
	char id[PREFIXED_ID_MAX + 1];
	char email[OPERATOR_EMAIL_MAX + 1];
	char *display_name;   /* NULL: null */
	json_t *routing_keys; /* NULL: null */
	int64_t created_ms;
};

struct op_tenant {
	struct bucket_head head;   /* first: the bucket's mutex */
	struct relay_map by_email; /* lowercased email -> struct operator (owner) */
	struct relay_map by_id;    /* operator id -> same struct operator */
};

struct operator_store {
	struct tenant_buckets buckets; /* tenant id -> struct op_tenant */
};

int operator_store_email_valid(const char *email, size_t len)
{
	size_t i, at = 0, n_at = 0;

	if (email == NULL || len == 0 || len > OPERATOR_EMAIL_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)email[i];

		if (c <= 0x20 || c == 0x7f)
			return 0;
		if (c == '@') {
			n_at++;
			at = i;
		}
	}
	return n_at == 1 && at > 0 && at + 1 < len;
}

static void operator_free(void *p)
{
	struct operator* o = p;

	if (o == NULL)
		return;
	free(o->display_name);
	json_decref(o->routing_keys);
	free(o);
}

static void op_tenant_free(void *p)
{
	struct op_tenant *t = p;

	if (t == NULL)
		return;
	map_cleanup(&t->by_id, NULL);
	map_cleanup(&t->by_email, operator_free);
	bucket_head_destroy(&t->head);
	free(t);
}

static struct bucket_head *op_tenant_new(void)
{
	struct op_tenant *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (!bucket_head_init(&t->head)) {
		free(t);
		return NULL;
	}
	map_init(&t->by_email);
	map_init(&t->by_id);
	return &t->head;
}

struct operator_store *operator_store_new(void)
{
	struct operator_store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (buckets_init(&s->buckets, op_tenant_new, op_tenant_free) != RELAY_OK) {
		free(s);
		return NULL;
	}
	return s;
}

void operator_store_free(struct operator_store *s)
{
	if (s == NULL)
		return;
	buckets_cleanup(&s->buckets);
	free(s);
}

void operator_store_reset(struct operator_store *s)
{
	buckets_reset(&s->buckets);
}

/* The tenant's bucket, locked (relay_buckets.h); created when create is set. */
static struct op_tenant *bucket_lock(struct operator_store *s, const char *tenant_id, int create)
{
	return (struct op_tenant *)buckets_lock(&s->buckets, tenant_id, create);
}

static void bucket_unlock(struct operator_store *s, struct op_tenant *t)
{
	buckets_unlock(&s->buckets, &t->head);
}

/* §6.4.3 object. */
static json_t *operator_json(const struct operator* o, bool created)
{
	char at[RFC3339_LEN + 1];

	ids_rfc3339(o->created_ms, at);
	return json_pack(
		"{s:s, s:b, s:s, s:s?, s:o?, s:s}", "operator_id", o->id, "created", created,
		"email", o->email, "display_name", o->display_name, "routing_keys",
		o->routing_keys != NULL ? json_deep_copy(o->routing_keys) : NULL, "created_at", at);
}

/* Replace the fields present in f. Copies are made before anything changes. */
static enum relay_rc operator_apply(struct operator* o, const struct operator_fields *f)
{
	char *name = NULL;
	json_t *keys = NULL;

	if (f->has_display_name && f->display_name != NULL) {
		name = strdup(f->display_name);
		if (name == NULL)
			return RELAY_E_NOMEM;
	}
	if (f->has_routing_keys && f->routing_keys != NULL) {
		keys = json_deep_copy(f->routing_keys);
		if (keys == NULL) {
			free(name);
			return RELAY_E_NOMEM;
		}
	}
	if (f->has_display_name) {
		free(o->display_name);
		o->display_name = name;
	}
	if (f->has_routing_keys) {
		json_decref(o->routing_keys);
		o->routing_keys = keys;
	}
	return RELAY_OK;
}

enum relay_rc operator_store_provision(struct operator_store *s, const char *tenant_id,
				       const struct operator_fields *f, int64_t now_ms,
				       bool *created, json_t **op)
{
	char email[OPERATOR_EMAIL_MAX + 1];
	struct op_tenant *t = NULL;
	struct operator* o = NULL, *fresh = NULL;
	size_t i, len;
	enum relay_rc rc = RELAY_E_INVALID_ARGUMENT;

	if (s == NULL || tenant_id == NULL || f == NULL || f->email == NULL || created == NULL)
		return rc;
	len = strlen(f->email);
	if (!operator_store_email_valid(f->email, len))
		return rc;
	for (i = 0; i <= len; i++) {
		char c = f->email[i];

		email[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}

	rc = RELAY_E_NOMEM;
	t = bucket_lock(s, tenant_id, 1);
	if (t == NULL)
		goto out;
	o = map_get(&t->by_email, email);
	if (o != NULL) {
		rc = operator_apply(o, f);
		if (rc != RELAY_OK)
			goto out;
		*created = false;
	} else {
		rc = RELAY_E_CAPACITY_EXCEEDED;
		if (map_count(&t->by_email) >= OPERATORS_MAX_PER_TENANT)
			goto out;
		rc = RELAY_E_NOMEM;
		fresh = calloc(1, sizeof(*fresh));
		if (fresh == NULL)
			goto out;
		memcpy(fresh->email, email, len + 1);
		fresh->created_ms = now_ms;
		rc = ids_prefixed("op_", now_ms, fresh->id);
		if (rc != RELAY_OK)
			goto out;
		rc = operator_apply(fresh, f);
		if (rc != RELAY_OK)
			goto out;
		rc = map_put(&t->by_email, fresh->email, fresh);
		if (rc != RELAY_OK)
			goto out;
		rc = map_put(&t->by_id, fresh->id, fresh);
		if (rc != RELAY_OK) {
			map_remove(&t->by_email, fresh->email);
			goto out;
		}
		o = fresh;
		fresh = NULL;
		*created = true;
	}
	if (op != NULL) {
		*op = operator_json(o, *created);
		if (*op == NULL)
			rc = RELAY_E_NOMEM;
	}
out:
	if (t != NULL)
		bucket_unlock(s, t);
	operator_free(fresh);
	return rc;
}

enum relay_rc operator_store_find(struct operator_store *s, const char *tenant_id,
				  const char *operator_id)
{
	struct op_tenant *t;
	enum relay_rc rc = RELAY_E_OPERATOR_NOT_FOUND;

	if (s == NULL || tenant_id == NULL || operator_id == NULL)
		return rc;
	t = bucket_lock(s, tenant_id, 0);
	if (t == NULL)
		return rc;
	if (map_get(&t->by_id, operator_id) != NULL)
		rc = RELAY_OK;
	bucket_unlock(s, t);
	return rc;
}
