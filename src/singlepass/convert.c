/* Conversions: wrap and extend, reinterpretations, int<->float in both
 * signednesses, and float->int truncation, trapping or saturating.
 *
 * cvttss2si/cvttsd2si give the "integer indefinite" (INT_MIN) for NaN and
 * out-of-range inputs, which is also the right answer for inputs that
 * truncate to exactly INT_MIN; so the inline path only tests for that
 * value and an out-of-line slow path sorts the cases out. */
#include <string.h>

#include "singlepass.h"

static int64_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static int64_t f64_bits(double d)
{
    int64_t u;
    memcpy(&u, &d, 8);
    return u;
}

/* True when the popped slot operand is the slot the next push gets, so a
 * value can change type without moving. */
static bool in_place(const struct sp_comp *c, const struct sp_opnd *o)
{
    return o->kind == SP_MEM && o->disp == sp_home_disp(c, c->nlocals + (uint32_t)c->stack.len);
}

/* i32.wrap_i64, i64.extend_i32_s/u and the reinterpretations: same bits,
 * another type (or a sign extension). */
static void retype(struct sp_comp *c, enum op op, valtype to)
{
    struct sp_opnd o = sp_pop(c);
    if (o.kind == SP_CONST) {
        int64_t v = op == OP_I64_EXTEND_I32_U || op == OP_F32_REINTERPRET_I32 ? (uint32_t)o.imm
                    : to == VT_I32 ? (int32_t)o.imm : o.imm;
        sp_push_const(c, to, v);
        return;
    }
    bool sx = op == OP_I64_EXTEND_I32_S;
    if (in_place(c, &o) && !sx && op != OP_I64_EXTEND_I32_U) {
        sp_push_mem(c, to); /* an i32 load reads the low half */
        return;
    }
    if (op == OP_I64_EXTEND_I32_U && o.kind == SP_REG && o.owned) {
        sp_push_reg(c, to, o.reg); /* i32 registers are zero-extended */
        return;
    }
    int dst = o.kind == SP_REG && o.owned && sp_is_xmm_type(o.type) == sp_is_xmm_type(to)
                  ? o.reg : sp_reg_alloc(c, sp_is_xmm_type(to));
    if (sx && o.kind == SP_REG)
        x64_ext_rr(&c->a, X64_SX, 8, 4, dst, o.reg);
    else if (sx)
        x64_ext_rm(&c->a, X64_SX, 8, 4, dst, sp_opnd_mem(&o));
    else if (o.kind == SP_MEM)
        sp_load(c, to == VT_I64 && op == OP_I64_EXTEND_I32_U ? VT_I32 : to, dst, sp_opnd_mem(&o));
    else if (sp_is_xmm_type(o.type))
        x64_cvt_rr(&c->a, X64_MOVD_RX, to == VT_I32 ? 4 : 8, dst, o.reg);
    else if (sp_is_xmm_type(to))
        x64_cvt_rr(&c->a, X64_MOVD_XR, to == VT_F32 ? 4 : 8, dst, o.reg);
    else
        x64_mov_rr(&c->a, 4, dst, o.reg); /* wrap, or extend_u of a shared register */
    sp_push_reg(c, to, dst);
}

/* f32.demote_f64 and f64.promote_f32. */
static void float_resize(struct sp_comp *c, bool to_dbl)
{
    struct sp_opnd o = sp_pop(c);
    if (o.kind == SP_CONST)
        sp_opnd_reg(c, &o);
    int dst = o.kind == SP_REG && o.owned ? o.reg : sp_reg_alloc(c, true);
    enum x64_sse op = to_dbl ? X64_CVTSS2SD : X64_CVTSD2SS;
    if (o.kind == SP_REG)
        x64_sse_rr(&c->a, op, dst, o.reg);
    else
        x64_sse_rm(&c->a, op, dst, sp_opnd_mem(&o));
    sp_push_reg(c, to_dbl ? VT_F64 : VT_F32, dst);
}

