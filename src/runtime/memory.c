/* Linear memories. Guard mode reserves 8 GiB of inaccessible address space
 * and opens pages as the memory grows, so compiled code needs no bounds
 * checks and the base never moves. Bounds-check mode maps just the pages
 * in use and moves them with mremap when growing. */
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

static uint64_t max_pages_of(const tri_store *s, tri_limits lim)
{
    uint64_t cap = s->engine->config.memory_limit / RT_PAGE;
    uint64_t max = lim.has_max ? lim.max : RT_MAX_PAGES;
    return max < cap ? max : cap;
}

static void memory_destroy(struct rt_object *o)
{
    tri_memory *m = (tri_memory *)((char *)o - offsetof(tri_memory, obj));
    if (m->base)
        munmap(m->base, m->guard ? RT_GUARD_RESERVE : m->size);
    vec_free(&m->views);
    free(m);
}

static bool map_initial(tri_memory *m, uint64_t bytes)
{
    if (m->guard) {
        void *p = mmap(NULL, RT_GUARD_RESERVE, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            return false;
        m->base = p;
        return !bytes || mprotect(p, bytes, PROT_READ | PROT_WRITE) == 0;
    }
    if (!bytes)
        return true;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    m->base = p;
    return true;
}

tri_error *rt_memory_create(tri_store *s, tri_limits lim, tri_memory **out)
{
    *out = NULL;
    if (lim.min > RT_MAX_PAGES || (lim.has_max && (lim.max > RT_MAX_PAGES || lim.max < lim.min)))
        return rt_error(TRI_ERR_ARG, "memory limits out of range");
    if (lim.min > max_pages_of(s, lim))
        return rt_error(TRI_ERR_LIMIT, "memory of %llu pages exceeds the memory limit",
                        (unsigned long long)lim.min);
    tri_memory *m = calloc(1, sizeof *m);
    if (!m)
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    m->store = s;
    m->type = lim;
    m->max_pages = max_pages_of(s, lim);
    m->guard = !s->engine->config.bounds_checks;
    m->size = lim.min * RT_PAGE;
    if (!map_initial(m, m->size)) {
        memory_destroy(&m->obj);
        return rt_error(TRI_ERR_NOMEM, "cannot reserve memory of %llu pages",
                        (unsigned long long)lim.min);
    }
    rt_store_adopt(s, &m->obj, memory_destroy);
    *out = m;
    return NULL;
}

/* Points every instance using the memory at its current base and size. */
static void views_update(tri_memory *m)
{
    for (size_t i = 0; i < m->views.len; i++) {
        memcpy(m->views.data[i] + CC_VMCTX_MEM_BASE, &m->base, 8);
        memcpy(m->views.data[i] + CC_VMCTX_MEM_SIZE, &m->size, 8);
    }
}

bool rt_memory_add_view(tri_memory *m, uint8_t *vmctx)
{
    uint8_t **v = vec_push(&m->views);
    if (!v)
        return false;
    *v = vmctx;
    memcpy(vmctx + CC_VMCTX_MEM_BASE, &m->base, 8);
    memcpy(vmctx + CC_VMCTX_MEM_SIZE, &m->size, 8);
    return true;
}

static bool commit(tri_memory *m, uint64_t new_size)
{
    if (m->guard)
        return mprotect(m->base + m->size, new_size - m->size, PROT_READ | PROT_WRITE) == 0;
    void *p = m->base ? mremap(m->base, m->size, new_size, MREMAP_MAYMOVE)
                      : mmap(NULL, new_size, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    m->base = p;
    return true;
}

int64_t rt_memory_grow(tri_memory *m, uint64_t delta)
{
    uint64_t old = m->size / RT_PAGE;
    if (delta > m->max_pages - old)
        return -1;
    if (delta && !commit(m, (old + delta) * RT_PAGE))
        return -1;
    m->size = (old + delta) * RT_PAGE;
    m->type.min = old + delta;
    views_update(m);
    return (int64_t)old;
}

/* ---- public API ---- */

tri_error *tri_memory_new(tri_store *s, tri_limits limits, tri_memory **out)
{
    return rt_memory_create(s, limits, out);
}

tri_limits tri_memory_type(const tri_memory *m) { return m->type; }
uint8_t *tri_memory_data(tri_memory *m) { return m->base; }
size_t tri_memory_data_size(const tri_memory *m) { return m->size; }
uint64_t tri_memory_pages(const tri_memory *m) { return m->size / RT_PAGE; }

tri_error *tri_memory_grow(tri_memory *m, uint64_t delta, uint64_t *old_pages)
{
    int64_t old = rt_memory_grow(m, delta);
    if (old < 0)
        return rt_error(TRI_ERR_LIMIT, "cannot grow memory of %llu pages by %llu",
                        (unsigned long long)tri_memory_pages(m), (unsigned long long)delta);
    if (old_pages)
        *old_pages = (uint64_t)old;
    return NULL;
}
