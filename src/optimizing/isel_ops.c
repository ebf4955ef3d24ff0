/* Instruction selection for everything but control flow and calls:
 * integer and float arithmetic, compares whose value is needed, select,
 * conversions, memory. Operands are computed before the instruction that
 * uses them is added (opt_s_add may move the array). */
#include "optimizing.h"

static struct mi *def_mi(struct isel *s, enum mk kind, int size, opt_val v)
{
    struct mi *m = opt_s_add(s, kind, size);
    m->def = opt_s_vreg(s, v);
    return m;
}

/* The operands of a binary operation: b is the folded load or the
 * constant when there is one (commutative ops swap it over). Returns
 * whether b is a folded load (whose one user is this operation). */
static bool binary_operands(struct isel *s, const struct opt_insn *in, opt_val *a, opt_val *b)
{
    int64_t c = 0;
    int size = opt_s_size(in->type);
    *a = in->arg[0];
    *b = in->arg[1];
    bool la = s->fold[*a] == FOLD_LOAD, load = la || s->fold[*b] == FOLD_LOAD;
    bool swap = load ? la : opt_s_imm(s, *a, size, &c) && !opt_s_imm(s, *b, size, &c);
    if (swap && (opt_ops[in->op].flags & OF_COMM)) {
        *a = in->arg[1];
        *b = in->arg[0];
    }
    return load;
}

/* a op b with b an immediate when it fits, or the memory operand of a
 * folded load. */
static void alu(struct isel *s, opt_val v, const struct opt_insn *in, enum x64_alu op)
{
    int size = opt_s_size(in->type);
    opt_val a, b;
    int64_t c = 0;
    bool load = binary_operands(s, in, &a, &b);
    uint32_t ra = opt_s_reg(s, a);
    bool imm = !load && opt_s_imm(s, b, size, &c);
    struct maddr ma = {0};
    if (load)
        ma = opt_s_addr(s, s->f->insn[b].arg[0], s->f->insn[b].imm);
    uint32_t rb = imm || load ? MR_NONE : opt_s_reg(s, b);
    struct mi *m = def_mi(s, in->op == OPT_MUL ? MK_IMUL : MK_ALU, size, v);
    m->op = (uint8_t)op;
    m->use[0] = ra;
    m->use[1] = rb;
    m->imm = c;
    if (load)
        opt_s_memop(s, &s->f->insn[b], m, ma);
}

static void shift(struct isel *s, opt_val v, const struct opt_insn *in)
{
    static const uint8_t ops[] = {X64_SHL, X64_SAR, X64_SHR, X64_ROL, X64_ROR};
    int size = opt_s_size(in->type);
    int64_t c = 0;
    uint32_t ra = opt_s_reg(s, in->arg[0]);
    bool imm = opt_s_imm(s, in->arg[1], size, &c);
    if (!imm) { /* the count goes to cl */
        uint32_t rc = opt_s_reg(s, in->arg[1]);
        struct mi *m = opt_s_add(s, MK_MOV, 4);
        m->def = X64_RCX;
        m->use[0] = rc;
    }
    struct mi *m = def_mi(s, MK_SHIFT, size, v);
    m->op = ops[in->op - OPT_SHL];
    m->use[0] = ra;
    m->imm = imm ? c & (size * 8 - 1) : -1;
    m->iuse = m->idef = imm ? 0 : 1u << X64_RCX;
}

/* rax, rdx = rdx:rax / b; the quotient or the remainder is the value. */
static void divide(struct isel *s, opt_val v, const struct opt_insn *in)
{
    int size = opt_s_size(in->type);
    uint32_t ra = opt_s_reg(s, in->arg[0]), rb = opt_s_reg(s, in->arg[1]);
    struct mi *m = opt_s_add(s, MK_MOV, size);
    m->def = X64_RAX;
    m->use[0] = ra;
    m = opt_s_add(s, MK_DIV, size);
    bool sign = in->op == OPT_DIV_S || in->op == OPT_REM_S;
    m->op = sign ? X64_IDIV : X64_DIV;
    m->cc = in->op == OPT_REM_S;
    m->use[0] = rb;
    m->iuse = m->idef = 1u << X64_RAX | 1u << X64_RDX;
    m = def_mi(s, MK_MOV, size, v);
    m->use[0] = in->op == OPT_DIV_S || in->op == OPT_DIV_U ? X64_RAX : X64_RDX;
}

/* One register operand, one result: bit counts, sign extension, wrap,
 * float unary operations, conversions. */
static void unary(struct isel *s, opt_val v, enum mk kind, int size, uint8_t op)
{
    uint32_t ra = opt_s_reg(s, s->f->insn[v].arg[0]);
    struct mi *m = def_mi(s, kind, size, v);
    m->op = op;
    m->use[0] = ra;
}

