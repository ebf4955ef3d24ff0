/* Constant expressions and the segment operations shared by instantiation
 * and the memory.init / table.init builtins. */
#include <string.h>

#include "runtime.h"

uint64_t rt_const_eval(const tri_instance *inst, const struct expr *x)
{
    struct insn in;
    if (!dec_const_insn(x, &in))
        return 0; /* validated modules never get here */
    switch (in.op) {
    case OP_I32_CONST: return (uint32_t)in.imm.i32;
    case OP_I64_CONST: return (uint64_t)in.imm.i64;
    case OP_F32_CONST: return in.imm.f32;
    case OP_F64_CONST: return in.imm.f64;
    case OP_REF_FUNC: return (uintptr_t)inst->funcs[in.imm.index];
    case OP_GLOBAL_GET: return rt_global_raw(inst->globals[in.imm.index]);
    default: return 0; /* ref.null */
    }
}

tri_trap_code rt_memory_init(tri_instance *inst, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
    const struct rt_segment *g = &inst->datas[seg];
    tri_memory *m = inst->memory;
    if ((uint64_t)s + n > g->len || !m || (uint64_t)d + n > m->size)
        return TRI_TRAP_MEMORY_OOB;
    if (n)
        memcpy(m->base + d, g->bytes + s, n);
    return TRI_TRAP_NONE;
}

tri_trap_code rt_table_init(tri_instance *inst, uint32_t table, uint32_t seg, uint32_t d,
                            uint32_t s, uint32_t n)
{
    const struct rt_segment *g = &inst->elems[seg];
    tri_table *t = inst->tables[table];
    if ((uint64_t)s + n > g->len || (uint64_t)d + n > t->vm.size)
        return TRI_TRAP_TABLE_OOB;
    for (uint32_t k = 0; k < n; k++)
        t->vm.elems[d + k] = (uintptr_t)g->refs[s + k];
    return TRI_TRAP_NONE;
}
