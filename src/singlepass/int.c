/* Integer instructions: arithmetic, bitwise, shifts, division with its
 * explicit traps, comparisons (left in the flags for the consumer), bit
 * counts and sign extension. Operations on two constants are folded;
 * a constant second operand becomes an immediate. */
#include "singlepass.h"

/* i32.eq .. i32.ge_u (and the i64 ones) in table order. */
static const enum x64_cc cmp_cc[] = {
    X64_CC_E, X64_CC_NE, X64_CC_L, X64_CC_B, X64_CC_G,
    X64_CC_A, X64_CC_LE, X64_CC_BE, X64_CC_GE, X64_CC_AE,
};

static bool fits32(int size, int64_t v) { return size == 4 || v == (int32_t)v; }

/* Normalises a result to the immediate convention (i32 sign-extended). */
static int64_t norm(int size, uint64_t v) { return size == 4 ? (int64_t)(int32_t)v : (int64_t)v; }

/* dst op= imm through r11, for a 64-bit constant too wide for an
 * immediate (out of line: alu_src's usual paths need no frame). */
static __attribute__((noinline)) void alu_wide(struct sp_comp *c, enum x64_alu op, int dst,
                                               int64_t imm)
{
    x64_mov_ri(&c->a, 8, SP_SCRATCH, imm);
    x64_alu_rr(&c->a, op, 8, dst, SP_SCRATCH);
}

/* dst op= b, with b in a register, a slot or an immediate (r11 when it
 * does not fit). */
static void alu_src(struct sp_comp *c, enum x64_alu op, int size, int dst, const struct sp_opnd *b)
{
    if (b->kind == SP_REG)
        x64_alu_rr(&c->a, op, size, dst, b->reg);
    else if (b->kind == SP_MEM)
        x64_alu_rm(&c->a, op, size, dst, sp_opnd_mem(b));
    else if (fits32(size, b->imm))
        x64_alu_ri(&c->a, op, size, dst, (int32_t)b->imm);
    else
        alu_wide(c, op, dst, b->imm);
}

/* b as a register or memory operand for one-operand instructions. */
static struct sp_opnd rm_src(struct sp_comp *c, struct sp_opnd b, int size)
{
    if (b.kind == SP_CONST) {
        x64_mov_ri(&c->a, size, SP_SCRATCH, b.imm);
        b = (struct sp_opnd){.kind = SP_REG, .type = b.type, .reg = SP_SCRATCH};
    }
    return b;
}

static uint64_t rotl(uint64_t v, unsigned n, unsigned bits)
{
    n &= bits - 1;
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    v &= mask;
    return n ? ((v << n) | (v >> (bits - n))) & mask : v;
}

/* Folds a binary operation on constants; false when it is not folded. */
static bool fold(enum op op, int size, int64_t x, int64_t y, int64_t *out)
{
    unsigned bits = (unsigned)size * 8;
    uint64_t ux = size == 4 ? (uint32_t)x : (uint64_t)x, uy = size == 4 ? (uint32_t)y : (uint64_t)y;
    unsigned sh = (unsigned)(uy & (bits - 1));
    uint64_t r;
    switch (op) {
    case OP_I32_ADD: r = ux + uy; break;
    case OP_I32_SUB: r = ux - uy; break;
    case OP_I32_MUL: r = ux * uy; break;
    case OP_I32_AND: r = ux & uy; break;
    case OP_I32_OR: r = ux | uy; break;
    case OP_I32_XOR: r = ux ^ uy; break;
    case OP_I32_SHL: r = ux << sh; break;
    case OP_I32_SHR_U: r = ux >> sh; break;
    case OP_I32_SHR_S: r = (uint64_t)(norm(size, ux) >> sh); break;
    case OP_I32_ROTL: r = rotl(ux, sh, bits); break;
    case OP_I32_ROTR: r = rotl(ux, (bits - sh) & (bits - 1), bits); break;
    default: return false;
    }
    *out = norm(size, r);
    return true;
}

static bool cmp_holds(enum x64_cc cc, int size, int64_t x, int64_t y)
{
    uint64_t ux = size == 4 ? (uint32_t)x : (uint64_t)x, uy = size == 4 ? (uint32_t)y : (uint64_t)y;
    switch (cc) {
    case X64_CC_E: return x == y;
    case X64_CC_NE: return x != y;
    case X64_CC_L: return x < y;
    case X64_CC_G: return x > y;
    case X64_CC_LE: return x <= y;
    case X64_CC_GE: return x >= y;
    case X64_CC_B: return ux < uy;
    case X64_CC_A: return ux > uy;
    case X64_CC_BE: return ux <= uy;
    default: return ux >= uy;
    }
}

