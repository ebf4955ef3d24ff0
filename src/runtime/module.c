/* Modules: decode, validate, compile with the engine's backend, load the
 * code, and describe imports and exports with canonical types. */
#include <string.h>

#include "../text/text.h"
#include "../validate/validate.h"
#include "runtime.h"

static tri_functype functype_of(const struct functype *t)
{
    return (tri_functype){t->nparams, t->nresults, ft_params(t), ft_results(t)};
}

static tri_limits limits_of(const struct limits *l)
{
    return (tri_limits){l->min, l->max, l->has_max};
}

/* A NUL-terminated copy of a name in the module's arena. */
static const char *name_dup(struct module *m, struct name n)
{
    return arena_strndup(&m->arena, (const char *)n.p, n.len);
}

static tri_externtype import_type(const tri_module *mod, const struct import *im)
{
    tri_externtype t = {.kind = (tri_externkind)im->kind};
    switch (im->kind) {
    case EXT_FUNC: t.of.func = *mod->types[im->desc.func_type]; break;
    case EXT_TABLE:
        t.of.table = (tri_tabletype){im->desc.table.elem, limits_of(&im->desc.table.lim)};
        break;
    case EXT_MEMORY: t.of.memory = limits_of(&im->desc.mem.lim); break;
    case EXT_GLOBAL:
        t.of.global = (tri_globaltype){im->desc.global.type, im->desc.global.mut};
        break;
    }
    return t;
}

static tri_externtype export_type(const tri_module *mod, const struct export *ex)
{
    const struct module *m = &mod->m;
    tri_externtype t = {.kind = (tri_externkind)ex->kind};
    switch (ex->kind) {
    case EXT_FUNC: t.of.func = *mod->types[m->funcs[ex->index].type]; break;
    case EXT_TABLE: {
        const struct tabletype *tt = &m->tables[ex->index];
        t.of.table = (tri_tabletype){tt->elem, limits_of(&tt->lim)};
        break;
    }
    case EXT_MEMORY: t.of.memory = limits_of(&m->mems[ex->index].lim); break;
    case EXT_GLOBAL: {
        const struct globaltype *g = &m->globals[ex->index].type;
        t.of.global = (tri_globaltype){g->type, g->mut};
        break;
    }
    }
    return t;
}

