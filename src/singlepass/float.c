/* Floating-point instructions with IEEE semantics: SSE arithmetic, sign
 * operations as bit masks made in xmm15, min/max with the -0 and NaN
 * rules wasm has and SSE lacks, rounding with roundss/roundsd (SSE4.1),
 * comparisons that respect unordered operands. */
#include "singlepass.h"

/* The f32 and f64 forms of each operation, f32.abs..f32.copysign order. */
static const struct { enum x64_sse s, d; } arith[] = {
    [OP_F32_SQRT - OP_F32_ABS] = {X64_SQRTSS, X64_SQRTSD},
    [OP_F32_ADD - OP_F32_ABS] = {X64_ADDSS, X64_ADDSD},
    [OP_F32_SUB - OP_F32_ABS] = {X64_SUBSS, X64_SUBSD},
    [OP_F32_MUL - OP_F32_ABS] = {X64_MULSS, X64_MULSD},
    [OP_F32_DIV - OP_F32_ABS] = {X64_DIVSS, X64_DIVSD},
    [OP_F32_MIN - OP_F32_ABS] = {X64_MINSS, X64_MINSD},
    [OP_F32_MAX - OP_F32_ABS] = {X64_MAXSS, X64_MAXSD},
};

/* dst = dst op b, b in a register or a slot (constants via xmm15). */
static void sse_op(struct sp_comp *c, enum x64_sse op, int dst, const struct sp_opnd *b)
{
    if (b->kind == SP_MEM) {
        x64_sse_rm(&c->a, op, dst, sp_opnd_mem(b));
        return;
    }
    int r = b->reg;
    if (b->kind == SP_CONST) {
        sp_mov_const(c, b->type, SP_XSCRATCH, b->imm);
        r = SP_XSCRATCH;
    }
    x64_sse_rr(&c->a, op, dst, r);
}

/* The sign-bit mask (neg) or its complement (abs) in xmm15. */
static void sign_mask(struct sp_comp *c, bool dbl, bool sign)
{
    x64_sse_rr(&c->a, X64_PCMPEQD, SP_XSCRATCH, SP_XSCRATCH); /* all ones */
    if (sign)
        x64_sse_ri(&c->a, dbl ? X64_PSLLQ_I : X64_PSLLD_I, SP_XSCRATCH, dbl ? 63 : 31);
    else
        x64_sse_ri(&c->a, dbl ? X64_PSRLQ_I : X64_PSRLD_I, SP_XSCRATCH, 1);
}

static int64_t sign_bit(bool dbl) { return dbl ? INT64_MIN : (int64_t)0x80000000u; }

/* abs, neg and copysign: bit operations, exact on NaNs too. */
static void sign_op(struct sp_comp *c, enum op op, bool dbl, valtype t)
{
    int64_t sb = sign_bit(dbl);
    if (op == OP_F32_COPYSIGN) {
        struct sp_opnd b = sp_pop(c), a = sp_pop(c);
        if (a.kind == SP_CONST && b.kind == SP_CONST) {
            sp_push_const(c, t, (a.imm & ~sb) | (b.imm & sb));
            return;
        }
        int br = sp_opnd_reg(c, &b);
        int dst = sp_own(c, &a);
        sign_mask(c, dbl, false);
        x64_sse_rr(&c->a, X64_ANDPS, dst, SP_XSCRATCH);
        x64_sse_rr(&c->a, X64_ANDNPS, SP_XSCRATCH, br); /* ~mask & b: b's sign */
        x64_sse_rr(&c->a, X64_ORPS, dst, SP_XSCRATCH);
        sp_push_reg(c, t, dst);
        return;
    }
    struct sp_opnd a = sp_pop(c);
    if (a.kind == SP_CONST) {
        sp_push_const(c, t, op == OP_F32_ABS ? a.imm & ~sb : a.imm ^ sb);
        return;
    }
    int dst = sp_own(c, &a);
    sign_mask(c, dbl, op == OP_F32_NEG);
    x64_sse_rr(&c->a, op == OP_F32_ABS ? X64_ANDPS : X64_XORPS, dst, SP_XSCRATCH);
    sp_push_reg(c, t, dst);
}

/* ceil, floor, trunc, nearest and sqrt: dst = f(src). */
static void unary(struct sp_comp *c, enum op op, bool dbl, valtype t)
{
    static const uint8_t modes[] = {X64_ROUND_UP, X64_ROUND_DOWN, X64_ROUND_TRUNC,
                                    X64_ROUND_NEAREST};
    struct sp_opnd a = sp_pop(c);
    if (a.kind == SP_CONST)
        sp_opnd_reg(c, &a);
    int dst = a.kind == SP_REG && a.owned ? a.reg : sp_reg_alloc(c, true);
    if (op == OP_F32_SQRT) {
        enum x64_sse s = dbl ? X64_SQRTSD : X64_SQRTSS;
        if (a.kind == SP_REG)
            x64_sse_rr(&c->a, s, dst, a.reg);
        else
            x64_sse_rm(&c->a, s, dst, sp_opnd_mem(&a));
    } else {
        enum x64_sse s = dbl ? X64_ROUNDSD : X64_ROUNDSS;
        uint8_t mode = (uint8_t)(modes[op - OP_F32_CEIL] | X64_ROUND_NOEXC);
        if (a.kind == SP_REG)
            x64_sse_rri(&c->a, s, dst, a.reg, mode);
        else
            x64_sse_rmi(&c->a, s, dst, sp_opnd_mem(&a), mode);
    }
    sp_push_reg(c, t, dst);
}