/* compare's usual cases, frameless: the first operand in a register and
 * the second in one too or an immediate, or the first in its slot and the
 * second an immediate; the same code as compare_general's. */
static inline bool compare_usual(struct sp_comp *c, enum x64_cc cc, int size)
{
    const struct sp_val *b = sp_top(c), *a = b - 1;
    bool a_reg = sp_in_gp_reg(c, a);
    if (b->kind == SP_CONST ? !fits32(size, b->imm) || !(a_reg || sp_in_slot(c, a))
                            : !a_reg || !sp_in_gp_reg(c, b))
        return false;
    struct sp_opnd bo = sp_pop(c), ao = sp_pop(c);
    if (ao.kind == SP_MEM)
        x64_alu_mi(&c->a, X64_CMP, size, sp_opnd_mem(&ao), (int32_t)bo.imm);
    else if (bo.kind == SP_CONST)
        x64_alu_ri(&c->a, X64_CMP, size, ao.reg, (int32_t)bo.imm);
    else
        x64_alu_rr(&c->a, X64_CMP, size, ao.reg, bo.reg);
    sp_push_flags(c, cc);
    return true;
}

static __attribute__((noinline)) void compare_general(struct sp_comp *c, enum x64_cc cc, int size)
{
    struct sp_opnd b = sp_pop(c), a = sp_pop(c);
    if (a.kind == SP_CONST && b.kind == SP_CONST) {
        sp_push_const(c, VT_I32, cmp_holds(cc, size, a.imm, b.imm));
        return;
    }
    if (a.kind == SP_CONST || (a.kind == SP_MEM && b.kind == SP_REG)) {
        struct sp_opnd t = a;
        a = b;
        b = t;
        cc = x64_cc_swap(cc);
    }
    if (a.kind == SP_MEM && b.kind == SP_CONST && fits32(size, b.imm))
        x64_alu_mi(&c->a, X64_CMP, size, sp_opnd_mem(&a), (int32_t)b.imm);
    else
        alu_src(c, X64_CMP, size, sp_opnd_reg(c, &a), &b);
    sp_push_flags(c, cc);
}

static void compare(struct sp_comp *c, enum x64_cc cc, int size)
{
    if (!compare_usual(c, cc, size))
        compare_general(c, cc, size);
}

static void eqz(struct sp_comp *c, int size)
{
    struct sp_val *top = sp_top(c);
    if (top->kind == SP_FLAGS) { /* this instruction consumes them */
        c->stack.len--;
        sp_push_flags(c, x64_cc_not((enum x64_cc)top->reg));
        return;
    }
    struct sp_opnd a = sp_pop(c);
    if (a.kind == SP_CONST) {
        sp_push_const(c, VT_I32, norm(size, (uint64_t)a.imm) == 0);
        return;
    }
    if (a.kind == SP_MEM)
        x64_alu_mi(&c->a, X64_CMP, size, sp_opnd_mem(&a), 0);
    else
        x64_alu_rr(&c->a, X64_TEST, size, a.reg, a.reg);
    sp_push_flags(c, X64_CC_E);
}

static const enum x64_alu alu_of[] = {
    [OP_I32_ADD - OP_I32_ADD] = X64_ADD, [OP_I32_SUB - OP_I32_ADD] = X64_SUB,
    [OP_I32_AND - OP_I32_ADD] = X64_AND, [OP_I32_OR - OP_I32_ADD] = X64_OR,
    [OP_I32_XOR - OP_I32_ADD] = X64_XOR,
};

/* binary_usual's local op constant: the local in its register (add: lea,
 * the local stays) or its slot, the result in a free register (there is
 * one); the same code as binary_general's. */
static inline __attribute__((always_inline)) void local_imm(struct sp_comp *c, enum x64_alu alu,
                                                           int size, valtype t)
{
    struct sp_opnd bo = sp_pop_kind(c, SP_CONST), ao = sp_pop_kind(c, SP_LOCAL);
    int dst = sp_reg_try_alloc(c, false);
    int32_t imm = (int32_t)bo.imm;
    if (ao.kind == SP_REG && alu == X64_ADD) {
        x64_lea_based(&c->a, size, dst, ao.reg, imm);
    } else {
        if (ao.kind == SP_REG)
            x64_mov_rr(&c->a, 8, dst, ao.reg);
        else
            x64_load_frame(&c->a, size, dst, ao.disp);
        x64_alu_ri(&c->a, alu, size, dst, imm);
    }
    sp_push_reg(c, t, dst);
}

