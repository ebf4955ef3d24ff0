/* poll_oneoff: waits until at least one subscription (a clock reaching
 * its time, an fd ready to read or write) has an event, then reports every
 * one that has. Subscriptions that fail (bad fd, missing right, unknown
 * clock) are events at once, with their error. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "wasi.h"

enum { EV_CLOCK, EV_FD_READ, EV_FD_WRITE };
enum { SUBCLOCK_ABSTIME = 1, EVENT_HANGUP = 1 };

struct sub {
    uint64_t userdata;
    uint8_t type;
    bool ready;
    uint16_t error;
    int poll;       /* index into the pollfd array, or -1 */
    uint64_t wait;  /* clocks: ns after the start at which it fires */
    uint64_t nbytes;
    uint16_t flags;
};

static uint64_t now_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(struct sub *s, uint16_t error)
{
    s->error = error;
    s->ready = true;
}

static void parse_clock(struct sub *s, const uint8_t *p)
{
    uint32_t id = wasi_ld32(p + 16);
    uint64_t timeout = wasi_ld64(p + 24);
    uint16_t flags;
    __builtin_memcpy(&flags, p + 40, 2);
    if (id > 3 || (flags & ~SUBCLOCK_ABSTIME))
        return fail(s, WASI_EINVAL);
    if (id > 1) /* CPU-time clocks do not advance while we sleep */
        return fail(s, WASI_ENOTSUP);
    if (flags & SUBCLOCK_ABSTIME) {
        uint64_t now = now_ns(id ? CLOCK_MONOTONIC : CLOCK_REALTIME);
        s->wait = timeout > now ? timeout - now : 0;
    } else {
        s->wait = timeout;
    }
}

/* Bytes a regular file still has after its offset. */
static uint64_t file_left(int fd)
{
    struct stat st;
    off_t pos = lseek(fd, 0, SEEK_CUR);
    if (fstat(fd, &st) != 0 || pos < 0 || st.st_size < pos)
        return 0;
    return (uint64_t)(st.st_size - pos);
}

static void parse_fd(struct wasi_call *c, struct sub *s, const uint8_t *p, struct pollfd *pfds,
                     nfds_t *np)
{
    struct wasi_fd *f;
    bool rd = s->type == EV_FD_READ;
    uint64_t need = WASI_R(POLL_FD_READWRITE) | (rd ? WASI_R(FD_READ) : WASI_R(FD_WRITE));
    uint16_t r = wasi_fd_get(c->ctx, wasi_ld32(p + 16), need, &f);
    if (r != WASI_ESUCCESS)
        return fail(s, r);
    if (f->type == WASI_FT_REG) { /* always ready, as the witx says */
        s->nbytes = rd ? file_left(f->host) : 0;
        s->ready = true;
        return;
    }
    pfds[*np] = (struct pollfd){.fd = f->host, .events = rd ? POLLIN : POLLOUT};
    s->poll = (int)(*np)++;
}

/* Folds what poll reported into the subscriptions. */
static void collect(struct sub *subs, uint32_t n, const struct pollfd *pfds, uint64_t elapsed)
{
    for (uint32_t i = 0; i < n; i++) {
        struct sub *s = &subs[i];
        if (s->ready)
            continue;
        if (s->type == EV_CLOCK) {
            s->ready = s->wait <= elapsed;
            continue;
        }
        short ev = pfds[s->poll].revents;
        if (!ev)
            continue;
        s->ready = true;
        if (ev & POLLNVAL)
            s->error = WASI_EBADF;
        else if (ev & POLLERR)
            s->error = WASI_EIO;
        s->flags = ev & POLLHUP ? EVENT_HANGUP : 0;
        int avail = 0;
        if (s->type == EV_FD_READ && ioctl(pfds[s->poll].fd, FIONREAD, &avail) == 0 && avail > 0)
            s->nbytes = (uint64_t)avail;
    }
}

