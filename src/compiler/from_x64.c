/* Appending a function assembled by the x64 encoder to an artifact: the
 * step every x86-64 backend ends each function with. */
#include "../x64/x64.h"
#include "compiler.h"

bool cc_tables_append_x64(struct cc_artifact *a, uint32_t base, const struct x64_asm *as,
                          const struct cc_trap_site *sites, size_t nsites)
{
    size_t nr = as->relocs.len;
    /* reserved once, then plain copies: a function has a relocation per call */
    if (!vec_reserve(&a->relocs, a->relocs.len + nr) || !vec_reserve(&a->traps, a->traps.len + nsites))
        return false;
    /* the vectors' data may still be NULL when there is nothing to add */
    struct cc_reloc *rd = nr ? a->relocs.data + a->relocs.len : NULL;
    for (size_t k = 0; k < nr; k++) {
        const struct x64_reloc *r = &as->relocs.data[k];
        if (r->addend < INT32_MIN || r->addend > INT32_MAX)
            return false;
        rd[k] = (struct cc_reloc){
            .offset = base + r->offset,
            .kind = r->kind == X64_RELOC_REL32 ? CC_RELOC_REL32 : CC_RELOC_ABS64,
            .target_kind = r->target_kind == X64_TARGET_FUNC ? CC_TARGET_FUNC : CC_TARGET_BUILTIN,
            .target = r->target,
            .addend = (int32_t)r->addend};
    }
    a->relocs.len += nr;
    struct cc_trap_site *td = nsites ? a->traps.data + a->traps.len : NULL;
    for (size_t k = 0; k < nsites; k++) {
        td[k] = sites[k];
        td[k].code_offset += base;
    }
    a->traps.len += nsites;
    return true;
}

bool cc_func_append_x64(struct cc_artifact *a, struct x64_asm *as,
                        const struct cc_trap_site *sites, size_t nsites, struct err *e)
{
    if (!x64_finish(as, e))
        return false;
    uint32_t base = (uint32_t)a->code.len;
    if (!cc_func_begin(a))
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory while compiling");
    buf_bytes(&a->code, as->code.data, as->code.len);
    cc_func_end(a);
    return (!a->code.oom && cc_tables_append_x64(a, base, as, sites, nsites)) ||
           err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory or bad relocation while compiling");
}
