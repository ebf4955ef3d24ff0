/* Tables of funcref or externref. Elements are raw words (ABI section 2);
 * compiled code reaches them through the table's struct cc_vm_table, which
 * stays put while the element array is reallocated on growth. */
#include <string.h>

#include "runtime.h"

static void table_destroy(struct rt_object *o)
{
    tri_table *t = (tri_table *)((char *)o - offsetof(tri_table, obj));
    free(t->vm.elems);
    free(t);
}

static bool reserve(tri_table *t, uint32_t n)
{
    if (n <= t->cap)
        return true;
    uint64_t cap = (uint64_t)t->cap * 2;
    if (cap < n)
        cap = n;
    if (cap > t->max)
        cap = t->max;
    uintptr_t *p = realloc(t->vm.elems, (size_t)cap * sizeof *p);
    if (!p)
        return false;
    t->vm.elems = p;
    t->cap = (uint32_t)cap;
    return true;
}

tri_error *rt_table_create(tri_store *s, tri_tabletype type, uint64_t init, tri_table **out)
{
    *out = NULL;
    if (type.elem != TRI_FUNCREF && type.elem != TRI_EXTERNREF)
        return rt_error(TRI_ERR_ARG, "table element type must be a reference type");
    uint64_t max = type.limits.has_max ? type.limits.max : LIMIT_TABLE_MAX;
    if (max > LIMIT_TABLE_MAX)
        max = LIMIT_TABLE_MAX;
    if (type.limits.min > max)
        return rt_error(TRI_ERR_LIMIT, "table of %llu elements is too large",
                        (unsigned long long)type.limits.min);
    tri_table *t = calloc(1, sizeof *t);
    if (!t)
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    t->store = s;
    t->type = type;
    t->max = (uint32_t)max;
    if (!reserve(t, (uint32_t)type.limits.min)) {
        free(t);
        return rt_error(TRI_ERR_NOMEM, "out of memory for a table");
    }
    t->vm.size = (uint32_t)type.limits.min;
    for (uint32_t i = 0; i < t->vm.size; i++)
        t->vm.elems[i] = (uintptr_t)init;
    rt_store_adopt(s, &t->obj, table_destroy);
    *out = t;
    return NULL;
}

int64_t rt_table_grow(tri_table *t, uint32_t delta, uint64_t init)
{
    uint32_t old = t->vm.size;
    if (delta > t->max - old || !reserve(t, old + delta))
        return -1;
    for (uint32_t i = old; i < old + delta; i++)
        t->vm.elems[i] = (uintptr_t)init;
    t->vm.size = old + delta;
    t->type.limits.min = t->vm.size;
    return old;
}

tri_trap_code rt_table_fill(tri_table *t, uint32_t i, uint64_t v, uint32_t n)
{
    if ((uint64_t)i + n > t->vm.size)
        return TRI_TRAP_TABLE_OOB;
    for (uint32_t k = 0; k < n; k++)
        t->vm.elems[i + k] = (uintptr_t)v;
    return TRI_TRAP_NONE;
}

tri_trap_code rt_table_copy(tri_table *dst, tri_table *src, uint32_t d, uint32_t s, uint32_t n)
{
    if ((uint64_t)d + n > dst->vm.size || (uint64_t)s + n > src->vm.size)
        return TRI_TRAP_TABLE_OOB;
    memmove(dst->vm.elems + d, src->vm.elems + s, (size_t)n * sizeof *dst->vm.elems);
    return TRI_TRAP_NONE;
}

/* ---- public API ---- */

/* The raw word for a value stored in t, or false when the kind is wrong. */
static bool elem_of(const tri_table *t, tri_val v, uint64_t *raw)
{
    if (v.kind != t->type.elem)
        return false;
    if (v.kind == TRI_FUNCREF && v.of.funcref && v.of.funcref->store != t->store)
        return false;
    *raw = rt_val_to_raw(v);
    return true;
}

tri_error *tri_table_new(tri_store *s, tri_tabletype type, tri_val init, tri_table **out)
{
    *out = NULL;
    uint64_t raw;
    tri_table probe = {.store = s, .type = type};
    if (!elem_of(&probe, init, &raw))
        return rt_error(TRI_ERR_ARG, "table initial value has the wrong kind or store");
    return rt_table_create(s, type, raw, out);
}

tri_tabletype tri_table_type(const tri_table *t) { return t->type; }
uint32_t tri_table_size(const tri_table *t) { return t->vm.size; }

bool tri_table_get(const tri_table *t, uint32_t i, tri_val *out)
{
    if (i >= t->vm.size)
        return false;
    *out = rt_val_from_raw(t->type.elem, t->vm.elems[i]);
    return true;
}

tri_error *tri_table_set(tri_table *t, uint32_t i, tri_val v)
{
    uint64_t raw;
    if (!elem_of(t, v, &raw))
        return rt_error(TRI_ERR_ARG, "value has the wrong kind or store for this table");
    if (i >= t->vm.size)
        return rt_trap_error(TRI_TRAP_TABLE_OOB);
    t->vm.elems[i] = (uintptr_t)raw;
    return NULL;
}

tri_error *tri_table_grow(tri_table *t, uint32_t delta, tri_val init, uint32_t *old_size)
{
    uint64_t raw;
    if (!elem_of(t, init, &raw))
        return rt_error(TRI_ERR_ARG, "value has the wrong kind or store for this table");
    int64_t old = rt_table_grow(t, delta, raw);
    if (old < 0)
        return rt_error(TRI_ERR_LIMIT, "cannot grow table of %u elements by %u", t->vm.size,
                        delta);
    if (old_size)
        *old_size = (uint32_t)old;
    return NULL;
}
