/* Labels, branch-size selection, fixups, patching and relocations, checked
 * against objdump; then small functions with loops and a jump table are
 * run for real; then misuse must be reported by x64_finish. */
#include <sys/mman.h>

#include "x64_dis.h"

static const char *const jcc_names[16] = {"jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja",
                                          "js", "jns", "jp", "jnp", "jl", "jge", "jle", "jg"};

static void pad(struct dis *d, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        T(d, x64_int3(&d->a), "int3");
}

/* Backward: rel8 exactly while the target is within -128 of the branch end. */
static void backward(struct dis *d)
{
    static const uint32_t gaps[] = {0, 5, 125, 126, 127, 128, 200, 1000};
    for (unsigned i = 0; i < ARRAY_LEN(gaps); i++) {
        x64_label l = x64_label_new(&d->a);
        x64_label_bind(&d->a, l);
        uint32_t to = x64_pos(&d->a);
        pad(d, gaps[i]);
        for (int k = 0; k < 2; k++) { /* a jmp, then a jcc a little further */
            uint32_t at = x64_pos(&d->a);
            bool near = at + 2 - to <= 128;
            enum x64_cc cc = (enum x64_cc)(i * 3 % 16);
            if (k == 0)
                T(d, x64_jmp(&d->a, l), "jmp 0x%x", to);
            else
                T(d, x64_jcc(&d->a, cc, l), "%s 0x%x", jcc_names[cc], to);
            uint32_t len = x64_pos(&d->a) - at, want_len = near ? 2 : k ? 6 : 5;
            CHECK(len == want_len, "branch back over %u: %u bytes", at - to, len);
        }
    }
}

/* Forward: rel32 unless short was asked; all references to one label are
 * resolved at bind, up to exactly 127 bytes for the short ones. */
static void forward(struct dis *d)
{
    for (int cc = 0; cc < 16; cc++) {
        x64_label l = x64_label_new(&d->a);
        uint32_t at[4], len[4];
        for (int k = 0; k < 4; k++) {
            at[k] = x64_pos(&d->a);
            if (k == 0)
                x64_jmp(&d->a, l);
            else if (k == 1)
                x64_jcc(&d->a, cc, l);
            else if (k == 2)
                x64_jmp_short(&d->a, l);
            else
                x64_jcc_short(&d->a, cc, l);
            len[k] = x64_pos(&d->a) - at[k];
        }
        CHECK(len[0] == 5 && len[1] == 6 && len[2] == 2 && len[3] == 2, "forward lengths");
        uint32_t call_at = x64_pos(&d->a);
        x64_call(&d->a, l);
        pad(d, cc == 15 ? 120 : (uint32_t)cc * 7); /* 120: the jmp_short spans 127 */
        x64_label_bind(&d->a, l);
        uint32_t to = x64_label_pos(&d->a, l);
        CHECK(to == x64_pos(&d->a), "label position");
        for (int k = 0; k < 4; k++)
            want(d, at[k], "%s 0x%x", k % 2 ? jcc_names[cc] : "jmp", to);
        want(d, call_at, "call 0x%x", to);
        T(d, x64_call(&d->a, l), "call 0x%x", to); /* and backward */
    }
}

/* A forward jcc without a label: the same 6 bytes, patched to the offset
 * x64_patch_here is called at. */
static void forward_unlabelled(struct dis *d)
{
    for (int cc = 0; cc < 16; cc++) {
        uint32_t at = x64_pos(&d->a), field = x64_jcc_fwd(&d->a, (enum x64_cc)cc);
        CHECK(field == at + 2 && x64_pos(&d->a) == at + 6, "jcc_fwd: 6 bytes, rel32 last");
        pad(d, (uint32_t)cc * 9);
        x64_patch_here(&d->a, field);
        want(d, at, "%s 0x%x", jcc_names[cc], x64_pos(&d->a));
    }
}

