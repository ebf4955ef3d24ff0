/* dec_peek against the decoder: for every one-byte and 0xFC opcode the
 * decoder knows, given immediates of its kind in long LEB128 forms, the
 * peek must see the same opcode, end at the same byte and read the same
 * first number (index, label, count) as dec_insn; what it does not read
 * (SIMD) it must refuse, and it must never read past the end. */
#include <string.h>

#include "base/base.h"
#include "check.h"
#include "decode/decode.h"

/* Appends v as an LEB128 padded to at least min bytes (long forms are
 * valid encodings, and catch a peek that stops after one byte). */
static void leb(struct buf *b, uint64_t v, int min)
{
    for (int i = 0; i < 10; i++) {
        uint8_t c = v & 0x7f;
        v >>= 7;
        if (v || i + 1 < min)
            c |= 0x80;
        buf_byte(b, c);
        if (!(c & 0x80))
            return;
    }
}

/* Immediates of kind k; false for a kind the peek refuses. */
static bool immediates(struct buf *b, enum imm_kind k)
{
    switch (k) {
    case IMM_NONE: return true;
    case IMM_BLOCK: buf_byte(b, 0x7f); return true; /* i32 result */
    case IMM_BR_TABLE: leb(b, 3, 2); leb(b, 1, 1); leb(b, 200, 2); leb(b, 0, 3); leb(b, 2, 1);
        return true;
    case IMM_SELECT_T: leb(b, 1, 2); buf_byte(b, 0x7e); return true;
    case IMM_CALL_INDIRECT: case IMM_TABLE_INIT: leb(b, 130, 3); leb(b, 0, 2); return true;
    case IMM_MEMORY_INIT: leb(b, 130, 3); buf_byte(b, 0); return true;
    case IMM_MEMORY_COPY: buf_byte(b, 0); buf_byte(b, 0); return true;
    case IMM_TABLE_COPY: leb(b, 5, 2); leb(b, 6, 1); return true;
    case IMM_MEMARG: leb(b, 3, 2); leb(b, 70000, 4); return true;
    case IMM_MEMIDX: buf_byte(b, 0); return true;
    case IMM_I32: leb(b, 0x7f, 5); return true;          /* -1 */
    case IMM_I64: leb(b, 0x1ffffffffffULL, 10); return true;
    case IMM_F32: buf_bytes(b, "\1\2\3\4", 4); return true;
    case IMM_F64: buf_bytes(b, "\1\2\3\4\5\6\7\x08", 8); return true;
    case IMM_REFTYPE: buf_byte(b, 0x70); return true;
    case IMM_MEMARG_LANE: case IMM_V128: case IMM_LANE: case IMM_SHUFFLE: return false;
    default: leb(b, 300, 3); return true; /* one index */
    }
}

static void check_op(uint32_t op)
{
    struct buf b = {0};
    if (op >= 0x100) {
        buf_byte(&b, 0xfc);
        leb(&b, op - 0x100, 2);
    } else {
        buf_byte(&b, (uint8_t)op);
    }
    bool readable = immediates(&b, dec_ops[op].imm);
    struct insn want = {0}, got = {0};
    struct err e;
    err_clear(&e);
    struct reader r = {b.data, b.data, b.data + b.len, &e};
    bool decoded = dec_insn(&r, &want);
    const uint8_t *end = dec_peek(b.data, b.data + b.len, &got);
    const char *name = dec_ops[op].name;
    if (!readable) {
        CHECK(!end, "%s: peeked although SIMD", name);
    } else if (!decoded) {
        CHECK(decoded, "%s: the test's bytes do not decode: %s", name, e.msg);
    } else {
        CHECK(end == r.p, "%s: peek ends at %td, the decoder at %td", name,
              end ? end - b.data : -1, r.p - b.data);
        CHECK(got.op == want.op, "%s: op %d vs %d", name, got.op, want.op);
        enum imm_kind k = dec_ops[op].imm;
        if (k == IMM_BR_TABLE)
            CHECK(got.imm.br_table.count == want.imm.br_table.count &&
                      got.imm.br_table.p == want.imm.br_table.p, "%s: targets", name);
        else if (k == IMM_LABEL || k == IMM_FUNC || k == IMM_LOCAL || k == IMM_GLOBAL ||
                 k == IMM_TABLE || k == IMM_DATA || k == IMM_ELEM)
            CHECK(got.imm.index == want.imm.index, "%s: index %u vs %u", name, got.imm.index,
                  want.imm.index);
        /* every byte is needed: one fewer and the peek must refuse */
        CHECK(b.len == 1 || !dec_peek(b.data, b.data + b.len - 1, &got), "%s: read past the end",
              name);
    }
    buf_free(&b);
}

int main(void)
{
    int n = 0;
    for (uint32_t op = 0; op < 0x200; op++) {
        if (!dec_ops[op].name)
            continue;
        check_op(op);
        n++;
    }
    CHECK(n > 200, "only %d opcodes", n);
    /* a memory index flag in the alignment is not read (no multi-memory) */
    uint8_t load[] = {0x28, 0x42, 0x00};
    struct insn in;
    CHECK(!dec_peek(load, load + sizeof load, &in), "memarg with a memory index flag");
    uint8_t simd[] = {0xfd, 0x0c};
    CHECK(!dec_peek(simd, simd + sizeof simd, &in), "SIMD prefix");
    return test_done("decode_peek");
}
