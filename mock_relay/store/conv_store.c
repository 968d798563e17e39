/*
 * conv_store.c - conversations and messages, per-tenant buckets (SPEC §6.1, §6.2).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay_buckets.h"
#include "conv_store.h"
#include "relay_map.h"
#include "relay_statedb.h"

struct message {
	char id[PREFIXED_ID_MAX + 1];
	const char *role; /* one of the static role names */
	char *content;
	size_t content_len;
	int64_t created_ms;
};

struct conversation {
	char id[PREFIXED_ID_MAX + 1];
	char *visitor_user_id;
	char *visitor_display_name; /* NULL: null */
	char *locale;
	json_t *metadata;
	int64_t created_ms;
	uint64_t seq;          /* creation order in the store (UUIDv7 is random inside a ms) */
	struct conv_life life; /* §9.6; changed only by conv_store_life_apply() */
	char *json;            /* conversation_json() as compact text, rebuilt when life changes */
	size_t json_len;
	struct message *messages;
	size_t n_messages, cap_messages;
};

struct conv_tenant {
	struct bucket_head head; /* first: the bucket's mutex */
	struct relay_map convs;  /* id -> struct conversation */
};

struct conv_store {
	struct tenant_buckets buckets; /* tenant id -> struct conv_tenant */
	uint64_t next_seq;             /* atomic (__atomic builtins): creation order */
	struct statedb *db;            /* §14: NULL without --state */
};

static const char *const status_names[] = {"open", "pending", "assigned", "resolved"};

const char *conv_store_status_name(enum conv_status st)
{
	if ((int)st < 0 || (size_t)st >= sizeof(status_names) / sizeof(status_names[0]))
		return "open";
	return status_names[st];
}

static const char *const roles[] = {"visitor", "operator", "bot", "system"};

int conv_store_role_valid(const char *role)
{
	size_t i;

	for (i = 0; role != NULL && i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strcmp(role, roles[i]) == 0)
			return 1;
	}
	return 0;
}

/* The static name equal to role (validated before). */
static const char *role_static(const char *role)
{
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strcmp(role, roles[i]) == 0)
			return roles[i];
	}
	return NULL;
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

int conv_store_locale_valid(const char *locale)
{
	size_t len, i = 0, n;

	if (locale == NULL)
		return 0;
	len = strlen(locale);
	if (len > 35)
		return 0;
	while (i < len && is_alpha(locale[i]))
		i++;
	if (i < 2 || i > 3)
		return 0;
	while (i < len) {
		if (locale[i++] != '-')
			return 0;
		for (n = 0; i < len && is_alnum(locale[i]); i++)
			n++;
		if (n < 1 || n > 8)
			return 0;
	}
	return 1;
}

static void conversation_free(void *p)
{
	struct conversation *c = p;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_messages; i++)
		free(c->messages[i].content);
	free(c->messages);
	free(c->visitor_user_id);
	free(c->visitor_display_name);
	free(c->locale);
	json_decref(c->metadata);
	free(c->json);
	free(c);
}

static void conv_tenant_free(void *p)
{
	struct conv_tenant *t = p;

	if (t == NULL)
		return;
	map_cleanup(&t->convs, conversation_free);
	bucket_head_destroy(&t->head);
	free(t);
}

static struct bucket_head *conv_tenant_new(void)
{
	struct conv_tenant *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (!bucket_head_init(&t->head)) {
		free(t);
		return NULL;
	}
	map_init(&t->convs);
	return &t->head;
}

struct conv_store *conv_store_new(void)
{
	struct conv_store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (buckets_init(&s->buckets, conv_tenant_new, conv_tenant_free) != RELAY_OK) {
		free(s);
		return NULL;
	}
	return s;
}

void conv_store_free(struct conv_store *s)
{
	if (s == NULL)
		return;
	buckets_cleanup(&s->buckets);
	free(s);
}

void conv_store_reset(struct conv_store *s)
{
	buckets_reset(&s->buckets);
}

/* The tenant's bucket, locked (relay_buckets.h); created when create is set. */
static struct conv_tenant *bucket_lock(struct conv_store *s, const char *tenant_id, int create)
{
	return (struct conv_tenant *)buckets_lock(&s->buckets, tenant_id, create);
}

static void bucket_unlock(struct conv_store *s, struct conv_tenant *t)
{
	buckets_unlock(&s->buckets, &t->head);
}

