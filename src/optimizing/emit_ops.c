/* Encoding of the machine instructions that are not control flow. Most
 * x86 instructions overwrite their first operand, so a "def = a op b"
 * becomes "mov def, a; op def, b", with the scratch register when def is
 * b (and the op does not commute). */
#include "optimizing.h"

static int R(uint32_t r) { return r == MR_NONE ? X64_NOREG : (int)r; }

static struct x64_mem mem_of(const struct mi *mi)
{
    return x64_mem_index(R(mi->base), R(mi->index), mi->scale ? mi->scale : 1, mi->disp);
}

static bool uses_reg(const struct mi *mi, uint32_t r) { return mi->base == r || mi->index == r; }

static void copy(struct x64_asm *a, int size, uint32_t dst, uint32_t src)
{
    if (dst == src)
        return;
    if (X64_IS_XMM(dst))
        x64_sse_rr(a, X64_MOVAPS, (int)dst, (int)src);
    else
        x64_mov_rr(a, size, (int)dst, (int)src);
}

static void mov(struct em *m, const struct mi *mi)
{
    /* an i32 whose upper half may be anything is zero-extended (ext) */
    if (mi->ext && !X64_IS_XMM(mi->def))
        x64_mov_rr(m->a, 4, R(mi->def), R(mi->use[0]));
    else
        copy(m->a, mi->size, mi->def, mi->use[0]);
}

/* Zero is xor r32, r32 (2 or 3 bytes instead of 5): isel never puts a
 * constant between a compare and the instruction that reads its flags. */
static void movi(struct em *m, const struct mi *mi)
{
    if (mi->imm)
        x64_mov_ri(m->a, mi->size, R(mi->def), mi->imm);
    else
        x64_alu_rr(m->a, X64_XOR, 4, R(mi->def), R(mi->def));
}

static void fconst(struct em *m, const struct mi *mi)
{
    int d = R(mi->def);
    uint64_t bits = mi->size == 4 ? (uint32_t)mi->imm : (uint64_t)mi->imm;
    if (!bits)
        x64_sse_rr(m->a, X64_XORPS, d, d);
    else
        x64_sse_rm(m->a, mi->size == 4 ? X64_MOVSS : X64_MOVSD, d, opt_e_const(m, bits, mi->size));
}

/* Heap accesses are [base + index + disp] and most others [base + disp]:
 * the encoder's inline forms take those (the same bytes as its general
 * one, which takes the rest). */
static bool indexed(const struct mi *mi)
{
    return mi->scale == 1 && mi->base != MR_NONE && mi->index != MR_NONE;
}

static bool based(const struct mi *mi)
{
    return mi->scale == 1 && mi->base != MR_NONE && mi->index == MR_NONE;
}

/* mov (size 4 or 8) of GP register r and the memory operand. */
static void mov_mem(struct x64_asm *a, bool store, int size, int r, const struct mi *mi)
{
    if (indexed(mi) && store)
        x64_store_indexed(a, size, R(mi->base), R(mi->index), mi->disp, r);
    else if (indexed(mi))
        x64_load_indexed(a, size, r, R(mi->base), R(mi->index), mi->disp);
    else if (based(mi) && store)
        x64_store_based(a, size, R(mi->base), mi->disp, r);
    else if (based(mi))
        x64_load_based(a, size, r, R(mi->base), mi->disp);
    else if (store)
        x64_mov_mr(a, size, mem_of(mi), r);
    else
        x64_mov_rm(a, size, r, mem_of(mi));
}

static void ext_load(struct x64_asm *a, enum x64_ext op, int dsize, int ssize, int d,
                     const struct mi *mi)
{
    if (indexed(mi))
        x64_ext_load_indexed(a, op, dsize, ssize, d, R(mi->base), R(mi->index), mi->disp);
    else
        x64_ext_rm(a, op, dsize, ssize, d, mem_of(mi));
}

