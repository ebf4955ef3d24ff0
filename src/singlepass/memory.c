/* Linear memory: loads and stores, memory.size, and the builtins for
 * grow, fill, copy, init and data.drop.
 *
 * Guard mode: the access is [r14 + zero-extended address + offset] and is
 * itself the trap site; the 8 GiB reservation catches everything out of
 * bounds. Bounds-check mode: the end of the access is compared with the
 * size in the vmctx and the base is reloaded each time (both may change
 * across calls). */
#include "singlepass.h"

static const valtype i32x3[] = {VT_I32, VT_I32, VT_I32};

/* The operand of an access of `size` bytes; r11 may hold part of it. */
static struct x64_mem address(struct sp_comp *c, const struct sp_opnd *addr, uint32_t offset,
                              uint32_t size)
{
    struct x64_asm *a = &c->a;
    bool known = addr->kind == SP_CONST;
    uint64_t k = known ? (uint32_t)addr->imm : 0;
    if (!c->opt.bounds_checks) {
        c->uses_membase = true;
        uint64_t disp = k + offset;
        if (disp <= INT32_MAX)
            return known ? x64_mem_base(SP_MEMBASE, (int32_t)disp)
                         : x64_mem_index(SP_MEMBASE, addr->reg, 1, (int32_t)disp);
        x64_mov_ri(a, 8, SP_SCRATCH, (int64_t)disp);
        if (!known)
            x64_alu_rr(a, X64_ADD, 8, SP_SCRATCH, addr->reg);
        return x64_mem_index(SP_MEMBASE, SP_SCRATCH, 1, 0);
    }
    uint64_t end = k + offset + size;
    if (!known && end <= INT32_MAX) {
        x64_lea(a, 8, SP_SCRATCH, x64_mem_base(addr->reg, (int32_t)end));
    } else {
        x64_mov_ri(a, 8, SP_SCRATCH, (int64_t)end);
        if (!known)
            x64_alu_rr(a, X64_ADD, 8, SP_SCRATCH, addr->reg);
    }
    int vm = sp_vmctx(c);
    x64_alu_rm(a, X64_CMP, 8, SP_SCRATCH, x64_mem_base(vm, CC_VMCTX_MEM_SIZE));
    x64_jcc(a, X64_CC_A, sp_trap_label(c, TRI_TRAP_MEMORY_OOB));
    x64_alu_rm(a, X64_ADD, 8, SP_SCRATCH, x64_mem_base(vm, CC_VMCTX_MEM_BASE));
    return x64_mem_base(SP_SCRATCH, -(int32_t)size);
}

/* In guard mode the access instruction emitted next is the trap site. */
static void access_site(struct sp_comp *c)
{
    if (!c->opt.bounds_checks)
        sp_trap_here(c, TRI_TRAP_MEMORY_OOB);
}

/* Each load's result type, from i32.load on (opcodes.h's order). */
static const valtype load_types[] = {VT_I32, VT_I64, VT_F32, VT_F64, VT_I32, VT_I32, VT_I32,
                                     VT_I32, VT_I64, VT_I64, VT_I64, VT_I64, VT_I64, VT_I64};
_Static_assert(ARRAY_LEN(load_types) == OP_I64_LOAD32_U - OP_I32_LOAD + 1, "one per load");

static void load(struct sp_comp *c, enum op op, const struct memarg *ma)
{
    valtype t = load_types[op - OP_I32_LOAD];
    uint32_t size = 1u << dec_ops[op].aux;
    struct sp_opnd addr = sp_pop(c);
    if (addr.kind != SP_CONST)
        sp_opnd_reg(c, &addr);
    bool xmm = sp_is_xmm_type(t);
    int dst = addr.kind == SP_REG && addr.owned && !xmm ? addr.reg : sp_reg_alloc(c, xmm);
    struct x64_mem m = address(c, &addr, ma->offset, size);
    int dsize = t == VT_I64 ? 8 : 4;
    bool sx = op == OP_I32_LOAD8_S || op == OP_I32_LOAD16_S || op == OP_I64_LOAD8_S ||
              op == OP_I64_LOAD16_S || op == OP_I64_LOAD32_S;
    access_site(c);
    if (size < 4 || (sx && size == 4))
        x64_ext_rm(&c->a, sx ? X64_SX : X64_ZX, dsize, (int)size, dst, m);
    else if (!xmm && m.index != X64_NOREG) /* guard mode's [r14 + index + disp] */
        x64_load_indexed(&c->a, (int)size, dst, m.base, m.index, m.disp);
    else
        sp_load(c, size == 4 && !xmm ? VT_I32 : t, dst, m);
    sp_push_reg(c, t, dst);
}

static void store(struct sp_comp *c, enum op op, const struct memarg *ma)
{
    uint32_t size = 1u << dec_ops[op].aux;
    struct sp_opnd v = sp_pop(c), addr = sp_pop(c);
    if (addr.kind != SP_CONST)
        sp_opnd_reg(c, &addr);
    bool imm = v.kind == SP_CONST && (size < 8 || v.imm == (int32_t)v.imm);
    if (!imm)
        sp_opnd_reg(c, &v);
    struct x64_mem m = address(c, &addr, ma->offset, size);
    access_site(c);
    if (imm) {
        int32_t i = size == 1 ? (uint8_t)v.imm : size == 2 ? (uint16_t)v.imm : (int32_t)v.imm;
        x64_mov_mi(&c->a, (int)size, m, i);
    } else if (sp_is_xmm_type(v.type)) {
        sp_store(c, v.type, m, v.reg);
    } else if (m.index != X64_NOREG) {
        x64_store_indexed(&c->a, (int)size, m.base, m.index, m.disp, v.reg);
    } else {
        x64_mov_mr(&c->a, (int)size, m, v.reg);
    }
}

bool sp_memory_op(struct sp_comp *c, const struct val_insn *vi)
{
    const struct insn *in = vi->in;
    enum op op = in->op;
    if (op >= OP_I32_LOAD && op <= OP_I64_LOAD32_U) {
        load(c, op, &in->imm.mem.m);
        return true;
    }
    if (op >= OP_I32_STORE && op <= OP_I64_STORE32) {
        store(c, op, &in->imm.mem.m);
        return true;
    }
    switch (op) {
    case OP_MEMORY_SIZE: {
        int r = sp_reg_alloc(c, false);
        x64_mov_rm(&c->a, 8, r, x64_mem_base(sp_vmctx(c), CC_VMCTX_MEM_SIZE));
        x64_shift_ri(&c->a, X64_SHR, 8, r, 16);
        sp_push_reg(c, VT_I32, r);
        return true;
    }
    case OP_MEMORY_GROW:
        return sp_builtin(c, CC_BUILTIN_MEMORY_GROW, 0, 0, 0, 1, i32x3, VT_I32);
    case OP_MEMORY_FILL:
        return sp_builtin(c, CC_BUILTIN_MEMORY_FILL, 0, 0, 0, 3, i32x3, 0);
    case OP_MEMORY_COPY:
        return sp_builtin(c, CC_BUILTIN_MEMORY_COPY, 0, 0, 0, 3, i32x3, 0);
    case OP_MEMORY_INIT:
        return sp_builtin(c, CC_BUILTIN_MEMORY_INIT, 1, in->imm.pair.a, 0, 3, i32x3, 0);
    default: /* OP_DATA_DROP */
        return sp_builtin(c, CC_BUILTIN_DATA_DROP, 1, in->imm.index, 0, 0, NULL, 0);
    }
}
