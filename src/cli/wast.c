/* trident wast [--backend=B] [--bounds-checks] FILE.wast...: runs spec test
 * scripts (--bounds-checks: explicit memory bounds checks instead of guard
 * pages).
 *
 * Module assertions that need no execution (assert_malformed,
 * assert_invalid, and the decoding and validation of every other module)
 * run here on the text parser, decoder and validator. Everything that
 * executes code goes through struct wast_engine, the runtime of
 * include/trident.h with the chosen backend; what it does not support
 * (ERR_UNSUPPORTED, such as SIMD on a backend without it) counts as
 * skipped, never as passed. */
#include <stdio.h>
#include <string.h>

#include "../compiler/compiler.h"
#include "../decode/decode.h"
#include "../text/text.h"
#include "../validate/validate.h"
#include "cli.h"

enum { MAX_RESULTS = 64 };

/* What the runner needs from an execution engine. Each call returns false
 * with e set on failure: ERR_UNSUPPORTED (skip the command), ERR_TRAP (a
 * trap; e->msg is its message), ERR_LIMIT (stack exhausted), ERR_UNLINKABLE
 * or another code. Module names are $ids or NULL for the latest module.
 * invoke: *nresults holds the capacity of results on entry, the count on
 * return. */
struct wast_engine {
    void *ctx;
    bool (*instantiate)(void *ctx, const char *name, const uint8_t *bytes, size_t len,
                        struct err *e);
    bool (*register_as)(void *ctx, const char *module, const char *as, struct err *e);
    bool (*invoke)(void *ctx, const char *module, const char *field, uint32_t field_len,
                   const struct txt_value *args, uint32_t nargs, struct txt_value *results,
                   uint32_t *nresults, struct err *e);
    bool (*get)(void *ctx, const char *module, const char *field, uint32_t field_len,
                struct txt_value *out, struct err *e);
};

/* ---- the engine: the runtime behind include/trident.h ---- */

/* One store per script file; instances by $id for actions and register.
 * A module the backend does not support has a NULL instance: what uses it
 * is skipped too. */
struct named {
    const char *name; /* borrowed from the script */
    tri_instance *inst;
};

struct rt_ctx {
    tri_engine *engine;
    tri_store *store;
    tri_linker *linker;
    tri_instance *last;
    bool last_unsupported;
    VEC(struct named) named;
};

/* Turns a runtime error into e (freeing it); stack exhaustion is ERR_LIMIT
 * as assert_exhaustion expects. Returns false. */
static bool from_error(tri_error *te, struct err *e)
{
    static const enum err_code codes[] = {
        [TRI_ERR_MALFORMED] = ERR_MALFORMED, [TRI_ERR_INVALID] = ERR_INVALID,
        [TRI_ERR_UNLINKABLE] = ERR_UNLINKABLE, [TRI_ERR_TRAP] = ERR_TRAP,
        [TRI_ERR_LIMIT] = ERR_LIMIT, [TRI_ERR_NOMEM] = ERR_NOMEM, [TRI_ERR_IO] = ERR_IO,
        [TRI_ERR_ARG] = ERR_ARG, [TRI_ERR_UNSUPPORTED] = ERR_UNSUPPORTED,
    };
    tri_error_kind k = tri_error_kind_of(te);
    enum err_code code = (unsigned)k < ARRAY_LEN(codes) && codes[k] ? codes[k] : ERR_ARG;
    if (code == ERR_TRAP && tri_error_trap_code(te) == TRI_TRAP_STACK_OVERFLOW)
        code = ERR_LIMIT;
    err_set(e, code, NO_OFFSET, "%s", tri_error_message(te));
    tri_error_delete(te);
    return false;
}

