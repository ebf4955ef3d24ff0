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

/* Room for n more bytes; after a failed allocation the bytes go to the sink
 * (n is at most one instruction, well under its size). */
static uint8_t *room(struct x64_asm *a, size_t n)
{
    struct buf *b = &a->code;
    if (a->oom)
        return a->sink;
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        uint8_t *p = realloc(b->data, cap);
        if (!p) {
            a->oom = true;
            return a->sink;
        }
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

/* Marks the bytes from start to end as emitted. */
static void advance(struct x64_asm *a, const uint8_t *start, const uint8_t *end)
{
    if (start != a->sink)
        a->code.len += (size_t)(end - start);
}

void x64_write(struct x64_asm *a, uint32_t at, int64_t v, int size)
{
    if (a->oom || (size_t)at + (size_t)size > a->code.len)
        return;
    for (int i = 0; i < size; i++)
        a->code.data[at + i] = (uint8_t)((uint64_t)v >> (8 * i));
}

static uint8_t *put_le(uint8_t *p, int64_t v, int n)
{
    for (int i = 0; i < n; i++)
        *p++ = (uint8_t)((uint64_t)v >> (8 * i));
    return p;
}

void x64_emit_data(struct x64_asm *a, int64_t v, int size)
{
    uint8_t *start = room(a, 16);
    advance(a, start, put_le(start, v, size));
}

uint32_t x64_sized(struct x64_asm *a, uint32_t op, int size)
{
    switch (size) {
    case 1: return (op - 1) | OP_BRM | OP_BREG;
    case 2: return op | OP_O16;
    case 4: return op;
    case 8: return op | OP_W;
    }
    x64_misuse(a, "operand size must be 1, 2, 4 or 8");
    return op;
}

uint32_t x64_sized_nobyte(struct x64_asm *a, uint32_t op, int size)
{
    if (size == 1) {
        x64_misuse(a, "instruction has no 8-bit form");
        return op;
    }
    return x64_sized(a, op, size);
}

/* Legacy prefixes, REX (rex holds W/R/X/B in its low bits, 0x100 forces
 * an empty REX), escape bytes and the opcode byte. */
static uint8_t *put_opcode(uint8_t *p, uint32_t op, unsigned rex)
{
    static const uint8_t prefix[4] = {0, 0x66, 0xf3, 0xf2};
    if (op & OP_O16)
        *p++ = 0x66;
    if ((op >> 10) & 3)
        *p++ = prefix[(op >> 10) & 3];
    if (op & OP_W)
        rex |= 8;
    if (rex)
        *p++ = (uint8_t)(0x40 | (rex & 15));
    switch ((op >> 8) & 3) {
    case 1: *p++ = 0x0f; break;
    case 2: *p++ = 0x0f; *p++ = 0x38; break;
    case 3: *p++ = 0x0f; *p++ = 0x3a; break;
    }
    *p++ = (uint8_t)op;
    return p;
}

/* An 8-bit register 4..7 means spl..dil only with a REX prefix present. */
static unsigned byte_rex(uint32_t op, uint32_t flag, int reg)
{
    return (op & flag) && reg >= 4 && reg <= 7 ? 0x100 : 0;
}

static bool class_ok(uint32_t op, uint32_t xflag, int reg)
{
    if (xflag == OP_XREG && (reg & ~7) == DIGIT(0))
        return true;
    return (op & xflag) ? X64_IS_XMM(reg) : X64_IS_GP(reg);
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

static unsigned mem_rex(const struct x64_mem *m)
{
    unsigned rex = 0;
    if (X64_IS_GP(m->base) && (m->base & 8))
        rex |= 1;
    if (m->index != X64_NOREG && (m->index & 8))
        rex |= 2;
    return rex;
}

static uint8_t modrm(int mod, int reg, int rm)
{
    return (uint8_t)((mod << 6) | ((reg & 7) << 3) | (rm & 7));
}

/* ModRM, SIB and displacement for a memory operand. rsp/r12 as base need
 * a SIB byte; rbp/r13 as base have no mod-00 form, so they take a disp8 0. */
static uint8_t *put_mem(uint8_t *p, int reg, const struct x64_mem *m)
{
    static const uint8_t scale_bits[9] = {[1] = 0, [2] = 1, [4] = 2, [8] = 3};
    if (m->base == X64_RIP) {
        *p++ = modrm(0, reg, 5);
        return put_le(p, m->disp, 4);
    }
    int index = m->index == X64_NOREG ? 4 : m->index;
    bool sib = m->index != X64_NOREG || m->base == X64_NOREG || (m->base & 7) == 4;
    if (m->base == X64_NOREG) { /* mod 00 with SIB base 101: disp32, no base */
        *p++ = modrm(0, reg, 4);
        *p++ = modrm(scale_bits[m->scale], index, 5);
        return put_le(p, m->disp, 4);
    }
    int mod = m->disp == 0 && (m->base & 7) != 5 ? 0 : m->disp == (int8_t)m->disp ? 1 : 2;
    *p++ = modrm(mod, reg, sib ? 4 : m->base);
    if (sib)
        *p++ = modrm(scale_bits[m->scale], index, m->base);
    return put_le(p, m->disp, mod == 0 ? 0 : mod == 1 ? 1 : 4);
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

void x64_emit_rm(struct x64_asm *a, uint32_t op, int reg, int rm, const struct x64_mem *m,
                 int immlen, int64_t imm)
{
    if (!class_ok(op, OP_XREG, reg) || (!m && !class_ok(op, OP_XRM, rm))) {
        x64_misuse(a, (op & (OP_XREG | OP_XRM)) ? "XMM and GP registers mixed up"
                                                : "expected a GP register");
        return;
    }
    if (m && !mem_ok(a, m))
        return;
    unsigned rex = ((reg & 8) ? 4 : 0) | byte_rex(op, OP_BREG, reg);
    rex |= m ? mem_rex(m) : ((rm & 8) ? 1 : 0) | byte_rex(op, OP_BRM, rm);
    uint8_t *start = room(a, 16), *p = put_opcode(start, op, rex);
    if (m)
        p = put_mem(p, reg, m);
    else
        *p++ = modrm(3, reg, rm);
    p = put_le(p, imm, immlen);
    uint32_t at = x64_pos(a) + (uint32_t)(p - start) - (uint32_t)immlen - 4;
    advance(a, start, p);
    if (m && m->base == X64_RIP && start != a->sink)
        rip_ref(a, m, at, x64_pos(a));
}

void x64_emit_o(struct x64_asm *a, uint32_t op, int reg, int immlen, int64_t imm)
{
    if (!X64_IS_GP(reg)) {
        x64_misuse(a, "expected a GP register");
        return;
    }
    unsigned rex = ((reg & 8) ? 1 : 0) | byte_rex(op, OP_BRM, reg);
    uint8_t *start = room(a, 16);
    uint8_t *p = put_opcode(start, op + (uint32_t)(reg & 7), rex);
    p = put_le(p, imm, immlen);
    advance(a, start, p);
}
