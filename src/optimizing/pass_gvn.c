/* Global value numbering (common subexpression elimination over the
 * dominator tree): walking the tree in preorder, each pure instruction
 * that cannot trap is looked up in a hash table of the instructions that
 * dominate it; an equal one (same op, type, aux, immediate and resolved
 * operands, in either order for commutative ops) replaces it. Leaving a
 * subtree removes what it added (an undo list), so the table only ever
 * holds dominating definitions; the entry block's constants, in scope
 * everywhere, have a table of their own. Phis whose operands have become
 * one value are replaced on the way (and after the walk, for loop phis):
 * with the replacement table, this is also the copy propagation. Linear
 * in the function's size (expected, by hashing).
 *
 * The pipeline runs it with folding (opt_pass_fold_gvn): each instruction
 * is folded (pass_fold.c) just before it is numbered, so one walk does
 * both, and the constants folding makes are numbered as they are made.
 *
 * Instructions that may trap (f2i, heap loads) and reads of memory stay
 * where they are: a later equal one is not redundant when something in
 * between could have changed memory, and trap order is part of wasm's
 * semantics. Trap checks are numbered too: once `trap_if c` has run, c is
 * zero in every block it dominates, so an equal check there (a second
 * division by the same divisor, the same call_indirect index checked
 * twice) can never fire and goes. */
#include "optimizing.h"

/* How far (in blocks of the dominator tree's preorder) an equal value may
 * be taken from. Taking one from further extends its live range over more
 * blocks: unbounded, a function with n blocks could get n values live
 * across n blocks (quadratic liveness, and spills). Constants are free:
 * isel makes them where they are used. */
enum { REACH = 32 };

/* Up to this many slots, the table is made large enough for every
 * instruction at once; a larger function's grows with what is in scope
 * (seldom more than a fraction of it), so that its probes stay in the
 * cache. */
enum { GROWN = 16384 };

/* A slot of the constants' table: the key is kept in it, so probing and
 * growing read no instructions. */
struct kslot {
    int64_t imm;
    uint32_t v;            /* the constant, 0 for an empty slot */
    uint8_t op, type;
};

struct gvn {
    struct opt_func *f;
    const struct opt_domtree *t;
    uint32_t *table, mask; /* value ids; 0 is an empty slot */
    uint32_t count;        /* slots in use: grows at half the table */
    uint32_t *undo, nundo; /* (slot, what it held) pairs, in order */
    uint32_t *mark;        /* per block: nundo when it was entered */
    struct kslot *konst;   /* the entry block's constants: never forgotten */
    uint32_t kmask, nkonst;
    struct opt_fold *fold; /* folds each instruction first, or NULL */
    uint32_t replaced;
    uint32_t before;       /* f->nreplaced when the walk began */
    bool oom;
};

/* Per op: numbered (pure and cannot trap, not a phi or a parameter; or a
 * trap check). */
static const bool numbered[OPT_OP_COUNT] = {
#define X(id, name, shape, flags)                                                          \
    [OPT_##id] = (((flags) & OF_PURE) && !((flags) & OF_TRAPS) && OPT_##id != OPT_PHI && \
                  OPT_##id != OPT_PARAM) ||                                              \
                 OPT_##id == OPT_TRAP_IF,
    OPT_OPS(X)
#undef X
};

/* A constant of the entry block: in scope everywhere, so it goes to a
 * table of its own that leaving a subtree does not touch. */
static bool entry_const(const struct opt_insn *in)
{
    return (in->op == OPT_ICONST || in->op == OPT_FCONST) && in->block == 0;
}

/* The operands in a canonical order (sorted for commutative ops). */
static void operands(const struct opt_insn *in, uint32_t out[3])
{
    out[0] = in->arg[0];
    out[1] = in->arg[1];
    out[2] = in->arg[2];
    if ((opt_ops[in->op].flags & OF_COMM) && out[0] > out[1]) {
        out[0] = in->arg[1];
        out[1] = in->arg[0];
    }
}

/* The hash of an instruction with operands a (in canonical order). */
static uint32_t hash(const struct opt_insn *in, const uint32_t a[3])
{
    uint64_t h = (uint64_t)in->op | (uint64_t)in->type << 8 | (uint64_t)in->aux << 16;
    h = (h ^ (uint64_t)in->imm) * 0x9e3779b97f4a7c15ull;
    h = (h ^ ((uint64_t)a[0] << 32 | a[1])) * 0x9e3779b97f4a7c15ull;
    h = (h ^ a[2]) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 32);
}

