/* Value types, function types and type uses. A type use without (type x)
 * resolves to the first type with the same signature, or appends a new
 * implicit type at the end of the type section. */
#include <string.h>

#include "text.h"

static const struct {
    const char *name;
    valtype type;
} valtypes[] = {
    {"i32", VT_I32}, {"i64", VT_I64}, {"f32", VT_F32}, {"f64", VT_F64},
    {"v128", VT_V128}, {"funcref", VT_FUNCREF}, {"externref", VT_EXTERNREF},
};

bool tp_valtype(struct txt_parser *p, valtype *out)
{
    const struct txt_tok *t = tp_peek(p, 0);
    for (size_t i = 0; t->kind == TK_KEYWORD && i < ARRAY_LEN(valtypes); i++) {
        if (txt_tok_is(p->src, t, valtypes[i].name)) {
            *out = valtypes[i].type;
            p->pos++;
            return true;
        }
    }
    return tp_fail(p, t, "unexpected token");
}

bool tp_reftype(struct txt_parser *p, valtype *out)
{
    const struct txt_tok *t = tp_peek(p, 0);
    if (!tp_valtype(p, out))
        return false;
    return dec_is_reftype(*out) || tp_fail(p, t, "unexpected token");
}

enum names { NAMES_FORBID, NAMES_IGNORE, NAMES_BIND };

static bool push_type(struct txt_parser *p, valtype t)
{
    valtype *s = vec_push(&p->sig);
    if (!s)
        return tp_oom(p);
    *s = t;
    return true;
}

/* A named parameter (param $x t): bound as a local when names == NAMES_BIND. */
static bool named_param(struct txt_parser *p, enum names names)
{
    const struct txt_tok *id = tp_peek(p, 0);
    if (names == NAMES_FORBID)
        return tp_fail(p, id, "unexpected token");
    p->pos++;
    valtype t;
    if (!tp_valtype(p, &t) || !push_type(p, t))
        return false;
    if (names == NAMES_BIND) {
        int r = txt_sym_add(&p->locals, p->src + id->off, id->len, (uint32_t)p->local_types.len);
        if (r <= 0)
            return r < 0 ? tp_oom(p) : tp_fail(p, id, "duplicate local");
        valtype *l = vec_push(&p->local_types);
        if (!l)
            return tp_oom(p);
        *l = t;
    }
    return tp_close(p);
}

/* (param ...)* (result ...)* into p->sig; sets *nparams. When binding,
 * every parameter is also appended to the function's locals. */
static bool signature(struct txt_parser *p, enum names names, uint32_t *nparams)
{
    while (tp_open(p, "param")) {
        if (tp_peek(p, 0)->kind == TK_ID) {
            if (!named_param(p, names))
                return false;
            continue;
        }
        while (tp_peek(p, 0)->kind != TK_RPAR) {
            valtype t;
            if (!tp_valtype(p, &t) || !push_type(p, t))
                return false;
            valtype *l = names == NAMES_BIND ? vec_push(&p->local_types) : &t;
            if (!l)
                return tp_oom(p);
            *l = t;
        }
        p->pos++;
    }
    *nparams = (uint32_t)p->sig.len;
    while (tp_open(p, "result")) {
        while (tp_peek(p, 0)->kind != TK_RPAR) {
            valtype t;
            if (!tp_valtype(p, &t) || !push_type(p, t))
                return false;
        }
        p->pos++;
    }
    return true;
}

/* Appends p->sig as a new type; returns its index or -1 on OOM. */
static int64_t add_type(struct txt_parser *p, uint32_t nparams)
{
    struct txt_ftype f = {nparams, (uint32_t)p->sig.len - nparams, NULL};
    f.types = arena_alloc(&p->arena, p->sig.len);
    struct txt_ftype *slot = f.types ? vec_push(&p->types) : NULL;
    if (!slot)
        return -1;
    if (p->sig.len)
        memcpy(f.types, p->sig.data, p->sig.len);
    *slot = f;
    return (int64_t)p->types.len - 1;
}

