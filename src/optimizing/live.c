/* Liveness and live intervals for the register allocator.
 *
 * Positions: instruction i reads its operands at 2i and writes its result
 * at 2i + 1; block b spans [2 first, 2 (first + n)). Every virtual
 * register gets one interval from its definition to the end of its last
 * use, of the last block it is live out of, or of the last loop it is
 * live across (no holes: a register live in two far apart blocks is taken
 * as live in between, which is safe and keeps the allocator linear). No
 * live sets are computed: loops are found once and each interval's end
 * follows from its uses (see "loops" below), so the whole is linear in
 * the code's size but for a log factor in the number of loops.
 *
 * Physical registers named by instructions (arguments, division, shifts,
 * calls) get fixed ranges, from the definition to the last use. */
#include <string.h>

#include "optimizing.h"

struct lv {
    struct ra *ra;
    struct mfunc *mf;
    uint32_t *dpos;            /* per vreg: definition position */
    uint32_t *dblk;            /* per vreg: its definition's block, UINT32_MAX if none */
    uint32_t *end;             /* per vreg: end of its interval */
    bool messy;                /* irreducible CFG: intervals reach the function's end */
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
        c->lv->dblk[v] = c->lv->ra->iblock[c->i];
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
    if (!(ra->upos = arena_array_raw(mf->arena, cnt[nv] + 1, sizeof *ra->upos)))
        return false;
    for (uint32_t v = 0; v < nv; v++)
        ra->v[v].u0 = ra->v[v].u1 = cnt[v];
    c.fill = true;
    for (c.i = 0; c.i < mf->nmi; c.i++)
        opt_mi_regs(&mf->mi[c.i], count_reg, &c);
    return true;
}

/* Phi definitions, and where phis use each register: at the end of the
 * predecessor its value comes from (it is live out of it). The uses are
 * bucketed by predecessor first, so each register's come out sorted. */
static bool phi_uses(struct lv *lv)
{
    struct mfunc *mf = lv->mf;
    struct ra *ra = lv->ra;
    uint32_t nb = mf->nblock, nv = mf->nvreg;
    uint32_t *bcnt = arena_array(mf->arena, nb + 1, sizeof *bcnt);
    uint32_t *vcnt = arena_array(mf->arena, nv + 1, sizeof *vcnt);
    if (!bcnt || !vcnt)
        return false;
    for (uint32_t b = 0; b < nb; b++) {
        const struct mblock *bl = &mf->block[b];
        for (uint32_t k = 0; k < bl->nphi; k++) {
            uint32_t d = bl->phi[k].def - MR_V0;
            lv->dpos[d] = 2 * bl->first;
            lv->dblk[d] = b;
            for (uint32_t p = 0; p < bl->npred; p++) {
                bcnt[bl->pred[p] + 1]++;
                vcnt[bl->phi[k].ops[p] - MR_V0 + 1]++;
            }
        }
    }
    for (uint32_t b = 0; b < nb; b++)
        bcnt[b + 1] += bcnt[b];
    for (uint32_t v = 0; v < nv; v++)
        vcnt[v + 1] += vcnt[v];
    uint32_t *byb = arena_array_raw(mf->arena, bcnt[nb] + 1, sizeof *byb);
    ra->ppos = arena_array_raw(mf->arena, vcnt[nv] + 1, sizeof *ra->ppos);
    ra->pstart = arena_array_raw(mf->arena, nv + 1, sizeof *ra->pstart);
    if (!byb || !ra->ppos || !ra->pstart)
        return false;
    memcpy(ra->pstart, vcnt, (nv + 1) * sizeof *vcnt);
    for (uint32_t b = 0; b < nb; b++) /* bcnt[q] moves to the end of q's bucket */
        for (uint32_t k = 0; k < mf->block[b].nphi; k++)
            for (uint32_t p = 0; p < mf->block[b].npred; p++)
                byb[bcnt[mf->block[b].pred[p]]++] = mf->block[b].phi[k].ops[p] - MR_V0;
    for (uint32_t q = 0, i = 0; q < nb; q++)
        for (; i < bcnt[q]; i++) {
            uint32_t v = byb[i];
            ra->ppos[vcnt[v]++] = bend(mf, q) - 1;
            if (bend(mf, q) > lv->end[v])
                lv->end[v] = bend(mf, q);
        }
    return true;
}

