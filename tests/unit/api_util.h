/* Helpers for the C API tests: WAT text to wasm bytes (through wabt's
 * wat2wasm, one of the packages scripts/setup.sh installs), and short
 * constructors. */
#ifndef TRI_API_UTIL_H
#define TRI_API_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trident.h>
#include <unistd.h>

/* The binary for WAT text (malloc'd, *len set), or NULL. */
static inline uint8_t *wat(const char *text, size_t *len)
{
    char dir[] = "/tmp/tri-api-XXXXXX";
    if (!mkdtemp(dir))
        return NULL;
    char in[64], out[64], cmd[256];
    snprintf(in, sizeof in, "%s/m.wat", dir);
    snprintf(out, sizeof out, "%s/m.wasm", dir);
    FILE *f = fopen(in, "w");
    uint8_t *bytes = NULL;
    if (f) {
        fputs(text, f);
        fclose(f);
        snprintf(cmd, sizeof cmd, "wat2wasm --no-check --debug-names %s -o %s", in, out);
        f = system(cmd) == 0 ? fopen(out, "rb") : NULL;
    }
    if (f) {
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        bytes = malloc(n > 0 ? (size_t)n : 1);
        if (bytes && fread(bytes, 1, (size_t)n, f) == (size_t)n)
            *len = (size_t)n;
        else {
            free(bytes);
            bytes = NULL;
        }
        fclose(f);
    }
    unlink(in);
    unlink(out);
    rmdir(dir);
    return bytes;
}

/* Compiles WAT into a module; NULL (and the error in *err if given) on failure. */
static inline tri_module *wat_module(tri_engine *e, const char *text, tri_error **err)
{
    size_t len = 0;
    uint8_t *bytes = wat(text, &len);
    if (!bytes) {
        printf("FAIL wat2wasm rejected: %s\n", text);
        return NULL;
    }
    tri_module *m = NULL;
    tri_error *r = tri_module_new(e, bytes, len, &m);
    free(bytes);
    if (err)
        *err = r;
    else if (r) {
        printf("note: %s\n", tri_error_message(r));
        tri_error_delete(r);
    }
    return m;
}

/* An engine for one backend and a store in it; false (with a FAIL line)
 * when the engine cannot be made. */
static inline bool engine_store_new(const char *backend, tri_engine **e, tri_store **s)
{
    tri_config c;
    tri_config_default(&c);
    c.backend = backend;
    tri_error *r = tri_engine_new(&c, e);
    if (r) {
        printf("FAIL engine for %s: %s\n", backend, tri_error_message(r));
        tri_error_delete(r);
        return false;
    }
    *s = tri_store_new(*e);
    return true;
}

static inline tri_extern ext_func(tri_func *f) { return (tri_extern){TRI_EXTERN_FUNC, {.func = f}}; }
static inline tri_extern ext_table(tri_table *t) { return (tri_extern){TRI_EXTERN_TABLE, {.table = t}}; }
static inline tri_extern ext_memory(tri_memory *m) { return (tri_extern){TRI_EXTERN_MEMORY, {.memory = m}}; }
static inline tri_extern ext_global(tri_global *g) { return (tri_extern){TRI_EXTERN_GLOBAL, {.global = g}}; }

/* Finds an export by NUL-terminated name; kind 99 when absent. */
static inline tri_extern export_of(tri_instance *i, const char *name)
{
    tri_extern x = {.kind = (tri_externkind)99};
    tri_instance_export(i, name, strlen(name), &x);
    return x;
}

/* What call_exports saw for one export: its name and type, and the trap
 * (then res holds nothing) or the results. */
typedef void export_seen_fn(void *ctx, const char *name, size_t nlen, tri_functype ft,
                            const tri_error *trap, const tri_val *res);

/* Calls every function export of inst in export order with zero arguments
 * (exports with more than 64 parameters or results are left out) and hands
 * each outcome to seen. Returns the number of calls. */
static inline size_t call_exports(tri_store *s, tri_instance *inst, export_seen_fn *seen,
                                  void *ctx)
{
    size_t ncalls = 0;
    for (size_t i = 0; inst && i < tri_instance_export_count(inst); i++) {
        const char *name;
        size_t nlen;
        tri_extern x;
        tri_instance_export_nth(inst, i, &name, &nlen, &x);
        if (x.kind != TRI_EXTERN_FUNC)
            continue;
        tri_functype ft = tri_func_type(x.of.func);
        tri_val args[64] = {{0}}, res[64] = {{0}};
        if (ft.nparams > 64 || ft.nresults > 64)
            continue;
        for (uint32_t k = 0; k < ft.nparams; k++)
            args[k].kind = ft.params[k];
        tri_error *trap = tri_func_call(s, x.of.func, args, ft.nparams, res, ft.nresults);
        seen(ctx, name, nlen, ft, trap, res);
        tri_error_delete(trap);
        ncalls++;
    }
    return ncalls;
}

/* True when e is an error whose message starts with prefix; frees e. */
static inline bool error_is(tri_error *e, tri_error_kind kind, const char *prefix)
{
    if (!e)
        return false;
    bool ok = tri_error_kind_of(e) == kind &&
              !strncmp(tri_error_message(e), prefix, strlen(prefix));
    if (!ok)
        printf("note: got error kind %d: %s\n", tri_error_kind_of(e), tri_error_message(e));
    tri_error_delete(e);
    return ok;
}

#endif