/* The conversation object of §6.1.2 (new reference, NULL when out of memory). */
static json_t *conversation_json(const struct conversation *c)
{
	const struct conv_life *l = &c->life;
	char created[RFC3339_LEN + 1];

	ids_rfc3339(c->created_ms, created);
	return json_pack("{s:s, s:s, s:s?, s:s, s:o, s:s, s:s, s:s, s:s?, s:s?, s:s?}", "id", c->id,
			 "visitor_user_id", c->visitor_user_id, "visitor_display_name",
			 c->visitor_display_name, "locale", c->locale, "metadata",
			 json_deep_copy(c->metadata), "status", conv_store_status_name(l->status),
			 "created_at", created, "mode", l->human ? "human" : "bot", "routing_key",
			 l->has_routing_key ? l->routing_key : NULL, "ticket_id",
			 l->ticket_id[0] != '\0' ? l->ticket_id : NULL, "operator_id",
			 l->operator_id[0] != '\0' ? l->operator_id : NULL);
}

/* Re-serialize c->json after its state changed. Lock held. */
static enum relay_rc conversation_rebuild(struct conversation *c, json_t **obj)
{
	json_t *o = conversation_json(c);
	char *text;

	if (o == NULL)
		return RELAY_E_NOMEM;
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL) {
		json_decref(o);
		return RELAY_E_NOMEM;
	}
	free(c->json);
	c->json = text;
	c->json_len = strlen(text);
	*obj = o;
	return RELAY_OK;
}

/*
 * §14: the conversation's row in the state file: its object plus what the API never
 * shows, the ticket's creation time (malloc'd text, NULL when out of memory). Lock held.
 */
static char *conversation_row(const struct conversation *c)
{
	json_t *o;
	char *text;

	if (c->life.ticket_id[0] == '\0')
		return strdup(c->json);
	o = json_loadb(c->json, c->json_len, 0, NULL);
	if (o == NULL || json_object_set_new(o, "ticket_created_ms",
					     json_integer(c->life.ticket_created_ms)) != 0) {
		json_decref(o);
		return NULL;
	}
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}

/* The message object of §6.2.3. */
static json_t *message_json(const struct conversation *c, const struct message *m)
{
	char created[RFC3339_LEN + 1];

	ids_rfc3339(m->created_ms, created);
	return json_pack("{s:s, s:s, s:s, s:s%, s:s}", "id", m->id, "conversation_id", c->id,
			 "role", m->role, "content", m->content, m->content_len, "created_at",
			 created);
}

enum relay_rc conv_store_create(struct conv_store *s, const char *tenant_id,
				const struct conv_fields *f, int64_t now_ms, json_t **conv,
				char id[PREFIXED_ID_MAX + 1])
{
	struct conv_tenant *t = NULL;
	struct conversation *c = NULL;
	json_t *out = NULL;
	enum relay_rc rc = RELAY_E_NOMEM;

	if (s == NULL || tenant_id == NULL || f == NULL || f->visitor_user_id == NULL ||
	    (f->metadata != NULL && !json_is_object(f->metadata)))
		return RELAY_E_INVALID_ARGUMENT;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto out;
	rc = ids_prefixed("conv_", now_ms, c->id);
	if (rc != RELAY_OK)
		goto out;
	rc = RELAY_E_NOMEM;
	c->visitor_user_id = strdup(f->visitor_user_id);
	c->visitor_display_name =
		f->visitor_display_name != NULL ? strdup(f->visitor_display_name) : NULL;
	c->locale = strdup(f->locale != NULL ? f->locale : "fr");
	c->metadata = f->metadata != NULL ? json_deep_copy(f->metadata) : json_object();
	c->created_ms = now_ms;
	c->seq = __atomic_fetch_add(&s->next_seq, 1, __ATOMIC_RELAXED);
	c->life.human = f->mode != NULL && strcmp(f->mode, "human") == 0;
	if (f->routing_key != NULL) {
		if (strlen(f->routing_key) >= sizeof(c->life.routing_key)) {
			rc = RELAY_E_INVALID_ARGUMENT;
			goto out;
		}
		snprintf(c->life.routing_key, sizeof(c->life.routing_key), "%s", f->routing_key);
		c->life.has_routing_key = true;
	}
	if (c->visitor_user_id == NULL || c->locale == NULL || c->metadata == NULL ||
	    (f->visitor_display_name != NULL && c->visitor_display_name == NULL))
		goto out;
	out = conversation_json(c);
	if (out == NULL)
		goto out;
	c->json = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (c->json == NULL)
		goto out;
	c->json_len = strlen(c->json);

	t = bucket_lock(s, tenant_id, 1);
	if (t == NULL)
		goto out;
	if (map_count(&t->convs) >= CONV_MAX_PER_TENANT) {
		rc = RELAY_E_CAPACITY_EXCEEDED;
		goto out;
	}
	rc = map_put(&t->convs, c->id, c);
	if (rc != RELAY_OK)
		goto out;
	if (s->db != NULL) /* §14: its JSON text, queued under the bucket lock */
		statedb_put(s->db, STATEDB_CONVERSATION, c->id, tenant_id, NULL, c->created_ms,
			    strdup(c->json));
	if (id != NULL)
		memcpy(id, c->id, sizeof(c->id));
	c = NULL;
	if (conv != NULL) {
		*conv = out;
		out = NULL;
	}
out:
	if (t != NULL)
		bucket_unlock(s, t);
	conversation_free(c);
	json_decref(out);
	return rc;
}

