/* Module decoding: the preamble and every section of the 2.0 format. */
#include <stdio.h>
#include <string.h>

#include "decode.h"

enum {
    SEC_CUSTOM = 0, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY,
    SEC_GLOBAL, SEC_EXPORT, SEC_START, SEC_ELEMENT, SEC_CODE, SEC_DATA,
    SEC_DATACOUNT,
};

/* Position of each section id in the required order (datacount sits
 * between element and code). */
static const uint8_t section_rank[] = {
    [SEC_TYPE] = 1, [SEC_IMPORT] = 2, [SEC_FUNCTION] = 3, [SEC_TABLE] = 4,
    [SEC_MEMORY] = 5, [SEC_GLOBAL] = 6, [SEC_EXPORT] = 7, [SEC_START] = 8,
    [SEC_ELEMENT] = 9, [SEC_DATACOUNT] = 10, [SEC_CODE] = 11, [SEC_DATA] = 12,
};

struct dec {
    struct module *m;
    struct reader r;
    uint32_t ndefined_funcs; /* from the function section */
    bool saw_code;
};

static bool oom(struct dec *d) { return err_set(d->r.err, ERR_NOMEM, rd_offset(&d->r), "out of memory"); }

#define ALLOC_N(d, ptr, n)                                                     \
    ((ptr) = arena_array(&(d)->m->arena, (n) ? (n) : 1, sizeof *(ptr)), (ptr) ? true : oom(d))

/* Reads a vector length and checks it against the bytes left, assuming each
 * element takes at least min_size bytes (guards huge allocations). */
static bool read_count(struct dec *d, uint32_t *n, size_t min_size)
{
    if (!rd_u32(&d->r, n))
        return false;
    if (min_size && (uint64_t)*n * min_size > (uint64_t)(d->r.end - d->r.p))
        return rd_fail(&d->r, *n > 0 && d->r.p == d->r.end ? "unexpected end" : "length out of bounds");
    return true;
}

static bool read_name(struct dec *d, struct name *out)
{
    uint32_t len;
    if (!rd_u32(&d->r, &len))
        return false;
    if (len > (size_t)(d->r.end - d->r.p))
        return rd_fail(&d->r, "length out of bounds");
    if (!utf8_valid(d->r.p, len))
        return rd_fail(&d->r, "malformed UTF-8 encoding");
    out->p = d->r.p;
    out->len = len;
    d->r.p += len;
    return true;
}

static bool read_valtype(struct dec *d, valtype *t)
{
    uint8_t b;
    if (!rd_u8(&d->r, &b))
        return false;
    if (!dec_is_valtype(b)) {
        d->r.p--;
        return rd_fail(&d->r, "malformed value type");
    }
    *t = b;
    return true;
}

static bool read_reftype(struct dec *d, valtype *t)
{
    uint8_t b;
    if (!rd_u8(&d->r, &b))
        return false;
    if (!dec_is_reftype(b)) {
        d->r.p--;
        return rd_fail(&d->r, "malformed reference type");
    }
    *t = b;
    return true;
}

static bool read_limits(struct dec *d, struct limits *l)
{
    uint8_t flag;
    uint32_t v;
    if (!rd_u8(&d->r, &flag))
        return false;
    if (flag > 1) {
        d->r.p--;
        return rd_fail(&d->r, "integer too large");
    }
    if (!rd_u32(&d->r, &v))
        return false;
    l->min = v;
    l->has_max = flag == 1;
    l->max = 0;
    if (l->has_max) {
        if (!rd_u32(&d->r, &v))
            return false;
        l->max = v;
    }
    return true;
}

static bool read_tabletype(struct dec *d, struct tabletype *t)
{
    return read_reftype(d, &t->elem) && read_limits(d, &t->lim);
}

static bool read_globaltype(struct dec *d, struct globaltype *g)
{
    uint8_t mut;
    if (!read_valtype(d, &g->type) || !rd_u8(&d->r, &mut))
        return false;
    if (mut > 1) {
        d->r.p--;
        return rd_fail(&d->r, "malformed mutability");
    }
    g->mut = mut;
    return true;
}

