/* Growable arrays and byte buffers. */
#include <stdlib.h>
#include <string.h>

#include "base.h"

struct vec_any {
    void *data;
    size_t len, cap;
};

bool vec_reserve_(void *vp, size_t elem, size_t n)
{
    struct vec_any *v = vp;
    if (n <= v->cap)
        return true;
    size_t cap = v->cap ? v->cap : 8;
    while (cap < n) {
        if (cap > SIZE_MAX / 2)
            return false;
        cap *= 2;
    }
    if (cap > SIZE_MAX / elem)
        return false;
    void *p = realloc(v->data, cap * elem);
    if (!p)
        return false;
    v->data = p;
    v->cap = cap;
    return true;
}

void *vec_grow_(void *vp, size_t elem)
{
    struct vec_any *v = vp;
    if (!vec_reserve_(v, elem, v->len + 1))
        return NULL;
    void *p = (char *)v->data + v->len * elem;
    memset(p, 0, elem);
    v->len++;
    return p;
}

void buf_bytes(struct buf *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            b->oom = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_byte(struct buf *b, uint8_t c) { buf_bytes(b, &c, 1); }

void buf_u32leb(struct buf *b, uint32_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        buf_byte(b, c | (v ? 0x80 : 0));
    } while (v);
}

void buf_s64leb(struct buf *b, int64_t v)
{
    for (;;) {
        uint8_t c = v & 0x7f;
        v >>= 7; /* arithmetic shift: gcc and clang define it for signed */
        bool done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
        buf_byte(b, c | (done ? 0 : 0x80));
        if (done)
            return;
    }
}

void buf_s32leb(struct buf *b, int32_t v) { buf_s64leb(b, v); }

void buf_u32le(struct buf *b, uint32_t v)
{
    uint8_t t[4] = {v, v >> 8, v >> 16, v >> 24};
    buf_bytes(b, t, 4);
}

void buf_u64le(struct buf *b, uint64_t v)
{
    buf_u32le(b, (uint32_t)v);
    buf_u32le(b, (uint32_t)(v >> 32));
}

void buf_free(struct buf *b)
{
    free(b->data);
    *b = (struct buf){0};
}
