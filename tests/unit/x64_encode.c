/* The general-purpose integer encodings, every form over a spread of
 * registers, addressing modes and immediates, checked against objdump. */
#include "x64_dis.h"

static const char *const cc_names[16] = {"o", "no", "b", "ae", "e", "ne", "be", "a",
                                         "s", "ns", "p", "np", "l", "ge", "le", "g"};
static const int sizes[] = {1, 2, 4, 8};

/* Every base x index x scale x displacement size, through one load. */
static void addressing(struct dis *d)
{
    static const int32_t disps[] = {0, 1, -128, 127, 128, -129, 0x7fffffff, -0x7fffffff - 1};
    unsigned n = 0;
    for (int base = X64_NOREG; base <= X64_RIP; base++) {
        if (base > X64_R15 && base < X64_RIP)
            continue;
        for (int index = X64_NOREG; index <= X64_R15; index++) {
            if (index == X64_RSP || (base == X64_RIP && index != X64_NOREG))
                continue;
            for (int scale = 1; scale <= 8; scale *= 2) {
                if (index == X64_NOREG && scale > 1)
                    continue;
                for (unsigned i = 0; i < ARRAY_LEN(disps); i++) {
                    struct x64_mem m = x64_mem_index(base, index, scale, disps[i]);
                    int r = (int)(n++ % 16);
                    T(d, x64_mov_rm(&d->a, 8, r, m), "mov %s,%s", reg_name(8, r),
                      mem_text(8, m));
                }
            }
        }
    }
}

/* The based path ([base + disp] without a memory operand, inline in
 * x64.h) and its frame-slot form, every register and base (rsp and r12 go
 * the general way), both sizes it takes, each displacement class. */
static void based_moves(struct dis *d)
{
    static const int32_t disps[] = {0, 1, -8, 127, -128, 128, -129, -70000, INT32_MIN};
    for (int z = 4; z <= 8; z += 4)
        for (int r = 0; r < 16; r++)
            for (unsigned i = 0; i < ARRAY_LEN(disps); i++) {
                struct x64_mem m = x64_mem_base(X64_RBP, disps[i]);
                T(d, x64_load_frame(&d->a, z, r, disps[i]), "mov %s,%s", reg_name(z, r),
                  mem_text(z, m));
                T(d, x64_store_frame(&d->a, z, disps[i], r), "mov %s,%s", mem_text(z, m),
                  reg_name(z, r));
                int base = (r * 7 + (int)i) % 16;
                m = x64_mem_base(base, disps[i]);
                T(d, x64_load_based(&d->a, z, r, base, disps[i]), "mov %s,%s", reg_name(z, r),
                  mem_text(z, m));
                T(d, x64_store_based(&d->a, z, base, disps[i], r), "mov %s,%s", mem_text(z, m),
                  reg_name(z, r));
            }
}

/* The indexed path ([base + index + disp] without a memory operand), every
 * base and index register, every size, each displacement class. */
static void indexed_moves(struct dis *d)
{
    static const int32_t disps[] = {0, 1, -128, 128, INT32_MIN};
    unsigned n = 0;
    for (int z = 1; z <= 8; z *= 2)
        for (int base = 0; base < 16; base++)
            for (int index = 0; index < 16; index++) {
                if (index == X64_RSP)
                    continue;
                for (unsigned i = 0; i < ARRAY_LEN(disps); i++) {
                    struct x64_mem m = x64_mem_index(base, index, 1, disps[i]);
                    int r = (int)(n++ % 16);
                    T(d, x64_load_indexed(&d->a, z, r, base, index, disps[i]), "mov %s,%s",
                      reg_name(z, r), mem_text(z, m));
                    T(d, x64_store_indexed(&d->a, z, base, index, disps[i], r), "mov %s,%s",
                      mem_text(z, m), reg_name(z, r));
                }
            }
}

