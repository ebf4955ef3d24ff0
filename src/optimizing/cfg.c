/* Control-flow passes: dropping unreachable blocks, splitting critical
 * edges, the block layout (reverse postorder). Dominators are in dom.c. */
#include <string.h>

#include "optimizing.h"

static bool nomem(struct err *e)
{
    return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
}

/* True when block s only jumps to a block on the search stack: the edge
 * block of a loop's back edge, best laid out right after the latch. */
static bool back_edge_block(const struct opt_func *f, uint32_t s, const uint8_t *on_stack)
{
    const struct opt_block *bl = &f->block[s];
    return bl->ninsn == 1 && bl->nsucc == 1 && on_stack[bl->succ[0]];
}

/* The depth-first search's state. */
struct search {
    uint32_t *stack, sp;
    uint32_t *next;     /* per block: step + 1 (0: not reached) */
    uint8_t *on_stack;  /* per block: 1 or 2 while on the stack (see postorder) */
    struct opt_dfs *d;  /* the numbering, or NULL */
    uint32_t pre;       /* blocks numbered so far */
    bool loops;         /* some edge goes back to a block on the stack */
    bool oom;
};

/* Puts s, reached from b, on the search stack (numbering it). */
static void push(struct search *x, uint32_t b, uint32_t s)
{
    x->next[s] = 1;
    x->on_stack[s] = 1;
    x->stack[x->sp++] = s;
    if (x->d) {
        x->d->num[s] = ++x->pre;
        x->d->vertex[x->pre] = s;
        x->d->parent[x->pre] = x->d->num[b];
    }
}

/* For the dominator tree's search (opt_dfs.jumps): notes s, a successor
 * not reached yet, when its one successor is on the stack, so that
 * whether s holds only its jump decides where it goes (back_edge_block).
 * Out of memory is reported when the search ends. */
static void note_jump(const struct opt_func *f, struct search *x, uint32_t s)
{
    const struct opt_block *sl = &f->block[s];
    struct opt_dfs *d = x->d;
    if (sl->nsucc == 1 && x->on_stack[sl->succ[0]] &&
        !opt_push(f->arena, &d->jumps, &d->njumps, &d->cap_jumps, s << 1 | (sl->ninsn == 1)))
        x->oom = true;
}

/* One step of the search from b, the top of the stack: false when b is
 * done. A block of one successor takes it in one step: visited in the
 * first round or the second, it is visited all the same. */
static bool step(const struct opt_func *f, struct search *x, uint32_t b)
{
    const struct opt_block *bl = &f->block[b];
    uint32_t ns = bl->nsucc, *next = x->next;
    if (ns == 1 && next[b] == 1) {
        next[b] = 3;
        if (!next[bl->succ[0]])
            push(x, b, bl->succ[0]);
        else
            x->loops |= x->on_stack[bl->succ[0]] != 0;
        return true;
    }
    if (next[b] > 2 * ns)
        return false;
    uint32_t i = next[b]++ - 1;
    bool second = i >= ns;
    if (i == ns && x->on_stack[b] == 1) { /* no back-edge block waits */
        next[b] = 2 * ns + 1;
        return true;
    }
    uint32_t s = bl->succ[second ? i - ns : i];
    if (next[s]) {
        x->loops |= x->on_stack[s] != 0; /* an edge back to the stack: a loop */
        return true;
    }
    bool back = back_edge_block(f, s, x->on_stack);
    if (x->d && !second)
        note_jump(f, x, s);
    if (back == second)
        push(x, b, s);
    else if (back)
        x->on_stack[b] = 2;
    return true;
}

/* Reverse postorder of the blocks reachable from the entry, by an
 * iterative depth-first search. The successor visited last is laid out
 * right after its block: a BRIF's fall-through side, and before all a
 * back edge's jump block, so loops stay together. Successors are taken in
 * two rounds (next[b] counts through both): back-edge blocks wait for the
 * second, which is skipped when the first passed none (on_stack[b] is 2
 * when it did). */
static uint32_t *postorder(struct opt_func *f, struct opt_dfs *d, uint32_t *n, struct err *e)
{
    uint32_t *out = arena_array_raw(f->arena, f->nblock, sizeof *out), k = 0;
    struct search x = {.stack = arena_array_raw(f->arena, f->nblock, sizeof *x.stack),
                       .next = arena_array(f->arena, f->nblock, sizeof *x.next),
                       .on_stack = arena_alloc(f->arena, f->nblock),
                       .d = d};
    if (!out || !x.stack || !x.next || !x.on_stack) {
        nomem(e);
        return NULL;
    }
    x.stack[x.sp++] = 0;
    x.next[0] = 1;
    x.on_stack[0] = 1;
    if (d) {
        d->num[0] = x.pre = 1;
        d->vertex[1] = 0;
    }
    while (x.sp) {
        uint32_t b = x.stack[x.sp - 1];
        if (step(f, &x, b))
            continue;
        out[k++] = b;
        x.on_stack[b] = 0;
        x.sp--;
    }
    if (x.oom) {
        nomem(e);
        return NULL;
    }
    if (d)
        d->loops = x.loops;
    *n = k;
    return out;
}

