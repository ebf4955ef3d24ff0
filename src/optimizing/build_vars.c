/* Locals as SSA values: on-the-fly SSA construction after Braun et al.,
 * "Simple and Efficient Construction of Static Single Assignment Form"
 * (CC 2013), with one change that keeps it linear on long chains of
 * blocks. The locals written since the last join live in a persistent
 * 16-ary trie (copied on write, so a branch keeps the state it saw for the
 * price of a pointer); a local not written since is asked of that join
 * block, which answers once per local (a phi, or the single value all its
 * edges carry) and remembers the answer. Blocks with one predecessor never
 * ask anything: they continue their predecessor's state. A merge asks its
 * predecessors and makes a phi only when they differ; it need not ask
 * them about a local not written between its block or if's opening and
 * its end (the writes are numbered, and each knows the local's earlier
 * ones). Loop headers are sealed at the loop's end; lookups before that
 * make incomplete phis. */
#include <string.h>

#include "optimizing.h"

enum { FAN_BITS = 4, FAN = 1 << FAN_BITS };
/* Lookup frames that make no phi (struct opt_rframe's phi): waiting for
 * one answer or a merge's, or answered with what is remembered already. */
enum { SINGLE = UINT32_MAX, MERGE = UINT32_MAX - 1, KNOWN = UINT32_MAX - 2 };
/* In the trie, ASK | block stands for "the value at the start of join
 * block": a local written in the scope of the join the state continues
 * after (opt_b_join). Values are below ASK (ids fit 31 bits). */
#define ASK 0x80000000u

struct opt_pnode {
    uint32_t stamp;
    union {
        struct opt_pnode *kid[FAN];
        uint32_t val[FAN];
    } u;
};

/* A write of a local, by serial (0: none): the local, its write before
 * it, and a jump further back (skew-binary jump pointers: finding the last
 * write before a point takes O(log writes) steps). */
struct opt_wnode {
    uint32_t local, prev, jump, depth;
};

/* Numbers a write of var (b->wserial, b->wseq[var]). */
static bool log_write(struct opt_build *b, uint32_t var)
{
    uint32_t s = ++b->wserial, p = b->wseq[var];
    if (!opt_grow(b->a, &b->wlog, &b->cap_wlog, s + 1, sizeof *b->wlog))
        return opt_b_nomem(b);
    const struct opt_wnode *w = b->wlog, *j = &w[w[p].jump];
    bool even = w[p].depth - j->depth == j->depth - w[j->jump].depth;
    b->wlog[s] = (struct opt_wnode){var, p, even ? j->jump : p, w[p].depth + 1};
    b->wseq[var] = s;
    return true;
}

/* Whether var was written after serial lo and no later than hi. */
static bool written_between(const struct opt_build *b, uint32_t var, uint32_t lo, uint32_t hi)
{
    uint32_t s = b->wseq[var];
    while (s > hi)
        s = b->wlog[s].jump > hi ? b->wlog[s].jump : b->wlog[s].prev;
    return s > lo;
}

/* ---- the trie ---- */

static opt_val trie_get(const struct opt_build *b, const struct opt_pnode *n, uint32_t var)
{
    for (int l = (int)b->depth - 1; n && l > 0; l--)
        n = n->u.kid[(var >> (FAN_BITS * l)) & (FAN - 1)];
    return n ? n->u.val[var & (FAN - 1)] : OPT_NONE;
}

/* Writes var in the current state, copying the nodes a snapshot shares. */
static bool trie_set(struct opt_build *b, uint32_t var, opt_val v)
{
    struct opt_pnode **slot = &b->st.root;
    if (!log_write(b, var))
        return false;
    for (int l = (int)b->depth - 1;; l--) {
        struct opt_pnode *n = *slot;
        if (!n || n->stamp != b->stamp) {
            struct opt_pnode *c = arena_alloc_raw(b->a, sizeof *c);
            if (!c)
                return opt_b_nomem(b);
            if (n)
                memcpy(c, n, sizeof *c);
            else
                memset(c, 0, sizeof *c);
            c->stamp = b->stamp;
            *slot = n = c;
        }
        if (l == 0) {
            n->u.val[var & (FAN - 1)] = v;
            return true;
        }
        slot = &n->u.kid[(var >> (FAN_BITS * l)) & (FAN - 1)];
    }
}

