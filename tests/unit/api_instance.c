/* The public API without a compiler backend: instantiation order,
 * globals, memories, tables, segments, the start function as a host
 * import, linking and unlinkable errors, error kinds. */
#include "api_util.h"
#include "check.h"

static tri_engine *engine;
static tri_store *store;

static int calls;
static tri_error *add_one(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                          tri_val *results, size_t nresults)
{
    (void)data, (void)caller, (void)nargs, (void)nresults;
    calls++;
    results[0] = tri_val_i32(args[0].of.i32 + 1);
    return NULL;
}

static tri_error *noop(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                       tri_val *results, size_t nresults)
{
    (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
    (*(int *)data)++;
    return NULL;
}

static tri_error *fail(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                       tri_val *results, size_t nresults)
{
    (void)data, (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
    return tri_trap_new("host says no");
}

static const uint8_t I32[] = {TRI_I32};
static const tri_functype sig_i_i = {1, 1, I32, I32};
static const tri_functype sig_v_v = {0, 0, NULL, NULL};

static tri_instance *instantiate(const char *text, const tri_extern *imports, size_t n)
{
    tri_module *m = wat_module(engine, text, NULL);
    if (!m)
        return NULL;
    tri_instance *i = NULL;
    tri_error *r = tri_instance_new(store, m, imports, n, &i);
    if (r) {
        printf("note: %s\n", tri_error_message(r));
        tri_error_delete(r);
    }
    tri_module_delete(m);
    return i;
}

static void test_globals(void)
{
    tri_global *base;
    CHECK(!tri_global_new(store, (tri_globaltype){TRI_I32, false}, tri_val_i32(7), &base), "new");
    tri_extern imp = ext_global(base);
    tri_instance *i = instantiate("(module (import \"env\" \"base\" (global i32))"
                                  " (global (export \"g\") (mut i32) (i32.const 42))"
                                  " (global (export \"h\") i64 (i64.const -5))"
                                  " (global (export \"x\") i32 (global.get 0))"
                                  " (global (export \"f\") f64 (f64.const 1.5)))",
                                  &imp, 1);
    CHECK(i, "instantiated");
    if (!i)
        return;
    tri_global *g = export_of(i, "g").of.global, *h = export_of(i, "h").of.global;
    CHECK(tri_global_get(g).of.i32 == 42, "g");
    CHECK(tri_global_get(h).of.i64 == -5, "h");
    CHECK(tri_global_get(export_of(i, "x").of.global).of.i32 == 7, "x from the import");
    CHECK(tri_val_as_f64(tri_global_get(export_of(i, "f").of.global)) == 1.5, "f");
    CHECK(!tri_global_set(g, tri_val_i32(-1)), "set mutable");
    CHECK(tri_global_get(g).of.i32 == -1, "set took");
    CHECK(error_is(tri_global_set(h, tri_val_i64(1)), TRI_ERR_ARG, "global is immutable"), "imm");
    CHECK(error_is(tri_global_set(g, tri_val_i64(1)), TRI_ERR_ARG, "value has the wrong kind"),
          "kind");
    CHECK(tri_global_type(g).mut && tri_global_type(g).kind == TRI_I32, "type");
}

static void test_memory(void)
{
    tri_instance *i = instantiate("(module (memory (export \"mem\") 1 3)"
                                  " (data (i32.const 10) \"hello\"))", NULL, 0);
    CHECK(i, "instantiated");
    if (!i)
        return;
    tri_memory *m = export_of(i, "mem").of.memory;
    CHECK(tri_memory_pages(m) == 1 && tri_memory_data_size(m) == 65536, "size");
    CHECK(!memcmp(tri_memory_data(m) + 10, "hello", 5), "data segment");
    uint64_t old = 99;
    CHECK(!tri_memory_grow(m, 2, &old) && old == 1, "grow to 3");
    CHECK(tri_memory_pages(m) == 3, "3 pages");
    tri_memory_data(m)[3 * 65536 - 1] = 0x5A; /* the last byte is writable */
    CHECK(tri_memory_data(m)[3 * 65536 - 1] == 0x5A, "last byte");
    CHECK(error_is(tri_memory_grow(m, 1, NULL), TRI_ERR_LIMIT, "cannot grow"), "past max");
    CHECK(!tri_memory_grow(m, 0, &old) && old == 3, "grow by 0");
}

static void test_memory_partial_init(void)
{
    tri_memory *mem;
    CHECK(!tri_memory_new(store, (tri_limits){1, 0, false}, &mem), "memory");
    tri_extern imp = ext_memory(mem);
    tri_module *m = wat_module(engine,
                               "(module (import \"env\" \"mem\" (memory 1))"
                               " (data (i32.const 0) \"ab\") (data (i32.const 65535) \"xy\")"
                               " (data (i32.const 100) \"never\"))", NULL);
    tri_instance *i = NULL;
    CHECK(error_is(tri_instance_new(store, m, &imp, 1, &i), TRI_ERR_TRAP,
                   "out of bounds memory access"), "trap");
    CHECK(!i, "no instance");
    CHECK(!memcmp(tri_memory_data(mem), "ab", 2), "first segment stays");
    CHECK(tri_memory_data(mem)[65535] == 0, "no partial write");
    CHECK(tri_memory_data(mem)[100] == 0, "later segment not applied");
    tri_module_delete(m);
}

static void test_tables(void)
{
    tri_func *f = tri_func_new(store, &sig_i_i, add_one, NULL, NULL);
    tri_extern imp = ext_func(f);
    tri_instance *i = instantiate("(module (import \"env\" \"f\" (func $f (param i32) (result i32)))"
                                  " (table (export \"t\") 3 funcref) (elem (i32.const 1) $f)"
                                  " (export \"f2\" (func $f)))", &imp, 1);
    CHECK(i, "instantiated");
    if (!i)
        return;
    tri_table *t = export_of(i, "t").of.table;
    tri_val v;
    CHECK(tri_table_size(t) == 3, "size");
    CHECK(tri_table_get(t, 0, &v) && v.kind == TRI_FUNCREF && !v.of.funcref, "null");
    CHECK(tri_table_get(t, 1, &v) && v.of.funcref == f, "element is the host function");
    CHECK(!tri_table_get(t, 3, &v), "out of bounds");
    CHECK(export_of(i, "f2").of.func == f, "re-exported import is the same function");
    tri_val arg = tri_val_i32(41), res;
    CHECK(!tri_func_call(store, v.of.funcref, &arg, 1, &res, 1) && res.of.i32 == 42, "call");
    uint32_t old;
    CHECK(!tri_table_grow(t, 2, v, &old) && old == 3 && tri_table_size(t) == 5, "grow");
    CHECK(tri_table_get(t, 4, &v) && v.of.funcref == f, "grown with init");
    CHECK(error_is(tri_table_set(t, 5, v), TRI_ERR_TRAP, "out of bounds table access"), "set");
    CHECK(error_is(tri_table_set(t, 0, tri_val_i32(1)), TRI_ERR_ARG, "value has the wrong"), "k");

    tri_table *ext;
    tri_val init = {.kind = TRI_EXTERNREF, .of.externref = &old};
    CHECK(!tri_table_new(store, (tri_tabletype){TRI_EXTERNREF, {2, 2, true}}, init, &ext), "new");
    CHECK(tri_table_get(ext, 1, &v) && v.of.externref == &old, "externref");
    CHECK(error_is(tri_table_grow(ext, 1, init, NULL), TRI_ERR_LIMIT, "cannot grow"), "max");
}

static void test_table_partial_init(void)
{
    tri_table *t;
    tri_val null = {.kind = TRI_FUNCREF};
    CHECK(!tri_table_new(store, (tri_tabletype){TRI_FUNCREF, {2, 0, false}}, null, &t), "table");
    int n = 0;
    tri_func *f = tri_func_new(store, &sig_v_v, noop, &n, NULL);
    tri_extern imps[2] = {ext_table(t), ext_func(f)};
    tri_module *m = wat_module(engine,
                               "(module (import \"env\" \"t\" (table 2 funcref))"
                               " (import \"env\" \"f\" (func $f))"
                               " (elem (i32.const 0) $f) (elem (i32.const 1) $f $f))", NULL);
    tri_instance *i = NULL;
    CHECK(error_is(tri_instance_new(store, m, imps, 2, &i), TRI_ERR_TRAP,
                   "out of bounds table access"), "trap");
    tri_val v;
    CHECK(tri_table_get(t, 0, &v) && v.of.funcref == f, "first segment stays");
    CHECK(tri_table_get(t, 1, &v) && !v.of.funcref, "no partial segment");
    tri_module_delete(m);
}

static void test_start(void)
{
    int n = 0;
    tri_func *f = tri_func_new(store, &sig_v_v, noop, &n, NULL);
    tri_extern imp = ext_func(f);
    tri_instance *i = instantiate("(module (import \"env\" \"s\" (func $s)) (start $s))", &imp, 1);
    CHECK(i && n == 1, "start ran once (%d)", n);
    tri_func *bad = tri_func_new(store, &sig_v_v, fail, NULL, NULL);
    tri_module *m = wat_module(engine, "(module (import \"env\" \"s\" (func $s)) (start $s))", NULL);
    imp = ext_func(bad);
    CHECK(error_is(tri_instance_new(store, m, &imp, 1, &i), TRI_ERR_TRAP, "host says no"), "trap");
    tri_module_delete(m);
}

static void test_linker(void)
{
    tri_linker *l = tri_linker_new(store);
    tri_func *f = tri_func_new(store, &sig_i_i, add_one, NULL, NULL);
    tri_func *g = tri_func_new(store, &sig_v_v, fail, NULL, NULL);
    tri_memory *mem;
    CHECK(!tri_memory_new(store, (tri_limits){1, 4, true}, &mem), "memory");
    CHECK(!tri_linker_define(l, "env", 3, "f", 1, ext_func(f)), "define f");
    CHECK(!tri_linker_define(l, "env", 3, "g", 1, ext_func(g)), "define g");
    CHECK(!tri_linker_define(l, "env", 3, "mem", 3, ext_memory(mem)), "define mem");
    const char *cases[][2] = {
        {"(module (import \"env\" \"nope\" (func)))", "unknown import \"env\" \"nope\""},
        {"(module (import \"env\" \"g\" (func (param i32))))", "incompatible import type"},
        {"(module (import \"env\" \"f\" (global i32)))", "incompatible import type"},
        {"(module (import \"env\" \"mem\" (memory 2)))", "incompatible import type"},
        {"(module (import \"env\" \"mem\" (memory 1 3)))", "incompatible import type"},
        {"(module (import \"env\" \"mem\" (memory 0)) (import \"env\" \"x\" (func)))",
         "unknown import \"env\" \"x\""},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tri_module *m = wat_module(engine, cases[k][0], NULL);
        tri_instance *i = NULL;
        CHECK(m && error_is(tri_linker_instantiate(l, m, &i), TRI_ERR_UNLINKABLE, cases[k][1]),
              "case %zu", k);
        tri_module_delete(m);
    }
    tri_module *m = wat_module(engine,
                               "(module (import \"env\" \"mem\" (memory 1 5))"
                               " (import \"env\" \"f\" (func (param i32) (result i32)))"
                               " (export \"m\" (memory 0)) (export \"ff\" (func 0)))", NULL);
    tri_instance *i = NULL;
    tri_error *r = m ? tri_linker_instantiate(l, m, &i) : NULL;
    CHECK(m && !r && i, "links: %s", r ? tri_error_message(r) : "");
    tri_error_delete(r);
    CHECK(i && !tri_linker_define_instance(l, "mod", 3, i), "define instance");
    tri_module *m2 = wat_module(engine, "(module (import \"mod\" \"ff\" (func (param i32) (result i32))))", NULL);
    tri_instance *i2 = NULL;
    r = m2 ? tri_linker_instantiate(l, m2, &i2) : NULL;
    CHECK(m2 && !r && i2, "links through a registered instance");
    tri_error_delete(r);
    tri_module_delete(m);
    tri_module_delete(m2);
}

static void test_module_info(void)
{
    tri_error *r = NULL;
    tri_module *m = wat_module(engine,
                               "(module (import \"a\" \"b\" (func (param i32 f64) (result i64)))"
                               " (import \"a\" \"t\" (table 1 2 externref))"
                               " (global (export \"g\") (mut f32) (f32.const 0))"
                               " (memory (export \"\") 0))", &r);
    CHECK(m && !r, "compiled");
    if (!m)
        return;
    CHECK(tri_module_import_count(m) == 2 && tri_module_export_count(m) == 2, "counts");
    tri_importtype it;
    tri_module_import(m, 0, &it);
    CHECK(!strcmp(it.module, "a") && !strcmp(it.name, "b") && it.type.kind == TRI_EXTERN_FUNC,
          "import 0");
    CHECK(it.type.of.func.nparams == 2 && it.type.of.func.params[1] == TRI_F64 &&
          it.type.of.func.results[0] == TRI_I64, "import 0 type");
    tri_module_import(m, 1, &it);
    CHECK(it.type.kind == TRI_EXTERN_TABLE && it.type.of.table.elem == TRI_EXTERNREF &&
          it.type.of.table.limits.max == 2, "import 1");
    tri_exporttype et;
    tri_module_export(m, 1, &et);
    CHECK(et.name_len == 0 && et.type.kind == TRI_EXTERN_MEMORY, "empty export name");
    tri_module_delete(m);

    static const char text[] = "(module (global (export \"g\") i32 (i32.const 5)))";
    r = tri_module_new(engine, (const uint8_t *)text, sizeof text - 1, &m);
    CHECK(!r && m && tri_module_export_count(m) == 1, "text modules compile");
    tri_instance *i = NULL;
    CHECK(m && !tri_instance_new(store, m, NULL, 0, &i) &&
              tri_global_get(export_of(i, "g").of.global).of.i32 == 5, "and run");
    tri_module_delete(m);
    static const char bad[] = "(module (global i32 (i32.const)))";
    CHECK(error_is(tri_module_new(engine, (const uint8_t *)bad, sizeof bad - 1, &m),
                   TRI_ERR_MALFORMED, ""), "text syntax error");
}

static void test_errors(void)
{
    tri_module *m = NULL;
    static const uint8_t junk[] = {0, 'a', 's', 'm', 2, 0, 0, 0};
    CHECK(error_is(tri_module_new(engine, junk, sizeof junk, &m), TRI_ERR_MALFORMED, ""), "bad");
    CHECK(error_is(tri_module_new(engine, junk, 0, &m), TRI_ERR_MALFORMED, "empty"), "empty");
    CHECK(error_is(tri_func_call(store, NULL, NULL, 0, NULL, 0), TRI_ERR_ARG, "no function"),
          "null function");
    CHECK(error_is(tri_instance_new(store, NULL, NULL, 0, &(tri_instance *){0}), TRI_ERR_ARG,
                   "no store"), "null module");
    tri_error *r = NULL;
    m = wat_module(engine, "(module (global i32 (i64.const 0)))", &r);
    CHECK(!m && error_is(r, TRI_ERR_INVALID, ""), "invalid");
    r = NULL;
    m = wat_module(engine, "(module (func (result i32) (i64.const 0)))", &r);
    CHECK(!m && r, "invalid body rejected");
    CHECK(error_is(r, TRI_ERR_INVALID, ""), "invalid body kind");
    if (!tri_backend_available(TRI_DEFAULT_BACKEND)) {
        m = wat_module(engine, "(module (func))", &r);
        CHECK(!m && error_is(r, TRI_ERR_UNSUPPORTED,
                             "backend '" TRI_DEFAULT_BACKEND "' is not available"),
              "no backend");
    }
    tri_engine *e2;
    tri_config c;
    tri_config_default(&c);
    c.backend = "quantum";
    CHECK(error_is(tri_engine_new(&c, &e2), TRI_ERR_ARG, "unknown backend"), "backend name");
    tri_val arg = tri_val_i64(1), res;
    tri_func *f = tri_func_new(store, &sig_i_i, add_one, NULL, NULL);
    CHECK(error_is(tri_func_call(store, f, &arg, 1, &res, 1), TRI_ERR_ARG, "argument 0"), "kind");
    CHECK(error_is(tri_func_call(store, f, &arg, 0, &res, 1), TRI_ERR_ARG, "function takes"), "n");
    tri_func *bad = tri_func_new(store, &sig_v_v, fail, NULL, NULL);
    r = tri_func_call(store, bad, NULL, 0, NULL, 0);
    CHECK(r && tri_error_trap_code(r) == TRI_TRAP_HOST, "host trap code");
    CHECK(error_is(r, TRI_ERR_TRAP, "host says no"), "host trap");
}

static int finalized;
static void finalize(void *p) { finalized += *(int *)p; }

static void test_limits_and_finalizer(void)
{
    tri_config c;
    tri_config_default(&c);
    c.memory_limit = 2 * 65536;
    tri_engine *e;
    CHECK(!tri_engine_new(&c, &e), "engine");
    tri_store *s = tri_store_new(e);
    tri_memory *m;
    CHECK(error_is(tri_memory_new(s, (tri_limits){3, 0, false}, &m), TRI_ERR_LIMIT, "memory of"),
          "limit at creation");
    CHECK(!tri_memory_new(s, (tri_limits){1, 0, false}, &m), "small memory");
    CHECK(!tri_memory_grow(m, 1, NULL), "grow to the limit");
    CHECK(error_is(tri_memory_grow(m, 1, NULL), TRI_ERR_LIMIT, ""), "past the limit");
    static int seven = 7;
    CHECK(tri_func_new(s, &sig_v_v, noop, &seven, finalize), "func");
    tri_store_delete(s);
    CHECK(finalized == 7, "finaliser ran at store deletion");
    tri_engine_delete(e);
}

int main(void)
{
    CHECK(!tri_engine_new(NULL, &engine), "engine");
    store = tri_store_new(engine);
    test_globals();
    test_memory();
    test_memory_partial_init();
    test_tables();
    test_table_partial_init();
    test_start();
    test_linker();
    test_module_info();
    test_errors();
    test_limits_and_finalizer();
    tri_store_delete(store);
    tri_engine_delete(engine);
    return test_done("api_instance");
}
