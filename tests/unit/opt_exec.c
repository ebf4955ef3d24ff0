/* The optimizing backend end to end, on what the spec suite exercises
 * little: register pressure across calls (integer and float), cycles of
 * phi moves, many stack arguments and results, a dispatch loop whose
 * locals go through memory (a memory label), traps, recursion to stack
 * exhaustion, and deterministic output of the parallel compile. Results
 * are checked against the same computation in C. */
#include <inttypes.h>
#include <math.h>

#include "../../src/optimizing/optimizing.h"
#include "api_util.h"
#include "check.h"

static tri_engine *engine;
static tri_store *store;

/* ---- WAT text built in C ---- */

struct text {
    struct buf b;
};

static const char *text_end(struct text *t)
{
    buf_byte(&t->b, 0);
    return (const char *)t->b.data;
}

/* Instantiates WAT text (no imports); NULL on failure. */
static tri_instance *instance(const char *text)
{
    tri_module *m = wat_module(engine, text, NULL);
    tri_instance *i = NULL;
    CHECK(m, "module did not compile");
    if (m) {
        tri_error *r = tri_instance_new(store, m, NULL, 0, &i);
        CHECK(!r, "instantiate: %s", r ? tri_error_message(r) : "");
        tri_error_delete(r);
        tri_module_delete(m);
    }
    return i;
}

static tri_error *call(tri_instance *i, const char *name, const tri_val *args, size_t n,
                       tri_val *out, size_t nout)
{
    tri_extern f = export_of(i, name);
    if (f.kind != TRI_EXTERN_FUNC)
        return tri_trap_new("no such export");
    return tri_func_call(store, f.of.func, args, n, out, nout);
}

/* ---- register pressure ---- */

static uint64_t rotl64(uint64_t x, unsigned k)
{
    return k % 64 ? x << k % 64 | x >> (64 - k % 64) : x;
}

/* 24 i64 values live across two calls, then folded together. */
static void test_int_pressure(void)
{
    enum { N = 24 };
    struct text t = {0};
    buf_printf(&t.b, "(module (func $id (param i64) (result i64) local.get 0)\n");
    buf_printf(&t.b, "(func (export \"f\") (param $p i64) (result i64)");
    for (int k = 0; k < N; k++)
        buf_printf(&t.b, " (local $v%d i64)", k);
    for (int k = 0; k < N; k++)
        buf_printf(&t.b, " (local.set $v%d (i64.add (i64.mul (local.get $p) (i64.const %d))"
                " (i64.const %d)))", k, k + 3, k * k);
    buf_printf(&t.b, " (local.set $v0 (call $id (local.get $v0))) (drop (call $id (local.get $v5)))");
    buf_printf(&t.b, " (i64.const 0)");
    for (int k = 0; k < N; k++)
        buf_printf(&t.b, " (i64.rotl (local.get $v%d) (i64.const %d)) i64.add", k, k);
    buf_printf(&t.b, "))");
    tri_instance *i = instance(text_end(&t));
    buf_free(&t.b);
    if (!i)
        return;
    for (int64_t p = -3; p < 40; p += 7) {
        uint64_t want = 0;
        for (int k = 0; k < N; k++)
            want += rotl64((uint64_t)p * (uint64_t)(k + 3) + (uint64_t)(k * k), (unsigned)k);
        tri_val arg = tri_val_i64(p), out = {0};
        tri_error *r = call(i, "f", &arg, 1, &out, 1);
        CHECK(!r && (uint64_t)out.of.i64 == want, "int pressure p=%" PRId64 ": %" PRIx64
              " want %" PRIx64, p, (uint64_t)out.of.i64, want);
        tri_error_delete(r);
    }
}

