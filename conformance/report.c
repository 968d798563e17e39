/*
 * report.c - verdicts and the four report formats of relay-conformance (SPEC.md §12).
 *
 * Every string stored in a case is sanitized on the way in (valid UTF-8, no control
 * characters but newline and tab; anything else becomes "\xNN"), so the writers can
 * emit it into JSON (jansson), XML and HTML with plain entity escaping.
 */
#include "report.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "relay_clock.h"
#include "relay_ids.h"

#define REASON_MAX 2048
#define LOG_MAX    (16 * 1024)

struct report_case {
	char *id;
	char *section;
	char *title;
	enum report_provenance prov;
	enum report_verdict verdict; /* most severe recorded */
	bool has_verdict;
	enum report_verdict final;
	char *reason;
	char *expected;
	char *actual;
	char *curl;
	bool has_hmac1;
	struct hmac1_signed hmac1;
	char *log;
	size_t log_len;
	int64_t started_ms;
	int64_t duration_ms;
	bool listed; /* in the expected-failures list */
};

struct report {
	char *tool;
	char *target;
	struct report_options opt;
	int64_t started_ms;
	struct report_case **cases;
	size_t n_cases, cap_cases;
	char **xfail_ids;
	size_t n_xfail;
	char **notes;
	size_t n_notes;
};

static const char *const verdict_names[] = {"PASS", "INFO",  "SKIP", "WARN",
					    "FAIL", "XFAIL", "XPASS"};

const char *report_verdict_name(enum report_verdict v)
{
	if ((unsigned)v >= sizeof(verdict_names) / sizeof(verdict_names[0]))
		return "FAIL";
	return verdict_names[v];
}

const char *report_provenance_name(enum report_provenance p)
{
	return p == REPORT_DOCUMENTED ? "documented" : "inferred";
}

/* Copy of s[0..len) as valid UTF-8 with control bytes (but \n, \t) written as \xNN. */
static char *sanitize_n(const char *s, size_t len)
{
	char *out;
	size_t o = 0;

	if (s == NULL)
		return NULL;
	out = malloc(len * 4 + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len;) {
		unsigned char b = (unsigned char)s[i];
		size_t n = 0;

		if (b >= 0x20 && b < 0x7f) {
			out[o++] = (char)b;
			i++;
			continue;
		}
		if (b == '\n' || b == '\t') {
			out[o++] = (char)b;
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			n = 2;
		else if (b >= 0xe0 && b <= 0xef)
			n = 3;
		else if (b >= 0xf0 && b <= 0xf4)
			n = 4;
		if (n > 0 && i + n <= len) {
			bool ok = true;
			unsigned char b1 = (unsigned char)s[i + 1];

			for (size_t k = 1; k < n; k++)
				if (((unsigned char)s[i + k] & 0xc0) != 0x80)
					ok = false;
			/* overlongs, surrogates and > U+10FFFF */
			if ((b == 0xe0 && b1 < 0xa0) || (b == 0xed && b1 >= 0xa0) ||
			    (b == 0xf0 && b1 < 0x90) || (b == 0xf4 && b1 >= 0x90))
				ok = false;
			if (ok) {
				memcpy(out + o, s + i, n);
				o += n;
				i += n;
				continue;
			}
		}
		o += (size_t)snprintf(out + o, 5, "\\x%02x", b);
		i++;
	}
	out[o] = '\0';
	return out;
}

static char *sanitize(const char *s)
{
	return s == NULL ? NULL : sanitize_n(s, strlen(s));
}

static char *vformat(const char *fmt, va_list ap)
{
	char buf[REASON_MAX];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	return sanitize(buf);
}

static void replace(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

struct report *report_new(const char *tool, const char *target, const struct report_options *opt)
{
	struct report *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->tool = sanitize(tool ? tool : "relay-conformance");
	r->target = sanitize(target ? target : "");
	if (opt != NULL)
		r->opt = *opt;
	if (r->opt.progress == NULL)
		r->opt.progress = stdout;
	r->started_ms = relay_clock_real_ms();
	if (r->tool == NULL || r->target == NULL) {
		report_free(r);
		return NULL;
	}
	return r;
}

static void case_free(struct report_case *c)
{
	if (c == NULL)
		return;
	free(c->id);
	free(c->section);
	free(c->title);
	free(c->reason);
	free(c->expected);
	free(c->actual);
	free(c->curl);
	free(c->log);
	free(c);
}

void report_free(struct report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_cases; i++)
		case_free(r->cases[i]);
	free(r->cases);
	for (size_t i = 0; i < r->n_xfail; i++)
		free(r->xfail_ids[i]);
	free(r->xfail_ids);
	for (size_t i = 0; i < r->n_notes; i++)
		free(r->notes[i]);
	free(r->notes);
	free(r->tool);
	free(r->target);
	free(r);
}

enum relay_rc report_load_expected_failures(struct report *r, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];

	if (f == NULL)
		return RELAY_E_IO;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end, **grown;

		end = strchr(p, '#');
		if (end != NULL)
			*end = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p &&
		       (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*p == '\0')
			continue;
		grown = realloc(r->xfail_ids, (r->n_xfail + 1) * sizeof(*grown));
		if (grown == NULL)
			break;
		r->xfail_ids = grown;
		r->xfail_ids[r->n_xfail] = strdup(p);
		if (r->xfail_ids[r->n_xfail] != NULL)
			r->n_xfail++;
	}
	fclose(f);
	return RELAY_OK;
}

