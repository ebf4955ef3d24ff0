/* Arena allocator: blocks of at least 64 KiB, bump allocation, freed at
 * once. A reset keeps the memory (as one block of the size the arena
 * grew to), so a loop that fills and resets an arena, like a compiler
 * thread going from function to function, stops calling malloc and
 * touching fresh pages once it has seen its largest input. */
#include <stdlib.h>
#include <string.h>

#include "base.h"

struct arena_block {
    struct arena_block *next;
    size_t size;
    _Alignas(16) unsigned char data[];
};

enum { BLOCK_MIN = 64 * 1024 };
/* A reset keeps at most this much. */
#define KEEP_MAX ((size_t)64 << 20)

static struct arena_block *block_new(size_t size)
{
    if (size > SIZE_MAX - sizeof(struct arena_block))
        return NULL;
    struct arena_block *b = malloc(sizeof *b + size);
    if (b)
        *b = (struct arena_block){.size = size};
    return b;
}

/* Allocation goes on in the free part of block b (head). */
static void use_block(struct arena *a, struct arena_block *b)
{
    a->next = b ? b->data : NULL;
    a->end = b ? b->data + b->size : NULL;
}

void *arena_alloc_block(struct arena *a, size_t size)
{
    if (size > SIZE_MAX - 15)
        return NULL;
    size = size ? (size + 15) & ~(size_t)15 : 16;
    if (size <= (size_t)(a->end - a->next)) /* size 0 lands here with room */
        return arena_alloc_raw(a, size);
    struct arena_block *b = block_new(size > BLOCK_MIN ? size : BLOCK_MIN);
    if (!b)
        return NULL;
    a->total += size;
    /* A large one-off block goes behind the current one so the current
     * block's free space is not wasted. */
    if (a->head && size > BLOCK_MIN / 4) {
        b->next = a->head->next;
        a->head->next = b;
        return b->data;
    }
    b->next = a->head;
    a->head = b;
    use_block(a, b);
    a->next += size;
    return b->data;
}

void *arena_alloc(struct arena *a, size_t size)
{
    void *p = arena_alloc_raw(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void *arena_array(struct arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return arena_alloc(a, n * size);
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
    char *p = arena_alloc_raw(a, len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = 0;
    }
    return p;
}

void arena_free(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
    use_block(a, NULL);
}

void arena_reset(struct arena *a)
{
    struct arena_block *b = a->head;
    a->total = 0;
    if (!b || !b->next) { /* one block (or none): the common case */
        use_block(a, b);
        return;
    }
    size_t sum = 0, keep = BLOCK_MIN;
    for (; b; b = b->next)
        sum += b->size;
    arena_free(a);
    /* a power of two: few merges (each one touches fresh pages) */
    while (keep < sum && keep < KEEP_MAX)
        keep *= 2;
    a->head = block_new(keep);
    use_block(a, a->head);
}
