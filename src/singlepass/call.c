/* Calls: to defined functions (call rel32), imports (through the vmctx),
 * tables (call_indirect with its three checks) and runtime builtins, all
 * with the System V convention of docs/ABI.md. */
#include "singlepass.h"

enum call_kind { CALL_DIRECT, CALL_IMPORT, CALL_INDIRECT, CALL_BUILTIN };

struct sp_call {
    enum call_kind kind;
    uint32_t target;   /* function index, type index (indirect), builtin id */
    uint32_t table;    /* indirect */
    uint32_t nargs;    /* operands taken from the stack */
    const valtype *args;
    uint32_t nimm;     /* leading integer immediates (builtins) */
    int64_t imm[2];
    uint32_t nresults;
    const valtype *results;
};

static const uint8_t int_regs[] = {X64_RSI, X64_RDX, X64_RCX, X64_R8, X64_R9};

/* call_indirect's checks; leaves the callee's funcref in rax. */
static void indirect_lookup(struct sp_comp *c, const struct sp_call *call)
{
    struct x64_asm *a = &c->a;
    sp_reg_claim(c, X64_RAX); /* before the pop, so the index is not in rax */
    int i = sp_pop_reg(c);
    int vm = sp_vmctx(c);
    x64_mov_rm(a, 8, X64_RAX, x64_mem_base(vm, (int32_t)(c->layout.tables + 8 * call->table)));
    x64_alu_rm(a, X64_CMP, 4, i, x64_mem_base(X64_RAX, CC_TABLE_SIZE));
    x64_jcc(a, X64_CC_AE, sp_trap_label(c, TRI_TRAP_UNDEFINED_ELEMENT));
    x64_mov_rm(a, 8, X64_RAX, x64_mem_base(X64_RAX, CC_TABLE_ELEMS));
    x64_mov_rm(a, 8, X64_RAX, x64_mem_index(X64_RAX, i, 8, 0));
    x64_alu_rr(a, X64_TEST, 8, X64_RAX, X64_RAX);
    x64_jcc(a, X64_CC_E, sp_trap_label(c, TRI_TRAP_NULL_ELEMENT));
    x64_mov_rm(a, 4, SP_SCRATCH,
               x64_mem_base(vm, (int32_t)(c->layout.type_ids + 4 * call->target)));
    x64_alu_rm(a, X64_CMP, 4, SP_SCRATCH, x64_mem_base(X64_RAX, CC_FUNCREF_TYPE_ID));
    x64_jcc(a, X64_CC_NE, sp_trap_label(c, TRI_TRAP_BAD_SIGNATURE));
}

/* The register arguments of a call: register to register moves (one
 * parallel move) and loads of constants and slots (after it). */
enum { ARG_REGS = ARRAY_LEN(int_regs) + 8 };
struct arg_plan {
    struct sp_rmove regs[ARG_REGS];
    struct sp_opnd loads[ARG_REGS];
    uint8_t load_dst[ARG_REGS];
    uint32_t nregs, nloads;
};

/* Where each argument goes: the next integer or SSE register, else the
 * next outgoing stack slot (a store in c->moves). Returns the number of
 * stack slots. */
static uint32_t plan_args(struct sp_comp *c, const struct sp_call *call, bool multi,
                          struct arg_plan *p)
{
    uint32_t nimm = call->nimm, n = nimm + call->nargs;
    uint32_t pos = (uint32_t)c->stack.len - call->nargs;
    uint32_t nint = multi, nflt = 0, nstack = 0;
    c->moves.len = 0;
    p->nregs = p->nloads = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct sp_opnd src = i < nimm ? (struct sp_opnd){.kind = SP_CONST, .type = VT_I64,
                                                         .imm = call->imm[i]}
                                      : sp_resolve(c, pos++);
        bool xmm = sp_is_xmm_type(src.type);
        if (!(xmm ? nflt < 8 : nint < ARRAY_LEN(int_regs))) {
            sp_move_add(c, SP_PHASE_STORE, &src, SP_MEM, 0, X64_RSP, 8 * (int32_t)nstack++);
            continue;
        }
        uint8_t dst = xmm ? (uint8_t)(X64_XMM0 + nflt++) : int_regs[nint++];
        if (src.kind != SP_REG) {
            p->loads[p->nloads] = src;
            p->load_dst[p->nloads++] = dst;
        } else if (src.reg != dst) {
            p->regs[p->nregs++] = (struct sp_rmove){dst, src.reg, src.type};
        }
    }
    return nstack;
}

