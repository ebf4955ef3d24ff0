/* Traps with hand-emitted code (runtime_backend.h): memory faults at the
 * exact boundary, ud2 and SIGFPE trap sites, deep recursion, traps from
 * builtins and host functions with their backtraces, nested activations,
 * a host fault that must not be swallowed, and several stores trapping on
 * several threads at once. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "api_util.h"
#include "check.h"
#include "runtime_backend.h"

static const char *const module_text =
    "(module\n"
    "  (import \"env\" \"boom\" (func))\n"                                     /* 0 */
    "  (import \"env\" \"fault\" (func))\n"                                    /* 1 */
    "  (import \"env\" \"nested\" (func))\n"                                   /* 2 */
    "  (memory (export \"mem\") 1)\n"
    "  (func $load (export \"load\") (param i32) (result i32) unreachable)\n"  /* 3 */
    "  (func $recurse (export \"recurse\") (param i32) unreachable)\n"        /* 4 */
    "  (func $unreachable (export \"unreachable\") unreachable)\n"             /* 5 */
    "  (func $call_boom (export \"call_boom\") unreachable)\n"                 /* 6 */
    "  (func $call_fault (export \"call_fault\") unreachable)\n"               /* 7 */
    "  (func $fill (export \"fill\") (param i32 i32 i32) unreachable)\n"      /* 8 */
    "  (func $call_nested (export \"call_nested\") unreachable)\n"             /* 9 */
    "  (func $outer (export \"outer\") (param i32) (result i32) unreachable)\n" /* 10 */
    "  (func $div (export \"div\") (param i32 i32) (result i32) unreachable))\n"; /* 11 */

enum { F_LOAD = 3, F_RECURSE, F_UNREACHABLE, F_BOOM, F_FAULT, F_FILL, F_NESTED, F_OUTER, F_DIV };

/* i32.load at base + zero_extend(addr): the load is the trap site. */
static void body_load(struct emit *e)
{
    struct x64_asm *a = e->a;
    x64_mov_rm(a, 8, X64_RAX, x64_mem_base(X64_RDI, CC_VMCTX_MEM_BASE));
    x64_mov_rr(a, 4, X64_RSI, X64_RSI);
    site(e, TRI_TRAP_MEMORY_OOB);
    x64_mov_rm(a, 4, X64_RAX, x64_mem_index(X64_RAX, X64_RSI, 1, 0));
}

static void body_recurse(struct emit *e) { x64_call_reloc(e->a, X64_TARGET_FUNC, F_RECURSE); }

static void body_unreachable(struct emit *e)
{
    site(e, TRI_TRAP_UNREACHABLE);
    x64_ud2(e->a);
}

static void body_boom(struct emit *e) { call_import(e, 0); }
static void body_fault(struct emit *e) { call_import(e, 1); }
static void body_nested(struct emit *e) { call_import(e, 2); }
static void body_fill(struct emit *e) { x64_call_reloc(e->a, X64_TARGET_SYM, CC_BUILTIN_MEMORY_FILL); }
static void body_outer(struct emit *e) { x64_call_reloc(e->a, X64_TARGET_FUNC, F_LOAD); }

/* idiv with a trap site, so SIGFPE maps to "integer divide by zero". */
static void body_div(struct emit *e)
{
    struct x64_asm *a = e->a;
    x64_mov_rr(a, 4, X64_RCX, X64_RDX);
    x64_mov_rr(a, 4, X64_RAX, X64_RSI);
    x64_cdq(a, 4);
    site(e, TRI_TRAP_DIV_ZERO);
    x64_unary_r(a, X64_IDIV, 4, X64_RCX);
}

