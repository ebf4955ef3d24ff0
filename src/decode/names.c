/* The "name" custom section: module, function and local names. It is only
 * a debugging aid, so a malformed one is ignored rather than rejected. */
#include <string.h>

#include "decode.h"

static bool read_name(struct reader *r, struct name *n)
{
    uint32_t len;
    if (!rd_u32(r, &len) || len > (size_t)(r->end - r->p) || !utf8_valid(r->p, len))
        return false;
    n->p = r->p;
    n->len = len;
    r->p += len;
    return true;
}

static bool function_names(struct module *m, struct reader *r)
{
    uint32_t n;
    if (!rd_u32(r, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx;
        struct name nm;
        if (!rd_u32(r, &idx) || !read_name(r, &nm))
            return false;
        if (idx < m->nfuncs)
            m->func_names[idx] = nm;
    }
    return true;
}

static bool local_names(struct module *m, struct reader *r)
{
    uint32_t n;
    if (!rd_u32(r, &n) || n > (size_t)(r->end - r->p))
        return false;
    struct local_names *ln = arena_array(&m->arena, n ? n : 1, sizeof *ln);
    if (!ln)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t count;
        if (!rd_u32(r, &ln[i].func) || !rd_u32(r, &count) ||
            count > (size_t)(r->end - r->p) / 2)
            return false;
        ln[i].count = count;
        ln[i].index = arena_array(&m->arena, count ? count : 1, sizeof *ln[i].index);
        ln[i].names = arena_array(&m->arena, count ? count : 1, sizeof *ln[i].names);
        if (!ln[i].index || !ln[i].names)
            return false;
        for (uint32_t k = 0; k < count; k++)
            if (!rd_u32(r, &ln[i].index[k]) || !read_name(r, &ln[i].names[k]))
                return false;
    }
    m->local_names = ln;
    m->nlocal_names = n;
    return true;
}

void dec_names(struct module *m)
{
    const struct custom *c = NULL;
    for (uint32_t i = 0; i < m->ncustoms; i++)
        if (m->customs[i].name.len == 4 && !memcmp(m->customs[i].name.p, "name", 4))
            c = &m->customs[i];
    if (!c)
        return;
    struct err e = {0};
    struct reader r = {m->bytes, c->p, c->p + c->len, &e};
    while (!rd_done(&r)) {
        uint8_t id;
        uint32_t size;
        if (!rd_u8(&r, &id) || !rd_u32(&r, &size) || size > (size_t)(r.end - r.p))
            return;
        struct reader sub = {m->bytes, r.p, r.p + size, &e};
        r.p += size;
        bool ok = true;
        if (id == 0)
            ok = read_name(&sub, &m->module_name);
        else if (id == 1)
            ok = function_names(m, &sub);
        else if (id == 2)
            ok = local_names(m, &sub);
        if (!ok)
            return;
    }
}