/* The stores of the stack arguments, the register moves, the loads. */
static void move_args(struct sp_comp *c, struct arg_plan *p)
{
    sp_run_moves(c);
    sp_parallel_moves(c, p->regs, p->nregs);
    for (uint32_t i = 0; i < p->nloads; i++)
        sp_opnd_to(c, p->load_dst[i], &p->loads[i]);
}

static void emit_call(struct sp_comp *c, const struct sp_call *call)
{
    struct x64_asm *a = &c->a;
    int vm = sp_vmctx(c);
    switch (call->kind) {
    case CALL_IMPORT: {
        int32_t at = (int32_t)(c->layout.imports + 16 * call->target);
        x64_mov_rm(a, 8, X64_RDI, x64_mem_base(vm, at + 8));
        x64_call_m(a, x64_mem_base(vm, at));
        break;
    }
    case CALL_INDIRECT:
        x64_mov_rm(a, 8, X64_RDI, x64_mem_base(X64_RAX, CC_FUNCREF_VMCTX));
        x64_call_m(a, x64_mem_base(X64_RAX, CC_FUNCREF_CODE));
        break;
    default:
        x64_mov_rr(a, 8, X64_RDI, vm);
        x64_call_reloc(a, call->kind == CALL_DIRECT ? X64_TARGET_FUNC : X64_TARGET_SYM,
                       call->target);
        break;
    }
}

/* Single results come back in rax or xmm0, more through the result area
 * at [rsp + off], copied to the new entries' slots. */
static void take_results(struct sp_comp *c, const struct sp_call *call, int32_t off)
{
    if (call->nresults == 1) {
        valtype t = call->results[0];
        int r = sp_is_xmm_type(t) ? X64_XMM0 : X64_RAX;
        if (t == VT_I32)
            x64_mov_rr(&c->a, 4, r, r);
        sp_push_reg(c, t, r);
        return;
    }
    for (uint32_t k = 0; call->nresults >= 2 && k < call->nresults; k++) {
        x64_mov_rm(&c->a, 8, SP_SCRATCH, x64_mem_base(X64_RSP, off + 8 * (int32_t)k));
        sp_push_mem(c, call->results[k]);
        x64_store_frame(&c->a, 8, sp_home_disp(c, c->nlocals + (uint32_t)c->stack.len - 1),
                        SP_SCRATCH);
    }
}

static bool do_call(struct sp_comp *c, const struct sp_call *call)
{
    if (!sp_check_types(c, call->args, call->nargs, call->results, call->nresults))
        return false;
    if (call->kind == CALL_INDIRECT)
        indirect_lookup(c, call);
    uint32_t base = (uint32_t)c->stack.len - call->nargs;
    bool multi = call->nresults >= 2;
    /* Plan from where the arguments are now; spilling only stores, so the
     * registers still hold them when the moves run. */
    struct arg_plan plan;
    uint32_t nstack = plan_args(c, call, multi, &plan);
    sp_spill_caller_saved(c, base);
    uint32_t area = (8 * (nstack + (multi ? call->nresults : 0)) + 15) & ~15u;
    if (area)
        x64_alu_ri(&c->a, X64_SUB, 8, X64_RSP, (int32_t)area);
    move_args(c, &plan);
    sp_truncate(c, base);
    if (multi)
        x64_lea(&c->a, 8, X64_RSI, x64_mem_base(X64_RSP, 8 * (int32_t)nstack));
    emit_call(c, call);
    take_results(c, call, 8 * (int32_t)nstack);
    if (area)
        x64_alu_ri(&c->a, X64_ADD, 8, X64_RSP, (int32_t)area);
    return true;
}

bool sp_call_insn(struct sp_comp *c, const struct val_insn *vi)
{
    const struct insn *in = vi->in;
    struct sp_call call = {.nargs = vi->nparams, .args = vi->params,
                           .nresults = vi->nresults, .results = vi->results};
    if (in->op == OP_CALL_INDIRECT) {
        call.kind = CALL_INDIRECT;
        call.target = in->imm.call_indirect.type;
        call.table = in->imm.call_indirect.table;
    } else {
        call.kind = in->imm.index < c->m->nfunc_imports ? CALL_IMPORT : CALL_DIRECT;
        call.target = in->imm.index;
    }
    return do_call(c, &call);
}

bool sp_builtin(struct sp_comp *c, enum cc_builtin b, uint32_t nimm, int64_t i0, int64_t i1,
                uint32_t nargs, const valtype *args, valtype result)
{
    struct sp_call call = {.kind = CALL_BUILTIN, .target = (uint32_t)b, .nargs = nargs,
                           .args = args, .nimm = nimm, .imm = {i0, i1},
                           .nresults = result != 0, .results = &result};
    return do_call(c, &call);
}
