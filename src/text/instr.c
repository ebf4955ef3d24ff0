/* Instructions: plain, structured (block/loop/if, flat or folded) and folded
 * expressions. Opcodes and immediate kinds come from the one opcode list.
 *
 * A folded instruction `(op imm* child*)` means `child* op imm*`: its opcode
 * and immediates are written first to p->scratch, used as a stack, and
 * copied to the output once the children are done. */
#include <string.h>

#include "text.h"

void tp_emit_op(struct buf *out, int op)
{
    if (op < 0x100) {
        buf_byte(out, (uint8_t)op);
        return;
    }
    buf_byte(out, op < 0x200 ? 0xFC : 0xFD);
    buf_u32leb(out, (uint32_t)op & 0xFF);
}

/* ---- numbers ---- */

static bool num_fail(struct txt_parser *p, const struct txt_tok *t, enum txt_num r)
{
    return tp_fail(p, t, r == TXT_NUM_RANGE ? "constant out of range" : "unexpected token");
}

bool tp_int(struct txt_parser *p, unsigned bits, uint64_t *out)
{
    const struct txt_tok *t = tp_peek(p, 0);
    enum txt_num r = t->kind == TK_NUM ? txt_int(p->src + t->off, t->len, bits, out)
                                       : TXT_NUM_SYNTAX;
    if (r != TXT_NUM_OK)
        return num_fail(p, t, r);
    p->pos++;
    return true;
}

bool tp_float(struct txt_parser *p, bool f64, uint64_t *out)
{
    const struct txt_tok *t = tp_peek(p, 0);
    enum txt_num r = TXT_NUM_SYNTAX;
    if (t->kind == TK_NUM || t->kind == TK_KEYWORD) {
        uint32_t bits32;
        r = f64 ? txt_f64(p->src + t->off, t->len, out)
                : txt_f32(p->src + t->off, t->len, &bits32);
        if (!f64)
            *out = bits32;
    }
    if (r != TXT_NUM_OK)
        return num_fail(p, t, r);
    p->pos++;
    return true;
}

static const struct {
    const char *name;
    uint8_t lanes, bits;
} shapes[] = {
    [TXT_I8X16] = {"i8x16", 16, 8}, [TXT_I16X8] = {"i16x8", 8, 16},
    [TXT_I32X4] = {"i32x4", 4, 32}, [TXT_I64X2] = {"i64x2", 2, 64},
    [TXT_F32X4] = {"f32x4", 4, 32}, [TXT_F64X2] = {"f64x2", 2, 64},
};

bool tp_shape(struct txt_parser *p, enum txt_shape *out, uint32_t *lanes)
{
    for (size_t i = 0; i < ARRAY_LEN(shapes); i++) {
        if (tp_keyword(p, shapes[i].name)) {
            *out = (enum txt_shape)i;
            *lanes = shapes[i].lanes;
            return true;
        }
    }
    return tp_fail(p, tp_peek(p, 0), "unexpected token");
}

bool tp_lane(struct txt_parser *p, enum txt_shape shape, uint32_t lane, uint8_t v128[16])
{
    uint64_t v;
    unsigned bits = shapes[shape].bits;
    bool ok = shape >= TXT_F32X4 ? tp_float(p, bits == 64, &v) : tp_int(p, bits, &v);
    for (unsigned i = 0; ok && i < bits / 8; i++)
        v128[lane * bits / 8 + i] = (uint8_t)(v >> (8 * i));
    return ok;
}

static bool v128_const(struct txt_parser *p, struct buf *out)
{
    enum txt_shape shape;
    uint32_t lanes;
    uint8_t v[16];
    if (!tp_shape(p, &shape, &lanes))
        return false;
    for (uint32_t i = 0; i < lanes; i++)
        if (!tp_lane(p, shape, i, v))
            return false;
    buf_bytes(out, v, 16);
    return true;
}

/* ---- indices ---- */

static bool label_index(struct txt_parser *p, uint32_t *out)
{
    const struct txt_tok *t = tp_peek(p, 0);
    if (t->kind != TK_ID)
        return tp_nat32(p, out);
    for (size_t i = p->labels.len; i-- > 0;) {
        const struct txt_label *l = &p->labels.data[i];
        if (l->name && l->len == t->len && !memcmp(l->name, p->src + t->off, t->len)) {
            *out = (uint32_t)(p->labels.len - 1 - i);
            p->pos++;
            return true;
        }
    }
    return tp_fail(p, t, "unknown label");
}

