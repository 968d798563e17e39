/*
 * hmac1_vectors.c - `hmac1 vectors FILE...`: every case of vector files through
 * relay_proto (SPEC.md §11), one "PASS|FAIL <id>" line per case.
 *
 * The file kind is read from its groups' "type": Hmac1Sign, Hmac1Verify,
 * CallbackVerify (hmac1_sign.json, hmac1_verify.json, callbacks.json),
 * OriginNormalize and OriginMatch (origins.json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "hmac1_cli.h"
#include "relay_hmac1.h"
#include "relay_origin.h"

#define WHY_MAX 320

static const char *str(const json_t *t, const char *key)
{
	const char *s = json_string_value(json_object_get(t, key));

	return s != NULL ? s : "";
}

/* An int64 given as a JSON integer or a string of digits. */
static int int64_of(const json_t *j, int64_t *out)
{
	if (json_is_integer(j)) {
		*out = (int64_t)json_integer_value(j);
		return 1;
	}
	return json_is_string(j) && cli_parse_ms(json_string_value(j), out);
}

/* "body" (UTF-8 text) or "body_hex"; caller frees. NULL when neither is usable. */
static unsigned char *body_of(const json_t *t, size_t *len)
{
	const json_t *body = json_object_get(t, "body");
	const json_t *hex = json_object_get(t, "body_hex");
	unsigned char *out, *tmp;
	long n = 0;

	if (json_is_string(body)) {
		n = (long)json_string_length(body);
		out = malloc((size_t)n + 1);
		if (out != NULL)
			memcpy(out, json_string_value(body), (size_t)n);
	} else if (json_is_string(hex) && json_string_length(hex) == 0) {
		out = malloc(1);
	} else if (json_is_string(hex)) {
		tmp = OPENSSL_hexstr2buf(json_string_value(hex), &n);
		if (tmp == NULL)
			return NULL;
		out = malloc((size_t)n + 1);
		if (out != NULL)
			memcpy(out, tmp, (size_t)n);
		OPENSSL_free(tmp);
	} else {
		return NULL;
	}
	*len = (size_t)n;
	return out;
}

/* Feeds a [[name, value], ...] array into h (values borrowed from the array). */
static void headers_of(const json_t *pairs, struct hmac1_headers *h)
{
	const json_t *pair;
	size_t i;

	hmac1_headers_init(h);
	json_array_foreach(pairs, i, pair)
	{
		hmac1_headers_add(h, json_string_value(json_array_get(pair, 0)),
				  json_string_value(json_array_get(pair, 1)));
	}
}

/* Each check returns 1 when the case holds, else 0 with why filled. */
static int check_sign(const json_t *t, char *why)
{
	const json_t *ts = json_object_get(t, "timestamp_ms");
	const char *secret = json_string_value(json_object_get(t, "secret"));
	struct hmac1_signed s;
	unsigned char *body;
	size_t len = 0;
	int64_t ms = 0;
	int ok = 0;

	body = body_of(t, &len);
	if (body == NULL || secret == NULL || ts == NULL) {
		snprintf(why, WHY_MAX, "case lacks secret, timestamp_ms or body");
		goto out;
	}
	/* the text as given (leading zeros survive); an integer is formatted */
	if (json_is_string(ts) ? hmac1_sign_text(secret, strlen(secret), json_string_value(ts),
						 body, len, &s) != RELAY_OK
			       : (!int64_of(ts, &ms) || hmac1_sign(secret, strlen(secret), ms, body,
								   len, &s) != RELAY_OK)) {
		snprintf(why, WHY_MAX, "the library refused to sign");
		goto out;
	}
	if (strcmp(s.body_sha256, str(t, "body_sha256")) != 0)
		snprintf(why, WHY_MAX, "body_sha256 is %s", s.body_sha256);
	else if (strcmp(s.signing_string, str(t, "signing_string")) != 0)
		snprintf(why, WHY_MAX, "signing_string is %s", s.signing_string);
	else if ((strcmp(s.signature, str(t, "signature")) == 0) !=
		 (strcmp(str(t, "result"), "invalid") != 0))
		snprintf(why, WHY_MAX, "signature is %s", s.signature);
	else
		ok = 1;
out:
	free(body);
	return ok;
}

/* Compares a verdict with a case's result/error/failed_step/status/body_sha256. */
static int compare_verdict(const json_t *t, const struct hmac1_verdict *v, int valid, char *why)
{
	const json_t *status = json_object_get(t, "status");
	const json_t *ss = json_object_get(t, "signing_string");

	if (valid != (v->rc == RELAY_OK)) {
		snprintf(why, WHY_MAX, "expected %s, got %s at step %s",
			 valid ? "accepted" : str(t, "error"),
			 v->rc == RELAY_OK ? "accepted" : relay_rc_code(v->rc),
			 hmac1_step_name(v->failed_step));
		return 0;
	}
	if (!valid &&
	    (strcmp(hmac1_step_name(v->failed_step), str(t, "failed_step")) != 0 ||
	     (json_object_get(t, "error") != NULL &&
	      strcmp(relay_rc_code(v->rc), str(t, "error")) != 0) ||
	     (json_is_integer(status) && json_integer_value(status) != relay_rc_status(v->rc)))) {
		snprintf(why, WHY_MAX, "expected %s at step %s, got %d %s at step %s",
			 str(t, "error"), str(t, "failed_step"), relay_rc_status(v->rc),
			 relay_rc_code(v->rc), hmac1_step_name(v->failed_step));
		return 0;
	}
	if (json_is_string(json_object_get(t, "body_sha256")) &&
	    strcmp(v->body_sha256, str(t, "body_sha256")) != 0) {
		snprintf(why, WHY_MAX, "body_sha256 is %s", v->body_sha256);
		return 0;
	}
	if (ss != NULL && strcmp(v->signing_string, str(t, "signing_string")) != 0) {
		snprintf(why, WHY_MAX, "signing_string is \"%s\"", v->signing_string);
		return 0;
	}
	return 1;
}

