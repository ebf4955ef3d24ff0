/* Guest memory access: every pointer and length the guest passes is
 * checked against the memory's current size before the host touches it. */
#include <limits.h>
#include <string.h>

#include "wasi.h"

void *wasi_mem(struct wasi_call *c, uint32_t ptr, uint64_t len)
{
    /* ptr < 2^32 and len < 2^64 - 2^32 in practice: the sum cannot wrap
     * for lengths a guest can express (u32 * small element sizes). */
    if (!c->mem || len > c->memlen || ptr > c->memlen - len)
        return NULL;
    return c->mem + ptr;
}

bool wasi_put_u32(struct wasi_call *c, uint32_t ptr, uint32_t v)
{
    uint8_t *p = wasi_mem(c, ptr, 4);
    if (p)
        wasi_st32(p, v);
    return p != NULL;
}

bool wasi_put_u64(struct wasi_call *c, uint32_t ptr, uint64_t v)
{
    uint8_t *p = wasi_mem(c, ptr, 8);
    if (p)
        wasi_st64(p, v);
    return p != NULL;
}

uint16_t wasi_iovs_get(struct wasi_call *c, uint32_t ptr, uint32_t n, struct wasi_iovs *out)
{
    out->v = out->small;
    out->n = 0;
    const uint8_t *g = wasi_mem(c, ptr, (uint64_t)n * 8);
    if (!g)
        return WASI_EFAULT;
    if (n > IOV_MAX)
        n = IOV_MAX;
    if (n > ARRAY_LEN(out->small) && !(out->v = malloc(n * sizeof *out->v))) {
        out->v = out->small;
        return WASI_ENOMEM;
    }
    uint64_t room = UINT32_MAX; /* bytes the u32 result can still count */
    for (uint32_t i = 0; i < n && room; i++) {
        uint32_t buf = wasi_ld32(g + 8 * i), len = wasi_ld32(g + 8 * i + 4);
        void *p = wasi_mem(c, buf, len);
        if (!p) {
            wasi_iovs_free(out);
            return WASI_EFAULT;
        }
        if (len > room)
            len = (uint32_t)room;
        room -= len;
        out->v[out->n++] = (struct iovec){p, len};
    }
    return WASI_ESUCCESS;
}

void wasi_iovs_free(struct wasi_iovs *v)
{
    if (v->v != v->small)
        free(v->v);
    v->v = v->small;
    v->n = 0;
}

uint16_t wasi_path_get(struct wasi_call *c, uint32_t ptr, uint32_t len, char **out)
{
    *out = NULL;
    const uint8_t *p = wasi_mem(c, ptr, len);
    if (!p)
        return WASI_EFAULT;
    if (len >= PATH_MAX)
        return WASI_ENAMETOOLONG;
    if (memchr(p, 0, len))
        return WASI_EINVAL;
    if (!utf8_valid(p, len))
        return WASI_EILSEQ;
    char *s = malloc(len + 1u);
    if (!s)
        return WASI_ENOMEM;
    memcpy(s, p, len);
    s[len] = 0;
    *out = s;
    return WASI_ESUCCESS;
}
