/* Pass 2 of the definition fields: func, table, memory, global, import and
 * export, with their inline import and export abbreviations. Each writes
 * its entries into the buffer of its binary section. */
#include <string.h>

#include "text.h"

enum { S_IMPORT = 2, S_FUNC = 3, S_TABLE = 4, S_MEM = 5, S_GLOBAL = 6, S_EXPORT = 7, S_CODE = 10 };

/* Skips the $id bound in pass 1 and returns the definition's index. */
static uint32_t next_index(struct txt_parser *p, enum txt_space sp)
{
    if (tp_peek(p, 0)->kind == TK_ID)
        p->pos++;
    return p->count[sp]++;
}

static bool inline_exports(struct txt_parser *p, enum extern_kind kind, uint32_t index)
{
    struct buf *b = &p->sec[S_EXPORT];
    while (tp_open(p, "export")) {
        if (!tp_name(p, b))
            return false;
        buf_byte(b, (uint8_t)kind);
        buf_u32leb(b, index);
        p->nsec[S_EXPORT]++;
        if (!tp_close(p))
            return false;
    }
    return true;
}

/* An inline (import "m" "n"): 1 when present (the entry's names and kind
 * written), 0 when absent, -1 on error. */
static int inline_import(struct txt_parser *p, enum extern_kind kind)
{
    struct buf *b = &p->sec[S_IMPORT];
    if (!tp_open(p, "import"))
        return 0;
    if (!tp_name(p, b) || !tp_name(p, b) || !tp_close(p))
        return -1;
    buf_byte(b, (uint8_t)kind);
    p->nsec[S_IMPORT]++;
    return 1;
}

static bool limits(struct txt_parser *p, struct buf *out)
{
    uint32_t min, max;
    if (!tp_nat32(p, &min))
        return false;
    bool has_max = tp_peek(p, 0)->kind == TK_NUM;
    if (has_max && !tp_nat32(p, &max))
        return false;
    buf_byte(out, has_max);
    buf_u32leb(out, min);
    if (has_max)
        buf_u32leb(out, max);
    return true;
}

/* limits reftype, written in binary order: reftype, limits. */
static bool tabletype(struct txt_parser *p, struct buf *out)
{
    uint32_t start = p->pos;
    p->pos += tp_peek(p, 1)->kind == TK_NUM ? 2 : 1;
    valtype t;
    if (!tp_reftype(p, &t))
        return false;
    uint32_t end = p->pos;
    buf_byte(out, t);
    p->pos = start;
    if (!limits(p, out))
        return false;
    p->pos = end;
    return true;
}

static bool globaltype(struct txt_parser *p, struct buf *out)
{
    valtype t;
    bool mut = tp_open(p, "mut");
    if (!tp_valtype(p, &t) || (mut && !tp_close(p)))
        return false;
    buf_byte(out, t);
    buf_byte(out, mut);
    return true;
}

/* ---- functions ---- */

static void reset_function(struct txt_parser *p)
{
    txt_sym_free(&p->locals);
    p->local_types.len = 0;
    p->labels.len = 0;
    p->body.len = 0;
}

/* (local $x t) or (local t*) declarations. */
static bool locals(struct txt_parser *p)
{
    while (tp_open(p, "local")) {
        const struct txt_tok *id = tp_peek(p, 0);
        bool named = id->kind == TK_ID;
        if (named) {
            p->pos++;
            int r = txt_sym_add(&p->locals, p->src + id->off, id->len,
                                (uint32_t)p->local_types.len);
            if (r <= 0)
                return r < 0 ? tp_oom(p) : tp_fail(p, id, "duplicate local");
        }
        for (uint32_t n = 0; tp_peek(p, 0)->kind != TK_RPAR && !(named && n == 1); n++) {
            valtype *l = vec_push(&p->local_types);
            if (!l)
                return tp_oom(p);
            if (!tp_valtype(p, l))
                return false;
        }
        if (!tp_close(p))
            return false;
    }
    return true;
}

/* Appends one code entry: local declarations (runs of one type) and body. */
static void write_code(struct txt_parser *p, uint32_t nparams)
{
    struct buf *head = &p->scratch; /* empty between instructions */
    uint32_t runs = 0;
    for (size_t i = nparams; i < p->local_types.len; i++)
        runs += i == nparams || p->local_types.data[i] != p->local_types.data[i - 1];
    buf_u32leb(head, runs);
    for (size_t i = nparams; i < p->local_types.len;) {
        size_t j = i;
        while (j < p->local_types.len && p->local_types.data[j] == p->local_types.data[i])
            j++;
        buf_u32leb(head, (uint32_t)(j - i));
        buf_byte(head, p->local_types.data[i]);
        i = j;
    }
    struct buf *code = &p->sec[S_CODE];
    buf_u32leb(code, (uint32_t)(head->len + p->body.len));
    buf_bytes(code, head->data, head->len);
    buf_bytes(code, p->body.data, p->body.len);
    p->nsec[S_CODE]++;
    head->len = 0;
}

/* The common start of a definition field: its $id (bound in pass 1), its
 * inline exports and an optional inline import. Returns where its type goes:
 * the import section for an import, else its own section (whose count is
 * raised); NULL on error. */
