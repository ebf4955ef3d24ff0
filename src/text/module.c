/* The module parser's driver: token helpers, the two passes and the final
 * assembly of sections.
 *
 * Pass 1 walks the module fields once to bind every $id to its index (an id
 * may be used before its definition) and to record the explicit types.
 * Pass 2 parses each field fully in text order, writing each section's
 * entries into its own buffer; implicit types are appended in the order
 * their type uses appear, as the spec asks. */
#include <string.h>

#include "text.h"

/* ---- token helpers ---- */

bool tp_fail(struct txt_parser *p, const struct txt_tok *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(p->err, ERR_MALFORMED, t->off, fmt, ap);
    va_end(ap);
    return false;
}

bool tp_oom(struct txt_parser *p)
{
    return err_set(p->err, ERR_NOMEM, NO_OFFSET, "out of memory");
}

bool tp_at_open(const struct txt_parser *p, const char *kw)
{
    const struct txt_tok *t = tp_peek(p, 1);
    return tp_peek(p, 0)->kind == TK_LPAR && t->kind == TK_KEYWORD && txt_tok_is(p->src, t, kw);
}

bool tp_open(struct txt_parser *p, const char *kw)
{
    if (!tp_at_open(p, kw))
        return false;
    p->pos += 2;
    return true;
}

bool tp_keyword(struct txt_parser *p, const char *kw)
{
    const struct txt_tok *t = tp_peek(p, 0);
    if (t->kind != TK_KEYWORD || !txt_tok_is(p->src, t, kw))
        return false;
    p->pos++;
    return true;
}

bool tp_close(struct txt_parser *p)
{
    const struct txt_tok *t = tp_peek(p, 0);
    if (t->kind != TK_RPAR)
        return tp_fail(p, t, t->kind == TK_EOF ? "unexpected end" : "unexpected token");
    p->pos++;
    return true;
}

bool tp_skip(struct txt_parser *p)
{
    const struct txt_tok *t = tp_peek(p, 0);
    if (t->kind == TK_EOF || t->kind == TK_RPAR)
        return tp_fail(p, t, t->kind == TK_EOF ? "unexpected end" : "unexpected token");
    p->pos++;
    if (t->kind != TK_LPAR)
        return true;
    for (uint32_t depth = 1; depth;) {
        t = tp_peek(p, 0);
        if (t->kind == TK_EOF)
            return tp_fail(p, t, "unexpected end");
        depth += t->kind == TK_LPAR ? 1 : t->kind == TK_RPAR ? -1u : 0;
        p->pos++;
    }
    return true;
}

void tp_opt_id(struct txt_parser *p, const char **name, uint32_t *len)
{
    const struct txt_tok *t = tp_peek(p, 0);
    *name = NULL;
    *len = 0;
    if (t->kind == TK_ID) {
        *name = p->src + t->off;
        *len = t->len;
        p->pos++;
    }
}

bool tp_nat32(struct txt_parser *p, uint32_t *out)
{
    const struct txt_tok *t = tp_peek(p, 0);
    enum txt_num r = t->kind == TK_NUM ? txt_nat32(p->src + t->off, t->len, out) : TXT_NUM_SYNTAX;
    if (r != TXT_NUM_OK)
        return tp_fail(p, t, r == TXT_NUM_RANGE ? "constant out of range" : "unexpected token");
    p->pos++;
    return true;
}

bool tp_string(struct txt_parser *p, struct buf *out)
{
    const struct txt_tok *t = tp_peek(p, 0);
    if (t->kind != TK_STRING)
        return tp_fail(p, t, "unexpected token");
    txt_string(p->src, t, out);
    p->pos++;
    return true;
}

