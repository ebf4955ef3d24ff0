/* Code made by the llvm backend, run through the public API:
 *   - the calling convention both ways with more arguments than registers
 *     (integer and float mixed) and with several results;
 *   - traps report the wasm offset of the trapping instruction (memory
 *     access, explicit trap), deep recursion traps "call stack exhausted",
 *     the effects before a trap are done and none after, and the store
 *     stays usable after each trap;
 *   - every optimisation level computes the same results;
 *   - a long br_table (the form with a table of depths) carries its value
 *     to the right label;
 *   - bounds-check mode traps out of bounds and follows a growing memory.
 * Skipped (with a PASS line saying so) when LLVM is not built in. */
#include <string.h>

#include "api_util.h"
#include "check.h"
#include "text/text.h"

struct env {
    tri_engine *engine;
    tri_store *store;
    tri_instance *inst;
    tri_module *module;
};

static bool open_env(struct env *v, const char *wat_text, int opt_level, bool bounds,
                     const tri_extern *imports, size_t nimports)
{
    memset(v, 0, sizeof *v);
    tri_config c;
    tri_config_default(&c);
    c.cache = false; /* every run compiles: what a test is for */
    c.backend = "llvm";
    c.opt_level = opt_level;
    c.bounds_checks = bounds;
    tri_error *e = tri_engine_new(&c, &v->engine);
    if (!e)
        e = tri_module_new(v->engine, (const uint8_t *)wat_text, strlen(wat_text), &v->module);
    if (!e && !(v->store = tri_store_new(v->engine)))
        e = tri_trap_new("no store");
    if (!e)
        e = tri_instance_new(v->store, v->module, imports, nimports, &v->inst);
    CHECK(!e, "set-up: %s", e ? tri_error_message(e) : "");
    tri_error_delete(e);
    return v->inst != NULL;
}

/* The store of a host function import must exist before the module: a
 * variant of open_env for tests with imports. */
static bool open_env_in(struct env *v, tri_engine *engine, tri_store *store, const char *wat_text,
                        const tri_extern *imports, size_t nimports)
{
    memset(v, 0, sizeof *v);
    v->store = store;
    tri_error *e = tri_module_new(engine, (const uint8_t *)wat_text, strlen(wat_text), &v->module);
    if (!e)
        e = tri_instance_new(store, v->module, imports, nimports, &v->inst);
    CHECK(!e, "set-up: %s", e ? tri_error_message(e) : "");
    tri_error_delete(e);
    return v->inst != NULL;
}

static void close_env(struct env *v)
{
    if (v->store && v->engine)
        tri_store_delete(v->store);
    if (v->module)
        tri_module_delete(v->module);
    if (v->engine)
        tri_engine_delete(v->engine);
}

static tri_error *call(struct env *v, const char *name, const tri_val *args, size_t nargs,
                       tri_val *results, size_t nresults)
{
    tri_extern x = export_of(v->inst, name);
    if (x.kind != TRI_EXTERN_FUNC)
        return tri_trap_new("no such export");
    return tri_func_call(v->store, x.of.func, args, nargs, results, nresults);
}

/* ---- calling convention ---- */

/* 8 i64 then 9 f64 interleaved: both register files overflow to the stack. */
static const uint8_t many_params[] = {TRI_I64, TRI_F64, TRI_I64, TRI_F64, TRI_I64, TRI_F64,
                                      TRI_I64, TRI_F64, TRI_I64, TRI_F64, TRI_I64, TRI_F64,
                                      TRI_I64, TRI_F64, TRI_I64, TRI_F64, TRI_F64};
static const uint8_t two_results[] = {TRI_I64, TRI_F64};

/* Host side of the many-parameter signature: a weighted sum of the
 * integers and of the floats, so any misplaced argument shows. */
static tri_error *weigh(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                        tri_val *results, size_t nresults)
{
    (void)data, (void)caller, (void)nresults;
    int64_t si = 0;
    double sf = 0;
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].kind == TRI_I64)
            si += args[i].of.i64 * (int64_t)(i + 1);
        else
            sf += tri_val_as_f64(args[i]) * (double)(i + 1);
    }
    results[0] = tri_val_i64(si);
    results[1] = tri_val_f64(sf);
    return NULL;
}

