/* The fd table: slots with rights, and the calls that act on the table
 * itself (close, renumber, fdstat, prestat). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "wasi.h"

#define R_FILE                                                                                    \
    (WASI_R(FD_DATASYNC) | WASI_R(FD_READ) | WASI_R(FD_SEEK) | WASI_R(FD_FDSTAT_SET_FLAGS) |     \
     WASI_R(FD_SYNC) | WASI_R(FD_TELL) | WASI_R(FD_WRITE) | WASI_R(FD_ADVISE) |                   \
     WASI_R(FD_ALLOCATE) | WASI_R(FD_FILESTAT_GET) | WASI_R(FD_FILESTAT_SET_SIZE) |               \
     WASI_R(FD_FILESTAT_SET_TIMES) | WASI_R(POLL_FD_READWRITE))
#define R_DIR                                                                                     \
    (WASI_R(FD_DATASYNC) | WASI_R(FD_FDSTAT_SET_FLAGS) | WASI_R(FD_SYNC) |                        \
     WASI_R(PATH_CREATE_DIRECTORY) | WASI_R(PATH_CREATE_FILE) | WASI_R(PATH_LINK_SOURCE) |        \
     WASI_R(PATH_LINK_TARGET) | WASI_R(PATH_OPEN) | WASI_R(FD_READDIR) | WASI_R(PATH_READLINK) |  \
     WASI_R(PATH_RENAME_SOURCE) | WASI_R(PATH_RENAME_TARGET) | WASI_R(PATH_FILESTAT_GET) |         \
     WASI_R(PATH_FILESTAT_SET_SIZE) | WASI_R(PATH_FILESTAT_SET_TIMES) | WASI_R(FD_FILESTAT_GET) | \
     WASI_R(FD_FILESTAT_SET_TIMES) | WASI_R(PATH_SYMLINK) | WASI_R(PATH_REMOVE_DIRECTORY) |       \
     WASI_R(PATH_UNLINK_FILE))
/* Streams (ttys, pipes, sockets): no seeking, so wasi-libc's isatty works. */
#define R_STREAM                                                                                  \
    (WASI_R(FD_READ) | WASI_R(FD_WRITE) | WASI_R(FD_FDSTAT_SET_FLAGS) | WASI_R(FD_FILESTAT_GET) | \
     WASI_R(POLL_FD_READWRITE))

uint64_t wasi_rights_for(uint8_t type)
{
    switch (type) {
    case WASI_FT_REG:
    case WASI_FT_BLOCK: return R_FILE;
    case WASI_FT_DIR: return R_DIR;
    case WASI_FT_SOCK_STREAM:
    case WASI_FT_SOCK_DGRAM: return R_STREAM | WASI_R(SOCK_SHUTDOWN) | WASI_R(SOCK_ACCEPT);
    default: return R_STREAM;
    }
}

uint64_t wasi_rights_inheriting_for(uint8_t type)
{
    return type == WASI_FT_DIR ? R_DIR | R_FILE : 0;
}

