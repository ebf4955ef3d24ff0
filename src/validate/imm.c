/* Immediates of one instruction: the indices it names must exist, lane
 * numbers must be in range, and what they resolve to (block and callee
 * types, table types) goes into val_insn. Nothing here touches the operand
 * stack. Locals, labels, globals and memory accesses, the most frequent,
 * are the walker's own. */
#include "validate.h"

/* A one-element type array for each value type, so a block type that is a
 * single value can be described by a pointer like any other. */
static const valtype self_type[256] = {
    [VT_I32] = VT_I32,         [VT_I64] = VT_I64,   [VT_F32] = VT_F32, [VT_F64] = VT_F64,
    [VT_V128] = VT_V128,       [VT_FUNCREF] = VT_FUNCREF, [VT_EXTERNREF] = VT_EXTERNREF,
};

static bool invalid(const struct insn *in, struct err *e, const char *what, uint32_t index)
{
    return err_set(e, ERR_INVALID, in->offset, "%s %u", what, index);
}

void val_set_type(struct val_insn *vi, const struct functype *t)
{
    vi->params = ft_params(t);
    vi->nparams = t->nparams;
    vi->results = ft_results(t);
    vi->nresults = t->nresults;
}

static bool block_type(const struct module *m, const struct insn *in, struct val_insn *vi,
                       struct err *e)
{
    const struct blocktype *bt = &in->imm.block;
    if (bt->kind == BT_VALUE) {
        vi->results = &self_type[bt->value];
        vi->nresults = 1;
    } else if (bt->kind == BT_INDEX) {
        if (bt->index >= m->ntypes)
            return invalid(in, e, "unknown type", bt->index);
        val_set_type(vi, &m->types[bt->index]);
    }
    return true;
}

static bool table(const struct module *m, const struct insn *in, uint32_t t, struct err *e)
{
    return t < m->ntables || invalid(in, e, "unknown table", t);
}

static bool memory(const struct module *m, const struct insn *in, struct err *e)
{
    return m->nmems > 0 || invalid(in, e, "unknown memory", 0);
}

static bool elem(const struct module *m, const struct insn *in, uint32_t x, struct err *e)
{
    return x < m->nelems || invalid(in, e, "unknown elem segment", x);
}

/* memory.init and data.drop: decoding a body needs the data count section
 * to know the number of segments up front, so its absence is malformed. */
static bool data(const struct module *m, const struct insn *in, uint32_t x, struct err *e)
{
    if (!m->has_data_count)
        return err_set(e, ERR_MALFORMED, in->offset, "data count section required");
    return x < m->data_count || invalid(in, e, "unknown data segment", x);
}

static bool shuffle(const struct insn *in, struct err *e)
{
    for (int i = 0; i < 16; i++)
        if (in->imm.bytes[i] >= 32)
            return err_set(e, ERR_INVALID, in->offset, "invalid lane index");
    return true;
}

static bool call_indirect(const struct module *m, const struct insn *in, struct val_insn *vi,
                          struct err *e)
{
    uint32_t t = in->imm.call_indirect.table, type = in->imm.call_indirect.type;
    if (!table(m, in, t, e))
        return false;
    if (type >= m->ntypes)
        return invalid(in, e, "unknown type", type);
    if (m->tables[t].elem != VT_FUNCREF)
        return err_set(e, ERR_INVALID, in->offset, "type mismatch: call_indirect on a table of %s",
                       dec_valtype_name(m->tables[t].elem));
    val_set_type(vi, &m->types[type]);
    vi->type = VT_FUNCREF;
    return true;
}

/* table.init x y and table.copy x y: both name a table and a source whose
 * element types must agree. */
static bool table_pair(const struct module *m, const struct insn *in, struct val_insn *vi,
                       struct err *e)
{
    bool init = in->op == OP_TABLE_INIT;
    uint32_t dst = init ? in->imm.pair.b : in->imm.pair.a;
    if (!table(m, in, dst, e))
        return false;
    valtype src;
    if (init) {
        if (!elem(m, in, in->imm.pair.a, e))
            return false;
        src = m->elems[in->imm.pair.a].type;
    } else {
        if (!table(m, in, in->imm.pair.b, e))
            return false;
        src = m->tables[in->imm.pair.b].elem;
    }
    vi->type = m->tables[dst].elem;
    if (src != vi->type)
        return err_set(e, ERR_INVALID, in->offset, "type mismatch: %s into a table of %s",
                       dec_valtype_name(src), dec_valtype_name(vi->type));
    return true;
}

bool val_immediates(const struct module *m, const struct insn *in, struct val_insn *vi,
                    struct err *e)
{
    switch (dec_ops[in->op].imm) {
    case IMM_BLOCK:
        return block_type(m, in, vi, e);
    case IMM_FUNC:
        if (in->imm.index >= m->nfuncs)
            return invalid(in, e, "unknown function", in->imm.index);
        if (in->op == OP_CALL)
            val_set_type(vi, dec_func_type(m, in->imm.index));
        else
            vi->type = VT_FUNCREF;
        return true;
    case IMM_CALL_INDIRECT:
        return call_indirect(m, in, vi, e);
    case IMM_SELECT_T:
        if (in->imm.select.count != 1)
            return err_set(e, ERR_INVALID, in->offset, "invalid result arity");
        vi->type = in->imm.select.type;
        return true;
    case IMM_TABLE:
        if (!table(m, in, in->imm.index, e))
            return false;
        vi->type = m->tables[in->imm.index].elem;
        return true;
    case IMM_MEMIDX: case IMM_MEMORY_COPY:
        return memory(m, in, e);
    case IMM_LANE:
        return in->imm.lane < dec_ops[in->op].aux ||
               err_set(e, ERR_INVALID, in->offset, "invalid lane index");
    case IMM_SHUFFLE:
        return shuffle(in, e);
    case IMM_REFTYPE:
        vi->type = in->imm.reftype;
        return true;
    case IMM_MEMORY_INIT:
        return data(m, in, in->imm.pair.a, e) && memory(m, in, e);
    case IMM_DATA:
        return data(m, in, in->imm.index, e);
    case IMM_ELEM:
        return elem(m, in, in->imm.index, e);
    case IMM_TABLE_INIT: case IMM_TABLE_COPY:
        return table_pair(m, in, vi, e);
    default: /* no immediate, constants, labels, locals, globals and memory
              * accesses (the walker's, for speed) */
        return true;
    }
}