struct opt_pstate opt_b_snapshot(struct opt_build *b)
{
    struct opt_pstate s = b->st;
    b->stamp++;
    return s;
}

void opt_b_adopt(struct opt_build *b, struct opt_pstate s)
{
    b->st = s;
    b->stamp++;
}

/* ---- answers of join blocks: (block, local) -> value ---- */

static uint32_t slot_of(const struct opt_build *b, uint64_t key)
{
    uint32_t mask = b->ccap - 1;
    uint32_t i = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & mask;
    while (b->ckey[i] != UINT64_MAX && b->ckey[i] != key)
        i = (i + 1) & mask;
    return i;
}

static uint64_t key_of(uint32_t block, uint32_t var) { return (uint64_t)block << 32 | var; }

static opt_val cache_get(const struct opt_build *b, uint32_t block, uint32_t var)
{
    if (!b->ccap)
        return OPT_NONE;
    uint32_t i = slot_of(b, key_of(block, var));
    return b->ckey[i] == UINT64_MAX ? OPT_NONE : b->cval[i];
}

static bool cache_rehash(struct opt_build *b, uint32_t cap)
{
    uint64_t *ok = b->ckey;
    uint32_t *ov = b->cval, ocap = b->ccap;
    b->ckey = arena_array_raw(b->a, cap, sizeof *b->ckey);
    b->cval = arena_array_raw(b->a, cap, sizeof *b->cval);
    if (!b->ckey || !b->cval)
        return opt_b_nomem(b);
    memset(b->ckey, 0xff, cap * sizeof *b->ckey);
    b->ccap = cap;
    for (uint32_t i = 0; i < ocap; i++)
        if (ok[i] != UINT64_MAX) {
            uint32_t j = slot_of(b, ok[i]);
            b->ckey[j] = ok[i];
            b->cval[j] = ov[i];
        }
    return true;
}

/* The first size of the table: real modules remember about one answer
 * per 16 bytes of body (most reads find their value in the trie), so most
 * functions never rehash. */
static uint32_t cache_first_cap(const struct opt_build *b)
{
    const struct func *fn = &b->m->funcs[b->f->index];
    size_t want = (size_t)(fn->code_end - fn->code) / 8;
    uint32_t cap = 64;
    while (cap < want && cap < (1u << 24))
        cap *= 2;
    return cap;
}

static bool cache_put(struct opt_build *b, uint32_t block, uint32_t var, opt_val v)
{
    if ((b->cn + 1) * 2 > b->ccap &&
        !cache_rehash(b, b->ccap ? b->ccap * 2 : cache_first_cap(b)))
        return false;
    uint64_t key = key_of(block, var);
    uint32_t i = slot_of(b, key);
    b->cn += b->ckey[i] == UINT64_MAX;
    b->ckey[i] = key;
    b->cval[i] = v;
    return true;
}

/* ---- phis ---- */

static enum opt_type var_type(const struct opt_build *b, uint32_t var)
{
    return opt_type_of(b->local_types[var]);
}

/* Gives a phi made before its block was sealed one operand slot per pred. */
static bool phi_alloc(struct opt_build *b, opt_val phi)
{
    struct opt_func *f = b->f;
    uint32_t n = f->block[f->insn[phi].block].npred;
    uint32_t at = opt_extra_add(f, NULL, n);
    if (at == UINT32_MAX)
        return opt_b_nomem(b);
    f->insn[phi].arg[0] = at;
    f->insn[phi].arg[1] = n;
    return true;
}

