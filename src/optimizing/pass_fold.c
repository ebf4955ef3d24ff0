/* Constant folding and algebraic simplification. One walk over the blocks
 * in the dominator tree's preorder (so operands are simplified before
 * their users, loop phis aside; the tree is made here and shared with the
 * passes after this one): integer operations of constants become constants; known
 * identities (x + 0, x * 1, x & x, x - x, ...) become their operand;
 * multiplications and unsigned divisions by powers of two become shifts;
 * constants move to the right of commutative operations and comparisons
 * (where isel takes immediates); a test of a comparison against zero
 * becomes the comparison itself or its inverse; trap checks on a constant
 * false condition go (a division by a non-zero constant keeps no check).
 * Every constant moves to the entry block: isel materialises constants
 * where they are used, so their place only matters to the passes, and
 * there GVN makes each one value and none keeps an invariant computation
 * inside a loop (pass_licm.c).
 *
 * Results replace instructions in place (an instruction becomes an iconst
 * or takes new operands) or through the replacement table. Float
 * operations are left alone: NaN payloads and signed zeros make most of
 * their identities wrong. */
#include <string.h>

#include "optimizing.h"

static uint64_t mask_of(enum opt_type t) { return t == OPT_I32 ? 0xffffffffu : ~(uint64_t)0; }
static unsigned width_of(enum opt_type t) { return t == OPT_I32 ? 32 : 64; }

/* True, with its value, when v is an integer constant. */
static bool konst(const struct opt_func *f, opt_val v, uint64_t *c)
{
    const struct opt_insn *in = &f->insn[v];
    if (in->op != OPT_ICONST)
        return false;
    *c = (uint64_t)in->imm & mask_of(in->type);
    return true;
}

static bool is_pow2(uint64_t c) { return c && !(c & (c - 1)); }

/* Constant c goes to the entry block when the pass ends. */
static void to_entry(struct opt_fold *s, opt_val c)
{
    if (!opt_push(s->f->arena, &s->fresh, &s->nfresh, &s->cap_fresh, c))
        s->oom = true;
    opt_unlist(s->f, c);
    s->f->insn[c].block = 0;
    s->changed++;
}

/* A new constant in the entry block, or the equal one GVN knows. */
static opt_val new_const(struct opt_fold *s, enum opt_type t, uint64_t v)
{
    opt_val c = opt_insn_add(s->f, UINT32_MAX, OPT_ICONST, t, 0, 0, 0, (int64_t)(v & mask_of(t)));
    if (!c) {
        s->oom = true;
        return OPT_NONE;
    }
    s->f->insn[c].block = 0;
    opt_val w = s->intern ? s->intern(s->ctx, c) : c;
    if (w != c) {
        s->f->insn[c].dead = 1;
        s->changed++;
        return w;
    }
    to_entry(s, c);
    return c;
}

bool opt_fold_finish(struct opt_fold *s)
{
    if (s->oom)
        return false;
    struct opt_func *f = s->f;
    struct opt_block *bl = &f->block[0];
    uint32_t n = bl->ninsn, k = 0;
    if (!s->nfresh)
        return true;
    uint32_t *old = arena_array_raw(f->arena, n, sizeof *old);
    if (!old)
        return false;
    memcpy(old, bl->insn, n * sizeof *old);
    bl->ninsn = 0;
    while (k < n && f->insn[old[k]].op == OPT_PARAM)
        k++;
    for (uint32_t i = 0; i < n + s->nfresh; i++) {
        uint32_t v = i < k ? old[i] : i < k + s->nfresh ? s->fresh[i - k] : old[i - s->nfresh];
        if (!opt_push(f->arena, &bl->insn, &bl->ninsn, &bl->cap_insn, v))
            return false;
    }
    return true;
}

static uint64_t sext(uint64_t x, unsigned bits)
{
    return bits >= 64 ? x : (uint64_t)((int64_t)(x << (64 - bits)) >> (64 - bits));
}

static bool icmp_eval(enum opt_icc cc, uint64_t a, uint64_t b, unsigned w)
{
    int64_t sa = (int64_t)sext(a, w), sb = (int64_t)sext(b, w);
    switch (cc) {
    case ICC_EQ: return a == b;
    case ICC_NE: return a != b;
    case ICC_LT_S: return sa < sb;
    case ICC_LT_U: return a < b;
    case ICC_GT_S: return sa > sb;
    case ICC_GT_U: return a > b;
    case ICC_LE_S: return sa <= sb;
    case ICC_LE_U: return a <= b;
    case ICC_GE_S: return sa >= sb;
    default: return a >= b;
    }
}