static void moves(struct dis *d)
{
    static const int64_t imms[] = {0, 1, -1, 127, 0x7fffffff, 0x80000000, 0xffffffff,
                                   0x100000000, -0x80000000ll, -0x80000001ll,
                                   INT64_MIN, 0x123456789abcdefll};
    for (unsigned s = 0; s < 4; s++) {
        int z = sizes[s];
        for (int dst = 0; dst < 16; dst++)
            for (int src = 0; src < 16; src++)
                T(d, x64_mov_rr(&d->a, z, dst, src), "mov %s,%s", reg_name(z, dst),
                  reg_name(z, src));
        for (unsigned i = 0; i < MEM_SPREAD; i++) {
            struct x64_mem m = mem_spread(i);
            int r = gp_spread[i % ARRAY_LEN(gp_spread)];
            T(d, x64_mov_rm(&d->a, z, r, m), "mov %s,%s", reg_name(z, r), mem_text(z, m));
            T(d, x64_mov_mr(&d->a, z, m, r), "mov %s,%s", mem_text(z, m), reg_name(z, r));
            int32_t imm = z == 1 ? -3 : z == 2 ? 0x1234 : (int32_t)(i * 0x1111111 - 0x4000000);
            T(d, x64_mov_mi(&d->a, z, m, imm), "mov %s,%s", mem_text(z, m), imm_text(z, imm));
        }
    }
    for (unsigned i = 0; i < ARRAY_LEN(imms); i++)
        for (unsigned k = 0; k < ARRAY_LEN(gp_spread); k++) {
            int r = gp_spread[k];
            int64_t v = imms[i];
            if ((uint64_t)v <= UINT32_MAX)
                T(d, x64_mov_ri(&d->a, 8, r, v), "mov %s,%s", reg_name(4, r), imm_text(4, v));
            else if (v == (int32_t)v)
                T(d, x64_mov_ri(&d->a, 8, r, v), "mov %s,%s", reg_name(8, r), imm_text(8, v));
            else
                T(d, x64_mov_ri(&d->a, 8, r, v), "movabs %s,%s", reg_name(8, r), imm_text(8, v));
            T(d, x64_mov_ri(&d->a, 4, r, v), "mov %s,%s", reg_name(4, r), imm_text(4, v));
            T(d, x64_mov_ri(&d->a, 2, r, (int16_t)v), "mov %s,%s", reg_name(2, r),
              imm_text(2, v));
            T(d, x64_mov_ri(&d->a, 1, r, (int8_t)v), "mov %s,%s", reg_name(1, r),
              imm_text(1, v));
            T(d, x64_movabs(&d->a, r, (uint64_t)v), "movabs %s,%s", reg_name(8, r),
              imm_text(8, v));
        }
}

/* movzx/movsx/movsxd and lea. */
static void extends(struct dis *d)
{
    static const struct { enum x64_ext op; int dsize, ssize; const char *name; } t[] = {
        {X64_ZX, 4, 1, "movzx"}, {X64_ZX, 8, 1, "movzx"}, {X64_ZX, 4, 2, "movzx"},
        {X64_ZX, 8, 2, "movzx"}, {X64_SX, 4, 1, "movsx"}, {X64_SX, 8, 1, "movsx"},
        {X64_SX, 4, 2, "movsx"}, {X64_SX, 8, 2, "movsx"}, {X64_SX, 8, 4, "movsxd"},
        {X64_ZX, 4, 4, "mov"},   {X64_ZX, 8, 4, "mov"},
    };
    for (unsigned i = 0; i < ARRAY_LEN(t); i++) {
        /* zero-extending 4 bytes is a 32-bit mov whatever dsize says */
        int dz = t[i].ssize == 4 && t[i].op == X64_ZX ? 4 : t[i].dsize;
        for (int dst = 0; dst < 16; dst++)
            for (int src = 0; src < 16; src += 3)
                T(d, x64_ext_rr(&d->a, t[i].op, t[i].dsize, t[i].ssize, dst, src), "%s %s,%s",
                  t[i].name, reg_name(dz, dst), reg_name(t[i].ssize, src));
        for (unsigned k = 0; k < MEM_SPREAD; k++) {
            int r = gp_spread[(k + i) % ARRAY_LEN(gp_spread)];
            struct x64_mem m = mem_spread(k);
            T(d, x64_ext_rm(&d->a, t[i].op, t[i].dsize, t[i].ssize, r, m), "%s %s,%s",
              t[i].name, reg_name(dz, r), mem_text(t[i].ssize, m));
        }
    }
    for (unsigned k = 0; k < MEM_SPREAD; k++) {
        int r = gp_spread[k % ARRAY_LEN(gp_spread)];
        struct x64_mem m = mem_spread(k);
        T(d, x64_lea(&d->a, 8, r, m), "lea %s,%s", reg_name(8, r), mem_addr(m));
        T(d, x64_lea(&d->a, 4, r, m), "lea %s,%s", reg_name(4, r), mem_addr(m));
    }
}

