/* A quick look at a body before a walk, to find the labels whose joins
 * would make SSA form quadratic: a label reached by many branches, in
 * whose scope many locals are written, would need a phi per local with
 * an operand per branch (an interpreter's dispatch loop: hundreds of
 * back edges times hundreds of locals). Such "memory labels" keep the
 * locals written in their scope in frame slots instead (build_vars.c):
 * the slot is written with each new value and read once at the join.
 *
 * Only a function whose first walk met one looks (opt_b_check_join).
 * Labels are numbered in the order their block, loop or if opens. The
 * body is not validated yet: whatever does not make sense is skipped and
 * left to the validator. */
#include <string.h>

#include "optimizing.h"

enum {
    MEM_MIN_EDGES = 32,       /* fewer branches: phis are fine */
    MEM_MIN_OPERANDS = 4096,  /* branches x locals written below this: phis are fine */
    NO_LABEL = UINT32_MAX,    /* the body's own label */
};

struct scanner {
    struct opt_build *b;
    struct reader r;
    uint32_t *open, nopen;    /* labels of the open frames, innermost last */
    uint32_t *edges, nlabels; /* per label: branches to it */
    uint32_t *stamp;          /* per label: last br_table that counted it */
    uint32_t cap;             /* room in each (a label takes 2 bytes at least) */
};

/* The next instruction (op and the immediates the scan reads); false at
 * the end or at what does not decode. dec_peek reads most; what it does
 * not (SIMD, rare) goes through the decoder. */
static bool next(struct scanner *s, struct insn *in)
{
    const uint8_t *p = s->r.p, *end = s->r.end;
    if (p >= end)
        return false;
    const uint8_t *q = dec_peek(p, end, in);
    if (!q) {
        struct err quiet;
        err_clear(&quiet);
        s->r.err = &quiet;
        return dec_insn(&s->r, in);
    }
    s->r.p = q;
    return true;
}

/* Opens a frame: a new label (false when there is no room: bad input). */
static bool open_label(struct scanner *s, uint32_t label)
{
    if (s->nopen == s->cap)
        return false;
    s->open[s->nopen++] = label;
    return true;
}

/* The label at branch depth d, or NO_LABEL. */
static uint32_t target(const struct scanner *s, uint32_t d)
{
    return d < s->nopen ? s->open[s->nopen - 1 - d] : NO_LABEL;
}

static void count(struct scanner *s, uint32_t label, uint32_t serial)
{
    if (label == NO_LABEL || s->stamp[label] == serial)
        return;
    s->stamp[label] = serial;
    s->edges[label]++;
}

/* Pass 1: branches per label. */
static void count_edges(struct scanner *s)
{
    struct insn in;
    uint32_t serial = 0;
    while (s->nopen && next(s, &in)) {
        switch (in.op) {
        case OP_BLOCK: case OP_LOOP: case OP_IF:
            if (s->nlabels == s->cap || !open_label(s, s->nlabels))
                return;
            s->edges[s->nlabels] = s->stamp[s->nlabels] = 0;
            s->nlabels++;
            break;
        case OP_END: s->nopen--; break;
        case OP_BR: case OP_BR_IF: count(s, target(s, in.imm.index), ++serial); break;
        case OP_BR_TABLE: {
            const uint8_t *p = in.imm.br_table.p;
            serial++;
            for (uint32_t i = 0; i <= in.imm.br_table.count; i++)
                count(s, target(s, dec_br_table_next(&p)), serial);
            break;
        }
        default: break;
        }
    }
}

/* (label, local) pairs written in candidate labels' scopes. */
struct pairs {
    VEC(uint64_t) v;
};

static bool has_pair(const uint64_t *set, uint32_t cap, uint64_t key, uint32_t *slot)
{
    uint32_t i = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & (cap - 1);
    while (set[i] != UINT64_MAX && set[i] != key)
        i = (i + 1) & (cap - 1);
    *slot = i;
    return set[i] == key;
}

