/* The SSE encodings and the GP<->XMM moves and conversions, every form
 * over all 16 XMM registers and the memory spread, checked against objdump. */
#include "x64_dis.h"

/* Mnemonic, bytes read from memory (16: XMMWORD), and which forms exist:
 * S store, I imm8, H shift by imm (each op its own row). */
static const struct sse_row {
    enum x64_sse op;
    const char *name;
    int msize;
    const char *forms;
} rows[] = {
    {X64_MOVSS, "movss", 4, "S"},       {X64_MOVSD, "movsd", 8, "S"},
    {X64_MOVAPS, "movaps", 16, "S"},    {X64_MOVUPS, "movups", 16, "S"},
    {X64_MOVAPD, "movapd", 16, "S"},    {X64_MOVDQA, "movdqa", 16, "S"},
    {X64_MOVDQU, "movdqu", 16, "S"},    {X64_MOVQ, "movq", 8, "S"},
    {X64_ADDSS, "addss", 4, ""},        {X64_ADDSD, "addsd", 8, ""},
    {X64_ADDPS, "addps", 16, ""},       {X64_ADDPD, "addpd", 16, ""},
    {X64_SUBSS, "subss", 4, ""},        {X64_SUBSD, "subsd", 8, ""},
    {X64_SUBPS, "subps", 16, ""},       {X64_SUBPD, "subpd", 16, ""},
    {X64_MULSS, "mulss", 4, ""},        {X64_MULSD, "mulsd", 8, ""},
    {X64_MULPS, "mulps", 16, ""},       {X64_MULPD, "mulpd", 16, ""},
    {X64_DIVSS, "divss", 4, ""},        {X64_DIVSD, "divsd", 8, ""},
    {X64_DIVPS, "divps", 16, ""},       {X64_DIVPD, "divpd", 16, ""},
    {X64_SQRTSS, "sqrtss", 4, ""},      {X64_SQRTSD, "sqrtsd", 8, ""},
    {X64_SQRTPS, "sqrtps", 16, ""},     {X64_SQRTPD, "sqrtpd", 16, ""},
    {X64_MINSS, "minss", 4, ""},        {X64_MINSD, "minsd", 8, ""},
    {X64_MINPS, "minps", 16, ""},       {X64_MINPD, "minpd", 16, ""},
    {X64_MAXSS, "maxss", 4, ""},        {X64_MAXSD, "maxsd", 8, ""},
    {X64_MAXPS, "maxps", 16, ""},       {X64_MAXPD, "maxpd", 16, ""},
    {X64_UCOMISS, "ucomiss", 4, ""},    {X64_UCOMISD, "ucomisd", 8, ""},
    {X64_COMISS, "comiss", 4, ""},      {X64_COMISD, "comisd", 8, ""},
    {X64_CVTSS2SD, "cvtss2sd", 4, ""},  {X64_CVTSD2SS, "cvtsd2ss", 8, ""},
    {X64_CVTDQ2PS, "cvtdq2ps", 16, ""}, {X64_CVTTPS2DQ, "cvttps2dq", 16, ""},
    {X64_CVTDQ2PD, "cvtdq2pd", 8, ""},  {X64_CVTPS2PD, "cvtps2pd", 8, ""},
    {X64_CVTPD2PS, "cvtpd2ps", 16, ""},
    {X64_ROUNDSS, "roundss", 4, "I"},   {X64_ROUNDSD, "roundsd", 8, "I"},
    {X64_ROUNDPS, "roundps", 16, "I"},  {X64_ROUNDPD, "roundpd", 16, "I"},
    {X64_ANDPS, "andps", 16, ""},       {X64_ANDPD, "andpd", 16, ""},
    {X64_ANDNPS, "andnps", 16, ""},     {X64_ANDNPD, "andnpd", 16, ""},
    {X64_ORPS, "orps", 16, ""},         {X64_ORPD, "orpd", 16, ""},
    {X64_XORPS, "xorps", 16, ""},       {X64_XORPD, "xorpd", 16, ""},
    {X64_SHUFPS, "shufps", 16, "I"},
    {X64_PADDB, "paddb", 16, ""},       {X64_PADDW, "paddw", 16, ""},
    {X64_PADDD, "paddd", 16, ""},       {X64_PADDQ, "paddq", 16, ""},
    {X64_PSUBB, "psubb", 16, ""},       {X64_PSUBW, "psubw", 16, ""},
    {X64_PSUBD, "psubd", 16, ""},       {X64_PSUBQ, "psubq", 16, ""},
    {X64_PMULLW, "pmullw", 16, ""},     {X64_PMULLD, "pmulld", 16, ""},
    {X64_PMULUDQ, "pmuludq", 16, ""},
    {X64_PAND, "pand", 16, ""},         {X64_PANDN, "pandn", 16, ""},
    {X64_POR, "por", 16, ""},           {X64_PXOR, "pxor", 16, ""},
    {X64_PCMPEQB, "pcmpeqb", 16, ""},   {X64_PCMPEQW, "pcmpeqw", 16, ""},
    {X64_PCMPEQD, "pcmpeqd", 16, ""},   {X64_PCMPEQQ, "pcmpeqq", 16, ""},
    {X64_PCMPGTB, "pcmpgtb", 16, ""},   {X64_PCMPGTW, "pcmpgtw", 16, ""},
    {X64_PCMPGTD, "pcmpgtd", 16, ""},
    {X64_PMINSD, "pminsd", 16, ""},     {X64_PMAXSD, "pmaxsd", 16, ""},
    {X64_PMINUD, "pminud", 16, ""},     {X64_PMAXUD, "pmaxud", 16, ""},
    {X64_PUNPCKLBW, "punpcklbw", 16, ""}, {X64_PUNPCKLWD, "punpcklwd", 16, ""},
    {X64_PUNPCKLDQ, "punpckldq", 16, ""}, {X64_PUNPCKLQDQ, "punpcklqdq", 16, ""},
    {X64_PUNPCKHBW, "punpckhbw", 16, ""}, {X64_PUNPCKHWD, "punpckhwd", 16, ""},
    {X64_PUNPCKHDQ, "punpckhdq", 16, ""}, {X64_PUNPCKHQDQ, "punpckhqdq", 16, ""},
    {X64_PSHUFB, "pshufb", 16, ""},     {X64_PSHUFD, "pshufd", 16, "I"},
    {X64_PTEST, "ptest", 16, ""},
    {X64_PSLLW, "psllw", 16, ""},       {X64_PSLLD, "pslld", 16, ""},
    {X64_PSLLQ, "psllq", 16, ""},       {X64_PSRLW, "psrlw", 16, ""},
    {X64_PSRLD, "psrld", 16, ""},       {X64_PSRLQ, "psrlq", 16, ""},
    {X64_PSRAW, "psraw", 16, ""},       {X64_PSRAD, "psrad", 16, ""},
    {X64_PSLLW_I, "psllw", 0, "H"},     {X64_PSLLD_I, "pslld", 0, "H"},
    {X64_PSLLQ_I, "psllq", 0, "H"},     {X64_PSRLW_I, "psrlw", 0, "H"},
    {X64_PSRLD_I, "psrld", 0, "H"},     {X64_PSRLQ_I, "psrlq", 0, "H"},
    {X64_PSRAW_I, "psraw", 0, "H"},     {X64_PSRAD_I, "psrad", 0, "H"},
    {X64_PSLLDQ_I, "pslldq", 0, "H"},   {X64_PSRLDQ_I, "psrldq", 0, "H"},
};

