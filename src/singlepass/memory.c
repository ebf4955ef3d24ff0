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

/* Bounds-check mode's operand: the end of the access compared with the
 * size, r11 = base + address + offset + size, the access at r11 - size. */
static __attribute__((noinline)) struct x64_mem checked(struct sp_comp *c,
                                                        const struct sp_opnd *addr, uint64_t k,
                                                        uint32_t offset, uint32_t size)
{
    struct x64_asm *a = &c->a;
    bool known = addr->kind == SP_CONST;
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

/* Guard mode's operand when the offset is too big for a disp32. */
static __attribute__((noinline)) struct x64_mem far(struct sp_comp *c, const struct sp_opnd *addr,
                                                    uint64_t disp)
{
    x64_mov_ri(&c->a, 8, SP_SCRATCH, (int64_t)disp);
    if (addr->kind != SP_CONST)
        x64_alu_rr(&c->a, X64_ADD, 8, SP_SCRATCH, addr->reg);
    return x64_mem_index(SP_MEMBASE, SP_SCRATCH, 1, 0);
}

/* The operand of an access of `size` bytes (r11 may hold part of it);
 * in guard mode the access emitted next is the trap site, recorded here.
 * Inline: guard mode's usual [r14 + address + offset] takes a few tests. */
static inline __attribute__((always_inline)) struct x64_mem
address(struct sp_comp *c, const struct sp_opnd *addr, uint32_t offset, uint32_t size)
{
    bool known = addr->kind == SP_CONST;
    uint64_t k = known ? (uint32_t)addr->imm : 0;
    if (c->opt.bounds_checks)
        return checked(c, addr, k, offset, size);
    c->uses_membase = true;
    uint64_t disp = k + offset;
    struct x64_mem m = disp > INT32_MAX ? far(c, addr, disp)
                       : known          ? x64_mem_base(SP_MEMBASE, (int32_t)disp)
                                        : x64_mem_index(SP_MEMBASE, addr->reg, 1, (int32_t)disp);
    sp_trap_here(c, TRI_TRAP_MEMORY_OOB);
    return m;
}

/* Each load from i32.load on (opcodes.h's order): result type, bytes read
 * and extension (none: a plain mov, which zero-extends 4 bytes). */
enum { EXT_NONE, EXT_ZX, EXT_SX };
static const struct load_form {
    valtype t;
    uint8_t size, ext;
} loads[] = {
    {VT_I32, 4, EXT_NONE}, {VT_I64, 8, EXT_NONE}, {VT_F32, 4, EXT_NONE}, {VT_F64, 8, EXT_NONE},
    {VT_I32, 1, EXT_SX},   {VT_I32, 1, EXT_ZX},   {VT_I32, 2, EXT_SX},   {VT_I32, 2, EXT_ZX},
    {VT_I64, 1, EXT_SX},   {VT_I64, 1, EXT_ZX},   {VT_I64, 2, EXT_SX},   {VT_I64, 2, EXT_ZX},
    {VT_I64, 4, EXT_SX},   {VT_I64, 4, EXT_NONE},
};
_Static_assert(ARRAY_LEN(loads) == OP_I64_LOAD32_U - OP_I32_LOAD + 1, "one per load");

/* Whether an access is the usual one in guard mode, [r14 + address +
 * offset] with the address in a register or a slot and a disp32 offset
 * (its caller then records the trap site and the use of memory 0's base
 * itself, as address() does). */
static inline bool usual_access(const struct sp_comp *c, const struct sp_val *addr, uint32_t offset)
{
    return !c->opt.bounds_checks && offset <= INT32_MAX &&
           (sp_in_gp_reg(c, addr) || sp_in_slot(c, addr));
}

/* An integer operand's register: a slot's value loaded into a free
 * register (the caller made sure there is one). */
static inline __attribute__((always_inline)) int gp_reg(struct sp_comp *c, struct sp_opnd *o)
{
    return o->kind == SP_MEM ? sp_load_slot(c, o, sp_reg_try_alloc(c, false)) : o->reg;
}

/* sp_load_op's usual case, frameless: an integer load from such an
 * address into the address's own register or a free one; the same code
 * as load_general's. False, with nothing done, for any other. */
static inline bool load_usual(struct sp_comp *c, const struct load_form *f, uint32_t offset)
{
    const struct sp_val *v = sp_top(c);
    if (sp_is_xmm_type(f->t) || !usual_access(c, v, offset) ||
        (v->kind != SP_REG && !sp_reg_free_mask(c, false)))
        return false;
    struct sp_opnd addr = sp_pop(c);
    int base = gp_reg(c, &addr);
    int dst = addr.owned ? base : sp_reg_try_alloc(c, false);
    c->uses_membase = true;
    sp_trap_here(c, TRI_TRAP_MEMORY_OOB);
    if (f->ext)
        x64_ext_load_indexed(&c->a, f->ext == EXT_SX ? X64_SX : X64_ZX, f->t == VT_I64 ? 8 : 4,
                             f->size, dst, SP_MEMBASE, base, (int32_t)offset);
    else
        x64_load_indexed(&c->a, f->size, dst, SP_MEMBASE, base, (int32_t)offset);
    sp_push_reg(c, f->t, dst);
    return true;
}

static __attribute__((noinline)) bool load_general(struct sp_comp *c, const struct load_form *f,
                                                   const struct val_insn *vi)
{
    struct sp_opnd addr = sp_pop(c);
    if (addr.kind != SP_CONST)
        sp_opnd_reg(c, &addr);
    bool xmm = sp_is_xmm_type(f->t);
    int dst = addr.owned && !xmm ? addr.reg : sp_reg_alloc(c, xmm);
    struct x64_mem m = address(c, &addr, vi->in->imm.mem.m.offset, f->size);
    if (f->ext)
        x64_ext_rm(&c->a, f->ext == EXT_SX ? X64_SX : X64_ZX, f->t == VT_I64 ? 8 : 4, f->size,
                   dst, m);
    else if (xmm)
        sp_load(c, f->t, dst, m);
    else if (m.index != X64_NOREG) /* guard mode's [r14 + index + disp], base known */
        x64_load_indexed(&c->a, f->size, dst, SP_MEMBASE, m.index, m.disp);
    else
        x64_mov_rm(&c->a, f->size, dst, m);
    sp_push_reg(c, f->t, dst);
    return !c->failed; /* not a constant: the caller's call stays a tail call */
}

bool sp_load_op(struct sp_comp *c, const struct val_insn *vi)
{
    const struct load_form *f = &loads[vi->in->op - OP_I32_LOAD];
    return load_usual(c, f, vi->in->imm.mem.m.offset) || load_general(c, f, vi);
}

/* Whether a stored constant is an immediate of its mov. */
static inline bool store_imm(int64_t imm, int size) { return size < 8 || imm == (int32_t)imm; }

/* That immediate, cut to the stored size. */
static inline int32_t store_imm_value(int64_t imm, int size)
{
    return size == 1 ? (uint8_t)imm : size == 2 ? (uint16_t)imm : (int32_t)imm;
}

/* sp_store_op's usual case, frameless: an integer value in a register, a
 * slot or an immediate stored to such an address; the same code as
 * store_general's. */
static inline bool store_usual(struct sp_comp *c, int size, uint32_t offset)
{
    const struct sp_val *v = sp_top(c);
    bool imm = v->kind == SP_CONST && store_imm(v->imm, size);
    if (!usual_access(c, v - 1, offset) || !(imm || sp_in_gp_reg(c, v) || sp_in_slot(c, v)))
        return false;
    uint32_t free = sp_reg_free_mask(c, false);
    uint32_t slots = sp_in_slot(c, v - 1) + sp_in_slot(c, v);
    if (slots && (!free || (slots == 2 && !(free & (free - 1)))))
        return false; /* a free register for each slot read */
    struct sp_opnd val = sp_pop(c), addr = sp_pop(c);
    int base = gp_reg(c, &addr);
    c->uses_membase = true;
    if (imm) {
        sp_trap_here(c, TRI_TRAP_MEMORY_OOB);
        x64_store_imm_indexed(&c->a, size, SP_MEMBASE, base, (int32_t)offset,
                              store_imm_value(val.imm, size));
        return true;
    }
    int src = gp_reg(c, &val);
    sp_trap_here(c, TRI_TRAP_MEMORY_OOB);
    x64_store_indexed(&c->a, size, SP_MEMBASE, base, (int32_t)offset, src);
    return true;
}

static __attribute__((noinline)) bool store_general(struct sp_comp *c, int size,
                                                    const struct val_insn *vi)
{
    struct sp_opnd v = sp_pop(c), addr = sp_pop(c);
    if (addr.kind != SP_CONST)
        sp_opnd_reg(c, &addr);
    bool imm = v.kind == SP_CONST && store_imm(v.imm, size);
    if (!imm)
        sp_opnd_reg(c, &v);
    struct x64_mem m = address(c, &addr, vi->in->imm.mem.m.offset, (uint32_t)size);
    if (imm) {
        x64_mov_mi(&c->a, size, m, store_imm_value(v.imm, size));
    } else if (sp_is_xmm_type(v.type)) {
        sp_store(c, v.type, m, v.reg);
    } else if (m.index != X64_NOREG) { /* as in load_general */
        x64_store_indexed(&c->a, size, SP_MEMBASE, m.index, m.disp, v.reg);
    } else {
        x64_mov_mr(&c->a, size, m, v.reg);
    }
    return !c->failed; /* as load_general's */
}

bool sp_store_op(struct sp_comp *c, const struct val_insn *vi)
{
    int size = 1 << dec_ops[vi->in->op].aux;
    return store_usual(c, size, vi->in->imm.mem.m.offset) || store_general(c, size, vi);
}

bool sp_memory_op(struct sp_comp *c, const struct val_insn *vi)
{
    const struct insn *in = vi->in;
    switch (in->op) {
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
