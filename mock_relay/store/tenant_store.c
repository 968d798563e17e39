/*
 * tenant_store.c - in-memory tenant store (SPEC §2, §4.7, §5, §13).
 *
 * Locking: order_mu (creation order, only taken by provision, listing and reset) ->
 * the store's brlock (read for lookups, write for changes; relay_brlock.h) -> tenant
 * mu (counters). Always in that order. A signed call takes the read lock (its own
 * thread's slot, a line no other worker writes) and one tenant mutex.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "relay_brlock.h"
#include "relay_hmac1.h"
#include "relay_map.h"
#include "relay_statedb.h"
#include "tenant_store.h"

#define SIG_BYTES 32

struct replay_entry {
	int64_t timestamp_ms;
	unsigned char sig[SIG_BYTES];
};

struct tenant_entry {
	/*
	 * What a signed call reads, in its first cache lines: the id its map entry is
	 * compared against, the secret, the status and the rate-limit counters.
	 */
	char id[UUID_STR_LEN + 1];
	char secret[KEY_STR_LEN + 1]; /* HMAC#1 step 3 keys the verifier's context with it */
	bool suspended;
	int rate_limit_per_min;
	pthread_mutex_t mu; /* guards the counters below */
	int64_t rl_window;
	int rl_count;
	struct replay_entry *replay; /* live entries, grown up to STORE_REPLAY_MAX */
	size_t n_replay;
	size_t cap_replay;

	char widget_key[KEY_STR_LEN + 1];
	char *name;
	char **origins;
	size_t n_origins;
	char *callback_url_base;
	char *plan_tier;
	int64_t monthly_msg_quota;
	int64_t agent_seats;
	char *branding_primary_color;
	char *stripe_customer_id;
	json_t *feature_flags; /* §2.3.3: object of booleans, never NULL once created */
	int64_t created_at_ms;
	int64_t updated_at_ms;
};

struct tenant_store {
	/*
	 * Guards the map and the tenants' fields outside `mu`: shared by lookups,
	 * exclusive to add, change or remove a tenant (relay_brlock.h: the worker
	 * threads' lookups share no lock word). One lock for the whole map, so the map is
	 * not split in shards: a lookup hashes the id once.
	 */
	struct brlock lock;
	struct relay_map tenants; /* tenant id -> struct tenant_entry (owned) */
	pthread_mutex_t order_mu;
	char (*order)[UUID_STR_LEN + 1]; /* tenant ids in creation order, STORE_MAX_TENANTS */
	size_t n_order;
	struct statedb *db; /* §14: NULL without --state */
};

static void free_origins(char **origins, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(origins[i]);
	free(origins);
}

