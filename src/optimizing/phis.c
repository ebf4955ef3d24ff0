/* The phi clean-up pass: every operand is resolved through the
 * replacement table, then phis whose operands are all one value (or the
 * phi itself) are replaced by that value, with a worklist over the phis
 * that use a replaced one (Braun et al.'s recursive removal, done once
 * for the whole function). */
#include "optimizing.h"

static bool nomem(struct err *e)
{
    return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
}

/* Resolves every operand of every live instruction. */
static void resolve_all(struct opt_func *f)
{
    for (opt_val v = 1; v < f->ninsn; v++) {
        struct opt_insn *in = &f->insn[v];
        if (in->dead)
            continue;
        uint32_t *args, n = opt_args(f, in, &args);
        for (uint32_t i = 0; i < n; i++)
            args[i] = opt_resolve(f, args[i]);
    }
}

/* Users lists of phis by phis, as offsets into one array (CSR): a first
 * round counts, a second fills. */
static bool phi_users(struct opt_func *f, uint32_t **start, uint32_t **users)
{
    uint32_t *cnt = arena_array(f->arena, f->ninsn + 1, sizeof *cnt);
    uint32_t *fill = arena_array(f->arena, f->ninsn, sizeof *fill);
    uint32_t *u = NULL, total = 0;
    if (!cnt || !fill)
        return false;
    for (int round = 0; round < 2; round++) {
        for (opt_val v = 1; v < f->ninsn; v++) {
            const struct opt_insn *in = &f->insn[v];
            if (in->dead || in->op != OPT_PHI)
                continue;
            uint32_t *ops, n = opt_args(f, in, &ops);
            for (uint32_t i = 0; i < n; i++) {
                if (f->insn[ops[i]].op != OPT_PHI)
                    continue;
                if (round == 0)
                    cnt[ops[i] + 1]++, total++;
                else
                    u[cnt[ops[i]] + fill[ops[i]]++] = v;
            }
        }
        if (round == 0) {
            for (opt_val v = 1; v <= f->ninsn; v++)
                cnt[v] += cnt[v - 1];
            if (!(u = arena_array(f->arena, total + 1, sizeof *u)))
                return false;
        }
    }
    *start = cnt;
    *users = u;
    return true;
}

/* Drops dead phis from the blocks' lists. */
static void compact(struct opt_func *f)
{
    for (uint32_t b = 0; b < f->nblock; b++) {
        struct opt_block *bl = &f->block[b];
        uint32_t k = 0;
        for (uint32_t i = 0; i < bl->nphi; i++)
            if (!f->insn[bl->phi[i]].dead)
                bl->phi[k++] = bl->phi[i];
        bl->nphi = k;
    }
}

bool opt_pass_phis(struct opt_func *f, struct err *e)
{
    resolve_all(f);
    uint32_t *start, *users;
    if (!phi_users(f, &start, &users))
        return nomem(e);
    uint32_t *work = arena_array(f->arena, f->ninsn + 1, sizeof *work), n = 0;
    uint8_t *queued = arena_alloc(f->arena, f->ninsn);
    if (!work || !queued)
        return nomem(e);
    for (opt_val v = 1; v < f->ninsn; v++)
        if (!f->insn[v].dead && f->insn[v].op == OPT_PHI) {
            work[n++] = v;
            queued[v] = 1;
        }
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
        for (uint32_t i = start[p]; i < start[p + 1]; i++) {
            opt_val u = users[i];
            if (!queued[u] && !f->insn[u].dead) {
                queued[u] = 1;
                work[n++] = u;
            }
        }
    }
    resolve_all(f);
    compact(f);
    return true;
}
