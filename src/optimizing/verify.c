/* The IR verifier, run between stages in debug mode: block structure,
 * edges in both directions, operand types, and SSA (each use dominated by
 * its definition). Failures are compiler bugs, reported as ERR_LIMIT with
 * what broke. */
#include <stdio.h>

#include "optimizing.h"

struct ver {
    const struct opt_func *f;
    const char *stage;
    struct err *e;
    uint32_t *pos;  /* index of each instruction in its block, phis first */
    uint32_t *idom;
};

static bool bad(struct ver *v, opt_val at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool bad(struct ver *v, opt_val at, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(v->e, ERR_LIMIT, NO_OFFSET, "IR verifier after %s: func %u: v%u: %s",
                   v->stage, v->f->index, at, msg);
}

static bool dominates(const struct ver *v, uint32_t a, uint32_t b)
{
    while (b != a && b != 0 && v->idom[b] != UINT32_MAX)
        b = v->idom[b];
    return a == b;
}

/* Operand `x` used by instruction `user` (for a phi: along pred `k`). */
static bool check_use(struct ver *v, opt_val user, opt_val x, uint32_t k)
{
    const struct opt_func *f = v->f;
    const struct opt_insn *in = &f->insn[user];
    if (x == OPT_NONE || x >= f->ninsn)
        return bad(v, user, "operand %u out of range", x);
    const struct opt_insn *d = &f->insn[x];
    if (d->dead || f->block[d->block].dead)
        return bad(v, user, "uses removed v%u", x);
    if (d->type == OPT_VOID)
        return bad(v, user, "uses v%u which has no value", x);
    uint32_t at = in->op == OPT_PHI ? f->block[in->block].pred[k] : in->block;
    if (d->block == at && in->op != OPT_PHI && v->pos[x] >= v->pos[user])
        return bad(v, user, "uses v%u before its definition", x);
    if (d->block != at && !dominates(v, d->block, at))
        return bad(v, user, "uses v%u whose block b%u does not dominate b%u", x, d->block, at);
    return true;
}

/* The operand types an instruction requires. */
static bool check_types(struct ver *v, opt_val id)
{
    const struct opt_func *f = v->f;
    const struct opt_insn *in = &f->insn[id];
    uint32_t *a, n = opt_args(f, in, &a);
    enum opt_type t0 = n ? f->insn[a[0]].type : OPT_VOID;
    enum opt_type t1 = n > 1 ? f->insn[a[1]].type : OPT_VOID;
    switch (in->op) {
    case OPT_ADD: case OPT_SUB: case OPT_MUL: case OPT_AND: case OPT_OR: case OPT_XOR:
    case OPT_SHL: case OPT_SHR_S: case OPT_SHR_U: case OPT_ROTL: case OPT_ROTR:
    case OPT_DIV_S: case OPT_DIV_U: case OPT_REM_S: case OPT_REM_U: case OPT_FADD:
    case OPT_FSUB: case OPT_FMUL: case OPT_FDIV: case OPT_FMIN: case OPT_FMAX:
    case OPT_FCOPYSIGN:
        return (t0 == in->type && t1 == in->type) || bad(v, id, "operand types differ");
    case OPT_ICMP: case OPT_FCMP:
        return (t0 == t1 && in->type == OPT_I32) || bad(v, id, "compares different types");
    case OPT_LOAD: case OPT_STORE:
        return t0 == OPT_I64 || bad(v, id, "address is not i64");
    case OPT_SELECT:
        return (t0 == OPT_I32 && t1 == in->type && f->insn[a[2]].type == in->type) ||
               bad(v, id, "select types");
    case OPT_BRIF: case OPT_TRAP_IF: case OPT_BR_TABLE:
        return t0 == OPT_I32 || bad(v, id, "condition is not i32");
    case OPT_PHI:
        for (uint32_t i = 0; i < n; i++)
            if (f->insn[a[i]].type != in->type)
                return bad(v, id, "phi operand v%u has another type", a[i]);
        return true;
    default:
        return true;
    }
}

/* The terminator's targets against the block's successor list, and the
 * edges against the other side's lists. */
static bool check_edges(struct ver *v, uint32_t b)
{
    const struct opt_func *f = v->f;
    const struct opt_block *bl = &f->block[b];
    const struct opt_insn *t = opt_term(f, b);
    opt_val tid = bl->insn[bl->ninsn - 1];
    static const uint8_t want[OPT_OP_COUNT] = {[OPT_JMP] = 1, [OPT_BRIF] = 2};
    if (t->op == OPT_BR_TABLE) {
        uint32_t n;
        const uint32_t *tab = opt_table(f, t, &n);
        for (uint32_t i = 0; i <= n; i++) {
            uint32_t k = 0;
            while (k < bl->nsucc && bl->succ[k] != tab[i])
                k++;
            if (k == bl->nsucc)
                return bad(v, tid, "br_table target b%u is not a successor", tab[i]);
        }
    } else if (bl->nsucc != want[t->op] ||
               (t->op == OPT_BRIF && bl->succ[0] == bl->succ[1])) {
        return bad(v, tid, "b%u has %u successors for its %s", b, bl->nsucc, opt_ops[t->op].name);
    }
    for (uint32_t i = 0; i < bl->nsucc; i++) {
        const struct opt_block *s = &f->block[bl->succ[i]];
        if (s->dead || opt_pred_index(f, bl->succ[i], b) == UINT32_MAX)
            return bad(v, tid, "edge b%u -> b%u missing on the other side", b, bl->succ[i]);
    }
    for (uint32_t i = 0; i < bl->npred; i++) {
        const struct opt_block *p = &f->block[bl->pred[i]];
        uint32_t k = 0;
        while (k < p->nsucc && p->succ[k] != b)
            k++;
        if (p->dead || k == p->nsucc)
            return bad(v, tid, "pred b%u of b%u does not go there", bl->pred[i], b);
    }
    return b != 0 || bl->npred == 0 || bad(v, tid, "the entry block has predecessors");
}

static bool check_block(struct ver *v, uint32_t b)
{
    const struct opt_func *f = v->f;
    const struct opt_block *bl = &f->block[b];
    if (!bl->ninsn || !opt_term(f, b))
        return bad(v, 0, "block b%u does not end with a terminator", b);
    for (uint32_t i = 0; i < bl->nphi; i++) {
        const struct opt_insn *in = &f->insn[bl->phi[i]];
        if (in->op != OPT_PHI || in->block != b || in->dead)
            return bad(v, bl->phi[i], "phi list of b%u holds something else", b);
        if (in->arg[1] != bl->npred)
            return bad(v, bl->phi[i], "phi has %u operands for %u preds", in->arg[1], bl->npred);
    }
    for (uint32_t i = 0; i < bl->ninsn; i++) {
        const struct opt_insn *in = &f->insn[bl->insn[i]];
        if (in->op == OPT_PHI || in->block != b || in->dead)
            return bad(v, bl->insn[i], "instruction list of b%u is broken", b);
        if ((opt_ops[in->op].flags & OF_TERM) && i + 1 != bl->ninsn)
            return bad(v, bl->insn[i], "terminator in the middle of b%u", b);
    }
    return check_edges(v, b);
}

/* Numbers instructions within their blocks; phis come first. */
static void number(struct ver *v)
{
    const struct opt_func *f = v->f;
    for (uint32_t b = 0; b < f->nblock; b++) {
        const struct opt_block *bl = &f->block[b];
        for (uint32_t i = 0; i < bl->nphi; i++)
            v->pos[bl->phi[i]] = i;
        for (uint32_t i = 0; i < bl->ninsn; i++)
            v->pos[bl->insn[i]] = bl->nphi + i;
    }
}

static bool verify(const struct opt_func *f, const char *stage, struct err *e)
{
    struct opt_func *mf = (struct opt_func *)f; /* scratch in its arena only */
    struct ver v = {.f = f, .stage = stage, .e = e};
    v.pos = arena_array(f->arena, f->ninsn, sizeof *v.pos);
    v.idom = arena_array(f->arena, f->nblock, sizeof *v.idom);
    if (!v.pos || !v.idom || !opt_layout(mf, NULL, e) || !opt_dominators(mf, v.idom))
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    number(&v);
    for (uint32_t b = 0; b < f->nblock; b++) {
        if (f->block[b].dead)
            continue;
        if (f->block[b].order == UINT32_MAX)
            return bad(&v, 0, "block b%u is unreachable", b);
        if (!check_block(&v, b))
            return false;
    }
    for (opt_val id = 1; id < f->ninsn; id++) {
        const struct opt_insn *in = &f->insn[id];
        if (in->dead || f->block[in->block].dead)
            continue;
        uint32_t *a, n = opt_args(f, in, &a);
        for (uint32_t i = 0; i < n; i++)
            if (!check_use(&v, id, a[i], i))
                return false;
        if (!check_types(&v, id))
            return false;
    }
    return true;
}

/* The checks lay the blocks out afresh (reachability, dominators);
 * the layout the pipeline made (opt_pass_order's) is put back, so
 * that checking does not change the code. */
bool opt_verify(const struct opt_func *f, const char *stage, struct err *e)
{
    struct opt_func *mf = (struct opt_func *)f;
    uint32_t *order = f->order, norder = f->norder;
    uint32_t *at = arena_array_raw(f->arena, f->nblock, sizeof *at);
    if (!at)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    for (uint32_t b = 0; b < f->nblock; b++)
        at[b] = f->block[b].order;
    bool ok = verify(f, stage, e);
    mf->order = order;
    mf->norder = norder;
    for (uint32_t b = 0; b < f->nblock; b++)
        mf->block[b].order = at[b];
    return ok;
}