static int check_verify(const json_t *t, char *why)
{
	const json_t *ten;
	struct hmac1_headers h;
	struct hmac1_verdict v;
	unsigned char *body;
	const char *secret = NULL;
	size_t len = 0, i;
	int64_t now = 0;
	int suspended = 0, ok;

	body = body_of(t, &len);
	if (body == NULL || !int64_of(json_object_get(t, "now_ms"), &now)) {
		free(body);
		snprintf(why, WHY_MAX, "case lacks body or now_ms");
		return 0;
	}
	headers_of(json_object_get(t, "headers"), &h);
	json_array_foreach(json_object_get(t, "tenants"), i, ten)
	{
		if (h.tenant_id != NULL && strcmp(str(ten, "tenant_id"), h.tenant_id) == 0) {
			secret = json_string_value(json_object_get(ten, "tenant_secret"));
			suspended = strcmp(str(ten, "status"), "suspended") == 0;
		}
	}
	(void)hmac1_verify(&h, body, len, now, secret, secret != NULL ? strlen(secret) : 0,
			   suspended, &v);
	free(body);
	ok = compare_verdict(t, &v, strcmp(str(t, "result"), "valid") == 0, why);
	return ok;
}

/* A delivery checked by a backend that knows one tenant (SPEC.md §9.2). */
static int check_callback(const json_t *t, char *why)
{
	struct hmac1_headers h;
	struct hmac1_verdict v;
	unsigned char *body;
	const char *secret = NULL;
	size_t len = 0;
	int64_t now = 0;
	int accept;

	body = body_of(t, &len);
	if (body == NULL || !int64_of(json_object_get(t, "now_ms"), &now)) {
		free(body);
		snprintf(why, WHY_MAX, "case lacks body or now_ms");
		return 0;
	}
	headers_of(json_object_get(t, "headers"), &h);
	if (h.tenant_id != NULL && strcmp(h.tenant_id, str(t, "tenant_id")) == 0)
		secret = str(t, "tenant_secret");
	(void)hmac1_verify(&h, body, len, now, secret, secret != NULL ? strlen(secret) : 0, 0, &v);
	free(body);
	accept = strcmp(str(t, "expected_backend_response"), "2xx") == 0;
	if (accept != (v.rc == RELAY_OK)) {
		snprintf(why, WHY_MAX, "expected %s, got %s at step %s",
			 str(t, "expected_backend_response"), relay_rc_code(v.rc),
			 hmac1_step_name(v.failed_step));
		return 0;
	}
	if (!accept && strcmp(hmac1_step_name(v.failed_step), str(t, "failed_step")) != 0) {
		snprintf(why, WHY_MAX, "expected step %s, got %s", str(t, "failed_step"),
			 hmac1_step_name(v.failed_step));
		return 0;
	}
	if (json_is_string(json_object_get(t, "body_sha256")) &&
	    strcmp(v.body_sha256, str(t, "body_sha256")) != 0) {
		snprintf(why, WHY_MAX, "body_sha256 is %s", v.body_sha256);
		return 0;
	}
	return 1;
}

static int check_origin_normalize(const json_t *t, char *why)
{
	const json_t *in = json_object_get(t, "input");
	char out[ORIGIN_MAX_LEN + 1];
	const char *reason = "";
	int valid = strcmp(str(t, "result"), "valid") == 0;

	if (!json_is_string(in)) {
		snprintf(why, WHY_MAX, "case lacks input");
		return 0;
	}
	if (origin_normalize(json_string_value(in), json_string_length(in), out, sizeof(out),
			     &reason) != RELAY_OK) {
		if (valid)
			snprintf(why, WHY_MAX, "refused (%s)", reason);
		return !valid;
	}
	if (!valid) {
		snprintf(why, WHY_MAX, "accepted as %s", out);
		return 0;
	}
	if (strcmp(out, str(t, "normalized")) != 0) {
		snprintf(why, WHY_MAX, "normalized to %s", out);
		return 0;
	}
	return 1;
}

