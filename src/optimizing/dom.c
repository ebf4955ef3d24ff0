/* Dominators: Lengauer and Tarjan's algorithm ("A fast algorithm for
 * finding dominators in a flowgraph", 1979) in its simple form (path
 * compression without balancing: O(m log n)), with every walk iterative
 * so that deep graphs cannot overflow the C stack; then the dominator
 * tree in preorder and a scoped walk of it for the passes. The iterative
 * algorithm this replaces is quadratic on a join with many predecessors
 * along a chain of blocks (a br_if every few instructions to one label).
 * The tree takes its depth-first numbering from the layout's search
 * (opt_layout), which it needs anyway: one search of the CFG, not two. */
#include <string.h>

#include "optimizing.h"

static bool nomem(struct err *e)
{
    return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
}

/* Arrays by DFS number (1..n; 0 is "none"). */
struct lt {
    uint32_t *vertex;   /* number -> block */
    uint32_t *num;      /* block -> number, 0 when unreachable */
    uint32_t *parent, *semi, *ancestor, *label, *idom;
    uint32_t *bucket, *next; /* per number: vertices whose semidominator it is */
    uint32_t *stack;
};

/* Numbers the blocks the entry reaches in DFS preorder; returns how many. */
static uint32_t number(const struct opt_func *f, struct lt *t, uint32_t *succ_at)
{
    uint32_t n = 0, sp = 0;
    t->stack[sp++] = 0;
    t->num[0] = ++n;
    t->vertex[n] = 0;
    while (sp) {
        uint32_t b = t->stack[sp - 1];
        const struct opt_block *bl = &f->block[b];
        if (succ_at[b] == bl->nsucc) {
            sp--;
            continue;
        }
        uint32_t s = bl->succ[succ_at[b]++];
        if (t->num[s])
            continue;
        t->num[s] = ++n;
        t->vertex[n] = s;
        t->parent[n] = t->num[b];
        t->stack[sp++] = s;
    }
    return n;
}

/* Path compression from v up (what the recursive form does on the way
 * back, done top down from a recorded path). */
static void compress(struct lt *t, uint32_t v)
{
    uint32_t n = 0;
    for (uint32_t x = v; t->ancestor[t->ancestor[x]]; x = t->ancestor[x])
        t->stack[n++] = x;
    while (n) {
        uint32_t x = t->stack[--n], a = t->ancestor[x];
        if (t->semi[t->label[a]] < t->semi[t->label[x]])
            t->label[x] = t->label[a];
        t->ancestor[x] = t->ancestor[a];
    }
}

static uint32_t eval(struct lt *t, uint32_t v)
{
    if (!t->ancestor[v])
        return v;
    compress(t, v);
    return t->label[v];
}

/* Semidominators, then immediate dominators, by DFS number. */
static void solve(const struct opt_func *f, struct lt *t, uint32_t n)
{
    for (uint32_t w = n; w >= 2; w--) {
        const struct opt_block *bl = &f->block[t->vertex[w]];
        uint32_t p = t->parent[w];
        if (bl->npred == 1) { /* reached from its one predecessor: that is its idom */
            t->semi[w] = t->idom[w] = p;
        } else {
            for (uint32_t i = 0; i < bl->npred; i++) {
                uint32_t v = t->num[bl->pred[i]];
                if (!v)
                    continue;
                uint32_t u = eval(t, v);
                if (t->semi[u] < t->semi[w])
                    t->semi[w] = t->semi[u];
            }
            t->next[w] = t->bucket[t->semi[w]];
            t->bucket[t->semi[w]] = w;
        }
        t->ancestor[w] = p;
        for (uint32_t v = t->bucket[p]; v; v = t->next[v]) {
            uint32_t u = eval(t, v);
            t->idom[v] = t->semi[u] < t->semi[v] ? u : p;
        }
        t->bucket[p] = 0;
    }
    for (uint32_t w = 2; w <= n; w++)
        if (t->idom[w] != t->semi[w])
            t->idom[w] = t->idom[t->idom[w]];
}

/* The arrays for n blocks (num zeroed: 0 is "not reached"). */
static bool lt_alloc(struct opt_func *f, struct lt *t)
{
    uint32_t nb = f->nblock;
    uint32_t **zeroed[] = {&t->num, &t->ancestor, &t->idom, &t->bucket};
    uint32_t **raw[] = {&t->vertex, &t->parent, &t->semi, &t->label, &t->next, &t->stack};
    for (size_t i = 0; i < ARRAY_LEN(zeroed); i++)
        if (!(*zeroed[i] = arena_array(f->arena, nb + 1, sizeof(uint32_t))))
            return false;
    for (size_t i = 0; i < ARRAY_LEN(raw); i++) /* each written before it is read */
        if (!(*raw[i] = arena_array_raw(f->arena, nb + 1, sizeof(uint32_t))))
            return false;
    return true;
}