/* True when no block but the entry lacks a predecessor. The builder makes
 * each block with (or before) its first predecessor's edge from a block
 * made earlier, or as an orphan without any: so then every block is
 * reached from the entry, and the search can be skipped. */
static bool no_orphans(const struct opt_func *f)
{
    for (uint32_t b = 1; b < f->nblock; b++)
        if (!f->block[b].npred)
            return false;
    return true;
}

bool opt_pass_prune(struct opt_func *f, struct err *e)
{
    if (no_orphans(f))
        return true;
    uint32_t n;
    uint32_t *po = postorder(f, NULL, &n, e);
    if (!po)
        return false;
    uint8_t *live = arena_alloc(f->arena, f->nblock);
    if (!live)
        return nomem(e);
    for (uint32_t i = 0; i < n; i++)
        live[po[i]] = 1;
    for (uint32_t b = 0; b < f->nblock; b++) {
        struct opt_block *bl = &f->block[b];
        if (!live[b]) {
            bl->dead = true;
            for (uint32_t i = 0; i < bl->ninsn; i++)
                f->insn[bl->insn[i]].dead = 1;
            for (uint32_t i = 0; i < bl->nphi; i++)
                f->insn[bl->phi[i]].dead = 1;
            continue;
        }
        for (uint32_t i = bl->npred; i-- > 0;)
            if (!live[bl->pred[i]])
                opt_pred_drop(f, b, i);
    }
    return true;
}

/* True for the jump-only block of a split forward edge (one predecessor,
 * laid out before it; one successor, after it). */
static bool edge_block(const struct opt_func *f, uint32_t b)
{
    const struct opt_block *bl = &f->block[b];
    return bl->ninsn == 1 && bl->npred == 1 && bl->nsucc == 1 &&
           f->block[bl->pred[0]].order < bl->order && f->block[bl->succ[0]].order > bl->order;
}

/* opt_pass_order's placement, from the reverse postorder rpo (nrpo
 * blocks) of the n blocks laid out: edge blocks may be left out of rpo
 * (when their order says they are edge blocks), as they go with their
 * predecessor. */
static bool place(struct opt_func *f, const uint32_t *rpo, uint32_t nrpo, uint32_t n,
                  struct err *e)
{
    uint32_t k = 0;
    uint32_t *out = arena_array_raw(f->arena, n + 1, sizeof *out);
    if (!out)
        return nomem(e);
    for (uint32_t i = 0; i < nrpo; i++) {
        uint32_t b = rpo[i];
        if (edge_block(f, b))
            continue; /* placed with its predecessor */
        out[k++] = b;
        const struct opt_block *bl = &f->block[b];
        for (uint32_t j = bl->nsucc; j-- > 0;)
            for (uint32_t s = bl->succ[j]; edge_block(f, s); s = f->block[s].succ[0])
                out[k++] = s;
    }
    for (uint32_t i = 0; i < n; i++)
        f->block[out[i]].order = i;
    f->order = out;
    f->norder = n;
    return true;
}

/* Reverse postorder, except that an edge block goes right after its
 * predecessor instead of just before its join (for a join of many
 * predecessors, far from most of them): the phi moves it holds then sit
 * next to the values they read, whose intervals stay short (ruby: 13%
 * less code, a tenth of the slot-to-slot moves). Dominators still come
 * first and only back edges go backwards. */
bool opt_pass_order(struct opt_func *f, struct err *e)
{
    return opt_layout(f, NULL, e) && place(f, f->order, f->norder, f->norder, e);
}

bool opt_layout(struct opt_func *f, struct opt_dfs *d, struct err *e)
{
    uint32_t n;
    uint32_t *po = postorder(f, d, &n, e);
    if (!po)
        return false;
    for (uint32_t i = 0; i < n / 2; i++) {
        uint32_t t = po[i];
        po[i] = po[n - 1 - i];
        po[n - 1 - i] = t;
    }
    for (uint32_t b = 0; b < f->nblock; b++)
        f->block[b].order = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++)
        f->block[po[i]].order = i;
    f->order = po;
    f->norder = n;
    return true;
}

static bool critical(const struct opt_func *f, uint32_t p, uint32_t s)
{
    return !f->block[p].dead && f->block[p].nsucc >= 2 && f->block[s].npred >= 2;
}

