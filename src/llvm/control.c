/* Structured control flow in SSA form: every block, loop and if has an end
 * block whose phis receive the results; a loop also has a header whose
 * phis receive its params. A branch adds its values to the phis of its
 * label and jumps; `end` and `else` reset the value stack to the block's
 * height, so dead code never touches it. */
#include <string.h>

#include "llvm.h"

static LLVMBasicBlockRef new_block(struct llv_fn *f)
{
    return LLVMAppendBasicBlockInContext(f->u->ctx, f->fn, "");
}

/* n phis of the given types at the start of the (empty) block bb. */
static LLVMValueRef *make_phis(struct llv_fn *f, LLVMBasicBlockRef bb, const valtype *types,
                               uint32_t n)
{
    if (n == 0)
        return NULL;
    LLVMValueRef *phis = arena_array(&f->arena, n, sizeof *phis);
    if (!phis) {
        f->oom = true;
        return NULL;
    }
    LLVMBuilderRef b = f->u->b;
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(b);
    LLVMPositionBuilderAtEnd(b, bb);
    for (uint32_t i = 0; i < n; i++)
        phis[i] = LLVMBuildPhi(b, llv_type(f->u, types[i]), "");
    LLVMPositionBuilderAtEnd(b, cur);
    return phis;
}

static void add_incoming(LLVMValueRef *phis, LLVMValueRef *vals, uint32_t n,
                         LLVMBasicBlockRef from)
{
    for (uint32_t i = 0; i < n; i++)
        LLVMAddIncoming(phis[i], &vals[i], &from, 1);
}

static struct llv_ctl *ctl_at(struct llv_fn *f, uint32_t depth)
{
    return &f->ctls.data[f->ctls.len - 1 - depth];
}

static uint32_t label_arity(const struct llv_ctl *c)
{
    return c->op == OP_LOOP ? c->nparams : c->nresults;
}

/* The top n values of the stack, left in place (NULL when n is 0). */
static LLVMValueRef *top(struct llv_fn *f, uint32_t n)
{
    if (f->stack.len < n)
        f->broken = true;
    if (n == 0 || f->stack.len < n)
        return NULL;
    return f->stack.data + f->stack.len - n;
}

static struct llv_ctl *push_ctl(struct llv_fn *f, enum op op, const struct val_insn *vi,
                                bool dead)
{
    struct llv_ctl *c = vec_push(&f->ctls);
    if (!c) {
        f->oom = true;
        return NULL;
    }
    *c = (struct llv_ctl){.op = op, .dead = dead, .params = vi->params, .results = vi->results,
                          .nparams = vi->nparams, .nresults = vi->nresults};
    if (dead)
        return c;
    if (f->stack.len < vi->nparams) {
        f->broken = true;
        return NULL;
    }
    c->height = (uint32_t)f->stack.len - vi->nparams;
    c->end = new_block(f);
    c->end_phis = make_phis(f, c->end, vi->results, vi->nresults);
    c->label = c->end;
    c->phis = c->end_phis;
    return c;
}

bool llv_ctl_open_body(struct llv_fn *f)
{
    const struct functype *t = f->vf->type;
    struct val_insn vi = {.params = ft_params(t), .results = ft_results(t),
                          .nparams = 0, .nresults = t->nresults};
    push_ctl(f, OP_BLOCK, &vi, false);
    return true;
}

/* Jumps from the current block to the label of c with the stack's top values. */
static void branch_to(struct llv_fn *f, struct llv_ctl *c)
{
    uint32_t n = label_arity(c);
    LLVMValueRef *vals = top(f, n);
    if (n && !vals)
        return;
    LLVMBasicBlockRef from = LLVMGetInsertBlock(f->u->b);
    LLVMBuildBr(f->u->b, c->label);
    add_incoming(c->phis, vals, n, from);
}

static LLVMValueRef truth(struct llv_fn *f, LLVMValueRef i32)
{
    return LLVMBuildICmp(f->u->b, LLVMIntNE, i32, llv_i32(f, 0), "");
}

static void open_loop(struct llv_fn *f, const struct val_insn *vi)
{
    struct llv_ctl *c = push_ctl(f, OP_LOOP, vi, false);
    if (!c)
        return;
    c->label = new_block(f);
    c->phis = make_phis(f, c->label, vi->params, vi->nparams);
    branch_to(f, c);
    LLVMPositionBuilderAtEnd(f->u->b, c->label);
    f->stack.len = c->height;
    for (uint32_t i = 0; i < vi->nparams; i++)
        llv_push(f, c->phis[i]);
}

