/* The singlepass artifact itself, compiled without the runtime: one extent
 * per defined function, each starting with the ABI prologue (push rbp;
 * mov rbp, rsp; sub rsp; stack-limit check); trap sites sorted, inside the
 * code, pointing at their wasm instructions, one stack-overflow site per
 * function and, in bounds-check mode, memory traps on ud2 only;
 * relocations for direct calls and builtins; the same bytes every time;
 * SIMD and invalid bodies rejected with the right error. */
#include <string.h>

#include "check.h"
#include "compiler/compiler.h"
#include "text/text.h"
#include "validate/validate.h"

static const char *wat_text =
    "(module"
    " (memory 1)"
    " (func $a (export \"a\") (param i32) (result i32)"
    "  (i32.load (local.get 0)) (call $b (i32.const 3)) i32.add)"
    " (func $b (param i32) (result i32)"
    "  (i32.div_s (local.get 0) (memory.grow (i32.const 1))))"
    " (func (param f64) (result i64) (i64.trunc_f64_u (local.get 0)))"
    " (func (result i32) (block (result i32) (i32.const 1) (i32.const 0) (br_table 0 0 0))))";

static bool compile(const char *text, bool bounds, struct module *m, struct buf *bin,
                    struct cc_artifact *a, struct err *e)
{
    err_clear(e);
    *bin = (struct buf){0};
    struct cc_options o = {.bounds_checks = bounds};
    if (!txt_parse_module(text, strlen(text), bin, e) || !dec_module(m, bin->data, bin->len, e))
        return false;
    const struct cc_backend *sp = cc_backend_find("singlepass");
    if (val_module_header(m, e) && sp->compile(m, &o, a, e))
        return true;
    dec_module_free(m);
    return false;
}

static void shape(const struct module *m, const struct cc_artifact *a, bool bounds)
{
    static const uint8_t prologue[] = {0x55, 0x48, 0x89, 0xe5}; /* push rbp; mov rbp, rsp */
    CHECK(!strcmp(a->backend, "singlepass") && a->options.bounds_checks == bounds, "metadata");
    CHECK(a->funcs.len == m->nfuncs - m->nfunc_imports, "%zu extents", a->funcs.len);
    for (size_t i = 0; i < a->funcs.len; i++) {
        const struct cc_func_code *f = &a->funcs.data[i];
        const uint8_t *p = a->code.data + f->offset;
        CHECK(f->offset % 16 == 0 && !memcmp(p, prologue, 4), "function %zu prologue", i);
        /* sub rsp, imm; then cmp rsp, [rdi+8] */
        size_t sub = p[4] == 0x48 && p[5] == 0x83 ? 8 : 11;
        CHECK(!memcmp(p + sub, "\x48\x3b\x67\x08", 4), "function %zu stack check", i);
    }
    uint32_t lo = m->funcs[m->nfunc_imports].code_offset, stack_sites = 0;
    for (size_t i = 0; i < a->traps.len; i++) {
        const struct cc_trap_site *t = &a->traps.data[i];
        CHECK(!i || a->traps.data[i - 1].code_offset < t->code_offset, "site %zu order", i);
        CHECK(t->code_offset < a->code.len && t->wasm_offset >= lo && t->wasm_offset < m->size,
              "site %zu range", i);
        stack_sites += t->trap == TRI_TRAP_STACK_OVERFLOW;
        if (t->trap == TRI_TRAP_MEMORY_OOB && bounds)
            CHECK(!memcmp(a->code.data + t->code_offset, "\x0f\x0b", 2), "site %zu is ud2", i);
    }
    CHECK(stack_sites == a->funcs.len, "%u stack sites", stack_sites);
    bool func = false, builtin = false;
    for (size_t i = 0; i < a->relocs.len; i++) {
        const struct cc_reloc *r = &a->relocs.data[i];
        func |= r->target_kind == CC_TARGET_FUNC && r->target == 1 && r->kind == CC_RELOC_REL32 &&
                r->addend == -4 && a->code.data[r->offset - 1] == 0xe8;
        builtin |= r->target_kind == CC_TARGET_BUILTIN && r->target == CC_BUILTIN_MEMORY_GROW;
    }
    CHECK(func && builtin, "relocations: call $b %d, memory.grow %d", func, builtin);
}

static void artifact(bool bounds)
{
    struct module m, m2;
    struct buf bin, bin2;
    struct cc_artifact a, a2;
    struct err e;
    if (!compile(wat_text, bounds, &m, &bin, &a, &e)) {
        CHECK(false, "compile: %s", e.msg);
        buf_free(&bin);
        return;
    }
    shape(&m, &a, bounds);
    if (compile(wat_text, bounds, &m2, &bin2, &a2, &e)) {
        CHECK(a.code.len == a2.code.len && !memcmp(a.code.data, a2.code.data, a.code.len),
              "deterministic");
        cc_artifact_free(&a2);
        dec_module_free(&m2);
    }
    buf_free(&bin2);
    cc_artifact_free(&a);
    dec_module_free(&m);
    buf_free(&bin);
}

/* What a backend must refuse, and how. */
static void rejected(void)
{
    static const struct { const char *text; enum err_code code; const char *msg; } cases[] = {
        {"(module (func (result i32) (i32x4.extract_lane 0 (v128.const i64x2 1 2))))",
         ERR_UNSUPPORTED, "SIMD not supported by singlepass"},
        {"(module (func (param v128)))", ERR_UNSUPPORTED, "SIMD not supported by singlepass"},
        {"(module (func (result i32) (i64.const 1)))", ERR_INVALID, "type mismatch"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct module m;
        struct buf bin;
        struct cc_artifact a;
        struct err e;
        bool ok = compile(cases[i].text, false, &m, &bin, &a, &e);
        CHECK(!ok && e.code == cases[i].code &&
                  !strncmp(e.msg, cases[i].msg, strlen(cases[i].msg)) && e.func == 0,
              "case %zu: %s", i, e.msg);
        if (ok) {
            cc_artifact_free(&a);
            dec_module_free(&m);
        }
        buf_free(&bin);
    }
}

int main(void)
{
    artifact(false);
    artifact(true);
    rejected();
    return test_done("singlepass_artifact");
}
