/* Numeric literals: integers (decimal or hex, with `_` between digits) and
 * floats (decimal, hex, inf, nan, nan:0x...). Floats are rounded to nearest
 * even exactly: hex digits are exact already; decimal digits are turned into
 * an exact quotient of big integers, so no libc conversion is trusted. */
#include <string.h>

#include "text.h"

static int digit_value(char c, bool hex)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (hex && c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (hex && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Moves *i past a run of digits where `_` may only separate two digits.
 * False when there is no digit or an underscore is misplaced. */
static bool digit_run(const char *s, size_t n, size_t *i, bool hex)
{
    size_t j = *i;
    if (j >= n || digit_value(s[j], hex) < 0)
        return false;
    while (j < n) {
        if (digit_value(s[j], hex) >= 0)
            j++;
        else if (s[j] == '_' && j + 1 < n && digit_value(s[j + 1], hex) >= 0)
            j++;
        else
            break;
    }
    *i = j;
    return true;
}

/* An unsigned integer filling all of s[0..n): decimal or 0x hex. */
static enum txt_num parse_uint(const char *s, size_t n, uint64_t *out)
{
    bool hex = n > 2 && s[0] == '0' && s[1] == 'x';
    size_t i = hex ? 2 : 0, start = i;
    if (!digit_run(s, n, &i, hex) || i != n)
        return TXT_NUM_SYNTAX;
    unsigned base = hex ? 16 : 10;
    uint64_t v = 0;
    for (size_t j = start; j < n; j++) {
        if (s[j] == '_')
            continue;
        uint64_t d = (uint64_t)digit_value(s[j], hex);
        if (v > (UINT64_MAX - d) / base)
            return TXT_NUM_RANGE;
        v = v * base + d;
    }
    *out = v;
    return TXT_NUM_OK;
}

enum txt_num txt_nat32(const char *s, size_t n, uint32_t *out)
{
    uint64_t v;
    enum txt_num r = parse_uint(s, n, &v);
    if (r == TXT_NUM_OK && v > UINT32_MAX)
        r = TXT_NUM_RANGE;
    if (r == TXT_NUM_OK)
        *out = (uint32_t)v;
    return r;
}

enum txt_num txt_int(const char *s, size_t n, unsigned bits, uint64_t *out)
{
    bool neg = n > 0 && s[0] == '-';
    size_t skip = n > 0 && (s[0] == '-' || s[0] == '+');
    uint64_t v;
    enum txt_num r = parse_uint(s + skip, n - skip, &v);
    if (r != TXT_NUM_OK)
        return r;
    uint64_t mask = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
    if (neg ? v > (1ull << (bits - 1)) : v > mask)
        return TXT_NUM_RANGE;
    *out = (neg ? (uint64_t)0 - v : v) & mask;
    return TXT_NUM_OK;
}

/* ---- rounding ---- */

struct ffmt {
    unsigned mant, exp; /* fraction bits and exponent bits */
};

static uint64_t inf_bits(const struct ffmt *f)
{
    return ((1ull << f->exp) - 1) << f->mant;
}

/* Rounds q * 2^e2 (q != 0), with `sticky` telling whether nonzero bits
 * were lost below q, to the nearest float (ties to even). Returns the
 * bits without the sign; an overflow gives infinity. */
static uint64_t round_pack(uint64_t q, int64_t e2, bool sticky, const struct ffmt *f)
{
    int lz = __builtin_clzll(q);
    q <<= lz;
    e2 -= lz;
    int64_t bias = (1 << (f->exp - 1)) - 1;
    int64_t e = e2 + 63; /* the value lies in [2^e, 2^(e+1)) */
    int64_t emin = 1 - bias;
    if (e > bias)
        return inf_bits(f);
    int64_t keep = (int64_t)f->mant + 1;
    if (e < emin)
        keep -= emin - e;
    int64_t drop = 64 - keep;
    uint64_t m, guard;
    if (drop > 64) {
        m = 0, guard = 0, sticky = true;
    } else if (drop == 64) {
        m = 0, guard = q >> 63, sticky |= (q << 1) != 0;
    } else {
        m = q >> drop;
        guard = q >> (drop - 1) & 1;
        sticky |= (q & ((1ull << (drop - 1)) - 1)) != 0;
    }
    if (guard && (sticky || (m & 1)))
        m++;
    /* m carries the implicit bit, so a rounding carry moves into the exponent. */
    uint64_t bits = e < emin ? m : ((uint64_t)(e + bias - 1) << f->mant) + m;
    return bits > inf_bits(f) ? inf_bits(f) : bits;
}

/* ---- big integers, just enough for exact decimal conversion ---- */

enum { BN_LIMBS = 160, MAX_DIGITS = 800 };

struct bn {
    uint32_t n; /* limbs in use, the top one nonzero (n = 0 for zero) */
    uint32_t d[BN_LIMBS];
};

static void bn_trim(struct bn *a)
{
    while (a->n && !a->d[a->n - 1])
        a->n--;
}

static void bn_mul_add(struct bn *a, uint32_t mul, uint32_t add)
{
    uint64_t carry = add;
    for (uint32_t i = 0; i < a->n; i++) {
        uint64_t v = (uint64_t)a->d[i] * mul + carry;
        a->d[i] = (uint32_t)v;
        carry = v >> 32;
    }
    if (carry && a->n < BN_LIMBS)
        a->d[a->n++] = (uint32_t)carry;
}

static void bn_mul_pow10(struct bn *a, int64_t k)
{
    for (; k >= 9; k -= 9)
        bn_mul_add(a, 1000000000u, 0);
    uint32_t m = 1;
    while (k-- > 0)
        m *= 10;
    bn_mul_add(a, m, 0);
}

static uint32_t bn_bits(const struct bn *a)
{
    return a->n ? 32 * a->n - (uint32_t)__builtin_clz(a->d[a->n - 1]) : 0;
}

static void bn_shl(struct bn *a, uint32_t k)
{
    uint32_t limbs = k / 32, bits = k % 32;
    uint32_t n = a->n + limbs + 1;
    if (n > BN_LIMBS)
        n = BN_LIMBS;
    for (uint32_t i = n; i-- > 0;) {
        uint64_t hi = i >= limbs && i - limbs < a->n ? a->d[i - limbs] : 0;
        uint64_t lo = i >= limbs + 1 && i - limbs - 1 < a->n ? a->d[i - limbs - 1] : 0;
        a->d[i] = (uint32_t)(((hi << 32 | lo) << bits) >> 32);
    }
    a->n = n;
    bn_trim(a);
}

static void bn_shr1(struct bn *a)
{
    for (uint32_t i = 0; i < a->n; i++)
        a->d[i] = a->d[i] >> 1 | (i + 1 < a->n ? a->d[i + 1] << 31 : 0);
    bn_trim(a);
}

static int bn_cmp(const struct bn *a, const struct bn *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (uint32_t i = a->n; i-- > 0;)
        if (a->d[i] != b->d[i])
            return a->d[i] < b->d[i] ? -1 : 1;
    return 0;
}

static void bn_sub(struct bn *a, const struct bn *b) /* a >= b */
{
    int64_t borrow = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        int64_t v = (int64_t)a->d[i] - (i < b->n ? b->d[i] : 0) - borrow;
        borrow = v < 0;
        a->d[i] = (uint32_t)(v + (borrow << 32));
    }
    bn_trim(a);
}

/* Rounds the exact value num/den (both nonzero) to the format. */
static uint64_t round_quotient(struct bn *num, struct bn *den, const struct ffmt *f)
{
    /* Scale so that num/den lies in (2^62, 2^64): then 64 quotient bits
     * plus a sticky remainder are plenty to round to 53 bits. */
    int64_t s = 63 - ((int64_t)bn_bits(num) - (int64_t)bn_bits(den));
    if (s > 0)
        bn_shl(num, (uint32_t)s);
    else if (s < 0)
        bn_shl(den, (uint32_t)-s);
    struct bn t = *den;
    bn_shl(&t, 63);
    uint64_t q = 0;
    for (int i = 63; i >= 0; i--) {
        if (bn_cmp(num, &t) >= 0) {
            bn_sub(num, &t);
            q |= 1ull << i;
        }
        bn_shr1(&t);
    }
    return round_pack(q, -s, num->n != 0, f);
}

/* ---- float syntax ---- */

/* Decimal digits and exponent of a decimal float, at most MAX_DIGITS
 * significant digits kept (a later nonzero digit becomes a final 1, which
 * rounds the same way). */
struct decimal {
    uint8_t dig[MAX_DIGITS + 1];
    uint32_t nd;
    int64_t e10; /* value = digits * 10^e10 */
};

static void push_decimal(struct decimal *d, int v, bool *sticky)
{
    if (d->nd == 0 && v == 0)
        return;
    if (d->nd < MAX_DIGITS)
        d->dig[d->nd++] = (uint8_t)v;
    else
        d->e10++, *sticky |= v != 0;
}

/* Reads an exponent (sign and decimal digits), saturating far out of range. */
static bool parse_exponent(const char *s, size_t n, size_t *i, int64_t *out)
{
    bool neg = *i < n && s[*i] == '-';
    if (*i < n && (s[*i] == '-' || s[*i] == '+'))
        (*i)++;
    size_t start = *i;
    if (!digit_run(s, n, i, false))
        return false;
    int64_t v = 0;
    for (size_t j = start; j < *i; j++)
        if (s[j] != '_' && v < 100000000)
            v = v * 10 + (s[j] - '0');
    *out = neg ? -v : v;
    return true;
}

/* The end of a float: an optional exponent (marker letter in either case,
 * sign, decimal digits; saturating far out of range), then nothing more. */
static bool exponent_tail(const char *s, size_t n, size_t *i, char marker, int64_t *out)
{
    *out = 0;
    if (*i < n && (s[*i] | 0x20) == marker) {
        (*i)++;
        if (!parse_exponent(s, n, i, out))
            return false;
    }
    return *i == n;
}

/* Reads digits [. digits] [e exp] into d, normalised: no trailing zero
 * digits, and a final 1 standing for any nonzero digits dropped. */
static bool read_decimal(const char *s, size_t n, struct decimal *d)
{
    bool sticky = false;
    size_t i = 0, start = 0;
    if (!digit_run(s, n, &i, false))
        return false;
    for (size_t j = start; j < i; j++)
        if (s[j] != '_')
            push_decimal(d, s[j] - '0', &sticky);
    if (i < n && s[i] == '.') {
        start = ++i;
        if (digit_run(s, n, &i, false))
            for (size_t j = start; j < i; j++)
                if (s[j] != '_')
                    push_decimal(d, s[j] - '0', &sticky), d->e10--;
    }
    int64_t exp;
    if (!exponent_tail(s, n, &i, 'e', &exp))
        return false;
    d->e10 += exp;
    if (sticky)
        d->dig[d->nd++] = 1, d->e10--;
    while (d->nd && !d->dig[d->nd - 1])
        d->nd--, d->e10++;
    return true;
}

static enum txt_num decimal_float(const char *s, size_t n, const struct ffmt *f, uint64_t *out)
{
    struct decimal d = {.nd = 0};
    if (!read_decimal(s, n, &d))
        return TXT_NUM_SYNTAX;
    int64_t mag = (int64_t)d.nd + d.e10; /* value < 10^mag */
    if (d.nd == 0 || mag < -330) {       /* zero, or below half the least subnormal */
        *out = 0;
        return TXT_NUM_OK;
    }
    if (mag > 310) { /* above any finite f64 */
        *out = inf_bits(f);
        return TXT_NUM_OK;
    }
    struct bn num = {.n = 1}, den = {.n = 1, .d = {1}};
    for (uint32_t j = 0; j < d.nd; j++)
        bn_mul_add(&num, 10, d.dig[j]);
    if (d.e10 >= 0)
        bn_mul_pow10(&num, d.e10);
    else
        bn_mul_pow10(&den, -d.e10);
    *out = round_quotient(&num, &den, f);
    return TXT_NUM_OK;
}

static enum txt_num hex_float(const char *s, size_t n, const struct ffmt *f, uint64_t *out)
{
    uint64_t q = 0;
    int64_t e2 = 0, exp;
    bool sticky = false, frac = false;
    size_t i = 2, start = 2;
    if (!digit_run(s, n, &i, true))
        return TXT_NUM_SYNTAX;
    for (;;) {
        for (size_t j = start; j < i; j++) {
            if (s[j] == '_')
                continue;
            int v = digit_value(s[j], true);
            if (q >> 60 == 0)
                q = q * 16 + (uint64_t)v, e2 -= frac ? 4 : 0;
            else
                sticky |= v != 0, e2 += frac ? 0 : 4;
        }
        if (frac || i >= n || s[i] != '.')
            break;
        start = ++i;
        frac = true;
        if (!digit_run(s, n, &i, true))
            break;
    }
    if (!exponent_tail(s, n, &i, 'p', &exp))
        return TXT_NUM_SYNTAX;
    *out = q ? round_pack(q, e2 + exp, sticky, f) : 0;
    return TXT_NUM_OK;
}

static enum txt_num parse_float(const char *s, size_t n, const struct ffmt *f, uint64_t *out)
{
    uint64_t sign = 0;
    if (n && (s[0] == '-' || s[0] == '+')) {
        sign = s[0] == '-' ? 1ull << (f->mant + f->exp) : 0;
        s++, n--;
    }
    enum txt_num r = TXT_NUM_OK;
    uint64_t bits;
    if (n == 3 && !memcmp(s, "inf", 3)) {
        bits = inf_bits(f);
    } else if (n == 3 && !memcmp(s, "nan", 3)) {
        bits = inf_bits(f) | 1ull << (f->mant - 1);
    } else if (n > 6 && !memcmp(s, "nan:0x", 6)) {
        uint64_t payload;
        r = parse_uint(s + 4, n - 4, &payload);
        if (r == TXT_NUM_OK && (payload == 0 || payload >> f->mant))
            r = TXT_NUM_RANGE;
        bits = inf_bits(f) | payload;
    } else if (n > 2 && s[0] == '0' && s[1] == 'x') {
        r = hex_float(s, n, f, &bits);
        if (r == TXT_NUM_OK && bits == inf_bits(f))
            r = TXT_NUM_RANGE;
    } else {
        r = decimal_float(s, n, f, &bits);
        if (r == TXT_NUM_OK && bits == inf_bits(f))
            r = TXT_NUM_RANGE;
    }
    if (r == TXT_NUM_OK)
        *out = sign | bits;
    return r;
}

enum txt_num txt_f32(const char *s, size_t n, uint32_t *out)
{
    static const struct ffmt f32 = {23, 8};
    uint64_t bits;
    enum txt_num r = parse_float(s, n, &f32, &bits);
    if (r == TXT_NUM_OK)
        *out = (uint32_t)bits;
    return r;
}

enum txt_num txt_f64(const char *s, size_t n, uint64_t *out)
{
    static const struct ffmt f64 = {52, 11};
    return parse_float(s, n, &f64, out);
}
