/*
 * relay_callbacks.c - the callback delivery worker (see relay_callbacks.h).
 *
 * One mutex guards the ring of deliveries. Request threads only append to it and
 * wake the worker (curl_multi_wakeup); the worker owns every curl handle. A
 * delivery that is forgotten (ring full, reset) while an attempt is in flight is
 * marked so and freed by the worker when the attempt ends.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "relay_clock.h"
#include "relay_callbacks.h"
#include "relay_map.h"
#include "relay_statedb.h"

const char *const callbacks_events[CALLBACKS_EVENT_COUNT] = {
	"conversation-started", "message-received", "ticket-created",
	"ticket-assigned",      "ticket-resolved",  "escalation-triggered",
	"agent-assigned",       "agent-released",   "agent-resolved",
};

enum delivery_state { DELIVERY_PENDING, DELIVERY_DELIVERED, DELIVERY_FAILED };

enum attempt_error { ATTEMPT_OK, ATTEMPT_TIMEOUT, ATTEMPT_CONNECT, ATTEMPT_STATUS };

struct attempt {
	int64_t at_ms; /* mock clock when the attempt started */
	long status;   /* 0: no response */
	enum attempt_error error;
	int64_t duration_ms; /* wall clock */
};

struct delivery {
	char event_id[PREFIXED_ID_MAX + 1];
	char event[32];
	char tenant_id[HMAC1_TENANT_MAX + 1];
	char url[CALLBACKS_URL_MAX + 64];
	char order_key[PREFIXED_ID_MAX + 1]; /* the conversation it belongs to (§9.5.6), "" none */
	uint64_t order_hash;                 /* map_hash(order_key) */
	char *body; /* fixed once: every attempt sends these bytes (§9.2.2) */
	size_t body_len;
	enum delivery_state state;
	int n_attempts;
	struct attempt attempts[CALLBACKS_ATTEMPTS_MAX];
	int64_t next_mono_ms; /* when the next attempt is due (pending only) */
	bool in_flight;
	bool forgotten; /* removed from the ring while in flight: the worker frees it */
};

struct inflight {
	CURL *easy;
	struct curl_slist *headers;
	struct delivery *d;
	int64_t started_mono_ms;
	int64_t at_ms; /* mock clock at the start, signed into the request */
};

struct callbacks {
	struct callbacks_config cfg;
	const struct relay_clock *clock;
	callbacks_lookup_fn lookup;
	void *lookup_ctx;

	pthread_mutex_t lock;
	struct delivery *ring[CALLBACKS_KEEP]; /* ring[(head + i) % KEEP], oldest first */
	uint64_t blocked[CALLBACKS_KEEP];      /* scratch of order_blocked(), lock held */
	size_t head;
	size_t count;
	bool stop;

	CURLM *multi;
	pthread_t worker;
	bool worker_started;
	struct inflight flights[CALLBACKS_INFLIGHT_MAX]; /* worker-only */
	struct statedb *db; /* §14: NULL without --state; guarded by lock */
};

bool callbacks_event_known(const char *event)
{
	size_t i;

	if (event == NULL)
		return false;
	for (i = 0; i < CALLBACKS_EVENT_COUNT; i++)
		if (strcmp(event, callbacks_events[i]) == 0)
			return true;
	return false;
}

void callbacks_config_default(struct callbacks_config *cfg)
{
	cfg->attempts = CALLBACKS_ATTEMPTS_DEF;
	cfg->backoff_ms = CALLBACKS_BACKOFF_DEF_MS;
	cfg->timeout_ms = CALLBACKS_TIMEOUT_DEF_MS;
}

static void delivery_free(struct delivery *d)
{
	if (d == NULL)
		return;
	free(d->body);
	free(d);
}

static json_t *delivery_json(const struct delivery *d);

/* §14: queues d's record (its §10.5.1 object plus the body and retry state). Lock held. */
static void persist(struct callbacks *cb, const struct delivery *d)
{
	json_t *rec;
	char *text = NULL;

	if (cb->db == NULL)
		return;
	rec = delivery_json(d);
	if (rec != NULL &&
	    json_object_set_new(rec, "body", json_stringn(d->body, d->body_len)) == 0)
		text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rec);
	statedb_put(cb->db, STATEDB_CALLBACK, d->event_id, d->tenant_id, NULL,
		    d->n_attempts > 0 ? d->attempts[0].at_ms : 0, text);
}