/* 20 f64 values live across calls: System V saves no XMM register. */
static void test_float_pressure(void)
{
    enum { N = 20 };
    struct text t = {0};
    buf_printf(&t.b, "(module (func $id (param f64) (result f64) local.get 0)\n");
    buf_printf(&t.b, "(func (export \"f\") (param $x f64) (result f64)");
    for (int k = 0; k < N; k++)
        buf_printf(&t.b, " (local $v%d f64)", k);
    for (int k = 0; k < N; k++)
        buf_printf(&t.b, " (local.set $v%d (f64.add (f64.mul (local.get $x) (f64.const %d.5)) "
                "(f64.const %d)))", k, k, k);
    buf_printf(&t.b, " (local.set $v3 (call $id (local.get $v3))) (drop (call $id (local.get $v7)))");
    buf_printf(&t.b, " (f64.const 0)");
    for (int k = 0; k < N; k++)
        buf_printf(&t.b, " (f64.mul (local.get $v%d) (f64.const %d)) f64.add", k, k + 1);
    buf_printf(&t.b, "))");
    tri_instance *i = instance(text_end(&t));
    buf_free(&t.b);
    if (!i)
        return;
    double x = 1.25, want = 0;
    for (int k = 0; k < N; k++) {
        double v = x * (k + 0.5) + k;
        want = want + v * (k + 1);
    }
    tri_val arg = tri_val_f64(x), out = {0};
    tri_error *r = call(i, "f", &arg, 1, &out, 1);
    CHECK(!r && tri_val_as_f64(out) == want, "float pressure: %g want %g", tri_val_as_f64(out),
          want);
    tri_error_delete(r);
}

/* (a, b, c) = (b, c, a + 1) in a loop: the phis move in a cycle. */
static void test_phi_cycle(void)
{
    tri_instance *i = instance(
        "(module (func (export \"f\") (param $n i32) (result i64)"
        "  (local $a i64) (local $b i64) (local $c i64) (local $t i64)"
        "  (local.set $a (i64.const 1)) (local.set $b (i64.const 20))"
        "  (local.set $c (i64.const 300))"
        "  (block $done (loop $l"
        "    (br_if $done (i32.eqz (local.get $n)))"
        "    (local.set $t (local.get $a)) (local.set $a (local.get $b))"
        "    (local.set $b (local.get $c)) (local.set $c (i64.add (local.get $t) (i64.const 1)))"
        "    (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))"
        "  (i64.add (i64.mul (local.get $a) (i64.const 1000000))"
        "    (i64.add (i64.mul (local.get $b) (i64.const 1000)) (local.get $c)))))");
    if (!i)
        return;
    for (int32_t n = 0; n < 11; n++) {
        int64_t a = 1, b = 20, c = 300;
        for (int32_t k = 0; k < n; k++) {
            int64_t t = a;
            a = b;
            b = c;
            c = t + 1;
        }
        tri_val arg = tri_val_i32(n), out = {0};
        tri_error *r = call(i, "f", &arg, 1, &out, 1);
        CHECK(!r && out.of.i64 == a * 1000000 + b * 1000 + c, "phi cycle n=%d: %" PRId64, n,
              out.of.i64);
        tri_error_delete(r);
    }
}

/* A br_table whose every target is the loop (a fuzzer find: the moves on
 * its one edge came before the table read its index). */
static void test_table_one_target(void)
{
    tri_instance *i = instance(
        "(module (func (export \"f\") (param $n i32) (result i32) (local $x i32) (local $y i32)"
        "  (block $out (loop $l"
        "    (local.set $y (i32.add (local.get $y) (local.get $x)))"
        "    (local.set $x (i32.add (local.get $x) (i32.const 1)))"
        "    (br_if $out (i32.ge_u (local.get $x) (local.get $n)))"
        "    (br_table $l $l $l (i32.and (local.get $y) (i32.const 3)))))"
        "  (i32.add (local.get $y) (i32.mul (local.get $x) (i32.const 1000)))))");
    if (!i)
        return;
    tri_val arg = tri_val_i32(10), out = {0};
    tri_error *r = call(i, "f", &arg, 1, &out, 1);
    CHECK(!r && out.of.i32 == 45 + 10000, "br_table to one target: %d", out.of.i32);
    tri_error_delete(r);
}

