/* Numeric instructions, driven by a table indexed by opcode: constants,
 * comparisons, integer and float arithmetic, conversions. What needs more
 * than one LLVM instruction (division checks, shift masks, float min/max,
 * trapping conversions) has its own helper here or in float.c. */
#include <string.h>

#include "llvm.h"

enum kind {
    K_NONE, K_EQZ, K_ICMP, K_FCMP, K_BIN, K_SHIFT, K_ROT, K_DIV, K_BITCOUNT, K_FARITH,
    K_FUNARY, K_FNEG, K_MINMAX, K_COPYSIGN, K_CAST, K_EXTEND, K_TRUNC, K_TRUNC_SAT, K_DEMOTE,
};

struct numop {
    uint8_t kind;
    int arg;              /* predicate, LLVMOpcode, or a flag of the kind */
    const char *intrinsic;
};

#define ICMP(p) {K_ICMP, LLVMInt##p, NULL}
#define FCMP(p) {K_FCMP, LLVMReal##p, NULL}
#define BIN(o) {K_BIN, LLVM##o, NULL}
#define FAR(o) {K_FARITH, LLVM##o, NULL}
#define CAST(o) {K_CAST, LLVM##o, NULL}
#define UN(k, name) {k, 0, "llvm." name}

/* K_DIV arg: bit 0 signed, bit 1 remainder. K_SHIFT: the opcode.
 * K_ROT arg: 1 left. K_MINMAX arg: 1 max. K_EXTEND arg: source bits.
 * K_TRUNC, K_TRUNC_SAT arg: 1 signed. */