static const char abi_wat[] =
    "(module (type $t (func (param i64 f64 i64 f64 i64 f64 i64 f64 i64 f64 i64 f64 i64 f64"
    "  i64 f64 f64) (result i64 f64)))"
    " (import \"host\" \"weigh\" (func $weigh (type $t)))"
    " (table funcref (elem $weigh $mine))"
    " (func $mine (type $t)"
    "  (i64.add (i64.mul (local.get 0) (i64.const 1)) (i64.add (i64.mul (local.get 2)"
    "   (i64.const 3)) (i64.add (i64.mul (local.get 12) (i64.const 13)) (i64.mul (local.get 14)"
    "   (i64.const 15)))))"
    "  (f64.add (f64.mul (local.get 1) (f64.const 2)) (f64.add (f64.mul (local.get 15)"
    "   (f64.const 16)) (f64.mul (local.get 16) (f64.const 17)))))"
    " (func (export \"via\") (param i32) (result i64 f64)"
    "  (call_indirect (type $t) (i64.const 1) (f64.const 0.5) (i64.const 2) (f64.const 1.5)"
    "   (i64.const 3) (f64.const 2.5) (i64.const 4) (f64.const 3.5) (i64.const 5) (f64.const 4.5)"
    "   (i64.const 6) (f64.const 5.5) (i64.const 7) (f64.const 6.5) (i64.const 8)"
    "   (f64.const 7.5) (f64.const 8.5) (local.get 0)))"
    " (func (export \"mine\") (type $t) (call $mine (local.get 0) (local.get 1) (local.get 2)"
    "  (local.get 3) (local.get 4) (local.get 5) (local.get 6) (local.get 7) (local.get 8)"
    "  (local.get 9) (local.get 10) (local.get 11) (local.get 12) (local.get 13) (local.get 14)"
    "  (local.get 15) (local.get 16))))";

static void test_abi(void)
{
    tri_engine *engine = NULL;
    tri_config c;
    tri_config_default(&c);
    c.cache = false; /* every run compiles: what a test is for */
    c.backend = "llvm";
    tri_error *e = tri_engine_new(&c, &engine);
    CHECK(!e, "engine");
    tri_store *store = engine ? tri_store_new(engine) : NULL;
    if (!store) {
        tri_error_delete(e);
        tri_engine_delete(engine);
        return;
    }
    tri_functype ft = {ARRAY_LEN(many_params), 2, many_params, two_results};
    tri_func *host = tri_func_new(store, &ft, weigh, NULL, NULL);
    tri_extern imp = ext_func(host);
    struct env v;
    if (open_env_in(&v, engine, store, abi_wat, &imp, 1)) {
        /* Host callee: sum of i*k over the i64s, (k)*x over the f64s. */
        int64_t want_i = 0;
        double want_f = 0;
        for (int k = 0; k < 17; k++)
            if (k < 16 && k % 2 == 0)
                want_i += (int64_t)(k / 2 + 1) * (k + 1);
            else
                want_f += (k == 16 ? 8.5 : k / 2 + 0.5) * (k + 1);
        tri_val r[2], arg = tri_val_i32(0);
        e = call(&v, "via", &arg, 1, r, 2);
        CHECK(!e && r[0].of.i64 == want_i && tri_val_as_f64(r[1]) == want_f,
              "wasm -> host: %lld %g (want %lld %g)", (long long)r[0].of.i64,
              tri_val_as_f64(r[1]), (long long)want_i, want_f);
        tri_error_delete(e);
        /* Wasm callee through the table: 1 + 2*3 + 7*13 + 8*15, 0.5*2 + 7.5*16 + 8.5*17. */
        arg = tri_val_i32(1);
        e = call(&v, "via", &arg, 1, r, 2);
        CHECK(!e && r[0].of.i64 == 218 && tri_val_as_f64(r[1]) == 265.5,
              "wasm -> wasm: %lld %g", (long long)r[0].of.i64, tri_val_as_f64(r[1]));
        tri_error_delete(e);
        /* Host -> wasm with the same signature. */
        tri_val args[17];
        for (int k = 0; k < 17; k++)
            args[k] = many_params[k] == TRI_I64 ? tri_val_i64(k / 2 + 1)
                                                : tri_val_f64(k == 16 ? 8.5 : k / 2 + 0.5);
        e = call(&v, "mine", args, 17, r, 2);
        CHECK(!e && r[0].of.i64 == 218 && tri_val_as_f64(r[1]) == 265.5,
              "host -> wasm: %lld %g", (long long)r[0].of.i64, tri_val_as_f64(r[1]));
        tri_error_delete(e);
    }
    if (v.module)
        tri_module_delete(v.module);
    tri_store_delete(store);
    tri_engine_delete(engine);
}

