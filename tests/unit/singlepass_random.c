/* Random integer programs on singlepass against a C evaluation of the same
 * trees: constants (folded or immediate), parameters and locals (in
 * registers or slots), every integer operator, comparisons consumed by
 * select, if and br_if (fused with the branch or not), blocks whose
 * results merge, local.tee inside expressions. A fixed seed keeps runs
 * repeatable; a failure prints the function's text. */
#include <stdlib.h>

#include "singlepass_util.h"

enum { NFUNCS = 250, NINPUTS = 6, MAX_DEPTH = 7, TEXT_CAP = 1 << 22 };

static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static char text[TEXT_CAP];
static size_t len;

static void put(const char *s)
{
    size_t n = strlen(s);
    if (len + n < TEXT_CAP) {
        memcpy(text + len, s, n);
        len += n;
    }
}

/* The machine the C side evaluates with: parameters p0 p1 (i32) p2 p3
 * (i64), locals l4 l5 (i32) l6 l7 (i64). */
struct machine {
    uint64_t v[8];
};

static uint64_t wrap(bool is64, uint64_t x) { return is64 ? x : (uint32_t)x; }

static uint64_t shift_op(int k, bool is64, uint64_t a, uint64_t b)
{
    unsigned bits = is64 ? 64 : 32, n = (unsigned)(b & (bits - 1));
    int64_t sa = is64 ? (int64_t)a : (int32_t)a;
    switch (k) {
    case 0: return wrap(is64, a << n);
    case 1: return wrap(is64, (uint64_t)(sa >> n));
    case 2: return a >> n;
    case 3: return n ? wrap(is64, (a << n) | (a >> (bits - n))) : a;
    default: return n ? wrap(is64, (a >> n) | (a << (bits - n))) : a;
    }
}

static const char *const shift_names[] = {"shl", "shr_s", "shr_u", "rotl", "rotr"};
static const char *const alu_names[] = {"add", "sub", "mul", "and", "or", "xor"};
static const char *const cmp_names[] = {"eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u",
                                        "le_s", "le_u", "ge_s", "ge_u"};
static const char *const div_names[] = {"div_s", "div_u", "rem_s", "rem_u"};

static uint64_t alu_op(int k, bool is64, uint64_t a, uint64_t b)
{
    switch (k) {
    case 0: return wrap(is64, a + b);
    case 1: return wrap(is64, a - b);
    case 2: return wrap(is64, a * b);
    case 3: return a & b;
    case 4: return a | b;
    default: return a ^ b;
    }
}

static uint64_t cmp_op(int k, bool is64, uint64_t a, uint64_t b)
{
    int64_t sa = is64 ? (int64_t)a : (int32_t)a, sb = is64 ? (int64_t)b : (int32_t)b;
    switch (k) {
    case 0: return a == b;
    case 1: return a != b;
    case 2: return sa < sb;
    case 3: return a < b;
    case 4: return sa > sb;
    case 5: return a > b;
    case 6: return sa <= sb;
    case 7: return a <= b;
    case 8: return sa >= sb;
    default: return a >= b;
    }
}

/* Divisors are made even and non-zero ((x | 2) & -2): never 0 or -1. */
static uint64_t div_op(int k, bool is64, uint64_t a, uint64_t b)
{
    b = wrap(is64, (b | 2) & ~1ull);
    int64_t sa = is64 ? (int64_t)a : (int32_t)a, sb = is64 ? (int64_t)b : (int32_t)b;
    switch (k) {
    case 0: return wrap(is64, (uint64_t)(sa / sb));
    case 1: return a / b;
    case 2: return wrap(is64, (uint64_t)(sa % sb));
    default: return a % b;
    }
}

static uint64_t count_op(int k, bool is64, uint64_t a)
{
    unsigned bits = is64 ? 64 : 32;
    if (k == 2)
        return (uint64_t)__builtin_popcountll(a);
    if (!a)
        return bits;
    if (k == 0)
        return (uint64_t)(__builtin_clzll(a) - (64 - (int)bits));
    return (uint64_t)__builtin_ctzll(a);
}