static void alu(struct dis *d)
{
    static const char *const names[] = {"add", "or", "adc", "sbb", "and", "sub", "xor",
                                        "cmp", "test"};
    static const int32_t imms[] = {0, 1, -1, 127, -128, 128, -129, 255, 0x7fff, -0x8000,
                                   0x12345, 0x7fffffff, -0x7fffffff - 1};
    for (int op = X64_ADD; op <= X64_TEST; op++)
        for (unsigned s = 0; s < 4; s++) {
            int z = sizes[s];
            for (unsigned i = 0; i < ARRAY_LEN(gp_spread); i++)
                for (unsigned j = 0; j < ARRAY_LEN(gp_spread); j += 2) {
                    int dst = gp_spread[i], src = gp_spread[j];
                    T(d, x64_alu_rr(&d->a, op, z, dst, src), "%s %s,%s", names[op],
                      reg_name(z, dst), reg_name(z, src));
                }
            for (unsigned i = 0; i < ARRAY_LEN(imms); i++) {
                int32_t v = imms[i];
                if ((z == 1 && (v < -128 || v > 255)) || (z == 2 && (v < -0x8000 || v > 0xffff)))
                    continue;
                int r = gp_spread[i % ARRAY_LEN(gp_spread)];
                struct x64_mem m = mem_spread(i);
                T(d, x64_alu_ri(&d->a, op, z, r, v), "%s %s,%s", names[op], reg_name(z, r),
                  imm_text(z, v));
                T(d, x64_alu_ri(&d->a, op, z, X64_RAX, v), "%s %s,%s", names[op],
                  reg_name(z, X64_RAX), imm_text(z, v));
                T(d, x64_alu_mi(&d->a, op, z, m, v), "%s %s,%s", names[op], mem_text(z, m),
                  imm_text(z, v));
            }
            for (unsigned k = 0; k < MEM_SPREAD; k++) {
                int r = gp_spread[(k * 5) % ARRAY_LEN(gp_spread)];
                struct x64_mem m = mem_spread(k);
                if (op == X64_TEST) /* 85 is "test r/m, r" both ways */
                    T(d, x64_alu_rm(&d->a, op, z, r, m), "test %s,%s", mem_text(z, m),
                      reg_name(z, r));
                else
                    T(d, x64_alu_rm(&d->a, op, z, r, m), "%s %s,%s", names[op],
                      reg_name(z, r), mem_text(z, m));
                T(d, x64_alu_mr(&d->a, op, z, m, r), "%s %s,%s", names[op], mem_text(z, m),
                  reg_name(z, r));
            }
        }
}

static void unary_and_shifts(struct dis *d)
{
    static const char *const un[] = {"inc", "dec", "not", "neg", "mul", "imul", "div", "idiv"};
    static const char *const sh[] = {"rol", "ror", "", "", "shl", "shr", "", "sar"};
    static const uint8_t counts[] = {1, 2, 7, 31, 63};
    for (unsigned s = 0; s < 4; s++) {
        int z = sizes[s];
        for (int op = X64_INC; op <= X64_IDIV; op++) {
            for (unsigned i = 0; i < ARRAY_LEN(gp_spread); i++)
                T(d, x64_unary_r(&d->a, op, z, gp_spread[i]), "%s %s", un[op],
                  reg_name(z, gp_spread[i]));
            for (unsigned k = 0; k < MEM_SPREAD; k++)
                T(d, x64_unary_m(&d->a, op, z, mem_spread(k)), "%s %s", un[op],
                  mem_text(z, mem_spread(k)));
        }
        for (int op = X64_ROL; op <= X64_SAR; op++) {
            if (!sh[op][0])
                continue;
            for (unsigned i = 0; i < ARRAY_LEN(gp_spread); i++) {
                int r = gp_spread[i];
                uint8_t c = counts[i % ARRAY_LEN(counts)];
                T(d, x64_shift_rc(&d->a, op, z, r), "%s %s,cl", sh[op], reg_name(z, r));
                if (c == 1)
                    T(d, x64_shift_ri(&d->a, op, z, r, c), "%s %s,1", sh[op], reg_name(z, r));
                else
                    T(d, x64_shift_ri(&d->a, op, z, r, c), "%s %s,0x%x", sh[op],
                      reg_name(z, r), c);
            }
        }
    }
}

