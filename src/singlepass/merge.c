/* Merge points. A label's state says where each of the values it receives
 * must be and which locals it finds in registers (every local's home slot
 * is current: local.set writes through, so a local's register is a copy
 * that any path may drop for free).
 *
 * A loop head's state is the one at the loop's entry, and every branch back
 * emits the moves from its state to it. A forward label (block or if end)
 * takes its values' places from the first branch to reach it; the locals it
 * keeps in registers are those that every path to it has in the same
 * register (each branch or fall-through narrows the list), so no path ever
 * moves a local there. The moves of a transfer run in three phases:
 *   A. stores to memory, in increasing position (a value moving down the
 *      stack is read before anything writes over it),
 *   B. register to register, as one parallel move,
 *   C. loads of constants and slots into registers.
 * Entries below the label's height are frozen (slots or constants) and
 * equal on every path, so they need no moves. */
#include "singlepass.h"

#define NONE UINT32_MAX
#define BIT(r) (1u << (r))

/* Where a value the label receives goes: its register if no other value
 * of the state has it, else a free register, else memory. */
static struct sp_mloc place(struct sp_comp *c, const struct sp_opnd *o, uint32_t slot,
                            uint32_t *taken)
{
    struct sp_mloc m = {.slot = slot, .kind = SP_MEM, .type = o->type};
    int r = -1;
    if (o->kind == SP_REG && !(*taken & BIT(o->reg))) {
        r = o->reg;
    } else if (o->kind != SP_MEM) {
        uint32_t f = sp_reg_free_mask(c, sp_is_xmm_type(o->type)) & ~*taken;
        r = f ? __builtin_ctz(f) : -1;
    }
    if (r >= 0) {
        m.kind = SP_REG;
        m.reg = (uint8_t)r;
        *taken |= BIT(r);
        sp_reg_mark_used(c, r);
    }
    return m;
}

/* sp_state_init_slow's general case: values, a local not in a register
 * (a constant gets a free register if there is one), or no room yet. */
static __attribute__((noinline)) bool init_general(struct sp_comp *c, struct sp_state *st,
                                                   uint32_t nvals, const valtype *types,
                                                   bool *same)
{
    uint32_t src0 = (uint32_t)c->stack.len - nvals, start = (uint32_t)c->merges.len;
    size_t need = start + nvals + c->ndirty + 1; /* never NULL */
    if (need > c->merges.cap && !vec_reserve(&c->merges, need))
        return sp_fail(c, ERR_NOMEM, "out of memory");
    *same = true;
    struct sp_mloc *mv = c->merges.data + start, *ml = mv + nvals;
    uint32_t taken = 0, nl = 0;
    for (uint32_t k = 0; k < c->ndirty; k++) { /* locals first: they live longer */
        uint32_t x = c->dirty[k];
        const struct sp_val *l = &c->locals[x];
        if (l->kind == SP_REG) { /* the usual: it keeps its own register */
            ml[nl++] = (struct sp_mloc){.slot = x, .kind = SP_REG, .reg = l->reg, .type = l->type};
            taken |= BIT(l->reg);
            continue;
        }
        *same = false;
        struct sp_opnd o = {.kind = l->kind, .type = l->type, .reg = l->reg};
        struct sp_mloc m = place(c, &o, x, &taken);
        if (m.kind == SP_REG)
            ml[nl++] = m;
    }
    for (uint32_t i = 0; i < nvals; i++) {
        *same &= c->stack.data[src0 + i].kind == SP_REG;
        struct sp_opnd o = sp_resolve(c, src0 + i);
        mv[i] = place(c, &o, i, &taken);
        mv[i].type = types[i];
    }
    c->merges.len = start + nvals + nl;
    *st = (struct sp_state){start, nvals, nl};
    return true;
}

/* The usual label, no values and every dirty local in a register, takes
 * a copy of the dirty locals, in a loop that calls nothing. */
bool sp_state_init_slow(struct sp_comp *c, struct sp_state *st, uint32_t nvals,
                        const valtype *types, bool *same)
{
    uint32_t start = (uint32_t)c->merges.len, n = c->ndirty;
    if (nvals || start + n >= c->merges.cap)
        return init_general(c, st, nvals, types, same);
    struct sp_mloc *ml = c->merges.data + start;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t x = c->dirty[k];
        const struct sp_val *l = &c->locals[x];
        if (l->kind != SP_REG)
            return init_general(c, st, nvals, types, same);
        ml[k] = (struct sp_mloc){.slot = x, .kind = SP_REG, .reg = l->reg, .type = l->type};
    }
    c->merges.len = start + n;
    *st = (struct sp_state){start, 0, n};
    *same = true;
    return true;
}

/* ---- the moves of a transfer ---- */

