/* The encoder's core: the code buffer and the one routine that emits
 * prefixes, REX, opcode, ModRM, SIB, displacement and immediate for every
 * instruction. The instruction groups in the other files only choose the
 * opcode word and the operands. */
#include <stdlib.h>
#include <string.h>

#include "core.h"

void x64_init(struct x64_asm *a)
{
    memset(a, 0, sizeof *a);
}

void x64_free(struct x64_asm *a)
{
    buf_free(&a->code);
    vec_free(&a->labels);
    vec_free(&a->fixups);
    vec_free(&a->relocs);
}

void x64_reset(struct x64_asm *a)
{
    a->code.len = 0;
    a->code.oom = false;
    a->labels.len = 0;
    a->fixups.len = 0;
    a->relocs.len = 0;
    a->oom = false;
    a->bad = NULL;
}

void x64_misuse(struct x64_asm *a, const char *msg)
{
    if (!a->bad)
        a->bad = msg;
}

bool x64_finish(struct x64_asm *a, struct err *e)
{
    if (a->oom || a->code.oom)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "x64: out of memory while encoding");
    if (a->bad)
        return err_set(e, ERR_ARG, NO_OFFSET, "x64: %s", a->bad);
    for (size_t i = 0; i < a->labels.len; i++)
        if (a->labels.data[i].first != UINT32_MAX)
            return err_set(e, ERR_ARG, NO_OFFSET, "x64: label %zu used but never bound", i);
    return true;
}

/* The slow side of room(): doubles the buffer. */
static uint8_t *grow(struct x64_asm *a, size_t n)
{
    struct buf *b = &a->code;
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap - b->len < n)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        a->oom = true;
        return a->sink;
    }
    b->data = p;
    b->cap = cap;
    return p + b->len;
}

/* Room for X64_ROOM more bytes; after a failed allocation the bytes go to
 * the sink. */
static inline uint8_t *room(struct x64_asm *a)
{
    struct buf *b = &a->code;
    if (__builtin_expect(b->cap - b->len >= X64_ROOM && !a->oom, 1))
        return b->data + b->len;
    return a->oom ? a->sink : grow(a, X64_ROOM);
}

/* Marks the bytes from start to end as emitted. */
static inline void advance(struct x64_asm *a, const uint8_t *start, const uint8_t *end)
{
    if (start != a->sink)
        a->code.len += (size_t)(end - start);
}

void x64_write(struct x64_asm *a, uint32_t at, int64_t v, int size)
{
    if (a->oom || (size_t)at + (size_t)size > a->code.len)
        return;
    if (size == 4) { /* the usual rel32 */
        uint32_t w = (uint32_t)v;
        memcpy(a->code.data + at, &w, 4);
        return;
    }
    for (int i = 0; i < size; i++)
        a->code.data[at + i] = (uint8_t)((uint64_t)v >> (8 * i));
}

/* Stores all 8 bytes of v (little-endian, as x86 is) and keeps n of them:
 * room() leaves space for the rest. */
static inline uint8_t *put_le(uint8_t *p, int64_t v, int n)
{
    memcpy(p, &v, 8);
    return p + n;
}

void x64_emit_data(struct x64_asm *a, int64_t v, int size)
{
    uint8_t *start = room(a);
    advance(a, start, put_le(start, v, size));
}

void x64_bad_size(struct x64_asm *a, int size)
{
    x64_misuse(a, size == 1 ? "instruction has no 8-bit form"
                            : "operand size must be 1, 2, 4 or 8");
}

void x64_emit_other_size(struct x64_asm *a, uint32_t op, int size, int reg, int rm,
                         const struct x64_mem *m, int immlen, int64_t imm)
{
    x64_emit_general(a, x64_sized(a, op, size), reg, rm, m, immlen, imm);
}

/* Legacy prefixes, REX (rex holds W/R/X/B in its low bits, 0x100 forces
 * an empty REX), escape bytes and the opcode byte. The usual case, no
 * prefix and no escape, takes the first test only. */
