/* Locals (allocas), globals (cells reached through the vmctx; an immutable
 * global's cell is invariant), tables (get, set and size inline, the rest
 * through builtins) and references. */
#include "llvm.h"

/* Stores others can see (globals, table elements) are volatile, like heap
 * accesses: LLVM keeps them in order with the accesses that may trap, so a
 * trap leaves exactly the effects before it (it would otherwise delete a
 * global.set a later one overwrites, or sink it past a faulting load). */
static void store_seen(struct llv_fn *f, LLVMValueRef v, LLVMValueRef p, enum llv_tbaa cls)
{
    LLVMValueRef st = LLVMBuildStore(f->u->b, v, p);
    LLVMSetVolatile(st, 1);
    llv_tbaa(f->u, st, cls);
}

static void local(struct llv_fn *f, const struct val_insn *vi)
{
    struct llv_unit *u = f->u;
    LLVMValueRef slot = f->locals[vi->in->imm.index];
    if (vi->in->op == OP_LOCAL_GET) {
        llv_push(f, LLVMBuildLoad2(u->b, llv_type(u, vi->type), slot, ""));
        return;
    }
    LLVMValueRef v = llv_pop(f);
    LLVMBuildStore(u->b, v, slot);
    if (vi->in->op == OP_LOCAL_TEE)
        llv_push(f, v);
}

static void global(struct llv_fn *f, const struct val_insn *vi)
{
    struct llv_unit *u = f->u;
    uint32_t g = vi->in->imm.index;
    LLVMValueRef cell = llv_vmctx_load(f, u->t.ptr, u->layout.globals + 8 * g, LLV_TBAA_VMCTX);
    if (vi->in->op == OP_GLOBAL_SET) {
        store_seen(f, llv_pop(f), cell, LLV_TBAA_GLOBAL);
        return;
    }
    LLVMValueRef v = llv_load(f, llv_type(u, vi->type), cell, LLV_TBAA_GLOBAL);
    if (!u->m->globals[g].type.mut)
        llv_invariant(u, v);
    llv_push(f, v);
}

static LLVMValueRef table_ptr(struct llv_fn *f, uint32_t table)
{
    return llv_vmctx_load(f, f->u->t.ptr, f->u->layout.tables + 8 * table, LLV_TBAA_VMCTX);
}

/* The address of element i of the table, after the bounds check. */
static LLVMValueRef element(struct llv_fn *f, uint32_t table, LLVMValueRef i)
{
    struct llv_unit *u = f->u;
    LLVMBuilderRef b = u->b;
    LLVMValueRef tbl = table_ptr(f, table);
    LLVMValueRef size = llv_load(f, u->t.i32, llv_gep(f, tbl, llv_i64(f, CC_TABLE_SIZE)),
                                 LLV_TBAA_TABLE);
    llv_trap_if(f, LLVMBuildICmp(b, LLVMIntUGE, i, size, ""), TRI_TRAP_TABLE_OOB);
    LLVMValueRef elems = llv_load(f, u->t.ptr, tbl, LLV_TBAA_TABLE);
    LLVMValueRef off = LLVMBuildShl(b, LLVMBuildZExt(b, i, u->t.i64, ""), llv_i64(f, 3), "");
    return llv_gep(f, elems, off);
}

static void table(struct llv_fn *f, const struct insn *in)
{
    struct llv_unit *u = f->u;
    LLVMValueRef args[5];
    switch (in->op) {
    case OP_TABLE_GET: {
        LLVMValueRef p = element(f, in->imm.index, llv_pop(f));
        llv_push(f, llv_load(f, u->t.ptr, p, LLV_TBAA_ELEM));
        break;
    }
    case OP_TABLE_SET: {
        LLVMValueRef v = llv_pop(f);
        LLVMValueRef p = element(f, in->imm.index, llv_pop(f));
        store_seen(f, v, p, LLV_TBAA_ELEM);
        break;
    }
    case OP_TABLE_SIZE: {
        LLVMValueRef tbl = table_ptr(f, in->imm.index);
        llv_push(f, llv_load(f, u->t.i32, llv_gep(f, tbl, llv_i64(f, CC_TABLE_SIZE)),
                             LLV_TBAA_TABLE));
        break;
    }
    case OP_TABLE_GROW: /* (init, delta) */
        args[0] = llv_i32(f, in->imm.index);
        llv_pop_n(f, args + 1, 2);
        llv_push(f, llv_builtin(f, CC_BUILTIN_TABLE_GROW, args, 3));
        break;
    case OP_TABLE_FILL: /* (i, value, n) */
        args[0] = llv_i32(f, in->imm.index);
        llv_pop_n(f, args + 1, 3);
        llv_builtin(f, CC_BUILTIN_TABLE_FILL, args, 4);
        break;
    case OP_TABLE_COPY: /* dst, src, (d, s, n) */
        args[0] = llv_i32(f, in->imm.pair.a);
        args[1] = llv_i32(f, in->imm.pair.b);
        llv_pop_n(f, args + 2, 3);
        llv_builtin(f, CC_BUILTIN_TABLE_COPY, args, 5);
        break;
    case OP_TABLE_INIT: /* immediates (elem, table); the builtin takes (table, elem) */
        args[0] = llv_i32(f, in->imm.pair.b);
        args[1] = llv_i32(f, in->imm.pair.a);
        llv_pop_n(f, args + 2, 3);
        llv_builtin(f, CC_BUILTIN_TABLE_INIT, args, 5);
        break;
    default: /* OP_ELEM_DROP */
        args[0] = llv_i32(f, in->imm.index);
        llv_builtin(f, CC_BUILTIN_ELEM_DROP, args, 1);
        break;
    }
}

bool llv_variable(struct llv_fn *f, const struct val_insn *vi)
{
    struct llv_unit *u = f->u;
    LLVMBuilderRef b = u->b;
    switch (vi->in->op) {
    case OP_LOCAL_GET: case OP_LOCAL_SET: case OP_LOCAL_TEE:
        local(f, vi);
        break;
    case OP_GLOBAL_GET: case OP_GLOBAL_SET:
        global(f, vi);
        break;
    case OP_REF_NULL:
        llv_push(f, LLVMConstNull(u->t.ptr));
        break;
    case OP_REF_IS_NULL:
        llv_push(f, LLVMBuildZExt(b, LLVMBuildIsNull(b, llv_pop(f), ""), u->t.i32, ""));
        break;
    case OP_REF_FUNC:
        llv_push(f, llv_vmctx_load(f, u->t.ptr, u->layout.funcrefs + 8 * vi->in->imm.index,
                                   LLV_TBAA_VMCTX));
        break;
    default:
        table(f, vi->in);
        break;
    }
    return true;
}
