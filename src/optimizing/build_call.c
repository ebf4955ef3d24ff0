/* Calls and returns in the IR, with docs/ABI.md spelled out: the callee's
 * vmctx is the first operand of every call, imports and call_indirect go
 * through loads from the vmctx and table (call_indirect's three checks are
 * trap_ifs), and two or more results travel through memory: a frame slot
 * the caller passes, the hidden result pointer the callee stores to. */
#include "optimizing.h"

enum { MAX_DIRECT = 8 }; /* operands kept on the C stack; more go to the arena */

/* Emits the call: `lead` operands (code pointer, callee vmctx, ...) then
 * the result area when there are 2+ results, then the wasm arguments
 * popped from the stack; pushes the results. */
static bool emit_call(struct opt_build *b, enum opt_op op, int64_t target, const opt_val *lead,
                      uint32_t nlead, const struct val_insn *vi)
{
    struct opt_func *f = b->f;
    uint32_t nres = vi->nresults, nargs = nlead + (nres >= 2) + vi->nparams;
    opt_val area = OPT_NONE;
    if (nres >= 2) {
        if (!opt_grow(b->a, &f->slot, &f->cap_slot, f->nslot + 1, sizeof *f->slot))
            return opt_b_nomem(b);
        f->slot[f->nslot] = (struct opt_slot){.size = 8 * nres};
        area = opt_b_emit(b, OPT_SLOT_ADDR, OPT_I64, 0, 0, 0, f->nslot++);
    }
    uint32_t at = opt_extra_add(f, NULL, nargs);
    if (at == UINT32_MAX || (nres >= 2 && !area))
        return opt_b_nomem(b);
    for (uint32_t i = 0; i < nlead; i++)
        f->extra[at + i] = lead[i];
    if (area)
        f->extra[at + nlead] = area;
    for (uint32_t i = vi->nparams; i > 0; i--)
        f->extra[at + nargs - vi->nparams + i - 1] = opt_b_pop(b);
    enum opt_type rt = nres == 1 ? opt_type_of(vi->results[0]) : OPT_VOID;
    opt_val c = opt_b_emit(b, op, rt, at, nargs, 0, target);
    if (!c)
        return false;
    if (nres == 1)
        return opt_b_push(b, c);
    for (uint32_t k = 0; k < nres; k++) {
        enum opt_type t = opt_type_of(vi->results[k]);
        if (!opt_b_push(b, opt_b_load(b, t, opt_mem_of_type(t), area, 8 * k)))
            return false;
    }
    return true;
}

/* call_indirect: the table entry, its three checks, then the call through
 * the funcref's code and vmctx. */
static bool call_indirect(struct opt_build *b, const struct val_insn *vi)
{
    uint32_t type = vi->in->imm.call_indirect.type, table = vi->in->imm.call_indirect.table;
    opt_val i = opt_b_pop(b);
    opt_val tbl = opt_b_load(b, OPT_I64, MEM_64, b->vmctx, b->layout.tables + 8 * table);
    opt_val size = opt_b_load(b, OPT_I32, MEM_I32, tbl, CC_TABLE_SIZE);
    if (!opt_b_trap_if(b, opt_b_icmp(b, ICC_GE_U, i, size), TRI_TRAP_UNDEFINED_ELEMENT))
        return false;
    opt_val elems = opt_b_load(b, OPT_I64, MEM_64, tbl, CC_TABLE_ELEMS);
    opt_val x = opt_b_emit(b, OPT_ZEXT, OPT_I64, i, 0, 0, 0);
    x = opt_b_emit(b, OPT_SHL, OPT_I64, x, opt_b_const(b, OPT_I64, 3), 0, 0);
    opt_val ref = opt_b_load(b, OPT_I64, MEM_64,
                             opt_b_emit(b, OPT_ADD, OPT_I64, elems, x, 0, 0), 0);
    if (!opt_b_trap_if(b, opt_b_icmp(b, ICC_EQ, ref, b->zero[OPT_I64]), TRI_TRAP_NULL_ELEMENT))
        return false;
    opt_val want = opt_b_load(b, OPT_I32, MEM_I32, b->vmctx, b->layout.type_ids + 4 * type);
    opt_val got = opt_b_load(b, OPT_I32, MEM_I32, ref, CC_FUNCREF_TYPE_ID);
    if (!opt_b_trap_if(b, opt_b_icmp(b, ICC_NE, got, want), TRI_TRAP_BAD_SIGNATURE))
        return false;
    opt_val lead[2] = {opt_b_load(b, OPT_I64, MEM_64, ref, CC_FUNCREF_CODE),
                       opt_b_load(b, OPT_I64, MEM_64, ref, CC_FUNCREF_VMCTX)};
    return lead[1] && emit_call(b, OPT_CALL_IND, 0, lead, 2, vi);
}

bool opt_b_call(struct opt_build *b, const struct val_insn *vi)
{
    if (vi->in->op == OP_CALL_INDIRECT)
        return call_indirect(b, vi);
    uint32_t callee = vi->in->imm.index;
    if (callee >= b->m->nfunc_imports)
        return emit_call(b, OPT_CALL, callee, &b->vmctx, 1, vi);
    uint32_t at = b->layout.imports + 16 * callee;
    opt_val lead[2] = {opt_b_load(b, OPT_I64, MEM_64, b->vmctx, at),
                       opt_b_load(b, OPT_I64, MEM_64, b->vmctx, at + 8)};
    return lead[1] && emit_call(b, OPT_CALL_IND, 0, lead, 2, vi);
}

bool opt_b_builtin(struct opt_build *b, enum cc_builtin id, const opt_val *args, uint32_t n,
                   enum opt_type result)
{
    opt_val all[1 + MAX_DIRECT];
    all[0] = b->vmctx;
    for (uint32_t i = 0; i < n && i < MAX_DIRECT; i++)
        all[1 + i] = args[i];
    uint32_t at = opt_extra_add(b->f, all, 1 + n);
    if (at == UINT32_MAX)
        return opt_b_nomem(b);
    opt_val c = opt_b_emit(b, OPT_CALL_RT, result, at, 1 + n, 0, id);
    return c && (result == OPT_VOID || opt_b_push(b, c));
}

/* Returns the function's results from the top of the stack. */
bool opt_b_return(struct opt_build *b)
{
    const struct functype *t = b->f->type;
    if (t->nresults < 2)
        return opt_b_emit(b, OPT_RET, OPT_VOID, t->nresults ? opt_b_pop(b) : 0, 0, 0, 0);
    for (uint32_t k = t->nresults; k > 0; k--) {
        opt_val v = opt_b_pop(b);
        opt_val s = opt_b_emit(b, OPT_STORE, OPT_VOID, b->results, v, 0, 8 * (k - 1));
        if (!s)
            return false;
        b->f->insn[s].aux = opt_mem_of_type(b->f->insn[v].type);
    }
    return opt_b_emit(b, OPT_RET, OPT_VOID, 0, 0, 0, 0);
}
