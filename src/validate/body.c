/* The function-body walker: the validation algorithm of the spec's appendix
 * (an operand stack of types, a control stack of blocks, and the polymorphic
 * stack of dead code) run one instruction at a time. Each validated
 * instruction goes to the backend's insn hook with what the walker resolved
 * about it. The stacks live in a walker reused from function to function,
 * so walking allocates nothing per instruction. */
#include <pthread.h>
#include <string.h>

#include "validate.h"

/* For the few helpers of the per-instruction path used from several places,
 * which the compiler would otherwise call rather than inline. */
#define HOT static inline __attribute__((always_inline))

/* The type of a value popped from the polymorphic stack of dead code: it
 * matches anything. */
enum { VT_ANY = 0 };

/* Immediates the walker resolves itself (nothing, constants, labels, locals,
 * and for speed globals and memory accesses); the others go to
 * val_immediates. */
#define WALKER_IMMS                                                                        \
    ((1u << IMM_NONE) | (1u << IMM_LABEL) | (1u << IMM_BR_TABLE) | (1u << IMM_LOCAL) |     \
     (1u << IMM_I32) | (1u << IMM_I64) | (1u << IMM_F32) | (1u << IMM_F64) |               \
     (1u << IMM_V128) | (1u << IMM_GLOBAL) | (1u << IMM_MEMARG) | (1u << IMM_MEMARG_LANE))

struct ctl {
    const valtype *params, *results;
    uint32_t nparams, nresults;
    size_t height;    /* operand stack height below the block's params */
    enum op op;       /* OP_BLOCK (also the function body), OP_LOOP, OP_IF, OP_ELSE */
    bool unreachable; /* an unconditional branch came before, in this block */
    bool dead;        /* the block was opened in dead code */
};

struct walker {
    const struct module *m;
    struct err *e;
    struct val_func f;
    struct reader r;
    uint32_t at;             /* offset of the instruction being checked */
    VEC(valtype) vals;       /* the operand stack */
    VEC(struct ctl) ctls;    /* the control stack, innermost last */
    struct ctl *cur;         /* its innermost entry (NULL when empty) */
    VEC(valtype) locals;     /* parameters and locals of the function */
    uint8_t *declared;       /* C.refs as a bitmap, built at the first ref.func */
    /* Each function's type index, packed (val_functions only, else NULL):
     * a call's callee type read from m->funcs missed the cache often. */
    uint32_t *func_types;
};

/* An opcode's operand types from opcodes.h in a form the loop reads without
 * parsing letters: n params (at most 3), then the result (0: none). Built
 * once per process from dec_ops; all zero for the instructions the walker
 * types by hand. */
struct sig {
    uint8_t n;
    valtype p[3];
    valtype r;
    bool module_imm; /* immediates val_immediates checks */
    bool mem;        /* a load or store (mem_access checks it) */
};
static struct sig sigs[OP_COUNT];

/* How next_insn reads each one-byte opcode's immediates. */
enum form { F_SLOW, F_NONE, F_INDEX, F_I32, F_BLOCK, F_MEMARG };
static uint8_t forms[256];

/* The one-byte opcodes fast_step decodes and checks in one dispatch. */
enum fast { X_NO, X_SIG, X_LOCAL, X_GLOBAL, X_I32, X_MEM };
static uint8_t fasts[256];
static pthread_once_t sigs_once = PTHREAD_ONCE_INIT;

static enum form form_of(const struct op_info *oi)
{
    if (!oi->name)
        return F_SLOW;
    switch (oi->imm) {
    case IMM_NONE: return F_NONE;
    case IMM_LOCAL: case IMM_GLOBAL: case IMM_LABEL: case IMM_FUNC: return F_INDEX;
    case IMM_I32: return F_I32;
    case IMM_BLOCK: return F_BLOCK;
    case IMM_MEMARG: return F_MEMARG;
    default: return F_SLOW;
    }
}

