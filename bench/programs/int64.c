/* 64-bit integer arithmetic and division: Euclid's gcd on 64-bit pairs,
   modular exponentiation with 64-bit products reduced by a 32-bit modulus,
   Miller-Rabin primality tests built on it, signed division and remainder
   of mixed-sign operands, and base-10 digit sums of 64-bit values. SCALE
   rounds. Checksum: every result. */
#include "bench.h"

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* b^e mod m for m < 2^32, so every product fits in 64 bits. */
static uint64_t pow_mod(uint64_t b, uint64_t e, uint64_t m)
{
    uint64_t r = 1 % m;
    b %= m;
    for (; e; e >>= 1) {
        if (e & 1)
            r = r * b % m;
        b = b * b % m;
    }
    return r;
}

/* Deterministic Miller-Rabin for n < 2^32 (bases 2, 7, 61 suffice). */
static int is_prime(uint64_t n)
{
    if (n < 2)
        return 0;
    static const uint64_t bases[] = {2, 7, 61};
    for (int i = 0; i < 3; i++)
        if (n % bases[i] == 0)
            return n == bases[i];
    uint64_t d = n - 1;
    int s = 0;
    for (; !(d & 1); d >>= 1)
        s++;
    for (int i = 0; i < 3; i++) {
        uint64_t x = pow_mod(bases[i], d, n);
        if (x == 1 || x == n - 1)
            continue;
        int r = 1;
        for (; r < s; r++) {
            x = x * x % n;
            if (x == n - 1)
                break;
        }
        if (r == s)
            return 0;
    }
    return 1;
}

static uint32_t digit_sum(uint64_t v)
{
    uint32_t s = 0;
    for (; v; v /= 10)
        s += (uint32_t)(v % 10);
    return s;
}

/* Signed quotients and remainders with operands of every sign. */
static int64_t signed_mix(struct rng *r, int n)
{
    int64_t acc = 0;
    for (int i = 0; i < n; i++) {
        int64_t a = (int64_t)((uint64_t)rng_next(r) << 32 | rng_next(r));
        int64_t b = (int64_t)(rng_next(r) | 1) - (int64_t)0x80000000;
        if (b == -1) /* INT64_MIN / -1 would overflow */
            b = 3;
        acc += a / b + a % b;
        acc ^= (a >> 7) / (b | 1);
    }
    return acc;
}

static uint64_t one_round(struct rng *r)
{
    uint64_t sum = MIX_INIT, g = 0, primes = 0, digits = 0;
    for (int i = 0; i < 20000; i++) {
        uint64_t a = (uint64_t)rng_next(r) << 32 | rng_next(r);
        uint64_t b = (uint64_t)rng_next(r) << 20 | rng_next(r);
        g += gcd(a, b) + gcd(a | 1, 0x123456789abcdefULL);
    }
    uint32_t start = rng_next(r) | 0x80000001u;
    for (uint32_t n = start; n < start + 20000; n += 2)
        primes += (uint64_t)is_prime(n);
    for (int i = 0; i < 20000; i++)
        digits += digit_sum((uint64_t)rng_next(r) << 32 | rng_next(r));
    sum = mix(mix(mix(sum, g), primes), digits);
    return mix(sum, (uint64_t)signed_mix(r, 50000));
}

int main(int argc, char **argv)
{
    int rounds = bench_scale(argc, argv, 180);
    struct rng r = {64};
    uint64_t sum = MIX_INIT;
    for (int i = 0; i < rounds; i++)
        sum = mix(sum, one_round(&r));
    if (!is_prime(4294967291u) || is_prime(3215031751u) /* strong pseudoprime to 2, 3, 5, 7 */) {
        printf("int64: self-test FAILED\n");
        return 1;
    }
    printf("int64 x%d rounds\n", rounds);
    return bench_done("int64", sum);
}