/* ---- traps ---- */

/* The module offset of the first instruction `op` in defined function f
 * of the binary form of wat_text. */
static uint32_t offset_of(const char *wat_text, uint32_t f, enum op op)
{
    struct buf bin = {0};
    struct err e;
    struct module m;
    uint32_t at = UINT32_MAX;
    err_clear(&e);
    if (txt_parse_module(wat_text, strlen(wat_text), &bin, &e) &&
        dec_module(&m, bin.data, bin.len, &e)) {
        struct reader r = {m.bytes, m.funcs[f].code, m.funcs[f].code_end, &e};
        struct insn in;
        while (at == UINT32_MAX && r.p < r.end && dec_insn(&r, &in))
            if (in.op == op)
                at = in.offset;
        dec_module_free(&m);
    }
    buf_free(&bin);
    return at;
}

static const char trap_wat[] =
    "(module (memory 1)"
    " (func (export \"load\") (param i32) (result i32)"
    "  (i32.add (i32.const 1) (i32.load offset=16 (local.get 0))))"
    " (func (export \"deep\") (param i32) (result i32)"
    "  (i32.add (i32.const 1) (call 1 (i32.add (local.get 0) (i32.const 1)))))"
    " (func (export \"div\") (param i32 i32) (result i32) (i32.rem_u (local.get 0) (local.get 1)))"
    " (global $g (mut i32) (i32.const 0))"
    " (func (export \"effects\") (param i32) (global.set $g (i32.const 1))"
    "  (i32.store (i32.const 0) (i32.const 7)) (drop (i32.load (local.get 0)))"
    "  (global.set $g (i32.const 2)) (i32.store (i32.const 0) (i32.const 8)))"
    " (func (export \"seen\") (result i32) (i32.add (global.get $g) (i32.load (i32.const 0))))"
    " (func (export \"ok\") (result i32) (i32.const 42)))";

static void expect_trap(struct env *v, const char *name, tri_val *args, size_t n,
                        tri_trap_code code, uint64_t offset)
{
    tri_val r;
    tri_extern x = export_of(v->inst, name);
    size_t nresults = x.kind == TRI_EXTERN_FUNC ? tri_func_type(x.of.func).nresults : 0;
    tri_error *e = call(v, name, args, n, &r, nresults);
    CHECK(e && tri_error_trap_code(e) == code, "%s: trap %d, want %d", name,
          e ? (int)tri_error_trap_code(e) : -1, code);
    if (e && offset != UINT64_MAX)
        CHECK(tri_error_frame_count(e) > 0 && tri_error_frame(e, 0)->module_offset == offset,
              "%s: trap at offset %llu, want %llu", name,
              tri_error_frame_count(e) ? (unsigned long long)tri_error_frame(e, 0)->module_offset
                                       : 0ull,
              (unsigned long long)offset);
    tri_error_delete(e);
    e = call(v, "ok", NULL, 0, &r, 1); /* the store survives */
    CHECK(!e && r.of.i32 == 42, "%s: the store is unusable after the trap", name);
    tri_error_delete(e);
}

static void test_traps(bool bounds)
{
    struct env v;
    if (open_env(&v, trap_wat, 2, bounds, NULL, 0)) {
        tri_val a = tri_val_i32(65530), two[2] = {tri_val_i32(1), tri_val_i32(0)};
        expect_trap(&v, "load", &a, 1, TRI_TRAP_MEMORY_OOB, offset_of(trap_wat, 0, OP_I32_LOAD));
        expect_trap(&v, "div", two, 2, TRI_TRAP_DIV_ZERO, offset_of(trap_wat, 2, OP_I32_REM_U));
        a = tri_val_i32(0);
        expect_trap(&v, "deep", &a, 1, TRI_TRAP_STACK_OVERFLOW, UINT64_MAX);
        /* The global and the memory as the trapping load left them: 1 + 7. */
        a = tri_val_i32(70000);
        expect_trap(&v, "effects", &a, 1, TRI_TRAP_MEMORY_OOB, UINT64_MAX);
        tri_val r;
        tri_error *e = call(&v, "seen", NULL, 0, &r, 1);
        CHECK(!e && r.of.i32 == 8, "effects around a trap: %d, want 8", r.of.i32);
        tri_error_delete(e);
    }
    close_env(&v);
}

