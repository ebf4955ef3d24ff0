/* The singlepass backend: the validator's walk drives it (begin, one call
 * per validated instruction, end); each function's body is emitted as it
 * is walked, then its prologue is made and both go into the artifact. */
#include <string.h>
#include <sys/mman.h>

#include "singlepass.h"

/* ---- one function ---- */

static bool fn_begin(void *ctx, const struct val_func *f)
{
    struct sp_comp *c = ctx;
    c->type = f->type;
    c->body_offset = c->m->funcs[f->index].code_offset;
    c->at = c->body_offset;
    x64_reset(&c->a);
    c->stack.len = c->ctls.len = c->merges.len = 0;
    c->stubs.len = c->traps.len = 0;
    for (int r = 0; r < 32; r++)
        c->owner[r] = SP_FREE;
    c->busy = c->temps = c->locked = c->used = 0;
    c->frozen = c->max_height = c->table_count = 0;
    c->live = true;
    c->uses_vmctx = c->uses_membase = false;
    if (!sp_check_types(c, ft_params(f->type), f->type->nparams, ft_results(f->type),
                        f->type->nresults) ||
        !sp_locals_begin(c, f))
        return false;
    c->ret_label = x64_label_new(&c->a);
    struct sp_ctl *t = vec_push(&c->ctls);
    if (!t)
        return sp_fail(c, ERR_NOMEM, "out of memory");
    *t = (struct sp_ctl){.op = OP_BLOCK, .func = true, .results = ft_results(f->type),
                         .nresults = f->type->nresults, .label = c->ret_label};
    return true;
}

static bool simd(struct sp_comp *c, const struct val_insn *vi)
{
    (void)vi;
    return sp_fail(c, ERR_UNSUPPORTED, "SIMD not supported by singlepass");
}

/* Fills the per-opcode handler table: the variables, constants and
 * references first (the default), then ranges of opcodes.h by group, then
 * the control instructions. */
static void handlers_init(struct sp_comp *c)
{
    static const struct {
        enum op lo, hi;
        sp_handler fn;
    } ranges[] = {
        {OP_CALL, OP_CALL_INDIRECT, sp_call_insn},
        {OP_I32_LOAD, OP_I64_LOAD32_U, sp_load_op},
        {OP_I32_STORE, OP_I64_STORE32, sp_store_op},
        {OP_MEMORY_SIZE, OP_MEMORY_GROW, sp_memory_op},
        {OP_MEMORY_INIT, OP_MEMORY_FILL, sp_memory_op},
        {OP_I32_CLZ, OP_I64_ROTR, sp_int_op},
        {OP_I32_EXTEND8_S, OP_I64_EXTEND32_S, sp_int_op},
        {OP_F32_EQ, OP_F64_GE, sp_float_op},
        {OP_F32_ABS, OP_F64_COPYSIGN, sp_float_op},
        {OP_I32_WRAP_I64, OP_F64_REINTERPRET_I64, sp_convert_op},
        {OP_I32_TRUNC_SAT_F32_S, OP_I64_TRUNC_SAT_F64_U, sp_convert_op},
        {0x200, OP_COUNT - 1, simd},
    };
    sp_var_handlers(c->handlers);
    for (size_t i = 0; i < ARRAY_LEN(ranges); i++)
        for (unsigned op = ranges[i].lo; op <= ranges[i].hi; op++)
            c->handlers[op] = ranges[i].fn;
    sp_int_handlers(c->handlers);
    sp_control_handlers(c->handlers);
}

/* One instruction. It first ends the previous one (frees its temporaries)
 * and stops the walk if that one failed (sp_fail's flag: helpers record
 * errors without their handler's result saying so), so that the handler
 * is the tail call. */
static bool fn_insn(void *ctx, const struct val_insn *vi)
{
    struct sp_comp *c = ctx;
    sp_regs_release(c);
    enum op op = vi->in->op;
    c->at = vi->in->offset;
    if (__builtin_expect(c->go == 1, 1))
        return c->handlers[op](c, vi);
    /* failed, or unreachable code: only control keeps its frames */
    return !c->failed && (op > OP_RETURN || c->handlers[op](c, vi));
}

/* Restores the callee-saved registers the body wrote and returns. */
static const uint8_t saved_regs[] = {X64_RBX, X64_R12, X64_R13, X64_R14, X64_R15};

static uint32_t saved_mask(const struct sp_comp *c)
{
    return c->used | (c->uses_vmctx ? 1u << X64_R15 : 0) | (c->uses_membase ? 1u << X64_R14 : 0);
}

