/* Structured control: blocks, loops, if/else, branches, br_table, return
 * and unreachable. Code after an unconditional branch is not emitted; the
 * state comes back at the next label a branch reached, or at else. */
#include <string.h>

#include "singlepass.h"

#define NO_LABEL UINT32_MAX

static struct sp_ctl *ctl_at(struct sp_comp *c, uint32_t depth)
{
    return &c->ctls.data[c->ctls.len - 1 - depth];
}

/* Puts the function's results where the ABI wants them (rax or xmm0, or
 * the caller's result area). Leaves the state as it is. */
static void put_results(struct sp_comp *c)
{
    uint32_t n = c->type->nresults, base = (uint32_t)c->stack.len - n;
    if (n == 1) {
        struct sp_opnd o = sp_resolve(c, base);
        sp_opnd_to(c, sp_is_xmm_type(o.type) ? X64_XMM0 : X64_RAX, &o);
        return;
    }
    if (n == 0)
        return;
    /* Registers first, then the rest through rax (no longer needed). */
    x64_mov_rm(&c->a, 8, SP_SCRATCH, x64_mem_base(X64_RBP, SP_RESULT_PTR));
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t k = 0; k < n; k++) {
            struct sp_opnd o = sp_resolve(c, base + k);
            struct x64_mem dst = x64_mem_base(SP_SCRATCH, 8 * (int32_t)k);
            if ((o.kind == SP_REG) != (pass == 0))
                continue;
            if (o.kind == SP_REG) {
                sp_store(c, o.type, dst, o.reg);
            } else if (o.kind == SP_CONST && o.imm == (int32_t)o.imm) {
                x64_mov_mi(&c->a, 8, dst, (int32_t)o.imm);
            } else {
                o.type = o.type == VT_I32 ? VT_I32 : VT_I64;
                sp_opnd_to(c, X64_RAX, &o);
                x64_mov_mr(&c->a, 8, dst, X64_RAX);
            }
        }
    }
}

/* t's branch target, made by the first branch to it: most blocks and ifs
 * are never branched to, and their ends then bind nothing. */
static x64_label target(struct sp_comp *c, struct sp_ctl *t)
{
    if (t->label == NO_LABEL)
        t->label = x64_label_new(&c->a);
    return t->label;
}

/* The values a branch to t carries: a loop's params, a block's results. */
static uint32_t arity(const struct sp_ctl *t)
{
    return t->op == OP_LOOP ? t->nparams : t->nresults;
}

static const valtype *arity_types(const struct sp_ctl *t)
{
    return t->op == OP_LOOP ? t->params : t->results;
}

/* A branch to t's label: plan_branch makes the label's state if needed and
 * plans the moves (false when there are none); emit_branch emits them and
 * the jump. */
static inline bool plan_branch(struct sp_comp *c, struct sp_ctl *t)
{
    if (t->func)
        return c->type->nresults != 0;
    if (t->op == OP_LOOP)
        return sp_state_plan(c, &t->state, t->height);
    if (!t->merged) {
        bool same;
        if (!sp_state_init(c, &t->state, arity(t), arity_types(t), &same))
            return false;
        t->merged = true;
        if (same) {
            c->moves.len = 0; /* emit_branch runs the plan's moves */
            return false;
        }
    }
    return sp_state_meet(c, &t->state, t->height);
}

static void emit_branch(struct sp_comp *c, struct sp_ctl *t)
{
    if (t->func) {
        put_results(c);
        x64_jmp(&c->a, c->ret_label);
        return;
    }
    sp_run_moves(c);
    x64_jmp(&c->a, target(c, t));
}

static bool branch_to(struct sp_comp *c, struct sp_ctl *t)
{
    plan_branch(c, t);
    emit_branch(c, t);
    return err_ok(c->e);
}

/* Stack entry pos now has its value in the free register reg too: it
 * takes the register (a local's reference or a register it had is let
 * go). */
