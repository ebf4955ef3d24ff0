/* Instantiation, in the spec's order: check the imports, allocate the
 * instance (functions, tables, memory, globals, exports, segments), apply
 * active element then data segments until one traps, run the start
 * function. A failed instance stays in the store: its functions may
 * already sit in imported tables. */
#include <string.h>

#include "runtime.h"

static void instance_destroy(struct rt_object *o)
{
    tri_instance *i = (tri_instance *)((char *)o - offsetof(tri_instance, obj));
    const struct module *m = &i->module->m;
    for (uint32_t k = 0; i->elems && k < m->nelems; k++)
        free(i->elems[k].refs);
    free(i->own_funcs);
    free(i->funcs);
    free(i->tables);
    free(i->globals);
    free(i->binds);
    free(i->datas);
    free(i->elems);
    free(i->exports);
    free(i->vmctx);
    tri_module_delete(i->module);
    free(i);
}

static void *vm_slot(tri_instance *i, uint32_t offset) { return i->vmctx + offset; }

static void vm_put_ptr(tri_instance *i, uint32_t offset, const void *p)
{
    memcpy(vm_slot(i, offset), &p, sizeof p);
}

/* Allocates the instance's arrays and vmctx and adopts it into the store. */
static tri_error *allocate(tri_store *s, tri_module *mod, tri_instance **out)
{
    const struct module *m = &mod->m;
    tri_instance *i = calloc(1, sizeof *i);
    if (!i)
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    rt_module_retain(mod);
    i->store = s;
    i->module = mod;
    rt_store_adopt(s, &i->obj, instance_destroy);
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    i->funcs = calloc(m->nfuncs + 1, sizeof *i->funcs);
    i->own_funcs = calloc(ndef + 1, sizeof *i->own_funcs);
    i->tables = calloc(m->ntables + 1, sizeof *i->tables);
    i->globals = calloc(m->nglobals + 1, sizeof *i->globals);
    i->binds = calloc(m->nfunc_imports + 1, sizeof *i->binds);
    i->datas = calloc(m->ndatas + 1, sizeof *i->datas);
    i->elems = calloc(m->nelems + 1, sizeof *i->elems);
    i->exports = calloc(m->nexports + 1, sizeof *i->exports);
    i->vmctx = aligned_alloc(64, (mod->layout.size + 63) & ~63u);
    uint8_t **view = vec_push(&s->vmctxs);
    if (!i->funcs || !i->own_funcs || !i->tables || !i->globals || !i->binds || !i->datas ||
        !i->elems || !i->exports || !i->vmctx || !view || !rt_store_add_code(s, mod)) {
        if (view)
            s->vmctxs.len--;
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    }
    *view = i->vmctx;
    memset(i->vmctx, 0, mod->layout.size);
    vm_put_ptr(i, CC_VMCTX_INSTANCE, i);
    memcpy(vm_slot(i, CC_VMCTX_STACK_LIMIT), &s->stack_limit, sizeof s->stack_limit);
    if (m->ntypes)
        memcpy(vm_slot(i, mod->layout.type_ids), mod->type_ids, m->ntypes * sizeof(uint32_t));
    *out = i;
    return NULL;
}

static void set_func(tri_instance *i, uint32_t f, tri_func *fn)
{
    i->funcs[f] = fn;
    vm_put_ptr(i, i->module->layout.funcrefs + 8 * f, fn);
}

static void set_table(tri_instance *i, uint32_t t, tri_table *tab)
{
    i->tables[t] = tab;
    vm_put_ptr(i, i->module->layout.tables + 8 * t, &tab->vm);
}

static void set_global(tri_instance *i, uint32_t g, tri_global *gl)
{
    i->globals[g] = gl;
    vm_put_ptr(i, i->module->layout.globals + 8 * g, gl->cell);
}