/* A constant expression: instructions up to the `end` that closes it. */
static bool read_expr(struct dec *d, struct expr *x)
{
    x->p = d->r.p;
    x->offset = (uint32_t)rd_offset(&d->r);
    uint32_t depth = 0;
    for (;;) {
        struct insn in;
        if (!dec_insn(&d->r, &in))
            return false;
        if (in.op == OP_BLOCK || in.op == OP_LOOP || in.op == OP_IF)
            depth++;
        else if (in.op == OP_END && depth-- == 0)
            break;
    }
    x->len = (uint32_t)(d->r.p - x->p);
    return true;
}

static bool sec_type(struct dec *d)
{
    struct module *m = d->m;
    if (!read_count(d, &m->ntypes, 3) || !ALLOC_N(d, m->types, m->ntypes))
        return false;
    for (uint32_t i = 0; i < m->ntypes; i++) {
        struct functype *f = &m->types[i];
        uint8_t form;
        if (!rd_u8(&d->r, &form))
            return false;
        if (form != 0x60) {
            d->r.p--;
            return rd_fail(&d->r, "integer representation too long");
        }
        /* Count both vectors first so the types go in one array. */
        const uint8_t *start = d->r.p;
        uint32_t np, nr;
        if (!read_count(d, &np, 1))
            return false;
        d->r.p += np;
        if (!read_count(d, &nr, 1))
            return false;
        d->r.p = start;
        f->nparams = np;
        f->nresults = nr;
        if (!ALLOC_N(d, f->types, (size_t)np + nr))
            return false;
        rd_u32(&d->r, &np);
        for (uint32_t k = 0; k < f->nparams; k++)
            if (!read_valtype(d, &f->types[k]))
                return false;
        rd_u32(&d->r, &nr);
        for (uint32_t k = 0; k < f->nresults; k++)
            if (!read_valtype(d, &f->types[f->nparams + k]))
                return false;
    }
    return true;
}

static bool sec_import(struct dec *d)
{
    struct module *m = d->m;
    if (!read_count(d, &m->nimports, 4) || !ALLOC_N(d, m->imports, m->nimports))
        return false;
    for (uint32_t i = 0; i < m->nimports; i++) {
        struct import *im = &m->imports[i];
        uint8_t kind;
        if (!read_name(d, &im->module) || !read_name(d, &im->field) || !rd_u8(&d->r, &kind))
            return false;
        im->kind = kind;
        bool ok;
        switch (kind) {
        case EXT_FUNC: ok = rd_u32(&d->r, &im->desc.func_type); m->nfunc_imports++; break;
        case EXT_TABLE: ok = read_tabletype(d, &im->desc.table); m->ntable_imports++; break;
        case EXT_MEMORY: ok = read_limits(d, &im->desc.mem.lim); m->nmem_imports++; break;
        case EXT_GLOBAL: ok = read_globaltype(d, &im->desc.global); m->nglobal_imports++; break;
        default:
            d->r.p--;
            return rd_fail(&d->r, "malformed import kind");
        }
        if (!ok)
            return false;
    }
    return true;
}

static bool sec_function(struct dec *d)
{
    struct module *m = d->m;
    if (!read_count(d, &d->ndefined_funcs, 1))
        return false;
    m->nfuncs = m->nfunc_imports + d->ndefined_funcs;
    if (m->nfuncs < m->nfunc_imports)
        return rd_fail(&d->r, "too many functions");
    struct func *f;
    if (!ALLOC_N(d, f, m->nfuncs))
        return false;
    m->funcs = f;
    for (uint32_t i = 0; i < d->ndefined_funcs; i++)
        if (!rd_u32(&d->r, &f[m->nfunc_imports + i].type))
            return false;
    return true;
}

static bool sec_table(struct dec *d)
{
    struct module *m = d->m;
    uint32_t n;
    if (!read_count(d, &n, 3))
        return false;
    m->ntables = m->ntable_imports + n;
    if (!ALLOC_N(d, m->tables, m->ntables))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!read_tabletype(d, &m->tables[m->ntable_imports + i]))
            return false;
    return true;
}