static bool local_index(struct txt_parser *p, uint32_t *out)
{
    const struct txt_tok *t = tp_peek(p, 0);
    if (t->kind != TK_ID)
        return tp_nat32(p, out);
    if (!txt_sym_find(&p->locals, p->src + t->off, t->len, out))
        return tp_fail(p, t, "unknown local");
    p->pos++;
    return true;
}

/* Reads an index of space sp and writes it. */
static bool put_index(struct txt_parser *p, enum txt_space sp, struct buf *out)
{
    uint32_t x;
    if (!tp_index(p, sp, &x))
        return false;
    buf_u32leb(out, x);
    return true;
}

/* An optional table index (0 when absent). */
static bool opt_table(struct txt_parser *p, struct buf *out)
{
    if (tp_at_index(p))
        return put_index(p, NS_TABLE, out);
    buf_byte(out, 0);
    return true;
}

/* ---- immediates ---- */

/* The number after `key=` in a keyword like offset=16. */
static bool memarg_field(struct txt_parser *p, const char *key, uint32_t *out)
{
    const struct txt_tok *t = tp_peek(p, 0);
    size_t n = strlen(key);
    if (t->kind != TK_KEYWORD || t->len <= n || memcmp(p->src + t->off, key, n))
        return false;
    enum txt_num r = txt_nat32(p->src + t->off + n, t->len - n, out);
    if (r != TXT_NUM_OK)
        return num_fail(p, t, r);
    p->pos++;
    return true;
}

static bool memarg(struct txt_parser *p, unsigned natural, struct buf *out)
{
    uint32_t offset = 0, align = 1u << natural;
    const struct txt_tok *t;
    if (!memarg_field(p, "offset=", &offset) && !err_ok(p->err))
        return false;
    t = tp_peek(p, 0);
    if (!memarg_field(p, "align=", &align) && !err_ok(p->err))
        return false;
    if (align == 0 || (align & (align - 1)))
        return tp_fail(p, t, "alignment must be a power of two");
    buf_u32leb(out, (uint32_t)__builtin_ctz(align));
    buf_u32leb(out, offset);
    return true;
}

static bool lane_index(struct txt_parser *p, struct buf *out)
{
    const struct txt_tok *t = tp_peek(p, 0);
    uint32_t lane;
    if (!tp_nat32(p, &lane))
        return false;
    if (lane > 255)
        return tp_fail(p, t, "malformed lane index");
    buf_byte(out, (uint8_t)lane);
    return true;
}

/* Tokens are counted first so the vector's length can be written before
 * its elements without a temporary buffer. */
static bool br_table(struct txt_parser *p, struct buf *out)
{
    uint32_t n = 0, depth;
    while (tp_peek(p, n)->kind == TK_ID || tp_peek(p, n)->kind == TK_NUM)
        n++;
    if (n == 0)
        return tp_fail(p, tp_peek(p, 0), "unexpected token");
    buf_u32leb(out, n - 1);
    for (uint32_t i = 0; i < n; i++) {
        if (!label_index(p, &depth))
            return false;
        buf_u32leb(out, depth);
    }
    return true;
}

/* select with (result t*) becomes the typed select. */
static bool select_op(struct txt_parser *p, struct buf *out)
{
    if (!tp_at_open(p, "result")) {
        tp_emit_op(out, OP_SELECT);
        return true;
    }
    uint32_t n = 0, i = 0;
    for (; tp_peek(p, i)->kind == TK_LPAR && txt_tok_is(p->src, tp_peek(p, i + 1), "result"); i++)
        for (i += 2; tp_peek(p, i)->kind == TK_KEYWORD; i++)
            n++;
    tp_emit_op(out, OP_SELECT_T);
    buf_u32leb(out, n);
    while (tp_open(p, "result")) {
        for (valtype t; tp_peek(p, 0)->kind != TK_RPAR;) {
            if (!tp_valtype(p, &t))
                return false;
            buf_byte(out, t);
        }
        p->pos++;
    }
    return true;
}

