/* Constants, drop and select, locals, globals, tables and references.
 * table.get, table.set and table.size are inline (bounds check against the
 * table's descriptor); the others call builtins. */
#include "singlepass.h"

static const valtype i32x3[] = {VT_I32, VT_I32, VT_I32};

/* select: cmov for integers and references, a branch over a move for
 * floats. The condition may still be in the flags: only moves come
 * between its test and its use. */
static bool select_op(struct sp_comp *c, valtype t)
{
    if (!sp_check_type(c, t))
        return false;
    enum x64_cc cc = sp_pop_cond(c);
    struct sp_opnd b = sp_pop(c), a = sp_pop(c);
    int dst = sp_own(c, &a);
    if (sp_is_xmm_type(t)) {
        x64_label keep = x64_label_new(&c->a);
        x64_jcc(&c->a, cc, keep);
        sp_opnd_to(c, dst, &b);
        x64_label_bind(&c->a, keep);
    } else {
        int size = t == VT_I32 ? 4 : 8;
        if (b.kind == SP_CONST) {
            x64_mov_ri(&c->a, size, SP_SCRATCH, b.imm);
            b = (struct sp_opnd){.kind = SP_REG, .type = t, .reg = SP_SCRATCH};
        }
        if (b.kind == SP_REG)
            x64_cmov_rr(&c->a, x64_cc_not(cc), size, dst, b.reg);
        else
            x64_cmov_rm(&c->a, x64_cc_not(cc), size, dst, sp_opnd_mem(&b));
    }
    sp_push_reg(c, t, dst);
    return true;
}

/* Immutable globals defined with a constant are that constant. */
static bool global_const(const struct module *m, uint32_t g, int64_t *v)
{
    const struct global *gl = &m->globals[g];
    struct insn in;
    if (g < m->nglobal_imports || gl->type.mut || !dec_const_insn(&gl->init, &in))
        return false;
    switch (in.op) {
    case OP_I32_CONST: *v = in.imm.i32; return true;
    case OP_I64_CONST: *v = in.imm.i64; return true;
    case OP_F32_CONST: *v = in.imm.f32; return true;
    case OP_F64_CONST: *v = (int64_t)in.imm.f64; return true;
    default: return false;
    }
}

static struct x64_mem global_cell(struct sp_comp *c, uint32_t g)
{
    return x64_mem_base(sp_vmctx(c), (int32_t)(c->layout.globals + 8 * g));
}

/* global.get's general case (global_get_op takes the usual one). */
static __attribute__((noinline)) bool global_get_other(struct sp_comp *c, uint32_t g, valtype t)
{
    int64_t v;
    if (t == VT_V128)
        return sp_check_type(c, t);
    if (global_const(c->m, g, &v)) {
        sp_push_const(c, t, v);
        return true;
    }
    int p = sp_reg_alloc(c, false);
    x64_mov_rm(&c->a, 8, p, global_cell(c, g));
    int dst = sp_is_xmm_type(t) ? sp_reg_alloc(c, true) : p;
    sp_load(c, t, dst, x64_mem_base(p, 0));
    sp_push_reg(c, t, dst);
    return true;
}

static bool global_set(struct sp_comp *c, uint32_t g, valtype t)
{
    if (!sp_check_type(c, t))
        return false;
    struct sp_opnd v = sp_pop(c);
    if (v.kind == SP_MEM || (v.kind == SP_CONST && t != VT_I32 && t != VT_F32 &&
                             v.imm != (int32_t)v.imm))
        sp_opnd_reg(c, &v);
    x64_mov_rm(&c->a, 8, SP_SCRATCH, global_cell(c, g));
    struct x64_mem cell = x64_mem_base(SP_SCRATCH, 0);
    if (v.kind == SP_REG)
        sp_store(c, t, cell, v.reg);
    else
        sp_store_const(c, t, cell, v.imm);
    return true;
}

