/* Differential test: random valid modules (binaryen's translate-to-fuzz,
 * `wasm-opt -ttf`, from seeded random bytes) run on the singlepass and the
 * llvm backends; every export is called in order with zero arguments and
 * the two runs must agree on each call's results or trap, and on the
 * values the module logs through its imports. Floats compare by bits,
 * except that any NaN equals any NaN (their payloads may differ). A run
 * that exhausts the stack is compared by its trap only, since frame sizes
 * differ. Every other module runs in bounds-check mode. Skipped (with a
 * PASS line) when a backend or wasm-opt is missing. */
#include <math.h>
#include <stdint.h>

#include "api_util.h"
#include "base/base.h"
#include "check.h"

enum { MODULES = 40, INPUT_BYTES = 12000, MAX_LOG = 4096, MAX_RESULTS = 16 };

struct log {
    uint64_t v[MAX_LOG];
    size_t n;
};

/* Host import: records its arguments, returns zeros. */
static tri_error *host_log(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                           tri_val *results, size_t nresults)
{
    (void)caller;
    struct log *l = data;
    for (size_t i = 0; i < nargs && l->n < MAX_LOG; i++)
        l->v[l->n++] = args[i].kind == TRI_F32 && isnan(tri_val_as_f32(args[i])) ? 0x7FC00000u
                       : args[i].kind == TRI_F64 && isnan(tri_val_as_f64(args[i]))
                           ? 0x7FF8000000000000ull
                           : (uint64_t)args[i].of.i64;
    for (size_t i = 0; i < nresults; i++)
        results[i] = (tri_val){.kind = results[i].kind};
    return NULL;
}

/* One call's outcome, NaNs made canonical. */
struct outcome {
    int trap; /* tri_trap_code, -1 for another error, 0 for none */
    size_t nresults;
    uint64_t r[MAX_RESULTS];
};

struct run {
    tri_engine *engine;
    tri_store *store;
    tri_module *module;
    tri_instance *inst;
    struct log log;
};

static uint64_t canon(tri_val v)
{
    if (v.kind == TRI_F32)
        return isnan(tri_val_as_f32(v)) ? 0x7FC00000u : v.of.f32_bits;
    if (v.kind == TRI_F64)
        return isnan(tri_val_as_f64(v)) ? 0x7FF8000000000000ull : v.of.f64_bits;
    if (v.kind == TRI_I32)
        return (uint32_t)v.of.i32;
    return (uint64_t)v.of.i64;
}

static bool start(struct run *r, const char *backend, bool bounds, const uint8_t *bytes,
                  size_t len)
{
    memset(r, 0, sizeof *r);
    tri_config c;
    tri_config_default(&c);
    c.cache = false; /* every run compiles: what a test is for */
    c.backend = backend;
    c.bounds_checks = bounds;
    tri_error *e = tri_engine_new(&c, &r->engine);
    if (!e)
        e = tri_module_new(r->engine, bytes, len, &r->module);
    if (!e && !(r->store = tri_store_new(r->engine)))
        e = tri_trap_new("no store");
    size_t n = e ? 0 : tri_module_import_count(r->module);
    tri_extern imports[16];
    for (size_t i = 0; !e && i < n; i++) {
        tri_importtype it;
        tri_module_import(r->module, i, &it);
        if (it.type.kind != TRI_EXTERN_FUNC || i >= ARRAY_LEN(imports))
            return false; /* not the fuzzer's logging imports: skip the module */
        imports[i] = ext_func(tri_func_new(r->store, &it.type.of.func, host_log, &r->log, NULL));
    }
    if (!e)
        e = tri_instance_new(r->store, r->module, imports, n, &r->inst);
    CHECK(!e, "%s: %s", backend, e ? tri_error_message(e) : "");
    tri_error_delete(e);
    return r->inst != NULL;
}

static void stop(struct run *r)
{
    if (r->store)
        tri_store_delete(r->store);
    if (r->module)
        tri_module_delete(r->module);
    if (r->engine)
        tri_engine_delete(r->engine);
}

