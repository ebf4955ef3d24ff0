/* The .wast script format: a list of commands (modules, register, actions
 * and assertions). The whole file is lexed once; each text module is
 * converted to binary bytes here, so the runner only sees bytes or the text
 * error that makes a module malformed. */
#include <string.h>

#include "text.h"

struct script_parser {
    struct txt_parser p; /* only the token fields are used */
    struct txt_script *s;
    uint32_t line, line_off; /* the line number at byte offset line_off */
};

const char *txt_cmd_name(enum txt_cmd_kind k)
{
    static const char *const names[] = {
        [TXT_CMD_MODULE] = "module",
        [TXT_CMD_REGISTER] = "register",
        [TXT_CMD_ACTION] = "action",
        [TXT_CMD_ASSERT_RETURN] = "assert_return",
        [TXT_CMD_ASSERT_TRAP] = "assert_trap",
        [TXT_CMD_ASSERT_EXHAUSTION] = "assert_exhaustion",
        [TXT_CMD_ASSERT_INVALID] = "assert_invalid",
        [TXT_CMD_ASSERT_MALFORMED] = "assert_malformed",
        [TXT_CMD_ASSERT_UNLINKABLE] = "assert_unlinkable",
        [TXT_CMD_ASSERT_UNINSTANTIABLE] = "assert_uninstantiable",
    };
    return (unsigned)k < ARRAY_LEN(names) ? names[k] : "?";
}

/* Line of byte offset off; offsets must not decrease between calls. */
static uint32_t line_at(struct script_parser *sp, uint32_t off)
{
    const char *src = sp->p.src;
    for (const char *q = src + sp->line_off;
         (q = memchr(q, '\n', off - (size_t)(q - src))); q++)
        sp->line++;
    sp->line_off = off;
    return sp->line;
}

static bool script_oom(struct script_parser *sp)
{
    return tp_oom(&sp->p);
}

/* Copies bytes into the script arena (NUL-terminated). */
static bool keep(struct script_parser *sp, const void *data, size_t len, const char **out)
{
    *out = arena_strndup(&sp->s->arena, len ? data : "", len);
    return *out || script_oom(sp);
}

/* An optional $id, kept in the arena; *out is NULL when there is none. */
static bool opt_id(struct script_parser *sp, const char **out)
{
    const char *id;
    uint32_t len;
    tp_opt_id(&sp->p, &id, &len);
    *out = NULL;
    return !id || keep(sp, id, len, out);
}

/* A string token's bytes, kept in the arena. */
static bool string(struct script_parser *sp, const char **out, uint32_t *len)
{
    struct buf b = {0};
    bool ok = tp_string(&sp->p, &b) && keep(sp, b.data, b.len, out);
    *len = (uint32_t)b.len;
    buf_free(&b);
    return ok;
}

/* string* into one buffer. */
static bool strings(struct script_parser *sp, struct buf *b)
{
    while (tp_peek(&sp->p, 0)->kind == TK_STRING)
        tp_string(&sp->p, b);
    return !b->oom || script_oom(sp);
}

/* Converts a quoted module's text; its error positions are in that text. */
static void quoted_module(struct txt_module *m, const struct buf *text, struct buf *out)
{
    m->ok = txt_parse_module((const char *)text->data, text->len, out, &m->err);
    if (!m->ok)
        txt_line_col((const char *)text->data, text->len, m->err.offset, &m->err_line,
                     &m->err_col);
}

/* A text module from its "(": on error, records it and skips the form. */
static bool text_module(struct script_parser *sp, struct txt_module *m, uint32_t start,
                        struct buf *out)
{
    struct txt_parser *p = &sp->p;
    uint32_t pos = start;
    m->ok = txt_parse_tokens(p->tk, &pos, out, &m->err);
    p->pos = start;
    if (m->ok) {
        p->pos = pos;
        return true;
    }
    if (m->err.code == ERR_NOMEM)
        return script_oom(sp);
    txt_line_col(p->src, p->tk->len, m->err.offset, &m->err_line, &m->err_col);
    return tp_skip(p);
}

