/* After allocation: the moves that keep every value where its pieces say
 * (Wimmer's "resolution"), and the rewrite of operands to registers.
 *
 * - Inside a block, where a register's piece ends and the next begins in
 *   another place (a spill, a reload, a change of register).
 * - On each edge, for every register live into the successor and every
 *   phi: from where the value is at the end of the predecessor to where it
 *   is expected at the start of the successor. With critical edges split,
 *   such moves go before the predecessor's jump when it has one successor,
 *   else at the start of the successor, which then has one predecessor.
 *
 * The moves at one place happen at once (a parallel move); they are made
 * sequential here, breaking cycles through the hold register. */
#include <stddef.h>
#include <string.h>

#include "optimizing.h"

/* A move and where it goes: key = 3 * instruction index + phase, the
 * phase at one instruction being 0 for edges in (at a block's start), 1
 * for splits and spill stores, 2 for edges out (before a block's jump); a
 * block of a lone jump has both edge kinds at its one instruction. The
 * moves are sorted by key (opt_live keeps 3 * instructions in 32 bits). */
struct raw {
    uint32_t key;
    opt_loc src, dst;
};

struct rs {
    struct ra *ra;
    struct mres *out;
    struct raw *raw;
    uint32_t nraw, cap_raw;
    uint32_t *split, nsplit;  /* the registers split in pieces, in order */
    uint32_t *readers;  /* per location: pending moves reading it */
    uint32_t *writer;   /* per location: the pending move writing it, or UINT32_MAX */
    uint32_t *ready, nready;
};

static bool nomem(struct rs *r)
{
    return err_set(r->ra->e, ERR_NOMEM, NO_OFFSET, "out of memory");
}

static bool raw_add(struct rs *r, uint32_t at, uint8_t phase, opt_loc src, opt_loc dst)
{
    if (src == dst)
        return true;
    if (r->nraw == r->cap_raw &&
        !opt_grow(r->ra->mf->arena, &r->raw, &r->cap_raw, r->nraw + 1, sizeof *r->raw))
        return nomem(r);
    r->raw[r->nraw++] = (struct raw){3 * at + phase, src, dst};
    return true;
}

/* Moves where a register's consecutive pieces differ inside a block, and
 * the one store of a spilled register: right after its definition (a
 * phi's: at its block's start), so its slot holds it from then on and no
 * move into the slot is ever needed again (spill stores stay out of
 * loops; a loop-carried phi living in its slot costs nothing on the back
 * edges that do not change it). */
static bool split_moves(struct rs *r)
{
    const struct ra *ra = r->ra;
    for (uint32_t v = 0; v < ra->mf->nvreg; v++) {
        const struct vinfo *vi = &ra->v[v];
        if (!vi->npiece)
            continue;
        const struct lsi *p0 = &ra->iv[vi->piece[0]];
        if (vi->slot >= 0 && p0->loc >= 0 &&
            !raw_add(r, (p0->start + 1) / 2, 1, p0->loc, -(vi->slot + 1)))
            return false;
        if (vi->npiece > 1)
            r->split[r->nsplit++] = v;
        for (uint32_t k = 1; k < vi->npiece; k++) {
            const struct lsi *a = &ra->iv[vi->piece[k - 1]], *b = &ra->iv[vi->piece[k]];
            bool first = ra->bstart[ra->iblock[b->start / 2]] == (b->start & ~1u);
            if (b->loc >= 0 && !first && !raw_add(r, b->start / 2, 1, a->loc, b->loc))
                return false;
        }
    }
    return true;
}

/* Where the moves on the edge from block s's k-th predecessor go (*at,
 * *phase), and the position at the end of that predecessor. */
static uint32_t edge_at(const struct mfunc *mf, uint32_t s, uint32_t k, uint32_t *at,
                        uint8_t *phase)
{
    const struct mblock *sb = &mf->block[s], *pb = &mf->block[sb->pred[k]];
    bool out = pb->nsucc == 1;
    *at = out ? pb->first + pb->n - 1 : sb->first;
    *phase = out ? 2 : 0;
    return 2 * (pb->first + pb->n) - 1;
}

/* Moves for the phis of block s on every edge into it (a phi of itself
 * in its slot needs none). */
