/* Growable arrays and byte buffers. */
#include <stdio.h>
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

/* Makes room for n more bytes; false (and oom set) when it cannot. */
static bool buf_room(struct buf *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            b->oom = true;
            return false;
        }
        b->data = d;
        b->cap = cap;
    }
    return true;
}

void buf_bytes(struct buf *b, const void *p, size_t n)
{
    if (!buf_room(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    /* n + 1: vsnprintf also writes a NUL, which the length leaves out */
    if (n > 0 && buf_room(b, (size_t)n + 1)) {
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
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