bool tp_name(struct txt_parser *p, struct buf *out)
{
    const struct txt_tok *t = tp_peek(p, 0);
    size_t start = p->scratch.len;
    if (!tp_string(p, &p->scratch))
        return false;
    size_t n = p->scratch.len - start;
    const uint8_t *s = n ? p->scratch.data + start : (const uint8_t *)"";
    bool ok = utf8_valid(s, n);
    if (ok) {
        buf_u32leb(out, (uint32_t)n);
        buf_bytes(out, s, n);
    }
    p->scratch.len = start;
    return ok || tp_fail(p, t, "malformed UTF-8 encoding");
}

bool tp_at_index(const struct txt_parser *p)
{
    const struct txt_tok *t = tp_peek(p, 0);
    return t->kind == TK_ID || (t->kind == TK_NUM && p->src[t->off] >= '0' && p->src[t->off] <= '9');
}

static const char *const space_names[NS_COUNT] = {
    "function", "table", "memory", "global", "type", "elem segment", "data segment",
};

bool tp_index(struct txt_parser *p, enum txt_space sp, uint32_t *out)
{
    const struct txt_tok *t = tp_peek(p, 0);
    if (t->kind != TK_ID)
        return tp_nat32(p, out);
    if (!txt_sym_find(&p->names[sp], p->src + t->off, t->len, out))
        return tp_fail(p, t, "unknown %s %.*s", space_names[sp], (int)t->len, p->src + t->off);
    p->pos++;
    return true;
}

/* ---- pass 1: bind names ---- */

static const struct {
    const char *kw;
    enum txt_space sp;
} definitions[] = {
    {"func", NS_FUNC}, {"table", NS_TABLE}, {"memory", NS_MEM}, {"global", NS_GLOBAL},
    {"elem", NS_ELEM}, {"data", NS_DATA},
};

/* Binds an optional $id at the current token to the next index of sp. */
static bool bind_id(struct txt_parser *p, enum txt_space sp)
{
    const struct txt_tok *t = tp_peek(p, 0);
    uint32_t index = p->count[sp]++;
    if (t->kind != TK_ID)
        return true;
    p->pos++;
    int r = txt_sym_add(&p->names[sp], p->src + t->off, t->len, index);
    if (r < 0)
        return tp_oom(p);
    return r || tp_fail(p, t, "duplicate %s %.*s", space_names[sp], (int)t->len, p->src + t->off);
}

struct collect {
    const char *defined; /* the kind of the first definition of a func,
                            table, memory or global; NULL before it */
};

/* An import (explicit or inline) must precede every definition. */
static bool note_import(struct txt_parser *p, struct collect *c, const struct txt_tok *at)
{
    if (c->defined)
        return tp_fail(p, at, "import after %s", c->defined);
    return true;
}

/* A definition field after its keyword: binds its id and notes inline
 * imports and the segments an inline (elem ...) or (data ...) creates. */
static bool collect_definition(struct txt_parser *p, struct collect *c, enum txt_space sp)
{
    if (!bind_id(p, sp))
        return false;
    if (sp == NS_ELEM || sp == NS_DATA)
        return true;
    while (tp_at_open(p, "export"))
        if (!tp_skip(p))
            return false;
    if (tp_at_open(p, "import"))
        return note_import(p, c, tp_peek(p, 1));
    if (!c->defined)
        c->defined = space_names[sp];
    if (sp == NS_TABLE && tp_peek(p, 0)->kind == TK_KEYWORD && tp_peek(p, 1)->kind == TK_LPAR) {
        p->pos++;
        if (tp_at_open(p, "elem"))
            p->count[NS_ELEM]++;
    } else if (sp == NS_MEM && tp_at_open(p, "data")) {
        p->count[NS_DATA]++;
    }
    return true;
}

/* (import "m" "n" (kind $id? ...)) after "(import", the keyword at `at`. */
static bool collect_import(struct txt_parser *p, struct collect *c, const struct txt_tok *at)
{
    if (tp_peek(p, 0)->kind != TK_STRING || tp_peek(p, 1)->kind != TK_STRING)
        return tp_fail(p, tp_peek(p, 0), "unexpected token");
    p->pos += 2;
    for (size_t i = 0; i < 4; i++)
        if (tp_open(p, definitions[i].kw))
            return note_import(p, c, at) && bind_id(p, definitions[i].sp);
    return tp_fail(p, tp_peek(p, 0), "unexpected token");
}