/* [rip+label], backward and forward, with and without a trailing imm. */
static void rip_labels(struct dis *d)
{
    x64_label back = x64_label_new(&d->a), fwd = x64_label_new(&d->a);
    x64_label_bind(&d->a, back);
    uint32_t to_back = x64_pos(&d->a);
    pad(d, 3);
    uint32_t at[4], end[4];
    for (int k = 0; k < 4; k++) {
        at[k] = x64_pos(&d->a);
        x64_label l = k % 2 ? fwd : back;
        if (k < 2)
            x64_lea(&d->a, 8, X64_R9, x64_mem_label(l));
        else
            x64_alu_mi(&d->a, X64_CMP, 4, x64_mem_label(l), 0x1234);
        end[k] = x64_pos(&d->a);
    }
    pad(d, 5);
    x64_label_bind(&d->a, fwd);
    uint32_t to_fwd = x64_pos(&d->a);
    for (int k = 0; k < 4; k++) {
        int64_t rel = (int64_t)(k % 2 ? to_fwd : to_back) - end[k];
        if (k < 2)
            want(d, at[k], "lea r9,[rip+0x%llx]", (unsigned long long)rel);
        else
            want(d, at[k], "cmp DWORD PTR [rip+0x%llx],0x1234", (unsigned long long)rel);
    }
    /* a jmp whose rel32 is later redirected by patching */
    x64_label l = x64_label_new(&d->a);
    uint32_t jat = x64_pos(&d->a);
    x64_jmp(&d->a, l);
    x64_label_bind(&d->a, l);
    x64_patch_rel32(&d->a, x64_pos(&d->a) - 4, to_back);
    want(d, jat, "jmp 0x%x", to_back);
}

/* Relocations: after applying them as a loader would, objdump (told the
 * load address) must show the intended targets. */
static uint64_t target_addr(const struct x64_reloc *r)
{
    return (r->target_kind == X64_TARGET_FUNC ? 0x500000 : 0x600000) + r->target * 0x100ull;
}

static void relocations(void)
{
    struct dis d = {.vma = 0x400000, .comments = true};
    x64_init(&d.a);
    uint32_t at[6], end[6];
    at[0] = x64_pos(&d.a), x64_call_reloc(&d.a, X64_TARGET_FUNC, 7), end[0] = x64_pos(&d.a);
    at[1] = x64_pos(&d.a), x64_movabs_reloc(&d.a, X64_R10, X64_TARGET_SYM, 3, 0x20);
    end[1] = x64_pos(&d.a);
    at[2] = x64_pos(&d.a);
    x64_alu_mi(&d.a, X64_CMP, 4, x64_mem_reloc(X64_TARGET_SYM, 5, 16), 7);
    end[2] = x64_pos(&d.a);
    at[3] = x64_pos(&d.a), x64_jmp_reloc(&d.a, X64_TARGET_FUNC, 2), end[3] = x64_pos(&d.a);
    at[4] = x64_pos(&d.a);
    x64_lea(&d.a, 8, X64_RAX, x64_mem_reloc(X64_TARGET_FUNC, 1, 0));
    end[4] = x64_pos(&d.a);
    at[5] = x64_pos(&d.a);
    x64_sse_rm(&d.a, X64_ADDSD, X64_XMM3, x64_mem_reloc(X64_TARGET_SYM, 0, -8));
    end[5] = x64_pos(&d.a);
    CHECK(d.a.relocs.len == 6, "%zu relocations", d.a.relocs.len);
    for (size_t i = 0; i < d.a.relocs.len && i < 6; i++) {
        const struct x64_reloc *r = &d.a.relocs.data[i];
        uint64_t s = target_addr(r), p = d.vma + r->offset;
        bool abs = r->kind == X64_RELOC_ABS64;
        CHECK(r->offset + (abs ? 8u : 4u) <= end[i] && r->offset > at[i], "reloc %zu place", i);
        uint64_t v = s + (uint64_t)r->addend - (abs ? 0 : p); /* little-endian host */
        if (r->offset + (abs ? 8u : 4u) <= d.a.code.len)
            memcpy(d.a.code.data + r->offset, &v, abs ? 8 : 4);
    }
    uint64_t v = d.vma;
    want(&d, at[0], "call 0x%llx", 0x500700ull);
    want(&d, at[1], "movabs r10,0x%llx", 0x600320ull);
    want(&d, at[2], "cmp DWORD PTR [rip+0x%llx],0x7 # 0x%llx", 0x600510ull - (v + end[2]),
         0x600510ull);
    want(&d, at[3], "jmp 0x%llx", 0x500200ull);
    want(&d, at[4], "lea rax,[rip+0x%llx] # 0x%llx", 0x500100ull - (v + end[4]), 0x500100ull);
    want(&d, at[5], "addsd xmm3,QWORD PTR [rip+0x%llx] # 0x%llx", 0x5ffff8ull - (v + end[5]),
         0x5ffff8ull);
    dis_check(&d, "relocations");
    dis_free(&d);
}