/* binary's usual cases for add, sub, and, or and xor, frameless: the
 * first operand in a register of its own (the result's) and the second in
 * a register or an immediate, or a local (Rust's address arithmetic) and
 * an immediate; the same code as binary_general's. */
static inline bool binary_usual(struct sp_comp *c, enum op op, int size, valtype t)
{
    const struct sp_val *b = sp_top(c), *a = b - 1;
    bool alu_op = op == OP_I32_ADD || op == OP_I32_SUB || op == OP_I32_AND ||
                  op == OP_I32_OR || op == OP_I32_XOR;
    bool b_imm = b->kind == SP_CONST && fits32(size, b->imm);
    if (!alu_op)
        return false;
    enum x64_alu alu = alu_of[op - OP_I32_ADD];
    if (a->kind == SP_LOCAL && b_imm && c->locals[a->local].kind != SP_CONST &&
        sp_reg_free_mask(c, false)) {
        local_imm(c, alu, size, t);
        return true;
    }
    if (a->kind != SP_REG || !(b_imm || sp_in_gp_reg(c, b)))
        return false;
    struct sp_opnd bo = sp_pop(c), ao = sp_pop_kind(c, SP_REG);
    if (bo.kind == SP_CONST)
        x64_alu_ri(&c->a, alu, size, ao.reg, (int32_t)bo.imm);
    else
        x64_alu_rr(&c->a, alu, size, ao.reg, bo.reg);
    sp_push_reg(c, t, ao.reg);
    return true;
}

static __attribute__((noinline)) void binary_general(struct sp_comp *c, enum op op, int size,
                                                     valtype t)
{
    struct sp_opnd b = sp_pop(c), a = sp_pop(c);
    int64_t r;
    if (a.kind == SP_CONST && b.kind == SP_CONST && fold(op, size, a.imm, b.imm, &r)) {
        sp_push_const(c, t, r);
        return;
    }
    bool commutes = op != OP_I32_SUB;
    if (commutes && !(a.kind == SP_REG && a.owned) &&
        (b.kind == SP_REG ? b.owned : a.kind == SP_CONST)) {
        struct sp_opnd tmp = a;
        a = b;
        b = tmp;
    }
    int dst;
    if (op == OP_I32_MUL && b.kind == SP_CONST && fits32(size, b.imm) && a.kind != SP_CONST) {
        dst = a.kind == SP_REG && a.owned ? a.reg : sp_reg_alloc(c, false);
        if (a.kind == SP_REG)
            x64_imul_rri(&c->a, size, dst, a.reg, (int32_t)b.imm);
        else
            x64_imul_rmi(&c->a, size, dst, sp_opnd_mem(&a), (int32_t)b.imm);
    } else if (op == OP_I32_MUL) {
        dst = sp_own(c, &a);
        b = rm_src(c, b, size);
        if (b.kind == SP_REG)
            x64_op_rr(&c->a, X64_IMUL, size, dst, b.reg);
        else
            x64_op_rm(&c->a, X64_IMUL, size, dst, sp_opnd_mem(&b));
    } else if (op == OP_I32_ADD && b.kind == SP_CONST && fits32(size, b.imm) &&
               a.kind == SP_REG && !a.owned) {
        dst = sp_reg_alloc(c, false); /* lea saves the copy of a local */
        x64_lea(&c->a, size, dst, x64_mem_base(a.reg, (int32_t)b.imm));
    } else {
        dst = sp_own(c, &a);
        alu_src(c, alu_of[op - OP_I32_ADD], size, dst, &b);
    }
    sp_push_reg(c, t, dst);
}

static void binary(struct sp_comp *c, enum op op, int size, valtype t)
{
    if (!binary_usual(c, op, size, t))
        binary_general(c, op, size, t);
}

static const enum x64_shift shift_of[] = {
    [OP_I32_SHL - OP_I32_SHL] = X64_SHL, [OP_I32_SHR_S - OP_I32_SHL] = X64_SAR,
    [OP_I32_SHR_U - OP_I32_SHL] = X64_SHR, [OP_I32_ROTL - OP_I32_SHL] = X64_ROL,
    [OP_I32_ROTR - OP_I32_SHL] = X64_ROR,
};