/* Removes phi, which stands for v. */
static void drop_phi(struct opt_func *f, opt_val phi, opt_val v)
{
    f->insn[phi].dead = 1;
    opt_replace(f, phi, v);
}

/* Whether var is as the scope of join or loop header bi found it: the scope
 * is known (opened) and nothing inside wrote var. */
static bool unwritten(const struct opt_build *b, const struct opt_binfo *bi, uint32_t var)
{
    return bi->opened && !written_between(b, var, bi->wopen, bi->wclose);
}

/* The value a phi whose operands are all one value (or itself) stands
 * for, the phi then being removed; else the phi. */
static opt_val trivial(struct opt_build *b, opt_val phi)
{
    struct opt_func *f = b->f;
    opt_val same = opt_phi_same(f, phi);
    if (same == phi)
        return phi;
    if (!same) /* only reachable through itself: never defined */
        same = b->zero[f->insn[phi].type];
    drop_phi(f, phi, same);
    return same;
}

/* ---- lookups ---- */

static opt_val entry_value(const struct opt_build *b, uint32_t var)
{
    uint32_t np = b->f->type->nparams;
    return var < np ? b->params[var] : b->zero[var_type(b, var)];
}

static bool work_push(struct opt_build *b, uint32_t block)
{
    if (!OPT_B_ROOM(&b->work))
        return opt_b_nomem(b);
    b->work.data[b->work.len++] = (struct opt_rframe){block, 0, 0, 0};
    return true;
}

/* The value of var in state s when it is known without a lookup's frames:
 * written since s's join, or answered by the entry block or by what the
 * join that must be asked (*ask: s's, or the one a marker names)
 * remembers; else 0. */
static opt_val known(const struct opt_build *b, struct opt_pstate s, uint32_t var,
                     uint32_t *ask)
{
    opt_val v = trie_get(b, s.root, var);
    *ask = v & ASK ? v & ~ASK : s.base;
    if (v && !(v & ASK))
        return v;
    return *ask ? cache_get(b, *ask, var) : entry_value(b, var);
}

/* First step of a lookup at a join whose answer is not known (the entry
 * block's always is). Either answers (*v set; the caller remembers it
 * unless the frame says KNOWN), or turns the frame into one
 * that waits: SINGLE for the answer at one earlier point (the one
 * predecessor, or where a merge's block or if opened when var was not
 * written since), MERGE for the answers of a forward join's predecessors
 * (a phi only if they differ), or a new phi (already remembered, which
 * ends cycles through loops) whose operands come from the predecessors. */
static bool lookup_start(struct opt_build *b, struct opt_rframe *r, uint32_t var, opt_val *v)
{
    struct opt_func *f = b->f;
    struct opt_binfo *bi = opt_b_info(b, r->block);
    uint32_t npred = f->block[r->block].npred;
    if (bi->sealed && npred == 0) /* dead code */
        *v = b->zero[var_type(b, var)];
    else if (bi->sealed &&
             (npred == 1 || unwritten(b, bi, var))) {
        /* one way in, or var is as its block or if found it */
        struct opt_pstate s = npred == 1 ? bi->st[0] : bi->open;
        r->phi = SINGLE;
        *v = known(b, s, var, &r->next);
    } else if (bi->sealed && !bi->loop) { /* no cycle can come back here */
        r->phi = MERGE;
        r->ops = (uint32_t)b->ops.len;
    } else {
        opt_val phi = opt_phi_new(f, r->block, var_type(b, var));
        if (!phi)
            return opt_b_nomem(b);
        r->phi = bi->sealed ? phi : KNOWN;
        if (!bi->sealed && (!opt_push(b->a, &bi->incomplete, &bi->ninc, &bi->cap_inc, var) ||
                            !opt_push(b->a, &bi->incomplete, &bi->ninc, &bi->cap_inc, phi)))
            return opt_b_nomem(b);
        *v = bi->sealed ? OPT_NONE : phi;
        return cache_put(b, r->block, var, phi);
    }
    return true;
}