void report_note(struct report *r, const char *fmt, ...)
{
	va_list ap;
	char *note, **grown;

	va_start(ap, fmt);
	note = vformat(fmt, ap);
	va_end(ap);
	if (note == NULL)
		return;
	grown = realloc(r->notes, (r->n_notes + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(note);
		return;
	}
	r->notes = grown;
	r->notes[r->n_notes++] = note;
	if (!r->opt.quiet)
		fprintf(r->opt.progress, "note: %s\n", note);
}

struct report_case *report_case_begin(struct report *r, const char *id, const char *section,
				      const char *title, enum report_provenance prov)
{
	struct report_case *c;

	if (r->n_cases == r->cap_cases) {
		size_t cap = r->cap_cases ? r->cap_cases * 2 : 64;
		struct report_case **grown = realloc(r->cases, cap * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		r->cases = grown;
		r->cap_cases = cap;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->id = sanitize(id);
	c->section = sanitize(section ? section : "");
	c->title = sanitize(title ? title : "");
	c->prov = prov;
	c->started_ms = relay_clock_real_ms();
	if (c->id == NULL || c->section == NULL || c->title == NULL) {
		case_free(c);
		return NULL;
	}
	for (size_t i = 0; i < r->n_xfail; i++)
		if (strcmp(r->xfail_ids[i], c->id) == 0)
			c->listed = true;
	r->cases[r->n_cases++] = c;
	return c;
}

static void verdict_v(struct report_case *c, enum report_verdict v, const char *fmt, va_list ap)
{
	if (c->has_verdict && v <= c->verdict)
		return;
	c->verdict = v;
	c->has_verdict = true;
	replace(&c->reason, vformat(fmt, ap));
}

void report_case_verdict(struct report_case *c, enum report_verdict v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verdict_v(c, v, fmt, ap);
	va_end(ap);
}

void report_case_broken(struct report_case *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verdict_v(c, c->prov == REPORT_DOCUMENTED ? REPORT_FAIL : REPORT_WARN, fmt, ap);
	va_end(ap);
}

void report_case_expected(struct report_case *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	replace(&c->expected, vformat(fmt, ap));
	va_end(ap);
}

void report_case_actual(struct report_case *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	replace(&c->actual, vformat(fmt, ap));
	va_end(ap);
}

void report_case_actual_response(struct report_case *c, long status, const char *code,
				 const char *body, size_t body_len)
{
	char *excerpt;
	size_t n = body_len > REPORT_EXCERPT_MAX ? REPORT_EXCERPT_MAX : body_len;

	excerpt = sanitize_n(body ? body : "", body ? n : 0);
	report_case_actual(c, "status %ld, error.code %s, body%s: %s", status,
			   code ? code : "(none)", body_len > n ? " (first 512 bytes)" : "",
			   excerpt ? excerpt : "");
	free(excerpt);
}

void report_case_curl(struct report_case *c, const char *curl)
{
	replace(&c->curl, sanitize(curl));
}

/* NUL-terminates s within size and replaces bytes outside printable ASCII with '?'. */
static void ascii_only(char *s, size_t size)
{
	s[size - 1] = '\0';
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

void report_case_hmac1(struct report_case *c, const struct hmac1_signed *sig)
{
	if (sig == NULL) {
		c->has_hmac1 = false;
		return;
	}
	c->hmac1 = *sig;
	/* values may come from the wire (callbacks): printable ASCII only */
	ascii_only(c->hmac1.timestamp, sizeof(c->hmac1.timestamp));
	ascii_only(c->hmac1.body_sha256, sizeof(c->hmac1.body_sha256));
	ascii_only(c->hmac1.signing_string, sizeof(c->hmac1.signing_string));
	memset(c->hmac1.signature, 0, sizeof(c->hmac1.signature)); /* never reported */
	c->has_hmac1 = true;
}

void report_case_log(struct report_case *c, const char *fmt, ...)
{
	va_list ap;
	char *line;
	size_t n;
	char *grown;

	va_start(ap, fmt);
	line = vformat(fmt, ap);
	va_end(ap);
	if (line == NULL)
		return;
	n = strlen(line);
	if (c->log_len + n + 2 > LOG_MAX) {
		free(line);
		return;
	}
	grown = realloc(c->log, c->log_len + n + 2);
	if (grown != NULL) {
		c->log = grown;
		memcpy(c->log + c->log_len, line, n);
		c->log_len += n;
		c->log[c->log_len++] = '\n';
		c->log[c->log_len] = '\0';
	}
	free(line);
}

static const char *verdict_color(enum report_verdict v)
{
	switch (v) {
	case REPORT_PASS:
	case REPORT_XFAIL:
		return "\033[32m";
	case REPORT_INFO:
		return "\033[36m";
	case REPORT_SKIP:
		return "\033[90m";
	case REPORT_WARN:
		return "\033[33m";
	default:
		return "\033[31;1m";
	}
}

enum report_verdict report_case_end(struct report *r, struct report_case *c)
{
	enum report_verdict v = c->has_verdict ? c->verdict : REPORT_PASS;
	FILE *out = r->opt.progress;

	if (v == REPORT_WARN && r->opt.strict)
		v = REPORT_FAIL;
	if (c->listed) {
		if (v == REPORT_FAIL)
			v = REPORT_XFAIL;
		else if (v != REPORT_SKIP)
			v = REPORT_XPASS;
	}
	c->final = v;
	if (v == REPORT_XPASS && c->reason == NULL)
		c->reason = sanitize("listed in --expected-failures but did not fail: remove it "
				     "from the list");
	else if (v == REPORT_XPASS) {
		char buf[REASON_MAX];

		snprintf(buf, sizeof(buf), "listed in --expected-failures but did not fail (%s)",
			 c->reason);
		replace(&c->reason, sanitize(buf));
	}
	c->duration_ms = relay_clock_real_ms() - c->started_ms;
	if (r->opt.quiet)
		return v;
	fprintf(out, "%s%-5s%s  %-48s %-7s %s\n", r->opt.color ? verdict_color(v) : "",
		report_verdict_name(v), r->opt.color ? "\033[0m" : "", c->id, c->section,
		c->reason && v != REPORT_PASS ? c->reason : c->title);
	if (v != REPORT_PASS && (r->opt.verbose || v == REPORT_FAIL || v == REPORT_XPASS)) {
		if (c->expected)
			fprintf(out, "        expected: %s\n", c->expected);
		if (c->actual)
			fprintf(out, "        actual:   %s\n", c->actual);
		if (c->has_hmac1)
			fprintf(out,
				"        hmac1:    timestamp=%s body_sha256=%s signing_string=%s\n",
				c->hmac1.timestamp, c->hmac1.body_sha256, c->hmac1.signing_string);
		if (c->curl)
			fprintf(out, "        reproduce: %s\n", c->curl);
		if (r->opt.verbose && c->log)
			fprintf(out, "%s", c->log);
	}
	fflush(out);
	return v;
}

enum report_verdict report_case_final(const struct report_case *c)
{
	return c->final;
}

const char *report_case_id(const struct report_case *c)
{
	return c->id;
}

const char *report_case_reason(const struct report_case *c)
{
	return c->reason ? c->reason : "";
}

void report_counts(const struct report *r, struct report_counts *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < r->n_cases; i++) {
		switch (r->cases[i]->final) {
		case REPORT_PASS:
			out->pass++;
			break;
		case REPORT_FAIL:
			out->fail++;
			break;
		case REPORT_WARN:
			out->warn++;
			break;
		case REPORT_INFO:
			out->info++;
			break;
		case REPORT_SKIP:
			out->skip++;
			break;
		case REPORT_XFAIL:
			out->xfail++;
			break;
		case REPORT_XPASS:
			out->xpass++;
			break;
		}
		out->total++;
	}
}

void report_print_summary(const struct report *r)
{
	struct report_counts n;
	FILE *out = r->opt.progress;

	report_counts(r, &n);
	/* failed = FAIL + XPASS (what the exit status counts); the rest on the second line */
	fprintf(out, "conformance: %u passed, %u failed, %u skipped\n", n.pass, n.fail + n.xpass,
		n.skip);
	/* the SPEC.md §12.3.1 form, with the warn/info counts */
	fprintf(out, "pass=%u fail=%u warn=%u info=%u skip=%u xfail=%u xpass=%u (%u cases%s)\n",
		n.pass, n.fail, n.warn, n.info, n.skip, n.xfail, n.xpass, n.total,
		r->opt.strict ? ", --strict" : "");
	fflush(out);
}

int report_exit_status(const struct report *r)
{
	struct report_counts n;

	report_counts(r, &n);
	return n.fail + n.xpass > 0 ? 1 : 0;
}

/* ---- JSON ---- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

enum relay_rc report_write_json(const struct report *r, const char *path)
{
	json_t *root, *cases, *summary;
	struct report_counts n;
	char started[RFC3339_LEN + 1];
	enum relay_rc rc = RELAY_E_IO;

	report_counts(r, &n);
	ids_rfc3339(r->started_ms, started);
	summary = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "total", (json_int_t)n.total,
			    "pass", (json_int_t)n.pass, "fail", (json_int_t)n.fail, "warn",
			    (json_int_t)n.warn, "info", (json_int_t)n.info, "skip",
			    (json_int_t)n.skip, "xfail", (json_int_t)n.xfail, "xpass",
			    (json_int_t)n.xpass);
	cases = json_array();
	for (size_t i = 0; i < r->n_cases; i++) {
		const struct report_case *c = r->cases[i];
		json_t *hmac1 = json_null(), *details, *item;

		if (c->has_hmac1)
			hmac1 = json_pack("{s:s,s:s,s:s}", "timestamp", c->hmac1.timestamp,
					  "body_sha256", c->hmac1.body_sha256, "signing_string",
					  c->hmac1.signing_string);
		details = json_pack("{s:o,s:o,s:o,s:o,s:o}", "expected", str_or_null(c->expected),
				    "actual", str_or_null(c->actual), "curl", str_or_null(c->curl),
				    "hmac1", hmac1, "log", str_or_null(c->log));
		item = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:I,s:o}", "id", c->id, "section",
				 c->section, "title", c->title, "provenance",
				 report_provenance_name(c->prov), "verdict",
				 report_verdict_name(c->final), "reason", str_or_null(c->reason),
				 "duration_ms", (json_int_t)c->duration_ms, "details", details);
		if (item == NULL) { /* only out of memory: every string is sanitized */
			json_decref(cases);
			json_decref(summary);
			return RELAY_E_NOMEM;
		}
		json_array_append_new(cases, item);
	}
	json_t *notes = json_array();
	for (size_t i = 0; i < r->n_notes; i++)
		json_array_append_new(notes, json_string(r->notes[i]));
	root = json_pack("{s:s,s:s,s:s,s:b,s:s,s:I,s:o,s:o,s:i,s:o}", "tool", r->tool, "version",
			 RELAY_VERSION, "target", r->target, "strict", r->opt.strict, "started_at",
			 started, "duration_ms",
			 (json_int_t)(relay_clock_real_ms() - r->started_ms), "summary", summary,
			 "notes", notes, "exit_status", report_exit_status(r), "cases", cases);
	if (root == NULL)
		return RELAY_E_NOMEM;
	if (json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0)
		rc = RELAY_OK;
	json_decref(root);
	return rc;
}

