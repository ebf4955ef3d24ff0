/* Data calls on open fds: read, write (plain and positioned), seek, tell,
 * sync, advise and allocate. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wasi.h"

/* fd_read, fd_write, fd_pread, fd_pwrite share one shape: fd, iovs, iovs
 * length, [offset,] result pointer (the rights are in the table). */
static uint16_t transfer(struct wasi_call *c, const tri_val *a, bool write, bool positioned)
{
    uint32_t out = wasi_u32(a, positioned ? 4 : 3);
    uint64_t off = positioned ? wasi_u64(a, 3) : 0;
    if (!wasi_mem(c, out, 4))
        return WASI_EFAULT;
    if (off > INT64_MAX)
        return WASI_EINVAL;
    struct wasi_iovs v;
    uint16_t r = wasi_iovs_get(c, wasi_u32(a, 1), wasi_u32(a, 2), &v);
    if (r != WASI_ESUCCESS)
        return r;
    int fd = c->fd->host;
    ssize_t n;
    do {
        if (positioned)
            n = write ? pwritev(fd, v.v, v.n, (off_t)off) : preadv(fd, v.v, v.n, (off_t)off);
        else
            n = write ? writev(fd, v.v, v.n) : readv(fd, v.v, v.n);
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
static uint16_t seek(struct wasi_call *c, int64_t off, int whence, uint32_t out)
{
    if (!wasi_mem(c, out, 8))
        return WASI_EFAULT;
    off_t pos = lseek(c->fd->host, (off_t)off, whence);
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
    if (!(c->fd->base & (need | WASI_R(FD_SEEK))))
        return WASI_ENOTCAPABLE;
    if (whence >= ARRAY_LEN(whences))
        return WASI_EINVAL;
    return seek(c, off, whences[whence], wasi_u32(a, 3));
}

uint16_t wasi_fd_tell(struct wasi_call *c, const tri_val *a)
{
    return seek(c, 0, SEEK_CUR, wasi_u32(a, 1));
}

uint16_t wasi_fd_sync(struct wasi_call *c, const tri_val *a)
{
    (void)a;
    return fsync(c->fd->host) == 0 ? WASI_ESUCCESS : wasi_errno_of(errno);
}

uint16_t wasi_fd_datasync(struct wasi_call *c, const tri_val *a)
{
    (void)a;
    return fdatasync(c->fd->host) == 0 ? WASI_ESUCCESS : wasi_errno_of(errno);
}

uint16_t wasi_fd_advise(struct wasi_call *c, const tri_val *a)
{
    static const int advice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                 POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
    uint64_t off = wasi_u64(a, 1), len = wasi_u64(a, 2);
    uint32_t adv = wasi_u32(a, 3);
    if (adv >= ARRAY_LEN(advice) || off > INT64_MAX || len > INT64_MAX)
        return WASI_EINVAL;
    return wasi_errno_of(posix_fadvise(c->fd->host, (off_t)off, (off_t)len, advice[adv]));
}

uint16_t wasi_fd_allocate(struct wasi_call *c, const tri_val *a)
{
    uint64_t off = wasi_u64(a, 1), len = wasi_u64(a, 2);
    if (off > INT64_MAX || len > INT64_MAX - off)
        return WASI_EFBIG;
    return wasi_errno_of(posix_fallocate(c->fd->host, (off_t)off, (off_t)len));
}
