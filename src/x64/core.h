/* x64 internals shared by the files of src/x64 (not part of the contract:
 * other folders include x64.h only).
 *
 * Every instruction is one packed opcode word plus operands, encoded by
 * x64_emit_rm (ModRM forms) or x64_emit_o (register in the opcode byte, or
 * no operand at all). The word carries the opcode byte, the escape map, the
 * mandatory prefix and the operand-size and register-class facts, so the
 * instruction groups are tables of such words. */
#ifndef TRI_X64_CORE_H
#define TRI_X64_CORE_H

#include <string.h>

#include "x64.h"

/* Packed opcode word. */
#define OP_MAP_0F (1u << 8)
#define OP_MAP_0F38 (2u << 8)
#define OP_MAP_0F3A (3u << 8)
#define OP_P66 (1u << 10) /* mandatory prefixes (SSE, lzcnt, ...) */
#define OP_PF3 (2u << 10)
#define OP_PF2 (3u << 10)
#define OP_W (1u << 12)    /* REX.W: 64-bit operand size */
#define OP_O16 (1u << 13)  /* 0x66 operand-size prefix: 16-bit operand */
#define OP_BRM (1u << 14)  /* a register in r/m is an 8-bit register */
#define OP_BREG (1u << 15) /* the register in ModRM.reg is an 8-bit register */
#define OP_XREG (1u << 16) /* ModRM.reg names an XMM register (else GP or digit) */
#define OP_XRM (1u << 17)  /* a register in r/m is an XMM register (else GP) */

#define OP_0F(b) (OP_MAP_0F | (b))
#define OP_66_0F(b) (OP_P66 | OP_MAP_0F | (b))
#define OP_F3_0F(b) (OP_PF3 | OP_MAP_0F | (b))
#define OP_F2_0F(b) (OP_PF2 | OP_MAP_0F | (b))
#define OP_66_0F38(b) (OP_P66 | OP_MAP_0F38 | (b))
#define OP_66_0F3A(b) (OP_P66 | OP_MAP_0F3A | (b))

/* The /digit opcode extension in ModRM.reg, told apart from a register. */
#define DIGIT(n) (0x40 | (n))

/* Room the encoders keep free at the end of the code: an instruction is at
 * most 15 bytes, and they store whole 4- and 8-byte words past its end
 * before advancing by what they keep. */
enum { X64_ROOM = 32 };

static inline uint8_t x64_modrm(int mod, int reg, int rm)
{
    return (uint8_t)((mod << 6) | ((reg & 7) << 3) | (rm & 7));
}

/* Encodes op with ModRM.reg = reg (a register, or DIGIT(n)) and r/m =
 * *m when m is not NULL, else register rm; then immlen (0, 1, 2, 4, 8) bytes
 * of imm. Checks register classes and addressing-mode rules, and resolves
 * RIP-relative labels and relocations against the end of the instruction.
 * Every form; x64_emit_rm below takes the frequent ones first. */
void x64_emit_general(struct x64_asm *a, uint32_t op, int reg, int rm, const struct x64_mem *m,
                      int immlen, int64_t imm);

/* Opcode-word bits the fast path does not handle. */
#define X64_SLOW_OP (OP_P66 | OP_PF3 | OP_O16 | OP_XREG | OP_XRM | OP_MAP_0F38)

/* [gp + disp]: base 0..15, no index, scale 1, no label or relocation.
 * The four bytes base, index, scale and ref are tested in one compare. */
_Static_assert(offsetof(struct x64_mem, base) == 0 && offsetof(struct x64_mem, index) == 1 &&
                   offsetof(struct x64_mem, scale) == 2 && offsetof(struct x64_mem, ref) == 3,
               "x64_base_mem reads these four bytes as one word");
static inline bool x64_base_mem(const struct x64_mem *m)
{
    uint32_t w;
    memcpy(&w, m, 4);
    return (w & 0xfffffff0u) == ((uint32_t)(uint8_t)X64_NOREG << 8 | 1u << 16);
}

