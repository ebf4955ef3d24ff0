/* Calls (ABI section 1): direct calls to defined functions, calls through
 * the import entries, call_indirect with its three checks, multi-value
 * results through a result area in the caller's frame, and the runtime
 * builtins. */
#include <string.h>

#include "llvm.h"

/* Builtin signatures, in CC_BUILTINS order: 'v' void, 'i' i32, 'p' a
 * pointer-sized word (vmctx first, implied). */
static const struct {
    char ret;
    const char *params;
} builtin_sigs[] = {
    [CC_BUILTIN_MEMORY_GROW] = {'i', "i"},   [CC_BUILTIN_MEMORY_FILL] = {'v', "iii"},
    [CC_BUILTIN_MEMORY_COPY] = {'v', "iii"}, [CC_BUILTIN_MEMORY_INIT] = {'v', "iiii"},
    [CC_BUILTIN_DATA_DROP] = {'v', "i"},     [CC_BUILTIN_TABLE_GET] = {'p', "ii"},
    [CC_BUILTIN_TABLE_SET] = {'v', "iip"},   [CC_BUILTIN_TABLE_GROW] = {'i', "ipi"},
    [CC_BUILTIN_TABLE_FILL] = {'v', "iipi"}, [CC_BUILTIN_TABLE_COPY] = {'v', "iiiii"},
    [CC_BUILTIN_TABLE_INIT] = {'v', "iiiii"}, [CC_BUILTIN_ELEM_DROP] = {'v', "i"},
    [CC_BUILTIN_TRAP] = {'v', "i"},
};
_Static_assert(ARRAY_LEN(builtin_sigs) == CC_BUILTIN_COUNT, "a signature per builtin");

static LLVMTypeRef sig_type(const struct llv_unit *u, char c)
{
    return c == 'i' ? u->t.i32 : c == 'p' ? u->t.ptr : u->t.void_;
}

static LLVMTypeRef builtin_type(const struct llv_unit *u, enum cc_builtin which)
{
    LLVMTypeRef params[8] = {u->t.ptr};
    unsigned n = 1;
    for (const char *p = builtin_sigs[which].params; *p; p++)
        params[n++] = sig_type(u, *p);
    return LLVMFunctionType(sig_type(u, builtin_sigs[which].ret), params, n, 0);
}

LLVMValueRef llv_builtin(struct llv_fn *f, enum cc_builtin which, LLVMValueRef *args, unsigned n)
{
    struct llv_unit *u = f->u;
    LLVMTypeRef fnty = builtin_type(u, which);
    if (!u->builtins[which]) {
        LLVMValueRef fn = LLVMAddFunction(u->mod, cc_builtin_name(which), fnty);
        LLVMSetVisibility(fn, LLVMHiddenVisibility); /* implies dso_local */
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, u->fn_attrs[1]); /* nounwind */
        u->builtins[which] = fn;
    }
    LLVMValueRef all[8] = {f->vmctx};
    memcpy(all + 1, args, n * sizeof *args);
    return LLVMBuildCall2(u->b, fnty, u->builtins[which], all, n + 1, "");
}

/* A result area of at least n 8-byte slots, shared by the calls of the
 * function (it grows by replacement when a call needs more). */
static LLVMValueRef result_area(struct llv_fn *f, uint32_t n)
{
    if (f->results_slots < n) {
        f->results_area = llv_alloca(f, LLVMArrayType2(f->u->t.i64, n));
        LLVMSetAlignment(f->results_area, 8);
        f->results_slots = n;
    }
    return f->results_area;
}

