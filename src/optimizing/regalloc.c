/* Linear-scan register allocation with interval splitting, after Wimmer
 * and Mössenböck, "Optimized Interval Splitting in a Linear Scan Register
 * Allocator" (VEE 2005), on intervals without holes (live.c).
 *
 * Intervals are taken in order of their start. A free register for the
 * whole interval is taken if there is one (the hints first: where a move
 * from a physical register, a two-address operand or a phi partner wants
 * it; then a caller-saved register, which costs no save). A register free
 * for a while is taken for that while and the rest is split off and
 * queued, if that while reaches the first use (else the piece waits in
 * its slot until that use: a register holding it only where it is not
 * read would cost a move in and one out).
 * When every register is busy, the one whose holder needs it again the
 * latest is freed: its holder is split, the rest spilled to the stack up
 * to its next use, from where it is queued again; or, when the interval
 * itself needs a register later than all of them, it is the one spilled.
 * Physical registers named by instructions (fixed ranges) are never given
 * over them. Each step looks at the 30 registers only, so the whole is
 * linear in the number of intervals. Spill slots are reused once their
 * register is dead. */
#include <string.h>

#include "optimizing.h"

enum { NOBODY = UINT32_MAX, FAR = UINT32_MAX };

/* A min-heap of 64-bit keys: (position << 32 | id) pairs. */
struct heap {
    uint64_t *k;
    uint32_t n, cap;
};

struct ls {
    struct ra *ra;
    struct mfunc *mf;
    struct heap todo;                /* pieces split off, waiting: (start, id) */
    uint32_t nfirst, next;           /* live.c's intervals (ids by start), the next one */
    uint32_t holder[32];             /* piece holding each busy register */
    uint32_t hend[32];               /* where each holder ends (its end, cached) */
    uint32_t huse[32];               /* each holder's next use, as an index in ra.use */
    uint32_t busy;                   /* registers with a holder (mask; one whose holder
                                        ended is freed when looked at: avail) */
    uint32_t fc[32];                 /* cursor in each fixed range list, */
    uint32_t fnow[2][32];            /* and that range (FAR, FAR: none left) */
    uint32_t call, cnext;            /* cursor in the calls, and that call (or FAR) */
    uint32_t caller;                 /* opt_caller_saved (read for every piece) */
    uint32_t regs[2];                /* the allocatable registers: integer, XMM */
    struct heap slots;               /* slots by owner's end (stale entries skipped) */
    uint32_t *slot_end, cap_slot_end; /* per slot: when its last owner dies */
    uint32_t *pstart, *partner;      /* per vreg: phi partners (CSR) */
    uint32_t pos;
};

static bool nomem(struct ls *s)
{
    return err_set(s->ra->e, ERR_NOMEM, NO_OFFSET, "out of memory");
}