static void tenant_free(struct tenant_entry *t)
{
	if (t == NULL)
		return;
	OPENSSL_cleanse(t->secret, sizeof(t->secret));
	free(t->name);
	free_origins(t->origins, t->n_origins);
	free(t->callback_url_base);
	free(t->plan_tier);
	free(t->branding_primary_color);
	free(t->stripe_customer_id);
	json_decref(t->feature_flags);
	free(t->replay);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* tenant_free() for map_cleanup(). */
static void tenant_free_value(void *t)
{
	tenant_free(t);
}

struct tenant_store *tenant_store_new(void)
{
	struct tenant_store *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->order = calloc(STORE_MAX_TENANTS, sizeof(*s->order));
	if (s->order == NULL) {
		free(s);
		return NULL;
	}
	if (brlock_init(&s->lock) != RELAY_OK) {
		free(s->order);
		free(s);
		return NULL;
	}
	map_init(&s->tenants);
	pthread_mutex_init(&s->order_mu, NULL);
	return s;
}

/* Frees every tenant; the caller holds order_mu and the write lock. */
static void clear_locked(struct tenant_store *s)
{

	map_cleanup(&s->tenants, tenant_free_value);
	s->n_order = 0;
}

void tenant_store_reset(struct tenant_store *s)
{
	pthread_mutex_lock(&s->order_mu);
	brlock_write_lock(&s->lock);
	clear_locked(s);
	brlock_write_unlock(&s->lock);
	pthread_mutex_unlock(&s->order_mu);
}

void tenant_store_free(struct tenant_store *s)
{
	if (s == NULL)
		return;
	clear_locked(s);
	brlock_destroy(&s->lock);
	pthread_mutex_destroy(&s->order_mu);
	free(s->order);
	free(s);
}

size_t tenant_store_count(struct tenant_store *s)
{
	size_t n;

	pthread_mutex_lock(&s->order_mu);
	n = s->n_order;
	pthread_mutex_unlock(&s->order_mu);
	return n;
}

/* Replaces *dst with a copy of src (NULL clears). */
static enum relay_rc set_str(char **dst, const char *src)
{
	char *copy = NULL;

	if (src != NULL) {
		copy = strdup(src);
		if (copy == NULL)
			return RELAY_E_NOMEM;
	}
	free(*dst);
	*dst = copy;
	return RELAY_OK;
}

static enum relay_rc copy_origins(const struct tenant_fields *f, char ***out, size_t *n)
{
	char **o;
	size_t i;

	o = calloc(f->n_origins > 0 ? f->n_origins : 1, sizeof(*o));
	if (o == NULL)
		return RELAY_E_NOMEM;
	for (i = 0; i < f->n_origins; i++) {
		o[i] = strdup(f->origins[i]);
		if (o[i] == NULL) {
			free_origins(o, i);
			return RELAY_E_NOMEM;
		}
	}
	*out = o;
	*n = f->n_origins;
	return RELAY_OK;
}

/*
 * Applies f to t. All allocations happen first, so a failure leaves t unchanged.
 */
static enum relay_rc apply_fields(struct tenant_entry *t, const struct tenant_fields *f)
{
	char *name = NULL, *cb = NULL, *plan = NULL, *color = NULL, *stripe = NULL;
	char **origins = NULL;
	size_t n_origins = 0;
	enum relay_rc rc = RELAY_E_NOMEM;

	if ((f->set & TF_NAME) && set_str(&name, f->tenant_name) != RELAY_OK)
		goto out;
	if ((f->set & TF_CALLBACK) && set_str(&cb, f->callback_url_base) != RELAY_OK)
		goto out;
	if ((f->set & TF_PLAN) && set_str(&plan, f->plan_tier) != RELAY_OK)
		goto out;
	if ((f->set & TF_COLOR) && set_str(&color, f->branding_primary_color) != RELAY_OK)
		goto out;
	if ((f->set & TF_STRIPE) && set_str(&stripe, f->stripe_customer_id) != RELAY_OK)
		goto out;
	if ((f->set & TF_ORIGINS) && copy_origins(f, &origins, &n_origins) != RELAY_OK)
		goto out;
	/* Nothing can fail from here: swap the new values in. */
	if (f->set & TF_NAME) {
		free(t->name);
		t->name = name;
		name = NULL;
	}
	if (f->set & TF_CALLBACK) {
		free(t->callback_url_base);
		t->callback_url_base = cb;
		cb = NULL;
	}
	if (f->set & TF_PLAN) {
		free(t->plan_tier);
		t->plan_tier = plan;
		plan = NULL;
	}
	if (f->set & TF_COLOR) {
		free(t->branding_primary_color);
		t->branding_primary_color = color;
		color = NULL;
	}
	if (f->set & TF_STRIPE) {
		free(t->stripe_customer_id);
		t->stripe_customer_id = stripe;
		stripe = NULL;
	}
	if (f->set & TF_ORIGINS) {
		free_origins(t->origins, t->n_origins);
		t->origins = origins;
		t->n_origins = n_origins;
		origins = NULL;
	}
	if (f->set & TF_RATE)
		t->rate_limit_per_min = f->rate_limit_per_min;
	if (f->set & TF_QUOTA)
		t->monthly_msg_quota = f->monthly_msg_quota;
	if (f->set & TF_SEATS)
		t->agent_seats = f->agent_seats;
	if ((f->set & TF_FLAGS) && f->feature_flags != NULL) {
		json_t *flags = json_deep_copy(f->feature_flags);

		if (flags == NULL) {
			rc = RELAY_E_NOMEM;
			goto out;
		}
		json_decref(t->feature_flags);
		t->feature_flags = flags;
	}
	rc = RELAY_OK;
out:
	free(name);
	free(cb);
	free(plan);
	free(color);
	free(stripe);
	if (origins != NULL)
		free_origins(origins, n_origins);
	return rc;
}

static json_t *str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* §2.8.2: the tenant object, keys in SPEC order, never the secret. */
static json_t *tenant_json(const struct tenant_entry *t)
{
	char created[RFC3339_LEN + 1], updated[RFC3339_LEN + 1];
	json_t *obj, *origins;
	size_t i;
	int bad = 0;

	ids_rfc3339(t->created_at_ms, created);
	ids_rfc3339(t->updated_at_ms, updated);
	origins = json_array();
	if (origins == NULL)
		return NULL;
	for (i = 0; i < t->n_origins; i++)
		bad |= json_array_append_new(origins, json_string(t->origins[i]));
	obj = json_pack(
		"{s:s, s:s, s:s, s:s, s:o, s:i, s:o, s:s, s:I, s:I, s:o, s:o, s:s, s:s, s:o}",
		"tenant_id", t->id, "tenant_name", t->name, "status",
		t->suspended ? "suspended" : "active", "widget_public_key", t->widget_key,
		"allowed_origins", origins, "rate_limit_per_min", t->rate_limit_per_min,
		"callback_url_base", str_or_null(t->callback_url_base), "plan_tier", t->plan_tier,
		"monthly_msg_quota", (json_int_t)t->monthly_msg_quota, "agent_seats",
		(json_int_t)t->agent_seats, "branding_primary_color",
		str_or_null(t->branding_primary_color), "stripe_customer_id",
		str_or_null(t->stripe_customer_id), "created_at", created, "updated_at", updated,
		"feature_flags",
		t->feature_flags != NULL ? json_deep_copy(t->feature_flags) : json_object());
	if (obj != NULL && bad) {
		json_decref(obj);
		obj = NULL;
	}
	return obj;
}

/* §2.2.2: exactly the seed's keys in the seed's order, the secret included (once). */
static json_t *provision_json(const struct tenant_entry *t)
{
	char created[RFC3339_LEN + 1];

	ids_rfc3339(t->created_at_ms, created);
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "tenant_id", t->id, "tenant_secret",
			 t->secret, "widget_public_key", t->widget_key, "tenant_name", t->name,
			 "rate_limit_per_min", t->rate_limit_per_min, "created_at", created);
}

