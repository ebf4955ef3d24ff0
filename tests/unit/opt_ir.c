/* The optimizing backend's IR: construction from small modules (locals in
 * SSA form, phis at joins and loop headers, dead code dropped, explicit
 * traps) checked against the dump, with the verifier on.
 *
 * With file arguments (wasm modules), builds every function of each and
 * prints one PASS/FAIL line per file: tests/cli/opt_ir_spec.sh runs it on
 * the spec suite's modules. */
#include <string.h>

#include "../../src/optimizing/optimizing.h"
#include "api_util.h"
#include "check.h"

/* Builds every function of a module; appends their dumps to out (if not
 * NULL). False with e set on failure. */
static bool build_all(const uint8_t *bytes, size_t len, bool bounds, struct buf *out,
                      struct err *e)
{
    struct module m;
    err_clear(e);
    if (!dec_module(&m, bytes, len, e))
        return false;
    /* the dumps show the builder's IR; modules given as files run every pass */
    struct cc_options o = {.opt_level = out ? 0 : 2, .bounds_checks = bounds};
    bool ok = val_module_header(&m, e);
    struct opt_build *b = ok ? opt_build_new(&m, &o) : NULL;
    for (uint32_t f = m.nfunc_imports; ok && b && f < m.nfuncs; f++) {
        struct arena a = {0};
        struct opt_func fn;
        ok = opt_pipeline_ir(b, f, &a, &fn, e) && opt_verify(&fn, "test", e);
        if (ok && out)
            opt_dump(&fn, out);
        arena_free(&a);
    }
    opt_build_free(b);
    dec_module_free(&m);
    return ok;
}

/* The dump of a WAT module's functions as a NUL-terminated string
 * (malloc'd), or NULL. */
static char *dump_wat(const char *text, bool bounds)
{
    size_t len = 0;
    uint8_t *bytes = wat(text, &len);
    if (!bytes)
        return NULL;
    struct buf out = {0};
    struct err e;
    bool ok = build_all(bytes, len, bounds, &out, &e);
    free(bytes);
    buf_byte(&out, 0);
    if (!ok || out.oom) {
        printf("note: %s\n", e.msg);
        buf_free(&out);
        return NULL;
    }
    return (char *)out.data;
}