static void sigs_init(void)
{
    for (unsigned op = 0; op < OP_COUNT; op++) {
        const struct op_info *oi = &dec_ops[op];
        struct sig *s = &sigs[op];
        s->module_imm = !((1u << oi->imm) & WALKER_IMMS);
        s->mem = oi->imm == IMM_MEMARG || oi->imm == IMM_MEMARG_LANE;
        if (!oi->params)
            continue;
        for (const char *c = oi->params; *c && s->n < 3; c++)
            s->p[s->n++] = dec_letter_type(*c);
        s->r = oi->results[0] ? dec_letter_type(oi->results[0]) : 0;
    }
    for (unsigned b = 0; b < 256; b++) {
        forms[b] = (uint8_t)form_of(&dec_ops[b]);
        bool typed = dec_ops[b].params != NULL;
        fasts[b] = forms[b] == F_NONE && typed ? X_SIG
                 : b == OP_LOCAL_GET || b == OP_LOCAL_SET || b == OP_LOCAL_TEE ? X_LOCAL
                 : b == OP_GLOBAL_GET || b == OP_GLOBAL_SET ? X_GLOBAL
                 : b == OP_I32_CONST ? X_I32
                 : forms[b] == F_MEMARG && typed ? X_MEM : X_NO;
    }
}

static bool fail(struct walker *w, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct walker *w, enum err_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(w->e, code, w->at, fmt, ap);
    va_end(ap);
    return false;
}

static bool nomem(struct walker *w) { return fail(w, ERR_NOMEM, "out of memory"); }

static inline struct ctl *top(struct walker *w) { return w->cur; }

static const char *type_name(valtype t) { return t == VT_ANY ? "a value" : dec_valtype_name(t); }

/* ---- the operand stack ---- */

static bool mismatch(struct walker *w, valtype want, valtype got)
{
    if (got == VT_ANY)
        return fail(w, ERR_INVALID, "type mismatch: expected %s but the stack is empty",
                    type_name(want));
    return fail(w, ERR_INVALID, "type mismatch: expected %s, found %s", type_name(want),
                dec_valtype_name(got));
}

/* Makes room for n more operands. Multi-value results let a few bytes of
 * code push up to 1000 values, so the height is capped to bound memory. */
static bool grow_vals(struct walker *w, uint32_t n)
{
    if (w->vals.len + n > VAL_LIMIT_OPERANDS)
        return fail(w, ERR_LIMIT, "operand stack deeper than %u values", VAL_LIMIT_OPERANDS);
    return vec_reserve(&w->vals, w->vals.len + n) || nomem(w);
}

HOT bool push(struct walker *w, valtype t)
{
    if (w->vals.len == w->vals.cap && !grow_vals(w, 1))
        return false;
    w->vals.data[w->vals.len++] = t;
    return true;
}

/* Pops one operand of type want (VT_ANY: any type) and returns its actual
 * type in *got, VT_ANY when it comes from the polymorphic stack. */
HOT bool pop(struct walker *w, valtype want, valtype *got)
{
    const struct ctl *c = top(w);
    if (w->vals.len == c->height) {
        *got = VT_ANY;
        return c->unreachable || mismatch(w, want, VT_ANY);
    }
    valtype t = w->vals.data[--w->vals.len];
    *got = t;
    return t == want || want == VT_ANY || t == VT_ANY || mismatch(w, want, t);
}

HOT bool pop_expect(struct walker *w, valtype want)
{
    valtype got;
    return pop(w, want, &got);
}

static inline bool pop_types(struct walker *w, const valtype *t, uint32_t n)
{
    while (n--)
        if (!pop_expect(w, t[n]))
            return false;
    return true;
}

static bool push_types(struct walker *w, const valtype *t, uint32_t n)
{
    if (n == 0)
        return true;
    if (w->vals.len + n > w->vals.cap && !grow_vals(w, n))
        return false;
    memcpy(w->vals.data + w->vals.len, t, n);
    w->vals.len += n;
    return true;
}

