/*
 * cli.h - the subcommands of relay-conformance (SPEC.md §12).
 *
 *   relay-conformance [--base-url URL ...]      against a relay (main.c, suite.c)
 *   relay-conformance sdk -- COMMAND ...         against an SDK (mode_sdk.c)
 *   relay-conformance backend --callback-url ... against a tenant backend (mode_backend.c)
 *
 * main.c dispatches on argv[1]: for "sdk" and "backend" it calls the function below
 * with argc/argv shifted so that argv[0] is the subcommand name. Each returns the
 * process exit status (0 iff no FAIL; 1 if any FAIL; 2 for usage errors or an
 * unreachable target, SPEC.md §12.1.1). Both write their reports through report.h.
 */
#ifndef CONFORMANCE_CLI_H
#define CONFORMANCE_CLI_H

#include <getopt.h>

#include "report.h"

#define CONFORMANCE_EXIT_OK    0
#define CONFORMANCE_EXIT_FAIL  1
#define CONFORMANCE_EXIT_USAGE 2

int mode_sdk_main(int argc, char **argv);
int mode_backend_main(int argc, char **argv);

/* The suite against a relay; argv as given to main. */
int mode_relay_main(int argc, char **argv);

/*
 * cli.c: what the modes share on their command lines. The report options
 * (SPEC.md §12.1, §12.3) are parsed in one place: the relay mode through getopt_long
 * with CLI_REPORT_LONGOPTS in its table, the sdk and backend modes through
 * cli_report_arg() in their own argv loops.
 */
struct cli_report_args {
	struct report_options opt; /* --strict, --quiet, --verbose (color, progress: the mode's) */
	struct report_files files; /* --junit, --json, --html */
	const char *xfail;         /* --expected-failures FILE, or NULL */
};

enum cli_report_opt {
	CLI_STRICT = 0,
	CLI_QUIET,
	CLI_VERBOSE,
	CLI_JUNIT,
	CLI_JSON,
	CLI_HTML,
	CLI_XFAIL,
	CLI_REPORT_OPTS /* how many */
};

/* The report options as getopt_long entries; val is base + enum cli_report_opt. */
#define CLI_REPORT_LONGOPTS(base)                                                                  \
	{"strict", no_argument, NULL, (base) + CLI_STRICT},                                        \
		{"quiet", no_argument, NULL, (base) + CLI_QUIET},                                  \
		{"verbose", no_argument, NULL, (base) + CLI_VERBOSE},                              \
		{"junit", required_argument, NULL, (base) + CLI_JUNIT},                            \
		{"json", required_argument, NULL, (base) + CLI_JSON},                              \
		{"html", required_argument, NULL, (base) + CLI_HTML},                              \
	{                                                                                          \
		"expected-failures", required_argument, NULL, (base) + CLI_XFAIL                   \
	}

/* Records report option which; val is its argument (NULL for the flags). */
void cli_report_set(struct cli_report_args *a, enum cli_report_opt which, const char *val);

/*
 * For a mode's own argv loop: when arg is a report option ("--junit", ..., or "-v"),
 * records it and returns how many arguments it took (1, or 2 with its value val);
 * 0 when arg is not a report option; -1 when it wants a value and val is NULL.
 */
int cli_report_arg(struct cli_report_args *a, const char *arg, const char *val);

/*
 * report_new() with a->opt, then the expected-failures list of a->xfail. NULL (said
 * on stderr when the list cannot be read) on failure. Free with report_free().
 */
struct report *cli_report_new(const char *tool, const char *target,
			      const struct cli_report_args *a);

/* value, else the environment variable name when it is set and not empty, else NULL. */
const char *cli_env_or(const char *value, const char *name);

#endif