/* Arguments on the stack on both sides of a call, and three results. */
static void test_many_args(void)
{
    struct text t = {0};
    buf_printf(&t.b, "(module (func $g (param i64 i64 i64 i64 i64 i64 i64 f64 f64 f64 f64 f64 f64 f64 f64 "
            "f64 f64) (result i64 f64 i32)");
    buf_printf(&t.b, " (i64.add (local.get 0) (i64.mul (local.get 6) (i64.const 1000)))");
    buf_printf(&t.b, " (f64.add (local.get 7) (f64.mul (local.get 16) (f64.const 100)))");
    buf_printf(&t.b, " (i32.wrap_i64 (i64.add (local.get 5) (local.get 1))))\n");
    buf_printf(&t.b, "(func (export \"f\") (param $x i64) (result i64)");
    buf_printf(&t.b, " (local $a i64) (local $b f64) (local $c i32)");
    buf_printf(&t.b, " (call $g");
    for (int k = 0; k < 7; k++)
        buf_printf(&t.b, " (i64.add (local.get $x) (i64.const %d))", k);
    for (int k = 0; k < 10; k++)
        buf_printf(&t.b, " (f64.const %d.25)", k);
    buf_printf(&t.b, ") (local.set $c) (local.set $b) (local.set $a)");
    buf_printf(&t.b, " (i64.add (local.get $a) (i64.add (i64.mul (i64.trunc_f64_s (local.get $b))"
            " (i64.const 7)) (i64.extend_i32_s (local.get $c))))))");
    tri_instance *i = instance(text_end(&t));
    buf_free(&t.b);
    if (!i)
        return;
    int64_t x = 5;
    int64_t r0 = x + (x + 6) * 1000;
    double r1 = 0.25 + 9.25 * 100;
    int32_t r2 = (int32_t)(x + 5 + x + 1);
    int64_t want = r0 + ((int64_t)r1 * 7 + r2);
    tri_val arg = tri_val_i64(x), out = {0};
    tri_error *r = call(i, "f", &arg, 1, &out, 1);
    CHECK(!r && out.of.i64 == want, "many args: %" PRId64 " want %" PRId64, out.of.i64, want);
    tri_error_delete(r);
}

/* ---- a dispatch loop whose locals go through memory ---- */

enum { CASES = 64, VARS = 80 };

/* The operation of case c on the variables, in C and in WAT. */
static void dispatch_c(uint64_t *x, uint32_t c, uint32_t i)
{
    uint32_t a = (c * 7) % VARS, b = (c * 13 + 1) % VARS, d = (c * 29 + 5) % VARS;
    x[a] += i;
    x[b] ^= x[d] * 3;
}

static void dispatch_wat(struct text *t, uint32_t c)
{
    uint32_t a = (c * 7) % VARS, b = (c * 13 + 1) % VARS, d = (c * 29 + 5) % VARS;
    buf_printf(&t->b, " (local.set $x%u (i64.add (local.get $x%u) (i64.extend_i32_u (local.get $i))))", a, a);
    buf_printf(&t->b, " (local.set $x%u (i64.xor (local.get $x%u) (i64.mul (local.get $x%u) (i64.const 3))))",
        b, b, d);
    buf_printf(&t->b, " (local.set $i (i32.add (local.get $i) (i32.const 1)))");
    buf_printf(&t->b, " (br_if $top (i32.lt_u (local.get $i) (local.get $n))) (br $exit)");
}

/* The dispatch loop's IR: its locals have frame homes, and no phi has an
 * operand per back edge. */
static void check_memory_label(const char *text)
{
    size_t len = 0;
    uint8_t *bytes = wat(text, &len);
    struct module m;
    struct err e;
    err_clear(&e);
    if (!bytes || !dec_module(&m, bytes, len, &e)) {
        CHECK(false, "decode: %s", e.msg);
        free(bytes);
        return;
    }
    struct cc_options o = {0};
    struct opt_build *b = opt_build_new(&m, &o);
    struct arena a = {0};
    struct opt_func f;
    bool ok = b && val_module_header(&m, &e) && opt_pipeline_ir(b, 0, &a, &f, &e);
    CHECK(ok, "build: %s", e.msg);
    uint32_t widest = 0;
    for (uint32_t k = 0; ok && k < f.nblock; k++)
        if (!f.block[k].dead && f.block[k].nphi && f.block[k].npred > widest)
            widest = f.block[k].npred;
    CHECK(!ok || (f.nslot >= VARS / 2 && widest < CASES), "memory label: %u slots, a phi of %u",
          f.nslot, widest);
    arena_free(&a);
    opt_build_free(b);
    dec_module_free(&m);
    free(bytes);
}

