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

/* Encodes op with ModRM.reg = reg (a register, or DIGIT(n)) and r/m =
 * *m when m is not NULL, else register rm; then immlen (0, 1, 2, 4, 8) bytes
 * of imm. Checks register classes and addressing-mode rules, and resolves
 * RIP-relative labels and relocations against the end of the instruction. */
void x64_emit_rm(struct x64_asm *a, uint32_t op, int reg, int rm, const struct x64_mem *m,
                 int immlen, int64_t imm);
/* Encodes op + (reg & 7) with REX.B for r8-r15 (push, pop, bswap, mov r,imm)
 * then the immediate. reg 0 with a plain opcode emits it unchanged. */
void x64_emit_o(struct x64_asm *a, uint32_t op, int reg, int immlen, int64_t imm);
/* Records the misuse of an operand size the instruction lacks. */
void x64_bad_size(struct x64_asm *a, int size);
/* Adds the operand-size facts of a GP instruction whose 8-bit form is
 * op - 1 (the x86 "w" bit): size 1, 2, 4 or 8. */
static inline uint32_t x64_sized(struct x64_asm *a, uint32_t op, int size)
{
    switch (size) {
    case 4: return op;
    case 8: return op | OP_W;
    case 1: return (op - 1) | OP_BRM | OP_BREG;
    case 2: return op | OP_O16;
    }
    x64_bad_size(a, size);
    return op;
}
/* Operand-size facts for instructions with 16/32/64-bit forms only. */
static inline uint32_t x64_sized_nobyte(struct x64_asm *a, uint32_t op, int size)
{
    if (size == 1) {
        x64_bad_size(a, size);
        return op;
    }
    return x64_sized(a, op, size);
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
