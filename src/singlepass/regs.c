/* The register file: which value owns each register, allocation (spilling
 * the oldest stack value when none is free), claiming the fixed registers
 * some instructions need, and freeing an instruction's temporaries. */
#include "singlepass.h"

#define BIT(r) (1u << (r))

static struct sp_val *slot_val(struct sp_comp *c, int32_t slot)
{
    return (uint32_t)slot < c->nlocals ? &c->locals[slot] : &c->stack.data[slot - c->nlocals];
}

void sp_local_write_back(struct sp_comp *c, uint32_t x)
{
    const struct sp_val *l = &c->locals[x];
    if (sp_is_xmm_type(l->type))
        sp_store_home(c, l->type, c->local_disp[x], l->reg);
    else /* all 8 bytes (an i32 is zero-extended): an 8-byte copy of the
          * slot soon after then reads from the store instead of stalling */
        x64_store_frame(&c->a, 8, c->local_disp[x], l->reg);
}

void sp_local_forget(struct sp_comp *c, uint32_t x)
{
    const struct sp_val *l = &c->locals[x];
    if (l->kind == SP_REG && (c->stale & BIT(l->reg))) {
        sp_local_write_back(c, x);
        c->stale &= ~BIT(l->reg);
    }
    sp_local_place(c, x, SP_MEM, 0, 0); /* frees the register */
}

/* Frees reg: a stack value goes to its home slot; a local's home is
 * already current (stores write through, but in tight loops), so it is
 * only forgotten. */
static void spill(struct sp_comp *c, int reg)
{
    int32_t s = c->owner[reg];
    if (s < 0)
        return;
    if ((uint32_t)s < c->nlocals) {
        sp_local_forget(c, (uint32_t)s);
        return;
    }
    struct sp_val *v = slot_val(c, s);
    sp_store_home(c, v->type, sp_home_disp(c, (uint32_t)s), reg);
    v->kind = SP_MEM;
    sp_reg_own(c, reg, SP_FREE);
}

/* The register to spill: the one holding the local used longest ago (free
 * to drop, and likely dead or far from its next use), else the one holding
 * the deepest stack value (needed last). */
static int victim(struct sp_comp *c, bool xmm)
{
    uint32_t cand = sp_class_mask(xmm) & c->busy & ~c->locked & ~c->temps;
    int best = -1;
    uint64_t best_rank = UINT64_MAX;
    for (; cand; cand &= cand - 1) {
        int r = __builtin_ctz(cand);
        uint32_t s = (uint32_t)c->owner[r];
        uint64_t rank = s < c->nlocals ? c->reg_use[r] : (1ull << 32) + (s - c->nlocals);
        if (rank < best_rank) {
            best_rank = rank;
            best = r;
        }
    }
    return best;
}

int sp_reg_spill_alloc(struct sp_comp *c, bool xmm)
{
    int r = victim(c, xmm);
    if (r < 0) {
        /* Every register is an operand of this instruction: cannot happen
         * with the operand counts wasm has, but never emit garbage. */
        sp_fail(c, ERR_LIMIT, "singlepass: out of registers");
        return xmm ? SP_XSCRATCH : SP_SCRATCH;
    }
    spill(c, r);
    return sp_reg_hold(c, r);
}

void sp_reg_claim(struct sp_comp *c, int reg)
{
    if ((c->temps | c->locked) & BIT(reg)) {
        sp_fail(c, ERR_LIMIT, "singlepass: register claimed twice");
        return;
    }
    if (c->busy & BIT(reg)) {
        int32_t s = c->owner[reg];
        int to = sp_reg_try_alloc(c, X64_IS_XMM(reg));
        if (to < 0) {
            spill(c, reg);
        } else {
            struct sp_val *v = slot_val(c, s);
            sp_mov(c, v->type, to, reg);
            v->reg = (uint8_t)to;
            if (c->stale & BIT(reg)) /* a local's mark goes along */
                c->stale ^= BIT(reg) | BIT(to);
            c->locked &= ~BIT(to);
            sp_reg_own(c, to, s);
        }
    }
    sp_reg_hold(c, reg);
}

/* Drops the locals held in registers of mask (a call clobbers them):
 * one pass over dirty[], which keeps its order, instead of a
 * sp_local_forget per register. */
static void drop_locals(struct sp_comp *c, uint32_t mask)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < c->ndirty; k++) {
        uint32_t x = c->dirty[k];
        struct sp_val *l = &c->locals[x];
        if (l->kind == SP_REG && (mask & BIT(l->reg)) && c->owner[l->reg] == (int32_t)x) {
            if (c->stale & BIT(l->reg)) {
                sp_local_write_back(c, x);
                c->stale &= ~BIT(l->reg);
            }
            c->busy &= ~BIT(l->reg);
            l->kind = SP_MEM;
            l->reg = 0;
            l->imm = 0;
            c->dirty_pos[x] = UINT32_MAX;
            continue;
        }
        c->dirty_pos[x] = n;
        c->dirty[n++] = x;
    }
    c->ndirty = n;
}

void sp_spill_caller_saved(struct sp_comp *c, uint32_t below)
{
    uint32_t m = c->busy & (SP_GP_CALLER | SP_XMM_ALL) & ~c->temps;
    if (!m)
        return;
    drop_locals(c, m);
    for (m &= c->busy; m; m &= m - 1) { /* what is left: stack values */
        int r = __builtin_ctz(m);
        if ((uint32_t)c->owner[r] - c->nlocals < below)
            spill(c, r);
    }
}
