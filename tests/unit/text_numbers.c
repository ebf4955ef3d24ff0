/* Numeric literals of the text format: integer ranges and underscores,
 * float syntax, and exact rounding checked against glibc's strtod/strtof
 * (correctly rounded for decimal and hex input) on many generated literals,
 * plus bit patterns the spec tests state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/text.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static enum txt_num int_of(const char *s, unsigned bits, uint64_t *v)
{
    return txt_int(s, strlen(s), bits, v);
}

static void test_integers(void)
{
    static const struct {
        const char *s;
        unsigned bits;
        enum txt_num r;
        uint64_t v;
    } cases[] = {
        {"0", 32, TXT_NUM_OK, 0},
        {"4294967295", 32, TXT_NUM_OK, 0xFFFFFFFF},
        {"4294967296", 32, TXT_NUM_RANGE, 0},
        {"-2147483648", 32, TXT_NUM_OK, 0x80000000},
        {"-2147483649", 32, TXT_NUM_RANGE, 0},
        {"+0x10", 32, TXT_NUM_OK, 16},
        {"0xffff_ffff", 32, TXT_NUM_OK, 0xFFFFFFFF},
        {"1_000_000", 32, TXT_NUM_OK, 1000000},
        {"-0", 32, TXT_NUM_OK, 0},
        {"18446744073709551615", 64, TXT_NUM_OK, UINT64_MAX},
        {"18446744073709551616", 64, TXT_NUM_RANGE, 0},
        {"-9223372036854775808", 64, TXT_NUM_OK, 0x8000000000000000ull},
        {"-9223372036854775809", 64, TXT_NUM_RANGE, 0},
        {"0x1_0000_0000_0000_0000", 64, TXT_NUM_RANGE, 0},
        {"-128", 8, TXT_NUM_OK, 0x80},
        {"255", 8, TXT_NUM_OK, 0xFF},
        {"256", 8, TXT_NUM_RANGE, 0},
        {"-32768", 16, TXT_NUM_OK, 0x8000},
        {"1__0", 32, TXT_NUM_SYNTAX, 0},
        {"1_", 32, TXT_NUM_SYNTAX, 0},
        {"_1", 32, TXT_NUM_SYNTAX, 0},
        {"0x_1", 32, TXT_NUM_SYNTAX, 0},
        {"0x", 32, TXT_NUM_SYNTAX, 0},
        {"0xg", 32, TXT_NUM_SYNTAX, 0},
        {"1.0", 32, TXT_NUM_SYNTAX, 0},
        {"--1", 32, TXT_NUM_SYNTAX, 0},
        {"", 32, TXT_NUM_SYNTAX, 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        uint64_t v = 0;
        enum txt_num r = int_of(cases[i].s, cases[i].bits, &v);
        CHECK(r == cases[i].r, "'%s': result %d, want %d", cases[i].s, r, cases[i].r);
        CHECK(r != TXT_NUM_OK || v == cases[i].v, "'%s': 0x%llx", cases[i].s,
              (unsigned long long)v);
    }
    uint32_t n;
    CHECK(txt_nat32("+1", 2, &n) == TXT_NUM_SYNTAX, "a nat has no sign");
    CHECK(txt_nat32("4294967296", 10, &n) == TXT_NUM_RANGE, "nat32 range");
    CHECK(txt_nat32("0xFFFF_FFFF", 11, &n) == TXT_NUM_OK && n == 0xFFFFFFFF, "hex nat");
}

static void test_float_syntax(void)
{
    static const char *const bad[] = {
        ".5", "1e", "1.e", "1e+", "0x", "0x.p1", "0x1p", "1_.5", "1._5", "1e_5", "nan:0x",
        "nan:1", "inf_", "infinity", "0x1.0q1", "1.5f", "--1.0", "+-1", "1.2.3", "nan:0x_1",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        uint64_t v;
        CHECK(txt_f64(bad[i], strlen(bad[i]), &v) == TXT_NUM_SYNTAX, "'%s' accepted", bad[i]);
    }
    static const char *const good[] = {
        "1", "1.", "1.e5", "1.5e-3", "+0x1.8p3", "0x1P-2", "0x1.", "0xA_B.C_Dp1_0", "1_0.0_1e1_0",
        "-inf", "+nan", "nan:0x1",
    };
    for (size_t i = 0; i < ARRAY_LEN(good); i++) {
        uint64_t v;
        CHECK(txt_f64(good[i], strlen(good[i]), &v) == TXT_NUM_OK, "'%s' rejected", good[i]);
    }
}

/* Bit patterns stated by const.wast, float_literals.wast and the IEEE rules. */
static void test_float_patterns(void)
{
    static const struct {
        const char *s;
        bool f64;
        enum txt_num r;
        uint64_t bits;
    } cases[] = {
        {"0x1.fffffefffffffffffp127", 0, TXT_NUM_OK, 0x7f7fffff},
        {"0x1.ffffffp127", 0, TXT_NUM_RANGE, 0},
        {"1e39", 0, TXT_NUM_RANGE, 0},
        {"0x1p-149", 0, TXT_NUM_OK, 0x00000001},
        {"0x1p-150", 0, TXT_NUM_OK, 0x00000000},        /* tie, to even */
        {"0x1.000001p-150", 0, TXT_NUM_OK, 0x00000001}, /* above the tie */
        {"0x1.8p-149", 0, TXT_NUM_OK, 0x00000002},      /* tie, to even */
        {"-0x0p0", 0, TXT_NUM_OK, 0x80000000},
        {"nan", 0, TXT_NUM_OK, 0x7fc00000},
        {"-nan", 0, TXT_NUM_OK, 0xffc00000},
        {"nan:0x200000", 0, TXT_NUM_OK, 0x7fa00000},
        {"-nan:0x7fffff", 0, TXT_NUM_OK, 0xffffffff},
        {"nan:0x800000", 0, TXT_NUM_RANGE, 0},
        {"nan:0x0", 0, TXT_NUM_RANGE, 0},
        {"inf", 0, TXT_NUM_OK, 0x7f800000},
        {"+0x1.00000100000000001p-50", 0, TXT_NUM_OK, 0x26800001},
        {"1.000000059604644775390625", 0, TXT_NUM_OK, 0x3f800000}, /* 1 + 2^-24: tie */
        {"1.000000059604644775390626", 0, TXT_NUM_OK, 0x3f800001},
        {"0.000000000000000000000000000000000000000000001401298464324817070923729583289916131280e+0",
         0, TXT_NUM_OK, 0x00000001},
        {"0x1p-1074", 1, TXT_NUM_OK, 1},
        {"0x1p-1075", 1, TXT_NUM_OK, 0},
        {"0x1.fffffffffffffp-1023", 1, TXT_NUM_OK, 0x0010000000000000ull}, /* up to normal */
        {"0x1.fffffffffffff7ffffffp1023", 1, TXT_NUM_OK, 0x7fefffffffffffffull},
        {"0x1.fffffffffffff8p1023", 1, TXT_NUM_RANGE, 0},
        {"1e309", 1, TXT_NUM_RANGE, 0},
        {"1e-400", 1, TXT_NUM_OK, 0},
        {"-1e-400", 1, TXT_NUM_OK, 0x8000000000000000ull},
        {"nan:0x4000000000000", 1, TXT_NUM_OK, 0x7ff4000000000000ull},
        {"nan:0x10000000000000", 1, TXT_NUM_RANGE, 0},
        {"1e1000000000000", 1, TXT_NUM_RANGE, 0},
        {"0x1p-10000000000000", 1, TXT_NUM_OK, 0},
        {"0.0e1000000000000", 1, TXT_NUM_OK, 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        uint64_t v = 0;
        uint32_t v32 = 0;
        const char *s = cases[i].s;
        enum txt_num r = cases[i].f64 ? txt_f64(s, strlen(s), &v) : txt_f32(s, strlen(s), &v32);
        v = cases[i].f64 ? v : v32;
        CHECK(r == cases[i].r && (r != TXT_NUM_OK || v == cases[i].bits), "f%d '%s': %d 0x%llx",
              cases[i].f64 ? 64 : 32, s, r, (unsigned long long)v);
    }
}

/* Compares one literal with strtod and strtof (the literal has no '_'). */
static void against_libc(const char *s)
{
    double d = strtod(s, NULL);
    float f = strtof(s, NULL);
    uint64_t want64, got64 = 0;
    uint32_t want32, got32 = 0;
    memcpy(&want64, &d, 8);
    memcpy(&want32, &f, 4);
    enum txt_num r64 = txt_f64(s, strlen(s), &got64);
    enum txt_num r32 = txt_f32(s, strlen(s), &got32);
    if (isinf(d))
        CHECK(r64 == TXT_NUM_RANGE, "f64 '%s' should be out of range", s);
    else
        CHECK(r64 == TXT_NUM_OK && got64 == want64, "f64 '%s': 0x%016llx, strtod 0x%016llx", s,
              (unsigned long long)got64, (unsigned long long)want64);
    if (isinf(f))
        CHECK(r32 == TXT_NUM_RANGE, "f32 '%s' should be out of range", s);
    else
        CHECK(r32 == TXT_NUM_OK && got32 == want32, "f32 '%s': 0x%08x, strtof 0x%08x", s, got32,
              want32);
}

static void random_digits(char *p, int n, bool hex)
{
    for (int i = 0; i < n; i++)
        p[i] = "0123456789abcdef"[next_rand() % (hex ? 16 : 10)];
    p[n] = 0;
}

static void test_against_libc(void)
{
    char s[1200], digits[1100];
    for (int i = 0; i < 40000; i++) {
        bool hex = i % 2;
        int nd = 1 + (int)(next_rand() % (i % 50 == 0 ? 1000 : 25));
        random_digits(digits, nd, hex);
        int point = 1 + (int)(next_rand() % (unsigned)nd); /* a literal starts with a digit */
        int exp = hex ? (int)(next_rand() % 2300) - 1150 : (int)(next_rand() % 800) - 400;
        snprintf(s, sizeof s, "%s%s%.*s.%s%c%d", next_rand() % 2 ? "-" : "", hex ? "0x" : "",
                 point, digits, digits + point, hex ? 'p' : 'e', exp);
        against_libc(s);
    }
    /* Values next to ties and limits. */
    static const char *const edges[] = {
        "2.2250738585072011e-308", "2.2250738585072012e-308", "4.9406564584124654e-324",
        "2.4703282292062327e-324", "2.4703282292062328e-324", "1.7976931348623157e308",
        "1.7976931348623158e308", "1.7976931348623159e308", "3.4028234663852886e38",
        "3.4028235677973366e38", "3.4028235677973367e38", "1.1754942807573643e-38",
        "7.0064923216240854e-46", "7.0064923216240862e-46", "9007199254740993",
        "9007199254740992.5", "0x1.00000000000008p0", "0x1.000000000000081p0", "0x1.000001p0",
        "0x1.0000010000000001p0", "0x0.0000000000001p-1022", "0x0.00000000000008p-1022",
    };
    for (size_t i = 0; i < ARRAY_LEN(edges); i++)
        against_libc(edges[i]);
}

int main(void)
{
    test_integers();
    test_float_syntax();
    test_float_patterns();
    test_against_libc();
    return test_done("text_numbers");
}