static void shift(struct sp_comp *c, enum op op, int size, valtype t)
{
    enum x64_shift sh = shift_of[op - OP_I32_SHL];
    if (sp_top(c)->kind == SP_CONST && sp_top(c)[-1].kind != SP_CONST) {
        struct sp_opnd b = sp_pop(c);
        int dst = sp_pop_owned(c);
        x64_shift_ri(&c->a, sh, size, dst, (uint8_t)(b.imm & (size * 8 - 1)));
        sp_push_reg(c, t, dst);
        return;
    }
    if (sp_top(c)->kind == SP_CONST) {
        binary(c, op, size, t); /* folds */
        return;
    }
    sp_reg_claim(c, X64_RCX);
    struct sp_opnd b = sp_pop(c);
    int dst = sp_pop_owned(c);
    sp_opnd_to(c, X64_RCX, &b);
    x64_shift_rc(&c->a, sh, size, dst);
    sp_push_reg(c, t, dst);
}

/* div and rem: explicit checks for a zero divisor and INT_MIN / -1 (the
 * hardware fault is not a trap site); rem_s by -1 is 0. */
static void divide(struct sp_comp *c, enum op op, int size, valtype t)
{
    struct x64_asm *a = &c->a;
    bool sign = op == OP_I32_DIV_S || op == OP_I32_REM_S;
    bool rem = op == OP_I32_REM_S || op == OP_I32_REM_U;
    sp_reg_claim(c, X64_RAX);
    sp_reg_claim(c, X64_RDX);
    struct sp_opnd b = sp_pop(c), x = sp_pop(c);
    bool known = b.kind == SP_CONST;
    int64_t v = known ? norm(size, (uint64_t)b.imm) : 0;
    if (known && v == 0) {
        x64_jmp(a, sp_trap_label(c, TRI_TRAP_DIV_ZERO));
        sp_push_const(c, t, 0);
        return;
    }
    sp_opnd_to(c, X64_RAX, &x);
    b = rm_src(c, b, size);
    struct x64_mem bm = sp_opnd_mem(&b);
    if (!known) {
        if (b.kind == SP_REG)
            x64_alu_rr(a, X64_TEST, size, b.reg, b.reg);
        else
            x64_alu_mi(a, X64_CMP, size, bm, 0);
        x64_jcc(a, X64_CC_E, sp_trap_label(c, TRI_TRAP_DIV_ZERO));
    }
    x64_label done = x64_label_new(a), go = x64_label_new(a);
    if (sign && (!known || v == -1)) {
        if (b.kind == SP_REG)
            x64_alu_ri(a, X64_CMP, size, b.reg, -1);
        else
            x64_alu_mi(a, X64_CMP, size, bm, -1);
        x64_jcc_short(a, X64_CC_NE, go);
        if (rem) { /* x rem -1 = 0 */
            x64_alu_rr(a, X64_XOR, 4, X64_RDX, X64_RDX);
            x64_jmp_short(a, done);
        } else { /* INT_MIN / -1 overflows; x - 1 overflows just for INT_MIN */
            x64_alu_ri(a, X64_CMP, size, X64_RAX, 1);
            x64_jcc(a, X64_CC_O, sp_trap_label(c, TRI_TRAP_INT_OVERFLOW));
        }
    }
    x64_label_bind(a, go);
    if (sign)
        x64_cdq(a, size);
    else
        x64_alu_rr(a, X64_XOR, 4, X64_RDX, X64_RDX);
    enum x64_unary u = sign ? X64_IDIV : X64_DIV;
    if (b.kind == SP_REG)
        x64_unary_r(a, u, size, b.reg);
    else
        x64_unary_m(a, u, size, bm);
    x64_label_bind(a, done);
    sp_push_reg(c, t, rem ? X64_RDX : X64_RAX);
}

/* clz, ctz and popcnt; bsr/bsf leave ZF set for a zero input. */
static void bitcount(struct sp_comp *c, enum op op, int size, valtype t)
{
    struct x64_asm *a = &c->a;
    struct sp_opnd x = sp_pop(c);
    if (x.kind == SP_CONST) {
        uint64_t u = size == 4 ? (uint32_t)x.imm : (uint64_t)x.imm;
        int bits = size * 8;
        int r = op == OP_I32_POPCNT ? __builtin_popcountll(u)
                : !u                 ? bits
                : op == OP_I32_CLZ   ? __builtin_clzll(u) - (64 - bits)
                                     : __builtin_ctzll(u);
        sp_push_const(c, t, r);
        return;
    }
    int dst = x.kind == SP_REG && x.owned ? x.reg : sp_reg_alloc(c, false);
    enum x64_rmop rop = op == OP_I32_POPCNT ? X64_POPCNT : op == OP_I32_CLZ ? X64_BSR : X64_BSF;
    if (x.kind == SP_REG)
        x64_op_rr(a, rop, size, dst, x.reg);
    else
        x64_op_rm(a, rop, size, dst, sp_opnd_mem(&x));
    if (op == OP_I32_CLZ) { /* 31 - bsr, with 63 ^ 31 = 32 for zero */
        x64_mov_ri(a, 4, SP_SCRATCH, size == 4 ? 63 : 127);
        x64_cmov_rr(a, X64_CC_E, size, dst, SP_SCRATCH);
        x64_alu_ri(a, X64_XOR, size, dst, size * 8 - 1);
    } else if (op == OP_I32_CTZ) {
        x64_mov_ri(a, 4, SP_SCRATCH, size * 8);
        x64_cmov_rr(a, X64_CC_E, size, dst, SP_SCRATCH);
    }
    sp_push_reg(c, t, dst);
}

