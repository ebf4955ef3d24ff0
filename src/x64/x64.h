/* x64: the x86-64 machine-code encoder shared by the compiler backends.
 *
 * It only encodes: bytes, labels, 32-bit patches and relocation records.
 * It assumes nothing about registers: no allocation, no calling convention,
 * no reserved or scratch register, no stack layout. Every register an
 * instruction reads or writes is named by the caller, including the
 * implicit ones the hardware fixes (rax/rdx for mul/div/cdq, cl for shifts
 * by register); the caller must have put the values there.
 *
 * Usage:
 *     struct x64_asm a;
 *     x64_init(&a);
 *     x64_label done = x64_label_new(&a);
 *     x64_alu_ri(&a, X64_CMP, 4, X64_RDI, 10);
 *     x64_jcc(&a, X64_CC_GE, done);
 *     x64_mov_rm(&a, 8, X64_RAX, x64_mem_index(X64_RSI, X64_RDI, 8, 16));
 *     x64_label_bind(&a, done);
 *     x64_ret(&a);
 *     if (!x64_finish(&a, &err)) ...;   // then a.code.data/len, a.relocs
 *     x64_free(&a);
 *
 * Errors: emitters never fail visibly. Running out of memory sets a.oom and
 * later bytes go to a scratch sink; a misuse (an XMM register where a GP one
 * is needed, rsp as index, an immediate that does not fit, a short branch
 * whose target ended up too far, ...) records the first message in a.bad
 * and emits nothing for that instruction. x64_finish turns either into a struct err, so callers check once per
 * function, not per instruction.
 *
 * Sizes: `size` is the operand size in bytes: 4 or 8 everywhere; 2 for the
 * integer instructions that have a 16-bit form; 1 for those with an 8-bit
 * form (mov, alu, unary, shifts, xchg); anything else is a misuse. 8-bit
 * registers 4..7 are always spl/bpl/sil/dil (never ah/ch/dh/bh): the
 * encoder adds an empty REX prefix for them.
 */
#ifndef TRI_X64_H
#define TRI_X64_H

#include <string.h>

#include "../base/base.h"

/* ---- registers ----
 * GP registers are 0..15 in hardware order; XMM registers are 16..31 so a
 * mix-up is caught. X64_RIP is only valid as a memory base; X64_NOREG
 * means "no base" or "no index" in a memory operand. */
enum x64_reg {
    X64_RAX, X64_RCX, X64_RDX, X64_RBX, X64_RSP, X64_RBP, X64_RSI, X64_RDI,
    X64_R8, X64_R9, X64_R10, X64_R11, X64_R12, X64_R13, X64_R14, X64_R15,
    X64_XMM0, X64_XMM1, X64_XMM2, X64_XMM3, X64_XMM4, X64_XMM5, X64_XMM6,
    X64_XMM7, X64_XMM8, X64_XMM9, X64_XMM10, X64_XMM11, X64_XMM12,
    X64_XMM13, X64_XMM14, X64_XMM15,
    X64_RIP = 32,
    X64_NOREG = -1,
};
#define X64_IS_GP(r) ((unsigned)(r) < 16)
#define X64_IS_XMM(r) ((unsigned)(r) - 16u < 16u)

/* Condition codes in hardware order; x ^ 1 is the negation. */
enum x64_cc {
    X64_CC_O, X64_CC_NO, X64_CC_B, X64_CC_AE, X64_CC_E, X64_CC_NE,
    X64_CC_BE, X64_CC_A, X64_CC_S, X64_CC_NS, X64_CC_P, X64_CC_NP,
    X64_CC_L, X64_CC_GE, X64_CC_LE, X64_CC_G,
};
static inline enum x64_cc x64_cc_not(enum x64_cc cc) { return (enum x64_cc)(cc ^ 1); }
/* The condition that holds for cmp b, a when cc holds for cmp a, b: the
 * orderings turn around (less <-> greater, below <-> above), equality,
 * sign, overflow and parity tests stay. */
static inline enum x64_cc x64_cc_swap(enum x64_cc cc)
{
    static const uint8_t swapped[16] = {
        X64_CC_O, X64_CC_NO, X64_CC_A, X64_CC_BE, X64_CC_E, X64_CC_NE, X64_CC_AE, X64_CC_B,
        X64_CC_S, X64_CC_NS, X64_CC_P, X64_CC_NP, X64_CC_G, X64_CC_LE, X64_CC_GE, X64_CC_L,
    };
    return (enum x64_cc)swapped[cc & 15];
}

/* What a relocation or a RIP-relative operand refers to. The encoder does
 * not interpret the index: for FUNC it is a function index, for SYM a
 * runtime-symbol number defined by the backend interface (compiler.h). */
enum x64_target { X64_TARGET_FUNC, X64_TARGET_SYM };