static bool heap_push(struct ls *s, struct heap *h, uint32_t pos, uint32_t id)
{
    if (!opt_grow(s->mf->arena, &h->k, &h->cap, h->n + 1, sizeof *h->k))
        return nomem(s);
    uint32_t i = h->n++;
    h->k[i] = (uint64_t)pos << 32 | id;
    while (i > 0 && h->k[(i - 1) / 2] > h->k[i]) {
        uint64_t t = h->k[i];
        h->k[i] = h->k[(i - 1) / 2];
        h->k[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return true;
}

/* Removes the smallest key and returns its id. */
static uint32_t heap_pop(struct heap *h)
{
    uint32_t top = (uint32_t)h->k[0];
    h->k[0] = h->k[--h->n];
    for (uint32_t i = 0;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->k[l] < h->k[m])
            m = l;
        if (r < h->n && h->k[r] < h->k[m])
            m = r;
        if (m == i)
            break;
        uint64_t t = h->k[i];
        h->k[i] = h->k[m];
        h->k[m] = t;
        i = m;
    }
    return top;
}

static bool queue(struct ls *s, uint32_t id)
{
    return heap_push(s, &s->todo, s->ra->iv[id].start, id);
}

/* The waiting piece with the smallest (start, id), or NOBODY. */
static uint32_t next_piece(struct ls *s)
{
    if (s->next < s->nfirst) {
        uint32_t id = s->next;
        if (!s->todo.n || ((uint64_t)s->ra->iv[id].start << 32 | id) < s->todo.k[0]) {
            s->next++;
            return id;
        }
    }
    return s->todo.n ? heap_pop(&s->todo) : NOBODY;
}

/* ---- spill slots ----
 * A spilled register is stored to its slot right after its definition
 * (resolve.c), so the slot is its own from the definition to its end. A
 * slot whose previous owner ended before that definition is reused. */

/* A free slot for a register born at `born`: a phi partner's (a phi and
 * its operands in one slot make the move on that edge disappear), else
 * the one freed earliest, else a new one. */
static uint32_t pick_slot(struct ls *s, uint32_t v, uint32_t born)
{
    for (uint32_t k = s->pstart[v]; k < s->pstart[v + 1]; k++) {
        int32_t ps = s->ra->v[s->partner[k]].slot;
        if (ps >= 0 && s->slot_end[ps] <= born)
            return (uint32_t)ps;
    }
    while (s->slots.n) {
        uint32_t end = (uint32_t)(s->slots.k[0] >> 32), free = (uint32_t)s->slots.k[0];
        if (end != s->slot_end[free]) { /* taken again since */
            heap_pop(&s->slots);
            continue;
        }
        if (end > born)
            break;
        heap_pop(&s->slots);
        return free;
    }
    return s->mf->nspill++;
}

/* Links every phi with its operands both ways (CSR, in order of block,
 * phi and edge). A register's count: its uses by phis (live.c counted
 * them: ra.pstart), and its phi's edges if it is one. */
static bool phi_partners(struct ls *s)
{
    const struct mfunc *mf = s->mf;
    const uint32_t *used = s->ra->pstart;
    uint32_t nv = mf->nvreg;
    uint32_t *start = arena_array_raw(mf->arena, nv + 1, sizeof *start);
    uint32_t *cnt = arena_array(mf->arena, nv + 1, sizeof *cnt);
    if (!start || !cnt)
        return nomem(s);
    for (uint32_t b = 0; b < mf->nblock; b++)
        for (uint32_t h = 0; h < mf->block[b].nphi; h++)
            cnt[mf->block[b].phi[h].def - MR_V0] += mf->block[b].npred;
    start[0] = 0;
    for (uint32_t v = 0; v < nv; v++)
        start[v + 1] = start[v] + cnt[v] + (used[v + 1] - used[v]);
    memset(cnt, 0, nv * sizeof *cnt);
    s->pstart = start;
    if (!(s->partner = arena_array_raw(mf->arena, start[nv] + 1, sizeof *s->partner)))
        return nomem(s);
    for (uint32_t b = 0; b < mf->nblock; b++)
        for (uint32_t h = 0; h < mf->block[b].nphi; h++) {
            const struct mphi *ph = &mf->block[b].phi[h];
            for (uint32_t k = 0; k < mf->block[b].npred; k++) {
                uint32_t w = ph->def - MR_V0, u = ph->ops[k] - MR_V0;
                s->partner[start[w] + cnt[w]++] = u;
                s->partner[start[u] + cnt[u]++] = w;
            }
        }
    return true;
}

/* Gives v a slot unless it has one (the phi partners are linked at the
 * first spill: most functions never spill). */
static bool slot_for(struct ls *s, uint32_t v, opt_loc *loc)
{
    struct vinfo *vi = &s->ra->v[v];
    if (vi->slot < 0) {
        if (!s->pstart && !phi_partners(s))
            return false;
        uint32_t slot = pick_slot(s, v, s->ra->iv[vi->piece[0]].start);
        uint32_t dies = s->ra->iv[vi->piece[vi->npiece - 1]].end; /* splits keep it */
        vi->slot = (int32_t)slot;
        if (!opt_grow(s->mf->arena, &s->slot_end, &s->cap_slot_end, s->mf->nspill,
                      sizeof *s->slot_end) ||
            !heap_push(s, &s->slots, dies, slot))
            return false;
        s->slot_end[slot] = dies;
    }
    *loc = -(vi->slot + 1);
    return true;
}

/* ---- pieces ---- */

/* The piece of vreg holding position pos (the last one starting at or
 * before it), or NOBODY. */
static uint32_t piece_at(const struct ra *ra, uint32_t vreg, uint32_t pos)
{
    const struct vinfo *v = &ra->v[vreg];
    if (v->npiece == 1) /* most registers are never split */
        return ra->iv[v->piece[0]].start <= pos ? v->piece[0] : NOBODY;
    uint32_t lo = 0, hi = v->npiece;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (ra->iv[v->piece[mid]].start <= pos)
            lo = mid;
        else
            hi = mid;
    }
    return v->npiece && ra->iv[v->piece[lo]].start <= pos ? v->piece[lo] : NOBODY;
}

