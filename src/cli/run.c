/* trident run [--backend=B] [--dir D] [--env E] [--invoke F] FILE [ARGS...]
 *
 * Without --invoke: runs "_start" of a WASI command module with ARGS as its
 * argv (argv[0] = FILE as given); proc_exit's status becomes ours.
 * With --invoke: runs "_initialize" first if the module has it (a WASI
 * reactor), then calls export F with ARGS parsed per its parameter types,
 * printing each result on its own line (i32/i64 signed decimal, floats in
 * the shortest form that reads back exactly).
 * Either way a trap prints its message and backtrace on stderr and exits 1.
 * The WASI options and context are in run_wasi.c. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trident.h>

#include "cli.h"

struct run_opts {
    const char *backend;
    const char *cache_dir; /* NULL: the default folder */
    bool no_cache;
    const char *invoke; /* NULL: run _start */
    const char *file;
    char **args;
    int nargs;
    struct cli_wasi wasi;
};

static void run_usage(void)
{
    printf("usage: trident run [OPTIONS] FILE.wasm|FILE.wat|FILE.twasm [ARGS...]\n\n"
           "Runs _start of a WASI command module with ARGS as its argv (argv[0] is FILE as\n"
           "given); the program's exit status (proc_exit) is trident's. With --invoke F,\n"
           "calls export F with ARGS as its arguments and prints its results, one per line,\n"
           "after running _initialize if the module exports it (a WASI reactor).\n\n"
           "options:\n"
           "  --backend=B        compiler: singlepass, optimizing (default), llvm\n"
           "  --dir HOST[::GUEST]  preopen directory HOST, seen by the guest as GUEST\n"
           "                     (default: HOST as written); paths cannot leave it\n"
           "  --env KEY=VALUE    set a variable for the guest (repeatable); --env KEY\n"
           "                     passes the host's value. Nothing else is inherited.\n"
           "  --invoke F         call export F instead of _start\n"
           "  --no-cache         compile afresh; do not read or write the code cache\n"
           "  --cache-dir=DIR    cache compiled code in DIR (default: trident cache dir)\n"
           "  -h, --help         this text\n\n"
           "exit status: the program's own (proc_exit, 0 when _start returns); 1 when\n"
           "the module is invalid, cannot be linked or traps (the trap message and the\n"
           "wasm backtrace go to stderr); 2 for a usage error.\n"
           "environment: TRIDENT_WASI_RESOLVE=walk resolves paths without openat2.\n\n");
    cli_print_backends();
}

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
    *o = (struct run_opts){.backend = TRI_DEFAULT_BACKEND};
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        int w = cli_wasi_option(&o->wasi, argc, argv, &i);
        if (w == 1)
            continue;
        if (w)
            return w;
        if (cli_is_help(argv[i])) {
            run_usage();
            return -1;
        }
        if (!strncmp(argv[i], "--backend=", 10))
            o->backend = argv[i] + 10;
        else if (!strcmp(argv[i], "--invoke") && i + 1 < argc)
            o->invoke = argv[++i];
        else if (!strncmp(argv[i], "--invoke=", 9))
            o->invoke = argv[i] + 9;
        else if (!strcmp(argv[i], "--no-cache"))
            o->no_cache = true;
        else if (!strncmp(argv[i], "--cache-dir=", 12))
            o->cache_dir = argv[i] + 12;
        else if (!strcmp(argv[i], "--"))
            break;
        else
            return cli_usage_error("run: unknown option '%s'", argv[i]);
    }
    if (i < argc && !strcmp(argv[i], "--"))
        i++;
    if (i >= argc)
        return cli_usage_error("run: no file given (usage: trident run [--backend=B] "
                               "[--invoke F] FILE [ARGS...])");
    o->file = argv[i];
    o->args = argv + i + 1;
    o->nargs = argc - i - 1;
    return 0;
}

/* ---- arguments and results ---- */

