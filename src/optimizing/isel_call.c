/* Instruction selection for the System V convention of docs/ABI.md: the
 * parameters at function entry, and calls (stack arguments stored first,
 * then the argument registers set, the call clobbering every caller-saved
 * register, the result taken from rax or xmm0). */
#include "optimizing.h"

/* Where the System V convention puts each of n values of the given types:
 * a register, or stack slot k as -(k + 1). Returns the stack slots used. */
static uint32_t classify(const struct opt_func *f, const uint32_t *vals, const uint8_t *types,
                         uint32_t n, int32_t *where)
{
    uint32_t ni = 0, nf = 0, ns = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool fl = opt_is_float(vals ? f->insn[vals[i]].type : types[i]);
        if (fl && nf < 8)
            where[i] = X64_XMM0 + (int32_t)nf++;
        else if (!fl && ni < 6)
            where[i] = opt_int_args[ni++];
        else
            where[i] = -(int32_t)++ns;
    }
    return ns;
}

/* ENTRY, then each PARAM taken from its register or stack slot. */
bool opt_s_entry(struct isel *s)
{
    struct opt_func *f = s->f;
    const struct opt_block *bl = &f->block[0];
    uint32_t n = f->nparam_abi;
    int32_t *where = arena_array_raw(f->arena, n + 1, sizeof *where); /* classify: all n */
    uint8_t *types = arena_alloc(f->arena, n + 1);
    if (!where || !types)
        return false;
    for (uint32_t i = 0; i < bl->ninsn; i++) {
        const struct opt_insn *in = &f->insn[bl->insn[i]];
        if (in->op == OPT_PARAM)
            types[in->imm] = in->type;
    }
    classify(f, NULL, types, n, where);
    struct mi *e = opt_s_add(s, MK_ENTRY, 8);
    for (uint32_t i = 0; i < n; i++)
        if (where[i] >= 0)
            e->idef |= 1u << where[i];
    for (uint32_t i = 0; i < bl->ninsn; i++) {
        opt_val v = bl->insn[i];
        const struct opt_insn *in = &f->insn[v];
        if (in->op != OPT_PARAM || s->fold[v] == FOLD_DEAD)
            continue;
        int32_t w = where[in->imm];
        struct mi *m = opt_s_add(s, w >= 0 ? MK_MOV : MK_LOAD, opt_s_size(in->type));
        m->def = opt_s_vreg(s, v);
        if (w >= 0) {
            m->use[0] = (uint32_t)w;
            m->ext = in->type == OPT_I32; /* its upper half is not ours */
        } else {
            m->op = in->type == OPT_I32 ? MEM_U32 : opt_mem_of_type(in->type);
            opt_s_mem(s, m, (struct maddr){X64_RBP, MR_NONE, 1, 16 + 8 * (-w - 1)});
        }
    }
    return true;
}

bool opt_s_call(struct isel *s, opt_val v)
{
    struct opt_func *f = s->f;
    const struct opt_insn *in = &f->insn[v];
    uint32_t *a, n = opt_args(f, in, &a), lead = in->op == OPT_CALL_IND;
    /* classify writes where[0, n - lead); regs[i] is set and read only
     * where where[i] >= 0 */
    int32_t *where = arena_array_raw(f->arena, n + 1, sizeof *where);
    uint32_t *regs = arena_array_raw(f->arena, n + 1, sizeof *regs);
    if (!where || !regs)
        return false;
    uint32_t ns = classify(f, a + lead, NULL, n - lead, where);
    s->mf->out_args = ns * 8 > s->mf->out_args ? ns * 8 : s->mf->out_args;
    uint32_t code = lead ? opt_s_reg(s, a[0]) : MR_NONE;
    for (uint32_t i = 0; i < n - lead; i++) /* stack arguments first */
        if (where[i] < 0) {
            uint32_t r = opt_s_reg(s, a[lead + i]);
            struct mi *m = opt_s_add(s, MK_STORE, 8);
            m->use[0] = r;
            m->op = opt_mem_of_type(f->insn[a[lead + i]].type);
            opt_s_mem(s, m, (struct maddr){X64_RSP, MR_NONE, 1, 8 * (-where[i] - 1)});
        } else if (f->insn[a[lead + i]].op != OPT_ICONST) {
            regs[i] = opt_s_reg(s, a[lead + i]);
        } else { /* an integer constant goes straight to its register */
            regs[i] = MR_NONE;
        }
    struct mi *m;
    uint32_t mask = 0;
    for (uint32_t i = 0; i < n - lead; i++)
        if (where[i] >= 0) {
            const struct opt_insn *c = &f->insn[a[lead + i]];
            bool imm = regs[i] == MR_NONE;
            m = opt_s_add(s, imm ? MK_MOVI : MK_MOV, imm ? opt_s_size(c->type) : 8);
            m->def = (uint32_t)where[i];
            m->use[0] = regs[i];
            m->imm = imm ? c->imm : 0;
            mask |= 1u << where[i];
        }
    m = opt_s_add(s, MK_CALL, 8);
    m->op = in->op == OPT_CALL ? CALL_FUNC : in->op == OPT_CALL_RT ? CALL_BUILTIN : CALL_REG;
    m->imm = in->imm;
    m->use[0] = code;
    m->iuse = mask;
    m->idef = opt_caller_saved;
    if (in->type != OPT_VOID) {
        m = opt_s_add(s, MK_MOV, opt_s_size(in->type));
        m->def = opt_s_vreg(s, v);
        m->use[0] = opt_is_float(in->type) ? X64_XMM0 : X64_RAX;
        m->ext = in->type == OPT_I32;
    }
    return true;
}