/* Pass 2: for labels with many branches, the locals written inside. Each
 * (label, local) pair is found once: walking out from the innermost open
 * candidate stops at the first that already has the local. */
static bool collect_writes(struct scanner *s, struct pairs *out)
{
    struct arena *a = s->b->a;
    uint32_t cap = 1024, n = 0;
    uint64_t *set = arena_array(a, cap, sizeof *set);
    VEC(uint32_t) cand = {0};
    struct insn in;
    bool ok = set != NULL;
    if (ok)
        memset(set, 0xff, cap * sizeof *set);
    uint32_t label = 0;
    while (ok && s->nopen && next(s, &in)) {
        if (in.op == OP_BLOCK || in.op == OP_LOOP || in.op == OP_IF) {
            if (label == s->nlabels || !open_label(s, label)) /* as pass 1 stopped */
                break;
            uint32_t *c = s->edges[label] > MEM_MIN_EDGES ? vec_push(&cand) : NULL;
            ok = s->edges[label] <= MEM_MIN_EDGES || c;
            if (c)
                *c = label;
            label++;
        } else if (in.op == OP_END) {
            uint32_t l = s->open[--s->nopen];
            if (cand.len && cand.data[cand.len - 1] == l)
                cand.len--;
        } else if ((in.op == OP_LOCAL_SET || in.op == OP_LOCAL_TEE) && cand.len) {
            for (size_t k = cand.len; ok && k-- > 0;) {
                uint64_t key = (uint64_t)cand.data[k] << 32 | in.imm.index;
                uint32_t slot;
                if (has_pair(set, cap, key, &slot))
                    break;
                set[slot] = key;
                uint64_t *p = vec_push(&out->v);
                ok = p != NULL;
                if (p)
                    *p = key;
                if (++n * 2 > cap) { /* grow: rehash into a fresh table */
                    uint64_t *big = arena_array(a, cap * 2, sizeof *big);
                    ok = ok && big;
                    if (ok) {
                        memset(big, 0xff, cap * 2 * sizeof *big);
                        cap *= 2;
                        for (size_t i = 0; i < out->v.len; i++) {
                            has_pair(big, cap, out->v.data[i], &slot);
                            big[slot] = out->v.data[i];
                        }
                        set = big;
                    }
                }
            }
        }
    }
    vec_free(&cand);
    return ok;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Memory labels and their locals (CSR) from the pairs. */
static bool decide(struct scanner *s, struct pairs *p, struct opt_scan *out)
{
    struct arena *a = s->b->a;
    uint32_t n = s->nlabels;
    out->mem = arena_alloc(a, n + 1);
    out->wstart = arena_array(a, n + 2, sizeof *out->wstart);
    out->wlocal = arena_array(a, p->v.len + 1, sizeof *out->wlocal);
    if (!out->mem || !out->wstart || !out->wlocal)
        return false;
    if (p->v.len)
        qsort(p->v.data, p->v.len, sizeof *p->v.data, cmp_u64);
    uint32_t k = 0, w = 0;
    for (uint32_t l = 0; l < n; l++) {
        uint32_t first = k;
        while (k < p->v.len && (uint32_t)(p->v.data[k] >> 32) == l)
            k++;
        out->wstart[l] = w;
        if ((uint64_t)s->edges[l] * (k - first) < MEM_MIN_OPERANDS)
            continue;
        out->mem[l] = 1;
        for (uint32_t i = first; i < k; i++)
            if ((uint32_t)p->v.data[i] < s->b->nlocals) /* else invalid: the walk says so */
                out->wlocal[w++] = (uint32_t)p->v.data[i];
    }
    out->wstart[n] = w;
    return true;
}

/* The scan's arrays, raw: labels are numbered as they open and each takes
 * two bytes of the body at least. */
static bool scanner_init(struct scanner *s, struct opt_build *b, const struct func *fn)
{
    size_t len = (size_t)(fn->code_end - fn->code);
    *s = (struct scanner){.b = b, .cap = (uint32_t)(len / 2 + 2)};
    s->open = arena_array_raw(b->a, s->cap, sizeof *s->open);
    s->edges = arena_array_raw(b->a, s->cap, sizeof *s->edges);
    s->stamp = arena_array_raw(b->a, s->cap, sizeof *s->stamp);
    return s->open && s->edges && s->stamp;
}

/* Starts a pass at the body's start, its own frame open. */
static void rewind_body(struct scanner *s, const struct func *fn)
{
    s->r = (struct reader){s->b->m->bytes, fn->code, fn->code_end, NULL};
    s->nopen = 0;
    open_label(s, NO_LABEL);
}

/* Whether the body is long enough, for its number of locals, to hold a
 * memory label: more than MEM_MIN_EDGES branches to it and at least
 * MEM_MIN_OPERANDS branches x locals written, where each branch and each
 * write takes two bytes at least. The product is largest with half the
 * pairs of bytes (or all the locals, if fewer) for the writes. Most
 * functions are too short: they are not scanned. */
static bool may_have_memory_label(const struct opt_build *b, const struct func *fn)
{
    uint64_t pairs = (uint64_t)(fn->code_end - fn->code) / 2;
    uint64_t w = b->nlocals < pairs / 2 ? b->nlocals : pairs / 2;
    return pairs > w + MEM_MIN_EDGES && (pairs - w) * w >= MEM_MIN_OPERANDS;
}

/* Stops the walk to start again after a scan. */
static bool rescan(struct opt_build *b)
{
    b->rescan = true;
    return err_set(b->e, ERR_LIMIT, b->at, "a memory label: walk again after a scan");
}

/* The walk goes without a scan at first (most functions have no memory
 * label, and the scan decodes the whole body): a label that turns out to
 * be one by the same measure over the code the walk reached (its edges
 * so far, the locals written in its scope so far: both only grow) stops
 * the walk as soon as it is, before its join makes any phi, and the walk
 * starts again after a scan. The locals are counted again only when the
 * writes doubled (or at the join), and all the counting of a walk within
 * the body's length (else the scan is cheaper). ruby: 22 of 17,490
 * functions walk twice, most of them stopping early in their loop. */
bool opt_b_check_join(struct opt_build *b, struct opt_bctl *c, uint32_t npred, bool final)
{
    uint64_t bound = c->nwritten + (b->wserial - c->wcounted); /* locals written, or more */
    if (b->scanned || npred <= MEM_MIN_EDGES || npred * bound < MEM_MIN_OPERANDS)
        return true;
    uint32_t span = b->wserial - c->wopen;
    if (!final && span < 2 * (c->wcounted - c->wopen))
        return true;
    const struct func *fn = &b->m->funcs[b->f->index];
    b->scan_work += span + b->nlocals;
    if (b->scan_work > (uint64_t)(fn->code_end - fn->code))
        return rescan(b);
    if (!opt_b_written(b, c->wopen, &c->nwritten))
        return false;
    c->wcounted = b->wserial;
    return (uint64_t)npred * c->nwritten < MEM_MIN_OPERANDS || rescan(b);
}

bool opt_b_scan(struct opt_build *b, const struct func *fn, struct opt_scan *out)
{
    struct scanner s;
    struct pairs p = {0};
    *out = (struct opt_scan){0};
    if (!may_have_memory_label(b, fn))
        return true;
    if (!scanner_init(&s, b, fn))
        return opt_b_nomem(b);
    rewind_body(&s, fn);
    count_edges(&s);
    bool any = false, ok = true;
    for (uint32_t l = 0; l < s.nlabels; l++)
        any |= s.edges[l] > MEM_MIN_EDGES;
    if (any) {
        rewind_body(&s, fn);
        ok = collect_writes(&s, &p) && decide(&s, &p, out);
    }
    out->nlabels = any ? s.nlabels : 0;
    vec_free(&p.v);
    return ok || opt_b_nomem(b);
}