/* How many of s's preds to look at for critical edges: none unless it is
 * a join (so most blocks cost no look at their pred's block). */
static uint32_t join_preds(const struct opt_func *f, uint32_t s)
{
    const struct opt_block *bl = &f->block[s];
    return !bl->dead && bl->npred >= 2 ? bl->npred : 0;
}

/* The critical edges grouped by predecessor (a counting sort): for p,
 * at[p] .. at[p + 1] in to/k are its targets and its index in their
 * predecessors, so no list is ever searched. */
static bool critical_edges(struct opt_func *f, uint32_t **at, uint32_t **to, uint32_t **k)
{
    uint32_t nb = f->nblock, n = 0, nj = 0;
    uint32_t *a = arena_array(f->arena, nb + 2, sizeof *a);
    uint32_t *joins = arena_array_raw(f->arena, nb, sizeof *joins); /* with a critical edge */
    for (uint32_t s = 0; a && joins && s < nb; s++) {
        uint32_t before = n;
        for (uint32_t j = 0, np = join_preds(f, s); j < np; j++)
            if (critical(f, f->block[s].pred[j], s))
                a[f->block[s].pred[j] + 2]++, n++;
        if (n > before)
            joins[nj++] = s;
    }
    /* the second sweep, over those joins, fills all n of t and kk */
    uint32_t *t = arena_array_raw(f->arena, n + 1, sizeof *t);
    uint32_t *kk = arena_array_raw(f->arena, n + 1, sizeof *kk);
    if (!a || !joins || !t || !kk)
        return false;
    for (uint32_t p = 0; p < nb; p++)
        a[p + 2] += a[p + 1];
    for (uint32_t i = 0; i < nj; i++)
        for (uint32_t s = joins[i], j = 0, np = f->block[s].npred; j < np; j++)
            if (critical(f, f->block[s].pred[j], s)) {
                uint32_t x = a[f->block[s].pred[j] + 1]++;
                t[x] = s;
                kk[x] = j;
            }
    *at = a, *to = t, *k = kk;
    return true;
}

/* The critical edges and what splitting them needs. */
struct splits {
    uint32_t nb;               /* blocks before splitting */
    uint32_t *at, *to, *k;     /* critical_edges' */
    uint32_t *kof;             /* target -> pred index */
    uint32_t *mid;             /* target -> its new block */
    uint32_t *lists;           /* the new blocks' lists: jump, successor, predecessor */
};

/* Room for every new block and its jump made at once, and their lists in
 * one array: splitting then allocates nothing per edge. */
static bool splits_init(struct opt_func *f, struct splits *x)
{
    x->nb = f->nblock;
    x->kof = arena_array(f->arena, x->nb, sizeof *x->kof);
    x->mid = arena_array(f->arena, x->nb, sizeof *x->mid);
    if (!x->kof || !x->mid || !critical_edges(f, &x->at, &x->to, &x->k))
        return false;
    uint32_t n = x->at[x->nb];
    x->lists = arena_array_raw(f->arena, 3 * (size_t)n + 1, sizeof *x->lists);
    return x->lists && opt_func_reserve(f, f->ninsn + n, f->nblock + n);
}

/* Puts a block holding only a jump on the edge p -> s, which is p's
 * successor i and s's predecessor k; returns it (room made by
 * splits_init). */
static uint32_t split(struct opt_func *f, struct splits *x, uint32_t p, uint32_t i, uint32_t k)
{
    uint32_t s = f->block[p].succ[i], m = f->nblock++;
    uint32_t *l = x->lists + 3 * (m - x->nb);
    l[0] = opt_insn_new(f, m, OPT_JMP, OPT_VOID, 0, 0, 0, 0); /* has room: not 0 */
    l[1] = s;
    l[2] = p;
    f->block[m] = (struct opt_block){.insn = l, .ninsn = 1, .cap_insn = 1, .succ = l + 1,
                                     .nsucc = 1, .cap_succ = 1, .pred = l + 2, .npred = 1,
                                     .cap_pred = 1, .loop = f->block[s].loop};
    f->block[p].succ[i] = m;
    f->block[s].pred[k] = m;
    return m;
}

/* Splits p's critical edges (p has some); a br_table's targets are
 * renamed in one sweep. */
static void split_from(struct opt_func *f, struct splits *x, uint32_t p)
{
    for (uint32_t j = x->at[p]; j < x->at[p + 1]; j++)
        x->kof[x->to[j]] = x->k[j];
    for (uint32_t i = 0; i < f->block[p].nsucc; i++) {
        uint32_t s = f->block[p].succ[i];
        if (f->block[s].npred >= 2)
            x->mid[s] = split(f, x, p, i, x->kof[s]);
    }
    const struct opt_insn *t = opt_term(f, p);
    if (t && t->op == OPT_BR_TABLE) {
        uint32_t cnt;
        uint32_t *tab = (uint32_t *)opt_table(f, t, &cnt);
        for (uint32_t i = 0; i <= cnt; i++)
            if (tab[i] < x->nb && f->block[tab[i]].npred >= 2)
                tab[i] = x->mid[tab[i]];
    }
}

