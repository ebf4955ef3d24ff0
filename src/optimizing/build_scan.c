/* A quick look at a body before the walk, to find the labels whose joins
 * would make SSA form quadratic: a label reached by many branches, in
 * whose scope many locals are written, would need a phi per local with
 * an operand per branch (an interpreter's dispatch loop: hundreds of
 * back edges times hundreds of locals). Such "memory labels" keep the
 * locals written in their scope in frame slots instead (build_vars.c):
 * the slot is written with each new value and read once at the join.
 *
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
    VEC(uint32_t) open;       /* labels of the open frames, innermost last */
    VEC(uint32_t) edges;      /* per label: branches to it */
    VEC(uint32_t) stamp;      /* per label: last br_table that counted it */
};

static bool next(struct scanner *s, struct insn *in)
{
    struct err quiet;
    err_clear(&quiet);
    s->r.err = &quiet;
    return s->r.p < s->r.end && dec_insn(&s->r, in);
}

/* The label at branch depth d, or NO_LABEL. */
static uint32_t target(const struct scanner *s, uint32_t d)
{
    return d < s->open.len ? s->open.data[s->open.len - 1 - d] : NO_LABEL;
}

static void count(struct scanner *s, uint32_t label, uint32_t serial)
{
    if (label == NO_LABEL || s->stamp.data[label] == serial)
        return;
    s->stamp.data[label] = serial;
    s->edges.data[label]++;
}

/* Pass 1: branches per label. False on out of memory. */
static bool count_edges(struct scanner *s)
{
    struct insn in;
    uint32_t serial = 0;
    while (s->open.len && next(s, &in)) {
        switch (in.op) {
        case OP_BLOCK: case OP_LOOP: case OP_IF: {
            uint32_t *o = vec_push(&s->open), *e = vec_push(&s->edges), *t = vec_push(&s->stamp);
            if (!o || !e || !t)
                return false;
            *o = (uint32_t)s->edges.len - 1;
            break;
        }
        case OP_END: s->open.len--; break;
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
    return true;
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
    while (ok && s->open.len && next(s, &in)) {
        if (in.op == OP_BLOCK || in.op == OP_LOOP || in.op == OP_IF) {
            uint32_t *o = vec_push(&s->open);
            uint32_t *c = s->edges.data[label] > MEM_MIN_EDGES ? vec_push(&cand) : NULL;
            ok = o && (s->edges.data[label] <= MEM_MIN_EDGES || c);
            if (o)
                *o = label;
            if (c)
                *c = label;
            label++;
        } else if (in.op == OP_END) {
            uint32_t l = s->open.data[--s->open.len];
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
    uint32_t n = (uint32_t)s->edges.len;
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
        if ((uint64_t)s->edges.data[l] * (k - first) < MEM_MIN_OPERANDS)
            continue;
        out->mem[l] = 1;
        for (uint32_t i = first; i < k; i++)
            if ((uint32_t)p->v.data[i] < s->b->nlocals) /* else invalid: the walk says so */
                out->wlocal[w++] = (uint32_t)p->v.data[i];
    }
    out->wstart[n] = w;
    return true;
}

bool opt_b_scan(struct opt_build *b, const struct func *fn, struct opt_scan *out)
{
    struct scanner s = {.b = b};
    struct pairs p = {0};
    *out = (struct opt_scan){0};
    uint32_t *body = vec_push(&s.open);
    bool ok = body != NULL;
    if (ok)
        *body = NO_LABEL;
    s.r = (struct reader){b->m->bytes, fn->code, fn->code_end, NULL};
    ok = ok && count_edges(&s);
    bool any = false;
    for (size_t l = 0; ok && l < s.edges.len; l++)
        any |= s.edges.data[l] > MEM_MIN_EDGES;
    if (ok && any) {
        s.open.len = 0;
        ok = (body = vec_push(&s.open)) != NULL;
        if (ok)
            *body = NO_LABEL;
        s.r = (struct reader){b->m->bytes, fn->code, fn->code_end, NULL};
        ok = ok && collect_writes(&s, &p) && decide(&s, &p, out);
    }
    out->nlabels = any ? (uint32_t)s.edges.len : 0;
    vec_free(&s.open);
    vec_free(&s.edges);
    vec_free(&s.stamp);
    vec_free(&p.v);
    return ok || opt_b_nomem(b);
}