/* [gp + gp*scale + disp] with index not rsp, no label or relocation. */
static inline bool x64_index_mem(const struct x64_mem *m)
{
    return X64_IS_GP(m->base) && X64_IS_GP(m->index) && m->index != X64_RSP &&
           m->ref == X64_REF_NONE &&
           (m->scale == 1 || m->scale == 2 || m->scale == 4 || m->scale == 8);
}

/* x64_emit_general's contract. Most instructions a compiler emits are GP
 * forms with a one-byte opcode or an 0F escape, on registers or on
 * [base + index*scale + disp]: inlined into each instruction's function,
 * where op is mostly a constant, they take a few stores into room reserved
 * once; everything else (and every misuse) goes to x64_emit_general. The
 * register and [base + disp] forms are tested first with the fewest
 * branches: they are most of what a baseline compiler emits. */
#define X64_INLINE static inline __attribute__((always_inline))
X64_INLINE void x64_emit_rm(struct x64_asm *a, uint32_t op, int reg, int rm,
                            const struct x64_mem *m, int immlen, int64_t imm)
{
    struct buf *b = &a->code;
    bool reg_ok = (unsigned)reg < 16 || (unsigned)(reg - DIGIT(0)) < 8;
    bool room = b->cap - b->len >= X64_ROOM && !a->oom;
    bool plain = m ? x64_base_mem(m) : (unsigned)rm < 16;
    if ((op & X64_SLOW_OP) || !reg_ok || !room || !(plain || (m && x64_index_mem(m)))) {
        x64_emit_general(a, op, reg, rm, m, immlen, imm);
        return;
    }
    int x = m ? m->base : rm; /* the register in ModRM.rm or as base */
    uint8_t *start = b->data + b->len, *p = start;
    unsigned rex = ((op & OP_W) >> 9) | ((reg & 8) >> 1) | ((x & 8) >> 3);
    if (!plain)
        rex |= (m->index & 8) >> 2;
    bool empty_rex = ((op & OP_BREG) && (unsigned)(reg - 4) < 4) ||
                     (!m && (op & OP_BRM) && (unsigned)(x - 4) < 4);
    *p = (uint8_t)(0x40 | rex);
    p += rex || empty_rex;
    *p = 0x0f;
    p += (op & OP_MAP_0F) != 0;
    *p++ = (uint8_t)op;
    if (!m) {
        *p++ = x64_modrm(3, reg, x);
    } else {
        /* mod 0: no displacement (not for rbp/r13, whose mod 0 means
         * something else); 1: disp8; 2: disp32, so mod * mod bytes */
        int32_t disp = m->disp;
        int mod = disp != (int8_t)disp ? 2 : disp != 0 || (x & 7) == 5;
        if (plain) {
            p[0] = x64_modrm(mod, reg, x);
            p[1] = 0x24; /* rsp/r12 as base: a SIB byte with no index */
            p += 1 + ((x & 7) == 4);
        } else {
            p[0] = x64_modrm(mod, reg, 4);
            p[1] = x64_modrm((m->scale >> 1) - (m->scale >> 3), m->index, x); /* 1..8 -> 0..3 */
            p += 2;
        }
        memcpy(p, &disp, 4);
        p += mod * mod;
    }
    memcpy(p, &imm, 8);
    b->len += (size_t)(p + immlen - start);
}

/* x64_emit_rm's register form (no immediate) for an opcode word that is
 * not a constant (taken from a table): only the bits this form can carry
 * are tested, so the test is one mask, not the general path's series. */
X64_INLINE void x64_emit_rr(struct x64_asm *a, uint32_t op, int reg, int rm)
{
    struct buf *b = &a->code;
    if ((op & ~(0xffu | OP_MAP_0F | OP_W | OP_BRM)) || ((unsigned)reg | (unsigned)rm) >= 16 ||
        b->cap - b->len < X64_ROOM) {
        x64_emit_general(a, op, reg, rm, NULL, 0, 0);
        return;
    }
    uint8_t *p = b->data + b->len;
    unsigned rex = ((op & OP_W) >> 9) | (((unsigned)reg & 8) >> 1) | ((unsigned)rm >> 3);
    *p = (uint8_t)(0x40 | rex); /* an empty REX makes an 8-bit rm 4..7 spl..dil */
    p += rex || ((op & OP_BRM) && (unsigned)(rm - 4) < 4);
    *p = 0x0f;
    p += (op & OP_MAP_0F) != 0;
    p[0] = (uint8_t)op;
    p[1] = x64_modrm(3, reg, rm);
    b->len = (size_t)(p + 2 - b->data);
}

