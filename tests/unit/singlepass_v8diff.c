/* Differential test against V8: random valid modules (binaryen's
 * translate-to-fuzz, `wasm-opt -ttf`, from seeded random bytes) run on
 * singlepass, in both memory modes, and in node; every exported function
 * is called in order with zero arguments (imports return zeros) and each
 * call must end the same way: the same first result (floats by bits, any
 * NaN equal to any NaN) or a trap in both. Skipped (with a PASS line) when
 * wasm-opt or node is missing. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "api_util.h"
#include "singlepass_util.h"

enum { MODULES = 30, INPUT_BYTES = 12000, OUT_CAP = 1 << 16 };

/* Runs the module's exports in V8 and prints one line per call. */
static const char *node_script =
    "const fs = require('fs');\n"
    "const mod = new WebAssembly.Module(fs.readFileSync(process.argv[2]));\n"
    "const imports = {};\n"
    "for (const i of WebAssembly.Module.imports(mod)) {\n"
    "  imports[i.module] = imports[i.module] || {};\n"
    "  const r = i.type && i.type.results || [];\n"
    "  if (i.kind === 'function') imports[i.module][i.name] = () => r[0] === 'i64' ? 0n : 0;\n"
    "}\n"
    "const inst = new WebAssembly.Instance(mod, imports);\n"
    "const hex = (t, v) => {\n"
    "  if (t === 'i64') return BigInt.asUintN(64, v).toString(16);\n"
    "  if (t === 'i32') return (v >>> 0).toString(16);\n"
    "  if (Number.isNaN(v)) return 'nan';\n"
    "  const d = new DataView(new ArrayBuffer(8));\n"
    "  if (t === 'f32') { d.setFloat32(0, v, true); return d.getUint32(0, true).toString(16); }\n"
    "  d.setFloat64(0, v, true); return d.getBigUint64(0, true).toString(16);\n"
    "};\n"
    "for (const e of WebAssembly.Module.exports(mod)) {\n"
    "  if (e.kind !== 'function') continue;\n"
    "  const args = e.type.parameters.map(p => p === 'i64' ? 0n : 0), r = e.type.results;\n"
    "  try { const v = inst.exports[e.name](...args);\n"
    "        console.log(e.name + ' ' + (r.length ? hex(r[0], r.length > 1 ? v[0] : v) : '-'));\n"
    "  } catch (err) { console.log(e.name + ' trap'); }\n"
    "}\n";

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static char dir[] = "/tmp/tri-v8diff-XXXXXX";