/* Division and remainder of constants; false when it would trap (the
 * trap check before it stays and fires first). */
static bool div_eval(enum opt_op op, uint64_t a, uint64_t b, unsigned w, uint64_t *r)
{
    int64_t sa = (int64_t)sext(a, w), sb = (int64_t)sext(b, w);
    bool ovf = sb == -1 && (uint64_t)sa == sext((uint64_t)1 << (w - 1), w);
    if (!b || (op == OPT_DIV_S && ovf))
        return false;
    if (op == OPT_DIV_S)
        *r = (uint64_t)(sa / sb);
    else if (op == OPT_REM_S)
        *r = ovf ? 0 : (uint64_t)(sa % sb);
    else
        *r = op == OPT_DIV_U ? a / b : a % b;
    return true;
}

/* A binary integer operation of two constants of width w. */
static bool binary_eval(enum opt_op op, uint8_t aux, uint64_t a, uint64_t b, unsigned w,
                        uint64_t *r)
{
    unsigned n = (unsigned)(b & (w - 1));
    switch (op) {
    case OPT_ADD: *r = a + b; return true;
    case OPT_SUB: *r = a - b; return true;
    case OPT_MUL: *r = a * b; return true;
    case OPT_AND: *r = a & b; return true;
    case OPT_OR: *r = a | b; return true;
    case OPT_XOR: *r = a ^ b; return true;
    case OPT_SHL: *r = a << n; return true;
    case OPT_SHR_U: *r = a >> n; return true;
    case OPT_SHR_S: *r = (uint64_t)((int64_t)sext(a, w) >> n); return true;
    case OPT_ROTL: *r = n ? (a << n) | (a >> (w - n)) : a; return true;
    case OPT_ROTR: *r = n ? (a >> n) | (a << (w - n)) : a; return true;
    case OPT_ICMP: *r = icmp_eval((enum opt_icc)aux, a, b, w); return true;
    case OPT_DIV_S: case OPT_DIV_U: case OPT_REM_S: case OPT_REM_U:
        return div_eval(op, a, b, w, r);
    default: return false;
    }
}

/* A unary integer operation of a constant: the operand's width is w. */
static bool unary_eval(const struct opt_insn *in, uint64_t a, unsigned w, uint64_t *r)
{
    switch (in->op) {
    case OPT_CLZ: *r = a ? (unsigned)__builtin_clzll(a) - (64 - w) : w; return true;
    case OPT_CTZ: *r = a ? (unsigned)__builtin_ctzll(a) : w; return true;
    case OPT_POPCNT: *r = (unsigned)__builtin_popcountll(a); return true;
    case OPT_SEXT: *r = sext(a, in->aux); return true;
    case OPT_ZEXT: case OPT_WRAP: *r = a; return true;
    default: return false;
    }
}

static void to_const(struct opt_fold *s, opt_val v, uint64_t c)
{
    struct opt_insn *in = &s->f->insn[v];
    *in = (struct opt_insn){.op = OPT_ICONST, .type = in->type, .block = in->block,
                            .imm = (int64_t)(c & mask_of(in->type)), .wasm = in->wasm};
    s->changed++;
    if (in->block)
        to_entry(s, v);
}

static void to_value(struct opt_fold *s, opt_val v, opt_val by)
{
    opt_kill(s->f, v);
    opt_replace(s->f, v, by);
    s->changed++;
}

/* The comparison with operands swapped. */
static uint8_t icc_swap(uint8_t cc)
{
    static const uint8_t sw[ICC_COUNT] = {ICC_EQ, ICC_NE, ICC_GT_S, ICC_GT_U, ICC_LT_S,
                                          ICC_LT_U, ICC_GE_S, ICC_GE_U, ICC_LE_S, ICC_LE_U};
    return sw[cc];
}

/* The comparison that is true exactly when cc is false. */
static uint8_t icc_not(uint8_t cc)
{
    static const uint8_t inv[ICC_COUNT] = {ICC_NE, ICC_EQ, ICC_GE_S, ICC_GE_U, ICC_LE_S,
                                           ICC_LE_U, ICC_GT_S, ICC_GT_U, ICC_LT_S, ICC_LT_U};
    return inv[cc];
}

/* x op x. */
static bool same_operands(struct opt_fold *s, opt_val v, struct opt_insn *in)
{
    switch (in->op) {
    case OPT_SUB: case OPT_XOR: to_const(s, v, 0); return true;
    case OPT_AND: case OPT_OR: to_value(s, v, in->arg[0]); return true;
    case OPT_ICMP: {
        uint8_t cc = in->aux;
        to_const(s, v, cc == ICC_EQ || cc >= ICC_LE_S);
        return true;
    }
    default: return false;
    }
}