/* Splits piece id at position p (inside it): the piece keeps [start, p),
 * a new piece gets [p, end) and the uses from p on. Returns the new id or
 * NOBODY on out of memory. */
static uint32_t split(struct ls *s, uint32_t id, uint32_t p)
{
    struct ra *ra = s->ra;
    if (!opt_grow(s->mf->arena, &ra->iv, &ra->cap_iv, ra->niv + 1, sizeof *ra->iv)) {
        nomem(s);
        return NOBODY;
    }
    struct lsi *x = &ra->iv[id];
    uint32_t u = x->u0;
    while (u < x->u1 && opt_upos(ra, u) < p)
        u++;
    uint32_t nid = ra->niv++;
    ra->iv[nid] = (struct lsi){x->vreg, p, x->end, u, x->u1, INT32_MIN};
    x->end = p;
    x->u1 = u;
    struct vinfo *vi = &ra->v[x->vreg];
    if (!opt_push(s->mf->arena, &vi->piece, &vi->npiece, &vi->cap_piece, nid)) {
        nomem(s);
        return NOBODY;
    }
    uint32_t k = vi->npiece - 1; /* keep the pieces in order of start */
    while (k > 0 && ra->iv[vi->piece[k - 1]].start > p) {
        vi->piece[k] = vi->piece[k - 1];
        vi->piece[--k] = nid;
    }
    return nid;
}

/* Puts piece id on the stack; its part from its first use on is queued
 * again (it needs a register there). */
static bool spill(struct ls *s, uint32_t id)
{
    struct lsi *x = &s->ra->iv[id];
    if (!slot_for(s, x->vreg, &x->loc))
        return false;
    if (x->u0 == x->u1)
        return true;
    uint32_t p = opt_upos(s->ra, x->u0) & ~1u;
    if (p <= x->start)
        return err_set(s->ra->e, ERR_LIMIT, NO_OFFSET, "register allocation failed");
    uint32_t rest = split(s, id, p);
    return rest != NOBODY && queue(s, rest);
}

/* Gives r to piece id for all its life. */
static inline void take(struct ls *s, uint32_t id, int r)
{
    s->ra->iv[id].loc = r;
    s->holder[r] = id;
    s->huse[r] = s->ra->iv[id].u0;
    if (!((s->caller >> r) & 1))
        s->mf->used_saved |= 1u << r;
    s->busy |= 1u << r;
    s->hend[r] = s->ra->iv[id].end;
}

/* Gives r to piece id, splitting off and queueing what lies past `until`. */
static bool assign(struct ls *s, uint32_t id, int r, uint32_t until)
{
    bool part = until < s->ra->iv[id].end;
    uint32_t rest = part ? split(s, id, until & ~1u) : NOBODY;
    if (part && rest == NOBODY)
        return false;
    take(s, id, r);
    return !part || queue(s, rest);
}

/* ---- registers ---- */

/* Moves r's fixed range cursor to range k (by pairs). */
static void fixed_at(struct ls *s, int r, uint32_t k)
{
    bool more = k < s->ra->nfix[r];
    s->fc[r] = k;
    s->fnow[0][r] = more ? s->ra->fix[r][k] : FAR;
    s->fnow[1][r] = more ? s->ra->fix[r][k + 1] : FAR;
}