static tri_error *link_imports(tri_instance *i, const tri_extern *imports)
{
    const struct module *m = &i->module->m;
    uint32_t nf = 0, nt = 0, ng = 0;
    for (uint32_t k = 0; k < m->nimports; k++) {
        const tri_extern *x = &imports[k];
        switch (x->kind) {
        case TRI_EXTERN_FUNC: {
            tri_func *f = x->of.func;
            struct cc_vm_import entry = {f->vm.code, f->vm.vmctx};
            if (f->fn) { /* a host function learns which instance called it */
                i->binds[nf] = (struct rt_hostbind){f, i};
                entry.vmctx = &i->binds[nf];
            }
            memcpy(vm_slot(i, i->module->layout.imports + 16 * nf), &entry, sizeof entry);
            set_func(i, nf++, f);
            break;
        }
        case TRI_EXTERN_TABLE: set_table(i, nt++, x->of.table); break;
        case TRI_EXTERN_GLOBAL: set_global(i, ng++, x->of.global); break;
        case TRI_EXTERN_MEMORY:
            i->memory = x->of.memory;
            if (!rt_memory_add_view(i->memory, i->vmctx))
                return rt_error(TRI_ERR_NOMEM, "out of memory");
            break;
        }
    }
    return NULL;
}

static void define_funcs(tri_instance *i)
{
    const tri_module *mod = i->module;
    const struct module *m = &mod->m;
    for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
        tri_func *fn = &i->own_funcs[f - m->nfunc_imports];
        uint32_t t = m->funcs[f].type;
        fn->vm = (struct cc_vm_funcref){
            mod->code.base + mod->art.funcs.data[f - m->nfunc_imports].offset, i->vmctx,
            mod->type_ids[t], 0};
        fn->store = i->store;
        fn->type = mod->types[t];
        fn->instance = i;
        fn->index = f;
        set_func(i, f, fn);
    }
}

static tri_error *define_state(tri_instance *i)
{
    const struct module *m = &i->module->m;
    tri_error *r;
    for (uint32_t t = m->ntable_imports; t < m->ntables; t++) {
        const struct tabletype *tt = &m->tables[t];
        tri_table *tab;
        tri_tabletype type = {tt->elem, {tt->lim.min, tt->lim.max, tt->lim.has_max}};
        if ((r = rt_table_create(i->store, type, 0, &tab)))
            return r;
        set_table(i, t, tab);
    }
    if (m->nmems > m->nmem_imports) {
        const struct limits *l = &m->mems[0].lim;
        if ((r = rt_memory_create(i->store, (tri_limits){l->min, l->max, l->has_max},
                                  &i->memory)))
            return r;
        if (!rt_memory_add_view(i->memory, i->vmctx))
            return rt_error(TRI_ERR_NOMEM, "out of memory");
    }
    for (uint32_t g = m->nglobal_imports; g < m->nglobals; g++) {
        const struct global *gd = &m->globals[g];
        tri_global *gl;
        tri_globaltype type = {gd->type.type, gd->type.mut};
        if ((r = rt_global_create(i->store, type, rt_const_eval(i, &gd->init), &gl)))
            return r;
        set_global(i, g, gl);
    }
    return NULL;
}

static void resolve_exports(tri_instance *i)
{
    const struct module *m = &i->module->m;
    for (uint32_t k = 0; k < m->nexports; k++) {
        const struct export *ex = &m->exports[k];
        tri_extern *x = &i->exports[k];
        x->kind = (tri_externkind)ex->kind;
        switch (ex->kind) {
        case EXT_FUNC: x->of.func = i->funcs[ex->index]; break;
        case EXT_TABLE: x->of.table = i->tables[ex->index]; break;
        case EXT_MEMORY: x->of.memory = i->memory; break;
        case EXT_GLOBAL: x->of.global = i->globals[ex->index]; break;
        }
    }
}