/* Loads table x's descriptor into reg and traps unless i < its size. */
static void table_check(struct sp_comp *c, uint32_t x, int reg, int i)
{
    x64_mov_rm(&c->a, 8, reg, x64_mem_base(sp_vmctx(c), (int32_t)(c->layout.tables + 8 * x)));
    x64_alu_rm(&c->a, X64_CMP, 4, i, x64_mem_base(reg, CC_TABLE_SIZE));
    x64_jcc(&c->a, X64_CC_AE, sp_trap_label(c, TRI_TRAP_TABLE_OOB));
    x64_mov_rm(&c->a, 8, reg, x64_mem_base(reg, CC_TABLE_ELEMS));
}

static void table_get(struct sp_comp *c, uint32_t x, valtype t)
{
    int i = sp_pop_reg(c);
    int dst = sp_reg_alloc(c, false);
    table_check(c, x, dst, i);
    x64_mov_rm(&c->a, 8, dst, x64_mem_index(dst, i, 8, 0));
    sp_push_reg(c, t, dst);
}

static void table_set(struct sp_comp *c, uint32_t x)
{
    struct sp_opnd v = sp_pop(c);
    if (v.kind != SP_CONST || v.imm != (int32_t)v.imm)
        sp_opnd_reg(c, &v);
    int i = sp_pop_reg(c);
    table_check(c, x, SP_SCRATCH, i);
    struct x64_mem m = x64_mem_index(SP_SCRATCH, i, 8, 0);
    if (v.kind == SP_REG)
        x64_mov_mr(&c->a, 8, m, v.reg);
    else
        x64_mov_mi(&c->a, 8, m, (int32_t)v.imm);
}

static bool table_op(struct sp_comp *c, const struct val_insn *vi)
{
    const struct insn *in = vi->in;
    uint32_t x = in->imm.index;
    valtype ref_i32[] = {vi->type, VT_I32}, i32_ref_i32[] = {VT_I32, vi->type, VT_I32};
    switch (in->op) {
    case OP_TABLE_GET:
        table_get(c, x, vi->type);
        return true;
    case OP_TABLE_SET:
        table_set(c, x);
        return true;
    case OP_TABLE_SIZE: {
        int r = sp_reg_alloc(c, false);
        x64_mov_rm(&c->a, 8, r, x64_mem_base(sp_vmctx(c), (int32_t)(c->layout.tables + 8 * x)));
        x64_mov_rm(&c->a, 4, r, x64_mem_base(r, CC_TABLE_SIZE));
        sp_push_reg(c, VT_I32, r);
        return true;
    }
    case OP_TABLE_GROW:
        return sp_builtin(c, CC_BUILTIN_TABLE_GROW, 1, x, 0, 2, ref_i32, VT_I32);
    case OP_TABLE_FILL:
        return sp_builtin(c, CC_BUILTIN_TABLE_FILL, 1, x, 0, 3, i32_ref_i32, 0);
    case OP_TABLE_COPY:
        return sp_builtin(c, CC_BUILTIN_TABLE_COPY, 2, in->imm.pair.a, in->imm.pair.b, 3, i32x3,
                          0);
    case OP_TABLE_INIT:
        return sp_builtin(c, CC_BUILTIN_TABLE_INIT, 2, in->imm.pair.b, in->imm.pair.a, 3, i32x3,
                          0);
    default: /* OP_ELEM_DROP */
        return sp_builtin(c, CC_BUILTIN_ELEM_DROP, 1, x, 0, 0, NULL, 0);
    }
}

static void ref_is_null(struct sp_comp *c)
{
    struct sp_opnd v = sp_pop(c);
    if (v.kind == SP_CONST)
        sp_push_const(c, VT_I32, v.imm == 0);
    else {
        if (v.kind == SP_REG)
            x64_alu_rr(&c->a, X64_TEST, 8, v.reg, v.reg);
        else
            x64_alu_mi(&c->a, X64_CMP, 8, sp_opnd_mem(&v), 0);
        sp_push_flags(c, X64_CC_E);
    }
}

/* The most frequent instructions of all get handlers of their own, so
 * they skip sp_var_op's switch (which has no case for them). */
static bool local_get_op(struct sp_comp *c, const struct val_insn *vi)
{
    sp_local_get(c, vi->in->imm.index);
    return true;
}

