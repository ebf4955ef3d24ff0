/* The program's surroundings: arguments, environment, clocks, randomness,
 * exit, signals and yielding. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>

#include "wasi.h"

/* ---- args and environ: a list of strings each ---- */

static uint64_t list_bytes(char *const *list, size_t n)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += strlen(list[i]) + 1;
    return bytes;
}

/* *_sizes_get: the count and the bytes the strings take, NULs included. */
static uint16_t list_sizes(struct wasi_call *c, const tri_val *a, char *const *list, size_t n)
{
    uint32_t count = wasi_u32(a, 0), size = wasi_u32(a, 1);
    if (!wasi_mem(c, count, 4) || !wasi_mem(c, size, 4))
        return WASI_EFAULT;
    wasi_put_u32(c, count, (uint32_t)n);
    wasi_put_u32(c, size, (uint32_t)list_bytes(list, n));
    return WASI_ESUCCESS;
}

/* *_get: a pointer per string into a buffer of NUL-terminated strings. */
static uint16_t list_get(struct wasi_call *c, const tri_val *a, char *const *list, size_t n)
{
    uint32_t vec = wasi_u32(a, 0), buf = wasi_u32(a, 1);
    uint8_t *v = wasi_mem(c, vec, (uint64_t)n * 4), *b = wasi_mem(c, buf, list_bytes(list, n));
    if (!v || !b)
        return WASI_EFAULT;
    uint32_t off = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t len = (uint32_t)strlen(list[i]) + 1;
        wasi_st32(v + 4 * i, buf + off);
        memcpy(b + off, list[i], len);
        off += len;
    }
    return WASI_ESUCCESS;
}

uint16_t wasi_args_sizes_get(struct wasi_call *c, const tri_val *a)
{
    return list_sizes(c, a, c->ctx->argv, c->ctx->argc);
}

uint16_t wasi_args_get(struct wasi_call *c, const tri_val *a)
{
    return list_get(c, a, c->ctx->argv, c->ctx->argc);
}

uint16_t wasi_environ_sizes_get(struct wasi_call *c, const tri_val *a)
{
    return list_sizes(c, a, c->ctx->env, c->ctx->nenv);
}

uint16_t wasi_environ_get(struct wasi_call *c, const tri_val *a)
{
    return list_get(c, a, c->ctx->env, c->ctx->nenv);
}

/* ---- clocks ---- */

/* realtime, monotonic, process and thread CPU time, in the witx order. */
static const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                   CLOCK_THREAD_CPUTIME_ID};

static uint16_t clock_query(struct wasi_call *c, uint32_t id, uint32_t out,
                            int (*fn)(clockid_t, struct timespec *))
{
    struct timespec ts;
    if (!wasi_mem(c, out, 8))
        return WASI_EFAULT;
    if (id >= ARRAY_LEN(clocks))
        return WASI_EINVAL;
    if (fn(clocks[id], &ts) != 0)
        return wasi_errno_of(errno);
    wasi_put_u64(c, out, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
    return WASI_ESUCCESS;
}

uint16_t wasi_clock_res_get(struct wasi_call *c, const tri_val *a)
{
    return clock_query(c, wasi_u32(a, 0), wasi_u32(a, 1), clock_getres);
}

uint16_t wasi_clock_time_get(struct wasi_call *c, const tri_val *a)
{
    /* The precision argument is a hint; every clock is read exactly. */
    return clock_query(c, wasi_u32(a, 0), wasi_u32(a, 2), clock_gettime);
}

/* ---- randomness, exit, signals, yield ---- */

uint16_t wasi_random_get(struct wasi_call *c, const tri_val *a)
{
    uint32_t len = wasi_u32(a, 1);
    uint8_t *p = wasi_mem(c, wasi_u32(a, 0), len);
    if (!p)
        return WASI_EFAULT;
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno != EINTR)
            return wasi_errno_of(errno);
        if (n > 0) {
            p += n;
            len -= (uint32_t)n;
        }
    }
    return WASI_ESUCCESS;
}

uint16_t wasi_proc_exit(struct wasi_call *c, const tri_val *a)
{
    /* Unwinds the guest; the host reads the status with
     * tri_error_exit_status. NULL (out of memory) lets the guest go on to
     * its own trap after proc_exit. */
    c->trap = tri_exit_new(a[0].of.i32);
    return WASI_ESUCCESS;
}

uint16_t wasi_proc_raise(struct wasi_call *c, const tri_val *a)
{
    (void)c;
    /* Signals 0..30 exist in the witx; none is delivered to a guest. */
    return wasi_u32(a, 0) > 30 ? WASI_EINVAL : WASI_ENOSYS;
}

uint16_t wasi_sched_yield(struct wasi_call *c, const tri_val *a)
{
    (void)c, (void)a;
    sched_yield();
    return WASI_ESUCCESS;
}
