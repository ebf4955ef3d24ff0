/* Liveness and live intervals for the register allocator.
 *
 * Positions: instruction i reads its operands at 2i and writes its result
 * at 2i + 1; block b spans [2 first, 2 (first + n)). Every virtual
 * register gets one interval from its definition to the end of its last
 * use or of the last block it is live out of (no holes: a register live
 * in two far apart blocks is taken as live in between, which is safe and
 * keeps the allocator linear). Liveness itself is exact, by path
 * exploration over the SSA form (Brandner et al., "Computing Liveness Sets
 * for SSA-Form Programs", 2011): from each use, walk predecessors up to
 * the definition; the blocks met get the register in their live-in list,
 * which the resolver needs for the moves on edges. The walk costs the
 * size of the live-in lists.
 *
 * Physical registers named by instructions (arguments, division, shifts,
 * calls) get fixed ranges, from the definition to the last use. */
#include <string.h>

#include "optimizing.h"

struct lv {
    struct ra *ra;
    struct mfunc *mf;
    uint32_t *iblock;          /* instruction -> block */
    uint32_t *dpos, *dblk;     /* per vreg: definition position and block */
    uint32_t *pstart, *pblk;   /* per vreg: pred blocks where a phi uses it (CSR) */
    uint32_t *end;             /* per vreg: end of its interval */
    uint32_t *stamp;           /* per block: last vreg + 1 put in its live-in */
    uint32_t *stack;
};

static uint32_t bend(const struct mfunc *mf, uint32_t b)
{
    return 2 * (mf->block[b].first + mf->block[b].n);
}

/* ---- use positions ---- */

struct count {
    struct lv *lv;
    uint32_t *cnt;
    uint32_t i;
    bool fill;
};

static void count_reg(void *ctx, uint32_t *r, bool def)
{
    struct count *c = ctx;
    if (!MR_IS_V(*r))
        return;
    uint32_t v = *r - MR_V0;
    if (!c->fill) {
        c->cnt[v + 1]++;
        return;
    }
    struct ra *ra = c->lv->ra;
    ra->upos[ra->v[v].u1++] = 2 * c->i + def;
    if (def) {
        c->lv->dpos[v] = 2 * c->i + 1;
        c->lv->dblk[v] = c->lv->iblock[c->i];
    }
}

/* Use positions of every vreg (definitions included: they need a register
 * too), sorted because instructions are visited in order. A def comes
 * after the uses of the same instruction, which is its own order. */
static bool use_positions(struct lv *lv)
{
    struct mfunc *mf = lv->mf;
    struct ra *ra = lv->ra;
    uint32_t nv = mf->nvreg;
    uint32_t *cnt = arena_array(mf->arena, nv + 1, sizeof *cnt);
    if (!cnt)
        return false;
    struct count c = {lv, cnt, 0, false};
    for (c.i = 0; c.i < mf->nmi; c.i++)
        opt_mi_regs(&mf->mi[c.i], count_reg, &c);
    for (uint32_t v = 0; v < nv; v++)
        cnt[v + 1] += cnt[v];
    if (!(ra->upos = arena_array(mf->arena, cnt[nv] + 1, sizeof *ra->upos)))
        return false;
    for (uint32_t v = 0; v < nv; v++)
        ra->v[v].u0 = ra->v[v].u1 = cnt[v];
    c.fill = true;
    for (c.i = 0; c.i < mf->nmi; c.i++)
        opt_mi_regs(&mf->mi[c.i], count_reg, &c);
    return true;
}

/* Phi definitions, and the predecessor blocks where phis use each vreg. */
static bool phi_uses(struct lv *lv)
{
    struct mfunc *mf = lv->mf;
    uint32_t nv = mf->nvreg;
    uint32_t *cnt = arena_array(mf->arena, nv + 1, sizeof *cnt);
    if (!cnt)
        return false;
    for (int round = 0; round < 2; round++) {
        for (uint32_t b = 0; b < mf->nblock; b++) {
            const struct mblock *bl = &mf->block[b];
            for (uint32_t k = 0; k < bl->nphi; k++) {
                uint32_t d = bl->phi[k].def - MR_V0;
                lv->dpos[d] = 2 * bl->first;
                lv->dblk[d] = b;
                for (uint32_t p = 0; p < bl->npred; p++) {
                    uint32_t v = bl->phi[k].ops[p] - MR_V0;
                    if (round == 0)
                        cnt[v + 1]++;
                    else
                        lv->pblk[lv->pstart[v] + cnt[v]++] = bl->pred[p];
                }
            }
        }
        if (round == 0) {
            for (uint32_t v = 0; v < nv; v++)
                cnt[v + 1] += cnt[v];
            lv->pstart = cnt;
            if (!(lv->pblk = arena_array(mf->arena, cnt[nv] + 1, sizeof *lv->pblk)) ||
                !(cnt = arena_array(mf->arena, nv + 1, sizeof *cnt)))
                return false;
        }
    }
    return true;
}

