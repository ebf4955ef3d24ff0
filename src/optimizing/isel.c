/* Instruction selection: IR to machine instructions on virtual registers,
 * block by block in layout order. Values are folded into their users
 * where x86-64 can take them there: constants become immediates (or are
 * made right before the instruction that needs them in a register),
 * address arithmetic becomes [base + index*scale + disp], compares are
 * fused with the branch, select or trap that consumes them, and pure
 * values nobody uses are not computed. This file has the driver, the
 * folding decisions, operands, conditions and control flow; isel_call.c
 * the entry and calls, isel_ops.c the other instructions. */
#include <string.h>

#include "optimizing.h"

/* Written after a failed allocation until isel stops; one per thread,
 * since workers select instructions at the same time. */
static _Thread_local struct mi scratch_mi;

struct mi *opt_s_nomem(struct isel *s)
{
    s->oom = true;
    memset(&scratch_mi, 0, sizeof scratch_mi);
    return &scratch_mi;
}

uint32_t opt_s_vreg_make(struct isel *s, opt_val v)
{
    s->vreg[v] = opt_vreg_new(s->mf, opt_is_float(s->f->insn[v].type));
    s->oom |= s->vreg[v] == MR_NONE;
    return s->vreg[v];
}

/* The constant value of v (an iconst, or the zero extension of one). */
static bool const_of(const struct isel *s, opt_val v, int64_t *c)
{
    const struct opt_insn *in = &s->f->insn[v];
    if (in->op == OPT_ZEXT)
        in = &s->f->insn[in->arg[0]];
    if (in->op != OPT_ICONST)
        return false;
    *c = in->imm;
    return true;
}

bool opt_s_imm_of(const struct isel *s, opt_val v, int size, int64_t *imm)
{
    int64_t c = 0;
    if (!const_of(s, v, &c))
        return false;
    if (size == 4)
        c = (int32_t)c;
    *imm = c;
    return c == (int32_t)c;
}

/* Materialises a folded value into a new virtual register. */
static uint32_t materialise(struct isel *s, opt_val v)
{
    const struct opt_insn *in = &s->f->insn[v];
    bool xmm = opt_is_float(in->type);
    uint32_t t = opt_vreg_new(s->mf, xmm);
    s->oom |= t == MR_NONE;
    struct mi *m;
    uint8_t par;
    switch (in->op) {
    case OPT_ICONST:
        m = opt_s_add(s, MK_MOVI, opt_s_size(in->type));
        m->imm = in->imm;
        break;
    case OPT_FCONST:
        m = opt_s_add(s, MK_FCONST, opt_s_size(in->type));
        m->imm = in->imm;
        break;
    case OPT_ICMP: case OPT_FCMP: {
        enum x64_cc cc = opt_s_cond(s, v, &par);
        m = opt_s_add(s, MK_SETCC, 4);
        m->cc = (uint8_t)cc;
        m->ext = par;
        break;
    }
    default: { /* a folded address or index: computed with lea */
        struct maddr a = opt_s_addr(s, v, 0);
        m = opt_s_add(s, MK_LEA, 8);
        opt_s_mem(s, m, a);
        break;
    }
    }
    m->def = t;
    return t;
}

uint32_t opt_s_reg_make(struct isel *s, opt_val v)
{
    opt_val x;
    switch (s->fold[v]) {
    case FOLD_NO: return opt_s_vreg(s, v);
    case FOLD_ALIAS: /* kept for the next use unless materialised (a constant) */
        x = s->f->insn[v].arg[0];
        return s->fold[x] == FOLD_NO ? (s->vreg[v] = opt_s_reg(s, x)) : opt_s_reg(s, x);
    default: return materialise(s, v);
    }
}

void opt_s_memop(struct isel *s, const struct opt_insn *access, struct mi *m, struct maddr a)
{
    opt_s_mem(s, m, a);
    opt_s_site(s, m, access->aux & MEM_HEAP ? TRI_TRAP_MEMORY_OOB : 0, access->wasm);
}

