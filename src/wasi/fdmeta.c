/* Attribute calls on open fds (filestat get, size, times) and directory
 * listing with cookies. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "wasi.h"

uint16_t wasi_fd_filestat_get(struct wasi_call *c, const tri_val *a)
{
    uint8_t *p = wasi_mem(c, wasi_u32(a, 1), WASI_FILESTAT_SIZE);
    if (!p)
        return WASI_EFAULT;
    struct stat st;
    if (fstat(c->fd->host, &st) != 0)
        return wasi_errno_of(errno);
    wasi_filestat_put(p, &st);
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_filestat_set_size(struct wasi_call *c, const tri_val *a)
{
    uint64_t size = wasi_u64(a, 1);
    if (size > INT64_MAX)
        return WASI_EFBIG;
    return ftruncate(c->fd->host, (off_t)size) == 0 ? WASI_ESUCCESS : wasi_errno_of(errno);
}

uint16_t wasi_fd_filestat_set_times(struct wasi_call *c, const tri_val *a)
{
    uint16_t r;
    struct timespec ts[2];
    if ((r = wasi_times_get(wasi_u64(a, 1), wasi_u64(a, 2), wasi_u32(a, 3), ts)))
        return r;
    return futimens(c->fd->host, ts) == 0 ? WASI_ESUCCESS : wasi_errno_of(errno);
}

/* ---- fd_readdir ----
 * A cookie is the host's d_off of the previous entry (0 = the start), so
 * each call seeks the directory there and lists from that point on. */

static uint8_t dirent_type(int dirfd, const struct dirent64 *d)
{
    switch (d->d_type) {
    case DT_REG: return WASI_FT_REG;
    case DT_DIR: return WASI_FT_DIR;
    case DT_LNK: return WASI_FT_SYMLINK;
    case DT_CHR: return WASI_FT_CHAR;
    case DT_BLK: return WASI_FT_BLOCK;
    case DT_SOCK: return WASI_FT_SOCK_STREAM;
    case DT_FIFO: return WASI_FT_UNKNOWN;
    default: {
        struct stat st;
        if (fstatat(dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return WASI_FT_UNKNOWN;
        return wasi_filetype_of_mode(st.st_mode);
    }
    }
}

/* Appends what fits of one WASI dirent and its name; returns the new fill. */
static uint32_t put_entry(uint8_t *out, uint32_t used, uint32_t len, int dirfd,
                          const struct dirent64 *d)
{
    uint8_t head[WASI_DIRENT_SIZE] = {0};
    uint32_t nlen = (uint32_t)strlen(d->d_name);
    wasi_st64(head + 0, (uint64_t)d->d_off);
    wasi_st64(head + 8, d->d_ino);
    wasi_st32(head + 16, nlen);
    head[20] = dirent_type(dirfd, d);
    uint32_t n = len - used < sizeof head ? len - used : (uint32_t)sizeof head;
    memcpy(out + used, head, n);
    used += n;
    n = len - used < nlen ? len - used : nlen;
    memcpy(out + used, d->d_name, n);
    return used + n;
}

uint16_t wasi_fd_readdir(struct wasi_call *c, const tri_val *a)
{
    int dir = c->fd->host;
    uint32_t len = wasi_u32(a, 2), usedp = wasi_u32(a, 4);
    uint64_t cookie = wasi_u64(a, 3);
    uint8_t *out = wasi_mem(c, wasi_u32(a, 1), len);
    if (!out || !wasi_mem(c, usedp, 4))
        return WASI_EFAULT;
    if (cookie > INT64_MAX)
        return WASI_EINVAL;
    if (lseek(dir, (off_t)cookie, SEEK_SET) < 0)
        return wasi_errno_of(errno);
    _Alignas(struct dirent64) char hbuf[4096];
    uint32_t used = 0;
    while (used < len) {
        ssize_t n = getdents64(dir, hbuf, sizeof hbuf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return wasi_errno_of(errno);
        if (n == 0)
            break;
        for (ssize_t at = 0; at < n && used < len;) {
            const struct dirent64 *d = (const struct dirent64 *)(hbuf + at);
            used = put_entry(out, used, len, dir, d);
            at += d->d_reclen;
        }
    }
    wasi_put_u32(c, usedp, used);
    return WASI_ESUCCESS;
}
