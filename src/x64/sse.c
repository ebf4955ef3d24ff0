/* SSE instructions: one table row per operation (load/op form, store form,
 * whether it takes an imm8), and one table for the moves and conversions
 * between GP and XMM registers. */
#include "core.h"

enum { IMM = 1, SHIFT_IMM = 2 }; /* SHIFT_IMM: /digit form, digit in `store` */

static const struct sse_form {
    uint32_t op, store;
    uint8_t flags;
} sse_forms[X64_SSE_COUNT] = {
    [X64_MOVSS] = {OP_F3_0F(0x10), OP_F3_0F(0x11), 0},
    [X64_MOVSD] = {OP_F2_0F(0x10), OP_F2_0F(0x11), 0},
    [X64_MOVAPS] = {OP_0F(0x28), OP_0F(0x29), 0},
    [X64_MOVUPS] = {OP_0F(0x10), OP_0F(0x11), 0},
    [X64_MOVAPD] = {OP_66_0F(0x28), OP_66_0F(0x29), 0},
    [X64_MOVDQA] = {OP_66_0F(0x6f), OP_66_0F(0x7f), 0},
    [X64_MOVDQU] = {OP_F3_0F(0x6f), OP_F3_0F(0x7f), 0},
    [X64_MOVQ] = {OP_F3_0F(0x7e), OP_66_0F(0xd6), 0},
/* ss, sd, ps, pd of one arithmetic opcode */
#define FP4(N, b)                                                                            \
    [X64_##N##SS] = {OP_F3_0F(b), 0, 0}, [X64_##N##SD] = {OP_F2_0F(b), 0, 0},               \
    [X64_##N##PS] = {OP_0F(b), 0, 0}, [X64_##N##PD] = {OP_66_0F(b), 0, 0}
    FP4(ADD, 0x58), FP4(SUB, 0x5c), FP4(MUL, 0x59), FP4(DIV, 0x5e),
    FP4(SQRT, 0x51), FP4(MIN, 0x5d), FP4(MAX, 0x5f),
#undef FP4
    [X64_UCOMISS] = {OP_0F(0x2e), 0, 0},
    [X64_UCOMISD] = {OP_66_0F(0x2e), 0, 0},
    [X64_COMISS] = {OP_0F(0x2f), 0, 0},
    [X64_COMISD] = {OP_66_0F(0x2f), 0, 0},
    [X64_CVTSS2SD] = {OP_F3_0F(0x5a), 0, 0},
    [X64_CVTSD2SS] = {OP_F2_0F(0x5a), 0, 0},
    [X64_CVTDQ2PS] = {OP_0F(0x5b), 0, 0},
    [X64_CVTTPS2DQ] = {OP_F3_0F(0x5b), 0, 0},
    [X64_CVTDQ2PD] = {OP_F3_0F(0xe6), 0, 0},
    [X64_CVTPS2PD] = {OP_0F(0x5a), 0, 0},
    [X64_CVTPD2PS] = {OP_66_0F(0x5a), 0, 0},
    [X64_ROUNDSS] = {OP_66_0F3A(0x0a), 0, IMM},
    [X64_ROUNDSD] = {OP_66_0F3A(0x0b), 0, IMM},
    [X64_ROUNDPS] = {OP_66_0F3A(0x08), 0, IMM},
    [X64_ROUNDPD] = {OP_66_0F3A(0x09), 0, IMM},
    [X64_ANDPS] = {OP_0F(0x54), 0, 0},
    [X64_ANDPD] = {OP_66_0F(0x54), 0, 0},
    [X64_ANDNPS] = {OP_0F(0x55), 0, 0},
    [X64_ANDNPD] = {OP_66_0F(0x55), 0, 0},
    [X64_ORPS] = {OP_0F(0x56), 0, 0},
    [X64_ORPD] = {OP_66_0F(0x56), 0, 0},
    [X64_XORPS] = {OP_0F(0x57), 0, 0},
    [X64_XORPD] = {OP_66_0F(0x57), 0, 0},
    [X64_SHUFPS] = {OP_0F(0xc6), 0, IMM},
    [X64_PADDB] = {OP_66_0F(0xfc), 0, 0},
    [X64_PADDW] = {OP_66_0F(0xfd), 0, 0},
    [X64_PADDD] = {OP_66_0F(0xfe), 0, 0},
    [X64_PADDQ] = {OP_66_0F(0xd4), 0, 0},
    [X64_PSUBB] = {OP_66_0F(0xf8), 0, 0},
    [X64_PSUBW] = {OP_66_0F(0xf9), 0, 0},
    [X64_PSUBD] = {OP_66_0F(0xfa), 0, 0},
    [X64_PSUBQ] = {OP_66_0F(0xfb), 0, 0},
    [X64_PMULLW] = {OP_66_0F(0xd5), 0, 0},
    [X64_PMULLD] = {OP_66_0F38(0x40), 0, 0},
    [X64_PMULUDQ] = {OP_66_0F(0xf4), 0, 0},
    [X64_PAND] = {OP_66_0F(0xdb), 0, 0},
    [X64_PANDN] = {OP_66_0F(0xdf), 0, 0},
    [X64_POR] = {OP_66_0F(0xeb), 0, 0},
    [X64_PXOR] = {OP_66_0F(0xef), 0, 0},
    [X64_PCMPEQB] = {OP_66_0F(0x74), 0, 0},
    [X64_PCMPEQW] = {OP_66_0F(0x75), 0, 0},
    [X64_PCMPEQD] = {OP_66_0F(0x76), 0, 0},
    [X64_PCMPEQQ] = {OP_66_0F38(0x29), 0, 0},
    [X64_PCMPGTB] = {OP_66_0F(0x64), 0, 0},
    [X64_PCMPGTW] = {OP_66_0F(0x65), 0, 0},
    [X64_PCMPGTD] = {OP_66_0F(0x66), 0, 0},
    [X64_PMINSD] = {OP_66_0F38(0x39), 0, 0},
    [X64_PMAXSD] = {OP_66_0F38(0x3d), 0, 0},
    [X64_PMINUD] = {OP_66_0F38(0x3b), 0, 0},
    [X64_PMAXUD] = {OP_66_0F38(0x3f), 0, 0},
    [X64_PUNPCKLBW] = {OP_66_0F(0x60), 0, 0},
    [X64_PUNPCKLWD] = {OP_66_0F(0x61), 0, 0},
    [X64_PUNPCKLDQ] = {OP_66_0F(0x62), 0, 0},
    [X64_PUNPCKLQDQ] = {OP_66_0F(0x6c), 0, 0},
    [X64_PUNPCKHBW] = {OP_66_0F(0x68), 0, 0},
    [X64_PUNPCKHWD] = {OP_66_0F(0x69), 0, 0},
    [X64_PUNPCKHDQ] = {OP_66_0F(0x6a), 0, 0},
    [X64_PUNPCKHQDQ] = {OP_66_0F(0x6d), 0, 0},
    [X64_PSHUFB] = {OP_66_0F38(0x00), 0, 0},
    [X64_PSHUFD] = {OP_66_0F(0x70), 0, IMM},
    [X64_PTEST] = {OP_66_0F38(0x17), 0, 0},
    [X64_PSLLW] = {OP_66_0F(0xf1), 0, 0},
    [X64_PSLLD] = {OP_66_0F(0xf2), 0, 0},
    [X64_PSLLQ] = {OP_66_0F(0xf3), 0, 0},
    [X64_PSRLW] = {OP_66_0F(0xd1), 0, 0},
    [X64_PSRLD] = {OP_66_0F(0xd2), 0, 0},
    [X64_PSRLQ] = {OP_66_0F(0xd3), 0, 0},
    [X64_PSRAW] = {OP_66_0F(0xe1), 0, 0},
    [X64_PSRAD] = {OP_66_0F(0xe2), 0, 0},
    [X64_PSLLW_I] = {OP_66_0F(0x71), 6, SHIFT_IMM},
    [X64_PSLLD_I] = {OP_66_0F(0x72), 6, SHIFT_IMM},
    [X64_PSLLQ_I] = {OP_66_0F(0x73), 6, SHIFT_IMM},
    [X64_PSRLW_I] = {OP_66_0F(0x71), 2, SHIFT_IMM},
    [X64_PSRLD_I] = {OP_66_0F(0x72), 2, SHIFT_IMM},
    [X64_PSRLQ_I] = {OP_66_0F(0x73), 2, SHIFT_IMM},
    [X64_PSRAW_I] = {OP_66_0F(0x71), 4, SHIFT_IMM},
    [X64_PSRAD_I] = {OP_66_0F(0x72), 4, SHIFT_IMM},
    [X64_PSLLDQ_I] = {OP_66_0F(0x73), 7, SHIFT_IMM},
    [X64_PSRLDQ_I] = {OP_66_0F(0x73), 3, SHIFT_IMM},
};

/* The row of op when it has the form the caller asked for (flags). */
static const struct sse_form *sse(struct x64_asm *a, enum x64_sse op, uint8_t flags)
{
    if ((unsigned)op >= X64_SSE_COUNT)
        x64_misuse(a, "unknown SSE operation");
    else if (sse_forms[op].flags != flags)
        x64_misuse(a, "SSE operation used with the wrong operand form");
    else
        return &sse_forms[op];
    return NULL;
}

void x64_sse_rr(struct x64_asm *a, enum x64_sse op, int dst, int src)
{
    const struct sse_form *f = sse(a, op, 0);
    if (f)
        x64_emit_rm(a, f->op | OP_XREG | OP_XRM, dst, src, NULL, 0, 0);
}

void x64_sse_rm(struct x64_asm *a, enum x64_sse op, int dst, struct x64_mem m)
{
    const struct sse_form *f = sse(a, op, 0);
    if (f)
        x64_emit_rm(a, f->op | OP_XREG, dst, 0, &m, 0, 0);
}

void x64_sse_mr(struct x64_asm *a, enum x64_sse op, struct x64_mem m, int src)
{
    const struct sse_form *f = sse(a, op, 0);
    if (f && !f->store)
        x64_misuse(a, "SSE operation has no store form");
    else if (f)
        x64_emit_rm(a, f->store | OP_XREG, src, 0, &m, 0, 0);
}

void x64_sse_rri(struct x64_asm *a, enum x64_sse op, int dst, int src, uint8_t imm)
{
    const struct sse_form *f = sse(a, op, IMM);
    if (f)
        x64_emit_rm(a, f->op | OP_XREG | OP_XRM, dst, src, NULL, 1, imm);
}

void x64_sse_rmi(struct x64_asm *a, enum x64_sse op, int dst, struct x64_mem m, uint8_t imm)
{
    const struct sse_form *f = sse(a, op, IMM);
    if (f)
        x64_emit_rm(a, f->op | OP_XREG, dst, 0, &m, 1, imm);
}

void x64_sse_ri(struct x64_asm *a, enum x64_sse op, int reg, uint8_t imm)
{
    const struct sse_form *f = sse(a, op, SHIFT_IMM);
    if (f)
        x64_emit_rm(a, f->op | OP_XRM, DIGIT((int)f->store), reg, NULL, 1, imm);
}

/* ---- GP <-> XMM ----
 * op carries which side of ModRM is the XMM register. `swap`: ModRM.reg is
 * the source (movd r/m, xmm). `reg_only`: r/m must be a register. */
static const struct cvt_form {
    uint32_t op;
    bool swap, reg_only;
} cvt_forms[] = {
    [X64_CVTSI2SS] = {OP_F3_0F(0x2a) | OP_XREG, false, false},
    [X64_CVTSI2SD] = {OP_F2_0F(0x2a) | OP_XREG, false, false},
    [X64_CVTTSS2SI] = {OP_F3_0F(0x2c) | OP_XRM, false, false},
    [X64_CVTTSD2SI] = {OP_F2_0F(0x2c) | OP_XRM, false, false},
    [X64_MOVD_XR] = {OP_66_0F(0x6e) | OP_XREG, false, false},
    [X64_MOVD_RX] = {OP_66_0F(0x7e) | OP_XREG, true, true},
    [X64_MOVMSKPS] = {OP_0F(0x50) | OP_XRM, false, true},
    [X64_MOVMSKPD] = {OP_66_0F(0x50) | OP_XRM, false, true},
    [X64_PMOVMSKB] = {OP_66_0F(0xd7) | OP_XRM, false, true},
};

static void cvt(struct x64_asm *a, enum x64_cvt op, int size, int dst, int src,
                const struct x64_mem *m)
{
    if ((unsigned)op >= ARRAY_LEN(cvt_forms) || (size != 4 && size != 8)) {
        x64_misuse(a, "unknown GP/XMM operation or size");
        return;
    }
    const struct cvt_form *f = &cvt_forms[op];
    uint32_t w = size == 8 ? OP_W : 0;
    if (m && f->reg_only)
        x64_misuse(a, "GP/XMM operation has no memory-source form");
    else if (f->swap)
        x64_emit_rm(a, f->op | w, src, dst, m, 0, 0);
    else
        x64_emit_rm(a, f->op | w, dst, src, m, 0, 0);
}

void x64_cvt_rr(struct x64_asm *a, enum x64_cvt op, int size, int dst, int src)
{
    cvt(a, op, size, dst, src, NULL);
}

void x64_cvt_rm(struct x64_asm *a, enum x64_cvt op, int size, int dst, struct x64_mem m)
{
    cvt(a, op, size, dst, 0, &m);
}