/* ---- optimisation levels and bounds checks ---- */

static const char work_wat[] =
    "(module (memory 1)"
    " (func (export \"work\") (param $n i32) (result i64) (local $i i32) (local $h i64)"
    "  (local $f f64)"
    "  (loop $l"
    "   (i32.store (i32.shl (i32.and (local.get $i) (i32.const 255)) (i32.const 2))"
    "    (i32.mul (local.get $i) (i32.const 2654435761)))"
    "   (local.set $f (f64.add (local.get $f) (f64.sqrt (f64.convert_i32_u (local.get $i)))))"
    "   (local.set $h (i64.xor (i64.rotl (local.get $h) (i64.const 7)) (i64.extend_i32_u"
    "    (i32.load (i32.shl (i32.and (i32.mul (local.get $i) (i32.const 7)) (i32.const 255))"
    "    (i32.const 2))))))"
    "   (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))"
    "    (local.get $n))))"
    "  (i64.add (local.get $h) (i64.trunc_sat_f64_s (local.get $f))))"
    " (func (export \"grow_and_touch\") (result i32)"
    "  (drop (memory.grow (i32.const 3)))"
    "  (i32.store (i32.const 200000) (i32.const 9)) (i32.load (i32.const 200000))))";

static void test_levels(void)
{
    int64_t first = 0;
    for (int level = 0; level <= 3; level++) {
        struct env v;
        tri_val arg = tri_val_i32(100000), r;
        if (open_env(&v, work_wat, level, level == 1, NULL, 0)) {
            tri_error *e = call(&v, "work", &arg, 1, &r, 1);
            CHECK(!e, "O%d: %s", level, e ? tri_error_message(e) : "");
            tri_error_delete(e);
            if (level == 0)
                first = r.of.i64;
            CHECK(r.of.i64 == first, "O%d computes %lld, O0 %lld", level, (long long)r.of.i64,
                  (long long)first);
        }
        close_env(&v);
    }
}

static void test_bounds_grow(void)
{
    struct env v;
    tri_val r;
    if (open_env(&v, work_wat, 2, true, NULL, 0)) {
        tri_error *e = call(&v, "grow_and_touch", NULL, 0, &r, 1);
        CHECK(!e && r.of.i32 == 9, "bounds checks after memory.grow: %s",
              e ? tri_error_message(e) : "");
        tri_error_delete(e);
    }
    close_env(&v);
}

/* pick(i): a 100-entry br_table carrying 10 to block (i % 3) (default:
 * the outermost), each block end adding to what arrives: 13, 12 or 10. */
static void test_br_table(void)
{
    char wat[2048];
    int n = snprintf(wat, sizeof wat, "(module (func (export \"pick\") (param i32) (result i32)"
                     " (block (result i32) (block (result i32) (block (result i32)"
                     " (i32.const 10) (local.get 0) (br_table");
    for (int i = 0; i < 100; i++)
        n += snprintf(wat + n, sizeof wat - (size_t)n, " %d", i % 3);
    snprintf(wat + n, sizeof wat - (size_t)n, " 2)) (i32.add (i32.const 1)))"
             " (i32.add (i32.const 2)))))");
    struct env v;
    if (open_env(&v, wat, 2, false, NULL, 0)) {
        static const int32_t want[3] = {13, 12, 10};
        int32_t args[] = {0, 1, 2, 50, 98, 99, 100, 1000, -1};
        for (size_t i = 0; i < ARRAY_LEN(args); i++) {
            tri_val a = tri_val_i32(args[i]), r;
            tri_error *e = call(&v, "pick", &a, 1, &r, 1);
            int32_t w = args[i] >= 0 && args[i] < 100 ? want[args[i] % 3] : 10;
            CHECK(!e && r.of.i32 == w, "pick(%d) = %d, want %d", args[i], r.of.i32, w);
            tri_error_delete(e);
        }
    }
    close_env(&v);
}

int main(void)
{
    if (!tri_backend_available("llvm")) {
        printf("PASS llvm_run: LLVM not built in, nothing to run\n");
        return 0;
    }
    test_abi();
    test_traps(false);
    test_traps(true);
    test_levels();
    test_br_table();
    test_bounds_grow();
    return test_done("llvm_run");
}
