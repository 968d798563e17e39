/*
 * relay_faults.h - injected faults (SPEC §10.4).
 *
 * At most FAULTS_MAX rules. Each matches request paths by prefix and fires for the
 * next `times` matching requests: answer with an error status, delay the answer, or
 * drop the connection without answering. Control-plane paths (/__mock/) are never
 * faulted. When no rule is set the check takes no lock.
 */
#ifndef RELAY_FAULTS_H
#define RELAY_FAULTS_H

#include <stdbool.h>

#include <jansson.h>

#include "relay_rc.h"

#define FAULTS_MAX         64
#define FAULT_PREFIX_MAX   1024  /* §10.4.2 */
#define FAULT_TIMES_MAX    1000  /* §10.4.2 */
#define FAULT_DELAY_MAX_MS 30000 /* §10.4.2 */

enum fault_kind { FAULT_NONE = 0, FAULT_STATUS, FAULT_DELAY, FAULT_DROP };

struct fault_hit {
	enum fault_kind kind;
	int status;   /* FAULT_STATUS: 400-599 */
	int delay_ms; /* FAULT_DELAY */
};

struct relay_faults;

struct relay_faults *faults_new(void);
void faults_free(struct relay_faults *f);
void faults_reset(struct relay_faults *f);

/*
 * Adds a rule from the JSON body of POST /__mock/faults: {"path_prefix", "times"
 * (default 1), exactly one of "status" | "delay_ms" | "drop": true}. On success *rule
 * is the stored rule as JSON (new reference): {"fault_id","path_prefix","times",
 * "status","delay_ms","drop"} with the unused kinds null / false (§10.4.1).
 * RELAY_E_VALIDATION_FAILED with *field; RELAY_E_CAPACITY_EXCEEDED past FAULTS_MAX.
 */
RELAY_WUR enum relay_rc faults_add(struct relay_faults *f, const json_t *body, json_t **rule,
				   const char **field);

/* The rules still armed, as a new JSON array. NULL when out of memory. */
json_t *faults_to_json(struct relay_faults *f);

/* Removes every rule; returns how many there were. */
int faults_clear(struct relay_faults *f);

/* First armed rule whose prefix matches path: consumes one of its times into *hit. */
void faults_take(struct relay_faults *f, const char *path, struct fault_hit *hit);

#endif
