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
 * the definition; the blocks met are those the register is live into.
 * Nothing is stored per block: the resolver walks again for the few
 * registers that were split (opt_live_walk), the only ones that may need
 * moves on edges. A walk costs the number of blocks it meets.
 *
 * Physical registers named by instructions (arguments, division, shifts,
 * calls) get fixed ranges, from the definition to the last use. */
#include <string.h>

#include "optimizing.h"

struct lv {
    struct ra *ra;
    struct mfunc *mf;
    struct live_facts *lf;     /* = &ra->lf */
    uint32_t *dpos;            /* per vreg: definition position */
    uint32_t *end;             /* per vreg: end of its interval */
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
        c->lv->lf->dblk[v] = c->lv->lf->iblock[c->i];
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
                lv->lf->dblk[d] = b;
                for (uint32_t p = 0; p < bl->npred; p++) {
                    uint32_t v = bl->phi[k].ops[p] - MR_V0;
                    if (round == 0)
                        cnt[v + 1]++;
                    else
                        lv->lf->pblk[lv->lf->pstart[v] + cnt[v]++] = bl->pred[p];
                }
            }
        }
        if (round == 0) {
            for (uint32_t v = 0; v < nv; v++)
                cnt[v + 1] += cnt[v];
            lv->lf->pstart = cnt;
            if (!(lv->lf->pblk = arena_array(mf->arena, cnt[nv] + 1, sizeof *lv->lf->pblk)) ||
                !(cnt = arena_array(mf->arena, nv + 1, sizeof *cnt)))
                return false;
        }
    }
    return true;
}

/* ---- liveness ---- */

/* Pushes b on the walk's stack unless this walk met it already. */
static void meet(struct live_facts *l, uint32_t b, uint32_t *sp)
{
    if (l->stamp[b] != l->gen) {
        l->stamp[b] = l->gen;
        l->stack[(*sp)++] = b;
    }
}

bool opt_live_walk(struct ra *ra, uint32_t v, bool (*visit)(void *ctx, uint32_t v, uint32_t b),
                   void *ctx)
{
    struct live_facts *l = &ra->lf;
    const struct mfunc *mf = ra->mf;
    uint32_t sp = 0, d = l->dblk[v];
    l->gen++;
    for (uint32_t u = ra->v[v].u0; u < ra->v[v].u1; u++) {
        uint32_t b = l->iblock[ra->upos[u] / 2];
        if (b != d)
            meet(l, b, &sp);
    }
    for (uint32_t k = l->pstart[v]; k < l->pstart[v + 1]; k++) /* live out of these */
        if (l->pblk[k] != d)
            meet(l, l->pblk[k], &sp);
    while (sp) {
        uint32_t b = l->stack[--sp];
        if (!visit(ctx, v, b))
            return false;
        const struct mblock *bl = &mf->block[b];
        for (uint32_t k = 0; k < bl->npred; k++)
            if (bl->pred[k] != d)
                meet(l, bl->pred[k], &sp);
    }
    return true;
}

/* v is live into b, so out of each of b's predecessors. */
static bool extend(void *ctx, uint32_t v, uint32_t b)
{
    struct lv *lv = ctx;
    const struct mblock *bl = &lv->mf->block[b];
    for (uint32_t k = 0; k < bl->npred; k++)
        if (bend(lv->mf, bl->pred[k]) > lv->end[v])
            lv->end[v] = bend(lv->mf, bl->pred[k]);
    return true;
}

/* The end of every register's interval: its last use, or the end of the
 * last block it is live out of. */
