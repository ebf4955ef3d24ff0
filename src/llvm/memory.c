/* Linear memory. Guard mode (the default): base + zext(address) + offset
 * is accessed with no check; the access is an SS-prefixed instruction
 * (address space 258) found in the code and made a MEMORY_OOB site (see
 * llvm.h). Bounds-check mode: base and size are loaded from the vmctx
 * at each access (LLVM keeps them in registers until a call may have
 * changed them) and the end of the access is compared with the size.
 * The bulk operations call runtime builtins, which check bounds. */
#include "llvm.h"

/* Loads that sign-extend; the other narrow loads zero-extend. */
static bool signed_load(enum op op)
{
    return op == OP_I32_LOAD8_S || op == OP_I32_LOAD16_S || op == OP_I64_LOAD8_S ||
           op == OP_I64_LOAD16_S || op == OP_I64_LOAD32_S;
}

/* The type the access reads or writes: an integer of its width, or the
 * float type itself (so no conversion touches the bits). */
static LLVMTypeRef access_type(struct llv_fn *f, enum op op)
{
    struct llv_unit *u = f->u;
    switch (op) {
    case OP_F32_LOAD: case OP_F32_STORE: return u->t.f32;
    case OP_F64_LOAD: case OP_F64_STORE: return u->t.f64;
    default: break;
    }
    switch (dec_ops[op].aux) {
    case 0: return u->t.i8;
    case 1: return u->t.i16;
    case 2: return u->t.i32;
    default: return u->t.i64;
    }
}

/* The heap address of an access of `size` bytes at the popped i32 address. */
static LLVMValueRef address(struct llv_fn *f, uint32_t offset, unsigned size)
{
    struct llv_unit *u = f->u;
    LLVMBuilderRef b = u->b;
    LLVMValueRef ea = LLVMBuildZExt(b, llv_pop(f), u->t.i64, "");
    if (offset)
        ea = LLVMBuildNUWAdd(b, ea, llv_i64(f, offset), "");
    if (!u->o->bounds_checks)
        return llv_gep(f, f->heap_base, ea);
    LLVMValueRef end = LLVMBuildNUWAdd(b, ea, llv_i64(f, size), "");
    LLVMValueRef mem_size = llv_vmctx_load(f, u->t.i64, CC_VMCTX_MEM_SIZE, LLV_TBAA_MEM_SIZE);
    llv_trap_if(f, LLVMBuildICmp(b, LLVMIntUGT, end, mem_size, ""), TRI_TRAP_MEMORY_OOB);
    LLVMValueRef base = llv_vmctx_load(f, u->t.heap, CC_VMCTX_MEM_BASE, LLV_TBAA_MEM_BASE);
    return llv_gep(f, base, ea);
}

/* Alignment 1 (wasm alignment is a hint), the heap alias class, and
 * volatile: LLVM then keeps every access, in program order, so one out of
 * bounds traps where wasm says. (Otherwise it deletes a load whose value
 * is unused, sinks a load into the branch that uses it, merges adjacent
 * stores, and moves stores before loads that would trap.) Measured on the
 * benchmark programs, this costs nothing visible: their wasm producer
 * already optimised the accesses. The access's line (its wasm offset)
 * comes from the builder. */
static void mark_access(struct llv_fn *f, LLVMValueRef access)
{
    LLVMSetAlignment(access, 1);
    LLVMSetVolatile(access, 1);
    llv_tbaa(f->u, access, LLV_TBAA_HEAP);
}

static void load(struct llv_fn *f, const struct insn *in)
{
    LLVMBuilderRef b = f->u->b;
    LLVMTypeRef at = access_type(f, in->op);
    LLVMTypeRef rt = llv_type(f->u, dec_letter_type(dec_ops[in->op].results[0]));
    LLVMValueRef p = address(f, in->imm.mem.m.offset, 1u << dec_ops[in->op].aux);
    LLVMValueRef v = LLVMBuildLoad2(b, at, p, "");
    mark_access(f, v);
    if (at != rt) {
        LLVMValueRef x = signed_load(in->op) ? LLVMBuildSExt(b, v, rt, "")
                                             : LLVMBuildZExt(b, v, rt, "");
        llv_like_access(x, v);
        v = x;
    }
    llv_push(f, v);
}

