/* Shared by every benchmark program: the size argument, a PRNG and a hash that
   give the same numbers on every target (native x86-64 and wasm32, where
   `long` and pointers differ in size), and the checksum line the harness
   compares between runners. Only fixed-width types cross these helpers. */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The optional first argument scales the work; `1` is a tiny run for tests,
   the default is sized to take about a second natively (gcc -O2). */
static inline int bench_scale(int argc, char **argv, int dflt)
{
    if (argc < 2)
        return dflt;
    char *end;
    long v = strtol(argv[1], &end, 10);
    if (*end || v < 1 || v > 1000000) {
        fprintf(stderr, "usage: %s [SCALE 1..1000000]\n", argv[0]);
        exit(2);
    }
    return (int)v;
}

/* xorshift64*: fast, and identical on every target. */
struct rng {
    uint64_t s;
};

static inline uint32_t rng_next(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545F4914F6CDD1DULL) >> 32);
}

/* A uniform double in [0, 1) from 53 random bits. */
static inline double rng_double(struct rng *r)
{
    uint64_t hi = rng_next(r) >> 6, lo = rng_next(r) >> 5;
    return (double)((hi << 27) | lo) * (1.0 / 9007199254740992.0);
}

/* FNV-1a over 64-bit words: folds results into one checksum. */
static inline uint64_t mix(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define MIX_INIT 0xcbf29ce484222325ULL

/* Folds every stride-th of n bytes into h. */
static inline uint64_t mix_bytes(uint64_t h, const uint8_t *p, size_t n, size_t stride)
{
    for (size_t i = 0; i < n; i += stride)
        h = mix(h, p[i]);
    return h;
}

/* The exact bits of a double, so a checksum catches any rounding change. */
static inline uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* The line every runner must print identically. */
static inline int bench_done(const char *name, uint64_t sum)
{
    printf("%s checksum %016llx\n", name, (unsigned long long)sum);
    return 0;
}

/* Allocation that cannot silently fail: the benchmarks are not about OOM. */
static inline void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

#endif
