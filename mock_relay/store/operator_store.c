/*
 * operator_store.c - operators, idempotent on (email, tenant) (SPEC §6.4).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay_ids.h"
#include "relay_map.h"
#include "relay_buckets.h"
#include "operator_store.h"
#include "relay_statedb.h"

struct operator
{
	char id[PREFIXED_ID_MAX + 1];
	char email[OPERATOR_EMAIL_MAX + 1];
	char *display_name;   /* NULL: null */
	json_t *routing_keys; /* NULL: null */
	int64_t created_ms;
	char relay_user_id[PREFIXED_ID_MAX + 1]; /* §6.4.5: made once, never changes */
	char *backend_user_id;                   /* NULL: null */
};

struct op_tenant {
	struct bucket_head head;   /* first: the bucket's mutex */
	struct relay_map by_email; /* lowercased email -> struct operator (owner) */
	struct relay_map by_id;    /* operator id -> same struct operator */
};

struct operator_store {
	struct tenant_buckets buckets; /* tenant id -> struct op_tenant */
	struct statedb *db;            /* §14: NULL without --state */
	/*
	 * [tenant_id, operator_id] pairs loaded without a relay_user_id (a file written
	 * before operators had one): the id made at load is written back once the state
	 * file is attached (operator_store_set_statedb), so it never changes again.
	 */
	json_t *minted;
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
	free(o->backend_user_id);
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
	s->minted = json_array();
	if (s->minted == NULL ||
	    buckets_init(&s->buckets, op_tenant_new, op_tenant_free) != RELAY_OK) {
		json_decref(s->minted);
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
	json_decref(s->minted);
	free(s);
}

void operator_store_reset(struct operator_store *s)
{
	buckets_reset(&s->buckets);
	json_array_clear(s->minted);
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
		"{s:s, s:b, s:s, s:s?, s:o?, s:s, s:s, s:s?}", "operator_id", o->id, "created",
		created, "email", o->email, "display_name", o->display_name, "routing_keys",
		o->routing_keys != NULL ? json_deep_copy(o->routing_keys) : NULL, "created_at", at,
		"relay_user_id", o->relay_user_id, "backend_user_id", o->backend_user_id);
}

/* Replace the fields present in f. Copies are made before anything changes. */
static enum relay_rc operator_apply(struct operator* o, const struct operator_fields *f)
{
	char *name = NULL, *backend = NULL;
	json_t *keys = NULL;