/*
 * §14: queues t's full record (the tenant object with its secret and times) for the
 * state file. Called with the store write-locked, so records queue in change order.
 */
static void persist(struct tenant_store *s, const struct tenant_entry *t)
{
	json_t *rec;
	char *text = NULL;

	if (s->db == NULL)
		return;
	rec = tenant_json(t);
	if (rec != NULL && json_object_set_new(rec, "tenant_secret", json_string(t->secret)) == 0 &&
	    json_object_set_new(rec, "created_at_ms", json_integer(t->created_at_ms)) == 0 &&
	    json_object_set_new(rec, "updated_at_ms", json_integer(t->updated_at_ms)) == 0)
		text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rec); /* the secret's copy inside is freed by jansson */
	statedb_put(s->db, STATEDB_TENANT, t->id, t->id, NULL, t->created_at_ms, text);
}

enum relay_rc tenant_store_create(struct tenant_store *s, const struct tenant_fields *f,
				  int64_t now_ms, json_t **data)
{
	enum relay_rc rc = RELAY_E_NOMEM;
	struct tenant_entry *t;
	json_t *out = NULL;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return RELAY_E_NOMEM;
	pthread_mutex_init(&t->mu, NULL);
	t->created_at_ms = now_ms;
	t->updated_at_ms = now_ms;
	rc = ids_uuid7(now_ms, t->id);
	if (rc == RELAY_OK)
		rc = ids_key("sk_", t->secret);
	if (rc == RELAY_OK)
		rc = ids_key("pk_", t->widget_key);
	if (rc != RELAY_OK)
		goto fail;
	rc = apply_fields(t, f);
	if (rc != RELAY_OK)
		goto fail;
	rc = RELAY_E_NOMEM;
	if (t->name == NULL || t->plan_tier == NULL || t->origins == NULL) {
		rc = RELAY_E_INVALID_ARGUMENT;
		goto fail;
	}
	out = provision_json(t);
	if (out == NULL)
		goto fail;

	pthread_mutex_lock(&s->order_mu);
	if (s->n_order >= STORE_MAX_TENANTS) {
		pthread_mutex_unlock(&s->order_mu);
		rc = RELAY_E_CAPACITY_EXCEEDED;
		goto fail;
	}
	brlock_write_lock(&s->lock);
	rc = map_put(&s->tenants, t->id, t);
	if (rc == RELAY_OK)
		persist(s, t);
	brlock_write_unlock(&s->lock);
	if (rc != RELAY_OK) { /* out of memory (a fresh UUIDv7 is never present) */
		pthread_mutex_unlock(&s->order_mu);
		goto fail;
	}
	memcpy(s->order[s->n_order], t->id, sizeof(t->id));
	s->n_order++;
	pthread_mutex_unlock(&s->order_mu);
	*data = out;
	return RELAY_OK;
fail:
	json_decref(out);
	tenant_free(t);
	return rc;
}