/* ---- running code ---- */

typedef int64_t (*fn1)(int64_t);

/* Copies the code into executable memory and calls it with x (System V:
 * argument in rdi, result in rax; that is this test's choice, not the
 * encoder's). UBSan's function check would read a type signature in front
 * of the generated code, which has none. */
__attribute__((no_sanitize("function"))) static int64_t run(struct x64_asm *a, uint32_t entry, int64_t x)
{
    struct err e = {0};
    CHECK(x64_finish(a, &e), "finish: %s", e.msg);
    size_t n = (a->code.len + 4095) & ~(size_t)4095;
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        CHECK(0, "mmap failed");
        return 0;
    }
    memcpy(p, a->code.data, a->code.len);
    CHECK(mprotect(p, n, PROT_READ | PROT_EXEC) == 0, "mprotect");
    fn1 f;
    void *fp = p;
    fp = (char *)fp + entry;
    memcpy(&f, &fp, sizeof f);
    int64_t r = f(x);
    munmap(p, n);
    return r;
}

/* sum of i*i for i < n, with `body_pad` bytes in the loop so the backward
 * branch is long when it is large. */
static void run_loop(uint32_t body_pad)
{
    struct x64_asm a;
    x64_init(&a);
    x64_label top = x64_label_new(&a), done = x64_label_new(&a);
    x64_alu_rr(&a, X64_XOR, 4, X64_RAX, X64_RAX);
    x64_mov_ri(&a, 8, X64_R9, 0);
    x64_label_bind(&a, top);
    x64_alu_rr(&a, X64_CMP, 8, X64_R9, X64_RDI);
    x64_jcc(&a, X64_CC_GE, done);
    x64_mov_rr(&a, 8, X64_R12, X64_R9);
    x64_op_rr(&a, X64_IMUL, 8, X64_R12, X64_R12);
    x64_nop(&a, body_pad);
    x64_alu_rr(&a, X64_ADD, 8, X64_RAX, X64_R12);
    x64_unary_r(&a, X64_INC, 8, X64_R9);
    x64_jmp(&a, top);
    x64_label_bind(&a, done);
    x64_ret(&a);
    CHECK(run(&a, 0, 10) == 285, "loop pad %u: sum of squares below 10", body_pad);
    CHECK(run(&a, 0, 0) == 0, "loop pad %u: empty sum", body_pad);
    x64_free(&a);
}

/* switch (rdi) through a table of rel32 entries placed before the cases:
 * each entry is a forward reference. */
static void run_jump_table(void)
{
    enum { N = 6 };
    struct x64_asm a;
    x64_init(&a);
    x64_label table = x64_label_new(&a), done = x64_label_new(&a), cases[N];
    x64_lea(&a, 8, X64_R11, x64_mem_label(table));
    x64_ext_rm(&a, X64_SX, 8, 4, X64_RAX, x64_mem_index(X64_R11, X64_RDI, 4, 0));
    x64_alu_rr(&a, X64_ADD, 8, X64_RAX, X64_R11);
    x64_jmp_r(&a, X64_RAX);
    x64_align(&a, 4);
    x64_label_bind(&a, table);
    for (int i = 0; i < N; i++) {
        cases[i] = x64_label_new(&a);
        x64_label_rel32(&a, cases[i], x64_label_pos(&a, table));
    }
    for (int i = 0; i < N; i++) {
        x64_label_bind(&a, cases[i]);
        x64_mov_ri(&a, 8, X64_RAX, -1000 * i - 7);
        if (i % 2)
            x64_jmp_short(&a, done);
        else
            x64_jmp(&a, done);
    }
    x64_label_bind(&a, done);
    x64_ret(&a);
    for (int i = 0; i < N; i++)
        CHECK(run(&a, 0, i) == -1000 * i - 7, "jump table case %d", i);
    x64_free(&a);
}

/* f(x) = 2x + 1 through a call to a local helper placed after the caller
 * (forward call), then, in the same assembler after a reset, before it. */