static void epilogue(struct sp_comp *c)
{
    x64_label_bind(&c->a, c->ret_label);
    uint32_t mask = saved_mask(c);
    for (unsigned k = 0; k < ARRAY_LEN(saved_regs); k++)
        if (mask & (1u << saved_regs[k]))
            x64_mov_rm(&c->a, 8, saved_regs[k], x64_mem_base(X64_RBP, -8 * (int32_t)(k + 1)));
    x64_mov_rr(&c->a, 8, X64_RSP, X64_RBP);
    x64_pop(&c->a, X64_RBP);
    x64_ret(&c->a);
}

/* Zeroes the home slots of the declared locals that start in memory. */
static void zero_locals(struct sp_comp *c, struct x64_asm *p)
{
    uint32_t n = c->nlocals - c->type->nparams;
    if (n == 0)
        return;
    int32_t low = c->local_disp[c->nlocals - 1]; /* homes go down */
    if (n <= 8) {
        for (uint32_t k = 0; k < n; k++)
            x64_mov_mi(p, 8, x64_mem_base(X64_RBP, low + 8 * (int32_t)k), 0);
        return;
    }
    /* rax and r11 carry no argument */
    x64_alu_rr(p, X64_XOR, 4, X64_RAX, X64_RAX);
    x64_mov_ri(p, 8, SP_SCRATCH, -(int64_t)n);
    x64_label loop = x64_label_new(p);
    x64_label_bind(p, loop);
    x64_mov_mr(p, 8, x64_mem_index(X64_RBP, SP_SCRATCH, 8, low + 8 * (int32_t)n), X64_RAX);
    x64_alu_ri(p, X64_ADD, 8, SP_SCRATCH, 1);
    x64_jcc(p, X64_CC_NE, loop);
}

/* The prologue of docs/ABI.md, made once the body is known; returns the
 * offset of its jb's rel32 (to the stack-overflow stub). */
static uint32_t prologue(struct sp_comp *c, uint32_t frame)
{
    struct x64_asm *p = &c->pro;
    x64_reset(p);
    x64_push(p, X64_RBP);
    x64_mov_rr(p, 8, X64_RBP, X64_RSP);
    x64_alu_ri(p, X64_SUB, 8, X64_RSP, (int32_t)frame);
    x64_alu_rm(p, X64_CMP, 8, X64_RSP, x64_mem_base(X64_RDI, CC_VMCTX_STACK_LIMIT));
    x64_label end = x64_label_new(p); /* bound at the end, then retargeted */
    x64_jcc(p, X64_CC_B, end);
    uint32_t field = x64_pos(p) - 4;
    uint32_t mask = saved_mask(c);
    for (unsigned k = 0; k < ARRAY_LEN(saved_regs); k++)
        if (mask & (1u << saved_regs[k]))
            x64_mov_mr(p, 8, x64_mem_base(X64_RBP, -8 * (int32_t)(k + 1)), saved_regs[k]);
    if (c->uses_vmctx)
        x64_mov_rr(p, 8, SP_VMCTX, X64_RDI);
    if (c->uses_membase)
        x64_mov_rm(p, 8, SP_MEMBASE, x64_mem_base(X64_RDI, CC_VMCTX_MEM_BASE));
    if (c->type->nresults >= 2)
        x64_mov_mr(p, 8, x64_mem_base(X64_RBP, SP_RESULT_PTR), X64_RSI);
    for (uint32_t m = c->zext; m; m &= m - 1)
        x64_mov_rr(p, 4, __builtin_ctz(m), __builtin_ctz(m));
    zero_locals(c, p);
    x64_label_bind(p, end);
    return field;
}

/* Appends prologue + body to the artifact, with their relocations and
 * trap sites. */
static bool append(struct sp_comp *c, uint32_t field, uint32_t stack_stub)
{
    struct cc_artifact *art = c->art;
    static const uint8_t int3[16] = {0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
                                     0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc};
    buf_bytes(&art->code, int3, -art->code.len % 16); /* between functions */
    uint32_t plen = x64_pos(&c->pro), base = (uint32_t)art->code.len + plen;
    x64_patch_rel32(&c->pro, field, plen + stack_stub);
    if (!x64_finish(&c->pro, c->e) || !cc_func_begin(art))
        return err_ok(c->e) ? sp_fail(c, ERR_NOMEM, "out of memory") : false;
    buf_bytes(&art->code, c->pro.code.data, plen);
    buf_bytes(&art->code, c->a.code.data, c->a.code.len);
    cc_func_end(art);
    /* the prologue has no relocations or trap sites */
    return cc_tables_append_x64(art, base, &c->a, c->traps.data, c->traps.len) ||
           sp_fail(c, ERR_NOMEM, "out of memory or bad relocation");
}

