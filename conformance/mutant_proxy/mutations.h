/*
 * mutations.h - the single-rule breaks the mutant proxy applies to a relay's responses.
 *
 * Each mutation rewrites upstream responses so that exactly ONE observable rule of
 * SPEC.md is broken; the conformance suite must notice every one of them
 * (conformance/tests/test_mutations.sh). A few "tolerated" ones instead change an answer
 * in a way the suite must accept (a false failure it once had), and the test checks it
 * does. The mock itself never changes: there is no
 * test switch in the product path.
 */
#ifndef MUTATIONS_H
#define MUTATIONS_H

#include <stddef.h>

#include <jansson.h>

#define MUT_HEADERS_MAX 64

struct mut_header {
	char *name; /* owned */
	char *value;
};

/* One upstream response, as the proxy holds it before answering the client. */
struct mut_response {
	long status;
	struct mut_header headers[MUT_HEADERS_MAX];
	size_t n_headers;
	json_t *json;      /* parsed body (owned) or NULL when not JSON */
	int json_modified; /* set by a mutation that changed json */
};

/* What the client asked for (borrowed). */
struct mut_request {
	const char *method;
	const char *path; /* without the query string */
	const char *origin;
	const char *body; /* the request body (may be NULL), body_len bytes */
	size_t body_len;
};

struct mutation {
	const char *name;
	const char *spec; /* SPEC.md rule it breaks */
	const char *what; /* one line for --list */
	void (*apply)(const struct mut_request *rq, struct mut_response *rs);
};

/* The mutation called name, or NULL. "none" exists and changes nothing. */
const struct mutation *mutation_find(const char *name);

/* The table, for --list; *n receives its length. */
const struct mutation *mutation_table(size_t *n);

/* Header helpers used by the proxy and the mutations. */
const char *mut_header_get(const struct mut_response *rs, const char *name);
int mut_header_set(struct mut_response *rs, const char *name, const char *value);
void mut_header_remove(struct mut_response *rs, const char *name);
void mut_response_cleanup(struct mut_response *rs);

#endif
