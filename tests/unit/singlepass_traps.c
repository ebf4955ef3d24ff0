/* Singlepass traps: each explicit check (division, conversions, tables,
 * call_indirect, unreachable, the stack limit) and memory accesses in both
 * memory modes end in the right trap, reported at the byte offset of the
 * wasm instruction that trapped; the boundary values just inside the
 * ranges do not trap. */
#include <math.h>

#include "decode/decode.h"
#include "singlepass_util.h"
#include "text/text.h"

static const char *wat_text =
    "(module"
    " (memory 1)"
    " (type $v (func))"
    " (table 3 funcref) (elem (i32.const 0) $unreachable $div_s)"
    " (func $unreachable (export \"unreachable\") unreachable)"
    " (func $div_s (export \"div_s\") (param i32 i32) (result i32)"
    "  (i32.div_s (local.get 0) (local.get 1)))"
    " (func (export \"rem_s\") (param i64 i64) (result i64)"
    "  (i64.rem_s (local.get 0) (local.get 1)))"
    " (func (export \"div_u0\") (param i32) (result i32) (i32.div_u (local.get 0) (i32.const 0)))"
    " (func (export \"div_s64\") (param i64 i64) (result i64)"
    "  (i64.div_s (local.get 0) (local.get 1)))"
    " (func (export \"t32s\") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))"
    " (func (export \"t32s_d\") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))"
    " (func (export \"t32u\") (param f32) (result i32) (i32.trunc_f32_u (local.get 0)))"
    " (func (export \"t64s\") (param f64) (result i64) (i64.trunc_f64_s (local.get 0)))"
    " (func (export \"t64u\") (param f64) (result i64) (i64.trunc_f64_u (local.get 0)))"
    " (func (export \"s32u\") (param f64) (result i32) (i32.trunc_sat_f64_u (local.get 0)))"
    " (func (export \"s64u\") (param f32) (result i64) (i64.trunc_sat_f32_u (local.get 0)))"
    " (func (export \"load\") (param i32) (result i32) (i32.load offset=4 (local.get 0)))"
    " (func (export \"store\") (param i32) (i64.store8 offset=65535 (local.get 0) (i64.const 1)))"
    " (func (export \"far\") (param i32) (result i32)"
    "  (i32.load8_u offset=4294967295 (local.get 0)))"
    " (func (export \"table\") (param i32) (result funcref) (table.get (local.get 0)))"
    " (func (export \"icall\") (param i32) (call_indirect (type $v) (local.get 0)))"
    " (func $deep (export \"deep\") (param i32) (result i32)"
    "  (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (local.get 0)))"
    " (func (export \"fill\") (param i32)"
    "  (memory.fill (local.get 0) (i32.const 0) (i32.const 2))))";

/* Function index -> module offset of its first instruction. */
static struct module mod;

static uint64_t at(uint32_t func, uint32_t k) { return mod.funcs[func].code_offset + k; }

struct trap_case {
    const char *name;
    tri_val args[2];
    tri_trap_code code;
    uint32_t func, k; /* the trapping instruction: byte k of function func's body */
};

static void check_traps(struct env *v, const struct trap_case *cases, size_t n, const char *mode)
{
    for (size_t i = 0; i < n; i++) {
        const struct trap_case *t = &cases[i];
        uint64_t off;
        tri_func *f = func_of(v, t->name);
        size_t nargs = f ? tri_func_type(f).nparams : 0;
        tri_trap_code code = call_trap(v, t->name, t->args, nargs, &off);
        CHECK(code == t->code, "%s %s case %zu: trap %d, want %d", mode, t->name, i, code,
              t->code);
        if (t->code != TRI_TRAP_NONE && t->k != UINT32_MAX)
            CHECK(off == at(t->func, t->k), "%s %s case %zu: offset %llu, want %llu", mode,
                  t->name, i, (unsigned long long)off, (unsigned long long)at(t->func, t->k));
    }
}

static tri_val f32v(float f) { return tri_val_f32(f); }
static tri_val f64v(double d) { return tri_val_f64(d); }

