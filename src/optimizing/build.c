/* IR construction from the validator's walk: the operand stack holds SSA
 * values, control frames map wasm's structured control onto blocks, and
 * every branch records what it carries to its label (the locals' state and
 * the label's values) so the join can make its phis when it is sealed.
 *
 * Code the validator knows is dead is skipped. Code it cannot know is dead
 * (after a block that nothing reaches) goes into a block without
 * predecessors, which opt_pass_prune drops. */
#include <string.h>

#include "optimizing.h"

enum { NO_BLOCK = UINT32_MAX };

bool opt_b_nomem(struct opt_build *b)
{
    return err_set(b->e, ERR_NOMEM, b->at, "out of memory");
}

/* Room for two preds, two succs and two edge states in one piece: most
 * blocks need no more (the lists regrow elsewhere when they do). */
struct edges2 {
    struct opt_pstate st[2];
    uint32_t pred[2], succ[2];
};

/* A spare block made new: it was empty, with no phis, and its edge
 * lists and recorded edge states keep their room. */
static uint32_t reuse_block(struct opt_build *b)
{
    uint32_t id = b->spare[--b->nspare];
    struct opt_block *bl = &b->f->block[id];
    struct opt_binfo *bi = &b->bi[id];
    bl->npred = bl->nsucc = 0;
    bl->dead = false;
    *bi = (struct opt_binfo){.st = bi->st, .cap_st = bi->cap_st, .vals = bi->vals,
                             .cap_val = bi->cap_val};
    return id;
}

/* A new block with its builder record. */
static uint32_t new_block(struct opt_build *b)
{
    if (b->nspare)
        return reuse_block(b);
    uint32_t id = opt_block_new(b->f);
    struct edges2 *e = arena_alloc_raw(b->a, sizeof *e);
    if (id == UINT32_MAX || !e ||
        !opt_grow(b->a, &b->bi, &b->cap_bi, b->f->nblock, sizeof *b->bi)) {
        opt_b_nomem(b);
        return NO_BLOCK;
    }
    struct opt_block *bl = &b->f->block[id];
    bl->pred = e->pred;
    bl->succ = e->succ;
    bl->cap_pred = bl->cap_succ = 2;
    b->bi[id] = (struct opt_binfo){.st = e->st, .cap_st = 2};
    b->nbi = b->f->nblock;
    return id;
}

opt_val opt_b_icmp(struct opt_build *b, enum opt_icc cc, opt_val x, opt_val y)
{
    opt_val c = opt_b_emit(b, OPT_ICMP, OPT_I32, x, y, 0, 0);
    if (c)
        b->f->insn[c].aux = (uint8_t)cc;
    return c;
}

bool opt_b_trap_if(struct opt_build *b, opt_val cond, tri_trap_code code)
{
    opt_val t = cond ? opt_b_emit(b, OPT_TRAP_IF, OPT_VOID, cond, 0, 0, 0) : OPT_NONE;
    if (t)
        b->f->insn[t].aux = (uint8_t)code;
    return t;
}

static opt_val *top_vals(struct opt_build *b, uint32_t n)
{
    return n ? b->stack.data + b->stack.len - n : b->stack.data;
}

/* ---- edges ---- */

/* Ends the current block with a terminator going to the targets. */
static opt_val terminate(struct opt_build *b, enum opt_op op, opt_val a0, const uint32_t *to,
                         uint32_t n)
{
    opt_val t = opt_b_emit(b, op, OPT_VOID, a0, 0, 0, 0);
    for (uint32_t i = 0; t && i < n; i++) /* distinct, and the block had no edges */
        if (!opt_edge_new(b->f, b->cur, to[i])) {
            opt_b_nomem(b);
            return OPT_NONE;
        }
    return t;
}

/* Whether the current block only passes its one edge on to `to`: it is
 * empty (no code, no phis: locals set, values dropped) and its
 * predecessor ends in a jmp or brif not already going to `to` (an if's
 * arm or a br_if's fall-through that only goes on to a label). */
