/* Float operations x86 lacks as single instructions, with wasm's exact
 * semantics: sign operations as bit masks, min/max with the NaN and -0
 * rules, u64 to float, and float to integer with its traps (or
 * saturation) on a slow path out of line. xmm15 and r11 are scratch. */
#include "optimizing.h"

static int R(uint32_t r) { return (int)r; }

static void copy_x(struct x64_asm *a, uint32_t d, uint32_t s)
{
    if (d != s)
        x64_sse_rr(a, X64_MOVAPS, R(d), R(s));
}

/* xmm15 = the sign bit of each lane (dbl: 64-bit lanes). */
static void sign_mask(struct x64_asm *a, bool dbl)
{
    x64_sse_rr(a, X64_PCMPEQD, OPT_XSCRATCH, OPT_XSCRATCH);
    x64_sse_ri(a, dbl ? X64_PSLLQ_I : X64_PSLLD_I, OPT_XSCRATCH, dbl ? 63 : 31);
}

/* Clears the sign bit of reg's low lane (and the others): shift out, back. */
static void clear_sign(struct x64_asm *a, int reg, bool dbl)
{
    x64_sse_ri(a, dbl ? X64_PSLLQ_I : X64_PSLLD_I, reg, 1);
    x64_sse_ri(a, dbl ? X64_PSRLQ_I : X64_PSRLD_I, reg, 1);
}

void opt_e_fsign(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    bool dbl = mi->size == 8;
    uint32_t d = mi->def;
    switch (mi->op) {
    case OPT_FABS:
        copy_x(a, d, mi->use[0]);
        clear_sign(a, R(d), dbl);
        break;
    case OPT_FNEG:
        sign_mask(a, dbl);
        copy_x(a, d, mi->use[0]);
        x64_sse_rr(a, X64_XORPS, R(d), OPT_XSCRATCH);
        break;
    default: /* copysign: b's sign first, d may be b */
        sign_mask(a, dbl);
        x64_sse_rr(a, X64_ANDPS, OPT_XSCRATCH, R(mi->use[1]));
        copy_x(a, d, mi->use[0]);
        clear_sign(a, R(d), dbl);
        x64_sse_rr(a, X64_ORPS, R(d), OPT_XSCRATCH);
        break;
    }
}

/* SSE min/max return the second operand for NaNs and for -0/+0, so
 * those go apart: unordered gives a NaN (by adding), equal gives the OR
 * (min: -0 wins) or the AND (max: +0 wins) of the bits. */
void opt_e_fminmax(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    bool dbl = mi->size == 8, min = mi->op == OPT_FMIN;
    uint32_t d = mi->def, b = mi->use[1];
    if (d == b && d != mi->use[0]) {
        x64_sse_rr(a, X64_MOVAPS, OPT_XSCRATCH, R(b));
        b = OPT_XSCRATCH;
    }
    copy_x(a, d, mi->use[0]);
    x64_label nan = x64_label_new(a), differ = x64_label_new(a), done = x64_label_new(a);
    x64_sse_rr(a, dbl ? X64_UCOMISD : X64_UCOMISS, R(d), R(b));
    x64_jcc_short(a, X64_CC_P, nan);
    x64_jcc_short(a, X64_CC_NE, differ);
    x64_sse_rr(a, min ? X64_ORPS : X64_ANDPS, R(d), R(b));
    x64_jmp_short(a, done);
    x64_label_bind(a, nan);
    x64_sse_rr(a, dbl ? X64_ADDSD : X64_ADDSS, R(d), R(b));
    x64_jmp_short(a, done);
    x64_label_bind(a, differ);
    x64_sse_rr(a, min ? (dbl ? X64_MINSD : X64_MINSS) : (dbl ? X64_MAXSD : X64_MAXSS), R(d), R(b));
    x64_label_bind(a, done);
}

/* u64 -> float: below 2^63 a signed conversion; above, halve (keeping the
 * lowest bit sticky so rounding stays right), convert, double. */
