/* Times one module on one backend, in-process, through the public API:
 *   cache_time FILE BACKEND CACHE_DIR [RUNS]
 * prints one line of seconds (CPU time of this process, all threads; best
 * of RUNS for the loads):
 *   compile   the first tri_module_new, into an empty cache (decode,
 *             validate, compile, load the code, write the cache entry)
 *   cached    tri_module_new from the warm cache (read, check, load the code)
 *   twasm     tri_module_new on the module's .twasm bytes (in memory)
 *   inst      tri_instance_new of the cached module, every import
 *             given a stub (functions that trap, fresh memories, tables,
 *             globals): memory, data and element segments, vmctx
 * and the .twasm size in bytes. CACHE_DIR is emptied first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trident.h>

#include "base/base.h"
#include "tool_time.h"

static tri_engine *engine(const char *backend, const char *dir, bool cache)
{
    tri_config c;
    tri_config_default(&c);
    c.backend = backend;
    c.cache = cache;
    c.cache_dir = dir;
    tri_engine *e = NULL;
    tri_error *r = tri_engine_new(&c, &e);
    if (r) {
        fprintf(stderr, "cache_time: %s\n", tri_error_message(r));
        tri_error_delete(r);
    }
    return e;
}

/* tri_module_new's CPU seconds, or -1 with the error printed. */
static double timed_new(tri_engine *e, const uint8_t *p, size_t n, tri_module **out)
{
    double t = cpu_now();
    tri_error *r = tri_module_new(e, p, n, out);
    t = cpu_now() - t;
    if (!r)
        return t;
    fprintf(stderr, "cache_time: %s\n", tri_error_message(r));
    tri_error_delete(r);
    return -1;
}

static tri_error *stub(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                       tri_val *results, size_t nresults)
{
    (void)data, (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
    return tri_trap_new("stub import called");
}

/* A store object of the import's type. */
static tri_error *stub_for(tri_store *s, const tri_importtype *im, tri_extern *x)
{
    x->kind = im->type.kind;
    switch (im->type.kind) {
    case TRI_EXTERN_FUNC:
        x->of.func = tri_func_new(s, &im->type.of.func, stub, NULL, NULL);
        return x->of.func ? NULL : tri_trap_new("out of memory");
    case TRI_EXTERN_MEMORY:
        return tri_memory_new(s, im->type.of.memory, &x->of.memory);
    case TRI_EXTERN_TABLE:
        return tri_table_new(s, im->type.of.table, (tri_val){.kind = im->type.of.table.elem},
                             &x->of.table);
    default: {
        tri_val zero = {.kind = im->type.of.global.kind};
        return tri_global_new(s, im->type.of.global, zero, &x->of.global);
    }
    }
}

/* Instantiates with stubs; CPU seconds, or -1. */
static double instantiate(tri_engine *e, tri_module *m)
{
    tri_store *s = tri_store_new(e);
    size_t n = tri_module_import_count(m);
    tri_extern *xs = calloc(n + 1, sizeof *xs);
    tri_error *r = NULL;
    for (size_t i = 0; !r && i < n; i++) {
        tri_importtype im;
        tri_module_import(m, i, &im);
        r = stub_for(s, &im, &xs[i]);
    }
    double t = cpu_now();
    tri_instance *inst = NULL;
    if (!r)
        r = tri_instance_new(s, m, xs, n, &inst);
    t = cpu_now() - t;
    if (r) {
        fprintf(stderr, "cache_time: instantiate: %s\n", tri_error_message(r));
        tri_error_delete(r);
        t = -1;
    }
    free(xs);
    tri_store_delete(s);
    return t;
}

static double best_of(int runs, tri_engine *e, const uint8_t *p, size_t n)
{
    double best = 1e30;
    for (int i = 0; i < runs; i++) {
        tri_module *m = NULL;
        double t = timed_new(e, p, n, &m);
        tri_module_delete(m);
        if (t < 0)
            return -1;
        best = t < best ? t : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: cache_time FILE BACKEND CACHE_DIR [RUNS]\n");
        return 2;
    }
    int runs = argc > 4 ? atoi(argv[4]) : 5;
    struct err err;
    err_clear(&err);
    uint8_t *bytes, *art = NULL;
    size_t len, art_len = 0;
    if (!file_read(argv[1], &bytes, &len, &err)) {
        fprintf(stderr, "cache_time: %s\n", err.msg);
        return 1;
    }
    /* One compile only: llvm takes minutes on these modules. */
    tri_engine *e = engine(argv[2], argv[3], true);
    size_t removed;
    uint64_t gone;
    if (e)
        tri_error_delete(tri_cache_clean(e, &removed, &gone));
    tri_module *m = NULL;
    double compile = e ? timed_new(e, bytes, len, &m) : -1;
    tri_module_delete(m);
    double cached = compile >= 0 ? best_of(runs, e, bytes, len) : -1;
    m = NULL;
    double inst = cached >= 0 && timed_new(e, bytes, len, &m) >= 0 ? instantiate(e, m) : -1;
    if (m)
        tri_error_delete(tri_module_serialize(m, &art, &art_len));
    tri_module_delete(m);
    double twasm = art ? best_of(runs, e, art, art_len) : -1;
    printf("%.4f %.4f %.4f %.4f %zu\n", compile, cached, twasm, inst, art_len);
    free(art);
    free(bytes);
    tri_engine_delete(e);
    return compile < 0 || cached < 0 || twasm < 0 ? 1 : 0;
}
