/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) over a 1 MiB buffer:
   the byte-at-a-time table method and slicing-by-8, each SCALE times, which
   must agree. Self-checked on "123456789" (0xCBF43926).
   Checksum: every CRC computed. */
#include "bench.h"

enum { BUF = 1 << 20 };

static uint32_t table[8][256];

static void make_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[0][i] = c;
    }
    for (int t = 1; t < 8; t++)
        for (int i = 0; i < 256; i++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

static uint32_t crc_bytewise(const uint8_t *p, size_t n)
{
    uint32_t c = ~0u;
    while (n--)
        c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static uint32_t load32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc_slice8(const uint8_t *p, size_t n)
{
    uint32_t c = ~0u;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = load32(p) ^ c, hi = load32(p + 4);
        c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^
            table[4][lo >> 24] ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
            table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
    }
    while (n--)
        c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

int main(int argc, char **argv)
{
    int reps = bench_scale(argc, argv, 450);
    make_tables();
    if (crc_bytewise((const uint8_t *)"123456789", 9) != 0xCBF43926u ||
        crc_slice8((const uint8_t *)"123456789", 9) != 0xCBF43926u) {
        printf("crc32: self-test FAILED\n");
        return 1;
    }
    uint8_t *buf = xmalloc(BUF);
    struct rng r = {32};
    for (int i = 0; i < BUF; i++)
        buf[i] = (uint8_t)rng_next(&r);
    uint64_t sum = MIX_INIT;
    uint32_t a = 0, b = 0;
    for (int rep = 0; rep < reps; rep++) {
        size_t len = BUF - (size_t)rep % 61;
        a = crc_bytewise(buf, len);
        b = crc_slice8(buf, len);
        if (a != b) {
            printf("crc32: methods disagree (%08x %08x) FAILED\n", a, b);
            return 1;
        }
        buf[rep % BUF] ^= (uint8_t)a;
        sum = mix(sum, a);
    }
    printf("crc32 1 MiB x%d: %08x\n", reps, a);
    free(buf);
    return bench_done("crc32", sum);
}