/* The earliest pending clock, or -1 when none. */
static int earliest(const struct sub *subs, uint32_t n)
{
    int best = -1;
    for (uint32_t i = 0; i < n; i++)
        if (subs[i].type == EV_CLOCK && !subs[i].ready && (best < 0 || subs[i].wait < subs[best].wait))
            best = (int)i;
    return best;
}

static uint32_t count_ready(const struct sub *subs, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        k += subs[i].ready;
    return k;
}

/* Polls until a subscription is ready. */
static uint16_t wait_any(struct sub *subs, uint32_t n, struct pollfd *pfds, nfds_t np)
{
    uint64_t start = now_ns(CLOCK_MONOTONIC);
    while (!count_ready(subs, n)) {
        uint64_t elapsed = now_ns(CLOCK_MONOTONIC) - start;
        int clk = earliest(subs, n);
        struct timespec ts, *tp = NULL;
        if (clk >= 0) {
            uint64_t left = subs[clk].wait > elapsed ? subs[clk].wait - elapsed : 0;
            ts = (struct timespec){(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
            tp = &ts;
        }
        for (nfds_t i = 0; i < np; i++)
            pfds[i].revents = 0;
        int rc = ppoll(pfds, np, tp, NULL);
        if (rc < 0 && errno != EINTR)
            return wasi_errno_of(errno);
        collect(subs, n, pfds, now_ns(CLOCK_MONOTONIC) - start);
        if (rc == 0 && clk >= 0) /* the timeout passed, whatever the clocks say */
            subs[clk].ready = true;
    }
    /* Immediate events: still report the fds that are ready now. */
    if (np && poll(pfds, np, 0) > 0)
        collect(subs, n, pfds, now_ns(CLOCK_MONOTONIC) - start);
    return WASI_ESUCCESS;
}

static void put_event(uint8_t *e, const struct sub *s)
{
    memset(e, 0, WASI_EVENT_SIZE);
    wasi_st64(e, s->userdata);
    wasi_st16(e + 8, s->error);
    e[10] = s->type;
    if (s->type != EV_CLOCK) {
        wasi_st64(e + 16, s->nbytes);
        wasi_st16(e + 24, s->flags);
    }
}

uint16_t wasi_poll_oneoff(struct wasi_call *c, const tri_val *a)
{
    uint32_t n = wasi_u32(a, 2), nout = wasi_u32(a, 3);
    const uint8_t *in = wasi_mem(c, wasi_u32(a, 0), (uint64_t)n * WASI_SUBSCRIPTION_SIZE);
    uint8_t *out = wasi_mem(c, wasi_u32(a, 1), (uint64_t)n * WASI_EVENT_SIZE);
    if (!in || !out || !wasi_mem(c, nout, 4))
        return WASI_EFAULT;
    if (n == 0)
        return WASI_EINVAL;
    struct sub *subs = calloc(n, sizeof *subs);
    struct pollfd *pfds = calloc(n, sizeof *pfds);
    uint16_t r = subs && pfds ? WASI_ESUCCESS : WASI_ENOMEM;
    nfds_t np = 0;
    for (uint32_t i = 0; r == WASI_ESUCCESS && i < n; i++) {
        const uint8_t *p = in + (size_t)i * WASI_SUBSCRIPTION_SIZE;
        struct sub *s = &subs[i];
        *s = (struct sub){.userdata = wasi_ld64(p), .type = p[8], .poll = -1};
        if (s->type == EV_CLOCK)
            parse_clock(s, p);
        else if (s->type == EV_FD_READ || s->type == EV_FD_WRITE)
            parse_fd(c, s, p, pfds, &np);
        else
            fail(s, WASI_EINVAL);
    }
    if (r == WASI_ESUCCESS)
        r = wait_any(subs, n, pfds, np);
    uint32_t k = 0;
    for (uint32_t i = 0; r == WASI_ESUCCESS && i < n; i++)
        if (subs[i].ready)
            put_event(out + (size_t)k++ * WASI_EVENT_SIZE, &subs[i]);
    if (r == WASI_ESUCCESS)
        wasi_put_u32(c, nout, k);
    free(subs);
    free(pfds);
    return r;
}
