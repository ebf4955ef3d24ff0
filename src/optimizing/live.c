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
 * call results) get fixed ranges, from the definition to the last use;
 * the registers a call clobbers are taken by one entry for the call. */
#include <string.h>

#include "optimizing.h"

/* Range maxima of the loop ends over the headers in layout order (a
 * sparse table: level j holds the maximum of 2^j headers from each). */
struct lmax {
    uint32_t *rank;   /* per block: headers before it */
    uint32_t *lvl[32];
};

/* A definition: the register and its position. */
struct ref {
    uint32_t v, pos;
};

/* A virtual register operand: the register and where it is (position
 * << 3 | field, as in ra.use). */
struct opnd {
    uint32_t v, at;
};

struct lv {
    struct ra *ra;
    struct mfunc *mf;
    uint32_t *dpos;            /* per vreg: definition position */
    uint32_t *dblk;            /* per vreg: its definition's block, UINT32_MAX if none */
    uint32_t *end;             /* per vreg: where its last phi use ends (0: none) */
    struct ref *def;           /* the definitions in order of position */
    uint32_t ndef;
    bool messy;                /* irreducible CFG: intervals reach the function's end */
    struct lmax loops;         /* else the loops' ends */
};

static uint32_t bend(const struct mfunc *mf, uint32_t b)
{
    return 2 * (mf->block[b].first + mf->block[b].n);
}

/* ---- the walk over the instructions ----
 * One pass records, per instruction: its block, its virtual register
 * operands (as (register, position << 3 | field) pairs, to be grouped by
 * register without reading the instructions again), the definitions, the
 * hints and the fixed ranges of the physical registers it names. */

struct walk {
    struct lv *lv;
    struct opnd *ref;             /* the operands, being filled */
    uint32_t nref;
    uint32_t *cnt;                /* per vreg + 1: its operands */
    uint32_t opened, open[32], last[32]; /* fixed ranges open in the block */
};

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

/* The physical registers an instruction reads and writes: the explicit
 * ones (use, def), then the implicit ones. A call's clobbers are one
 * entry of ra->calls instead: of them only the result registers are
 * taken as written here, and the ranges open in the others are closed. */
static bool preg_masks(struct walk *w, const struct mi *m, uint32_t i, uint32_t *use,
                       uint32_t *def)
{
    *use = (*use | m->iuse) & opt_allocatable;
    *def = (*def | m->idef) & opt_allocatable;
    if (m->kind != MK_CALL)
        return true;
    struct ra *ra = w->lv->ra;
    const uint32_t results = 1u << X64_RAX | 1u << X64_XMM0;
    for (uint32_t c = *def & ~results & w->opened & ~*use; c; c &= c - 1) {
        int r = __builtin_ctz(c);
        if (!fixed_add(ra, r, w->open[r], w->last[r]))
            return false;
        w->opened &= ~(1u << r);
    }
    *def &= results | *use;
    return opt_push(ra->mf->arena, &ra->calls, &ra->ncall, &ra->cap_call, 2 * i + 1);
}

/* The fixed ranges of instruction i: a use extends (or opens) the
 * register's range, a definition closes it and opens another. Only the
 * registers an instruction names are visited. */
static bool fixed_insn(struct walk *w, const struct mi *m, uint32_t i, uint32_t use,
                       uint32_t def)
{
    if (!preg_masks(w, m, i, &use, &def))
        return false;
    for (uint32_t k = use | def; k; k &= k - 1) {
        int r = __builtin_ctz(k);
        if (use & (1u << r)) {
            if (!(w->opened & (1u << r)))
                w->open[r] = 2 * i;
            w->opened |= 1u << r;
            w->last[r] = 2 * i + 1;
        }
        if (def & (1u << r)) {
            if ((w->opened & (1u << r)) && !fixed_add(w->lv->ra, r, w->open[r], w->last[r]))
                return false;
            w->opened |= 1u << r;
            w->open[r] = 2 * i + 1;
            w->last[r] = 2 * i + 2;
        }
    }
    return true;
}

/* Closes the ranges still open at a block's end. */
static bool fixed_close(struct walk *w)
{
    for (; w->opened; w->opened &= w->opened - 1) {
        int r = __builtin_ctz(w->opened);
        if (!fixed_add(w->lv->ra, r, w->open[r], w->last[r]))
            return false;
    }
    return true;
}

/* Moves from or to a physical register make the virtual register prefer
 * it (the move then disappears). */
static void hint(struct ra *ra, const struct mi *m)
{
    if (MR_IS_V(m->def) && m->use[0] < 32 && ra->v[m->def - MR_V0].hint == MR_NONE)
        ra->v[m->def - MR_V0].hint = m->use[0];
    if (MR_IS_V(m->use[0]) && m->def < 32 && ra->v[m->use[0] - MR_V0].hint == MR_NONE)
        ra->v[m->use[0] - MR_V0].hint = m->def;
}