/* fN.convert_iM_s/u. Unsigned i32 is zero-extended, so it converts as a
 * signed i64; unsigned i64 with the top bit set is halved (keeping the
 * low bit for rounding), converted and doubled. */
static void int_to_float(struct sp_comp *c, bool dbl, bool src64, bool uns)
{
    struct x64_asm *a = &c->a;
    enum x64_cvt cvt = dbl ? X64_CVTSI2SD : X64_CVTSI2SS;
    struct sp_opnd o = sp_pop(c);
    if (o.kind == SP_CONST || (uns && o.kind == SP_MEM) || (uns && src64))
        sp_own(c, &o);
    int dst = sp_reg_alloc(c, true);
    x64_sse_rr(a, X64_XORPS, dst, dst); /* no false dependency on dst */
    int size = src64 || uns ? 8 : 4;
    if (o.kind == SP_MEM) {
        x64_cvt_rm(a, cvt, size, dst, sp_opnd_mem(&o));
    } else if (!(uns && src64)) {
        x64_cvt_rr(a, cvt, size, dst, o.reg);
    } else {
        x64_label big = x64_label_new(a), done = x64_label_new(a);
        x64_alu_rr(a, X64_TEST, 8, o.reg, o.reg);
        x64_jcc_short(a, X64_CC_S, big);
        x64_cvt_rr(a, cvt, 8, dst, o.reg);
        x64_jmp_short(a, done);
        x64_label_bind(a, big);
        x64_mov_rr(a, 4, SP_SCRATCH, o.reg);
        x64_alu_ri(a, X64_AND, 4, SP_SCRATCH, 1);
        x64_shift_ri(a, X64_SHR, 8, o.reg, 1);
        x64_alu_rr(a, X64_OR, 8, o.reg, SP_SCRATCH);
        x64_cvt_rr(a, cvt, 8, dst, o.reg);
        x64_sse_rr(a, dbl ? X64_ADDSD : X64_ADDSS, dst, dst);
        x64_label_bind(a, done);
    }
    sp_push_reg(c, dbl ? VT_F64 : VT_F32, dst);
}

/* ---- float -> int ---- */

/* The 8 truncations in table order: bit 0 unsigned, bit 1 f64 source,
 * bit 2 i64 result. */
struct trunc {
    bool uns, dbl, to64, sat;
};

static struct trunc trunc_of(enum op op)
{
    unsigned k;
    bool sat = op >= OP_I32_TRUNC_SAT_F32_S;
    if (sat)
        k = op - OP_I32_TRUNC_SAT_F32_S;
    else if (op <= OP_I32_TRUNC_F64_U)
        k = op - OP_I32_TRUNC_F32_S;
    else
        k = 4 + (op - OP_I64_TRUNC_F32_S);
    return (struct trunc){k & 1, (k >> 1) & 1, (k >> 2) & 1, sat};
}

static void xmm_const(struct sp_comp *c, bool dbl, int64_t bits)
{
    sp_mov_const(c, dbl ? VT_F64 : VT_F32, SP_XSCRATCH, bits);
}

static x64_label queue(struct sp_comp *c, enum op op, int src, int dst, x64_label back,
                       uint8_t variant)
{
    struct sp_stub *s = vec_push(&c->stubs);
    if (!s) {
        sp_fail(c, ERR_NOMEM, "out of memory");
        return 0;
    }
    *s = (struct sp_stub){.kind = SP_STUB_TRUNC, .op = (uint16_t)op, .src = (uint8_t)src,
                          .dst = (uint8_t)dst, .label = x64_label_new(&c->a), .back = back,
                          .variant = variant, .wasm_offset = c->at};
    return s->label;
}

enum { SLOW_LOW, SLOW_BIG }; /* which u64 path failed */