/* ---- memory operands ----
 * [base + index*scale + disp]; base X64_NOREG gives an absolute disp32,
 * base X64_RIP gives [rip + disp] where disp counts from the end of the
 * instruction. A RIP operand may instead refer to a label (the field is
 * resolved when the label is bound) or to a relocation target (a REL32
 * relocation is recorded, with `disp` added to the target address).
 * Build them with the helpers below, not by hand. */
enum x64_memref { X64_REF_NONE, X64_REF_LABEL, X64_REF_FUNC, X64_REF_SYM };
struct x64_mem {
    int8_t base, index; /* enum x64_reg or X64_NOREG */
    uint8_t scale;      /* 1, 2, 4 or 8 */
    uint8_t ref;        /* enum x64_memref, only with base X64_RIP */
    int32_t disp;
    uint32_t target;    /* label, function index or symbol for ref */
};

typedef uint32_t x64_label;

static inline struct x64_mem x64_mem_index(int base, int index, int scale, int32_t disp)
{
    return (struct x64_mem){.base = (int8_t)base, .index = (int8_t)index,
                            .scale = (uint8_t)scale, .disp = disp};
}
static inline struct x64_mem x64_mem_base(int base, int32_t disp)
{
    return x64_mem_index(base, X64_NOREG, 1, disp);
}
static inline struct x64_mem x64_mem_rip(int32_t disp) { return x64_mem_base(X64_RIP, disp); }
/* [rip + label]: the address of a label, e.g. a constant pool or jump table. */
static inline struct x64_mem x64_mem_label(x64_label l)
{
    struct x64_mem m = x64_mem_base(X64_RIP, 0);
    m.ref = X64_REF_LABEL;
    m.target = l;
    return m;
}
/* [rip + target + addend] for a function or runtime symbol (recorded as a
 * REL32 relocation). */
static inline struct x64_mem x64_mem_reloc(enum x64_target kind, uint32_t index, int32_t addend)
{
    struct x64_mem m = x64_mem_base(X64_RIP, addend);
    m.ref = kind == X64_TARGET_FUNC ? X64_REF_FUNC : X64_REF_SYM;
    m.target = index;
    return m;
}

/* ---- relocations ----
 * A field in the code the backend interface must fill in at load time.
 * With S = address of the target, A = addend, P = address of the field
 * (code base + offset), the field receives:
 *   X64_RELOC_REL32: the 32-bit value S + A - P   (call rel32: A = -4)
 *   X64_RELOC_ABS64: the 64-bit value S + A       (movabs imm64)
 * Offsets are from the start of this assembler's code. */
enum x64_reloc_kind { X64_RELOC_REL32, X64_RELOC_ABS64 };
struct x64_reloc {
    uint32_t offset;
    uint8_t kind;        /* enum x64_reloc_kind */
    uint8_t target_kind; /* enum x64_target */
    uint32_t target;
    int64_t addend;
};

/* ---- the assembler ---- */

/* A pending reference to a label not yet bound: at bind time the field of
 * `size` bytes at `at` receives pos(label) - pc. Chained per label. */
struct x64_fixup {
    uint32_t at, pc;
    uint32_t next; /* next fixup of the same label, UINT32_MAX ends */
    uint8_t size;  /* 1 or 4 */
};

struct x64_label_state {
    uint32_t pos;   /* code offset once bound, UINT32_MAX before */
    uint32_t first; /* first pending fixup, UINT32_MAX if none */
};

struct x64_asm {
    struct buf code;  /* the bytes; owned and freed by x64_free, unless the
                         caller takes code.data and zeroes code first */
    VEC(struct x64_label_state) labels;
    VEC(struct x64_fixup) fixups;
    VEC(struct x64_reloc) relocs; /* owned, freed by x64_free */
    bool oom;         /* an allocation failed; the code is garbage */
    const char *bad;  /* first misuse (static string), or NULL */
    uint8_t sink[32]; /* where bytes go after oom */
};
/* Free room in code.data that the inline fast paths below ask for: each
 * writes one instruction as whole 8-byte words. */
enum { X64_FAST_ROOM = 16 };

void x64_init(struct x64_asm *a);
void x64_free(struct x64_asm *a);
/* Empties code, labels, fixups, relocations and errors but keeps the
 * memory, for encoding the next function into the same assembler. */
void x64_reset(struct x64_asm *a);
/* Current code offset. */
static inline uint32_t x64_pos(const struct x64_asm *a) { return (uint32_t)a->code.len; }
/* Checks for oom, misuse and labels referenced but never bound; on failure
 * records ERR_NOMEM or ERR_ARG in e and returns false. */
bool x64_finish(struct x64_asm *a, struct err *e);

/* ---- labels and patching ---- */
x64_label x64_label_new(struct x64_asm *a);
/* Binds the label to the current offset and resolves its pending fixups.
 * A label is bound once. */