uint16_t wasi_fd_get(struct wasi_ctx *ctx, uint32_t fd, uint64_t need, struct wasi_fd **out)
{
    if (fd >= ctx->fds.len || ctx->fds.data[fd].host < 0)
        return WASI_EBADF;
    struct wasi_fd *f = &ctx->fds.data[fd];
    if ((f->base & need) != need)
        return WASI_ENOTCAPABLE;
    *out = f;
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_add(struct wasi_ctx *ctx, int host, uint8_t type, uint64_t base,
                     uint64_t inheriting, uint32_t *fd)
{
    size_t i = 0;
    while (i < ctx->fds.len && ctx->fds.data[i].host >= 0)
        i++;
    if (i == ctx->fds.len && (i >= INT32_MAX || !vec_push(&ctx->fds))) {
        close(host);
        return i >= INT32_MAX ? WASI_EMFILE : WASI_ENOMEM;
    }
    ctx->fds.data[i] = (struct wasi_fd){host, type, base, inheriting, NULL};
    *fd = (uint32_t)i;
    return WASI_ESUCCESS;
}

void wasi_fd_release(struct wasi_fd *f)
{
    if (f->host >= 0)
        close(f->host);
    free(f->preopen);
    *f = (struct wasi_fd){.host = -1};
}

uint16_t wasi_fd_close(struct wasi_call *c, const tri_val *a)
{
    (void)a;
    wasi_fd_release(c->fd);
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_renumber(struct wasi_call *c, const tri_val *a)
{
    struct wasi_fd *from = c->fd, *to;
    uint16_t r = wasi_fd_get(c->ctx, wasi_u32(a, 1), 0, &to);
    if (r != WASI_ESUCCESS || from == to)
        return r;
    wasi_fd_release(to);
    *to = *from;
    *from = (struct wasi_fd){.host = -1};
    return WASI_ESUCCESS;
}

/* ---- fdstat ---- */

static uint16_t fdflags_of_host(int fl)
{
    uint16_t w = 0;
    if (fl & O_APPEND)
        w |= WASI_FD_APPEND;
    if (fl & O_NONBLOCK)
        w |= WASI_FD_NONBLOCK;
    if ((fl & O_SYNC) == O_SYNC)
        w |= WASI_FD_SYNC;
    else if (fl & O_DSYNC)
        w |= WASI_FD_DSYNC;
    return w;
}

uint16_t wasi_fd_fdstat_get(struct wasi_call *c, const tri_val *a)
{
    const struct wasi_fd *f = c->fd;
    uint8_t *p = wasi_mem(c, wasi_u32(a, 1), WASI_FDSTAT_SIZE);
    if (!p)
        return WASI_EFAULT;
    int fl = fcntl(f->host, F_GETFL);
    if (fl < 0)
        return wasi_errno_of(errno);
    memset(p, 0, WASI_FDSTAT_SIZE);
    p[0] = f->type;
    wasi_st16(p + 2, fdflags_of_host(fl));
    wasi_st64(p + 8, f->base);
    wasi_st64(p + 16, f->inheriting);
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_fdstat_set_flags(struct wasi_call *c, const tri_val *a)
{
    int host = c->fd->host;
    uint32_t want = wasi_u32(a, 1);
    int fl = fcntl(host, F_GETFL);
    if (want > 31)
        return WASI_EINVAL;
    if (fl < 0)
        return wasi_errno_of(errno);
    /* Linux cannot change the sync modes of an open file. */
    uint16_t sync = WASI_FD_DSYNC | WASI_FD_RSYNC | WASI_FD_SYNC;
    uint16_t have = fdflags_of_host(fl);
    if ((want & sync) && (want & sync) != (have & sync))
        return WASI_ENOTSUP;
    fl &= ~(O_APPEND | O_NONBLOCK);
    fl |= (want & WASI_FD_APPEND ? O_APPEND : 0) | (want & WASI_FD_NONBLOCK ? O_NONBLOCK : 0);
    return fcntl(host, F_SETFL, fl) == 0 ? WASI_ESUCCESS : wasi_errno_of(errno);
}

uint16_t wasi_fd_fdstat_set_rights(struct wasi_call *c, const tri_val *a)
{
    struct wasi_fd *f = c->fd;
    uint64_t base = wasi_u64(a, 1), inh = wasi_u64(a, 2);
    /* Rights only ever shrink. */
    if ((base & ~f->base) || (inh & ~f->inheriting))
        return WASI_ENOTCAPABLE;
    f->base = base;
    f->inheriting = inh;
    return WASI_ESUCCESS;
}

/* ---- preopens ---- */

/* Other open fds are EBADF too: wasi-libc scans fds 3.. until EBADF. */
uint16_t wasi_fd_prestat_get(struct wasi_call *c, const tri_val *a)
{
    const char *name = c->fd->preopen;
    if (!name)
        return WASI_EBADF;
    uint8_t *p = wasi_mem(c, wasi_u32(a, 1), 8);
    if (!p)
        return WASI_EFAULT;
    memset(p, 0, 8); /* tag 0: preopentype::dir */
    wasi_st32(p + 4, (uint32_t)strlen(name));
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_prestat_dir_name(struct wasi_call *c, const tri_val *a)
{
    const char *name = c->fd->preopen;
    if (!name)
        return WASI_EBADF;
    size_t n = strlen(name);
    uint32_t len = wasi_u32(a, 2);
    uint8_t *p = wasi_mem(c, wasi_u32(a, 1), len);
    if (!p)
        return WASI_EFAULT;
    if (len < n)
        return WASI_ENAMETOOLONG;
    memcpy(p, name, n);
    return WASI_ESUCCESS;
}