static void truncate_op(struct sp_comp *c, enum op op)
{
    struct x64_asm *a = &c->a;
    struct trunc t = trunc_of(op);
    enum x64_cvt cvt = t.dbl ? X64_CVTTSD2SI : X64_CVTTSS2SI;
    int x = t.uns && t.to64 ? sp_pop_owned(c) : sp_pop_reg(c);
    int r = sp_reg_alloc(c, false);
    x64_label back = x64_label_new(a);
    if (!t.uns) { /* INT_MIN - 1 is the one subtraction that overflows */
        int size = t.to64 ? 8 : 4;
        x64_cvt_rr(a, cvt, size, r, x);
        x64_alu_ri(a, X64_CMP, size, r, 1);
        x64_jcc(a, X64_CC_O, queue(c, op, x, r, back, SLOW_LOW));
    } else if (!t.to64) { /* through i64: valid results fit 32 bits */
        x64_cvt_rr(a, cvt, 8, r, x);
        x64_mov_rr(a, 8, SP_SCRATCH, r);
        x64_shift_ri(a, X64_SHR, 8, SP_SCRATCH, 32);
        x64_jcc(a, X64_CC_NE, queue(c, op, x, r, back, SLOW_LOW));
    } else { /* below 2^63 as signed; above, subtract 2^63 first */
        x64_label big = x64_label_new(a);
        xmm_const(c, t.dbl, t.dbl ? f64_bits(0x1p63) : f32_bits(0x1p63f));
        x64_sse_rr(a, t.dbl ? X64_UCOMISD : X64_UCOMISS, x, SP_XSCRATCH);
        x64_jcc_short(a, X64_CC_AE, big);
        x64_cvt_rr(a, cvt, 8, r, x);
        x64_alu_rr(a, X64_TEST, 8, r, r);
        x64_jcc(a, X64_CC_S, queue(c, op, x, r, back, SLOW_LOW));
        x64_jmp(a, back);
        x64_label_bind(a, big);
        x64_sse_rr(a, t.dbl ? X64_SUBSD : X64_SUBSS, x, SP_XSCRATCH);
        x64_cvt_rr(a, cvt, 8, r, x);
        x64_alu_rr(a, X64_TEST, 8, r, r);
        x64_jcc(a, X64_CC_S, queue(c, op, x, r, back, SLOW_BIG));
        x64_mov_ri(a, 8, SP_SCRATCH, INT64_MIN);
        x64_alu_rr(a, X64_OR, 8, r, SP_SCRATCH);
    }
    x64_label_bind(a, back);
    sp_push_reg(c, t.to64 ? VT_I64 : VT_I32, r);
}

/* Signed trapping conversions: in range when above the low bound (which
 * INT_MIN itself may sit on) and below 2^31 or 2^63. */
static void signed_range(struct sp_comp *c, const struct trunc *t, int x, x64_label ovf,
                         x64_label back)
{
    struct x64_asm *a = &c->a;
    enum x64_sse ucomi = t->dbl ? X64_UCOMISD : X64_UCOMISS;
    bool exclusive = t->dbl && !t->to64; /* f64 has values between INT_MIN - 1 and INT_MIN */
    double lo = t->to64 ? -0x1p63 : exclusive ? -2147483649.0 : -0x1p31;
    double hi = t->to64 ? 0x1p63 : 0x1p31;
    xmm_const(c, t->dbl, t->dbl ? f64_bits(lo) : f32_bits((float)lo));
    x64_sse_rr(a, ucomi, x, SP_XSCRATCH);
    x64_jcc(a, exclusive ? X64_CC_BE : X64_CC_B, ovf);
    xmm_const(c, t->dbl, t->dbl ? f64_bits(hi) : f32_bits((float)hi));
    x64_sse_rr(a, ucomi, x, SP_XSCRATCH);
    x64_jcc(a, X64_CC_AE, ovf);
    x64_jmp(a, back);
}