/* Checks that the top n operands have types t without popping them (the
 * spec's push_vals(pop_vals(t)), used for br_table's non-default targets). */
static bool peek_types(struct walker *w, const valtype *t, uint32_t n)
{
    const struct ctl *c = top(w);
    size_t avail = w->vals.len - c->height;
    for (uint32_t i = 0; i < n; i++) {
        valtype want = t[n - 1 - i];
        if (i >= avail)
            return c->unreachable || mismatch(w, want, VT_ANY);
        valtype got = w->vals.data[w->vals.len - 1 - i];
        if (got != want && got != VT_ANY)
            return mismatch(w, want, got);
    }
    return true;
}

/* The operand stack of an unconditional branch's block becomes polymorphic. */
static void set_unreachable(struct walker *w)
{
    struct ctl *c = top(w);
    w->vals.len = c->height;
    c->unreachable = true;
}

/* Types an instruction by its table signature ("ii" -> "i" and such). The
 * usual case, all operands there with exactly the types wanted, is checked
 * in one go; dead code and errors take the general path. */
HOT bool apply_sig(struct walker *w, const struct sig *s)
{
    size_t len = w->vals.len;
    if (len - w->cur->height >= s->n && (s->n > 0 || len < w->vals.cap)) {
        const valtype *top = w->vals.data + (len - s->n);
        if ((s->n < 1 || top[0] == s->p[0]) && (s->n < 2 || top[1] == s->p[1]) &&
            (s->n < 3 || top[2] == s->p[2])) {
            len -= s->n;
            if (s->r)
                w->vals.data[len++] = s->r;
            w->vals.len = len;
            return true;
        }
    }
    return pop_types(w, s->p, s->n) && (!s->r || push(w, s->r));
}

/* ---- blocks and branches ---- */

/* Opens a block whose params (already popped) and results are in vi. */
static bool push_ctl(struct walker *w, enum op op, const struct val_insn *vi)
{
    struct ctl *c = w->ctls.len < w->ctls.cap ? &w->ctls.data[w->ctls.len++] : vec_push(&w->ctls);
    if (!c)
        return nomem(w);
    w->cur = c;
    *c = (struct ctl){vi->params, vi->results, vi->nparams, vi->nresults, w->vals.len, op,
                      false, vi->unreachable};
    return push_types(w, vi->params, vi->nparams);
}

/* Checks that exactly the block's results are on its part of the stack. */
static bool end_block(struct walker *w, const struct ctl *c)
{
    if (!pop_types(w, c->results, c->nresults))
        return false;
    if (w->vals.len != c->height)
        return fail(w, ERR_INVALID, "type mismatch: %zu value(s) left on the stack at block end",
                    w->vals.len - c->height);
    return true;
}

static void describe_block(const struct ctl *c, struct val_insn *vi)
{
    vi->params = c->params;
    vi->nparams = c->nparams;
    vi->results = c->results;
    vi->nresults = c->nresults;
}

static bool do_else(struct walker *w, struct val_insn *vi)
{
    struct ctl *c = top(w);
    if (c->op != OP_IF)
        return fail(w, ERR_MALFORMED, "else without a matching if");
    describe_block(c, vi);
    if (!end_block(w, c))
        return false;
    c->op = OP_ELSE;
    c->unreachable = false;
    return push_types(w, c->params, c->nparams);
}

static bool do_end(struct walker *w, struct val_insn *vi)
{
    const struct ctl *c = top(w);
    describe_block(c, vi);
    if (!end_block(w, c))
        return false;
    /* Without else, the missing else arm passes the params through. */
    if (c->op == OP_IF && (c->nparams != c->nresults ||
                           (c->nparams && memcmp(c->params, c->results, c->nparams))))
        return fail(w, ERR_INVALID, "type mismatch: if without else must not change the stack");
    w->ctls.len--;
    w->cur = w->ctls.len ? &w->ctls.data[w->ctls.len - 1] : NULL;
    return w->ctls.len == 0 || push_types(w, vi->results, vi->nresults);
}