/* icmp eq/ne (icmp a b), 0: the comparison or its inverse. */
static bool compare_of_compare(struct opt_fold *s, opt_val v, struct opt_insn *in)
{
    struct opt_insn *x = &s->f->insn[in->arg[0]];
    if (x->op != OPT_ICMP || (in->aux != ICC_EQ && in->aux != ICC_NE))
        return false;
    if (in->aux == ICC_NE) {
        to_value(s, v, in->arg[0]);
        return true;
    }
    in->aux = icc_not(x->aux);
    in->arg[0] = x->arg[0];
    in->arg[1] = x->arg[1];
    s->changed++;
    return true;
}

/* (x op c1) op c2 = x op (c1 op c2) for the associative operations. */
static bool reassociate(struct opt_fold *s, opt_val v, uint64_t c2)
{
    const struct opt_insn *in = &s->f->insn[v], *x = &s->f->insn[in->arg[0]];
    uint64_t c1, c;
    bool assoc = in->op == OPT_ADD || in->op == OPT_MUL || in->op == OPT_AND ||
                 in->op == OPT_OR || in->op == OPT_XOR;
    if (!assoc || x->op != in->op || !konst(s->f, x->arg[1], &c1) ||
        !binary_eval(in->op, 0, c1, c2, width_of(in->type), &c))
        return false;
    opt_val inner = x->arg[0], k = new_const(s, in->type, c); /* may move insn[] */
    if (!k)
        return false;
    s->f->insn[v].arg[0] = inner;
    s->f->insn[v].arg[1] = k;
    s->changed++;
    return true;
}

/* Rewrites v as `op x, c` with a new constant c. */
static bool retarget(struct opt_fold *s, opt_val v, enum opt_op op, uint64_t c)
{
    opt_val k = new_const(s, s->f->insn[v].type, c); /* may move insn[] */
    if (!k)
        return false;
    s->f->insn[v].op = (uint8_t)op;
    s->f->insn[v].arg[1] = k;
    s->changed++;
    return true;
}

/* x op c with x not a constant. */
static bool right_constant(struct opt_fold *s, opt_val v, struct opt_insn *in, uint64_t c)
{
    uint64_t ones = mask_of(in->type);
    unsigned w = width_of(in->type);
    bool shift = in->op >= OPT_SHL && in->op <= OPT_ROTR;
    switch (in->op) {
    case OPT_ADD: case OPT_SUB: case OPT_OR: case OPT_XOR:
        if (c == 0 || (in->op == OPT_OR && c == ones)) {
            if (c == 0)
                to_value(s, v, in->arg[0]);
            else
                to_const(s, v, ones);
            return true;
        }
        return reassociate(s, v, c);
    case OPT_AND:
        if (c == 0 || c == ones) {
            if (c == 0)
                to_const(s, v, 0);
            else
                to_value(s, v, in->arg[0]);
            return true;
        }
        return reassociate(s, v, c);
    case OPT_MUL:
        if (c <= 1) {
            if (c == 0)
                to_const(s, v, 0);
            else
                to_value(s, v, in->arg[0]);
            return true;
        }
        if (is_pow2(c))
            return retarget(s, v, OPT_SHL, (uint64_t)__builtin_ctzll(c));
        return reassociate(s, v, c);
    case OPT_DIV_U: case OPT_DIV_S:
        if (c == 1) {
            to_value(s, v, in->arg[0]);
            return true;
        }
        return in->op == OPT_DIV_U && is_pow2(c) &&
               retarget(s, v, OPT_SHR_U, (uint64_t)__builtin_ctzll(c));
    case OPT_REM_U:
        return is_pow2(c) && retarget(s, v, OPT_AND, c - 1);
    case OPT_ICMP:
        return c == 0 && compare_of_compare(s, v, in);
    default:
        if (shift && (c & (w - 1)) == 0) {
            to_value(s, v, in->arg[0]);
            return true;
        }
        return false;
    }
}

/* A binary operation: constants on the right, then the rules. */
static bool binary(struct opt_fold *s, opt_val v, struct opt_insn *in)
{
    const struct opt_func *f = s->f;
    uint64_t a, b, r;
    bool ka = konst(f, in->arg[0], &a), kb = konst(f, in->arg[1], &b);
    if (ka && kb && binary_eval(in->op, in->aux, a, b, width_of(f->insn[in->arg[0]].type), &r)) {
        to_const(s, v, r);
        return true;
    }
    if (ka && !kb && ((opt_ops[in->op].flags & OF_COMM) || in->op == OPT_ICMP)) {
        opt_val t = in->arg[0];
        in->arg[0] = in->arg[1];
        in->arg[1] = t;
        if (in->op == OPT_ICMP)
            in->aux = icc_swap(in->aux);
        s->changed++;
        kb = true;
        b = a;
    }
    if (in->arg[0] == in->arg[1] && same_operands(s, v, in))
        return true;
    return kb && right_constant(s, v, in, b);
}

