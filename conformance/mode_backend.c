/*
 * mode_backend.c - relay-conformance backend: the suite acting as the relay towards a
 * tenant backend's callback receiver (SPEC.md §9).
 *
 *   relay-conformance backend --callback-url URL --tenant-secret SK [--tenant-id ID]
 *                             [--strict] [--junit F] [--json F] [--html F] ...
 *
 * URL is the tenant's callback_url_base: each event goes to
 * POST {URL}/api/v1/chat-callbacks/<event> (§9.1). For each of the nine events a
 * correctly signed callback must be acknowledged with a 2xx; then callbacks that are
 * stale, from the future, wrongly signed, altered after signing, unsigned or only
 * partly signed must be refused, and a duplicate event_id must be acknowledged
 * (idempotency, §9.3.3). Verdicts go through report.h; exit 0 iff nothing FAILs.
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "relay_client.h"
#include "relay_clock.h"
#include "relay_hmac1.h"
#include "relay_ids.h"
#include "report.h"

#define BACKEND_EVENTS 9

/* The nine documented events (§9.4, WH). */
static const char *const events[BACKEND_EVENTS] = {
	"conversation-started", "message-received", "ticket-created",
	"ticket-assigned",      "ticket-resolved",  "escalation-triggered",
	"agent-assigned",       "agent-released",   "agent-resolved",
};

struct backend {
	const char *url; /* callback_url_base, no trailing slash */
	const char *tenant_id;
	const char *secret;
	const char *filter;
	long timeout_ms;
	struct relay_client *cl;
	struct report *report;
	unsigned sent, unreachable; /* requests made, and those without an HTTP answer */
	unsigned seq;               /* distinguishes event ids within a run */
	double slowest_ack;         /* seconds, over the signed callbacks */
	const char *slowest_event;
};

/* How a callback is spoiled before it is sent. */
enum spoil {
	SPOIL_NONE = 0,
	SPOIL_STALE_31S,
	SPOIL_FUTURE_31S,
	SPOIL_STALE_5MIN,
	SPOIL_FUTURE_5MIN,
	SPOIL_WRONG_SECRET,
	SPOIL_BODY_ALTERED,
	SPOIL_UNSIGNED,
	SPOIL_NO_TIMESTAMP,
	SPOIL_UPPERCASE_HEX
};

/* One callback as sent, kept for the report. */
struct callback {
	char *body; /* owned, compact JSON */
	size_t body_len;
	char path[128];
	char event_id[PREFIXED_ID_MAX + 1];
	struct hmac1_signed sig;
	bool signed_;
	struct client_response resp;
	char *curl;
};

static void callback_cleanup(struct callback *cb)
{
	free(cb->body);
	free(cb->curl);
	client_response_cleanup(&cb->resp);
	memset(cb, 0, sizeof(*cb));
}

/* The event's data object: the conversation or message object, else a small summary. */
static json_t *event_data(const char *event, const char *conv_id, const char *now)
{
	if (strcmp(event, "conversation-started") == 0)
		return json_pack("{s:s, s:s, s:n, s:s, s:{}, s:s, s:s}", "id", conv_id,
				 "visitor_user_id", "user-123", "visitor_display_name", "locale",
				 "fr", "metadata", "status", "open", "created_at", now);
	if (strcmp(event, "message-received") == 0)
		return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id",
				 "msg_019e4ae71a2b7c3d8e4f5a6b7c8d9e0f", "conversation_id", conv_id,
				 "role", "visitor", "content", "Bonjour", "created_at", now);
	return json_pack("{s:s, s:s}", "conversation_id", conv_id, "occurred_at", now);
}

/*
 * Builds the §9.3 payload for event with a fresh event_id (or reuse_id when not NULL).
 * Keys in SPEC order; compact, as the mock sends it.
 */
static bool build_payload(struct backend *b, const char *event, const char *reuse_id,
			  struct callback *cb)
{
	char conv[PREFIXED_ID_MAX + 1], now[RFC3339_LEN + 1];
	int64_t ms = relay_clock_real_ms();
	json_t *p;

