/* The compile-time value stack and the locals.
 *
 * local.get pushes a reference to the local (SP_LOCAL) instead of a copy;
 * consumers read the local where it is. local.set first turns the
 * references to the local still on the stack into copies, then gives the
 * local the new value's location (a register changes owner, no move). */
#include <string.h>

#include "singlepass.h"

#define NONE UINT32_MAX

static uint32_t slot_of(const struct sp_comp *c, uint32_t pos) { return c->nlocals + pos; }
/* sp_home_disp of a stack position (never a local's slot). */
static int32_t pos_disp(const struct sp_comp *c, uint32_t pos)
{
    return SP_HOMES - 8 * (int32_t)(slot_of(c, pos) + 1);
}

void sp_stack_grow_push(struct sp_comp *c, struct sp_val v)
{
    if (vec_reserve(&c->stack, 2 * c->stack.len + 16))
        sp_stack_push(c, v);
    else
        sp_fail(c, ERR_NOMEM, "out of memory");
}

void sp_push_mem(struct sp_comp *c, valtype t)
{
    sp_stack_push(c, (struct sp_val){.kind = SP_MEM, .type = t});
}

/* Turns the flags on top into an i32 in a register, the comparison's
 * operands dead (out of line: sp_push_flags's usual path, a consumer next,
 * needs no frame). */
static __attribute__((noinline)) void materialize_flags(struct sp_comp *c)
{
    sp_regs_release(c);
    struct sp_val *v = sp_top(c);
    enum x64_cc cc = (enum x64_cc)v->reg;
    int r = sp_reg_alloc(c, false); /* may spill: moves only, the flags live on */
    x64_setcc_zx(&c->a, cc, r);
    v = sp_top(c);
    v->kind = SP_REG;
    v->reg = (uint8_t)r;
    c->locked &= ~(1u << r);
    sp_reg_own(c, r, (int32_t)slot_of(c, (uint32_t)c->stack.len - 1));
}

/* The instructions that consume a comparison in the flags, by opcode
 * byte. */
static bool uses_flags(uint8_t op)
{
    return op == OP_BR_IF || op == OP_IF || op == OP_SELECT || op == OP_SELECT_T ||
           op == OP_I32_EQZ;
}

void sp_push_flags(struct sp_comp *c, enum x64_cc cc)
{
    sp_stack_push(c, (struct sp_val){.kind = SP_FLAGS, .type = VT_I32, .reg = (uint8_t)cc});
    /* Comparisons, i32.eqz and ref.is_null are one byte: the next
     * instruction's opcode is the next byte (the body's end follows at
     * the latest). For any other than a consumer the comparison's
     * operands are dead (their registers freed, as the next instruction
     * would) and the value goes to a register. */
    if (!uses_flags(c->m->bytes[c->at + 1]))
        materialize_flags(c);
}

/* sp_opnd_load's general case: any operand, a register spilled if need
 * be. */
static __attribute__((noinline)) int opnd_load_other(struct sp_comp *c, struct sp_opnd *o)
{
    int r = sp_reg_alloc(c, sp_is_xmm_type(o->type));
    sp_opnd_to(c, r, o);
    *o = (struct sp_opnd){.kind = SP_REG, .type = o->type, .reg = (uint8_t)r, .owned = true};
    return r;
}

int sp_opnd_load(struct sp_comp *c, struct sp_opnd *o)
{
    /* the usual case, frameless: an integer's slot into a free register */
    int r;
    if (o->kind != SP_MEM || sp_is_xmm_type(o->type) || (r = sp_reg_try_alloc(c, false)) < 0)
        return opnd_load_other(c, o);
    return sp_load_slot(c, o, r);
}

int sp_own(struct sp_comp *c, struct sp_opnd *o)
{
    if (o->kind == SP_REG && !o->owned) {
        int r = sp_reg_alloc(c, sp_is_xmm_type(o->type));
        sp_mov(c, o->type, r, o->reg);
        o->reg = (uint8_t)r;
        o->owned = true;
    }
    return sp_opnd_reg(c, o);
}

int sp_pop_reg(struct sp_comp *c)
{
    struct sp_opnd o = sp_pop(c);
    return sp_opnd_reg(c, &o);
}

int sp_pop_owned(struct sp_comp *c)
{
    struct sp_opnd o = sp_pop(c);
    return sp_own(c, &o);
}