static struct buf *definition(struct txt_parser *p, enum txt_space sp, enum extern_kind kind,
                              int section, uint32_t *index, bool *imported)
{
    *index = next_index(p, sp);
    if (!inline_exports(p, kind, *index))
        return NULL;
    int r = inline_import(p, kind);
    if (r < 0)
        return NULL;
    *imported = r;
    if (r)
        return &p->sec[S_IMPORT];
    p->nsec[section]++;
    return &p->sec[section];
}

/* Limits min = max = n, for a table or memory sized by its inline segment. */
static void exact_limits(struct buf *b, uint32_t n)
{
    buf_byte(b, 1);
    buf_u32leb(b, n);
    buf_u32leb(b, n);
}

bool tp_field_func(struct txt_parser *p)
{
    uint32_t index, type;
    bool imported;
    struct buf *b = definition(p, NS_FUNC, EXT_FUNC, S_FUNC, &index, &imported);
    if (!b)
        return false;
    reset_function(p);
    if (!tp_typeuse(p, true, &type))
        return false;
    buf_u32leb(b, type);
    if (imported) {
        tp_note_local_names(p, index);
        return tp_close(p);
    }
    uint32_t nparams = (uint32_t)p->local_types.len;
    if (!locals(p))
        return false;
    tp_note_local_names(p, index);
    if (!tp_expr(p, &p->body) || !tp_close(p))
        return false;
    write_code(p, nparams);
    return true;
}

/* ---- tables, memories, globals ---- */

bool tp_field_table(struct txt_parser *p)
{
    uint32_t index, n;
    bool imported;
    struct buf *b = definition(p, NS_TABLE, EXT_TABLE, S_TABLE, &index, &imported);
    if (!b)
        return false;
    if (imported || tp_peek(p, 0)->kind != TK_KEYWORD)
        return tabletype(p, b) && tp_close(p);
    /* reftype (elem ...): a table just big enough for its segment. */
    valtype t;
    if (!tp_reftype(p, &t) || !tp_inline_elem(p, index, t, &n))
        return false;
    buf_byte(b, t);
    exact_limits(b, n);
    return tp_close(p);
}

bool tp_field_memory(struct txt_parser *p)
{
    uint32_t index, len;
    bool imported;
    struct buf *b = definition(p, NS_MEM, EXT_MEMORY, S_MEM, &index, &imported);
    if (!b)
        return false;
    if (imported || !tp_at_open(p, "data"))
        return limits(p, b) && tp_close(p);
    /* (data "..."*): a memory just big enough for its bytes. */
    if (!tp_inline_data(p, index, &len))
        return false;
    exact_limits(b, (uint32_t)(((uint64_t)len + 0xFFFF) >> 16));
    return tp_close(p);
}

bool tp_field_global(struct txt_parser *p)
{
    uint32_t index;
    bool imported;
    struct buf *b = definition(p, NS_GLOBAL, EXT_GLOBAL, S_GLOBAL, &index, &imported);
    if (!b || !globaltype(p, b))
        return false;
    reset_function(p);
    if (!imported && !tp_expr(p, b))
        return false;
    return tp_close(p);
}

/* ---- imports and exports ---- */

static const struct {
    const char *kw;
    enum txt_space sp;
    enum extern_kind kind;
} externs[] = {
    {"func", NS_FUNC, EXT_FUNC},
    {"table", NS_TABLE, EXT_TABLE},
    {"memory", NS_MEM, EXT_MEMORY},
    {"global", NS_GLOBAL, EXT_GLOBAL},
};

/* (import "m" "n" (kind $id? desc)) after "(import". */
bool tp_field_import(struct txt_parser *p)
{
    struct buf *b = &p->sec[S_IMPORT];
    if (!tp_name(p, b) || !tp_name(p, b))
        return false;
    size_t k = 0;
    while (k < ARRAY_LEN(externs) && !tp_open(p, externs[k].kw))
        k++; /* pass 1 checked that one matches */
    buf_byte(b, (uint8_t)externs[k].kind);
    p->nsec[S_IMPORT]++;
    uint32_t index = next_index(p, externs[k].sp);
    bool ok;
    uint32_t type;
    switch (externs[k].kind) {
    case EXT_FUNC:
        reset_function(p);
        ok = tp_typeuse(p, true, &type);
        buf_u32leb(b, type);
        tp_note_local_names(p, index);
        break;
    case EXT_TABLE: ok = tabletype(p, b); break;
    case EXT_MEMORY: ok = limits(p, b); break;
    default: ok = globaltype(p, b); break;
    }
    return ok && tp_close(p) && tp_close(p);
}

/* (export "n" (kind x)) after "(export". */
bool tp_field_export(struct txt_parser *p)
{
    struct buf *b = &p->sec[S_EXPORT];
    if (!tp_name(p, b))
        return false;
    for (size_t k = 0; k < ARRAY_LEN(externs); k++) {
        if (tp_open(p, externs[k].kw)) {
            uint32_t index;
            if (!tp_index(p, externs[k].sp, &index))
                return false;
            buf_byte(b, (uint8_t)externs[k].kind);
            buf_u32leb(b, index);
            p->nsec[S_EXPORT]++;
            return tp_close(p) && tp_close(p);
        }
    }
    return tp_fail(p, tp_peek(p, 0), "unexpected token");
}
