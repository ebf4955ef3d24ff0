/* Differential testing of the optimizing backend against singlepass: each
 * module given on the command line (tests/cli/opt_diff.sh makes them with
 * binaryen's translate-to-fuzz) is instantiated on both backends with the
 * fuzzer's logging imports; every exported function is called with zero
 * arguments, and the results, traps and logged values must agree (NaNs
 * compare as NaNs: wasm leaves their payloads open). Every other module
 * runs the optimizing backend with explicit bounds checks. One PASS/FAIL
 * line per run. Without arguments, checks itself on a small module. */
#include <inttypes.h>
#include <string.h>

#include "../../src/base/base.h"
#include "api_util.h"
#include "check.h"

enum { MAX_LOG = 4096 };

/* Totals over all modules, to show the comparison is not empty. */
static unsigned ncalls, nlogs, ntraps, nbroken;

/* What one backend did: the log of host calls and results, as text. */
struct trace {
    struct buf out;
};

static void note(struct trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct trace *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (t->out.len < MAX_LOG * 32)
        buf_vprintf(&t->out, fmt, ap);
    va_end(ap);
}

static void note_val(struct trace *t, tri_val v)
{
    switch (v.kind) {
    case TRI_I32: note(t, "i32:%" PRId32 " ", v.of.i32); break;
    case TRI_I64: note(t, "i64:%" PRId64 " ", v.of.i64); break;
    case TRI_F32: {
        float f = tri_val_as_f32(v);
        f != f ? note(t, "f32:nan ") : note(t, "f32:%08" PRIx32 " ", v.of.f32_bits);
        break;
    }
    case TRI_F64: {
        double d = tri_val_as_f64(v);
        d != d ? note(t, "f64:nan ") : note(t, "f64:%016" PRIx64 " ", v.of.f64_bits);
        break;
    }
    default: note(t, "ref:%d ", v.of.externref != NULL); break;
    }
}

static tri_error *logger(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                         tri_val *results, size_t nresults)
{
    (void)caller, (void)results, (void)nresults;
    struct trace *t = data;
    nlogs++;
    note(t, "log ");
    for (size_t i = 0; i < nargs; i++)
        note_val(t, args[i]);
    note(t, "\n");
    return NULL;
}

/* Resolves every import of m: the fuzzer's log functions (any signature
 * logs its arguments); other kinds are not expected. */
static bool imports(tri_store *s, tri_module *m, struct trace *t, tri_extern *ext)
{
    for (size_t i = 0; i < tri_module_import_count(m); i++) {
        tri_importtype it;
        tri_module_import(m, i, &it);
        if (it.type.kind != TRI_EXTERN_FUNC || it.type.of.func.nresults)
            return false;
        tri_func *f = tri_func_new(s, &it.type.of.func, logger, t, NULL);
        if (!f)
            return false;
        ext[i] = (tri_extern){TRI_EXTERN_FUNC, {.func = f}};
    }
    return true;
}

/* One export's line of the trace (the logs it made come before it). */
static void seen(void *ctx, const char *name, size_t nlen, tri_functype ft, const tri_error *trap,
                 const tri_val *res)
{
    struct trace *t = ctx;
    note(t, "call %.*s: ", (int)nlen, name);
    ntraps += trap != NULL;
    if (trap)
        note(t, "trap %d", tri_error_trap_code(trap));
    for (uint32_t k = 0; !trap && k < ft.nresults; k++)
        note_val(t, res[k]);
    note(t, "\n");
}

/* Runs every function export of the module on one backend. */
static bool run(const char *backend, bool bounds, const uint8_t *bytes, size_t len,
                struct trace *t)
{
    tri_config c;
    tri_config_default(&c);
    c.backend = backend;
    c.bounds_checks = bounds;
    tri_engine *e;
    tri_module *m = NULL;
    tri_error *r = tri_engine_new(&c, &e);
    if (!r)
        r = tri_module_new(e, bytes, len, &m);
    if (r) {
        nbroken++;
        note(t, "module: %s\n", tri_error_message(r));
        tri_error_delete(r);
        if (!m && e)
            tri_engine_delete(e);
        return false;
    }
    tri_store *s = tri_store_new(e);
    tri_extern ext[64];
    tri_instance *inst = NULL;
    if (tri_module_import_count(m) > 64 || !imports(s, m, t, ext))
        note(t, "imports not supported\n");
    else if ((r = tri_instance_new(s, m, ext, tri_module_import_count(m), &inst)))
        note(t, "instantiate: %s\n", tri_error_message(r));
    tri_error_delete(r);
    ncalls += call_exports(s, inst, seen, t);
    tri_store_delete(s);
    tri_module_delete(m);
    tri_engine_delete(e);
    return true;
}

/* Compares the two backends on one module, the optimizing one with
 * explicit bounds checks when `bounds`; false with a FAIL line. */
static bool compare(const char *file, const uint8_t *bytes, size_t len, bool bounds)
{
    struct trace a = {0}, b = {0};
    run("singlepass", false, bytes, len, &a);
    run("optimizing", bounds, bytes, len, &b);
    buf_byte(&a.out, 0);
    buf_byte(&b.out, 0);
    bool same = a.out.len == b.out.len && !memcmp(a.out.data, b.out.data, a.out.len);
    if (!same) { /* show both from the line where they part */
        size_t k = 0, line = 0;
        while (k < a.out.len && k < b.out.len && a.out.data[k] == b.out.data[k])
            if (a.out.data[k++] == '\n')
                line = k;
        printf("FAIL opt_diff %s: the backends differ:\n  singlepass: %.100s\n"
               "  optimizing: %.100s\n", file, (const char *)a.out.data + line,
               (const char *)b.out.data + line);
    }
    buf_free(&a.out);
    buf_free(&b.out);
    return same;
}

int main(int argc, char **argv)
{
    if (!tri_backend_available("singlepass") || !tri_backend_available("optimizing")) {
        printf("PASS opt_diff: (a backend is not built)\n");
        return 0;
    }
    if (argc > 1) {
        int failed = 0;
        for (int i = 1; i < argc; i++) {
            uint8_t *bytes;
            size_t len;
            struct err e;
            err_clear(&e);
            if (!file_read(argv[i], &bytes, &len, &e)) {
                printf("FAIL opt_diff %s: %s\n", argv[i], e.msg);
                failed++;
                continue;
            }
            failed += !compare(argv[i], bytes, len, i % 2);
            free(bytes);
        }
        if (!failed) /* the totals count both backends */
            printf("PASS opt_diff: %d modules agree (%u calls, %u traps, %u logged values, "
                   "%u modules rejected)\n", argc - 1, ncalls / 2, ntraps / 2, nlogs / 2,
                   nbroken / 2);
        return failed != 0;
    }
    size_t len = 0;
    uint8_t *bytes = wat("(module (import \"fuzzing-support\" \"log-i32\" (func $log (param i32)))"
                         "  (func (export \"f\") (result i32) (call $log (i32.const 7))"
                         "    (i32.div_u (i32.const 9) (i32.const 2)))"
                         "  (func (export \"t\") (result i64) unreachable))", &len);
    CHECK(bytes && compare("self-test", bytes, len, false) &&
              compare("self-test", bytes, len, true),
          "the backends disagree on the self-test");
    free(bytes);
    return test_done("opt_diff");
}