/* wrap(zext x) and wrap(sext.32 x) are x. */
static bool unary(struct opt_fold *s, opt_val v, struct opt_insn *in)
{
    uint64_t a, r;
    const struct opt_insn *x = &s->f->insn[in->arg[0]];
    if (konst(s->f, in->arg[0], &a) && unary_eval(in, a, width_of(x->type), &r)) {
        to_const(s, v, r);
        return true;
    }
    bool ext32 = x->op == OPT_ZEXT || (x->op == OPT_SEXT && x->aux == 32);
    if (in->op == OPT_WRAP && ext32 && s->f->insn[x->arg[0]].type == OPT_I32) {
        to_value(s, v, x->arg[0]);
        return true;
    }
    return false;
}

/* What folding looks at, per op: only integer operations (float ones are
 * left alone, see above), constants (to the entry block), trap checks and
 * selects; most instructions (memory, calls, phis, terminators) are none
 * of these and cost a look at this table (opt_fold_insn, inline). */
enum { FK_NONE, FK_CONST, FK_BINARY, FK_UNARY, FK_TRAP_IF, FK_SELECT };
const uint8_t opt_fold_kind[OPT_OP_COUNT] = {
    [OPT_ICONST] = FK_CONST, [OPT_FCONST] = FK_CONST,
    [OPT_ADD] = FK_BINARY, [OPT_SUB] = FK_BINARY, [OPT_MUL] = FK_BINARY,
    [OPT_AND] = FK_BINARY, [OPT_OR] = FK_BINARY, [OPT_XOR] = FK_BINARY,
    [OPT_SHL] = FK_BINARY, [OPT_SHR_S] = FK_BINARY, [OPT_SHR_U] = FK_BINARY,
    [OPT_ROTL] = FK_BINARY, [OPT_ROTR] = FK_BINARY, [OPT_DIV_S] = FK_BINARY,
    [OPT_DIV_U] = FK_BINARY, [OPT_REM_S] = FK_BINARY, [OPT_REM_U] = FK_BINARY,
    [OPT_ICMP] = FK_BINARY,
    [OPT_CLZ] = FK_UNARY, [OPT_CTZ] = FK_UNARY, [OPT_POPCNT] = FK_UNARY,
    [OPT_SEXT] = FK_UNARY, [OPT_ZEXT] = FK_UNARY, [OPT_WRAP] = FK_UNARY,
    [OPT_TRAP_IF] = FK_TRAP_IF, [OPT_SELECT] = FK_SELECT,
};

void opt_fold_kind_insn(struct opt_fold *s, opt_val v, uint8_t kind)
{
    struct opt_func *f = s->f;
    struct opt_insn *in = &f->insn[v];
    uint64_t c;
    switch (kind) {
    case FK_CONST:
        if (in->block)
            to_entry(s, v);
        return;
    case FK_BINARY:
        binary(s, v, in);
        return;
    case FK_UNARY:
        unary(s, v, in);
        return;
    case FK_TRAP_IF:
        if (konst(f, in->arg[0], &c) && !c) {
            opt_kill(f, v);
            s->changed++;
        }
        return;
    default: /* FK_SELECT, not of floats (NaN payloads) */
        if (opt_is_float(in->type))
            return;
        if (in->arg[1] == in->arg[2])
            to_value(s, v, in->arg[1]);
        else if (konst(f, in->arg[0], &c))
            to_value(s, v, c ? in->arg[1] : in->arg[2]);
        return;
    }
}

bool opt_pass_fold(struct opt_func *f, struct err *e)
{
    struct opt_fold s = {.f = f};
    const struct opt_domtree *t = opt_domtree(f, e);
    if (!t)
        return false;
    for (uint32_t i = 0; i < t->n; i++) {
        uint32_t b = t->pre[i];
        const struct opt_block *bl = &f->block[b];
        for (uint32_t k = 0; k < bl->ninsn; k++)
            if (opt_in_block(f, bl->insn[k], b)) {
                opt_resolve_args(f, bl->insn[k]);
                opt_fold_insn(&s, bl->insn[k]);
            }
    }
    if (!opt_fold_finish(&s))
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    if (s.changed)
        opt_resolve_phis(f);
    return true;
}