/* Pops the arguments, calls, and pushes the results. */
static void call_with(struct llv_fn *f, const struct functype *ft, LLVMValueRef callee,
                      LLVMValueRef callee_vmctx)
{
    struct llv_unit *u = f->u;
    LLVMTypeRef fnty = llv_func_type(u, ft);
    unsigned first = ft->nresults > 1 ? 2 : 1, n = first + ft->nparams;
    LLVMValueRef stack_args[16], *args = stack_args;
    if (!fnty || (n > ARRAY_LEN(stack_args) && !(args = malloc(n * sizeof *args)))) {
        f->oom = true;
        return;
    }
    args[0] = callee_vmctx;
    LLVMValueRef area = ft->nresults > 1 ? result_area(f, ft->nresults) : NULL;
    if (area)
        args[1] = area;
    llv_pop_n(f, args + first, ft->nparams);
    LLVMValueRef call = LLVMBuildCall2(u->b, fnty, callee, args, n, "");
    if (args != stack_args)
        free(args);
    if (ft->nresults == 1)
        llv_push(f, call);
    for (uint32_t k = 0; area && k < ft->nresults; k++) {
        LLVMValueRef slot = llv_gep(f, area, llv_i64(f, 8 * k));
        llv_push(f, LLVMBuildLoad2(u->b, llv_type(u, ft_results(ft)[k]), slot, ""));
    }
}

static void call_direct(struct llv_fn *f, uint32_t index)
{
    struct llv_unit *u = f->u;
    const struct functype *ft = dec_func_type(u->m, index);
    if (index >= u->m->nfunc_imports) {
        call_with(f, ft, llv_func(u, index), f->vmctx);
        return;
    }
    uint32_t entry = u->layout.imports + index * (uint32_t)sizeof(struct cc_vm_import);
    LLVMValueRef code = llv_vmctx_load(f, u->t.ptr, entry, LLV_TBAA_VMCTX);
    LLVMValueRef vmctx = llv_vmctx_load(f, u->t.ptr, entry + 8, LLV_TBAA_VMCTX);
    call_with(f, ft, code, vmctx);
}

/* ABI section 1, call_indirect: bounds, null, then signature. */
static void call_indirect(struct llv_fn *f, uint32_t type, uint32_t table)
{
    struct llv_unit *u = f->u;
    LLVMBuilderRef b = u->b;
    LLVMValueRef index = llv_pop(f);
    LLVMValueRef tbl = llv_vmctx_load(f, u->t.ptr, u->layout.tables + 8 * table, LLV_TBAA_VMCTX);
    LLVMValueRef size = llv_load(f, u->t.i32, llv_gep(f, tbl, llv_i64(f, CC_TABLE_SIZE)),
                                 LLV_TBAA_TABLE);
    llv_trap_if(f, LLVMBuildICmp(b, LLVMIntUGE, index, size, ""), TRI_TRAP_UNDEFINED_ELEMENT);
    LLVMValueRef elems = llv_load(f, u->t.ptr, tbl, LLV_TBAA_TABLE);
    LLVMValueRef off = LLVMBuildShl(b, LLVMBuildZExt(b, index, u->t.i64, ""), llv_i64(f, 3), "");
    LLVMValueRef ref = llv_load(f, u->t.ptr, llv_gep(f, elems, off), LLV_TBAA_ELEM);
    llv_trap_if(f, LLVMBuildIsNull(b, ref, ""), TRI_TRAP_NULL_ELEMENT);
    LLVMValueRef got = llv_load(f, u->t.i32, llv_gep(f, ref, llv_i64(f, CC_FUNCREF_TYPE_ID)),
                                LLV_TBAA_FUNCREF);
    LLVMValueRef want = llv_vmctx_load(f, u->t.i32, u->layout.type_ids + 4 * type, LLV_TBAA_VMCTX);
    llv_trap_if(f, LLVMBuildICmp(b, LLVMIntNE, got, want, ""), TRI_TRAP_BAD_SIGNATURE);
    LLVMValueRef code = llv_load(f, u->t.ptr, ref, LLV_TBAA_FUNCREF);
    LLVMValueRef vmctx = llv_load(f, u->t.ptr, llv_gep(f, ref, llv_i64(f, CC_FUNCREF_VMCTX)),
                                  LLV_TBAA_FUNCREF);
    call_with(f, &u->m->types[type], code, vmctx);
}

bool llv_call(struct llv_fn *f, const struct val_insn *vi)
{
    const struct insn *in = vi->in;
    if (in->op == OP_CALL)
        call_direct(f, in->imm.index);
    else
        call_indirect(f, in->imm.call_indirect.type, in->imm.call_indirect.table);
    return true;
}
