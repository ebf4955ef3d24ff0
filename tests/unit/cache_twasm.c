/* Precompiled .twasm files through the API: a module serialised by each
 * built backend loads without compiling and runs (calls, memory, traps with
 * their backtrace); every truncation and every flipped byte is refused;
 * files forged to come from another version, build, format or CPU, with a
 * fixed checksum, are refused saying why; so are cache entries (no module
 * bytes) and guard-page code in a bounds-checking engine. */
#include "api_util.h"
#include "check.h"
#include "runtime/runtime.h"

/* Header offsets (see the struct in src/runtime/twasm.c). */
enum { CHECKED_FROM = 24, OFF_FORMAT = 24, OFF_VERSION = 40, OFF_BUILD = 56, OFF_CPU = 96 };

static const char *const text =
    "(module (memory 1) (data (i32.const 16) \"\\2a\")"
    " (func $get (result i32) (i32.load8_u (i32.const 16)))"
    " (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))"
    " (func (export \"f\") (result i32) (call $add (call $get) (i32.const 100)))"
    " (func $boom (export \"boom\") (param i32) (result i32)"
    "   (i32.div_u (i32.const 1) (local.get 0))))";

static tri_engine *engine_for(const char *backend, bool bounds_checks)
{
    tri_config c;
    tri_config_default(&c);
    c.backend = backend;
    c.cache = false;
    c.bounds_checks = bounds_checks;
    tri_engine *e = NULL;
    tri_error_delete(tri_engine_new(&c, &e));
    return e;
}

/* Runs f() and boom(0) of a module: f's value, and whether boom traps with
 * a divide by zero whose innermost frame is $boom. -1 when it cannot run. */
static int32_t exercise(tri_engine *e, tri_module *m, bool *trap_ok)
{
    tri_store *s = tri_store_new(e);
    tri_instance *i = NULL;
    tri_val f = {0}, out = {0}, arg = tri_val_i32(0);
    tri_error *r = tri_instance_new(s, m, NULL, 0, &i);
    if (!r)
        r = tri_func_call(s, export_of(i, "f").of.func, NULL, 0, &f, 1);
    bool ran = !r;
    tri_error_delete(r);
    r = i ? tri_func_call(s, export_of(i, "boom").of.func, &arg, 1, &out, 1) : NULL;
    *trap_ok = r && tri_error_trap_code(r) == TRI_TRAP_DIV_ZERO &&
               tri_error_frame_count(r) > 0 && tri_error_frame(r, 0)->func_name &&
               !strcmp(tri_error_frame(r, 0)->func_name, "boom");
    tri_error_delete(r);
    tri_store_delete(s);
    return ran ? f.of.i32 : -1;
}

/* Loads bytes as a module: NULL, with the error kept in *err. */
static tri_module *load(tri_engine *e, const uint8_t *p, size_t n, tri_error **err)
{
    tri_module *m = NULL;
    *err = tri_module_new(e, p, n, &m);
    return m;
}

/* Serialised module for a backend, or NULL when it cannot compile it. */
static uint8_t *serialized(const char *backend, bool bounds_checks, size_t *len)
{
    tri_engine *e = engine_for(backend, bounds_checks);
    tri_error *err = NULL;
    tri_module *m = e ? wat_module(e, text, &err) : NULL;
    uint8_t *bytes = NULL;
    if (m)
        tri_error_delete(tri_module_serialize(m, &bytes, len));
    if (err)
        printf("note: %s cannot compile the test module: %s\n", backend, tri_error_message(err));
    tri_error_delete(err);
    tri_module_delete(m);
    tri_engine_delete(e);
    return bytes;
}

static void round_trip(const char *backend)
{
    size_t len;
    uint8_t *bytes = serialized(backend, false, &len);
    if (!bytes) {
        printf("SKIP cache_twasm-%s: backend cannot compile\n", backend);
        return;
    }
    /* An engine of another backend: the file decides the code. */
    tri_engine *e = engine_for("singlepass", false);
    tri_error *err;
    tri_module *m = load(e, bytes, len, &err);
    CHECK(m, "%s: load: %s", backend, err ? tri_error_message(err) : "");
    tri_error_delete(err);
    bool trap_ok = false;
    CHECK(m && exercise(e, m, &trap_ok) == 142, "%s: f() from the .twasm", backend);
    CHECK(trap_ok, "%s: the trap and its frame survive serialisation", backend);
    tri_exporttype ex;
    CHECK(m && tri_module_export_count(m) == 2 && (tri_module_export(m, 0, &ex), 1) &&
              !strcmp(ex.name, "f"), "%s: exports from the embedded module", backend);
    /* Serialising a loaded module gives the same file. */
    uint8_t *again = NULL;
    size_t again_len = 0;
    if (m)
        tri_error_delete(tri_module_serialize(m, &again, &again_len));
    CHECK(again && again_len == len && !memcmp(again, bytes, len), "%s: stable", backend);
    free(again);
    tri_module_delete(m);
    tri_engine_delete(e);
    free(bytes);
}

