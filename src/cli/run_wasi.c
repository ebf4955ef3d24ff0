/* The WASI side of `trident run`: the --dir and --env options, and the
 * context that gives a command module its arguments, environment, stdio
 * and preopened directories. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wasi/wasi.h"

/* Splits "HOST[::GUEST]"; the guest name defaults to HOST as written. */
static int add_dir(struct cli_wasi *w, char *spec)
{
    char *sep = strstr(spec, "::");
    struct wasi_preopen d = {spec, spec};
    if (sep) {
        *sep = 0; /* argv strings are ours to cut */
        d.guest = sep + 2;
    }
    if (!*d.host || !*d.guest)
        return cli_usage_error("run: --dir wants HOST[::GUEST], got '%s'", spec);
    struct wasi_preopen *slot = vec_push(&w->dirs);
    if (!slot)
        return cli_usage_error("out of memory");
    *slot = d;
    return 0;
}

/* "K=V" as given, or "K" with the host's value (left out when unset). */
static int add_env(struct cli_wasi *w, const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (eq == spec || !*spec)
        return cli_usage_error("run: --env wants KEY=VALUE or KEY, got '%s'", spec);
    const char *host = eq ? NULL : getenv(spec);
    if (!eq && !host)
        return 0;
    char *entry;
    int n = eq ? asprintf(&entry, "%s", spec) : asprintf(&entry, "%s=%s", spec, host);
    char **slot = n < 0 ? NULL : vec_push(&w->env);
    if (!slot) {
        if (n >= 0)
            free(entry);
        return cli_usage_error("out of memory");
    }
    *slot = entry;
    return 0;
}

int cli_wasi_option(struct cli_wasi *w, int argc, char **argv, int *i)
{
    static const char *const names[] = {"--dir", "--env"};
    for (size_t k = 0; k < ARRAY_LEN(names); k++) {
        size_t n = strlen(names[k]);
        char *value;
        if (strncmp(argv[*i], names[k], n))
            continue;
        if (argv[*i][n] == '=')
            value = argv[*i] + n + 1;
        else if (!argv[*i][n] && *i + 1 < argc)
            value = argv[++*i];
        else if (!argv[*i][n])
            return cli_usage_error("run: %s needs a value", names[k]);
        else
            continue;
        int bad = k == 0 ? add_dir(w, value) : add_env(w, value);
        return bad ? bad : 1;
    }
    return 0;
}

int cli_wasi_define(struct cli_wasi *w, tri_store *s, tri_linker *l, const char *file,
                    char **args, int nargs)
{
    const char **argv = malloc(((size_t)nargs + 1) * sizeof *argv);
    if (!argv) {
        fprintf(stderr, "trident: out of memory\n");
        return 1;
    }
    argv[0] = file;
    for (int i = 0; i < nargs; i++)
        argv[i + 1] = args[i];
    /* TRIDENT_WASI_RESOLVE=walk: the portable resolver even where openat2
     * exists, so tests can run both. */
    const char *how = getenv("TRIDENT_WASI_RESOLVE");
    struct wasi_config cfg = {
        .argv = argv, .argc = (size_t)nargs + 1,
        .env = (const char *const *)w->env.data, .nenv = w->env.len,
        .dirs = w->dirs.data, .ndirs = w->dirs.len,
        .stdio = {0, 1, 2},
        .no_openat2 = how && !strcmp(how, "walk"),
    };
    struct err e;
    err_clear(&e);
    bool ok = wasi_ctx_new(&cfg, &w->ctx, &e) && wasi_define(w->ctx, s, l, &e);
    free(argv);
    if (!ok)
        fprintf(stderr, "trident: %s\n", e.msg);
    return ok ? 0 : 1;
}

void cli_wasi_bind(struct cli_wasi *w, tri_instance *inst)
{
    tri_extern mem;
    if (w->ctx && tri_instance_export(inst, "memory", 6, &mem) && mem.kind == TRI_EXTERN_MEMORY)
        wasi_ctx_set_memory(w->ctx, mem.of.memory);
}

void cli_wasi_free(struct cli_wasi *w)
{
    wasi_ctx_delete(w->ctx);
    for (size_t i = 0; i < w->env.len; i++)
        free(w->env.data[i]);
    vec_free(&w->env);
    vec_free(&w->dirs);
    *w = (struct cli_wasi){0};
}