static bool phi_moves(struct rs *r, uint32_t s)
{
    const struct ra *ra = r->ra;
    const struct mblock *sb = &ra->mf->block[s];
    for (uint32_t k = 0; k < sb->npred; k++) {
        uint32_t at;
        uint8_t phase;
        uint32_t end = edge_at(ra->mf, s, k, &at, &phase);
        for (uint32_t i = 0; i < sb->nphi; i++) {
            const struct mphi *ph = &sb->phi[i];
            opt_loc dst = ra->iv[ra->v[ph->def - MR_V0].piece[0]].loc; /* born here */
            const struct vinfo *o = &ra->v[ph->ops[k] - MR_V0];
            opt_loc src = o->npiece == 1 && ra->iv[o->piece[0]].start <= end /* the usual */
                              ? ra->iv[o->piece[0]].loc
                              : opt_loc_at(ra, ph->ops[k] - MR_V0, end);
            if ((ph->ops[k] != ph->def || dst >= 0) && !raw_add(r, at, phase, src, dst))
                return false;
        }
    }
    return true;
}

/* The first block starting at or after position pos (nblock if none). */
static uint32_t block_from(const struct ra *ra, uint32_t pos)
{
    const struct mfunc *mf = ra->mf;
    if (pos >= 2 * mf->nmi)
        return mf->nblock;
    uint32_t b = ra->iblock[pos / 2];
    return ra->bstart[b] < pos ? b + 1 : b;
}

/* Where the predecessors of blocks end, as a segment tree (node k covers
 * its children 2k and 2k + 1; the leaves n .. n + nblock - 1 are the
 * blocks, padded to a power of two with nodes that match nothing): the
 * earliest and the latest end under each node, so that the blocks with an
 * edge from outside a piece are found without looking at the others.
 * Built in linear time (a sparse table's n log n was a sixth of the
 * resolver on large functions). */
struct pends {
    uint32_t *lo, *hi;
    uint32_t n;
};

static bool pends_init(struct rs *r, struct pends *t)
{
    const struct mfunc *mf = r->ra->mf;
    uint32_t nb = mf->nblock;
    for (t->n = 1; t->n < nb; t->n *= 2)
        ;
    t->lo = arena_array_raw(mf->arena, 2 * t->n, sizeof *t->lo);
    t->hi = arena_array_raw(mf->arena, 2 * t->n, sizeof *t->hi);
    if (!t->lo || !t->hi)
        return nomem(r);
    for (uint32_t i = 0; i < t->n; i++) {
        uint32_t lo = UINT32_MAX, hi = 0, np = i < nb ? mf->block[i].npred : 0;
        for (uint32_t k = 0; k < np; k++) {
            const struct mblock *p = &mf->block[mf->block[i].pred[k]];
            uint32_t e = 2 * (p->first + p->n) - 1;
            lo = e < lo ? e : lo;
            hi = e > hi ? e : hi;
        }
        t->lo[t->n + i] = lo;
        t->hi[t->n + i] = hi;
    }
    for (uint32_t k = t->n; k-- > 1;) {
        uint32_t a = t->lo[2 * k], b = t->lo[2 * k + 1], c = t->hi[2 * k], d = t->hi[2 * k + 1];
        t->lo[k] = a < b ? a : b;
        t->hi[k] = c > d ? c : d;
    }
    return true;
}

/* Whether a block under node k has a predecessor ending outside [from, to). */
static inline bool pends_out(const struct pends *t, uint32_t k, uint32_t from, uint32_t to)
{
    return t->lo[k] < from || t->hi[k] >= to;
}

/* The first block under node k with a predecessor ending outside [from, to)
 * (there is one). */
static uint32_t pends_down(const struct pends *t, uint32_t k, uint32_t from, uint32_t to)
{
    while (k < t->n)
        k = pends_out(t, 2 * k, from, to) ? 2 * k : 2 * k + 1;
    return k - t->n;
}

/* The first block in [s, b) with a predecessor ending outside [from, to),
 * or b: the nodes covering [s, b) are visited left to right (those of the
 * right flank are met right to left on the way up: kept on a stack). */
static uint32_t pends_next(const struct pends *t, uint32_t s, uint32_t b, uint32_t from,
                           uint32_t to)
{
    uint32_t right[32], nright = 0;
    for (uint32_t l = s + t->n, h = b + t->n; l < h; l /= 2, h /= 2) {
        if ((l & 1) && pends_out(t, l, from, to))
            return pends_down(t, l, from, to);
        l += l & 1;
        if (h & 1)
            right[nright++] = --h;
    }
    while (nright--)
        if (pends_out(t, right[nright], from, to))
            return pends_down(t, right[nright], from, to);
    return b;
}

/* Moves for split register v: at the start of each block its interval
 * covers (but its definition's) and v is live into, v is expected in the
 * piece there; when that is a register, every edge in brings v from where
 * it is at the end of the predecessor (which the interval covers, as v is
 * live out of it). None is needed into a slot, which holds v from its
 * definition on. Only the blocks of register pieces with an edge from
 * outside the piece are looked at, and liveness is asked only where a
 * move would be made. */