static const char *xmm(int i) { return reg_name(16, X64_XMM0 + (i & 15)); }

/* One op: all 16 destinations against a rotating source and memory. */
static void sse_op(struct dis *d, const struct sse_row *r)
{
    bool imm = strchr(r->forms, 'I'), shift = strchr(r->forms, 'H');
    for (int i = 0; i < 16; i++) {
        int dst = X64_XMM0 + i, src = X64_XMM0 + (i * 7 + 3) % 16;
        struct x64_mem m = mem_spread((unsigned)i + r->op);
        uint8_t v = (uint8_t)(i * 17 + 1);
        if (shift) {
            T(d, x64_sse_ri(&d->a, r->op, dst, v), "%s %s,0x%x", r->name, xmm(i), v);
        } else if (imm) {
            T(d, x64_sse_rri(&d->a, r->op, dst, src, v), "%s %s,%s,0x%x", r->name, xmm(i),
              xmm(src - X64_XMM0), v);
            T(d, x64_sse_rmi(&d->a, r->op, dst, m, v), "%s %s,%s,0x%x", r->name, xmm(i),
              mem_text(r->msize, m), v);
        } else {
            T(d, x64_sse_rr(&d->a, r->op, dst, src), "%s %s,%s", r->name, xmm(i),
              xmm(src - X64_XMM0));
            T(d, x64_sse_rm(&d->a, r->op, dst, m), "%s %s,%s", r->name, xmm(i),
              mem_text(r->msize, m));
        }
        if (strchr(r->forms, 'S'))
            T(d, x64_sse_mr(&d->a, r->op, m, dst), "%s %s,%s", r->name, mem_text(r->msize, m),
              xmm(i));
    }
}