/* Encodes op + (reg & 7) with REX.B for r8-r15 (push, pop, bswap, mov r,imm)
 * then the immediate. reg 0 with a plain opcode emits it unchanged. */
void x64_emit_o_general(struct x64_asm *a, uint32_t op, int reg, int immlen, int64_t imm);
/* The same, the usual forms inline (as x64_emit_rm). */
X64_INLINE void x64_emit_o(struct x64_asm *a, uint32_t op, int reg, int immlen, int64_t imm)
{
    struct buf *b = &a->code;
    if ((op & (X64_SLOW_OP | OP_BRM)) || (unsigned)reg >= 16 || b->cap - b->len < X64_ROOM ||
        a->oom) {
        x64_emit_o_general(a, op, reg, immlen, imm);
        return;
    }
    uint8_t *start = b->data + b->len, *p = start;
    unsigned rex = ((op & OP_W) >> 9) | ((reg & 8) >> 3);
    *p = (uint8_t)(0x40 | rex);
    p += rex != 0;
    *p = 0x0f;
    p += (op & OP_MAP_0F) != 0;
    *p++ = (uint8_t)(op + (uint32_t)(reg & 7));
    memcpy(p, &imm, 8);
    b->len += (size_t)(p + immlen - start);
}
/* Records the misuse of an operand size the instruction lacks. */
void x64_bad_size(struct x64_asm *a, int size);
/* Adds the operand-size facts of a GP instruction whose 8-bit form is
 * op - 1 (the x86 "w" bit): size 1, 2, 4 or 8. */
X64_INLINE uint32_t x64_sized(struct x64_asm *a, uint32_t op, int size)
{
    if (size == 4 || size == 8) /* no jump table for the usual sizes */
        return op | ((uint32_t)(size & 8) << 9);
    if (size == 1)
        return (op - 1) | OP_BRM | OP_BREG;
    if (size == 2)
        return op | OP_O16;
    x64_bad_size(a, size);
    return op;
}
/* Operand-size facts for instructions with 16/32/64-bit forms only. */
X64_INLINE uint32_t x64_sized_nobyte(struct x64_asm *a, uint32_t op, int size)
{
    if (size == 1) {
        x64_bad_size(a, size);
        return op;
    }
    return x64_sized(a, op, size);
}
/* x64_emit_general of op sized for `size`: the rare sizes, out of line so
 * that the callers test for 4 and 8 only. */
void x64_emit_other_size(struct x64_asm *a, uint32_t op, int size, int reg, int rm,
                         const struct x64_mem *m, int immlen, int64_t imm);
/* x64_emit_rm of op sized for `size` (as x64_sized): the usual sizes 4 and
 * 8 get copies of the fast path with a constant opcode word, which the
 * compiler folds; for the hot instructions only, the others size first. */
X64_INLINE void x64_emit_sized(struct x64_asm *a, uint32_t op, int size, int reg, int rm,
                               const struct x64_mem *m, int immlen, int64_t imm)
{
    if (size == 4)
        x64_emit_rm(a, op, reg, rm, m, immlen, imm);
    else if (size == 8)
        x64_emit_rm(a, op | OP_W, reg, rm, m, immlen, imm);
    else
        x64_emit_other_size(a, op, size, reg, rm, m, immlen, imm);
}
/* Records the first misuse message (a static string). */
void x64_misuse(struct x64_asm *a, const char *msg);
/* Queues a fixup: the `size`-byte field at `at` gets pos(l) - pc when l is
 * bound (now, if it already is). */
void x64_fixup_add(struct x64_asm *a, x64_label l, uint32_t at, uint32_t pc, int size);
/* Appends `size` raw little-endian bytes of v (data, padding). */
void x64_emit_data(struct x64_asm *a, int64_t v, int size);
/* Writes `size` bytes of v at offset at, if the code has that many bytes. */
void x64_write(struct x64_asm *a, uint32_t at, int64_t v, int size);

#endif