/* ---- loops ----
 * The layout is a reverse postorder, so a register's definition comes
 * before every block it is live in (it dominates them) and an edge to an
 * earlier block is a loop's back edge. A register live anywhere in a loop
 * that does not hold its definition is live into the header and so in the
 * whole loop; such a header lies after the definition and before a use
 * (it reaches one without going round a loop again). Hence the interval's
 * end: its last use, made to cover every loop whose header it covers (and
 * again for the loops that brings in), without computing live sets. A
 * loop that happens to lie between a definition and a use without the
 * register being live in it is covered too: safe, if not minimal. */

/* Union-find root with path halving. */
static uint32_t root(uint32_t *up, uint32_t b)
{
    while (up[b] != b) {
        up[b] = up[up[b]];
        b = up[b];
    }
    return b;
}

/* The end of each loop (the latest block end in it, nested loops
 * included), by header; headers are taken innermost first (latest in the
 * layout) and each loop found is collapsed into its header (Tarjan's
 * method for reducible graphs: linear but for the union-find). Sets
 * lv->messy when the CFG is irreducible (never from wasm). */
static bool loop_ends(struct lv *lv, uint32_t *lend)
{
    struct mfunc *mf = lv->mf;
    uint32_t nb = mf->nblock, nedge = 0;
    for (uint32_t b = 0; b < nb; b++)
        nedge += mf->block[b].npred;
    /* a block is pushed once per edge out of it at most, for each header */
    uint32_t *up = arena_array_raw(mf->arena, nb, sizeof *up);
    uint32_t *work = arena_array_raw(mf->arena, nedge + 1, sizeof *work);
    if (!up || !work)
        return false;
    for (uint32_t b = 0; b < nb; b++) {
        up[b] = b;
        lend[b] = 0;
    }
    for (uint32_t h = nb; h-- > 0;) {
        const struct mblock *hb = &mf->block[h];
        uint32_t n = 0, end = bend(mf, h);
        for (uint32_t k = 0; k < hb->npred; k++)
            if (hb->pred[k] >= h)
                work[n++] = hb->pred[k];
        if (!n)
            continue;
        while (n) {
            uint32_t x = root(up, work[--n]);
            if (x == h)
                continue;
            if (x < h) { /* reaches the latch around the header */
                lv->messy = true;
                return true;
            }
            up[x] = h;
            uint32_t xe = lend[x] ? lend[x] : bend(mf, x);
            end = xe > end ? xe : end;
            for (uint32_t k = 0; k < mf->block[x].npred; k++)
                work[n++] = mf->block[x].pred[k];
        }
        lend[h] = end;
    }
    return true;
}

/* Range maxima of the loop ends over the headers in layout order (a
 * sparse table: level j holds the maximum of 2^j headers from each). */
struct lmax {
    uint32_t *rank;   /* per block: headers before it */
    uint32_t *lvl[32];
};

static bool lmax_init(struct lv *lv, struct lmax *t, const uint32_t *lend)
{
    struct mfunc *mf = lv->mf;
    uint32_t nb = mf->nblock, nh = 0;
    if (!(t->rank = arena_array_raw(mf->arena, nb + 1, sizeof *t->rank)))
        return false;
    for (uint32_t b = 0; b < nb; b++) {
        t->rank[b] = nh;
        nh += lend[b] != 0;
    }
    t->rank[nb] = nh;
    for (uint32_t j = 0; (1u << j) <= nh; j++) {
        if (!(t->lvl[j] = arena_array_raw(mf->arena, nh, sizeof *t->lvl[j])))
            return false;
        for (uint32_t i = 0, b = 0; j == 0 && b < nb; b++)
            if (lend[b])
                t->lvl[0][i++] = lend[b];
        for (uint32_t i = 0; j > 0 && i + (1u << j) <= nh; i++) {
            uint32_t x = t->lvl[j - 1][i], y = t->lvl[j - 1][i + (1u << (j - 1))];
            t->lvl[j][i] = x > y ? x : y;
        }
    }
    return true;
}

