/* The llvm backend's artifacts, checked from outside the backend:
 *   - every function starts with the ABI frame (push rbp; mov rbp, rsp);
 *   - each explicit trap has a site at a ud2 with its code and the wasm
 *     offset of its instruction;
 *   - each memory access has a MEMORY_OOB site with its wasm offset, and
 *     GNU objdump (an independent disassembler) finds an SS-prefixed
 *     instruction exactly at each such site and nowhere else;
 *   - a module big enough to be split into chunks calls across them
 *     through artifact relocations;
 *   - SIMD is reported unsupported, unless the module is invalid anyway;
 *   - TRIDENT_LLVM_CPU=portable code uses no AVX (VEX) instruction.
 * Skipped (with a PASS line saying so) when LLVM is not built in. */
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "compiler/compiler.h"
#include "text/text.h"
#include "validate/validate.h"

struct compiled {
    struct buf bin;
    struct module m;
    struct cc_artifact a;
    struct err e;
    bool decoded, ok;
};

static void compile_wat(struct compiled *c, const char *wat)
{
    memset(c, 0, sizeof *c);
    err_clear(&c->e);
    struct cc_options o = {.opt_level = 2};
    if (!txt_parse_module(wat, strlen(wat), &c->bin, &c->e) ||
        !(c->decoded = dec_module(&c->m, c->bin.data, c->bin.len, &c->e)) ||
        !val_module_header(&c->m, &c->e))
        return;
    c->ok = cc_backend_find("llvm")->compile(&c->m, &o, &c->a, &c->e) &&
            cc_artifact_finish(&c->a, &c->m, &c->e);
}

static void release(struct compiled *c)
{
    if (c->ok)
        cc_artifact_free(&c->a);
    if (c->decoded)
        dec_module_free(&c->m);
    buf_free(&c->bin);
}

/* compile_wat with the failure reported; false (c released) on failure. */
static bool compile_ok(struct compiled *c, const char *wat)
{
    compile_wat(c, wat);
    CHECK(c->ok, "compile: %s", c->e.msg);
    if (!c->ok)
        release(c);
    return c->ok;
}

/* The module offset of the nth instruction `op` in defined function f. */
static uint32_t insn_offset(const struct module *m, uint32_t f, enum op op, int nth)
{
    struct err e;
    err_clear(&e);
    struct reader r = {m->bytes, m->funcs[f].code, m->funcs[f].code_end, &e};
    struct insn in;
    while (r.p < r.end && dec_insn(&r, &in))
        if (in.op == op && nth-- == 0)
            return in.offset;
    return UINT32_MAX;
}

static const struct cc_trap_site *site_for(const struct cc_artifact *a, tri_trap_code code,
                                           uint32_t wasm)
{
    for (size_t i = 0; i < a->traps.len; i++)
        if (a->traps.data[i].trap == code && a->traps.data[i].wasm_offset == wasm)
            return &a->traps.data[i];
    return NULL;
}

static bool ss_prefixed(const uint8_t *p)
{
    for (; *p == 0x66 || *p == 0x67 || *p == 0xF0 || *p == 0xF2 || *p == 0xF3 || *p == 0x36; p++)
        if (*p == 0x36)
            return true;
    return false;
}

static void check_frames(const struct compiled *c)
{
    for (size_t i = 0; i < c->a.funcs.len; i++) {
        const uint8_t *p = c->a.code.data + c->a.funcs.data[i].offset;
        CHECK(c->a.funcs.data[i].size >= 4 && !memcmp(p, "\x55\x48\x89\xE5", 4),
              "function %zu starts with %02x %02x %02x %02x", i, p[0], p[1], p[2], p[3]);
    }
}

static const char explicit_wat[] =
    "(module (type $t (func)) (table 2 funcref)"
    " (func (export \"u\") unreachable)"
    " (func (export \"d\") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))"
    " (func (export \"c\") (param f64) (result i32) (i32.trunc_f64_u (local.get 0)))"
    " (func (export \"i\") (param i32) (call_indirect (type $t) (local.get 0))))";