static void traps(struct env *v, const char *mode)
{
    /* k: local.get is 2 bytes, i32.const 0 2, i64.const 1 2; the checks and
     * accesses come right after their operands. */
    const struct trap_case cases[] = {
        {"unreachable", {{0}}, TRI_TRAP_UNREACHABLE, 0, 0},
        {"div_s", {tri_val_i32(7), tri_val_i32(0)}, TRI_TRAP_DIV_ZERO, 1, 4},
        {"div_s", {tri_val_i32(INT32_MIN), tri_val_i32(-1)}, TRI_TRAP_INT_OVERFLOW, 1, 4},
        {"div_s", {tri_val_i32(INT32_MIN), tri_val_i32(1)}, TRI_TRAP_NONE, 1, 4},
        {"rem_s", {tri_val_i64(INT64_MIN), tri_val_i64(-1)}, TRI_TRAP_NONE, 2, 4},
        {"rem_s", {tri_val_i64(5), tri_val_i64(0)}, TRI_TRAP_DIV_ZERO, 2, 4},
        {"div_u0", {tri_val_i32(5)}, TRI_TRAP_DIV_ZERO, 3, 4},
        {"div_s64", {tri_val_i64(INT64_MIN), tri_val_i64(-1)}, TRI_TRAP_INT_OVERFLOW, 4, 4},
        {"t32s", {f32v(NAN)}, TRI_TRAP_BAD_CONVERSION, 5, 2},
        {"t32s", {f32v(2147483648.0f)}, TRI_TRAP_INT_OVERFLOW, 5, 2},
        {"t32s", {f32v(-2147483648.0f)}, TRI_TRAP_NONE, 5, 2},
        {"t32s", {f32v(-2147483904.0f)}, TRI_TRAP_INT_OVERFLOW, 5, 2},
        {"t32s_d", {f64v(-2147483648.9)}, TRI_TRAP_NONE, 6, 2},
        {"t32s_d", {f64v(-2147483649.0)}, TRI_TRAP_INT_OVERFLOW, 6, 2},
        {"t32s_d", {f64v(2147483647.9)}, TRI_TRAP_NONE, 6, 2},
        {"t32u", {f32v(-0.9f)}, TRI_TRAP_NONE, 7, 2},
        {"t32u", {f32v(-1.0f)}, TRI_TRAP_INT_OVERFLOW, 7, 2},
        {"t32u", {f32v(4294967040.0f)}, TRI_TRAP_NONE, 7, 2},
        {"t32u", {f32v(4294967296.0f)}, TRI_TRAP_INT_OVERFLOW, 7, 2},
        {"t64s", {f64v(-0x1p63)}, TRI_TRAP_NONE, 8, 2},
        {"t64s", {f64v(0x1p63)}, TRI_TRAP_INT_OVERFLOW, 8, 2},
        {"t64s", {f64v(-INFINITY)}, TRI_TRAP_INT_OVERFLOW, 8, 2},
        {"t64u", {f64v(18446744073709549568.0)}, TRI_TRAP_NONE, 9, 2},
        {"t64u", {f64v(0x1p64)}, TRI_TRAP_INT_OVERFLOW, 9, 2},
        {"t64u", {f64v(NAN)}, TRI_TRAP_BAD_CONVERSION, 9, 2},
        {"t64u", {f64v(-1.0)}, TRI_TRAP_INT_OVERFLOW, 9, 2},
        {"load", {tri_val_i32(65528)}, TRI_TRAP_NONE, 12, 2},
        {"load", {tri_val_i32(65529)}, TRI_TRAP_MEMORY_OOB, 12, 2},
        {"load", {tri_val_i32(-4)}, TRI_TRAP_MEMORY_OOB, 12, 2},
        {"store", {tri_val_i32(0)}, TRI_TRAP_NONE, 13, 4},
        {"store", {tri_val_i32(1)}, TRI_TRAP_MEMORY_OOB, 13, 4},
        {"far", {tri_val_i32(0)}, TRI_TRAP_MEMORY_OOB, 14, 2},
        {"far", {tri_val_i32(-1)}, TRI_TRAP_MEMORY_OOB, 14, 2},
        {"table", {tri_val_i32(2)}, TRI_TRAP_NONE, 15, 2},
        {"table", {tri_val_i32(3)}, TRI_TRAP_TABLE_OOB, 15, 2},
        {"icall", {tri_val_i32(0)}, TRI_TRAP_UNREACHABLE, 0, 0},
        {"icall", {tri_val_i32(1)}, TRI_TRAP_BAD_SIGNATURE, 16, 2},
        {"icall", {tri_val_i32(2)}, TRI_TRAP_NULL_ELEMENT, 16, 2},
        {"icall", {tri_val_i32(3)}, TRI_TRAP_UNDEFINED_ELEMENT, 16, 2},
        {"deep", {tri_val_i32(0)}, TRI_TRAP_STACK_OVERFLOW, 17, UINT32_MAX},
        {"fill", {tri_val_i32(65535)}, TRI_TRAP_MEMORY_OOB, 18, UINT32_MAX},
    };
    check_traps(v, cases, sizeof cases / sizeof *cases, mode);
}

/* Results of the conversions that do not trap. */
static void values(struct env *v)
{
    tri_val a = f32v(-2147483648.0f), r;
    CHECK(call_int(v, "t32s", &a, 1) == INT32_MIN, "t32s min");
    a = f64v(18446744073709549568.0);
    tri_error *e = call(v, "t64u", &a, 1, &r, 1);
    CHECK(!e && (uint64_t)r.of.i64 == 18446744073709549568ull, "t64u max");
    tri_error_delete(e);
    static const struct { double in; uint32_t out; } s32u[] = {
        {NAN, 0}, {-5.0, 0}, {-0.5, 0}, {4294967295.0, 0xffffffff}, {1e12, 0xffffffff}, {7.9, 7},
    };
    for (size_t i = 0; i < sizeof s32u / sizeof *s32u; i++) {
        a = f64v(s32u[i].in);
        CHECK((uint32_t)call_int(v, "s32u", &a, 1) == s32u[i].out, "s32u %g", s32u[i].in);
    }
    static const struct { float in; uint64_t out; } s64u[] = {
        {NAN, 0}, {-1.0f, 0}, {0x1p63f, 0x8000000000000000ull}, {0x1p64f, ~0ull}, {INFINITY, ~0ull},
    };
    for (size_t i = 0; i < sizeof s64u / sizeof *s64u; i++) {
        a = f32v(s64u[i].in);
        e = call(v, "s64u", &a, 1, &r, 1);
        CHECK(!e && (uint64_t)r.of.i64 == s64u[i].out, "s64u %g", (double)s64u[i].in);
        tri_error_delete(e);
    }
}

int main(void)
{
    struct buf bin = {0};
    struct err err;
    err_clear(&err);
    if (!txt_parse_module(wat_text, strlen(wat_text), &bin, &err) ||
        !dec_module(&mod, bin.data, bin.len, &err)) {
        CHECK(false, "module: %s", err.msg);
        return test_done("singlepass_traps");
    }
    for (int bounds = 0; bounds < 2; bounds++) {
        struct env v;
        if (!env_open_bytes(&v, bin.data, bin.len, bounds))
            continue;
        traps(&v, bounds ? "bounds-checks" : "guard");
        values(&v);
        env_close(&v);
    }
    dec_module_free(&mod);
    buf_free(&bin);
    return test_done("singlepass_traps");
}