static tri_error *spectest_print(void *data, tri_instance *caller, const tri_val *args,
                                 size_t nargs, tri_val *results, size_t nresults)
{
    (void)data, (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
    return NULL;
}

static tri_error *define(struct rt_ctx *x, const char *name, tri_extern ext)
{
    return tri_linker_define(x->linker, "spectest", 8, name, strlen(name), ext);
}

/* The "spectest" module the suite imports from. */
static tri_error *define_spectest(struct rt_ctx *x)
{
    static const struct { const char *name, *params; } prints[] = {
        {"print", ""}, {"print_i32", "\x7f"}, {"print_i64", "\x7e"}, {"print_f32", "\x7d"},
        {"print_f64", "\x7c"}, {"print_i32_f32", "\x7f\x7d"}, {"print_f64_f64", "\x7c\x7c"},
    };
    tri_error *te = NULL;
    for (size_t i = 0; !te && i < ARRAY_LEN(prints); i++) {
        tri_functype t = {(uint32_t)strlen(prints[i].params), 0,
                          (const uint8_t *)prints[i].params, NULL};
        tri_func *f = tri_func_new(x->store, &t, spectest_print, NULL, NULL);
        te = f ? define(x, prints[i].name, (tri_extern){TRI_EXTERN_FUNC, {.func = f}})
               : tri_trap_new("out of memory");
    }
    const struct { const char *name; tri_val v; } globals[] = {
        {"global_i32", tri_val_i32(666)}, {"global_i64", tri_val_i64(666)},
        {"global_f32", tri_val_f32(666.6f)}, {"global_f64", tri_val_f64(666.6)},
    };
    for (size_t i = 0; !te && i < ARRAY_LEN(globals); i++) {
        tri_global *g;
        te = tri_global_new(x->store, (tri_globaltype){globals[i].v.kind, false}, globals[i].v, &g);
        if (!te)
            te = define(x, globals[i].name, (tri_extern){TRI_EXTERN_GLOBAL, {.global = g}});
    }
    tri_table *t;
    tri_memory *m;
    if (!te)
        te = tri_table_new(x->store, (tri_tabletype){TRI_FUNCREF, {10, 20, true}},
                           (tri_val){.kind = TRI_FUNCREF}, &t);
    if (!te)
        te = define(x, "table", (tri_extern){TRI_EXTERN_TABLE, {.table = t}});
    if (!te)
        te = tri_memory_new(x->store, (tri_limits){1, 2, true}, &m);
    if (!te)
        te = define(x, "memory", (tri_extern){TRI_EXTERN_MEMORY, {.memory = m}});
    return te;
}

static bool rt_open(struct rt_ctx *x, const char *backend, bool bounds_checks, struct err *e)
{
    tri_config cfg;
    tri_config_default(&cfg);
    cfg.backend = backend;
    cfg.bounds_checks = bounds_checks;
    cfg.cache = false; /* every run compiles: what a test is for */
    memset(x, 0, sizeof *x);
    tri_error *te = tri_engine_new(&cfg, &x->engine);
    if (te)
        return from_error(te, e);
    x->store = tri_store_new(x->engine);
    x->linker = x->store ? tri_linker_new(x->store) : NULL;
    if (!x->linker)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    te = define_spectest(x);
    return !te || from_error(te, e);
}

static void rt_close(struct rt_ctx *x)
{
    if (x->store)
        tri_store_delete(x->store);
    if (x->engine)
        tri_engine_delete(x->engine);
    vec_free(&x->named);
}

static tri_instance *find(struct rt_ctx *x, const char *name, struct err *e)
{
    bool unsupported = !name && x->last_unsupported;
    for (size_t i = x->named.len; name && i-- > 0;)
        if (!strcmp(x->named.data[i].name, name)) {
            if (x->named.data[i].inst)
                return x->named.data[i].inst;
            unsupported = true;
            break;
        }
    if (!name && x->last)
        return x->last;
    if (unsupported)
        err_set(e, ERR_UNSUPPORTED, NO_OFFSET, "the module is not supported");
    else
        err_set(e, ERR_ARG, NO_OFFSET, "no module %s", name ? name : "instantiated yet");
    return NULL;
}

static bool add_name(struct rt_ctx *x, const char *name, tri_instance *inst, struct err *e)
{
    struct named *n = name ? vec_push(&x->named) : NULL;
    if (n)
        *n = (struct named){name, inst};
    return !name || n || err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
}

static bool rt_instantiate(void *ctx, const char *name, const uint8_t *bytes, size_t len,
                           struct err *e)
{
    struct rt_ctx *x = ctx;
    tri_module *m;
    tri_instance *inst;
    tri_error *te = tri_module_new(x->engine, bytes, len, &m);
    if (te && tri_error_kind_of(te) == TRI_ERR_UNSUPPORTED) {
        x->last = NULL;
        x->last_unsupported = true;
        add_name(x, name, NULL, e);
    }
    if (te)
        return from_error(te, e);
    te = tri_linker_instantiate(x->linker, m, &inst);
    tri_module_delete(m);
    if (te)
        return from_error(te, e);
    x->last = inst;
    x->last_unsupported = false;
    return add_name(x, name, inst, e);
}

static bool rt_register(void *ctx, const char *module, const char *as, struct err *e)
{
    struct rt_ctx *x = ctx;
    tri_instance *inst = find(x, module, e);
    tri_error *te = inst ? tri_linker_define_instance(x->linker, as, strlen(as), inst) : NULL;
    return inst && (!te || from_error(te, e));
}

/* Script values and runtime values; externref N is the host word N + 1
 * (0 is null). */
static tri_val to_val(const struct txt_value *v)
{
    tri_val r = {.kind = v->type};
    if (v->type == VT_EXTERNREF)
        r.of.externref = v->u.ref.null ? NULL : (void *)(uintptr_t)(v->u.ref.host + 1ull);
    else if (v->type == VT_FUNCREF)
        r.of.funcref = NULL; /* scripts only write null funcrefs */
    else
        memcpy(r.of.v128, v->u.v128, sizeof r.of.v128);
    return r;
}

static struct txt_value from_val(tri_val v)
{
    struct txt_value r = {.type = v.kind};
    if (v.kind == TRI_EXTERNREF) {
        r.u.ref.null = !v.of.externref;
        r.u.ref.host = (uint32_t)((uintptr_t)v.of.externref - 1);
    } else if (v.kind == TRI_FUNCREF) {
        r.u.ref.null = !v.of.funcref;
    } else {
        memcpy(r.u.v128, v.of.v128, sizeof r.u.v128);
    }
    return r;
}

static bool export_of(struct rt_ctx *x, const char *module, const char *field, uint32_t len,
                      tri_externkind kind, tri_extern *out, struct err *e)
{
    tri_instance *inst = find(x, module, e);
    if (!inst)
        return false;
    if (!tri_instance_export(inst, field, len, out) || out->kind != kind)
        return err_set(e, ERR_ARG, NO_OFFSET, "no such export");
    return true;
}

static bool rt_invoke(void *ctx, const char *module, const char *field, uint32_t field_len,
                      const struct txt_value *args, uint32_t nargs, struct txt_value *results,
                      uint32_t *nresults, struct err *e)
{
    struct rt_ctx *x = ctx;
    tri_extern ext;
    if (!export_of(x, module, field, field_len, TRI_EXTERN_FUNC, &ext, e))
        return false;
    tri_functype t = tri_func_type(ext.of.func);
    tri_val in[MAX_RESULTS], out[MAX_RESULTS];
    if (nargs > MAX_RESULTS || t.nresults > MAX_RESULTS)
        return err_set(e, ERR_LIMIT, NO_OFFSET, "too many values");
    for (uint32_t i = 0; i < nargs; i++)
        in[i] = to_val(&args[i]);
    tri_error *te = tri_func_call(x->store, ext.of.func, in, nargs, out, t.nresults);
    if (te)
        return from_error(te, e);
    for (uint32_t i = 0; i < t.nresults; i++)
        results[i] = from_val(out[i]);
    *nresults = t.nresults;
    return true;
}

static bool rt_get(void *ctx, const char *module, const char *field, uint32_t field_len,
                   struct txt_value *out, struct err *e)
{
    tri_extern ext;
    if (!export_of(ctx, module, field, field_len, TRI_EXTERN_GLOBAL, &ext, e))
        return false;
    *out = from_val(tri_global_get(ext.of.global));
    return true;
}

/* ---- running ---- */

struct run {
    const char *file;
    const char *backend;
    bool bounds_checks;
    const struct wast_engine *eng;
    unsigned passed, failed, skipped;
};

enum verdict { PASS, FAIL, SKIP };

static enum verdict fail(struct run *r, const struct txt_command *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum verdict fail(struct run *r, const struct txt_command *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%u: %s: ", r->file, c->line, txt_cmd_name(c->kind));
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return FAIL;
}

/* Decodes and validates a module's bytes; false with e set otherwise. */
static bool check_module(const struct txt_module *m, struct err *e)
{
    struct module mod;
    err_clear(e);
    bool ok = dec_module(&mod, m->bytes, m->len, e) && val_module(&mod, e);
    dec_module_free(&mod);
    return ok;
}

static enum verdict text_error(struct run *r, const struct txt_command *c)
{
    const struct txt_module *m = &c->module;
    return fail(r, c, "%s text %u:%u: %s", m->kind == TXT_MOD_QUOTE ? "quoted module" : "module",
                m->err_line, m->err_col, m->err.msg);
}

/* Engine outcome for a command that needed it: skip, pass or fail. */
static enum verdict engine_result(struct run *r, const struct txt_command *c, bool ok,
                                  const struct err *e)
{
    if (ok)
        return PASS;
    if (e->code == ERR_UNSUPPORTED)
        return SKIP;
    return fail(r, c, "%s: %s", err_code_name(e->code), e->msg);
}

/* A module that must be well formed and valid: true, or *v = FAIL. */
static bool valid_module(struct run *r, const struct txt_command *c, enum verdict *v)
{
    struct err e;
    if (!c->module.ok)
        *v = text_error(r, c);
    else if (!check_module(&c->module, &e))
        *v = fail(r, c, "%s: %s", err_code_name(e.code), e.msg);
    else
        return true;
    return false;
}

static enum verdict run_module(struct run *r, const struct txt_command *c)
{
    struct err e;
    enum verdict v;
    if (!valid_module(r, c, &v))
        return v;
    err_clear(&e);
    bool ok = r->eng->instantiate(r->eng->ctx, c->module.name, c->module.bytes, c->module.len, &e);
    return engine_result(r, c, ok, &e);
}

/* assert_malformed and assert_invalid: no execution needed. */
static enum verdict run_static_assertion(struct run *r, const struct txt_command *c)
{
    struct err e;
    bool malformed = c->kind == TXT_CMD_ASSERT_MALFORMED;
    if (!c->module.ok)
        return malformed ? PASS : text_error(r, c);
    if (check_module(&c->module, &e))
        return fail(r, c, "module is %s, expected \"%s\"", malformed ? "well formed" : "valid",
                    c->text);
    enum err_code want = malformed ? ERR_MALFORMED : ERR_INVALID;
    if (e.code != want && !(malformed && e.code == ERR_LIMIT))
        return fail(r, c, "got %s (%s), expected \"%s\"", err_code_name(e.code), e.msg, c->text);
    return PASS;
}

/* assert_unlinkable / assert_uninstantiable: valid, then failing to instantiate. */
static enum verdict run_link_assertion(struct run *r, const struct txt_command *c)
{
    struct err e;
    enum verdict v;
    if (!valid_module(r, c, &v))
        return v;
    err_clear(&e);
    if (r->eng->instantiate(r->eng->ctx, NULL, c->module.bytes, c->module.len, &e))
        return fail(r, c, "module instantiated, expected \"%s\"", c->text);
    enum err_code want = c->kind == TXT_CMD_ASSERT_UNLINKABLE ? ERR_UNLINKABLE : ERR_TRAP;
    if (e.code == ERR_UNSUPPORTED)
        return SKIP;
    if (e.code != want)
        return fail(r, c, "got %s (%s), expected \"%s\"", err_code_name(e.code), e.msg, c->text);
    return PASS;
}

static bool do_action(struct run *r, const struct txt_action *a, struct txt_value *results,
                      uint32_t *n, struct err *e)
{
    err_clear(e);
    if (a->kind == TXT_GET) {
        *n = 1;
        return r->eng->get(r->eng->ctx, a->module, a->field, a->field_len, results, e);
    }
    *n = MAX_RESULTS;
    return r->eng->invoke(r->eng->ctx, a->module, a->field, a->field_len, a->args, a->nargs,
                          results, n, e);
}

static enum verdict compare_results(struct run *r, const struct txt_command *c,
                                    const struct txt_value *got, uint32_t n)
{
    char want_s[64], got_s[64];
    if (n != c->nresults)
        return fail(r, c, "%u results, expected %u", n, c->nresults);
    for (uint32_t i = 0; i < n; i++)
        if (!txt_result_matches(&c->results[i], &got[i]))
            return fail(r, c, "result %u is %s, expected %s", i,
                        txt_value_format(got_s, sizeof got_s, &got[i]),
                        txt_result_format(want_s, sizeof want_s, &c->results[i]));
    return PASS;
}

static enum verdict run_action(struct run *r, const struct txt_command *c)
{
    struct txt_value results[MAX_RESULTS];
    uint32_t n = 0;
    struct err e;
    bool ok = do_action(r, &c->action, results, &n, &e);
    if (!ok && e.code == ERR_UNSUPPORTED)
        return SKIP;
    switch (c->kind) {
    case TXT_CMD_ACTION: return engine_result(r, c, ok, &e);
    case TXT_CMD_ASSERT_RETURN:
        return ok ? compare_results(r, c, results, n) : engine_result(r, c, ok, &e);
    default: {
        enum err_code want = c->kind == TXT_CMD_ASSERT_TRAP ? ERR_TRAP : ERR_LIMIT;
        if (ok)
            return fail(r, c, "returned, expected \"%s\"", c->text);
        if (e.code != want)
            return fail(r, c, "got %s (%s), expected \"%s\"", err_code_name(e.code), e.msg,
                        c->text);
        return PASS;
    }
    }
}

static enum verdict run_command(struct run *r, const struct txt_command *c)
{
    struct err e;
    switch (c->kind) {
    case TXT_CMD_MODULE: return run_module(r, c);
    case TXT_CMD_REGISTER:
        err_clear(&e);
        return engine_result(r, c, r->eng->register_as(r->eng->ctx, c->reg_module, c->text, &e),
                             &e);
    case TXT_CMD_ASSERT_MALFORMED:
    case TXT_CMD_ASSERT_INVALID: return run_static_assertion(r, c);
    case TXT_CMD_ASSERT_UNLINKABLE:
    case TXT_CMD_ASSERT_UNINSTANTIABLE: return run_link_assertion(r, c);
    default: return run_action(r, c);
    }
}

static void run_file(struct run *r, const char *path)
{
    struct err e;
    err_clear(&e);
    uint8_t *src;
    size_t len;
    r->file = path;
    if (!file_read(path, &src, &len, &e)) {
        fprintf(stderr, "trident: %s\n", e.msg);
        r->failed++;
        return;
    }
    struct txt_script s;
    if (!txt_script_parse((const char *)src, len, &s, &e)) {
        uint32_t line, col;
        txt_line_col((const char *)src, len, e.offset, &line, &col);
        fprintf(stderr, "%s:%u:%u: %s\n", path, line, col, e.msg);
        r->failed++;
    }
    struct rt_ctx ctx;
    struct wast_engine eng = {&ctx, rt_instantiate, rt_register, rt_invoke, rt_get};
    r->eng = &eng;
    err_clear(&e);
    if (!rt_open(&ctx, r->backend, r->bounds_checks, &e)) {
        fprintf(stderr, "%s: %s\n", path, e.msg);
        r->failed++;
        s.ncommands = 0;
    }
    for (uint32_t i = 0; i < s.ncommands; i++) {
        switch (run_command(r, &s.commands[i])) {
        case PASS: r->passed++; break;
        case FAIL: r->failed++; break;
        case SKIP: r->skipped++; break;
        }
    }
    rt_close(&ctx);
    txt_script_free(&s);
    free(src);
}

static void wast_usage(void)
{
    printf("usage: trident wast [OPTIONS] FILE.wast...\n\n"
           "Runs WebAssembly spec test scripts: defines and registers their modules and\n"
           "checks every assertion (returns, traps, exhaustion, invalid, malformed and\n"
           "unlinkable modules). Prints each failure with its line and a summary line\n"
           "\"N passed, N failed, N skipped\" (skipped: what this build does not run).\n\n"
           "options:\n"
           "  --backend=B        compiler: singlepass, optimizing (default), llvm\n"
           "  --bounds-checks    check every memory access in code instead of relying\n"
           "                     on guard pages\n"
           "  -h, --help         this text\n\n"
           "exit status: 0 when nothing failed; 1 when an assertion failed; 2 for a usage\n"
           "error.\n\n");
    cli_print_backends();
}

int cmd_wast(int argc, char **argv)
{
    struct run r = {.backend = TRI_DEFAULT_BACKEND};
    int files = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            wast_usage();
            return 0;
        } else if (!strncmp(argv[i], "--backend=", 10)) {
            r.backend = argv[i] + 10;
            if (!cc_backend_known(r.backend))
                return cli_usage_error("wast: unknown backend '%s'", r.backend);
        } else if (!strcmp(argv[i], "--bounds-checks")) {
            r.bounds_checks = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("wast: unknown option '%s'", argv[i]);
        } else {
            files++;
        }
    }
    if (!files)
        return cli_usage_error("wast: no file given (usage: trident wast [--backend=B] "
                               "[--bounds-checks] FILE...)");
    for (int i = 0; i < argc; i++)
        if (argv[i][0] != '-' || !argv[i][1])
            run_file(&r, argv[i]);
    printf("%u passed, %u failed, %u skipped\n", r.passed, r.failed, r.skipped);
    return r.failed ? 1 : 0;
}
