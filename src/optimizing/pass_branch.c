/* Branch folding and block merging. A brif on a constant becomes a jump
 * (the edge not taken goes, with its phi operands, and blocks nothing
 * reaches any more are pruned); a brif whose condition is a comparison
 * with zero tests the compared value directly or swaps its targets; a
 * block that jumps to a block with no other predecessor absorbs it, so
 * chains of straight-line blocks become one (fewer jumps, and later
 * passes see longer blocks). Jumps to blocks that hold only a jump are
 * threaded at emission (emit.c), not here. The dominator tree is
 * forgotten only when the CFG changed (seldom: producers fold most of
 * this already), or the targets swapped (the layout the tree was made
 * with is then stale; opt_pass_strip does most of that before). */
#include "optimizing.h"

/* Replaces b's brif by a jump to its successor `keep` (0 or 1). */
static void fold_brif(struct opt_func *f, uint32_t b, struct opt_insn *t, uint32_t keep)
{
    struct opt_block *bl = &f->block[b];
    uint32_t gone = bl->succ[1 - keep];
    t->op = OPT_JMP;
    t->arg[0] = 0;
    opt_edge_remove(f, b, gone);
}

/* brif (icmp eq x, 0) -> brif x with the targets swapped; brif (icmp ne
 * x, 0) -> brif x (for an i32 x). True when the targets were swapped. */
static bool strip_compare(struct opt_func *f, uint32_t b, struct opt_insn *t)
{
    bool swapped = false;
    for (;;) {
        const struct opt_insn *c = &f->insn[t->arg[0]];
        const struct opt_insn *z = &f->insn[c->arg[1]];
        if (c->op != OPT_ICMP || (c->aux != ICC_EQ && c->aux != ICC_NE) ||
            z->op != OPT_ICONST || z->imm != 0 || f->insn[c->arg[0]].type != OPT_I32)
            return swapped;
        if (c->aux == ICC_EQ) {
            struct opt_block *bl = &f->block[b];
            uint32_t s = bl->succ[0];
            bl->succ[0] = bl->succ[1];
            bl->succ[1] = s;
            swapped = !swapped;
        }
        t->arg[0] = c->arg[0];
    }
}

/* b jumps to s, s's only predecessor: s's instructions (its phis are
 * trivial and replaced) move to b, and b takes over s's successors. */
static bool merge(struct opt_func *f, uint32_t b, uint32_t s, uint32_t *replaced)
{
    struct opt_block *bl = &f->block[b], *sl = &f->block[s];
    *replaced += sl->nphi;
    for (uint32_t i = 0; i < sl->nphi; i++) {
        opt_val p = sl->phi[i];
        if (f->insn[p].dead)
            continue;
        opt_kill(f, p);
        opt_replace(f, p, f->extra[f->insn[p].arg[0]]);
    }
    f->insn[bl->insn[--bl->ninsn]].dead = 1; /* the jmp */
    for (uint32_t i = 0; i < sl->ninsn; i++) {
        if (!opt_in_block(f, sl->insn[i], s))
            continue;
        f->insn[sl->insn[i]].block = b;
        if (!opt_push(f->arena, &bl->insn, &bl->ninsn, &bl->cap_insn, sl->insn[i]))
            return false;
    }
    bl = &f->block[b];
    bl->succ = sl->succ;
    bl->nsucc = sl->nsucc;
    bl->cap_succ = sl->cap_succ;
    for (uint32_t i = 0; i < bl->nsucc; i++) {
        struct opt_block *x = &f->block[bl->succ[i]];
        x->pred[opt_pred_index(f, bl->succ[i], s)] = b;
    }
    *sl = (struct opt_block){.dead = true};
    return true;
}

/* Replaces the phis that edges removed left with one value (GVN, which
 * runs before, replaces the others); returns how many. */
static uint32_t one_valued(struct opt_func *f)
{
    uint32_t n = 0;
    for (uint32_t b = 0; b < f->nblock; b++) {
        const struct opt_block *bl = &f->block[b];
        for (uint32_t i = 0; !bl->dead && i < bl->nphi; i++) {
            opt_val p = bl->phi[i], same = opt_phi_same(f, p);
            if (same && same != p) {
                opt_kill(f, p);
                opt_replace(f, p, same);
                n++;
            }
        }
    }
    return n;
}

/* The block b jumps to, if b may absorb it. A jmp has one successor and
 * a brif two (the verifier's rule): the block's count is read before its
 * terminator, which is a cache miss in a large function. */
static uint32_t mergeable(const struct opt_func *f, uint32_t b)
{
    const struct opt_insn *t = f->block[b].nsucc == 1 ? opt_term(f, b) : NULL;
    if (!t || t->op != OPT_JMP)
        return UINT32_MAX;
    uint32_t s = f->block[b].succ[0];
    return s != b && s != 0 && f->block[s].npred == 1 ? s : UINT32_MAX;
}

/* The brif of block b, or NULL. */
static struct opt_insn *brif_of(const struct opt_func *f, uint32_t b)
{
    const struct opt_block *bl = &f->block[b];
    struct opt_insn *t = !bl->dead && bl->nsucc == 2 ? opt_term(f, b) : NULL;
    return t && t->op == OPT_BRIF ? t : NULL;
}

/* True for icmp eq (icmp a b), 0, which fold inverts into one compare
 * (opt_pass_strip leaves it to fold, as the pipeline did before it). */
static bool foldable(const struct opt_func *f, opt_val v)
{
    const struct opt_insn *c = &f->insn[v];
    return c->op == OPT_ICMP && c->aux == ICC_EQ && f->insn[c->arg[0]].op == OPT_ICMP;
}

bool opt_pass_strip(struct opt_func *f, struct err *e)
{
    (void)e;
    for (uint32_t b = 0; b < f->nblock; b++) {
        struct opt_insn *t = brif_of(f, b);
        if (t && !foldable(f, t->arg[0]))
            strip_compare(f, b, t);
    }
    return true;
}

bool opt_pass_branch(struct opt_func *f, struct err *e)
{
    bool pruned = false, merged = false, swapped = false;
    uint32_t replaced = 0;
    for (uint32_t b = 0; b < f->nblock; b++) {
        struct opt_insn *t = brif_of(f, b);
        if (!t)
            continue;
        t->arg[0] = opt_resolve(f, t->arg[0]);
        swapped |= strip_compare(f, b, t);
        const struct opt_insn *c = &f->insn[t->arg[0]];
        if (c->op == OPT_ICONST) {
            fold_brif(f, b, t, c->imm ? 0 : 1);
            pruned = true;
        }
    }
    if (pruned) /* prune kills every entry of a dead block's lists: no stale ones there */
        opt_compact(f);
    if (pruned && !opt_pass_prune(f, e))
        return false;
    if (pruned)
        replaced += one_valued(f);
    for (uint32_t b = 0; b < f->nblock; b++)
        for (uint32_t s; !f->block[b].dead && (s = mergeable(f, b)) != UINT32_MAX;)
            if (!(merged = merge(f, b, s, &replaced)))
                return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    if (replaced)
        opt_resolve_all(f);
    /* the tree's layout (opt_pass_split_order) is stale: forgotten. Stale
     * list entries stay: pipeline.c compacts after the opts. */
    if (pruned || merged || swapped)
        f->dom = NULL;
    return true;
}
