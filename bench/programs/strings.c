/* String processing over 256 KiB of pseudo-text, SCALE rounds: split into
   words and count them per length, search patterns with Knuth-Morris-Pratt,
   format and parse decimal numbers, reverse words in place, and compute the
   edit distance between neighbouring words. Checksum: all the counts. */
#include "textgen.h"

enum { BUF = 1 << 18, MAXWORD = 32 };

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The next word at or after *s, or NULL at the end; *s moves past it. */
static const char *next_word(const char **s, int *len)
{
    const char *p = *s;
    while (*p && !is_alpha(*p))
        p++;
    const char *start = p;
    while (is_alpha(*p))
        p++;
    *s = p;
    *len = (int)(p - start);
    return *len ? start : NULL;
}

/* Counts the words, per length, and returns the number of words. */
static uint32_t split_words(const char *s, uint32_t per_len[MAXWORD])
{
    uint32_t words = 0;
    int len;
    while (next_word(&s, &len)) {
        per_len[len < MAXWORD ? len : MAXWORD - 1]++;
        words++;
    }
    return words;
}

/* Occurrences of pat in s (overlapping ones too), by KMP. */
static uint32_t kmp_count(const char *s, const char *pat)
{
    int fail[64], m = (int)strlen(pat), k = 0;
    fail[0] = 0;
    for (int i = 1; i < m; i++) {
        while (k > 0 && pat[i] != pat[k])
            k = fail[k - 1];
        if (pat[i] == pat[k])
            k++;
        fail[i] = k;
    }
    uint32_t hits = 0;
    k = 0;
    for (; *s; s++) {
        while (k > 0 && *s != pat[k])
            k = fail[k - 1];
        if (*s == pat[k])
            k++;
        if (k == m) {
            hits++;
            k = fail[k - 1];
        }
    }
    return hits;
}

/* Writes v in decimal to buf (no libc), returns the length. */
static int format_u32(uint32_t v, char *buf)
{
    char tmp[10];
    int n = 0, len = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        buf[len++] = tmp[--n];
    buf[len] = 0;
    return len;
}

static uint32_t parse_u32(const char *s)
{
    uint32_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint32_t)(*s++ - '0');
    return v;
}

/* Reverses every word in place; returns a hash of the result. */
static uint64_t reverse_words(char *s)
{
    const char *p = s, *w;
    int len;
    while ((w = next_word(&p, &len))) {
        char *a = s + (w - s);
        for (char *b = a + len - 1; a < b; a++, b--) {
            char t = *a;
            *a = *b;
            *b = t;
        }
    }
    uint64_t h = MIX_INIT;
    for (const char *c = s; *c; c++)
        h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
    return h;
}

/* Levenshtein distance of two short words, one DP row. */
static int edit_distance(const char *a, int n, const char *b, int m)
{
    int row[MAXWORD + 1];
    for (int j = 0; j <= m; j++)
        row[j] = j;
    for (int i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= m; j++) {
            int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[m];
}

/* Sum of edit distances between each word and the next (both < MAXWORD). */
static uint32_t neighbour_distances(const char *s)
{
    const char *prev = NULL;
    int prev_len = 0;
    uint32_t total = 0;
    int len;
    for (const char *w; (w = next_word(&s, &len));) {
        if (len >= MAXWORD)
            continue;
        if (prev)
            total += (uint32_t)edit_distance(prev, prev_len, w, len);
        prev = w;
        prev_len = len;
    }
    return total;
}

static uint64_t one_round(char *text, int round)
{
    static const char *const patterns[] = {"the ", "memory", "in the", "ation", "e, t", "aaa"};
    uint32_t per_len[MAXWORD] = {0};
    uint64_t sum = mix(MIX_INIT, split_words(text, per_len));
    for (int i = 0; i < MAXWORD; i++)
        sum = mix(sum, per_len[i]);
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++)
        sum = mix(sum, kmp_count(text, patterns[i]));
    char num[16];
    uint32_t back = 0;
    for (uint32_t v = (uint32_t)round; v < 4000000000u; v = v * 3 + 7)
        for (int k = 0; k < 200; k++) {
            format_u32(v + (uint32_t)k, num);
            back += parse_u32(num);
        }
    sum = mix(sum, back);
    sum = mix(sum, neighbour_distances(text));
    return mix(sum, reverse_words(text));
}

int main(int argc, char **argv)
{
    int rounds = bench_scale(argc, argv, 200);
    char *text = xmalloc(BUF);
    uint64_t sum = MIX_INIT;
    for (int round = 0; round < rounds; round++) {
        text_fill(text, BUF, 3000 + round);
        sum = mix(sum, one_round(text, round));
    }
    printf("strings x%d rounds over 256 KiB\n", rounds);
    free(text);
    return bench_done("strings", sum);
}
