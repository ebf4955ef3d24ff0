/* General-purpose integer instructions. Each group is a table of opcode
 * words; the functions pick the form (register, memory, immediate size)
 * and hand it to the core. An `m` of NULL means the r/m operand is the
 * register argument. */
#include "core.h"

static bool fits8(int64_t v) { return v == (int8_t)v; }

/* Bytes of an immediate of the given operand size (imm32 for 64-bit). */
static int imm_len(int size) { return size == 1 ? 1 : size == 2 ? 2 : 4; }

/* Checks that imm fits an operand of `size` bytes, signed or unsigned. */
static bool imm_ok(struct x64_asm *a, int size, int64_t imm)
{
    if (size == 1 ? imm >= -128 && imm <= 255
                  : size == 2 ? imm >= -32768 && imm <= 65535 : true)
        return true;
    x64_misuse(a, "immediate too wide for the operand size");
    return false;
}

/* ---- moves ---- */

void x64_mov_rr_slow(struct x64_asm *a, int size, int dst, int src)
{
    x64_emit_sized(a, 0x89, size, src, dst, NULL, 0, 0);
}

void x64_movabs(struct x64_asm *a, int dst, uint64_t imm)
{
    x64_emit_o(a, 0xb8 | OP_W, dst, 8, (int64_t)imm);
}

/* The forms x64_mov_ri does not write directly, out of line so that its
 * usual path needs no frame. */
static __attribute__((noinline)) void mov_ri_other(struct x64_asm *a, int size, int dst,
                                                   int64_t imm)
{
    if (size == 8 && (uint64_t)imm <= UINT32_MAX)
        size = 4; /* mov r32 zero-extends into r64 */
    if (size == 8 && imm == (int32_t)imm)
        x64_emit_rm(a, 0xc7 | OP_W, DIGIT(0), dst, NULL, 4, imm); /* sign-extended imm32 */
    else if (size == 8)
        x64_movabs(a, dst, (uint64_t)imm);
    else if (size == 1 && imm_ok(a, 1, imm))
        x64_emit_o(a, 0xb0 | OP_BRM, dst, 1, imm);
    else if (size != 1 && (size == 4 || imm_ok(a, size, imm)))
        x64_emit_o(a, x64_sized_nobyte(a, 0xb8, size), dst, imm_len(size), imm);
}

void x64_mov_ri(struct x64_asm *a, int size, int dst, int64_t imm)
{
    struct buf *b = &a->code;
    if ((size == 4 || (size == 8 && (uint64_t)imm <= UINT32_MAX)) && (unsigned)dst < 16 &&
        b->cap - b->len >= X64_ROOM) {
        /* the usual form, written directly: [REX.B] B8+r imm32 (mov r32
         * zero-extends into r64) */
        uint8_t *p = b->data + b->len;
        unsigned high = (unsigned)dst >> 3;
        uint32_t v = (uint32_t)imm;
        p[0] = 0x41;
        p[high] = (uint8_t)(0xb8 + (dst & 7));
        memcpy(p + high + 1, &v, 4);
        b->len += high + 5;
        return;
    }
    mov_ri_other(a, size, dst, imm);
}

X64_INLINE bool mov_indexed(struct x64_asm *a, uint8_t op, int size, int reg,
                            const struct x64_mem *m)
{
    return x64_index_mem(m) && x64_mov_sib_fast(a, op, size, reg, (unsigned)m->base,
                                                (unsigned)m->index, m->scale, m->disp);
}

/* Every other form (sizes 1 and 2, rip-relative, absolute, misuse). */
static __attribute__((noinline)) void mov_general(struct x64_asm *a, uint8_t op, int size,
                                                  int reg, struct x64_mem m)
{
    x64_emit_general(a, x64_sized(a, op, size), reg, 0, &m, 0, 0);
}

/* The forms mov_based does not take, out of line so that its path needs no
 * frame; mov_general's call is the tail, so this one needs none either. */
static __attribute__((noinline)) void mov_other(struct x64_asm *a, uint8_t op, int size, int reg,
                                                struct x64_mem m)
{
    if (!mov_indexed(a, op, size, reg, &m))
        mov_general(a, op, size, reg, m);
}

