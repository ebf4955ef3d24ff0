/* cli: the `trident` command. One file per command; main.c dispatches. */
#ifndef TRI_CLI_H
#define TRI_CLI_H

#include <trident.h>

#include "../base/base.h"
#include "../wasi/wasi.h"

#define TRIDENT_VERSION TRI_VERSION /* one version: .twasm files record it */

/* Each command gets argv after the command name and returns the exit status. */
int cmd_validate(int argc, char **argv);
int cmd_wast(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_cache(int argc, char **argv);

/* WASI for `trident run` (run_wasi.c): options, then the context behind
 * the wasi_snapshot_preview1 imports. Functions returning int give 0 on
 * success, else the exit status after printing why. */
struct cli_wasi {
    VEC(struct wasi_preopen) dirs; /* strings borrowed from argv */
    VEC(char *) env;               /* "K=V", owned */
    struct wasi_ctx *ctx;          /* owned; outlives the store */
};
/* Takes --dir/--env at argv[*i] (moving *i past a separate value): 1 when
 * taken, 0 when not a WASI option, else a usage error's status. */
int cli_wasi_option(struct cli_wasi *w, int argc, char **argv, int *i);
/* Makes the context (argv = file, args...) and defines its imports. */
int cli_wasi_define(struct cli_wasi *w, tri_store *s, tri_linker *l, const char *file,
                    char **args, int nargs);
/* Points guest pointers at the instance's exported memory. */
void cli_wasi_bind(struct cli_wasi *w, tri_instance *inst);
void cli_wasi_free(struct cli_wasi *w);

/* True for -h and --help. */
bool cli_is_help(const char *arg);
/* Prints "backends:" and every known backend, marking the default and
 * those not built, as the last line of a command's help. */
void cli_print_backends(void);
/* Prints "trident: " and the message on stderr; returns 2 (usage error). */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wall-clock and CPU time (user + system, every thread) in ms, for -v:
 * cli_elapsed(start) is the time since start. */
struct cli_clock {
    double wall_ms, cpu_ms;
};
struct cli_clock cli_clock_now(void);
struct cli_clock cli_elapsed(struct cli_clock start);
/* Prints an error record as "FILE:offset 0xN: func N: message" on stderr. */
void cli_print_err(const char *file, const struct err *e);

#endif