static struct outcome invoke(struct run *r, tri_func *f)
{
    struct outcome o = {0};
    tri_functype t = tri_func_type(f);
    tri_val args[64] = {0}, res[MAX_RESULTS];
    if (t.nparams > ARRAY_LEN(args) || t.nresults > MAX_RESULTS)
        return (struct outcome){.trap = -2};
    for (uint32_t i = 0; i < t.nparams; i++)
        args[i].kind = t.params[i];
    tri_error *e = tri_func_call(r->store, f, args, t.nparams, res, t.nresults);
    if (e) {
        o.trap = tri_error_kind_of(e) == TRI_ERR_TRAP ? (int)tri_error_trap_code(e) : -1;
        tri_error_delete(e);
        return o;
    }
    o.nresults = t.nresults;
    for (uint32_t i = 0; i < t.nresults; i++)
        o.r[i] = canon(res[i]);
    return o;
}

/* xorshift64: the module inputs are the same on every run. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random module from seed, through wasm-opt; NULL when it fails. */
static uint8_t *fuzz_module(uint64_t seed, size_t *len)
{
    char dir[] = "/tmp/tri-diff-XXXXXX", in[64], out[64], cmd[512];
    uint8_t *bytes = NULL;
    if (!mkdtemp(dir))
        return NULL;
    snprintf(in, sizeof in, "%s/in.dat", dir);
    snprintf(out, sizeof out, "%s/m.wasm", dir);
    FILE *f = fopen(in, "wb");
    if (f) {
        for (int i = 0; i < INPUT_BYTES; i++)
            fputc((int)(next(&seed) & 0xFF), f);
        fclose(f);
        snprintf(cmd, sizeof cmd,
                 "wasm-opt %s -ttf --disable-simd --disable-gc --disable-reference-types "
                 "-o %s >/dev/null 2>&1", in, out);
        f = system(cmd) == 0 ? fopen(out, "rb") : NULL;
    }
    if (f) {
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        bytes = n > 0 ? malloc((size_t)n) : NULL;
        if (bytes && fread(bytes, 1, (size_t)n, f) == (size_t)n)
            *len = (size_t)n;
        else
            free(bytes), bytes = NULL;
        fclose(f);
    }
    unlink(in);
    unlink(out);
    rmdir(dir);
    return bytes;
}

static void compare(int m, const char *name, const struct outcome *a, const struct outcome *b)
{
    bool same = a->trap == b->trap && a->nresults == b->nresults &&
                !memcmp(a->r, b->r, a->nresults * sizeof *a->r);
    CHECK(same, "module %d, export %s: singlepass trap %d results %zu [%llx], llvm trap %d "
          "results %zu [%llx]", m, name, a->trap, a->nresults,
          (unsigned long long)a->r[0], b->trap, b->nresults, (unsigned long long)b->r[0]);
}

static void diff_module(int m, const uint8_t *bytes, size_t len)
{
    struct run a = {0}, b = {0};
    bool bounds = m % 2 == 0;
    if (start(&a, "singlepass", bounds, bytes, len) && start(&b, "llvm", bounds, bytes, len)) {
        bool exhausted = false;
        for (size_t i = 0; i < tri_instance_export_count(a.inst); i++) {
            const char *name;
            size_t nlen;
            tri_extern xa, xb;
            tri_instance_export_nth(a.inst, i, &name, &nlen, &xa);
            tri_instance_export_nth(b.inst, i, &name, &nlen, &xb);
            if (xa.kind != TRI_EXTERN_FUNC)
                continue;
            struct outcome oa = invoke(&a, xa.of.func), ob = invoke(&b, xb.of.func);
            compare(m, name, &oa, &ob);
            exhausted |= oa.trap == TRI_TRAP_STACK_OVERFLOW;
        }
        CHECK(exhausted || (a.log.n == b.log.n &&
                            !memcmp(a.log.v, b.log.v, a.log.n * sizeof *a.log.v)),
              "module %d: the logs differ (%zu and %zu values)", m, a.log.n, b.log.n);
    }
    stop(&a);
    stop(&b);
}

int main(void)
{
    if (!tri_backend_available("llvm") || !tri_backend_available("singlepass") ||
        system("wasm-opt --version >/dev/null 2>&1") != 0) {
        printf("PASS llvm_diff: llvm, singlepass or wasm-opt missing, nothing compared\n");
        return 0;
    }
    for (int m = 1; m <= MODULES; m++) {
        size_t len = 0;
        uint8_t *bytes = fuzz_module(0x9E3779B97F4A7C15ull * (uint64_t)m, &len);
        CHECK(bytes, "wasm-opt made no module from seed %d", m);
        if (bytes)
            diff_module(m, bytes, len);
        free(bytes);
    }
    return test_done("llvm_diff");
}