static void open_if(struct llv_fn *f, const struct val_insn *vi)
{
    LLVMValueRef cond = truth(f, llv_pop(f));
    struct llv_ctl *c = push_ctl(f, OP_IF, vi, false);
    if (!c)
        return;
    LLVMBasicBlockRef then = new_block(f);
    c->els = new_block(f);
    LLVMBuildCondBr(f->u->b, cond, then, c->els);
    LLVMPositionBuilderAtEnd(f->u->b, then);
    if (vi->nparams) {
        c->if_params = arena_array(&f->arena, vi->nparams, sizeof *c->if_params);
        if (!c->if_params) {
            f->oom = true;
            return;
        }
        memcpy(c->if_params, f->stack.data + c->height, vi->nparams * sizeof *c->if_params);
    }
}

/* Leaves the arm or body of c: falls through to its end when reachable,
 * then empties its part of the stack. */
static void leave(struct llv_fn *f, struct llv_ctl *c, bool reachable)
{
    if (reachable) {
        uint32_t n = c->nresults;
        LLVMValueRef *vals = top(f, n);
        if (n && !vals)
            return;
        LLVMBasicBlockRef from = LLVMGetInsertBlock(f->u->b);
        LLVMBuildBr(f->u->b, c->end);
        add_incoming(c->end_phis, vals, n, from);
    }
    f->stack.len = c->height;
}

static void do_else(struct llv_fn *f, const struct val_insn *vi)
{
    struct llv_ctl *c = ctl_at(f, 0);
    if (c->dead)
        return;
    leave(f, c, !vi->unreachable);
    LLVMPositionBuilderAtEnd(f->u->b, c->els);
    c->els = NULL;
    c->op = OP_ELSE;
    for (uint32_t i = 0; i < c->nparams; i++)
        llv_push(f, c->if_params[i]);
}

static void do_end(struct llv_fn *f, const struct val_insn *vi)
{
    struct llv_ctl c = *ctl_at(f, 0);
    f->ctls.len--;
    if (c.dead)
        return;
    leave(f, &c, !vi->unreachable);
    if (c.els) { /* an if without else: the params pass through as results */
        LLVMPositionBuilderAtEnd(f->u->b, c.els);
        LLVMBuildBr(f->u->b, c.end);
        add_incoming(c.end_phis, c.if_params, c.nparams, c.els);
    }
    LLVMPositionBuilderAtEnd(f->u->b, c.end);
    if (f->ctls.len == 0) {
        llv_return(f, c.end_phis);
        return;
    }
    for (uint32_t i = 0; i < c.nresults; i++)
        llv_push(f, c.end_phis[i]);
}

/* Jumps to the label at depth with the top values when the popped i32 is
 * not zero; goes on in a new block otherwise, the values still there. */
static void br_if(struct llv_fn *f, uint32_t depth)
{
    LLVMValueRef cond = truth(f, llv_pop(f));
    struct llv_ctl *c = ctl_at(f, depth);
    uint32_t n = label_arity(c);
    LLVMValueRef *vals = top(f, n);
    if (n && !vals)
        return;
    LLVMBasicBlockRef from = LLVMGetInsertBlock(f->u->b), cont = new_block(f);
    LLVMBuildCondBr(f->u->b, cond, c->label, cont);
    add_incoming(c->phis, vals, n, from);
    LLVMPositionBuilderAtEnd(f->u->b, cont);
}

/* br_tables longer than this go through a table of depths: LLVM's switch
 * handling is superlinear in the number of cases (a 200000-target table
 * took it more than 15 minutes), and a table has few distinct labels. */
enum { BR_TABLE_DIRECT = 64 };

/* The depth each index of a long br_table names, the default last, as a
 * constant array of the narrowest integer type that holds them; NULL when
 * out of memory. *seen marks the depths named. */
static LLVMValueRef depth_table(struct llv_fn *f, const struct insn *in, uint8_t *seen,
                                LLVMTypeRef *elem)
{
    uint32_t count = in->imm.br_table.count;
    size_t depths = f->ctls.len;
    *elem = depths <= 0x100 ? f->u->t.i8 : depths <= 0x10000 ? f->u->t.i16 : f->u->t.i32;
    LLVMValueRef *v = arena_array(&f->arena, (size_t)count + 1, sizeof *v);
    if (!v)
        return NULL;
    const uint8_t *p = in->imm.br_table.p;
    for (uint32_t i = 0; i <= count; i++) {
        uint32_t d = i < count ? dec_br_table_next(&p) : in->imm.br_table.dflt;
        seen[d] = 1;
        v[i] = LLVMConstInt(*elem, d, 0);
    }
    LLVMValueRef g = LLVMAddGlobal(f->u->mod, LLVMArrayType2(*elem, (uint64_t)count + 1), "");
    LLVMSetInitializer(g, LLVMConstArray2(*elem, v, (uint64_t)count + 1));
    LLVMSetGlobalConstant(g, 1);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
    return g;
}