	if (reuse_id != NULL) {
		snprintf(cb->event_id, sizeof(cb->event_id), "%s", reuse_id);
	} else if (ids_prefixed("evt_", ms + b->seq++, cb->event_id) != RELAY_OK) {
		return false;
	}
	if (ids_prefixed("conv_", ms, conv) != RELAY_OK)
		return false;
	ids_rfc3339(ms, now);
	p = json_pack("{s:s, s:s, s:s, s:s, s:o}", "event_id", cb->event_id, "event", event,
		      "tenant_id", b->tenant_id, "occurred_at", now, "data",
		      event_data(event, conv, now));
	if (p == NULL)
		return false;
	cb->body = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (cb->body == NULL)
		return false;
	cb->body_len = strlen(cb->body);
	snprintf(cb->path, sizeof(cb->path), "/api/v1/chat-callbacks/%s", event);
	return true;
}

/* Signs (or not, per spoil) and POSTs cb. Returns the HTTP status, 0 when none came. */
static long send_callback(struct backend *b, struct callback *cb, enum spoil spoil)
{
	static const char wrong_secret[] = "sk_WRONGwrongWRONGwrongWRONGwrongWRONGwrongWRO";
	char hl[3][HMAC1_HEADER_LINE_MAX];
	const char *headers[4];
	struct client_request req;
	const char *secret = b->secret;
	int64_t ts = relay_clock_real_ms();
	size_t n = 0, i;

	switch (spoil) {
	case SPOIL_STALE_31S:
		ts -= 31000;
		break;
	case SPOIL_FUTURE_31S:
		ts += 31000;
		break;
	case SPOIL_STALE_5MIN:
		ts -= 300000;
		break;
	case SPOIL_FUTURE_5MIN:
		ts += 300000;
		break;
	case SPOIL_WRONG_SECRET:
		secret = wrong_secret;
		break;
	default:
		break;
	}
	headers[n++] = "Content-Type: application/json";
	if (spoil != SPOIL_UNSIGNED) {
		if (hmac1_sign(secret, strlen(secret), ts, cb->body, cb->body_len, &cb->sig) !=
		    RELAY_OK)
			return 0;
		cb->signed_ = true;
		if (spoil == SPOIL_UPPERCASE_HEX) {
			for (i = 0; cb->sig.signature[i] != '\0'; i++) {
				if (cb->sig.signature[i] >= 'a' && cb->sig.signature[i] <= 'f')
					cb->sig.signature[i] = (char)(cb->sig.signature[i] - 32);
			}
		}
		if (hmac1_header_lines(b->tenant_id, &cb->sig, hl) != RELAY_OK)
			return 0;
		headers[n++] = hl[0];
		if (spoil != SPOIL_NO_TIMESTAMP)
			headers[n++] = hl[1];
		headers[n++] = hl[2];
	}
	if (spoil == SPOIL_BODY_ALTERED) {
		/* Same length, one byte changed after signing: "fr" -> "en" or a digit. */
		char *p = strstr(cb->body, "\"tenant_id\":\"");

		if (p != NULL)
			p += strlen("\"tenant_id\":\"");
		else
			p = cb->body + 1;
		*p = *p == '0' ? '1' : '0';
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = cb->path;
	req.headers = headers;
	req.n_headers = n;
	req.body = cb->body;
	req.body_len = cb->body_len;
	req.timeout_ms = b->timeout_ms;
	free(cb->curl);
	cb->curl = client_curl_command(b->cl, &req);
	client_response_cleanup(&cb->resp);
	b->sent++;
	if (client_perform(b->cl, &req, &cb->resp) != RELAY_OK) {
		b->unreachable++;
		return 0;
	}
	return cb->resp.status;
}

/* Records the exchange of cb into the case (for a non-PASS verdict). */
static void case_details(struct report_case *c, const struct callback *cb, const char *expected)
{
	report_case_expected(c, "%s", expected);
	if (cb->resp.status == 0)
		report_case_actual(c, "no HTTP answer: %s", cb->resp.error);
	else
		report_case_actual_response(c, cb->resp.status, NULL, cb->resp.body,
					    cb->resp.body_len);
	if (cb->curl != NULL)
		report_case_curl(c, cb->curl);
	if (cb->signed_)
		report_case_hmac1(c, &cb->sig);
}

static bool selected(const struct backend *b, const char *id)
{
	return b->filter == NULL || fnmatch(b->filter, id, 0) == 0;
}

/* backend.callback.<event>.signed: a correctly signed callback is acknowledged (2xx). */
static void case_signed(struct backend *b, const char *event)
{
	struct report_case *c;
	struct callback cb;
	char id[128];
	long st;

	snprintf(id, sizeof(id), "backend.callback.%s.signed", event);
	if (!selected(b, id))
		return;
	c = report_case_begin(b->report, id, "§9.2",
			      "a correctly signed callback is verified and acknowledged with a 2xx",
			      REPORT_DOCUMENTED);
	if (c == NULL)
		return;
	memset(&cb, 0, sizeof(cb));
	if (!build_payload(b, event, NULL, &cb)) {
		report_case_verdict(c, REPORT_FAIL, "could not build the payload");
	} else {
		st = send_callback(b, &cb, SPOIL_NONE);
		report_case_log(c, "POST %s event_id %s -> %ld in %.3f s", cb.path, cb.event_id, st,
				cb.resp.seconds);
		if (st != 0 && cb.resp.seconds >= b->slowest_ack) {
			b->slowest_ack = cb.resp.seconds;
			b->slowest_event = event;
		}
		if (st < 200 || st > 299) {
			report_case_verdict(
				c, REPORT_FAIL,
				"a correctly signed %s callback was not acknowledged "
				"(%ld): check the signing string \"%s\" and the raw body",
				event, st, cb.sig.signing_string);
			case_details(c, &cb, "2xx");
		}
	}
	callback_cleanup(&cb);
	report_case_end(b->report, c);
}

struct reject_case {
	const char *id;
	const char *section;
	enum report_provenance prov;
	enum spoil spoil;
	const char *title;
	const char *why; /* what accepting it means */
};

static const struct reject_case rejects[] = {
	{"backend.reject.stale", "§4.4.2", REPORT_INFERRED, SPOIL_STALE_31S,
	 "a callback signed 31 s in the past is refused (window ±30000 ms)",
	 "a timestamp 31 s old was accepted: the window is wider than ±30 s"},
	{"backend.reject.future", "§4.4.2", REPORT_INFERRED, SPOIL_FUTURE_31S,
	 "a callback signed 31 s in the future is refused (window ±30000 ms)",
	 "a timestamp 31 s ahead was accepted: the window is wider than ±30 s, or only the past "
	 "is checked"},
	{"backend.reject.stale-5min", "§9.2", REPORT_DOCUMENTED, SPOIL_STALE_5MIN,
	 "a callback signed 5 min in the past is refused (\"same timestamp tolerance (~30s)\")",
	 "a timestamp 5 min old was accepted: the timestamp window is not checked"},
	{"backend.reject.future-5min", "§9.2", REPORT_DOCUMENTED, SPOIL_FUTURE_5MIN,
	 "a callback signed 5 min in the future is refused (\"same timestamp tolerance (~30s)\")",
	 "a timestamp 5 min ahead was accepted: future timestamps are not checked"},
	{"backend.reject.wrong-signature", "§9.2", REPORT_DOCUMENTED, SPOIL_WRONG_SECRET,
	 "a callback signed with another secret is refused",
	 "a signature made with another secret was accepted: the signature is not verified"},
	{"backend.reject.body-altered", "§9.2", REPORT_DOCUMENTED, SPOIL_BODY_ALTERED,
	 "a callback whose body changed after signing is refused (verify the raw body bytes)",
	 "a body altered after signing was accepted: the signature does not cover the raw body"},
	{"backend.reject.unsigned", "§9.2", REPORT_DOCUMENTED, SPOIL_UNSIGNED,
	 "a callback without the three HMAC#1 headers is refused",
	 "an unsigned callback was accepted: anyone can forge events"},
	{"backend.reject.missing-timestamp", "§4.1.2", REPORT_DOCUMENTED, SPOIL_NO_TIMESTAMP,
	 "a callback without X-Bloonio-Timestamp is refused",
	 "a callback without a timestamp header was accepted"},
	{"backend.reject.uppercase-signature", "§4.3.2", REPORT_INFERRED, SPOIL_UPPERCASE_HEX,
	 "a signature in uppercase hex is refused (the relay signs lowercase)",
	 "an uppercase-hex signature was accepted (the comparison is case-insensitive)"},
};

/* One refusal case, tried on every event: any 2xx is a break. */
static void case_reject(struct backend *b, const struct reject_case *rej)
{
	struct report_case *c;
	struct callback cb;
	unsigned i, accepted = 0, odd = 0;
	long st;

	if (!selected(b, rej->id))
		return;
	c = report_case_begin(b->report, rej->id, rej->section, rej->title, rej->prov);
	if (c == NULL)
		return;
	for (i = 0; i < BACKEND_EVENTS; i++) {
		memset(&cb, 0, sizeof(cb));
		if (!build_payload(b, events[i], NULL, &cb)) {
			report_case_verdict(c, REPORT_FAIL, "could not build the payload");
			callback_cleanup(&cb);
			break;
		}
		st = send_callback(b, &cb, rej->spoil);
		report_case_log(c, "POST %s -> %ld", cb.path, st);
		if (st >= 200 && st <= 299) {
			if (accepted++ == 0) {
				report_case_broken(c, "%s (%s answered %ld)", rej->why, events[i],
						   st);
				case_details(c, &cb, "a refusal (401)");
			}
		} else if (st == 0) {
			report_case_verdict(c, REPORT_FAIL, "no HTTP answer from %s: %s", cb.path,
					    cb.resp.error);
		} else if (st != 401 && st != 403 && odd++ == 0 && accepted == 0) {
			report_case_verdict(
				c, REPORT_INFO,
				"refused with %ld; 401 is what the relay itself answers "
				"for this",
				st);
		}
		callback_cleanup(&cb);
	}
	if (accepted > 1)
		report_case_log(c, "%u of %u events accepted", accepted, BACKEND_EVENTS);
	report_case_end(b->report, c);
}

/* backend.duplicate.acknowledged: a redelivered event_id still gets a 2xx (§9.3.3). */
static void case_duplicate(struct backend *b)
{
	static const char id[] = "backend.duplicate.acknowledged";
	struct report_case *c;
	struct callback first, again;
	long st1, st2;

	if (!selected(b, id))
		return;
	c = report_case_begin(b->report, id, "§9.3.3",
			      "a second delivery of the same event_id is acknowledged with a 2xx "
			      "(idempotency on the event id)",
			      REPORT_DOCUMENTED);
	if (c == NULL)
		return;
	memset(&first, 0, sizeof(first));
	memset(&again, 0, sizeof(again));
	if (!build_payload(b, "ticket-created", NULL, &first)) {
		report_case_verdict(c, REPORT_FAIL, "could not build the payload");
		goto out;
	}
	st1 = send_callback(b, &first, SPOIL_NONE);
	/* The retry carries the same bytes, signed afresh (§9.2.2). */
	again.body = strdup(first.body);
	if (again.body == NULL)
		goto out;
	again.body_len = first.body_len;
	memcpy(again.path, first.path, sizeof(again.path));
	memcpy(again.event_id, first.event_id, sizeof(again.event_id));
	st2 = send_callback(b, &again, SPOIL_NONE);
	report_case_log(c, "event_id %s: first %ld, duplicate %ld", first.event_id, st1, st2);
	if (st1 < 200 || st1 > 299) {
		report_case_verdict(c, REPORT_FAIL, "the first delivery was not acknowledged (%ld)",
				    st1);
		case_details(c, &first, "2xx");
	} else if (st2 < 200 || st2 > 299) {
		report_case_verdict(c, REPORT_FAIL,
				    "a duplicate event_id was answered %ld: the relay retries "
				    "until it gets a 2xx, so acknowledge duplicates without "
				    "processing them again",
				    st2);
		case_details(c, &again, "2xx");
	}
out:
	callback_cleanup(&first);
	callback_cleanup(&again);
	report_case_end(b->report, c);
}

/*
 * backend.callback.ack-within-5s: "Acknowledge (2xx) quickly … slow handlers trigger
 * retries" (CWH); the relay's attempt timeout is 5 s (§9.5.3, inferred).
 */
static void case_ack_time(struct backend *b)
{
	static const char id[] = "backend.callback.ack-within-5s";
	struct report_case *c;

	if (!selected(b, id) || b->slowest_event == NULL)
		return;
	c = report_case_begin(b->report, id, "§9.5.3",
			      "callbacks are acknowledged within the relay's 5 s attempt timeout",
			      REPORT_INFERRED);
	if (c == NULL)
		return;
	report_case_log(c, "slowest acknowledgement: %s in %.3f s", b->slowest_event,
			b->slowest_ack);
	if (b->slowest_ack >= 5.0)
		report_case_broken(c,
				   "%s took %.1f s: the relay times out at 5 s and retries, so "
				   "acknowledge first and process later",
				   b->slowest_event, b->slowest_ack);
	report_case_end(b->report, c);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: relay-conformance backend --callback-url URL --tenant-secret SK\n"
		   "           [--tenant-id ID] [--filter GLOB] [--strict] [--quiet] [--verbose]\n"
		   "           [--timeout-ms MS] [--junit FILE] [--json FILE] [--html FILE]\n"
		   "           [--expected-failures FILE]\n"
		   "  URL is the tenant's callback_url_base: callbacks go to\n"
		   "  URL/api/v1/chat-callbacks/<event>. Defaults from "
		   "BLOONIO_CHAT_CALLBACK_BASE_URL,\n"
		   "  BLOONIO_CHAT_TENANT_SECRET and BLOONIO_CHAT_TENANT_ID.\n");
}