void sp_move_add(struct sp_comp *c, enum sp_phase phase, const struct sp_opnd *src,
                 uint8_t dst_kind, uint8_t dst_reg, uint8_t dst_base, int32_t dst_disp)
{
    if (c->moves.len == c->moves.cap && !vec_reserve(&c->moves, 2 * c->moves.len + 16)) {
        sp_fail(c, ERR_NOMEM, "out of memory");
        return;
    }
    c->moves.data[c->moves.len++] =
        (struct sp_move){.src = *src, .dst_kind = dst_kind, .dst_reg = dst_reg,
                         .dst_disp = dst_disp, .dst_base = dst_base, .phase = (uint8_t)phase};
}

static void add(struct sp_comp *c, enum sp_phase phase, const struct sp_opnd *src,
                uint8_t dst_kind, uint8_t dst_reg, int32_t dst_disp)
{
    sp_move_add(c, phase, src, dst_kind, dst_reg, X64_RBP, dst_disp);
}

/* One value or local: src to a register or to the slot at disp. */
static void plan_one(struct sp_comp *c, const struct sp_opnd *src, const struct sp_mloc *dst,
                     int32_t disp)
{
    if (dst->kind == SP_MEM) {
        if (!(src->kind == SP_MEM && src->disp == disp))
            add(c, SP_PHASE_STORE, src, SP_MEM, 0, disp);
        return;
    }
    if (src->kind == SP_REG) {
        if (src->reg != dst->reg)
            add(c, SP_PHASE_REG, src, SP_REG, dst->reg, 0);
        return;
    }
    if (src->kind == SP_MEM && src->disp != disp && src->disp <= sp_home_disp(c, c->nlocals)) {
        /* A stack value moving down: park it in its new slot first, as a
         * store may overwrite its old one (local slots only change when
         * the local is in a register or a constant here, and then it is
         * not read from memory). */
        add(c, SP_PHASE_STORE, src, SP_MEM, 0, disp);
        struct sp_opnd parked = *src;
        parked.disp = disp;
        add(c, SP_PHASE_LOAD, &parked, SP_REG, dst->reg, 0);
        return;
    }
    add(c, SP_PHASE_LOAD, src, SP_REG, dst->reg, 0);
}

/* The moves of the values of st (plan_one puts them in c->moves). */
static __attribute__((noinline)) void plan_values(struct sp_comp *c, const struct sp_state *st,
                                                  uint32_t height)
{
    c->moves.len = 0;
    uint32_t n = st->nvals, src0 = (uint32_t)c->stack.len - n;
    const struct sp_mloc *mv = c->merges.data + st->at;
    for (uint32_t i = 0; i < n; i++) {
        const struct sp_val *v = &c->stack.data[src0 + i];
        if (v->kind == SP_REG && mv[i].kind == SP_REG && v->reg == mv[i].reg)
            continue;
        struct sp_opnd src = sp_resolve(c, src0 + i);
        plan_one(c, &src, &mv[i], sp_home_disp(c, c->nlocals + height + i));
    }
}

bool sp_state_plan(struct sp_comp *c, const struct sp_state *st, uint32_t height)
{
    plan_values(c, st, height);
    const struct sp_mloc *ml = c->merges.data + st->at + st->nvals;
    for (uint32_t k = 0; k < st->nlocals; k++) {
        uint32_t x = ml[k].slot;
        const struct sp_val *l = &c->locals[x];
        if (l->kind == SP_REG && l->reg == ml[k].reg)
            continue; /* the common case: already where the label wants it */
        struct sp_opnd src = {.kind = l->kind, .type = l->type, .reg = l->reg, .imm = l->imm,
                              .disp = c->local_disp[x]};
        plan_one(c, &src, &ml[k], src.disp);
    }
    return c->moves.len != 0;
}

bool sp_state_meet(struct sp_comp *c, struct sp_state *st, uint32_t height)
{
    c->moves.len = 0;
    if (st->nvals) /* else this is a leaf: no frame */
        plan_values(c, st, height);
    /* The value moves only write the values' registers, which no listed
     * local has, so what is in a listed register now reaches the label. */
    struct sp_mloc *ml = c->merges.data + st->at + st->nvals;
    const struct sp_val *locals = c->locals;
    uint32_t n = 0;
    for (uint32_t k = 0, nl = st->nlocals; k < nl; k++) {
        const struct sp_val *l = &locals[ml[k].slot];
        if (l->kind == SP_REG && l->reg == ml[k].reg)
            ml[n++] = ml[k];
    }
    st->nlocals = n;
    return c->moves.len != 0;
}

static void emit_move(struct sp_comp *c, const struct sp_move *m)
{
    if (m->dst_kind == SP_MEM)
        sp_opnd_store(c, m->dst_base, m->dst_disp, &m->src);
    else
        sp_opnd_to(c, m->dst_reg, &m->src);
}