static void test_dispatch(void)
{
    struct text t = {0};
    buf_printf(&t.b, "(module (func (export \"f\") (param $n i32) (param $seed i32) (result i64)");
    buf_printf(&t.b, " (local $i i32)");
    for (int k = 0; k < VARS; k++)
        buf_printf(&t.b, " (local $x%d i64)", k);
    for (int k = 0; k < VARS; k++)
        buf_printf(&t.b, " (local.set $x%d (i64.extend_i32_u (i32.add (local.get $seed) (i32.const %d))))",
            k, k);
    buf_printf(&t.b, " (block $exit (loop $top\n");
    for (int c = CASES - 1; c >= 0; c--)
        buf_printf(&t.b, " (block $c%d", c);
    buf_printf(&t.b, " (br_table");
    for (int c = 0; c < CASES; c++)
        buf_printf(&t.b, " $c%d", c);
    buf_printf(&t.b, " (i32.and (i32.mul (local.get $i) (i32.const 37)) (i32.const 63)))");
    for (int c = 0; c < CASES; c++) { /* case c follows the end of block $c */
        buf_printf(&t.b, ")");
        dispatch_wat(&t, (uint32_t)c);
        buf_printf(&t.b, "\n");
    }
    buf_printf(&t.b, "))");
    buf_printf(&t.b, " (i64.const 0)");
    for (int k = 0; k < VARS; k++)
        buf_printf(&t.b, " (i64.mul (local.get $x%d) (i64.const %d)) i64.add", k, 2 * k + 1);
    buf_printf(&t.b, "))");
    check_memory_label(text_end(&t));
    tri_instance *i = instance(text_end(&t));
    buf_free(&t.b);
    if (!i)
        return;
    for (uint32_t n = 1; n < 400; n += 133) {
        uint64_t x[VARS], want = 0;
        uint32_t seed = 77;
        for (uint32_t k = 0; k < VARS; k++)
            x[k] = seed + k;
        for (uint32_t it = 0; it < n; it++)
            dispatch_c(x, (it * 37) & 63, it);
        for (uint32_t k = 0; k < VARS; k++)
            want += x[k] * (2 * k + 1);
        tri_val args[2] = {tri_val_i32((int32_t)n), tri_val_i32((int32_t)seed)}, out = {0};
        tri_error *r = call(i, "f", args, 2, &out, 1);
        CHECK(!r && (uint64_t)out.of.i64 == want, "dispatch n=%u: %" PRIx64 " want %" PRIx64, n,
              (uint64_t)out.of.i64, want);
        tri_error_delete(r);
    }
}

/* ---- traps ---- */

static void expect_trap(tri_instance *i, const char *name, tri_val arg, tri_trap_code code)
{
    tri_val out[1];
    tri_error *r = call(i, name, &arg, 1, out, 1);
    CHECK(r && tri_error_trap_code(r) == code, "%s: expected trap %d, got %s", name, code,
          r ? tri_error_message(r) : "a result");
    tri_error_delete(r);
}

static void test_traps(void)
{
    tri_instance *i = instance(
        "(module"
        "  (func (export \"div\") (param i32) (result i32) (i32.div_s (i32.const -2147483648)"
        "    (local.get 0)))"
        "  (func (export \"rem\") (param i32) (result i32) (i32.rem_s (i32.const -2147483648)"
        "    (local.get 0)))"
        "  (func (export \"trunc\") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))"
        "  (func (export \"sat\") (param f64) (result i64) (i64.trunc_sat_f64_u (local.get 0)))"
        "  (func $deep (export \"deep\") (param i32) (result i32)"
        "    (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))");
    if (!i)
        return;
    expect_trap(i, "div", tri_val_i32(0), TRI_TRAP_DIV_ZERO);
    expect_trap(i, "div", tri_val_i32(-1), TRI_TRAP_INT_OVERFLOW);
    expect_trap(i, "rem", tri_val_i32(0), TRI_TRAP_DIV_ZERO);
    expect_trap(i, "trunc", tri_val_f64(NAN), TRI_TRAP_BAD_CONVERSION);
    expect_trap(i, "trunc", tri_val_f64(2147483648.0), TRI_TRAP_INT_OVERFLOW);
    expect_trap(i, "deep", tri_val_i32(0), TRI_TRAP_STACK_OVERFLOW);
    tri_val out = {0}, arg = tri_val_i32(-1);
    tri_error *r = call(i, "rem", &arg, 1, &out, 1);
    CHECK(!r && out.of.i32 == 0, "INT_MIN rem -1 is 0");
    tri_error_delete(r);
    arg = tri_val_f64(-2147483648.9);
    r = call(i, "trunc", &arg, 1, &out, 1);
    CHECK(!r && out.of.i32 == INT32_MIN, "trunc of -2147483648.9 is INT_MIN");
    tri_error_delete(r);
    const double sat_in[] = {-1.0, 1e30, NAN, 18446744073709549568.0};
    const uint64_t sat_want[] = {0, UINT64_MAX, 0, 18446744073709549568ull};
    for (size_t k = 0; k < ARRAY_LEN(sat_in); k++) {
        arg = tri_val_f64(sat_in[k]);
        r = call(i, "sat", &arg, 1, &out, 1);
        CHECK(!r && (uint64_t)out.of.i64 == sat_want[k], "sat %g: %" PRIx64, sat_in[k],
              (uint64_t)out.of.i64);
        tri_error_delete(r);
    }
}

