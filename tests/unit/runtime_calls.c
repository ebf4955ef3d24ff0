/* The host<->wasm boundary with hand-emitted code (runtime_backend.h):
 * argument passing in registers and on the stack, multi-value results,
 * host functions called from wasm and calling back into wasm, builtins,
 * and memory growth seen by compiled code in both memory modes. */
#include "api_util.h"
#include "check.h"
#include "runtime_backend.h"

static const char *const module_text =
    "(module\n"
    "  (import \"env\" \"host_add\" (func (param i32 i32) (result i32)))\n"      /* 0 */
    "  (import \"env\" \"callback\" (func (param i32) (result i32)))\n"          /* 1 */
    "  (memory (export \"mem\") 1 4)\n"
    "  (func (export \"add\") (param i32 i32) (result i32) unreachable)\n"       /* 2 */
    "  (func (export \"call_host\") (param i32 i32) (result i32) unreachable)\n" /* 3 */
    "  (func (export \"many\") (param i32 i64 f32 f64 i32 i32 i32 i32 i32\n"     /* 4 */
    "         f64 f64 f64 f64 f64 f64 f64) (result f64) unreachable)\n"
    "  (func (export \"multi\") (param i32) (result i32 i64 f64) unreachable)\n" /* 5 */
    "  (func (export \"reenter\") (param i32) (result i32) unreachable)\n"       /* 6 */
    "  (func (export \"grow\") (param i32) (result i32) unreachable)\n"          /* 7 */
    "  (func (export \"size\") (result i32) unreachable)\n"                      /* 8 */
    "  (func (export \"add_direct\") (param i32 i32) (result i32) unreachable)\n" /* 9 */
    "  (func (export \"host_add_ref\") (result funcref) unreachable))\n";        /* 10 */

static void body_add(struct emit *e)
{
    x64_mov_rr(e->a, 4, X64_RAX, X64_RSI);
    x64_alu_rr(e->a, X64_ADD, 4, X64_RAX, X64_RDX);
}

static void body_call_host(struct emit *e) { call_import(e, 0); }

/* (double)(p7 + p8) + p15 + p3 + p14: stack slots 0, 1, 2 and xmm1, xmm7. */
static void body_many(struct emit *e)
{
    struct x64_asm *a = e->a;
    x64_mov_rm(a, 4, X64_RAX, x64_mem_base(X64_RBP, 16));
    x64_alu_rm(a, X64_ADD, 4, X64_RAX, x64_mem_base(X64_RBP, 24));
    x64_cvt_rr(a, X64_CVTSI2SD, 4, X64_XMM0, X64_RAX);
    x64_sse_rm(a, X64_ADDSD, X64_XMM0, x64_mem_base(X64_RBP, 32));
    x64_sse_rr(a, X64_ADDSD, X64_XMM0, X64_XMM1);
    x64_sse_rr(a, X64_ADDSD, X64_XMM0, X64_XMM7);
}

/* Results through the hidden pointer in rsi: x+1, x*2 (i64), 0.5. */
static void body_multi(struct emit *e)
{
    struct x64_asm *a = e->a;
    x64_lea(a, 4, X64_RAX, x64_mem_base(X64_RDX, 1));
    x64_mov_mr(a, 4, x64_mem_base(X64_RSI, 0), X64_RAX);
    x64_ext_rr(a, X64_SX, 8, 4, X64_RAX, X64_RDX);
    x64_alu_rr(a, X64_ADD, 8, X64_RAX, X64_RAX);
    x64_mov_mr(a, 8, x64_mem_base(X64_RSI, 8), X64_RAX);
    x64_movabs(a, X64_RAX, 0x3FE0000000000000ull);
    x64_mov_mr(a, 8, x64_mem_base(X64_RSI, 16), X64_RAX);
}

static void body_reenter(struct emit *e) { call_import(e, 1); }

static void body_grow(struct emit *e) { x64_call_reloc(e->a, X64_TARGET_SYM, CC_BUILTIN_MEMORY_GROW); }

static void body_size(struct emit *e)
{
    x64_mov_rm(e->a, 8, X64_RAX, x64_mem_base(X64_RDI, CC_VMCTX_MEM_SIZE));
    x64_shift_ri(e->a, X64_SHR, 8, X64_RAX, 16);
}

/* A direct call to a defined function (relocation to function 2). */
static void body_add_direct(struct emit *e) { x64_call_reloc(e->a, X64_TARGET_FUNC, 2); }

static void body_host_ref(struct emit *e)
{
    x64_mov_rm(e->a, 8, X64_RAX, x64_mem_base(X64_RDI, (int32_t)e->layout.funcrefs));
}

static tri_error *host_add(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                           tri_val *results, size_t nresults)
{
    (void)nargs, (void)nresults;
    *(tri_instance **)data = caller;
    results[0] = tri_val_i32(args[0].of.i32 * 1000 + args[1].of.i32);
    return NULL;
}

static tri_store *store;
static tri_func *add_export;

/* Calls back into wasm (a nested activation) and returns add(x, 1) * 10. */
static tri_error *callback(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                           tri_val *results, size_t nresults)
{
    (void)data, (void)caller, (void)nargs, (void)nresults;
    tri_val in[2] = {args[0], tri_val_i32(1)}, out;
    tri_error *r = tri_func_call(store, add_export, in, 2, &out, 1);
    if (r)
        return r;
    results[0] = tri_val_i32(out.of.i32 * 10);
    return NULL;
}

static tri_func *fn(tri_instance *i, const char *name) { return export_of(i, name).of.func; }