/* ---- XML / HTML ---- */

/* Writes s with &, <, >, " and ' escaped (s is sanitized: no control bytes). */
static void xml_puts(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void case_details_text(FILE *f, const struct report_case *c)
{
	fputs("verdict: ", f);
	xml_puts(f, report_verdict_name(c->final));
	fputs("\nprovenance: ", f);
	xml_puts(f, report_provenance_name(c->prov));
	fputs("\nrequirement: ", f);
	xml_puts(f, c->title);
	if (c->reason) {
		fputs("\nreason: ", f);
		xml_puts(f, c->reason);
	}
	if (c->expected) {
		fputs("\nexpected: ", f);
		xml_puts(f, c->expected);
	}
	if (c->actual) {
		fputs("\nactual: ", f);
		xml_puts(f, c->actual);
	}
	if (c->has_hmac1) {
		fputs("\nhmac1.timestamp: ", f);
		xml_puts(f, c->hmac1.timestamp);
		fputs("\nhmac1.body_sha256: ", f);
		xml_puts(f, c->hmac1.body_sha256);
		fputs("\nhmac1.signing_string: ", f);
		xml_puts(f, c->hmac1.signing_string);
	}
	if (c->curl) {
		fputs("\nreproduce: ", f);
		xml_puts(f, c->curl);
	}
	if (c->log) {
		fputs("\nlog:\n", f);
		xml_puts(f, c->log);
	}
	fputc('\n', f);
}

/* The section of a case as a JUnit suite name: "§4.4.2" → "§4". */
static void section_group(const char *section, char *out, size_t size)
{
	const char *p = section;
	size_t n = 0;

	if (strncmp(p, "§", strlen("§")) == 0)
		p += strlen("§");
	while (p[n] >= '0' && p[n] <= '9')
		n++;
	if (n == 0 || n + 3 >= size) {
		snprintf(out, size, "other");
		return;
	}
	snprintf(out, size, "§%.*s", (int)n, p);
}

enum relay_rc report_write_junit(const struct report *r, const char *path)
{
	FILE *f = fopen(path, "w");
	struct report_counts n;
	char started[RFC3339_LEN + 1];
	char **groups;
	size_t n_groups = 0;

	if (f == NULL)
		return RELAY_E_IO;
	groups = calloc(r->n_cases + 1, sizeof(*groups));
	if (groups == NULL) {
		fclose(f);
		return RELAY_E_NOMEM;
	}
	for (size_t i = 0; i < r->n_cases; i++) {
		char g[32];
		bool seen = false;

		section_group(r->cases[i]->section, g, sizeof(g));
		for (size_t k = 0; k < n_groups; k++)
			if (strcmp(groups[k], g) == 0)
				seen = true;
		if (!seen)
			groups[n_groups++] = strdup(g);
	}
	report_counts(r, &n);
	ids_rfc3339(r->started_ms, started);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuites name=\"");
	xml_puts(f, r->tool);
	fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"%.3f\">\n",
		n.total, n.fail + n.xpass, n.skip,
		(double)(relay_clock_real_ms() - r->started_ms) / 1000.0);
	for (size_t k = 0; k < n_groups; k++) {
		unsigned tests = 0, failures = 0, skipped = 0;
		int64_t ms = 0;

		if (groups[k] == NULL)
			continue;
		for (size_t i = 0; i < r->n_cases; i++) {
			char g[32];

			section_group(r->cases[i]->section, g, sizeof(g));
			if (strcmp(g, groups[k]) != 0)
				continue;
			tests++;
			ms += r->cases[i]->duration_ms;
			if (r->cases[i]->final == REPORT_FAIL || r->cases[i]->final == REPORT_XPASS)
				failures++;
			if (r->cases[i]->final == REPORT_SKIP)
				skipped++;
		}
		fprintf(f, "  <testsuite name=\"");
		xml_puts(f, groups[k]);
		fprintf(f,
			"\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" "
			"time=\"%.3f\" timestamp=\"%.19s\" hostname=\"",
			tests, failures, skipped, (double)ms / 1000.0, started);
		xml_puts(f, r->target);
		fputs("\">\n    <properties>\n      <property name=\"target\" value=\"", f);
		xml_puts(f, r->target);
		fprintf(f,
			"\"/>\n      <property name=\"strict\" value=\"%s\"/>\n    </properties>\n",
			r->opt.strict ? "true" : "false");
		for (size_t i = 0; i < r->n_cases; i++) {
			const struct report_case *c = r->cases[i];
			char g[32];

			section_group(c->section, g, sizeof(g));
			if (strcmp(g, groups[k]) != 0)
				continue;
			fputs("    <testcase classname=\"", f);
			xml_puts(f, c->section);
			fputs("\" name=\"", f);
			xml_puts(f, c->id);
			fprintf(f, "\" time=\"%.3f\">\n", (double)c->duration_ms / 1000.0);
			fputs("      <properties>\n        <property name=\"provenance\" value=\"",
			      f);
			xml_puts(f, report_provenance_name(c->prov));
			fputs("\"/>\n        <property name=\"verdict\" value=\"", f);
			xml_puts(f, report_verdict_name(c->final));
			fputs("\"/>\n        <property name=\"requirement\" value=\"", f);
			xml_puts(f, c->title);
			fputs("\"/>\n      </properties>\n", f);
			if (c->final == REPORT_FAIL || c->final == REPORT_XPASS) {
				fputs("      <failure type=\"", f);
				xml_puts(f, report_verdict_name(c->final));
				fputs("\" message=\"", f);
				xml_puts(f, c->reason ? c->reason : "");
				fputs("\">", f);
				case_details_text(f, c);
				fputs("</failure>\n", f);
			} else if (c->final == REPORT_SKIP) {
				fputs("      <skipped message=\"", f);
				xml_puts(f, c->reason ? c->reason : "");
				fputs("\"/>\n", f);
			}
			fputs("      <system-out>", f);
			case_details_text(f, c);
			fputs("</system-out>\n    </testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	for (size_t k = 0; k < n_groups; k++)
		free(groups[k]);
	free(groups);
	return fclose(f) == 0 ? RELAY_OK : RELAY_E_IO;
}

static const char *html_class(enum report_verdict v)
{
	static const char *const classes[] = {"pass", "info",  "skip", "warn",
					      "fail", "xfail", "xpass"};

	return (unsigned)v < 7 ? classes[v] : "fail";
}

static void html_detail(FILE *f, const char *label, const char *value)
{
	if (value == NULL)
		return;
	fputs("<dt>", f);
	xml_puts(f, label);
	fputs("</dt><dd><pre>", f);
	xml_puts(f, value);
	fputs("</pre></dd>", f);
}

enum relay_rc report_write_html(const struct report *r, const char *path)
{
	FILE *f = fopen(path, "w");
	struct report_counts n;
	char started[RFC3339_LEN + 1];

	if (f == NULL)
		return RELAY_E_IO;
	report_counts(r, &n);
	ids_rfc3339(r->started_ms, started);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	xml_puts(f, r->tool);
	fputs(" report</title>\n<style>\n"
	      "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\n"
	      "h1{font-size:1.4em}table{border-collapse:collapse;width:100%}\n"
	      "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\n"
	      "th{background:#eee}code,pre{font:12px/1.3 ui-monospace,monospace}\n"
	      "pre{white-space:pre-wrap;word-break:break-all;margin:0}\n"
	      ".v{font-weight:bold;text-align:center;width:5em}\n"
	      ".pass .v{background:#c8efc8}.xfail .v{background:#d8ecd8}\n"
	      ".fail .v,.xpass .v{background:#f4b0b0}.warn .v{background:#f8e39a}\n"
	      ".info .v{background:#bfe3f0}.skip .v{background:#ddd}\n"
	      ".summary span{display:inline-block;margin-right:1em;padding:4px 10px;"
	      "border-radius:4px}\n"
	      "dt{font-weight:bold;margin-top:.4em}dd{margin-left:1em}\n"
	      "</style></head><body>\n<h1>",
	      f);
	xml_puts(f, r->tool);
	fputs("</h1>\n<p>Target <code>", f);
	xml_puts(f, r->target);
	fprintf(f, "</code>, started %s, version %s%s.</p>\n", started, RELAY_VERSION,
		r->opt.strict ? ", --strict" : "");
	fprintf(f,
		"<p class=\"summary\"><span class=\"pass\"><b>%u</b> pass</span>"
		"<span><b>%u</b> fail</span><span><b>%u</b> warn</span>"
		"<span><b>%u</b> info</span><span><b>%u</b> skip</span>"
		"<span><b>%u</b> xfail</span><span><b>%u</b> xpass</span>"
		"<span><b>%u</b> cases</span> &mdash; <b>%s</b></p>\n",
		n.pass, n.fail, n.warn, n.info, n.skip, n.xfail, n.xpass, n.total,
		report_exit_status(r) == 0 ? "conformant (exit 0)" : "NOT conformant (exit 1)");
	for (size_t i = 0; i < r->n_notes; i++) {
		fputs("<p>Note: ", f);
		xml_puts(f, r->notes[i]);
		fputs("</p>\n", f);
	}
	fputs("<table>\n<tr><th>Verdict</th><th>Case</th><th>SPEC</th><th>Provenance</th>"
	      "<th>Requirement / result</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->n_cases; i++) {
		const struct report_case *c = r->cases[i];

		fprintf(f, "<tr class=\"%s\"><td class=\"v\">%s</td><td><code>",
			html_class(c->final), report_verdict_name(c->final));
		xml_puts(f, c->id);
		fputs("</code></td><td>", f);
		xml_puts(f, c->section);
		fputs("</td><td>", f);
		xml_puts(f, report_provenance_name(c->prov));
		fputs("</td><td>", f);
		xml_puts(f, c->title);
		if (c->reason || c->expected || c->actual || c->curl || c->has_hmac1 || c->log) {
			fputs("<details><summary>", f);
			xml_puts(f, c->reason ? c->reason : "details");
			fputs("</summary><dl>", f);
			html_detail(f, "expected", c->expected);
			html_detail(f, "actual", c->actual);
			if (c->has_hmac1) {
				char buf[512];

				snprintf(buf, sizeof(buf),
					 "timestamp      %s\nbody_sha256    %s\nsigning_string %s",
					 c->hmac1.timestamp, c->hmac1.body_sha256,
					 c->hmac1.signing_string);
				html_detail(f, "HMAC#1 values", buf);
			}
			html_detail(f, "reproduce", c->curl);
			html_detail(f, "log", c->log);
			fputs("</dl></details>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n</body></html>\n", f);
	return fclose(f) == 0 ? RELAY_OK : RELAY_E_IO;
}

/* ---- the files a run asked for ---- */

/* One writer into one named file: false (said on stderr) when it cannot be written. */
static bool write_one(const struct report *r, const char *path,
		      enum relay_rc (*writer)(const struct report *, const char *))
{
	if (path == NULL || writer(r, path) == RELAY_OK)
		return true;
	fprintf(stderr, "%s: cannot write %s\n", r->tool, path);
	return false;
}

enum relay_rc report_write_files(const struct report *r, const struct report_files *f)
{
	bool ok = write_one(r, f->junit, report_write_junit);

	ok = write_one(r, f->json, report_write_json) && ok;
	ok = write_one(r, f->html, report_write_html) && ok;
	return ok ? RELAY_OK : RELAY_E_IO;
}