/* Where the next operand of a waiting frame goes. */
static bool operand_put(struct opt_build *b, struct opt_rframe *r, opt_val v)
{
    if (r->phi != MERGE) {
        b->f->extra[b->f->insn[r->phi].arg[0] + r->next++] = v;
        return true;
    }
    if (!OPT_B_ROOM(&b->ops))
        return opt_b_nomem(b);
    b->ops.data[b->ops.len++] = v;
    r->next++;
    return true;
}

/* A merge's answer once it has all operands: their one value, or a phi. */
static opt_val merge_done(struct opt_build *b, const struct opt_rframe *r, uint32_t var)
{
    struct opt_func *f = b->f;
    const opt_val *ops = b->ops.data + r->ops;
    opt_val same = opt_resolve(f, ops[0]);
    uint32_t i = 1;
    while (i < r->next && opt_resolve(f, ops[i]) == same)
        i++;
    b->ops.len = r->ops;
    if (i == r->next)
        return same;
    opt_val phi = opt_phi_new(f, r->block, var_type(b, var));
    if (!phi) {
        opt_b_nomem(b);
        return OPT_NONE;
    }
    memcpy(f->extra + f->insn[phi].arg[0], ops, r->next * sizeof *ops);
    return phi;
}

/* The value of var at the start of join block `block`. */
static opt_val lookup(struct opt_build *b, uint32_t block, uint32_t var)
{
    struct opt_func *f = b->f;
    size_t base = b->work.len;
    opt_val v = OPT_NONE, result = OPT_NONE;
    if (!work_push(b, block))
        return OPT_NONE;
    while (b->work.len > base) {
        uint32_t top = (uint32_t)b->work.len - 1;
        struct opt_rframe *r = &b->work.data[top];
        const struct opt_binfo *bi = opt_b_info(b, r->block);
        if (!r->phi) {
            if (!lookup_start(b, r, var, &v))
                return OPT_NONE;
            if (v)
                goto done;
            if (r->phi == SINGLE) {
                if (!work_push(b, r->next))
                    return OPT_NONE;
                continue;
            }
        } else if (r->phi == SINGLE) {
            v = result;
            goto done;
        } else if (!operand_put(b, r, result)) {
            return OPT_NONE;
        }
        uint32_t n = f->block[r->block].npred, ask = 0;
        while (r->next < n && (v = known(b, bi->st[r->next], var, &ask)))
            if (!operand_put(b, r, v))
                return OPT_NONE;
        if (r->next < n) {
            if (!work_push(b, ask))
                return OPT_NONE;
            continue;
        }
        v = r->phi == MERGE ? merge_done(b, r, var) : trivial(b, r->phi);
        if (!v)
            return OPT_NONE;
    done:
        r = &b->work.data[top];
        if (r->phi != KNOWN && !cache_put(b, r->block, var, v))
            return OPT_NONE;
        b->work.len--;
        result = v;
    }
    return result;
}

static opt_val read_state(struct opt_build *b, struct opt_pstate s, uint32_t var)
{
    uint32_t ask;
    opt_val v = known(b, s, var, &ask);
    return v ? v : lookup(b, ask, var);
}

opt_val opt_b_local_get(struct opt_build *b, uint32_t local)
{
    return read_state(b, b->st, local);
}

/* ---- joins ---- */

/* Code after a join continues from the state where its block or if
 * opened, with a marker (ASK | join) for each local written inside: only
 * those are asked of the join (lazily, so a phi is made only for a local
 * read after it), every other read finds its value in the trie at once
 * instead of asking a chain of joins (asyncify's code: long runs of small
 * ifs). A join whose scope made more than JOIN_WRITES writes (a bound that
 * keeps the work per join constant) is asked about every local. */
enum { JOIN_WRITES = 16 };