/* table.init: `elem` alone or `table elem`; binary order is elem, table. */
static bool table_init(struct txt_parser *p, struct buf *out)
{
    uint32_t table = 0, elem;
    if (tp_at_index(p) && (tp_peek(p, 1)->kind == TK_ID || tp_peek(p, 1)->kind == TK_NUM)) {
        if (!tp_index(p, NS_TABLE, &table))
            return false;
    }
    if (!tp_index(p, NS_ELEM, &elem))
        return false;
    buf_u32leb(out, elem);
    buf_u32leb(out, table);
    return true;
}

static bool table_copy(struct txt_parser *p, struct buf *out)
{
    if (!tp_at_index(p)) {
        buf_bytes(out, "\0\0", 2);
        return true;
    }
    return put_index(p, NS_TABLE, out) && put_index(p, NS_TABLE, out);
}

/* i32/i64 literals (signed LEB) and f32/f64 literals (raw bits). */
static bool const_imm(struct txt_parser *p, enum imm_kind k, struct buf *out)
{
    uint64_t v;
    bool is_float = k == IMM_F32 || k == IMM_F64, wide = k == IMM_I64 || k == IMM_F64;
    if (!(is_float ? tp_float(p, wide, &v) : tp_int(p, wide ? 64 : 32, &v)))
        return false;
    if (is_float && wide)
        buf_u64le(out, v);
    else if (is_float)
        buf_u32le(out, (uint32_t)v);
    else if (wide)
        buf_s64leb(out, (int64_t)v);
    else
        buf_s32leb(out, (int32_t)(uint32_t)v);
    return true;
}

static bool call_indirect(struct txt_parser *p, struct buf *out)
{
    uint32_t table = 0, type;
    if (tp_at_index(p) && !tp_index(p, NS_TABLE, &table))
        return false;
    if (!tp_typeuse(p, false, &type))
        return false;
    buf_u32leb(out, type);
    buf_u32leb(out, table);
    return true;
}

static bool ref_null(struct txt_parser *p, struct buf *out)
{
    if (tp_keyword(p, "func"))
        buf_byte(out, VT_FUNCREF);
    else if (tp_keyword(p, "extern"))
        buf_byte(out, VT_EXTERNREF);
    else
        return tp_fail(p, tp_peek(p, 0), "unexpected token");
    return true;
}

/* A plain instruction's immediates (its opcode already written). */
static bool immediates(struct txt_parser *p, int op, struct buf *out)
{
    uint32_t x;
    switch (dec_ops[op].imm) {
    case IMM_NONE: return true;
    case IMM_LABEL:
        if (!label_index(p, &x))
            return false;
        buf_u32leb(out, x);
        return true;
    case IMM_BR_TABLE: return br_table(p, out);
    case IMM_FUNC: return put_index(p, NS_FUNC, out);
    case IMM_CALL_INDIRECT: return call_indirect(p, out);
    case IMM_LOCAL:
        if (!local_index(p, &x))
            return false;
        buf_u32leb(out, x);
        return true;
    case IMM_GLOBAL: return put_index(p, NS_GLOBAL, out);
    case IMM_TABLE: return opt_table(p, out);
    case IMM_MEMARG: return memarg(p, dec_ops[op].aux, out);
    case IMM_MEMARG_LANE: return memarg(p, dec_ops[op].aux, out) && lane_index(p, out);
    case IMM_MEMIDX: buf_byte(out, 0); return true;
    case IMM_I32: case IMM_I64: case IMM_F32: case IMM_F64: return const_imm(p, dec_ops[op].imm, out);
    case IMM_V128: return v128_const(p, out);
    case IMM_LANE: return lane_index(p, out);
    case IMM_SHUFFLE:
        for (int i = 0; i < 16; i++)
            if (!lane_index(p, out))
                return false;
        return true;
    case IMM_REFTYPE: return ref_null(p, out);
    case IMM_MEMORY_INIT:
        p->uses_data_count = true;
        if (!put_index(p, NS_DATA, out))
            return false;
        buf_byte(out, 0);
        return true;
    case IMM_DATA: p->uses_data_count = true; return put_index(p, NS_DATA, out);
    case IMM_MEMORY_COPY: buf_bytes(out, "\0\0", 2); return true;
    case IMM_TABLE_INIT: return table_init(p, out);
    case IMM_ELEM: return put_index(p, NS_ELEM, out);
    case IMM_TABLE_COPY: return table_copy(p, out);
    case IMM_BLOCK: case IMM_SELECT_T: break; /* handled by the callers */
    }
    return tp_fail(p, tp_peek(p, 0), "unexpected token");
}