/* True when x computes what y does, whose operands are a. */
static bool same(const struct opt_insn *x, const struct opt_insn *y, const uint32_t a[3])
{
    if (x->op != y->op || x->type != y->type || x->aux != y->aux || x->imm != y->imm)
        return false;
    uint32_t b[3];
    operands(x, b);
    return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

/* True when w (dominating v) is close enough to stand for it (a trap
 * check always is: it has no value to keep live). */
static bool near(const struct gvn *g, opt_val w, opt_val v)
{
    const struct opt_insn *x = &g->f->insn[w];
    if (opt_ops[x->op].shape == SH_NONE || x->op == OPT_TRAP_IF)
        return true;
    uint32_t from = g->t->pos[x->block], to = g->t->pos[g->f->insn[v].block];
    return to - from <= REACH;
}

/* The table twice as large, its slots made again in the order they were
 * first taken (so that undoing the takes in reverse, emptying the slots
 * they made, leaves every remaining value reachable from its hash's slot,
 * as in the old table), and the undo list renamed to the new slots. */
static bool grow(struct gvn *g)
{
    uint32_t n = 2 * (g->mask + 1), *old = g->table;
    uint32_t *t = arena_array(g->f->arena, n, sizeof *t);
    uint32_t *to = arena_array_raw(g->f->arena, g->mask + 1, sizeof *to); /* old -> new */
    if (!t || !to)
        return false;
    for (uint32_t k = 0; k < g->nundo; k += 2) {
        uint32_t i = g->undo[k], a[3];
        if (g->undo[k + 1]) /* took an equal's slot: renamed below */
            continue;
        const struct opt_insn *in = &g->f->insn[old[i]];
        operands(in, a);
        uint32_t j = hash(in, a) & (n - 1);
        while (t[j])
            j = (j + 1) & (n - 1);
        t[j] = old[i];
        to[i] = j;
    }
    for (uint32_t k = 0; k < g->nundo; k += 2)
        g->undo[k] = to[g->undo[k]];
    g->table = t;
    g->mask = n - 1;
    return true;
}

/* Puts v in slot i, remembering what was there. */
static void take(struct gvn *g, uint32_t i, opt_val v)
{
    g->undo[g->nundo++] = i;
    g->undo[g->nundo++] = g->table[i];
    g->count += !g->table[i];
    g->table[i] = v;
    if (2 * g->count > g->mask + 1 && !grow(g))
        g->oom = true;
}

/* The dominating equal of v, or v itself after adding it to the table (in
 * place of an equal too far away). */
static opt_val lookup(struct gvn *g, opt_val v)
{
    const struct opt_insn *in = &g->f->insn[v];
    if (g->oom) /* the table could not grow: it may be full */
        return v;
    uint32_t a[3];
    operands(in, a);
    uint32_t i = hash(in, a) & g->mask;
    for (opt_val w; (w = g->table[i]); i = (i + 1) & g->mask) {
        if (!same(&g->f->insn[w], in, a))
            continue;
        if (near(g, w, v))
            return w;
        take(g, i, v);
        return v;
    }
    take(g, i, v);
    return v;
}

static uint32_t konst_hash(int64_t imm, uint8_t op, uint8_t type)
{
    uint64_t h = ((uint64_t)imm ^ ((uint64_t)op << 56 | (uint64_t)type << 48)) *
                 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 32);
}

/* The slot of the constant k: its equal's or an empty one. */
static uint32_t konst_slot(const struct gvn *g, struct kslot k)
{
    uint32_t i = konst_hash(k.imm, k.op, k.type) & g->kmask;
    for (const struct kslot *x; (x = &g->konst[i])->v; i = (i + 1) & g->kmask)
        if (x->imm == k.imm && x->op == k.op && x->type == k.type)
            break;
    return i;
}

/* A constants' table of at least 2 * n slots (kept at most half full). */
static bool konst_alloc(struct gvn *g, uint32_t n)
{
    uint32_t size = 64;
    while (size < 2 * n)
        size *= 2;
    g->konst = arena_array(g->f->arena, size, sizeof *g->konst);
    g->kmask = size - 1;
    return g->konst != NULL;
}

static bool konst_grow(struct gvn *g)
{
    struct kslot *old = g->konst;
    uint32_t n = g->kmask + 1;
    if (!konst_alloc(g, n))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (old[i].v)
            g->konst[konst_slot(g, old[i])] = old[i];
    return true;
}

/* The entry block's constant equal to v, or v after adding it. */
static opt_val konst_lookup(struct gvn *g, opt_val v)
{
    if (2 * (g->nkonst + 1) > g->kmask + 1 && !konst_grow(g)) {
        g->oom = true;
        return v;
    }
    const struct opt_insn *in = &g->f->insn[v];
    struct kslot k = {.imm = in->imm, .v = v, .op = in->op, .type = in->type};
    uint32_t i = konst_slot(g, k);
    if (!g->konst[i].v) {
        g->konst[i] = k;
        g->nkonst++;
    }
    return g->konst[i].v;
}

/* opt_fold's hook for the constants it makes. */
static opt_val intern(void *ctx, opt_val c)
{
    return konst_lookup(ctx, c);
}

static void replace(struct gvn *g, opt_val v, opt_val by)
{
    opt_kill(g->f, v);
    opt_replace(g->f, v, by);
    g->replaced++;
}