static inline uint8_t *put_opcode(uint8_t *p, uint32_t op, unsigned rex)
{
    static const uint8_t prefix[4] = {0, 0x66, 0xf3, 0xf2};
    rex |= (op & OP_W) >> 9;
    if (__builtin_expect(op & (OP_O16 | (3u << 10) | (3u << 8)), 0)) {
        if (op & OP_O16)
            *p++ = 0x66;
        if ((op >> 10) & 3)
            *p++ = prefix[(op >> 10) & 3];
        if (rex)
            *p++ = (uint8_t)(0x40 | (rex & 15));
        switch ((op >> 8) & 3) {
        case 1: *p++ = 0x0f; break;
        case 2: *p++ = 0x0f; *p++ = 0x38; break;
        case 3: *p++ = 0x0f; *p++ = 0x3a; break;
        }
    } else if (rex) {
        *p++ = (uint8_t)(0x40 | (rex & 15));
    }
    *p++ = (uint8_t)op;
    return p;
}

/* An 8-bit register 4..7 means spl..dil only with a REX prefix present. */
static inline unsigned byte_rex(uint32_t op, uint32_t flag, int reg)
{
    return (op & flag) && reg >= 4 && reg <= 7 ? 0x100 : 0;
}

/* reg fits the class the opcode word gives its side of ModRM (xflag:
 * OP_XREG or OP_XRM): XMM registers are 16..31, GP 0..15; a /digit is
 * only valid in ModRM.reg. */
static inline bool class_ok(uint32_t op, uint32_t xflag, int reg)
{
    unsigned bias = (op & xflag) ? 16 : 0;
    return (unsigned)reg - bias < 16 || (xflag == OP_XREG && (reg & ~7) == DIGIT(0));
}

static bool mem_ok(struct x64_asm *a, const struct x64_mem *m)
{
    if (m->base != X64_NOREG && m->base != X64_RIP && !X64_IS_GP(m->base))
        x64_misuse(a, "memory base must be a GP register, rip or none");
    else if (m->index != X64_NOREG && (!X64_IS_GP(m->index) || m->index == X64_RSP))
        x64_misuse(a, "memory index must be a GP register other than rsp");
    else if (m->scale != 1 && m->scale != 2 && m->scale != 4 && m->scale != 8)
        x64_misuse(a, "memory scale must be 1, 2, 4 or 8");
    else if (m->base == X64_RIP && m->index != X64_NOREG)
        x64_misuse(a, "rip-relative operand cannot have an index");
    else if (m->ref != X64_REF_NONE && m->base != X64_RIP)
        x64_misuse(a, "label and relocation operands must be rip-relative");
    else
        return true;
    return false;
}

/* The common operand [gp + disp], which needs none of mem_ok's checks. */
static inline bool simple_mem(const struct x64_mem *m)
{
    return X64_IS_GP(m->base) && m->index == X64_NOREG && m->scale == 1 &&
           m->ref == X64_REF_NONE;
}

static unsigned mem_rex(const struct x64_mem *m)
{
    unsigned rex = 0;
    if (X64_IS_GP(m->base) && (m->base & 8))
        rex |= 1;
    if (m->index != X64_NOREG && (m->index & 8))
        rex |= 2;
    return rex;
}

/* ModRM, SIB and displacement of a memory operand with base register
 * `base` (0..15) and SIB index field `index` (4: none). rsp/r12 as base
 * need a SIB byte; rbp/r13 as base have no mod-00 form, so they take a
 * disp8 0. */
static inline uint8_t *put_based(uint8_t *p, int reg, int base, int index, int scale_bits,
                                 int32_t disp)
{
    bool sib = index != 4 || (base & 7) == 4;
    int mod = disp == 0 && (base & 7) != 5 ? 0 : disp == (int8_t)disp ? 1 : 2;
    *p++ = x64_modrm(mod, reg, sib ? 4 : base);
    if (sib)
        *p++ = x64_modrm(scale_bits, index, base);
    return put_le(p, disp, mod == 0 ? 0 : mod == 1 ? 1 : 4);
}