enum x64_cc sp_pop_cond(struct sp_comp *c)
{
    struct sp_val *v = sp_top(c);
    if (v->kind == SP_FLAGS) {
        c->stack.len--;
        if (c->frozen > c->stack.len)
            c->frozen = (uint32_t)c->stack.len;
        return (enum x64_cc)v->reg;
    }
    struct sp_opnd o = sp_pop(c);
    if (o.kind == SP_CONST) {
        x64_mov_ri(&c->a, 4, SP_SCRATCH, (uint32_t)o.imm);
        o = (struct sp_opnd){.kind = SP_REG, .type = VT_I32, .reg = SP_SCRATCH};
    }
    if (o.kind == SP_REG)
        x64_alu_rr(&c->a, X64_TEST, 4, o.reg, o.reg);
    else
        x64_alu_mi(&c->a, X64_CMP, 4, sp_opnd_mem(&o), 0);
    return X64_CC_NE;
}

/* A free register for a value that stays (no spilling), or -1. */
static int take_free(struct sp_comp *c, bool xmm)
{
    int r = sp_reg_try_alloc(c, xmm);
    if (r >= 0)
        c->locked &= ~(1u << r);
    return r;
}

void sp_freeze(struct sp_comp *c, uint32_t below)
{
    for (uint32_t pos = c->frozen; pos < below; pos++) {
        struct sp_val *v = &c->stack.data[pos];
        if (v->kind == SP_MEM || v->kind == SP_CONST)
            continue;
        struct sp_opnd o = sp_resolve(c, pos);
        if (v->kind == SP_LOCAL)
            c->refs[v->local]--;
        if (o.kind == SP_CONST) {
            v->kind = SP_CONST;
            v->imm = o.imm;
            continue;
        }
        sp_opnd_store(c, X64_RBP, pos_disp(c, pos), &o);
        if (v->kind == SP_REG)
            sp_reg_own(c, v->reg, SP_FREE);
        v->kind = SP_MEM;
    }
    if (below > c->frozen)
        c->frozen = below;
}

void sp_truncate(struct sp_comp *c, uint32_t height)
{
    while (c->stack.len > height) {
        const struct sp_val *v = &c->stack.data[--c->stack.len];
        if (v->kind == SP_REG && c->owner[v->reg] == (int32_t)slot_of(c, (uint32_t)c->stack.len))
            sp_reg_own(c, v->reg, SP_FREE);
        else if (v->kind == SP_LOCAL)
            c->refs[v->local]--;
    }
    if (c->frozen > height)
        c->frozen = height;
}

/* ---- locals ---- */

static void dirty_remove(struct sp_comp *c, uint32_t x)
{
    uint32_t at = c->dirty_pos[x];
    if (at == NONE)
        return;
    uint32_t last = c->dirty[--c->ndirty];
    c->dirty[at] = last;
    c->dirty_pos[last] = at;
    c->dirty_pos[x] = NONE;
}

void sp_dirty_evict(struct sp_comp *c, uint32_t keep)
{
    uint32_t y = c->dirty[c->dirty_clock++ % c->ndirty];
    if (y == keep)
        y = c->dirty[c->dirty_clock++ % c->ndirty];
    sp_local_forget(c, y);
}

void sp_local_place(struct sp_comp *c, uint32_t x, uint8_t kind, uint8_t reg, int64_t imm)
{
    struct sp_val *l = &c->locals[x];
    if (l->kind == SP_REG && !(kind == SP_REG && reg == l->reg) && c->owner[l->reg] == (int32_t)x)
        sp_reg_own(c, l->reg, SP_FREE);
    l->kind = kind;
    l->reg = reg;
    l->imm = imm;
    if (kind == SP_REG) {
        sp_reg_own(c, reg, (int32_t)x);
        c->reg_use[reg] = ++c->use_clock;
    }
    if (kind == SP_MEM)
        dirty_remove(c, x);
    else
        sp_dirty_add(c, x);
}

/* Copies the references to local x on the stack before x changes. */
static void detach_refs(struct sp_comp *c, uint32_t x)
{
    for (uint32_t pos = (uint32_t)c->stack.len; c->refs[x] && pos-- > c->frozen;) {
        struct sp_val *v = &c->stack.data[pos];
        if (v->kind != SP_LOCAL || v->local != x)
            continue;
        struct sp_opnd o = sp_local_opnd(c, x);
        int r = take_free(c, sp_is_xmm_type(v->type));
        if (r >= 0) {
            sp_opnd_to(c, r, &o);
            v->kind = SP_REG;
            v->reg = (uint8_t)r;
            sp_reg_own(c, r, (int32_t)slot_of(c, pos));
        } else {
            sp_opnd_store(c, X64_RBP, pos_disp(c, pos), &o);
            v->kind = SP_MEM;
        }
        c->refs[x]--;
    }
}