static tri_error *boom(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                       tri_val *results, size_t nresults)
{
    (void)data, (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
    return tri_trap_new("boom");
}

static tri_error *fault(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                        tri_val *results, size_t nresults)
{
    (void)data, (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
    *(volatile int *)(uintptr_t)8 = 1; /* a bug in host code */
    return NULL;
}

struct world {
    tri_store *store;
    tri_instance *inst;
};

/* Calls the instance's "unreachable" from inside a host function and
 * passes its trap on. */
static tri_error *nested(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                         tri_val *results, size_t nresults)
{
    (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
    struct world *w = data;
    return tri_func_call(w->store, export_of(w->inst, "unreachable").of.func, NULL, 0, NULL, 0);
}

static tri_engine *engine;
static tri_module *module;

static bool world_new(struct world *w)
{
    w->store = tri_store_new(engine);
    static const tri_functype v = {0, 0, NULL, NULL};
    tri_extern imports[3] = {ext_func(tri_func_new(w->store, &v, boom, NULL, NULL)),
                             ext_func(tri_func_new(w->store, &v, fault, NULL, NULL)),
                             ext_func(tri_func_new(w->store, &v, nested, w, NULL))};
    w->inst = NULL;
    tri_error *r = tri_instance_new(w->store, module, imports, 3, &w->inst);
    tri_error_delete(r);
    return w->inst != NULL;
}

/* Calls an export; returns the error (NULL on success), result in *out. */
static tri_error *call(struct world *w, const char *name, const tri_val *args, size_t n,
                       int32_t *out)
{
    tri_func *f = export_of(w->inst, name).of.func;
    tri_val res = {0};
    size_t nres = tri_func_type(f).nresults;
    tri_error *r = tri_func_call(w->store, f, args, n, &res, nres);
    if (out)
        *out = res.of.i32;
    return r;
}

/* True when r is a trap of that code whose frames are exactly funcs. */
static bool trap_is(tri_error *r, tri_trap_code code, const uint32_t *funcs, size_t nfuncs)
{
    bool ok = r && tri_error_kind_of(r) == TRI_ERR_TRAP && tri_error_trap_code(r) == code &&
              tri_error_frame_count(r) == nfuncs;
    for (size_t k = 0; ok && k < nfuncs; k++)
        ok = tri_error_frame(r, k)->func_index == funcs[k];
    if (!ok && r)
        printf("note: trap %d '%s' with %zu frames\n", tri_error_trap_code(r),
               tri_error_message(r), tri_error_frame_count(r));
    tri_error_delete(r);
    return ok;
}

static void test_memory_traps(struct world *w)
{
    uint8_t *mem = tri_memory_data(export_of(w->inst, "mem").of.memory);
    memcpy(mem + 65532, "\x01\x02\x03\x04", 4);
    int32_t v = 0;
    tri_val a = tri_val_i32(65532);
    tri_error *r = call(w, "load", &a, 1, &v);
    CHECK(!r && v == 0x04030201, "last word loads");
    tri_error_delete(r);
    a = tri_val_i32(65533);
    r = call(w, "load", &a, 1, NULL);
    CHECK(r && !strcmp(tri_error_message(r), "out of bounds memory access"), "message");
    CHECK(r && tri_error_frame_count(r) == 1 && tri_error_frame(r, 0)->func_name &&
              !strcmp(tri_error_frame(r, 0)->func_name, "load") &&
              tri_error_frame(r, 0)->module_offset == module->m.funcs[F_LOAD].code_offset,
          "frame names the function and the wasm offset");
    static const uint32_t load_only[] = {F_LOAD}, outer[] = {F_LOAD, F_OUTER};
    CHECK(trap_is(r, TRI_TRAP_MEMORY_OOB, load_only, 1), "one past the boundary traps");
    a = tri_val_i32(-1);
    CHECK(trap_is(call(w, "load", &a, 1, NULL), TRI_TRAP_MEMORY_OOB, load_only, 1), "4 GiB-1");
    a = tri_val_i32(65536);
    CHECK(trap_is(call(w, "outer", &a, 1, NULL), TRI_TRAP_MEMORY_OOB, outer, 2), "2 frames");
    a = tri_val_i32(65532);
    r = call(w, "load", &a, 1, &v);
    CHECK(!r && v == 0x04030201, "the store is usable after traps");
    tri_error_delete(r);
}

static void test_other_traps(struct world *w)
{
    static const uint32_t unr[] = {F_UNREACHABLE}, boomf[] = {F_BOOM}, fill[] = {F_FILL},
                          div[] = {F_DIV}, nest[] = {F_UNREACHABLE, F_NESTED};
    CHECK(trap_is(call(w, "unreachable", NULL, 0, NULL), TRI_TRAP_UNREACHABLE, unr, 1), "ud2");
    tri_error *r = call(w, "call_boom", NULL, 0, NULL);
    CHECK(r && !strcmp(tri_error_message(r), "boom"), "host message");
    CHECK(trap_is(r, TRI_TRAP_HOST, boomf, 1), "host trap with the wasm caller's frame");
    tri_val f[3] = {tri_val_i32(65530), tri_val_i32(1), tri_val_i32(10)};
    CHECK(trap_is(call(w, "fill", f, 3, NULL), TRI_TRAP_MEMORY_OOB, fill, 1), "builtin trap");
    f[0] = tri_val_i32(0), f[1] = tri_val_i32(0x41), f[2] = tri_val_i32(3);
    r = call(w, "fill", f, 3, NULL);
    uint8_t *mem = tri_memory_data(export_of(w->inst, "mem").of.memory);
    CHECK(!r && !memcmp(mem, "AAA\0", 4), "fill in bounds");
    tri_error_delete(r);
    CHECK(trap_is(call(w, "call_nested", NULL, 0, NULL), TRI_TRAP_UNREACHABLE, nest, 2),
          "a nested trap passes through the host, with the frames of both activations");
    tri_val d[2] = {tri_val_i32(7), tri_val_i32(0)};
    CHECK(trap_is(call(w, "div", d, 2, NULL), TRI_TRAP_DIV_ZERO, div, 1), "SIGFPE site");
    d[1] = tri_val_i32(2);
    int32_t q = 0;
    r = call(w, "div", d, 2, &q);
    CHECK(!r && q == 3, "division works");
    tri_error_delete(r);
}

static void test_recursion(struct world *w)
{
    for (int round = 0; round < 2; round++) {
        tri_val a = tri_val_i32(0);
        tri_error *r = call(w, "recurse", &a, 1, NULL);
        CHECK(r && !strcmp(tri_error_message(r), "call stack exhausted"), "message");
        uint32_t frames[RT_MAX_FRAMES];
        for (int k = 0; k < RT_MAX_FRAMES; k++)
            frames[k] = F_RECURSE;
        CHECK(trap_is(r, TRI_TRAP_STACK_OVERFLOW, frames, RT_MAX_FRAMES), "round %d", round);
    }
}

/* The host function faults while wasm is on the stack: the process must
 * die of that fault, not turn it into a trap. */
static void test_host_fault(struct world *w)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr); /* the sanitizer's report is expected */
        tri_error *r = call(w, "call_fault", NULL, 0, NULL);
        _exit(r ? 3 : 4);
    }
    int status = 0;
    waitpid(pid, &status, 0);
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifdef UNDER_ASAN /* ASan reports the SEGV itself and exits with 1 */
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) ||
              (WIFEXITED(status) && WEXITSTATUS(status) == 1),
          "host fault not swallowed (status %#x)", status);