/* ---- the parallel compile is deterministic ---- */

enum { NFUNCS = 200 };

static bool compile_bytes(const uint8_t *bytes, size_t len, struct cc_artifact *a, struct err *e)
{
    struct module m;
    struct cc_options o = {.opt_level = 2};
    err_clear(e);
    bool ok = dec_module(&m, bytes, len, e) && val_module_header(&m, e) &&
              opt_backend.compile(&m, &o, a, e) && cc_artifact_finish(a, &m, e);
    dec_module_free(&m);
    return ok;
}

/* NFUNCS functions of one shape; from function bad on, two return an i64
 * where an i32 is declared: bad itself after a long valid computation,
 * bad + 1 at once, so a second thread finds bad + 1's failure first. */
static uint8_t *many_funcs(int bad, size_t *len)
{
    struct text t = {0};
    buf_printf(&t.b, "(module");
    for (int k = 0; k < NFUNCS; k++) {
        buf_printf(&t.b, " (func (param i32 i64) (result %s) (i64.add (i64.extend_i32_u (i32.mul "
                "(local.get 0) (i32.const %d))) (i64.rotl (local.get 1) (i64.const %d)))",
            k == bad || k == bad + 1 ? "i32" : "i64", k + 1, k);
        for (int i = 0; k == bad && i < 20000; i++)
            buf_printf(&t.b, " (i64.xor (local.get 1)) (i64.mul (i64.const %d))", i | 1);
        buf_printf(&t.b, ")");
    }
    buf_printf(&t.b, ")");
    uint8_t *bytes = wat(text_end(&t), len);
    buf_free(&t.b);
    return bytes;
}

static void test_deterministic(void)
{
    size_t len = 0;
    uint8_t *bytes = many_funcs(-2, &len);
    struct cc_artifact a1, a2;
    struct err e;
    bool ok = bytes && compile_bytes(bytes, len, &a1, &e);
    CHECK(ok, "compile: %s", bytes ? e.msg : "wat2wasm failed");
    if (!ok) {
        free(bytes);
        return;
    }
    if (compile_bytes(bytes, len, &a2, &e)) {
        CHECK(a1.code.len == a2.code.len && !memcmp(a1.code.data, a2.code.data, a1.code.len) &&
              a1.funcs.len == NFUNCS && a1.relocs.len == a2.relocs.len,
              "two compiles differ");
        cc_artifact_free(&a2);
    }
    cc_artifact_free(&a1);
    free(bytes);
}

/* Whichever thread meets a failure first, the one reported is the first
 * in function order. */
static void test_first_failure(void)
{
    size_t len = 0;
    uint8_t *bytes = many_funcs(37, &len);
    CHECK(bytes, "wat2wasm failed");
    for (int run = 0; bytes && run < 5; run++) {
        struct cc_artifact a;
        struct err e;
        bool ok = compile_bytes(bytes, len, &a, &e);
        CHECK(!ok && e.func == 37, "run %d: compiled %d, failure in function %u: %s", run, ok,
              e.func, e.msg);
        if (ok)
            cc_artifact_free(&a);
    }
    free(bytes);
}

int main(void)
{
    setenv("TRIDENT_OPT_CHECK", "1", 1);
    if (!engine_store_new("optimizing", &engine, &store))
        return 1;
    test_int_pressure();
    test_float_pressure();
    test_phi_cycle();
    test_table_one_target();
    test_many_args();
    test_dispatch();
    test_traps();
    test_deterministic();
    test_first_failure();
    tri_store_delete(store);
    tri_engine_delete(engine);
    return test_done("opt_exec");
}