void conv_store_remove(struct conv_store *s, const char *tenant_id, const char *conversation_id)
{
	struct conv_tenant *t;

	if (s == NULL || tenant_id == NULL || conversation_id == NULL)
		return;
	t = bucket_lock(s, tenant_id, 0);
	if (t == NULL)
		return;
	conversation_free(map_remove(&t->convs, conversation_id));
	statedb_del(s->db, STATEDB_CONVERSATION, conversation_id);
	bucket_unlock(s, t);
}

enum relay_rc conv_store_fetch_text(struct conv_store *s, const char *tenant_id,
				    const char *conversation_id, conv_text_fn *use, void *cls)
{
	struct conv_tenant *t;
	struct conversation *c;
	enum relay_rc rc = RELAY_E_CONVERSATION_NOT_FOUND;

	if (s == NULL || tenant_id == NULL || conversation_id == NULL || use == NULL)
		return rc;
	t = bucket_lock(s, tenant_id, 0);
	if (t == NULL)
		return rc;
	c = map_get(&t->convs, conversation_id);
	if (c != NULL) {
		use(cls, c->json, c->json_len, c->life.status);
		rc = RELAY_OK;
	}
	bucket_unlock(s, t);
	return rc;
}

/* conv_store_fetch()'s reader: the text parsed (NULL when out of memory). */
static void parse_text(void *cls, const char *text, size_t len, enum conv_status status)
{
	(void)status;
	*(json_t **)cls = json_loadb(text, len, 0, NULL);
}

enum relay_rc conv_store_fetch(struct conv_store *s, const char *tenant_id,
			       const char *conversation_id, json_t **conv)
{
	json_t *parsed = NULL;
	enum relay_rc rc;

	rc = conv_store_fetch_text(s, tenant_id, conversation_id, parse_text, &parsed);
	if (rc == RELAY_OK && parsed == NULL)
		rc = RELAY_E_NOMEM;
	if (rc == RELAY_OK && conv != NULL)
		*conv = parsed;
	else
		json_decref(parsed);
	return rc;
}

/* Adds message m to c (bucket locked): m.content is taken on RELAY_OK. */
static enum relay_rc message_add(struct conversation *c, struct message *m)
{
	if (c->n_messages >= CONV_MAX_MESSAGES)
		return RELAY_E_CAPACITY_EXCEEDED;
	if (c->n_messages == c->cap_messages) {
		size_t cap = c->cap_messages == 0 ? 16 : c->cap_messages * 2;
		struct message *grown;

		if (cap > CONV_MAX_MESSAGES)
			cap = CONV_MAX_MESSAGES;
		grown = realloc(c->messages, cap * sizeof(*grown));
		if (grown == NULL)
			return RELAY_E_NOMEM;
		c->messages = grown;
		c->cap_messages = cap;
	}
	c->messages[c->n_messages++] = *m;
	m->content = NULL;
	return RELAY_OK;
}

