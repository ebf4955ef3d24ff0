/* Helpers for the singlepass tests: instantiate WAT text (the runtime
 * accepts it) on the singlepass backend, call exports with i32/i64/f32/f64
 * values, and look at traps. */
#ifndef TRI_SINGLEPASS_UTIL_H
#define TRI_SINGLEPASS_UTIL_H

#include <string.h>
#include <trident.h>

#include "check.h"

struct env {
    tri_engine *engine;
    tri_store *store;
    tri_instance *inst;
};

/* Instantiates the module, text or binary, without imports; false with a
 * FAIL line otherwise. */
static inline bool env_open_bytes(struct env *v, const uint8_t *bytes, size_t len,
                                  bool bounds_checks)
{
    tri_config cfg;
    tri_config_default(&cfg);
    cfg.backend = "singlepass";
    cfg.bounds_checks = bounds_checks;
    cfg.cache = false; /* every run compiles: what a test is for */
    memset(v, 0, sizeof *v);
    tri_module *m = NULL;
    tri_error *e = tri_engine_new(&cfg, &v->engine);
    if (!e)
        e = tri_module_new(v->engine, bytes, len, &m);
    if (!e && !(v->store = tri_store_new(v->engine)))
        e = tri_trap_new("no store");
    if (!e)
        e = tri_instance_new(v->store, m, NULL, 0, &v->inst);
    if (m)
        tri_module_delete(m);
    CHECK(!e, "instantiate: %s", e ? tri_error_message(e) : "");
    if (e)
        tri_error_delete(e);
    return !e;
}

static inline bool env_open(struct env *v, const char *wat, bool bounds_checks)
{
    return env_open_bytes(v, (const uint8_t *)wat, strlen(wat), bounds_checks);
}

static inline void env_close(struct env *v)
{
    if (v->store)
        tri_store_delete(v->store);
    if (v->engine)
        tri_engine_delete(v->engine);
}

static inline tri_func *func_of(struct env *v, const char *name)
{
    tri_extern x;
    if (!tri_instance_export(v->inst, name, strlen(name), &x) || x.kind != TRI_EXTERN_FUNC)
        return NULL;
    return x.of.func;
}

/* Calls export `name`; the trap (or other error) comes back, or NULL. */
static inline tri_error *call(struct env *v, const char *name, const tri_val *args, size_t nargs,
                       tri_val *results, size_t nresults)
{
    tri_func *f = func_of(v, name);
    if (!f)
        return tri_trap_new("no such export");
    return tri_func_call(v->store, f, args, nargs, results, nresults);
}

/* The one i64-or-narrower integer result of `name`(args), or a FAIL line. */
static inline int64_t call_int(struct env *v, const char *name, const tri_val *args, size_t nargs)
{
    tri_val r[1];
    tri_error *e = call(v, name, args, nargs, r, 1);
    CHECK(!e, "%s: %s", name, e ? tri_error_message(e) : "");
    if (e) {
        tri_error_delete(e);
        return INT64_MIN;
    }
    return r[0].kind == TRI_I32 ? r[0].of.i32 : r[0].of.i64;
}

/* The trap code `name`(args) ends with (TRI_TRAP_NONE if it returns), and
 * in *offset the module offset of the innermost frame. */
static inline tri_trap_code call_trap(struct env *v, const char *name, const tri_val *args,
                                      size_t nargs, uint64_t *offset)
{
    tri_val r[4];
    tri_func *f = func_of(v, name);
    tri_error *e = f ? tri_func_call(v->store, f, args, nargs, r, tri_func_type(f).nresults)
                     : tri_trap_new("no such export");
    tri_trap_code code = e ? tri_error_trap_code(e) : TRI_TRAP_NONE;
    if (offset)
        *offset = e && tri_error_frame_count(e) ? tri_error_frame(e, 0)->module_offset
                                                : UINT64_MAX;
    if (e)
        tri_error_delete(e);
    return code;
}

#endif