static bool local_set_op(struct sp_comp *c, const struct val_insn *vi)
{
    sp_local_set(c, vi->in->imm.index, vi->in->op == OP_LOCAL_TEE);
    return true;
}

static bool i32_const_op(struct sp_comp *c, const struct val_insn *vi)
{
    sp_push_const(c, VT_I32, vi->in->imm.i32);
    return true;
}

/* Asyncify's state check makes global.get as frequent as local.set. Its
 * usual case is frameless: a mutable integer global, a free caller-saved
 * register that can be a base without a SIB byte (not r12), room for the
 * code (X64_FAST_ROOM for each fast mov) and the entry; anything else goes
 * the general way. */
static bool global_get_op(struct sp_comp *c, const struct val_insn *vi)
{
    uint32_t g = vi->in->imm.index;
    valtype t = vi->type;
    uint32_t avail = sp_reg_free_mask(c, false) & SP_GP_CALLER;
    struct buf *code = &c->a.code;
    if ((t != VT_I32 && t != VT_I64) || !c->m->globals[g].type.mut || !avail ||
        code->cap - code->len < 2 * X64_FAST_ROOM || c->stack.len == c->stack.cap)
        return global_get_other(c, g, t);
    /* the cell's address, then the value: one register for both (the
     * tests above make both movs take the fast form) */
    int r = sp_reg_hold(c, __builtin_ctz(avail));
    x64_mov_based_fast(&c->a, X64_MOV_LOAD, 8, r, sp_vmctx(c),
                       (int32_t)(c->layout.globals + 8 * g));
    x64_mov_based_fast(&c->a, X64_MOV_LOAD, t == VT_I32 ? 4 : 8, r, r, 0);
    sp_push_reg(c, t, r);
    return true;
}

static bool select_handler(struct sp_comp *c, const struct val_insn *vi)
{
    return select_op(c, vi->type);
}

/* A popped register goes with the instruction's temporaries; a local's
 * reference goes through sp_truncate, as a pop would count it a use. */
static bool drop_op(struct sp_comp *c, const struct val_insn *vi)
{
    (void)vi;
    if (sp_top(c)->kind == SP_LOCAL)
        sp_truncate(c, (uint32_t)c->stack.len - 1);
    else
        (void)sp_pop(c);
    return true;
}

void sp_var_handlers(sp_handler *handlers)
{
    for (unsigned op = 0; op < OP_COUNT; op++)
        handlers[op] = sp_var_op;
    handlers[OP_LOCAL_GET] = local_get_op;
    handlers[OP_LOCAL_SET] = local_set_op;
    handlers[OP_LOCAL_TEE] = local_set_op;
    handlers[OP_I32_CONST] = i32_const_op;
    handlers[OP_GLOBAL_GET] = global_get_op;
    handlers[OP_SELECT] = handlers[OP_SELECT_T] = select_handler;
    handlers[OP_DROP] = drop_op;
}

bool sp_var_op(struct sp_comp *c, const struct val_insn *vi)
{
    const struct insn *in = vi->in;
    switch (in->op) {
    case OP_I64_CONST: sp_push_const(c, VT_I64, in->imm.i64); return true;
    case OP_F32_CONST: sp_push_const(c, VT_F32, in->imm.f32); return true;
    case OP_F64_CONST: sp_push_const(c, VT_F64, (int64_t)in->imm.f64); return true;
    case OP_GLOBAL_SET: return global_set(c, in->imm.index, vi->type);
    case OP_REF_NULL: sp_push_const(c, vi->type, 0); return true;
    case OP_REF_IS_NULL: ref_is_null(c); return true;
    case OP_REF_FUNC: {
        int r = sp_reg_alloc(c, false);
        x64_mov_rm(&c->a, 8, r,
                   x64_mem_base(sp_vmctx(c), (int32_t)(c->layout.funcrefs + 8 * in->imm.index)));
        sp_push_reg(c, VT_FUNCREF, r);
        return true;
    }
    default:
        return table_op(c, vi);
    }
}
