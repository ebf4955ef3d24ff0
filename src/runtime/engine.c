/* The engine: configuration, backend choice and the table of interned
 * function types that gives every signature its canonical id. */
#include <string.h>

#include "runtime.h"

struct rt_type {
    tri_functype type; /* arrays follow in the same arena block */
    uint64_t hash;
    uint32_t id;
};

void tri_config_default(tri_config *c)
{
    memset(c, 0, sizeof *c);
    c->backend = TRI_DEFAULT_BACKEND;
    c->opt_level = 2;
    c->cache = true;
}

bool tri_backend_available(const char *name) { return name && cc_backend_find(name) != NULL; }

tri_error *tri_engine_new(const tri_config *config, tri_engine **out)
{
    *out = NULL;
    tri_config c;
    if (config)
        c = *config;
    else
        tri_config_default(&c);
    if (!c.backend)
        c.backend = TRI_DEFAULT_BACKEND;
    if (!cc_backend_known(c.backend))
        return rt_error(TRI_ERR_ARG, "unknown backend '%s' (singlepass, optimizing, llvm)",
                        c.backend);
    if (c.opt_level < 0 || c.opt_level > 3)
        return rt_error(TRI_ERR_ARG, "optimisation level %d is not in 0..3", c.opt_level);
    if (!c.max_stack)
        c.max_stack = RT_DEFAULT_MAX_STACK;
    if (!c.cache_max_bytes)
        c.cache_max_bytes = RT_DEFAULT_CACHE_MAX;
    if (!c.memory_limit || c.memory_limit > (uint64_t)RT_MAX_PAGES * RT_PAGE)
        c.memory_limit = (uint64_t)RT_MAX_PAGES * RT_PAGE;
    if (!rt_signals_init())
        return rt_error(TRI_ERR_UNSUPPORTED, "cannot install the trap signal handlers");
    tri_engine *e = calloc(1, sizeof *e);
    if (!e)
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    /* No folder (no HOME) means no cache rather than an error. */
    e->cache_dir = rt_cache_dir_default(c.cache_dir);
    /* The config's strings are the caller's: keep only our copies. */
    c.cache_dir = e->cache_dir;
    e->config = c;
    /* A backend that is not built in fails at the first module with code,
     * so modules without functions still load. */
    e->backend = cc_backend_find(c.backend);
    strncpy(e->backend_name, c.backend, sizeof e->backend_name - 1);
    e->config.backend = e->backend_name;
    pthread_mutex_init(&e->lock, NULL);
    *out = e;
    return NULL;
}

void tri_engine_delete(tri_engine *e)
{
    if (!e)
        return;
    pthread_mutex_destroy(&e->lock);
    arena_free(&e->arena);
    free(e->types);
    free(e->cache_dir);
    free(e);
}

/* ---- type interning ---- */

/* memcmp that allows NULL for empty arrays (types with no params). */
static bool same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
    return n == 0 || !memcmp(a, b, n);
}

static bool functype_eq(const tri_functype *a, const tri_functype *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           same_bytes(a->params, b->params, a->nparams) &&
           same_bytes(a->results, b->results, a->nresults);
}

static uint64_t type_hash(const tri_functype *t)
{
    uint64_t h = hash_bytes(&t->nparams, sizeof t->nparams, 0);
    h = hash_bytes(t->params, t->nparams, h);
    return hash_bytes(t->results, t->nresults, h ^ t->nresults);
}

static bool types_grow(tri_engine *e)
{
    uint32_t cap = e->cap ? e->cap * 2 : 64;
    struct rt_type **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (uint32_t i = 0; i < e->cap; i++) {
        struct rt_type *t = e->types[i];
        if (!t)
            continue;
        uint32_t j = (uint32_t)t->hash & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = t;
    }
    free(e->types);
    e->types = slots;
    e->cap = cap;
    return true;
}

static struct rt_type *type_copy(tri_engine *e, const tri_functype *t, uint64_t hash)
{
    struct rt_type *r = arena_alloc(&e->arena, sizeof *r + t->nparams + t->nresults);
    if (!r)
        return NULL;
    uint8_t *p = (uint8_t *)(r + 1);
    if (t->nparams)
        memcpy(p, t->params, t->nparams);
    if (t->nresults)
        memcpy(p + t->nparams, t->results, t->nresults);
    r->type = (tri_functype){t->nparams, t->nresults, p, p + t->nparams};
    r->hash = hash;
    r->id = e->ntypes + 1;
    return r;
}

uint32_t rt_type_intern(tri_engine *e, const tri_functype *t, const tri_functype **out)
{
    uint64_t h = type_hash(t);
    uint32_t id = 0;
    pthread_mutex_lock(&e->lock);
    if ((e->ntypes + 1) * 2 > e->cap && !types_grow(e))
        goto done;
    uint32_t j = (uint32_t)h & (e->cap - 1);
    for (; e->types[j]; j = (j + 1) & (e->cap - 1)) {
        struct rt_type *r = e->types[j];
        if (r->hash == h && functype_eq(&r->type, t)) {
            id = r->id;
            if (out)
                *out = &r->type;
            goto done;
        }
    }
    struct rt_type *r = type_copy(e, t, h);
    if (r) {
        e->types[j] = r;
        e->ntypes++;
        id = r->id;
        if (out)
            *out = &r->type;
    }
done:
    pthread_mutex_unlock(&e->lock);
    return id;
}