/* What lock_tenant() took, for unlock_tenant(). */
struct tlock {
	bool exclusive;
	unsigned slot; /* the read slot (relay_brlock.h) when not exclusive */
};

static void unlock_tenant(struct tenant_store *s, const struct tlock *lk)
{
	if (lk->exclusive)
		brlock_write_unlock(&s->lock);
	else
		brlock_read_unlock(&s->lock, lk->slot);
}

/* Looks tenant_id up and locks the store (write when exclusive). NULL: unknown, unlocked. */
static struct tenant_entry *lock_tenant(struct tenant_store *s, const char *tenant_id,
					bool exclusive, struct tlock *lk)
{
	struct tenant_entry *t;

	if (tenant_id == NULL)
		return NULL;
	lk->exclusive = exclusive;
	if (exclusive)
		brlock_write_lock(&s->lock);
	else
		lk->slot = brlock_read_lock(&s->lock);
	t = map_get(&s->tenants, tenant_id);
	if (t == NULL)
		unlock_tenant(s, lk);
	return t;
}

enum relay_rc tenant_store_update(struct tenant_store *s, const char *tenant_id,
				  const struct tenant_fields *f, int64_t now_ms, json_t **out)
{
	struct tlock lk;
	struct tenant_entry *t;
	enum relay_rc rc;
	json_t *obj = NULL;

	t = lock_tenant(s, tenant_id, true, &lk);
	if (t == NULL)
		return RELAY_E_TENANT_NOT_FOUND;
	rc = apply_fields(t, f);
	if (rc == RELAY_OK) {
		t->updated_at_ms = now_ms; /* §2.4.3: even for {} */
		persist(s, t);
		if (out != NULL) {
			obj = tenant_json(t);
			if (obj == NULL)
				rc = RELAY_E_NOMEM;
		}
	}
	unlock_tenant(s, &lk);
	if (rc == RELAY_OK && out != NULL)
		*out = obj;
	return rc;
}

/* Replaces the key in `which` (the tenant's secret or widget key) and copies it out. */
static enum relay_rc rotate(struct tenant_store *s, const char *tenant_id, int64_t now_ms,
			    bool secret, char out[KEY_STR_LEN + 1])
{
	char fresh[KEY_STR_LEN + 1];
	struct tlock lk;
	struct tenant_entry *t;
	enum relay_rc rc;

	rc = ids_key(secret ? "sk_" : "pk_", fresh);
	if (rc != RELAY_OK) {
		OPENSSL_cleanse(fresh, sizeof(fresh));
		return rc;
	}
	t = lock_tenant(s, tenant_id, true, &lk);
	if (t == NULL) {
		OPENSSL_cleanse(fresh, sizeof(fresh));
		return RELAY_E_TENANT_NOT_FOUND;
	}
	if (secret) {
		OPENSSL_cleanse(t->secret, sizeof(t->secret));
		/* under the write lock: no verifier is reading the old secret */
		memcpy(t->secret, fresh, sizeof(fresh));
		/* Signatures made with the old secret can never be valid again. */
		pthread_mutex_lock(&t->mu);
		t->n_replay = 0;
		pthread_mutex_unlock(&t->mu);
	} else {
		memcpy(t->widget_key, fresh, sizeof(fresh));
	}
	t->updated_at_ms = now_ms;
	persist(s, t);
	unlock_tenant(s, &lk);
	memcpy(out, fresh, sizeof(fresh));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	return RELAY_OK;
}

enum relay_rc tenant_store_rotate_secret(struct tenant_store *s, const char *tenant_id,
					 int64_t now_ms, char secret_out[KEY_STR_LEN + 1])
{
	return rotate(s, tenant_id, now_ms, true, secret_out);
}

enum relay_rc tenant_store_rotate_widget_key(struct tenant_store *s, const char *tenant_id,
					     int64_t now_ms, char key_out[KEY_STR_LEN + 1])
{
	return rotate(s, tenant_id, now_ms, false, key_out);
}

