/* Moving values between registers, home slots and constants by type, and
 * the trap paths queued for after the body. */
#include "singlepass.h"

/* i32 values are 4 bytes in memory and zero-extended in registers; i64 and
 * references 8; floats go through movss/movsd. */
void sp_load(struct sp_comp *c, valtype t, int reg, struct x64_mem m)
{
    if (t == VT_F32 || t == VT_F64)
        x64_sse_rm(&c->a, t == VT_F32 ? X64_MOVSS : X64_MOVSD, reg, m);
    else
        x64_mov_rm(&c->a, t == VT_I32 ? 4 : 8, reg, m);
}

void sp_store(struct sp_comp *c, valtype t, struct x64_mem m, int reg)
{
    if (t == VT_F32 || t == VT_F64)
        x64_sse_mr(&c->a, t == VT_F32 ? X64_MOVSS : X64_MOVSD, m, reg);
    else
        x64_mov_mr(&c->a, t == VT_I32 ? 4 : 8, m, reg);
}

/* The same from the home slot [rbp + disp], GP values by the encoder's
 * inline path (the most frequent load). */
static void load_home(struct sp_comp *c, valtype t, int reg, int32_t disp)
{
    if (sp_is_xmm_type(t))
        sp_load(c, t, reg, x64_mem_base(X64_RBP, disp));
    else
        x64_load_based(&c->a, t == VT_I32 ? 4 : 8, reg, X64_RBP, disp);
}

void sp_store_home(struct sp_comp *c, valtype t, int32_t disp, int reg)
{
    if (sp_is_xmm_type(t))
        sp_store(c, t, x64_mem_base(X64_RBP, disp), reg);
    else
        x64_store_frame(&c->a, t == VT_I32 ? 4 : 8, disp, reg);
}

static bool is32(valtype t) { return t == VT_I32 || t == VT_F32; }

void sp_store_const(struct sp_comp *c, valtype t, struct x64_mem m, int64_t imm)
{
    if (is32(t)) {
        x64_mov_mi(&c->a, 4, m, (int32_t)imm);
    } else if (imm == (int32_t)imm) {
        x64_mov_mi(&c->a, 8, m, (int32_t)imm);
    } else {
        x64_mov_ri(&c->a, 8, SP_SCRATCH, imm);
        x64_mov_mr(&c->a, 8, m, SP_SCRATCH);
    }
}

void sp_mov(struct sp_comp *c, valtype t, int dst, int src)
{
    if (dst == src)
        return;
    if (sp_is_xmm_type(t))
        x64_sse_rr(&c->a, X64_MOVAPS, dst, src);
    else
        x64_mov_rr(&c->a, 8, dst, src);
}

/* sp_mov_const of a float: xorps for zero, else its bits through r11 (out
 * of line: the callers' integer paths need no frame). */
static __attribute__((noinline)) void mov_float_const(struct sp_comp *c, valtype t, int reg,
                                                      int64_t imm)
{
    if (imm == 0) {
        x64_sse_rr(&c->a, X64_XORPS, reg, reg);
        return;
    }
    int size = t == VT_F32 ? 4 : 8;
    x64_mov_ri(&c->a, size, SP_SCRATCH, size == 4 ? (uint32_t)imm : imm);
    x64_cvt_rr(&c->a, X64_MOVD_XR, size, reg, SP_SCRATCH);
}

void sp_mov_const(struct sp_comp *c, valtype t, int reg, int64_t imm)
{
    if (sp_is_xmm_type(t))
        mov_float_const(c, t, reg, imm);
    else
        x64_mov_ri(&c->a, t == VT_I32 ? 4 : 8, reg, t == VT_I32 ? (uint32_t)imm : imm);
}

void sp_opnd_to(struct sp_comp *c, int reg, const struct sp_opnd *o)
{
    switch (o->kind) {
    case SP_REG: sp_mov(c, o->type, reg, o->reg); break;
    case SP_CONST: sp_mov_const(c, o->type, reg, o->imm); break;
    default: load_home(c, o->type, reg, o->disp); break;
    }
}

/* sp_opnd_store's other cases: a constant, a slot (copied through the
 * scratch), a float, a base other than rbp. */
static __attribute__((noinline)) void opnd_store_other(struct sp_comp *c, int base, int32_t disp,
                                                       const struct sp_opnd *o)
{
    struct x64_mem m = x64_mem_base(base, disp);
    if (o->kind == SP_CONST) {
        sp_store_const(c, o->type, m, o->imm);
        return;
    }
    int reg = o->reg;
    if (o->kind != SP_REG) { /* memory to memory through the scratch */
        x64_load_frame(&c->a, 8, SP_SCRATCH, o->disp);
        reg = SP_SCRATCH;
    }
    valtype t = o->kind == SP_REG ? o->type : VT_I64;
    if (base == X64_RBP)
        sp_store_home(c, t, disp, reg);
    else
        sp_store(c, t, m, reg);
}

void sp_opnd_store(struct sp_comp *c, int base, int32_t disp, const struct sp_opnd *o)
{
    if (o->kind == SP_REG && base == X64_RBP && !sp_is_xmm_type(o->type))
        x64_store_frame(&c->a, o->type == VT_I32 ? 4 : 8, disp, o->reg); /* the usual case */
    else
        opnd_store_other(c, base, disp, o);
}

bool sp_fail(struct sp_comp *c, enum err_code code, const char *msg)
{
    c->failed = true;
    return err_set(c->e, code, c->at, "%s", msg);
}

/* ---- traps ---- */

void sp_trap_grow(struct sp_comp *c, tri_trap_code code)
{
    if (vec_reserve(&c->traps, 2 * c->traps.len + 16))
        sp_trap_here(c, code);
    else
        sp_fail(c, ERR_NOMEM, "out of memory");
}

x64_label sp_trap_label(struct sp_comp *c, tri_trap_code code)
{
    /* Checks of one instruction for the same trap share their ud2. */
    if (c->stubs.len) {
        const struct sp_stub *last = &c->stubs.data[c->stubs.len - 1];
        if (last->kind == SP_STUB_TRAP && last->trap == code && last->wasm_offset == c->at)
            return last->label;
    }
    struct sp_stub *s = vec_push(&c->stubs);
    if (!s) {
        sp_fail(c, ERR_NOMEM, "out of memory");
        return 0;
    }
    *s = (struct sp_stub){.kind = SP_STUB_TRAP, .trap = (uint8_t)code,
                          .label = x64_label_new(&c->a), .wasm_offset = c->at};
    return s->label;
}

void sp_emit_stubs(struct sp_comp *c)
{
    for (size_t i = 0; i < c->stubs.len; i++) {
        const struct sp_stub *s = &c->stubs.data[i];
        c->at = s->wasm_offset;
        x64_label_bind(&c->a, s->label);
        if (s->kind == SP_STUB_TRAP) {
            sp_trap_here(c, (tri_trap_code)s->trap);
            x64_ud2(&c->a);
        } else {
            sp_emit_trunc_stub(c, s);
        }
    }
}
