/* Import matching (the spec's extern subtyping, limits included) and the
 * linker that resolves imports by module and field name. */
#include <string.h>

#include "runtime.h"

static const char *kind_name(tri_externkind k)
{
    return dec_extern_kind_name((enum extern_kind)k);
}

/* The spec's limits subtyping: at least the minimum, at most the maximum. */
static bool limits_match(tri_limits actual, tri_limits expected)
{
    if (actual.min < expected.min)
        return false;
    return !expected.has_max || (actual.has_max && actual.max <= expected.max);
}

static const tri_store *extern_store(const tri_extern *x)
{
    switch (x->kind) {
    case TRI_EXTERN_FUNC: return x->of.func->store;
    case TRI_EXTERN_TABLE: return x->of.table->store;
    case TRI_EXTERN_MEMORY: return x->of.memory->store;
    default: return x->of.global->store;
    }
}

static bool extern_fits(const tri_module *m, const tri_importtype *want, const tri_extern *x)
{
    switch (x->kind) {
    case TRI_EXTERN_FUNC: {
        const struct import *im = &m->m.imports[want - m->imports];
        return x->of.func->vm.type_id == m->type_ids[im->desc.func_type];
    }
    case TRI_EXTERN_TABLE: {
        const tri_table *t = x->of.table;
        return t->type.elem == want->type.of.table.elem &&
               limits_match(t->type.limits, want->type.of.table.limits);
    }
    case TRI_EXTERN_MEMORY:
        return limits_match(x->of.memory->type, want->type.of.memory);
    default: {
        tri_globaltype g = x->of.global->type;
        return g.kind == want->type.of.global.kind && g.mut == want->type.of.global.mut;
    }
    }
}

tri_error *rt_import_check(const tri_store *s, const tri_module *m, size_t i,
                           const tri_extern *x)
{
    const tri_importtype *want = &m->imports[i];
    if (!x->of.func || (unsigned)x->kind > TRI_EXTERN_GLOBAL)
        return rt_error(TRI_ERR_UNLINKABLE, "unknown import \"%s\" \"%s\": no object given",
                        want->module, want->name);
    if (extern_store(x) != s)
        return rt_error(TRI_ERR_UNLINKABLE, "import \"%s\" \"%s\" belongs to another store",
                        want->module, want->name);
    if (x->kind != want->type.kind || !extern_fits(m, want, x))
        return rt_error(TRI_ERR_UNLINKABLE,
                        "incompatible import type for \"%s\" \"%s\": expected %s, got %s%s",
                        want->module, want->name, kind_name(want->type.kind),
                        kind_name(x->kind), x->kind == want->type.kind ? " of another type" : "");
    return NULL;
}

/* ---- the linker ---- */

struct rt_definition {
    char *module, *name; /* owned, with lengths (names may hold NUL) */
    size_t module_len, name_len;
    tri_extern ext;
};

struct tri_linker {
    struct rt_object obj;
    tri_store *store;
    VEC(struct rt_definition) defs;
};

static void linker_destroy(struct rt_object *o)
{
    tri_linker *l = (tri_linker *)((char *)o - offsetof(tri_linker, obj));
    for (size_t i = 0; i < l->defs.len; i++) {
        free(l->defs.data[i].module);
        free(l->defs.data[i].name);
    }
    vec_free(&l->defs);
    free(l);
}

tri_linker *tri_linker_new(tri_store *s)
{
    tri_linker *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->store = s;
    rt_store_adopt(s, &l->obj, linker_destroy);
    return l;
}

static bool name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && !memcmp(a, b, alen);
}

static struct rt_definition *lookup(tri_linker *l, const char *module, size_t module_len,
                                    const char *name, size_t name_len)
{
    for (size_t i = 0; i < l->defs.len; i++) {
        struct rt_definition *d = &l->defs.data[i];
        if (name_eq(d->module, d->module_len, module, module_len) &&
            name_eq(d->name, d->name_len, name, name_len))
            return d;
    }
    return NULL;
}

static char *bytes_dup(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = 0;
    }
    return s;
}

tri_error *tri_linker_define(tri_linker *l, const char *module, size_t module_len,
                             const char *name, size_t name_len, tri_extern ext)
{
    if (!ext.of.func || extern_store(&ext) != l->store)
        return rt_error(TRI_ERR_ARG, "definition is missing or from another store");
    struct rt_definition *d = lookup(l, module, module_len, name, name_len);
    if (d) {
        d->ext = ext;
        return NULL;
    }
    char *m = bytes_dup(module, module_len), *n = bytes_dup(name, name_len);
    d = m && n ? vec_push(&l->defs) : NULL;
    if (!d) {
        free(m);
        free(n);
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    }
    *d = (struct rt_definition){m, n, module_len, name_len, ext};
    return NULL;
}

tri_error *tri_linker_define_instance(tri_linker *l, const char *module, size_t module_len,
                                      tri_instance *i)
{
    for (size_t k = 0; k < tri_instance_export_count(i); k++) {
        const char *name;
        size_t len;
        tri_extern ext;
        tri_instance_export_nth(i, k, &name, &len, &ext);
        tri_error *r = tri_linker_define(l, module, module_len, name, len, ext);
        if (r)
            return r;
    }
    return NULL;
}

tri_error *tri_linker_instantiate(tri_linker *l, tri_module *m, tri_instance **out)
{
    *out = NULL;
    size_t n = tri_module_import_count(m);
    tri_extern *imports = calloc(n + 1, sizeof *imports);
    if (!imports)
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const tri_importtype *want = &m->imports[i];
        struct rt_definition *d =
            lookup(l, want->module, want->module_len, want->name, want->name_len);
        if (!d) {
            free(imports);
            return rt_error(TRI_ERR_UNLINKABLE, "unknown import \"%s\" \"%s\"", want->module,
                            want->name);
        }
        imports[i] = d->ext;
    }
    tri_error *r = tri_instance_new(l->store, m, imports, n, out);
    free(imports);
    return r;
}