	if (f->has_display_name && f->display_name != NULL) {
		name = strdup(f->display_name);
		if (name == NULL)
			return RELAY_E_NOMEM;
	}
	if (f->has_backend_user_id && f->backend_user_id != NULL) {
		backend = strdup(f->backend_user_id);
		if (backend == NULL) {
			free(name);
			return RELAY_E_NOMEM;
		}
	}
	if (f->has_routing_keys && f->routing_keys != NULL) {
		keys = json_deep_copy(f->routing_keys);
		if (keys == NULL) {
			free(name);
			free(backend);
			return RELAY_E_NOMEM;
		}
	}
	if (f->has_backend_user_id) {
		free(o->backend_user_id);
		o->backend_user_id = backend;
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

/* §14: queues o's object (created: false) for the state file. */
static void persist(struct operator_store *s, const char *tenant_id, const struct operator* o)
{
	json_t *obj = operator_json(o, false);

	statedb_put(s->db, STATEDB_OPERATOR, o->id, tenant_id, NULL, o->created_ms,
		    obj != NULL ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL);
	json_decref(obj);
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
		if (rc == RELAY_OK)
			rc = ids_prefixed("ru_", now_ms, fresh->relay_user_id);
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
	if (s->db != NULL) /* §14: the operator object, queued under the bucket lock */
		persist(s, tenant_id, o);
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

enum relay_rc operator_store_get(struct operator_store *s, const char *tenant_id,
				 const char *operator_id, struct operator_view *out)
{
	struct op_tenant *t;
	const struct operator* o;
	enum relay_rc rc = RELAY_E_OPERATOR_NOT_FOUND;

	if (s == NULL || tenant_id == NULL || operator_id == NULL || out == NULL)
		return rc;
	memset(out, 0, sizeof(*out));
	t = bucket_lock(s, tenant_id, 0);
	if (t == NULL)
		return rc;
	o = map_get(&t->by_id, operator_id);
	if (o != NULL) {
		rc = RELAY_OK;
		snprintf(out->operator_id, sizeof(out->operator_id), "%s", o->id);
		snprintf(out->relay_user_id, sizeof(out->relay_user_id), "%s", o->relay_user_id);
		if (o->routing_keys != NULL) {
			out->routing_keys = json_deep_copy(o->routing_keys);
			if (out->routing_keys == NULL)
				rc = RELAY_E_NOMEM;
		}
	}
	bucket_unlock(s, t);
	return rc;
}

void operator_store_view_cleanup(struct operator_view *v)
{
	if (v == NULL)
		return;
	json_decref(v->routing_keys);
	v->routing_keys = NULL;
}
void operator_store_set_statedb(struct operator_store *s, struct statedb *db)
{
	size_t i;
	json_t *pair;

	s->db = db;
	if (db == NULL)
		return;
	json_array_foreach(s->minted, i, pair)
	{
		const char *tenant_id = json_string_value(json_array_get(pair, 0));
		const char *id = json_string_value(json_array_get(pair, 1));
		struct op_tenant *t = bucket_lock(s, tenant_id, 0);
		struct operator* o;

		if (t == NULL)
			continue;
		o = map_get(&t->by_id, id);
		if (o != NULL)
			persist(s, tenant_id, o);
		bucket_unlock(s, t);
	}
	json_array_clear(s->minted);
}

enum relay_rc operator_store_load(struct operator_store *s, const char *tenant_id,
				  int64_t created_ms, const json_t *obj)
{
	const char *id = json_string_value(json_object_get(obj, "operator_id"));
	const char *email = json_string_value(json_object_get(obj, "email"));
	json_t *name = json_object_get(obj, "display_name");
	json_t *keys = json_object_get(obj, "routing_keys");
	const char *ruid = json_string_value(json_object_get(obj, "relay_user_id"));
	json_t *backend = json_object_get(obj, "backend_user_id");
	struct operator_fields f = {0};
	struct operator* o = NULL;
	struct op_tenant *t = NULL;
	enum relay_rc rc = RELAY_E_INVALID_ARGUMENT;

	if (id == NULL || strlen(id) > PREFIXED_ID_MAX || email == NULL ||
	    !operator_store_email_valid(email, strlen(email)) ||
	    (keys != NULL && !json_is_array(keys) && !json_is_null(keys)) ||
	    (ruid != NULL && strlen(ruid) > PREFIXED_ID_MAX) ||
	    (backend != NULL && !json_is_string(backend) && !json_is_null(backend)))
		goto out;
	f.has_display_name = true;
	f.has_backend_user_id = true;
	f.backend_user_id = json_string_value(backend);
	f.display_name = json_string_value(name);
	f.has_routing_keys = true;
	f.routing_keys = json_is_array(keys) ? keys : NULL;
	rc = RELAY_E_NOMEM;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		goto out;
	memcpy(o->id, id, strlen(id) + 1);
	memcpy(o->email, email, strlen(email) + 1); /* stored lowercased */
	o->created_ms = created_ms;
	/* §6.4.5: the relay user id made at provisioning; a file written before operators
	 * had one gets one now, written back when the file is attached (s->minted) */
	if (ruid != NULL)
		memcpy(o->relay_user_id, ruid, strlen(ruid) + 1);
	else if (ids_prefixed("ru_", created_ms, o->relay_user_id) != RELAY_OK ||
		 json_array_append_new(s->minted, json_pack("[ss]", tenant_id, id)) != 0)
		goto out;
	rc = operator_apply(o, &f);
	if (rc != RELAY_OK)
		goto out;
	rc = RELAY_E_NOMEM;
	t = bucket_lock(s, tenant_id, 1);
	if (t == NULL)
		goto out;
	rc = RELAY_E_CAPACITY_EXCEEDED;
	if (map_count(&t->by_email) >= OPERATORS_MAX_PER_TENANT ||
	    map_get(&t->by_email, o->email) != NULL || map_get(&t->by_id, o->id) != NULL)
		goto out;
	rc = map_put(&t->by_email, o->email, o);
	if (rc != RELAY_OK)
		goto out;
	rc = map_put(&t->by_id, o->id, o);
	if (rc != RELAY_OK) {
		map_remove(&t->by_email, o->email);
		goto out;
	}
	o = NULL;
out:
	if (t != NULL)
		bucket_unlock(s, t);
	operator_free(o);
	return rc;
}