void x64_label_bind(struct x64_asm *a, x64_label l);
/* Offset of a bound label, or UINT32_MAX. */
uint32_t x64_label_pos(const struct x64_asm *a, x64_label l);
/* jmp/jcc to a label. Bound (backward) labels get the 2-byte rel8 form when
 * it reaches, else rel32; unbound (forward) labels always get rel32. */
void x64_jmp(struct x64_asm *a, x64_label l);
void x64_jcc(struct x64_asm *a, enum x64_cc cc, x64_label l);
/* Forced rel8 forms for a forward target the caller knows is near (at most
 * 127 bytes past the end of the branch); too far is reported at bind. */
void x64_jmp_short(struct x64_asm *a, x64_label l);
void x64_jcc_short(struct x64_asm *a, enum x64_cc cc, x64_label l);
/* call rel32 to a label in the same code (out-of-line stubs, local calls). */
void x64_call(struct x64_asm *a, x64_label l);
/* Emits a 4-byte data field holding pos(l) - base (a jump-table entry
 * relative to the table start `base`, a code offset). */
void x64_label_rel32(struct x64_asm *a, x64_label l, uint32_t base);
/* Emits `size` (1, 2, 4, 8) raw little-endian bytes of v: constants kept
 * in the code (pools after a function's body). */
void x64_data(struct x64_asm *a, uint64_t v, int size);
/* Overwrites the 4 bytes at offset `at` with v. The rel32 of a jmp, jcc or
 * call is always the last 4 bytes of the instruction. */
void x64_patch32(struct x64_asm *a, uint32_t at, uint32_t v);
/* Makes the rel32 field at `at` (ending at at+4) point to code offset `to`. */
void x64_patch_rel32(struct x64_asm *a, uint32_t at, uint32_t to);
/* A forward jcc rel32 with its one reference and no label (an if's else
 * edge): returns the offset of its rel32 field for x64_patch_here. Nothing
 * checks that it gets patched (unpatched, it jumps to the next insn). */
uint32_t x64_jcc_fwd_slow(struct x64_asm *a, enum x64_cc cc);
static inline uint32_t x64_jcc_fwd(struct x64_asm *a, enum x64_cc cc)
{
    struct buf *b = &a->code;
    if (b->cap - b->len < X64_FAST_ROOM)
        return x64_jcc_fwd_slow(a, cc);
    uint64_t w = 0x800f | ((uint64_t)cc & 15) << 8; /* 0F 8x and a zero rel32 */
    memcpy(b->data + b->len, &w, 8);
    b->len += 6;
    return (uint32_t)b->len - 4;
}
/* Points the rel32 field at `at` (from x64_jcc_fwd) to the current offset. */
static inline void x64_patch_here(struct x64_asm *a, uint32_t at)
{
    struct buf *b = &a->code;
    if (a->oom || (size_t)at + 4 > b->len) { /* misuse reported there */
        x64_patch_rel32(a, at, x64_pos(a));
        return;
    }
    uint32_t rel = (uint32_t)b->len - (at + 4);
    memcpy(b->data + at, &rel, 4);
}
/* Records a relocation for a field the caller emitted itself. */
void x64_reloc_add(struct x64_asm *a, uint32_t offset, enum x64_reloc_kind kind,
                   enum x64_target tkind, uint32_t target, int64_t addend);

/* ---- integer moves ---- */
/* x64_mov_rr: inline, below (x64_rr_fast). */
/* Shortest form: size 4 -> mov r32, imm32 (imm taken as 32 bits); size 8 ->
 * mov r32 (zero-extends) if imm fits u32, mov r64, simm32 if it fits s32,
 * else movabs. Does not touch the flags (no xor-zeroing). */
void x64_mov_ri(struct x64_asm *a, int size, int dst, int64_t imm);
/* Always the 10-byte movabs; its imm64 is the last 8 bytes. */
void x64_movabs(struct x64_asm *a, int dst, uint64_t imm);
/* movabs dst, target + addend, with an ABS64 relocation. */
void x64_movabs_reloc(struct x64_asm *a, int dst, enum x64_target kind, uint32_t target,
                      int64_t addend);
void x64_mov_rm(struct x64_asm *a, int size, int dst, struct x64_mem m); /* load */
void x64_mov_mr(struct x64_asm *a, int size, struct x64_mem m, int src); /* store */

/* The same for [base + disp] with a GP base, inline: a baseline compiler's
 * most frequent instructions are these movs (frame slots, vmctx fields,
 * globals), and inlined where size or base is a constant most of the
 * work below folds away. Same bytes as x64_mov_rm/mr with
 * x64_mem_base(base, disp). */
enum { X64_MOV_LOAD = 0x8b, X64_MOV_STORE = 0x89 };
/* ModRM.mod for a displacement from a base whose low three bits are low:
 * 0 none (not for rbp/r13, whose mod 0 means rip-relative or no base), 1
 * disp8, 2 disp32, so mod * mod bytes follow. Without branches: a disp32
 * is never 0. */
