/* Float semantics LLVM's own operations do not give as WebAssembly wants:
 *   - LLVM treats signalling NaNs as quiet, so it folds x*1.0, x/1.0,
 *     x+(-0.0), x-0.0 to x and -0.0-x, x*-1.0 to -x. WebAssembly wants the
 *     NaN quieted, as the hardware does. Those forms are built here as an
 *     explicit "quiet if NaN" instead of the arithmetic LLVM would fold.
 *     Likewise demote(promote(x)), which LLVM folds to x.
 *   - min and max: NaN if either operand is, and -0 < +0 (llvm.minimum
 *     returns a signalling NaN operand unquieted, so it is not used).
 *   - trapping float-to-int conversions with exact range checks. */
#include <math.h>

#include "llvm.h"

/* x with its quiet bit set when it is a NaN: what x*1.0 computes. */
static LLVMValueRef quiet(struct llv_fn *f, LLVMValueRef x)
{
    struct llv_unit *u = f->u;
    LLVMBuilderRef b = u->b;
    LLVMTypeRef t = LLVMTypeOf(x);
    bool f64 = t == u->t.f64;
    LLVMTypeRef it = f64 ? u->t.i64 : u->t.i32;
    LLVMValueRef bit = LLVMConstInt(it, f64 ? 1ull << 51 : 1u << 22, 0);
    LLVMValueRef q = LLVMBuildBitCast(b, LLVMBuildOr(b, LLVMBuildBitCast(b, x, it, ""), bit, ""),
                                      t, "");
    LLVMValueRef nan = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "");
    return LLVMBuildSelect(b, nan, q, x, "");
}

/* The value of a float constant; false for anything else. */
static bool known(LLVMValueRef v, double *out)
{
    if (!LLVMIsAConstantFP(v))
        return false;
    LLVMBool loses;
    *out = LLVMConstRealGetDouble(v, &loses);
    return true;
}

static bool is_zero(double c, bool negative) { return c == 0 && !!signbit(c) == negative; }

/* When `x op c` (or `c op x`) is x or -x for every non-NaN x, the result
 * is quiet(x) or its negation; returns NULL otherwise. */
static LLVMValueRef identity(struct llv_fn *f, LLVMOpcode opc, LLVMValueRef a, LLVMValueRef b)
{
    double ca, cb;
    bool ka = known(a, &ca), kb = known(b, &cb);
    LLVMValueRef x = NULL;
    bool negate = false;
    switch (opc) {
    case LLVMFAdd:
        if (kb && is_zero(cb, true))
            x = a;
        else if (ka && is_zero(ca, true))
            x = b;
        break;
    case LLVMFSub:
        if (kb && is_zero(cb, false))
            x = a;
        else if (ka && is_zero(ca, true))
            x = b, negate = true;
        break;
    case LLVMFMul:
        if (kb && fabs(cb) == 1)
            x = a, negate = cb < 0;
        else if (ka && fabs(ca) == 1)
            x = b, negate = ca < 0;
        break;
    default: /* LLVMFDiv */
        if (kb && fabs(cb) == 1)
            x = a, negate = cb < 0;
        break;
    }
    if (!x || (ka && kb))
        return NULL;
    LLVMValueRef q = quiet(f, x);
    return negate ? LLVMBuildFNeg(f->u->b, q, "") : q;
}

LLVMValueRef llv_float_arith(struct llv_fn *f, LLVMOpcode opc, LLVMValueRef a, LLVMValueRef b)
{
    LLVMValueRef v = identity(f, opc, a, b);
    return v ? v : LLVMBuildBinOp(f->u->b, opc, a, b, "");
}

/* demote(promote(x)) is x for every non-NaN x, and LLVM folds it so, but
 * a signalling NaN must come out quiet. */
LLVMValueRef llv_demote(struct llv_fn *f, LLVMValueRef x)
{
    if (LLVMIsAFPExtInst(x))
        return quiet(f, LLVMGetOperand(x, 0));
    return LLVMBuildFPTrunc(f->u->b, x, f->u->t.f32, "");
}

