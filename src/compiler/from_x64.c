/* Appending a function assembled by the x64 encoder to an artifact: the
 * step every x86-64 backend ends each function with. */
#include "../x64/x64.h"
#include "compiler.h"

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
    bool ok = !a->code.oom;
    for (size_t k = 0; ok && k < as->relocs.len; k++) {
        const struct x64_reloc *r = &as->relocs.data[k];
        ok = r->addend >= INT32_MIN && r->addend <= INT32_MAX &&
             cc_reloc_add(a, base + r->offset,
                          r->kind == X64_RELOC_REL32 ? CC_RELOC_REL32 : CC_RELOC_ABS64,
                          r->target_kind == X64_TARGET_FUNC ? CC_TARGET_FUNC : CC_TARGET_BUILTIN,
                          r->target, (int32_t)r->addend);
    }
    for (size_t k = 0; ok && k < nsites; k++)
        ok = cc_trap_add(a, base + sites[k].code_offset, (tri_trap_code)sites[k].trap,
                         sites[k].wasm_offset);
    return ok || err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory or bad relocation while compiling");
}
