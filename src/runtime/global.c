/* Globals: one 16-byte cell each, which compiled code reaches through a
 * pointer in the vmctx (so imported globals are shared, not copied). */
#include <string.h>

#include "runtime.h"

static void global_destroy(struct rt_object *o)
{
    free((char *)o - offsetof(tri_global, obj));
}

tri_error *rt_global_create(tri_store *s, tri_globaltype type, uint64_t raw, tri_global **out)
{
    *out = NULL;
    if (!rt_valkind_supported(type.kind))
        return rt_error(TRI_ERR_UNSUPPORTED, "global of an unsupported type");
    tri_global *g = calloc(1, sizeof *g);
    if (!g)
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    g->store = s;
    g->type = type;
    memcpy(g->cell, &raw, 8);
    rt_store_adopt(s, &g->obj, global_destroy);
    *out = g;
    return NULL;
}

static bool value_fits(const tri_global *g, tri_val v)
{
    return v.kind == g->type.kind &&
           !(v.kind == TRI_FUNCREF && v.of.funcref && v.of.funcref->store != g->store);
}

tri_error *tri_global_new(tri_store *s, tri_globaltype type, tri_val init, tri_global **out)
{
    tri_global probe = {.store = s, .type = type};
    if (!value_fits(&probe, init)) {
        *out = NULL;
        return rt_error(TRI_ERR_ARG, "global initial value has the wrong kind or store");
    }
    return rt_global_create(s, type, rt_val_to_raw(init), out);
}

tri_globaltype tri_global_type(const tri_global *g) { return g->type; }

tri_val tri_global_get(const tri_global *g)
{
    return rt_val_from_raw(g->type.kind, rt_global_raw(g));
}

tri_error *tri_global_set(tri_global *g, tri_val v)
{
    if (!g->type.mut)
        return rt_error(TRI_ERR_ARG, "global is immutable");
    if (!value_fits(g, v))
        return rt_error(TRI_ERR_ARG, "value has the wrong kind or store for this global");
    uint64_t raw = rt_val_to_raw(v);
    memcpy(g->cell, &raw, 8);
    return NULL;
}