static inline unsigned x64_disp_mod(int32_t disp, unsigned low)
{
    return (unsigned)(disp != 0 || low == 5) + (disp != (int8_t)disp);
}
/* Appends the instruction whose bytes, from the REX prefix on, are the
 * low bytes of w (at most 8), n of them; without REX bits (rex 0) the
 * prefix is dropped. Room for 8 bytes is there. */
static inline __attribute__((always_inline)) void x64_put_word(struct buf *b, uint64_t w,
                                                               unsigned rex, unsigned n)
{
    unsigned skip = rex == 0;
    w = (w | 0x40 | rex) >> (8 * skip);
    memcpy(b->data + b->len, &w, 8);
    b->len += n - skip;
}
/* Every form the fast path below does not take (sizes 1 and 2, rsp/r12 as
 * base, a full buffer, misuse). */
RARE void x64_mov_based_slow(struct x64_asm *a, uint8_t op, int size, int reg, int base,
                                 int32_t disp);
/* A 4- or 8-byte mov (op X64_MOV_LOAD or X64_MOV_STORE; or any one-byte
 * opcode with ModRM.reg = reg, whose immediate the caller appends: at least
 * 8 bytes of room are left) of GP register reg and [base + disp], base
 * neither rsp nor r12 (they need a SIB byte): REX, opcode, ModRM and
 * displacement put together in one word and stored at once. False, with
 * nothing emitted, for anything else. */
static inline __attribute__((always_inline)) bool
x64_mov_based_fast(struct x64_asm *a, uint8_t op, int size, int reg, int base, int32_t disp)
{
    struct buf *b = &a->code;
    unsigned low = (unsigned)base & 7;
    if (((unsigned)base | (unsigned)reg) >= 16 || low == 4 || (((unsigned)size - 4) & ~4u) ||
        b->cap - b->len < X64_FAST_ROOM)
        return false;
    unsigned rex = (unsigned)(size & 8) | ((unsigned)(reg & 8) >> 1) | ((unsigned)base >> 3);
    unsigned mod = x64_disp_mod(disp, low);
    unsigned modrm = mod << 6 | ((unsigned)reg & 7) << 3 | low;
    x64_put_word(b, (uint64_t)op << 8 | modrm << 16 | (uint64_t)(uint32_t)disp << 24, rex,
                 3 + mod * mod);
    return true;
}
static inline void x64_load_based(struct x64_asm *a, int size, int dst, int base, int32_t disp)
{
    if (!x64_mov_based_fast(a, X64_MOV_LOAD, size, dst, base, disp))
        x64_mov_based_slow(a, X64_MOV_LOAD, size, dst, base, disp);
}
static inline void x64_store_based(struct x64_asm *a, int size, int base, int32_t disp, int src)
{
    if (!x64_mov_based_fast(a, X64_MOV_STORE, size, src, base, disp))
        x64_mov_based_slow(a, X64_MOV_STORE, size, src, base, disp);
}
/* The same for a register-register instruction of GP registers, sizes 4
 * and 8: the nop opcode bytes op (little-endian), then ModRM.reg reg and
 * ModRM.rm rm. False, with nothing emitted, for anything else. */
static inline __attribute__((always_inline)) bool
x64_rr_fast(struct x64_asm *a, uint32_t op, unsigned nop, int size, int reg, int rm)
{
    struct buf *b = &a->code;
    if (((unsigned)reg | (unsigned)rm) >= 16 || (((unsigned)size - 4) & ~4u) ||
        b->cap - b->len < X64_FAST_ROOM)
        return false;
    unsigned rex = (unsigned)(size & 8) | ((unsigned)reg & 8) >> 1 | (unsigned)rm >> 3;
    unsigned modrm = 0xc0 | ((unsigned)reg & 7) << 3 | ((unsigned)rm & 7);
    x64_put_word(b, (uint64_t)op << 8 | (uint64_t)modrm << (8 + 8 * nop), rex, 2 + nop);
    return true;
}
/* Sizes 1 and 2, a full buffer, misuse. */
RARE void x64_mov_rr_slow(struct x64_asm *a, int size, int dst, int src);
RARE void x64_cmov_rr_slow(struct x64_asm *a, enum x64_cc cc, int size, int dst, int src);
static inline void x64_mov_rr(struct x64_asm *a, int size, int dst, int src)
{
    if (!x64_rr_fast(a, 0x89, 1, size, src, dst))
        x64_mov_rr_slow(a, size, dst, src);
}
static inline void x64_cmov_rr(struct x64_asm *a, enum x64_cc cc, int size, int dst, int src)
{
    if (!x64_rr_fast(a, 0x400f + ((cc & 15u) << 8), 2, size, dst, src)) /* 0F 4x */
        x64_cmov_rr_slow(a, cc, size, dst, src);
}
/* [rbp + disp]: a baseline compiler's frame slots. */
static inline void x64_load_frame(struct x64_asm *a, int size, int dst, int32_t disp)
{
    x64_load_based(a, size, dst, X64_RBP, disp);
}
static inline void x64_store_frame(struct x64_asm *a, int size, int32_t disp, int src)
{
    x64_store_based(a, size, X64_RBP, disp, src);
}
/* The same for [base + index*scale + disp] (linear-memory accesses), base
 * and index GP registers, index not rsp (the caller checked): a SIB byte
 * names both. False, with nothing emitted, for other sizes than 4 and 8,
 * a reg not GP or a full buffer. */