/* §14: a message read back from the state file, into its conversation. */
static enum relay_rc append_loaded(struct conv_store *s, const char *tenant_id,
				   const char *conversation_id, const char *id, const char *role,
				   const char *content, size_t content_len, int64_t created_ms)
{
	struct conv_tenant *t;
	struct conversation *c;
	struct message m;
	enum relay_rc rc = RELAY_E_CONVERSATION_NOT_FOUND;

	memset(&m, 0, sizeof(m));
	memcpy(m.id, id, strlen(id) + 1);
	m.role = role;
	m.created_ms = created_ms;
	m.content_len = content_len;
	m.content = malloc(content_len + 1);
	if (m.content == NULL)
		return RELAY_E_NOMEM;
	memcpy(m.content, content, content_len);
	m.content[content_len] = '\0';
	t = bucket_lock(s, tenant_id, 0);
	if (t != NULL) {
		c = map_get(&t->convs, conversation_id);
		if (c != NULL)
			rc = message_add(c, &m);
		bucket_unlock(s, t);
	}
	free(m.content);
	return rc;
}

/* §14: queues message m of c (bucket locked). */
static void persist_message(struct conv_store *s, const char *tenant_id,
			    const struct conversation *c, const struct message *m)
{
	json_t *obj = message_json(c, m);

	statedb_put(s->db, STATEDB_MESSAGE, m->id, tenant_id, c->id, m->created_ms,
		    obj != NULL ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL);
	json_decref(obj);
}

enum relay_rc conv_store_append_message(struct conv_store *s, const char *tenant_id,
					const char *conversation_id, const char *role,
					const char *content, size_t content_len, int64_t now_ms,
					json_t **msg)
{
	struct conv_tenant *t = NULL;
	struct conversation *c;
	struct message m;
	enum relay_rc rc;

	memset(&m, 0, sizeof(m));
	if (s == NULL || tenant_id == NULL || conversation_id == NULL || content == NULL ||
	    role_static(role) == NULL)
		return RELAY_E_INVALID_ARGUMENT;
	m.role = role_static(role);
	m.created_ms = now_ms;
	m.content_len = content_len;
	rc = ids_prefixed("msg_", now_ms, m.id);
	if (rc != RELAY_OK)
		return rc;
	m.content = malloc(content_len + 1);
	if (m.content == NULL)
		return RELAY_E_NOMEM;
	memcpy(m.content, content, content_len);
	m.content[content_len] = '\0';

	rc = RELAY_E_CONVERSATION_NOT_FOUND;
	t = bucket_lock(s, tenant_id, 0);
	if (t == NULL)
		goto out;
	c = map_get(&t->convs, conversation_id);
	if (c == NULL)
		goto out;
	rc = RELAY_E_CAPACITY_EXCEEDED;
	if (c->n_messages >= CONV_MAX_MESSAGES)
		goto out;
	rc = RELAY_E_NOMEM;
	if (c->n_messages == c->cap_messages) {
		size_t cap = c->cap_messages == 0 ? 16 : c->cap_messages * 2;
		struct message *grown;

		if (cap > CONV_MAX_MESSAGES)
			cap = CONV_MAX_MESSAGES;
		grown = realloc(c->messages, cap * sizeof(*grown));
		if (grown == NULL)
			goto out;
		c->messages = grown;
		c->cap_messages = cap;
	}
	if (msg != NULL) {
		*msg = message_json(c, &m);
		if (*msg == NULL)
			goto out;
	}
	if (s->db != NULL) /* §14 */
		persist_message(s, tenant_id, c, &m);
	c->messages[c->n_messages++] = m;
	m.content = NULL;
	rc = RELAY_OK;
out:
	if (t != NULL)
		bucket_unlock(s, t);
	free(m.content);
	return rc;
}

enum relay_rc conv_store_fetch_messages(struct conv_store *s, const char *tenant_id,
					const char *conversation_id, size_t limit, size_t offset,
					json_t **page)
{
	struct conv_tenant *t;
	struct conversation *c;
	json_t *items = NULL, *out = NULL;
	size_t i;
	enum relay_rc rc = RELAY_E_CONVERSATION_NOT_FOUND;

	if (s == NULL || tenant_id == NULL || conversation_id == NULL || page == NULL)
		return RELAY_E_INVALID_ARGUMENT;
	t = bucket_lock(s, tenant_id, 0);
	if (t == NULL)
		return rc;
	c = map_get(&t->convs, conversation_id);
	if (c == NULL)
		goto out;
	rc = RELAY_E_NOMEM;
	items = json_array();
	if (items == NULL)
		goto out;
	for (i = offset; i < c->n_messages && i - offset < limit; i++) {
		if (json_array_append_new(items, message_json(c, &c->messages[i])) != 0)
			goto out;
	}
	out = json_pack("{s:O, s:I, s:I, s:I}", "items", items, "total", (json_int_t)c->n_messages,
			"limit", (json_int_t)limit, "offset", (json_int_t)offset);
	if (out == NULL)
		goto out;
	*page = out;
	rc = RELAY_OK;
out:
	bucket_unlock(s, t);
	json_decref(items);
	return rc;
}

