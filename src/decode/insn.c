/* The opcode table and the decoding of one instruction with its
 * immediates. No typing here: that is validate/'s job. */
#include <string.h>

#include "decode.h"

const struct op_info dec_ops[OP_COUNT] = {
#define X(id, code, name, imm, params, results, aux) [code] = {name, imm, params, results, aux},
    OPCODES(X)
#undef X
};

valtype dec_letter_type(char c)
{
    switch (c) {
    case 'i': return VT_I32;
    case 'I': return VT_I64;
    case 'f': return VT_F32;
    case 'F': return VT_F64;
    default: return VT_V128;
    }
}

bool dec_is_valtype(uint8_t b)
{
    return b == VT_I32 || b == VT_I64 || b == VT_F32 || b == VT_F64 ||
           b == VT_V128 || b == VT_FUNCREF || b == VT_EXTERNREF;
}

bool dec_is_reftype(uint8_t b) { return b == VT_FUNCREF || b == VT_EXTERNREF; }

const char *dec_valtype_name(valtype t)
{
    switch (t) {
    case VT_I32: return "i32";
    case VT_I64: return "i64";
    case VT_F32: return "f32";
    case VT_F64: return "f64";
    case VT_V128: return "v128";
    case VT_FUNCREF: return "funcref";
    case VT_EXTERNREF: return "externref";
    default: return "?";
    }
}

const char *dec_extern_kind_name(enum extern_kind k)
{
    static const char *const names[] = {"func", "table", "memory", "global"};
    return (unsigned)k < 4 ? names[k] : "?";
}

static bool read_blocktype(struct reader *r, struct blocktype *bt)
{
    if (r->p >= r->end)
        return rd_fail(r, "unexpected end");
    uint8_t b = *r->p;
    if (b == 0x40) {
        r->p++;
        bt->kind = BT_EMPTY;
        return true;
    }
    if (dec_is_valtype(b)) {
        r->p++;
        bt->kind = BT_VALUE;
        bt->value = b;
        return true;
    }
    int64_t idx;
    if (!rd_s33(r, &idx))
        return false;
    if (idx < 0)
        return rd_fail(r, "malformed block type");
    bt->kind = BT_INDEX;
    bt->index = (uint32_t)idx;
    return true;
}

static bool read_zero(struct reader *r)
{
    uint8_t b;
    if (!rd_u8(r, &b))
        return false;
    if (b != 0) {
        r->p--;
        return rd_fail(r, "zero byte expected");
    }
    return true;
}

/* An LEB128 number (low 32 bits) at p; NULL when it runs past end. */
static const uint8_t *peek_leb(const uint8_t *p, const uint8_t *end, uint32_t *v)
{
    uint32_t x = 0;
    for (unsigned sh = 0; p < end; sh += 7) {
        uint8_t c = *p++;
        x |= sh < 32 ? (uint32_t)(c & 0x7f) << sh : 0;
        if (!(c & 0x80)) {
            *v = x;
            return p;
        }
    }
    return NULL;
}

const uint8_t *dec_peek(const uint8_t *p, const uint8_t *end, struct insn *in)
{
    uint32_t op = *p++, n = 0, bytes = 0;
    if (op == 0xFC && (!(p = peek_leb(p, end, &op)) || (op += 0x100) >= 0x200))
        return NULL;
    if (op == 0xFD || !dec_ops[op].name)
        return NULL;
    in->op = (enum op)op;
    switch (dec_ops[op].imm) {
    case IMM_NONE: return p;
    case IMM_F32: bytes = 4; break;
    case IMM_F64: bytes = 8; break;
    case IMM_SELECT_T: /* a count, then one byte per type */
        if (!(p = peek_leb(p, end, &bytes)))
            return NULL;
        break;
    case IMM_BR_TABLE:
        if (!(p = peek_leb(p, end, &in->imm.br_table.count)))
            return NULL;
        in->imm.br_table.p = p;
        for (uint64_t i = 0; p && i <= in->imm.br_table.count; i++)
            p = peek_leb(p, end, &n);
        return p;
    case IMM_MEMARG: /* align without the memory index flag, offset */
        p = peek_leb(p, end, &in->imm.index);
        return p && !(in->imm.index & 0x40) ? peek_leb(p, end, &n) : NULL;
    case IMM_CALL_INDIRECT: case IMM_MEMORY_INIT: case IMM_MEMORY_COPY: case IMM_TABLE_INIT:
    case IMM_TABLE_COPY: /* two numbers */
        p = peek_leb(p, end, &in->imm.index);
        return p ? peek_leb(p, end, &n) : NULL;
    case IMM_MEMARG_LANE: case IMM_V128: case IMM_LANE: case IMM_SHUFFLE: return NULL;
    default: /* one number: an index, a constant, a block type, a byte */
        return peek_leb(p, end, &in->imm.index);
    }
    return (size_t)(end - p) >= bytes ? p + bytes : NULL;
}

