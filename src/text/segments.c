/* Element and data segments, including the inline ones of tables and
 * memories. A segment's offset expression goes to p->body and its items to
 * p->items, then the entry is written with the binary flags its form needs. */
#include "text.h"

enum { S_ELEM = 9, S_DATA = 11 };

/* The offset i32.const 0 of inline segments. */
static const uint8_t zero_offset[] = {OP_I32_CONST, 0, OP_END};

/* The offset of an active segment: (offset instr*) or one folded instruction. */
static bool offset_expr(struct txt_parser *p)
{
    p->body.len = 0;
    if (tp_open(p, "offset"))
        return tp_expr(p, &p->body) && tp_close(p);
    return tp_folded_expr(p, &p->body);
}

/* An active segment's (table x) or (memory x), optional, and its offset;
 * with neither the segment stays passive. */
static bool placement(struct txt_parser *p, const char *kw, enum txt_space sp,
                      enum seg_mode *mode, uint32_t *index)
{
    bool explicit_index = tp_open(p, kw);
    if (explicit_index && (!tp_index(p, sp, index) || !tp_close(p)))
        return false;
    if (!explicit_index && tp_peek(p, 0)->kind != TK_LPAR)
        return true;
    *mode = SEG_ACTIVE;
    return offset_expr(p);
}

/* funcidx* into p->items. */
static bool elem_funcs(struct txt_parser *p, uint32_t *count)
{
    uint32_t f;
    for (*count = 0; tp_at_index(p); (*count)++) {
        if (!tp_index(p, NS_FUNC, &f))
            return false;
        buf_u32leb(&p->items, f);
    }
    return true;
}

/* ((item instr*) | folded instr)* into p->items. */
static bool elem_exprs(struct txt_parser *p, uint32_t *count)
{
    for (*count = 0; tp_peek(p, 0)->kind == TK_LPAR; (*count)++) {
        bool ok = tp_open(p, "item") ? tp_expr(p, &p->items) && tp_close(p)
                                     : tp_folded_expr(p, &p->items);
        if (!ok)
            return false;
    }
    return true;
}

/* Writes a segment entry: flags, the table or memory index when the flags
 * say so, the offset (p->body) when active, the element kind (kind >= 0),
 * then count and the items (p->items). */
static void write_segment(struct txt_parser *p, int section, uint8_t flags, bool has_index,
                          uint32_t index, bool active, int kind, uint32_t count)
{
    struct buf *b = &p->sec[section];
    buf_byte(b, flags);
    if (has_index)
        buf_u32leb(b, index);
    if (active)
        buf_bytes(b, p->body.data, p->body.len);
    if (kind >= 0)
        buf_byte(b, (uint8_t)kind);
    buf_u32leb(b, count);
    buf_bytes(b, p->items.data, p->items.len);
    p->nsec[section]++;
    p->items.len = 0;
}

/* Element segment flags: bit 0 passive or declarative, bit 1 explicit
 * table index (active) or declarative, bit 2 expressions. */
static void write_elem(struct txt_parser *p, enum seg_mode mode, uint32_t table, bool exprs,
                       valtype t, uint32_t count)
{
    uint8_t flags = mode == SEG_PASSIVE ? 1 : mode == SEG_DECLARATIVE ? 3 : 0;
    if (mode == SEG_ACTIVE && (table != 0 || (exprs && t != VT_FUNCREF)))
        flags = 2;
    flags |= exprs ? 4 : 0;
    write_segment(p, S_ELEM, flags, (flags & 3) == 2, table, mode == SEG_ACTIVE,
                  flags & 3 ? (exprs ? t : 0x00) : -1, count);
}

bool tp_field_elem(struct txt_parser *p)
{
    if (tp_peek(p, 0)->kind == TK_ID)
        p->pos++;
    p->count[NS_ELEM]++;
    enum seg_mode mode = SEG_PASSIVE;
    uint32_t table = 0, count;
    if (tp_keyword(p, "declare"))
        mode = SEG_DECLARATIVE;
    else if (!placement(p, "table", NS_TABLE, &mode, &table))
        return false;
    p->items.len = 0;
    bool exprs = false;
    valtype t = VT_FUNCREF;
    if (tp_keyword(p, "func") || (mode == SEG_ACTIVE && tp_peek(p, 0)->kind != TK_KEYWORD)) {
        if (!elem_funcs(p, &count))
            return false;
    } else {
        exprs = true;
        if (!tp_reftype(p, &t) || !elem_exprs(p, &count))
            return false;
    }
    write_elem(p, mode, table, exprs, t, count);
    return tp_close(p);
}

bool tp_inline_elem(struct txt_parser *p, uint32_t table, valtype t, uint32_t *count)
{
    if (!tp_open(p, "elem"))
        return tp_fail(p, tp_peek(p, 0), "unexpected token");
    p->count[NS_ELEM]++;
    p->items.len = 0;
    bool exprs = tp_peek(p, 0)->kind == TK_LPAR;
    if (!(exprs ? elem_exprs(p, count) : elem_funcs(p, count)))
        return false;
    p->body.len = 0;
    buf_bytes(&p->body, zero_offset, sizeof zero_offset);
    write_elem(p, SEG_ACTIVE, table, exprs, t, *count);
    return tp_close(p);
}

/* string* into p->items. */
static bool data_strings(struct txt_parser *p)
{
    p->items.len = 0;
    while (tp_peek(p, 0)->kind != TK_RPAR)
        if (!tp_string(p, &p->items))
            return false;
    return true;
}

static void write_data(struct txt_parser *p, enum seg_mode mode, uint32_t mem)
{
    uint8_t flags = mode == SEG_PASSIVE ? 1 : mem ? 2 : 0;
    write_segment(p, S_DATA, flags, flags == 2, mem, mode == SEG_ACTIVE, -1,
                  (uint32_t)p->items.len);
}

bool tp_field_data(struct txt_parser *p)
{
    if (tp_peek(p, 0)->kind == TK_ID)
        p->pos++;
    p->count[NS_DATA]++;
    enum seg_mode mode = SEG_PASSIVE;
    uint32_t mem = 0;
    if (!placement(p, "memory", NS_MEM, &mode, &mem))
        return false;
    if (!data_strings(p))
        return false;
    write_data(p, mode, mem);
    return tp_close(p);
}

bool tp_inline_data(struct txt_parser *p, uint32_t mem, uint32_t *len)
{
    if (!tp_open(p, "data"))
        return tp_fail(p, tp_peek(p, 0), "unexpected token");
    p->count[NS_DATA]++;
    if (!data_strings(p))
        return false;
    *len = (uint32_t)p->items.len;
    p->body.len = 0;
    buf_bytes(&p->body, zero_offset, sizeof zero_offset);
    write_data(p, SEG_ACTIVE, mem);
    return tp_close(p);
}