/* Where r next becomes unavailable because of a fixed range or a call
 * (for a caller-saved r): the current position when one covers it, FAR
 * when none comes. */
static uint32_t fixed_next(struct ls *s, int r)
{
    while (s->fnow[1][r] <= s->pos)
        fixed_at(s, r, s->fc[r] + 2);
    uint32_t next = s->fnow[0][r];
    if (((s->caller >> r) & 1) && s->cnext < next)
        next = s->cnext;
    return next > s->pos ? next : s->pos;
}

/* The next use of r's holder at or after position pos (which only grows
 * while it holds r: a cursor). */
static uint32_t next_use(struct ls *s, int r, uint32_t pos)
{
    const struct lsi *x = &s->ra->iv[s->holder[r]];
    while (s->huse[r] < x->u1 && opt_upos(s->ra, s->huse[r]) < pos)
        s->huse[r]++;
    return s->huse[r] < x->u1 ? opt_upos(s->ra, s->huse[r]) : FAR;
}

/* The register a two-address instruction defining the piece wants: its
 * first operand's, when that operand dies there. */
static int operand_hint(const struct ls *s, const struct lsi *x)
{
    if (!(x->start & 1))
        return -1;
    const struct mi *m = &s->mf->mi[x->start / 2];
    if (!MR_IS_V(m->use[0]))
        return -1;
    uint32_t id = piece_at(s->ra, m->use[0] - MR_V0, x->start - 1);
    if (id == NOBODY)
        return -1;
    const struct lsi *p = &s->ra->iv[id];
    return p->end == x->start && p->loc >= 0 ? p->loc : -1;
}

/* The register piece x's register would like: its physical hint, or
 * where its phi mate is (live.c: a phi's first operand, a back edge's
 * operand's phi, a forward edge's operand's first sibling), or failing that what the mate would like; -1 if none. */
static int mate_hint(const struct ls *s, const struct lsi *x)
{
    uint32_t h = s->ra->v[x->vreg].hint;
    for (int hop = 0; hop < 2 && MR_IS_V(h); hop++) {
        const struct vinfo *m = &s->ra->v[h - MR_V0];
        uint32_t id = piece_at(s->ra, h - MR_V0, x->start);
        if (id != NOBODY || m->npiece) {
            opt_loc l = s->ra->iv[id == NOBODY ? m->piece[0] : id].loc;
            if (l >= 0)
                return l;
        }
        h = m->hint;
    }
    return h < 32 ? (int)h : -1;
}

/* The best partial fit so far: the register free the longest, for how
 * long (ties to the lowest register). */
struct fit {
    int r;
    uint32_t until;
};

/* Whether free register r can hold piece x for all its life; else notes
 * how long it can in *f. */
static inline bool fits(struct ls *s, const struct lsi *x, int r, struct fit *f)
{
    uint32_t until = fixed_next(s, r);
    if (until >= x->end)
        return true;
    if (until > f->until || (until == f->until && f->r >= 0 && r < f->r))
        *f = (struct fit){r, until};
    return false;
}

/* Whether register r is free at the scan's position. A holder that ended
 * frees it here: registers are expired when looked at, so a piece that
 * takes the first register it looks at costs no walk over the others. */
static inline bool avail(struct ls *s, int r)
{
    if (!((s->busy >> r) & 1))
        return true;
    if (s->hend[r] > s->pos)
        return false;
    s->busy &= ~(1u << r);
    return true;
}

/* The first free register of `regs` (ascending) that fits piece x, or -1. */
static inline int first_fit(struct ls *s, const struct lsi *x, uint32_t regs, struct fit *f)
{
    for (; regs; regs &= regs - 1)
        if (avail(s, __builtin_ctz(regs)) && fits(s, x, __builtin_ctz(regs), f))
            return __builtin_ctz(regs);
    return -1;
}

/* A free register for piece id: the first free for its whole life, in
 * order of preference (each group in ascending order): the hints, then
 * the caller-saved registers (no save needed), then the others; else the
 * one free the longest, for that while. Most pieces take the first
 * register looked at. */