/* The label at depth (0: innermost) and the types a branch to it carries:
 * a loop's params, any other block's results. */
static bool label(struct walker *w, uint32_t depth, struct val_insn *vi)
{
    if (depth >= w->ctls.len)
        return fail(w, ERR_INVALID, "unknown label %u", depth);
    const struct ctl *c = &w->ctls.data[w->ctls.len - 1 - depth];
    bool loop = c->op == OP_LOOP;
    vi->params = loop ? c->params : c->results;
    vi->nparams = loop ? c->nparams : c->nresults;
    return true;
}

static bool do_br_table(struct walker *w, const struct insn *in, struct val_insn *vi)
{
    if (!pop_expect(w, VT_I32) || !label(w, in->imm.br_table.dflt, vi))
        return false;
    const uint8_t *p = in->imm.br_table.p;
    struct val_insn target;
    for (uint32_t i = 0; i < in->imm.br_table.count; i++) {
        if (!label(w, dec_br_table_next(&p), &target))
            return false;
        if (target.nparams != vi->nparams)
            return fail(w, ERR_INVALID, "type mismatch: br_table targets of different arity");
        if (!peek_types(w, target.params, target.nparams))
            return false;
    }
    if (!pop_types(w, vi->params, vi->nparams))
        return false;
    set_unreachable(w);
    return true;
}

/* Control instructions: vi holds the block or callee type val_immediates
 * resolved. */
static bool control(struct walker *w, const struct insn *in, struct val_insn *vi)
{
    switch (in->op) {
    case OP_UNREACHABLE:
        set_unreachable(w);
        return true;
    case OP_IF:
        if (!pop_expect(w, VT_I32))
            return false;
        /* fall through */
    case OP_BLOCK: case OP_LOOP:
        return pop_types(w, vi->params, vi->nparams) && push_ctl(w, in->op, vi);
    case OP_ELSE:
        return do_else(w, vi);
    case OP_END:
        return do_end(w, vi);
    case OP_BR:
        if (!label(w, in->imm.index, vi) || !pop_types(w, vi->params, vi->nparams))
            return false;
        set_unreachable(w);
        return true;
    case OP_BR_IF:
        return pop_expect(w, VT_I32) && label(w, in->imm.index, vi) &&
               pop_types(w, vi->params, vi->nparams) && push_types(w, vi->params, vi->nparams);
    case OP_BR_TABLE:
        return do_br_table(w, in, vi);
    case OP_RETURN:
        vi->params = ft_results(w->f.type);
        vi->nparams = w->f.type->nresults;
        if (!pop_types(w, vi->params, vi->nparams))
            return false;
        set_unreachable(w);
        return true;
    case OP_CALL_INDIRECT:
        if (!pop_expect(w, VT_I32))
            return false;
        /* fall through */
    case OP_CALL:
        return pop_types(w, vi->params, vi->nparams) && push_types(w, vi->results, vi->nresults);
    default:
        return false;
    }
}

/* ---- operands, variables, tables and references ---- */

static bool is_num_or_any(valtype t) { return t == VT_ANY || (t >= VT_F64 && t <= VT_I32); }
static bool is_vec_or_any(valtype t) { return t == VT_ANY || t == VT_V128; }

/* Untyped select: both operands numeric or both vectors, and equal. */
static bool do_select(struct walker *w, struct val_insn *vi)
{
    valtype t1, t2;
    if (!pop_expect(w, VT_I32) || !pop(w, VT_ANY, &t1) || !pop(w, VT_ANY, &t2))
        return false;
    if (!(is_num_or_any(t1) && is_num_or_any(t2)) && !(is_vec_or_any(t1) && is_vec_or_any(t2)))
        return fail(w, ERR_INVALID, "type mismatch: select without a type needs numeric or "
                                    "vector operands");
    if (t1 != t2 && t1 != VT_ANY && t2 != VT_ANY)
        return mismatch(w, t2, t1);
    vi->type = t1 == VT_ANY ? t2 : t1;
    return push(w, vi->type);
}