static bool live_moves(struct rs *r, const struct pends *t, uint32_t v)
{
    struct ra *ra = r->ra;
    const struct mfunc *mf = ra->mf;
    const struct vinfo *vi = &ra->v[v];
    uint32_t born = ra->iv[vi->piece[0]].start, dies = ra->iv[vi->piece[vi->npiece - 1]].end;
    for (uint32_t k = 0; k < vi->npiece; k++) {
        const struct lsi *p = &ra->iv[vi->piece[k]];
        if (p->loc < 0)
            continue;
        uint32_t b = block_from(ra, p->end);
        for (uint32_t s = pends_next(t, block_from(ra, p->start > born ? p->start : born + 1), b,
                                     p->start, p->end);
             s < b; s = pends_next(t, s + 1, b, p->start, p->end)) {
            for (uint32_t j = 0; j < mf->block[s].npred; j++) {
                uint32_t at;
                uint8_t phase;
                uint32_t end = edge_at(mf, s, j, &at, &phase);
                if (end < born || end >= dies || (end >= p->start && end < p->end))
                    continue; /* not live out of it, or in this piece there too */
                opt_loc src = opt_loc_at(ra, v, end);
                if (src != p->loc && opt_live_in(ra, v, s) && !raw_add(r, at, phase, src, p->loc))
                    return false;
            }
        }
    }
    return true;
}

/* Moves on the edges: for the phis, and for the registers that were
 * split (only they can be in different places at the two ends). */
static bool edge_moves(struct rs *r)
{
    struct ra *ra = r->ra;
    struct pends t = {0};
    for (uint32_t b = 0; b < ra->mf->nblock; b++)
        if (!phi_moves(r, b))
            return false;
    if (r->nsplit && !pends_init(r, &t))
        return false;
    for (uint32_t k = 0; k < r->nsplit; k++)
        if (!live_moves(r, &t, r->split[k]))
            return false;
    return true;
}

/* Sorts the moves by (instruction, phase), keeping the order they were
 * made in otherwise: a radix sort in two stable counting passes over
 * digits of half the key's bits, linear in the moves and in the square
 * root of the instructions. */
static bool sort_raw(struct rs *r)
{
    struct arena *a = r->ra->mf->arena;
    uint32_t bits = 1;
    while ((1ull << bits) < 3ull * r->ra->mf->nmi)
        bits++;
    uint32_t half = (bits + 1) / 2, nb = 1u << half;
    uint32_t *cnt = arena_array_raw(a, nb + 1, sizeof *cnt);
    struct raw *from = r->raw, *to = arena_array_raw(a, r->nraw + 1, sizeof *to);
    if (!cnt || !to)
        return nomem(r);
    for (uint32_t shift = 0; shift < 2 * half; shift += half) {
        memset(cnt, 0, (nb + 1) * sizeof *cnt);
        for (uint32_t i = 0; i < r->nraw; i++)
            cnt[(from[i].key >> shift & (nb - 1)) + 1]++;
        for (uint32_t k = 0; k < nb; k++)
            cnt[k + 1] += cnt[k];
        for (uint32_t i = 0; i < r->nraw; i++)
            to[cnt[from[i].key >> shift & (nb - 1)]++] = from[i];
        struct raw *t = from;
        from = to;
        to = t;
    }
    r->raw = from; /* after two passes: the caller's array again */
    return true;
}

/* ---- parallel moves ---- */

/* Index of a location in the per-location tables. */
static uint32_t lix(opt_loc l)
{
    return l == OPT_LOC_HOLD ? 32 : l >= 0 ? (uint32_t)l : 33 + (uint32_t)(-l - 1);
}

static bool out_move(struct rs *r, opt_loc src, opt_loc dst)
{
    struct mres *o = r->out;
    if (o->nmoves == o->cap_moves &&
        !opt_grow(r->ra->mf->arena, &o->moves, &o->cap_moves, o->nmoves + 1, sizeof *o->moves))
        return nomem(r);
    o->moves[o->nmoves++] = (struct mmove){src, dst};
    return true;
}

/* Emits the moves g[0..n) in an order that reads every location before it
 * is written; a cycle is broken by saving one location in the hold
 * register first. */