/* def = a op b; b may be a folded load or (arithmetic only) a float
 * constant read from the pool. */
static void sse_binary(struct isel *s, opt_val v, const struct opt_insn *in, enum mk kind,
                       uint8_t op)
{
    opt_val a, b;
    bool load = binary_operands(s, in, &a, &b);
    uint32_t ra = opt_s_reg(s, a);
    bool pool = kind == MK_SSE && !load && s->f->insn[b].op == OPT_FCONST;
    struct maddr ma = {0};
    if (load)
        ma = opt_s_addr(s, s->f->insn[b].arg[0], s->f->insn[b].imm);
    uint32_t rb = load || pool ? MR_NONE : opt_s_reg(s, b);
    struct mi *m = def_mi(s, kind, opt_s_size(in->type), v);
    m->op = op;
    m->use[0] = ra;
    m->use[1] = rb;
    m->ext = pool;
    m->imm = pool ? s->f->insn[b].imm : 0;
    if (load)
        opt_s_memop(s, &s->f->insn[b], m, ma);
}

static void lower_select(struct isel *s, opt_val v, const struct opt_insn *in)
{
    uint32_t rf = opt_s_reg(s, in->arg[2]), rt = opt_s_reg(s, in->arg[1]);
    uint8_t par;
    enum x64_cc cc = opt_s_cond(s, in->arg[0], &par);
    struct mi *m = def_mi(s, MK_CMOV, opt_s_size(in->type), v);
    m->use[0] = rf;
    m->use[1] = rt;
    m->cc = (uint8_t)cc;
    m->ext = par;
}

static void compare_value(struct isel *s, opt_val v)
{
    uint8_t par;
    enum x64_cc cc = opt_s_cond(s, v, &par);
    struct mi *m = def_mi(s, MK_SETCC, 4, v);
    m->cc = (uint8_t)cc;
    m->ext = par;
}

static void int_to_float(struct isel *s, opt_val v, const struct opt_insn *in)
{
    bool dbl = in->type == OPT_F64;
    enum opt_type from = s->f->insn[in->arg[0]].type;
    if (!(in->aux & OPT_CVT_SIGNED) && from == OPT_I64) {
        unary(s, v, MK_U2F, opt_s_size(in->type), 0);
        return;
    }
    /* an unsigned i32 is zero-extended in its register: convert 64 bits */
    int size = from == OPT_I64 || !(in->aux & OPT_CVT_SIGNED) ? 8 : 4;
    unary(s, v, MK_CVT, size, dbl ? X64_CVTSI2SD : X64_CVTSI2SS);
}

static void float_to_int(struct isel *s, opt_val v, const struct opt_insn *in)
{
    uint32_t ra = opt_s_reg(s, in->arg[0]);
    struct mi *m = def_mi(s, MK_F2I, opt_s_size(in->type), v);
    m->op = in->aux;
    m->use[0] = ra;
    m->ext = (uint8_t)opt_s_size(s->f->insn[in->arg[0]].type);
    m->wasm = in->wasm;
}

static void load(struct isel *s, opt_val v, const struct opt_insn *in)
{
    struct maddr a = opt_s_addr(s, in->arg[0], in->imm);
    struct mi *m = def_mi(s, MK_LOAD, opt_s_size(in->type), v);
    m->op = in->aux & MEM_KIND;
    opt_s_memop(s, in, m, a);
}

static void store(struct isel *s, const struct opt_insn *in)
{
    struct maddr a = opt_s_addr(s, in->arg[0], in->imm);
    uint8_t kind = in->aux & MEM_KIND;
    int64_t c = 0;
    bool imm = kind != MEM_F32 && kind != MEM_F64 && opt_s_imm(s, in->arg[1], 8, &c);
    uint32_t r = imm ? MR_NONE : opt_s_reg(s, in->arg[1]);
    struct mi *m = opt_s_add(s, imm ? MK_STOREI : MK_STORE, 8);
    m->op = kind;
    m->use[0] = r;
    m->imm = c;
    opt_s_memop(s, in, m, a);
}

static void trap_if(struct isel *s, const struct opt_insn *in)
{
    uint8_t par;
    enum x64_cc cc = opt_s_cond(s, in->arg[0], &par);
    struct mi *m = opt_s_add(s, MK_TRAPIF, 8);
    m->cc = (uint8_t)cc;
    m->ext = par;
    opt_s_site(s, m, in->aux, in->wasm);
}