HOT bool do_local(struct walker *w, const struct insn *in, struct val_insn *vi)
{
    if (in->imm.index >= w->f.nlocals)
        return fail(w, ERR_INVALID, "unknown local %u", in->imm.index);
    vi->type = w->f.local_types[in->imm.index];
    if (in->op == OP_LOCAL_GET)
        return push(w, vi->type);
    if (!pop_expect(w, vi->type))
        return false;
    return in->op == OP_LOCAL_SET || push(w, vi->type);
}

HOT bool do_global(struct walker *w, const struct insn *in, struct val_insn *vi)
{
    uint32_t g = in->imm.index;
    if (g >= w->m->nglobals)
        return fail(w, ERR_INVALID, "unknown global %u", g);
    vi->type = w->m->globals[g].type.type;
    if (in->op == OP_GLOBAL_GET)
        return push(w, vi->type);
    if (!w->m->globals[g].type.mut)
        return fail(w, ERR_INVALID, "global is immutable");
    return pop_expect(w, vi->type);
}

/* A load or store: memory 0 exists, the alignment is at most the natural
 * one (the opcode's aux), and a lane access's lane is in range. */
HOT bool mem_access(struct walker *w, const struct insn *in)
{
    uint8_t natural = dec_ops[in->op].aux;
    if (w->m->nmems == 0)
        return fail(w, ERR_INVALID, "unknown memory 0");
    if (in->imm.mem.m.align > natural)
        return fail(w, ERR_INVALID, "alignment must not be larger than natural");
    if (dec_ops[in->op].imm == IMM_MEMARG_LANE && in->imm.mem.lane >= 16u >> natural)
        return fail(w, ERR_INVALID, "invalid lane index");
    return true;
}

static bool do_ref_func(struct walker *w, uint32_t f)
{
    if (!w->declared && !(w->declared = val_declared_funcs(w->m, w->e)))
        return false;
    if (!(w->declared[f >> 3] & (1u << (f & 7))))
        return fail(w, ERR_INVALID, "undeclared function reference %u", f);
    return push(w, VT_FUNCREF);
}

static bool do_ref_is_null(struct walker *w, struct val_insn *vi)
{
    valtype t;
    if (!pop(w, VT_ANY, &t))
        return false;
    if (t != VT_ANY && !dec_is_reftype(t))
        return fail(w, ERR_INVALID, "type mismatch: ref.is_null of %s", dec_valtype_name(t));
    vi->type = t == VT_ANY ? VT_FUNCREF : t;
    return push(w, VT_I32);
}

/* block, loop or if without params or results: no immediate to resolve
 * (most blocks; val_immediates would find nothing to do). */
static inline bool empty_block(const struct insn *in)
{
    return in->op >= OP_BLOCK && in->op <= OP_IF && in->imm.block.kind == BT_EMPTY;
}

/* One instruction, in a single switch on the opcode. Instructions the
 * opcode table types go by their signature; for the others vi->type holds
 * the variable, table or reference type val_immediates resolved. */