/* The module that starts at token `start`, after its "(module $id?". */
static bool module_body(struct script_parser *sp, struct txt_module *m, uint32_t start)
{
    struct txt_parser *p = &sp->p;
    err_clear(&m->err);
    struct buf text = {0}, out = {0};
    bool ok = true;
    bool quote = tp_keyword(p, "quote");
    if (quote || tp_keyword(p, "binary")) {
        m->kind = quote ? TXT_MOD_QUOTE : TXT_MOD_BINARY;
        ok = strings(sp, &text) && tp_close(p);
        if (ok && quote) {
            quoted_module(m, &text, &out);
        } else if (ok) {
            m->ok = true;
            out = text;
            text = (struct buf){0};
        }
    } else {
        m->kind = TXT_MOD_TEXT;
        ok = text_module(sp, m, start, &out);
    }
    if (ok && m->ok) {
        m->len = out.len;
        const char *bytes = NULL;
        ok = !out.oom && keep(sp, out.data, out.len, &bytes);
        m->bytes = (const uint8_t *)bytes;
    }
    buf_free(&text);
    buf_free(&out);
    return ok;
}

/* (module $id? ...), (module $id? binary str*) or (module $id? quote str*). */
static bool script_module(struct script_parser *sp, struct txt_module *m)
{
    struct txt_parser *p = &sp->p;
    uint32_t start = p->pos;
    m->line = line_at(sp, tp_peek(p, 1)->off);
    if (!tp_open(p, "module"))
        return tp_fail(p, tp_peek(p, 0), "module expected");
    return opt_id(sp, &m->name) && module_body(sp, m, start);
}

/* True when the script starts with a module field: it is one inline module. */
static bool inline_module(const struct txt_parser *p)
{
    static const char *const fields[] = {
        "type", "import", "func", "table", "memory", "global", "export", "start", "elem", "data",
    };
    for (size_t i = 0; i < ARRAY_LEN(fields); i++)
        if (tp_at_open(p, fields[i]))
            return true;
    return false;
}

/* Constants up to ")": results when `result`, else arguments. */
static bool values(struct script_parser *sp, bool result, struct txt_result **out, uint32_t *n)
{
    struct txt_parser *p = &sp->p;
    uint32_t count = 0, save = p->pos;
    while (tp_peek(p, 0)->kind == TK_LPAR && tp_skip(p))
        count++;
    p->pos = save;
    *n = count;
    *out = arena_array(&sp->s->arena, count, sizeof **out);
    if (!*out)
        return script_oom(sp);
    for (uint32_t i = 0; i < count; i++)
        if (!tp_script_value(p, &(*out)[i], result))
            return false;
    return true;
}

/* (invoke $id? "name" const*) or (get $id? "name"). */
static bool script_action(struct script_parser *sp, struct txt_action *a)
{
    struct txt_parser *p = &sp->p;
    a->line = line_at(sp, tp_peek(p, 1)->off);
    if (tp_open(p, "invoke"))
        a->kind = TXT_INVOKE;
    else if (tp_open(p, "get"))
        a->kind = TXT_GET;
    else
        return tp_fail(p, tp_peek(p, 0), "action expected");
    struct txt_result *args;
    if (!opt_id(sp, &a->module) || !string(sp, &a->field, &a->field_len) ||
        !values(sp, false, &args, &a->nargs))
        return false;
    a->args = arena_array(&sp->s->arena, a->nargs, sizeof *a->args);
    if (!a->args)
        return script_oom(sp);
    for (uint32_t i = 0; i < a->nargs; i++)
        a->args[i] = args[i].v;
    return tp_close(p);
}

/* The expected message of an assertion, then ")". */
static bool message(struct script_parser *sp, struct txt_command *c)
{
    return string(sp, &c->text, &c->text_len) && tp_close(&sp->p);
}