/* The latest loop end among the headers of blocks lo .. hi - 1. */
static uint32_t lmax_query(const struct lmax *t, uint32_t lo, uint32_t hi)
{
    uint32_t i = t->rank[lo], k = t->rank[hi];
    if (i >= k)
        return 0;
    uint32_t j = 31 - (uint32_t)__builtin_clz(k - i);
    uint32_t x = t->lvl[j][i], y = t->lvl[j][k - (1u << j)];
    return x > y ? x : y;
}

/* The end of every register's interval: its last use or phi use, then
 * every loop whose header it covers (live.c's header comment). */
static bool liveness(struct lv *lv)
{
    struct mfunc *mf = lv->mf;
    const struct ra *ra = lv->ra;
    uint32_t *lend = arena_array_raw(mf->arena, mf->nblock + 1, sizeof *lend);
    struct lmax t = {0};
    if (!lend || !loop_ends(lv, lend) || (!lv->messy && !lmax_init(lv, &t, lend)))
        return false;
    for (uint32_t v = 0; v < mf->nvreg; v++) {
        if (lv->dblk[v] == UINT32_MAX)
            continue;
        uint32_t *end = &lv->end[v];
        if (lv->dpos[v] + 1 > *end)
            *end = lv->dpos[v] + 1;
        if (ra->v[v].u1 > ra->v[v].u0 && ra->upos[ra->v[v].u1 - 1] + 1 > *end)
            *end = ra->upos[ra->v[v].u1 - 1] + 1; /* uses are sorted */
        if (lv->messy) {
            *end = 2 * mf->nmi;
            continue;
        }
        for (uint32_t e; (e = lmax_query(&t, lv->dblk[v] + 1,
                                         ra->iblock[(*end - 1) / 2] + 1)) > *end;)
            *end = e;
    }
    return true;
}

/* How far each block reaches in the layout (ra->reach): by forward edges
 * only later blocks, the rest through the back edges it can take. The
 * resolver skips moves into a block a register cannot be live into. */
static void reach(struct ra *ra)
{
    const struct mfunc *mf = ra->mf;
    for (uint32_t b = mf->nblock; b-- > 0;) {
        const struct mblock *bl = &mf->block[b];
        uint32_t end = bend(mf, b), back = 0;
        for (uint32_t k = 0; k < bl->nsucc; k++) {
            uint32_t t = bl->succ[k];
            uint32_t te = t <= b ? 0 : ra->reach[2 * t], tb = t <= b ? t + 1 : ra->reach[2 * t + 1];
            end = te > end ? te : end;
            back = tb > back ? tb : back;
        }
        ra->reach[2 * b] = end;
        ra->reach[2 * b + 1] = back;
    }
}