static uint64_t constant(bool is64)
{
    static const uint64_t special[] = {0, 1, 2, 31, 32, 63, 64, 0x7fffffff, 0x80000000,
                                       0xffffffff, 0x8000000000000000ull, ~0ull, 0x100000000ull};
    uint64_t r = rnd();
    uint64_t v = r % 3 == 0 ? special[(r >> 8) % (sizeof special / sizeof *special)]
                 : r % 3 == 1 ? (r >> 16) % 200 : rnd();
    return wrap(is64, v);
}

static uint64_t expr(struct machine *m, bool is64, int depth);

/* An i32 condition, often a comparison left in the flags. */
static uint64_t cond(struct machine *m, int depth)
{
    if (rnd() % 3) {
        bool w = rnd() & 1;
        int k = (int)(rnd() % 10);
        put(w ? "(i64." : "(i32.");
        put(cmp_names[k]);
        put(" ");
        uint64_t a = expr(m, w, depth + 1);
        put(" ");
        uint64_t b = expr(m, w, depth + 1);
        put(")");
        return cmp_op(k, w, a, b);
    }
    return expr(m, false, depth + 1);
}

static uint64_t leaf(struct machine *m, bool is64)
{
    char buf[64];
    uint64_t r = rnd() % 3;
    if (r == 0) {
        uint64_t v = constant(is64);
        if (is64)
            snprintf(buf, sizeof buf, "(i64.const %lld)", (long long)v);
        else
            snprintf(buf, sizeof buf, "(i32.const %d)", (int)(int32_t)v);
        put(buf);
        return v;
    }
    int x = (is64 ? 2 : 0) + (r == 1 ? 0 : 4) + (int)(rnd() & 1);
    snprintf(buf, sizeof buf, "(local.get %d)", x);
    put(buf);
    return m->v[x];
}

static uint64_t control(struct machine *m, bool is64, int depth, int kind)
{
    const char *t = is64 ? "i64" : "i32";
    char buf[128];
    uint64_t a, b, c;
    if (kind == 0) { /* select */
        put("(select ");
        a = expr(m, is64, depth + 1);
        put(" ");
        b = expr(m, is64, depth + 1);
        put(" ");
        c = cond(m, depth);
        put(")");
        return c ? a : b;
    }
    if (kind == 1) { /* if/else: only one arm runs */
        snprintf(buf, sizeof buf, "(if (result %s) ", t);
        put(buf);
        c = cond(m, depth);
        put(" (then ");
        struct machine m2 = *m;
        a = expr(c ? m : &m2, is64, depth + 1);
        put(") (else ");
        b = expr(c ? &m2 : m, is64, depth + 1);
        put("))");
        return c ? a : b;
    }
    if (kind == 2) { /* block with a conditional early exit */
        snprintf(buf, sizeof buf, "(block (result %s) (drop (br_if 0 ", t);
        put(buf);
        a = expr(m, is64, depth + 1);
        put(" ");
        c = cond(m, depth);
        put(")) ");
        struct machine m2 = *m;
        b = expr(c ? &m2 : m, is64, depth + 1);
        put(")");
        return c ? a : b;
    }
    int x = (is64 ? 6 : 4) + (int)(rnd() & 1); /* local.tee */
    snprintf(buf, sizeof buf, "(local.tee %d ", x);
    put(buf);
    a = expr(m, is64, depth + 1);
    put(")");
    m->v[x] = a;
    return a;
}

