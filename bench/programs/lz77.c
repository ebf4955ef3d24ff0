/* LZ77 compression and decompression round trip over 1 MiB of pseudo-text:
   a 32 KiB window, hash chains over 3-byte prefixes (at most 32 candidates),
   matches of 3..258 bytes, greedy parsing. Tokens are a flag byte per eight
   items, then literals or (length, 16-bit distance). SCALE rounds, each on
   different text; the output must equal the input.
   Checksum: compressed sizes and an FNV of the compressed bytes. */
#include "textgen.h"

enum { BUF = 1 << 20, WINDOW = 1 << 15, HASH_BITS = 15, MIN_MATCH = 3, MAX_MATCH = 258,
       MAX_CHAIN = 32 };

static uint32_t hash3(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]) * 2654435761u >> (32 - HASH_BITS);
}

/* Compresses n bytes of in to out (room for n + n/8 + 1 bytes); returns the
   compressed size. head/prev are the hash chains (positions + 1, 0 = none). */
static size_t compress(const uint8_t *in, size_t n, uint8_t *out, uint32_t *head, uint32_t *prev)
{
    memset(head, 0, sizeof(uint32_t) << HASH_BITS);
    size_t o = 0, flag_at = 0;
    int item = 8;
    for (size_t i = 0; i < n;) {
        if (item == 8) {
            flag_at = o++;
            out[flag_at] = 0;
            item = 0;
        }
        size_t best = 0, dist = 0;
        if (i + MIN_MATCH <= n) {
            uint32_t h = hash3(in + i);
            size_t limit = n - i < MAX_MATCH ? n - i : MAX_MATCH;
            uint32_t cand = head[h];
            for (int chain = 0; cand && chain < MAX_CHAIN; chain++, cand = prev[(cand - 1) % WINDOW]) {
                size_t c = cand - 1;
                if (i - c > WINDOW - 1)
                    break;
                size_t len = 0;
                while (len < limit && in[c + len] == in[i + len])
                    len++;
                if (len > best)
                    best = len, dist = i - c;
            }
        }
        size_t advance = best >= MIN_MATCH ? best : 1;
        for (size_t k = 0; k < advance && i + k + MIN_MATCH <= n; k++) {
            uint32_t h = hash3(in + i + k);
            prev[(i + k) % WINDOW] = head[h];
            head[h] = (uint32_t)(i + k + 1);
        }
        if (best >= MIN_MATCH) {
            out[flag_at] |= (uint8_t)(1 << item);
            out[o++] = (uint8_t)(best - MIN_MATCH);
            out[o++] = (uint8_t)dist;
            out[o++] = (uint8_t)(dist >> 8);
        } else {
            out[o++] = in[i];
        }
        i += advance;
        item++;
    }
    return o;
}

/* Expands m compressed bytes into out; returns the size, or 0 if corrupt. */
static size_t decompress(const uint8_t *in, size_t m, uint8_t *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < m;) {
        uint8_t flags = in[i++];
        for (int item = 0; item < 8 && i < m; item++) {
            if (!(flags >> item & 1)) {
                if (o >= cap)
                    return 0;
                out[o++] = in[i++];
                continue;
            }
            if (i + 3 > m)
                return 0;
            size_t len = in[i] + MIN_MATCH, dist = in[i + 1] | (size_t)in[i + 2] << 8;
            i += 3;
            if (dist == 0 || dist > o || o + len > cap)
                return 0;
            for (size_t k = 0; k < len; k++, o++) /* overlapping copies are intended */
                out[o] = out[o - dist];
        }
    }
    return o;
}

int main(int argc, char **argv)
{
    int rounds = bench_scale(argc, argv, 30);
    uint8_t *text = xmalloc(BUF), *packed = xmalloc(BUF + BUF / 8 + 1), *back = xmalloc(BUF);
    uint32_t *head = xmalloc(sizeof(uint32_t) << HASH_BITS), *prev = xmalloc(sizeof(uint32_t) * WINDOW);
    uint64_t sum = MIX_INIT;
    size_t m = 0;
    for (int round = 0; round < rounds; round++) {
        text_fill((char *)text, BUF, 1000 + round);
        m = compress(text, BUF, packed, head, prev);
        if (decompress(packed, m, back, BUF) != BUF || memcmp(text, back, BUF)) {
            printf("lz77: round trip FAILED in round %d\n", round);
            return 1;
        }
        sum = mix_bytes(mix(sum, m), packed, m, 8);
    }
    printf("lz77 x%d: 1 MiB -> %zu bytes\n", rounds, m);
    free(text);
    free(packed);
    free(back);
    free(head);
    free(prev);
    return bench_done("lz77", sum);
}