static int check_origin_match(const json_t *t, char *why)
{
	const json_t *allowed = json_object_get(t, "allowed"), *a;
	const char *origin = json_string_value(json_object_get(t, "origin"));
	const char *want = str(t, "result");
	char norm[32][ORIGIN_MAX_LEN + 1], out[ORIGIN_MAX_LEN + 1];
	const char *list[32];
	const char *got;
	size_t i, n = 0;

	if (origin == NULL || !json_is_array(allowed) || json_array_size(allowed) > 32) {
		snprintf(why, WHY_MAX, "case lacks origin or allowed[] (at most 32)");
		return 0;
	}
	/* allowed origins are stored normalized (invalid ones are refused at write time) */
	json_array_foreach(allowed, i, a)
	{
		const char *s = json_string_value(a);

		if (s != NULL &&
		    origin_normalize(s, strlen(s), norm[n], sizeof(norm[n]), NULL) == RELAY_OK) {
			list[n] = norm[n];
			n++;
		}
	}
	if (origin_normalize(origin, strlen(origin), out, sizeof(out), NULL) != RELAY_OK)
		got = "invalid";
	else
		got = origin_allowed(origin, strlen(origin), list, n) ? "match" : "no-match";
	if (strcmp(got, want) != 0) {
		snprintf(why, WHY_MAX, "expected %s, got %s", want, got);
		return 0;
	}
	return 1;
}

static const struct {
	const char *type;
	int (*check)(const json_t *t, char *why);
} kinds[] = {
	{"Hmac1Sign", check_sign},           {"Hmac1Verify", check_verify},
	{"CallbackVerify", check_callback},  {"OriginNormalize", check_origin_normalize},
	{"OriginMatch", check_origin_match},
};

static const char *id_of(const json_t *t, char *buf, size_t size)
{
	const char *id = json_string_value(json_object_get(t, "id"));

	if (id != NULL)
		return id;
	snprintf(buf, size, "tcId-%lld", (long long)json_integer_value(json_object_get(t, "tcId")));
	return buf;
}

/* Runs one file; returns -1 when it cannot be used at all. */
static int run_file(const char *path, int *passed, int *failed)
{
	json_t *root, *groups, *group, *t;
	json_error_t err;
	size_t gi, ti, k, cases = 0;
	char why[WHY_MAX], idbuf[64];

	root = json_load_file(path, 0, &err);
	if (root == NULL) {
		fprintf(stderr, "hmac1 vectors: %s: %s (line %d)\n", path, err.text, err.line);
		return -1;
	}
	groups = json_object_get(root, "testGroups");
	if (!json_is_array(groups) && json_object_get(root, "$schema") != NULL) {
		/* vectors/<name>.schema.json beside each file: so that vectors/ *.json works */
		printf("SKIP %s: a JSON Schema, not a vector file\n", path);
		json_decref(root);
		return 0;
	}
	if (!json_is_array(groups)) {
		fprintf(stderr, "hmac1 vectors: %s: no testGroups array\n", path);
		json_decref(root);
		return -1;
	}
	json_array_foreach(groups, gi, group)
	{
		const char *type = str(group, "type");
		int (*check)(const json_t *, char *) = NULL;

		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			if (strcmp(kinds[k].type, type) == 0)
				check = kinds[k].check;
		}
		if (check == NULL) {
			printf("FAIL %s group %zu: unknown type \"%s\" (algorithm \"%s\")\n", path,
			       gi, type, str(root, "algorithm"));
			(*failed)++;
			continue;
		}
		json_array_foreach(json_object_get(group, "tests"), ti, t)
		{
			why[0] = '\0';
			cases++;
			if (check(t, why)) {
				printf("PASS %s\n", id_of(t, idbuf, sizeof(idbuf)));
				(*passed)++;
			} else {
				printf("FAIL %s: %s\n", id_of(t, idbuf, sizeof(idbuf)), why);
				(*failed)++;
			}
		}
	}
	if (json_is_integer(json_object_get(root, "numberOfTests")) &&
	    (size_t)json_integer_value(json_object_get(root, "numberOfTests")) != cases) {
		printf("FAIL %s: numberOfTests is %lld but the file has %zu cases\n", path,
		       (long long)json_integer_value(json_object_get(root, "numberOfTests")),
		       cases);
		(*failed)++;
	}
	json_decref(root);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hmac1 vectors FILE...\n"
		   "\n"
		   "Runs every case of the vector files (SPEC.md §11) through the relay_proto\n"
		   "library: hmac1_sign.json, hmac1_verify.json, callbacks.json, origins.json\n"
		   "(JSON Schema files are skipped, so 'hmac1 vectors vectors/*.json' works).\n"
		   "Prints \"PASS <id>\" or \"FAIL <id>: <why>\" per case, then \"N passed, M "
		   "failed\".\n"
		   "Exit 0 when every case passes, 1 when one fails, 2 on a usage error or a file\n"
		   "that cannot be read.\n");
}

int hmac1_vectors_main(int argc, char **argv)
{
	int i, passed = 0, failed = 0, files = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_ACCEPTED;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "hmac1 vectors: unknown option %s\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc < 2) {
		fprintf(stderr, "hmac1 vectors: no vector file given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		if (run_file(argv[i], &passed, &failed) != 0)
			return EXIT_USAGE;
		files++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && files > 0 ? EXIT_ACCEPTED : EXIT_REFUSED;
}