struct maddr opt_s_addr(struct isel *s, opt_val p, int64_t disp)
{
    const struct opt_insn *in = &s->f->insn[p];
    struct maddr m = {MR_NONE, MR_NONE, 1, 0};
    int64_t c = 0;
    if (s->fold[p] == FOLD_INDEX) { /* only as a lea of x << k */
        m.index = opt_s_reg(s, in->arg[0]);
        m.scale = (uint8_t)(1u << s->f->insn[in->arg[1]].imm);
    } else if (s->fold[p] == FOLD_SLOT) { /* [rbp + the slot's offset] */
        m.base = X64_RBP;
        disp += s->f->slot[in->imm].offset;
    } else if (s->fold[p] != FOLD_ADDR) {
        m.base = opt_s_reg(s, p);
    } else {
        opt_val x = in->arg[0], y = in->arg[1];
        if (opt_s_maybe_const(s, x) && const_of(s, x, &c)) {
            opt_val t = x;
            x = y;
            y = t;
        }
        if (opt_s_maybe_const(s, y) && const_of(s, y, &c) && disp + c == (int32_t)(disp + c)) {
            disp += c;
            m.base = opt_s_reg(s, x);
        } else if (s->fold[y] == FOLD_INDEX) {
            const struct opt_insn *sh = &s->f->insn[y];
            m.base = opt_s_reg(s, x);
            m.index = opt_s_reg(s, sh->arg[0]);
            m.scale = (uint8_t)(1u << s->f->insn[sh->arg[1]].imm);
        } else {
            m.base = opt_s_reg(s, x);
            m.index = opt_s_reg(s, y);
        }
    }
    m.disp = (int32_t)disp;
    return m;
}

/* ---- conditions ---- */

static const uint8_t icc_x64[ICC_COUNT] = {
    X64_CC_E, X64_CC_NE, X64_CC_L, X64_CC_B, X64_CC_G,
    X64_CC_A, X64_CC_LE, X64_CC_BE, X64_CC_GE, X64_CC_AE,
};

/* True when the flags already say whether register r is zero: the last
 * instruction was an arithmetic or logic operation that made r (the
 * allocator's moves in between do not touch the flags). */
static bool flags_of(const struct isel *s, uint32_t r)
{
    const struct mi *m = s->mf->nmi ? &s->mf->mi[s->mf->nmi - 1] : NULL;
    return m && m->kind == MK_ALU && m->def == r && m->op != X64_CMP && m->op != X64_TEST &&
           m->op != X64_ADC && m->op != X64_SBB;
}

static enum x64_cc int_compare(struct isel *s, const struct opt_insn *in)
{
    opt_val a = in->arg[0], b = in->arg[1];
    enum x64_cc cc = icc_x64[in->aux];
    int size = opt_s_size(s->f->insn[a].type);
    int64_t c = 0;
    if (opt_s_imm(s, a, size, &c) && !opt_s_imm(s, b, size, &c)) {
        opt_val t = a;
        a = b;
        b = t;
        cc = x64_cc_swap(cc);
    }
    uint32_t ra = opt_s_reg(s, a);
    bool imm = opt_s_imm(s, b, size, &c);
    bool zero = imm && c == 0 && (cc == X64_CC_E || cc == X64_CC_NE);
    if (zero && flags_of(s, ra) && s->mf->mi[s->mf->nmi - 1].size == size)
        return cc;
    uint32_t rb = imm ? MR_NONE : opt_s_reg(s, b);
    struct mi *m = opt_s_add(s, MK_ALU, size);
    m->op = zero ? X64_TEST : X64_CMP;
    m->use[0] = ra;
    m->use[1] = m->op == X64_TEST ? ra : rb;
    m->imm = c;
    return cc;
}

/* ucomiss/ucomisd: a > b is "above", a >= b "above or equal", both false
 * when unordered; lt and le swap the operands; eq and ne need the parity
 * flag too. */
static enum x64_cc float_compare(struct isel *s, const struct opt_insn *in, uint8_t *par)
{
    bool swap = in->aux == FCC_LT || in->aux == FCC_LE;
    uint32_t ra = opt_s_reg(s, in->arg[swap]), rb = opt_s_reg(s, in->arg[!swap]);
    struct mi *m = opt_s_add(s, MK_UCOMI, opt_s_size(s->f->insn[in->arg[0]].type));
    m->use[0] = ra;
    m->use[1] = rb;
    switch (in->aux) {
    case FCC_EQ: *par = PAR_AND; return X64_CC_E;
    case FCC_NE: *par = PAR_OR; return X64_CC_NE;
    case FCC_GT: case FCC_LT: return X64_CC_A;
    default: return X64_CC_AE;
    }
}

