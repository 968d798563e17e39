/*
 * relay_faults.c - fault rules (SPEC §10.4).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "relay_faults.h"

struct fault_rule {
	int id;
	char prefix[FAULT_PREFIX_MAX + 1];
	int times; /* remaining */
	struct fault_hit hit;
};

struct relay_faults {
	pthread_mutex_t mu;
	atomic_int armed; /* number of rules; 0 lets faults_take() skip the lock */
	struct fault_rule rules[FAULTS_MAX];
	int n;
	int next_id;
};

struct relay_faults *faults_new(void)
{
	struct relay_faults *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	pthread_mutex_init(&f->mu, NULL);
	atomic_init(&f->armed, 0);
	f->next_id = 1;
	return f;
}

void faults_free(struct relay_faults *f)
{
	if (f == NULL)
		return;
	pthread_mutex_destroy(&f->mu);
	free(f);
}

int faults_clear(struct relay_faults *f)
{
	int n;

	pthread_mutex_lock(&f->mu);
	n = f->n;
	f->n = 0;
	atomic_store(&f->armed, 0);
	pthread_mutex_unlock(&f->mu);
	return n;
}

void faults_reset(struct relay_faults *f)
{
	(void)faults_clear(f);
	pthread_mutex_lock(&f->mu);
	f->next_id = 1;
	pthread_mutex_unlock(&f->mu);
}

static json_t *rule_json(const struct fault_rule *r)
{
	return json_pack("{s:i, s:s, s:i, s:o, s:o, s:b}", "fault_id", r->id, "path_prefix",
			 r->prefix, "times", r->times, "status",
			 r->hit.kind == FAULT_STATUS ? json_integer(r->hit.status) : json_null(),
			 "delay_ms",
			 r->hit.kind == FAULT_DELAY ? json_integer(r->hit.delay_ms) : json_null(),
			 "drop", r->hit.kind == FAULT_DROP);
}

enum relay_rc faults_add(struct relay_faults *f, const json_t *body, json_t **rule,
			 const char **field)
{
	const json_t *prefix, *times, *status, *delay, *drop;
	struct fault_rule r;
	enum relay_rc rc = RELAY_E_VALIDATION_FAILED;
	int kinds = 0;

	memset(&r, 0, sizeof(r));
	*field = NULL;
	prefix = json_object_get(body, "path_prefix");
	times = json_object_get(body, "times");
	status = json_object_get(body, "status");
	delay = json_object_get(body, "delay_ms");
	drop = json_object_get(body, "drop");
	/* The unused kinds may be sent as null (and drop as false), as GET returns them. */
	if (json_is_null(status))
		status = NULL;
	if (json_is_null(delay))
		delay = NULL;
	if (json_is_null(drop) || json_is_false(drop))
		drop = NULL;
	if (!json_is_string(prefix) || json_string_length(prefix) == 0 ||
	    json_string_length(prefix) > FAULT_PREFIX_MAX || json_string_value(prefix)[0] != '/') {
		*field = "path_prefix";
		goto out;
	}
	memcpy(r.prefix, json_string_value(prefix), json_string_length(prefix) + 1);
	r.times = 1;
	if (times != NULL) {
		if (!json_is_integer(times) || json_integer_value(times) < 1 ||
		    json_integer_value(times) > FAULT_TIMES_MAX) {
			*field = "times";
			goto out;
		}
		r.times = (int)json_integer_value(times);
	}
	if (status != NULL) {
		kinds++;
		if (!json_is_integer(status) || json_integer_value(status) < 400 ||
		    json_integer_value(status) > 599) {
			*field = "status";
			goto out;
		}
		r.hit.kind = FAULT_STATUS;
		r.hit.status = (int)json_integer_value(status);
	}
	if (delay != NULL) {
		kinds++;
		if (!json_is_integer(delay) || json_integer_value(delay) < 1 ||
		    json_integer_value(delay) > FAULT_DELAY_MAX_MS) {
			*field = "delay_ms";
			goto out;
		}
		r.hit.kind = FAULT_DELAY;
		r.hit.delay_ms = (int)json_integer_value(delay);
	}
	if (drop != NULL) {
		kinds++;
		if (!json_is_true(drop)) {
			*field = "drop";
			goto out;
		}
		r.hit.kind = FAULT_DROP;
	}
	if (kinds != 1) {
		*field = "status";
		goto out;
	}
	pthread_mutex_lock(&f->mu);
	if (f->n >= FAULTS_MAX) {
		pthread_mutex_unlock(&f->mu);
		rc = RELAY_E_CAPACITY_EXCEEDED;
		goto out;
	}
	r.id = f->next_id++;
	f->rules[f->n++] = r;
	atomic_store(&f->armed, f->n);
	pthread_mutex_unlock(&f->mu);
	*rule = rule_json(&r);
	rc = *rule != NULL ? RELAY_OK : RELAY_E_NOMEM;
out:
	return rc;
}

json_t *faults_to_json(struct relay_faults *f)
{
	json_t *arr = json_array();
	int i;

	if (arr == NULL)
		return NULL;
	pthread_mutex_lock(&f->mu);
	for (i = 0; i < f->n; i++) {
		if (json_array_append_new(arr, rule_json(&f->rules[i])) != 0) {
			json_decref(arr);
			arr = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&f->mu);
	return arr;
}

void faults_take(struct relay_faults *f, const char *path, struct fault_hit *hit)
{
	int i;

	memset(hit, 0, sizeof(*hit));
	if (atomic_load(&f->armed) == 0 || strncmp(path, "/__mock/", 8) == 0)
		return;
	pthread_mutex_lock(&f->mu);
	for (i = 0; i < f->n; i++) {
		struct fault_rule *r = &f->rules[i];

		if (strncmp(path, r->prefix, strlen(r->prefix)) != 0)
			continue;
		*hit = r->hit;
		if (--r->times == 0) {
			memmove(&f->rules[i], &f->rules[i + 1],
				(size_t)(f->n - i - 1) * sizeof(f->rules[0]));
			f->n--;
			atomic_store(&f->armed, f->n);
		}
		break;
	}
	pthread_mutex_unlock(&f->mu);
}
