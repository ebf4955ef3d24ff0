/* The IR's storage: instructions, blocks and operand lists in arrays that
 * grow inside the function's arena (a grown array leaves its old copy
 * behind until the arena is freed, at most as much again). */
#include <string.h>

#include "optimizing.h"

const struct opt_op_info opt_ops[OPT_OP_COUNT] = {
#define X(id, name, shape, flags) [OPT_##id] = {name, shape, flags},
    OPT_OPS(X)
#undef X
};

bool opt_regrow(struct arena *a, void *arr, uint32_t *cap, uint32_t need, size_t elem)
{
    uint64_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    if (n > UINT32_MAX / 2)
        return false;
    void **p = arr;
    void *fresh = arena_array_raw(a, (size_t)n, elem);
    if (!fresh)
        return false;
    if (*p)
        memcpy(fresh, *p, *cap * elem);
    *p = fresh;
    *cap = (uint32_t)n;
    return true;
}

uint32_t opt_block_new(struct opt_func *f)
{
    if (!opt_grow(f->arena, &f->block, &f->cap_block, f->nblock + 1, sizeof *f->block))
        return UINT32_MAX;
    f->block[f->nblock] = (struct opt_block){0};
    return f->nblock++;
}

bool opt_func_init(struct opt_func *f, struct arena *a, const struct module *m, uint32_t index)
{
    *f = (struct opt_func){.arena = a, .m = m, .index = index, .type = dec_func_type(m, index)};
    f->ninsn = 1; /* id 0 is "no value" */
    f->alias = arena_array(a, 64, sizeof *f->alias);
    return f->alias && opt_grow(a, &f->insn, &f->cap_insn, 64, sizeof *f->insn) &&
           opt_block_new(f) == 0;
}

bool opt_func_reserve(struct opt_func *f, uint32_t ninsn, uint32_t nblock)
{
    uint32_t old = f->cap_insn;
    if (!opt_grow(f->arena, &f->insn, &f->cap_insn, ninsn, sizeof *f->insn) ||
        !opt_grow(f->arena, &f->block, &f->cap_block, nblock, sizeof *f->block))
        return false;
    if (old == f->cap_insn)
        return true;
    uint32_t *alias = arena_array_raw(f->arena, f->cap_insn, sizeof *alias);
    if (!alias)
        return false;
    memcpy(alias, f->alias, f->ninsn * sizeof *alias); /* opt_insn_new sets the others */
    f->alias = alias;
    return true;
}

opt_val opt_insn_add(struct opt_func *f, uint32_t b, enum opt_op op, enum opt_type t,
                     opt_val a0, opt_val a1, opt_val a2, int64_t imm)
{
    opt_val id = opt_insn_new(f, b, op, t, a0, a1, a2, imm);
    if (id && b != UINT32_MAX) {
        struct opt_block *bl = &f->block[b];
        if (!opt_push(f->arena, &bl->insn, &bl->ninsn, &bl->cap_insn, id))
            return OPT_NONE;
    }
    return id;
}

uint32_t opt_extra_add(struct opt_func *f, const uint32_t *v, uint32_t n)
{
    if (!opt_grow(f->arena, &f->extra, &f->cap_extra, f->nextra + n, sizeof *f->extra))
        return UINT32_MAX;
    uint32_t at = f->nextra;
    if (n && v)
        memcpy(f->extra + at, v, n * sizeof *v);
    else if (n)
        memset(f->extra + at, 0, n * sizeof *v);
    f->nextra += n;
    return at;
}

opt_val opt_phi_new(struct opt_func *f, uint32_t b, enum opt_type t)
{
    uint32_t n = f->block[b].npred;
    uint32_t at = opt_extra_add(f, NULL, n);
    if (at == UINT32_MAX)
        return OPT_NONE;
    opt_val p = opt_insn_add(f, UINT32_MAX, OPT_PHI, t, at, n, 0, 0);
    struct opt_block *bl = &f->block[b];
    if (!p || !opt_push(f->arena, &bl->phi, &bl->nphi, &bl->cap_phi, p))
        return OPT_NONE;
    f->insn[p].block = b;
    return p;
}

uint32_t opt_pred_index(const struct opt_func *f, uint32_t b, uint32_t p)
{
    const struct opt_block *bl = &f->block[b];
    for (uint32_t i = 0; i < bl->npred; i++)
        if (bl->pred[i] == p)
            return i;
    return UINT32_MAX;
}

bool opt_edge_new(struct opt_func *f, uint32_t from, uint32_t to)
{
    struct opt_block *a = &f->block[from], *b = &f->block[to];
    return opt_push(f->arena, &a->succ, &a->nsucc, &a->cap_succ, to) &&
           opt_push(f->arena, &b->pred, &b->npred, &b->cap_pred, from);
}

