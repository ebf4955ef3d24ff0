/* Test harness for the WASI unit tests: a store with one 64 KiB memory, a
 * WASI context bound to it, and CALL(h, "name", args...) which calls the
 * host function through tri_func_call the way compiled code would reach it
 * and returns its errno (or -1 when the call failed or unwound). */
#ifndef TRI_WASI_HARNESS_H
#define TRI_WASI_HARNESS_H

#include <string.h>
#include <trident.h>

#include "check.h"
#include "wasi/wasi.h"

struct harness {
    tri_engine *engine;
    tri_store *store;
    tri_memory *memory;
    struct wasi_ctx *ctx;
    uint8_t *m;        /* the memory's bytes */
    tri_func *funcs[64];
    tri_error *last;   /* the error of the last call that failed, or NULL */
};

static inline bool harness_init(struct harness *h, const struct wasi_config *cfg)
{
    memset(h, 0, sizeof *h);
    struct err e = {0};
    tri_error *r = tri_engine_new(NULL, &h->engine);
    if (r || !(h->store = tri_store_new(h->engine)))
        return false;
    tri_limits lim = {1, 1, true};
    if ((r = tri_memory_new(h->store, lim, &h->memory)))
        return false;
    if (!wasi_ctx_new(cfg, &h->ctx, &e)) {
        printf("wasi_ctx_new: %s\n", e.msg);
        return false;
    }
    wasi_ctx_set_memory(h->ctx, h->memory);
    h->m = tri_memory_data(h->memory);
    return true;
}

static inline void harness_done(struct harness *h)
{
    tri_error_delete(h->last);
    tri_store_delete(h->store);
    wasi_ctx_delete(h->ctx);
    tri_engine_delete(h->engine);
}

static tri_func *harness_func(struct harness *h, const char *name)
{
    for (size_t i = 0; i < wasi_func_count(); i++)
        if (!strcmp(wasi_func_name(i), name))
            return h->funcs[i] ? h->funcs[i] : (h->funcs[i] = wasi_func_new(h->ctx, h->store, name));
    return NULL;
}

/* Calls WASI function `name` with n arguments given as 64-bit values. */
static inline int harness_call(struct harness *h, const char *name, const int64_t *args, size_t n)
{
    tri_func *f = harness_func(h, name);
    if (!f)
        return -1;
    tri_functype t = tri_func_type(f);
    tri_val v[16], res = {0};
    for (size_t i = 0; i < n && i < 16; i++)
        v[i] = t.params[i] == TRI_I64 ? tri_val_i64(args[i]) : tri_val_i32((int32_t)args[i]);
    tri_error_delete(h->last);
    h->last = tri_func_call(h->store, f, v, n, &res, t.nresults);
    return h->last ? -1 : t.nresults ? res.of.i32 : 0;
}

#define CALL(h, name, ...)                                                                         \
    harness_call((h), (name), (const int64_t[]){__VA_ARGS__},                                      \
                 sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t))

/* Little helpers on guest memory. */
static inline uint32_t ld32(const struct harness *h, uint32_t at)
{
    uint32_t v;
    memcpy(&v, h->m + at, 4);
    return v;
}
static inline uint64_t ld64(const struct harness *h, uint32_t at)
{
    uint64_t v;
    memcpy(&v, h->m + at, 8);
    return v;
}
static inline void st32(struct harness *h, uint32_t at, uint32_t v) { memcpy(h->m + at, &v, 4); }
static inline void st64(struct harness *h, uint32_t at, uint64_t v) { memcpy(h->m + at, &v, 8); }
/* Copies a string (no NUL) to guest memory; returns its length. */
static inline uint32_t put_str(struct harness *h, uint32_t at, const char *s)
{
    size_t n = strlen(s);
    memcpy(h->m + at, s, n);
    return (uint32_t)n;
}
/* One iovec at `at` describing [buf, buf+len). */
static inline void put_iov(struct harness *h, uint32_t at, uint32_t buf, uint32_t len)
{
    st32(h, at, buf);
    st32(h, at + 4, len);
}

#endif