static void adopt(struct sp_comp *c, uint32_t pos, int reg)
{
    struct sp_val *v = &c->stack.data[pos];
    if (v->kind == SP_LOCAL) {
        const struct sp_val *l = &c->locals[v->local];
        if (l->kind == SP_REG && l->reg == reg)
            return; /* it was read there: no move */
        c->refs[v->local]--;
    } else if (v->kind == SP_REG) {
        if (v->reg == reg)
            return;
        sp_reg_own(c, v->reg, SP_FREE);
    }
    v->kind = SP_REG;
    v->reg = (uint8_t)reg;
    sp_reg_own(c, reg, (int32_t)(c->nlocals + pos));
}

/* The moves of a br_if to a block or if end, run before its jcc when they
 * only put values in free registers (moves leave the flags alone): the
 * values then stay there on the path that goes on, and the branch needs
 * no code of its own. False, with nothing emitted, otherwise. */
static bool moves_first(struct sp_comp *c, struct sp_ctl *t)
{
    uint32_t n = t->nresults, src0 = (uint32_t)c->stack.len - n;
    if (t->func || t->op == OP_LOOP || src0 < c->frozen)
        return false;
    for (size_t i = 0; i < c->moves.len; i++) {
        const struct sp_move *m = &c->moves.data[i];
        if (m->dst_kind != SP_REG || ((c->busy | c->locked) & (1u << m->dst_reg)))
            return false;
    }
    sp_run_moves(c);
    const struct sp_mloc *mv = c->merges.data + t->state.at;
    for (uint32_t i = 0; i < n; i++)
        if (mv[i].kind == SP_REG)
            adopt(c, src0 + i, mv[i].reg);
    return true;
}

static bool do_br_if(struct sp_comp *c, uint32_t depth)
{
    enum x64_cc cc = sp_pop_cond(c);
    struct sp_ctl *t = ctl_at(c, depth);
    if (!plan_branch(c, t) || moves_first(c, t)) {
        x64_jcc(&c->a, cc, target(c, t)); /* the function's is the epilogue */
        return err_ok(c->e);
    }
    x64_label skip = x64_label_new(&c->a);
    x64_jcc(&c->a, x64_cc_not(cc), skip);
    emit_branch(c, t);
    x64_label_bind(&c->a, skip);
    return err_ok(c->e);
}

/* The stub label of frame `depth` for the br_table being compiled; the
 * first visit queues the frame in c->table_frames. */
static x64_label table_stub(struct sp_comp *c, uint32_t depth)
{
    struct sp_ctl *t = ctl_at(c, depth);
    if (t->table_stamp != c->table_count) {
        if (c->table_frames.len == c->table_frames.cap &&
            !vec_reserve(&c->table_frames, 2 * c->table_frames.len + 16)) {
            sp_fail(c, ERR_NOMEM, "out of memory");
            return 0;
        }
        c->table_frames.data[c->table_frames.len++] = depth;
        t->table_stamp = c->table_count;
        t->table_label = x64_label_new(&c->a);
    }
    return t->table_label;
}

/* A jump table of 32-bit offsets from the table's start; each distinct
 * target gets one stub with its moves. The stubs come first so the table
 * after them only holds offsets of bound labels. */
static bool do_br_table(struct sp_comp *c, const struct insn *in)
{
    struct x64_asm *a = &c->a;
    uint32_t count = in->imm.br_table.count;
    struct sp_opnd o = sp_pop(c);
    const uint8_t *p = in->imm.br_table.p;
    if (o.kind == SP_CONST) {
        uint32_t depth = in->imm.br_table.dflt;
        for (uint32_t i = 0; i < count; i++) {
            uint32_t d = dec_br_table_next(&p);
            if (i == (uint32_t)o.imm)
                depth = d;
        }
        return branch_to(c, ctl_at(c, depth));
    }
    int r = sp_own(c, &o);
    c->table_count++;
    c->table_frames.len = 0;
    x64_alu_ri(a, X64_CMP, 4, r, (int32_t)count);
    x64_jcc(a, X64_CC_AE, table_stub(c, in->imm.br_table.dflt));
    x64_label table = x64_label_new(a);
    x64_lea(a, 8, SP_SCRATCH, x64_mem_label(table));
    x64_ext_rm(a, X64_SX, 8, 4, r, x64_mem_index(SP_SCRATCH, r, 4, 0));
    x64_alu_rr(a, X64_ADD, 8, SP_SCRATCH, r);
    x64_jmp_r(a, SP_SCRATCH);
    for (uint32_t i = 0; i < count; i++)
        table_stub(c, dec_br_table_next(&p));
    for (size_t i = 0; i < c->table_frames.len; i++) {
        struct sp_ctl *t = ctl_at(c, c->table_frames.data[i]);
        x64_label_bind(a, t->table_label);
        if (!branch_to(c, t))
            return false;
    }
    x64_align(a, 4);
    x64_label_bind(a, table);
    uint32_t start = x64_pos(a);
    p = in->imm.br_table.p;
    for (uint32_t i = 0; i < count; i++)
        x64_label_rel32(a, ctl_at(c, dec_br_table_next(&p))->table_label, start);
    return true;
}

