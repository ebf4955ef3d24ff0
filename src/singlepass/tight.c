/* Tight loops: a loop whose body is straight code (no block, call or
 * branch out; only branches back to the loop) keeps the locals it sets in
 * registers without storing them at each local.set, the home slots being
 * written once at the loop's end. Everywhere else local.set writes
 * through (see singlepass.h).
 *
 * The body is not compiled yet when the loop opens, so a bounded look
 * ahead peeks at it (at most TIGHT_BYTES): hot inner loops are short, and
 * a loop that is not tight usually shows it at once (a block or a call).
 * While the loop runs:
 * - c->defer lists the locals the body sets that the loop head keeps in
 *   registers; their registers are marked stale in c->stale from the head
 *   on, as a branch back may arrive with them newer than their homes;
 * - a stale register that loses its local (spill, eviction) is stored
 *   first (sp_local_forget); a claimed register takes its mark along;
 * - branches back move the locals to the head's registers as usual; the
 *   loop's end stores every stale register. No label other than the head
 *   is reached from inside, so no other state sees a stale local. */
#include "singlepass.h"

enum { TIGHT_BYTES = 256 };

/* Instructions a tight body may have besides nop and branches to itself:
 * none of them calls out, branches or makes a label (typed select and
 * the table accesses, rare in hot loops, are left out). */
static bool straight(enum op op)
{
    return (op >= OP_DROP && op <= OP_I64_STORE32 && op != OP_SELECT_T && op != OP_TABLE_GET &&
            op != OP_TABLE_SET) ||
           (op >= OP_I32_CONST && op <= OP_I64_EXTEND32_S) ||
           (op >= OP_I32_TRUNC_SAT_F32_S && op <= OP_I64_TRUNC_SAT_F64_U);
}

/* Adds x to the set (at most SP_DIRTY_MAX locals); false when full. */
static bool add_set(uint32_t *set, uint32_t *n, uint32_t x)
{
    for (uint32_t k = 0; k < *n; k++)
        if (set[k] == x)
            return true;
    if (*n == SP_DIRTY_MAX)
        return false;
    set[(*n)++] = x;
    return true;
}

/* Reads the loop whose opcode is at p up to its end: true when it is
 * tight, with the locals it sets in set[0..*n). The bytes after the
 * current instruction are not validated yet, so they are only peeked at
 * (dec_peek), and anything unexpected only makes the loop not tight. */
static bool scan(const uint8_t *p, const uint8_t *end, uint32_t *set, uint32_t *n)
{
    struct insn in;
    *n = 0;
    if (!(p = dec_peek(p, end, &in)) || in.op != OP_LOOP)
        return false;
    while (p < end && (p = dec_peek(p, end, &in))) {
        if (in.op == OP_END)
            return true;
        if (in.op == OP_BR || in.op == OP_BR_IF) {
            if (in.imm.index != 0) /* only back to the loop */
                return false;
        } else if (in.op != OP_NOP && !straight(in.op)) {
            return false;
        } else if ((in.op == OP_LOCAL_SET || in.op == OP_LOCAL_TEE) &&
                   !add_set(set, n, in.imm.index)) {
            return false;
        }
    }
    return false;
}

void sp_tight_begin(struct sp_comp *c, struct sp_ctl *t, uint32_t at)
{
    uint32_t set[SP_DIRTY_MAX], nset;
    if (!t->state.nlocals)
        return;
    const uint8_t *p = c->m->bytes + at, *end = c->m->bytes + c->m->size;
    /* the opcode and at most TIGHT_BYTES after it */
    if (!scan(p, end - p > TIGHT_BYTES + 1 ? p + TIGHT_BYTES + 1 : end, set, &nset))
        return;
    const struct sp_mloc *ml = c->merges.data + t->state.at + t->state.nvals;
    for (uint32_t k = 0; k < t->state.nlocals; k++) {
        uint32_t x = ml[k].slot;
        for (uint32_t i = 0; i < nset; i++) {
            if (set[i] != x)
                continue;
            c->defer[c->ndefer++] = x;
            c->stale |= 1u << ml[k].reg;
        }
    }
    t->tight = c->ndefer != 0;
}

bool sp_tight_set(struct sp_comp *c, uint32_t x, bool in_reg)
{
    const struct sp_val *l = &c->locals[x];
    if (l->kind == SP_REG) /* its old value is dead */
        c->stale &= ~(1u << l->reg);
    for (uint32_t k = 0; in_reg && k < c->ndefer; k++)
        if (c->defer[k] == x)
            return true;
    return false;
}

void sp_tight_end(struct sp_comp *c)
{
    for (uint32_t m = c->live ? c->stale : 0; m; m &= m - 1)
        sp_local_write_back(c, (uint32_t)c->owner[__builtin_ctz(m)]);
    c->stale = 0;
    c->ndefer = 0;
}