static bool try_free(struct ls *s, uint32_t id, bool *done)
{
    struct lsi *x = &s->ra->iv[id];
    uint32_t free = s->regs[s->mf->vclass[x->vreg] & 1]; /* those not yet looked at */
    struct fit f = {-1, 0};
    int r = -1;
    *done = true;
    for (int k = 0, h; k < 2 && r < 0; k++) /* the hints */
        if ((h = k ? mate_hint(s, x) : operand_hint(s, x)) >= 0 && ((free >> h) & 1)) {
            r = avail(s, h) && fits(s, x, h, &f) ? h : -1;
            free &= ~(1u << h);
        }
    if (r < 0)
        r = first_fit(s, x, free & s->caller, &f);
    if (r < 0)
        r = first_fit(s, x, free & ~s->caller, &f);
    if (r >= 0) {
        take(s, id, r);
        return true;
    }
    uint32_t first = x->u0 < x->u1 ? opt_upos(s->ra, x->u0) : FAR;
    if (f.r >= 0 && (f.until & ~1u) > first)
        return assign(s, id, f.r, f.until);
    if (f.r >= 0 && (f.until & ~1u) > x->start)
        return spill(s, id); /* a register only where it is not needed: moves for nothing */
    *done = false;
    return true;
}

/* Every register is busy (try_free looked at all of the class, so their
 * busy bits are exact): free the one needed again the latest, or spill
 * the piece itself when it needs a register later than all of those. */
static bool blocked(struct ls *s, uint32_t id)
{
    struct lsi *x = &s->ra->iv[id];
    uint32_t first = x->u0 < x->u1 ? opt_upos(s->ra, x->u0) : FAR;
    uint32_t inst = s->pos & ~1u;
    int best = -1;
    uint32_t best_use = 0, best_block = 0;
    for (uint32_t regs = s->regs[s->mf->vclass[x->vreg] & 1]; regs; regs &= regs - 1) {
        int r = __builtin_ctz(regs);
        uint32_t block = fixed_next(s, r), use = block;
        if (block < x->end && (block & ~1u) <= x->start)
            continue; /* cannot hold it even for a moment */
        if ((s->busy >> r) & 1) {
            uint32_t nu = next_use(s, r, inst);
            if ((nu & ~1u) == inst)
                continue; /* its holder is an operand right here */
            use = nu < use ? nu : use;
        }
        if (use > best_use) {
            best = r;
            best_use = use;
            best_block = block;
        }
    }
    if (best < 0 || (best_use <= first && (first & ~1u) > x->start))
        return spill(s, id);
    if ((s->busy >> best) & 1) {
        uint32_t a = s->holder[best];
        s->busy &= ~(1u << best);
        uint32_t rest = s->ra->iv[a].start >= inst ? a : split(s, a, inst);
        if (rest == NOBODY || !spill(s, rest))
            return false;
    }
    return assign(s, id, best, best_block);
}

/* Moves the scan to position pos (never backwards). */
static void advance(struct ls *s, uint32_t pos)
{
    const struct ra *ra = s->ra;
    s->pos = pos;
    while (s->call < ra->ncall && ra->calls[s->call] < pos) /* [c, c + 1) is past */
        s->call++;
    s->cnext = s->call < ra->ncall ? ra->calls[s->call] : FAR;
}

bool opt_regalloc(struct ra *ra)
{
    struct mfunc *mf = ra->mf;
    struct ls s = {.ra = ra, .mf = mf, .caller = opt_caller_saved,
                   .regs = {opt_allocatable & 0x0000ffffu, opt_allocatable & 0xffff0000u}};
    for (int r = 0; r < 32; r++)
        fixed_at(&s, r, 0);
    s.nfirst = ra->niv;
    for (uint32_t id; (id = next_piece(&s)) != NOBODY;) {
        advance(&s, ra->iv[id].start);
        bool done;
        if (!try_free(&s, id, &done) || (!done && !blocked(&s, id)))
            return false;
    }
    return true;
}

opt_loc opt_loc_at(const struct ra *ra, uint32_t vreg, uint32_t pos)
{
    uint32_t id = piece_at(ra, vreg, pos);
    return id == NOBODY ? INT32_MIN : ra->iv[id].loc;
}