#else
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "died by SIGSEGV (status %#x)",
          status);
#endif
}

/* Each thread its own store over the one shared module. */
static void *thread_main(void *arg)
{
    struct world w;
    int *fails = arg;
    if (!world_new(&w)) {
        (*fails)++;
        return NULL;
    }
    static const uint32_t load_only[] = {F_LOAD};
    for (int k = 0; k < 20; k++) {
        tri_val a = tri_val_i32(65536 + k);
        if (!trap_is(call(&w, "load", &a, 1, NULL), TRI_TRAP_MEMORY_OOB, load_only, 1))
            (*fails)++;
        tri_error *r = call(&w, "recurse", &a, 1, NULL);
        if (!r || tri_error_trap_code(r) != TRI_TRAP_STACK_OVERFLOW)
            (*fails)++;
        tri_error_delete(r);
    }
    tri_store_delete(w.store);
    return NULL;
}

static void test_threads(void)
{
    enum { N = 4 };
    pthread_t t[N];
    int fails[N] = {0};
    for (int k = 0; k < N; k++)
        CHECK(!pthread_create(&t[k], NULL, thread_main, &fails[k]), "thread");
    for (int k = 0; k < N; k++) {
        pthread_join(t[k], NULL);
        CHECK(fails[k] == 0, "thread %d: %d failures", k, fails[k]);
    }
}

int main(void)
{
    body_fn bodies[] = {[F_LOAD] = body_load,       [F_RECURSE] = body_recurse,
                        [F_UNREACHABLE] = body_unreachable, [F_BOOM] = body_boom,
                        [F_FAULT] = body_fault,     [F_FILL] = body_fill,
                        [F_NESTED] = body_nested,   [F_OUTER] = body_outer,
                        [F_DIV] = body_div};
    memcpy(test_bodies, bodies, sizeof bodies);
    CHECK(!tri_engine_new(NULL, &engine), "engine");
    size_t len;
    uint8_t *bytes = wat(module_text, &len);
    tri_error *r = bytes ? rt_module_new(engine, bytes, len, &test_backend, &module) : NULL;
    free(bytes);
    CHECK(module && !r, "module: %s", r ? tri_error_message(r) : "");
    tri_error_delete(r);
    struct world w;
    if (module && world_new(&w)) {
        test_memory_traps(&w);
        test_other_traps(&w);
        test_recursion(&w);
        test_host_fault(&w);
        test_threads();
        tri_store_delete(w.store);
    }
    tri_module_delete(module);
    tri_engine_delete(engine);
    return test_done("runtime_traps");
}
