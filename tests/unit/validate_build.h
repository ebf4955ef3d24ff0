/* A tiny module builder for the validate_* unit tests: sections are given
 * as byte lists and get their id and size prepended. */
#ifndef TRI_VALIDATE_BUILD_H
#define TRI_VALIDATE_BUILD_H

#include <string.h>

#include "base/base.h"
#include "decode/decode.h"
#include "validate/validate.h"

/* A byte list as (pointer, length) arguments: BYTES(0x20, 0x00). */
#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

enum { S_TYPE = 1, S_IMPORT = 2, S_FUNC = 3, S_TABLE = 4, S_MEM = 5, S_GLOBAL = 6,
       S_EXPORT = 7, S_START = 8, S_ELEM = 9, S_CODE = 10, S_DATA = 11, S_DATACOUNT = 12 };

static inline void mb_begin(struct buf *b)
{
    memset(b, 0, sizeof *b);
    buf_bytes(b, "\0asm\1\0\0\0", 8);
}

static inline void mb_section(struct buf *b, uint8_t id, const uint8_t *p, size_t n)
{
    buf_byte(b, id);
    buf_u32leb(b, (uint32_t)n);
    buf_bytes(b, p, n);
}

/* A code section of n bodies (each: local declarations, then instructions)
 * of the given lengths. */
static inline void mb_code(struct buf *b, int n, const uint8_t *const *bodies, const size_t *lens)
{
    struct buf s = {0};
    buf_u32leb(&s, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        buf_u32leb(&s, (uint32_t)lens[i]);
        buf_bytes(&s, bodies[i], lens[i]);
    }
    mb_section(b, S_CODE, s.data, s.len);
    buf_free(&s);
}

/* Decodes then validates; returns the verdict with *e set. The module is
 * freed; b is not. */
static inline bool mb_validate(const struct buf *b, struct err *e)
{
    struct module m;
    err_clear(e);
    if (!dec_module(&m, b->data, b->len, e))
        return false;
    bool ok = val_module(&m, e);
    dec_module_free(&m);
    return ok;
}

#endif
