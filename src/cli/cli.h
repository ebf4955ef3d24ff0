/* cli: the `trident` command. One file per command; main.c dispatches. */
#ifndef TRI_CLI_H
#define TRI_CLI_H

#include "../base/base.h"

#define TRIDENT_VERSION "0.1.0"

/* Each command gets argv after the command name and returns the exit status. */
int cmd_validate(int argc, char **argv);
int cmd_wast(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Prints "trident: " and the message on stderr; returns 2 (usage error). */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints an error record as "FILE:offset 0xN: func N: message" on stderr. */
void cli_print_err(const char *file, const struct err *e);

#endif
