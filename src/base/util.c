/* Error records, hashing, UTF-8 checks and file reading. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

bool err_vset(struct err *e, enum err_code code, size_t offset,
              const char *fmt, va_list ap)
{
    if (e->code != ERR_NONE)
        return false;
    e->code = code;
    e->offset = offset;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return false;
}

bool err_set(struct err *e, enum err_code code, size_t offset,
             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, code, offset, fmt, ap);
    va_end(ap);
    return false;
}

void err_clear(struct err *e)
{
    e->code = ERR_NONE;
    e->offset = NO_OFFSET;
    e->func = NO_FUNC;
    e->msg[0] = 0;
}

const char *err_code_name(enum err_code code)
{
    static const char *const names[] = {
        [ERR_NONE] = "ok",           [ERR_MALFORMED] = "malformed",
        [ERR_INVALID] = "invalid",   [ERR_UNLINKABLE] = "unlinkable",
        [ERR_TRAP] = "trap",         [ERR_LIMIT] = "limit exceeded",
        [ERR_NOMEM] = "out of memory", [ERR_IO] = "i/o error",
        [ERR_ARG] = "bad argument",  [ERR_UNSUPPORTED] = "unsupported",
    };
    return (unsigned)code < ARRAY_LEN(names) ? names[code] : "error";
}

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *s = p;
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

bool utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        i += len;
    }
    return true;
}

bool file_read(const char *path, uint8_t **data, size_t *len, struct err *e)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(e, ERR_IO, NO_OFFSET, "cannot open '%s': %s", path,
                       strerror(errno));
    struct buf b = {0};
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_bytes(&b, chunk, n);
    bool bad = ferror(f);
    int saved = errno;
    fclose(f);
    if (bad) {
        buf_free(&b);
        return err_set(e, ERR_IO, NO_OFFSET, "cannot read '%s': %s", path,
                       strerror(saved));
    }
    if (b.oom) {
        buf_free(&b);
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory reading '%s'", path);
    }
    if (!b.data) /* empty file: still hand out a valid pointer */
        b.data = malloc(1);
    if (!b.data)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    *data = b.data;
    *len = b.len;
    return true;
}