/* Records the virtual register operands of instruction i (uses first:
 * a def comes after the uses of the same instruction, its own order) and
 * returns the physical ones as masks. */
static void operands(struct walk *w, const struct mi *m, uint32_t i, uint32_t b, uint32_t *use,
                     uint32_t *def)
{
    const uint32_t uses[] = {[OPT_OPND_USE0] = m->use[0], [OPT_OPND_USE1] = m->use[1],
                             [OPT_OPND_BASE] = m->base, [OPT_OPND_INDEX] = m->index};
    *use = *def = 0;
    for (uint32_t k = 0; k < ARRAY_LEN(uses); k++)
        if (MR_IS_V(uses[k])) {
            w->ref[w->nref++] = (struct opnd){uses[k] - MR_V0, 2 * i << 3 | k};
            w->cnt[uses[k] - MR_V0 + 1]++;
        } else if (uses[k] < 32) {
            *use |= 1u << uses[k];
        }
    if (m->def < 32) {
        *def = 1u << m->def;
    } else if (MR_IS_V(m->def)) {
        uint32_t v = m->def - MR_V0;
        w->ref[w->nref++] = (struct opnd){v, (2 * i + 1) << 3 | OPT_OPND_DEF};
        w->cnt[v + 1]++;
        w->lv->dpos[v] = 2 * i + 1;
        w->lv->dblk[v] = b;
        w->lv->def[w->lv->ndef++] = (struct ref){v, 2 * i + 1};
    }
}

static bool scan(struct walk *w)
{
    struct mfunc *mf = w->lv->mf;
    struct ra *ra = w->lv->ra;
    for (uint32_t b = 0; b < mf->nblock; b++) {
        const struct mblock *bl = &mf->block[b];
        ra->bstart[b] = 2 * bl->first;
        w->opened = 0;
        for (uint32_t h = 0; h < bl->nphi; h++) /* in order of their registers */
            w->lv->def[w->lv->ndef++] = (struct ref){bl->phi[h].def - MR_V0, ra->bstart[b]};
        for (uint32_t i = bl->first; i < bl->first + bl->n; i++) {
            const struct mi *m = &mf->mi[i];
            uint32_t use, def;
            ra->iblock[i] = b;
            operands(w, m, i, b, &use, &def);
            if (m->kind == MK_MOV)
                hint(ra, m);
            if (!fixed_insn(w, m, i, use, def))
                return false;
        }
        if (!fixed_close(w))
            return false;
    }
    return true;
}

/* The walk, then every vreg's use positions (definitions included: they
 * need a register too) grouped by vreg, sorted as the walk was in order. */
static bool use_positions(struct lv *lv)
{
    struct mfunc *mf = lv->mf;
    struct ra *ra = lv->ra;
    uint32_t nv = mf->nvreg;
    struct walk w = {.lv = lv};
    /* at most four uses and a def per instruction */
    w.cnt = arena_array(mf->arena, nv + 1, sizeof *w.cnt);
    w.ref = arena_array_raw(mf->arena, 5 * (size_t)mf->nmi + 1, sizeof *w.ref);
    uint32_t ndef = mf->nmi;
    for (uint32_t b = 0; b < mf->nblock; b++)
        ndef += mf->block[b].nphi;
    lv->def = arena_array_raw(mf->arena, ndef + 1, sizeof *lv->def);
    if (!w.cnt || !w.ref || !lv->def || !scan(&w))
        return false;
    for (uint32_t v = 0; v < nv; v++)
        w.cnt[v + 1] += w.cnt[v];
    if (!(ra->use = arena_array_raw(mf->arena, w.nref + 1, sizeof *ra->use)))
        return false;
    for (uint32_t v = 0; v < nv; v++)
        ra->v[v].u0 = ra->v[v].u1 = w.cnt[v];
    ra->nuse = w.nref;
    for (uint32_t k = 0; k < w.nref; k++)
        ra->use[ra->v[w.ref[k].v].u1++] = w.ref[k].at;
    return true;
}