enum relay_rc tenant_store_set_suspended(struct tenant_store *s, const char *tenant_id,
					 bool suspended, int64_t now_ms)
{
	struct tlock lk;
	struct tenant_entry *t;
	enum relay_rc rc = RELAY_OK;

	t = lock_tenant(s, tenant_id, true, &lk);
	if (t == NULL)
		return RELAY_E_TENANT_NOT_FOUND;
	if (t->suspended == suspended) {
		rc = suspended ? RELAY_E_TENANT_ALREADY_SUSPENDED : RELAY_E_TENANT_ALREADY_ACTIVE;
	} else {
		t->suspended = suspended;
		t->updated_at_ms = now_ms;
		persist(s, t);
	}
	unlock_tenant(s, &lk);
	return rc;
}

enum relay_rc tenant_store_to_json(struct tenant_store *s, const char *tenant_id, json_t **out)
{
	struct tlock lk;
	struct tenant_entry *t;
	json_t *obj;

	t = lock_tenant(s, tenant_id, false, &lk);
	if (t == NULL)
		return RELAY_E_TENANT_NOT_FOUND;
	obj = tenant_json(t);
	unlock_tenant(s, &lk);
	if (obj == NULL)
		return RELAY_E_NOMEM;
	*out = obj;
	return RELAY_OK;
}

enum relay_rc tenant_store_list(struct tenant_store *s, size_t limit, size_t offset, json_t **items,
				size_t *total)
{
	char(*ids)[UUID_STR_LEN + 1] = NULL;
	enum relay_rc rc = RELAY_E_NOMEM;
	json_t *arr = NULL, *obj = NULL;
	size_t n = 0, i, count;

	pthread_mutex_lock(&s->order_mu);
	count = s->n_order;
	if (offset < count) {
		n = count - offset < limit ? count - offset : limit;
		ids = calloc(n > 0 ? n : 1, sizeof(*ids));
		if (ids != NULL)
			memcpy(ids, s->order[offset], n * sizeof(*ids));
	}
	pthread_mutex_unlock(&s->order_mu);
	if (n > 0 && ids == NULL)
		goto out;
	arr = json_array();
	if (arr == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		obj = NULL;
		rc = tenant_store_to_json(s, ids[i], &obj);
		if (rc == RELAY_E_TENANT_NOT_FOUND)
			continue; /* reset in between */
		if (rc != RELAY_OK)
			goto out;
		if (json_array_append_new(arr, obj) != 0) {
			rc = RELAY_E_NOMEM;
			goto out;
		}
	}
	*items = arr;
	arr = NULL;
	*total = count;
	rc = RELAY_OK;
out:
	json_decref(arr);
	free(ids);
	return rc;
}

enum relay_rc tenant_store_auth(struct tenant_store *s, const char *tenant_id,
				struct tenant_auth *out)
{
	struct tlock lk;
	struct tenant_entry *t;

	t = lock_tenant(s, tenant_id, false, &lk);
	if (t == NULL)
		return RELAY_E_TENANT_NOT_FOUND;
	memcpy(out->secret, t->secret, sizeof(out->secret));
	out->suspended = t->suspended;
	out->rate_limit_per_min = t->rate_limit_per_min;
	unlock_tenant(s, &lk);
	return RELAY_OK;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* §5 for t (the store read-locked): counts the call unless over the limit. */
static enum relay_rc rate_take_locked(struct tenant_entry *t, int64_t now_ms,
				      struct rate_verdict *v)
{
	enum relay_rc rc = RELAY_OK;
	int64_t window, reset_ms, wait_ms;

