/* Two modules linked through the ABI alone: B imports A's function and
 * table, calls the import, and calls through the table with the ABI's
 * call_indirect sequence (bounds, null, canonical type id). The modules
 * declare their types in different orders, so only canonical ids make the
 * type check pass; B uses a larger frame than A, as another backend might. */
#include "api_util.h"
#include "check.h"
#include "runtime_backend.h"

static const char *const text_a =
    "(module\n"
    "  (type (func (param i32 i32) (result i32)))\n"
    "  (func $add (export \"add\") (type 0) unreachable)\n"      /* 0 */
    "  (func $neg (export \"neg\") (param i32) (result i32) unreachable)\n" /* 1 */
    "  (table (export \"tab\") 4 funcref)\n"
    "  (elem (i32.const 0) $add $neg))\n";

static const char *const text_b =
    "(module\n"
    "  (type (func (param i32) (result i32)))\n"
    "  (type (func (param i32 i32 i32) (result i32)))\n"
    "  (type (func (param i32 i32) (result i32)))\n"
    "  (import \"a\" \"add\" (func (type 2)))\n"                  /* 0 */
    "  (import \"a\" \"tab\" (table 4 funcref))\n"
    "  (func (export \"call_import\") (param i32 i32) (result i32) unreachable)\n" /* 1 */
    "  (func (export \"call_indirect\") (param i32 i32 i32) (result i32) unreachable))\n"; /* 2 */

static void body_add(struct emit *e)
{
    x64_lea(e->a, 4, X64_RAX, x64_mem_index(X64_RSI, X64_RDX, 1, 0));
}

static void body_neg(struct emit *e)
{
    x64_mov_rr(e->a, 4, X64_RAX, X64_RSI);
    x64_unary_r(e->a, X64_NEG, 4, X64_RAX);
}

static void body_call_import(struct emit *e)
{
    x64_alu_ri(e->a, X64_SUB, 8, X64_RSP, 4096); /* a big frame, checked below */
    x64_alu_rm(e->a, X64_CMP, 8, X64_RSP, x64_mem_base(X64_RDI, CC_VMCTX_STACK_LIMIT));
    x64_jcc(e->a, X64_CC_B, e->stack_trap);
    call_import(e, 0);
}

/* (a, b, index): call_indirect (type 2) through table 0. */
static void body_call_indirect(struct emit *e) { call_indirect(e, 0, 2); }

static tri_module *load(tri_engine *e, const char *text)
{
    size_t len;
    uint8_t *bytes = wat(text, &len);
    tri_module *m = NULL;
    tri_error *r = bytes ? rt_module_new(e, bytes, len, &test_backend, &m) : NULL;
    CHECK(m && !r, "module: %s", r ? tri_error_message(r) : "");
    tri_error_delete(r);
    free(bytes);
    return m;
}

static tri_error *call3(tri_store *s, tri_func *f, int32_t x, int32_t y, int32_t z, int32_t *out)
{
    tri_val args[3] = {tri_val_i32(x), tri_val_i32(y), tri_val_i32(z)}, res = {0};
    tri_error *r = tri_func_call(s, f, args, tri_func_type(f).nparams, &res, 1);
    *out = res.of.i32;
    return r;
}

static bool traps(tri_error *r, tri_trap_code code)
{
    bool ok = r && tri_error_trap_code(r) == code && tri_error_frame_count(r) == 1;
    tri_error_delete(r);
    return ok;
}

int main(void)
{
    tri_engine *e;
    CHECK(!tri_engine_new(NULL, &e), "engine");
    test_bodies[0] = body_add;
    test_bodies[1] = body_neg;
    tri_module *ma = load(e, text_a);
    test_bodies[0] = NULL;
    test_bodies[1] = body_call_import;
    test_bodies[2] = body_call_indirect;
    tri_module *mb = load(e, text_b);
    tri_store *s = tri_store_new(e);
    tri_linker *l = tri_linker_new(s);
    tri_instance *a = NULL, *b = NULL;
    if (ma && mb) {
        CHECK(!tri_linker_instantiate(l, ma, &a) && !tri_linker_define_instance(l, "a", 1, a),
              "instantiate a");
        CHECK(!tri_linker_instantiate(l, mb, &b), "instantiate b");
    }
    if (b) {
        tri_func *ci = export_of(b, "call_indirect").of.func;
        int32_t v = 0;
        tri_error *r = call3(s, export_of(b, "call_import").of.func, 20, 22, 0, &v);
        CHECK(!r && v == 42, "call through the import");
        tri_error_delete(r);
        r = call3(s, ci, 30, 12, 0, &v);
        CHECK(!r && v == 42, "call_indirect across modules with canonical type ids");
        tri_error_delete(r);
        CHECK(traps(call3(s, ci, 1, 2, 1, &v), TRI_TRAP_BAD_SIGNATURE), "type mismatch");
        CHECK(traps(call3(s, ci, 1, 2, 2, &v), TRI_TRAP_NULL_ELEMENT), "null element");
        CHECK(traps(call3(s, ci, 1, 2, 4, &v), TRI_TRAP_UNDEFINED_ELEMENT), "out of range");
        CHECK(traps(call3(s, ci, 1, 2, -1, &v), TRI_TRAP_UNDEFINED_ELEMENT), "index 2^32-1");
    }
    tri_store_delete(s);
    tri_module_delete(ma);
    tri_module_delete(mb);
    tri_engine_delete(e);
    return test_done("runtime_link");
}