static const struct {
    const char *kw;
    enum txt_cmd_kind kind;
} module_assertions[] = {
    {"assert_malformed", TXT_CMD_ASSERT_MALFORMED},
    {"assert_invalid", TXT_CMD_ASSERT_INVALID},
    {"assert_unlinkable", TXT_CMD_ASSERT_UNLINKABLE},
    {"assert_uninstantiable", TXT_CMD_ASSERT_UNINSTANTIABLE},
};

/* The commands after their "(keyword". */
static bool assertion(struct script_parser *sp, struct txt_command *c, const struct txt_tok *kw)
{
    struct txt_parser *p = &sp->p;
    for (size_t i = 0; i < ARRAY_LEN(module_assertions); i++) {
        if (txt_tok_is(p->src, kw, module_assertions[i].kw)) {
            c->kind = module_assertions[i].kind;
            return script_module(sp, &c->module) && message(sp, c);
        }
    }
    if (txt_tok_is(p->src, kw, "assert_return")) {
        c->kind = TXT_CMD_ASSERT_RETURN;
        return script_action(sp, &c->action) && values(sp, true, &c->results, &c->nresults) &&
               tp_close(p);
    }
    if (txt_tok_is(p->src, kw, "assert_trap") && tp_at_open(p, "module")) {
        c->kind = TXT_CMD_ASSERT_UNINSTANTIABLE;
        return script_module(sp, &c->module) && message(sp, c);
    }
    if (txt_tok_is(p->src, kw, "assert_trap") || txt_tok_is(p->src, kw, "assert_exhaustion")) {
        c->kind = txt_tok_is(p->src, kw, "assert_trap") ? TXT_CMD_ASSERT_TRAP
                                                          : TXT_CMD_ASSERT_EXHAUSTION;
        return script_action(sp, &c->action) && message(sp, c);
    }
    return tp_fail(p, kw, "unknown command");
}

static bool command(struct script_parser *sp, struct txt_command *c)
{
    struct txt_parser *p = &sp->p;
    const struct txt_tok *kw = tp_peek(p, 1);
    if (tp_peek(p, 0)->kind != TK_LPAR || kw->kind != TK_KEYWORD)
        return tp_fail(p, tp_peek(p, 0), "command expected");
    c->line = line_at(sp, tp_peek(p, 0)->off);
    if (txt_tok_is(p->src, kw, "module")) {
        c->kind = TXT_CMD_MODULE;
        return script_module(sp, &c->module);
    }
    if (txt_tok_is(p->src, kw, "invoke") || txt_tok_is(p->src, kw, "get")) {
        c->kind = TXT_CMD_ACTION;
        return script_action(sp, &c->action);
    }
    p->pos += 2;
    if (txt_tok_is(p->src, kw, "register")) {
        c->kind = TXT_CMD_REGISTER;
        return string(sp, &c->text, &c->text_len) && opt_id(sp, &c->reg_module) && tp_close(p);
    }
    return assertion(sp, c, kw);
}

bool txt_script_parse(const char *src, size_t len, struct txt_script *s, struct err *e)
{
    memset(s, 0, sizeof *s);
    struct txt_tokens tk;
    if (!txt_lex(src, len, &tk, e))
        return false;
    struct script_parser sp = {.p = {.tk = &tk, .src = src, .err = e}, .s = s, .line = 1};
    VEC(struct txt_command) cmds = {0};
    bool ok = true;
    if (inline_module(&sp.p)) {
        /* A script may be just the fields of one module. */
        struct txt_command *c = vec_push(&cmds);
        ok = c ? (c->line = c->module.line = 1, module_body(&sp, &c->module, 0))
               : script_oom(&sp);
    }
    while (ok && tp_peek(&sp.p, 0)->kind != TK_EOF) {
        struct txt_command *c = vec_push(&cmds);
        ok = c ? command(&sp, c) : script_oom(&sp);
        if (!ok && c)
            cmds.len--; /* keep only the commands read completely */
    }
    s->commands = cmds.data;
    s->ncommands = (uint32_t)cmds.len;
    txt_tokens_free(&tk);
    return ok;
}

void txt_script_free(struct txt_script *s)
{
    free(s->commands);
    arena_free(&s->arena);
    memset(s, 0, sizeof *s);
}