static tri_error *make_segments(tri_instance *i)
{
    const struct module *m = &i->module->m;
    for (uint32_t k = 0; k < m->ndatas; k++)
        i->datas[k] = (struct rt_segment){m->datas[k].len, m->datas[k].bytes, NULL};
    for (uint32_t k = 0; k < m->nelems; k++) {
        const struct elem *el = &m->elems[k];
        uint64_t *refs = calloc(el->count + 1, sizeof *refs);
        if (!refs)
            return rt_error(TRI_ERR_NOMEM, "out of memory");
        for (uint32_t n = 0; n < el->count; n++)
            refs[n] = el->funcs ? (uintptr_t)i->funcs[el->funcs[n]]
                                : rt_const_eval(i, &el->exprs[n]);
        i->elems[k] = (struct rt_segment){el->count, NULL, refs};
    }
    return NULL;
}

/* Active segments in order, dropping each once applied; stops at a trap. */
static tri_error *init_segments(tri_instance *i)
{
    const struct module *m = &i->module->m;
    for (uint32_t k = 0; k < m->nelems; k++) {
        const struct elem *el = &m->elems[k];
        if (el->mode == SEG_ACTIVE) {
            uint32_t d = (uint32_t)rt_const_eval(i, &el->offset);
            tri_trap_code t = rt_table_init(i, el->table, k, d, 0, el->count);
            if (t)
                return rt_trap_error(t);
        }
        if (el->mode != SEG_PASSIVE)
            i->elems[k].len = 0;
    }
    for (uint32_t k = 0; k < m->ndatas; k++) {
        const struct data *dt = &m->datas[k];
        if (dt->mode != SEG_ACTIVE)
            continue;
        uint32_t d = (uint32_t)rt_const_eval(i, &dt->offset);
        tri_trap_code t = rt_memory_init(i, k, d, 0, dt->len);
        if (t)
            return rt_trap_error(t);
        i->datas[k].len = 0;
    }
    return NULL;
}

tri_error *tri_instance_new(tri_store *s, tri_module *mod, const tri_extern *imports, size_t n,
                            tri_instance **out)
{
    *out = NULL;
    if (!s || !mod || (n && !imports))
        return rt_error(TRI_ERR_ARG, "no store, module or imports");
    const struct module *m = &mod->m;
    if (n != m->nimports)
        return rt_error(TRI_ERR_UNLINKABLE, "module has %u imports but %zu were given",
                        m->nimports, n);
    for (size_t k = 0; k < n; k++) {
        tri_error *r = rt_import_check(s, mod, k, &imports[k]);
        if (r)
            return r;
    }
    tri_instance *i;
    tri_error *r = allocate(s, mod, &i);
    if (!r)
        r = link_imports(i, imports);
    if (!r) {
        define_funcs(i);
        r = define_state(i);
    }
    if (!r) {
        resolve_exports(i);
        r = make_segments(i);
    }
    if (!r)
        r = init_segments(i);
    if (!r && m->has_start)
        r = rt_call(i->funcs[m->start], NULL, NULL);
    if (r)
        return r;
    *out = i;
    return NULL;
}

/* ---- exports ---- */

bool tri_instance_export(tri_instance *i, const char *name, size_t len, tri_extern *out)
{
    const tri_module *mod = i->module;
    for (uint32_t k = 0; k < mod->m.nexports; k++) {
        const tri_exporttype *ex = &mod->exports[k];
        if (ex->name_len == len && !memcmp(ex->name, name, len)) {
            *out = i->exports[k];
            return true;
        }
    }
    return false;
}

size_t tri_instance_export_count(const tri_instance *i) { return i->module->m.nexports; }

void tri_instance_export_nth(tri_instance *i, size_t n, const char **name, size_t *len,
                             tri_extern *out)
{
    if (n >= i->module->m.nexports)
        return;
    *name = i->module->exports[n].name;
    *len = i->module->exports[n].name_len;
    *out = i->exports[n];
}

const tri_module *tri_instance_module(const tri_instance *i) { return i->module; }