static bool sec_memory(struct dec *d)
{
    struct module *m = d->m;
    uint32_t n;
    if (!read_count(d, &n, 2))
        return false;
    m->nmems = m->nmem_imports + n;
    if (!ALLOC_N(d, m->mems, m->nmems))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!read_limits(d, &m->mems[m->nmem_imports + i].lim))
            return false;
    return true;
}

static bool sec_global(struct dec *d)
{
    struct module *m = d->m;
    uint32_t n;
    if (!read_count(d, &n, 3))
        return false;
    m->nglobals = m->nglobal_imports + n;
    if (!ALLOC_N(d, m->globals, m->nglobals))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        struct global *g = &m->globals[m->nglobal_imports + i];
        if (!read_globaltype(d, &g->type) || !read_expr(d, &g->init))
            return false;
    }
    return true;
}

static bool sec_export(struct dec *d)
{
    struct module *m = d->m;
    if (!read_count(d, &m->nexports, 3) || !ALLOC_N(d, m->exports, m->nexports))
        return false;
    for (uint32_t i = 0; i < m->nexports; i++) {
        struct export *x = &m->exports[i];
        uint8_t kind;
        if (!read_name(d, &x->name) || !rd_u8(&d->r, &kind))
            return false;
        if (kind > EXT_GLOBAL) {
            d->r.p--;
            return rd_fail(&d->r, "malformed export kind");
        }
        x->kind = kind;
        if (!rd_u32(&d->r, &x->index))
            return false;
    }
    return true;
}

static bool sec_start(struct dec *d)
{
    d->m->has_start = true;
    return rd_u32(&d->r, &d->m->start);
}

static bool read_elem_items(struct dec *d, struct elem *el, bool exprs)
{
    if (!read_count(d, &el->count, 1))
        return false;
    if (exprs) {
        if (!ALLOC_N(d, el->exprs, el->count))
            return false;
        for (uint32_t i = 0; i < el->count; i++)
            if (!read_expr(d, &el->exprs[i]))
                return false;
        return true;
    }
    if (!ALLOC_N(d, el->funcs, el->count))
        return false;
    for (uint32_t i = 0; i < el->count; i++)
        if (!rd_u32(&d->r, &el->funcs[i]))
            return false;
    return true;
}

static bool sec_element(struct dec *d)
{
    struct module *m = d->m;
    if (!read_count(d, &m->nelems, 1) || !ALLOC_N(d, m->elems, m->nelems))
        return false;
    for (uint32_t i = 0; i < m->nelems; i++) {
        struct elem *el = &m->elems[i];
        el->offset_in_module = (uint32_t)rd_offset(&d->r);
        uint32_t flags;
        if (!rd_u32(&d->r, &flags))
            return false;
        if (flags > 7)
            return rd_fail(&d->r, "malformed elements segment kind");
        bool passive_or_decl = flags & 1, explicit_table = flags & 2, exprs = flags & 4;
        el->type = VT_FUNCREF;
        if (!passive_or_decl) {
            el->mode = SEG_ACTIVE;
            if (explicit_table && !rd_u32(&d->r, &el->table))
                return false;
            if (!read_expr(d, &el->offset))
                return false;
        } else {
            el->mode = explicit_table ? SEG_DECLARATIVE : SEG_PASSIVE;
        }
        /* Forms 0 and 4 imply funcref; the others name an element kind
         * (0x00 for function indices) or a reference type. */
        if (flags != 0 && flags != 4) {
            if (exprs) {
                if (!read_reftype(d, &el->type))
                    return false;
            } else {
                uint8_t kind;
                if (!rd_u8(&d->r, &kind))
                    return false;
                if (kind != 0) {
                    d->r.p--;
                    return rd_fail(&d->r, "malformed element kind");
                }
            }
        }
        if (!read_elem_items(d, el, exprs))
            return false;
    }
    return true;
}

static bool sec_datacount(struct dec *d)
{
    d->m->has_data_count = true;
    return rd_u32(&d->r, &d->m->data_count);
}