/* Drop d from the caller's hands: now, or when its attempt ends. Lock held. */
static void delivery_forget(struct delivery *d)
{
	if (d->in_flight)
		d->forgotten = true;
	else
		delivery_free(d);
}

static size_t discard_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

/* Build one attempt's handle: fresh HMAC#1 headers over the fixed body (§9.2). */
static enum relay_rc flight_start(struct callbacks *cb, struct inflight *f, struct delivery *d,
				  const struct callbacks_tenant *t, int64_t now_ms)
{
	enum relay_rc rc = RELAY_E_NOMEM;
	struct hmac1_signed sig;
	struct curl_slist *h = NULL, *nh;
	CURL *easy = NULL;
	size_t i;
	const char *lines[5];
	char hl[3][HMAC1_HEADER_LINE_MAX];

	rc = hmac1_sign(t->secret, strlen(t->secret), now_ms, d->body, d->body_len, &sig);
	if (rc != RELAY_OK)
		goto out;
	rc = hmac1_header_lines(d->tenant_id, &sig, hl);
	if (rc != RELAY_OK)
		goto out;
	rc = RELAY_E_NOMEM;
	lines[0] = "Content-Type: application/json";
	lines[1] = hl[0];
	lines[2] = hl[1];
	lines[3] = hl[2];
	lines[4] = "Expect:";
	for (i = 0; i < 5; i++) {
		nh = curl_slist_append(h, lines[i]);
		if (nh == NULL)
			goto out;
		h = nh;
	}
	easy = curl_easy_init();
	if (easy == NULL)
		goto out;
	curl_easy_setopt(easy, CURLOPT_URL, d->url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)d->body_len);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)cb->cfg.timeout_ms);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "bloonio-mock-relay/" RELAY_VERSION);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, f);
	if (curl_multi_add_handle(cb->multi, easy) != CURLM_OK)
		goto out;
	f->easy = easy;
	f->headers = h;
	f->d = d;
	f->started_mono_ms = relay_clock_mono_ms();
	f->at_ms = now_ms;
	easy = NULL;
	h = NULL;
	rc = RELAY_OK;
out:
	if (easy != NULL)
		curl_easy_cleanup(easy);
	curl_slist_free_all(h);
	return rc;
}

/* Record an attempt on d and decide what comes next. Lock held. */
static void delivery_record(struct callbacks *cb, struct delivery *d, const struct attempt *a)
{
	if (d->n_attempts < CALLBACKS_ATTEMPTS_MAX)
		d->attempts[d->n_attempts++] = *a;
	if (a->error == ATTEMPT_OK) {
		d->state = DELIVERY_DELIVERED;
	} else if (d->n_attempts >= cb->cfg.attempts) {
		d->state = DELIVERY_FAILED;
	} else {
		int64_t delay = (int64_t)cb->cfg.backoff_ms << (d->n_attempts - 1);

		d->next_mono_ms = relay_clock_mono_ms() + delay;
	}
	persist(cb, d);
}

/*
 * §9.5.6: events of one conversation are delivered one at a time, in queue order.
 * Walks the ring oldest first and tells whether d (pending, at ring position i)
 * must wait: an earlier delivery of the same conversation is still pending.
 * blocked[] collects the hashes of conversations with a pending delivery so far;
 * *n_blocked its size. Lock held.
 */
static bool order_blocked(const struct delivery *d, uint64_t *blocked, size_t *n_blocked)
{
	size_t k;

	if (d->order_key[0] == '\0')
		return false;
	for (k = 0; k < *n_blocked; k++)
		if (blocked[k] == d->order_hash)
			return true;
	if (*n_blocked < CALLBACKS_KEEP)
		blocked[(*n_blocked)++] = d->order_hash;
	return false;
}