static const struct numop ops[OP_I64_TRUNC_SAT_F64_U + 1] = {
    [OP_I32_EQZ] = {K_EQZ, 0, NULL}, [OP_I64_EQZ] = {K_EQZ, 0, NULL},
    [OP_I32_EQ] = ICMP(EQ), [OP_I32_NE] = ICMP(NE), [OP_I32_LT_S] = ICMP(SLT),
    [OP_I32_LT_U] = ICMP(ULT), [OP_I32_GT_S] = ICMP(SGT), [OP_I32_GT_U] = ICMP(UGT),
    [OP_I32_LE_S] = ICMP(SLE), [OP_I32_LE_U] = ICMP(ULE), [OP_I32_GE_S] = ICMP(SGE),
    [OP_I32_GE_U] = ICMP(UGE),
    [OP_I64_EQ] = ICMP(EQ), [OP_I64_NE] = ICMP(NE), [OP_I64_LT_S] = ICMP(SLT),
    [OP_I64_LT_U] = ICMP(ULT), [OP_I64_GT_S] = ICMP(SGT), [OP_I64_GT_U] = ICMP(UGT),
    [OP_I64_LE_S] = ICMP(SLE), [OP_I64_LE_U] = ICMP(ULE), [OP_I64_GE_S] = ICMP(SGE),
    [OP_I64_GE_U] = ICMP(UGE),
    /* ne is true for NaN operands: unordered-or-not-equal. */
    [OP_F32_EQ] = FCMP(OEQ), [OP_F32_NE] = FCMP(UNE), [OP_F32_LT] = FCMP(OLT),
    [OP_F32_GT] = FCMP(OGT), [OP_F32_LE] = FCMP(OLE), [OP_F32_GE] = FCMP(OGE),
    [OP_F64_EQ] = FCMP(OEQ), [OP_F64_NE] = FCMP(UNE), [OP_F64_LT] = FCMP(OLT),
    [OP_F64_GT] = FCMP(OGT), [OP_F64_LE] = FCMP(OLE), [OP_F64_GE] = FCMP(OGE),
    [OP_I32_CLZ] = UN(K_BITCOUNT, "ctlz"), [OP_I32_CTZ] = UN(K_BITCOUNT, "cttz"),
    [OP_I32_POPCNT] = UN(K_BITCOUNT, "ctpop"),
    [OP_I64_CLZ] = UN(K_BITCOUNT, "ctlz"), [OP_I64_CTZ] = UN(K_BITCOUNT, "cttz"),
    [OP_I64_POPCNT] = UN(K_BITCOUNT, "ctpop"),
    [OP_I32_ADD] = BIN(Add), [OP_I32_SUB] = BIN(Sub), [OP_I32_MUL] = BIN(Mul),
    [OP_I32_AND] = BIN(And), [OP_I32_OR] = BIN(Or), [OP_I32_XOR] = BIN(Xor),
    [OP_I64_ADD] = BIN(Add), [OP_I64_SUB] = BIN(Sub), [OP_I64_MUL] = BIN(Mul),
    [OP_I64_AND] = BIN(And), [OP_I64_OR] = BIN(Or), [OP_I64_XOR] = BIN(Xor),
    [OP_I32_DIV_S] = {K_DIV, 1, NULL}, [OP_I32_DIV_U] = {K_DIV, 0, NULL},
    [OP_I32_REM_S] = {K_DIV, 3, NULL}, [OP_I32_REM_U] = {K_DIV, 2, NULL},
    [OP_I64_DIV_S] = {K_DIV, 1, NULL}, [OP_I64_DIV_U] = {K_DIV, 0, NULL},
    [OP_I64_REM_S] = {K_DIV, 3, NULL}, [OP_I64_REM_U] = {K_DIV, 2, NULL},
    [OP_I32_SHL] = {K_SHIFT, LLVMShl, NULL}, [OP_I32_SHR_S] = {K_SHIFT, LLVMAShr, NULL},
    [OP_I32_SHR_U] = {K_SHIFT, LLVMLShr, NULL},
    [OP_I64_SHL] = {K_SHIFT, LLVMShl, NULL}, [OP_I64_SHR_S] = {K_SHIFT, LLVMAShr, NULL},
    [OP_I64_SHR_U] = {K_SHIFT, LLVMLShr, NULL},
    [OP_I32_ROTL] = {K_ROT, 1, "llvm.fshl"}, [OP_I32_ROTR] = {K_ROT, 0, "llvm.fshr"},
    [OP_I64_ROTL] = {K_ROT, 1, "llvm.fshl"}, [OP_I64_ROTR] = {K_ROT, 0, "llvm.fshr"},
    [OP_F32_ABS] = UN(K_FUNARY, "fabs"), [OP_F32_NEG] = {K_FNEG, 0, NULL},
    [OP_F32_CEIL] = UN(K_FUNARY, "ceil"), [OP_F32_FLOOR] = UN(K_FUNARY, "floor"),
    [OP_F32_TRUNC] = UN(K_FUNARY, "trunc"), [OP_F32_NEAREST] = UN(K_FUNARY, "roundeven"),
    [OP_F32_SQRT] = UN(K_FUNARY, "sqrt"),
    [OP_F64_ABS] = UN(K_FUNARY, "fabs"), [OP_F64_NEG] = {K_FNEG, 0, NULL},
    [OP_F64_CEIL] = UN(K_FUNARY, "ceil"), [OP_F64_FLOOR] = UN(K_FUNARY, "floor"),
    [OP_F64_TRUNC] = UN(K_FUNARY, "trunc"), [OP_F64_NEAREST] = UN(K_FUNARY, "roundeven"),
    [OP_F64_SQRT] = UN(K_FUNARY, "sqrt"),
    [OP_F32_ADD] = FAR(FAdd), [OP_F32_SUB] = FAR(FSub), [OP_F32_MUL] = FAR(FMul),
    [OP_F32_DIV] = FAR(FDiv),
    [OP_F64_ADD] = FAR(FAdd), [OP_F64_SUB] = FAR(FSub), [OP_F64_MUL] = FAR(FMul),
    [OP_F64_DIV] = FAR(FDiv),
    [OP_F32_MIN] = {K_MINMAX, 0, NULL}, [OP_F32_MAX] = {K_MINMAX, 1, NULL},
    [OP_F64_MIN] = {K_MINMAX, 0, NULL}, [OP_F64_MAX] = {K_MINMAX, 1, NULL},
    [OP_F32_COPYSIGN] = {K_COPYSIGN, 0, "llvm.copysign"},
    [OP_F64_COPYSIGN] = {K_COPYSIGN, 0, "llvm.copysign"},
    [OP_I32_WRAP_I64] = CAST(Trunc),
    [OP_I32_TRUNC_F32_S] = {K_TRUNC, 1, NULL}, [OP_I32_TRUNC_F32_U] = {K_TRUNC, 0, NULL},
    [OP_I32_TRUNC_F64_S] = {K_TRUNC, 1, NULL}, [OP_I32_TRUNC_F64_U] = {K_TRUNC, 0, NULL},
    [OP_I64_EXTEND_I32_S] = CAST(SExt), [OP_I64_EXTEND_I32_U] = CAST(ZExt),
    [OP_I64_TRUNC_F32_S] = {K_TRUNC, 1, NULL}, [OP_I64_TRUNC_F32_U] = {K_TRUNC, 0, NULL},
    [OP_I64_TRUNC_F64_S] = {K_TRUNC, 1, NULL}, [OP_I64_TRUNC_F64_U] = {K_TRUNC, 0, NULL},
    [OP_F32_CONVERT_I32_S] = CAST(SIToFP), [OP_F32_CONVERT_I32_U] = CAST(UIToFP),
    [OP_F32_CONVERT_I64_S] = CAST(SIToFP), [OP_F32_CONVERT_I64_U] = CAST(UIToFP),
    [OP_F32_DEMOTE_F64] = {K_DEMOTE, 0, NULL},
    [OP_F64_CONVERT_I32_S] = CAST(SIToFP), [OP_F64_CONVERT_I32_U] = CAST(UIToFP),
    [OP_F64_CONVERT_I64_S] = CAST(SIToFP), [OP_F64_CONVERT_I64_U] = CAST(UIToFP),
    [OP_F64_PROMOTE_F32] = CAST(FPExt),
    [OP_I32_REINTERPRET_F32] = CAST(BitCast), [OP_I64_REINTERPRET_F64] = CAST(BitCast),
    [OP_F32_REINTERPRET_I32] = CAST(BitCast), [OP_F64_REINTERPRET_I64] = CAST(BitCast),
    [OP_I32_EXTEND8_S] = {K_EXTEND, 8, NULL}, [OP_I32_EXTEND16_S] = {K_EXTEND, 16, NULL},
    [OP_I64_EXTEND8_S] = {K_EXTEND, 8, NULL}, [OP_I64_EXTEND16_S] = {K_EXTEND, 16, NULL},
    [OP_I64_EXTEND32_S] = {K_EXTEND, 32, NULL},
    [OP_I32_TRUNC_SAT_F32_S] = {K_TRUNC_SAT, 1, "llvm.fptosi.sat"},
    [OP_I32_TRUNC_SAT_F32_U] = {K_TRUNC_SAT, 0, "llvm.fptoui.sat"},
    [OP_I32_TRUNC_SAT_F64_S] = {K_TRUNC_SAT, 1, "llvm.fptosi.sat"},
    [OP_I32_TRUNC_SAT_F64_U] = {K_TRUNC_SAT, 0, "llvm.fptoui.sat"},
    [OP_I64_TRUNC_SAT_F32_S] = {K_TRUNC_SAT, 1, "llvm.fptosi.sat"},
    [OP_I64_TRUNC_SAT_F32_U] = {K_TRUNC_SAT, 0, "llvm.fptoui.sat"},
    [OP_I64_TRUNC_SAT_F64_S] = {K_TRUNC_SAT, 1, "llvm.fptosi.sat"},
    [OP_I64_TRUNC_SAT_F64_U] = {K_TRUNC_SAT, 0, "llvm.fptoui.sat"},
};