static bool read_body(struct dec *d, struct func *f)
{
    struct reader *r = &d->r;
    f->body_offset = (uint32_t)rd_offset(r);
    uint32_t size;
    if (!rd_u32(r, &size))
        return false;
    if (size > (size_t)(r->end - r->p))
        return rd_fail(r, "unexpected end of section or function");
    const uint8_t *end = r->p + size;
    const uint8_t *outer_end = r->end;
    r->end = end; /* the body's own bounds */
    uint32_t ndecls;
    if (!read_count(d, &ndecls, 2) || !ALLOC_N(d, f->local_decls, ndecls))
        goto fail;
    f->nlocal_decls = ndecls;
    uint64_t total = 0;
    for (uint32_t i = 0; i < ndecls; i++) {
        struct local_decl *ld = &f->local_decls[i];
        if (!rd_u32(r, &ld->count) || !read_valtype(d, &ld->type))
            goto fail;
        total += ld->count;
        if (total > UINT32_MAX) {
            rd_fail(r, "too many locals");
            goto fail;
        }
    }
    f->nlocals = total;
    f->code = r->p;
    f->code_offset = (uint32_t)rd_offset(r);
    f->code_end = end;
    r->p = end;
    r->end = outer_end;
    return true;
fail:
    r->end = outer_end;
    return false;
}

static bool sec_code(struct dec *d)
{
    struct module *m = d->m;
    uint32_t n;
    if (!read_count(d, &n, 2))
        return false;
    if (n != d->ndefined_funcs)
        return rd_fail(&d->r, "function and code section have inconsistent lengths");
    d->saw_code = true;
    for (uint32_t i = 0; i < n; i++)
        if (!read_body(d, &m->funcs[m->nfunc_imports + i]))
            return false;
    return true;
}

static bool sec_data(struct dec *d)
{
    struct module *m = d->m;
    if (!read_count(d, &m->ndatas, 1))
        return false;
    if (m->has_data_count && m->data_count != m->ndatas)
        return rd_fail(&d->r, "data count and data section have inconsistent lengths");
    if (!ALLOC_N(d, m->datas, m->ndatas))
        return false;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        struct data *s = &m->datas[i];
        s->offset_in_module = (uint32_t)rd_offset(&d->r);
        uint32_t flags, len;
        if (!rd_u32(&d->r, &flags))
            return false;
        if (flags > 2)
            return rd_fail(&d->r, "malformed data segment kind");
        s->mode = flags == 1 ? SEG_PASSIVE : SEG_ACTIVE;
        if (flags == 2 && !rd_u32(&d->r, &s->memory))
            return false;
        if (flags != 1 && !read_expr(d, &s->offset))
            return false;
        if (!rd_u32(&d->r, &len))
            return false;
        if (len > (size_t)(d->r.end - d->r.p))
            return rd_fail(&d->r, "unexpected end of section or function");
        s->bytes = d->r.p;
        s->len = len;
        d->r.p += len;
    }
    return true;
}

static bool sec_custom(struct dec *d)
{
    struct module *m = d->m;
    struct custom c;
    c.offset = (uint32_t)rd_offset(&d->r);
    if (!read_name(d, &c.name))
        return false;
    c.p = d->r.p;
    c.len = (uint32_t)(d->r.end - d->r.p);
    d->r.p = d->r.end;
    struct custom *nc = arena_array(&m->arena, m->ncustoms + 1, sizeof *nc);
    if (!nc)
        return oom(d);
    if (m->ncustoms)
        memcpy(nc, m->customs, m->ncustoms * sizeof *nc);
    nc[m->ncustoms++] = c;
    m->customs = nc;
    return true;
}

static bool (*const section_fn[])(struct dec *) = {
    [SEC_CUSTOM] = sec_custom,     [SEC_TYPE] = sec_type,
    [SEC_IMPORT] = sec_import,     [SEC_FUNCTION] = sec_function,
    [SEC_TABLE] = sec_table,       [SEC_MEMORY] = sec_memory,
    [SEC_GLOBAL] = sec_global,     [SEC_EXPORT] = sec_export,
    [SEC_START] = sec_start,       [SEC_ELEMENT] = sec_element,
    [SEC_CODE] = sec_code,         [SEC_DATA] = sec_data,
    [SEC_DATACOUNT] = sec_datacount,
};