static int definition_of(const struct txt_parser *p, const struct txt_tok *kw)
{
    for (size_t i = 0; i < ARRAY_LEN(definitions); i++)
        if (txt_tok_is(p->src, kw, definitions[i].kw))
            return (int)i;
    return -1;
}

/* Pass 1 over one field (at its "("); leaves pos after the field. */
static bool collect_field(struct txt_parser *p, struct collect *c)
{
    uint32_t start = p->pos;
    const struct txt_tok *kw = tp_peek(p, 1);
    if (tp_peek(p, 0)->kind != TK_LPAR || kw->kind != TK_KEYWORD)
        return tp_fail(p, tp_peek(p, 0), "unexpected token");
    p->pos += 2;
    bool ok = true;
    if (txt_tok_is(p->src, kw, "type"))
        return tp_type_def(p);
    if (txt_tok_is(p->src, kw, "import")) {
        ok = collect_import(p, c, kw);
    } else if (!txt_tok_is(p->src, kw, "export") && !txt_tok_is(p->src, kw, "start")) {
        int d = definition_of(p, kw);
        if (d < 0)
            return tp_fail(p, kw, "unknown module field");
        ok = collect_definition(p, c, definitions[d].sp);
    }
    if (!ok)
        return false;
    p->pos = start;
    return tp_skip(p);
}

/* ---- pass 2: parse each field ---- */

static bool field_start(struct txt_parser *p)
{
    const struct txt_tok *t = tp_peek(p, 0);
    if (p->has_start)
        return tp_fail(p, t, "multiple start sections");
    uint32_t index;
    if (!tp_index(p, NS_FUNC, &index))
        return false;
    p->has_start = true;
    buf_u32leb(&p->sec[8], index);
    return tp_close(p);
}

static bool field_type(struct txt_parser *p)
{
    p->pos -= 2; /* parsed in pass 1 */
    return tp_skip(p);
}

static const struct {
    const char *kw;
    bool (*parse)(struct txt_parser *p);
} fields[] = {
    {"type", field_type},          {"import", tp_field_import}, {"func", tp_field_func},
    {"table", tp_field_table},     {"memory", tp_field_memory}, {"global", tp_field_global},
    {"export", tp_field_export},   {"start", field_start},      {"elem", tp_field_elem},
    {"data", tp_field_data},
};

static bool parse_field(struct txt_parser *p)
{
    const struct txt_tok *kw = tp_peek(p, 1);
    p->pos += 2;
    for (size_t i = 0; i < ARRAY_LEN(fields); i++)
        if (txt_tok_is(p->src, kw, fields[i].kw))
            return fields[i].parse(p);
    return tp_fail(p, kw, "unknown module field");
}

/* ---- assembly ---- */

static void write_types(struct txt_parser *p)
{
    struct buf *b = &p->sec[1];
    for (size_t i = 0; i < p->types.len; i++) {
        const struct txt_ftype *f = &p->types.data[i];
        buf_byte(b, 0x60);
        buf_u32leb(b, f->nparams);
        buf_bytes(b, f->types, f->nparams);
        buf_u32leb(b, f->nresults);
        buf_bytes(b, f->types + f->nparams, f->nresults);
    }
    p->nsec[1] = (uint32_t)p->types.len;
}

static void write_section(struct buf *out, uint8_t id, const struct buf *body, uint32_t count,
                          bool counted)
{
    struct buf head = {0};
    if (counted)
        buf_u32leb(&head, count);
    buf_byte(out, id);
    buf_u32leb(out, (uint32_t)(head.len + body->len));
    buf_bytes(out, head.data, head.len);
    buf_bytes(out, body->data, body->len);
    out->oom |= head.oom || body->oom;
    buf_free(&head);
}