/* Canonical ids for the module's types, and the names hosts see. */
static tri_error *describe(tri_module *mod)
{
    struct module *m = &mod->m;
    mod->type_ids = arena_array(&m->arena, m->ntypes, sizeof *mod->type_ids);
    mod->types = arena_array(&m->arena, m->ntypes, sizeof *mod->types);
    mod->imports = arena_array(&m->arena, m->nimports, sizeof *mod->imports);
    mod->exports = arena_array(&m->arena, m->nexports, sizeof *mod->exports);
    mod->func_names = arena_array(&m->arena, m->nfuncs, sizeof *mod->func_names);
    if ((m->ntypes && (!mod->type_ids || !mod->types)) || (m->nimports && !mod->imports) ||
        (m->nexports && !mod->exports) || (m->nfuncs && !mod->func_names))
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < m->ntypes; i++) {
        tri_functype t = functype_of(&m->types[i]);
        for (uint32_t k = 0; k < t.nparams + t.nresults; k++)
            if (!rt_valkind_supported(m->types[i].types[k]))
                return rt_error(TRI_ERR_UNSUPPORTED, "type %u uses %s, which is not supported", i,
                                dec_valtype_name(m->types[i].types[k]));
        mod->type_ids[i] = rt_type_intern(mod->engine, &t, &mod->types[i]);
        if (!mod->type_ids[i])
            return rt_error(TRI_ERR_NOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < m->nimports; i++) {
        const struct import *im = &m->imports[i];
        tri_importtype *d = &mod->imports[i];
        d->module = name_dup(m, im->module);
        d->module_len = im->module.len;
        d->name = name_dup(m, im->field);
        d->name_len = im->field.len;
        d->type = import_type(mod, im);
        if (!d->module || !d->name)
            return rt_error(TRI_ERR_NOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < m->nexports; i++) {
        tri_exporttype *d = &mod->exports[i];
        d->name = name_dup(m, m->exports[i].name);
        d->name_len = m->exports[i].name.len;
        d->type = export_type(mod, &m->exports[i]);
        if (!d->name)
            return rt_error(TRI_ERR_NOMEM, "out of memory");
    }
    for (uint32_t i = 0; m->func_names && i < m->nfuncs; i++)
        if (m->func_names[i].len)
            mod->func_names[i] = name_dup(m, m->func_names[i]);
    if (m->module_name.len)
        mod->name = name_dup(m, m->module_name);
    return NULL;
}

static tri_error *load(tri_module *mod)
{
    struct err e;
    err_clear(&e);
    if (!rt_code_load(&mod->code, &mod->art, mod->m.nfunc_imports, &e))
        return rt_error_from(&e);
    return NULL;
}

/* A precompiled artifact: its code relies on guard pages unless it was
 * compiled with bounds checks, so an engine without them cannot run it. */
static tri_error *load_precompiled(tri_module *mod)
{
    struct err e;
    err_clear(&e);
    if (mod->art.code.len && !mod->art.options.bounds_checks &&
        mod->engine->config.bounds_checks)
        return rt_error(TRI_ERR_UNSUPPORTED,
                        "the precompiled code relies on guard pages, but the engine uses "
                        "explicit bounds checks: compile it with bounds checks");
    if (!cc_artifact_finish(&mod->art, &mod->m, &e))
        return rt_error_from(&e);
    return load(mod);
}

/* Gets the artifact (from the cache or the backend) and loads its code. */
static tri_error *compile(tri_module *mod, const struct cc_backend *backend)
{
    struct module *m = &mod->m;
    struct err e;
    err_clear(&e);
    struct cc_options o = {.opt_level = (uint8_t)mod->engine->config.opt_level,
                           .bounds_checks = mod->engine->config.bounds_checks};
    if (m->nfuncs == m->nfunc_imports) {
        cc_artifact_init(&mod->art, "none", &o); /* no code: no backend needed */
        return NULL;
    }
    if (!backend) {
        if (!val_module(m, &e))
            return rt_error_from(&e);
        return rt_error(TRI_ERR_UNSUPPORTED, "backend '%s' is not available in this build",
                        mod->engine->backend_name);
    }
    /* Only registered backends: a test's own backend may make different
     * code for the same bytes and name. */
    struct rt_cache_key k;
    bool cache = cc_backend_find(backend->name) == backend &&
                 rt_cache_key(mod->engine, backend, &o, m->bytes, m->size, &k);
    if (cache && rt_cache_load(mod->engine, &k, &mod->art)) {
        if (cc_artifact_finish(&mod->art, m, &e))
            return load(mod);
        cc_artifact_free(&mod->art); /* whole but wrong for the module: compile afresh */
        err_clear(&e);
    }
    if (!backend->compile(m, &o, &mod->art, &e) || !cc_artifact_finish(&mod->art, m, &e))
        return rt_error_from(&e);
    if (cache)
        rt_cache_store(mod->engine, &k, m->bytes, m->size, &mod->art);
    return load(mod);
}

/* The module's bytes and artifact from a .twasm file. */
static tri_error *from_twasm(tri_module *mod, const uint8_t *bytes, size_t len, size_t *blen)
{
    struct err err;
    err_clear(&err);
    struct rt_twasm_file f;
    if (!rt_twasm_read(bytes, len, NULL, &f, &err))
        return rt_error_from(&err);
    mod->art = f.art;
    mod->bytes = f.module;
    *blen = f.module_len;
    return NULL;
}

/* A malloc'd binary (owned by the caller) for input that is binary or text. */
static tri_error *binary_of(const uint8_t *bytes, size_t len, uint8_t **bin, size_t *blen)
{
    struct err err;
    err_clear(&err);
    uint8_t *p;
    bool owned;
    if (!len) /* an empty file is a broken binary more often than empty text */
        return rt_error(TRI_ERR_MALFORMED, "empty input: no module");
    if (!bytes)
        return rt_error(TRI_ERR_ARG, "no bytes");
    if (!txt_module_bytes(bytes, len, &p, blen, &owned, &err))
        return rt_error_from(&err);
    *bin = owned ? p : malloc(*blen ? *blen : 1);
    if (!*bin)
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    if (!owned && *blen)
        memcpy(*bin, p, *blen);
    return NULL;
}

/* Everything after decoding: header checks, vmctx layout, descriptions,
 * code (compiled, or precompiled and only loaded). */
static tri_error *prepare(tri_module *mod, const struct cc_backend *backend, bool precompiled)
{
    struct err err;
    err_clear(&err);
    if (!val_module_header(&mod->m, &err))
        return rt_error_from(&err);
    if (!cc_vmctx_layout(&mod->m, &mod->layout))
        return rt_error(TRI_ERR_LIMIT, "module too large");
    tri_error *r = describe(mod);
    return r ? r : precompiled ? load_precompiled(mod) : compile(mod, backend);
}

tri_error *rt_module_new(tri_engine *e, const uint8_t *bytes, size_t len,
                         const struct cc_backend *backend, tri_module **out)
{
    *out = NULL;
    if (!e)
        return rt_error(TRI_ERR_ARG, "no engine");
    tri_module *mod = calloc(1, sizeof *mod);
    if (!mod)
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    size_t blen;
    bool precompiled = bytes && rt_twasm_is(bytes, len);
    tri_error *r = precompiled ? from_twasm(mod, bytes, len, &blen)
                               : binary_of(bytes, len, &mod->bytes, &blen);
    if (r) {
        free(mod);
        return r;
    }
    mod->engine = e;
    atomic_init(&mod->refs, 1);
    struct err err;
    err_clear(&err);
    if (!dec_module(&mod->m, mod->bytes, blen, &err)) {
        cc_artifact_free(&mod->art);
        free(mod->bytes);
        free(mod);
        return rt_error_from(&err);
    }
    if ((r = prepare(mod, backend, precompiled))) {
        tri_module_delete(mod);
        return r;
    }
    *out = mod;
    return NULL;
}

tri_error *tri_module_new(tri_engine *e, const uint8_t *bytes, size_t len, tri_module **out)
{
    return rt_module_new(e, bytes, len, e->backend, out);
}

tri_error *tri_module_validate(tri_engine *e, const uint8_t *bytes, size_t len)
{
    (void)e;
    uint8_t *bin;
    size_t blen;
    tri_error *r = binary_of(bytes, len, &bin, &blen);
    if (r)
        return r;
    struct module m;
    struct err err;
    err_clear(&err);
    bool ok = dec_module(&m, bin, blen, &err);
    if (ok) {
        ok = val_module(&m, &err);
        dec_module_free(&m);
    }
    free(bin);
    return ok ? NULL : rt_error_from(&err);
}

void rt_module_retain(tri_module *m) { atomic_fetch_add(&m->refs, 1); }

void tri_module_delete(tri_module *m)
{
    if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    rt_code_free(&m->code);
    cc_artifact_free(&m->art);
    dec_module_free(&m->m);
    free(m->bytes);
    free(m);
}

bool rt_module_has_pc(const tri_module *m, uintptr_t pc, uint32_t *offset)
{
    uintptr_t base = (uintptr_t)m->code.base;
    if (!base || pc < base || pc >= base + m->code.code_len)
        return false;
    *offset = (uint32_t)(pc - base);
    return true;
}

size_t tri_module_import_count(const tri_module *m) { return m->m.nimports; }
size_t tri_module_export_count(const tri_module *m) { return m->m.nexports; }

void tri_module_import(const tri_module *m, size_t i, tri_importtype *out)
{
    if (i < m->m.nimports)
        *out = m->imports[i];
}

void tri_module_export(const tri_module *m, size_t i, tri_exporttype *out)
{
    if (i < m->m.nexports)
        *out = m->exports[i];
}