static inline __attribute__((always_inline)) bool
x64_mov_sib_fast(struct x64_asm *a, uint8_t op, int size, int reg, unsigned base, unsigned index,
                 unsigned scale, int32_t disp)
{
    struct buf *b = &a->code;
    if ((unsigned)reg >= 16 || (((unsigned)size - 4) & ~4u) || b->cap - b->len < X64_FAST_ROOM)
        return false;
    unsigned rex = (unsigned)(size & 8) | ((unsigned)reg & 8) >> 1 | (index & 8) >> 2 | base >> 3;
    unsigned mod = x64_disp_mod(disp, base & 7);
    unsigned modrm = mod << 6 | ((unsigned)reg & 7) << 3 | 4;
    unsigned sib = ((scale >> 1) - (scale >> 3)) << 6 | (index & 7) << 3 | (base & 7); /* 1..8 -> 0..3 */
    x64_put_word(b, (uint64_t)op << 8 | modrm << 16 | sib << 24 | (uint64_t)(uint32_t)disp << 32,
                 rex, 4 + mod * mod);
    return true;
}
/* Every indexed form the fast path does not take (sizes 1 and 2, misuse);
 * the operand as one value, so that every argument has a register. */
RARE void x64_mov_indexed_slow(struct x64_asm *a, uint8_t op, int size, int reg,
                                   struct x64_mem m);
/* [base + index + disp] (linear-memory accesses), any size, inline; same
 * bytes as with x64_mem_index(base, index, 1, disp). */
static inline void x64_load_indexed(struct x64_asm *a, int size, int dst, int base, int index,
                                    int32_t disp)
{
    if (((unsigned)base | (unsigned)index) >= 16 || index == X64_RSP ||
        !x64_mov_sib_fast(a, X64_MOV_LOAD, size, dst, (unsigned)base, (unsigned)index, 1, disp))
        x64_mov_indexed_slow(a, X64_MOV_LOAD, size, dst, x64_mem_index(base, index, 1, disp));
}
static inline void x64_store_indexed(struct x64_asm *a, int size, int base, int index,
                                     int32_t disp, int src)
{
    if (((unsigned)base | (unsigned)index) >= 16 || index == X64_RSP ||
        !x64_mov_sib_fast(a, X64_MOV_STORE, size, src, (unsigned)base, (unsigned)index, 1, disp))
        x64_mov_indexed_slow(a, X64_MOV_STORE, size, src, x64_mem_index(base, index, 1, disp));
}
/* Store of an immediate (sign-extended to 64 bits when size is 8). */
void x64_mov_mi(struct x64_asm *a, int size, struct x64_mem m, int32_t imm);
/* The same to [base + index + disp], inline for sizes 1, 4 and 8 (C6 /0
 * imm8, C7 /0 imm32: the SIB form's room check leaves space for the
 * immediate); same bytes as x64_mov_mi with x64_mem_index(base, index, 1,
 * disp). */
static inline void x64_store_imm_indexed(struct x64_asm *a, int size, int base, int index,
                                         int32_t disp, int32_t imm)
{
    if (size != 2 && ((unsigned)base | (unsigned)index) < 16 && index != X64_RSP &&
        x64_mov_sib_fast(a, size == 1 ? 0xc6 : 0xc7, size == 1 ? 4 : size, 0 /* /0 */,
                         (unsigned)base, (unsigned)index, 1, disp)) {
        memcpy(a->code.data + a->code.len, &imm, 4);
        a->code.len += size == 1 ? 1 : 4;
        return;
    }
    x64_mov_mi(a, size, x64_mem_index(base, index, 1, disp), imm);
}
void x64_lea(struct x64_asm *a, int size, int dst, struct x64_mem m);
/* lea dst, [base + disp], inline by x64_mov_based_fast's word (a baseline
 * compiler's local + constant); same bytes as x64_lea with
 * x64_mem_base(base, disp). */
static inline void x64_lea_based(struct x64_asm *a, int size, int dst, int base, int32_t disp)
{
    if (!x64_mov_based_fast(a, 0x8d, size, dst, base, disp))
        x64_lea(a, size, dst, x64_mem_base(base, disp));
}

/* Zero/sign extension from ssize (1, 2, 4) bytes to dsize (4, 8):
 * movzx, movsx, movsxd; zero-extension from 4 is mov r32. */
