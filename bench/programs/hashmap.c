/* Open-addressing hash map (linear probing, backward-shift deletion, grows
   at 50% load) from 32-bit keys to 32-bit values. Each round inserts 2^18
   random keys (some repeated), looks up hits and misses, deletes half and
   looks up again. SCALE rounds. Checksum: the lookup results of each round. */
#include "bench.h"

struct map {
    uint32_t *keys; /* 0 marks an empty slot; key 0 is never stored */
    uint32_t *vals;
    uint32_t cap, len; /* cap is a power of two */
};

static uint32_t hash32(uint32_t k)
{
    k ^= k >> 16;
    k *= 0x7feb352d;
    k ^= k >> 15;
    k *= 0x846ca68b;
    return k ^ (k >> 16);
}

static void map_init(struct map *m, uint32_t cap)
{
    m->cap = cap;
    m->len = 0;
    m->keys = xmalloc(sizeof(uint32_t) * cap);
    m->vals = xmalloc(sizeof(uint32_t) * cap);
    memset(m->keys, 0, sizeof(uint32_t) * cap);
}

static void map_free(struct map *m)
{
    free(m->keys);
    free(m->vals);
}

static uint32_t slot_of(const struct map *m, uint32_t key)
{
    uint32_t i = hash32(key) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void map_put(struct map *m, uint32_t key, uint32_t val);

static void grow(struct map *m)
{
    struct map bigger;
    map_init(&bigger, m->cap * 2);
    for (uint32_t i = 0; i < m->cap; i++)
        if (m->keys[i])
            map_put(&bigger, m->keys[i], m->vals[i]);
    map_free(m);
    *m = bigger;
}

static void map_put(struct map *m, uint32_t key, uint32_t val)
{
    if (2 * (m->len + 1) > m->cap)
        grow(m);
    uint32_t i = slot_of(m, key);
    if (!m->keys[i]) {
        m->keys[i] = key;
        m->len++;
    }
    m->vals[i] = val;
}

/* Returns 1 and sets *val when the key is present. */
static int map_get(const struct map *m, uint32_t key, uint32_t *val)
{
    uint32_t i = slot_of(m, key);
    if (!m->keys[i])
        return 0;
    *val = m->vals[i];
    return 1;
}

/* Removes the key, shifting later members of its probe run back so no
   tombstones are needed. */
static void map_del(struct map *m, uint32_t key)
{
    uint32_t mask = m->cap - 1, i = slot_of(m, key);
    if (!m->keys[i])
        return;
    m->len--;
    for (uint32_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (!m->keys[j])
            break;
        uint32_t home = hash32(m->keys[j]) & mask;
        /* j's key may move to i only if i lies on its probe path home..j */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = 0;
}

static uint64_t round_trip(struct rng *r, uint32_t n)
{
    struct map m;
    map_init(&m, 16);
    uint32_t *keys = xmalloc(sizeof(uint32_t) * n);
    for (uint32_t i = 0; i < n; i++) {
        keys[i] = (rng_next(r) % (n * 4)) + 1;
        map_put(&m, keys[i], i);
    }
    uint64_t sum = mix(MIX_INIT, m.len), hits = 0, acc = 0;
    for (uint32_t i = 0; i < 2 * n; i++) {
        uint32_t v;
        if (map_get(&m, (rng_next(r) % (n * 4)) + 1, &v))
            hits++, acc += v;
    }
    for (uint32_t i = 0; i < n; i += 2)
        map_del(&m, keys[i]);
    sum = mix(mix(mix(sum, hits), acc), m.len);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = 0;
        acc = acc * 31 + (uint32_t)map_get(&m, keys[i], &v) * 7 + v;
    }
    free(keys);
    map_free(&m);
    return mix(sum, acc);
}

int main(int argc, char **argv)
{
    int rounds = bench_scale(argc, argv, 45);
    struct rng r = {99};
    uint64_t sum = MIX_INIT;
    for (int i = 0; i < rounds; i++)
        sum = mix(sum, round_trip(&r, 1 << 18));
    printf("hashmap x%d rounds of 2^18 keys\n", rounds);
    return bench_done("hashmap", sum);
}