static bool threadable(const struct opt_build *b, uint32_t to)
{
    const struct opt_func *f = b->f;
    uint32_t e = b->cur;
    const struct opt_block *bl = &f->block[e];
    const struct opt_binfo *bi = &b->bi[e];
    if (!e || bl->npred != 1 || bl->cap_insn || bl->nphi || bi->loop || bi->table)
        return false; /* bi->table: a br_table's target */
    const struct opt_block *pb = &f->block[bl->pred[0]];
    return bl->pred[0] != to && pb->succ[0] != to && (pb->nsucc == 1 || pb->succ[1] != to);
}

/* Retargets the current block's one edge to `to` and spares the block
 * for reuse; the caller records the edge to `to` with the current state,
 * which is what the block would have carried. ruby: a third of the
 * blocks, which every pass before split would have paid for (split puts
 * the critical edges' back). */
static bool thread(struct opt_build *b, uint32_t to)
{
    struct opt_func *f = b->f;
    uint32_t e = b->cur, p = f->block[e].pred[0];
    struct opt_block *pb = &f->block[p], *tb = &f->block[to];
    if (!opt_push(f->arena, &tb->pred, &tb->npred, &tb->cap_pred, p) ||
        !opt_push(b->a, &b->spare, &b->nspare, &b->cap_spare, e))
        return opt_b_nomem(b);
    pb->succ[pb->succ[0] == e ? 0 : 1] = to;
    f->block[e].npred = 0;
    f->block[e].dead = true;
    return true;
}

/* Ends the current block with a jump to `to` (or threads it there). */
static bool jump(struct opt_build *b, uint32_t to)
{
    return threadable(b, to) ? thread(b, to) : terminate(b, OPT_JMP, 0, &to, 1) != OPT_NONE;
}

/* The block a branch to frame c goes to (made on first use for a merge). */
static uint32_t label_block(struct opt_build *b, struct opt_bctl *c)
{
    if (c->target == NO_BLOCK) {
        uint32_t blk = new_block(b);
        if (blk == NO_BLOCK)
            return NO_BLOCK;
        b->bi[blk].arity = c->nresults;
        c->target = blk;
    }
    return c->target;
}

/* Records what an edge to frame c's label block carries (called after
 * the edge was added): the locals' state st and the top `arity` values. */
static bool record_state(struct opt_build *b, struct opt_bctl *c, struct opt_pstate st,
                         const opt_val *vals)
{
    uint32_t blk = c->target;
    struct opt_binfo *bi = opt_b_info(b, blk);
    if (bi->nst == b->f->block[blk].npred) /* not a new edge (br_table) */
        return true;
    if (!opt_grow(b->a, &bi->st, &bi->cap_st, bi->nst + 1, sizeof *bi->st) ||
        !opt_grow(b->a, &bi->vals, &bi->cap_val, bi->nval + bi->arity, sizeof *bi->vals))
        return opt_b_nomem(b);
    bi->st[bi->nst++] = st;
    if (bi->arity)
        memcpy(bi->vals + bi->nval, vals, bi->arity * sizeof *vals);
    bi->nval += bi->arity;
    return c->mem || opt_b_check_join(b, c, bi->nst, false);
}

/* Records what the current block carries along its edge to c's label. */
static bool record_edge(struct opt_build *b, struct opt_bctl *c, const opt_val *vals)
{
    return record_state(b, c, opt_b_snapshot(b), vals);
}

/* ---- blocks, loops, ifs ---- */

/* Opens a frame; `numbered` for a block, loop or if of the body (not the
 * body itself), which are numbered as build_scan.c numbers labels. */
static struct opt_bctl *push_ctl(struct opt_build *b, enum op op, const struct val_insn *vi,
                                 bool dead, bool numbered)
{
    if (!OPT_B_ROOM(&b->ctl)) {
        opt_b_nomem(b);
        return NULL;
    }
    struct opt_bctl *c = &b->ctl.data[b->ctl.len++];
    *c = (struct opt_bctl){.op = op, .dead = dead, .nparams = vi->nparams,
                           .nresults = vi->nresults, .params = vi->params,
                           .results = vi->results, .target = NO_BLOCK,
                           .if_block = NO_BLOCK};
    c->height = dead ? 0 : (uint32_t)b->stack.len - vi->nparams;
    if (!numbered)
        return c;
    c->label = b->label_seq++;
    c->mem = !dead && c->label < b->scan.nlabels && b->scan.mem[c->label];
    if (c->mem)
        return opt_b_mem_open(b, c) ? c : NULL;
    c->wopen = c->wcounted = b->wserial;
    if (!dead && op != OP_LOOP) /* for lookups at its merge (opt_binfo.open) */
        c->open_st = opt_b_snapshot(b);
    return c;
}