uint32_t dec_br_table_next(const uint8_t **p)
{
    uint32_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = *(*p)++;
        v |= (uint32_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    return v;
}

static bool read_immediates(struct reader *r, struct insn *in)
{
    const struct op_info *oi = &dec_ops[in->op];
    switch (oi->imm) {
    case IMM_NONE:
        return true;
    case IMM_BLOCK:
        return read_blocktype(r, &in->imm.block);
    case IMM_LABEL: case IMM_FUNC: case IMM_LOCAL: case IMM_GLOBAL:
    case IMM_TABLE: case IMM_DATA: case IMM_ELEM:
        return rd_u32(r, &in->imm.index);
    case IMM_BR_TABLE: {
        if (!rd_u32(r, &in->imm.br_table.count))
            return false;
        in->imm.br_table.p = r->p;
        uint32_t t;
        for (uint64_t i = 0; i < in->imm.br_table.count; i++)
            if (!rd_u32(r, &t))
                return false;
        return rd_u32(r, &in->imm.br_table.dflt);
    }
    case IMM_CALL_INDIRECT:
        return rd_u32(r, &in->imm.call_indirect.type) &&
               rd_u32(r, &in->imm.call_indirect.table);
    case IMM_SELECT_T: {
        uint32_t n;
        if (!rd_u32(r, &n))
            return false;
        in->imm.select.count = n;
        in->imm.select.type = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint8_t t;
            if (!rd_u8(r, &t))
                return false;
            if (!dec_is_valtype(t)) {
                r->p--;
                return rd_fail(r, "malformed value type");
            }
            if (i == 0)
                in->imm.select.type = t;
        }
        return true;
    }
    case IMM_MEMARG:
    case IMM_MEMARG_LANE:
        if (!rd_u32(r, &in->imm.mem.m.align) || !rd_u32(r, &in->imm.mem.m.offset))
            return false;
        return oi->imm == IMM_MEMARG || rd_u8(r, &in->imm.mem.lane);
    case IMM_MEMIDX:
        return read_zero(r);
    case IMM_I32:
        return rd_s32(r, &in->imm.i32);
    case IMM_I64:
        return rd_s64(r, &in->imm.i64);
    case IMM_F32:
        return rd_fixed(r, &in->imm.f32, 4);
    case IMM_F64:
        return rd_fixed(r, &in->imm.f64, 8);
    case IMM_V128:
    case IMM_SHUFFLE:
        return rd_fixed(r, in->imm.bytes, 16);
    case IMM_LANE:
        return rd_u8(r, &in->imm.lane);
    case IMM_REFTYPE: {
        uint8_t t;
        if (!rd_u8(r, &t))
            return false;
        if (!dec_is_reftype(t)) {
            r->p--;
            return rd_fail(r, "malformed reference type");
        }
        in->imm.reftype = t;
        return true;
    }
    case IMM_MEMORY_INIT:
        in->imm.pair.b = 0;
        return rd_u32(r, &in->imm.pair.a) && read_zero(r);
    case IMM_MEMORY_COPY:
        in->imm.pair.a = in->imm.pair.b = 0;
        return read_zero(r) && read_zero(r);
    case IMM_TABLE_INIT:
    case IMM_TABLE_COPY:
        return rd_u32(r, &in->imm.pair.a) && rd_u32(r, &in->imm.pair.b);
    }
    return rd_fail(r, "illegal opcode");
}

bool dec_insn(struct reader *r, struct insn *in)
{
    in->offset = (uint32_t)rd_offset(r);
    uint8_t b;
    if (!rd_u8(r, &b))
        return false;
    unsigned op = b;
    if (b == 0xFC || b == 0xFD) {
        uint32_t sub;
        if (!rd_u32(r, &sub))
            return false;
        if (sub >= 0x100) {
            r->p = r->base + in->offset;
            return rd_fail(r, "illegal opcode");
        }
        op = (b == 0xFC ? 0x100 : 0x200) + sub;
    }
    if (!dec_ops[op].name) {
        r->p = r->base + in->offset;
        return rd_fail(r, "illegal opcode");
    }
    in->op = (enum op)op;
    return read_immediates(r, in);
}

bool dec_const_insn(const struct expr *x, struct insn *out)
{
    struct err e = {0};
    struct reader r = {x->p - x->offset, x->p, x->p + x->len, &e};
    return dec_insn(&r, out);
}
