/* The "name" custom section of a module written from text: the $ids of the
 * module, its functions, their parameters and locals, types, tables,
 * memories, globals and segments, so that backtraces of a .wat module name
 * its functions. The layout and choice of subsections are those of
 * `wat2wasm --debug-names`, which the cross-check test compares against
 * byte for byte. */
#include "text.h"

enum { SUB_MODULE = 0, SUB_FUNC = 1, SUB_LOCAL = 2 };

/* Name-map subsections after the local names, in subsection order. */
static const struct {
    uint8_t id;
    enum txt_space space;
} maps[] = {{4, NS_TYPE}, {5, NS_TABLE}, {6, NS_MEM}, {7, NS_GLOBAL}, {8, NS_ELEM}, {9, NS_DATA}};

void tp_note_local_names(struct txt_parser *p, uint32_t func)
{
    buf_u32leb(&p->local_names, func);
    txt_sym_write_map(&p->locals, &p->local_names);
    p->nlocal_names++;
}

static void subsection(struct buf *out, uint8_t id, const struct buf *body)
{
    buf_byte(out, id);
    buf_u32leb(out, (uint32_t)body->len);
    buf_bytes(out, body->data, body->len);
    out->oom |= body->oom;
}

/* Writes a name map of one index space, when it has any names. */
static void map(struct buf *out, struct buf *tmp, uint8_t id, const struct txt_symtab *t)
{
    if (!t->count)
        return;
    tmp->len = 0;
    txt_sym_write_map(t, tmp);
    subsection(out, id, tmp);
}

void tp_write_names(struct txt_parser *p, struct buf *out)
{
    struct buf body = {0}, tmp = {0};
    buf_u32leb(&body, 4);
    buf_bytes(&body, "name", 4);
    if (p->module_id) {
        buf_u32leb(&tmp, p->module_id_len - 1);
        buf_bytes(&tmp, p->module_id + 1, p->module_id_len - 1);
        subsection(&body, SUB_MODULE, &tmp);
    }
    map(&body, &tmp, SUB_FUNC, &p->names[NS_FUNC]);
    tmp.len = 0;
    buf_u32leb(&tmp, p->nlocal_names);
    buf_bytes(&tmp, p->local_names.data, p->local_names.len);
    tmp.oom |= p->local_names.oom;
    subsection(&body, SUB_LOCAL, &tmp);
    for (size_t i = 0; i < ARRAY_LEN(maps); i++)
        map(&body, &tmp, maps[i].id, &p->names[maps[i].space]);
    buf_byte(out, 0); /* custom section */
    buf_u32leb(out, (uint32_t)body.len);
    buf_bytes(out, body.data, body.len);
    out->oom |= body.oom || tmp.oom;
    buf_free(&body);
    buf_free(&tmp);
}
