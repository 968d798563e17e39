/*
 * hmac1_cli.h - pieces shared by the hmac1 command's subcommands.
 *
 * Exit codes of every subcommand: 0 accepted / all passed, 1 refused / a case
 * failed, 2 usage error (unknown flag, bad number, unreadable file).
 */
#ifndef HMAC1_CLI_H
#define HMAC1_CLI_H

#include <stddef.h>
#include <stdint.h>

#define EXIT_ACCEPTED 0
#define EXIT_REFUSED  1
#define EXIT_USAGE    2

#define HMAC1_BODY_FILE_MAX (16u * 1024 * 1024) /* largest --body-file read */

/*
 * Reads path ("-" = stdin) whole into a new buffer (caller frees; never NULL on
 * success, even when empty). Returns 0, or -1 with a message on stderr.
 */
int cli_read_file(const char *path, size_t max, unsigned char **out, size_t *len);

/* 1 when s is 1-20 ASCII digits that fit an int64 (stored in *v). */
int cli_parse_ms(const char *s, int64_t *v);

/* Prints s single-quoted for a POSIX shell. */
void cli_print_shell_quoted(const char *s);

/* `hmac1 vectors FILE...` (hmac1_vectors.c); argv[0] is "vectors". */
int hmac1_vectors_main(int argc, char **argv);

#endif
