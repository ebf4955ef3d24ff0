/* Loop-invariant code motion. First the loop nesting: loop headers are
 * the targets of back edges (edges to a dominator; wasm's control flow is
 * reducible), and each loop's body is found by walking predecessors back
 * from its back edges, innermost loops first, an inner loop standing for
 * all its blocks once done (union-find): near-linear. Each block's loop
 * depth goes to opt_block.loop.
 *
 * Then every pure instruction that cannot trap moves to the entry side of
 * each loop whose header its operands' definitions dominate: to the end
 * of the header's immediate dominator, repeatedly while that leaves
 * another loop. Only instructions that can neither trap nor read memory
 * move (nor divisions, see movable), so executing one on a path that
 * would not have reached it changes nothing but time (a heap load or a division's check stays behind the
 * condition that guards it: wasm traps are exact). Constants do not move
 * for their own sake (isel materialises them where they are used); those a
 * moved instruction uses go to the entry block, where fold, which runs
 * next, puts every constant. */
#include "optimizing.h"

enum { NONE = UINT32_MAX, BIG = 256 };

struct licm {
    struct opt_func *f;
    const struct opt_domtree *t;
    uint32_t *outer;  /* per block: innermost loop header strictly containing it */
    uint8_t *header;  /* per block: heads a loop */
    uint32_t *uf;     /* union-find: block -> the loop header standing for it */
    uint32_t *stamp;  /* per block: header whose body walk saw it */
    uint32_t *size;   /* per loop header: blocks in the loop */
    uint32_t *work;
};

static uint32_t find(uint32_t *uf, uint32_t x)
{
    uint32_t r = x;
    while (uf[r] != r)
        r = uf[r];
    while (uf[x] != r) {
        uint32_t n = uf[x];
        uf[x] = r;
        x = n;
    }
    return r;
}

/* Pushes y (the representative of a pred) for header h's body walk. */
static void reach(struct licm *l, uint32_t h, uint32_t y, uint32_t *n)
{
    if (l->stamp[y] != h && opt_dominates(l->t, h, y)) {
        l->stamp[y] = h;
        l->work[(*n)++] = y;
    }
}

/* The body of the loop headed by h: every block (or inner loop) reaching a
 * back edge without passing h. */
static void loop_body(struct licm *l, uint32_t h)
{
    const struct opt_func *f = l->f;
    uint32_t n = 0;
    l->stamp[h] = h;
    for (uint32_t i = 0; i < f->block[h].npred; i++) {
        uint32_t p = f->block[h].pred[i];
        if (opt_dominates(l->t, h, p)) {
            l->header[h] = 1;
            reach(l, h, find(l->uf, p), &n);
        }
    }
    l->size[h] = 1;
    while (n) {
        uint32_t x = l->work[--n];
        l->outer[x] = h;
        l->uf[x] = h;
        l->size[h] += l->header[x] ? l->size[x] : 1;
        for (uint32_t i = 0; i < f->block[x].npred; i++)
            reach(l, h, find(l->uf, f->block[x].pred[i]), &n);
    }
}

static bool loops(struct licm *l)
{
    struct opt_func *f = l->f;
    uint32_t nb = f->nblock;
    l->outer = arena_array_raw(f->arena, nb, sizeof *l->outer);
    l->header = arena_alloc(f->arena, nb);
    l->uf = arena_array_raw(f->arena, nb, sizeof *l->uf);
    l->stamp = arena_array_raw(f->arena, nb, sizeof *l->stamp);
    l->work = arena_array_raw(f->arena, nb, sizeof *l->work);
    l->size = arena_array_raw(f->arena, nb, sizeof *l->size);
    if (!l->size || !l->outer || !l->header || !l->uf || !l->stamp || !l->work)
        return false;
    for (uint32_t b = 0; b < nb; b++) {
        l->outer[b] = l->stamp[b] = NONE;
        l->uf[b] = b;
    }
    for (uint32_t i = f->norder; i-- > 0;)
        loop_body(l, f->order[i]);
    for (uint32_t i = 0; i < f->norder; i++) {
        uint32_t b = f->order[i], o = l->outer[b];
        f->block[b].loop = (o == NONE ? 0 : f->block[o].loop) + l->header[b];
    }
    return true;
}