/* Ordered and different: the smaller (larger); equal: the bits OR-ed
 * (AND-ed), which makes min(-0, +0) = -0 and max(-0, +0) = +0; unordered:
 * a + b, a quiet NaN from the NaN operands. */
LLVMValueRef llv_float_minmax(struct llv_fn *f, bool max, LLVMValueRef a, LLVMValueRef b)
{
    struct llv_unit *u = f->u;
    LLVMBuilderRef bd = u->b;
    LLVMTypeRef t = LLVMTypeOf(a);
    LLVMTypeRef it = t == u->t.f64 ? u->t.i64 : u->t.i32;
    LLVMValueRef ia = LLVMBuildBitCast(bd, a, it, ""), ib = LLVMBuildBitCast(bd, b, it, "");
    LLVMValueRef both = max ? LLVMBuildAnd(bd, ia, ib, "") : LLVMBuildOr(bd, ia, ib, "");
    LLVMValueRef r = llv_float_arith(f, LLVMFAdd, a, b);
    r = LLVMBuildSelect(bd, LLVMBuildFCmp(bd, LLVMRealOEQ, a, b, ""),
                        LLVMBuildBitCast(bd, both, t, ""), r, "");
    r = LLVMBuildSelect(bd, LLVMBuildFCmp(bd, LLVMRealOGT, a, b, ""), max ? a : b, r, "");
    return LLVMBuildSelect(bd, LLVMBuildFCmp(bd, LLVMRealOLT, a, b, ""), max ? b : a, r, "");
}

/* The float range that truncates into an integer of `bits` bits: x must be
 * above lo (or equal when lo_inclusive) and below hi. The bounds are exact
 * in both float types, picked so no rounding happens. */
static void trunc_range(unsigned bits, bool sign, bool f64, double *lo, bool *lo_inclusive,
                        double *hi)
{
    *hi = ldexp(1, sign ? (int)bits - 1 : (int)bits);
    if (!sign) {
        *lo = -1, *lo_inclusive = false;
    } else if (bits == 32 && f64) {
        *lo = -2147483649.0, *lo_inclusive = false;
    } else {
        *lo = -*hi, *lo_inclusive = true;
    }
}

LLVMValueRef llv_trunc_trap(struct llv_fn *f, LLVMValueRef x, LLVMTypeRef to, bool sign)
{
    struct llv_unit *u = f->u;
    LLVMBuilderRef b = u->b;
    LLVMTypeRef t = LLVMTypeOf(x);
    double lo, hi;
    bool lo_inclusive;
    trunc_range(LLVMGetIntTypeWidth(to), sign, t == u->t.f64, &lo, &lo_inclusive, &hi);
    LLVMValueRef above = LLVMBuildFCmp(b, lo_inclusive ? LLVMRealOGE : LLVMRealOGT, x,
                                       LLVMConstReal(t, lo), "");
    LLVMValueRef below = LLVMBuildFCmp(b, LLVMRealOLT, x, LLVMConstReal(t, hi), "");
    LLVMValueRef in = LLVMBuildAnd(b, above, below, "");
    /* Out of range (NaN included, as the compares are ordered): a NaN is
     * an invalid conversion, anything else an overflow. */
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "");
    LLVMValueRef br = LLVMBuildCondBr(b, LLVMBuildNot(b, in, ""), slow, ok);
    LLVMSetMetadata(br, u->md_prof, u->unlikely);
    LLVMPositionBuilderAtEnd(b, slow);
    llv_trap_if(f, LLVMBuildFCmp(b, LLVMRealUNO, x, x, ""), TRI_TRAP_BAD_CONVERSION);
    llv_trap(f, TRI_TRAP_INT_OVERFLOW);
    LLVMPositionBuilderAtEnd(b, ok);
    return sign ? LLVMBuildFPToSI(b, x, to, "") : LLVMBuildFPToUI(b, x, to, "");
}
