/* Data calls on open fds: read, write (plain and positioned), seek, tell,
 * sync, advise and allocate. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wasi.h"

/* fd_read, fd_write, fd_pread, fd_pwrite share one shape: fd, iovs, iovs
 * length, [offset,] result pointer. */
static uint16_t transfer(struct wasi_call *c, const tri_val *a, bool write, bool positioned)
{
    struct wasi_fd *f;
    uint64_t need = (write ? WASI_R(FD_WRITE) : WASI_R(FD_READ)) | (positioned ? WASI_R(FD_SEEK) : 0);
    uint16_t r = wasi_fd_get(c->ctx, wasi_u32(a, 0), need, &f);
    if (r != WASI_ESUCCESS)
        return r;
    uint32_t out = wasi_u32(a, positioned ? 4 : 3);
    uint64_t off = positioned ? wasi_u64(a, 3) : 0;
    if (!wasi_mem(c, out, 4))
        return WASI_EFAULT;
    if (off > INT64_MAX)
        return WASI_EINVAL;
    struct wasi_iovs v;
    if ((r = wasi_iovs_get(c, wasi_u32(a, 1), wasi_u32(a, 2), &v)) != WASI_ESUCCESS)
        return r;
    ssize_t n;
    do {
        if (positioned)
            n = write ? pwritev(f->host, v.v, v.n, (off_t)off) : preadv(f->host, v.v, v.n, (off_t)off);
        else
            n = write ? writev(f->host, v.v, v.n) : readv(f->host, v.v, v.n);
    } while (n < 0 && errno == EINTR);
    int err = errno;
    wasi_iovs_free(&v);
    if (n < 0)
        return wasi_errno_of(err);
    wasi_put_u32(c, out, (uint32_t)n);
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_read(struct wasi_call *c, const tri_val *a) { return transfer(c, a, false, false); }
uint16_t wasi_fd_write(struct wasi_call *c, const tri_val *a) { return transfer(c, a, true, false); }
uint16_t wasi_fd_pread(struct wasi_call *c, const tri_val *a) { return transfer(c, a, false, true); }
uint16_t wasi_fd_pwrite(struct wasi_call *c, const tri_val *a) { return transfer(c, a, true, true); }

/* lseek and store the new offset as a u64 at out. */
static uint16_t seek(struct wasi_call *c, struct wasi_fd *f, int64_t off, int whence, uint32_t out)
{
    if (!wasi_mem(c, out, 8))
        return WASI_EFAULT;
    off_t pos = lseek(f->host, (off_t)off, whence);
    if (pos < 0)
        return wasi_errno_of(errno);
    wasi_put_u64(c, out, (uint64_t)pos);
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_seek(struct wasi_call *c, const tri_val *a)
{
    static const int whences[] = {SEEK_SET, SEEK_CUR, SEEK_END};
    int64_t off = a[1].of.i64;
    uint32_t whence = wasi_u32(a, 2);
    /* fd_tell suffices to read the offset without moving it. */
    uint64_t need = whence == 1 && off == 0 ? WASI_R(FD_TELL) : WASI_R(FD_SEEK);
    struct wasi_fd *f;
    uint16_t r = wasi_fd_get(c->ctx, wasi_u32(a, 0), 0, &f);
    if (r != WASI_ESUCCESS)
        return r;
    if (!(f->base & (need | WASI_R(FD_SEEK))))
        return WASI_ENOTCAPABLE;
    if (whence >= ARRAY_LEN(whences))
        return WASI_EINVAL;
    return seek(c, f, off, whences[whence], wasi_u32(a, 3));
}

uint16_t wasi_fd_tell(struct wasi_call *c, const tri_val *a)
{
    struct wasi_fd *f;
    uint16_t r = wasi_fd_get(c->ctx, wasi_u32(a, 0), WASI_R(FD_TELL), &f);
    return r != WASI_ESUCCESS ? r : seek(c, f, 0, SEEK_CUR, wasi_u32(a, 1));
}

/* fd_sync and fd_datasync. */
static uint16_t sync_fd(struct wasi_call *c, const tri_val *a, uint64_t right, int (*fn)(int))
{
    struct wasi_fd *f;
    uint16_t r = wasi_fd_get(c->ctx, wasi_u32(a, 0), right, &f);
    if (r != WASI_ESUCCESS)
        return r;
    return fn(f->host) == 0 ? WASI_ESUCCESS : wasi_errno_of(errno);
}

uint16_t wasi_fd_sync(struct wasi_call *c, const tri_val *a)
{
    return sync_fd(c, a, WASI_R(FD_SYNC), fsync);
}

uint16_t wasi_fd_datasync(struct wasi_call *c, const tri_val *a)
{
    return sync_fd(c, a, WASI_R(FD_DATASYNC), fdatasync);
}

uint16_t wasi_fd_advise(struct wasi_call *c, const tri_val *a)
{
    static const int advice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                 POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
    struct wasi_fd *f;
    uint16_t r = wasi_fd_get(c->ctx, wasi_u32(a, 0), WASI_R(FD_ADVISE), &f);
    if (r != WASI_ESUCCESS)
        return r;
    uint64_t off = wasi_u64(a, 1), len = wasi_u64(a, 2);
    uint32_t adv = wasi_u32(a, 3);
    if (adv >= ARRAY_LEN(advice) || off > INT64_MAX || len > INT64_MAX)
        return WASI_EINVAL;
    return wasi_errno_of(posix_fadvise(f->host, (off_t)off, (off_t)len, advice[adv]));
}

uint16_t wasi_fd_allocate(struct wasi_call *c, const tri_val *a)
{
    struct wasi_fd *f;
    uint16_t r = wasi_fd_get(c->ctx, wasi_u32(a, 0), WASI_R(FD_ALLOCATE), &f);
    if (r != WASI_ESUCCESS)
        return r;
    uint64_t off = wasi_u64(a, 1), len = wasi_u64(a, 2);
    if (off > INT64_MAX || len > INT64_MAX - off)
        return WASI_EFBIG;
    return wasi_errno_of(posix_fallocate(f->host, (off_t)off, (off_t)len));
}
