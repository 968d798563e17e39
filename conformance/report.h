/*
 * report.h - verdicts and reports of relay-conformance (SPEC.md §12).
 *
 * A struct report holds every case of one run, in the order they ran. A case is
 * opened with report_case_begin(), receives one or more verdicts (the most severe
 * one wins: PASS < INFO < SKIP < WARN < FAIL) and details (expected, actual, a curl
 * command, the HMAC#1 intermediate values), and is closed with report_case_end(),
 * which applies --strict (WARN becomes FAIL) and the expected-failures list
 * (FAIL becomes XFAIL; a listed case that does not fail becomes XPASS, which counts
 * as a failure so the list stays honest), then prints the progress line.
 *
 * Writers: a text summary on stdout, JUnit XML, JSON (conformance/report.schema.json)
 * and one self-contained HTML page. Used by all three modes (relay, sdk, backend).
 * Not thread-safe.
 */
#ifndef CONFORMANCE_REPORT_H
#define CONFORMANCE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "relay_hmac1.h"
#include "relay_rc.h"

#define REPORT_EXCERPT_MAX 512 /* body excerpts in details are cut to this many bytes */

enum report_verdict {
	REPORT_PASS = 0,
	REPORT_INFO,  /* an observation; never a failure, even with --strict */
	REPORT_SKIP,  /* could not run; the reason says why */
	REPORT_WARN,  /* an [inferred] rule broken; FAIL with --strict */
	REPORT_FAIL,  /* a [documented] rule broken (or WARN under --strict) */
	REPORT_XFAIL, /* FAIL of a case in the expected-failures list: not a failure */
	REPORT_XPASS  /* a listed case that did not fail: counts as a failure */
};

enum report_provenance { REPORT_DOCUMENTED = 0, REPORT_INFERRED };

/* "PASS", "FAIL", ... */
const char *report_verdict_name(enum report_verdict v);
/* "documented" / "inferred" */
const char *report_provenance_name(enum report_provenance p);

struct report_options {
	bool strict;    /* WARN -> FAIL */
	bool quiet;     /* no progress lines, summary only */
	bool verbose;   /* details under every non-PASS line */
	bool color;     /* ANSI colors on the progress stream */
	FILE *progress; /* where progress lines and the summary go; NULL = stdout */
};

struct report_counts {
	unsigned pass, fail, warn, info, skip, xfail, xpass, total;
};

struct report;
struct report_case;

/*
 * New report. tool is the mode ("relay-conformance", "relay-conformance sdk", ...),
 * target what is tested (a base URL, a command, a callback URL). Both copied.
 * NULL when out of memory. Free with report_free().
 */
struct report *report_new(const char *tool, const char *target, const struct report_options *opt);
void report_free(struct report *r);

/*
 * Reads an expected-failures file: one case id per line, '#' starts a comment,
 * blank lines ignored. RELAY_E_IO when it cannot be read.
 */
RELAY_WUR enum relay_rc report_load_expected_failures(struct report *r, const char *path);

/* A free-form note printed before the summary and stored in every report ("target is a mock"). */
void report_note(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Opens a case. id is stable (SPEC.md §12.2), section the SPEC.md rule as shown ("§4.4.2"),
 * title the requirement text. Strings are copied. The case belongs to r; it stays
 * valid until report_free(). NULL when out of memory.
 */
struct report_case *report_case_begin(struct report *r, const char *id, const char *section,
				      const char *title, enum report_provenance prov);

/* Records a verdict with its reason (printf-style). The most severe verdict wins. */
void report_case_verdict(struct report_case *c, enum report_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A rule broken: FAIL when the case is [documented], WARN when [inferred]. */
void report_case_broken(struct report_case *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Details, each replacing the previous value (strings copied; NULL clears). */
void report_case_expected(struct report_case *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void report_case_actual(struct report_case *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* actual status, error code (may be NULL) and a body excerpt (cut to REPORT_EXCERPT_MAX) */
void report_case_actual_response(struct report_case *c, long status, const char *code,
				 const char *body, size_t body_len);
void report_case_curl(struct report_case *c, const char *curl);
/* HMAC#1 intermediate values of the request involved (never the secret). */
void report_case_hmac1(struct report_case *c, const struct hmac1_signed *sig);
/* A free-form line appended to the case's log (shown in reports as system-out). */
void report_case_log(struct report_case *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Closes the case: a case with no verdict is PASS; applies --strict and the
 * expected-failures list; records the duration; prints the progress line.
 * Returns the final verdict.
 */
enum report_verdict report_case_end(struct report *r, struct report_case *c);

/* Accessors. */
enum report_verdict report_case_final(const struct report_case *c);
const char *report_case_id(const struct report_case *c);
const char *report_case_reason(const struct report_case *c);

/* Counts of final verdicts so far. */
void report_counts(const struct report *r, struct report_counts *out);

/*
 * Prints "conformance: N passed, N failed, N skipped" and a second line
 * "pass=N fail=N warn=N info=N skip=N xfail=N xpass=N (N cases)" (SPEC.md §12.3.1).
 */
void report_print_summary(const struct report *r);

/* 0 iff no FAIL and no XPASS (CONFORMANCE_EXIT_OK), else 1. */
int report_exit_status(const struct report *r);

/* Writers; RELAY_E_IO when the file cannot be written. */
RELAY_WUR enum relay_rc report_write_json(const struct report *r, const char *path);
RELAY_WUR enum relay_rc report_write_junit(const struct report *r, const char *path);
RELAY_WUR enum relay_rc report_write_html(const struct report *r, const char *path);

/* The report files a run was asked for (--junit, --json, --html); NULL = not wanted. */
struct report_files {
	const char *junit, *json, *html;
};

/*
 * Writes every file named in f. Each one that cannot be written is said on stderr
 * ("<tool>: cannot write <path>") and the others are still written; RELAY_E_IO when
 * any could not be. What that does to the exit status is the mode's (SPEC.md §12.1.1).
 */
RELAY_WUR enum relay_rc report_write_files(const struct report *r, const struct report_files *f);

#endif