static void load(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    int d = R(mi->def);
    if (mi->trap)
        opt_e_site(m, mi->trap, mi->wasm);
    switch (mi->op) {
    case MEM_I8: ext_load(a, X64_SX, mi->size, 1, d, mi); break;
    case MEM_U8: ext_load(a, X64_ZX, 4, 1, d, mi); break;
    case MEM_I16: ext_load(a, X64_SX, mi->size, 2, d, mi); break;
    case MEM_U16: ext_load(a, X64_ZX, 4, 2, d, mi); break;
    case MEM_I32:
        if (mi->size == 8)
            ext_load(a, X64_SX, 8, 4, d, mi);
        else
            mov_mem(a, false, 4, d, mi);
        break;
    case MEM_U32: mov_mem(a, false, 4, d, mi); break;
    case MEM_F32: x64_sse_rm(a, X64_MOVSS, d, mem_of(mi)); break;
    case MEM_F64: x64_sse_rm(a, X64_MOVSD, d, mem_of(mi)); break;
    default: mov_mem(a, false, 8, d, mi); break;
    }
}

static int width(uint8_t kind)
{
    static const uint8_t w[] = {0, 1, 1, 2, 2, 4, 4, 8, 4, 8};
    return w[kind % ARRAY_LEN(w)];
}

static void store(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    int w = width(mi->op);
    if (mi->trap)
        opt_e_site(m, mi->trap, mi->wasm);
    if (mi->kind == MK_STOREI) {
        int32_t imm = w == 1 ? (int8_t)mi->imm32 : w == 2 ? (int16_t)mi->imm32 : mi->imm32;
        if (indexed(mi))
            x64_store_imm_indexed(a, w, R(mi->base), R(mi->index), mi->disp, imm);
        else
            x64_mov_mi(a, w, mem_of(mi), imm);
    } else if (mi->op == MEM_F32 || mi->op == MEM_F64) {
        x64_sse_mr(a, mi->op == MEM_F32 ? X64_MOVSS : X64_MOVSD, mem_of(mi), R(mi->use[0]));
    } else {
        mov_mem(a, true, w, R(mi->use[0]), mi);
    }
}

static bool commutes(enum x64_alu op)
{
    return op == X64_ADD || op == X64_AND || op == X64_OR || op == X64_XOR;
}

/* def = use0 op (use1 | imm | [mem]); CMP and TEST only set the flags. */
static void alu(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    enum x64_alu op = mi->op;
    int s = mi->size;
    uint32_t d = mi->def, x = mi->use[0], y = mi->use[1];
    if (d == MR_NONE) { /* flags only */
        if (mi->scale)
            x64_alu_rm(a, op, s, R(x), mem_of(mi));
        else if (y != MR_NONE)
            x64_alu_rr(a, op, s, R(x), R(y));
        else
            x64_alu_ri(a, op, s, R(x), (int32_t)mi->imm);
        return;
    }
    if (mi->scale) { /* memory operand: mind a def that is its base or index */
        int t = d != x && uses_reg(mi, d) ? OPT_SCRATCH : R(d);
        copy(a, s, (uint32_t)t, x);
        if (mi->trap)
            opt_e_site(m, mi->trap, mi->wasm);
        x64_alu_rm(a, op, s, t, mem_of(mi));
        copy(a, s, d, (uint32_t)t);
    } else if (y == MR_NONE) {
        copy(a, s, d, x);
        x64_alu_ri(a, op, s, R(d), (int32_t)mi->imm);
    } else if (d == y && d != x) {
        if (commutes(op)) {
            x64_alu_rr(a, op, s, R(d), R(x));
        } else {
            x64_mov_rr(a, s, OPT_SCRATCH, R(y));
            x64_mov_rr(a, s, R(d), R(x));
            x64_alu_rr(a, op, s, R(d), OPT_SCRATCH);
        }
    } else {
        copy(a, s, d, x);
        x64_alu_rr(a, op, s, R(d), R(y));
    }
}

static void imul(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    uint32_t d = mi->def, x = mi->use[0], y = mi->use[1];
    if (y == MR_NONE) {
        x64_imul_rri(a, mi->size, R(d), R(x), (int32_t)mi->imm);
        return;
    }
    if (d == y)
        y = x, x = d; /* multiplication commutes */
    copy(a, mi->size, d, x);
    x64_op_rr(a, X64_IMUL, mi->size, R(d), R(y));
}

