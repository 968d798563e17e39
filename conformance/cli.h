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

#define CONFORMANCE_EXIT_OK    0
#define CONFORMANCE_EXIT_FAIL  1
#define CONFORMANCE_EXIT_USAGE 2

int mode_sdk_main(int argc, char **argv);
int mode_backend_main(int argc, char **argv);

/* The suite against a relay; argv as given to main. */
int mode_relay_main(int argc, char **argv);

#endif