static uint8_t sse_op(const struct opt_insn *in)
{
    static const uint8_t ops[][2] = {
        [OPT_FADD - OPT_FADD] = {X64_ADDSS, X64_ADDSD},
        [OPT_FSUB - OPT_FADD] = {X64_SUBSS, X64_SUBSD},
        [OPT_FMUL - OPT_FADD] = {X64_MULSS, X64_MULSD},
        [OPT_FDIV - OPT_FADD] = {X64_DIVSS, X64_DIVSD},
    };
    return ops[in->op - OPT_FADD][in->type == OPT_F64];
}

static void float_unary(struct isel *s, opt_val v, const struct opt_insn *in)
{
    static const uint8_t modes[] = {X64_ROUND_UP, X64_ROUND_DOWN, X64_ROUND_TRUNC,
                                    X64_ROUND_NEAREST};
    bool dbl = in->type == OPT_F64;
    int size = opt_s_size(in->type);
    if (in->op == OPT_FSQRT)
        return unary(s, v, MK_SSE1, size, dbl ? X64_SQRTSD : X64_SQRTSS);
    if (in->op == OPT_FCVT)
        return unary(s, v, MK_SSE1, size, dbl ? X64_CVTSS2SD : X64_CVTSD2SS);
    if (in->op == OPT_FROUND) {
        unary(s, v, MK_SSE1, size, dbl ? X64_ROUNDSD : X64_ROUNDSS);
        s->mf->mi[s->mf->nmi - 1].imm = modes[in->aux & 3] | X64_ROUND_NOEXC;
        return;
    }
    unary(s, v, MK_FSIGN, size, in->op); /* fabs, fneg */
}

bool opt_s_op(struct isel *s, opt_val v)
{
    const struct opt_insn *in = &s->f->insn[v];
    int size = opt_s_size(in->type);
    switch (in->op) {
    case OPT_ADD: alu(s, v, in, X64_ADD); break;
    case OPT_SUB: alu(s, v, in, X64_SUB); break;
    case OPT_AND: alu(s, v, in, X64_AND); break;
    case OPT_OR: alu(s, v, in, X64_OR); break;
    case OPT_XOR: alu(s, v, in, X64_XOR); break;
    case OPT_MUL: alu(s, v, in, 0); break;
    case OPT_SHL: case OPT_SHR_S: case OPT_SHR_U: case OPT_ROTL: case OPT_ROTR:
        shift(s, v, in);
        break;
    case OPT_DIV_S: case OPT_DIV_U: case OPT_REM_S: case OPT_REM_U: divide(s, v, in); break;
    case OPT_CLZ: unary(s, v, MK_BITOP, size, X64_LZCNT); break;
    case OPT_CTZ: unary(s, v, MK_BITOP, size, X64_TZCNT); break;
    case OPT_POPCNT: unary(s, v, MK_BITOP, size, X64_POPCNT); break;
    case OPT_ICMP: case OPT_FCMP: compare_value(s, v); break;
    case OPT_SEXT:
        unary(s, v, MK_EXT, size, X64_SX);
        s->mf->mi[s->mf->nmi - 1].cc = in->aux / 8;
        break;
    case OPT_WRAP:
        unary(s, v, MK_MOV, 4, 0);
        s->mf->mi[s->mf->nmi - 1].ext = 1; /* drops the upper half */
        break;
    case OPT_FADD: case OPT_FSUB: case OPT_FMUL: case OPT_FDIV:
        sse_binary(s, v, in, MK_SSE, sse_op(in));
        break;
    case OPT_FMIN: case OPT_FMAX: sse_binary(s, v, in, MK_FMINMAX, in->op); break;
    case OPT_FCOPYSIGN: sse_binary(s, v, in, MK_FSIGN, in->op); break;
    case OPT_FABS: case OPT_FNEG: case OPT_FSQRT: case OPT_FROUND: case OPT_FCVT:
        float_unary(s, v, in);
        break;
    case OPT_I2F: int_to_float(s, v, in); break;
    case OPT_F2I: float_to_int(s, v, in); break;
    case OPT_BITCAST:
        unary(s, v, MK_CVT, size, opt_is_float(in->type) ? X64_MOVD_XR : X64_MOVD_RX);
        break;
    case OPT_SELECT: lower_select(s, v, in); break;
    case OPT_LOAD: load(s, v, in); break;
    case OPT_STORE: store(s, in); break;
    case OPT_SLOT_ADDR: def_mi(s, MK_SLOT, 8, v)->imm = in->imm; break;
    case OPT_CALL: case OPT_CALL_IND: case OPT_CALL_RT: return opt_s_call(s, v);
    case OPT_TRAP_IF: trap_if(s, in); break;
    case OPT_PARAM: break; /* taken at the entry (opt_s_entry) */
    default:
        return err_set(s->e, ERR_LIMIT, in->wasm, "optimizing: no selection for %s",
                       opt_ops[in->op].name);
    }
    return !s->oom;
}