static void shift(struct em *m, const struct mi *mi)
{
    copy(m->a, mi->size, mi->def, mi->use[0]);
    if (mi->imm < 0)
        x64_shift_rc(m->a, mi->op, mi->size, R(mi->def));
    else
        x64_shift_ri(m->a, mi->op, mi->size, R(mi->def), (uint8_t)mi->imm);
}

/* rdx:rax / use0. rem_s guards INT_MIN rem -1 (idiv would fault; the
 * answer is 0). */
static void divide(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    int s = mi->size, b = R(mi->use[0]);
    x64_label done = 0;
    if (mi->cc) {
        x64_label go = x64_label_new(a);
        done = x64_label_new(a);
        x64_alu_ri(a, X64_CMP, s, b, -1);
        x64_jcc_short(a, X64_CC_NE, go);
        x64_alu_rr(a, X64_XOR, 4, X64_RDX, X64_RDX);
        x64_jmp_short(a, done);
        x64_label_bind(a, go);
    }
    if (mi->op == X64_IDIV)
        x64_cdq(a, s);
    else
        x64_alu_rr(a, X64_XOR, 4, X64_RDX, X64_RDX);
    x64_unary_r(a, mi->op, s, b);
    if (mi->cc)
        x64_label_bind(a, done);
}

/* cond ? 1 : 0; the parity flag joins in for float eq (and) and ne (or). */
static void setcc(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    int d = R(mi->def);
    if (mi->ext == PAR_NONE) {
        x64_setcc_zx(a, mi->cc, d);
        return;
    }
    x64_setcc(a, mi->cc, d);
    x64_setcc(a, mi->ext == PAR_AND ? X64_CC_NP : X64_CC_P, OPT_SCRATCH);
    x64_alu_rr(a, mi->ext == PAR_AND ? X64_AND : X64_OR, 1, d, OPT_SCRATCH);
    x64_ext_rr(a, X64_ZX, 4, 1, d, d);
}

/* def = cond ? use1 : use0. Float conditions and XMM values are built in
 * a scratch register (cmov takes one condition and GP registers only). */
static void cmov(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    uint32_t d = mi->def, f = mi->use[0], t = mi->use[1];
    int s = mi->size;
    bool xmm = X64_IS_XMM(d);
    if (!xmm && mi->ext == PAR_NONE) {
        if (d == t && d != f) {
            x64_cmov_rr(a, x64_cc_not(mi->cc), s, R(d), R(f));
        } else {
            copy(a, s, d, f);
            x64_cmov_rr(a, mi->cc, s, R(d), R(t));
        }
        return;
    }
    /* the value for "holds" when the parity flag says unordered first */
    bool and = mi->ext == PAR_AND;
    uint32_t first = and ? t : f, other = and ? f : t;
    enum x64_cc cc = and ? x64_cc_not(mi->cc) : mi->cc;
    int tmp = xmm ? OPT_XSCRATCH : OPT_SCRATCH;
    copy(a, s, (uint32_t)tmp, first);
    if (!xmm) {
        x64_cmov_rr(a, cc, s, tmp, R(other));
        if (mi->ext != PAR_NONE)
            x64_cmov_rr(a, X64_CC_P, s, tmp, R(other));
    } else {
        x64_label skip = x64_label_new(a), take = x64_label_new(a);
        if (mi->ext != PAR_NONE)
            x64_jcc_short(a, X64_CC_P, take);
        x64_jcc_short(a, x64_cc_not(cc), skip);
        x64_label_bind(a, take);
        x64_sse_rr(a, X64_MOVAPS, tmp, R(other));
        x64_label_bind(a, skip);
    }
    copy(a, s, d, (uint32_t)tmp);
}

