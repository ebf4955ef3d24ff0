/* Stores: the owner of every instance, function, memory, table and global
 * made in them, freed all at once. */
#include "runtime.h"

tri_store *tri_store_new(tri_engine *e)
{
    tri_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->engine = e;
    atomic_init(&s->codes, NULL);
    return s;
}

void rt_store_adopt(tri_store *s, struct rt_object *o, void (*destroy)(struct rt_object *))
{
    o->destroy = destroy;
    o->next = s->objects;
    s->objects = o;
}

bool rt_store_add_code(tri_store *s, const tri_module *m)
{
    struct rt_code_ref *head = atomic_load(&s->codes);
    for (struct rt_code_ref *r = head; r; r = r->next)
        if (r->module == m)
            return true;
    struct rt_code_ref *r = malloc(sizeof *r);
    if (!r)
        return false;
    r->module = m;
    r->next = head;
    /* Published whole: the signal handler sees the old list or the new. */
    atomic_store(&s->codes, r);
    return true;
}

void rt_store_set_stack_limit(tri_store *s, uintptr_t limit)
{
    if (s->stack_limit == limit)
        return;
    s->stack_limit = limit;
    for (size_t i = 0; i < s->vmctxs.len; i++)
        __builtin_memcpy(s->vmctxs.data[i] + CC_VMCTX_STACK_LIMIT, &limit, sizeof limit);
}

void tri_store_delete(tri_store *s)
{
    if (!s)
        return;
    /* Newest first: an instance dies before the imports it borrowed. */
    for (struct rt_object *o = s->objects, *next; o; o = next) {
        next = o->next;
        o->destroy(o);
    }
    for (struct rt_code_ref *r = atomic_load(&s->codes), *next; r; r = next) {
        next = r->next;
        free(r);
    }
    vec_free(&s->vmctxs);
    free(s);
}