static void assemble(struct txt_parser *p, struct buf *out)
{
    static const uint8_t order[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11};
    write_types(p);
    if (p->uses_data_count) {
        p->nsec[12] = p->count[NS_DATA];
        buf_u32leb(&p->sec[12], p->count[NS_DATA]);
    }
    buf_bytes(out, "\0asm\1\0\0\0", 8);
    for (size_t i = 0; i < sizeof order; i++) {
        uint8_t id = order[i];
        bool counted = id != 8 && id != 12;
        if (p->nsec[id] || (!counted && p->sec[id].len))
            write_section(out, id, &p->sec[id], p->nsec[id], counted);
    }
    tp_write_names(p, out);
}

/* ---- entry points ---- */

static void parser_free(struct txt_parser *p)
{
    for (int i = 0; i < NS_COUNT; i++)
        txt_sym_free(&p->names[i]);
    for (int i = 0; i < SEC_COUNT; i++)
        buf_free(&p->sec[i]);
    txt_sym_free(&p->locals);
    vec_free(&p->types);
    vec_free(&p->local_types);
    vec_free(&p->labels);
    vec_free(&p->sig);
    buf_free(&p->scratch);
    buf_free(&p->body);
    buf_free(&p->items);
    buf_free(&p->local_names);
    arena_free(&p->arena);
}

static bool any_oom(const struct txt_parser *p)
{
    bool oom = p->scratch.oom || p->body.oom || p->items.oom || p->local_names.oom;
    for (int i = 0; i < SEC_COUNT; i++)
        oom |= p->sec[i].oom;
    return oom;
}

/* Runs both passes over the fields in [begin, end). */
static bool parse_fields(struct txt_parser *p, uint32_t begin, uint32_t end)
{
    struct collect c = {0};
    for (p->pos = begin; p->pos < end;)
        if (!collect_field(p, &c))
            return false;
    memset(p->count, 0, sizeof p->count);
    for (p->pos = begin; p->pos < end;)
        if (!parse_field(p))
            return false;
    return true;
}

bool txt_parse_tokens(const struct txt_tokens *tk, uint32_t *pos, struct buf *out, struct err *e)
{
    struct txt_parser p = {.tk = tk, .src = tk->src, .pos = *pos, .err = e};
    bool wrapped = tp_open(&p, "module");
    if (wrapped)
        tp_opt_id(&p, &p.module_id, &p.module_id_len);
    uint32_t begin = p.pos;
    bool ok = true;
    while (ok && tp_peek(&p, 0)->kind == TK_LPAR)
        ok = tp_skip(&p);
    uint32_t end = p.pos;
    ok = ok && parse_fields(&p, begin, end);
    if (ok && wrapped) {
        p.pos = end;
        ok = tp_close(&p);
    }
    if (ok && any_oom(&p))
        ok = tp_oom(&p);
    if (ok) {
        assemble(&p, out);
        *pos = p.pos;
    }
    parser_free(&p);
    return ok && (!out->oom || tp_oom(&p));
}

bool txt_parse_module(const char *src, size_t len, struct buf *out, struct err *e)
{
    struct txt_tokens tk;
    if (!txt_lex(src, len, &tk, e))
        return false;
    uint32_t pos = 0;
    bool ok = txt_parse_tokens(&tk, &pos, out, e);
    if (ok && pos < tk.n)
        ok = err_set(e, ERR_MALFORMED, tk.v[pos].off, "unexpected token");
    txt_tokens_free(&tk);
    return ok;
}

bool txt_module_bytes(const uint8_t *p, size_t len, uint8_t **out, size_t *out_len,
                      bool *owned, struct err *e)
{
    *owned = false;
    if (txt_is_binary(p, len)) {
        *out = (uint8_t *)p;
        *out_len = len;
        return true;
    }
    struct buf b = {0};
    if (!txt_parse_module((const char *)p, len, &b, e)) {
        buf_free(&b);
        return false;
    }
    *out = b.data;
    *out_len = b.len;
    *owned = true;
    return true;
}