/* The conversations a list collects: those keep accepts (NULL: every one). */
struct list_ctx {
	bool (*keep)(void *ctx, const struct conv_life *life);
	void *keep_ctx;
	const struct conversation **found;
	size_t n;
};

static int list_collect(void *ctx, const char *key, void *value)
{
	struct list_ctx *l = ctx;
	const struct conversation *c = value;

	(void)key;
	if (l->keep == NULL || l->keep(l->keep_ctx, &c->life))
		l->found[l->n++] = c;
	return 0;
}

/*
 * Collects t's conversations that l->keep accepts into l->found (malloc'd, the caller
 * frees it; its pointers live while t's bucket stays locked), sorted by cmp.
 * The caller holds t's bucket lock.
 */
static enum relay_rc list_gather(struct conv_tenant *t, struct list_ctx *l,
				 int (*cmp)(const void *a, const void *b))
{
	/* at most CONV_MAX_PER_TENANT conversations (§13) */
	l->found = malloc((map_count(&t->convs) + 1) * sizeof(*l->found));
	if (l->found == NULL)
		return RELAY_E_NOMEM;
	(void)map_each(&t->convs, list_collect, l);
	qsort(l->found, l->n, sizeof(*l->found), cmp);
	return RELAY_OK;
}

/* Newest first: created_ms descending, then id descending (ids are time-ordered). */
static int list_cmp(const void *a, const void *b)
{
	const struct conversation *x = *(const struct conversation *const *)a;
	const struct conversation *y = *(const struct conversation *const *)b;

	if (x->created_ms != y->created_ms)
		return x->created_ms > y->created_ms ? -1 : 1;
	return -strcmp(x->id, y->id);
}

/*
 * A conversation as listed by §10.6.1 (new reference, NULL when out of memory): the
 * conversation object (its mode and routing_key included, §9.6) and "message_count".
 */
