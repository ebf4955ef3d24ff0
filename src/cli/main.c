/* trident: command dispatch, --help and --version. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../compiler/compiler.h"
#include "cli.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"validate", cmd_validate, "validate [-v] FILE...  check modules; print nothing when valid"},
    {"run", cmd_run, "run [OPTIONS] FILE [ARGS...]  run a WASI program, or an export (--invoke)"},
    {"wast", cmd_wast, "wast [--backend=B] FILE.wast...  run spec test scripts"},
    {"compile", cmd_compile, "compile [--backend=B] FILE [-o FILE.twasm]  precompile a module"},
    {"cache", cmd_cache, "cache dir|clean       show or empty the compiled-code cache"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: trident COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        fprintf(f, "  %s\n", commands[i].summary);
    fprintf(f, "\noptions:\n  -h, --help     this text\n  -V, --version  print the version\n"
               "\n`trident COMMAND --help` describes a command.\n"
               "exit status: 0 success, 1 the module is invalid or failed, 2 usage error\n");
}

bool cli_is_help(const char *arg) { return !strcmp(arg, "-h") || !strcmp(arg, "--help"); }

void cli_print_backends(void)
{
    printf("backends:");
    for (size_t i = 0; cc_backend_name(i); i++) {
        const char *b = cc_backend_name(i);
        printf(" %s%s%s", b, strcmp(b, TRI_DEFAULT_BACKEND) ? "" : " (default)",
               tri_backend_available(b) ? "" : " (not built)");
    }
    printf("\n");
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "trident: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return 2;
}

static double ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct cli_clock cli_clock_now(void)
{
    return (struct cli_clock){ms(CLOCK_MONOTONIC), ms(CLOCK_PROCESS_CPUTIME_ID)};
}

struct cli_clock cli_elapsed(struct cli_clock start)
{
    struct cli_clock now = cli_clock_now();
    return (struct cli_clock){now.wall_ms - start.wall_ms, now.cpu_ms - start.cpu_ms};
}

void cli_print_err(const char *file, const struct err *e)
{
    fprintf(stderr, "%s:", file);
    if (e->offset != NO_OFFSET)
        fprintf(stderr, " offset 0x%zx:", e->offset);
    if (e->func != NO_FUNC)
        fprintf(stderr, " func %u:", e->func);
    fprintf(stderr, " %s: %s\n", err_code_name(e->code), e->msg);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (cli_is_help(cmd) || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("trident %s\n", TRIDENT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 2, argv + 2);
    cli_usage_error("unknown command '%s' (see trident --help)", cmd);
    return 2;
}