static void store(struct llv_fn *f, const struct insn *in)
{
    LLVMBuilderRef b = f->u->b;
    LLVMTypeRef at = access_type(f, in->op);
    LLVMValueRef v = llv_pop(f);
    LLVMValueRef p = address(f, in->imm.mem.m.offset, 1u << dec_ops[in->op].aux);
    if (LLVMTypeOf(v) != at)
        v = LLVMBuildTrunc(b, v, at, "");
    mark_access(f, LLVMBuildStore(b, v, p));
}

/* The builtins taking i32 operands: segment or memory operands first. */
static void bulk(struct llv_fn *f, enum cc_builtin which, uint32_t nimm, uint32_t imm,
                 unsigned nops)
{
    LLVMValueRef args[4];
    if (nimm)
        args[0] = llv_i32(f, imm);
    llv_pop_n(f, args + nimm, nops);
    llv_builtin(f, which, args, nimm + nops);
}

/* The heap load v is, or extends; NULL if none. */
static LLVMValueRef heap_load(LLVMValueRef v)
{
    if (LLVMIsAZExtInst(v) || LLVMIsASExtInst(v))
        v = LLVMGetOperand(v, 0);
    if (LLVMIsALoadInst(v) &&
        LLVMGetPointerAddressSpace(LLVMTypeOf(LLVMGetOperand(v, 0))) == LLV_HEAP_AS)
        return v;
    return NULL;
}

/* The x86 code generator folds a load into the instruction using it (add
 * reg, [mem]), which keeps only its own line: giving the user the load's
 * line keeps the wasm offset of a folded access exact. */
void llv_like_access(LLVMValueRef user, LLVMValueRef operand)
{
    LLVMValueRef load = heap_load(operand);
    if (!load || !LLVMIsAInstruction(user))
        return;
    LLVMInstructionSetDebugLoc(user, LLVMInstructionGetDebugLoc(load));
    if (LLVMIsAZExtInst(user)) /* a comparison's i1 widened: the compare folds */
        llv_like_access(LLVMGetOperand(user, 0), operand);
}

bool llv_memory(struct llv_fn *f, const struct insn *in)
{
    struct llv_unit *u = f->u;
    LLVMBuilderRef b = u->b;
    switch (in->op) {
    case OP_MEMORY_SIZE: {
        LLVMValueRef size = llv_vmctx_load(f, u->t.i64, CC_VMCTX_MEM_SIZE, LLV_TBAA_MEM_SIZE);
        llv_push(f, LLVMBuildTrunc(b, LLVMBuildLShr(b, size, llv_i64(f, 16), ""), u->t.i32, ""));
        return true;
    }
    case OP_MEMORY_GROW: {
        LLVMValueRef delta = llv_pop(f);
        llv_push(f, llv_builtin(f, CC_BUILTIN_MEMORY_GROW, &delta, 1));
        return true;
    }
    case OP_MEMORY_FILL:
        bulk(f, CC_BUILTIN_MEMORY_FILL, 0, 0, 3);
        return true;
    case OP_MEMORY_COPY:
        bulk(f, CC_BUILTIN_MEMORY_COPY, 0, 0, 3);
        return true;
    case OP_MEMORY_INIT:
        bulk(f, CC_BUILTIN_MEMORY_INIT, 1, in->imm.pair.a, 3);
        return true;
    case OP_DATA_DROP:
        bulk(f, CC_BUILTIN_DATA_DROP, 1, in->imm.index, 0);
        return true;
    default:
        if (in->op >= OP_I32_STORE)
            store(f, in);
        else
            load(f, in);
        return true;
    }
}
