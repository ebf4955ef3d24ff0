/* The walker's hooks: a function's prologue (locals, stack-limit check,
 * memory base), the value stack, and the dispatch of each validated
 * instruction to the file that translates its group. Dead code (after an
 * unconditional branch) emits nothing; only its blocks are tracked. */
#include <string.h>

#include "llvm.h"

/* ---- the value stack ---- */

void llv_push(struct llv_fn *f, LLVMValueRef v)
{
    LLVMValueRef *slot = vec_push(&f->stack);
    if (slot)
        *slot = v;
    else
        f->oom = true;
}

LLVMValueRef llv_pop(struct llv_fn *f)
{
    /* The validator checked the stack; an empty one here is our bug, kept
     * from crashing LLVM by a poison value and reported after the insn. */
    if (f->stack.len == 0) {
        f->broken = true;
        return LLVMGetPoison(f->u->t.i32);
    }
    return f->stack.data[--f->stack.len];
}

void llv_pop_n(struct llv_fn *f, LLVMValueRef *vals, uint32_t n)
{
    for (uint32_t i = n; i-- > 0;)
        vals[i] = llv_pop(f);
}

/* ---- small builders ---- */

LLVMValueRef llv_i32(struct llv_fn *f, uint64_t v) { return LLVMConstInt(f->u->t.i32, v, 0); }
LLVMValueRef llv_i64(struct llv_fn *f, uint64_t v) { return LLVMConstInt(f->u->t.i64, v, 0); }

LLVMValueRef llv_alloca(struct llv_fn *f, LLVMTypeRef t)
{
    return LLVMBuildAlloca(f->alloca_b, t, "");
}

LLVMValueRef llv_gep(struct llv_fn *f, LLVMValueRef p, LLVMValueRef off)
{
    return LLVMBuildGEP2(f->u->b, f->u->t.i8, p, &off, 1, "");
}

LLVMValueRef llv_load(struct llv_fn *f, LLVMTypeRef t, LLVMValueRef p, enum llv_tbaa cls)
{
    LLVMValueRef v = LLVMBuildLoad2(f->u->b, t, p, "");
    llv_tbaa(f->u, v, cls);
    if (cls == LLV_TBAA_VMCTX || cls == LLV_TBAA_FUNCREF)
        llv_invariant(f->u, v);
    return v;
}

LLVMValueRef llv_vmctx_load(struct llv_fn *f, LLVMTypeRef t, uint32_t off, enum llv_tbaa cls)
{
    return llv_load(f, t, llv_gep(f, f->vmctx, llv_i64(f, off)), cls);
}

/* ---- the prologue ---- */

/* ABI section 1: rsp after the prologue must not be below the limit. */
static void stack_check(struct llv_fn *f)
{
    struct llv_unit *u = f->u;
    LLVMTypeRef fnty, t = u->t.i64;
    LLVMValueRef rd = llv_intrinsic(u, "llvm.read_register", &t, 1, &fnty);
    LLVMValueRef sp = LLVMBuildCall2(u->b, fnty, rd, &u->rsp_name, 1, "");
    LLVMValueRef limit = llv_vmctx_load(f, t, CC_VMCTX_STACK_LIMIT, LLV_TBAA_LIMIT);
    llv_trap_if(f, LLVMBuildICmp(u->b, LLVMIntULT, sp, limit, ""), TRI_TRAP_STACK_OVERFLOW);
}

static bool types_supported(const struct llv_fn *f)
{
    const struct val_func *vf = f->vf;
    for (uint32_t i = 0; i < vf->nlocals; i++)
        if (!llv_type(f->u, vf->local_types[i]))
            return false;
    for (uint32_t i = 0; i < vf->type->nresults; i++)
        if (!llv_type(f->u, ft_results(vf->type)[i]))
            return false;
    return true;
}

/* Locals live in allocas that SROA turns into SSA values: parameters are
 * stored on entry, the others start at zero. */
static bool locals_init(struct llv_fn *f)
{
    const struct val_func *vf = f->vf;
    f->locals = arena_array(&f->arena, vf->nlocals ? vf->nlocals : 1, sizeof *f->locals);
    if (!f->locals)
        return false;
    unsigned first_param = vf->type->nresults > 1 ? 2 : 1;
    for (uint32_t i = 0; i < vf->nlocals; i++) {
        LLVMTypeRef t = llv_type(f->u, vf->local_types[i]);
        f->locals[i] = llv_alloca(f, t);
        LLVMValueRef init = i < vf->type->nparams ? LLVMGetParam(f->fn, first_param + i)
                                                  : LLVMConstNull(t);
        LLVMBuildStore(f->u->b, init, f->locals[i]);
    }
    return true;
}

/* Instructions built from now on have the wasm offset `at` as their line. */
static void locate(struct llv_fn *f, uint32_t at)
{
    f->at = at;
    LLVMMetadataRef loc = LLVMDIBuilderCreateDebugLocation(f->u->ctx, at, 0, f->sp, NULL);
    LLVMSetCurrentDebugLocation2(f->u->b, loc);
}