enum x64_ext { X64_ZX, X64_SX };
void x64_ext_rr(struct x64_asm *a, enum x64_ext op, int dsize, int ssize, int dst, int src);
void x64_ext_rm(struct x64_asm *a, enum x64_ext op, int dsize, int ssize, int dst,
                struct x64_mem m);
/* The same from [base + index + disp] (linear-memory accesses), inline for
 * movzx/movsx of 1 or 2 bytes and movsxd: REX, the opcode (0F B6 + 8 for
 * sign, + 1 for 2 bytes; or 63), ModRM and SIB in one word, then the
 * displacement. Same bytes as x64_ext_rm with x64_mem_index(base, index,
 * 1, disp). */
static inline void x64_ext_load_indexed(struct x64_asm *a, enum x64_ext op, int dsize, int ssize,
                                        int dst, int base, int index, int32_t disp)
{
    struct buf *b = &a->code;
    bool sx4 = op == X64_SX && ssize == 4;
    if (((unsigned)dst | (unsigned)base | (unsigned)index) >= 16 || index == X64_RSP ||
        (unsigned)op > X64_SX || (ssize != 1 && ssize != 2 && !sx4) ||
        (dsize != 4 && dsize != 8) || (sx4 && dsize != 8) || b->cap - b->len < X64_FAST_ROOM) {
        x64_ext_rm(a, op, dsize, ssize, dst, x64_mem_index(base, index, 1, disp));
        return;
    }
    unsigned rex = (unsigned)(dsize & 8) | ((unsigned)dst & 8) >> 1 | ((unsigned)index & 8) >> 2 |
                   (unsigned)base >> 3;
    unsigned mod = x64_disp_mod(disp, (unsigned)base & 7);
    unsigned modrm = mod << 6 | ((unsigned)dst & 7) << 3 | 4;
    unsigned sib = ((unsigned)index & 7) << 3 | ((unsigned)base & 7);
    unsigned nop = sx4 ? 1 : 2;
    uint64_t opc = sx4 ? 0x63 : 0xb60fu + ((8u * (op == X64_SX) + (ssize == 2)) << 8);
    x64_put_word(b, opc << 8 | (uint64_t)(modrm | sib << 8) << (8 + 8 * nop), rex, 3 + nop);
    memcpy(b->data + b->len, &disp, 4);
    b->len += mod * mod;
}

/* ---- two-operand integer ALU: dst = dst op src (CMP, TEST: flags only) ----
 * Immediates use the sign-extended imm8 form when they fit. */
enum x64_alu {
    X64_ADD, X64_OR, X64_ADC, X64_SBB, X64_AND, X64_SUB, X64_XOR, X64_CMP, X64_TEST,
};
/* Sizes 1 and 2, a full buffer, misuse. */
RARE void x64_alu_rr_slow(struct x64_asm *a, enum x64_alu op, int size, int dst, int src);
static inline void x64_alu_rr(struct x64_asm *a, enum x64_alu op, int size, int dst, int src)
{
    /* r/m op= r: opcode 8 * op + 1 (gp.c's alu_forms), test 85 */
    if ((unsigned)op > X64_TEST ||
        !x64_rr_fast(a, op == X64_TEST ? 0x85 : 8 * (unsigned)op + 1, 1, size, src, dst))
        x64_alu_rr_slow(a, op, size, dst, src);
}
/* Every form x64_alu_ri's fast path does not take (sizes 1 and 2, rax
 * with an imm32, which has a shorter form, a full buffer, misuse). */
RARE void x64_alu_ri_slow(struct x64_asm *a, enum x64_alu op, int size, int dst, int32_t imm);
/* ADD..CMP of a register and an immediate, inline for the usual form: REX,
 * 83 /op with an imm8 or 81 /op with an imm32, put together in one word. */
static inline void x64_alu_ri(struct x64_asm *a, enum x64_alu op, int size, int dst,
                              int32_t imm)
{
    struct buf *b = &a->code;
    bool short_imm = imm == (int8_t)imm;
    if ((unsigned)op > X64_CMP || (unsigned)dst >= 16 || (((unsigned)size - 4) & ~4u) ||
        (!short_imm && dst == X64_RAX) || b->cap - b->len < X64_FAST_ROOM) {
        x64_alu_ri_slow(a, op, size, dst, imm);
        return;
    }
    unsigned rex = ((unsigned)size & 8) | ((unsigned)dst >> 3); /* W, B */
    unsigned modrm = 0xc0 | (unsigned)op << 3 | ((unsigned)dst & 7);
    uint64_t w = (uint64_t)(short_imm ? 0x83 : 0x81) << 8 | modrm << 16 |
                 (uint64_t)(uint32_t)imm << 24;
    x64_put_word(b, w, rex, short_imm ? 4 : 7);
}
void x64_alu_rm(struct x64_asm *a, enum x64_alu op, int size, int dst, struct x64_mem m);
void x64_alu_mr(struct x64_asm *a, enum x64_alu op, int size, struct x64_mem m, int src);
void x64_alu_mi(struct x64_asm *a, enum x64_alu op, int size, struct x64_mem m, int32_t imm);