enum x64_cc opt_s_cond(struct isel *s, opt_val v, uint8_t *par)
{
    const struct opt_insn *in = &s->f->insn[v];
    *par = PAR_NONE;
    if (in->op == OPT_ICMP)
        return int_compare(s, in);
    if (in->op == OPT_FCMP)
        return float_compare(s, in, par);
    uint32_t r = opt_s_reg(s, v);
    if (flags_of(s, r) && s->mf->mi[s->mf->nmi - 1].size == 4)
        return X64_CC_NE;
    struct mi *m = opt_s_add(s, MK_ALU, 4);
    m->op = X64_TEST;
    m->use[0] = m->use[1] = r;
    return X64_CC_NE;
}

/* ---- uses and folding ---- */

static bool shift_index(const struct opt_func *f, const struct opt_insn *in)
{
    const struct opt_insn *k = &f->insn[in->arg[1]];
    return in->op == OPT_SHL && in->type == OPT_I64 && k->op == OPT_ICONST && k->imm >= 1 &&
           k->imm <= 3;
}

/* Use bits, per value: whether some use is not the address of a load or
 * store (NONADDR), not the condition of a branch, trap or select
 * (NONFLAG), not an operand of a folded address (NONINDEX); whether it
 * has one use (SOME) or more (MANY). */
enum { USE_NONADDR = 1, USE_NONFLAG = 2, USE_NONINDEX = 4, USE_SOME = 8, USE_MANY = 16 };

struct uses {
    uint8_t *bits;
    uint32_t *user; /* the user of a value with one use */
    uint32_t *nbar; /* instructions after v in its block that write memory or may trap */
};

/* Per op, what the walk of decide_folds asks of every instruction: its
 * shape (the operand count for SH_NONE .. SH_ABC) and whether it is a
 * barrier to folding a load across it (writes memory or may trap). */