static bool do_loop(struct opt_build *b, struct opt_bctl *c)
{
    uint32_t h = new_block(b);
    if (h == NO_BLOCK)
        return false;
    c->target = h;
    b->bi[h].arity = c->nparams;
    b->bi[h].loop = true;
    if (!terminate(b, OPT_JMP, 0, &h, 1) || !record_edge(b, c, top_vals(b, c->nparams)))
        return false;
    b->cur = h;
    if (c->mem) {
        if (!opt_b_mem_enter(b, c))
            return false;
    } else {
        opt_b_adopt(b, (struct opt_pstate){NULL, h});
    }
    for (uint32_t k = 0; k < c->nparams; k++) { /* filled when sealed */
        opt_val phi = opt_phi_new(b->f, h, opt_type_of(c->params[k]));
        if (!phi)
            return opt_b_nomem(b);
        top_vals(b, c->nparams)[k] = phi;
    }
    return true;
}

/* The brif's first edge, to the then arm; its else edge is added at the
 * else, or at the end to the merge (no block for a missing else). */
static bool do_if(struct opt_build *b, struct opt_bctl *c, opt_val cond)
{
    uint32_t then = new_block(b);
    if (then == NO_BLOCK || !terminate(b, OPT_BRIF, cond, &then, 1))
        return false;
    c->if_block = b->cur;
    c->if_st = opt_b_snapshot(b);
    c->saved = (uint32_t)b->saved.len;
    if (!vec_reserve(&b->saved, b->saved.len + c->nparams))
        return opt_b_nomem(b);
    if (c->nparams)
        memcpy(b->saved.data + b->saved.len, top_vals(b, c->nparams),
               c->nparams * sizeof(opt_val));
    b->saved.len += c->nparams;
    b->cur = then;
    return true;
}

/* The fall-through edge from the current block to the frame's merge. */
static bool fall_to_merge(struct opt_build *b, struct opt_bctl *c)
{
    uint32_t m = label_block(b, c);
    return m != NO_BLOCK && jump(b, m) &&
           record_edge(b, c, top_vals(b, c->nresults));
}

/* Starts the else arm in a block of its own: the state and params of
 * the branch. */
static bool enter_else(struct opt_build *b, struct opt_bctl *c)
{
    uint32_t e = new_block(b);
    if (e == NO_BLOCK)
        return false;
    if (!opt_edge_new(b->f, c->if_block, e))
        return opt_b_nomem(b);
    b->cur = e;
    opt_b_adopt(b, c->if_st);
    b->stack.len = c->height;
    for (uint32_t k = 0; k < c->nparams; k++)
        if (!opt_b_push(b, b->saved.data[c->saved + k]))
            return false;
    return true;
}

static bool do_else(struct opt_build *b, struct opt_bctl *c, bool unreachable)
{
    c->has_else = true;
    if (c->dead) /* an if opened in dead code: nothing to make */
        return true;
    return (unreachable || fall_to_merge(b, c)) && enter_else(b, c);
}

/* The missing else of an if whose label has a merge block the if's block
 * does not reach yet: the brif's else edge goes there, carrying the
 * state and params of the branch (*direct); else the caller makes an
 * else block. */
static bool else_to_merge(struct opt_build *b, struct opt_bctl *c, bool *direct)
{
    uint32_t m = c->target;
    *direct = m != NO_BLOCK && b->f->block[c->if_block].succ[0] != m;
    if (!*direct)
        return true;
    if (!opt_edge_new(b->f, c->if_block, m))
        return opt_b_nomem(b);
    return record_state(b, c, c->if_st, c->nparams ? b->saved.data + c->saved : NULL);
}

/* A block nothing reaches, for code after a construct nothing leaves. */
static bool orphan(struct opt_build *b)
{
    uint32_t blk = new_block(b);
    if (blk == NO_BLOCK)
        return false;
    b->bi[blk].sealed = true;
    b->cur = blk;
    opt_b_adopt(b, (struct opt_pstate){NULL, blk});
    return true;
}