/* Moves to st, made from the current state but not the current state
 * itself. Entering it also forgets the constants of locals it has no
 * register for (their homes are current). */
static __attribute__((noinline)) bool move_to(struct sp_comp *c, const struct sp_state *st,
                                              uint32_t height)
{
    if (sp_state_plan(c, st, height))
        sp_run_moves(c);
    sp_state_enter(c, st, height);
    return err_ok(c->e);
}

/* Makes a state from the current one for its top n values and moves
 * there (inline: usually the current state itself, no locals in
 * registers). */
static inline bool settle(struct sp_comp *c, struct sp_state *st, uint32_t n,
                          const valtype *types, uint32_t height)
{
    bool same;
    if (!sp_state_init(c, st, n, types, &same))
        return false;
    return same || move_to(c, st, height);
}

static bool same_types(const struct sp_ctl *t)
{
    return t->nparams == t->nresults &&
           (!t->nparams || !memcmp(t->params, t->results, t->nparams));
}

/* Where an if's else arm starts: an if whose params are its results
 * shares its end's state, so its else path jumps there with no moves (the
 * branches to the end narrowing its locals only leave the else arm fewer
 * locals in registers). */
static struct sp_state *else_state(struct sp_ctl *t)
{
    return same_types(t) ? &t->state : &t->else_state;
}

/* Pushes the frame of a block, loop or if (dead when opened in
 * unreachable code); NULL after a failure. The live ones freeze the
 * entries below their params: a loop head and the start of an if's arms
 * get a state of their own, a block's label gets one from its first
 * branch. */
static inline __attribute__((always_inline)) struct sp_ctl *open_frame(struct sp_comp *c,
                                                                      const struct val_insn *vi)
{
    if (c->ctls.len == c->ctls.cap && !vec_reserve(&c->ctls, 2 * c->ctls.len + 16)) {
        sp_fail(c, ERR_NOMEM, "out of memory");
        return NULL;
    }
    /* a block type of one value type is not in the type section */
    if (vi->nresults == 1 && !vi->nparams ? !sp_check_type(c, vi->results[0])
                                          : !sp_check_types(c, vi->params, vi->nparams,
                                                            vi->results, vi->nresults))
        return NULL;
    /* Field by field: the states, else_jcc and table_label are written
     * before they are read (merged, an if, table_stamp say when). */
    struct sp_ctl *t = &c->ctls.data[c->ctls.len++];
    t->op = vi->in->op;
    t->dead = !c->live;
    t->func = t->merged = t->tight = false;
    t->params = vi->params;
    t->results = vi->results;
    t->nparams = vi->nparams;
    t->nresults = vi->nresults;
    t->label = NO_LABEL;
    t->table_stamp = 0; /* c->table_count is 1 or more in a br_table */
    return t;
}

/* The height below t's params, the entries there frozen. */
static void freeze_below(struct sp_comp *c, struct sp_ctl *t)
{
    t->height = (uint32_t)c->stack.len - t->nparams;
    if (c->frozen < t->height) /* usually nothing to freeze: no call */
        sp_freeze(c, t->height);
}

static bool block_op(struct sp_comp *c, const struct val_insn *vi)
{
    struct sp_ctl *t = open_frame(c, vi);
    if (t && !t->dead)
        freeze_below(c, t);
    return t != NULL;
}

