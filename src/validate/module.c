/* Module-level validation: types, imports, definitions, exports, the start
 * function and segments; val_module runs it and then walks every body. */
#include <string.h>

#include "validate.h"

enum { MAX_PAGES = 65536 }; /* 4 GiB of 64 KiB pages */

static bool invalid(struct err *e, size_t offset, const char *msg, uint32_t index)
{
    return err_set(e, ERR_INVALID, offset, "%s %u", msg, index);
}

static bool check_types(const struct module *m, struct err *e)
{
    for (uint32_t i = 0; i < m->ntypes; i++) {
        const struct functype *t = &m->types[i];
        if (t->nparams > LIMIT_PARAMS)
            return err_set(e, ERR_LIMIT, NO_OFFSET, "type %u: too many parameters (%u)", i,
                           t->nparams);
        if (t->nresults > LIMIT_RESULTS)
            return err_set(e, ERR_LIMIT, NO_OFFSET, "type %u: too many results (%u)", i,
                           t->nresults);
    }
    return true;
}

/* Limits with a bound on the size (in pages or elements). */
static bool check_limits(const struct limits *l, uint64_t bound, const char *too_big,
                         struct err *e)
{
    if (l->min > bound || (l->has_max && l->max > bound))
        return err_set(e, ERR_INVALID, NO_OFFSET, "%s", too_big);
    if (l->has_max && l->min > l->max)
        return err_set(e, ERR_INVALID, NO_OFFSET, "size minimum must not be greater than maximum");
    return true;
}

static bool check_funcs_tables_mems(const struct module *m, struct err *e)
{
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->funcs[i].type >= m->ntypes) {
            size_t at = i < m->nfunc_imports ? NO_OFFSET : m->funcs[i].body_offset;
            return invalid(e, at, "unknown type", m->funcs[i].type);
        }
    for (uint32_t i = 0; i < m->ntables; i++)
        if (!check_limits(&m->tables[i].lim, UINT32_MAX, "table size must be at most 2^32-1", e))
            return false;
    if (m->nmems > 1)
        return err_set(e, ERR_INVALID, NO_OFFSET, "multiple memories");
    for (uint32_t i = 0; i < m->nmems; i++)
        if (!check_limits(&m->mems[i].lim, MAX_PAGES,
                          "memory size must be at most 65536 pages (4GiB)", e))
            return false;
    return true;
}

static bool check_globals(const struct module *m, struct err *e)
{
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++)
        if (!val_const_expr(m, &m->globals[i].init, m->globals[i].type.type, e))
            return false;
    return true;
}

static bool export_index_ok(const struct module *m, const struct export *x, struct err *e)
{
    static const char *const unknown[] = {
        [EXT_FUNC] = "unknown function", [EXT_TABLE] = "unknown table",
        [EXT_MEMORY] = "unknown memory", [EXT_GLOBAL] = "unknown global",
    };
    uint32_t n = x->kind == EXT_FUNC ? m->nfuncs : x->kind == EXT_TABLE ? m->ntables
               : x->kind == EXT_MEMORY ? m->nmems : m->nglobals;
    if (x->index >= n)
        return invalid(e, NO_OFFSET, unknown[x->kind], x->index);
    return true;
}

static bool same_name(const struct name *a, const struct name *b)
{
    return a->len == b->len && !memcmp(a->p, b->p, a->len);
}

/* Checks export indices and that no name repeats, with an open-addressing
 * hash table of export numbers (+1, so 0 means empty). */
static bool check_exports(const struct module *m, struct err *e)
{
    size_t cap = 16;
    while (cap < (size_t)m->nexports * 2)
        cap *= 2;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    bool ok = true;
    for (uint32_t i = 0; ok && i < m->nexports; i++) {
        const struct export *x = &m->exports[i];
        ok = export_index_ok(m, x, e);
        size_t h = (size_t)hash_bytes(x->name.p, x->name.len, 0) & (cap - 1);
        for (; ok && slots[h]; h = (h + 1) & (cap - 1))
            if (same_name(&m->exports[slots[h] - 1].name, &x->name))
                ok = err_set(e, ERR_INVALID, NO_OFFSET, "duplicate export name \"%.*s\"",
                             (int)x->name.len, (const char *)x->name.p);
        slots[h] = i + 1;
    }
    free(slots);
    return ok;
}

static bool check_start(const struct module *m, struct err *e)
{
    if (!m->has_start)
        return true;
    if (m->start >= m->nfuncs)
        return invalid(e, NO_OFFSET, "unknown function", m->start);
    const struct functype *t = dec_func_type(m, m->start);
    if (t->nparams || t->nresults)
        return err_set(e, ERR_INVALID, NO_OFFSET, "start function must have type [] -> []");
    return true;
}

static bool check_elem(const struct module *m, const struct elem *el, struct err *e)
{
    size_t at = el->offset_in_module;
    if (el->mode == SEG_ACTIVE) {
        if (el->table >= m->ntables)
            return invalid(e, at, "unknown table", el->table);
        if (m->tables[el->table].elem != el->type)
            return err_set(e, ERR_INVALID, at, "type mismatch: segment of %s in a table of %s",
                           dec_valtype_name(el->type),
                           dec_valtype_name(m->tables[el->table].elem));
        if (!val_const_expr(m, &el->offset, VT_I32, e))
            return false;
    }
    for (uint32_t k = 0; k < el->count; k++) {
        if (el->funcs && el->funcs[k] >= m->nfuncs)
            return invalid(e, at, "unknown function", el->funcs[k]);
        if (!el->funcs && !val_const_expr(m, &el->exprs[k], el->type, e))
            return false;
    }
    return true;
}

static bool check_segments(const struct module *m, struct err *e)
{
    for (uint32_t i = 0; i < m->nelems; i++)
        if (!check_elem(m, &m->elems[i], e))
            return false;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const struct data *d = &m->datas[i];
        if (d->mode != SEG_ACTIVE)
            continue;
        if (d->memory >= m->nmems)
            return invalid(e, d->offset_in_module, "unknown memory", d->memory);
        if (!val_const_expr(m, &d->offset, VT_I32, e))
            return false;
    }
    return true;
}

bool val_module_header(const struct module *m, struct err *e)
{
    return check_types(m, e) && check_funcs_tables_mems(m, e) && check_globals(m, e) &&
           check_exports(m, e) && check_start(m, e) && check_segments(m, e);
}
