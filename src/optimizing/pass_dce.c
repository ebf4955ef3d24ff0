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

bool opt_pass_dce(struct opt_func *f, struct err *e)
{
    uint8_t *live = arena_alloc(f->arena, f->ninsn);
    uint32_t *work = arena_array_raw(f->arena, f->ninsn, sizeof *work), n = 0;
    if (!live || !work)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    /* the instructions of removed blocks are dead already (prune, branch):
     * no look at the blocks, which would miss the cache for each */
    for (opt_val v = 1; v < f->ninsn; v++) {
        const struct opt_insn *in = &f->insn[v];
        if (!in->dead && in->block < f->nblock && root(in)) {
            live[v] = 1;
            work[n++] = v;
        }
    }
    while (n) {
        const struct opt_insn *in = &f->insn[work[--n]];
        uint32_t *args, k = opt_args(f, in, &args);
        for (uint32_t i = 0; i < k; i++) {
            opt_val a = opt_resolved(f, args[i]);
            args[i] = a;
            if (!live[a]) {
                live[a] = 1;
                work[n++] = a;
            }
        }
    }
    for (opt_val v = 1; v < f->ninsn; v++)
        if (!live[v])
            f->insn[v].dead = 1;
    return true;
}