/* GP<->XMM: name for 32 and 64-bit GP sides, whether the XMM register is
 * the destination, the memory size for 4/8 (0: register only). */
static void cvt_ops(struct dis *d)
{
    static const struct {
        enum x64_cvt op;
        const char *name4, *name8;
        bool to_xmm;
        int mem4, mem8;
    } t[] = {
        {X64_CVTSI2SS, "cvtsi2ss", "cvtsi2ss", true, 4, 8},
        {X64_CVTSI2SD, "cvtsi2sd", "cvtsi2sd", true, 4, 8},
        {X64_CVTTSS2SI, "cvttss2si", "cvttss2si", false, 4, 4},
        {X64_CVTTSD2SI, "cvttsd2si", "cvttsd2si", false, 8, 8},
        {X64_MOVD_XR, "movd", "movq", true, 4, 8},
        {X64_MOVD_RX, "movd", "movq", false, 0, 0},
        {X64_MOVMSKPS, "movmskps", "movmskps", false, 0, 0},
        {X64_MOVMSKPD, "movmskpd", "movmskpd", false, 0, 0},
        {X64_PMOVMSKB, "pmovmskb", "pmovmskb", false, 0, 0},
    };
    for (unsigned k = 0; k < ARRAY_LEN(t); k++)
        for (int z = 4; z <= 8; z += 4)
            for (int i = 0; i < 16; i++) {
                int g = (i * 5 + (int)k) % 16, x = X64_XMM0 + i;
                const char *name = z == 4 ? t[k].name4 : t[k].name8;
                int dst = t[k].to_xmm ? x : g, src = t[k].to_xmm ? g : x;
                T(d, x64_cvt_rr(&d->a, t[k].op, z, dst, src), "%s %s,%s", name,
                  reg_name(z, dst), reg_name(z, src));
                int msize = z == 4 ? t[k].mem4 : t[k].mem8;
                struct x64_mem m = mem_spread((unsigned)i);
                if (msize)
                    T(d, x64_cvt_rm(&d->a, t[k].op, z, dst, m), "%s %s,%s", name,
                      reg_name(z, dst), mem_text(msize, m));
            }
}

int main(void)
{
    struct dis d = {0};
    x64_init(&d.a);
    CHECK(ARRAY_LEN(rows) == X64_SSE_COUNT, "test table misses SSE ops");
    for (unsigned i = 0; i < ARRAY_LEN(rows); i++) {
        CHECK(rows[i].op == (enum x64_sse)i, "test table out of order at %u", i);
        sse_op(&d, &rows[i]);
    }
    cvt_ops(&d);
    dis_check(&d, "sse forms");
    printf("x64_sse: %zu instructions, %zu bytes checked\n", d.want.len, d.a.code.len);
    dis_free(&d);
    return test_done("x64_sse");
}
