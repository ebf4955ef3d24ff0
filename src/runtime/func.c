/* Function objects of the public API: host functions and typed calls. */
#include <string.h>

#include "runtime.h"

static void func_destroy(struct rt_object *o)
{
    tri_func *f = (tri_func *)((char *)o - offsetof(tri_func, obj));
    if (f->finalizer)
        f->finalizer(f->data);
    free(f);
}

tri_func *tri_func_new(tri_store *s, const tri_functype *type, tri_host_fn fn, void *data,
                       void (*finalizer)(void *data))
{
    if (!s || !type || !fn || (type->nparams && !type->params) ||
        (type->nresults && !type->results))
        return NULL;
    for (uint32_t i = 0; i < type->nparams; i++)
        if (!rt_valkind_supported(type->params[i]))
            return NULL;
    for (uint32_t i = 0; i < type->nresults; i++)
        if (!rt_valkind_supported(type->results[i]))
            return NULL;
    tri_func *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    uint32_t id = rt_type_intern(s->engine, type, &f->type);
    if (!id) {
        free(f);
        return NULL;
    }
    f->store = s;
    f->fn = fn;
    f->data = data;
    f->finalizer = finalizer;
    f->bind = (struct rt_hostbind){f, NULL};
    f->vm = (struct cc_vm_funcref){rt_host_stub_addr(), &f->bind, id, 0};
    rt_store_adopt(s, &f->obj, func_destroy);
    return f;
}

tri_functype tri_func_type(const tri_func *f) { return *f->type; }

static tri_error *check_args(tri_store *s, const tri_func *f, const tri_val *args, size_t nargs,
                             const tri_val *results, size_t nresults)
{
    if (!f || (nargs && !args) || (nresults && !results))
        return rt_error(TRI_ERR_ARG, "no function, arguments or results");
    const tri_functype *t = f->type;
    if (f->store != s)
        return rt_error(TRI_ERR_ARG, "function belongs to another store");
    if (nargs != t->nparams || nresults != t->nresults)
        return rt_error(TRI_ERR_ARG, "function takes %u arguments and %u results, not %zu and %zu",
                        t->nparams, t->nresults, nargs, nresults);
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].kind != t->params[i])
            return rt_error(TRI_ERR_ARG, "argument %zu should be %s", i,
                            dec_valtype_name(t->params[i]));
        if (args[i].kind == TRI_FUNCREF && args[i].of.funcref && args[i].of.funcref->store != s)
            return rt_error(TRI_ERR_ARG, "argument %zu is a function of another store", i);
    }
    return NULL;
}

tri_error *tri_func_call(tri_store *s, tri_func *f, const tri_val *args, size_t nargs,
                         tri_val *results, size_t nresults)
{
    tri_error *r = check_args(s, f, args, nargs, results, nresults);
    if (r)
        return r;
    uint64_t small[32];
    size_t n = nargs + nresults;
    uint64_t *raw = n <= 32 ? small : malloc(n * sizeof *raw);
    if (!raw)
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < nargs; i++)
        raw[i] = rt_val_to_raw(args[i]);
    r = rt_call(f, raw, raw + nargs);
    for (size_t i = 0; !r && i < nresults; i++)
        results[i] = rt_val_from_raw(f->type->results[i], raw[nargs + i]);
    if (raw != small)
        free(raw);
    return r;
}