static bool sig_equals(const struct txt_parser *p, uint32_t nparams, const struct txt_ftype *f)
{
    return f->nparams == nparams && f->nparams + f->nresults == p->sig.len &&
           (!p->sig.len || !memcmp(f->types, p->sig.data, p->sig.len));
}

bool tp_type_def(struct txt_parser *p)
{
    const char *name;
    uint32_t len, nparams;
    tp_opt_id(p, &name, &len);
    const struct txt_tok *at = tp_peek(p, 0);
    if (!tp_open(p, "func"))
        return tp_fail(p, at, "unexpected token");
    p->sig.len = 0;
    if (!signature(p, NAMES_IGNORE, &nparams) || !tp_close(p) || !tp_close(p))
        return false;
    int64_t index = add_type(p, nparams);
    if (index < 0)
        return tp_oom(p);
    int r = name ? txt_sym_add(&p->names[NS_TYPE], name, len, (uint32_t)index) : 1;
    return r > 0 || (r < 0 ? tp_oom(p) : tp_fail(p, at, "duplicate type %.*s", (int)len, name));
}

/* The shared part of type uses and block types. *explicit_type tells
 * whether (type x) was written; p->sig holds the inline signature. */
static bool typeuse(struct txt_parser *p, enum names names, uint32_t *index, bool *explicit_type,
                    uint32_t *nparams)
{
    *explicit_type = false;
    if (tp_open(p, "type")) {
        *explicit_type = true;
        if (!tp_index(p, NS_TYPE, index) || !tp_close(p))
            return false;
    }
    const struct txt_tok *at = tp_peek(p, 0);
    p->sig.len = 0;
    if (!signature(p, names, nparams))
        return false;
    if (*explicit_type) {
        /* Without an inline signature, an index out of range is left for
         * the validator; with one, it cannot be checked: malformed. */
        if (p->sig.len && *index >= p->types.len)
            return tp_fail(p, at, "unknown type");
        if (p->sig.len && !sig_equals(p, *nparams, &p->types.data[*index]))
            return tp_fail(p, at, "inline function type");
        return true;
    }
    for (size_t i = 0; i < p->types.len; i++) {
        if (sig_equals(p, *nparams, &p->types.data[i])) {
            *index = (uint32_t)i;
            return true;
        }
    }
    int64_t added = add_type(p, *nparams);
    if (added < 0)
        return tp_oom(p);
    *index = (uint32_t)added;
    return true;
}

bool tp_typeuse(struct txt_parser *p, bool bind, uint32_t *index)
{
    bool explicit_type;
    uint32_t nparams;
    if (!typeuse(p, bind ? NAMES_BIND : NAMES_FORBID, index, &explicit_type, &nparams))
        return false;
    /* (type x) alone: the parameters come from the type, unnamed. */
    if (bind && explicit_type && !p->sig.len && *index < p->types.len) {
        const struct txt_ftype *f = &p->types.data[*index];
        for (uint32_t i = 0; i < f->nparams; i++) {
            valtype *l = vec_push(&p->local_types);
            if (!l)
                return tp_oom(p);
            *l = f->types[i];
        }
    }
    return true;
}

bool tp_blocktype(struct txt_parser *p, struct buf *out)
{
    /* No params and at most one result: the short encoding, as wabt does,
     * unless a (type x) names a type that is not known. */
    bool explicit_type = tp_at_open(p, "type");
    uint32_t nparams = 0, index = 0;
    const struct txt_ftype *f = NULL;
    if (!explicit_type) {
        p->sig.len = 0;
        uint32_t save = p->pos;
        if (!signature(p, NAMES_FORBID, &nparams))
            return false;
        if (nparams == 0 && p->sig.len <= 1) {
            buf_byte(out, p->sig.len ? p->sig.data[0] : 0x40);
            return true;
        }
        p->pos = save;
    }
    if (!typeuse(p, NAMES_FORBID, &index, &explicit_type, &nparams))
        return false;
    f = index < p->types.len ? &p->types.data[index] : NULL;
    if (f && f->nparams == 0 && f->nresults <= 1)
        buf_byte(out, f->nresults ? f->types[0] : 0x40);
    else
        buf_s64leb(out, index);
    return true;
}