/* i32.extend8_s .. i64.extend32_s */
static void sign_extend(struct sp_comp *c, int dsize, int ssize, valtype t)
{
    struct sp_opnd x = sp_pop(c);
    if (x.kind == SP_CONST) {
        int64_t v = ssize == 1 ? (int8_t)x.imm : ssize == 2 ? (int16_t)x.imm : (int32_t)x.imm;
        sp_push_const(c, t, norm(dsize, (uint64_t)v));
        return;
    }
    int dst = x.kind == SP_REG && x.owned ? x.reg : sp_reg_alloc(c, false);
    if (x.kind == SP_REG)
        x64_ext_rr(&c->a, X64_SX, dsize, ssize, dst, x.reg);
    else
        x64_ext_rm(&c->a, X64_SX, dsize, ssize, dst, sp_opnd_mem(&x));
    sp_push_reg(c, t, dst);
}

/* The comparisons with i32.eqz and i64.eqz, and add, sub, mul, and, or
 * and xor, the frequent groups, have handlers of their own
 * (sp_int_handlers); sp_int_op takes the rest. */
static bool compare_op(struct sp_comp *c, const struct val_insn *vi)
{
    enum op op = vi->in->op;
    if (op >= OP_I64_EQZ) {
        if (op == OP_I64_EQZ)
            eqz(c, 8);
        else
            compare(c, cmp_cc[op - OP_I64_EQ], 8);
    } else if (op == OP_I32_EQZ) {
        eqz(c, 4);
    } else {
        compare(c, cmp_cc[op - OP_I32_EQ], 4);
    }
    return true;
}

static bool binary_op(struct sp_comp *c, const struct val_insn *vi)
{
    enum op op = vi->in->op;
    if (op >= OP_I64_CLZ)
        binary(c, (enum op)(op - (OP_I64_CLZ - OP_I32_CLZ)), 8, VT_I64);
    else
        binary(c, op, 4, VT_I32);
    return true;
}

void sp_int_handlers(sp_handler *handlers)
{
    static const enum op binaries[] = {OP_I32_ADD, OP_I32_SUB, OP_I32_MUL, OP_I32_AND,
                                       OP_I32_OR,  OP_I32_XOR, OP_I64_ADD, OP_I64_SUB,
                                       OP_I64_MUL, OP_I64_AND, OP_I64_OR,  OP_I64_XOR};
    for (unsigned op = OP_I32_EQZ; op <= OP_I64_GE_U; op++)
        handlers[op] = compare_op;
    for (size_t i = 0; i < ARRAY_LEN(binaries); i++)
        handlers[binaries[i]] = binary_op;
}

bool sp_int_op(struct sp_comp *c, const struct val_insn *vi)
{
    enum op op = vi->in->op;
    switch (op) {
    case OP_I32_EXTEND8_S: sign_extend(c, 4, 1, VT_I32); return true;
    case OP_I32_EXTEND16_S: sign_extend(c, 4, 2, VT_I32); return true;
    case OP_I64_EXTEND8_S: sign_extend(c, 8, 1, VT_I64); return true;
    case OP_I64_EXTEND16_S: sign_extend(c, 8, 2, VT_I64); return true;
    case OP_I64_EXTEND32_S: sign_extend(c, 8, 4, VT_I64); return true;
    default: break;
    }
    /* Map the i64 forms onto the i32 ones. */
    int size = 4;
    if (op >= OP_I64_CLZ && op <= OP_I64_ROTR) {
        op = (enum op)(op - (OP_I64_CLZ - OP_I32_CLZ));
        size = 8;
    }
    valtype t = size == 4 ? VT_I32 : VT_I64;
    if (op >= OP_I32_CLZ && op <= OP_I32_POPCNT)
        bitcount(c, op, size, t);
    else if (op >= OP_I32_DIV_S && op <= OP_I32_REM_U)
        divide(c, op, size, t);
    else /* shl .. rotr */
        shift(c, op, size, t);
    return true;
}
