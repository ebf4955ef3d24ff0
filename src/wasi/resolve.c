/* The sandbox: resolving guest paths beneath a directory fd.
 *
 * Two ways to reach the directory that holds a path's last component:
 *  - openat2(RESOLVE_BENEATH), where the kernel refuses any step (`..`,
 *    an absolute symlink, a symlink leading up) that leaves the start;
 *  - a walk one component at a time that keeps an fd per level: `..` pops
 *    a level (never opens ".."), a symlink is read and its text spliced in
 *    front of the rest, and each directory is opened with O_NOFOLLOW so a
 *    component swapped for a symlink meanwhile fails instead of escaping.
 * The last component is then acted on with *at() calls that do not follow
 * it; when the call must follow it, it is expanded here first, again beneath
 * the start. A path never leaves the start even while the guest (or anyone)
 * renames things concurrently: the worst outcome is an error. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi.h"

enum { MAX_SYMLINKS = 40 };

bool wasi_have_openat2(void)
{
    static _Atomic int known; /* 0 not probed, 1 yes, 2 no */
    if (!known) {
        /* With RESOLVE_BENEATH an absolute path fails EXDEV; a kernel (or a
         * seccomp filter) without openat2 says ENOSYS or EPERM instead. */
        struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
        long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
        if (fd >= 0)
            close((int)fd);
        known = fd < 0 && errno == EXDEV ? 1 : 2;
    }
    return known == 1;
}

static int openat2_beneath(int dirfd, const char *path, int flags, unsigned mode)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? mode : 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    long fd;
    int tries = 0;
    do /* EAGAIN: a rename raced with a `..`; the kernel asks to retry */
        fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++tries < 64);
    if (fd < 0)
        return -(errno == EXDEV ? WASI_ENOTCAPABLE : wasi_errno_of(errno));
    return (int)fd;
}

/* ---- the portable walk ---- */

struct walk {
    VEC(int) fds;    /* one owned O_PATH fd per level below the start */
    int root;        /* borrowed */
    char *rest;      /* the path being walked (owned); symlinks replace it */
    const char *pos; /* next unread character of rest */
    int links;       /* symlinks expanded so far */
};

static int walk_cur(const struct walk *w)
{
    return w->fds.len ? w->fds.data[w->fds.len - 1] : w->root;
}

/* rest = target + "/" + what was still unread. */
static uint16_t walk_splice(struct walk *w, const char *target)
{
    if (target[0] == '/')
        return WASI_ENOTCAPABLE;
    size_t tl = strlen(target), al = strlen(w->pos);
    char *s = malloc(tl + al + 2);
    if (!s)
        return WASI_ENOMEM;
    memcpy(s, target, tl);
    s[tl] = '/';
    memcpy(s + tl + 1, w->pos, al + 1);
    free(w->rest);
    w->rest = s;
    w->pos = s;
    return WASI_ESUCCESS;
}

/* Reads the symlink `name` in directory fd `dir` (NUL-terminated, owned). */
static uint16_t read_link(int dir, const char *name, char **out)
{
    char *t = malloc(PATH_MAX);
    if (!t)
        return WASI_ENOMEM;
    ssize_t n = readlinkat(dir, name, t, PATH_MAX - 1);
    if (n < 0) {
        uint16_t r = wasi_errno_of(errno);
        free(t);
        return r;
    }
    t[n] = 0;
    *out = t;
    return WASI_ESUCCESS;
}

