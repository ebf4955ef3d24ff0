/* trident wast [--backend=B] FILE.wast...: runs spec test scripts.
 *
 * Module assertions that need no execution (assert_malformed,
 * assert_invalid, and the decoding and validation of every other module)
 * run here on the text parser, decoder and validator. Everything that
 * executes code goes through struct wast_engine; until the runtime is wired
 * in, the engine answers ERR_UNSUPPORTED and those commands count as
 * skipped, never as passed. */
#include <stdio.h>
#include <string.h>

#include "../decode/decode.h"
#include "../text/text.h"
#include "../validate/validate.h"
#include "cli.h"

enum { MAX_RESULTS = 64 };

/* What the runner needs from an execution engine. Each call returns false
 * with e set on failure: ERR_UNSUPPORTED (skip the command), ERR_TRAP (a
 * trap; e->msg is its message), ERR_LIMIT (stack exhausted), ERR_UNLINKABLE
 * or another code. Module names are $ids or NULL for the latest module. */
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

/* ---- the engine used until the runtime exists ---- */

static bool no_runtime(struct err *e)
{
    return err_set(e, ERR_UNSUPPORTED, NO_OFFSET, "no runtime");
}

static bool none_instantiate(void *ctx, const char *name, const uint8_t *bytes, size_t len,
                             struct err *e)
{
    (void)ctx, (void)name, (void)bytes, (void)len;
    return no_runtime(e);
}

static bool none_register(void *ctx, const char *module, const char *as, struct err *e)
{
    (void)ctx, (void)module, (void)as;
    return no_runtime(e);
}

static bool none_invoke(void *ctx, const char *module, const char *field, uint32_t field_len,
                        const struct txt_value *args, uint32_t nargs, struct txt_value *results,
                        uint32_t *nresults, struct err *e)
{
    (void)ctx, (void)module, (void)field, (void)field_len, (void)args, (void)nargs;
    (void)results, (void)nresults;
    return no_runtime(e);
}

static bool none_get(void *ctx, const char *module, const char *field, uint32_t field_len,
                     struct txt_value *out, struct err *e)
{
    (void)ctx, (void)module, (void)field, (void)field_len, (void)out;
    return no_runtime(e);
}

static const struct wast_engine no_engine = {
    NULL, none_instantiate, none_register, none_invoke, none_get,
};

/* ---- running ---- */

struct run {
    const char *file;
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
    for (uint32_t i = 0; i < s.ncommands; i++) {
        switch (run_command(r, &s.commands[i])) {
        case PASS: r->passed++; break;
        case FAIL: r->failed++; break;
        case SKIP: r->skipped++; break;
        }
    }
    txt_script_free(&s);
    free(src);
}

int cmd_wast(int argc, char **argv)
{
    static const char *const backends[] = {"singlepass", "optimizing", "llvm"};
    struct run r = {.eng = &no_engine};
    int files = 0;
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "--backend=", 10)) {
            size_t b = 0;
            while (b < ARRAY_LEN(backends) && strcmp(argv[i] + 10, backends[b]))
                b++;
            if (b == ARRAY_LEN(backends))
                return cli_usage_error("wast: unknown backend '%s'", argv[i] + 10);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("wast: unknown option '%s'", argv[i]);
        } else {
            files++;
        }
    }
    if (!files)
        return cli_usage_error("wast: no file given (usage: trident wast [--backend=B] FILE...)");
    for (int i = 0; i < argc; i++)
        if (argv[i][0] != '-' || !argv[i][1])
            run_file(&r, argv[i]);
    printf("%u passed, %u failed, %u skipped\n", r.passed, r.failed, r.skipped);
    return r.failed ? 1 : 0;
}
