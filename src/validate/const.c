/* Constant expressions (global initializers, segment offsets and element
 * items) and the set of function references they and the exports declare. */
#include <string.h>

#include "validate.h"

/* Sets *t to the type the constant instruction pushes; fails when the
 * instruction is not constant or names something that does not exist. */
static bool const_insn_type(const struct module *m, const struct insn *in, valtype *t,
                            struct err *e)
{
    switch (in->op) {
    case OP_I32_CONST: *t = VT_I32; return true;
    case OP_I64_CONST: *t = VT_I64; return true;
    case OP_F32_CONST: *t = VT_F32; return true;
    case OP_F64_CONST: *t = VT_F64; return true;
    case OP_V128_CONST: *t = VT_V128; return true;
    case OP_REF_NULL: *t = in->imm.reftype; return true;
    case OP_REF_FUNC:
        if (in->imm.index >= m->nfuncs)
            return err_set(e, ERR_INVALID, in->offset, "unknown function %u", in->imm.index);
        *t = VT_FUNCREF;
        return true;
    case OP_GLOBAL_GET: {
        /* Only imported globals exist yet when constants are evaluated. */
        uint32_t g = in->imm.index;
        if (g >= m->nglobal_imports)
            return err_set(e, ERR_INVALID, in->offset, "unknown global %u", g);
        if (m->globals[g].type.mut)
            return err_set(e, ERR_INVALID, in->offset, "constant expression required");
        *t = m->globals[g].type.type;
        return true;
    }
    default:
        return err_set(e, ERR_INVALID, in->offset, "constant expression required");
    }
}

bool val_const_expr(const struct module *m, const struct expr *x, valtype t, struct err *e)
{
    struct reader r = {m->bytes, x->p, x->p + x->len, e};
    uint32_t depth = 0; /* values pushed so far */
    valtype top = 0;
    for (;;) {
        struct insn in;
        if (!dec_insn(&r, &in))
            return false;
        if (in.op == OP_END)
            break;
        if (!const_insn_type(m, &in, &top, e))
            return false;
        depth++;
    }
    if (depth != 1 || top != t)
        return err_set(e, ERR_INVALID, x->offset, "type mismatch: constant expression must be %s",
                       dec_valtype_name(t));
    return true;
}

static void declare(uint8_t *bits, const struct module *m, uint32_t f)
{
    if (f < m->nfuncs)
        bits[f >> 3] |= (uint8_t)(1u << (f & 7));
}

/* Marks the function an element item or global initializer names, if any. */
static void declare_expr(uint8_t *bits, const struct module *m, const struct expr *x)
{
    struct insn in;
    if (x->len && dec_const_insn(x, &in) && in.op == OP_REF_FUNC)
        declare(bits, m, in.imm.index);
}

uint8_t *val_declared_funcs(const struct module *m, struct err *e)
{
    uint8_t *bits = calloc((size_t)m->nfuncs / 8 + 1, 1);
    if (!bits) {
        err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == EXT_FUNC)
            declare(bits, m, m->exports[i].index);
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++)
        declare_expr(bits, m, &m->globals[i].init);
    for (uint32_t i = 0; i < m->nelems; i++) {
        const struct elem *el = &m->elems[i];
        for (uint32_t k = 0; k < el->count; k++) {
            if (el->funcs)
                declare(bits, m, el->funcs[k]);
            else
                declare_expr(bits, m, &el->exprs[k]);
        }
    }
    return bits;
}