static bool sequence(struct rs *r, struct raw *g, uint32_t n)
{
    if (n == 1) /* most places have one move */
        return out_move(r, g->src, g->dst);
    for (uint32_t i = 0; i < n; i++) {
        r->readers[lix(g[i].src)]++;
        r->writer[lix(g[i].dst)] = i;
    }
    r->nready = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!r->readers[lix(g[i].dst)])
            r->ready[r->nready++] = i;
    uint32_t left = n;
    while (left) {
        if (!r->nready) { /* only cycles remain: free one destination */
            uint32_t i = 0;
            while (r->writer[lix(g[i].dst)] != i || g[i].src == g[i].dst)
                i++;
            opt_loc d = g[i].dst;
            if (!out_move(r, d, OPT_LOC_HOLD))
                return false;
            for (uint32_t k = 0; k < n; k++)
                if (g[k].src == d && r->writer[lix(g[k].dst)] == k) {
                    g[k].src = OPT_LOC_HOLD;
                    r->readers[lix(d)]--;
                }
            r->ready[r->nready++] = i;
        }
        uint32_t i = r->ready[--r->nready];
        if (!out_move(r, g[i].src, g[i].dst))
            return false;
        r->writer[lix(g[i].dst)] = UINT32_MAX;
        g[i].dst = g[i].src; /* done: reads and writes nothing any more */
        left--;
        uint32_t s = lix(g[i].src);
        if (g[i].src != OPT_LOC_HOLD && --r->readers[s] == 0 && r->writer[s] != UINT32_MAX)
            r->ready[r->nready++] = r->writer[s];
    }
    for (uint32_t i = 0; i < n; i++)
        r->readers[lix(g[i].src)] = 0;
    return true;
}

bool opt_resolve_moves(struct ra *ra, struct mres *out)
{
    struct mfunc *mf = ra->mf;
    struct rs r = {.ra = ra, .out = out};
    *out = (struct mres){0};
    uint32_t nloc = 33 + mf->nspill;
    r.readers = arena_array(mf->arena, nloc, sizeof *r.readers);
    r.writer = arena_array_raw(mf->arena, nloc, sizeof *r.writer);
    r.split = arena_array_raw(mf->arena, mf->nvreg + 1, sizeof *r.split);
    if (!r.readers || !r.writer || !r.split)
        return nomem(&r);
    memset(r.writer, 0xff, nloc * sizeof *r.writer);
    if (!split_moves(&r))
        return false;
    if (!edge_moves(&r))
        return false;
    if (r.nraw && !sort_raw(&r))
        return false;
    /* the moves, and a few to break cycles; a group per move at most */
    if (!(r.ready = arena_array_raw(mf->arena, r.nraw + 1, sizeof *r.ready)) ||
        !opt_grow(mf->arena, &out->moves, &out->cap_moves, r.nraw + r.nraw / 8 + 8,
                  sizeof *out->moves) ||
        !opt_grow(mf->arena, &out->groups, &out->cap_groups, r.nraw + 1, sizeof *out->groups))
        return nomem(&r);
    for (uint32_t i = 0, j; i < r.nraw; i = j) {
        j = i;
        while (j < r.nraw && r.raw[j].key == r.raw[i].key)
            j++;
        uint32_t start = out->nmoves;
        if (!sequence(&r, r.raw + i, j - i))
            return false;
        out->groups[out->ngroups++] = (struct mgroup){r.raw[i].key / 3, start, out->nmoves - start};
    }
    return true;
}

/* ---- rewrite ---- */

/* Each piece's uses (the pieces of a register share out its uses) take
 * its location, written into the operand field each names. A use no
 * piece covers is of a register never defined. */
bool opt_rewrite(struct ra *ra)
{
    static const uint8_t off[] = {
        [OPT_OPND_USE0] = offsetof(struct mi, use[0]), [OPT_OPND_USE1] = offsetof(struct mi, use[1]),
        [OPT_OPND_BASE] = offsetof(struct mi, base), [OPT_OPND_INDEX] = offsetof(struct mi, index),
        [OPT_OPND_DEF] = offsetof(struct mi, def)};
    char *mi = (char *)ra->mf->mi;
    const uint32_t *use = ra->use;
    uint32_t covered = 0;
    bool bad = false;
    for (const struct lsi *p = ra->iv, *end = ra->iv + ra->niv; p < end; p++) {
        uint32_t u0 = p->u0, u1 = p->u1, loc = (uint32_t)p->loc;
        covered += u1 - u0;
        bad |= p->loc < 0 && u1 > u0;
        for (uint32_t u = u0; u < u1; u++) {
            uint32_t at = use[u]; /* position << 3 | field; instruction = position / 2 */
            memcpy(mi + (size_t)(at >> 4) * sizeof(struct mi) + off[at & 7], &loc, sizeof loc);
        }
    }
    return (!bad && covered == ra->nuse) ||
           err_set(ra->e, ERR_LIMIT, NO_OFFSET,
                   "register allocation failed: an operand has no register");
}
