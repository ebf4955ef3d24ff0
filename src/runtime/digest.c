/* A fast 128-bit digest for artifact files: cache keys (the hash of a
 * module's bytes) and checksums (damage detection). Not cryptographic: it
 * catches truncation, flipped bits and accidental collisions, not forgery.
 *
 * Four 64-bit lanes each take one 8-byte word of every 32-byte block with a
 * multiply and a rotate, so the lanes run in parallel (several GB/s); the
 * final mix folds the lanes, the length and the tail into two outputs, each
 * ending in a full avalanche. Streaming: data may come in any pieces. */
#include <string.h>

#include "runtime.h"

static const uint64_t K1 = 0x9E3779B97F4A7C15ull; /* odd constants with well-spread bits */
static const uint64_t K2 = 0xC2B2AE3D27D4EB4Full;
static const uint64_t K3 = 0x165667B19E3779F9ull;

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/* The SplitMix64 finaliser: every input bit affects every output bit. */
static inline uint64_t avalanche(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static inline uint64_t word(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8); /* little-endian host: x86-64 only */
    return w;
}

static void block(uint64_t v[4], const uint8_t *p)
{
    for (int i = 0; i < 4; i++)
        v[i] = rotl(v[i] + word(p + 8 * i) * K2, 31) * K1;
}

void rt_digest_init(struct rt_digest *d, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    d->v[0] = seed + K1 + K2;
    d->v[1] = seed + K2;
    d->v[2] = seed ^ K3;
    d->v[3] = seed - K1;
}

void rt_digest_add(struct rt_digest *d, const void *data, size_t n)
{
    const uint8_t *p = data;
    d->total += n;
    if (d->fill) { /* complete the buffered block first */
        size_t take = n < sizeof d->buf - d->fill ? n : sizeof d->buf - d->fill;
        memcpy(d->buf + d->fill, p, take);
        d->fill += take;
        p += take;
        n -= take;
        if (d->fill < sizeof d->buf)
            return;
        block(d->v, d->buf);
        d->fill = 0;
    }
    for (; n >= sizeof d->buf; p += sizeof d->buf, n -= sizeof d->buf)
        block(d->v, p);
    memcpy(d->buf, p, n);
    d->fill = n;
}

void rt_digest_end(struct rt_digest *d, uint64_t out[2])
{
    if (d->fill) { /* the tail, zero-padded; the length below tells it apart */
        memset(d->buf + d->fill, 0, sizeof d->buf - d->fill);
        block(d->v, d->buf);
    }
    uint64_t a = rotl(d->v[0], 1) + rotl(d->v[1], 7) + rotl(d->v[2], 12) + rotl(d->v[3], 18);
    uint64_t b = d->v[0] ^ rotl(d->v[1], 23) ^ rotl(d->v[2], 37) ^ rotl(d->v[3], 49);
    a = avalanche(a ^ d->total * K3);
    b = avalanche(b + d->total + K2);
    out[0] = avalanche(a + rotl(b, 29));
    out[1] = avalanche(b ^ rotl(a, 17) ^ K1);
}

void rt_digest(const void *data, size_t n, uint64_t seed, uint64_t out[2])
{
    struct rt_digest d;
    rt_digest_init(&d, seed);
    rt_digest_add(&d, data, n);
    rt_digest_end(&d, out);
}
