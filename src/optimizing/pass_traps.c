/* Removal of redundant trap checks. Once `trap_if c` has run, c is known
 * to be zero in the rest of its block and in every block it dominates, so
 * a later `trap_if c` there can never fire and goes. Run after GVN, which
 * makes equal conditions one value (a second division by the same
 * divisor, the same call_indirect index checked twice, the same bounds
 * check in bounds-check mode). Checks on constant conditions are folded
 * earlier (pass_fold.c: a division by a non-zero constant keeps none).
 * One walk of the dominator tree with an undo list: linear; none when no
 * two checks test the same condition (most functions). */
#include <string.h>

#include "optimizing.h"

struct traps {
    struct opt_func *f;
    uint8_t *known;         /* per value: known to be zero here */
    uint32_t *undo, nundo;  /* values marked, in order */
    uint32_t *mark;         /* per block: nundo when it was entered */
};

static void enter(void *ctx, uint32_t b)
{
    struct traps *t = ctx;
    struct opt_func *f = t->f;
    const struct opt_block *bl = &f->block[b];
    t->mark[b] = t->nundo;
    for (uint32_t k = 0; k < bl->ninsn; k++) {
        struct opt_insn *in = &f->insn[bl->insn[k]];
        if (in->op != OPT_TRAP_IF || !opt_in_block(f, bl->insn[k], b))
            continue;
        opt_val c = in->arg[0] = opt_resolved(f, in->arg[0]);
        if (t->known[c]) {
            in->dead = 1;
            continue;
        }
        t->known[c] = 1;
        t->undo[t->nundo++] = c;
    }
}

static void leave(void *ctx, uint32_t b)
{
    struct traps *t = ctx;
    while (t->nundo > t->mark[b])
        t->known[t->undo[--t->nundo]] = 0;
}

/* True when two live checks test one condition (marking the conditions
 * in seen): otherwise the walk would find nothing. One sweep over the
 * instructions in id order, which is cheap beside walking the blocks. */
static bool repeated(struct opt_func *f, uint8_t *seen)
{
    bool twice = false;
    for (opt_val v = 1; v < f->ninsn; v++) {
        struct opt_insn *in = &f->insn[v];
        if (in->op != OPT_TRAP_IF || in->dead)
            continue;
        opt_val c = in->arg[0] = opt_resolved(f, in->arg[0]);
        twice |= seen[c];
        seen[c] = 1;
    }
    return twice;
}

bool opt_pass_traps(struct opt_func *f, struct err *e)
{
    struct traps t = {.f = f};
    if (!(t.known = arena_alloc(f->arena, f->ninsn)))
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    if (!repeated(f, t.known))
        return true;
    memset(t.known, 0, f->ninsn);
    const struct opt_domtree *dt = opt_domtree(f, e);
    if (!dt)
        return false;
    t.undo = arena_array_raw(f->arena, f->ninsn, sizeof *t.undo);
    t.mark = arena_array_raw(f->arena, f->nblock, sizeof *t.mark);
    if (!t.undo || !t.mark)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    return opt_domwalk(f, dt, enter, leave, &t, e);
}
