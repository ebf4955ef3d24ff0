/* Dead code elimination: marks what is needed, starting from every
 * instruction with an effect (stores, calls, traps, terminators, heap
 * loads, which may trap) and following operands; everything else goes.
 * Unlike the use counts isel keeps, this removes cycles nobody needs, such
 * as a loop variable only updated from itself (a phi and its increment),
 * which would otherwise hold a register through the loop. Linear: each
 * instruction is marked and scanned once. */
#include "optimizing.h"

/* Per op: it stays whether or not anything uses it (loads: see root). */
static const bool effect[OPT_OP_COUNT] = {
#define X(id, name, shape, flags) \
    [OPT_##id] = OPT_##id == OPT_PARAM || !((flags) & OF_PURE) || ((flags) & OF_TRAPS),
    OPT_OPS(X)
#undef X
};

/* True when v must stay whether or not anything uses it. */
static bool root(const struct opt_insn *in)
{
    if (in->op == OPT_LOAD) /* runtime state loads cannot fault */
        return (in->aux & MEM_HEAP) != 0;
    return effect[in->op];
}

/* live[] per id: not reached yet (0), needed (1) or killed by the sweep
 * (2: nothing after it used it, but a phi before it may). */
enum { UNSEEN, LIVE, KILLED };

/* Marks the operands of live instruction v; one defined at or after v,
 * which the sweep has passed (a phi's operand from a back edge) and
 * killed, comes back to life and is marked through work, with the
 * operands of its own. Operands are resolved already (every pass before
 * leaves them so: verify.c), so none is dead before this pass. */
static void mark_operands(struct opt_func *f, opt_val v, uint8_t *live, uint32_t *work)
{
    uint32_t n = 0, *args, k = opt_args(f, &f->insn[v], &args);
    for (;;) {
        for (uint32_t i = 0; i < k; i++) {
            opt_val a = args[i];
            if (live[a] == LIVE)
                continue;
            if (live[a] == KILLED)
                f->insn[a].dead = 0; /* its block stays marked stale: harmless */
            live[a] = LIVE;
            if (a >= v)
                work[n++] = a;
        }
        if (!n)
            return;
        k = opt_args(f, &f->insn[work[--n]], &args);
    }
}

bool opt_pass_dce(struct opt_func *f, struct err *e)
{
    uint8_t *live = arena_alloc(f->arena, f->ninsn);
    uint32_t *work = arena_array_raw(f->arena, f->ninsn, sizeof *work);
    if (!live || !work)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    /* One sweep down the ids: an operand is nearly always defined before
     * its user (phis and loops aside), so it is marked before the sweep
     * reaches it, and the instructions are read in order, once. What the
     * sweep reaches unmarked is killed there (a later phi operand brings
     * it back): no second sweep. The instructions of removed blocks are
     * dead already (prune, branch): no look at the blocks, which would
     * miss the cache for each. */
    for (opt_val v = f->ninsn; v-- > 1;) {
        const struct opt_insn *in = &f->insn[v];
        if (!live[v] && (in->dead || in->block >= f->nblock || !root(in))) {
            if (!in->dead) {
                opt_kill(f, v);
                live[v] = KILLED;
            }
            continue;
        }
        live[v] = LIVE;
        mark_operands(f, v, live, work);
    }
    return true;
}