bool opt_edge_add(struct opt_func *f, uint32_t from, uint32_t to)
{
    const struct opt_block *a = &f->block[from];
    for (uint32_t i = 0; i < a->nsucc; i++)
        if (a->succ[i] == to)
            return true;
    return opt_edge_new(f, from, to);
}

opt_val opt_resolve(struct opt_func *f, opt_val v)
{
    opt_val r = v;
    while (f->alias[r])
        r = f->alias[r];
    while (f->alias[v] && f->alias[v] != r) { /* path compression */
        opt_val next = f->alias[v];
        f->alias[v] = r;
        v = next;
    }
    return r;
}

void opt_replace(struct opt_func *f, opt_val v, opt_val by)
{
    by = opt_resolve(f, by);
    if (by != v) {
        f->alias[v] = by;
        f->nreplaced++;
    }
}

void opt_resolve_all(struct opt_func *f)
{
    for (opt_val v = 1; v < f->ninsn; v++)
        if (!f->insn[v].dead)
            opt_resolve_args(f, v);
}

void opt_resolve_phis(struct opt_func *f)
{
    for (uint32_t b = 0; b < f->nblock; b++) {
        const struct opt_block *bl = &f->block[b];
        for (uint32_t i = 0; !bl->dead && i < bl->nphi; i++)
            opt_resolve_args(f, bl->phi[i]);
    }
}

/* Keeps the entries of a block list that are live and still in block b. */
static uint32_t compact_list(const struct opt_func *f, uint32_t b, uint32_t *list, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!f->insn[list[i]].dead && f->insn[list[i]].block == b)
            list[k++] = list[i];
    return k;
}

void opt_compact(struct opt_func *f)
{
    for (uint32_t b = 0; b < f->nblock; b++) {
        struct opt_block *bl = &f->block[b];
        if (bl->dead || !bl->stale)
            continue;
        bl->nphi = compact_list(f, b, bl->phi, bl->nphi);
        bl->ninsn = compact_list(f, b, bl->insn, bl->ninsn);
        bl->stale = false;
    }
}

void opt_compact_phis(struct opt_func *f, uint32_t b)
{
    f->block[b].nphi = compact_list(f, b, f->block[b].phi, f->block[b].nphi);
}

void opt_pred_drop(struct opt_func *f, uint32_t b, uint32_t i)
{
    struct opt_block *bl = &f->block[b];
    for (uint32_t k = 0; k < bl->nphi; k++) {
        struct opt_insn *phi = &f->insn[bl->phi[k]];
        uint32_t *ops = f->extra + phi->arg[0];
        memmove(ops + i, ops + i + 1, (phi->arg[1] - i - 1) * sizeof *ops);
        phi->arg[1]--;
    }
    memmove(bl->pred + i, bl->pred + i + 1, (bl->npred - i - 1) * sizeof *bl->pred);
    bl->npred--;
}

void opt_edge_remove(struct opt_func *f, uint32_t from, uint32_t to)
{
    struct opt_block *a = &f->block[from];
    uint32_t k = 0;
    for (uint32_t i = 0; i < a->nsucc; i++)
        if (a->succ[i] != to)
            a->succ[k++] = a->succ[i];
    a->nsucc = k;
    uint32_t i = opt_pred_index(f, to, from);
    if (i != UINT32_MAX)
        opt_pred_drop(f, to, i);
}

opt_val opt_phi_same(struct opt_func *f, opt_val phi)
{
    uint32_t *ops, n = opt_args(f, &f->insn[phi], &ops);
    opt_val same = OPT_NONE;
    for (uint32_t i = 0; i < n; i++) {
        opt_val o = opt_resolved(f, ops[i]);
        if (o == phi || o == same)
            continue;
        if (same)
            return phi;
        same = o;
    }
    return same;
}

const uint32_t *opt_table(const struct opt_func *f, const struct opt_insn *in, uint32_t *count)
{
    *count = in->arg[1];
    return f->extra + in->imm;
}

uint8_t opt_mem_of_type(enum opt_type t)
{
    static const uint8_t kinds[] = {0, MEM_I32, MEM_64, MEM_F32, MEM_F64};
    return kinds[t];
}

const char *opt_type_name(enum opt_type t)
{
    static const char *const names[] = {"void", "i32", "i64", "f32", "f64"};
    return (unsigned)t < ARRAY_LEN(names) ? names[t] : "?";
}

struct opt_insn *opt_term(const struct opt_func *f, uint32_t b)
{
    const struct opt_block *bl = &f->block[b];
    if (!bl->ninsn)
        return NULL;
    struct opt_insn *in = &f->insn[bl->insn[bl->ninsn - 1]];
    return opt_ops[in->op].flags & OF_TERM ? in : NULL;
}
