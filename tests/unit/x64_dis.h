/* Checks x64 encodings against GNU objdump. A test emits instructions with
 * T(d, call, fmt, ...) which records, for the instruction's offset, the
 * Intel-syntax text objdump should print, computed from the same operands
 * (never from bytes). dis_check writes the code to a temp dir, disassembles
 * it once and compares offsets and text line by line, so every instruction
 * must decode as exactly itself: right length and right meaning. */
#ifndef TRI_X64_DIS_H
#define TRI_X64_DIS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "x64/x64.h"

struct want {
    uint32_t at;
    char *text; /* owned */
};

struct dis {
    struct x64_asm a;
    VEC(struct want) want;
    uint64_t vma;  /* address objdump puts the code at (default 0) */
    bool comments; /* keep objdump's "# target" comments in the text */
};

static void want(struct dis *d, uint32_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void want(struct dis *d, uint32_t at, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    struct want *w = vec_push(&d->want);
    if (!w || !(w->text = strdup(text))) {
        CHECK(0, "out of memory");
        return;
    }
    w->at = at;
}

/* Emits with `call` and expects objdump to print the formatted text. */
#define T(d, call, ...)                                                        \
    do {                                                                       \
        uint32_t at_ = x64_pos(&(d)->a);                                       \
        call;                                                                  \
        want((d), at_, __VA_ARGS__);                                           \
    } while (0)

/* ---- operand text as objdump -M intel prints it ---- */

/* Small strings for building one expected line (rotating, never freed). */
static inline char *tmp_str(void)
{
    static char pool[32][128];
    static unsigned next;
    return pool[next++ % 32];
}

static inline const char *reg_name(int size, int r)
{
    static const char *const q[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"};
    static const char *const d[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    static const char *const w[8] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
    static const char *const b[8] = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"};
    char *s = tmp_str();
    if (r >= X64_XMM0 && r <= X64_XMM15)
        snprintf(s, 128, "xmm%d", r - X64_XMM0);
    else if (r >= 8)
        snprintf(s, 128, "r%d%s", r, size == 8 ? "" : size == 4 ? "d" : size == 2 ? "w" : "b");
    else
        snprintf(s, 128, "%s", size == 8 ? q[r] : size == 4 ? d[r] : size == 2 ? w[r] : b[r]);
    return s;
}

/* An immediate of an operand of `size` bytes: objdump shows it unsigned,
 * sign-extended to the operand size. */
static inline const char *imm_text(int size, int64_t v)
{
    char *s = tmp_str();
    uint64_t u = size == 8 ? (uint64_t)v : (uint64_t)v & ((1ull << (8 * size)) - 1);
    snprintf(s, 128, "0x%llx", (unsigned long long)u);
    return s;
}

static inline const char *disp_text(int64_t v)
{
    char *s = tmp_str();
    snprintf(s, 128, "%s0x%llx", v < 0 ? "-" : "+", (unsigned long long)(v < 0 ? -v : v));
    return s;
}

/* [base+index*scale+disp]; the displacement is printed when the encoding
 * has one (always for rbp/r13 bases and for no base). */
static inline const char *mem_addr(struct x64_mem m)
{
    char *s = tmp_str();
    /* objdump shows rip and absolute displacements as 64-bit unsigned */
    unsigned long long u = (unsigned long long)(int64_t)m.disp;
    if (m.base == X64_RIP) {
        snprintf(s, 128, "[rip+0x%llx]", u);
    } else if (m.base == X64_NOREG && m.index == X64_NOREG) {
        snprintf(s, 128, "ds:0x%llx", u);
    } else {
        bool has_disp = m.disp != 0 || m.base == X64_NOREG || (m.base & 7) == 5;
        int n = snprintf(s, 128, "[");
        if (m.base != X64_NOREG)
            n += snprintf(s + n, 128 - n, "%s", reg_name(8, m.base));
        if (m.index != X64_NOREG)
            n += snprintf(s + n, 128 - n, "%s%s*%d", m.base != X64_NOREG ? "+" : "",
                          reg_name(8, m.index), m.scale);
        snprintf(s + n, 128 - n, "%s]", has_disp ? disp_text(m.disp) : "");
    }
    return s;
}

static inline const char *size_kw(int size)
{
    switch (size) {
    case 1: return "BYTE";
    case 2: return "WORD";
    case 4: return "DWORD";
    case 8: return "QWORD";
    case 16: return "XMMWORD";
    }
    return "?";
}

/* A sized memory operand: "QWORD PTR [rax+0x8]". */
static inline const char *mem_text(int size, struct x64_mem m)
{
    char *s = tmp_str();
    snprintf(s, 128, "%s PTR %s", size_kw(size), mem_addr(m));
    return s;
}

/* ---- a spread of operands the tests sweep over ---- */

/* Registers covering the low/high halves and every special encoding. */
static const int gp_spread[] = {X64_RAX, X64_RCX, X64_RDX, X64_RBX, X64_RSP, X64_RBP,
                                X64_RSI, X64_RDI, X64_R8, X64_R11, X64_R12, X64_R13,
                                X64_R15};

/* Memory operands with every special case: rsp/r12 (SIB), rbp/r13 (forced
 * disp), high index, no base, rip, each disp size and scale. */
static inline struct x64_mem mem_spread(unsigned i)
{
    static const struct { int8_t base, index, scale; int32_t disp; } t[] = {
        {X64_RAX, -1, 1, 0},       {X64_RCX, -1, 1, 8},        {X64_RSP, -1, 1, 0},
        {X64_R12, -1, 1, -8},      {X64_RBP, -1, 1, 0},        {X64_R13, -1, 1, 0x1000},
        {X64_RDI, X64_RSI, 2, 0},  {X64_R8, X64_R9, 4, -128},  {X64_RSP, X64_RBP, 8, 127},
        {X64_R13, X64_R12, 1, 0},  {X64_R15, X64_R14, 8, 128}, {X64_NOREG, X64_RDX, 4, 64},
        {X64_NOREG, -1, 1, 0x40},  {X64_RIP, -1, 1, 0x100},    {X64_RBX, X64_RAX, 1, -0x7fffffff - 1},
    };
    i %= ARRAY_LEN(t);
    return x64_mem_index(t[i].base, t[i].index, t[i].scale, t[i].disp);
}
#define MEM_SPREAD 15

/* ---- running objdump ---- */

/* Splits an objdump line "  1f:\t8b 04 ...\tmov    eax,..." into its
 * offset and its text with spaces collapsed and any "# comment" removed.
 * Returns false for lines that are not instructions. */
static inline bool parse_line(char *line, uint64_t *at, char *text, size_t cap, bool comments)
{
    char *colon = strchr(line, ':');
    char *tab1 = strchr(line, '\t');
    if (!colon || !tab1 || tab1 != colon + 1)
        return false;
    *at = strtoull(line, NULL, 16);
    char *t = strchr(tab1 + 1, '\t');
    if (!t)
        return false;
    char *hash = strchr(t, '#');
    if (hash && !comments)
        *hash = 0;
    size_t n = 0;
    bool space = false;
    for (char *p = t + 1; *p && *p != '\n' && n + 2 < cap; p++) {
        if (*p == ' ' || *p == '\t') {
            space = n > 0;
            continue;
        }
        if (space)
            text[n++] = ' ';
        space = false;
        text[n++] = *p;
    }
    text[n] = 0;
    return true;
}

static inline int want_order(const void *x, const void *y)
{
    const struct want *a = x, *b = y;
    return a->at < b->at ? -1 : a->at > b->at;
}

/* Runs objdump on the code; compares against d->want (recorded in any
 * order, e.g. a forward branch's text once its label is bound); returns
 * the number of mismatches. */
static inline int dis_check(struct dis *d, const char *what)
{
    if (d->want.len)
        qsort(d->want.data, d->want.len, sizeof *d->want.data, want_order);
    struct err e = {0};
    CHECK(x64_finish(&d->a, &e), "%s: %s", what, e.msg);
    char dir[] = "/tmp/x64disXXXXXX", path[64], cmd[200];
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp failed");
        return 1;
    }
    snprintf(path, sizeof path, "%s/code.bin", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(d->a.code.data, 1, d->a.code.len, f) == d->a.code.len, "write %s", path);
    if (f)
        fclose(f);
    snprintf(cmd, sizeof cmd,
             "objdump -D -b binary -m i386:x86-64 -M intel --insn-width=16 --adjust-vma=0x%llx %s",
             (unsigned long long)d->vma, path);
    FILE *p = popen(cmd, "r");
    char line[512], text[256];
    size_t i = 0;
    int bad = 0;
    uint64_t at;
    while (p && fgets(line, sizeof line, p)) {
        if (!parse_line(line, &at, text, sizeof text, d->comments))
            continue;
        at -= d->vma;
        const struct want *w = i < d->want.len ? &d->want.data[i] : NULL;
        if (!w || w->at != at || strcmp(w->text, text)) {
            if (bad++ < 20)
                CHECK(0, "%s: at 0x%llx objdump says \"%s\", expected \"%s\" at 0x%x", what,
                      (unsigned long long)at, text, w ? w->text : "(end)", w ? w->at : 0);
        }
        if (w && w->at <= at)
            i++;
    }
    CHECK(p && pclose(p) == 0, "%s: objdump failed", what);
    CHECK(i == d->want.len, "%s: objdump stopped after %zu of %zu instructions", what, i,
          d->want.len);
    unlink(path);
    rmdir(dir);
    return bad;
}

static inline void dis_free(struct dis *d)
{
    for (size_t i = 0; i < d->want.len; i++)
        free(d->want.data[i].text);
    vec_free(&d->want);
    x64_free(&d->a);
}

#endif