void x64_mov_rm(struct x64_asm *a, int size, int dst, struct x64_mem m)
{
    if (!x64_base_mem(&m) || !x64_mov_based_fast(a, X64_MOV_LOAD, size, dst, m.base, m.disp))
        mov_other(a, X64_MOV_LOAD, size, dst, m);
}

void x64_mov_mr(struct x64_asm *a, int size, struct x64_mem m, int src)
{
    if (!x64_base_mem(&m) || !x64_mov_based_fast(a, X64_MOV_STORE, size, src, m.base, m.disp))
        mov_other(a, X64_MOV_STORE, size, src, m);
}

void x64_mov_based_slow(struct x64_asm *a, uint8_t op, int size, int reg, int base,
                        int32_t disp)
{
    mov_other(a, op, size, reg, x64_mem_base(base, disp));
}

void x64_mov_indexed_slow(struct x64_asm *a, uint8_t op, int size, int reg, struct x64_mem m)
{
    mov_general(a, op, size, reg, m);
}

/* x64_mov_mi's other forms (sizes 1 and 2, indexed or rip-relative
 * operands, misuse), out of line so that its usual path needs no frame. */
static __attribute__((noinline)) void mov_mi_other(struct x64_asm *a, int size, struct x64_mem m,
                                                   int32_t imm)
{
    if (imm_ok(a, size, imm))
        x64_emit_rm(a, x64_sized(a, 0xc7, size), DIGIT(0), 0, &m, imm_len(size), imm);
}

void x64_mov_mi(struct x64_asm *a, int size, struct x64_mem m, int32_t imm)
{
    /* the usual [base + disp] form: C7 /0 as a based mov, then the imm32
     * (the fast path's room check left space for it) */
    if (x64_base_mem(&m) && x64_mov_based_fast(a, 0xc7, size, 0 /* /0 */, m.base, m.disp)) {
        memcpy(a->code.data + a->code.len, &imm, 4);
        a->code.len += 4;
        return;
    }
    mov_mi_other(a, size, m, imm);
}

void x64_lea(struct x64_asm *a, int size, int dst, struct x64_mem m)
{
    x64_emit_rm(a, x64_sized_nobyte(a, 0x8d, size), dst, 0, &m, 0, 0);
}

/* movzx/movsx/movsxd by [op][ssize]; zero-extending 4 bytes is mov r32. */
static const uint32_t ext_ops[2][5] = {
    [X64_ZX] = {[1] = OP_0F(0xb6) | OP_BRM, [2] = OP_0F(0xb7), [4] = 0x8b},
    [X64_SX] = {[1] = OP_0F(0xbe) | OP_BRM, [2] = OP_0F(0xbf), [4] = 0x63},
};

X64_INLINE void ext(struct x64_asm *a, enum x64_ext op, int dsize, int ssize, int dst,
                const struct x64_mem *m, int src)
{
    if ((unsigned)op > X64_SX || (ssize != 1 && ssize != 2 && ssize != 4) ||
        (dsize != 4 && dsize != 8) || (op == X64_SX && ssize == 4 && dsize != 8)) {
        x64_misuse(a, "bad extension sizes");
        return;
    }
    bool w = dsize == 8 && !(op == X64_ZX && ssize == 4);
    uint32_t word = ext_ops[op][ssize] | (w ? OP_W : 0);
    if (m)
        x64_emit_rm(a, word, dst, 0, m, 0, 0);
    else
        x64_emit_rr(a, word, dst, src);
}

void x64_ext_rr(struct x64_asm *a, enum x64_ext op, int dsize, int ssize, int dst, int src)
{
    ext(a, op, dsize, ssize, dst, NULL, src);
}

void x64_ext_rm(struct x64_asm *a, enum x64_ext op, int dsize, int ssize, int dst,
                struct x64_mem m)
{
    ext(a, op, dsize, ssize, dst, &m, 0);
}

/* ---- ALU group ----
 * Opcodes of the full-size forms (the 8-bit form is one less): r/m op= r,
 * r op= r/m, r/m op= imm (with /digit), r/m op= simm8, eax op= imm. TEST is
 * symmetric (85 both ways) and has no imm8 form. */