bool opt_b_join(struct opt_build *b, uint32_t m)
{
    const struct opt_binfo *bi = opt_b_info(b, m);
    uint32_t lo = bi->wopen, hi = bi->wclose;
    if (hi - lo > JOIN_WRITES) {
        opt_b_adopt(b, (struct opt_pstate){NULL, m});
        return true;
    }
    opt_b_adopt(b, bi->open);
    for (uint32_t s = lo + 1; s <= hi; s++) {
        uint32_t x = b->wlog[s].local;
        if (trie_get(b, b->st.root, x) != (ASK | m) && !trie_set(b, x, ASK | m))
            return false;
    }
    return true;
}

/* ---- memory labels ---- */

/* The address of local x's home slot (made on first use). */
static opt_val home_addr(struct opt_build *b, uint32_t x)
{
    struct opt_func *f = b->f;
    if (!b->home[x]) {
        if (!opt_grow(b->a, &f->slot, &f->cap_slot, f->nslot + 1, sizeof *f->slot)) {
            opt_b_nomem(b);
            return OPT_NONE;
        }
        f->slot[f->nslot] = (struct opt_slot){.size = 8};
        b->home[x] = ++f->nslot;
    }
    return opt_b_emit(b, OPT_SLOT_ADDR, OPT_I64, 0, 0, 0, b->home[x] - 1);
}

static bool home_store(struct opt_build *b, uint32_t x, opt_val v)
{
    opt_val p = home_addr(b, x);
    opt_val s = p ? opt_b_emit(b, OPT_STORE, OPT_VOID, p, v, 0, 0) : OPT_NONE;
    if (s)
        b->f->insn[s].aux = opt_mem_of_type(var_type(b, x));
    return s;
}

/* The locals written in label c's scope. */
static const uint32_t *mem_locals(const struct opt_build *b, const struct opt_bctl *c,
                                  uint32_t *n)
{
    const struct opt_scan *sc = &b->scan;
    *n = sc->wstart[c->label + 1] - sc->wstart[c->label];
    return sc->wlocal + sc->wstart[c->label];
}

bool opt_b_mem_open(struct opt_build *b, struct opt_bctl *c)
{
    uint32_t n;
    const uint32_t *x = mem_locals(b, c, &n);
    for (uint32_t i = 0; i < n; i++) {
        opt_val v = opt_b_local_get(b, x[i]);
        if (!v || !home_store(b, x[i], v))
            return false;
        b->mem_depth[x[i]]++;
    }
    c->open_st = opt_b_snapshot(b);
    return true;
}

bool opt_b_mem_enter(struct opt_build *b, const struct opt_bctl *c)
{
    uint32_t n;
    const uint32_t *x = mem_locals(b, c, &n);
    opt_b_adopt(b, c->open_st);
    for (uint32_t i = 0; i < n; i++) {
        enum opt_type t = var_type(b, x[i]);
        opt_val p = home_addr(b, x[i]);
        opt_val v = p ? opt_b_load(b, t, opt_mem_of_type(t), p, 0) : OPT_NONE;
        if (!v || !trie_set(b, x[i], v))
            return false;
    }
    return true;
}

void opt_b_mem_close(struct opt_build *b, const struct opt_bctl *c)
{
    uint32_t n;
    const uint32_t *x = mem_locals(b, c, &n);
    for (uint32_t i = 0; i < n; i++)
        b->mem_depth[x[i]]--;
}

bool opt_b_local_set(struct opt_build *b, uint32_t local, opt_val v)
{
    return trie_set(b, local, v) && (!b->mem_depth || !b->mem_depth[local] ||
                                     home_store(b, local, v));
}

bool opt_b_written(struct opt_build *b, uint32_t since, uint32_t *n)
{
    uint8_t *seen = arena_alloc(b->a, b->nlocals + 1);
    if (!seen)
        return opt_b_nomem(b);
    *n = 0;
    for (uint32_t s = b->wserial; s > since; s--) {
        uint32_t x = b->wlog[s].local;
        *n += !seen[x];
        seen[x] = 1;
    }
    return true;
}