/* A plain (non-structured) instruction named by keyword op. */
static bool plain(struct txt_parser *p, int op, struct buf *out)
{
    if (op == OP_SELECT)
        return select_op(p, out);
    tp_emit_op(out, op);
    return immediates(p, op, out);
}

/* Reads the instruction keyword; returns its opcode or -1 after an error. */
static int op_keyword(struct txt_parser *p)
{
    const struct txt_tok *t = tp_peek(p, 0);
    int op = t->kind == TK_KEYWORD ? txt_op_lookup(p->src + t->off, t->len) : -1;
    if (op < 0 || op == OP_ELSE || op == OP_END) {
        tp_fail(p, t, t->kind == TK_KEYWORD ? "unknown operator %.*s" : "unexpected token",
                (int)t->len, p->src + t->off);
        return -1;
    }
    p->pos++;
    return op;
}

/* ---- structured instructions ---- */

static bool push_label(struct txt_parser *p, const char *name, uint32_t len)
{
    struct txt_label *l = vec_push(&p->labels);
    if (!l)
        return tp_oom(p);
    *l = (struct txt_label){.name = name, .len = len};
    return true;
}

/* `end $id` / `else $id`: the id must repeat the block's label. */
static bool closing_id(struct txt_parser *p)
{
    const struct txt_tok *t = tp_peek(p, 0);
    if (t->kind != TK_ID)
        return true;
    const struct txt_label *l = &p->labels.data[p->labels.len - 1];
    if (!l->name || l->len != t->len || memcmp(l->name, p->src + t->off, t->len))
        return tp_fail(p, t, "mismatching label");
    p->pos++;
    return true;
}

/* block/loop/if label? blocktype: writes the opcode and block type to head
 * and pushes the label (after the head: folded if conditions come between). */
static bool block_head(struct txt_parser *p, int op, struct buf *head, const char **name,
                       uint32_t *len)
{
    tp_emit_op(head, op);
    tp_opt_id(p, name, len);
    return tp_blocktype(p, head);
}

/* The else arm of a folded if. An empty arm is left out, as the reference
 * interpreter and wabt do. */
static bool else_arm(struct txt_parser *p, struct buf *out)
{
    size_t mark = out->len;
    buf_byte(out, OP_ELSE);
    if (!tp_instrs(p, out) || !tp_close(p))
        return false;
    if (out->len == mark + 1)
        out->len = mark;
    return true;
}

/* Flat blocks are parsed in tp_instrs' loop, not recursively, so real code
 * with thousands of nested blocks is fine: the label stack tracks them. */
static bool open_flat(struct txt_parser *p, int op, struct buf *out)
{
    const char *name;
    uint32_t len;
    if (!block_head(p, op, out, &name, &len) || !push_label(p, name, len))
        return false;
    p->labels.data[p->labels.len - 1].op = op;
    return true;
}

/* `else` of the innermost flat block, which must be an if without one. */
static bool flat_else(struct txt_parser *p, struct buf *out)
{
    struct txt_label *l = &p->labels.data[p->labels.len - 1];
    if (l->op != OP_IF || l->else_at)
        return tp_fail(p, tp_peek(p, 0), "unexpected token");
    p->pos++;
    l->else_at = out->len + 1;
    buf_byte(out, OP_ELSE);
    return closing_id(p);
}

static bool flat_end(struct txt_parser *p, struct buf *out)
{
    const struct txt_label *l = &p->labels.data[p->labels.len - 1];
    p->pos++;
    if (!closing_id(p))
        return false;
    if (l->else_at && out->len == l->else_at) /* empty else arm */
        out->len = l->else_at - 1;
    buf_byte(out, OP_END);
    p->labels.len--;
    return true;
}

