/* The table of WASI functions and the one host callback that runs them:
 * it finds the guest's memory, calls the handler and returns its errno
 * (or unwinds for proc_exit). */
#include <string.h>

#include "wasi.h"

static const char MODULE[] = "wasi_snapshot_preview1";

struct wasi_def {
    const char *name;
    const char *params; /* 'i' i32, 'I' i64 */
    uint64_t need;      /* rights of the fd in argument 0, or WASI_NOFD */
    wasi_handler fn;
};

static const struct wasi_def defs[] = {
#define WASI_DEF(name, params, need) {#name, params, need, wasi_##name},
    WASI_FUNCS(WASI_DEF)
#undef WASI_DEF
};

struct wasi_binding {
    struct wasi_ctx *ctx;
    const struct wasi_def *def;
};

size_t wasi_func_count(void) { return ARRAY_LEN(defs); }

const char *wasi_func_name(size_t i) { return i < ARRAY_LEN(defs) ? defs[i].name : NULL; }

struct wasi_binding *wasi_bindings_new(struct wasi_ctx *ctx)
{
    struct wasi_binding *b = calloc(ARRAY_LEN(defs), sizeof *b);
    for (size_t i = 0; b && i < ARRAY_LEN(defs); i++)
        b[i] = (struct wasi_binding){ctx, &defs[i]};
    return b;
}

static tri_error *call(void *data, tri_instance *caller, const tri_val *args, size_t nargs,
                       tri_val *results, size_t nresults)
{
    (void)nargs; /* the runtime checked the arguments against the type */
    const struct wasi_binding *b = data;
    struct wasi_call c = {.ctx = b->ctx};
    tri_memory *m = b->ctx->memory;
    tri_extern ext;
    if (!m && caller && tri_instance_export(caller, "memory", 6, &ext) &&
        ext.kind == TRI_EXTERN_MEMORY)
        m = ext.of.memory;
    if (m) {
        c.mem = tri_memory_data(m);
        c.memlen = tri_memory_data_size(m);
    }
    uint16_t r = WASI_ESUCCESS;
    if (b->def->need != WASI_NOFD)
        r = wasi_fd_get(b->ctx, (uint32_t)args[0].of.i32, b->def->need, &c.fd);
    if (r == WASI_ESUCCESS)
        r = b->def->fn(&c, args);
    if (c.trap)
        return c.trap;
    if (nresults)
        results[0] = tri_val_i32(r);
    return NULL;
}

static tri_func *func_at(struct wasi_ctx *ctx, tri_store *s, size_t i)
{
    const struct wasi_def *d = &defs[i];
    uint8_t params[16], result = TRI_I32;
    size_t n = strlen(d->params);
    for (size_t k = 0; k < n; k++)
        params[k] = d->params[k] == 'I' ? TRI_I64 : TRI_I32;
    tri_functype t = {(uint32_t)n, d->fn == wasi_proc_exit ? 0 : 1, params, &result};
    return tri_func_new(s, &t, call, &ctx->bindings[i], NULL);
}

tri_func *wasi_func_new(struct wasi_ctx *ctx, tri_store *s, const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(defs); i++)
        if (!strcmp(defs[i].name, name))
            return func_at(ctx, s, i);
    return NULL;
}

bool wasi_define(struct wasi_ctx *ctx, tri_store *s, tri_linker *l, struct err *e)
{
    for (size_t i = 0; i < ARRAY_LEN(defs); i++) {
        tri_func *f = func_at(ctx, s, i);
        if (!f)
            return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
        tri_extern x = {.kind = TRI_EXTERN_FUNC, .of.func = f};
        tri_error *r = tri_linker_define(l, MODULE, sizeof MODULE - 1, defs[i].name,
                                         strlen(defs[i].name), x);
        if (r) {
            err_set(e, ERR_NOMEM, NO_OFFSET, "%s", tri_error_message(r));
            tri_error_delete(r);
            return false;
        }
    }
    return true;
}