/* def = use0 op use1 for SSE scalar arithmetic. */
static void sse(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    uint32_t d = mi->def, x = mi->use[0], y = mi->use[1];
    bool comm = mi->op == X64_ADDSS || mi->op == X64_ADDSD || mi->op == X64_MULSS ||
                mi->op == X64_MULSD;
    if (mi->scale || mi->ext) { /* memory or pool: no register clash with d */
        copy(a, 8, d, x);
        if (mi->trap)
            opt_e_site(m, mi->trap, mi->wasm);
        x64_sse_rm(a, mi->op, R(d), mi->ext ? opt_e_const(m, (uint64_t)mi->imm, mi->size)
                                             : mem_of(mi));
        return;
    }
    if (d == y && d != x) {
        if (comm) {
            x64_sse_rr(a, mi->op, R(d), R(x));
            return;
        }
        x64_sse_rr(a, X64_MOVAPS, OPT_XSCRATCH, R(y));
        y = OPT_XSCRATCH;
    }
    copy(a, 8, d, x);
    x64_sse_rr(a, mi->op, R(d), R(y));
}

static void sse1(struct em *m, const struct mi *mi)
{
    if (mi->op == X64_ROUNDSS || mi->op == X64_ROUNDSD)
        x64_sse_rri(m->a, mi->op, R(mi->def), R(mi->use[0]), (uint8_t)mi->imm);
    else
        x64_sse_rr(m->a, mi->op, R(mi->def), R(mi->use[0]));
}

static void cvt(struct em *m, const struct mi *mi)
{
    if (mi->op == X64_CVTSI2SS || mi->op == X64_CVTSI2SD) /* no false dependency */
        x64_sse_rr(m->a, X64_XORPS, R(mi->def), R(mi->def));
    x64_cvt_rr(m->a, mi->op, mi->size, R(mi->def), R(mi->use[0]));
}

static void entry(struct em *m, const struct mi *mi) { (void)m, (void)mi; }

static void lea(struct em *m, const struct mi *mi)
{
    x64_lea(m->a, 8, R(mi->def), mem_of(mi));
}

static void slot(struct em *m, const struct mi *mi)
{
    x64_lea(m->a, 8, R(mi->def), x64_mem_base(X64_RBP, m->mf->f->slot[mi->imm].offset));
}

static void unary(struct em *m, const struct mi *mi)
{
    copy(m->a, mi->size, mi->def, mi->use[0]);
    x64_unary_r(m->a, mi->op, mi->size, R(mi->def));
}

static void bitop(struct em *m, const struct mi *mi)
{
    x64_op_rr(m->a, mi->op, mi->size, R(mi->def), R(mi->use[0]));
}

static void ext(struct em *m, const struct mi *mi)
{
    x64_ext_rr(m->a, mi->op, mi->size, mi->cc, R(mi->def), R(mi->use[0]));
}

static void ucomi(struct em *m, const struct mi *mi)
{
    x64_sse_rr(m->a, mi->size == 4 ? X64_UCOMISS : X64_UCOMISD, R(mi->use[0]), R(mi->use[1]));
}

/* A table, not a switch: each kind's encoder is a small function of its
 * own, so the common ones do not pay for the registers the big ones save. */
const opt_e_fn opt_e_ops[MK_JMP] = {
    [MK_ENTRY] = entry, [MK_MOV] = mov,     [MK_MOVI] = movi,   [MK_FCONST] = fconst,
    [MK_LOAD] = load,   [MK_STORE] = store, [MK_STOREI] = store, [MK_LEA] = lea,
    [MK_SLOT] = slot,   [MK_ALU] = alu,     [MK_SHIFT] = shift, [MK_UNARY] = unary,
    [MK_IMUL] = imul,   [MK_DIV] = divide,  [MK_BITOP] = bitop, [MK_EXT] = ext,
    [MK_SETCC] = setcc, [MK_CMOV] = cmov,   [MK_SSE] = sse,     [MK_SSE1] = sse1,
    [MK_UCOMI] = ucomi, [MK_CVT] = cvt,     [MK_FSIGN] = opt_e_fsign,
    [MK_FMINMAX] = opt_e_fminmax, [MK_F2I] = opt_e_f2i, [MK_U2F] = opt_e_u2f,
};