static bool liveness(struct lv *lv)
{
    struct mfunc *mf = lv->mf;
    const struct ra *ra = lv->ra;
    const struct live_facts *l = lv->lf;
    for (uint32_t v = 0; v < mf->nvreg; v++) {
        if (l->dblk[v] == UINT32_MAX)
            continue;
        lv->end[v] = lv->dpos[v] + 1;
        if (ra->v[v].u1 > ra->v[v].u0 && ra->upos[ra->v[v].u1 - 1] + 1 > lv->end[v])
            lv->end[v] = ra->upos[ra->v[v].u1 - 1] + 1; /* uses are sorted */
        for (uint32_t k = l->pstart[v]; k < l->pstart[v + 1]; k++)
            if (bend(mf, l->pblk[k]) > lv->end[v])
                lv->end[v] = bend(mf, l->pblk[k]);
        if (!opt_live_walk(lv->ra, v, extend, lv))
            return false;
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

/* Only the registers an instruction names are visited (a mask of the open
 * ranges says which are open), so the cost is the number of mentions. */
static bool fixed_ranges(struct lv *lv)
{
    struct mfunc *mf = lv->mf;
    uint32_t open[32], last[32];
    for (uint32_t b = 0; b < mf->nblock; b++) {
        uint32_t opened = 0;
        const struct mblock *bl = &mf->block[b];
        for (uint32_t i = bl->first; i < bl->first + bl->n; i++) {
            uint32_t use, def;
            preg_masks(&mf->mi[i], &use, &def);
            for (uint32_t m = use | def; m; m &= m - 1) {
                int r = __builtin_ctz(m);
                if (use & (1u << r)) {
                    if (!(opened & (1u << r)))
                        open[r] = 2 * i;
                    opened |= 1u << r;
                    last[r] = 2 * i + 1;
                }
                if (def & (1u << r)) {
                    if ((opened & (1u << r)) && !fixed_add(lv->ra, r, open[r], last[r]))
                        return false;
                    opened |= 1u << r;
                    open[r] = 2 * i + 1;
                    last[r] = 2 * i + 2;
                }
            }
        }
        for (; opened; opened &= opened - 1) {
            int r = __builtin_ctz(opened);
            if (!fixed_add(lv->ra, r, open[r], last[r]))
                return false;
        }
    }
    return true;
}

/* ---- intervals ---- */

/* One interval per defined register. Each register's list of pieces
 * starts as one slot of a shared array (capacity 1: a split moves it to
 * its own), so the common unsplit register costs no allocation. */
static bool intervals(struct lv *lv)
{
    struct ra *ra = lv->ra;
    struct mfunc *mf = lv->mf;
    uint32_t *first = arena_array(mf->arena, mf->nvreg + 1, sizeof *first);
    /* room for the splits too, so the array seldom grows */
    if (!first || !opt_grow(mf->arena, &ra->iv, &ra->cap_iv, mf->nvreg + mf->nvreg / 4 + 8,
                            sizeof *ra->iv))
        return false;
    for (uint32_t v = 0; v < mf->nvreg; v++) {
        if (lv->lf->dblk[v] == UINT32_MAX)
            continue;
        ra->iv[ra->niv] = (struct lsi){v, lv->dpos[v], lv->end[v], ra->v[v].u0, ra->v[v].u1,
                                       INT32_MIN};
        first[v] = ra->niv++;
        ra->v[v].piece = &first[v];
        ra->v[v].npiece = ra->v[v].cap_piece = 1;
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
    struct live_facts *l = &ra->lf;
    struct lv lv = {.ra = ra, .mf = mf, .lf = l};
    uint32_t nv = mf->nvreg + 1, nb = mf->nblock + 1;
    ra->v = arena_array(a, nv, sizeof *ra->v);
    ra->bstart = arena_array(a, nb, sizeof *ra->bstart);
    l->iblock = arena_array(a, mf->nmi + 1, sizeof *l->iblock);
    l->dblk = arena_array(a, nv, sizeof *l->dblk);
    l->stamp = arena_array(a, nb, sizeof *l->stamp);
    l->stack = arena_array(a, nb, sizeof *l->stack);
    lv.dpos = arena_array(a, nv, sizeof *lv.dpos);
    lv.end = arena_array(a, nv, sizeof *lv.end);
    if (!ra->v || !ra->bstart || !l->iblock || !lv.dpos || !l->dblk || !lv.end || !l->stamp ||
        !l->stack)
        return false;
    memset(l->dblk, 0xff, nv * sizeof *l->dblk);
    for (uint32_t v = 0; v < mf->nvreg; v++) {
        ra->v[v].hint = MR_NONE;
        ra->v[v].slot = -1;
    }
    for (uint32_t b = 0; b < mf->nblock; b++) {
        ra->bstart[b] = 2 * mf->block[b].first;
        for (uint32_t i = 0; i < mf->block[b].n; i++)
            l->iblock[mf->block[b].first + i] = b;
    }
    if (!use_positions(&lv) || !phi_uses(&lv) || !liveness(&lv) || !fixed_ranges(&lv))
        return false;
    hints(ra);
    return intervals(&lv);
}
