/* trident compile [--backend=B] [--bounds-checks] [-O0..3] [-v] FILE
 *                 [-o FILE.twasm] [--code=OUT]
 * decodes, validates and compiles a module (binary or text) with one
 * backend and prints nothing when that works.
 *   -o      writes a precompiled .twasm file (runtime/twasm.c) that
 *           `trident run` and tri_module_new load without compiling; it is
 *           written whole under a temporary name, then renamed.
 *   --code  writes the machine code of every function as raw x86-64
 *           (objdump -D -b binary -mi386:x86-64) and prints the function
 *           extents on stdout as "INDEX OFFSET SIZE" lines.
 *   -v      prints the code size and the time taken on stderr: decoding,
 *           validation and compilation, measured inside the process (as
 *           V8's own timers measure it), wall clock and CPU (all threads). */
#include <stdio.h>
#include <string.h>

#include "../runtime/runtime.h"
#include "../text/text.h"
#include "../validate/validate.h"
#include "cli.h"

struct job {
    const char *backend, *file, *out, *code_out;
    struct cc_options opt;
    bool verbose;
};

static bool write_code(const struct job *j, const struct module *m, const struct cc_artifact *a)
{
    FILE *f = fopen(j->code_out, "wb");
    bool ok = f && (!a->code.len || fwrite(a->code.data, a->code.len, 1, f) == 1);
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok) {
        fprintf(stderr, "trident: cannot write %s\n", j->code_out);
        return false;
    }
    for (size_t i = 0; i < a->funcs.len; i++)
        printf("%zu %u %u\n", m->nfunc_imports + i, a->funcs.data[i].offset,
               a->funcs.data[i].size);
    return true;
}

static bool write_twasm(const struct job *j, const struct module *m, struct cc_artifact *a,
                        struct err *e)
{
    struct rt_twasm_plan p;
    return cc_artifact_finish(a, m, e) && rt_twasm_plan(&p, a, m->bytes, m->size, true, e) &&
           rt_twasm_save(j->out, &p, e);
}

/* Compiles bytes that decoded into m, decoding having begun at start;
 * false with e set or a message printed. */
static bool compile(const struct job *j, const struct module *m, struct cli_clock start,
                    struct err *e)
{
    const struct cc_backend *b = cc_backend_find(j->backend);
    if (!b)
        return err_set(e, ERR_UNSUPPORTED, NO_OFFSET, "%s backend is not built in", j->backend);
    struct cc_artifact a;
    if (!val_module_header(m, e) || !b->compile(m, &j->opt, &a, e))
        return false;
    if (j->verbose) {
        struct cli_clock t = cli_elapsed(start);
        fprintf(stderr, "%s: %s -O%u: %u functions, %zu bytes of code in %.1f ms wall, %.1f ms CPU\n",
                j->file, j->backend, j->opt.opt_level, m->nfuncs - m->nfunc_imports, a.code.len,
                t.wall_ms, t.cpu_ms);
    }
    bool ok = (!j->code_out || write_code(j, m, &a)) &&
              (!j->out || write_twasm(j, m, &a, e));
    cc_artifact_free(&a);
    return ok;
}

static int compile_file(const struct job *j)
{
    struct err e;
    err_clear(&e);
    uint8_t *bytes, *wasm;
    size_t len, wasm_len;
    bool owned;
    if (!file_read(j->file, &bytes, &len, &e)) {
        fprintf(stderr, "trident: %s\n", e.msg);
        return 1;
    }
    if (!txt_module_bytes(bytes, len, &wasm, &wasm_len, &owned, &e)) {
        uint32_t line, col;
        txt_line_col((const char *)bytes, len, e.offset, &line, &col);
        fprintf(stderr, "%s:%u:%u: %s\n", j->file, line, col, e.msg);
        free(bytes);
        return 1;
    }
    struct module m;
    struct cli_clock start = cli_clock_now();
    bool ok = dec_module(&m, wasm, wasm_len, &e);
    if (ok) {
        ok = compile(j, &m, start, &e);
        dec_module_free(&m);
    }
    if (!ok && !err_ok(&e))
        cli_print_err(j->file, &e);
    if (owned)
        free(wasm);
    free(bytes);
    return ok ? 0 : 1;
}

static void compile_usage(void)
{
    printf("usage: trident compile [OPTIONS] FILE.wasm|FILE.wat [-o FILE.twasm]\n\n"
           "Decodes, validates and compiles a module with one backend and prints nothing\n"
           "when that works. With -o, writes a precompiled module that `trident run` and\n"
           "the embedding API load without compiling (for this build of trident only).\n\n"
           "options:\n"
           "  --backend=B        compiler: singlepass, optimizing (default), llvm\n"
           "  -O0 .. -O3         optimisation level of optimizing and llvm (default -O2)\n"
           "  --bounds-checks    check every memory access in code instead of relying\n"
           "                     on guard pages\n"
           "  -o FILE.twasm      write the precompiled module\n"
           "  --code=OUT         write every function's machine code to OUT (raw x86-64)\n"
           "                     and print \"INDEX OFFSET SIZE\" for each on stdout\n"
           "  -v                 print the code size and the time to decode, validate and\n"
           "                     compile (wall clock and CPU, all threads) on stderr\n"
           "  -h, --help         this text\n\n"
           "exit status: 0 compiled; 1 the module is invalid or cannot be compiled or\n"
           "written; 2 for a usage error.\n\n");
    cli_print_backends();
}

int cmd_compile(int argc, char **argv)
{
    struct job j = {.backend = TRI_DEFAULT_BACKEND, .opt = {.opt_level = 2}};
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            compile_usage();
            return 0;
        } else if (!strncmp(argv[i], "--backend=", 10)) {
            j.backend = argv[i] + 10;
            if (!cc_backend_known(j.backend))
                return cli_usage_error("compile: unknown backend '%s'", j.backend);
        } else if (!strcmp(argv[i], "--bounds-checks")) {
            j.opt.bounds_checks = true;
        } else if (argv[i][0] == '-' && argv[i][1] == 'O' && argv[i][2] >= '0' &&
                   argv[i][2] <= '3' && !argv[i][3]) {
            j.opt.opt_level = (uint8_t)(argv[i][2] - '0');
        } else if (!strcmp(argv[i], "-v")) {
            j.verbose = true;
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            j.out = argv[++i];
        } else if (!strncmp(argv[i], "--code=", 7)) {
            j.code_out = argv[i] + 7;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("compile: unknown option '%s'", argv[i]);
        } else if (j.file) {
            return cli_usage_error("compile: one file at a time");
        } else {
            j.file = argv[i];
        }
    }
    if (!j.file)
        return cli_usage_error("compile: no file given (usage: trident compile [--backend=B] "
                               "[--bounds-checks] [-O0..3] [-v] FILE [-o FILE.twasm] "
                               "[--code=OUT])");
    return compile_file(&j);
}