void opt_e_u2f(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    bool dbl = mi->size == 8;
    int d = R(mi->def), x = R(mi->use[0]);
    enum x64_cvt cv = dbl ? X64_CVTSI2SD : X64_CVTSI2SS;
    x64_label big = x64_label_new(a), odd = x64_label_new(a), done = x64_label_new(a);
    x64_sse_rr(a, X64_XORPS, d, d);
    x64_alu_rr(a, X64_TEST, 8, x, x);
    x64_jcc_short(a, X64_CC_S, big);
    x64_cvt_rr(a, cv, 8, d, x);
    x64_jmp_short(a, done);
    x64_label_bind(a, big);
    x64_mov_rr(a, 8, OPT_SCRATCH, x);
    x64_shift_ri(a, X64_SHR, 8, OPT_SCRATCH, 1);
    x64_jcc_short(a, X64_CC_AE, odd); /* no carry: the lowest bit was 0 */
    x64_alu_ri(a, X64_OR, 8, OPT_SCRATCH, 1);
    x64_label_bind(a, odd);
    x64_cvt_rr(a, cv, 8, d, OPT_SCRATCH);
    x64_sse_rr(a, dbl ? X64_ADDSD : X64_ADDSS, d, d);
    x64_label_bind(a, done);
}

/* ---- float -> integer ----
 * The fast path converts and checks for the one value x86 returns when
 * the result does not fit (0x80..0 for signed; a non-zero upper half or a
 * negative result for the unsigned forms, converted wider). The slow path
 * sorts the cases out: a NaN or an out-of-range value traps (or
 * saturates); a value that is in range after all (exactly INT_MIN) goes
 * back. */

static double pow2(int n) { return n >= 0 ? (double)(1ull << n) : 1.0 / (double)(1ull << -n); }

/* [rip + c] for the float c as an f32 or f64. */
static struct x64_mem fconst(struct em *m, double c, bool dbl)
{
    union { double d; uint64_t u; } x = {c};
    union { float f; uint32_t u; } y = {(float)c};
    return opt_e_const(m, dbl ? x.u : y.u, dbl ? 8 : 4);
}

static enum x64_sse ucomi(bool dbl) { return dbl ? X64_UCOMISD : X64_UCOMISS; }

void opt_e_f2i(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    bool dbl = mi->ext == 8, sign = mi->op & OPT_CVT_SIGNED, wide = mi->size == 8;
    int d = R(mi->def), x = R(mi->use[0]);
    enum x64_cvt cv = dbl ? X64_CVTTSD2SI : X64_CVTTSS2SI;
    x64_label slow = opt_e_stub(m, (uint32_t)(mi - m->mf->mi));
    if (m->oom)
        return;
    x64_label back = m->stubs.data[m->stubs.len - 1].back;
    if (sign) {
        x64_cvt_rr(a, cv, mi->size, d, x);
        x64_alu_ri(a, X64_CMP, mi->size, d, 1); /* overflows only for INT_MIN */
        x64_jcc(a, X64_CC_O, slow);
    } else if (!wide) { /* u32: convert to 64 bits, the upper half must be 0 */
        x64_cvt_rr(a, cv, 8, d, x);
        x64_mov_rr(a, 8, OPT_SCRATCH, d);
        x64_shift_ri(a, X64_SHR, 8, OPT_SCRATCH, 32);
        x64_jcc(a, X64_CC_NE, slow);
    } else { /* u64: at or above 2^63, subtract it first */
        x64_label big = x64_label_new(a);
        x64_sse_rm(a, ucomi(dbl), x, fconst(m, pow2(63), dbl));
        x64_jcc_short(a, X64_CC_AE, big);
        x64_cvt_rr(a, cv, 8, d, x);
        x64_alu_rr(a, X64_TEST, 8, d, d);
        x64_jcc(a, X64_CC_S, slow);
        x64_jmp(a, back);
        x64_label_bind(a, big);
        x64_sse_rr(a, X64_MOVAPS, OPT_XSCRATCH, x);
        x64_sse_rm(a, dbl ? X64_SUBSD : X64_SUBSS, OPT_XSCRATCH, fconst(m, pow2(63), dbl));
        x64_cvt_rr(a, cv, 8, d, OPT_XSCRATCH);
        x64_alu_rr(a, X64_TEST, 8, d, d);
        x64_jcc(a, X64_CC_S, slow); /* still 2^63 or more: too big */
        x64_mov_ri(a, 8, OPT_SCRATCH, INT64_MIN);
        x64_alu_rr(a, X64_XOR, 8, d, OPT_SCRATCH);
    }
    x64_label_bind(a, back);
}