/* Phi definitions, and where phis use each register: at the end of the
 * predecessor its value comes from (it is live out of it). The uses are
 * bucketed by predecessor first, so each register's come out sorted.
 * A phi and its operands prefer one another's register (the move between
 * them then vanishes): a phi takes its first operand as a virtual hint
 * (regalloc.c reads where that one is), an operand on a back edge its
 * phi; an operand on another forward edge, placed before the phi, takes
 * the first operand (they often live on exclusive paths: one register,
 * no move on either edge). */
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
            if (ra->v[d].hint == MR_NONE && bl->phi[k].ops[0] != bl->phi[k].def)
                ra->v[d].hint = bl->phi[k].ops[0];
            for (uint32_t p = 0; p < bl->npred; p++) {
                uint32_t o = bl->phi[k].ops[p] - MR_V0;
                bcnt[bl->pred[p] + 1]++;
                vcnt[o + 1]++;
                uint32_t mate = bl->pred[p] >= b ? bl->phi[k].def : bl->phi[k].ops[0];
                if (o != d && o != mate - MR_V0 && ra->v[o].hint == MR_NONE)
                    ra->v[o].hint = mate;
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

/* The loops' ends and their range maxima (unless the CFG is irreducible). */
static bool loops(struct lv *lv)
{
    struct mfunc *mf = lv->mf;
    uint32_t *lend = arena_array_raw(mf->arena, mf->nblock + 1, sizeof *lend);
    return lend && loop_ends(lv, lend) && (lv->messy || lmax_init(lv, &lv->loops, lend));
}

/* The end of register v's interval: its last use or phi use, then every
 * loop whose header it covers (live.c's header comment). */
static uint32_t life_end(const struct lv *lv, uint32_t v)
{
    const struct ra *ra = lv->ra;
    uint32_t end = lv->end[v]; /* its phi uses' */
    if (lv->dpos[v] + 1 > end)
        end = lv->dpos[v] + 1;
    if (ra->v[v].u1 > ra->v[v].u0 && opt_upos(ra, ra->v[v].u1 - 1) + 1 > end)
        end = opt_upos(ra, ra->v[v].u1 - 1) + 1; /* uses are sorted */
    if (lv->messy)
        return 2 * lv->mf->nmi;
    for (uint32_t e; (e = lmax_query(&lv->loops, lv->dblk[v] + 1,
                                     ra->iblock[(end - 1) / 2] + 1)) > end;)
        end = e;
    return end;
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

/* Whether a sorted list of positions (shifted left by `shift`) has one
 * in [from, to). */
static bool any_in(const uint32_t *pos, uint32_t shift, uint32_t lo, uint32_t hi, uint32_t from,
                   uint32_t to)
{
    uint32_t end = hi;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (pos[mid] >> shift < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < end && pos[lo] >> shift < to;
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
        meet(ra, v, ra->iblock[opt_upos(ra, u) / 2], d, &sp);
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
    if (ra->reach[2 * s + 1] <= d + 1 && !any_in(ra->use, 3, vi->u0, vi->u1, from, to) &&
        !any_in(ra->ppos, 0, ra->pstart[v], ra->pstart[v + 1], from, to))
        return false;
    if (ra->met[d] != v + 1)
        walk(ra, v, d);
    return ra->met[s] == v + 1;
}

/* ---- intervals ---- */

/* The interval of register v if pos is its definition (not one that
 * another replaced: the last definition is the one that counts). */
static void interval(struct lv *lv, uint32_t *first, uint32_t v, uint32_t pos)
{
    struct ra *ra = lv->ra;
    if (lv->dpos[v] != pos)
        return;
    ra->iv[ra->niv] = (struct lsi){v, pos, life_end(lv, v), ra->v[v].u0, ra->v[v].u1, INT32_MIN};
    first[v] = ra->niv++;
    ra->v[v].piece = &first[v];
    ra->v[v].npiece = ra->v[v].cap_piece = 1;
}

/* One interval per defined register, numbered in order of definition
 * (a block's phis at its start, in list order, which isel made the order
 * of their registers), the order the allocator takes them in. Each register's list of
 * pieces starts as one slot of a shared array (capacity 1: a split moves
 * it to its own), so the common unsplit register costs no allocation. */
static bool intervals(struct lv *lv)
{
    struct ra *ra = lv->ra;
    struct mfunc *mf = lv->mf;
    uint32_t *first = arena_array_raw(mf->arena, mf->nvreg + 1, sizeof *first);
    /* room for the splits too, so the array seldom grows */
    if (!first || !opt_grow(mf->arena, &ra->iv, &ra->cap_iv, mf->nvreg + mf->nvreg / 4 + 8,
                            sizeof *ra->iv))
        return false;
    for (uint32_t k = 0; k < lv->ndef; k++)
        interval(lv, first, lv->def[k].v, lv->def[k].pos);
    return true;
}

bool opt_live(struct ra *ra)
{
    struct mfunc *mf = ra->mf;
    struct arena *a = mf->arena;
    struct lv lv = {.ra = ra, .mf = mf};
    if (mf->nmi >= 1u << 28) /* positions << 3 fit 32 bits */
        return err_set(ra->e, ERR_LIMIT, NO_OFFSET, "function too large to compile");
    uint32_t nv = mf->nvreg + 1, nb = mf->nblock + 1;
    ra->v = arena_array_raw(a, nv, sizeof *ra->v);
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
    for (uint32_t v = 0; v < mf->nvreg; v++) /* u0, u1: use_positions */
        ra->v[v] = (struct vinfo){.hint = MR_NONE, .slot = -1};
    if (!use_positions(&lv) || !phi_uses(&lv) || !loops(&lv))
        return false;
    reach(ra);
    return intervals(&lv);
}