/* Start every due attempt that fits in a free slot. */
static void start_due(struct callbacks *cb)
{
	struct delivery *due[CALLBACKS_INFLIGHT_MAX];
	size_t n_due = 0, i, free_slots = 0, n_blocked = 0;
	int64_t now = relay_clock_mono_ms();

	for (i = 0; i < CALLBACKS_INFLIGHT_MAX; i++)
		if (cb->flights[i].easy == NULL)
			free_slots++;
	pthread_mutex_lock(&cb->lock);
	for (i = 0; i < cb->count && n_due < free_slots; i++) {
		struct delivery *d = cb->ring[(cb->head + i) % CALLBACKS_KEEP];

		if (d->state != DELIVERY_PENDING || order_blocked(d, cb->blocked, &n_blocked))
			continue;
		if (!d->in_flight && d->next_mono_ms <= now) {
			d->in_flight = true;
			due[n_due++] = d;
		}
	}
	pthread_mutex_unlock(&cb->lock);

	for (i = 0; i < n_due; i++) {
		struct delivery *d = due[i];
		struct callbacks_tenant *t = calloc(1, sizeof(*t));
		struct inflight *f = NULL;
		struct attempt a = {0};
		size_t k;
		bool known;

		for (k = 0; k < CALLBACKS_INFLIGHT_MAX; k++) {
			if (cb->flights[k].easy == NULL) {
				f = &cb->flights[k];
				break;
			}
		}
		a.at_ms = relay_clock_now_ms(cb->clock);
		/* The tenant's CURRENT secret, read now (§9.2.2). */
		known = t != NULL && cb->lookup(cb->lookup_ctx, d->tenant_id, t);
		if (f != NULL && known && flight_start(cb, f, d, t, a.at_ms) == RELAY_OK) {
			free(t);
			continue;
		}
		free(t);
		/* Tenant gone, or no handle: this attempt fails without a request. */
		a.error = ATTEMPT_CONNECT;
		pthread_mutex_lock(&cb->lock);
		d->in_flight = false;
		if (d->forgotten) {
			delivery_free(d);
		} else {
			delivery_record(cb, d, &a);
			if (!known) /* no secret to sign with: retrying cannot help */
				d->state = DELIVERY_FAILED;
		}
		pthread_mutex_unlock(&cb->lock);
	}
}

/* Collect finished attempts. */
static void finish_done(struct callbacks *cb)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(cb->multi, &left)) != NULL) {
		struct inflight *f = NULL;
		struct attempt a = {0};
		struct delivery *d;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		a.duration_ms = relay_clock_mono_ms() - f->started_mono_ms;
		a.status = status;
		if (msg->data.result == CURLE_OPERATION_TIMEDOUT)
			a.error = ATTEMPT_TIMEOUT;
		else if (msg->data.result != CURLE_OK || status == 0)
			a.error = ATTEMPT_CONNECT;
		else if (status < 200 || status > 299)
			a.error = ATTEMPT_STATUS;
		else
			a.error = ATTEMPT_OK;
		a.at_ms = f->at_ms;
		d = f->d;
		curl_multi_remove_handle(cb->multi, f->easy);
		curl_easy_cleanup(f->easy);
		curl_slist_free_all(f->headers);
		memset(f, 0, sizeof(*f));

		pthread_mutex_lock(&cb->lock);
		d->in_flight = false;
		if (d->forgotten) {
			delivery_free(d);
		} else {
			delivery_record(cb, d, &a);
		}
		pthread_mutex_unlock(&cb->lock);
	}
}

/* Milliseconds until the next pending attempt is due (capped), for curl_multi_poll. */
static int next_wait_ms(struct callbacks *cb)
{
	int64_t now = relay_clock_mono_ms(), best = 1000;
	size_t i, n_blocked = 0;

	pthread_mutex_lock(&cb->lock);
	for (i = 0; i < cb->count; i++) {
		struct delivery *d = cb->ring[(cb->head + i) % CALLBACKS_KEEP];

		if (d->state != DELIVERY_PENDING || order_blocked(d, cb->blocked, &n_blocked))
			continue;
		if (!d->in_flight && d->next_mono_ms - now < best)
			best = d->next_mono_ms - now;
	}
	pthread_mutex_unlock(&cb->lock);
	return best < 0 ? 0 : (int)best;
}

static void *worker_main(void *arg)
{
	struct callbacks *cb = arg;
	int running = 0;
	bool stop = false;
	size_t i;

	while (!stop) {
		start_due(cb);
		curl_multi_perform(cb->multi, &running);
		finish_done(cb);
		curl_multi_poll(cb->multi, NULL, 0, next_wait_ms(cb), NULL);
		curl_multi_perform(cb->multi, &running);
		finish_done(cb);
		pthread_mutex_lock(&cb->lock);
		stop = cb->stop;
		pthread_mutex_unlock(&cb->lock);
	}
	for (i = 0; i < CALLBACKS_INFLIGHT_MAX; i++) {
		struct inflight *f = &cb->flights[i];

		if (f->easy == NULL)
			continue;
		curl_multi_remove_handle(cb->multi, f->easy);
		curl_easy_cleanup(f->easy);
		curl_slist_free_all(f->headers);
		pthread_mutex_lock(&cb->lock);
		f->d->in_flight = false;
		if (f->d->forgotten)
			delivery_free(f->d);
		pthread_mutex_unlock(&cb->lock);
		memset(f, 0, sizeof(*f));
	}
	return NULL;
}