/* The general case of sp_parallel_moves: an order that reads every
 * source before it is overwritten (cycles go through the scratch). */
static __attribute__((noinline)) void parallel_moves(struct sp_comp *c, struct sp_rmove *mv,
                                                     uint32_t n)
{
    uint8_t readers[33] = {0};
    for (uint32_t i = 0; i < n; i++)
        readers[mv[i].src]++;
    while (n) {
        bool progress = false;
        for (uint32_t i = 0; i < n;) {
            if (readers[mv[i].dst]) {
                i++;
                continue;
            }
            sp_mov(c, mv[i].type, mv[i].dst, mv[i].src);
            readers[mv[i].src]--;
            mv[i] = mv[--n];
            progress = true;
        }
        if (progress || !n)
            continue;
        /* Only cycles are left: park one destination's value in the
         * scratch register and let its readers read it there. */
        int d = mv[0].dst, s = X64_IS_XMM(d) ? SP_XSCRATCH : SP_SCRATCH;
        sp_mov(c, mv[0].type, s, d);
        for (uint32_t i = 0; i < n; i++)
            if (mv[i].src == d) {
                mv[i].src = (uint8_t)s;
                readers[d]--;
            }
    }
}

void sp_parallel_moves(struct sp_comp *c, struct sp_rmove *mv, uint32_t n)
{
    if (n == 1) /* the usual register move: no order to find */
        sp_mov(c, mv[0].type, mv[0].dst, mv[0].src);
    else if (n)
        parallel_moves(c, mv, n);
}

/* Two moves or more, by phase. */
static __attribute__((noinline)) void run_phases(struct sp_comp *c)
{
    struct sp_rmove regs[32];
    uint32_t nregs = 0;
    bool loads = false;
    const struct sp_move *m = c->moves.data, *end = m + c->moves.len;
    for (; m < end; m++) {
        if (m->phase == SP_PHASE_STORE)
            emit_move(c, m);
        else if (m->phase == SP_PHASE_LOAD)
            loads = true;
        else if (m->src.reg != m->dst_reg && nregs < ARRAY_LEN(regs))
            regs[nregs++] = (struct sp_rmove){m->dst_reg, m->src.reg, m->src.type};
    }
    sp_parallel_moves(c, regs, nregs);
    for (m = c->moves.data; loads && m < end; m++)
        if (m->phase == SP_PHASE_LOAD)
            emit_move(c, m);
}

/* Frameless: the usual transfer has one move (no order to keep), emitted
 * by a tail call. */
void sp_run_moves(struct sp_comp *c)
{
    if (c->moves.len > 1)
        run_phases(c);
    else if (c->moves.len)
        emit_move(c, c->moves.data);
}

/* ---- entering a label ---- */

/* Pushes st's values (the rare label with values), out of line so that
 * sp_state_enter calls nothing on its usual path and needs no frame. */
static __attribute__((noinline)) void push_values(struct sp_comp *c, const struct sp_state *st)
{
    const struct sp_mloc *mv = c->merges.data + st->at;
    for (uint32_t i = 0; i < st->nvals; i++) {
        if (mv[i].kind == SP_REG)
            sp_push_reg(c, mv[i].type, mv[i].reg);
        else
            sp_push_mem(c, mv[i].type);
    }
}

void sp_state_enter(struct sp_comp *c, const struct sp_state *st, uint32_t height)
{
    /* Forget the current state: what is above height goes, locals go back
     * to their slots, every register is free. No code. */
    for (size_t pos = c->stack.len; pos-- > height;)
        if (c->stack.data[pos].kind == SP_LOCAL)
            c->refs[c->stack.data[pos].local]--;
    c->stack.len = height;
    if (c->frozen > height)
        c->frozen = height;
    for (uint32_t k = 0; k < c->ndirty; k++) {
        c->locals[c->dirty[k]].kind = SP_MEM;
        c->dirty_pos[c->dirty[k]] = NONE;
    }
    c->busy = c->temps = c->locked = c->stale = 0; /* owner[] is read for busy ones only */
    /* Take st's: the locals (their registers are not the values'), then
     * the values. */
    const struct sp_mloc *ml = c->merges.data + st->at + st->nvals;
    for (uint32_t k = 0; k < st->nlocals; k++) {
        uint32_t x = ml[k].slot;
        c->locals[x].kind = SP_REG;
        c->locals[x].reg = ml[k].reg;
        c->owner[ml[k].reg] = (int32_t)x;
        c->busy |= BIT(ml[k].reg);
        c->dirty_pos[x] = k;
        c->dirty[k] = x;
    }
    c->ndirty = st->nlocals;
    if (st->nvals)
        push_values(c, st);
}
