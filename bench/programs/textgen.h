/* Pseudo-text for the compression and string benchmarks: words drawn from a
   fixed vocabulary with a skewed (Zipf-like) distribution, with spaces,
   punctuation and line breaks, so it compresses like prose does. */
#ifndef TEXTGEN_H
#define TEXTGEN_H

#include "bench.h"

static const char *const text_words[] = {
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with",
    "be", "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but",
    "have", "an", "had", "they", "you", "were", "their", "one", "all", "we", "can", "her",
    "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no",
    "module", "function", "memory", "table", "global", "import", "export", "compile",
    "validate", "instance", "runtime", "backend", "register", "allocator", "instruction",
    "branch", "stack", "value", "signature", "section", "element", "segment", "trap",
};

enum { TEXT_NWORDS = sizeof text_words / sizeof text_words[0] };

/* Fills buf with n bytes of text (n >= 1; the last byte is a NUL). */
static inline void text_fill(char *buf, size_t n, uint64_t seed)
{
    struct rng r = {seed};
    size_t at = 0, col = 0;
    while (at + 1 < n) {
        /* min of two draws skews towards the common words */
        uint32_t a = rng_next(&r) % TEXT_NWORDS, b = rng_next(&r) % TEXT_NWORDS;
        const char *w = text_words[a < b ? a : b];
        uint32_t punct = rng_next(&r) % 16;
        for (; *w && at + 1 < n; w++, col++)
            buf[at++] = *w;
        if (at + 1 < n && punct == 0)
            buf[at++] = ',', col++;
        if (at + 1 < n)
            buf[at++] = col > 70 ? (col = 0, '\n') : punct == 1 ? '.' : ' ';
        col++;
    }
    buf[at] = 0;
}

#endif
