/*
 * cli.c - what the three modes of relay-conformance share on their command lines
 * (SPEC.md §12): the report options and the environment fallbacks.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_report_set(struct cli_report_args *a, enum cli_report_opt which, const char *val)
{
	/* each option is a flag set to true or a string taking val */
	bool *flag[CLI_REPORT_OPTS] = {[CLI_STRICT] = &a->opt.strict,
				       [CLI_QUIET] = &a->opt.quiet,
				       [CLI_VERBOSE] = &a->opt.verbose};
	const char **slot[CLI_REPORT_OPTS] = {[CLI_JUNIT] = &a->files.junit,
					      [CLI_JSON] = &a->files.json,
					      [CLI_HTML] = &a->files.html,
					      [CLI_XFAIL] = &a->xfail};

	if ((unsigned)which >= CLI_REPORT_OPTS)
		return;
	if (flag[which] != NULL)
		*flag[which] = true;
	else
		*slot[which] = val;
}

int cli_report_arg(struct cli_report_args *a, const char *arg, const char *val)
{
	static const struct option opts[] = {CLI_REPORT_LONGOPTS(0), {NULL, 0, NULL, 0}};

	if (strcmp(arg, "-v") == 0) {
		cli_report_set(a, CLI_VERBOSE, NULL);
		return 1;
	}
	if (strncmp(arg, "--", 2) != 0)
		return 0;
	for (size_t i = 0; opts[i].name != NULL; i++) {
		if (strcmp(arg + 2, opts[i].name) != 0)
			continue;
		if (opts[i].has_arg == no_argument) {
			cli_report_set(a, (enum cli_report_opt)opts[i].val, NULL);
			return 1;
		}
		if (val == NULL)
			return -1;
		cli_report_set(a, (enum cli_report_opt)opts[i].val, val);
		return 2;
	}
	return 0;
}

struct report *cli_report_new(const char *tool, const char *target, const struct cli_report_args *a)
{
	struct report *r = report_new(tool, target, &a->opt);

	if (r == NULL || a->xfail == NULL)
		return r;
	if (report_load_expected_failures(r, a->xfail) != RELAY_OK) {
		fprintf(stderr, "%s: cannot read %s\n", tool, a->xfail);
		report_free(r);
		return NULL;
	}
	return r;
}

const char *cli_env_or(const char *value, const char *name)
{
	const char *e;

	if (value != NULL)
		return value;
	e = getenv(name);
	return e != NULL && e[0] != '\0' ? e : NULL;
}