enum { SEL_SHAPE = 7, SEL_BAR = 8 };
static const uint8_t sel_info[OPT_OP_COUNT] = {
#define X(id, name, shape, flags) \
    [OPT_##id] = (shape) | (((flags) & (OF_TRAPS | OF_WRITES | OF_CALL)) ? SEL_BAR : 0),
    OPT_OPS(X)
#undef X
};
/* Per op, the use bits its first operand leaves out: it may be folded as
 * an address (loads, stores) or a condition (branches, traps, selects). */
static const uint8_t first_free[OPT_OP_COUNT] = {
    [OPT_LOAD] = USE_NONADDR, [OPT_STORE] = USE_NONADDR, [OPT_BRIF] = USE_NONFLAG,
    [OPT_TRAP_IF] = USE_NONFLAG, [OPT_SELECT] = USE_NONFLAG,
};

/* Records the uses of u's operands; fu is how u itself is seen, info its
 * sel_info. */
static inline void count_uses(const struct opt_func *f, struct uses *us, opt_val u,
                              const struct opt_insn *in, uint8_t fu, uint8_t info)
{
    uint32_t *a = (uint32_t *)in->arg, n = info & SEL_SHAPE;
    if (n > SH_ABC)
        n = opt_args(f, in, &a);
    /* the first operand may fold as first_free says; every other use may not */
    uint8_t all = USE_NONADDR | USE_NONFLAG | USE_SOME | (fu == FOLD_ADDR ? 0 : USE_NONINDEX);
    uint8_t first = all & ~first_free[in->op];
    for (uint32_t j = 0; j < n; j++) {
        uint8_t *b = &us->bits[a[j]];
        *b |= (j ? all : first) | (*b & USE_SOME) << 1;
        us->user[a[j]] = u;
    }
}

/* Whether load v can be the memory operand of its one user u: an
 * arithmetic operation of the load's width in the same block with
 * nothing between them that writes memory or may trap. Not when the
 * other operand is an immediate the operation can take instead (its
 * register would cost a move of the constant). The user is asked first:
 * most are not arithmetic. */
static inline bool load_op(const struct isel *s, opt_val v, opt_val u, const struct uses *us)
{
    const struct opt_insn *l = &s->f->insn[v], *in = &s->f->insn[u];
    bool arith = (in->op >= OPT_ADD && in->op <= OPT_XOR && in->op != OPT_MUL) ||
                 (in->op >= OPT_FADD && in->op <= OPT_FDIV);
    /* u (arithmetic) is no barrier: equal counts after them leave none between */
    if (!arith || in->block != l->block || us->nbar[u] != us->nbar[v] || s->fold[u] != FOLD_NO ||
        in->type != l->type || in->arg[0] == in->arg[1])
        return false;
    uint8_t k = l->aux & MEM_KIND;
    bool full = (k == MEM_I32 && l->type == OPT_I32) || k == MEM_64 || k == MEM_F32 ||
                k == MEM_F64;
    bool comm = opt_ops[in->op].flags & OF_COMM;
    bool second = in->arg[1] == v || (comm && in->arg[0] == v);
    int64_t c;
    return full && second &&
           !(comm && opt_s_imm_of(s, in->arg[in->arg[0] == v], opt_s_size(in->type), &c));
}

/* How v is seen by its users, from its uses (all of them counted). */
static inline uint8_t fold_of(const struct isel *s, opt_val v, const struct opt_insn *in,
                              const struct uses *us)
{
    uint8_t fl = opt_ops[in->op].flags, ub = us->bits[v];
    switch (in->op) {
    case OPT_ICONST: case OPT_FCONST: return FOLD_CONST;
    case OPT_ZEXT: return FOLD_ALIAS;
    case OPT_PARAM: return FOLD_NO;
    default: break;
    }
    if (!ub) /* unused: not computed when that changes nothing */
        return ((fl & OF_PURE) && !(fl & OF_TRAPS)) ||
                       (in->op == OPT_LOAD && !(in->aux & MEM_HEAP))
                   ? FOLD_DEAD
                   : FOLD_NO;
    switch (in->op) {
    case OPT_ADD: return in->type == OPT_I64 && !(ub & USE_NONADDR) ? FOLD_ADDR : FOLD_NO;
    case OPT_SLOT_ADDR: return ub & USE_NONADDR ? FOLD_NO : FOLD_SLOT;
    case OPT_ICMP: case OPT_FCMP: return ub & USE_NONFLAG ? FOLD_NO : FOLD_FLAGS;
    /* x << 1..3 whose every use is the index of a folded address */
    case OPT_SHL: return !(ub & USE_NONINDEX) && shift_index(s->f, in) ? FOLD_INDEX : FOLD_NO;
    case OPT_LOAD: return !(ub & USE_MANY) && load_op(s, v, us->user[v], us) ? FOLD_LOAD : FOLD_NO;
    default: return FOLD_NO;
    }
}

/* Decides how each value is seen by its users (FOLD_*), in one walk
 * backwards over the layout: a definition dominates its uses, so in
 * reverse postorder every use but a phi's comes after it, and its fold
 * is decided when the walk reaches it (after its users' folds). The
 * phis' operands are counted first. */
static bool decide_folds(struct isel *s)
{
    struct opt_func *f = s->f;
    struct uses us = {arena_alloc(f->arena, f->ninsn),
                      arena_array_raw(f->arena, f->ninsn, sizeof *us.user),
                      arena_array_raw(f->arena, f->ninsn, sizeof *us.nbar)};
    if (!us.bits || !us.user || !us.nbar)
        return false;
    for (uint32_t i = 0; i < f->norder; i++) {
        const struct opt_block *bl = &f->block[f->order[i]];
        for (uint32_t k = 0; k < bl->nphi; k++)
            count_uses(f, &us, bl->phi[k], &f->insn[bl->phi[k]], FOLD_NO, SH_LIST);
    }
    s->fold[0] = FOLD_NO;
    for (uint32_t i = f->norder; i-- > 0;) {
        const struct opt_block *bl = &f->block[f->order[i]];
        uint32_t bars = 0;
        for (uint32_t k = bl->ninsn; k-- > 0;) {
            opt_val v = bl->insn[k];
            const struct opt_insn *in = &f->insn[v];
            uint8_t info = sel_info[in->op];
            us.nbar[v] = bars;
            uint8_t fv = s->fold[v] = fold_of(s, v, in, &us);
            bars += info / SEL_BAR;
            count_uses(f, &us, v, in, fv, info);
        }
        for (uint32_t k = 0; k < bl->nphi; k++) /* fold_of's answer for a phi */
            s->fold[bl->phi[k]] = us.bits[bl->phi[k]] ? FOLD_NO : FOLD_DEAD;
    }
    return true;
}

/* ---- control ---- */

/* Operands of the successors' phis along the edge from IR block b. */
static void phi_operands(struct isel *s, uint32_t b)
{
    const struct opt_func *f = s->f;
    const struct opt_block *bl = &f->block[b];
    for (uint32_t i = 0; i < bl->nsucc; i++) {
        const struct opt_block *sb = &f->block[bl->succ[i]];
        if (!sb->nphi)
            continue;
        struct mblock *mb = &s->mf->block[sb->order];
        /* critical edges are split: a pred with several successors is its
         * successor's only pred */
        uint32_t k = bl->nsucc == 1 ? s->pidx[b] : 0;
        for (uint32_t p = 0; p < sb->nphi; p++) /* the IR operand, from make_blocks */
            mb->phi[p].ops[k] = opt_s_reg(s, mb->phi[p].ops[k]);
    }
}

static void lower_term(struct isel *s, uint32_t b, opt_val v)
{
    const struct opt_func *f = s->f;
    const struct opt_insn *in = &f->insn[v];
    const struct opt_block *bl = &f->block[b];
    struct mi *m;
    uint8_t par;
    phi_operands(s, b);
    /* a br_table whose targets are all one block is a jump: the index
     * must not be read after the edge's moves, which go before the jump */
    enum opt_op op = in->op == OPT_BR_TABLE && bl->nsucc == 1 ? OPT_JMP : in->op;
    switch (op) {
    case OPT_JMP:
        opt_s_add(s, MK_JMP, 8)->imm = f->block[bl->succ[0]].order;
        break;
    case OPT_BRIF: {
        enum x64_cc cc = opt_s_cond(s, in->arg[0], &par);
        m = opt_s_add(s, MK_JCC, 8);
        m->cc = (uint8_t)cc;
        m->ext = par;
        m->imm = f->block[bl->succ[0]].order;
        m->disp = (int32_t)f->block[bl->succ[1]].order;
        break;
    }
    case OPT_BR_TABLE: { /* the index is copied: the jump clobbers it */
        uint32_t t = opt_vreg_new(s->mf, false), idx = opt_s_reg(s, in->arg[0]);
        m = opt_s_add(s, MK_MOV, 4);
        m->def = t;
        m->use[0] = idx;
        m = opt_s_add(s, MK_BR_TABLE, 8);
        m->use[0] = t;
        m->imm = in->imm;
        m->disp = (int32_t)in->arg[1];
        s->oom |= t == MR_NONE;
        break;
    }
    case OPT_RET: {
        uint32_t r = MR_NONE;
        if (in->arg[0]) {
            enum opt_type t = f->insn[in->arg[0]].type;
            uint32_t x = opt_s_reg(s, in->arg[0]);
            r = opt_is_float(t) ? X64_XMM0 : X64_RAX;
            m = opt_s_add(s, MK_MOV, opt_s_size(t));
            m->def = r;
            m->use[0] = x;
        }
        opt_s_add(s, MK_RET, 8)->iuse = r == MR_NONE ? 0 : 1u << r;
        break;
    }
    default: /* trap */
        opt_s_site(s, opt_s_add(s, MK_TRAP, 8), in->aux, in->wasm);
        break;
    }
}

static bool lower_block(struct isel *s, uint32_t i)
{
    const struct opt_func *f = s->f;
    uint32_t b = f->order[i];
    const struct opt_block *bl = &f->block[b];
    struct mblock *mb = &s->mf->block[i];
    mb->first = s->mf->nmi;
    if (b == 0 && !opt_s_entry(s))
        return false;
    for (uint32_t k = 0; k + 1 < bl->ninsn; k++) {
        opt_val v = bl->insn[k];
        if (s->fold[v] == FOLD_NO && !opt_s_op(s, v))
            return false;
    }
    lower_term(s, b, bl->insn[bl->ninsn - 1]);
    mb->n = s->mf->nmi - mb->first;
    mb->bytes = s->bytes;
    s->bytes = 0;
    return !s->oom;
}

/* Machine blocks in layout order, with their edges and phis. Their lists
 * are slices of four arrays allocated at once. */
static bool make_blocks(struct isel *s)
{
    const struct opt_func *f = s->f;
    struct mfunc *mf = s->mf;
    struct arena *a = f->arena;
    size_t nedge = 0, nphi = 0, nops = 0;
    for (uint32_t i = 0; i < f->norder; i++) {
        const struct opt_block *bl = &f->block[f->order[i]];
        nedge += bl->npred + bl->nsucc;
        nphi += bl->nphi;
        nops += (size_t)bl->nphi * bl->npred;
    }
    mf->nblock = f->norder;
    /* all written here; the phi operands are the IR's until each
     * predecessor's end (phi_operands) puts their registers there */
    uint32_t *edge = arena_array_raw(a, nedge + 1, sizeof *edge);
    uint32_t *ops = arena_array_raw(a, nops + 1, sizeof *ops);
    struct mphi *phi = arena_array_raw(a, nphi + 1, sizeof *phi);
    s->pidx = arena_array_raw(a, f->nblock, sizeof *s->pidx);
    if (!(mf->block = arena_array_raw(a, f->norder, sizeof *mf->block)) || !edge || !ops ||
        !phi || !s->pidx)
        return false;
    for (uint32_t i = 0; i < f->norder; i++) {
        const struct opt_block *bl = &f->block[f->order[i]];
        struct mblock *mb = &mf->block[i];
        *mb = (struct mblock){.phi = phi, .nphi = bl->nphi, .pred = edge, .npred = bl->npred,
                              .succ = edge + bl->npred, .nsucc = bl->nsucc};
        edge += bl->npred + bl->nsucc;
        phi += bl->nphi;
        for (uint32_t k = 0; k < bl->npred; k++) {
            mb->pred[k] = f->block[bl->pred[k]].order;
            s->pidx[bl->pred[k]] = k;
        }
        for (uint32_t k = 0; k < bl->nsucc; k++)
            mb->succ[k] = f->block[bl->succ[k]].order;
        for (uint32_t k = 0; k < bl->nphi; k++) {
            mb->phi[k] = (struct mphi){opt_s_vreg(s, bl->phi[k]), ops};
            memcpy(ops, f->extra + f->insn[bl->phi[k]].arg[0], bl->npred * sizeof *ops);
            ops += bl->npred;
        }
    }
    return !s->oom;
}

/* The IR's frame slots go right below rbp, so their offsets are known
 * here and their addresses fold into memory operands. */
static void place_slots(struct opt_func *f, struct mfunc *mf)
{
    uint32_t off = 0;
    for (uint32_t i = 0; i < f->nslot; i++) {
        off += (f->slot[i].size + 7) & ~7u;
        f->slot[i].offset = -(int32_t)off;
    }
    mf->slot_bytes = off;
}

bool opt_isel(struct opt_func *f, struct mfunc *mf, struct err *e)
{
    struct isel s = {.f = f, .mf = mf, .e = e};
    s.vreg = arena_array_raw(f->arena, f->ninsn, sizeof *s.vreg);
    s.fold = arena_alloc_raw(f->arena, f->ninsn);
    bool ok = s.vreg && s.fold && opt_mfunc_init(mf, f);
    if (ok) {
        memset(s.vreg, 0xff, f->ninsn * sizeof *s.vreg);
        place_slots(f, mf);
        ok = decide_folds(&s) && make_blocks(&s);
    }
    for (uint32_t i = 0; ok && i < f->norder; i++)
        ok = lower_block(&s, i);
    if (!ok && err_ok(e))
        err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    return ok;
}