static bool read_sections(struct dec *d)
{
    struct reader *r = &d->r;
    unsigned last_rank = 0;
    while (!rd_done(r)) {
        uint8_t id;
        uint32_t size;
        rd_u8(r, &id);
        if (id >= ARRAY_LEN(section_fn)) {
            r->p--;
            return rd_fail(r, "malformed section id");
        }
        if (!rd_u32(r, &size))
            return false;
        if (size > (size_t)(r->end - r->p))
            return rd_fail(r, "length out of bounds");
        if (id != SEC_CUSTOM) {
            if (section_rank[id] <= last_rank)
                return rd_fail(r, "unexpected content after last section");
            last_rank = section_rank[id];
        }
        const uint8_t *end = r->p + size;
        const uint8_t *outer_end = r->end;
        r->end = end;
        bool ok = section_fn[id](d);
        r->end = outer_end;
        if (!ok) {
            /* Running out inside a section means the size was wrong. */
            if (r->err->code == ERR_MALFORMED && !strcmp(r->err->msg, "unexpected end") &&
                end != outer_end)
                snprintf(r->err->msg, sizeof r->err->msg, "unexpected end of section or function");
            return false;
        }
        if (r->p != end)
            return rd_fail(r, "section size mismatch");
    }
    return true;
}

/* Functions, tables, memories and globals that are imported get their
 * index-space entries filled from the import list. */
static bool fill_imports(struct dec *d)
{
    struct module *m = d->m;
    if (!m->funcs) {
        m->nfuncs = m->nfunc_imports;
        if (!ALLOC_N(d, m->funcs, m->nfuncs))
            return false;
    }
    if (!m->tables) {
        m->ntables = m->ntable_imports;
        if (!ALLOC_N(d, m->tables, m->ntables))
            return false;
    }
    if (!m->mems) {
        m->nmems = m->nmem_imports;
        if (!ALLOC_N(d, m->mems, m->nmems))
            return false;
    }
    if (!m->globals) {
        m->nglobals = m->nglobal_imports;
        if (!ALLOC_N(d, m->globals, m->nglobals))
            return false;
    }
    uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const struct import *im = &m->imports[i];
        switch (im->kind) {
        case EXT_FUNC: m->funcs[nf++].type = im->desc.func_type; break;
        case EXT_TABLE: m->tables[nt++] = im->desc.table; break;
        case EXT_MEMORY: m->mems[nm++] = im->desc.mem; break;
        case EXT_GLOBAL: m->globals[ng++].type = im->desc.global; break;
        }
    }
    if (!m->func_names && !ALLOC_N(d, m->func_names, m->nfuncs))
        return false;
    return true;
}

bool dec_module(struct module *m, const uint8_t *bytes, size_t len, struct err *e)
{
    memset(m, 0, sizeof *m);
    m->bytes = bytes;
    m->size = len;
    struct dec d = {.m = m, .r = {bytes, bytes, bytes + len, e}};
    static const uint8_t magic[4] = {0, 'a', 's', 'm'}, version[4] = {1, 0, 0, 0};
    if (len < 4 || memcmp(bytes, magic, 4))
        return rd_fail(&d.r, "magic header not detected"), dec_module_free(m), false;
    d.r.p += 4;
    if (len < 8 || memcmp(bytes + 4, version, 4))
        return rd_fail(&d.r, "unknown binary version"), dec_module_free(m), false;
    d.r.p += 4;
    bool ok = read_sections(&d);
    if (ok && d.ndefined_funcs && !d.saw_code)
        ok = rd_fail(&d.r, "function and code section have inconsistent lengths");
    if (ok && m->has_data_count && m->data_count && !m->datas)
        ok = rd_fail(&d.r, "data count and data section have inconsistent lengths");
    if (ok)
        ok = fill_imports(&d);
    if (ok)
        dec_names(m);
    if (!ok)
        dec_module_free(m);
    return ok;
}

void dec_module_free(struct module *m)
{
    arena_free(&m->arena);
    const uint8_t *b = m->bytes;
    size_t n = m->size;
    memset(m, 0, sizeof *m);
    m->bytes = b;
    m->size = n;
}