/* True when an operand of the phi p was replaced: the phis pass left
 * none trivial, so only such a phi can have become so. */
static bool touched(const struct opt_func *f, opt_val p)
{
    const uint32_t *ops = f->extra + f->insn[p].arg[0];
    for (uint32_t k = 0; k < f->insn[p].arg[1]; k++)
        if (f->alias[ops[k]])
            return true;
    return false;
}

/* Replaces the phis of bl left with one value. */
static void one_valued(struct gvn *g, const struct opt_block *bl)
{
    struct opt_func *f = g->f;
    if (f->nreplaced == g->before) /* nothing replaced yet */
        return;
    for (uint32_t i = 0; i < bl->nphi; i++) {
        opt_val p = bl->phi[i];
        opt_val same = f->insn[p].dead || !touched(f, p) ? OPT_NONE : opt_phi_same(f, p);
        if (same && same != p)
            replace(g, p, same);
    }
}

static void enter(void *ctx, uint32_t b)
{
    struct gvn *g = ctx;
    struct opt_func *f = g->f;
    const struct opt_block *bl = &f->block[b];
    g->mark[b] = g->nundo;
    one_valued(g, bl);
    for (uint32_t k = 0; k < bl->ninsn; k++) {
        opt_val v = bl->insn[k];
        if (!opt_in_block(f, v, b))
            continue;
        opt_resolve_args(f, v);
        if (g->fold)
            opt_fold_insn(g->fold, v); /* may move f->insn */
        const struct opt_insn *in = &f->insn[v];
        if (in->dead || !numbered[in->op])
            continue;
        opt_val w = entry_const(in) ? konst_lookup(g, v) : lookup(g, v);
        if (w != v && in->op == OPT_TRAP_IF)
            opt_kill(f, v);
        else if (w != v)
            replace(g, v, w);
    }
}

/* Forgets what b's subtree added. */
static void leave(void *ctx, uint32_t b)
{
    struct gvn *g = ctx;
    for (; g->nundo > g->mark[b]; g->nundo -= 2) {
        g->table[g->undo[g->nundo - 2]] = g->undo[g->nundo - 1];
        g->count -= !g->undo[g->nundo - 1];
    }
}

/* After the walk: phi operands resolved, and phis left with one value
 * replaced (a loop phi's back-edge operand is only numbered after the
 * phi is seen); their users are resolved again when there are any. */
static void settle_phis(struct gvn *g)
{
    struct opt_func *f = g->f;
    bool late = false;
    for (uint32_t b = 0; b < f->nblock; b++) {
        const struct opt_block *bl = &f->block[b];
        for (uint32_t i = 0; !bl->dead && i < bl->nphi; i++) {
            opt_val p = bl->phi[i], same = OPT_NONE;
            if (f->insn[p].dead)
                continue;
            uint32_t *ops, n = opt_args(f, &f->insn[p], &ops);
            for (uint32_t k = 0; k < n; k++) {
                opt_val o = ops[k];
                if (f->alias[o])
                    o = ops[k] = opt_resolve(f, o);
                if (o != p && o != same)
                    same = same ? p : o;
            }
            if (same && same != p) {
                replace(g, p, same);
                late = true;
            }
        }
    }
    if (late)
        opt_resolve_all(f);
}

/* The walk, folding each instruction first when fold is set. */
static bool gvn(struct opt_func *f, struct opt_fold *fold, struct err *e)
{
    const struct opt_domtree *t = opt_domtree(f, e);
    if (!t)
        return false;
    /* room for what is in scope at once, seldom more than half of the
     * instructions, up to a size that fits a cache (the table grows) */
    uint32_t size = 16;
    while (size < f->ninsn && size < GROWN)
        size *= 2;
    struct gvn g = {.f = f, .t = t, .mask = size - 1, .fold = fold, .before = f->nreplaced};
    g.table = arena_array(f->arena, size, sizeof *g.table);
    g.undo = arena_array_raw(f->arena, 2 * (size_t)f->ninsn, sizeof *g.undo);
    g.mark = arena_array_raw(f->arena, f->nblock, sizeof *g.mark);
    /* sized for the entry block, where most constants are */
    if (!g.table || !g.undo || !g.mark || !konst_alloc(&g, f->block[0].ninsn))
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    if (fold) {
        fold->intern = intern;
        fold->ctx = &g;
    }
    if (!opt_domwalk(f, t, enter, leave, &g, e))
        return false;
    if (g.oom || (fold && !opt_fold_finish(fold)))
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    if (g.replaced || (fold && fold->changed))
        settle_phis(&g);
    return true;
}

bool opt_pass_gvn(struct opt_func *f, struct err *e)
{
    return gvn(f, NULL, e);
}

bool opt_pass_fold_gvn(struct opt_func *f, struct err *e)
{
    struct opt_fold fold = {.f = f};
    return gvn(f, &fold, e);
}