struct callbacks *callbacks_new(const struct callbacks_config *cfg, const struct relay_clock *clock,
				callbacks_lookup_fn lookup, void *lookup_ctx)
{
	struct callbacks *cb = calloc(1, sizeof(*cb));

	if (cb == NULL)
		return NULL;
	cb->cfg = *cfg;
	if (cb->cfg.attempts < 1)
		cb->cfg.attempts = 1;
	if (cb->cfg.attempts > CALLBACKS_ATTEMPTS_MAX)
		cb->cfg.attempts = CALLBACKS_ATTEMPTS_MAX;
	cb->clock = clock;
	cb->lookup = lookup;
	cb->lookup_ctx = lookup_ctx;
	pthread_mutex_init(&cb->lock, NULL);
	cb->multi = curl_multi_init();
	if (cb->multi == NULL)
		goto fail;
	if (pthread_create(&cb->worker, NULL, worker_main, cb) != 0)
		goto fail;
	cb->worker_started = true;
	return cb;
fail:
	callbacks_free(cb);
	return NULL;
}

void callbacks_free(struct callbacks *cb)
{
	size_t i;

	if (cb == NULL)
		return;
	if (cb->worker_started) {
		pthread_mutex_lock(&cb->lock);
		cb->stop = true;
		pthread_mutex_unlock(&cb->lock);
		curl_multi_wakeup(cb->multi);
		pthread_join(cb->worker, NULL);
	}
	for (i = 0; i < cb->count; i++)
		delivery_free(cb->ring[(cb->head + i) % CALLBACKS_KEEP]);
	if (cb->multi != NULL)
		curl_multi_cleanup(cb->multi);
	pthread_mutex_destroy(&cb->lock);
	free(cb);
}

void callbacks_reset(struct callbacks *cb)
{
	size_t i;

	if (cb == NULL)
		return;
	pthread_mutex_lock(&cb->lock);
	for (i = 0; i < cb->count; i++)
		delivery_forget(cb->ring[(cb->head + i) % CALLBACKS_KEEP]);
	cb->head = 0;
	cb->count = 0;
	pthread_mutex_unlock(&cb->lock);
}

/*
 * §9.5.6: the conversation an event belongs to: data.conversation_id (messages,
 * lifecycle events), data.conversation.id, or data.id of conversation-started.
 */
static void order_key_set(struct delivery *d, const char *event, const json_t *data)
{
	const char *key = json_string_value(json_object_get(data, "conversation_id"));

	if (key == NULL)
		key = json_string_value(
			json_object_get(json_object_get(data, "conversation"), "id"));
	if (key == NULL && strcmp(event, "conversation-started") == 0)
		key = json_string_value(json_object_get(data, "id"));
	if (key == NULL || strlen(key) > PREFIXED_ID_MAX)
		return;
	snprintf(d->order_key, sizeof(d->order_key), "%s", key);
	d->order_hash = map_hash(key);
}

/* {callback_url_base}/api/v1/chat-callbacks/<event>, base without trailing '/' (§9.1). */
static void build_url(const char *base, const char *event, char url[CALLBACKS_URL_MAX + 64])
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	snprintf(url, CALLBACKS_URL_MAX + 64, "%.*s%s%s", (int)n, base, CALLBACKS_PATH_PREFIX,
		 event);
}

