/* The phi clean-up pass: every operand is resolved through the
 * replacement table, then phis whose operands are all one value (or the
 * phi itself) are replaced by that value, with a worklist over the phis
 * that use a replaced one (Braun et al.'s recursive removal, done once
 * for the whole function). */
#include <string.h>

#include "optimizing.h"

static bool nomem(struct err *e)
{
    return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
}

/* Who uses each phi, among phis: linked lists in arrays, so that the
 * users of a replaced phi can be handed to its replacement in one step
 * (when that one goes too, they must be looked at again). */
struct users {
    uint32_t *first, *last; /* per value: list ends, or UINT32_MAX */
    uint32_t *next, *who;   /* per node */
};

static bool phi_users(struct opt_func *f, const opt_val *phis, uint32_t nphi, struct users *u)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < nphi; i++)
        total += f->insn[phis[i]].arg[1];
    u->first = arena_array_raw(f->arena, f->ninsn, sizeof *u->first);
    u->last = arena_array_raw(f->arena, f->ninsn, sizeof *u->last);
    u->next = arena_array_raw(f->arena, total + 1, sizeof *u->next);
    u->who = arena_array_raw(f->arena, total + 1, sizeof *u->who);
    if (!u->first || !u->last || !u->next || !u->who)
        return false;
    memset(u->first, 0xff, f->ninsn * sizeof *u->first);
    uint32_t k = 0;
    for (uint32_t j = 0; j < nphi; j++) {
        opt_val v = phis[j];
        uint32_t *ops, n = opt_args(f, &f->insn[v], &ops);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t o = ops[i];
            if (f->insn[o].op != OPT_PHI)
                continue;
            u->who[k] = v;
            u->next[k] = UINT32_MAX;
            if (u->first[o] == UINT32_MAX)
                u->first[o] = k;
            else
                u->next[u->last[o]] = k;
            u->last[o] = k++;
        }
    }
    return true;
}

/* Appends p's users to s's list. */
static void hand_over(struct users *u, opt_val p, opt_val s)
{
    if (u->first[p] == UINT32_MAX)
        return;
    if (u->first[s] == UINT32_MAX)
        u->first[s] = u->first[p];
    else
        u->next[u->last[s]] = u->first[p];
    u->last[s] = u->last[p];
    u->first[p] = UINT32_MAX;
}

/* The live phis, from the blocks' lists (NULL on out of memory). */
static opt_val *live_phis(struct opt_func *f, uint32_t *n)
{
    uint32_t total = 0, k = 0;
    for (uint32_t b = 0; b < f->nblock; b++)
        total += f->block[b].dead ? 0 : f->block[b].nphi;
    opt_val *phis = arena_array_raw(f->arena, total + 1, sizeof *phis);
    for (uint32_t b = 0; phis && b < f->nblock; b++)
        for (uint32_t i = 0; !f->block[b].dead && i < f->block[b].nphi; i++)
            if (!f->insn[f->block[b].phi[i]].dead)
                phis[k++] = f->block[b].phi[i];
    *n = k;
    return phis;
}

/* Replaces the trivial phis among the n in phis, a worklist over the
 * phis that use a replaced one. The builder leaves few (a phi an
 * operand's replacement or prune's dropped edges made trivial): the users
 * are worked out only when there is one. */
static bool remove_trivial(struct opt_func *f, opt_val *phis, uint32_t nphi)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < nphi; i++) {
        opt_val same = opt_phi_same(f, phis[i]);
        n += same && same != phis[i];
    }
    if (!n)
        return true;
    struct users us;
    uint8_t *queued = arena_alloc(f->arena, f->ninsn);
    if (!queued || !phi_users(f, phis, nphi, &us))
        return false;
    opt_val *work = phis;
    n = nphi;
    for (uint32_t i = 0; i < n; i++)
        queued[work[i]] = 1;
    while (n) {
        opt_val p = work[--n];
        queued[p] = 0;
        if (f->insn[p].dead)
            continue;
        opt_val same = opt_phi_same(f, p);
        if (same == p || !same) /* a phi of only itself stays (dead code) */
            continue;
        f->insn[p].dead = 1;
        opt_replace(f, p, same);
        for (uint32_t k = us.first[p]; k != UINT32_MAX; k = us.next[k]) {
            opt_val u = us.who[k];
            if (!queued[u] && !f->insn[u].dead) {
                queued[u] = 1;
                work[n++] = u;
            }
        }
        if (f->insn[same].op == OPT_PHI)
            hand_over(&us, p, same);
    }
    return true;
}

bool opt_pass_phis(struct opt_func *f, struct err *e)
{
    uint32_t replaced = f->nreplaced, n;
    if (replaced) /* the builder's replacements */
        opt_resolve_all(f);
    opt_val *phis = live_phis(f, &n);
    if (!phis || (n && !remove_trivial(f, phis, n)))
        return nomem(e);
    if (f->nreplaced != replaced)
        opt_resolve_all(f);
    for (uint32_t b = 0; f->nreplaced && b < f->nblock; b++) /* what was replaced (phis
                                                                  only) may be in a list */
        if (!f->block[b].dead)
            opt_compact_phis(f, b);
    return true;
}