/* Immediate dominators by block id from the n blocks numbered in t. */
static void lt_idom(struct opt_func *f, struct lt *t, uint32_t n, uint32_t *idom)
{
    for (uint32_t v = 1; v <= n; v++)
        t->semi[v] = t->label[v] = v;
    solve(f, t, n);
    for (uint32_t b = 0; b < f->nblock; b++)
        idom[b] = UINT32_MAX;
    idom[0] = 0;
    for (uint32_t w = 2; w <= n; w++)
        idom[t->vertex[w]] = t->vertex[t->idom[w]];
}

bool opt_dominators(struct opt_func *f, uint32_t *idom)
{
    struct lt t;
    uint32_t *succ_at = arena_array(f->arena, f->nblock, sizeof *succ_at);
    if (!succ_at || !lt_alloc(f, &t))
        return false;
    lt_idom(f, &t, number(f, &t, succ_at), idom);
    return true;
}

/* The tree's preorder with each block's children in layout order, and
 * each block's position, depth and the end of its subtree: first-child
 * and next-sibling links made from the layout backwards, then one walk
 * down and up them (no stack, no children lists to count out). */
static bool preorder(struct opt_func *f, struct opt_domtree *t)
{
    uint32_t *child = arena_array_raw(f->arena, f->nblock, sizeof *child);
    uint32_t *sib = arena_array_raw(f->arena, f->nblock, sizeof *sib);
    if (!child || !sib)
        return false;
    for (uint32_t i = 0; i < f->norder; i++)
        child[f->order[i]] = UINT32_MAX;
    for (uint32_t i = f->norder; i-- > 1;) {
        uint32_t b = f->order[i];
        sib[b] = child[t->idom[b]];
        child[t->idom[b]] = b;
    }
    for (uint32_t n = 0, b = 0;;) {
        t->pos[b] = n;
        t->pre[n++] = b;
        if (child[b] != UINT32_MAX) {
            t->depth[child[b]] = t->depth[b] + 1;
            b = child[b];
            continue;
        }
        for (;;) { /* b's subtree is done, and its parent's when b is the last child */
            t->end[b] = n;
            if (!b || sib[b] != UINT32_MAX)
                break;
            b = t->idom[b];
        }
        if (!b) {
            t->n = n;
            return true;
        }
        t->depth[sib[b]] = t->depth[b];
        b = sib[b];
    }
}

/* Builds the tree into t. */
static bool build_domtree(struct opt_func *f, struct opt_domtree *t, struct err *e)
{
    struct lt lt; /* numbered by the layout's search: no search of its own */
    if (!lt_alloc(f, &lt))
        return nomem(e);
    struct opt_dfs dfs = {.vertex = lt.vertex, .num = lt.num, .parent = lt.parent};
    if (!opt_layout(f, &dfs, e))
        return false;
    t->jumps = dfs.jumps;
    t->njumps = dfs.njumps;
    t->loops = dfs.loops;
    t->idom = arena_array_raw(f->arena, f->nblock, sizeof *t->idom); /* lt_idom: all */
    t->pre = arena_array_raw(f->arena, f->norder + 1, sizeof *t->pre);
    t->end = arena_array(f->arena, f->nblock, sizeof *t->end);
    t->pos = arena_array(f->arena, f->nblock, sizeof *t->pos);
    t->depth = arena_array(f->arena, f->nblock, sizeof *t->depth);
    if (!t->idom || !t->pre || !t->end || !t->pos || !t->depth)
        return nomem(e);
    lt_idom(f, &lt, f->norder, t->idom);
    return preorder(f, t) || nomem(e);
}

const struct opt_domtree *opt_domtree(struct opt_func *f, struct err *e)
{
    if (f->dom)
        return f->dom;
    struct opt_domtree *t = arena_alloc(f->arena, sizeof *t);
    if (!t) {
        nomem(e);
        return NULL;
    }
    if (!build_domtree(f, t, e))
        return NULL;
    return f->dom = t;
}

bool opt_domwalk(struct opt_func *f, const struct opt_domtree *t,
                 void (*enter)(void *ctx, uint32_t b), void (*leave)(void *ctx, uint32_t b),
                 void *ctx, struct err *e)
{
    uint32_t *open = arena_array_raw(f->arena, t->n + 1, sizeof *open), sp = 0;
    if (!open)
        return nomem(e);
    for (uint32_t i = 0; i <= t->n; i++) {
        while (sp && (i == t->n || t->end[open[sp - 1]] <= i))
            leave(ctx, open[--sp]);
        if (i == t->n)
            break;
        open[sp++] = t->pre[i];
        enter(ctx, t->pre[i]);
    }
    return true;
}