/* depth = table[min(index, count)], then a switch over the distinct depths. */
static void br_table_long(struct llv_fn *f, const struct insn *in, LLVMValueRef index,
                          LLVMValueRef *vals, uint32_t n)
{
    struct llv_unit *u = f->u;
    LLVMBuilderRef b = u->b;
    uint32_t count = in->imm.br_table.count, dflt = in->imm.br_table.dflt;
    uint8_t *seen = arena_alloc(&f->arena, f->ctls.len);
    LLVMTypeRef elem;
    LLVMValueRef table = seen ? depth_table(f, in, seen, &elem) : NULL;
    if (!table) {
        f->oom = true;
        return;
    }
    LLVMValueRef last = llv_i32(f, count);
    LLVMValueRef slot = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntULT, index, last, ""), index,
                                        last, "");
    LLVMValueRef at[2] = {llv_i64(f, 0), LLVMBuildZExt(b, slot, u->t.i64, "")};
    LLVMValueRef p = LLVMBuildInBoundsGEP2(b, LLVMGlobalGetValueType(table), table, at, 2, "");
    LLVMValueRef depth = LLVMBuildZExt(b, LLVMBuildLoad2(b, elem, p, ""), u->t.i32, "");
    LLVMBasicBlockRef from = LLVMGetInsertBlock(b);
    struct llv_ctl *d = ctl_at(f, dflt);
    LLVMValueRef sw = LLVMBuildSwitch(b, depth, d->label, (unsigned)f->ctls.len);
    add_incoming(d->phis, vals, n, from);
    for (uint32_t k = 0; k < f->ctls.len; k++) {
        if (!seen[k] || k == dflt)
            continue;
        struct llv_ctl *c = ctl_at(f, k);
        LLVMAddCase(sw, llv_i32(f, k), c->label);
        add_incoming(c->phis, vals, n, from);
    }
}

static void br_table(struct llv_fn *f, const struct insn *in)
{
    LLVMValueRef index = llv_pop(f);
    uint32_t count = in->imm.br_table.count;
    const uint8_t *p = in->imm.br_table.p;
    LLVMBasicBlockRef from = LLVMGetInsertBlock(f->u->b);
    struct llv_ctl *dflt = ctl_at(f, in->imm.br_table.dflt);
    uint32_t n = label_arity(dflt);
    LLVMValueRef *vals = top(f, n);
    if (n && !vals)
        return;
    if (count > BR_TABLE_DIRECT) {
        br_table_long(f, in, index, vals, n);
        return;
    }
    LLVMValueRef sw = LLVMBuildSwitch(f->u->b, index, dflt->label, count);
    add_incoming(dflt->phis, vals, n, from);
    /* One phi entry per edge, so a label named twice gets two. */
    for (uint32_t i = 0; i < count; i++) {
        struct llv_ctl *c = ctl_at(f, dec_br_table_next(&p));
        LLVMAddCase(sw, llv_i32(f, i), c->label);
        add_incoming(c->phis, vals, n, from);
    }
}

void llv_return(struct llv_fn *f, LLVMValueRef *vals)
{
    LLVMBuilderRef b = f->u->b;
    uint32_t n = f->vf->type->nresults;
    if (n == 0) {
        LLVMBuildRetVoid(b);
    } else if (n == 1) {
        LLVMBuildRet(b, vals[0]);
    } else {
        for (uint32_t k = 0; k < n; k++)
            LLVMBuildStore(b, vals[k], llv_gep(f, f->results, llv_i64(f, 8 * k)));
        LLVMBuildRetVoid(b);
    }
}

bool llv_control(struct llv_fn *f, const struct val_insn *vi)
{
    const struct insn *in = vi->in;
    switch (in->op) {
    case OP_UNREACHABLE:
        llv_trap(f, TRI_TRAP_UNREACHABLE);
        break;
    case OP_BLOCK: case OP_LOOP: case OP_IF:
        if (vi->unreachable || in->op == OP_BLOCK) /* a dead one is only tracked */
            push_ctl(f, in->op, vi, vi->unreachable);
        else if (in->op == OP_LOOP)
            open_loop(f, vi);
        else
            open_if(f, vi);
        break;
    case OP_ELSE:
        do_else(f, vi);
        break;
    case OP_END:
        do_end(f, vi);
        break;
    case OP_BR:
        branch_to(f, ctl_at(f, in->imm.index));
        break;
    case OP_BR_IF:
        br_if(f, in->imm.index);
        break;
    case OP_BR_TABLE:
        br_table(f, in);
        break;
    case OP_RETURN:
        branch_to(f, ctl_at(f, (uint32_t)f->ctls.len - 1));
        break;
    default: /* nop */
        break;
    }
    return true;
}