static uint64_t expr(struct machine *m, bool is64, int depth)
{
    const char *t = is64 ? "(i64." : "(i32.";
    unsigned pick = (unsigned)(rnd() % (depth >= MAX_DEPTH ? 1 : 10));
    uint64_t a, b;
    int k;
    switch (pick) {
    case 0:
        return leaf(m, is64);
    case 1: case 2:
        k = (int)(rnd() % 6);
        put(t), put(alu_names[k]), put(" ");
        a = expr(m, is64, depth + 1);
        put(" ");
        b = expr(m, is64, depth + 1);
        put(")");
        return alu_op(k, is64, a, b);
    case 3:
        k = (int)(rnd() % 5);
        put(t), put(shift_names[k]), put(" ");
        a = expr(m, is64, depth + 1);
        put(" ");
        b = expr(m, is64, depth + 1);
        put(")");
        return shift_op(k, is64, a, b);
    case 4:
        k = (int)(rnd() % 4);
        put(t), put(div_names[k]), put(" ");
        a = expr(m, is64, depth + 1);
        put(is64 ? " (i64.and (i64.or " : " (i32.and (i32.or ");
        b = expr(m, is64, depth + 1);
        put(is64 ? " (i64.const 2)) (i64.const -2)))" : " (i32.const 2)) (i32.const -2)))");
        return div_op(k, is64, a, b);
    case 5:
        k = (int)(rnd() % 3);
        put(t), put(k == 0 ? "clz " : k == 1 ? "ctz " : "popcnt ");
        a = expr(m, is64, depth + 1);
        put(")");
        return count_op(k, is64, a);
    case 6: /* a comparison as a value, or a width change */
        if (!is64) {
            a = cond(m, depth);
            return a;
        }
        k = (int)(rnd() % 2);
        put(k ? "(i64.extend_i32_s " : "(i64.extend_i32_u ");
        a = expr(m, false, depth + 1);
        put(")");
        return k ? (uint64_t)(int64_t)(int32_t)a : a;
    default:
        return control(m, is64, depth, (int)pick - 7 + (int)(rnd() % 2));
    }
}

static void gen_function(int f, struct machine *runs, uint64_t *want)
{
    char buf[128];
    snprintf(buf, sizeof buf, " (func (export \"f%d\") (param i32 i32 i64 i64) (result i64)"
                              " (local i32 i32 i64 i64) ", f);
    put(buf);
    uint64_t saved = seed;
    size_t at = len;
    for (int i = 0; i < NINPUTS; i++) {
        seed = saved; /* the same tree for every input */
        len = at;
        want[i] = expr(&runs[i], true, 0);
    }
    put(")\n");
}

int main(void)
{
    static uint64_t want[NFUNCS][NINPUTS];
    static struct machine inputs[NINPUTS], runs[NINPUTS];
    for (int i = 0; i < NINPUTS; i++)
        for (int x = 0; x < 4; x++)
            inputs[i].v[x] = wrap(x >= 2, i == 0 ? 0 : i == 1 ? ~0ull : constant(true));
    static size_t starts[NFUNCS + 1];
    put("(module\n");
    for (int f = 0; f < NFUNCS; f++) {
        memcpy(runs, inputs, sizeof runs);
        starts[f] = len;
        gen_function(f, runs, want[f]);
    }
    starts[NFUNCS] = len;
    put(")");
    text[len] = 0;
    struct env v;
    if (!env_open(&v, text, false))
        return test_done("singlepass_random");
    for (int f = 0; f < NFUNCS; f++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", f);
        for (int i = 0; i < NINPUTS; i++) {
            const uint64_t *in = inputs[i].v;
            tri_val a[4] = {tri_val_i32((int32_t)in[0]), tri_val_i32((int32_t)in[1]),
                            tri_val_i64((int64_t)in[2]), tri_val_i64((int64_t)in[3])};
            uint64_t got = (uint64_t)call_int(&v, name, a, 4);
            CHECK(got == want[f][i], "%s input %d: got %llx, want %llx in %.*s", name, i,
                  (unsigned long long)got, (unsigned long long)want[f][i],
                  (int)(starts[f + 1] - starts[f]), text + starts[f]);
        }
    }
    env_close(&v);
    return test_done("singlepass_random");
}
