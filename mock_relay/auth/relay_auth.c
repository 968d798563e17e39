/*
 * relay_auth.c - HMAC#1 gate (SPEC §4.5) and the admin key check (§2.1).
 */
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

#include "relay_auth.h"
#include "tenant_store.h"

int auth_admin_key_ok(const struct relay_request *req)
{
	const char *key = req->headers != NULL ? req->headers->admin_key : NULL;
	const char *want = req->st->cfg.admin_key;
	size_t n;

	/* §2.1.2: missing, empty, duplicated or wrong. */
	if (key == NULL || want[0] == '\0' || req->headers->admin_key_count != 1)
		return 0;
	n = strlen(want);
	if (strlen(key) != n)
		return 0;
	return CRYPTO_memcmp(key, want, n) == 0;
}

/* v in decimal into buf (at least 21 bytes); snprintf costs more than the rest of a header. */
static const char *decimal(char buf[21], int64_t v)
{
	char *p = buf + 20;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	*p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

static void rate_headers(struct relay_response *resp, const struct rate_verdict *v, bool limited)
{
	char buf[21];

	(void)response_header(resp, "X-RateLimit-Limit", decimal(buf, v->limit));
	(void)response_header(resp, "X-RateLimit-Remaining", decimal(buf, v->remaining));
	(void)response_header(resp, "X-RateLimit-Reset", decimal(buf, v->reset_s));
	if (limited)
		(void)response_header(resp, "Retry-After", decimal(buf, v->retry_after_s));
}

/* Copies the verdict's diagnostics into the journal entry (§10.3). */
static void record(struct journal_entry *je, const struct hmac1_headers *h,
		   const struct hmac1_verdict *v, enum hmac1_step failed, const char *detail)
{
	je->hmac1 = true;
	je->has_timestamp = h->timestamp != NULL && (h->duplicated & 2u) == 0;
	journal_copy(je->timestamp, sizeof(je->timestamp), je->has_timestamp ? h->timestamp : "");
	/* lowercase hex, and digits "." hex: nothing to sanitize */
	_Static_assert(sizeof(je->body_sha256) == sizeof(v->body_sha256), "body_sha256 size");
	_Static_assert(sizeof(je->signing_string) == sizeof(v->signing_string),
		       "signing_string size");
	memcpy(je->body_sha256, v->body_sha256, sizeof(je->body_sha256));
	memcpy(je->signing_string, v->signing_string, sizeof(je->signing_string));
	journal_copy(je->failed_step, sizeof(je->failed_step),
		     failed != HMAC1_STEP_NONE ? hmac1_step_name(failed) : "");
	journal_copy(je->detail, sizeof(je->detail), detail != NULL ? detail : "");
}

enum relay_rc auth_hmac1(struct relay_request *req, struct relay_response *resp)
{
	struct relay_state *st = req->st;
	struct hmac1_headers h;
	struct hmac1_verdict v;
	struct rate_verdict rv;
	enum hmac1_step failed = HMAC1_STEP_NONE;
	const char *detail = NULL;
	enum relay_rc rc;
	bool suspended = false;
	/* without a replay check between steps 3 and 6, one tenant lookup does both */
	struct rate_take take = {.now_ms = req->now_ms, .taken = false};

	/* the three headers, from the request's one header pass */
	if (req->headers != NULL)
		h = req->headers->hmac1;
	else
		hmac1_headers_init(&h);
	/* The tenant named by the header, for the journal and the log, even on failure. */
	if (h.tenant_id != NULL && (h.duplicated & 1u) == 0 &&
	    strlen(h.tenant_id) <= HMAC1_TENANT_MAX)
		journal_copy(req->journal->tenant_id, sizeof(req->journal->tenant_id), h.tenant_id);

	/* Steps 1-2: header syntax and the window (§4.1, §4.4), before any lookup. */
	rc = hmac1_verify_headers(&h, req->body, req->body_len, req->now_ms, &v);
	if (rc != RELAY_OK) {
		failed = v.failed_step;
		detail = v.detail;
		goto out;
	}
	/* Step 3: unknown tenant and wrong signature are the same answer (§4.3). */
	rc = tenant_store_verify(st->store, h.tenant_id, &h, &v, &suspended,
				 st->cfg.reject_replays ? NULL : &take);
	if (rc != RELAY_OK) {
		failed = v.failed_step;
		detail = v.detail;
		goto out;
	}
	/* Step 4: suspension (§2.7, documented 403). */
	if (suspended) {
		rc = RELAY_E_TENANT_SUSPENDED;
		failed = HMAC1_STEP_TENANT_STATUS;
		detail = "tenant is suspended";
		goto out;
	}
	/* Step 5: replays, only when asked to (§4.7). */
	if (st->cfg.reject_replays) {
		rc = tenant_store_replay_check(st->store, h.tenant_id, v.timestamp_ms, h.signature,
					       req->now_ms);
		if (rc != RELAY_OK) {
			failed = HMAC1_STEP_REPLAY;
			detail = "this (tenant, timestamp, signature) was already received";
			if (rc == RELAY_E_CAPACITY_EXCEEDED)
				detail = "replay cache full";
			if (rc == RELAY_E_TENANT_NOT_FOUND) {
				rc = RELAY_E_INVALID_SIGNATURE; /* reset in between */
				failed = HMAC1_STEP_SIGNATURE;
			}
			goto out;
		}
	}
	/* Step 6: the tenant's fixed 60 s window (§5). */
	if (take.taken) {
		rc = take.rc;
		rv = take.v;
	} else {
		rc = tenant_store_rate_limit_take(st->store, h.tenant_id, req->now_ms, &rv);
	}
	if (rc == RELAY_E_TENANT_NOT_FOUND) {
		rc = RELAY_E_INVALID_SIGNATURE;
		failed = HMAC1_STEP_SIGNATURE;
		detail = "tenant no longer exists";
		goto out;
	}
	rate_headers(resp, &rv, rc == RELAY_E_RATE_LIMITED);
	if (rc != RELAY_OK) {
		failed = HMAC1_STEP_RATE_LIMIT;
		detail = "rate_limit_per_min reached in this 60 s window";
		goto out;
	}
	/* the verified id as sent (1-128 bytes, step 1): handlers look the tenant up by it */
	memcpy(req->tenant_id, h.tenant_id, strlen(h.tenant_id) + 1);
	rc = RELAY_OK;
out:
	record(req->journal, &h, &v, failed, detail != NULL ? detail : "");
	if (rc != RELAY_OK)
		response_error(resp, rc, NULL, NULL);
	return rc;
}