/* Takes one step down (or up) by the component `name`. */
static uint16_t walk_step(struct walk *w, const char *name)
{
    if (!strcmp(name, "."))
        return WASI_ESUCCESS;
    if (!strcmp(name, "..")) {
        if (!w->fds.len)
            return WASI_ENOTCAPABLE;
        close(w->fds.data[--w->fds.len]);
        return WASI_ESUCCESS;
    }
    struct stat st;
    if (fstatat(walk_cur(w), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return wasi_errno_of(errno);
    if (S_ISLNK(st.st_mode)) {
        char *target;
        if (++w->links > MAX_SYMLINKS)
            return WASI_ELOOP;
        uint16_t r = read_link(walk_cur(w), name, &target);
        if (r == WASI_ESUCCESS) {
            r = walk_splice(w, target);
            free(target);
        }
        return r;
    }
    if (!S_ISDIR(st.st_mode))
        return WASI_ENOTDIR;
    int fd = openat(walk_cur(w), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return wasi_errno_of(errno);
    int *slot = vec_push(&w->fds);
    if (!slot) {
        close(fd);
        return WASI_ENOMEM;
    }
    *slot = fd;
    return WASI_ESUCCESS;
}

/* Opens directory `path` beneath root by walking; returns an owned fd or a
 * negated errno. */
static int walk_dir(int root, const char *path)
{
    struct walk w = {.root = root, .rest = strdup(path)};
    uint16_t r = w.rest ? WASI_ESUCCESS : WASI_ENOMEM;
    w.pos = w.rest;
    char name[NAME_MAX + 1];
    while (r == WASI_ESUCCESS) {
        while (*w.pos == '/')
            w.pos++;
        if (!*w.pos)
            break;
        size_t n = strcspn(w.pos, "/");
        if (n > NAME_MAX) {
            r = WASI_ENAMETOOLONG;
            break;
        }
        memcpy(name, w.pos, n);
        name[n] = 0;
        w.pos += n;
        r = walk_step(&w, name);
    }
    int fd = -1;
    if (r == WASI_ESUCCESS) {
        if (w.fds.len)
            fd = w.fds.data[--w.fds.len];
        else if ((fd = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
            r = wasi_errno_of(errno);
    }
    while (w.fds.len)
        close(w.fds.data[--w.fds.len]);
    vec_free(&w.fds);
    free(w.rest);
    return r == WASI_ESUCCESS ? fd : -r;
}

/* ---- resolution ---- */

/* Directory `dir` beneath dirfd as an owned O_PATH fd, or a negated errno. */
static int open_dir(const struct wasi_ctx *ctx, int dirfd, const char *dir)
{
    if (ctx->openat2)
        return openat2_beneath(dirfd, dir, O_PATH | O_DIRECTORY, 0);
    return walk_dir(dirfd, dir);
}

/* The text "dir/target[/]": a symlink's target read from inside dir. */
static char *join(const char *dir, const char *target, bool trailing)
{
    size_t dl = strlen(dir), tl = strlen(target);
    char *s = malloc(dl + tl + 3);
    if (s) {
        memcpy(s, dir, dl);
        s[dl] = '/';
        memcpy(s + dl + 1, target, tl);
        s[dl + 1 + tl] = '/';
        s[dl + 1 + tl + trailing] = 0;
    }
    return s;
}

/* When `name` in fd is a symlink: *next = the path to resolve instead
 * (owned); else *next = NULL. */
static uint16_t expand_last(int fd, const char *dir, const char *name, bool trailing, char **next)
{
    struct stat st;
    *next = NULL;
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode))
        return WASI_ESUCCESS; /* not there (yet) or not a link: act on it as it is */
    char *target;
    uint16_t r = read_link(fd, name, &target);
    if (r != WASI_ESUCCESS)
        return r;
    if (target[0] == '/')
        r = WASI_ENOTCAPABLE;
    else if (!(*next = join(dir, target, trailing)))
        r = WASI_ENOMEM;
    free(target);
    return r;
}

/* A path cut in place into the directory text and its last component. */
struct split {
    const char *dir, *name;
    bool trailing; /* it ended in '/' (now dropped) */
    bool dots;     /* it ended in "." or "..": the directory itself, as its "." */
};

static struct split split_last(char *buf)
{
    struct split sp = {.dir = "."};
    size_t len = strlen(buf);
    while (len > 1 && buf[len - 1] == '/') {
        buf[--len] = 0;
        sp.trailing = true;
    }
    char *slash = strrchr(buf, '/');
    sp.name = slash ? slash + 1 : buf;
    sp.dots = !strcmp(sp.name, ".") || !strcmp(sp.name, "..");
    if (sp.dots) {
        sp.dir = buf;
        sp.name = ".";
    } else if (slash) {
        *slash = 0;
        sp.dir = buf;
    }
    return sp;
}

uint16_t wasi_resolve(const struct wasi_ctx *ctx, int dirfd, const char *path, bool follow,
                      struct wasi_resolved *out)
{
    *out = (struct wasi_resolved){.dir = -1};
    if (!*path)
        return WASI_ENOENT;
    if (*path == '/')
        return WASI_ENOTCAPABLE;
    char *buf = strdup(path);
    uint16_t r = buf ? WASI_ESUCCESS : WASI_ENOMEM;
    for (int links = 0; r == WASI_ESUCCESS; links++) {
        struct split sp = split_last(buf);
        int fd = open_dir(ctx, dirfd, sp.dir);
        if (fd < 0) {
            r = (uint16_t)-fd;
            break;
        }
        char *next = NULL;
        if ((follow || sp.trailing) && !sp.dots)
            r = expand_last(fd, sp.dir, sp.name, sp.trailing, &next);
        if (next && links >= MAX_SYMLINKS) {
            free(next);
            next = NULL;
            r = WASI_ELOOP;
        }
        if (r == WASI_ESUCCESS && !next) {
            *out = (struct wasi_resolved){fd, sp.name, sp.trailing, buf};
            return WASI_ESUCCESS;
        }
        close(fd);
        free(buf);
        buf = next; /* another round with the link's target */
    }
    free(buf);
    return r;
}

void wasi_resolved_free(struct wasi_resolved *r)
{
    if (r->dir >= 0)
        close(r->dir);
    free(r->buf);
    *r = (struct wasi_resolved){.dir = -1};
}

int wasi_open_beneath(const struct wasi_ctx *ctx, int dirfd, const char *path, int flags,
                      unsigned mode, bool follow)
{
    if (!*path)
        return -WASI_ENOENT;
    if (*path == '/')
        return -WASI_ENOTCAPABLE;
    if (ctx->openat2)
        return openat2_beneath(dirfd, path, flags | (follow ? 0 : O_NOFOLLOW), mode);
    struct wasi_resolved r;
    uint16_t e = wasi_resolve(ctx, dirfd, path, follow, &r);
    if (e != WASI_ESUCCESS)
        return -e;
    /* The last component was expanded if it had to be: never follow it now. */
    int fd = openat(r.dir, r.name, flags | O_NOFOLLOW | O_CLOEXEC | (r.trailing_slash ? O_DIRECTORY : 0),
                    mode);
    int err = errno;
    wasi_resolved_free(&r);
    return fd >= 0 ? fd : -wasi_errno_of(err);
}