static bool loop_op(struct sp_comp *c, const struct val_insn *vi)
{
    struct sp_ctl *t = open_frame(c, vi);
    if (!t || t->dead)
        return t != NULL;
    freeze_below(c, t);
    t->label = x64_label_new(&c->a);
    if (!settle(c, &t->state, t->nparams, t->params, t->height))
        return false;
    t->merged = true;
    x64_label_bind(&c->a, t->label);
    if (!c->ndefer) /* a tight body has no loop */
        sp_tight_begin(c, t, vi->in->offset);
    return true;
}

static bool if_op(struct sp_comp *c, const struct val_insn *vi)
{
    struct sp_ctl *t = open_frame(c, vi);
    if (!t || t->dead)
        return t != NULL;
    enum x64_cc cc = sp_pop_cond(c); /* only moves until the jcc */
    freeze_below(c, t);
    t->merged = same_types(t);
    if (!settle(c, else_state(t), t->nparams, t->params, t->height))
        return false;
    t->else_jcc = x64_jcc_fwd(&c->a, x64_cc_not(cc));
    return true;
}

/* The then arm goes to the end label, the else arm starts from the state
 * the if had. */
static bool start_else(struct sp_comp *c, struct sp_ctl *t)
{
    if (c->live && !branch_to(c, t))
        return false;
    x64_patch_here(&c->a, t->else_jcc);
    sp_state_enter(c, else_state(t), t->height);
    c->live = true;
    t->op = OP_ELSE;
    return true;
}

static void do_end(struct sp_comp *c)
{
    struct sp_ctl *t = ctl_at(c, 0);
    c->ctls.len--;
    if (t->dead)
        return;
    if (t->func) {
        if (c->live)
            put_results(c);
        c->live = false;
        return;
    }
    if (t->op == OP_LOOP) {
        if (t->tight)
            sp_tight_end(c);
        return;
    }
    /* Falling through is one more path to the label. */
    if (t->merged && c->live && (t->state.nvals || t->state.nlocals) &&
        sp_state_meet(c, &t->state, t->height))
        sp_run_moves(c);
    if (t->op == OP_IF) /* no else: that path gets here in the label's state */
        x64_patch_here(&c->a, t->else_jcc);
    if (t->label != NO_LABEL)
        x64_label_bind(&c->a, t->label);
    if (t->merged)
        sp_state_enter(c, &t->state, t->height);
    c->live |= t->merged;
}

/* ---- handlers: else, end and br_if (block, loop and if above; the
 * frequent ones each have their own); they run in unreachable code too,
 * to keep the frames. */

static bool else_op(struct sp_comp *c, const struct val_insn *vi)
{
    (void)vi;
    struct sp_ctl *t = ctl_at(c, 0);
    if (t->dead) {
        t->op = OP_ELSE;
        return true;
    }
    return start_else(c, t);
}

static bool end_op(struct sp_comp *c, const struct val_insn *vi)
{
    (void)vi;
    do_end(c);
    return err_ok(c->e);
}

static bool br_if_op(struct sp_comp *c, const struct val_insn *vi)
{
    return !c->live || do_br_if(c, vi->in->imm.index);
}

/* nop, and the instructions after which the code is unreachable. */
static bool jump_op(struct sp_comp *c, const struct val_insn *vi)
{
    const struct insn *in = vi->in;
    if (!c->live || in->op == OP_NOP)
        return true;
    bool ok = true;
    switch (in->op) {
    case OP_UNREACHABLE:
        sp_trap_here(c, TRI_TRAP_UNREACHABLE);
        x64_ud2(&c->a);
        break;
    case OP_BR:
        ok = branch_to(c, ctl_at(c, in->imm.index));
        break;
    case OP_BR_TABLE:
        ok = do_br_table(c, in);
        break;
    default: /* OP_RETURN */
        ok = branch_to(c, ctl_at(c, (uint32_t)c->ctls.len - 1));
        break;
    }
    c->live = false;
    return ok;
}

void sp_control_handlers(sp_handler *handlers)
{
    for (unsigned op = OP_UNREACHABLE; op <= OP_RETURN; op++)
        handlers[op] = jump_op;
    handlers[OP_BLOCK] = block_op;
    handlers[OP_LOOP] = loop_op;
    handlers[OP_IF] = if_op;
    handlers[OP_ELSE] = else_op;
    handlers[OP_END] = end_op;
    handlers[OP_BR_IF] = br_if_op;
}