/* ---- liveness ---- */

/* Puts v in b's live-in list (once) and on the walk stack. */
static bool live_in(struct lv *lv, uint32_t v, uint32_t b, uint32_t *sp)
{
    if (lv->stamp[b] == v + 1)
        return true;
    lv->stamp[b] = v + 1;
    lv->stack[(*sp)++] = b;
    struct mblock *bl = &lv->mf->block[b];
    return opt_push(lv->mf->arena, &bl->livein, &bl->nlivein, &bl->cap_livein, MR_V0 + v);
}

/* Marks v live-in at block b and, walking predecessors, everywhere on the
 * way up to its definition. Each block goes on the stack once. */
static bool mark(struct lv *lv, uint32_t v, uint32_t b)
{
    struct mfunc *mf = lv->mf;
    uint32_t sp = 0;
    if (!live_in(lv, v, b, &sp))
        return false;
    while (sp) {
        const struct mblock *bl = &mf->block[lv->stack[--sp]];
        for (uint32_t k = 0; k < bl->npred; k++) {
            uint32_t p = bl->pred[k];
            if (bend(mf, p) > lv->end[v])
                lv->end[v] = bend(mf, p);
            if (p != lv->dblk[v] && !live_in(lv, v, p, &sp))
                return false;
        }
    }
    return true;
}

static bool liveness(struct lv *lv)
{
    struct mfunc *mf = lv->mf;
    const struct ra *ra = lv->ra;
    for (uint32_t v = 0; v < mf->nvreg; v++) {
        if (lv->dblk[v] == UINT32_MAX)
            continue;
        lv->end[v] = lv->dpos[v] + 1;
        for (uint32_t u = ra->v[v].u0; u < ra->v[v].u1; u++) {
            uint32_t pos = ra->upos[u], b = lv->iblock[pos / 2];
            if (pos + 1 > lv->end[v])
                lv->end[v] = pos + 1;
            if (b != lv->dblk[v] && !mark(lv, v, b))
                return false;
        }
        for (uint32_t k = lv->pstart[v]; k < lv->pstart[v + 1]; k++) {
            uint32_t p = lv->pblk[k];
            if (bend(mf, p) > lv->end[v])
                lv->end[v] = bend(mf, p);
            if (p != lv->dblk[v] && !mark(lv, v, p))
                return false;
        }
    }
    return true;
}

/* ---- fixed ranges of physical registers ---- */

static bool fixed_add(struct ra *ra, int r, uint32_t from, uint32_t to)
{
    uint32_t n = ra->nfix[r];
    if (n && ra->fix[r][n - 1] == from) { /* adjacent: extend */
        ra->fix[r][n - 1] = to;
        return true;
    }
    return opt_push(ra->mf->arena, &ra->fix[r], &ra->nfix[r], &ra->cap_fix[r], from) &&
           opt_push(ra->mf->arena, &ra->fix[r], &ra->nfix[r], &ra->cap_fix[r], to);
}

/* Physical registers an instruction reads and writes (explicit and implicit). */
static void preg_masks(const struct mi *m, uint32_t *use, uint32_t *def)
{
    *use = m->iuse;
    *def = m->idef;
    const uint32_t uses[] = {m->use[0], m->use[1], m->base, m->index};
    for (size_t k = 0; k < ARRAY_LEN(uses); k++)
        if (uses[k] < 32)
            *use |= 1u << uses[k];
    if (m->def < 32)
        *def |= 1u << m->def;
    *use &= opt_allocatable;
    *def &= opt_allocatable;
}

