/* The WASI context: copies of the arguments and environment, and the fd
 * table's first entries (stdio, then the preopened directories). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "wasi.h"

/* Owned, NULL-terminated copy of n strings; NULL when out of memory. */
static char **copy_list(const char *const *src, size_t n)
{
    char **dst = calloc(n + 1, sizeof *dst);
    for (size_t i = 0; dst && i < n; i++) {
        if (!(dst[i] = strdup(src[i]))) {
            while (i)
                free(dst[--i]);
            free(dst);
            return NULL;
        }
    }
    return dst;
}

static void free_list(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

/* Guest fd i (0..2) = a duplicate of host fd `host`, or a free slot. Its
 * rights follow the host's access mode: no writing to a read-only stdin. */
static bool add_stdio(struct wasi_ctx *ctx, int host)
{
    static const uint64_t write_rights = WASI_R(FD_WRITE) | WASI_R(FD_DATASYNC) |
                                         WASI_R(FD_ALLOCATE) | WASI_R(FD_FILESTAT_SET_SIZE);
    struct wasi_fd *f = vec_push(&ctx->fds);
    if (!f)
        return false;
    f->host = host >= 0 ? fcntl(host, F_DUPFD_CLOEXEC, 3) : -1;
    int fl = f->host >= 0 ? fcntl(f->host, F_GETFL) : -1;
    if (fl < 0)
        return true;
    int mode = fl & O_ACCMODE;
    f->type = wasi_filetype_of_fd(f->host);
    f->base = wasi_rights_for(f->type);
    if (mode == O_RDONLY)
        f->base &= ~write_rights;
    if (mode == O_WRONLY)
        f->base &= ~(WASI_R(FD_READ) | WASI_R(FD_READDIR));
    f->inheriting = wasi_rights_inheriting_for(f->type);
    return true;
}

/* Preopens take the next fds in order (3, 4, ...), even when a stdio slot
 * is free: wasi-libc finds them by scanning from 3. */
static bool add_preopen(struct wasi_ctx *ctx, const struct wasi_preopen *d, struct err *e)
{
    int fd = open(d->host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, ERR_IO, NO_OFFSET, "cannot open directory '%s': %s", d->host,
                       strerror(errno));
    char *name = strdup(d->guest);
    struct wasi_fd *f = name ? vec_push(&ctx->fds) : NULL;
    if (!f) {
        close(fd);
        free(name);
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    }
    *f = (struct wasi_fd){fd, WASI_FT_DIR, wasi_rights_for(WASI_FT_DIR),
                          wasi_rights_inheriting_for(WASI_FT_DIR), name};
    return true;
}

bool wasi_ctx_new(const struct wasi_config *cfg, struct wasi_ctx **out, struct err *e)
{
    *out = NULL;
    struct wasi_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    ctx->openat2 = !cfg->no_openat2 && wasi_have_openat2();
    ctx->argv = copy_list(cfg->argv, cfg->argc);
    ctx->env = copy_list(cfg->env, cfg->nenv);
    ctx->argc = cfg->argc;
    ctx->nenv = cfg->nenv;
    ctx->bindings = wasi_bindings_new(ctx);
    bool ok = ctx->argv && ctx->env && ctx->bindings;
    for (int i = 0; ok && i < 3; i++)
        ok = add_stdio(ctx, cfg->stdio[i]);
    if (!ok)
        err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    for (size_t i = 0; ok && i < cfg->ndirs; i++)
        ok = add_preopen(ctx, &cfg->dirs[i], e);
    if (!ok) {
        wasi_ctx_delete(ctx);
        return false;
    }
    *out = ctx;
    return true;
}

void wasi_ctx_delete(struct wasi_ctx *ctx)
{
    if (!ctx)
        return;
    for (size_t i = 0; i < ctx->fds.len; i++)
        wasi_fd_release(&ctx->fds.data[i]);
    vec_free(&ctx->fds);
    free_list(ctx->argv);
    free_list(ctx->env);
    free(ctx->bindings);
    free(ctx);
}

void wasi_ctx_set_memory(struct wasi_ctx *ctx, tri_memory *mem) { ctx->memory = mem; }

bool wasi_ctx_uses_openat2(const struct wasi_ctx *ctx) { return ctx->openat2; }