static LLVMValueRef call1(struct llv_fn *f, const char *name, LLVMTypeRef *types, unsigned nt,
                          LLVMValueRef *args, unsigned nargs)
{
    LLVMTypeRef fnty;
    LLVMValueRef fn = llv_intrinsic(f->u, name, types, nt, &fnty);
    return LLVMBuildCall2(f->u->b, fnty, fn, args, nargs, "");
}

/* Division and remainder: divisor 0 traps, so does INT_MIN / -1; the
 * remainder of INT_MIN by -1 is 0 (computed as x rem 1, as LLVM's srem of
 * that pair would be undefined). */
static LLVMValueRef divide(struct llv_fn *f, int how, LLVMValueRef a, LLVMValueRef b)
{
    LLVMBuilderRef bd = f->u->b;
    LLVMTypeRef t = LLVMTypeOf(a);
    bool sign = how & 1, rem = how & 2;
    llv_trap_if(f, LLVMBuildICmp(bd, LLVMIntEQ, b, LLVMConstNull(t), ""), TRI_TRAP_DIV_ZERO);
    if (!sign)
        return rem ? LLVMBuildURem(bd, a, b, "") : LLVMBuildUDiv(bd, a, b, "");
    LLVMValueRef minus1 = LLVMConstAllOnes(t);
    LLVMValueRef is_m1 = LLVMBuildICmp(bd, LLVMIntEQ, b, minus1, "");
    if (rem)
        return LLVMBuildSRem(bd, a, LLVMBuildSelect(bd, is_m1, LLVMConstInt(t, 1, 0), b, ""), "");
    unsigned bits = LLVMGetIntTypeWidth(t);
    LLVMValueRef min = LLVMConstInt(t, 1ull << (bits - 1), 0);
    LLVMValueRef is_min = LLVMBuildICmp(bd, LLVMIntEQ, a, min, "");
    llv_trap_if(f, LLVMBuildAnd(bd, is_min, is_m1, ""), TRI_TRAP_INT_OVERFLOW);
    return LLVMBuildSDiv(bd, a, b, "");
}