bool opt_b_vars_begin(struct opt_build *b)
{
    b->depth = 1;
    while (b->depth < 8 && (1ull << (FAN_BITS * b->depth)) < b->nlocals)
        b->depth++;
    b->st = (struct opt_pstate){NULL, 0};
    b->stamp = 1;
    b->wserial = 0;
    b->wseq = arena_array(b->a, b->nlocals + 1, sizeof *b->wseq);
    b->wlog = NULL;
    b->cap_wlog = 0;
    if (!b->wseq || !opt_grow(b->a, &b->wlog, &b->cap_wlog, 64, sizeof *b->wlog))
        return opt_b_nomem(b);
    b->wlog[0] = (struct opt_wnode){0, 0, 0, 0}; /* "no write": its own jump */
    b->ckey = NULL;
    b->cval = NULL;
    b->ccap = b->cn = 0;
    return true;
}

/* ---- sealing and label values ---- */

/* The value of a phi made at loop header blk before it was sealed: its
 * entry value when the loop does not write var (no need to ask the back
 * edges), else the phi filled from the edges (or what it trivially is). */
static opt_val complete(struct opt_build *b, uint32_t blk, uint32_t var, opt_val phi)
{
    const struct opt_binfo *bi = opt_b_info(b, blk);
    if (unwritten(b, bi, var)) {
        opt_val v = read_state(b, bi->st[0], var);
        if (v)
            drop_phi(b->f, phi, v);
        return v;
    }
    if (!phi_alloc(b, phi))
        return OPT_NONE;
    for (uint32_t k = 0; k < b->f->insn[phi].arg[1]; k++) {
        opt_val v = read_state(b, opt_b_info(b, blk)->st[k], var);
        if (!v)
            return OPT_NONE;
        b->f->extra[b->f->insn[phi].arg[0] + k] = v;
    }
    return trivial(b, phi);
}

bool opt_b_seal(struct opt_build *b, uint32_t blk)
{
    opt_b_info(b, blk)->sealed = true;
    for (uint32_t i = 0; i < opt_b_info(b, blk)->ninc; i += 2) {
        const struct opt_binfo *bi = opt_b_info(b, blk);
        uint32_t var = bi->incomplete[i];
        opt_val v = complete(b, blk, var, bi->incomplete[i + 1]);
        if (!v || !cache_put(b, blk, var, v))
            return false;
    }
    /* the phis replaced go (complete's have no operands for the preds) */
    if (opt_b_info(b, blk)->ninc)
        opt_compact_phis(b->f, blk);
    return true;
}

bool opt_b_fill_value_phi(struct opt_build *b, uint32_t blk, opt_val phi, uint32_t k)
{
    if (!phi_alloc(b, phi))
        return false;
    const struct opt_binfo *bi = opt_b_info(b, blk);
    for (uint32_t i = 0; i < b->f->insn[phi].arg[1]; i++)
        b->f->extra[b->f->insn[phi].arg[0] + i] = bi->vals[i * bi->arity + k];
    trivial(b, phi);
    return true;
}

opt_val opt_b_merge_value(struct opt_build *b, uint32_t blk, uint32_t k, enum opt_type t)
{
    const struct opt_binfo *bi = opt_b_info(b, blk);
    uint32_t n = b->f->block[blk].npred;
    opt_val first = opt_resolve(b->f, bi->vals[k]);
    uint32_t i = 1;
    while (i < n && opt_resolve(b->f, bi->vals[i * bi->arity + k]) == first)
        i++;
    if (i == n)
        return first;
    opt_val phi = opt_phi_new(b->f, blk, t);
    if (!phi) {
        opt_b_nomem(b);
        return OPT_NONE;
    }
    bi = opt_b_info(b, blk);
    for (i = 0; i < n; i++)
        b->f->extra[b->f->insn[phi].arg[0] + i] = bi->vals[i * bi->arity + k];
    return phi;
}