/* min and max. SSE returns the second operand for NaNs and for -0/+0, so
 * those cases go apart: unordered gives a NaN (by adding), equal gives the
 * OR (min: -0 wins) or the AND (max: +0 wins) of the bits. */
static void minmax(struct sp_comp *c, enum op op, bool dbl, valtype t)
{
    struct x64_asm *a = &c->a;
    bool min = op == OP_F32_MIN;
    int br = sp_pop_reg(c);
    int dst = sp_pop_owned(c);
    x64_label nan = x64_label_new(a), differ = x64_label_new(a), done = x64_label_new(a);
    x64_sse_rr(a, dbl ? X64_UCOMISD : X64_UCOMISS, dst, br);
    x64_jcc_short(a, X64_CC_P, nan);
    x64_jcc_short(a, X64_CC_NE, differ);
    x64_sse_rr(a, min ? X64_ORPS : X64_ANDPS, dst, br);
    x64_jmp_short(a, done);
    x64_label_bind(a, nan);
    x64_sse_rr(a, dbl ? X64_ADDSD : X64_ADDSS, dst, br);
    x64_jmp_short(a, done);
    x64_label_bind(a, differ);
    x64_sse_rr(a, min ? (dbl ? X64_MINSD : X64_MINSS) : (dbl ? X64_MAXSD : X64_MAXSS), dst, br);
    x64_label_bind(a, done);
    sp_push_reg(c, t, dst);
}

static void binary(struct sp_comp *c, enum op op, bool dbl, valtype t)
{
    struct sp_opnd b = sp_pop(c), a = sp_pop(c);
    bool commutes = op == OP_F32_ADD || op == OP_F32_MUL;
    if (commutes && !(a.kind == SP_REG && a.owned) && b.kind == SP_REG && b.owned) {
        struct sp_opnd tmp = a;
        a = b;
        b = tmp;
    }
    int dst = sp_own(c, &a);
    enum x64_sse s = dbl ? arith[op - OP_F32_ABS].d : arith[op - OP_F32_ABS].s;
    sse_op(c, s, dst, &b);
    sp_push_reg(c, t, dst);
}

/* eq and ne need ZF and PF together and end up in a register; the others
 * are one condition (A or AE, operands swapped for lt and le) left in the
 * flags. */
static void compare(struct sp_comp *c, enum op op, bool dbl)
{
    struct sp_opnd b = sp_pop(c), a = sp_pop(c);
    enum x64_sse ucomi = dbl ? X64_UCOMISD : X64_UCOMISS;
    if (op == OP_F32_LT || op == OP_F32_LE) {
        struct sp_opnd tmp = a;
        a = b;
        b = tmp;
    }
    sse_op(c, ucomi, sp_opnd_reg(c, &a), &b);
    if (op == OP_F32_GT || op == OP_F32_LT) {
        sp_push_flags(c, X64_CC_A);
        return;
    }
    if (op == OP_F32_GE || op == OP_F32_LE) {
        sp_push_flags(c, X64_CC_AE);
        return;
    }
    bool eq = op == OP_F32_EQ;
    int r = sp_reg_alloc(c, false);
    x64_setcc(&c->a, eq ? X64_CC_E : X64_CC_NE, r);
    x64_setcc(&c->a, eq ? X64_CC_NP : X64_CC_P, SP_SCRATCH);
    x64_alu_rr(&c->a, eq ? X64_AND : X64_OR, 1, r, SP_SCRATCH);
    x64_ext_rr(&c->a, X64_ZX, 4, 1, r, r);
    sp_push_reg(c, VT_I32, r);
}

bool sp_float_op(struct sp_comp *c, const struct val_insn *vi)
{
    enum op op = vi->in->op;
    bool dbl = (op >= OP_F64_EQ && op <= OP_F64_GE) || (op >= OP_F64_ABS && op <= OP_F64_COPYSIGN);
    if (op >= OP_F64_EQ && op <= OP_F64_GE)
        op = (enum op)(op - (OP_F64_EQ - OP_F32_EQ));
    else if (op >= OP_F64_ABS && op <= OP_F64_COPYSIGN)
        op = (enum op)(op - (OP_F64_ABS - OP_F32_ABS));
    valtype t = dbl ? VT_F64 : VT_F32;
    if (op >= OP_F32_EQ && op <= OP_F32_GE)
        compare(c, op, dbl);
    else if (op == OP_F32_ABS || op == OP_F32_NEG || op == OP_F32_COPYSIGN)
        sign_op(c, op, dbl, t);
    else if (op >= OP_F32_CEIL && op <= OP_F32_SQRT)
        unary(c, op, dbl, t);
    else if (op == OP_F32_MIN || op == OP_F32_MAX)
        minmax(c, op, dbl, t);
    else
        binary(c, op, dbl, t);
    return true;
}