static LLVMValueRef unary(struct llv_fn *f, const struct numop *o, LLVMValueRef a,
                          LLVMTypeRef rt)
{
    LLVMBuilderRef b = f->u->b;
    LLVMTypeRef t = LLVMTypeOf(a);
    switch (o->kind) {
    case K_EQZ:
        return LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntEQ, a, LLVMConstNull(t), ""), rt, "");
    case K_BITCOUNT: {
        LLVMValueRef args[2] = {a, LLVMConstInt(f->u->t.i1, 0, 0)}; /* zero is defined */
        return call1(f, o->intrinsic, &t, 1, args, strcmp(o->intrinsic, "llvm.ctpop") ? 2 : 1);
    }
    case K_FUNARY:
        return call1(f, o->intrinsic, &t, 1, &a, 1);
    case K_FNEG:
        return LLVMBuildFNeg(b, a, "");
    case K_CAST:
        return LLVMBuildCast(b, (LLVMOpcode)o->arg, a, rt, "");
    case K_EXTEND: {
        LLVMValueRef narrow = LLVMBuildTrunc(b, a, LLVMIntTypeInContext(f->u->ctx, o->arg), "");
        return LLVMBuildSExt(b, narrow, rt, "");
    }
    case K_TRUNC:
        return llv_trunc_trap(f, a, rt, o->arg);
    case K_DEMOTE:
        return llv_demote(f, a);
    default: { /* K_TRUNC_SAT */
        LLVMTypeRef types[2] = {rt, t};
        return call1(f, o->intrinsic, types, 2, &a, 1);
    }
    }
}