	window = floor_div(now_ms, STORE_RATE_WINDOW_MS);
	pthread_mutex_lock(&t->mu);
	if (t->rl_window != window) {
		t->rl_window = window;
		t->rl_count = 0;
	}
	if (t->rl_count >= t->rate_limit_per_min)
		rc = RELAY_E_RATE_LIMITED;
	else
		t->rl_count++;
	v->limit = t->rate_limit_per_min;
	v->remaining = t->rate_limit_per_min - t->rl_count;
	if (v->remaining < 0)
		v->remaining = 0;
	pthread_mutex_unlock(&t->mu);
	reset_ms = (window + 1) * STORE_RATE_WINDOW_MS;
	v->reset_s = floor_div(reset_ms, 1000);
	wait_ms = reset_ms - now_ms;
	v->retry_after_s = (int)((wait_ms + 999) / 1000);
	if (v->retry_after_s < 1)
		v->retry_after_s = 1;
	return rc;
}

enum relay_rc tenant_store_verify(struct tenant_store *s, const char *tenant_id,
				  const struct hmac1_headers *h, struct hmac1_verdict *v,
				  bool *suspended, struct rate_take *take)
{
	struct tlock lk;
	struct tenant_entry *t;

	t = lock_tenant(s, tenant_id, false, &lk);
	if (t == NULL)
		return hmac1_verify_signature(h, NULL, 0, v);
	if (hmac1_verify_signature(h, t->secret, KEY_STR_LEN, v) == RELAY_OK) {
		*suspended = t->suspended;
		if (take != NULL && !t->suspended) {
			take->rc = rate_take_locked(t, take->now_ms, &take->v);
			take->taken = true;
		}
	}
	unlock_tenant(s, &lk);
	return v->rc;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

enum relay_rc tenant_store_snapshot(struct tenant_store *s, const char *tenant_id,
				    struct tenant_snapshot *out)
{
	struct tlock lk;
	struct tenant_entry *t;

	t = lock_tenant(s, tenant_id, false, &lk);
	if (t == NULL)
		return RELAY_E_TENANT_NOT_FOUND;
	copy_str(out->tenant_id, sizeof(out->tenant_id), t->id);
	copy_str(out->tenant_name, sizeof(out->tenant_name), t->name);
	copy_str(out->widget_public_key, sizeof(out->widget_public_key), t->widget_key);
	copy_str(out->callback_url_base, sizeof(out->callback_url_base), t->callback_url_base);
	copy_str(out->plan_tier, sizeof(out->plan_tier), t->plan_tier);
	copy_str(out->branding_primary_color, sizeof(out->branding_primary_color),
		 t->branding_primary_color);
	out->suspended = t->suspended;
	out->rate_limit_per_min = t->rate_limit_per_min;
	out->monthly_msg_quota = t->monthly_msg_quota;
	out->agent_seats = t->agent_seats;
	out->created_at_ms = t->created_at_ms;
	out->updated_at_ms = t->updated_at_ms;
	snprintf(out->feature_flags, sizeof(out->feature_flags), "{}");
	if (t->feature_flags != NULL) {
		char *flags = json_dumps(t->feature_flags, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (flags != NULL && strlen(flags) < sizeof(out->feature_flags))
			memcpy(out->feature_flags, flags, strlen(flags) + 1);
		free(flags);
	}
	unlock_tenant(s, &lk);
	return RELAY_OK;
}

enum relay_rc tenant_store_secret_copy(struct tenant_store *s, const char *tenant_id,
				       char out[KEY_STR_LEN + 1])
{
	struct tlock lk;
	struct tenant_entry *t;

	t = lock_tenant(s, tenant_id, false, &lk);
	if (t == NULL)
		return RELAY_E_TENANT_NOT_FOUND;
	memcpy(out, t->secret, KEY_STR_LEN + 1);
	unlock_tenant(s, &lk);
	return RELAY_OK;
}

int tenant_store_widget_key_matches(struct tenant_store *s, const char *tenant_id, const char *key)
{
	struct tlock lk;
	struct tenant_entry *t;
	int same;

	if (key == NULL || strlen(key) != KEY_STR_LEN)
		return 0;
	t = lock_tenant(s, tenant_id, false, &lk);
	if (t == NULL)
		return 0;
	same = CRYPTO_memcmp(t->widget_key, key, KEY_STR_LEN) == 0;
	unlock_tenant(s, &lk);
	return same;
}

int tenant_store_origin_allowed(struct tenant_store *s, const char *tenant_id, const char *origin,
				size_t len)
{
	struct tlock lk;
	struct tenant_entry *t;
	int ok;

	if (origin == NULL)
		return 0;
	t = lock_tenant(s, tenant_id, false, &lk);
	if (t == NULL)
		return 0;
	ok = origin_allowed(origin, len, (const char *const *)t->origins, t->n_origins);
	unlock_tenant(s, &lk);
	return ok;
}

/* map_each() callback: 1 when the tenant's allowed_origins hold cls (normalized). */
static int tenant_allows_origin(void *cls, const char *key, void *value)
{
	const struct tenant_entry *t = value;
	size_t k;

	(void)key;
	for (k = 0; k < t->n_origins; k++) {
		if (strcmp(t->origins[k], cls) == 0)
			return 1;
	}
	return 0;
}

int tenant_store_any_tenant_allows_origin(struct tenant_store *s, const char *origin, size_t len)
{
	char norm[ORIGIN_MAX_LEN + 1];
	unsigned slot;
	int ok = 0;

	/* Normalize once (§3.2); stored origins are already normalized, so the scan is strcmp. */
	if (origin == NULL || origin_normalize(origin, len, norm, sizeof(norm), NULL) != RELAY_OK)
		return 0;
	slot = brlock_read_lock(&s->lock);
	ok = map_each(&s->tenants, tenant_allows_origin, norm);
	brlock_read_unlock(&s->lock, slot);
	return ok;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum relay_rc tenant_store_replay_check(struct tenant_store *s, const char *tenant_id,
					int64_t timestamp_ms, const char *signature_hex,
					int64_t now_ms)
{
	unsigned char sig[SIG_BYTES];
	struct tlock lk;
	struct tenant_entry *t;
	enum relay_rc rc = RELAY_OK;
	size_t i, kept;

	if (signature_hex == NULL || strlen(signature_hex) != 2 * SIG_BYTES)
		return RELAY_E_INVALID_ARGUMENT;
	for (i = 0; i < SIG_BYTES; i++) {
		int hi = hex_value(signature_hex[2 * i]), lo = hex_value(signature_hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return RELAY_E_INVALID_ARGUMENT;
		sig[i] = (unsigned char)(hi << 4 | lo);
	}
	t = lock_tenant(s, tenant_id, false, &lk);
	if (t == NULL)
		return RELAY_E_TENANT_NOT_FOUND;
	pthread_mutex_lock(&t->mu);
	/* Drop entries whose timestamp left the window: they can never pass step 2 again. */
	kept = 0;
	for (i = 0; i < t->n_replay; i++) {
		int64_t age = now_ms - t->replay[i].timestamp_ms;

		if (age > HMAC1_WINDOW_MS || age < -HMAC1_WINDOW_MS)
			continue;
		if (t->replay[i].timestamp_ms == timestamp_ms &&
		    memcmp(t->replay[i].sig, sig, SIG_BYTES) == 0)
			rc = RELAY_E_REPLAYED_REQUEST;
		t->replay[kept++] = t->replay[i];
	}
	t->n_replay = kept;
	if (rc != RELAY_OK)
		goto unlock;
	if (t->n_replay == t->cap_replay) {
		size_t cap = t->cap_replay > 0 ? 2 * t->cap_replay : 64;
		struct replay_entry *grown;

		if (t->cap_replay >= STORE_REPLAY_MAX) {
			rc = RELAY_E_CAPACITY_EXCEEDED; /* fail closed (§13) */
			goto unlock;
		}
		if (cap > STORE_REPLAY_MAX)
			cap = STORE_REPLAY_MAX;
		grown = realloc(t->replay, cap * sizeof(*grown));
		if (grown == NULL) {
			rc = RELAY_E_NOMEM;
			goto unlock;
		}
		t->replay = grown;
		t->cap_replay = cap;
	}
	t->replay[t->n_replay].timestamp_ms = timestamp_ms;
	memcpy(t->replay[t->n_replay].sig, sig, SIG_BYTES);
	t->n_replay++;
unlock:
	pthread_mutex_unlock(&t->mu);
	unlock_tenant(s, &lk);
	return rc;
}

enum relay_rc tenant_store_rate_limit_take(struct tenant_store *s, const char *tenant_id,
					   int64_t now_ms, struct rate_verdict *v)
{
	struct tlock lk;
	struct tenant_entry *t;
	enum relay_rc rc;

	t = lock_tenant(s, tenant_id, false, &lk);
	if (t == NULL)
		return RELAY_E_TENANT_NOT_FOUND;
	rc = rate_take_locked(t, now_ms, v);
	unlock_tenant(s, &lk);
	return rc;
}

void tenant_store_set_statedb(struct tenant_store *s, struct statedb *db)
{
	s->db = db;
}

/* A string member of rec no longer than max bytes, or NULL. */
static const char *rec_str(const json_t *rec, const char *key, size_t max)
{
	const json_t *v = json_object_get(rec, key);

	if (!json_is_string(v) || json_string_length(v) > max)
		return NULL;
	return json_string_value(v);
}

enum relay_rc tenant_store_load(struct tenant_store *s, const json_t *rec)
{
	const char *id = rec_str(rec, "tenant_id", UUID_STR_LEN);
	const char *secret = rec_str(rec, "tenant_secret", KEY_STR_LEN);
	const char *wkey = rec_str(rec, "widget_public_key", KEY_STR_LEN);
	const char *status = rec_str(rec, "status", 16);
	const json_t *origins = json_object_get(rec, "allowed_origins"), *v;
	struct tenant_fields f;
	enum relay_rc rc = RELAY_E_INVALID_ARGUMENT;
	struct tenant_entry *t = NULL;
	size_t i;

	tenant_fields_init(&f);
	if (id == NULL || strlen(id) != UUID_STR_LEN || secret == NULL ||
	    strlen(secret) != KEY_STR_LEN || wkey == NULL || strlen(wkey) != KEY_STR_LEN ||
	    status == NULL || !json_is_array(origins) ||
	    json_array_size(origins) > TENANT_ORIGINS_MAX)
		goto out;
	f.set = TF_NAME | TF_ORIGINS | TF_RATE | TF_CALLBACK | TF_PLAN | TF_QUOTA | TF_SEATS |
		TF_COLOR | TF_STRIPE;
	/* Borrowed pointers into rec: apply_fields copies them; f is not cleaned up. */
	f.tenant_name = (char *)rec_str(rec, "tenant_name", TENANT_NAME_MAX_BYTES);
	f.callback_url_base = (char *)rec_str(rec, "callback_url_base", TENANT_URL_MAX);
	f.plan_tier = (char *)rec_str(rec, "plan_tier", 4 * TENANT_PLAN_MAX);
	f.branding_primary_color = (char *)rec_str(rec, "branding_primary_color", TENANT_COLOR_LEN);
	f.stripe_customer_id = (char *)rec_str(rec, "stripe_customer_id", TENANT_STRIPE_MAX);
	f.rate_limit_per_min = (int)json_integer_value(json_object_get(rec, "rate_limit_per_min"));
	f.monthly_msg_quota = json_integer_value(json_object_get(rec, "monthly_msg_quota"));
	f.agent_seats = json_integer_value(json_object_get(rec, "agent_seats"));
	/* §2.3.3: absent from files written before feature flags existed */
	f.feature_flags = json_object_get(rec, "feature_flags");
	if (json_is_object(f.feature_flags))
		f.set |= TF_FLAGS;
	else
		f.feature_flags = NULL;
	if (f.tenant_name == NULL || f.plan_tier == NULL ||
	    f.rate_limit_per_min < TENANT_RATE_MIN || f.rate_limit_per_min > TENANT_RATE_MAX)
		goto out;
	f.n_origins = json_array_size(origins);
	f.origins = calloc(f.n_origins > 0 ? f.n_origins : 1, sizeof(*f.origins));
	rc = RELAY_E_NOMEM;
	if (f.origins == NULL)
		goto out;
	rc = RELAY_E_INVALID_ARGUMENT;
	json_array_foreach(origins, i, v)
	{
		f.origins[i] = (char *)json_string_value(v);
		if (f.origins[i] == NULL || json_string_length(v) > ORIGIN_MAX_LEN)
			goto out;
	}
	rc = RELAY_E_NOMEM;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto out;
	pthread_mutex_init(&t->mu, NULL);
	memcpy(t->id, id, UUID_STR_LEN + 1);
	memcpy(t->secret, secret, KEY_STR_LEN + 1);
	memcpy(t->widget_key, wkey, KEY_STR_LEN + 1);
	t->suspended = strcmp(status, "suspended") == 0;
	t->created_at_ms = json_integer_value(json_object_get(rec, "created_at_ms"));
	t->updated_at_ms = json_integer_value(json_object_get(rec, "updated_at_ms"));
	rc = apply_fields(t, &f);
	if (rc != RELAY_OK)
		goto out;

	rc = RELAY_E_CAPACITY_EXCEEDED;
	pthread_mutex_lock(&s->order_mu);
	brlock_write_lock(&s->lock);
	if (s->n_order < STORE_MAX_TENANTS && map_get(&s->tenants, t->id) == NULL) {
		rc = map_put(&s->tenants, t->id, t);
		if (rc == RELAY_OK) {
			memcpy(s->order[s->n_order], t->id, sizeof(t->id));
			s->n_order++;
			t = NULL;
		}
	}
	brlock_write_unlock(&s->lock);
	pthread_mutex_unlock(&s->order_mu);
out:
	free(f.origins); /* the strings are rec's */
	tenant_free(t);
	return rc;
}