/* Every shorter length and every flipped byte fails to load. */
static void damage(const uint8_t *good, size_t len)
{
    tri_engine *e = engine_for("singlepass", false);
    uint8_t *bad = malloc(len);
    int loaded = 0, unclear = 0;
    for (size_t n = 0; n < len; n++) {
        tri_error *err;
        tri_module *m = load(e, good, n, &err);
        loaded += m != NULL;
        unclear += n >= 8 && (!err || !strstr(tri_error_message(err), ".twasm"));
        tri_error_delete(err);
        tri_module_delete(m);
    }
    CHECK(!loaded && !unclear, "truncation: %d of %zu lengths loaded, %d unclear", loaded, len,
          unclear);
    loaded = unclear = 0;
    for (size_t i = 0; bad && i < len; i++) {
        memcpy(bad, good, len);
        bad[i] ^= (uint8_t)(1u << (i % 8));
        tri_error *err;
        tri_module *m = load(e, bad, len, &err);
        loaded += m != NULL;
        unclear += i >= 8 && (!err || !strstr(tri_error_message(err), "damaged"));
        tri_error_delete(err);
        tri_module_delete(m);
    }
    CHECK(!loaded && !unclear, "bit flips: %d of %zu offsets loaded, %d unclear", loaded, len,
          unclear);
    free(bad);
    tri_engine_delete(e);
}

/* A copy of the file with n bytes at off replaced and the checksum fixed;
 * loading it must fail with kind and a message containing want. */
static void forged(const uint8_t *good, size_t len, size_t off, const void *with, size_t n,
                   tri_error_kind kind, const char *want)
{
    uint8_t *f = malloc(len);
    memcpy(f, good, len);
    memcpy(f + off, with, n);
    uint64_t sum[2];
    rt_digest(f + CHECKED_FROM, len - CHECKED_FROM, 0, sum);
    memcpy(f + 8, sum, sizeof sum);
    tri_engine *e = engine_for("singlepass", false);
    tri_error *err;
    tri_module *m = load(e, f, len, &err);
    CHECK(!m && err && tri_error_kind_of(err) == kind && strstr(tri_error_message(err), want),
          "forged at %zu: want '%s', got '%s'", off, want, err ? tri_error_message(err) : "none");
    tri_error_delete(err);
    tri_module_delete(m);
    tri_engine_delete(e);
    free(f);
}

static void forgeries(const uint8_t *good, size_t len)
{
    char version[16] = "0.0.9";
    forged(good, len, OFF_VERSION, version, sizeof version, TRI_ERR_UNSUPPORTED,
           "made by trident 0.0.9");
    uint64_t build = 0x1234;
    forged(good, len, OFF_BUILD, &build, sizeof build, TRI_ERR_UNSUPPORTED,
           "(build 0000000000001234)");
    uint32_t format = 2;
    forged(good, len, OFF_FORMAT, &format, sizeof format, TRI_ERR_UNSUPPORTED, "format 2");
    uint64_t cpu = 1ull << 63; /* a feature no CPU has */
    forged(good, len, OFF_CPU, &cpu, sizeof cpu, TRI_ERR_UNSUPPORTED, "lacks: feature63");
    char names[512];
    uint64_t missing = rt_cpu_required("llvm") ^ ~0ull;
    missing &= -missing; /* one known feature this CPU lacks, if any */
    if (rt_cpu_names(missing, names, sizeof names) && !strstr(names, "feature"))
        forged(good, len, OFF_CPU, &missing, sizeof missing, TRI_ERR_UNSUPPORTED, names);
}

/* A cache entry is not a .twasm (no module bytes); guard-page code does
 * not load where bounds checks are needed, bounds-checked code does. */
static void kinds(void)
{
    tri_engine *e = engine_for("singlepass", false);
    tri_error *err = NULL;
    tri_module *m = wat_module(e, text, &err);
    struct rt_twasm_plan p;
    struct err perr;
    err_clear(&perr);
    uint8_t *entry = NULL;
    size_t at = 0;
    if (m && rt_twasm_plan(&p, &m->art, m->m.bytes, m->m.size, false, &perr) &&
        (entry = malloc(p.len)))
        for (size_t i = 0; i < p.npieces; at += p.pieces[i++].len)
            memcpy(entry + at, p.pieces[i].data, p.pieces[i].len);
    tri_module *c = entry ? load(e, entry, at, &err) : NULL;
    CHECK(entry && !c && error_is(err, TRI_ERR_ARG, "a cache entry"), "cache entry refused");
    free(entry);
    tri_module_delete(m);
    tri_engine_delete(e);

    size_t len;
    uint8_t *guard = serialized("singlepass", false, &len);
    tri_engine *checked = engine_for("singlepass", true);
    m = guard ? load(checked, guard, len, &err) : NULL;
    CHECK(guard && !m && error_is(err, TRI_ERR_UNSUPPORTED, "the precompiled code relies"),
          "guard-page code refused by a bounds-checking engine");
    free(guard);
    uint8_t *safe = serialized("singlepass", true, &len);
    m = safe ? load(checked, safe, len, &err) : NULL;
    bool trap_ok;
    CHECK(m && exercise(checked, m, &trap_ok) == 142 && trap_ok, "bounds-checked code runs");
    tri_error_delete(err);
    tri_module_delete(m);
    free(safe);
    tri_engine_delete(checked);
}

int main(void)
{
    round_trip("singlepass");
    round_trip("optimizing");
    round_trip("llvm");
    size_t len;
    uint8_t *good = serialized("singlepass", false, &len);
    CHECK(good, "serialise");
    if (good) {
        damage(good, len);
        forgeries(good, len);
    }
    free(good);
    kinds();
    return test_done("cache_twasm");
}