static void test_explicit_sites(void)
{
    struct compiled c;
    if (!compile_ok(&c, explicit_wat))
        return;
    check_frames(&c);
    const struct module *m = &c.m;
    struct {
        uint32_t func;
        enum op op;
        tri_trap_code code;
    } want[] = {
        {0, OP_UNREACHABLE, TRI_TRAP_UNREACHABLE}, {1, OP_I32_DIV_S, TRI_TRAP_DIV_ZERO},
        {1, OP_I32_DIV_S, TRI_TRAP_INT_OVERFLOW},  {2, OP_I32_TRUNC_F64_U, TRI_TRAP_BAD_CONVERSION},
        {2, OP_I32_TRUNC_F64_U, TRI_TRAP_INT_OVERFLOW},
        {3, OP_CALL_INDIRECT, TRI_TRAP_UNDEFINED_ELEMENT},
        {3, OP_CALL_INDIRECT, TRI_TRAP_NULL_ELEMENT}, {3, OP_CALL_INDIRECT, TRI_TRAP_BAD_SIGNATURE},
    };
    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        uint32_t at = insn_offset(m, want[i].func, want[i].op, 0);
        const struct cc_trap_site *s = site_for(&c.a, want[i].code, at);
        CHECK(s, "no site for trap %d at wasm offset %u", want[i].code, at);
        if (s)
            CHECK(!memcmp(c.a.code.data + s->code_offset, "\x0F\x0B", 2),
                  "trap %d site is not a ud2", want[i].code);
        CHECK(cc_func_at(&c.a, s ? s->code_offset : 0) == want[i].func,
              "trap %d site outside function %u", want[i].code, want[i].func);
    }
    /* The stack-limit check of every function, at its first instruction. */
    for (uint32_t f = 0; f < m->nfuncs; f++)
        CHECK(site_for(&c.a, TRI_TRAP_STACK_OVERFLOW, m->funcs[f].code_offset),
              "function %u has no stack-limit site", f);
    release(&c);
}

static const char memory_wat[] =
    "(module (memory 1)"
    " (func (export \"l\") (param i32) (result i64)"
    "  (i64.add (i64.load offset=8 (local.get 0)) (i64.load16_s (local.get 0))))"
    " (func (export \"s\") (param i32 f32) (f32.store offset=65535 (local.get 0) (local.get 1))"
    "  (i32.store8 (local.get 0) (i32.const 7)))"
    " (func (export \"sum\") (param i32 i32) (result i32) (local i32)"
    "  (block (loop (br_if 1 (i32.eqz (local.get 1)))"
    "   (local.set 2 (i32.add (local.get 2) (i32.load (local.get 0))))"
    "   (local.set 0 (i32.add (local.get 0) (i32.const 4)))"
    "   (local.set 1 (i32.sub (local.get 1) (i32.const 1))) (br 0)))"
    "  (local.get 2)))";

/* The instruction text of an objdump line ("ss mov ..."), or "". */
static const char *insn_text(const char *line)
{
    const char *t = strchr(line, '\t');
    t = t ? strchr(t + 1, '\t') : NULL;
    return t ? t + 1 : "";
}

static bool has_ss(const char *line) { return !strncmp(insn_text(line), "ss ", 3); }

/* A VEX-encoded (AVX) instruction: its mnemonic starts with v. */
static bool is_vex(const char *line)
{
    const char *t = insn_text(line);
    return t[!strncmp(t, "ss ", 3) * 3] == 'v';
}

/* objdump's view: the offsets of the instructions whose line passes want;
 * at most cap are stored, all are counted. */
static size_t objdump_find(const struct cc_artifact *a, bool (*want)(const char *),
                           uint32_t *out, size_t cap)
{
    char dir[] = "/tmp/tri-llvm-XXXXXX", path[64], cmd[160], line[512];
    size_t n = 0;
    if (!mkdtemp(dir))
        return 0;
    snprintf(path, sizeof path, "%s/code.bin", dir);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(a->code.data, 1, a->code.len, f);
        fclose(f);
        snprintf(cmd, sizeof cmd, "objdump -D -b binary -m i386:x86-64 %s", path);
        FILE *p = popen(cmd, "r");
        while (p && fgets(line, sizeof line, p))
            if (want(line) && n++ < cap)
                out[n - 1] = (uint32_t)strtoul(line, NULL, 16);
        if (p)
            pclose(p);
    }
    unlink(path);
    rmdir(dir);
    return n;
}

