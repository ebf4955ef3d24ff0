/* The path_* calls. Each resolves its path beneath the directory fd it is
 * given (resolve.c) and acts on the last component with a host *at() call
 * that does not follow symlinks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wasi.h"

/* The guest path at (ptr, len) resolved beneath directory fd f. */
static uint16_t at_path(struct wasi_call *c, const struct wasi_fd *f, uint32_t ptr, uint32_t len,
                        bool follow, struct wasi_resolved *out)
{
    char *path;
    *out = (struct wasi_resolved){.dir = -1};
    if (f->type != WASI_FT_DIR)
        return WASI_ENOTDIR;
    uint16_t r = wasi_path_get(c, ptr, len, &path);
    if (r != WASI_ESUCCESS)
        return r;
    r = wasi_resolve(c->ctx, f->host, path, follow, out);
    free(path);
    return r;
}

/* at_path for a directory fd given by number, needing rights `need`. */
static uint16_t at_fd_path(struct wasi_call *c, uint32_t fd, uint64_t need, uint32_t ptr,
                           uint32_t len, bool follow, struct wasi_resolved *out)
{
    struct wasi_fd *f;
    uint16_t r = wasi_fd_get(c->ctx, fd, need, &f);
    *out = (struct wasi_resolved){.dir = -1};
    return r != WASI_ESUCCESS ? r : at_path(c, f, ptr, len, follow, out);
}

/* Lookup flags: only symlink_follow exists. */
static bool lookup_flags_ok(uint32_t flags) { return !(flags & ~(uint32_t)WASI_LOOKUP_FOLLOW); }

/* A path written with a trailing '/' must name a directory (ENOTDIR).
 * Missing is left for the call to report. */