static const struct alu_form {
    uint8_t mr, rm, imm, digit, imm8, rax;
} alu_forms[] = {
    [X64_ADD] = {0x01, 0x03, 0x81, 0, 0x83, 0x05},
    [X64_OR] = {0x09, 0x0b, 0x81, 1, 0x83, 0x0d},
    [X64_ADC] = {0x11, 0x13, 0x81, 2, 0x83, 0x15},
    [X64_SBB] = {0x19, 0x1b, 0x81, 3, 0x83, 0x1d},
    [X64_AND] = {0x21, 0x23, 0x81, 4, 0x83, 0x25},
    [X64_SUB] = {0x29, 0x2b, 0x81, 5, 0x83, 0x2d},
    [X64_XOR] = {0x31, 0x33, 0x81, 6, 0x83, 0x35},
    [X64_CMP] = {0x39, 0x3b, 0x81, 7, 0x83, 0x3d},
    [X64_TEST] = {0x85, 0x85, 0xf7, 0, 0, 0xa9},
};

static const struct alu_form *alu(struct x64_asm *a, enum x64_alu op)
{
    if ((unsigned)op < ARRAY_LEN(alu_forms))
        return &alu_forms[op];
    x64_misuse(a, "unknown ALU operation");
    return NULL;
}

void x64_alu_rr_slow(struct x64_asm *a, enum x64_alu op, int size, int dst, int src)
{
    const struct alu_form *f = alu(a, op);
    if (f && (size == 4 || size == 8))
        x64_emit_rr(a, f->mr | (size == 8 ? OP_W : 0), src, dst);
    else if (f)
        x64_emit_other_size(a, f->mr, size, src, dst, NULL, 0, 0);
}

void x64_alu_rm(struct x64_asm *a, enum x64_alu op, int size, int dst, struct x64_mem m)
{
    const struct alu_form *f = alu(a, op);
    if (f)
        x64_emit_sized(a, f->rm, size, dst, 0, &m, 0, 0);
}

void x64_alu_mr(struct x64_asm *a, enum x64_alu op, int size, struct x64_mem m, int src)
{
    const struct alu_form *f = alu(a, op);
    if (f)
        x64_emit_sized(a, f->mr, size, src, 0, &m, 0, 0);
}

static void alu_imm(struct x64_asm *a, enum x64_alu op, int size, int dst,
                    const struct x64_mem *m, int32_t imm)
{
    const struct alu_form *f = alu(a, op);
    if (!f || !imm_ok(a, size, imm))
        return;
    if (size != 1 && f->imm8 && fits8(imm))
        x64_emit_sized(a, f->imm8, size, DIGIT(f->digit), dst, m, 1, imm);
    else if (!m && dst == X64_RAX)
        x64_emit_o(a, x64_sized(a, f->rax, size), X64_RAX, imm_len(size), imm);
    else
        x64_emit_rm(a, x64_sized(a, f->imm, size), DIGIT(f->digit), dst, m, imm_len(size), imm);
}

void x64_alu_ri_slow(struct x64_asm *a, enum x64_alu op, int size, int dst, int32_t imm)
{
    alu_imm(a, op, size, dst, NULL, imm);
}

/* ADD..CMP of 4 or 8 bytes at [base + disp] (no SIB: not rsp/r12) and an
 * immediate, written directly as alu_ri_fast does for a register (a frame
 * slot compared with a constant). False for anything else. */
static inline bool alu_mi_based(struct x64_asm *a, enum x64_alu op, int size,
                                const struct x64_mem *m, int32_t imm)
{
    struct buf *b = &a->code;
    unsigned low = (unsigned)m->base & 7;
    if ((unsigned)op > X64_CMP || !x64_base_mem(m) || low == 4 || (size != 4 && size != 8) ||
        b->cap - b->len < X64_ROOM)
        return false;
    uint8_t *start = b->data + b->len, *p = start;
    unsigned rex = ((unsigned)size & 8) | (unsigned)m->base >> 3; /* W, B */
    *p = (uint8_t)(0x40 | rex);
    p += rex != 0;
    int32_t disp = m->disp;
    unsigned mod = x64_disp_mod(disp, low);
    bool short_imm = fits8(imm);
    p[0] = short_imm ? 0x83 : 0x81;
    p[1] = (uint8_t)(mod << 6 | (unsigned)op << 3 | low);
    memcpy(p + 2, &disp, 4);
    p += 2 + mod * mod;
    memcpy(p, &imm, 4);
    b->len += (size_t)(p + (short_imm ? 1 : 4) - start);
    return true;
}

/* x64_alu_mi's other forms, out of line so that its usual path needs no
 * frame. */