enum relay_rc callbacks_enqueue(struct callbacks *cb, const char *tenant_id, const char *event,
				json_t *data, char event_id[PREFIXED_ID_MAX + 1],
				char url[CALLBACKS_URL_MAX + 64])
{
	enum relay_rc rc = RELAY_E_VALIDATION_FAILED;
	struct callbacks_tenant *t = NULL;
	struct delivery *d = NULL;
	json_t *payload = NULL;
	char occurred[RFC3339_LEN + 1];
	int64_t now_ms;

	if (data == NULL)
		data = json_object();
	if (!callbacks_event_known(event) || tenant_id == NULL ||
	    strlen(tenant_id) > HMAC1_TENANT_MAX)
		goto out;
	rc = RELAY_E_NOMEM;
	t = calloc(1, sizeof(*t));
	d = calloc(1, sizeof(*d));
	if (t == NULL || d == NULL || data == NULL)
		goto out;
	rc = RELAY_E_TENANT_NOT_FOUND;
	if (!cb->lookup(cb->lookup_ctx, tenant_id, t))
		goto out;
	rc = RELAY_E_VALIDATION_FAILED;
	if (t->url_base[0] == '\0')
		goto out;

	now_ms = relay_clock_now_ms(cb->clock);
	rc = ids_prefixed("evt_", now_ms, d->event_id);
	if (rc != RELAY_OK)
		goto out;
	rc = RELAY_E_NOMEM;
	ids_rfc3339(now_ms, occurred);
	snprintf(d->event, sizeof(d->event), "%s", event);
	snprintf(d->tenant_id, sizeof(d->tenant_id), "%s", tenant_id);
	build_url(t->url_base, event, d->url);
	/* Keys in the order of §9.3.1 (jansson keeps insertion order). */
	payload = json_pack("{s:s, s:s, s:s, s:s, s:O}", "event_id", d->event_id, "event", event,
			    "tenant_id", tenant_id, "occurred_at", occurred, "data", data);
	if (payload == NULL)
		goto out;
	d->body = json_dumps(payload, JSON_COMPACT);
	if (d->body == NULL)
		goto out;
	d->body_len = strlen(d->body);
	d->state = DELIVERY_PENDING;
	d->next_mono_ms = relay_clock_mono_ms();
	order_key_set(d, event, data);

	pthread_mutex_lock(&cb->lock);
	if (cb->count == CALLBACKS_KEEP) {
		statedb_del(cb->db, STATEDB_CALLBACK, cb->ring[cb->head]->event_id);
		delivery_forget(cb->ring[cb->head]);
		cb->head = (cb->head + 1) % CALLBACKS_KEEP;
		cb->count--;
	}
	cb->ring[(cb->head + cb->count) % CALLBACKS_KEEP] = d;
	cb->count++;
	persist(cb, d);
	pthread_mutex_unlock(&cb->lock);
	if (event_id != NULL)
		memcpy(event_id, d->event_id, sizeof(d->event_id));
	if (url != NULL)
		memcpy(url, d->url, sizeof(d->url));
	d = NULL;
	curl_multi_wakeup(cb->multi);
	rc = RELAY_OK;
out:
	json_decref(payload);
	json_decref(data);
	delivery_free(d);
	free(t);
	return rc;
}

static const char *attempt_error_name(enum attempt_error e)
{
	switch (e) {
	case ATTEMPT_TIMEOUT:
		return "timeout";
	case ATTEMPT_CONNECT:
		return "connect";
	case ATTEMPT_STATUS:
		return "status";
	default:
		return NULL;
	}
}

static const char *delivery_state_name(enum delivery_state s)
{
	switch (s) {
	case DELIVERY_DELIVERED:
		return "delivered";
	case DELIVERY_FAILED:
		return "failed";
	default:
		return "pending";
	}
}

/* One delivery as §10.5.1 shows it. Lock held. */
static json_t *delivery_json(const struct delivery *d)
{
	json_t *attempts = json_array(), *o;
	int i;

	if (attempts == NULL)
		return NULL;
	for (i = 0; i < d->n_attempts; i++) {
		const struct attempt *a = &d->attempts[i];
		const char *err = attempt_error_name(a->error);

		o = json_pack("{s:I, s:o, s:o, s:I}", "at_ms", (json_int_t)a->at_ms, "status",
			      a->status > 0 ? json_integer(a->status) : json_null(), "error",
			      err != NULL ? json_string(err) : json_null(), "duration_ms",
			      (json_int_t)a->duration_ms);
		if (o == NULL || json_array_append_new(attempts, o) != 0) {
			json_decref(attempts);
			return NULL;
		}
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "event_id", d->event_id, "event",
			 d->event, "tenant_id", d->tenant_id, "url", d->url, "state",
			 delivery_state_name(d->state), "attempts", attempts);
}