/* reg = op(reg, r/m), 3-operand imul, cdq/cqo, bt. */
static void two_operand(struct dis *d)
{
    static const char *const names[] = {"imul", "popcnt", "lzcnt", "tzcnt", "bsf", "bsr"};
    static const int32_t imms[] = {3, -1, 127, 128, -129, 0x12345678};
    for (int z = 2; z <= 8; z *= 2) {
        for (int op = X64_IMUL; op <= X64_BSR; op++) {
            for (unsigned i = 0; i < ARRAY_LEN(gp_spread); i++) {
                int dst = gp_spread[i], src = gp_spread[(i * 7 + 3) % ARRAY_LEN(gp_spread)];
                T(d, x64_op_rr(&d->a, op, z, dst, src), "%s %s,%s", names[op],
                  reg_name(z, dst), reg_name(z, src));
            }
            for (unsigned k = 0; k < MEM_SPREAD; k++) {
                int r = gp_spread[k % ARRAY_LEN(gp_spread)];
                T(d, x64_op_rm(&d->a, op, z, r, mem_spread(k)), "%s %s,%s", names[op],
                  reg_name(z, r), mem_text(z, mem_spread(k)));
            }
        }
        for (unsigned i = 0; i < ARRAY_LEN(gp_spread); i++) {
            int dst = gp_spread[i], src = gp_spread[ARRAY_LEN(gp_spread) - 1 - i];
            int32_t v = z == 2 ? (int16_t)imms[i % 6] : imms[i % 6];
            struct x64_mem m = mem_spread(i);
            T(d, x64_imul_rri(&d->a, z, dst, src, v), "imul %s,%s,%s", reg_name(z, dst),
              reg_name(z, src), imm_text(z, v));
            T(d, x64_imul_rmi(&d->a, z, dst, m, v), "imul %s,%s,%s", reg_name(z, dst),
              mem_text(z, m), imm_text(z, v));
            T(d, x64_bt_rr(&d->a, z, dst, src), "bt %s,%s", reg_name(z, dst), reg_name(z, src));
            T(d, x64_bt_ri(&d->a, z, dst, (uint8_t)i), "bt %s,0x%x", reg_name(z, dst), i);
        }
    }
    T(d, x64_cdq(&d->a, 2), "cwd");
    T(d, x64_cdq(&d->a, 4), "cdq");
    T(d, x64_cdq(&d->a, 8), "cqo");
}

/* setcc, cmovcc, xchg, bswap, push/pop, indirect control, traps. */
static void misc(struct dis *d)
{
    for (int cc = 0; cc < 16; cc++)
        for (unsigned i = 0; i < ARRAY_LEN(gp_spread); i++) {
            int r = gp_spread[i], s = gp_spread[(i + cc) % ARRAY_LEN(gp_spread)];
            struct x64_mem m = mem_spread(i + (unsigned)cc);
            int z = i % 2 ? 8 : 4;
            T(d, x64_setcc(&d->a, cc, r), "set%s %s", cc_names[cc], reg_name(1, r));
            T(d, x64_cmov_rr(&d->a, cc, z, r, s), "cmov%s %s,%s", cc_names[cc], reg_name(z, r),
              reg_name(z, s));
            T(d, x64_cmov_rm(&d->a, cc, z, r, m), "cmov%s %s,%s", cc_names[cc], reg_name(z, r),
              mem_text(z, m));
        }
    for (int r = 0; r < 16; r++) {
        int s = (r * 5 + 1) % 16;
        T(d, x64_xchg_rr(&d->a, 8, r, s), "xchg %s,%s", reg_name(8, r), reg_name(8, s));
        T(d, x64_xchg_rr(&d->a, 4, r, s), "xchg %s,%s", reg_name(4, r), reg_name(4, s));
        T(d, x64_bswap(&d->a, 4, r), "bswap %s", reg_name(4, r));
        T(d, x64_bswap(&d->a, 8, r), "bswap %s", reg_name(8, r));
        T(d, x64_push(&d->a, r), "push %s", reg_name(8, r));
        T(d, x64_pop(&d->a, r), "pop %s", reg_name(8, r));
        T(d, x64_jmp_r(&d->a, r), "jmp %s", reg_name(8, r));
        T(d, x64_call_r(&d->a, r), "call %s", reg_name(8, r));
    }
    for (unsigned k = 0; k < MEM_SPREAD; k++) {
        T(d, x64_jmp_m(&d->a, mem_spread(k)), "jmp %s", mem_text(8, mem_spread(k)));
        T(d, x64_call_m(&d->a, mem_spread(k)), "call %s", mem_text(8, mem_spread(k)));
    }
    T(d, x64_ret(&d->a), "ret");
    T(d, x64_ud2(&d->a), "ud2");
    T(d, x64_int3(&d->a), "int3");
}