static LLVMValueRef binary(struct llv_fn *f, const struct numop *o, LLVMValueRef a,
                           LLVMValueRef b, LLVMTypeRef rt)
{
    LLVMBuilderRef bd = f->u->b;
    LLVMTypeRef t = LLVMTypeOf(a);
    switch (o->kind) {
    case K_ICMP:
        return LLVMBuildZExt(bd, LLVMBuildICmp(bd, (LLVMIntPredicate)o->arg, a, b, ""), rt, "");
    case K_FCMP:
        return LLVMBuildZExt(bd, LLVMBuildFCmp(bd, (LLVMRealPredicate)o->arg, a, b, ""), rt, "");
    case K_BIN:
        return LLVMBuildBinOp(bd, (LLVMOpcode)o->arg, a, b, "");
    case K_SHIFT: { /* the count is taken modulo the width */
        LLVMValueRef mask = LLVMConstInt(t, LLVMGetIntTypeWidth(t) - 1, 0);
        return LLVMBuildBinOp(bd, (LLVMOpcode)o->arg, a, LLVMBuildAnd(bd, b, mask, ""), "");
    }
    case K_ROT: { /* funnel shifts of a value with itself rotate, modulo the width */
        LLVMValueRef args[3] = {a, a, b};
        return call1(f, o->intrinsic, &t, 1, args, 3);
    }
    case K_DIV:
        return divide(f, o->arg, a, b);
    case K_FARITH:
        return llv_float_arith(f, (LLVMOpcode)o->arg, a, b);
    case K_MINMAX:
        return llv_float_minmax(f, o->arg, a, b);
    default: { /* K_COPYSIGN */
        LLVMValueRef args[2] = {a, b};
        return call1(f, o->intrinsic, &t, 1, args, 2);
    }
    }
}

/* Floats are built from their bits so NaN payloads stay exact. */
static LLVMValueRef constant(struct llv_fn *f, const struct insn *in)
{
    struct llv_unit *u = f->u;
    switch (in->op) {
    case OP_I32_CONST: return LLVMConstInt(u->t.i32, (uint32_t)in->imm.i32, 0);
    case OP_I64_CONST: return LLVMConstInt(u->t.i64, (uint64_t)in->imm.i64, 0);
    case OP_F32_CONST: return LLVMConstBitCast(LLVMConstInt(u->t.i32, in->imm.f32, 0), u->t.f32);
    default: return LLVMConstBitCast(LLVMConstInt(u->t.i64, in->imm.f64, 0), u->t.f64);
    }
}

bool llv_numeric(struct llv_fn *f, enum op op, const struct insn *in)
{
    if (op >= OP_I32_CONST && op <= OP_F64_CONST) {
        llv_push(f, constant(f, in));
        return true;
    }
    const struct numop *o = (size_t)op < ARRAY_LEN(ops) ? &ops[op] : NULL;
    const struct op_info *oi = &dec_ops[op];
    if (!o || o->kind == K_NONE || !oi->params)
        return err_set(f->e, ERR_UNSUPPORTED, f->at, "llvm: %s is not supported",
                       oi->name ? oi->name : "this opcode");
    LLVMTypeRef rt = llv_type(f->u, dec_letter_type(oi->results[0]));
    LLVMValueRef v;
    if (oi->params[1]) {
        LLVMValueRef b = llv_pop(f), a = llv_pop(f);
        v = binary(f, o, a, b, rt);
        /* Of two loads x86 folds one not extended, the second when both
         * are: that one's line is given last, so it stays. */
        bool b_folds = LLVMIsALoadInst(b) || !LLVMIsALoadInst(a);
        llv_like_access(v, b_folds ? a : b);
        llv_like_access(v, b_folds ? b : a);
    } else {
        LLVMValueRef a = llv_pop(f);
        v = unary(f, o, a, rt);
        llv_like_access(v, a);
    }
    llv_push(f, v);
    return true;
}