/* ---- one-operand group. MUL/IMUL1/DIV/IDIV use rdx:rax (edx:eax). ---- */
enum x64_unary { X64_INC, X64_DEC, X64_NOT, X64_NEG, X64_MUL, X64_IMUL1, X64_DIV, X64_IDIV };
void x64_unary_r(struct x64_asm *a, enum x64_unary op, int size, int reg);
void x64_unary_m(struct x64_asm *a, enum x64_unary op, int size, struct x64_mem m);

/* ---- shifts and rotates: by imm8 or by cl ---- */
enum x64_shift { X64_ROL = 0, X64_ROR = 1, X64_SHL = 4, X64_SHR = 5, X64_SAR = 7 };
void x64_shift_ri(struct x64_asm *a, enum x64_shift op, int size, int reg, uint8_t imm);
void x64_shift_rc(struct x64_asm *a, enum x64_shift op, int size, int reg);

/* ---- reg = op(reg, r/m) group ---- */
enum x64_rmop {
    X64_IMUL,   /* dst *= src */
    X64_POPCNT, X64_LZCNT, X64_TZCNT, X64_BSF, X64_BSR, /* dst = f(src) */
};
void x64_op_rr(struct x64_asm *a, enum x64_rmop op, int size, int dst, int src);
void x64_op_rm(struct x64_asm *a, enum x64_rmop op, int size, int dst, struct x64_mem m);
/* dst = src * imm (3-operand imul; imm8 form when it fits). */
void x64_imul_rri(struct x64_asm *a, int size, int dst, int src, int32_t imm);
void x64_imul_rmi(struct x64_asm *a, int size, int dst, struct x64_mem m, int32_t imm);
/* cdq (size 4) or cqo (size 8): sign-extend eax/rax into edx/rdx. */
void x64_cdq(struct x64_asm *a, int size);

/* ---- flags, bits and misc ---- */
void x64_bt_rr(struct x64_asm *a, int size, int reg, int bit);   /* CF = bit `bit` of reg */
void x64_bt_ri(struct x64_asm *a, int size, int reg, uint8_t bit);
void x64_setcc(struct x64_asm *a, enum x64_cc cc, int reg);      /* writes the low byte only */
/* setcc then movzx r32, r8: reg = 1 when cc holds, else 0 (a comparison
 * turned into a value). */
void x64_setcc_zx(struct x64_asm *a, enum x64_cc cc, int reg);
/* x64_cmov_rr: inline, above (x64_rr_fast). */
void x64_cmov_rm(struct x64_asm *a, enum x64_cc cc, int size, int dst, struct x64_mem m);
void x64_xchg_rr(struct x64_asm *a, int size, int r1, int r2);
void x64_bswap(struct x64_asm *a, int size, int reg);
void x64_push(struct x64_asm *a, int reg);
void x64_pop(struct x64_asm *a, int reg);

/* ---- control ---- */
void x64_jmp_r(struct x64_asm *a, int reg);
void x64_jmp_m(struct x64_asm *a, struct x64_mem m);
void x64_call_r(struct x64_asm *a, int reg);
void x64_call_m(struct x64_asm *a, struct x64_mem m);
/* call/jmp rel32 to a function or runtime symbol: records a REL32
 * relocation with addend -4 on the last 4 bytes. */
void x64_call_reloc(struct x64_asm *a, enum x64_target kind, uint32_t target);
void x64_jmp_reloc(struct x64_asm *a, enum x64_target kind, uint32_t target);
void x64_ret(struct x64_asm *a);
void x64_ud2(struct x64_asm *a);
void x64_int3(struct x64_asm *a);
/* n bytes of no-op, in as few instructions as the recommended forms allow. */
void x64_nop(struct x64_asm *a, uint32_t n);
/* Pads with no-ops to a multiple of `align` (a power of two). */
void x64_align(struct x64_asm *a, uint32_t align);

/* ---- SSE: XMM = op(XMM, XMM/mem) ----
 * Scalar (ss/sd), packed float (ps/pd) and packed integer forms, SSE2 unless
 * marked SSE4.1. Moves can also store (x64_sse_mr) where x86 has a store
 * form. The ops marked "imm" take an imm8 (x64_sse_rri/_rmi), those marked
 * "by imm" shift the register in place (x64_sse_ri). */
