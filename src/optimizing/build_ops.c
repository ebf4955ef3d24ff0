/* IR for the instructions that are not control flow or calls: numeric
 * operations (from a table), division with its explicit traps, linear
 * memory with the address arithmetic spelled out, variables, tables and
 * references. */
#include "optimizing.h"

/* How a numeric wasm instruction maps to the IR: op and aux; ZERO makes
 * the second operand a zero (eqz). */
struct numeric {
    uint8_t op, aux;
    bool zero;
};

#define N(o, a) {OPT_##o, a, false}
#define Z(o, a) {OPT_##o, a, true}
static const struct numeric numerics[0xC5] = {
    [OP_I32_EQZ] = Z(ICMP, ICC_EQ), [OP_I64_EQZ] = Z(ICMP, ICC_EQ),
#define CMP(p) [OP_##p##_EQ] = N(ICMP, ICC_EQ), [OP_##p##_NE] = N(ICMP, ICC_NE),             \
    [OP_##p##_LT_S] = N(ICMP, ICC_LT_S), [OP_##p##_LT_U] = N(ICMP, ICC_LT_U),                \
    [OP_##p##_GT_S] = N(ICMP, ICC_GT_S), [OP_##p##_GT_U] = N(ICMP, ICC_GT_U),                \
    [OP_##p##_LE_S] = N(ICMP, ICC_LE_S), [OP_##p##_LE_U] = N(ICMP, ICC_LE_U),                \
    [OP_##p##_GE_S] = N(ICMP, ICC_GE_S), [OP_##p##_GE_U] = N(ICMP, ICC_GE_U)
    CMP(I32), CMP(I64),
#define FCMP(p) [OP_##p##_EQ] = N(FCMP, FCC_EQ), [OP_##p##_NE] = N(FCMP, FCC_NE),            \
    [OP_##p##_LT] = N(FCMP, FCC_LT), [OP_##p##_GT] = N(FCMP, FCC_GT),                        \
    [OP_##p##_LE] = N(FCMP, FCC_LE), [OP_##p##_GE] = N(FCMP, FCC_GE)
    FCMP(F32), FCMP(F64),
#define INT(p) [OP_##p##_CLZ] = N(CLZ, 0), [OP_##p##_CTZ] = N(CTZ, 0),                       \
    [OP_##p##_POPCNT] = N(POPCNT, 0), [OP_##p##_ADD] = N(ADD, 0), [OP_##p##_SUB] = N(SUB, 0), \
    [OP_##p##_MUL] = N(MUL, 0), [OP_##p##_DIV_S] = N(DIV_S, 0),                              \
    [OP_##p##_DIV_U] = N(DIV_U, 0), [OP_##p##_REM_S] = N(REM_S, 0),                          \
    [OP_##p##_REM_U] = N(REM_U, 0), [OP_##p##_AND] = N(AND, 0), [OP_##p##_OR] = N(OR, 0),    \
    [OP_##p##_XOR] = N(XOR, 0), [OP_##p##_SHL] = N(SHL, 0), [OP_##p##_SHR_S] = N(SHR_S, 0),  \
    [OP_##p##_SHR_U] = N(SHR_U, 0), [OP_##p##_ROTL] = N(ROTL, 0), [OP_##p##_ROTR] = N(ROTR, 0)
    INT(I32), INT(I64),
#define FLT(p) [OP_##p##_ABS] = N(FABS, 0), [OP_##p##_NEG] = N(FNEG, 0),                     \
    [OP_##p##_CEIL] = N(FROUND, ROUND_CEIL), [OP_##p##_FLOOR] = N(FROUND, ROUND_FLOOR),      \
    [OP_##p##_TRUNC] = N(FROUND, ROUND_TRUNC), [OP_##p##_NEAREST] = N(FROUND, ROUND_NEAREST), \
    [OP_##p##_SQRT] = N(FSQRT, 0), [OP_##p##_ADD] = N(FADD, 0), [OP_##p##_SUB] = N(FSUB, 0), \
    [OP_##p##_MUL] = N(FMUL, 0), [OP_##p##_DIV] = N(FDIV, 0), [OP_##p##_MIN] = N(FMIN, 0),   \
    [OP_##p##_MAX] = N(FMAX, 0), [OP_##p##_COPYSIGN] = N(FCOPYSIGN, 0)
    FLT(F32), FLT(F64),
    [OP_I32_WRAP_I64] = N(WRAP, 0),
    [OP_I32_TRUNC_F32_S] = N(F2I, OPT_CVT_SIGNED), [OP_I32_TRUNC_F32_U] = N(F2I, 0),
    [OP_I32_TRUNC_F64_S] = N(F2I, OPT_CVT_SIGNED), [OP_I32_TRUNC_F64_U] = N(F2I, 0),
    [OP_I64_EXTEND_I32_S] = N(SEXT, 32), [OP_I64_EXTEND_I32_U] = N(ZEXT, 0),
    [OP_I64_TRUNC_F32_S] = N(F2I, OPT_CVT_SIGNED), [OP_I64_TRUNC_F32_U] = N(F2I, 0),
    [OP_I64_TRUNC_F64_S] = N(F2I, OPT_CVT_SIGNED), [OP_I64_TRUNC_F64_U] = N(F2I, 0),
    [OP_F32_CONVERT_I32_S] = N(I2F, OPT_CVT_SIGNED), [OP_F32_CONVERT_I32_U] = N(I2F, 0),
    [OP_F32_CONVERT_I64_S] = N(I2F, OPT_CVT_SIGNED), [OP_F32_CONVERT_I64_U] = N(I2F, 0),
    [OP_F32_DEMOTE_F64] = N(FCVT, 0),
    [OP_F64_CONVERT_I32_S] = N(I2F, OPT_CVT_SIGNED), [OP_F64_CONVERT_I32_U] = N(I2F, 0),
    [OP_F64_CONVERT_I64_S] = N(I2F, OPT_CVT_SIGNED), [OP_F64_CONVERT_I64_U] = N(I2F, 0),
    [OP_F64_PROMOTE_F32] = N(FCVT, 0),
    [OP_I32_REINTERPRET_F32] = N(BITCAST, 0), [OP_I64_REINTERPRET_F64] = N(BITCAST, 0),
    [OP_F32_REINTERPRET_I32] = N(BITCAST, 0), [OP_F64_REINTERPRET_I64] = N(BITCAST, 0),
    [OP_I32_EXTEND8_S] = N(SEXT, 8), [OP_I32_EXTEND16_S] = N(SEXT, 16),
    [OP_I64_EXTEND8_S] = N(SEXT, 8), [OP_I64_EXTEND16_S] = N(SEXT, 16),
    [OP_I64_EXTEND32_S] = N(SEXT, 32),
};
#undef CMP
#undef FCMP
#undef INT
#undef FLT

/* The result type of an instruction with a table signature. */
static enum opt_type result_type(enum op op)
{
    const char *r = dec_ops[op].results;
    return r && r[0] ? opt_type_of(dec_letter_type(r[0])) : OPT_VOID;
}

/* Division and remainder: divisor zero traps; so does signed division of
 * the smallest integer by -1 (its remainder is 0, which the IR defines). */
static bool div_checks(struct opt_build *b, enum opt_op op, enum opt_type t, opt_val x, opt_val y)
{
    if (!opt_b_trap_if(b, opt_b_icmp(b, ICC_EQ, y, b->zero[t]), TRI_TRAP_DIV_ZERO))
        return false;
    if (op != OPT_DIV_S)
        return true;
    int64_t min = t == OPT_I32 ? INT32_MIN : INT64_MIN;
    opt_val big = opt_b_icmp(b, ICC_EQ, x, opt_b_const(b, t, min));
    opt_val neg = opt_b_icmp(b, ICC_EQ, y, opt_b_const(b, t, -1));
    return opt_b_trap_if(b, opt_b_emit(b, OPT_AND, OPT_I32, big, neg, 0, 0), TRI_TRAP_INT_OVERFLOW);
}

static bool numeric(struct opt_build *b, enum op op)
{
    const struct numeric *n = &numerics[op];
    enum opt_type t = result_type(op);
    bool binary = dec_ops[op].params[1] != 0;
    opt_val y = binary ? opt_b_pop(b) : OPT_NONE, x = opt_b_pop(b);
    if (n->zero)
        y = b->zero[b->f->insn[x].type];
    if (n->op >= OPT_DIV_S && n->op <= OPT_REM_U && !div_checks(b, n->op, t, x, y))
        return false;
    opt_val v = opt_b_emit(b, n->op, t, x, y, 0, 0);
    if (!v)
        return false;
    b->f->insn[v].aux = n->aux;
    return opt_b_push(b, v);
}

/* ---- memory ---- */

opt_val opt_b_load(struct opt_build *b, enum opt_type t, uint8_t mem, opt_val ptr, int64_t disp)
{
    opt_val v = opt_b_emit(b, OPT_LOAD, t, ptr, 0, 0, disp);
    if (v)
        b->f->insn[v].aux = mem;
    return v;
}

/* Loads a pointer-sized field at vmctx + off. */
static opt_val vm_field(struct opt_build *b, uint32_t off)
{
    return opt_b_load(b, OPT_I64, MEM_64, b->vmctx, off);
}

static const uint8_t load_kind[] = {
    [OP_I32_LOAD - OP_I32_LOAD] = MEM_I32, [OP_I64_LOAD - OP_I32_LOAD] = MEM_64,
    [OP_F32_LOAD - OP_I32_LOAD] = MEM_F32, [OP_F64_LOAD - OP_I32_LOAD] = MEM_F64,
    [OP_I32_LOAD8_S - OP_I32_LOAD] = MEM_I8, [OP_I32_LOAD8_U - OP_I32_LOAD] = MEM_U8,
    [OP_I32_LOAD16_S - OP_I32_LOAD] = MEM_I16, [OP_I32_LOAD16_U - OP_I32_LOAD] = MEM_U16,
    [OP_I64_LOAD8_S - OP_I32_LOAD] = MEM_I8, [OP_I64_LOAD8_U - OP_I32_LOAD] = MEM_U8,
    [OP_I64_LOAD16_S - OP_I32_LOAD] = MEM_I16, [OP_I64_LOAD16_U - OP_I32_LOAD] = MEM_U16,
    [OP_I64_LOAD32_S - OP_I32_LOAD] = MEM_I32, [OP_I64_LOAD32_U - OP_I32_LOAD] = MEM_U32,
    [OP_I32_STORE - OP_I32_LOAD] = MEM_I32, [OP_I64_STORE - OP_I32_LOAD] = MEM_64,
    [OP_F32_STORE - OP_I32_LOAD] = MEM_F32, [OP_F64_STORE - OP_I32_LOAD] = MEM_F64,
    [OP_I32_STORE8 - OP_I32_LOAD] = MEM_I8, [OP_I32_STORE16 - OP_I32_LOAD] = MEM_I16,
    [OP_I64_STORE8 - OP_I32_LOAD] = MEM_I8, [OP_I64_STORE16 - OP_I32_LOAD] = MEM_I16,
    [OP_I64_STORE32 - OP_I32_LOAD] = MEM_I32,
};

/* The address of a wasm access to [addr + offset] of `size` bytes, and the
 * displacement left for the access itself. Guard mode: base + zext(addr)
 * (offsets of 2 GiB and more added first, displacements are signed 32
 * bits). Bounds-check mode: an explicit check against the memory's size
 * first, the base reloaded since it may move. */
static opt_val heap_addr(struct opt_build *b, opt_val addr, uint32_t offset, uint32_t size,
                         int64_t *disp)
{
    opt_val base = b->heap_base;
    opt_val x = opt_b_emit(b, OPT_ZEXT, OPT_I64, addr, 0, 0, 0);
    if (b->opt.bounds_checks) {
        opt_val end = opt_b_emit(b, OPT_ADD, OPT_I64, x,
                                 opt_b_const(b, OPT_I64, (int64_t)offset + size), 0, 0);
        opt_val lim = vm_field(b, CC_VMCTX_MEM_SIZE);
        if (!opt_b_trap_if(b, opt_b_icmp(b, ICC_GT_U, end, lim), TRI_TRAP_MEMORY_OOB))
            return OPT_NONE;
        base = vm_field(b, CC_VMCTX_MEM_BASE);
    }
    *disp = offset;
    if (offset > INT32_MAX) {
        x = opt_b_emit(b, OPT_ADD, OPT_I64, x, opt_b_const(b, OPT_I64, offset), 0, 0);
        *disp = 0;
    }
    return opt_b_emit(b, OPT_ADD, OPT_I64, base, x, 0, 0);
}

static unsigned mem_size(uint8_t kind)
{
    static const uint8_t sizes[] = {0, 1, 1, 2, 2, 4, 4, 8, 4, 8};
    return sizes[kind & MEM_KIND];
}

static bool memory(struct opt_build *b, const struct insn *in)
{
    uint8_t kind = load_kind[in->op - OP_I32_LOAD];
    bool store = in->op >= OP_I32_STORE;
    opt_val v = store ? opt_b_pop(b) : OPT_NONE;
    int64_t disp;
    opt_val p = heap_addr(b, opt_b_pop(b), in->imm.mem.m.offset, mem_size(kind), &disp);
    if (!p)
        return false;
    if (!store) {
        opt_val r = opt_b_load(b, result_type(in->op), kind | MEM_HEAP, p, disp);
        return r && opt_b_push(b, r);
    }
    opt_val s = opt_b_emit(b, OPT_STORE, OPT_VOID, p, v, 0, disp);
    if (s)
        b->f->insn[s].aux = kind | MEM_HEAP;
    return s;
}

/* memory.size: the size in bytes, shifted to pages. */
static bool memory_size(struct opt_build *b)
{
    opt_val n = vm_field(b, CC_VMCTX_MEM_SIZE);
    n = opt_b_emit(b, OPT_SHR_U, OPT_I64, n, opt_b_const(b, OPT_I64, 16), 0, 0);
    return opt_b_push(b, opt_b_emit(b, OPT_WRAP, OPT_I32, n, 0, 0, 0));
}

/* ---- variables ---- */

/* The 16-byte cell of global g. */
static opt_val global_cell(struct opt_build *b, uint32_t g)
{
    return vm_field(b, b->layout.globals + 8 * g);
}

static bool variable(struct opt_build *b, const struct val_insn *vi)
{
    const struct insn *in = vi->in;
    enum opt_type t = opt_type_of(vi->type);
    switch (in->op) {
    case OP_LOCAL_GET: return opt_b_push(b, opt_b_local_get(b, in->imm.index));
    case OP_LOCAL_SET: return opt_b_local_set(b, in->imm.index, opt_b_pop(b));
    case OP_LOCAL_TEE:
        return opt_b_local_set(b, in->imm.index, b->stack.data[b->stack.len - 1]);
    case OP_GLOBAL_GET: {
        opt_val cell = global_cell(b, in->imm.index);
        return opt_b_push(b, opt_b_load(b, t, opt_mem_of_type(t), cell, 0));
    }
    default: { /* global.set */
        opt_val v = opt_b_pop(b);
        opt_val s = opt_b_emit(b, OPT_STORE, OPT_VOID, global_cell(b, in->imm.index), v, 0, 0);
        if (s)
            b->f->insn[s].aux = opt_mem_of_type(t);
        return s;
    }
    }
}

/* ---- tables, references, bulk memory: mostly runtime builtins ---- */

/* A builtin whose operands are the immediates imm[0..nimm) then the top
 * nops operands of the stack. */
static bool builtin_op(struct opt_build *b, enum cc_builtin id, uint32_t nimm, const uint32_t *imm,
                       uint32_t nops, enum opt_type result)
{
    opt_val args[6];
    for (uint32_t i = 0; i < nimm; i++)
        args[i] = opt_b_const(b, OPT_I32, imm[i]);
    for (uint32_t i = nops; i > 0; i--)
        args[nimm + i - 1] = opt_b_pop(b);
    return opt_b_builtin(b, id, args, nimm + nops, result);
}

static bool table_size(struct opt_build *b, uint32_t x)
{
    opt_val tbl = vm_field(b, b->layout.tables + 8 * x);
    return opt_b_push(b, opt_b_load(b, OPT_I32, MEM_I32, tbl, CC_TABLE_SIZE));
}

static bool reference(struct opt_build *b, const struct insn *in)
{
    switch (in->op) {
    case OP_REF_NULL: return opt_b_push(b, b->zero[OPT_I64]);
    case OP_REF_IS_NULL:
        return opt_b_push(b, opt_b_icmp(b, ICC_EQ, opt_b_pop(b), b->zero[OPT_I64]));
    default: return opt_b_push(b, vm_field(b, b->layout.funcrefs + 8 * in->imm.index));
    }
}

static bool bulk(struct opt_build *b, const struct insn *in)
{
    uint32_t pair[2] = {in->imm.pair.a, in->imm.pair.b}, idx[1] = {in->imm.index};
    switch (in->op) {
    case OP_MEMORY_GROW: return builtin_op(b, CC_BUILTIN_MEMORY_GROW, 0, NULL, 1, OPT_I32);
    case OP_MEMORY_FILL: return builtin_op(b, CC_BUILTIN_MEMORY_FILL, 0, NULL, 3, OPT_VOID);
    case OP_MEMORY_COPY: return builtin_op(b, CC_BUILTIN_MEMORY_COPY, 0, NULL, 3, OPT_VOID);
    case OP_MEMORY_INIT: return builtin_op(b, CC_BUILTIN_MEMORY_INIT, 1, pair, 3, OPT_VOID);
    case OP_DATA_DROP: return builtin_op(b, CC_BUILTIN_DATA_DROP, 1, idx, 0, OPT_VOID);
    case OP_TABLE_GET: return builtin_op(b, CC_BUILTIN_TABLE_GET, 1, idx, 1, OPT_I64);
    case OP_TABLE_SET: return builtin_op(b, CC_BUILTIN_TABLE_SET, 1, idx, 2, OPT_VOID);
    case OP_TABLE_GROW: return builtin_op(b, CC_BUILTIN_TABLE_GROW, 1, idx, 2, OPT_I32);
    case OP_TABLE_FILL: return builtin_op(b, CC_BUILTIN_TABLE_FILL, 1, idx, 3, OPT_VOID);
    case OP_TABLE_COPY: return builtin_op(b, CC_BUILTIN_TABLE_COPY, 2, pair, 3, OPT_VOID);
    case OP_TABLE_INIT: { /* (table, seg, ...): the immediates are (seg, table) */
        uint32_t ts[2] = {in->imm.pair.b, in->imm.pair.a};
        return builtin_op(b, CC_BUILTIN_TABLE_INIT, 2, ts, 3, OPT_VOID);
    }
    case OP_ELEM_DROP: return builtin_op(b, CC_BUILTIN_ELEM_DROP, 1, idx, 0, OPT_VOID);
    default: return table_size(b, in->imm.index);
    }
}

bool opt_b_op(struct opt_build *b, const struct val_insn *vi)
{
    const struct insn *in = vi->in;
    enum op op = in->op;
    if (op < ARRAY_LEN(numerics) && numerics[op].op)
        return numeric(b, op);
    if (op >= OP_I32_LOAD && op <= OP_I64_STORE32)
        return memory(b, in);
    switch (op) {
    case OP_NOP: return true;
    case OP_DROP: b->stack.len--; return true;
    case OP_SELECT: case OP_SELECT_T: {
        opt_val c = opt_b_pop(b), y = opt_b_pop(b), x = opt_b_pop(b);
        return opt_b_push(b, opt_b_emit(b, OPT_SELECT, b->f->insn[x].type, c, x, y, 0));
    }
    case OP_LOCAL_GET: case OP_LOCAL_SET: case OP_LOCAL_TEE: case OP_GLOBAL_GET:
    case OP_GLOBAL_SET:
        return variable(b, vi);
    case OP_I32_CONST: return opt_b_push(b, opt_b_const(b, OPT_I32, in->imm.i32));
    case OP_I64_CONST: return opt_b_push(b, opt_b_const(b, OPT_I64, in->imm.i64));
    case OP_F32_CONST:
        return opt_b_push(b, opt_b_const(b, OPT_F32, in->imm.f32));
    case OP_F64_CONST:
        return opt_b_push(b, opt_b_const(b, OPT_F64, (int64_t)in->imm.f64));
    case OP_MEMORY_SIZE: return memory_size(b);
    case OP_REF_NULL: case OP_REF_IS_NULL: case OP_REF_FUNC: return reference(b, in);
    default:
        if ((op >= OP_MEMORY_INIT && op <= OP_TABLE_FILL) || op == OP_MEMORY_GROW ||
            op == OP_TABLE_GET || op == OP_TABLE_SET)
            return bulk(b, in);
        if (op >= OP_I32_TRUNC_SAT_F32_S && op <= OP_I64_TRUNC_SAT_F64_U) {
            opt_val x = opt_b_pop(b);
            opt_val v = opt_b_emit(b, OPT_F2I, result_type(op), x, 0, 0, 0);
            if (v)
                b->f->insn[v].aux = OPT_CVT_SAT | ((op - OP_I32_TRUNC_SAT_F32_S) % 2 == 0);
            return opt_b_push(b, v);
        }
        return err_set(b->e, ERR_UNSUPPORTED, b->at, "%s is not supported by the optimizing "
                                                     "backend", dec_ops[op].name);
    }
}