/* Whether a sorted list of positions has one in [from, to). */
static bool any_in(const uint32_t *pos, uint32_t lo, uint32_t hi, uint32_t from, uint32_t to)
{
    uint32_t end = hi;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (pos[mid] < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < end && pos[lo] < to;
}

/* Pushes block b on the walk of register v unless it met b already. */
static void meet(struct ra *ra, uint32_t v, uint32_t b, uint32_t d, uint32_t *sp)
{
    if (b != d && ra->met[b] != v + 1) {
        ra->met[b] = v + 1;
        ra->stack[(*sp)++] = b;
    }
}

/* Marks the blocks v is live into (ra->met), by path exploration over the
 * SSA form (Brandner et al., "Computing Liveness Sets for SSA-Form
 * Programs", 2011): from each use, up the predecessors to the definition.
 * Costs the number of blocks met. */
static void walk(struct ra *ra, uint32_t v, uint32_t d)
{
    const struct mfunc *mf = ra->mf;
    uint32_t sp = 0;
    ra->met[d] = v + 1; /* not live into it: the walk stops there */
    for (uint32_t u = ra->v[v].u0; u < ra->v[v].u1; u++)
        meet(ra, v, ra->iblock[ra->upos[u] / 2], d, &sp);
    for (uint32_t k = ra->pstart[v]; k < ra->pstart[v + 1]; k++) /* live out of these */
        meet(ra, v, ra->iblock[ra->ppos[k] / 2], d, &sp);
    while (sp) {
        const struct mblock *bl = &mf->block[ra->stack[--sp]];
        for (uint32_t k = 0; k < bl->npred; k++)
            meet(ra, v, bl->pred[k], d, &sp);
    }
}

/* Most questions are settled by the blocks s reaches: v is dead there
 * when none of its uses lies in them and s can go round no loop v may be
 * live across (one whose header is after v's definition's block, which
 * dominates every block v is live in). The rest walk once per register. */
bool opt_live_in(struct ra *ra, uint32_t v, uint32_t s)
{
    const struct vinfo *vi = &ra->v[v];
    uint32_t from = ra->bstart[s], to = ra->reach[2 * s];
    uint32_t d = ra->iblock[ra->iv[vi->piece[0]].start / 2];
    if (ra->reach[2 * s + 1] <= d + 1 && !any_in(ra->upos, vi->u0, vi->u1, from, to) &&
        !any_in(ra->ppos, ra->pstart[v], ra->pstart[v + 1], from, to))
        return false;
    if (ra->met[d] != v + 1)
        walk(ra, v, d);
    return ra->met[s] == v + 1;
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
    uint32_t *first = arena_array_raw(mf->arena, mf->nvreg + 1, sizeof *first);
    /* room for the splits too, so the array seldom grows */
    if (!first || !opt_grow(mf->arena, &ra->iv, &ra->cap_iv, mf->nvreg + mf->nvreg / 4 + 8,
                            sizeof *ra->iv))
        return false;
    for (uint32_t v = 0; v < mf->nvreg; v++) {
        if (lv->dblk[v] == UINT32_MAX)
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
    struct lv lv = {.ra = ra, .mf = mf};
    uint32_t nv = mf->nvreg + 1, nb = mf->nblock + 1;
    ra->v = arena_array(a, nv, sizeof *ra->v);
    ra->bstart = arena_array_raw(a, nb, sizeof *ra->bstart);
    ra->iblock = arena_array_raw(a, mf->nmi + 1, sizeof *ra->iblock);
    ra->reach = arena_array_raw(a, 2 * nb, sizeof *ra->reach);
    ra->met = arena_array(a, nb, sizeof *ra->met);
    ra->stack = arena_array_raw(a, nb, sizeof *ra->stack);
    lv.dblk = arena_array_raw(a, nv, sizeof *lv.dblk);
    lv.dpos = arena_array_raw(a, nv, sizeof *lv.dpos);
    lv.end = arena_array(a, nv, sizeof *lv.end);
    if (!ra->v || !ra->bstart || !ra->iblock || !ra->reach || !ra->met || !ra->stack || !lv.dpos || !lv.dblk || !lv.end)
        return false;
    memset(lv.dblk, 0xff, nv * sizeof *lv.dblk);
    for (uint32_t v = 0; v < mf->nvreg; v++) {
        ra->v[v].hint = MR_NONE;
        ra->v[v].slot = -1;
    }
    for (uint32_t b = 0; b < mf->nblock; b++) {
        ra->bstart[b] = 2 * mf->block[b].first;
        for (uint32_t i = 0; i < mf->block[b].n; i++)
            ra->iblock[mf->block[b].first + i] = b;
    }
    if (!use_positions(&lv) || !phi_uses(&lv) || !liveness(&lv) || !fixed_ranges(&lv))
        return false;
    hints(ra);
    reach(ra);
    return intervals(&lv);
}