static __attribute__((noinline)) void alu_mi_other(struct x64_asm *a, enum x64_alu op, int size,
                                                   struct x64_mem m, int32_t imm)
{
    alu_imm(a, op, size, 0, &m, imm);
}

void x64_alu_mi(struct x64_asm *a, enum x64_alu op, int size, struct x64_mem m, int32_t imm)
{
    if (!alu_mi_based(a, op, size, &m, imm))
        alu_mi_other(a, op, size, m, imm);
}

/* ---- one-operand group: opcode and /digit ---- */
static const uint8_t unary_forms[][2] = {
    [X64_INC] = {0xff, 0}, [X64_DEC] = {0xff, 1}, [X64_NOT] = {0xf7, 2},
    [X64_NEG] = {0xf7, 3}, [X64_MUL] = {0xf7, 4}, [X64_IMUL1] = {0xf7, 5},
    [X64_DIV] = {0xf7, 6}, [X64_IDIV] = {0xf7, 7},
};

static void unary(struct x64_asm *a, enum x64_unary op, int size, int reg,
                  const struct x64_mem *m)
{
    if ((unsigned)op >= ARRAY_LEN(unary_forms)) {
        x64_misuse(a, "unknown unary operation");
        return;
    }
    const uint8_t *f = unary_forms[op];
    x64_emit_rm(a, x64_sized(a, f[0], size), DIGIT(f[1]), reg, m, 0, 0);
}

void x64_unary_r(struct x64_asm *a, enum x64_unary op, int size, int reg)
{
    unary(a, op, size, reg, NULL);
}

void x64_unary_m(struct x64_asm *a, enum x64_unary op, int size, struct x64_mem m)
{
    unary(a, op, size, 0, &m);
}

/* ---- shifts: C1 /op ib, D1 /op (by 1), D3 /op (by cl) ---- */

static bool shift_ok(struct x64_asm *a, enum x64_shift op)
{
    if ((unsigned)op <= 7 && op != 2 && op != 3 && op != 6)
        return true;
    x64_misuse(a, "unknown shift operation");
    return false;
}

void x64_shift_ri(struct x64_asm *a, enum x64_shift op, int size, int reg, uint8_t imm)
{
    if (!shift_ok(a, op))
        return;
    if (imm == 1)
        x64_emit_rm(a, x64_sized(a, 0xd1, size), DIGIT(op), reg, NULL, 0, 0);
    else
        x64_emit_rm(a, x64_sized(a, 0xc1, size), DIGIT(op), reg, NULL, 1, imm);
}

void x64_shift_rc(struct x64_asm *a, enum x64_shift op, int size, int reg)
{
    if (shift_ok(a, op))
        x64_emit_rm(a, x64_sized(a, 0xd3, size), DIGIT(op), reg, NULL, 0, 0);
}

/* ---- reg = op(reg, r/m) ---- */
static const uint32_t rm_ops[] = {
    [X64_IMUL] = OP_0F(0xaf),   [X64_POPCNT] = OP_F3_0F(0xb8), [X64_LZCNT] = OP_F3_0F(0xbd),
    [X64_TZCNT] = OP_F3_0F(0xbc), [X64_BSF] = OP_0F(0xbc),     [X64_BSR] = OP_0F(0xbd),
};

static void rmop(struct x64_asm *a, enum x64_rmop op, int size, int dst, int src,
                 const struct x64_mem *m)
{
    if ((unsigned)op >= ARRAY_LEN(rm_ops))
        x64_misuse(a, "unknown reg,r/m operation");
    else
        x64_emit_rm(a, x64_sized_nobyte(a, rm_ops[op], size), dst, src, m, 0, 0);
}

void x64_op_rr(struct x64_asm *a, enum x64_rmop op, int size, int dst, int src)
{
    rmop(a, op, size, dst, src, NULL);
}

void x64_op_rm(struct x64_asm *a, enum x64_rmop op, int size, int dst, struct x64_mem m)
{
    rmop(a, op, size, dst, 0, &m);
}

static void imul3(struct x64_asm *a, int size, int dst, int src, const struct x64_mem *m,
                  int32_t imm)
{
    if (!imm_ok(a, size, imm))
        return;
    bool small = fits8(imm);
    x64_emit_rm(a, x64_sized_nobyte(a, small ? 0x6b : 0x69, size), dst, src, m,
                small ? 1 : imm_len(size), imm);
}