/* Each no-op length decodes as one instruction of that length. */
static void nops(struct dis *d)
{
    static const char *const text[10] = {
        "", "nop", "xchg ax,ax", "nop DWORD PTR [rax]", "nop DWORD PTR [rax+0x0]",
        "nop DWORD PTR [rax+rax*1+0x0]", "nop WORD PTR [rax+rax*1+0x0]",
        "nop DWORD PTR [rax+0x0]", "nop DWORD PTR [rax+rax*1+0x0]",
        "nop WORD PTR [rax+rax*1+0x0]"};
    for (uint32_t n = 1; n <= 9; n++) {
        uint32_t at = x64_pos(&d->a);
        T(d, x64_nop(&d->a, n), "%s", text[n]);
        CHECK(x64_pos(&d->a) - at == n, "nop %u emitted %u bytes", n, x64_pos(&d->a) - at);
    }
    T(d, x64_nop(&d->a, 12), "%s", text[9]); /* 12 = 9 + 3 */
    want(d, x64_pos(&d->a) - 3, "%s", text[3]);
    x64_int3(&d->a); /* align from an odd offset */
    want(d, x64_pos(&d->a) - 1, "int3");
    uint32_t before = x64_pos(&d->a);
    x64_align(&d->a, 16);
    CHECK(x64_pos(&d->a) % 16 == 0 && x64_pos(&d->a) - before < 16, "align 16");
    uint32_t k = x64_pos(&d->a) - before;
    if (k > 0)
        want(d, before, "%s", text[k > 9 ? 9 : k]);
    if (k > 9)
        want(d, before + 9, "%s", text[k - 9]);
}

/* x64_cc_swap against the orderings it must turn around, by evaluating
 * each condition on the flags of cmp a, b and of cmp b, a. */
static bool holds(enum x64_cc cc, int64_t a, int64_t b)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    bool r;
    switch (cc & ~1u) {
    case X64_CC_B: r = ua < ub; break;
    case X64_CC_E: r = a == b; break;
    case X64_CC_BE: r = ua <= ub; break;
    case X64_CC_L: r = a < b; break;
    case X64_CC_LE: r = a <= b; break;
    default: return true; /* O, S, P: not orderings, kept as they are */
    }
    return (cc & 1) ? !r : r;
}

static void cc_swaps(void)
{
    static const int64_t v[] = {-5, -1, 0, 1, 7};
    for (int cc = 0; cc < 16; cc++) {
        enum x64_cc s = x64_cc_swap(cc);
        CHECK(x64_cc_swap(s) == (enum x64_cc)cc, "cc_swap is not an involution at %d", cc);
        bool order = (cc & ~1) != X64_CC_O && (cc & ~1) != X64_CC_S && (cc & ~1) != X64_CC_P;
        CHECK(order || s == (enum x64_cc)cc, "cc_swap changed the non-ordering %d", cc);
        for (unsigned i = 0; i < ARRAY_LEN(v); i++)
            for (unsigned j = 0; j < ARRAY_LEN(v); j++)
                CHECK(holds(cc, v[i], v[j]) == holds(s, v[j], v[i]), "cc_swap(%d) wrong", cc);
    }
}

/* x64_setcc_zx writes the bytes of x64_setcc then x64_ext_rr's movzx. */
static void setcc_zx(void)
{
    struct x64_asm one, two;
    x64_init(&one);
    x64_init(&two);
    for (int cc = 0; cc < 16; cc++)
        for (int r = 0; r < 16; r++) {
            x64_setcc_zx(&one, cc, r);
            x64_setcc(&two, cc, r);
            x64_ext_rr(&two, X64_ZX, 4, 1, r, r);
        }
    CHECK(one.code.len == two.code.len && !memcmp(one.code.data, two.code.data, one.code.len),
          "x64_setcc_zx differs from setcc + movzx");
    x64_free(&one);
    x64_free(&two);
}

int main(void)
{
    setcc_zx();
    cc_swaps();
    struct dis d = {0};
    x64_init(&d.a);
    addressing(&d);
    moves(&d);
    based_moves(&d);
    indexed_moves(&d);
    extends(&d);
    alu(&d);
    unary_and_shifts(&d);
    two_operand(&d);
    misc(&d);
    nops(&d);
    dis_check(&d, "integer forms");
    printf("x64_encode: %zu instructions, %zu bytes checked\n", d.want.len, d.a.code.len);
    dis_free(&d);
    return test_done("x64_encode");
}
