/* A tiny backend for runtime tests: each defined function's body is
 * written by a C emitter with the x86-64 encoder, following docs/ABI.md
 * (rbp frame, stack-limit check, trap sites). It lets the runtime's entry,
 * host stub, builtins and trap handling be tested without a real compiler. */
#ifndef TRI_RUNTIME_BACKEND_H
#define TRI_RUNTIME_BACKEND_H

#include "../../src/runtime/runtime.h"
#include "../../src/x64/x64.h"

struct emit {
    struct x64_asm *a;
    const struct module *m;
    struct cc_vmctx_layout layout;
    uint32_t func;
    uint32_t wasm_offset;   /* the function body's offset, for trap sites */
    x64_label stack_trap;
    VEC(struct cc_trap_site) sites; /* offsets relative to this function */
};

/* Body emitter for function index e->func, between prologue and epilogue.
 * The prologue leaves vmctx in rdi and at [rbp-8], arguments in place. */
typedef void (*body_fn)(struct emit *e);
static body_fn test_bodies[64];

static inline void site(struct emit *e, tri_trap_code code)
{
    struct cc_trap_site *s = vec_push(&e->sites);
    if (s)
        *s = (struct cc_trap_site){x64_pos(e->a), code, e->wasm_offset};
}

/* push rbp; mov rbp, rsp; sub rsp, 16; check the limit; save vmctx. */
static inline void prologue(struct emit *e)
{
    struct x64_asm *a = e->a;
    x64_push(a, X64_RBP);
    x64_mov_rr(a, 8, X64_RBP, X64_RSP);
    x64_alu_ri(a, X64_SUB, 8, X64_RSP, 16);
    x64_alu_rm(a, X64_CMP, 8, X64_RSP, x64_mem_base(X64_RDI, CC_VMCTX_STACK_LIMIT));
    e->stack_trap = x64_label_new(a);
    x64_jcc(a, X64_CC_B, e->stack_trap);
    x64_mov_mr(a, 8, x64_mem_base(X64_RBP, -8), X64_RDI);
}

static inline void epilogue(struct emit *e)
{
    x64_mov_rr(e->a, 8, X64_RSP, X64_RBP);
    x64_pop(e->a, X64_RBP);
    x64_ret(e->a);
    x64_label_bind(e->a, e->stack_trap);
    site(e, TRI_TRAP_STACK_OVERFLOW);
    x64_ud2(e->a);
}

/* Calls imported function i (arguments already in place after rdi). */
static inline void call_import(struct emit *e, uint32_t i)
{
    uint32_t at = e->layout.imports + 16 * i;
    x64_mov_rm(e->a, 8, X64_RAX, x64_mem_base(X64_RDI, (int32_t)at));
    x64_mov_rm(e->a, 8, X64_RDI, x64_mem_base(X64_RDI, (int32_t)at + 8));
    x64_call_r(e->a, X64_RAX);
}

/* Traps with `code` unless the flags satisfy cc. */
static inline void trap_unless(struct emit *e, enum x64_cc cc, tri_trap_code code)
{
    x64_label ok = x64_label_new(e->a);
    x64_jcc(e->a, cc, ok);
    site(e, code);
    x64_ud2(e->a);
    x64_label_bind(e->a, ok);
}

/* call_indirect (type index `type`, table `table`) per docs/ABI.md, with
 * the element index in ecx and the arguments in place after rdi. */
static inline void call_indirect(struct emit *e, uint32_t table, uint32_t type)
{
    struct x64_asm *a = e->a;
    x64_mov_rr(a, 4, X64_RCX, X64_RCX);
    x64_mov_rm(a, 8, X64_RAX, x64_mem_base(X64_RDI, (int32_t)(e->layout.tables + 8 * table)));
    x64_alu_rm(a, X64_CMP, 4, X64_RCX, x64_mem_base(X64_RAX, CC_TABLE_SIZE));
    trap_unless(e, X64_CC_B, TRI_TRAP_UNDEFINED_ELEMENT);
    x64_mov_rm(a, 8, X64_RAX, x64_mem_base(X64_RAX, CC_TABLE_ELEMS));
    x64_mov_rm(a, 8, X64_RAX, x64_mem_index(X64_RAX, X64_RCX, 8, 0));
    x64_alu_rr(a, X64_TEST, 8, X64_RAX, X64_RAX);
    trap_unless(e, X64_CC_NE, TRI_TRAP_NULL_ELEMENT);
    x64_mov_rm(a, 4, X64_R8, x64_mem_base(X64_RDI, (int32_t)(e->layout.type_ids + 4 * type)));
    x64_alu_rm(a, X64_CMP, 4, X64_R8, x64_mem_base(X64_RAX, CC_FUNCREF_TYPE_ID));
    trap_unless(e, X64_CC_E, TRI_TRAP_BAD_SIGNATURE);
    x64_mov_rm(a, 8, X64_RDI, x64_mem_base(X64_RAX, CC_FUNCREF_VMCTX));
    x64_call_m(a, x64_mem_base(X64_RAX, CC_FUNCREF_CODE));
}

static inline bool test_compile(const struct module *m, const struct cc_options *o,
                         struct cc_artifact *out, struct err *err)
{
    cc_artifact_init(out, "test", o);
    struct x64_asm a;
    x64_init(&a);
    struct emit e = {.a = &a, .m = m};
    cc_vmctx_layout(m, &e.layout);
    bool ok = true;
    for (uint32_t f = m->nfunc_imports; ok && f < m->nfuncs; f++) {
        x64_reset(&a);
        e.sites.len = 0;
        e.func = f;
        e.wasm_offset = m->funcs[f].code_offset;
        prologue(&e);
        if (f < 64 && test_bodies[f])
            test_bodies[f](&e);
        epilogue(&e);
        ok = cc_func_append_x64(out, &a, e.sites.data, e.sites.len, err);
    }
    vec_free(&e.sites);
    x64_free(&a);
    if (!ok)
        cc_artifact_free(out);
    return ok;
}

static const struct cc_backend test_backend = {"test", test_compile};

#endif