static bool parse_int(const char *s, int bits, int64_t *out)
{
    char *end;
    errno = 0;
    bool neg = s[0] == '-';
    if (!isdigit((unsigned char)s[neg])) /* strtoull would take spaces and signs */
        return false;
    uint64_t u = strtoull(s + neg, &end, 0);
    uint64_t max = bits == 32 ? UINT32_MAX : UINT64_MAX;
    if (*end || errno || u > max || (neg && bits == 32 && u > 0x80000000u) ||
        (neg && bits == 64 && u > 0x8000000000000000u))
        return false;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return true;
}

static bool parse_arg(const char *s, uint8_t kind, tri_val *v)
{
    int64_t i;
    char *end;
    switch (kind) {
    case TRI_I32:
        if (!parse_int(s, 32, &i))
            return false;
        *v = tri_val_i32((int32_t)(uint32_t)i);
        return true;
    case TRI_I64:
        if (!parse_int(s, 64, &i))
            return false;
        *v = tri_val_i64(i);
        return true;
    case TRI_F32:
        *v = tri_val_f32(strtof(s, &end));
        return *s && !*end;
    case TRI_F64:
        *v = tri_val_f64(strtod(s, &end));
        return *s && !*end;
    default: /* references: only null can be written */
        *v = (tri_val){.kind = kind};
        return !strcmp(s, "null");
    }
}

/* The shortest %g form that reads back to the same value. */
static void print_float(double d, bool single)
{
    if (isnan(d)) {
        printf("NaN\n");
        return;
    }
    if (isinf(d)) {
        printf(d < 0 ? "-inf\n" : "inf\n");
        return;
    }
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (single ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
            break;
    }
    printf("%s\n", buf);
}

static void print_result(tri_val v)
{
    switch (v.kind) {
    case TRI_I32: printf("%" PRId32 "\n", v.of.i32); break;
    case TRI_I64: printf("%" PRId64 "\n", v.of.i64); break;
    case TRI_F32: print_float(tri_val_as_f32(v), true); break;
    case TRI_F64: print_float(tri_val_as_f64(v), false); break;
    case TRI_FUNCREF: printf(v.of.funcref ? "funcref\n" : "null\n"); break;
    default: printf(v.of.externref ? "externref\n" : "null\n"); break;
    }
}

/* ---- errors ---- */

static int report(const char *file, tri_error *e)
{
    if (tri_error_kind_of(e) == TRI_ERR_TRAP) {
        int32_t status;
        if (tri_error_exit_status(e, &status)) {
            tri_error_delete(e);
            return status;
        }
        fprintf(stderr, "trident: %s: trap: %s\n", file, tri_error_message(e));
        for (size_t k = 0; k < tri_error_frame_count(e); k++) {
            const tri_frame *f = tri_error_frame(e, k);
            fprintf(stderr, "  %zu: func %u", k, f->func_index);
            if (f->func_name)
                fprintf(stderr, " \"%s\"", f->func_name);
            if (f->module_offset != UINT64_MAX)
                fprintf(stderr, " at offset 0x%" PRIx64, f->module_offset);
            fprintf(stderr, "\n");
        }
    } else {
        fprintf(stderr, "trident: %s:", file);
        if (tri_error_offset(e) != UINT64_MAX)
            fprintf(stderr, " offset 0x%" PRIx64 ":", tri_error_offset(e));
        fprintf(stderr, " %s\n", tri_error_message(e));
    }
    tri_error_delete(e);
    return 1;
}

/* ---- running ---- */

/* Calls an exported function without arguments or results if the
 * instance has it (WASI's _start and _initialize); 0 or the status. */
static int call_if_exported(tri_store *s, tri_instance *inst, const char *name,
                            const struct run_opts *o)
{
    tri_extern x;
    if (!tri_instance_export(inst, name, strlen(name), &x) || x.kind != TRI_EXTERN_FUNC)
        return 0;
    tri_error *r = tri_func_call(s, x.of.func, NULL, 0, NULL, 0);
    return r ? report(o->file, r) : 0;
}