/* Code after a frame whose end nothing reaches: an orphan block, with
 * zeros standing for the frame's results. */
static bool continue_dead(struct opt_build *b, struct opt_bctl *c)
{
    b->stack.len = c->height;
    if (!orphan(b))
        return false;
    for (uint32_t k = 0; k < c->nresults; k++)
        if (!opt_b_push(b, b->zero[opt_type_of(c->results[k])]))
            return false;
    return true;
}

/* Records at the end of frame c the state where its scope opened and the
 * writes inside it, for the lookups of join or loop header bi. */
static void mark_scope(struct opt_build *b, struct opt_binfo *bi, const struct opt_bctl *c,
                       struct opt_pstate open)
{
    bi->opened = true;
    bi->open = open;
    bi->wopen = c->wopen;
    bi->wclose = b->wserial;
}

/* After the frame's end: continue at its merge with its results. */
static bool enter_merge(struct opt_build *b, struct opt_bctl *c)
{
    uint32_t m = c->target;
    struct opt_binfo *bi = opt_b_info(b, m);
    if (!c->mem && !opt_b_check_join(b, c, b->f->block[m].npred, true))
        return false;
    b->stack.len = c->height;
    if (!c->mem)
        mark_scope(b, bi, c, c->open_st);
    if (!opt_b_seal(b, m))
        return false;
    b->cur = m;
    bi = opt_b_info(b, m);
    if (c->mem) {
        if (!opt_b_mem_enter(b, c))
            return false;
    } else if (b->f->block[m].npred == 1) {
        opt_b_adopt(b, bi->st[0]);
    } else if (!opt_b_join(b, m)) {
        return false;
    }
    for (uint32_t k = 0; k < c->nresults; k++) {
        opt_val v = opt_b_merge_value(b, m, k, opt_type_of(c->results[k]));
        if (!v || !opt_b_push(b, v))
            return false;
    }
    return true;
}

/* end of a block, if or else (the body's end is a return). */
static bool end_block(struct opt_build *b, struct opt_bctl *c, bool unreachable)
{
    if (c->op == OP_IF && !c->has_else) { /* the missing else passes params on */
        bool direct;
        if ((!unreachable && !fall_to_merge(b, c)) || !else_to_merge(b, c, &direct))
            return false;
        if (direct)
            return enter_merge(b, c);
        if (!enter_else(b, c))
            return false;
        unreachable = false;
    }
    if (c->target == NO_BLOCK) /* nothing branched here */
        return unreachable ? continue_dead(b, c) : true;
    if (!unreachable && !fall_to_merge(b, c))
        return false;
    return enter_merge(b, c);
}

/* Seals the header: its phis get the back edges' operands. The code
 * after the loop continues the body's last block. */
static bool end_loop(struct opt_build *b, struct opt_bctl *c, bool unreachable)
{
    uint32_t h = c->target;
    struct opt_binfo *bi = opt_b_info(b, h);
    if (!c->mem && !opt_b_check_join(b, c, b->f->block[h].npred, true))
        return false;
    if (!c->mem) /* a local the loop does not write has its entry value */
        mark_scope(b, bi, c, bi->st[0]);
    for (uint32_t k = 0; k < c->nparams; k++)
        if (!opt_b_fill_value_phi(b, h, b->f->block[h].phi[k], k))
            return false;
    return opt_b_seal(b, h) && (!unreachable || continue_dead(b, c));
}

/* ---- branches ---- */

/* The frame a branch of depth d targets. */
static struct opt_bctl *label_ctl(struct opt_build *b, uint32_t d)
{
    return &b->ctl.data[b->ctl.len - 1 - d];
}

/* Branch target block for depth d (a loop header, a merge, or for the
 * body's frame a fresh block that returns). */
static uint32_t branch_block(struct opt_build *b, uint32_t d, uint32_t *ret_block)
{
    if (d + 1 < b->ctl.len)
        return label_block(b, label_ctl(b, d));
    if (*ret_block == NO_BLOCK)
        *ret_block = new_block(b);
    return *ret_block;
}

