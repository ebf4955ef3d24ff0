/* Huffman coding round trip over 1 MiB of pseudo-text: byte frequencies, a
   code tree built with a binary heap, code lengths limited to 24 bits,
   canonical codes, bit-packed encoding, and decoding by walking the tree
   bit by bit. SCALE rounds on different text; the output must equal the
   input. Checksum: encoded sizes and a sample of the encoded bytes. */
#include "textgen.h"

enum { BUF = 1 << 20, SYMS = 256, NODES = 2 * SYMS };

struct tree {
    uint32_t weight[NODES];
    int16_t left[NODES], right[NODES]; /* children; -1 for a leaf */
    int count, root;
};

/* Min-heap of node indices ordered by weight, then by index (so ties break
   the same way everywhere). */
static int lighter(const struct tree *t, int a, int b)
{
    return t->weight[a] != t->weight[b] ? t->weight[a] < t->weight[b] : a < b;
}

static void heap_push(const struct tree *t, int *heap, int *n, int v)
{
    int i = (*n)++;
    for (; i > 0 && lighter(t, v, heap[(i - 1) / 2]); i = (i - 1) / 2)
        heap[i] = heap[(i - 1) / 2];
    heap[i] = v;
}

static int heap_pop(const struct tree *t, int *heap, int *n)
{
    int top = heap[0], v = heap[--*n], i = 0;
    for (int c; (c = 2 * i + 1) < *n; i = c) {
        if (c + 1 < *n && lighter(t, heap[c + 1], heap[c]))
            c++;
        if (!lighter(t, heap[c], v))
            break;
        heap[i] = heap[c];
    }
    heap[i] = v;
    return top;
}

static void build_tree(struct tree *t, const uint32_t freq[SYMS])
{
    int heap[NODES], n = 0;
    t->count = SYMS;
    for (int s = 0; s < SYMS; s++) {
        t->weight[s] = freq[s];
        t->left[s] = t->right[s] = -1;
        if (freq[s])
            heap_push(t, heap, &n, s);
    }
    while (n > 1) {
        int a = heap_pop(t, heap, &n), b = heap_pop(t, heap, &n), p = t->count++;
        t->weight[p] = t->weight[a] + t->weight[b];
        t->left[p] = (int16_t)a;
        t->right[p] = (int16_t)b;
        heap_push(t, heap, &n, p);
    }
    t->root = n ? heap[0] : -1;
}

static void code_lengths(const struct tree *t, int node, int depth, uint8_t len[SYMS])
{
    if (t->left[node] < 0) {
        len[node] = (uint8_t)(depth ? depth : 1);
        return;
    }
    code_lengths(t, t->left[node], depth + 1, len);
    code_lengths(t, t->right[node], depth + 1, len);
}

/* Canonical codes: by length, then symbol. Returns 0 if a code is too long. */
static int canonical(const uint8_t len[SYMS], uint32_t code[SYMS])
{
    uint32_t next = 0;
    for (int l = 1; l <= 24; l++, next <<= 1)
        for (int s = 0; s < SYMS; s++)
            if (len[s] == l)
                code[s] = next++;
    for (int s = 0; s < SYMS; s++)
        if (len[s] > 24)
            return 0;
    return 1;
}

/* A decoding tree rebuilt from the canonical codes (as a receiver would). */
struct decoder {
    int16_t child[NODES][2]; /* >= 0 internal node, < 0 leaf ~symbol */
    int count;
};

static void add_code(struct decoder *d, uint32_t code, int len, int sym)
{
    int node = 0;
    for (int b = len - 1; b > 0; b--) {
        int bit = code >> b & 1;
        if (!d->child[node][bit]) {
            d->child[node][bit] = (int16_t)d->count;
            d->child[d->count][0] = d->child[d->count][1] = 0;
            d->count++;
        }
        node = d->child[node][bit];
    }
    d->child[node][code & 1] = (int16_t)~sym;
}

static size_t encode(const uint8_t *in, size_t n, const uint8_t len[SYMS], const uint32_t code[SYMS],
                     uint8_t *out)
{
    uint64_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << len[in[i]] | code[in[i]];
        bits += len[in[i]];
        while (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (bits)
        out[o++] = (uint8_t)(acc << (8 - bits));
    return o;
}

static void decode(const struct decoder *d, const uint8_t *in, uint8_t *out, size_t n)
{
    size_t bit = 0;
    for (size_t o = 0; o < n; o++) {
        int node = 0;
        for (;;) {
            int next = d->child[node][in[bit >> 3] >> (7 - (bit & 7)) & 1];
            bit++;
            if (next < 0) {
                out[o] = (uint8_t)~next;
                break;
            }
            node = next;
        }
    }
}

/* One round: returns the encoded size, or 0 on a failed round trip. */
static size_t round_trip(const uint8_t *text, uint8_t *packed, uint8_t *back)
{
    static struct tree t;
    static struct decoder d;
    uint32_t freq[SYMS] = {0}, code[SYMS] = {0};
    uint8_t len[SYMS] = {0};
    for (size_t i = 0; i < BUF; i++)
        freq[text[i]]++;
    build_tree(&t, freq);
    code_lengths(&t, t.root, 0, len);
    if (!canonical(len, code))
        return 0;
    d.count = 1;
    d.child[0][0] = d.child[0][1] = 0;
    for (int s = 0; s < SYMS; s++)
        if (len[s])
            add_code(&d, code[s], len[s], s);
    size_t m = encode(text, BUF, len, code, packed);
    decode(&d, packed, back, BUF);
    return memcmp(text, back, BUF) ? 0 : m;
}

int main(int argc, char **argv)
{
    int rounds = bench_scale(argc, argv, 70);
    uint8_t *text = xmalloc(BUF), *packed = xmalloc(BUF * 3), *back = xmalloc(BUF);
    uint64_t sum = MIX_INIT;
    size_t m = 0;
    for (int round = 0; round < rounds; round++) {
        text_fill((char *)text, BUF, 2000 + round);
        m = round_trip(text, packed, back);
        if (!m) {
            printf("huffman: round trip FAILED in round %d\n", round);
            return 1;
        }
        sum = mix_bytes(mix(sum, m), packed, m, 64);
    }
    printf("huffman x%d: 1 MiB -> %zu bytes\n", rounds, m);
    free(text);
    free(packed);
    free(back);
    return bench_done("huffman", sum);
}