/* The trap for the converted value: NaN is an invalid conversion,
 * anything else out of range an overflow. */
static void f2i_trap(struct em *m, const struct mi *mi, int x, bool dbl)
{
    struct x64_asm *a = m->a;
    x64_label nan = x64_label_new(a);
    x64_sse_rr(a, ucomi(dbl), x, x);
    x64_jcc_short(a, X64_CC_P, nan);
    opt_e_site(m, TRI_TRAP_INT_OVERFLOW, mi->wasm);
    x64_ud2(a);
    x64_label_bind(a, nan);
    opt_e_site(m, TRI_TRAP_BAD_CONVERSION, mi->wasm);
    x64_ud2(a);
}

/* Saturation: NaN -> 0, negative -> the minimum (0 unsigned), positive ->
 * the maximum. */
static void f2i_saturate(struct em *m, const struct mi *mi, int x, bool dbl, x64_label back)
{
    struct x64_asm *a = m->a;
    bool sign = mi->op & OPT_CVT_SIGNED, wide = mi->size == 8;
    int d = R(mi->def);
    x64_label low = x64_label_new(a);
    x64_sse_rr(a, X64_XORPS, OPT_XSCRATCH, OPT_XSCRATCH);
    x64_sse_rr(a, ucomi(dbl), x, OPT_XSCRATCH);
    x64_mov_ri(a, 4, d, 0); /* NaN and negative unsigned: 0 (keeps the flags) */
    x64_jcc(a, X64_CC_P, back);
    x64_jcc_short(a, X64_CC_BE, low);
    int64_t max = sign ? (wide ? INT64_MAX : INT32_MAX) : (wide ? -1 : (int64_t)UINT32_MAX);
    x64_mov_ri(a, wide ? 8 : 4, d, max);
    x64_jmp(a, back);
    x64_label_bind(a, low);
    if (sign)
        x64_mov_ri(a, wide ? 8 : 4, d, wide ? INT64_MIN : INT32_MIN);
    x64_jmp(a, back);
}

void opt_e_f2i_stub(struct em *m, const struct em_stub *s)
{
    struct x64_asm *a = m->a;
    const struct mi *mi = &m->mf->mi[s->mi];
    bool dbl = mi->ext == 8, sign = mi->op & OPT_CVT_SIGNED;
    int x = R(mi->use[0]);
    if (mi->op & OPT_CVT_SAT) {
        f2i_saturate(m, mi, x, dbl, s->back);
        return;
    }
    if (sign) { /* INT_MIN is right when lo <= x < -lo (lo exclusive for f64 -> i32) */
        int bits = mi->size == 8 ? 63 : 31;
        x64_label bad = x64_label_new(a);
        x64_sse_rm(a, ucomi(dbl), x, fconst(m, pow2(bits), dbl));
        x64_jcc_short(a, X64_CC_AE, bad);
        bool exclusive = dbl && bits == 31;
        x64_sse_rm(a, ucomi(dbl), x, fconst(m, -pow2(bits) - exclusive, dbl));
        x64_jcc_short(a, exclusive ? X64_CC_BE : X64_CC_B, bad);
        x64_jmp(a, s->back);
        x64_label_bind(a, bad);
    }
    f2i_trap(m, mi, x, dbl);
}