/* Fills the return block made for branches to the body's label. */
static bool fill_return(struct opt_build *b, uint32_t blk, opt_val *vals, uint32_t n)
{
    uint32_t cur = b->cur;
    size_t len = b->stack.len;
    b->cur = blk;
    for (uint32_t i = 0; i < n; i++)
        if (!opt_b_push(b, vals[i]))
            return false;
    bool ok = opt_b_return(b);
    b->stack.len = len;
    b->cur = cur;
    return ok;
}

/* Records the edges to every distinct target (and fills a return block). */
static bool branch_edges(struct opt_build *b, const uint32_t *depth, uint32_t n, uint32_t ret)
{
    bool ret_done = false;
    for (uint32_t i = 0; i < n; i++) {
        if (depth[i] + 1 >= b->ctl.len) {
            if (!ret_done && !fill_return(b, ret, top_vals(b, b->f->type->nresults),
                                          b->f->type->nresults))
                return false;
            ret_done = true;
            continue;
        }
        struct opt_bctl *c = label_ctl(b, depth[i]);
        uint32_t arity = c->op == OP_LOOP ? c->nparams : c->nresults;
        if (!record_edge(b, c, top_vals(b, arity)))
            return false;
    }
    return true;
}

static bool do_br(struct opt_build *b, uint32_t d)
{
    if (d + 1 >= b->ctl.len)
        return opt_b_return(b);
    uint32_t ret = NO_BLOCK, t = branch_block(b, d, &ret);
    return t != NO_BLOCK && jump(b, t) && branch_edges(b, &d, 1, ret);
}

static bool do_br_if(struct opt_build *b, uint32_t d)
{
    opt_val cond = opt_b_pop(b);
    uint32_t ret = NO_BLOCK, to[2] = {branch_block(b, d, &ret), new_block(b)};
    if (to[0] == NO_BLOCK || to[1] == NO_BLOCK || !terminate(b, OPT_BRIF, cond, to, 2) ||
        !branch_edges(b, &d, 1, ret))
        return false;
    b->cur = to[1];
    return true;
}

static bool do_br_table(struct opt_build *b, const struct insn *in)
{
    uint32_t n = in->imm.br_table.count + 1, ret = NO_BLOCK;
    uint32_t at = opt_extra_add(b->f, NULL, n);
    uint32_t *depth = arena_array(b->a, n, sizeof *depth);
    if (at == UINT32_MAX || !depth)
        return opt_b_nomem(b);
    const uint8_t *p = in->imm.br_table.p;
    opt_val idx = opt_b_pop(b);
    opt_val t = opt_b_emit(b, OPT_BR_TABLE, OPT_VOID, idx, n - 1, 0, at);
    for (uint32_t i = 0; t && i < n; i++) { /* an edge per distinct target, found by mark */
        depth[i] = dec_br_table_next(&p);
        uint32_t blk = branch_block(b, depth[i], &ret);
        if (blk == NO_BLOCK)
            return opt_b_nomem(b);
        if (b->bi[blk].table != t && !opt_edge_new(b->f, b->cur, blk))
            return opt_b_nomem(b);
        b->bi[blk].table = t;
        b->f->extra[at + i] = blk;
    }
    return t && branch_edges(b, depth, n, ret);
}

/* ---- the hooks ---- */

static bool control(struct opt_build *b, const struct val_insn *vi)
{
    const struct insn *in = vi->in;
    struct opt_bctl *c;
    switch (in->op) {
    case OP_BLOCK: case OP_LOOP: case OP_IF: {
        opt_val cond = in->op == OP_IF ? opt_b_pop(b) : OPT_NONE;
        if (!(c = push_ctl(b, in->op, vi, false, true)))
            return false;
        return in->op == OP_BLOCK || (in->op == OP_LOOP ? do_loop(b, c) : do_if(b, c, cond));
    }
    case OP_ELSE:
        return do_else(b, &b->ctl.data[b->ctl.len - 1], vi->unreachable);
    case OP_END:
        c = &b->ctl.data[b->ctl.len - 1];
        if (b->ctl.len == 1)
            return vi->unreachable || opt_b_return(b);
        bool ok = c->op == OP_LOOP ? end_loop(b, c, vi->unreachable)
                                   : end_block(b, c, vi->unreachable);
        if (c->mem)
            opt_b_mem_close(b, c);
        b->saved.len = c->op == OP_IF || c->op == OP_ELSE ? c->saved : b->saved.len;
        b->ctl.len--;
        return ok;
    case OP_BR: return do_br(b, in->imm.index);
    case OP_BR_IF: return do_br_if(b, in->imm.index);
    case OP_BR_TABLE: return do_br_table(b, in);
    case OP_RETURN: return opt_b_return(b);
    case OP_UNREACHABLE: {
        opt_val t = opt_b_emit(b, OPT_TRAP, OPT_VOID, 0, 0, 0, 0);
        if (t)
            b->f->insn[t].aux = TRI_TRAP_UNREACHABLE;
        return t;
    }
    default:
        return opt_b_call(b, vi);
    }
}