/* Every other memory operand: rip-relative, absolute, indexed. */
static uint8_t *put_mem(uint8_t *p, int reg, const struct x64_mem *m)
{
    static const uint8_t scale_bits[9] = {[1] = 0, [2] = 1, [4] = 2, [8] = 3};
    if (m->base == X64_RIP) {
        *p++ = x64_modrm(0, reg, 5);
        return put_le(p, m->disp, 4);
    }
    int index = m->index == X64_NOREG ? 4 : m->index;
    if (m->base == X64_NOREG) { /* mod 00 with SIB base 101: disp32, no base */
        *p++ = x64_modrm(0, reg, 4);
        *p++ = x64_modrm(scale_bits[m->scale], index, 5);
        return put_le(p, m->disp, 4);
    }
    return put_based(p, reg, m->base, index, scale_bits[m->scale], m->disp);
}

/* A RIP-relative field at `at` in an instruction ending at `end`: resolve
 * or queue its label, or record its relocation. */
static void rip_ref(struct x64_asm *a, const struct x64_mem *m, uint32_t at, uint32_t end)
{
    if (m->ref == X64_REF_LABEL)
        x64_fixup_add(a, m->target, at, end, 4);
    else if (m->ref != X64_REF_NONE)
        x64_reloc_add(a, at, X64_RELOC_REL32,
                      m->ref == X64_REF_FUNC ? X64_TARGET_FUNC : X64_TARGET_SYM, m->target,
                      (int64_t)m->disp - (int64_t)(end - at));
}

/* The general memory form, with the checks and the rip-relative fields. */
static void emit_mem(struct x64_asm *a, uint32_t op, int reg, const struct x64_mem *m,
                     int immlen, int64_t imm)
{
    if (!mem_ok(a, m))
        return;
    unsigned rex = ((reg & 8) ? 4 : 0) | byte_rex(op, OP_BREG, reg) | mem_rex(m);
    uint8_t *start = room(a), *p = put_mem(put_opcode(start, op, rex), reg, m);
    p = put_le(p, imm, immlen);
    uint32_t at = x64_pos(a) + (uint32_t)(p - start) - (uint32_t)immlen - 4;
    advance(a, start, p);
    if (m->base == X64_RIP && start != a->sink)
        rip_ref(a, m, at, x64_pos(a));
}

void x64_emit_general(struct x64_asm *a, uint32_t op, int reg, int rm, const struct x64_mem *m,
                      int immlen, int64_t imm)
{
    if (!class_ok(op, OP_XREG, reg) || (!m && !class_ok(op, OP_XRM, rm))) {
        x64_misuse(a, (op & (OP_XREG | OP_XRM)) ? "XMM and GP registers mixed up"
                                                : "expected a GP register");
        return;
    }
    if (m && !simple_mem(m)) {
        emit_mem(a, op, reg, m, immlen, imm);
        return;
    }
    unsigned rex = ((reg & 8) >> 1) | byte_rex(op, OP_BREG, reg);
    uint8_t *start = room(a), *p;
    if (m) {
        p = put_opcode(start, op, rex | ((m->base & 8) >> 3));
        p = put_based(p, reg, m->base, 4, 0, m->disp);
    } else {
        p = put_opcode(start, op, rex | ((rm & 8) >> 3) | byte_rex(op, OP_BRM, rm));
        *p++ = x64_modrm(3, reg, rm);
    }
    advance(a, start, put_le(p, imm, immlen));
}

void x64_emit_o_general(struct x64_asm *a, uint32_t op, int reg, int immlen, int64_t imm)
{
    if (!X64_IS_GP(reg)) {
        x64_misuse(a, "expected a GP register");
        return;
    }
    unsigned rex = ((reg & 8) ? 1 : 0) | byte_rex(op, OP_BRM, reg);
    uint8_t *start = room(a);
    uint8_t *p = put_opcode(start, op + (uint32_t)(reg & 7), rex);
    p = put_le(p, imm, immlen);
    advance(a, start, p);
}