int mode_backend_main(int argc, char **argv)
{
	char tenant_buf[UUID_STR_LEN + 1], *url = NULL;
	struct cli_report_args ra;
	struct backend b;
	size_t i, n;
	int rc = CONFORMANCE_EXIT_USAGE;
	int a, took;

	memset(&b, 0, sizeof(b));
	memset(&ra, 0, sizeof(ra));
	b.timeout_ms = 10000;
	for (a = 1; a < argc; a++) {
		const char *arg = argv[a];
		const char *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			return CONFORMANCE_EXIT_OK;
		} else if ((took = cli_report_arg(&ra, arg, val)) > 0) {
			a += took - 1;
		} else if (took < 0 || val == NULL) {
			usage(stderr);
			return CONFORMANCE_EXIT_USAGE;
		} else if (strcmp(arg, "--callback-url") == 0) {
			b.url = val;
			a++;
		} else if (strcmp(arg, "--tenant-secret") == 0) {
			b.secret = val;
			a++;
		} else if (strcmp(arg, "--tenant-id") == 0) {
			b.tenant_id = val;
			a++;
		} else if (strcmp(arg, "--filter") == 0) {
			b.filter = val;
			a++;
		} else if (strcmp(arg, "--timeout-ms") == 0) {
			b.timeout_ms = strtol(val, NULL, 10);
			a++;
		} else {
			usage(stderr);
			return CONFORMANCE_EXIT_USAGE;
		}
	}
	b.url = cli_env_or(b.url, "BLOONIO_CHAT_CALLBACK_BASE_URL");
	b.secret = cli_env_or(b.secret, "BLOONIO_CHAT_TENANT_SECRET");
	b.tenant_id = cli_env_or(b.tenant_id, "BLOONIO_CHAT_TENANT_ID");
	if (b.url == NULL || b.secret == NULL || b.timeout_ms <= 0 ||
	    strlen(b.secret) > HMAC1_SECRET_MAX) {
		usage(stderr);
		return CONFORMANCE_EXIT_USAGE;
	}
	if (b.tenant_id == NULL) {
		if (ids_uuid7(relay_clock_real_ms(), tenant_buf) != RELAY_OK)
			return CONFORMANCE_EXIT_USAGE;
		b.tenant_id = tenant_buf;
	}
	if (strlen(b.tenant_id) > HMAC1_TENANT_MAX) {
		fprintf(stderr, "relay-conformance backend: --tenant-id over %d bytes\n",
			HMAC1_TENANT_MAX);
		return CONFORMANCE_EXIT_USAGE;
	}
	/* callback_url_base drops trailing slashes (§9.1.2). */
	url = strdup(b.url);
	if (url == NULL)
		goto out;
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	b.url = url;
	b.cl = client_new(url);
	b.report = cli_report_new("relay-conformance backend", url, &ra);
	if (b.cl == NULL || b.report == NULL)
		goto out;
	report_note(b.report, "callbacks to %s/api/v1/chat-callbacks/<event>, tenant %s", url,
		    b.tenant_id);

	for (i = 0; i < BACKEND_EVENTS; i++)
		case_signed(&b, events[i]);
	case_ack_time(&b);
	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++)
		case_reject(&b, &rejects[i]);
	case_duplicate(&b);

	report_print_summary(b.report);
	rc = report_exit_status(b.report);
	if (report_write_files(b.report, &ra.files) != RELAY_OK)
		rc = CONFORMANCE_EXIT_USAGE;
	if (b.sent > 0 && b.unreachable == b.sent) {
		fprintf(stderr, "relay-conformance backend: %s did not answer\n", url);
		rc = CONFORMANCE_EXIT_USAGE;
	}
out:
	report_free(b.report);
	client_free(b.cl);
	free(url);
	return rc;
}
