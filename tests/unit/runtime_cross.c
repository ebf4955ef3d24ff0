/* Modules compiled by different backends link and call each other (direct
 * imports, call_indirect through a shared table, traps unwinding through
 * both). Every pair of {test backend, each built-in backend} is tried in
 * both roles; the test backend (runtime_backend.h) writes its bodies by
 * hand, the real backends compile the same WAT. Pairs whose backend is not
 * built in are skipped and said so. */
#include "api_util.h"
#include "check.h"
#include "runtime_backend.h"

static const char *const lib_text =
    "(module\n"
    "  (type $ii_i (func (param i32 i32) (result i32)))\n"
    "  (func $add (export \"add\") (type $ii_i) (i32.add (local.get 0) (local.get 1)))\n"
    "  (func $unr (export \"unr\") unreachable)\n"
    "  (table (export \"tab\") 2 funcref)\n"
    "  (elem (i32.const 0) $add))\n";

static const char *const main_text =
    "(module\n"
    "  (type $ii_i (func (param i32 i32) (result i32)))\n"
    "  (import \"lib\" \"add\" (func $add (type $ii_i)))\n"
    "  (import \"lib\" \"unr\" (func $unr))\n"
    "  (import \"lib\" \"tab\" (table 2 funcref))\n"
    "  (func $sub (type $ii_i) (i32.sub (local.get 0) (local.get 1)))\n"
    "  (func (export \"call_add\") (param i32 i32) (result i32)\n"
    "    (call $add (local.get 0) (local.get 1)))\n"
    "  (func (export \"call_ind\") (param i32 i32 i32) (result i32)\n"
    "    (call_indirect (type $ii_i) (local.get 0) (local.get 1) (local.get 2)))\n"
    "  (func (export \"call_unr\") (call $unr))\n"
    "  (elem (i32.const 1) $sub))\n";

static void lib_add(struct emit *e) { x64_lea(e->a, 4, X64_RAX, x64_mem_index(X64_RSI, X64_RDX, 1, 0)); }
static void lib_unr(struct emit *e) { site(e, TRI_TRAP_UNREACHABLE); x64_ud2(e->a); }
static void main_sub(struct emit *e)
{
    x64_mov_rr(e->a, 4, X64_RAX, X64_RSI);
    x64_alu_rr(e->a, X64_SUB, 4, X64_RAX, X64_RDX);
}
static void main_call_add(struct emit *e) { call_import(e, 0); }
static void main_call_ind(struct emit *e) { call_indirect(e, 0, 0); }
static void main_call_unr(struct emit *e) { call_import(e, 1); }

static const body_fn lib_bodies[] = {lib_add, lib_unr};
static const body_fn main_bodies[] = {NULL, NULL, main_sub, main_call_add, main_call_ind,
                                      main_call_unr};

static tri_module *compile(tri_engine *e, const char *text, const struct cc_backend *b,
                           const body_fn *bodies, size_t n)
{
    memset(test_bodies, 0, sizeof test_bodies);
    memcpy(test_bodies, bodies, n * sizeof *bodies);
    size_t len;
    uint8_t *bytes = wat(text, &len);
    tri_module *m = NULL;
    tri_error *r = bytes ? rt_module_new(e, bytes, len, b, &m) : NULL;
    CHECK(m && !r, "%s: %s", b->name, r ? tri_error_message(r) : "");
    tri_error_delete(r);
    free(bytes);
    return m;
}

static int32_t call(tri_store *s, tri_instance *i, const char *name, int32_t x, int32_t y,
                    int32_t z, tri_error **err)
{
    tri_func *f = export_of(i, name).of.func;
    tri_val args[3] = {tri_val_i32(x), tri_val_i32(y), tri_val_i32(z)}, res = {0};
    tri_functype t = tri_func_type(f);
    *err = tri_func_call(s, f, args, t.nparams, &res, t.nresults);
    return res.of.i32;
}

static void pair(tri_engine *e, const struct cc_backend *lb, const struct cc_backend *mb)
{
    tri_module *lm = compile(e, lib_text, lb, lib_bodies, ARRAY_LEN(lib_bodies));
    tri_module *mm = compile(e, main_text, mb, main_bodies, ARRAY_LEN(main_bodies));
    tri_store *s = tri_store_new(e);
    tri_linker *l = tri_linker_new(s);
    tri_instance *li = NULL, *mi = NULL;
    if (lm && mm && !tri_linker_instantiate(l, lm, &li) && !tri_linker_define_instance(l, "lib", 3, li))
        tri_error_delete(tri_linker_instantiate(l, mm, &mi));
    CHECK(mi, "%s -> %s: instantiated", mb->name, lb->name);
    if (mi) {
        tri_error *r;
        CHECK(call(s, mi, "call_add", 2, 3, 0, &r) == 5 && !r, "%s -> %s: import", mb->name, lb->name);
        tri_error_delete(r);
        CHECK(call(s, mi, "call_ind", 7, 2, 0, &r) == 9 && !r, "%s -> %s: table", mb->name, lb->name);
        tri_error_delete(r);
        CHECK(call(s, mi, "call_ind", 7, 2, 1, &r) == 5 && !r, "%s: own via table", mb->name);
        tri_error_delete(r);
        call(s, mi, "call_ind", 7, 2, 2, &r);
        CHECK(r && tri_error_trap_code(r) == TRI_TRAP_UNDEFINED_ELEMENT, "%s: range", mb->name);
        tri_error_delete(r);
        call(s, mi, "call_unr", 0, 0, 0, &r);
        CHECK(r && tri_error_trap_code(r) == TRI_TRAP_UNREACHABLE &&
                  tri_error_frame_count(r) == 2 && tri_error_frame(r, 0)->func_index == 1 &&
                  tri_error_frame(r, 1)->func_index == 5,
              "%s -> %s: trap unwinds through both", mb->name, lb->name);
        tri_error_delete(r);
    }
    tri_store_delete(s);
    tri_module_delete(lm);
    tri_module_delete(mm);
}

int main(void)
{
    tri_engine *e;
    CHECK(!tri_engine_new(NULL, &e), "engine");
    const struct cc_backend *all[4] = {&test_backend};
    size_t n = 1;
    static const char *const names[] = {"singlepass", "optimizing", "llvm"};
    for (size_t k = 0; k < ARRAY_LEN(names); k++) {
        if (cc_backend_find(names[k]))
            all[n++] = cc_backend_find(names[k]);
        else
            printf("note: %s is not built in; its pairs are skipped\n", names[k]);
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++)
            pair(e, all[a], all[b]);
    tri_engine_delete(e);
    return test_done("runtime_cross");
}