void sp_local_set_slow(struct sp_comp *c, uint32_t x, bool tee)
{
    const struct sp_val *v = sp_top(c);
    struct sp_val top = *v;
    if (top.kind == SP_LOCAL && top.local == x) { /* x = x */
        if (!tee)
            sp_truncate(c, (uint32_t)c->stack.len - 1);
        return;
    }
    struct sp_opnd o = sp_pop(c);
    detach_refs(c, x);
    uint8_t kind = o.kind, reg = o.reg;
    if ((o.kind == SP_REG && !o.owned) || o.kind == SP_MEM) {
        /* a copy: into a free register, else only to the home slot */
        int r = take_free(c, sp_is_xmm_type(o.type));
        if (r >= 0) {
            sp_opnd_to(c, r, &o);
            kind = SP_REG;
            reg = (uint8_t)r;
            o = (struct sp_opnd){.kind = SP_REG, .type = o.type, .reg = reg};
        } else {
            kind = SP_MEM;
        }
    }
    /* Written through: the home slot is always current, so calls and
     * labels drop a local's register or constant without a store; but a
     * tight loop keeps its locals' registers stale (tight.c). */
    bool defer = __builtin_expect(c->ndefer != 0, 0) && sp_tight_set(c, x, kind == SP_REG);
    if (!defer)
        sp_opnd_store(c, X64_RBP, c->local_disp[x], &o);
    sp_local_place(c, x, kind, reg, o.imm);
    if (defer)
        c->stale |= 1u << reg;
    if (tee)
        sp_local_get(c, x);
}

/* System V argument registers (rdi carries the vmctx). */
static const uint8_t int_args[] = {X64_RSI, X64_RDX, X64_RCX, X64_R8, X64_R9};

static bool locals_alloc(struct sp_comp *c, uint32_t n)
{
    if (n <= c->locals_cap)
        return true;
    void *p[4] = {realloc(c->locals, n * sizeof *c->locals),
                  realloc(c->local_disp, n * sizeof *c->local_disp),
                  realloc(c->refs, n * sizeof *c->refs),
                  realloc(c->dirty_pos, n * sizeof *c->dirty_pos)};
    /* Keep what was reallocated: the compiler frees it either way. */
    if (p[0]) c->locals = p[0];
    if (p[1]) c->local_disp = p[1];
    if (p[2]) c->refs = p[2];
    if (p[3]) c->dirty_pos = p[3];
    if (!p[0] || !p[1] || !p[2] || !p[3])
        return sp_fail(c, ERR_NOMEM, "out of memory");
    c->locals_cap = n;
    return true;
}

bool sp_check_type(struct sp_comp *c, valtype t)
{
    return t != VT_V128 || sp_fail(c, ERR_UNSUPPORTED, "SIMD not supported by singlepass");
}

bool sp_check_types_slow(struct sp_comp *c, const valtype *a, uint32_t na, const valtype *b,
                         uint32_t nb)
{
    if ((na && memchr(a, VT_V128, na)) || (nb && memchr(b, VT_V128, nb)))
        return sp_check_type(c, VT_V128);
    return true;
}

/* Parameters start in their argument registers, stored to their homes
 * (or in the caller's stack slots); declared locals in home slots the
 * prologue zeroes. */
bool sp_locals_begin(struct sp_comp *c, const struct val_func *f)
{
    uint32_t n = f->nlocals ? f->nlocals : 1;
    if (!locals_alloc(c, n))
        return false;
    c->nlocals = f->nlocals;
    c->ndirty = 0;
    c->zext = 0;
    memset(c->refs, 0, n * sizeof *c->refs);
    memset(c->dirty_pos, 0xff, n * sizeof *c->dirty_pos);
    uint32_t np = c->type->nparams, nint = c->type->nresults >= 2, nflt = 0, nstack = 0;
    for (uint32_t x = 0; x < f->nlocals; x++) {
        valtype t = f->local_types[x];
        if (!sp_check_type(c, t))
            return false;
        c->locals[x] = (struct sp_val){.kind = SP_MEM, .type = t};
        c->local_disp[x] = SP_HOMES - 8 * (int32_t)(x + 1);
    }
    for (uint32_t x = 0; x < np; x++) {
        valtype t = c->locals[x].type;
        uint8_t reg;
        if (sp_is_xmm_type(t) && nflt < 8) {
            reg = (uint8_t)(X64_XMM0 + nflt++);
        } else if (!sp_is_xmm_type(t) && nint < ARRAY_LEN(int_args)) {
            reg = int_args[nint++];
            if (t == VT_I32) /* upper half unspecified: the prologue clears it */
                c->zext |= 1u << reg;
        } else {
            c->local_disp[x] = 16 + 8 * (int32_t)nstack++;
            continue;
        }
        sp_local_place(c, x, SP_REG, reg, 0);
        sp_store_home(c, t, c->local_disp[x], reg); /* homes are current */
    }
    return true;
}