/* Saturation: NaN gives 0, too large the maximum, too small the minimum
 * (what signed conversions already hold; unsigned ones need 0). */
static void saturate(struct sp_comp *c, const struct trunc *t, const struct sp_stub *s,
                     x64_label nan)
{
    struct x64_asm *a = &c->a;
    int size = t->to64 ? 8 : 4;
    if (s->variant == SLOW_BIG) { /* at or above 2^64 */
        x64_mov_ri(a, 8, s->dst, -1);
        x64_jmp(a, s->back);
        return;
    }
    x64_sse_rr(a, X64_XORPS, SP_XSCRATCH, SP_XSCRATCH);
    x64_sse_rr(a, t->dbl ? X64_UCOMISD : X64_UCOMISS, s->src, SP_XSCRATCH);
    x64_jcc(a, X64_CC_BE, t->uns ? nan : s->back); /* x <= 0: minimum */
    if (t->uns)
        x64_mov_ri(a, 4, s->dst, -1); /* u32 max; u64 never gets here positive */
    else
        x64_mov_ri(a, size, s->dst, t->to64 ? INT64_MAX : INT32_MAX);
    x64_jmp(a, s->back);
    x64_label_bind(a, nan);
    x64_alu_rr(a, X64_XOR, 4, s->dst, s->dst);
    x64_jmp(a, s->back);
}

void sp_emit_trunc_stub(struct sp_comp *c, const struct sp_stub *s)
{
    struct x64_asm *a = &c->a;
    struct trunc t = trunc_of((enum op)s->op);
    x64_label nan = x64_label_new(a);
    if (s->variant != SLOW_BIG) {
        x64_sse_rr(a, t.dbl ? X64_UCOMISD : X64_UCOMISS, s->src, s->src);
        x64_jcc(a, X64_CC_P, nan);
    }
    if (t.sat) {
        saturate(c, &t, s, nan);
        return;
    }
    x64_label ovf = x64_label_new(a);
    if (!t.uns && s->variant != SLOW_BIG)
        signed_range(c, &t, s->src, ovf, s->back);
    x64_label_bind(a, ovf);
    sp_trap_here(c, TRI_TRAP_INT_OVERFLOW);
    x64_ud2(a);
    x64_label_bind(a, nan);
    sp_trap_here(c, TRI_TRAP_BAD_CONVERSION);
    x64_ud2(a);
}

bool sp_convert_op(struct sp_comp *c, const struct val_insn *vi)
{
    enum op op = vi->in->op;
    switch (op) {
    case OP_I32_WRAP_I64: case OP_I32_REINTERPRET_F32: retype(c, op, VT_I32); break;
    case OP_I64_EXTEND_I32_S: case OP_I64_EXTEND_I32_U: case OP_I64_REINTERPRET_F64:
        retype(c, op, VT_I64);
        break;
    case OP_F32_REINTERPRET_I32: retype(c, op, VT_F32); break;
    case OP_F64_REINTERPRET_I64: retype(c, op, VT_F64); break;
    case OP_F32_DEMOTE_F64: float_resize(c, false); break;
    case OP_F64_PROMOTE_F32: float_resize(c, true); break;
    case OP_F32_CONVERT_I32_S: case OP_F32_CONVERT_I32_U: case OP_F32_CONVERT_I64_S:
    case OP_F32_CONVERT_I64_U: {
        unsigned k = op - OP_F32_CONVERT_I32_S;
        int_to_float(c, false, k >= 2, k & 1);
        break;
    }
    case OP_F64_CONVERT_I32_S: case OP_F64_CONVERT_I32_U: case OP_F64_CONVERT_I64_S:
    case OP_F64_CONVERT_I64_U: {
        unsigned k = op - OP_F64_CONVERT_I32_S;
        int_to_float(c, true, k >= 2, k & 1);
        break;
    }
    default:
        truncate_op(c, op);
        break;
    }
    return true;
}