/* A constant: it can go to the entry block (as fold puts them all), so it
 * keeps nothing in a loop. */
static bool konst(const struct opt_insn *in)
{
    return in->op == OPT_ICONST || in->op == OPT_FCONST;
}

/* The innermost loop containing b (b itself when it is a header). */
static uint32_t loop_of(const struct licm *l, uint32_t b)
{
    return l->header[b] ? b : l->outer[b];
}

/* Pure, cannot fault, and not a constant. Divisions are pure in the IR
 * only behind the trap checks that precede them: the hardware faults on a
 * zero divisor, so they stay behind those checks. */
static bool movable(const struct opt_insn *in)
{
    uint8_t fl = opt_ops[in->op].flags;
    bool div = in->op >= OPT_DIV_S && in->op <= OPT_REM_U;
    return (fl & OF_PURE) && !(fl & OF_TRAPS) && !div && opt_ops[in->op].shape != SH_NONE &&
           in->op != OPT_PHI;
}

/* Where v may go: out of every loop whose header the block of its latest
 * operand dominates strictly, but not out of a loop of more than BIG
 * blocks: a value moved out is live in every block of the loop, and
 * liveness costs the size of those sets (a huge interpreter loop with
 * hundreds of invariants made compilation 40% slower, for no gain). */
static uint32_t target(const struct licm *l, opt_val v)
{
    const struct opt_func *f = l->f;
    const struct opt_insn *in = &f->insn[v];
    uint32_t *args, n = opt_args(f, in, &args), early = 0, to = in->block;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t d = konst(&f->insn[args[i]]) ? 0 : f->insn[args[i]].block;
        if (l->t->depth[d] > l->t->depth[early])
            early = d;
    }
    for (uint32_t h = loop_of(l, to);
         h != NONE && l->t->depth[early] < l->t->depth[h] && l->size[h] <= BIG;
         h = loop_of(l, to))
        to = l->t->idom[h];
    return to;
}

/* Moves v to the end of block b, before its terminator. */
static bool move_to(struct opt_func *f, opt_val v, uint32_t b)
{
    struct opt_block *bl = &f->block[b];
    if (!opt_push(f->arena, &bl->insn, &bl->ninsn, &bl->cap_insn, v))
        return false;
    bl->insn[bl->ninsn - 1] = bl->insn[bl->ninsn - 2];
    bl->insn[bl->ninsn - 2] = v;
    opt_unlist(f, v);
    f->insn[v].block = b;
    return true;
}

/* Moves v to block b, the constants it uses first to the entry block. */
static bool move(struct opt_func *f, opt_val v, uint32_t b)
{
    uint32_t *args, n = opt_args(f, &f->insn[v], &args);
    for (uint32_t i = 0; i < n; i++)
        if (konst(&f->insn[args[i]]) && f->insn[args[i]].block && !move_to(f, args[i], 0))
            return false;
    return move_to(f, v, b);
}

bool opt_pass_licm(struct opt_func *f, struct err *e)
{
    struct licm l = {.f = f};
    if (!(l.t = opt_domtree(f, e)))
        return false;
    if (!l.t->loops) /* every depth stays 0 */
        return true;
    if (!loops(&l))
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    for (uint32_t i = 0; i < f->norder; i++) {
        uint32_t b = f->order[i];
        if (!f->block[b].loop)
            continue;
        for (uint32_t k = 0; k < f->block[b].ninsn; k++) {
            opt_val v = f->block[b].insn[k];
            bool here = opt_in_block(f, v, b);
            uint32_t to = here && movable(&f->insn[v]) ? target(&l, v) : b;
            if (to != b && !move(f, v, to))
                return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
        }
    }
    return true;
}