static int32_t call_i32(tri_instance *i, const char *name, const tri_val *args, size_t n)
{
    tri_val out = {0};
    tri_error *r = tri_func_call(store, fn(i, name), args, n, &out, 1);
    CHECK(!r, "%s: %s", name, r ? tri_error_message(r) : "");
    tri_error_delete(r);
    return out.of.i32;
}

static void test_calls(tri_instance *i, tri_instance **seen_caller)
{
    tri_val ab[2] = {tri_val_i32(40), tri_val_i32(2)};
    CHECK(call_i32(i, "add", ab, 2) == 42, "add");
    CHECK(call_i32(i, "add_direct", ab, 2) == 42, "direct call through a relocation");
    CHECK(call_i32(i, "call_host", ab, 2) == 40002, "wasm calls the host");
    CHECK(*seen_caller == i, "the host saw its caller");
    tri_val x = tri_val_i32(4);
    CHECK(call_i32(i, "reenter", &x, 1) == 50, "host calls back into wasm");

    tri_val many[16];
    for (int k = 0; k < 16; k++)
        many[k] = tri_val_f64(0);
    many[0] = tri_val_i32(0);
    many[1] = tri_val_i64(0);
    many[2] = tri_val_f32(0);
    many[3] = tri_val_f64(0.25);
    for (int k = 4; k < 9; k++)
        many[k] = tri_val_i32(k);
    many[14] = tri_val_f64(100);
    many[15] = tri_val_f64(0.5);
    tri_val out;
    tri_error *r = tri_func_call(store, fn(i, "many"), many, 16, &out, 1);
    CHECK(!r && tri_val_as_f64(out) == 7 + 8 + 0.5 + 0.25 + 100, "stack arguments: %g",
          tri_val_as_f64(out));
    tri_error_delete(r);

    tri_val res[3];
    x = tri_val_i32(-21);
    r = tri_func_call(store, fn(i, "multi"), &x, 1, res, 3);
    CHECK(!r && res[0].of.i32 == -20 && res[1].of.i64 == -42 && tri_val_as_f64(res[2]) == 0.5,
          "multi-value results");
    tri_error_delete(r);

    r = tri_func_call(store, fn(i, "host_add_ref"), NULL, 0, &out, 1);
    CHECK(!r && out.kind == TRI_FUNCREF && out.of.funcref, "ref to an import");
    tri_error_delete(r);
    if (!r && out.of.funcref) {
        tri_val in[2] = {tri_val_i32(3), tri_val_i32(4)}, o2;
        CHECK(!tri_func_call(store, out.of.funcref, in, 2, &o2, 1) && o2.of.i32 == 3004,
              "call the host through the ref");
    }
}

static void test_memory(tri_instance *i)
{
    tri_memory *mem = export_of(i, "mem").of.memory;
    tri_val d = tri_val_i32(2);
    CHECK(call_i32(i, "size", NULL, 0) == 1, "size 1");
    CHECK(call_i32(i, "grow", &d, 1) == 1, "memory.grow returns the old size");
    CHECK(call_i32(i, "size", NULL, 0) == 3 && tri_memory_pages(mem) == 3, "size 3");
    d = tri_val_i32(2);
    CHECK(call_i32(i, "grow", &d, 1) == -1, "past the maximum: -1");
    CHECK(!tri_memory_grow(mem, 1, NULL), "host grows");
    CHECK(call_i32(i, "size", NULL, 0) == 4, "wasm sees the host's growth");
    uint8_t *base;
    memcpy(&base, i->vmctx + CC_VMCTX_MEM_BASE, sizeof base);
    CHECK(base == tri_memory_data(mem), "the vmctx follows the memory (it may move)");
    tri_memory_data(mem)[4 * 65536 - 1] = 1;
}

static void run(bool bounds_checks)
{
    tri_config c;
    tri_config_default(&c);
    c.bounds_checks = bounds_checks;
    tri_engine *e;
    CHECK(!tri_engine_new(&c, &e), "engine");
    store = tri_store_new(e);
    size_t len;
    uint8_t *bytes = wat(module_text, &len);
    tri_module *m = NULL;
    tri_error *r = bytes ? rt_module_new(e, bytes, len, &test_backend, &m) : NULL;
    free(bytes);
    CHECK(m && !r, "module: %s", r ? tri_error_message(r) : "");
    tri_error_delete(r);
    if (!m)
        return;
    CHECK(m->art.options.bounds_checks == bounds_checks, "the backend saw the mode");
    static const uint8_t I[] = {TRI_I32, TRI_I32};
    tri_instance *seen = NULL;
    tri_functype t2 = {2, 1, I, I}, t1 = {1, 1, I, I};
    tri_extern imports[2] = {ext_func(tri_func_new(store, &t2, host_add, &seen, NULL)),
                             ext_func(tri_func_new(store, &t1, callback, NULL, NULL))};
    tri_instance *i = NULL;
    r = tri_instance_new(store, m, imports, 2, &i);
    CHECK(i && !r, "instance: %s", r ? tri_error_message(r) : "");
    tri_error_delete(r);
    if (i) {
        add_export = fn(i, "add");
        test_calls(i, &seen);
        test_memory(i);
    }
    tri_module_delete(m);
    tri_store_delete(store);
    tri_engine_delete(e);
}

int main(void)
{
    body_fn bodies[] = {[2] = body_add, [3] = body_call_host, [4] = body_many,
                        [5] = body_multi, [6] = body_reenter, [7] = body_grow,
                        [8] = body_size, [9] = body_add_direct, [10] = body_host_ref};
    memcpy(test_bodies, bodies, sizeof bodies);
    run(false);
    run(true);
    return test_done("runtime_calls");
}