enum x64_sse {
    /* moves */
    X64_MOVSS, X64_MOVSD, X64_MOVAPS, X64_MOVUPS, X64_MOVAPD, X64_MOVDQA, X64_MOVDQU,
    X64_MOVQ, /* low 64 bits, upper cleared */
    /* scalar and packed float arithmetic */
    X64_ADDSS, X64_ADDSD, X64_ADDPS, X64_ADDPD, X64_SUBSS, X64_SUBSD, X64_SUBPS, X64_SUBPD,
    X64_MULSS, X64_MULSD, X64_MULPS, X64_MULPD, X64_DIVSS, X64_DIVSD, X64_DIVPS, X64_DIVPD,
    X64_SQRTSS, X64_SQRTSD, X64_SQRTPS, X64_SQRTPD, X64_MINSS, X64_MINSD, X64_MINPS,
    X64_MINPD, X64_MAXSS, X64_MAXSD, X64_MAXPS, X64_MAXPD,
    X64_UCOMISS, X64_UCOMISD, X64_COMISS, X64_COMISD,
    X64_CVTSS2SD, X64_CVTSD2SS, X64_CVTDQ2PS, X64_CVTTPS2DQ, X64_CVTDQ2PD, X64_CVTPS2PD,
    X64_CVTPD2PS,
    X64_ROUNDSS, X64_ROUNDSD, X64_ROUNDPS, X64_ROUNDPD, /* SSE4.1, imm: rounding mode */
    /* bitwise */
    X64_ANDPS, X64_ANDPD, X64_ANDNPS, X64_ANDNPD, X64_ORPS, X64_ORPD, X64_XORPS, X64_XORPD,
    X64_SHUFPS, /* imm */
    /* packed integer */
    X64_PADDB, X64_PADDW, X64_PADDD, X64_PADDQ, X64_PSUBB, X64_PSUBW, X64_PSUBD, X64_PSUBQ,
    X64_PMULLW, X64_PMULLD /* SSE4.1 */, X64_PMULUDQ,
    X64_PAND, X64_PANDN, X64_POR, X64_PXOR,
    X64_PCMPEQB, X64_PCMPEQW, X64_PCMPEQD, X64_PCMPEQQ /* SSE4.1 */,
    X64_PCMPGTB, X64_PCMPGTW, X64_PCMPGTD,
    X64_PMINSD, X64_PMAXSD, X64_PMINUD, X64_PMAXUD, /* SSE4.1 */
    X64_PUNPCKLBW, X64_PUNPCKLWD, X64_PUNPCKLDQ, X64_PUNPCKLQDQ,
    X64_PUNPCKHBW, X64_PUNPCKHWD, X64_PUNPCKHDQ, X64_PUNPCKHQDQ,
    X64_PSHUFB /* SSSE3 */, X64_PSHUFD /* imm */, X64_PTEST /* SSE4.1 */,
    X64_PSLLW, X64_PSLLD, X64_PSLLQ, X64_PSRLW, X64_PSRLD, X64_PSRLQ, X64_PSRAW, X64_PSRAD,
    /* by imm: shift each lane (or the whole register for DQ, in bytes) */
    X64_PSLLW_I, X64_PSLLD_I, X64_PSLLQ_I, X64_PSRLW_I, X64_PSRLD_I, X64_PSRLQ_I,
    X64_PSRAW_I, X64_PSRAD_I, X64_PSLLDQ_I, X64_PSRLDQ_I,
    X64_SSE_COUNT
};
void x64_sse_rr(struct x64_asm *a, enum x64_sse op, int dst, int src);
void x64_sse_rm(struct x64_asm *a, enum x64_sse op, int dst, struct x64_mem m);
void x64_sse_mr(struct x64_asm *a, enum x64_sse op, struct x64_mem m, int src);
void x64_sse_rri(struct x64_asm *a, enum x64_sse op, int dst, int src, uint8_t imm);
void x64_sse_rmi(struct x64_asm *a, enum x64_sse op, int dst, struct x64_mem m, uint8_t imm);
void x64_sse_ri(struct x64_asm *a, enum x64_sse op, int reg, uint8_t imm);

/* Rounding-mode immediates for ROUND*: nearest-even, down, up, toward zero;
 * add X64_ROUND_NOEXC to suppress the precision exception. */
enum { X64_ROUND_NEAREST = 0, X64_ROUND_DOWN = 1, X64_ROUND_UP = 2, X64_ROUND_TRUNC = 3,
       X64_ROUND_NOEXC = 8 };

/* ---- between GP and XMM registers; `size` (4, 8) is the GP side ---- */
enum x64_cvt {
    X64_CVTSI2SS, X64_CVTSI2SD,   /* xmm = (float)gp, gp signed */
    X64_CVTTSS2SI, X64_CVTTSD2SI, /* gp = trunc(xmm) */
    X64_MOVD_XR,                  /* movd/movq xmm, gp (upper lanes cleared) */
    X64_MOVD_RX,                  /* movd/movq gp, xmm */
    X64_MOVMSKPS, X64_MOVMSKPD, X64_PMOVMSKB, /* gp = sign bits of xmm lanes */
};
void x64_cvt_rr(struct x64_asm *a, enum x64_cvt op, int size, int dst, int src);
/* The source in memory (not for X64_MOVD_RX and the MOVMSKs). */
void x64_cvt_rm(struct x64_asm *a, enum x64_cvt op, int size, int dst, struct x64_mem m);

#endif
