/* Machine instructions on virtual registers: storage and a text dump for
 * debugging. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "optimizing.h"

#define B(r) (1u << (r))
/* System V: everything but rbx, rbp, r12-r15 (and rsp) is clobbered. */
const uint32_t opt_caller_saved = B(X64_RAX) | B(X64_RCX) | B(X64_RDX) | B(X64_RSI) |
                                  B(X64_RDI) | B(X64_R8) | B(X64_R9) | B(X64_R10) |
                                  B(X64_R11) | 0xffff0000u;
/* All but rsp, rbp and the two scratch registers. */
const uint32_t opt_allocatable = (0xffffffffu & ~(B(X64_RSP) | B(X64_RBP) | B(OPT_SCRATCH) |
                                                  B(OPT_XSCRATCH)));
const uint8_t opt_int_args[6] = {X64_RDI, X64_RSI, X64_RDX, X64_RCX, X64_R8, X64_R9};

bool opt_mfunc_init(struct mfunc *mf, const struct opt_func *f)
{
    *mf = (struct mfunc){.arena = f->arena, .f = f};
    /* Sized from the IR's instructions (about one machine instruction and
     * half a register each on real modules), so they seldom regrow. */
    uint32_t n = 64;
    for (uint32_t i = 0; i < f->norder; i++)
        n += f->block[f->order[i]].ninsn;
    return opt_grow(mf->arena, &mf->mi, &mf->cap_mi, n + n / 8, sizeof *mf->mi) &&
           opt_grow(mf->arena, &mf->vclass, &mf->cap_vreg, n / 2, 1);
}

bool opt_vreg_grow(struct mfunc *mf)
{
    return opt_grow(mf->arena, &mf->vclass, &mf->cap_vreg, mf->nvreg + 1, 1);
}

bool opt_mi_grow(struct mfunc *mf)
{
    return opt_grow(mf->arena, &mf->mi, &mf->cap_mi, mf->nmi + 1, sizeof *mf->mi);
}

bool opt_reg_xmm(const struct mfunc *mf, uint32_t r)
{
    return MR_IS_V(r) ? mf->vclass[r - MR_V0] : X64_IS_XMM(r);
}

/* ---- dump ---- */

static const char *const kind_names[MK_COUNT] = {
    "entry", "mov", "movi", "fconst", "load", "store", "storei", "lea", "slot", "alu",
    "shift", "unary", "imul", "div", "bitop", "ext", "setcc", "cmov", "sse", "sse1",
    "ucomi", "cvt", "fsign", "fminmax", "f2i", "u2f", "jmp", "jcc", "br_table", "ret",
    "trap", "trapif", "call",
};

static void put_reg(FILE *o, uint32_t r)
{
    if (r == MR_NONE)
        fprintf(o, " -");
    else if (MR_IS_V(r))
        fprintf(o, " v%u", r - MR_V0);
    else if (X64_IS_XMM(r))
        fprintf(o, " xmm%u", r - X64_XMM0);
    else
        fprintf(o, " r%u", r);
}

static void put_mi(FILE *o, const struct mi *m, uint32_t i)
{
    fprintf(o, "  %4u %s.%u op%u cc%u", i, kind_names[m->kind], m->size, m->op, m->cc);
    put_reg(o, m->def);
    fprintf(o, " <-");
    put_reg(o, m->use[0]);
    put_reg(o, m->use[1]);
    if (m->scale) {
        fprintf(o, " [");
        put_reg(o, m->base);
        put_reg(o, m->index);
        fprintf(o, " *%u %+d]", m->scale, m->disp);
    }
    /* memory accesses and traps keep their wasm offset in imm's upper half */
    bool site = m->trap || m->kind == MK_TRAP || m->kind == MK_F2I || m->kind == MK_LOAD ||
                m->kind == MK_STORE || m->kind == MK_STOREI || m->kind == MK_TRAPIF ||
                (m->scale && (m->kind == MK_ALU || m->kind == MK_SSE));
    if (site && m->imm32)
        fprintf(o, " #%" PRId32, m->imm32);
    else if (!site && (m->imm || m->kind == MK_MOVI))
        fprintf(o, " #%" PRId64, m->imm);
    if (site)
        fprintf(o, " @%" PRIu32, m->wasm);
    if (m->iuse || m->idef)
        fprintf(o, " iuse %x idef %x", m->iuse, m->idef);
    fprintf(o, "\n");
}

void opt_mdump(const struct mfunc *mf, const char *stage)
{
    const char *want = opt_dump_stage();
    if (!want || (strcmp(want, "all") && strcmp(want, stage)))
        return;
    flockfile(stderr);
    fprintf(stderr, "; %s of func %u\n", stage, mf->f->index);
    for (uint32_t b = 0; b < mf->nblock; b++) {
        const struct mblock *bl = &mf->block[b];
        fprintf(stderr, "m%u:", b);
        for (uint32_t i = 0; i < bl->npred; i++)
            fprintf(stderr, " m%u", bl->pred[i]);
        fprintf(stderr, "\n");
        for (uint32_t i = 0; i < bl->nphi; i++) {
            fprintf(stderr, "  phi");
            put_reg(stderr, bl->phi[i].def);
            for (uint32_t k = 0; k < bl->npred; k++)
                put_reg(stderr, bl->phi[i].ops[k]);
            fprintf(stderr, "\n");
        }
        for (uint32_t i = bl->first; i < bl->first + bl->n; i++)
            put_mi(stderr, &mf->mi[i], i);
    }
    funlockfile(stderr);
}