void x64_imul_rri(struct x64_asm *a, int size, int dst, int src, int32_t imm)
{
    imul3(a, size, dst, src, NULL, imm);
}

void x64_imul_rmi(struct x64_asm *a, int size, int dst, struct x64_mem m, int32_t imm)
{
    imul3(a, size, dst, 0, &m, imm);
}

void x64_cdq(struct x64_asm *a, int size)
{
    x64_emit_o(a, x64_sized_nobyte(a, 0x99, size), 0, 0, 0);
}

/* ---- bits, flags, exchanges, stack ---- */

void x64_bt_rr(struct x64_asm *a, int size, int reg, int bit)
{
    x64_emit_rm(a, x64_sized_nobyte(a, OP_0F(0xa3), size), bit, reg, NULL, 0, 0);
}

void x64_bt_ri(struct x64_asm *a, int size, int reg, uint8_t bit)
{
    x64_emit_rm(a, x64_sized_nobyte(a, OP_0F(0xba), size), DIGIT(4), reg, NULL, 1, bit);
}

void x64_setcc(struct x64_asm *a, enum x64_cc cc, int reg)
{
    x64_emit_rm(a, OP_0F(0x90 + (cc & 15u)) | OP_BRM, DIGIT(0), reg, NULL, 0, 0);
}

/* x64_setcc_zx as its two instructions (a full buffer, misuse), out of line
 * so that its usual path needs no frame. */
static __attribute__((noinline)) void setcc_zx_other(struct x64_asm *a, enum x64_cc cc, int reg)
{
    x64_setcc(a, cc, reg);
    x64_ext_rr(a, X64_ZX, 4, 1, reg, reg);
}

void x64_setcc_zx(struct x64_asm *a, enum x64_cc cc, int reg)
{
    struct buf *b = &a->code;
    if ((unsigned)reg >= 16 || b->cap - b->len < X64_ROOM || a->oom) {
        setcc_zx_other(a, cc, reg);
        return;
    }
    /* [REX] 0F 90+cc /0, [REX] 0F B6 /r: registers 4..7 as bytes need an
     * empty REX (spl..dil), 8..15 REX.B (and REX.R for movzx's dst) */
    unsigned r = (unsigned)reg & 7, hi = (unsigned)reg >> 3, rex = reg >= 4;
    uint8_t *p = b->data + b->len;
    *p = (uint8_t)(0x40 | hi);
    p += rex;
    p[0] = 0x0f;
    p[1] = (uint8_t)(0x90 | (cc & 15u));
    p[2] = (uint8_t)(0xc0 | r);
    p += 3;
    *p = (uint8_t)(0x40 | hi * 5);
    p += rex;
    p[0] = 0x0f;
    p[1] = 0xb6;
    p[2] = (uint8_t)(0xc0 | r << 3 | r);
    b->len = (size_t)(p + 3 - b->data);
}

void x64_cmov_rr_slow(struct x64_asm *a, enum x64_cc cc, int size, int dst, int src)
{
    x64_emit_rm(a, x64_sized_nobyte(a, OP_0F(0x40 + (cc & 15u)), size), dst, src, NULL, 0, 0);
}

void x64_cmov_rm(struct x64_asm *a, enum x64_cc cc, int size, int dst, struct x64_mem m)
{
    x64_emit_rm(a, x64_sized_nobyte(a, OP_0F(0x40 + (cc & 15u)), size), dst, 0, &m, 0, 0);
}

void x64_xchg_rr(struct x64_asm *a, int size, int r1, int r2)
{
    x64_emit_rm(a, x64_sized(a, 0x87, size), r2, r1, NULL, 0, 0);
}

void x64_bswap(struct x64_asm *a, int size, int reg)
{
    if (size != 4 && size != 8)
        x64_misuse(a, "bswap size must be 4 or 8");
    else
        x64_emit_o(a, x64_sized(a, OP_0F(0xc8), size), reg, 0, 0);
}

/* push/pop are 64-bit without REX.W. */
void x64_push(struct x64_asm *a, int reg) { x64_emit_o(a, 0x50, reg, 0, 0); }
void x64_pop(struct x64_asm *a, int reg) { x64_emit_o(a, 0x58, reg, 0, 0); }