/* Dead code only opens and closes frames. */
static bool dead_insn(struct opt_build *b, const struct val_insn *vi)
{
    enum op op = vi->in->op;
    if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF)
        return push_ctl(b, op, vi, true, true) != NULL;
    struct opt_bctl *c = &b->ctl.data[b->ctl.len - 1];
    if (op == OP_END && c->dead)
        b->ctl.len--;
    else if (op == OP_END || op == OP_ELSE)
        return control(b, vi);
    return true;
}

static bool hook_insn(void *ctx, const struct val_insn *vi)
{
    struct opt_build *b = ctx;
    b->at = vi->in->offset;
    if (vi->unreachable)
        return dead_insn(b, vi);
    switch (vi->in->op) {
    case OP_UNREACHABLE: case OP_BLOCK: case OP_LOOP: case OP_IF: case OP_ELSE: case OP_END:
    case OP_BR: case OP_BR_IF: case OP_BR_TABLE: case OP_RETURN: case OP_CALL:
    case OP_CALL_INDIRECT:
        return control(b, vi);
    default:
        return opt_b_op(b, vi);
    }
}

/* The entry block: PARAMs (vmctx, the result area for 2+ results, the
 * wasm params), the zero of each type for locals, the memory base. */
static bool entry(struct opt_build *b, const struct val_func *vf)
{
    const struct functype *t = b->f->type;
    uint32_t k = 0;
    opt_b_consts_begin(b);
    b->vmctx = opt_b_emit(b, OPT_PARAM, OPT_I64, 0, 0, 0, k++);
    b->results = t->nresults >= 2 ? opt_b_emit(b, OPT_PARAM, OPT_I64, 0, 0, 0, k++) : OPT_NONE;
    b->params = arena_array(b->a, t->nparams + 1, sizeof *b->params);
    if (!b->params)
        return opt_b_nomem(b);
    for (uint32_t i = 0; i < t->nparams; i++)
        b->params[i] = opt_b_emit(b, OPT_PARAM, opt_type_of(ft_params(t)[i]), 0, 0, 0, k++);
    b->f->nparam_abi = k;
    for (enum opt_type ty = OPT_I32; ty <= OPT_F64; ty++)
        b->zero[ty] = opt_b_const(b, ty, 0);
    b->heap_base = OPT_NONE;
    if (b->m->nmems && !b->opt.bounds_checks)
        b->heap_base = opt_b_load(b, OPT_I64, MEM_64, b->vmctx, CC_VMCTX_MEM_BASE);
    b->nlocals = vf->nlocals;
    b->local_types = arena_array(b->a, vf->nlocals + 1, 1);
    if (!b->local_types || !b->zero[OPT_F64])
        return opt_b_nomem(b);
    memcpy(b->local_types, vf->local_types, vf->nlocals);
    return opt_b_vars_begin(b);
}