static void test_memory_sites(void)
{
    struct compiled c;
    if (!compile_ok(&c, memory_wat))
        return;
    struct {
        uint32_t func;
        enum op op;
    } want[] = {{0, OP_I64_LOAD}, {0, OP_I64_LOAD16_S}, {1, OP_F32_STORE}, {1, OP_I32_STORE8}};
    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        uint32_t at = insn_offset(&c.m, want[i].func, want[i].op, 0);
        const struct cc_trap_site *s = site_for(&c.a, TRI_TRAP_MEMORY_OOB, at);
        CHECK(s, "no memory site for %s at wasm offset %u", dec_ops[want[i].op].name, at);
        CHECK(!s || ss_prefixed(c.a.code.data + s->code_offset), "%s: site not SS-prefixed",
              dec_ops[want[i].op].name);
    }
    uint32_t ss[256];
    size_t n = objdump_find(&c.a, has_ss, ss, ARRAY_LEN(ss)), memory_sites = 0;
    CHECK(n >= 5, "objdump found %zu SS-prefixed instructions", n);
    for (size_t i = 0; i < n; i++) {
        const struct cc_trap_site *s = cc_trap_find(&c.a, ss[i]);
        CHECK(s && s->trap == TRI_TRAP_MEMORY_OOB, "access at 0x%x is no memory site", ss[i]);
    }
    for (size_t i = 0; i < c.a.traps.len; i++)
        memory_sites += c.a.traps.data[i].trap == TRI_TRAP_MEMORY_OOB;
    CHECK(memory_sites == n, "%zu memory sites, %zu accesses", memory_sites, n);
    release(&c);
}

/* f0 calls f1 ... calls fN, each adding its index; big enough bodies that
 * the module is split into several chunks. NUL-terminated text in *b. */
static void chain_wat(struct buf *b, int n)
{
    buf_printf(b, "(module");
    for (int i = 0; i < n; i++) {
        buf_printf(b, " (func (export \"f%d\") (param i32) (result i32)"
               " (local.set 0 (i32.add (local.get 0) (i32.const %d)))", i, i);
        for (int k = 0; k < 20; k++) /* padding the optimiser keeps: a rotate chain */
            buf_printf(b, " (local.set 0 (i32.rotl (local.get 0) (i32.const %d)))", k % 2 ? 31 : 1);
        if (i + 1 < n)
            buf_printf(b, " (call %d (local.get 0)))", i + 1);
        else
            buf_printf(b, " (local.get 0))");
    }
    buf_printf(b, ")");
    buf_byte(b, 0);
}

static void test_chunks(void)
{
    struct buf wat = {0};
    chain_wat(&wat, 400);
    struct compiled c;
    bool ok = compile_ok(&c, wat.oom ? "" : (const char *)wat.data);
    buf_free(&wat);
    if (!ok)
        return;
    check_frames(&c);
    size_t cross = 0;
    for (size_t i = 0; i < c.a.relocs.len; i++)
        cross += c.a.relocs.data[i].target_kind == CC_TARGET_FUNC;
    CHECK(cross > 0, "no call crosses chunks (%zu relocations)", c.a.relocs.len);
    CHECK(c.a.funcs.len == 400, "%zu extents", c.a.funcs.len);
    release(&c);
}

static void test_portable(void)
{
    struct compiled c;
    setenv("TRIDENT_LLVM_CPU", "portable", 1);
    compile_wat(&c, memory_wat);
    unsetenv("TRIDENT_LLVM_CPU");
    CHECK(c.ok, "compile: %s", c.e.msg);
    uint32_t at;
    size_t n = c.ok ? objdump_find(&c.a, is_vex, &at, 1) : 0;
    CHECK(n == 0, "portable code has %zu VEX instructions, the first at 0x%x", n, at);
    release(&c);
}

static void test_simd(void)
{
    struct compiled c;
    compile_wat(&c, "(module (func (result i32) (i32x4.extract_lane 0 (v128.const i64x2 1 2)))"
                    " (func (export \"ok\") (result i32) (i32.const 1)))");
    CHECK(!c.ok && c.e.code == ERR_UNSUPPORTED && c.e.func == 0,
          "SIMD: code %d func %u: %s", c.e.code, c.e.func, c.e.msg);
    release(&c);
    compile_wat(&c, "(module (func (result i32) (i32x4.extract_lane 0 (v128.const i64x2 1 2)))"
                    " (func (result i32) (i64.const 1)))");
    CHECK(!c.ok && c.e.code == ERR_INVALID && c.e.func == 1, "SIMD then invalid: code %d: %s",
          c.e.code, c.e.msg);
    release(&c);
}

int main(void)
{
    if (!cc_backend_find("llvm")) {
        printf("PASS llvm_artifact: LLVM not built in, nothing to check\n");
        return 0;
    }
    test_explicit_sites();
    test_memory_sites();
    test_chunks();
    test_portable();
    test_simd();
    return test_done("llvm_artifact");
}
