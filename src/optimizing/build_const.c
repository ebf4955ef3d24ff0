/* Constants during IR construction: one value per (type, bits) in a
 * function, defined in the entry block so that it dominates every use.
 * About a third of the values a body makes are constants, mostly repeats
 * (offsets, sizes, zeros); sharing them leaves every later stage fewer
 * values to look at. It costs no register pressure: isel materialises a
 * constant at each use instead of keeping it in a register. */
#include "optimizing.h"

/* A slot of the function's table (open addressing; val 0 is empty). */
struct opt_kslot {
    int64_t bits;
    opt_val val;
    uint32_t type;
};

static uint32_t slot_of(const struct opt_kslot *set, uint32_t cap, enum opt_type t, int64_t bits)
{
    uint64_t h = ((uint64_t)bits ^ (uint64_t)t << 59) * 0x9E3779B97F4A7C15ull;
    uint32_t i = (uint32_t)(h >> 40) & (cap - 1);
    while (set[i].val && (set[i].bits != bits || set[i].type != t))
        i = (i + 1) & (cap - 1);
    return i;
}

static bool rehash(struct opt_build *b, uint32_t cap)
{
    struct opt_kslot *old = b->kset, *set = arena_array(b->a, cap, sizeof *set);
    if (!set)
        return opt_b_nomem(b);
    for (uint32_t i = 0; i < b->kcap; i++)
        if (old[i].val)
            set[slot_of(set, cap, old[i].type, old[i].bits)] = old[i];
    b->kset = set;
    b->kcap = cap;
    return true;
}

void opt_b_consts_begin(struct opt_build *b)
{
    b->kset = NULL;
    b->kcap = b->kn = 0;
}

/* A new constant instruction in the entry block (the block lists put the
 * block's terminator after it). */
static opt_val add(struct opt_build *b, enum opt_type t, int64_t bits)
{
    return opt_b_insn(b, 0, t <= OPT_I64 ? OPT_ICONST : OPT_FCONST, t, 0, 0, 0, bits);
}

opt_val opt_b_const(struct opt_build *b, enum opt_type t, int64_t v)
{
    int64_t bits = t == OPT_I32 || t == OPT_F32 ? (int64_t)(uint32_t)v : v;
    if ((b->kn + 1) * 2 > b->kcap) {
        uint32_t len = (uint32_t)(b->m->funcs[b->f->index].code_end -
                                  b->m->funcs[b->f->index].code);
        uint32_t cap = b->kcap ? b->kcap * 2 : 64;
        while (!b->kn && cap < len / 32 && cap < (1u << 20)) /* first size: by the body */
            cap *= 2;
        if (!rehash(b, cap))
            return OPT_NONE;
    }
    uint32_t i = slot_of(b->kset, b->kcap, t, bits);
    if (!b->kset[i].val) {
        opt_val c = add(b, t, bits);
        if (!c)
            return OPT_NONE;
        b->kset[i] = (struct opt_kslot){bits, c, t};
        b->kn++;
    }
    return b->kset[i].val;
}
