/* Bounded byte reader: LEB128 integers with every malformation the spec
 * tests (too long, unused bits set, running past the end). */
#include <stdio.h>
#include <string.h>

#include "decode.h"

bool rd_fail(struct reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(r->err, ERR_MALFORMED, rd_offset(r), fmt, ap);
    va_end(ap);
    return false;
}

bool rd_u8(struct reader *r, uint8_t *out)
{
    if (r->p >= r->end)
        return rd_fail(r, "unexpected end");
    *out = *r->p++;
    return true;
}

bool rd_fixed(struct reader *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return rd_fail(r, "unexpected end");
    memcpy(out, r->p, n);
    r->p += n;
    return true;
}

/* Reads an unsigned or signed LEB128 of at most `bits` bits. The last byte
 * may only carry the bits that fit; for signed values the unused bits must
 * repeat the sign bit. */
static bool read_leb(struct reader *r, unsigned bits, bool is_signed, uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;
    unsigned maxbytes = (bits + 6) / 7;
    for (unsigned i = 0;; i++) {
        if (r->p >= r->end)
            return rd_fail(r, "unexpected end");
        uint8_t b = *r->p++;
        if (i == maxbytes - 1) {
            if (b & 0x80)
                return rd_fail(r, "integer representation too long");
            unsigned used = bits - shift; /* bits this byte may carry */
            uint8_t rest = (uint8_t)(0x7f & ~((1u << used) - 1));
            if (!is_signed) {
                if (b & rest)
                    return rd_fail(r, "integer too large");
            } else {
                bool neg = b & (1u << (used - 1));
                if ((b & rest) != (neg ? rest : 0))
                    return rd_fail(r, "integer too large");
            }
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (is_signed && shift < 64 && (b & 0x40))
                v |= ~(uint64_t)0 << shift;
            *out = v;
            return true;
        }
    }
}

bool rd_u32(struct reader *r, uint32_t *out)
{
    uint64_t v;
    if (!read_leb(r, 32, false, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

bool rd_s32(struct reader *r, int32_t *out)
{
    uint64_t v;
    if (!read_leb(r, 32, true, &v))
        return false;
    *out = (int32_t)(uint32_t)v;
    return true;
}

bool rd_s33(struct reader *r, int64_t *out)
{
    uint64_t v;
    if (!read_leb(r, 33, true, &v))
        return false;
    *out = (int64_t)v;
    return true;
}

bool rd_s64(struct reader *r, int64_t *out)
{
    uint64_t v;
    if (!read_leb(r, 64, true, &v))
        return false;
    *out = (int64_t)v;
    return true;
}