static json_t *list_item_json(const struct conversation *c)
{
	json_t *o = json_loadb(c->json, c->json_len, JSON_DECODE_ANY, NULL);

	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "message_count", json_integer((json_int_t)c->n_messages)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

enum relay_rc conv_store_list_recent(struct conv_store *s, const char *tenant_id, size_t limit,
				     json_t **page)
{
	struct conv_tenant *t;
	struct list_ctx l = {NULL, NULL, NULL, 0};
	json_t *items = NULL, *out;
	enum relay_rc rc = RELAY_E_NOMEM;
	size_t i, total = 0;

	if (s == NULL || tenant_id == NULL || page == NULL)
		return RELAY_E_INVALID_ARGUMENT;
	items = json_array();
	if (items == NULL)
		return RELAY_E_NOMEM;
	t = bucket_lock(s, tenant_id, 0);
	if (t != NULL) {
		total = map_count(&t->convs);
		if (list_gather(t, &l, list_cmp) != RELAY_OK)
			goto out;
		for (i = 0; i < l.n && i < limit; i++) {
			if (json_array_append_new(items, list_item_json(l.found[i])) != 0)
				goto out;
		}
	}
	out = json_pack("{s:O, s:I}", "items", items, "total", (json_int_t)total);
	if (out == NULL)
		goto out;
	*page = out;
	rc = RELAY_OK;
out:
	if (t != NULL)
		bucket_unlock(s, t);
	free(l.found);
	json_decref(items);
	return rc;
}

size_t conv_store_count(struct conv_store *s, const char *tenant_id)
{
	struct conv_tenant *t = bucket_lock(s, tenant_id, 0);
	size_t n;

	if (t == NULL)
		return 0;
	n = map_count(&t->convs);
	bucket_unlock(s, t);
	return n;
}

enum relay_rc conv_store_life_apply(struct conv_store *s, const char *tenant_id,
				    const char *conversation_id, conv_life_fn fn,
				    conv_life_done_fn done, void *ctx, json_t **conv)
{
	struct conv_tenant *t;
	struct conversation *c;
	struct conv_life life, before;
	json_t *obj = NULL;
	enum relay_rc rc = RELAY_E_CONVERSATION_NOT_FOUND;

	if (s == NULL || tenant_id == NULL || conversation_id == NULL || fn == NULL)
		return rc;
	t = bucket_lock(s, tenant_id, 0);
	if (t == NULL)
		return rc;
	c = map_get(&t->convs, conversation_id);
	if (c == NULL)
		goto out;
	life = c->life;
	rc = fn(ctx, &life);
	if (rc != RELAY_OK)
		goto out;
	if (memcmp(&life, &c->life, sizeof(life)) != 0) {
		before = c->life;
		c->life = life;
		rc = conversation_rebuild(c, &obj);
		if (rc != RELAY_OK) {
			c->life = before;
			goto out;
		}
		/* §14: the new status, ticket and operator, queued under the lock in the
		 * order of the changes; committed before the request is answered */
		if (s->db != NULL)
			statedb_put(s->db, STATEDB_CONVERSATION, c->id, tenant_id, NULL,
				    c->created_ms, conversation_row(c));
		if (done != NULL)
			done(ctx, obj);
	} else if (conv != NULL) {
		obj = json_loadb(c->json, c->json_len, 0, NULL);
		if (obj == NULL) {
			rc = RELAY_E_NOMEM;
			goto out;
		}
	}
	if (conv != NULL) {
		*conv = obj;
		obj = NULL;
	}
out:
	bucket_unlock(s, t);
	json_decref(obj);
	return rc;
}

enum relay_rc conv_store_life_get(struct conv_store *s, const char *tenant_id,
				  const char *conversation_id, struct conv_life *out)
{
	struct conv_tenant *t;
	struct conversation *c;
	enum relay_rc rc = RELAY_E_CONVERSATION_NOT_FOUND;

	if (s == NULL || tenant_id == NULL || conversation_id == NULL || out == NULL)
		return rc;
	t = bucket_lock(s, tenant_id, 0);
	if (t == NULL)
		return rc;
	c = map_get(&t->convs, conversation_id);
	if (c != NULL) {
		*out = c->life;
		rc = RELAY_OK;
	}
	bucket_unlock(s, t);
	return rc;
}

/* Creation order. */
static int conv_cmp(const void *a, const void *b)
{
	const struct conversation *x = *(const struct conversation *const *)a;
	const struct conversation *y = *(const struct conversation *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

enum relay_rc conv_store_list(struct conv_store *s, const char *tenant_id,
			      bool (*keep)(void *ctx, const struct conv_life *life), void *ctx,
			      size_t limit, size_t offset, json_t **page)
{
	struct conv_tenant *t;
	struct list_ctx l = {keep, ctx, NULL, 0};
	json_t *items = json_array(), *o;
	enum relay_rc rc = RELAY_E_NOMEM;
	size_t i;

	if (items == NULL || keep == NULL || page == NULL)
		goto fail;
	t = bucket_lock(s, tenant_id, 0);
	if (t != NULL) {
		if (list_gather(t, &l, conv_cmp) != RELAY_OK) {
			bucket_unlock(s, t);
			goto fail;
		}
		for (i = offset; i < l.n && i - offset < limit; i++) {
			o = json_loadb(l.found[i]->json, l.found[i]->json_len, 0, NULL);
			if (o == NULL || json_array_append_new(items, o) != 0) {
				bucket_unlock(s, t);
				goto fail;
			}
		}
		bucket_unlock(s, t);
	}
	*page = json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total", (json_int_t)l.n, "limit",
			  (json_int_t)limit, "offset", (json_int_t)offset);
	items = NULL;
	rc = *page != NULL ? RELAY_OK : RELAY_E_NOMEM;
fail:
	free(l.found);
	json_decref(items);
	return rc;
}

void conv_store_set_statedb(struct conv_store *s, struct statedb *db)
{
	s->db = db;
}

enum relay_rc conv_store_load(struct conv_store *s, const char *tenant_id, int64_t created_ms,
			      const json_t *obj)
{
	const char *id = json_string_value(json_object_get(obj, "id"));
	const char *vuid = json_string_value(json_object_get(obj, "visitor_user_id"));
	const char *name = json_string_value(json_object_get(obj, "visitor_display_name"));
	const char *locale = json_string_value(json_object_get(obj, "locale"));
	json_t *metadata = json_object_get(obj, "metadata");
	/* §9.6 lifecycle state; absent in files written before it existed (open, bot) */
	const char *status = json_string_value(json_object_get(obj, "status"));
	const char *mode = json_string_value(json_object_get(obj, "mode"));
	const char *routing_key = json_string_value(json_object_get(obj, "routing_key"));
	const char *ticket = json_string_value(json_object_get(obj, "ticket_id"));
	const char *operator_id = json_string_value(json_object_get(obj, "operator_id"));
	json_t *ticket_ms = json_object_get(obj, "ticket_created_ms");
	struct conversation *c = NULL;
	struct conv_tenant *t = NULL;
	json_t *shown = NULL;
	enum relay_rc rc = RELAY_E_INVALID_ARGUMENT;
	size_t i;

	if (id == NULL || strlen(id) > PREFIXED_ID_MAX || vuid == NULL || locale == NULL ||
	    !json_is_object(metadata) ||
	    (routing_key != NULL && strlen(routing_key) >= sizeof(c->life.routing_key)) ||
	    (ticket != NULL && strlen(ticket) > PREFIXED_ID_MAX) ||
	    (operator_id != NULL && strlen(operator_id) > PREFIXED_ID_MAX) ||
	    (ticket_ms != NULL && !json_is_integer(ticket_ms)))
		goto out;
	rc = RELAY_E_NOMEM;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto out;
	if (status != NULL) {
		for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
			if (strcmp(status, status_names[i]) == 0)
				break;
		if (i == sizeof(status_names) / sizeof(status_names[0])) {
			rc = RELAY_E_INVALID_ARGUMENT;
			goto out;
		}
		c->life.status = (enum conv_status)i;
	}
	c->life.human = mode != NULL && strcmp(mode, "human") == 0;
	if (routing_key != NULL) {
		memcpy(c->life.routing_key, routing_key, strlen(routing_key) + 1);
		c->life.has_routing_key = true;
	}
	if (ticket != NULL) {
		memcpy(c->life.ticket_id, ticket, strlen(ticket) + 1);
		c->life.ticket_created_ms =
			ticket_ms != NULL ? (int64_t)json_integer_value(ticket_ms) : created_ms;
	}
	if (operator_id != NULL)
		memcpy(c->life.operator_id, operator_id, strlen(operator_id) + 1);
	memcpy(c->id, id, strlen(id) + 1);
	c->visitor_user_id = strdup(vuid);
	c->visitor_display_name = name != NULL ? strdup(name) : NULL;
	c->locale = strdup(locale);
	c->metadata = json_deep_copy(metadata);
	c->created_ms = created_ms;
	c->seq = __atomic_fetch_add(&s->next_seq, 1, __ATOMIC_RELAXED); /* file order */
	if (c->visitor_user_id == NULL || c->locale == NULL || c->metadata == NULL ||
	    (name != NULL && c->visitor_display_name == NULL))
		goto out;
	/* the object as the API shows it (without the row's hidden fields) */
	shown = conversation_json(c);
	c->json = shown != NULL ? json_dumps(shown, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (c->json == NULL)
		goto out;
	c->json_len = strlen(c->json);
	t = bucket_lock(s, tenant_id, 1);
	if (t == NULL)
		goto out;
	rc = RELAY_E_CAPACITY_EXCEEDED;
	if (map_count(&t->convs) >= CONV_MAX_PER_TENANT)
		goto out;
	rc = map_put(&t->convs, c->id, c);
	if (rc == RELAY_OK)
		c = NULL;
out:
	if (t != NULL)
		bucket_unlock(s, t);
	conversation_free(c);
	json_decref(shown);
	return rc;
}

enum relay_rc conv_store_load_message(struct conv_store *s, const char *tenant_id,
				      const char *conversation_id, int64_t created_ms,
				      const json_t *obj)
{
	const char *id = json_string_value(json_object_get(obj, "id"));
	const char *role = json_string_value(json_object_get(obj, "role"));
	const json_t *content = json_object_get(obj, "content");

	if (id == NULL || strlen(id) > PREFIXED_ID_MAX || role_static(role) == NULL ||
	    !json_is_string(content))
		return RELAY_E_INVALID_ARGUMENT;
	return append_loaded(s, tenant_id, conversation_id, id, role_static(role),
			     json_string_value(content), json_string_length(content), created_ms);
}