static unsigned count(const char *s, const char *what)
{
    unsigned n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* Straight-line locals need no memory and no phis. */
static void test_straight(void)
{
    char *d = dump_wat("(module (func (param i32 i32) (result i32) (local i32)"
                       "  local.get 0 local.get 1 i32.add local.set 2"
                       "  local.get 2 local.get 2 i32.mul))", false);
    CHECK(d, "build failed");
    if (!d)
        return;
    const char *want = "func 0 (i32 i32) -> (i32)\n"
                       "b0:\n"
                       "  v1 = param.i64 0\n"
                       "  v2 = param.i32 1\n"
                       "  v3 = param.i32 2\n"
                       "  v4 = iconst.i32 0\n"
                       "  v5 = iconst.i64 0\n"
                       "  v6 = fconst.f32 0x0\n"
                       "  v7 = fconst.f64 0x0\n"
                       "  v8 = add.i32 v2, v3\n"
                       "  v9 = mul.i32 v8, v8\n"
                       "  ret v9\n";
    CHECK(!strcmp(d, want), "dump:\n%s", d);
    free(d);
}

/* A counting loop: the counter and the sum get phis in the header; the
 * untouched parameter does not. */
static void test_loop(void)
{
    char *d = dump_wat("(module (func (param i32 i32) (result i32) (local i32)"
                       "  (loop $l"
                       "    local.get 2 local.get 1 i32.add local.set 2"
                       "    local.get 0 i32.const 1 i32.sub local.tee 0"
                       "    br_if $l)"
                       "  local.get 2))", false);
    CHECK(d, "build failed");
    if (!d)
        return;
    CHECK(count(d, "= phi.i32") == 2, "two phis expected:\n%s", d);
    CHECK(count(d, "brif") == 1 && count(d, "load") == 0, "dump:\n%s", d);
    free(d);
}

/* if/else merges a local and a block result; code after unreachable and
 * after br is dropped. */
static void test_if_else(void)
{
    char *d = dump_wat("(module (func (param i32) (result i32) (local i32)"
                       "  (if (result i32) (local.get 0)"
                       "    (then i32.const 7 local.set 1 i32.const 1)"
                       "    (else i32.const 9 local.set 1 i32.const 2))"
                       "  local.get 1 i32.add)"
                       "(func (result i32) (block (result i32) i32.const 1 br 0 i32.const 5"
                       "  i32.const 6 i32.add))"
                       "(func unreachable i32.const 1 drop))", false);
    CHECK(d, "build failed");
    if (!d)
        return;
    CHECK(count(d, "= phi.i32") == 2, "dump:\n%s", d);
    CHECK(count(d, "iconst.i32 5") == 0 && count(d, "iconst.i32 6") == 0, "dead code kept:\n%s", d);
    CHECK(count(d, "trap.unreachable") == 1, "dump:\n%s", d);
    free(d);
}

/* Division traps, memory addressing in both modes, call_indirect's
 * checks, multi-value calls and returns. */
static void test_explicit(void)
{
    const char *text =
        "(module (memory 1) (table 2 funcref) (type $t (func (param i32) (result i32)))"
        "  (func (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)"
        "  (func (param i32) (result i32) local.get 0 i32.load offset=16)"
        "  (func (param i32) (result i32) local.get 0 local.get 0 call_indirect (type $t))"
        "  (func (result i32 i64) i32.const 1 i64.const 2)"
        "  (func (result i32) call 3 drop))";
    char *d = dump_wat(text, false);
    CHECK(d, "build failed");
    if (!d)
        return;
    CHECK(count(d, "trap_if.div_zero") == 1 && count(d, "trap_if.int_overflow") == 1,
          "division checks:\n%s", d);
    CHECK(count(d, "load.i32.heap.i32 v") == 1 && count(d, "+16\n") >= 1, "heap load:\n%s", d);
    CHECK(count(d, "trap_if.undefined_element") == 1 && count(d, "trap_if.null_element") == 1 &&
          count(d, "trap_if.bad_signature") == 1 && count(d, "call_ind") == 1,
          "call_indirect:\n%s", d);
    CHECK(count(d, "slot_addr") == 1 && count(d, "store.64 ") == 1, "multi-value:\n%s", d);
    free(d);
    d = dump_wat(text, true);
    CHECK(d && count(d, "trap_if.memory_oob") == 1, "bounds-check mode:\n%s", d ? d : "");
    free(d);
}

/* br_table to blocks and to the function's label; nested loops. */
static void test_branches(void)
{
    char *d = dump_wat("(module (func (param i32) (result i32) (local i32)"
                       "  (block $a (block $b (block $c"
                       "    i32.const 3 local.set 1"
                       "    (br_table $a $b $c $a (local.get 0)))"
                       "    i32.const 4 local.set 1)"
                       "    i32.const 5 local.set 1)"
                       "  local.get 1)"
                       "(func (param i32) (block $a (br_table $a 1 (local.get 0))))"
                       "(func (param i32) (loop $o (loop $i local.get 0 br_if $i"
                       "  local.get 0 br_if $o))))", false);
    CHECK(d, "build failed");
    if (!d)
        return;
    CHECK(count(d, "br_table") == 2 && count(d, "ret") >= 3, "dump:\n%s", d);
    CHECK(count(d, "phi") == 1, "one phi for local 1 at $a:\n%s", d);
    free(d);
}

/* Builds every function of the files given; one line per file. */
static int build_files(int n, char **files)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        uint8_t *bytes;
        size_t len;
        struct err e;
        err_clear(&e);
        bool ok = file_read(files[i], &bytes, &len, &e);
        if (ok) {
            /* invalid modules must fail cleanly (the pre-scan sees their
               bodies before the validator does); valid ones must build */
            struct module m;
            if (dec_module(&m, bytes, len, &e)) {
                bool valid = val_module(&m, &e);
                dec_module_free(&m);
                err_clear(&e);
                bool built = build_all(bytes, len, false, NULL, &e) &&
                             build_all(bytes, len, true, NULL, &e);
                ok = valid ? built : !built && (e.code == ERR_INVALID || e.code == ERR_MALFORMED ||
                                                e.code == ERR_LIMIT);
                if (!valid && ok)
                    err_clear(&e);
                else if (!valid && built)
                    err_set(&e, ERR_INVALID, NO_OFFSET, "invalid module built");
            }
            free(bytes);
        }
        if (!ok && e.code != ERR_UNSUPPORTED) {
            printf("FAIL opt_ir %s: %s\n", files[i], e.msg);
            failed++;
        }
    }
    if (!failed)
        printf("PASS opt_ir files (%d)\n", n);
    return failed != 0;
}

int main(int argc, char **argv)
{
    setenv("TRIDENT_OPT_CHECK", "1", 1);
    if (argc > 1)
        return build_files(argc - 1, argv + 1);
    test_straight();
    test_loop();
    test_if_else();
    test_explicit();
    test_branches();
    return test_done("opt_ir");
}