static bool fixed_ranges(struct lv *lv)
{
    struct mfunc *mf = lv->mf;
    uint32_t open[32], last[32];
    for (uint32_t b = 0; b < mf->nblock; b++) {
        memset(open, 0xff, sizeof open);
        const struct mblock *bl = &mf->block[b];
        for (uint32_t i = bl->first; i < bl->first + bl->n; i++) {
            uint32_t use, def;
            preg_masks(&mf->mi[i], &use, &def);
            for (int r = 0; r < 32; r++) {
                if (use & (1u << r)) {
                    if (open[r] == UINT32_MAX)
                        open[r] = 2 * i;
                    last[r] = 2 * i + 1;
                }
                if (def & (1u << r)) {
                    if (open[r] != UINT32_MAX && !fixed_add(lv->ra, r, open[r], last[r]))
                        return false;
                    open[r] = 2 * i + 1;
                    last[r] = 2 * i + 2;
                }
            }
        }
        for (int r = 0; r < 32; r++)
            if (open[r] != UINT32_MAX && !fixed_add(lv->ra, r, open[r], last[r]))
                return false;
    }
    return true;
}

/* ---- intervals ---- */

static bool intervals(struct lv *lv)
{
    struct ra *ra = lv->ra;
    struct mfunc *mf = lv->mf;
    for (uint32_t v = 0; v < mf->nvreg; v++) {
        if (lv->dblk[v] == UINT32_MAX)
            continue;
        if (!opt_grow(mf->arena, &ra->iv, &ra->cap_iv, ra->niv + 1, sizeof *ra->iv))
            return false;
        ra->iv[ra->niv] = (struct lsi){v, lv->dpos[v], lv->end[v], ra->v[v].u0, ra->v[v].u1,
                                       INT32_MIN};
        if (!opt_push(mf->arena, &ra->v[v].piece, &ra->v[v].npiece, &ra->v[v].cap_piece,
                      ra->niv++))
            return false;
    }
    return true;
}

/* Moves from or to a physical register make the virtual register prefer
 * it (the move then disappears). */
static void hints(struct ra *ra)
{
    const struct mfunc *mf = ra->mf;
    for (uint32_t i = 0; i < mf->nmi; i++) {
        const struct mi *m = &mf->mi[i];
        if (m->kind != MK_MOV)
            continue;
        if (MR_IS_V(m->def) && m->use[0] < 32 && ra->v[m->def - MR_V0].hint == MR_NONE)
            ra->v[m->def - MR_V0].hint = m->use[0];
        if (MR_IS_V(m->use[0]) && m->def < 32 && ra->v[m->use[0] - MR_V0].hint == MR_NONE)
            ra->v[m->use[0] - MR_V0].hint = m->def;
    }
}

bool opt_live(struct ra *ra)
{
    struct mfunc *mf = ra->mf;
    struct arena *a = mf->arena;
    struct lv lv = {.ra = ra, .mf = mf};
    uint32_t nv = mf->nvreg + 1, nb = mf->nblock + 1;
    ra->v = arena_array(a, nv, sizeof *ra->v);
    ra->bstart = arena_array(a, nb, sizeof *ra->bstart);
    lv.iblock = arena_array(a, mf->nmi + 1, sizeof *lv.iblock);
    lv.dpos = arena_array(a, nv, sizeof *lv.dpos);
    lv.dblk = arena_array(a, nv, sizeof *lv.dblk);
    lv.end = arena_array(a, nv, sizeof *lv.end);
    lv.stamp = arena_array(a, nb, sizeof *lv.stamp);
    lv.stack = arena_array(a, nb, sizeof *lv.stack);
    if (!ra->v || !ra->bstart || !lv.iblock || !lv.dpos || !lv.dblk || !lv.end || !lv.stamp ||
        !lv.stack)
        return false;
    memset(lv.dblk, 0xff, nv * sizeof *lv.dblk);
    for (uint32_t v = 0; v < mf->nvreg; v++) {
        ra->v[v].hint = MR_NONE;
        ra->v[v].slot = -1;
    }
    for (uint32_t b = 0; b < mf->nblock; b++) {
        ra->bstart[b] = 2 * mf->block[b].first;
        for (uint32_t i = 0; i < mf->block[b].n; i++)
            lv.iblock[mf->block[b].first + i] = b;
    }
    if (!use_positions(&lv) || !phi_uses(&lv) || !liveness(&lv) || !fixed_ranges(&lv))
        return false;
    hints(ra);
    return intervals(&lv);
}