/* Every critical edge gets its block, in the order of predecessors and
 * their successors; a br_table's targets are renamed in one sweep. Linear
 * in blocks, edges and table entries. */
bool opt_pass_split_edges(struct opt_func *f, struct err *e)
{
    struct splits x;
    if (!splits_init(f, &x))
        return nomem(e);
    for (uint32_t p = 0; p < x.nb; p++)
        if (x.at[p] != x.at[p + 1])
            split_from(f, &x, p);
    return true;
}

/* ---- splitting and layout in one go, from the dominator tree's search ----
 *
 * The layout's search on the split CFG goes as the tree's did on the CFG
 * before (f->order), with the new blocks added, unless a choice of that
 * search (back_edge_block) would now go otherwise. A new block on a
 * forward edge is an edge block (placed with its predecessor); one on a
 * back edge is a leaf taken in its predecessor's second round, so it
 * follows it in reverse postorder. So the layout is made from f->order
 * with no search, when the tree is still the CFG's and the checks below
 * pass; otherwise (seldom) by the search. Code identical either way. */

/* True when the search takes s, a successor of p, in p's second round:
 * only a jump, to a block dominating p (so on the stack, in a reducible
 * CFG, as wasm's are). */
static bool deferred(const struct opt_func *f, const struct opt_domtree *t, uint32_t s,
                     uint32_t p)
{
    const struct opt_block *sl = &f->block[s];
    return sl->ninsn == 1 && sl->nsucc == 1 && opt_dominates(t, sl->succ[0], p);
}

/* True when every block the tree's search found jumping back holds only
 * its jump now exactly when it did then. */
static bool same_jumps(const struct opt_func *f, const struct opt_domtree *t)
{
    for (uint32_t i = 0; i < t->njumps; i++)
        if ((f->block[t->jumps[i] >> 1].ninsn == 1) != (t->jumps[i] & 1))
            return false;
    return true;
}

/* The blocks split from p (at position pos of out): those of back edges
 * go after it, last successor's first; those of forward edges get an
 * order between p and their successor (counted in *nfwd). False when the
 * search would go otherwise: a forward edge to a block it defers (now
 * reached through the new block, at once), or back edges of p's besides
 * a deferred successor (their order among them would need the search). */
static bool lay_splits(struct opt_func *f, const struct opt_domtree *t, uint32_t nb, uint32_t p,
                       uint32_t *out, uint32_t *k, uint32_t *nfwd)
{
    const struct opt_block *pl = &f->block[p];
    uint32_t pos = *k - 1, nback = 0;
    bool defers = false;
    for (uint32_t i = 0; i < pl->nsucc; i++) {
        uint32_t m = pl->succ[i], s = m < nb ? m : f->block[m].succ[0];
        if (m < nb)
            defers |= deferred(f, t, m, p);
        else if (opt_dominates(t, s, p))
            nback++;
        else if (deferred(f, t, s, p))
            return false;
        else
            f->block[m].order = 2 * pos + 1, ++*nfwd;
    }
    if (nback && defers)
        return false;
    for (uint32_t i = pl->nsucc; nback && i-- > 0;)
        if (pl->succ[i] >= nb && opt_dominates(t, f->block[pl->succ[i]].succ[0], p))
            out[(*k)++] = pl->succ[i];
    return true;
}

bool opt_pass_split_order(struct opt_func *f, struct err *e)
{
    const struct opt_domtree *t = f->dom;
    f->dom = NULL; /* the CFG changes */
    if (!t || !same_jumps(f, t))
        return opt_pass_split_edges(f, e) && opt_pass_order(f, e);
    struct splits x;
    if (!splits_init(f, &x))
        return nomem(e);
    uint32_t n = f->norder, k = 0, nfwd = 0;
    uint32_t *out = arena_array_raw(f->arena, n + x.at[x.nb] + 1, sizeof *out);
    if (!out)
        return nomem(e);
    bool same = true;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = f->order[i];
        out[k++] = p;
        if (x.at[p] == x.at[p + 1])
            continue;
        split_from(f, &x, p);
        same = same && lay_splits(f, t, x.nb, p, out, &k, &nfwd);
    }
    if (!same)
        return opt_pass_order(f, e);
    for (uint32_t i = 0; i < k; i++) /* room for the forward splits' odd orders */
        f->block[out[i]].order = 2 * i;
    return place(f, out, k, k + nfwd, e);
}