static uint16_t dir_if_slash(const struct wasi_resolved *p)
{
    struct stat st;
    if (p->trailing_slash && fstatat(p->dir, p->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISDIR(st.st_mode))
        return WASI_ENOTDIR;
    return WASI_ESUCCESS;
}

/* Creating a link or symlink at "name/" fails like POSIX: it exists or it
 * cannot be a directory. */
static uint16_t new_if_slash(const struct wasi_resolved *p)
{
    struct stat st;
    if (!p->trailing_slash)
        return WASI_ESUCCESS;
    return fstatat(p->dir, p->name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? WASI_EEXIST : WASI_ENOENT;
}

static uint16_t host_result(int rc) { return rc == 0 ? WASI_ESUCCESS : wasi_errno_of(errno); }

uint16_t wasi_path_create_directory(struct wasi_call *c, const tri_val *a)
{
    struct wasi_resolved p;
    uint16_t r = at_path(c, c->fd, wasi_u32(a, 1),
                         wasi_u32(a, 2), false, &p);
    if (r == WASI_ESUCCESS)
        r = host_result(mkdirat(p.dir, p.name, 0777));
    wasi_resolved_free(&p);
    return r;
}

uint16_t wasi_path_remove_directory(struct wasi_call *c, const tri_val *a)
{
    struct wasi_resolved p;
    uint16_t r = at_path(c, c->fd, wasi_u32(a, 1),
                         wasi_u32(a, 2), false, &p);
    if (r == WASI_ESUCCESS)
        r = host_result(unlinkat(p.dir, p.name, AT_REMOVEDIR));
    wasi_resolved_free(&p);
    return r;
}

uint16_t wasi_path_unlink_file(struct wasi_call *c, const tri_val *a)
{
    struct wasi_resolved p;
    struct stat st;
    uint16_t r = at_path(c, c->fd, wasi_u32(a, 1),
                         wasi_u32(a, 2), false, &p);
    if (r == WASI_ESUCCESS && p.trailing_slash) /* "x/" is never a file to unlink */
        r = fstatat(p.dir, p.name, &st, AT_SYMLINK_NOFOLLOW) != 0 ? wasi_errno_of(errno)
            : S_ISDIR(st.st_mode)                ? WASI_EISDIR
                                                 : WASI_ENOTDIR;
    if (r == WASI_ESUCCESS)
        r = host_result(unlinkat(p.dir, p.name, 0));
    wasi_resolved_free(&p);
    return r;
}

uint16_t wasi_path_filestat_get(struct wasi_call *c, const tri_val *a)
{
    uint32_t flags = wasi_u32(a, 1);
    uint8_t *out = wasi_mem(c, wasi_u32(a, 4), WASI_FILESTAT_SIZE);
    if (!out)
        return WASI_EFAULT;
    if (!lookup_flags_ok(flags))
        return WASI_EINVAL;
    struct wasi_resolved p;
    struct stat st;
    uint16_t r = at_path(c, c->fd, wasi_u32(a, 2),
                         wasi_u32(a, 3), flags & WASI_LOOKUP_FOLLOW, &p);
    if (r == WASI_ESUCCESS)
        r = host_result(fstatat(p.dir, p.name, &st, AT_SYMLINK_NOFOLLOW));
    if (r == WASI_ESUCCESS && p.trailing_slash && !S_ISDIR(st.st_mode))
        r = WASI_ENOTDIR;
    if (r == WASI_ESUCCESS)
        wasi_filestat_put(out, &st);
    wasi_resolved_free(&p);
    return r;
}

uint16_t wasi_path_filestat_set_times(struct wasi_call *c, const tri_val *a)
{
    uint32_t flags = wasi_u32(a, 1);
    struct timespec ts[2];
    uint16_t r = wasi_times_get(wasi_u64(a, 4), wasi_u64(a, 5), wasi_u32(a, 6), ts);
    if (r != WASI_ESUCCESS)
        return r;
    if (!lookup_flags_ok(flags))
        return WASI_EINVAL;
    struct wasi_resolved p;
    r = at_path(c, c->fd, wasi_u32(a, 2),
                wasi_u32(a, 3), flags & WASI_LOOKUP_FOLLOW, &p);
    if (r == WASI_ESUCCESS)
        r = dir_if_slash(&p);
    if (r == WASI_ESUCCESS)
        r = host_result(utimensat(p.dir, p.name, ts, AT_SYMLINK_NOFOLLOW));
    wasi_resolved_free(&p);
    return r;
}

uint16_t wasi_path_link(struct wasi_call *c, const tri_val *a)
{
    uint32_t flags = wasi_u32(a, 1);
    if (!lookup_flags_ok(flags))
        return WASI_EINVAL;
    struct wasi_resolved from, to = {.dir = -1};
    uint16_t r = at_path(c, c->fd, wasi_u32(a, 2),
                         wasi_u32(a, 3), flags & WASI_LOOKUP_FOLLOW, &from);
    if (r == WASI_ESUCCESS)
        r = at_fd_path(c, wasi_u32(a, 4), WASI_R(PATH_LINK_TARGET), wasi_u32(a, 5), wasi_u32(a, 6),
                    false, &to);
    if (r == WASI_ESUCCESS)
        r = dir_if_slash(&from);
    if (r == WASI_ESUCCESS)
        r = new_if_slash(&to);
    if (r == WASI_ESUCCESS)
        r = host_result(linkat(from.dir, from.name, to.dir, to.name, 0));
    wasi_resolved_free(&from);
    wasi_resolved_free(&to);
    return r;
}

uint16_t wasi_path_rename(struct wasi_call *c, const tri_val *a)
{
    struct wasi_resolved from, to = {.dir = -1};
    struct stat st;
    uint16_t r = at_path(c, c->fd, wasi_u32(a, 1),
                         wasi_u32(a, 2), false, &from);
    if (r == WASI_ESUCCESS)
        r = at_fd_path(c, wasi_u32(a, 3), WASI_R(PATH_RENAME_TARGET), wasi_u32(a, 4), wasi_u32(a, 5),
                    false, &to);
    /* A trailing '/' on either side says the source is a directory. */
    if (r == WASI_ESUCCESS && (from.trailing_slash || to.trailing_slash))
        r = fstatat(from.dir, from.name, &st, AT_SYMLINK_NOFOLLOW) != 0 ? wasi_errno_of(errno)
            : S_ISDIR(st.st_mode)                                      ? WASI_ESUCCESS
                                                                       : WASI_ENOTDIR;
    if (r == WASI_ESUCCESS)
        r = host_result(renameat(from.dir, from.name, to.dir, to.name));
    wasi_resolved_free(&from);
    wasi_resolved_free(&to);
    return r;
}

uint16_t wasi_path_symlink(struct wasi_call *c, const tri_val *a)
{
    char *target;
    uint16_t r = wasi_path_get(c, wasi_u32(a, 0), wasi_u32(a, 1), &target);
    if (r != WASI_ESUCCESS)
        return r;
    /* An absolute link could lead a host program that follows it outside
     * the sandbox; the guest itself could never follow it. */
    if (target[0] == '/' || !target[0]) {
        r = target[0] ? WASI_EPERM : WASI_ENOENT;
        free(target);
        return r;
    }
    struct wasi_resolved p;
    r = at_fd_path(c, wasi_u32(a, 2), WASI_R(PATH_SYMLINK), wasi_u32(a, 3), wasi_u32(a, 4), false, &p);
    if (r == WASI_ESUCCESS)
        r = new_if_slash(&p);
    if (r == WASI_ESUCCESS)
        r = host_result(symlinkat(target, p.dir, p.name));
    free(target);
    wasi_resolved_free(&p);
    return r;
}

uint16_t wasi_path_readlink(struct wasi_call *c, const tri_val *a)
{
    uint32_t len = wasi_u32(a, 4);
    uint8_t *buf = wasi_mem(c, wasi_u32(a, 3), len);
    if (!buf || !wasi_mem(c, wasi_u32(a, 5), 4))
        return WASI_EFAULT;
    struct wasi_resolved p;
    char tmp[PATH_MAX];
    uint16_t r = at_path(c, c->fd, wasi_u32(a, 1), wasi_u32(a, 2),
                         false, &p);
    ssize_t n = r == WASI_ESUCCESS ? readlinkat(p.dir, p.name, tmp, sizeof tmp) : 0;
    if (n < 0)
        r = wasi_errno_of(errno);
    wasi_resolved_free(&p);
    if (r != WASI_ESUCCESS)
        return r;
    /* Like readlink(2), a short buffer truncates. */
    uint32_t used = (uint64_t)n < len ? (uint32_t)n : len;
    memcpy(buf, tmp, used);
    wasi_put_u32(c, wasi_u32(a, 5), used);
    return WASI_ESUCCESS;
}

/* ---- path_open ---- */

static int host_open_flags(uint32_t oflags, uint32_t fdflags, uint64_t base)
{
    bool rd = base & (WASI_R(FD_READ) | WASI_R(FD_READDIR));
    bool wr = (base & (WASI_R(FD_WRITE) | WASI_R(FD_DATASYNC) | WASI_R(FD_ALLOCATE) |
                       WASI_R(FD_FILESTAT_SET_SIZE))) ||
              (fdflags & WASI_FD_APPEND);
    int fl = (rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY) | O_NOCTTY;
    fl |= (oflags & WASI_O_CREAT ? O_CREAT : 0) | (oflags & WASI_O_DIRECTORY ? O_DIRECTORY : 0) |
          (oflags & WASI_O_EXCL ? O_EXCL : 0) | (oflags & WASI_O_TRUNC ? O_TRUNC : 0);
    fl |= (fdflags & WASI_FD_APPEND ? O_APPEND : 0) | (fdflags & WASI_FD_DSYNC ? O_DSYNC : 0) |
          (fdflags & WASI_FD_NONBLOCK ? O_NONBLOCK : 0) | (fdflags & WASI_FD_RSYNC ? O_RSYNC : 0) |
          (fdflags & WASI_FD_SYNC ? O_SYNC : 0);
    return fl;
}

uint16_t wasi_path_open(struct wasi_call *c, const tri_val *a)
{
    uint32_t lookup = wasi_u32(a, 1), oflags = wasi_u32(a, 4), fdflags = wasi_u32(a, 7);
    uint64_t base = wasi_u64(a, 5), inh = wasi_u64(a, 6);
    uint32_t out = wasi_u32(a, 8);
    uint64_t need = (oflags & WASI_O_CREAT ? WASI_R(PATH_CREATE_FILE) : 0) |
                    (oflags & WASI_O_TRUNC ? WASI_R(PATH_FILESTAT_SET_SIZE) : 0);
    const struct wasi_fd *dir = c->fd; /* invalid once wasi_fd_add grows the table */
    char *path;
    uint16_t r;
    if ((dir->base & need) != need)
        return WASI_ENOTCAPABLE;
    if (dir->type != WASI_FT_DIR)
        return WASI_ENOTDIR;
    if (!lookup_flags_ok(lookup) || oflags > 15 || fdflags > 31)
        return WASI_EINVAL;
    if (!wasi_mem(c, out, 4))
        return WASI_EFAULT;
    if ((r = wasi_path_get(c, wasi_u32(a, 2), wasi_u32(a, 3), &path)) != WASI_ESUCCESS)
        return r;
    /* A new fd gets no right its directory may not hand on. */
    base &= dir->inheriting;
    inh &= dir->inheriting;
    int host = wasi_open_beneath(c->ctx, dir->host, path, host_open_flags(oflags, fdflags, base),
                                 0666, lookup & WASI_LOOKUP_FOLLOW);
    free(path);
    if (host < 0)
        return (uint16_t)-host;
    uint8_t type = wasi_filetype_of_fd(host);
    uint32_t fd;
    r = wasi_fd_add(c->ctx, host, type, base & wasi_rights_for(type),
                    inh & wasi_rights_inheriting_for(type), &fd);
    if (r == WASI_ESUCCESS)
        wasi_put_u32(c, out, fd);
    return r;
}