static bool fn_end(void *ctx, const struct val_func *f)
{
    (void)f;
    struct sp_comp *c = ctx;
    sp_regs_release(c); /* the last instruction's temporaries */
    if (c->failed)
        return false;
    epilogue(c);
    sp_emit_stubs(c);
    c->at = c->body_offset;
    uint32_t stack_stub = x64_pos(&c->a);
    sp_trap_here(c, TRI_TRAP_STACK_OVERFLOW);
    x64_ud2(&c->a);
    if (!err_ok(c->e) || !x64_finish(&c->a, c->e))
        return false;
    uint64_t frame = (uint64_t)-SP_HOMES + 8 * ((uint64_t)c->nlocals + c->max_height);
    frame = (frame + 15) & ~15ull;
    if (frame > INT32_MAX)
        return sp_fail(c, ERR_LIMIT, "function frame too large");
    return append(c, prologue(c, (uint32_t)frame), stack_stub);
}

/* ---- the module ---- */

static void comp_free(struct sp_comp *c)
{
    x64_free(&c->a);
    x64_free(&c->pro);
    free(c->locals);
    free(c->local_disp);
    free(c->refs);
    free(c->dirty_pos);
    vec_free(&c->stack);
    vec_free(&c->ctls);
    vec_free(&c->merges);
    vec_free(&c->stubs);
    vec_free(&c->moves);
    vec_free(&c->traps);
    vec_free(&c->table_frames);
    free(c);
}

/* Huge pages for the buffer's aligned middle: a 4 KiB page fault per
 * 4 KiB written cost about 5% of the compile. A hint only. */
static void huge_pages(void *p, size_t len)
{
    uintptr_t align = 2u << 20, lo = ((uintptr_t)p + align - 1) & ~(align - 1);
    uintptr_t hi = ((uintptr_t)p + len) & ~(align - 1);
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}

/* Room for the artifact as big as such modules usually come out, so it
 * grows without copying: about 3 bytes of code per byte of wasm code, a
 * trap site per 12 bytes, a relocation per 50 (swc: 15 and 62); on huge
 * pages (2 MiB regions never written are never backed). */
static bool reserve(struct cc_artifact *a, const struct module *m)
{
    size_t n = 0;
    for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++)
        n += (size_t)(m->funcs[f].code_end - m->funcs[f].code);
    size_t cap = 3 * n + 4096;
    uint8_t *p = realloc(a->code.data, cap);
    if (!p)
        return false;
    a->code.data = p;
    a->code.cap = cap;
    if (!vec_reserve(&a->traps, n / 12 + 16) || !vec_reserve(&a->relocs, n / 50 + 16))
        return false;
    huge_pages(a->code.data, a->code.cap);
    huge_pages(a->traps.data, a->traps.cap * sizeof *a->traps.data);
    huge_pages(a->relocs.data, a->relocs.cap * sizeof *a->relocs.data);
    return true;
}

static bool any_v128(const struct module *m)
{
    for (uint32_t i = 0; i < m->ntypes; i++) {
        const struct functype *f = &m->types[i];
        if (f->nparams + f->nresults && memchr(f->types, VT_V128, f->nparams + f->nresults))
            return true;
    }
    return false;
}

static bool compile(const struct module *m, const struct cc_options *o, struct cc_artifact *out,
                    struct err *e)
{
    cc_artifact_init(out, "singlepass", o);
    if (!reserve(out, m)) {
        cc_artifact_free(out);
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    }
    struct sp_comp *c = calloc(1, sizeof *c);
    if (!c) {
        cc_artifact_free(out);
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    }
    c->m = m;
    c->v128_types = any_v128(m);
    c->opt = *o;
    handlers_init(c);
    c->e = e;
    c->art = out;
    x64_init(&c->a);
    x64_init(&c->pro);
    bool ok = cc_vmctx_layout(m, &c->layout) ||
              err_set(e, ERR_LIMIT, NO_OFFSET, "module too large for a vmctx");
    static const struct val_hooks hooks = {fn_begin, fn_insn, fn_end};
    ok = ok && val_functions(m, &hooks, c, e);
    ok = ok && cc_artifact_finish(out, m, e);
    comp_free(c);
    if (!ok)
        cc_artifact_free(out);
    return ok;
}

const struct cc_backend sp_backend = {"singlepass", compile};