static bool step(struct walker *w, const struct insn *in, struct val_insn *vi)
{
    const struct sig *sig = &sigs[in->op];
    if (in->op == OP_CALL && w->func_types && in->imm.index < w->m->nfuncs) {
        val_set_type(vi, &w->m->types[w->func_types[in->imm.index]]);
    } else if (sig->module_imm && !empty_block(in) && !val_immediates(w->m, in, vi, w->e)) {
        return false;
    }
    valtype t = vi->type;
    switch (in->op) {
    case OP_UNREACHABLE: case OP_BLOCK: case OP_LOOP: case OP_IF: case OP_ELSE: case OP_END:
    case OP_BR: case OP_BR_IF: case OP_BR_TABLE: case OP_RETURN: case OP_CALL:
    case OP_CALL_INDIRECT:
        return control(w, in, vi);
    case OP_DROP:
        return pop(w, VT_ANY, &vi->type);
    case OP_SELECT:
        return do_select(w, vi);
    case OP_SELECT_T:
        return pop_expect(w, VT_I32) && pop_expect(w, t) && pop_expect(w, t) && push(w, t);
    case OP_LOCAL_GET: case OP_LOCAL_SET: case OP_LOCAL_TEE:
        return do_local(w, in, vi);
    case OP_GLOBAL_GET: case OP_GLOBAL_SET:
        return do_global(w, in, vi);
    case OP_REF_NULL:
        return push(w, t);
    case OP_TABLE_GET:
        return pop_expect(w, VT_I32) && push(w, t);
    case OP_TABLE_SET:
        return pop_expect(w, t) && pop_expect(w, VT_I32);
    case OP_TABLE_GROW:
        return pop_expect(w, VT_I32) && pop_expect(w, t) && push(w, VT_I32);
    case OP_TABLE_FILL:
        return pop_expect(w, VT_I32) && pop_expect(w, t) && pop_expect(w, VT_I32);
    case OP_REF_IS_NULL:
        return do_ref_is_null(w, vi);
    case OP_REF_FUNC:
        return do_ref_func(w, in->imm.index);
    default:
        if (sig->mem && !mem_access(w, in))
            return false;
        return apply_sig(w, sig);
    }
}

/* ---- the walk ---- */

static bool expand_locals(struct walker *w, const struct func *fn, const struct functype *t)
{
    if (fn->nlocals > LIMIT_LOCALS)
        return err_set(w->e, ERR_LIMIT, fn->body_offset, "too many locals (%llu, at most %u)",
                       (unsigned long long)fn->nlocals, LIMIT_LOCALS);
    size_t n = t->nparams + (size_t)fn->nlocals;
    if (!vec_reserve(&w->locals, n ? n : 1))
        return err_set(w->e, ERR_NOMEM, fn->body_offset, "out of memory");
    memcpy(w->locals.data, ft_params(t), t->nparams);
    size_t k = t->nparams;
    for (uint32_t i = 0; i < fn->nlocal_decls; i++) {
        memset(w->locals.data + k, fn->local_decls[i].type, fn->local_decls[i].count);
        k += fn->local_decls[i].count;
    }
    w->f.nlocals = (uint32_t)n;
    w->f.local_types = w->locals.data;
    return true;
}

/* Reads a LEB128 of at most 4 bytes (28 bits, so it cannot overflow) at
 * p; returns its length, or 0 when longer (dec_insn then reads it). */
