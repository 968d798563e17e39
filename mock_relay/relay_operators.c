/*
 * relay_operators.c - operators, idempotent on (email, tenant) (SPEC.md §6.4).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "relay_ids.h"
#include "relay_map.h"
#include "relay_operators.h"

struct operator
{
	char id[PREFIXED_ID_MAX + 1];
	char email[OPERATOR_EMAIL_MAX + 1];
	char *display_name;   /* NULL: null */
	json_t *routing_keys; /* NULL: null */
	int64_t created_ms;
};

struct op_tenant {
	pthread_mutex_t lock;
	struct relay_map by_email; /* lowercased email -> struct operator (owner) */
	struct relay_map by_id;    /* operator id -> same struct operator */
};

struct operator_store {
	pthread_rwlock_t lock;
	struct relay_map tenants; /* tenant id -> struct op_tenant */
};

int operators_email_valid(const char *email, size_t len)
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
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct operator_store *operators_new(void)
{
	struct operator_store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (pthread_rwlock_init(&s->lock, NULL) != 0) {
		free(s);
		return NULL;
	}
	map_init(&s->tenants);
	return s;
}

void operators_free(struct operator_store *s)
{
	if (s == NULL)
		return;
	map_cleanup(&s->tenants, op_tenant_free);
	pthread_rwlock_destroy(&s->lock);
	free(s);
}

void operators_reset(struct operator_store *s)
{
	pthread_rwlock_wrlock(&s->lock);
	map_cleanup(&s->tenants, op_tenant_free);
	pthread_rwlock_unlock(&s->lock);
}

/* Read-lock the store, return the tenant's bucket locked (see relay_conv.c). */
static struct op_tenant *bucket_lock(struct operator_store *s, const char *tenant_id, int create)
{
	struct op_tenant *t;

	pthread_rwlock_rdlock(&s->lock);
	t = map_get(&s->tenants, tenant_id);
	if (t == NULL && create) {
		pthread_rwlock_unlock(&s->lock);
		pthread_rwlock_wrlock(&s->lock);
		t = map_get(&s->tenants, tenant_id);
		if (t == NULL) {
			t = calloc(1, sizeof(*t));
			if (t != NULL && pthread_mutex_init(&t->lock, NULL) != 0) {
				free(t);
				t = NULL;
			}
			if (t != NULL) {
				map_init(&t->by_email);
				map_init(&t->by_id);
				if (map_put(&s->tenants, tenant_id, t) != RELAY_OK) {
					op_tenant_free(t);
					t = NULL;
				}
			}
		}
		pthread_rwlock_unlock(&s->lock);
		pthread_rwlock_rdlock(&s->lock);
		t = map_get(&s->tenants, tenant_id);
	}
	if (t == NULL) {
		pthread_rwlock_unlock(&s->lock);
		return NULL;
	}
	pthread_mutex_lock(&t->lock);
	return t;
}

static void bucket_unlock(struct operator_store *s, struct op_tenant *t)
{
	pthread_mutex_unlock(&t->lock);
	pthread_rwlock_unlock(&s->lock);
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

enum relay_rc operators_provision(struct operator_store *s, const char *tenant_id,
				  const struct operator_fields *f, int64_t now_ms, bool *created,
				  json_t **op)
{
	char email[OPERATOR_EMAIL_MAX + 1];
	struct op_tenant *t = NULL;
	struct operator* o = NULL, *fresh = NULL;
	size_t i, len;
	enum relay_rc rc = RELAY_E_INVALID_ARGUMENT;

	if (s == NULL || tenant_id == NULL || f == NULL || f->email == NULL || created == NULL)
		return rc;
	len = strlen(f->email);
	if (!operators_email_valid(f->email, len))
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

enum relay_rc operators_find(struct operator_store *s, const char *tenant_id,
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