static void run_local_call(void)
{
    struct x64_asm a;
    x64_init(&a);
    for (int back = 0; back < 2; back++) {
        x64_label helper = x64_label_new(&a), entry = x64_label_new(&a);
        for (int part = 0; part < 2; part++) {
            if (part == back) {
                x64_label_bind(&a, helper);
                x64_lea(&a, 8, X64_RAX, x64_mem_index(X64_RDI, X64_RDI, 1, 0));
                x64_ret(&a);
            } else {
                x64_label_bind(&a, entry);
                x64_call(&a, helper);
                x64_alu_ri(&a, X64_ADD, 8, X64_RAX, 1);
                x64_ret(&a);
            }
        }
        CHECK(run(&a, x64_label_pos(&a, entry), 20) == 41, "local call, backward %d", back);
        x64_reset(&a);
        CHECK(x64_pos(&a) == 0 && a.labels.len == 0 && a.relocs.len == 0, "reset");
    }
    x64_free(&a);
}

/* ---- misuse is reported, not crashed on ---- */

static void expect_misuse(struct x64_asm *a, const char *what)
{
    struct err e = {0};
    CHECK(!x64_finish(a, &e) && e.code == ERR_ARG && e.msg[0], "%s not reported", what);
    x64_free(a);
    x64_init(a);
}

static void misuse(void)
{
    struct x64_asm a;
    x64_init(&a);
    x64_mov_rm(&a, 8, X64_RAX, x64_mem_index(X64_RAX, X64_RSP, 1, 0));
    expect_misuse(&a, "rsp as index");
    x64_mov_rr(&a, 8, X64_XMM1, X64_RAX);
    expect_misuse(&a, "xmm in a GP instruction");
    x64_sse_rr(&a, X64_ADDSD, X64_XMM1, X64_RAX);
    expect_misuse(&a, "GP in an SSE instruction");
    x64_sse_rri(&a, X64_ADDSD, X64_XMM1, X64_XMM2, 1);
    expect_misuse(&a, "imm form of a non-imm SSE op");
    x64_sse_mr(&a, X64_ADDSD, x64_mem_base(X64_RAX, 0), X64_XMM0);
    expect_misuse(&a, "store form of an arithmetic op");
    x64_alu_ri(&a, X64_ADD, 1, X64_RAX, 300);
    expect_misuse(&a, "imm too wide");
    x64_op_rr(&a, X64_POPCNT, 1, X64_RAX, X64_RCX);
    expect_misuse(&a, "8-bit popcnt");
    x64_ext_rr(&a, X64_SX, 4, 4, X64_RAX, X64_RCX);
    expect_misuse(&a, "movsxd to 32 bits");
    x64_cvt_rm(&a, X64_MOVMSKPS, 4, X64_RAX, x64_mem_base(X64_RAX, 0));
    expect_misuse(&a, "movmskps from memory");
    x64_label l = x64_label_new(&a);
    x64_jmp(&a, l);
    expect_misuse(&a, "label never bound");
    l = x64_label_new(&a);
    x64_jmp_short(&a, l);
    x64_nop(&a, 128);
    x64_label_bind(&a, l);
    expect_misuse(&a, "short branch out of range");
    l = x64_label_new(&a);
    x64_label_bind(&a, l);
    x64_label_bind(&a, l);
    expect_misuse(&a, "label bound twice");
    x64_jmp(&a, 42);
    expect_misuse(&a, "unknown label");
    x64_patch32(&a, 0, 1);
    expect_misuse(&a, "patch outside the code");
    x64_lea(&a, 8, X64_RAX, x64_mem_index(X64_RIP, X64_RCX, 1, 0));
    expect_misuse(&a, "rip with index");
    x64_align(&a, 3);
    expect_misuse(&a, "alignment not a power of two");
    struct err e = {0};
    x64_ret(&a);
    CHECK(x64_finish(&a, &e), "a clean assembler finishes: %s", e.msg);
    x64_free(&a);
}

int main(void)
{
    struct dis d = {0};
    x64_init(&d.a);
    backward(&d);
    forward(&d);
    forward_unlabelled(&d);
    rip_labels(&d);
    dis_check(&d, "labels");
    dis_free(&d);
    relocations();
    run_loop(0);
    run_loop(300);
    run_jump_table();
    run_local_call();
    misuse();
    return test_done("x64_label");
}