static inline int short_leb(const uint8_t *p, uint32_t *v)
{
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        x |= (uint32_t)(p[i] & 0x7f) << (7 * i);
        if (p[i] < 0x80) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* Decodes the next instruction. The most frequent forms (a one-byte opcode
 * whose immediates are absent or short LEB128s) are read here, which
 * doubles the speed of the loop; everything else, and every error, goes to
 * dec_insn. */
static inline bool next_insn(struct reader *r, struct insn *in)
{
    const uint8_t *p = r->p;
    if (r->end - p < 9)
        return dec_insn(r, in);
    in->op = *p;
    in->offset = (uint32_t)(p - r->base);
    int n = 0, n2;
    switch ((enum form)forms[*p]) {
    case F_NONE:
        n = 1;
        break;
    case F_INDEX:
        n = short_leb(p + 1, &in->imm.index);
        n = n ? n + 1 : 0;
        break;
    case F_I32: /* sign-extend from the last byte's top bit */
        n = short_leb(p + 1, (uint32_t *)&in->imm.i32);
        if (n)
            in->imm.i32 = (int32_t)((uint32_t)in->imm.i32 << (32 - 7 * n)) >> (32 - 7 * n);
        n = n ? n + 1 : 0;
        break;
    case F_BLOCK:
        if (p[1] == 0x40 || dec_is_valtype(p[1])) {
            in->imm.block.kind = p[1] == 0x40 ? BT_EMPTY : BT_VALUE;
            in->imm.block.value = p[1];
            n = 2;
        }
        break;
    case F_MEMARG:
        n = short_leb(p + 1, &in->imm.mem.m.align);
        n2 = n ? short_leb(p + 1 + n, &in->imm.mem.m.offset) : 0;
        n = n2 ? n + n2 + 1 : 0;
        break;
    case F_SLOW:
        break;
    }
    if (!n)
        return dec_insn(r, in);
    r->p = p + n;
    return true;
}

/* Takes the n-byte instruction at the reader as the current one. */
static inline void take(struct walker *w, struct insn *in, int n)
{
    in->op = *w->r.p;
    in->offset = w->at = (uint32_t)(w->r.p - w->r.base);
    w->r.p += n;
}

/* Decodes and checks, in one dispatch, the most frequent instructions
 * (numeric operators, locals, globals, i32.const, loads and stores) when
 * their immediates are short, with the same checks step makes. Returns
 * false, leaving everything as it was, for any other instruction; else
 * *ok holds the verdict. */
static inline bool fast_step(struct walker *w, struct insn *in, struct val_insn *vi, bool *ok)
{
    const uint8_t *p = w->r.p;
    int n, n2;
    if (w->r.end - p < 9)
        return false;
    switch ((enum fast)fasts[*p]) {
    case X_SIG:
        take(w, in, 1);
        *ok = apply_sig(w, &sigs[in->op]);
        return true;
    case X_LOCAL: case X_GLOBAL:
        if (!(n = short_leb(p + 1, &in->imm.index)))
            return false;
        take(w, in, n + 1);
        *ok = fasts[*p] == X_LOCAL ? do_local(w, in, vi) : do_global(w, in, vi);
        return true;
    case X_I32:
        if (!(n = short_leb(p + 1, (uint32_t *)&in->imm.i32)))
            return false;
        in->imm.i32 = (int32_t)((uint32_t)in->imm.i32 << (32 - 7 * n)) >> (32 - 7 * n);
        take(w, in, n + 1);
        *ok = push(w, VT_I32);
        return true;
    case X_MEM:
        if (!(n = short_leb(p + 1, &in->imm.mem.m.align)) ||
            !(n2 = short_leb(p + 1 + n, &in->imm.mem.m.offset)))
            return false;
        take(w, in, n + n2 + 1);
        *ok = mem_access(w, in) && apply_sig(w, &sigs[in->op]);
        return true;
    case X_NO:
        break;
    }
    return false;
}

/* Walks the body until the end that closes the function's own block. */
static bool walk_body(struct walker *w, const struct val_hooks *h, void *ctx)
{
    const struct func *fn = &w->m->funcs[w->f.index];
    /* vi is cleared once, then only where an instruction set it: the fast
     * paths set type alone, step anything (cleared after it). */
    struct insn in;
    struct val_insn vi = {.in = &in};
    bool (*insn)(void *, const struct val_insn *) = h ? h->insn : NULL;
    while (w->ctls.len) {
        if (w->r.p >= w->r.end)
            return err_set(w->e, ERR_MALFORMED, (size_t)(w->r.p - w->m->bytes),
                           "END opcode expected");
        const struct ctl *c = top(w);
        vi.unreachable = c->unreachable | c->dead;
        vi.type = 0;
        bool ok;
        if (fast_step(w, &in, &vi, &ok)) {
            if (!ok || (insn && !insn(ctx, &vi)))
                return false;
            continue;
        }
        if (!next_insn(&w->r, &in))
            return false;
        w->at = in.offset;
        if (!step(w, &in, &vi) || (insn && !insn(ctx, &vi)))
            return false;
        vi = (struct val_insn){.in = &in};
    }
    if (w->r.p != fn->code_end)
        return err_set(w->e, ERR_MALFORMED, (size_t)(w->r.p - w->m->bytes),
                       "trailing bytes after the function's final end");
    return true;
}

/* The spec decodes a whole body before typing it, so a body that is both
 * ill-typed and malformed further on is malformed. The walker types as it
 * decodes; when it finds a typing error it decodes the rest here, and a
 * malformation found replaces the typing error. Only error paths pay. */
static void prefer_malformed(struct walker *w, const struct func *fn)
{
    struct err typing = *w->e, scan;
    err_clear(&scan);
    struct reader r = {w->m->bytes, fn->code, fn->code_end, &scan};
    uint32_t depth = 0;
    struct insn in;
    while (err_ok(&scan)) {
        if (rd_done(&r)) {
            rd_fail(&r, "END opcode expected");
            break;
        }
        if (!dec_insn(&r, &in))
            break;
        if ((in.op == OP_MEMORY_INIT || in.op == OP_DATA_DROP) && !w->m->has_data_count)
            err_set(&scan, ERR_MALFORMED, in.offset, "data count section required");
        else if (in.op == OP_BLOCK || in.op == OP_LOOP || in.op == OP_IF)
            depth++;
        else if (in.op == OP_END && depth-- == 0) {
            if (r.p != fn->code_end)
                rd_fail(&r, "trailing bytes after the function's final end");
            break;
        }
    }
    *w->e = err_ok(&scan) ? typing : scan;
}

static bool walk(struct walker *w, uint32_t func, const struct val_hooks *h, void *ctx)
{
    const struct module *m = w->m;
    const struct func *fn = &m->funcs[func];
    const struct functype *t = dec_func_type(m, func);
    w->f = (struct val_func){.m = m, .index = func, .type = t};
    w->vals.len = w->ctls.len = 0;
    bool ok = expand_locals(w, fn, t);
    struct ctl *c = ok ? w->cur = vec_push(&w->ctls) : NULL;
    if (ok && !c)
        ok = err_set(w->e, ERR_NOMEM, fn->body_offset, "out of memory");
    if (ok) {
        *c = (struct ctl){ft_params(t), ft_results(t), t->nparams, t->nresults, 0, OP_BLOCK,
                          false, false};
        w->r = (struct reader){m->bytes, fn->code, fn->code_end, w->e};
        ok = (!h || !h->begin || h->begin(ctx, &w->f)) && walk_body(w, h, ctx) &&
             (!h || !h->end || h->end(ctx, &w->f));
        if (!ok && w->e->code == ERR_INVALID)
            prefer_malformed(w, fn);
    }
    if (!ok && w->e->func == NO_FUNC)
        w->e->func = func;
    return ok;
}

static void walker_free(struct walker *w)
{
    vec_free(&w->vals);
    vec_free(&w->ctls);
    vec_free(&w->locals);
    free(w->declared);
    free(w->func_types);
}

bool val_function(const struct module *m, uint32_t func, const struct val_hooks *hooks,
                  void *ctx, struct err *e)
{
    pthread_once(&sigs_once, sigs_init);
    if (func < m->nfunc_imports || func >= m->nfuncs)
        return err_set(e, ERR_ARG, NO_OFFSET, "function %u is not a defined function", func);
    struct walker w = {.m = m, .e = e};
    bool ok = walk(&w, func, hooks, ctx);
    walker_free(&w);
    return ok;
}

bool val_functions(const struct module *m, const struct val_hooks *hooks, void *ctx,
                   struct err *e)
{
    pthread_once(&sigs_once, sigs_init);
    struct walker w = {.m = m, .e = e};
    /* Without memory the calls take the slower path. */
    if ((w.func_types = malloc(sizeof *w.func_types * (m->nfuncs ? m->nfuncs : 1))))
        for (uint32_t f = 0; f < m->nfuncs; f++)
            w.func_types[f] = m->funcs[f].type;
    bool ok = true;
    for (uint32_t f = m->nfunc_imports; ok && f < m->nfuncs; f++)
        ok = walk(&w, f, hooks, ctx);
    walker_free(&w);
    return ok;
}

bool val_module(const struct module *m, struct err *e)
{
    return val_module_header(m, e) && val_functions(m, NULL, NULL, e);
}