static int invoke(tri_store *s, tri_instance *inst, const struct run_opts *o)
{
    tri_extern x;
    int status = strcmp(o->invoke, "_initialize") ? call_if_exported(s, inst, "_initialize", o) : 0;
    if (status)
        return status;
    if (!tri_instance_export(inst, o->invoke, strlen(o->invoke), &x) ||
        x.kind != TRI_EXTERN_FUNC) {
        fprintf(stderr, "trident: %s: no exported function '%s'\n", o->file, o->invoke);
        return 1;
    }
    tri_functype t = tri_func_type(x.of.func);
    if ((uint32_t)o->nargs != t.nparams) {
        fprintf(stderr, "trident: '%s' takes %u arguments, %d given\n", o->invoke, t.nparams,
                o->nargs);
        return 2;
    }
    tri_val *vals = calloc((size_t)t.nparams + t.nresults + 1, sizeof *vals);
    if (!vals)
        return report(o->file, tri_trap_new("out of memory"));
    for (uint32_t i = 0; i < t.nparams; i++)
        if (!parse_arg(o->args[i], t.params[i], &vals[i])) {
            free(vals);
            fprintf(stderr, "trident: argument %u '%s' is not a valid %s\n", i + 1, o->args[i],
                    t.params[i] == TRI_I32   ? "i32"
                    : t.params[i] == TRI_I64 ? "i64"
                    : t.params[i] == TRI_F32 ? "f32"
                    : t.params[i] == TRI_F64 ? "f64" : "reference (only null)");
            return 2;
        }
    tri_val *res = vals + t.nparams;
    tri_error *r = tri_func_call(s, x.of.func, vals, t.nparams, res, t.nresults);
    for (uint32_t i = 0; !r && i < t.nresults; i++)
        print_result(res[i]);
    fflush(stdout);
    free(vals);
    return r ? report(o->file, r) : 0;
}

static int run_module(tri_engine *e, const uint8_t *bytes, size_t len, struct run_opts *o)
{
    tri_module *m;
    tri_error *r = tri_module_new(e, bytes, len, &m);
    if (r)
        return report(o->file, r);
    tri_store *s = tri_store_new(e);
    tri_linker *l = s ? tri_linker_new(s) : NULL;
    tri_instance *inst = NULL;
    int status = !l ? report(o->file, tri_trap_new("out of memory"))
                    : cli_wasi_define(&o->wasi, s, l, o->file, o->invoke ? NULL : o->args,
                                      o->invoke ? 0 : o->nargs);
    if (!status && (r = tri_linker_instantiate(l, m, &inst)))
        status = report(o->file, r);
    if (!status)
        cli_wasi_bind(&o->wasi, inst);
    if (!status && o->invoke)
        status = invoke(s, inst, o);
    else if (!status)
        status = call_if_exported(s, inst, "_start", o);
    tri_store_delete(s);
    tri_module_delete(m);
    return status;
}

int cmd_run(int argc, char **argv)
{
    struct run_opts o;
    int bad = parse_opts(argc, argv, &o);
    if (bad) {
        cli_wasi_free(&o.wasi);
        return bad < 0 ? 0 : bad;
    }
    /* A guest writing to a closed pipe gets EPIPE, as a native program
     * ignoring SIGPIPE would, instead of killing trident. */
    signal(SIGPIPE, SIG_IGN);
    tri_config c;
    tri_config_default(&c);
    c.backend = o.backend;
    c.cache = !o.no_cache;
    c.cache_dir = o.cache_dir;
    tri_engine *e;
    tri_error *r = tri_engine_new(&c, &e);
    if (r) {
        fprintf(stderr, "trident: %s\n", tri_error_message(r));
        tri_error_delete(r);
        cli_wasi_free(&o.wasi);
        return 2;
    }
    struct err err;
    err_clear(&err);
    uint8_t *bytes;
    size_t len;
    int status;
    if (!file_read(o.file, &bytes, &len, &err)) {
        fprintf(stderr, "trident: %s\n", err.msg);
        status = 1;
    } else {
        status = run_module(e, bytes, len, &o);
        free(bytes);
    }
    cli_wasi_free(&o.wasi);
    tri_engine_delete(e);
    return status;
}