static void path(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

/* A random module from seed, written to DIR/m.wasm; false when wasm-opt fails. */
static bool fuzz_module(uint64_t seed)
{
    char in[64], out[64], cmd[256];
    path(in, sizeof in, "in.dat");
    path(out, sizeof out, "m.wasm");
    FILE *f = fopen(in, "wb");
    if (!f)
        return false;
    for (int i = 0; i < INPUT_BYTES; i++)
        fputc((int)(next(&seed) & 0xFF), f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "wasm-opt %s -ttf --disable-simd --disable-gc --disable-reference-types -o %s "
             "2>/dev/null", in, out);
    return system(cmd) == 0;
}

static tri_error *zeros(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                        tri_val *results, size_t nresults)
{
    (void)data, (void)caller, (void)args, (void)nargs;
    for (size_t i = 0; i < nresults; i++)
        results[i] = (tri_val){.kind = results[i].kind};
    return NULL;
}

static void hex(char *out, size_t n, tri_val v)
{
    if (v.kind == TRI_I32)
        snprintf(out, n, "%x", (uint32_t)v.of.i32);
    else if (v.kind == TRI_I64)
        snprintf(out, n, "%llx", (unsigned long long)v.of.i64);
    else if (v.kind == TRI_F32)
        snprintf(out, n, isnan(tri_val_as_f32(v)) ? "nan" : "%x", v.of.f32_bits);
    else
        snprintf(out, n, isnan(tri_val_as_f64(v)) ? "nan" : "%llx",
                 (unsigned long long)v.of.f64_bits);
}

/* Where run_singlepass writes its lines. */
struct lines {
    char *out;
    size_t cap, at;
};

/* One export's line: its name and its first result, "trap" or "-". */
static void line(void *ctx, const char *name, size_t nlen, tri_functype ft, const tri_error *trap,
                 const tri_val *res)
{
    struct lines *o = ctx;
    char v[32] = "-";
    if (trap)
        snprintf(v, sizeof v, "trap");
    else if (ft.nresults)
        hex(v, sizeof v, res[0]);
    o->at += (size_t)snprintf(o->out + o->at, o->at < o->cap ? o->cap - o->at : 0, "%.*s %s\n",
                              (int)nlen, name, v);
}

/* The same lines as the node script, from singlepass. */
static void run_singlepass(const uint8_t *bytes, size_t len, bool bounds, char *out, size_t cap)
{
    tri_config cfg;
    tri_config_default(&cfg);
    cfg.backend = "singlepass";
    cfg.bounds_checks = bounds;
    cfg.cache = false; /* every run compiles: what a test is for */
    tri_engine *e = NULL;
    tri_module *m = NULL;
    tri_instance *inst = NULL;
    tri_store *s = NULL;
    out[0] = 0;
    tri_error *err = tri_engine_new(&cfg, &e);
    if (!err)
        err = tri_module_new(e, bytes, len, &m);
    tri_linker *l = !err && (s = tri_store_new(e)) ? tri_linker_new(s) : NULL;
    for (size_t i = 0; l && !err && i < tri_module_import_count(m); i++) {
        tri_importtype it;
        tri_module_import(m, i, &it);
        tri_func *f = it.type.kind == TRI_EXTERN_FUNC
                          ? tri_func_new(s, &it.type.of.func, zeros, NULL, NULL) : NULL;
        if (f)
            err = tri_linker_define(l, it.module, it.module_len, it.name, it.name_len,
                                    (tri_extern){TRI_EXTERN_FUNC, {.func = f}});
    }
    if (l && !err)
        err = tri_linker_instantiate(l, m, &inst);
    CHECK(!err, "singlepass: %s", err ? tri_error_message(err) : "no store");
    struct lines o = {out, cap, 0};
    call_exports(s, inst, line, &o);
    tri_error_delete(err);
    if (s)
        tri_store_delete(s);
    if (m)
        tri_module_delete(m);
    if (e)
        tri_engine_delete(e);
}

static void run_node(char *out, size_t cap)
{
    char js[64], wasm[64], cmd[256];
    path(js, sizeof js, "run.js");
    path(wasm, sizeof wasm, "m.wasm");
    snprintf(cmd, sizeof cmd, "node --experimental-wasm-type-reflection %s %s 2>/dev/null", js,
             wasm);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, cap - 1, p) : 0;
    out[n] = 0;
    if (p)
        pclose(p);
}

static uint8_t *read_module(size_t *len)
{
    char wasm[64];
    path(wasm, sizeof wasm, "m.wasm");
    FILE *f = fopen(wasm, "rb");
    uint8_t *bytes = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        rewind(f);
        bytes = n > 0 ? malloc((size_t)n) : NULL;
        if (bytes && fread(bytes, 1, (size_t)n, f) == (size_t)n)
            *len = (size_t)n;
        else
            free(bytes), bytes = NULL;
    }
    if (f)
        fclose(f);
    return bytes;
}

int main(void)
{
    static char v8[OUT_CAP], sp[OUT_CAP], bounds[OUT_CAP];
    if (system("wasm-opt --version >/dev/null 2>&1") != 0 ||
        system("node --version >/dev/null 2>&1") != 0 || !mkdtemp(dir)) {
        printf("PASS singlepass_v8diff: wasm-opt or node missing, nothing compared\n");
        return 0;
    }
    char js[64];
    path(js, sizeof js, "run.js");
    FILE *f = fopen(js, "w");
    if (f) {
        fputs(node_script, f);
        fclose(f);
    }
    for (int k = 1; k <= MODULES; k++) {
        size_t len = 0;
        uint8_t *bytes = fuzz_module(0xD1B54A32D192ED03ull * (uint64_t)k) ? read_module(&len) : NULL;
        CHECK(bytes, "wasm-opt made no module from seed %d", k);
        if (!bytes)
            continue;
        run_node(v8, sizeof v8);
        run_singlepass(bytes, len, false, sp, sizeof sp);
        run_singlepass(bytes, len, true, bounds, sizeof bounds);
        CHECK(v8[0] && !strcmp(v8, sp), "module %d: V8 says\n%ssinglepass says\n%s", k, v8, sp);
        CHECK(!strcmp(sp, bounds), "module %d: bounds-check mode differs:\n%s", k, bounds);
        free(bytes);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", dir);
    return test_done("singlepass_v8diff");
}
