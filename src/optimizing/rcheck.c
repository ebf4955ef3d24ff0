/* The register allocation checker (debug mode): runs the allocated code
 * symbolically and checks that every operand reads the value its virtual
 * register should hold. The state maps each location (register, spill
 * slot, the hold register) to the virtual register whose value it holds;
 * moves copy, definitions write, calls and scratch registers forget. A
 * block starts with what all its predecessors agree on (a fixpoint over
 * the CFG), after each phi's location was checked to hold the right
 * operand on every incoming edge. It trusts nothing the allocator
 * computed but the rewritten operands and the moves. */
#include <string.h>

#include "optimizing.h"

enum { TOP = 0, CONFLICT = UINT32_MAX }; /* otherwise vreg + 1 */
enum { HOLD_IX = 32, SLOT_IX = 33 };

struct ck {
    struct ra *ra;
    const struct mfunc *mf;
    const struct mres *res;
    const struct mi *orig;
    struct err *e;
    uint32_t nloc;
    uint32_t *in, *out;   /* per block: state at entry and at exit */
    uint8_t *seen;        /* per block: exit state computed */
    uint32_t *st;         /* the state being simulated */
    uint32_t *gfirst;     /* per instruction: first move group, or UINT32_MAX */
};

static uint32_t ix(opt_loc l)
{
    return l == OPT_LOC_HOLD ? HOLD_IX : l >= 0 ? (uint32_t)l : SLOT_IX + (uint32_t)(-l - 1);
}

static bool fail(struct ck *c, uint32_t i, const char *what, uint32_t vreg, uint32_t reg,
                 uint32_t found)
{
    return err_set(c->e, ERR_LIMIT, NO_OFFSET,
                   "register allocation checker: func %u: instruction %u: %s v%u in %u holds "
                   "%s%u", c->mf->f->index, i, what, vreg, reg,
                   found == CONFLICT ? "conflicting values, e.g. v" : "v",
                   found == CONFLICT || found == TOP ? 0 : found - 1);
}

static void moves_at(struct ck *c, uint32_t i)
{
    const struct mres *r = c->res;
    for (uint32_t g = c->gfirst[i]; g < r->ngroups && r->groups[g].at == i; g++)
        for (uint32_t k = 0; k < r->groups[g].n; k++) {
            const struct mmove *mv = &r->moves[r->groups[g].first + k];
            c->st[ix(mv->dst)] = c->st[ix(mv->src)];
            if (mv->src < 0 && mv->dst < 0)
                c->st[OPT_SCRATCH] = CONFLICT;
        }
}

/* Checks the uses of instruction i against the state, then applies its
 * definitions and clobbers. */
static bool step(struct ck *c, uint32_t i)
{
    const struct mi *o = &c->orig[i], *m = &c->mf->mi[i];
    const uint32_t ou[] = {o->use[0], o->use[1], o->base, o->index};
    const uint32_t mu[] = {m->use[0], m->use[1], m->base, m->index};
    for (size_t k = 0; k < ARRAY_LEN(ou); k++)
        if (MR_IS_V(ou[k]) && c->st[mu[k]] != ou[k] - MR_V0 + 1)
            return fail(c, i, "operand", ou[k] - MR_V0, mu[k], c->st[mu[k]]);
    for (uint32_t r = 0; r < 32; r++)
        if ((m->idef >> r) & 1)
            c->st[r] = CONFLICT;
    c->st[OPT_SCRATCH] = c->st[OPT_XSCRATCH] = c->st[HOLD_IX] = CONFLICT;
    if (m->def == MR_NONE)
        return true;
    if (MR_IS_V(o->def))
        c->st[m->def] = o->def - MR_V0 + 1;
    else if (m->kind == MK_MOV && MR_IS_V(o->use[0])) /* into a physical register */
        c->st[m->def] = o->use[0] - MR_V0 + 1;
    else
        c->st[m->def] = CONFLICT;
    return true;
}

/* The entry state of block b: what the predecessors seen so far agree
 * on, with each phi's location holding the phi once its operand was
 * checked on every edge. */
static bool entry_state(struct ck *c, uint32_t b, uint32_t *st)
{
    const struct mblock *bl = &c->mf->block[b];
    if (b == 0) {
        for (uint32_t l = 0; l < c->nloc; l++)
            st[l] = CONFLICT;
        return true;
    }
    for (uint32_t l = 0; l < c->nloc; l++)
        st[l] = TOP;
    for (uint32_t k = 0; k < bl->npred; k++) {
        uint32_t p = bl->pred[k];
        if (!c->seen[p])
            continue;
        const uint32_t *o = c->out + (size_t)p * c->nloc;
        for (uint32_t l = 0; l < c->nloc; l++)
            st[l] = st[l] == TOP ? o[l] : st[l] == o[l] ? st[l] : CONFLICT;
        for (uint32_t h = 0; h < bl->nphi; h++) {
            uint32_t w = bl->phi[h].def - MR_V0, u = bl->phi[h].ops[k] - MR_V0;
            uint32_t l = ix(opt_loc_at(c->ra, w, c->ra->bstart[b]));
            if (o[l] != u + 1)
                return fail(c, bl->first, "phi operand", u, l, o[l]);
        }
    }
    for (uint32_t h = 0; h < bl->nphi; h++) {
        uint32_t w = bl->phi[h].def - MR_V0;
        st[ix(opt_loc_at(c->ra, w, c->ra->bstart[b]))] = w + 1;
    }
    return true;
}

/* Runs block b from its entry state; true in *changed when its exit state
 * changed. */
static bool run_block(struct ck *c, uint32_t b, bool *changed)
{
    const struct mblock *bl = &c->mf->block[b];
    if (!entry_state(c, b, c->st))
        return false;
    for (uint32_t i = bl->first; i < bl->first + bl->n; i++) {
        moves_at(c, i);
        if (!step(c, i))
            return false;
    }
    uint32_t *o = c->out + (size_t)b * c->nloc;
    *changed = !c->seen[b] || memcmp(o, c->st, c->nloc * sizeof *o) != 0;
    memcpy(o, c->st, c->nloc * sizeof *o);
    c->seen[b] = 1;
    return true;
}

bool opt_regalloc_check(struct ra *ra, const struct mres *res, const struct mi *orig,
                        struct err *e)
{
    const struct mfunc *mf = ra->mf;
    struct ck c = {.ra = ra, .mf = mf, .res = res, .orig = orig, .e = e};
    c.nloc = SLOT_IX + mf->nspill;
    c.out = arena_array(mf->arena, (size_t)mf->nblock * c.nloc + 1, sizeof *c.out);
    c.st = arena_array(mf->arena, c.nloc, sizeof *c.st);
    c.seen = arena_alloc(mf->arena, mf->nblock + 1);
    c.gfirst = arena_array(mf->arena, mf->nmi + 1, sizeof *c.gfirst);
    if (!c.out || !c.st || !c.seen || !c.gfirst)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    memset(c.gfirst, 0xff, (mf->nmi + 1) * sizeof *c.gfirst);
    for (uint32_t g = res->ngroups; g-- > 0;)
        c.gfirst[res->groups[g].at] = g;
    for (bool again = true; again;) { /* blocks in layout order until stable */
        again = false;
        for (uint32_t b = 0; b < mf->nblock; b++) {
            bool changed;
            if (!run_block(&c, b, &changed))
                return false;
            again |= changed;
        }
    }
    return true;
}