static bool hook_begin(void *ctx, const struct val_func *vf)
{
    struct opt_build *b = ctx;
    if (vf->nlocals && memchr(vf->local_types, VT_V128, vf->nlocals))
        return err_set(b->e, ERR_UNSUPPORTED, b->at,
                       "SIMD (v128) is not supported by the optimizing backend");
    b->stack.len = b->ctl.len = b->saved.len = b->work.len = b->ops.len = 0;
    b->cur = 0;
    b->bi = NULL;
    b->nbi = b->cap_bi = 0;
    b->spare = NULL;
    b->nspare = b->cap_spare = 0;
    if (!opt_grow(b->a, &b->bi, &b->cap_bi, b->f->cap_block, sizeof *b->bi))
        return opt_b_nomem(b);
    b->bi[0] = (struct opt_binfo){.sealed = true};
    b->nbi = 1;
    struct val_insn body = {.nresults = vf->type->nresults, .results = ft_results(vf->type)};
    b->label_seq = 0;
    b->home = b->mem_depth = NULL;
    b->scan = (struct opt_scan){0};
    b->scan_work = 0;
    if (!entry(b, vf) || (b->scanned && !opt_b_scan(b, &b->m->funcs[vf->index], &b->scan)))
        return false;
    if (b->scan.nlabels) {
        b->home = arena_array(b->a, b->nlocals + 1, sizeof *b->home);
        b->mem_depth = arena_array(b->a, b->nlocals + 1, sizeof *b->mem_depth);
        if (!b->home || !b->mem_depth)
            return opt_b_nomem(b);
    }
    return push_ctl(b, OP_BLOCK, &body, false, false);
}

const struct val_hooks opt_build_hooks = {hook_begin, hook_insn, NULL};

struct opt_build *opt_build_new(const struct module *m, const struct cc_options *o)
{
    struct opt_build *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->m = m;
    b->opt = *o;
    if (!cc_vmctx_layout(m, &b->layout)) {
        free(b);
        return NULL;
    }
    return b;
}

void opt_build_free(struct opt_build *b)
{
    if (!b)
        return;
    vec_free(&b->stack);
    vec_free(&b->ctl);
    vec_free(&b->saved);
    vec_free(&b->work);
    vec_free(&b->ops);
    free(b);
}

/* Drops the spare blocks at the end of the block array (the others stay
 * dead, without edges, for prune). */
static void trim_spares(struct opt_func *f)
{
    while (f->nblock > 1 && f->block[f->nblock - 1].dead)
        f->nblock--;
}

/* Fills the blocks' instruction lists from the counts opt_b_insn kept in
 * cap_insn: in id order, the terminator last (constants join the entry
 * block after its terminator). Phis have their own lists. */
static bool make_lists(struct opt_func *f)
{
    uint32_t *all = arena_array_raw(f->arena, f->ninsn, sizeof *all), at = 0;
    if (!all)
        return false;
    for (uint32_t b = 0; b < f->nblock; b++) { /* one array carved up */
        f->block[b].insn = all + at;
        f->block[b].ninsn = 0;
        at += f->block[b].cap_insn;
    }
    for (opt_val v = 1; v < f->ninsn; v++) {
        const struct opt_insn *in = &f->insn[v];
        if (in->op == OPT_PHI)
            continue;
        struct opt_block *bl = &f->block[in->block];
        if (opt_ops[in->op].flags & OF_TERM)
            bl->insn[bl->cap_insn - 1] = v;
        else
            bl->insn[bl->ninsn++] = v;
    }
    for (uint32_t b = 0; b < f->nblock; b++) /* the terminators */
        f->block[b].ninsn = f->block[b].cap_insn;
    return true;
}

/* One walk over the body, building f from scratch. */
static bool walk(struct opt_build *b, uint32_t index, struct opt_func *f, struct err *e)
{
    /* real modules make about 0.6-0.9 IR instructions and 0.1 blocks per
       byte of body (deep nests of small blocks 0.16): room for most,
       regrown once at most for the rest (room not used is not touched) */
    uint32_t len = (uint32_t)(b->m->funcs[index].code_end - b->m->funcs[index].code);
    if (!opt_func_init(f, b->a, b->m, index) || !opt_func_reserve(f, len / 2 + 64, len / 5 + 8))
        return err_set(e, ERR_NOMEM, b->at, "out of memory");
    return val_function(b->m, index, &opt_build_hooks, b, e);
}

bool opt_build_func(struct opt_build *b, uint32_t index, struct arena *a, struct opt_func *f,
                    struct err *e)
{
    b->f = f;
    b->a = a;
    b->e = e;
    b->at = b->m->funcs[index].code_offset;
    b->scanned = b->rescan = false;
    bool ok = walk(b, index, f, e);
    if (!ok && b->rescan) { /* the first walk's IR stays in the arena, unused */
        err_clear(e);
        b->scanned = true;
        ok = walk(b, index, f, e);
    }
    if (!ok)
        return false;
    trim_spares(f);
    return make_lists(f) || err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
}