/* Folded instructions are parsed recursively: their depth is bounded so
 * that hostile input cannot overflow the stack. */
enum { MAX_NESTING = 5000 };

static bool folded_inner(struct txt_parser *p, struct buf *out);

static bool folded(struct txt_parser *p, struct buf *out)
{
    if (++p->depth > MAX_NESTING) {
        p->depth--;
        return err_set(p->err, ERR_LIMIT, tp_peek(p, 0)->off, "instructions nested too deeply");
    }
    bool ok = folded_inner(p, out);
    p->depth--;
    return ok;
}

/* (if label? bt cond* (then instr*) (else instr*)?) after "if". */
static bool folded_if(struct txt_parser *p, struct buf *out)
{
    size_t mark = p->scratch.len;
    const char *name;
    uint32_t len;
    if (!block_head(p, OP_IF, &p->scratch, &name, &len))
        return false;
    size_t head_end = p->scratch.len;
    while (tp_peek(p, 0)->kind == TK_LPAR && !tp_at_open(p, "then"))
        if (!folded(p, out))
            return false;
    buf_bytes(out, p->scratch.data + mark, head_end - mark);
    p->scratch.len = mark;
    if (!push_label(p, name, len))
        return false;
    if (!tp_open(p, "then"))
        return tp_fail(p, tp_peek(p, 0), "unexpected token");
    if (!tp_instrs(p, out) || !tp_close(p))
        return false;
    if (tp_open(p, "else") && !else_arm(p, out))
        return false;
    buf_byte(out, OP_END);
    p->labels.len--;
    return tp_close(p);
}

/* A folded instruction at "(". */
static bool folded_inner(struct txt_parser *p, struct buf *out)
{
    p->pos++;
    int op = op_keyword(p);
    if (op < 0)
        return false;
    if (op == OP_IF)
        return folded_if(p, out);
    if (op == OP_BLOCK || op == OP_LOOP) {
        const char *name;
        uint32_t len;
        if (!block_head(p, op, out, &name, &len) || !push_label(p, name, len) ||
            !tp_instrs(p, out))
            return false;
        buf_byte(out, OP_END);
        p->labels.len--;
        return tp_close(p);
    }
    size_t mark = p->scratch.len;
    if (!plain(p, op, &p->scratch))
        return false;
    size_t mine = p->scratch.len;
    while (tp_peek(p, 0)->kind == TK_LPAR)
        if (!folded(p, out))
            return false;
    buf_bytes(out, p->scratch.data + mark, mine - mark);
    p->scratch.len = mark;
    return tp_close(p);
}

bool tp_instrs(struct txt_parser *p, struct buf *out)
{
    size_t base = p->labels.len; /* flat blocks opened here lie above */
    const struct txt_tok *t;
    while ((t = tp_peek(p, 0))->kind != TK_RPAR && t->kind != TK_EOF) {
        bool ok;
        if (t->kind == TK_LPAR) {
            ok = folded(p, out);
        } else if (t->kind == TK_KEYWORD &&
                   (txt_tok_is(p->src, t, "end") || txt_tok_is(p->src, t, "else"))) {
            if (p->labels.len == base)
                return true; /* the caller's */
            ok = p->src[t->off + 1] == 'n' ? flat_end(p, out) : flat_else(p, out);
        } else {
            int op = op_keyword(p);
            ok = op >= 0 && (op == OP_BLOCK || op == OP_LOOP || op == OP_IF ? open_flat(p, op, out)
                                                                             : plain(p, op, out));
        }
        if (!ok)
            return false;
    }
    if (p->labels.len > base)
        return tp_fail(p, t, "unexpected token"); /* a flat block lacks its end */
    return true;
}

bool tp_folded_expr(struct txt_parser *p, struct buf *out)
{
    if (tp_peek(p, 0)->kind != TK_LPAR)
        return tp_fail(p, tp_peek(p, 0), "unexpected token");
    if (!folded(p, out))
        return false;
    buf_byte(out, OP_END);
    return true;
}

bool tp_expr(struct txt_parser *p, struct buf *out)
{
    if (!tp_instrs(p, out))
        return false;
    buf_byte(out, OP_END);
    return true;
}