static bool on_begin(void *ctx, const struct val_func *vf)
{
    struct llv_fn *f = ctx;
    struct llv_unit *u = f->u;
    arena_free(&f->arena);
    f->vf = vf;
    f->stack.len = f->ctls.len = 0;
    f->heap_base = f->results_area = NULL;
    f->results_slots = 0;
    f->unsupported = f->skip || !types_supported(f);
    if (f->unsupported || !(f->fn = llv_func(u, vf->index)))
        return f->unsupported = true;
    const struct func *fn = &u->m->funcs[vf->index];
    if (fn->code_end - fn->code > LLV_HUGE_BODY)
        llv_no_opt(u, f->fn);
    f->sp = llv_subprogram(u, f->fn, vf->index);
    locate(f, fn->code_offset);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "entry");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "body");
    LLVMPositionBuilderAtEnd(u->b, entry);
    LLVMPositionBuilderBefore(f->alloca_b, LLVMBuildBr(u->b, body));
    LLVMPositionBuilderAtEnd(u->b, body);
    f->vmctx = LLVMGetParam(f->fn, 0);
    f->results = vf->type->nresults > 1 ? LLVMGetParam(f->fn, 1) : NULL;
    if (!locals_init(f))
        return err_set(f->e, ERR_NOMEM, NO_OFFSET, "out of memory");
    stack_check(f);
    if (u->m->nmems && !u->o->bounds_checks)
        f->heap_base = llv_vmctx_load(f, u->t.heap, CC_VMCTX_MEM_BASE, LLV_TBAA_VMCTX);
    return llv_ctl_open_body(f);
}

/* ---- dispatch ---- */

static bool mentions_v128(const struct val_insn *vi)
{
    if (vi->type == VT_V128 || vi->in->op >= 0x200)
        return true;
    for (uint32_t i = 0; i < vi->nparams; i++)
        if (vi->params[i] == VT_V128)
            return true;
    for (uint32_t i = 0; i < vi->nresults; i++)
        if (vi->results[i] == VT_V128)
            return true;
    return false;
}

static bool is_structure(enum op op)
{
    return op == OP_BLOCK || op == OP_LOOP || op == OP_IF || op == OP_ELSE || op == OP_END;
}

static bool select_op(struct llv_fn *f)
{
    LLVMBuilderRef b = f->u->b;
    LLVMValueRef c = llv_pop(f), y = llv_pop(f), x = llv_pop(f);
    LLVMValueRef cond = LLVMBuildICmp(b, LLVMIntNE, c, llv_i32(f, 0), "");
    llv_push(f, LLVMBuildSelect(b, cond, x, y, ""));
    return true;
}

static bool dispatch(struct llv_fn *f, const struct val_insn *vi)
{
    enum op op = vi->in->op;
    switch (op) {
    case OP_CALL: case OP_CALL_INDIRECT:
        return llv_call(f, vi);
    case OP_DROP:
        llv_pop(f);
        return true;
    case OP_SELECT: case OP_SELECT_T:
        return select_op(f);
    case OP_LOCAL_GET: case OP_LOCAL_SET: case OP_LOCAL_TEE: case OP_GLOBAL_GET:
    case OP_GLOBAL_SET: case OP_TABLE_GET: case OP_TABLE_SET: case OP_REF_NULL:
    case OP_REF_IS_NULL: case OP_REF_FUNC: case OP_TABLE_INIT: case OP_ELEM_DROP:
    case OP_TABLE_COPY: case OP_TABLE_GROW: case OP_TABLE_SIZE: case OP_TABLE_FILL:
        return llv_variable(f, vi);
    case OP_MEMORY_INIT: case OP_DATA_DROP: case OP_MEMORY_COPY: case OP_MEMORY_FILL:
        return llv_memory(f, vi->in);
    default:
        if (op <= OP_RETURN)
            return llv_control(f, vi);
        if (op >= OP_I32_LOAD && op <= OP_MEMORY_GROW)
            return llv_memory(f, vi->in);
        return llv_numeric(f, op, vi->in);
    }
}

static bool on_insn(void *ctx, const struct val_insn *vi)
{
    struct llv_fn *f = ctx;
    if (f->unsupported)
        return true;
    if (mentions_v128(vi)) {
        f->unsupported = true;
        return true;
    }
    if (vi->unreachable && !is_structure(vi->in->op))
        return true;
    locate(f, vi->in->offset);
    if (!dispatch(f, vi))
        return false;
    if (f->oom)
        return err_set(f->e, ERR_NOMEM, f->at, "out of memory");
    if (f->broken)
        return err_set(f->e, ERR_LIMIT, f->at, "llvm: operand stack out of step (backend bug)");
    return true;
}

const struct val_hooks llv_hooks = {.begin = on_begin, .insn = on_insn};
