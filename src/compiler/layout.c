/* The vmctx layout: a function of the module alone, so the backend that
 * emits field accesses and the runtime that fills the fields agree. */
#include "compiler.h"

bool cc_vmctx_layout(const struct module *m, struct cc_vmctx_layout *l)
{
    /* 64-bit sums: a huge module must not wrap the offsets. */
    uint64_t type_ids = CC_VMCTX_HEADER_SIZE;
    uint64_t imports = type_ids + (((uint64_t)m->ntypes * 4 + 7) & ~7ull); /* 8-align */
    uint64_t funcrefs = imports + (uint64_t)m->nfunc_imports * sizeof(struct cc_vm_import);
    uint64_t tables = funcrefs + (uint64_t)m->nfuncs * 8;
    uint64_t globals = tables + (uint64_t)m->ntables * 8;
    uint64_t size = globals + (uint64_t)m->nglobals * 8;
    if (size > INT32_MAX)
        return false;
    *l = (struct cc_vmctx_layout){(uint32_t)type_ids, (uint32_t)imports, (uint32_t)funcrefs,
                                  (uint32_t)tables,   (uint32_t)globals, (uint32_t)size};
    return true;
}