json_t *callbacks_list_json(struct callbacks *cb, const char *tenant_id, size_t limit)
{
	json_t *items = json_array(), *o;
	size_t i;

	if (items == NULL)
		return NULL;
	pthread_mutex_lock(&cb->lock);
	for (i = cb->count; i > 0 && json_array_size(items) < limit; i--) {
		const struct delivery *d = cb->ring[(cb->head + i - 1) % CALLBACKS_KEEP];

		if (tenant_id != NULL && strcmp(tenant_id, d->tenant_id) != 0)
			continue;
		o = delivery_json(d);
		if (o == NULL || json_array_append_new(items, o) != 0) {
			pthread_mutex_unlock(&cb->lock);
			json_decref(items);
			return NULL;
		}
	}
	pthread_mutex_unlock(&cb->lock);
	return json_pack("{s:o}", "items", items);
}

void callbacks_set_statedb(struct callbacks *cb, struct statedb *db)
{
	size_t i;

	pthread_mutex_lock(&cb->lock);
	cb->db = db;
	/* Attempts the worker made since callbacks_load() were not written yet. */
	for (i = 0; i < cb->count; i++)
		persist(cb, cb->ring[(cb->head + i) % CALLBACKS_KEEP]);
	pthread_mutex_unlock(&cb->lock);
}

/* Copies obj's string member key into dst[size]; false when absent or too long. */
static bool rec_copy(const json_t *obj, const char *key, char *dst, size_t size)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return false;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return true;
}

/* One attempt of a state-file record; false when malformed. */
static bool attempt_load(const json_t *o, struct attempt *a)
{
	const char *err = json_string_value(json_object_get(o, "error"));

	if (!json_is_object(o))
		return false;
	a->at_ms = json_integer_value(json_object_get(o, "at_ms"));
	a->status = (long)json_integer_value(json_object_get(o, "status"));
	a->duration_ms = json_integer_value(json_object_get(o, "duration_ms"));
	if (err == NULL)
		a->error = ATTEMPT_OK;
	else if (strcmp(err, "timeout") == 0)
		a->error = ATTEMPT_TIMEOUT;
	else if (strcmp(err, "connect") == 0)
		a->error = ATTEMPT_CONNECT;
	else if (strcmp(err, "status") == 0)
		a->error = ATTEMPT_STATUS;
	else
		return false;
	return true;
}

enum relay_rc callbacks_load(struct callbacks *cb, const json_t *rec)
{
	const char *state = json_string_value(json_object_get(rec, "state"));
	const json_t *body = json_object_get(rec, "body");
	const json_t *attempts = json_object_get(rec, "attempts"), *o;
	struct delivery *d = calloc(1, sizeof(*d));
	enum relay_rc rc = RELAY_E_INVALID_ARGUMENT;
	size_t i;

	if (d == NULL)
		return RELAY_E_NOMEM;
	if (!rec_copy(rec, "event_id", d->event_id, sizeof(d->event_id)) ||
	    !rec_copy(rec, "event", d->event, sizeof(d->event)) ||
	    !rec_copy(rec, "tenant_id", d->tenant_id, sizeof(d->tenant_id)) ||
	    !rec_copy(rec, "url", d->url, sizeof(d->url)) || state == NULL ||
	    !json_is_string(body) || !json_is_array(attempts) ||
	    json_array_size(attempts) > CALLBACKS_ATTEMPTS_MAX)
		goto out;
	if (strcmp(state, "pending") == 0)
		d->state = DELIVERY_PENDING;
	else if (strcmp(state, "delivered") == 0)
		d->state = DELIVERY_DELIVERED;
	else if (strcmp(state, "failed") == 0)
		d->state = DELIVERY_FAILED;
	else
		goto out;
	json_array_foreach(attempts, i, o)
	{
		if (!attempt_load(o, &d->attempts[i]))
			goto out;
	}
	d->n_attempts = (int)json_array_size(attempts);
	rc = RELAY_E_NOMEM;
	d->body_len = json_string_length(body);
	d->body = malloc(d->body_len + 1);
	if (d->body == NULL)
		goto out;
	memcpy(d->body, json_string_value(body), d->body_len + 1);
	d->next_mono_ms = relay_clock_mono_ms(); /* a pending delivery resumes at once (§14.1) */

	pthread_mutex_lock(&cb->lock);
	if (cb->count == CALLBACKS_KEEP) {
		delivery_forget(cb->ring[cb->head]);
		cb->head = (cb->head + 1) % CALLBACKS_KEEP;
		cb->count--;
	}
	cb->ring[(cb->head + cb->count) % CALLBACKS_KEEP] = d;
	cb->count++;
	pthread_mutex_unlock(&cb->lock);
	d = NULL;
	curl_multi_wakeup(cb->multi);
	rc = RELAY_OK;
out:
	delivery_free(d);
	return rc;
}
