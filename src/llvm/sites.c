/* Trap sites of a chunk: the records LLVM and our trap asm wrote, then a
 * walk over every function's instructions (with LLVM's disassembler, for
 * the instruction lengths) that makes each SS-prefixed instruction, a
 * linear-memory access, a MEMORY_OOB site if no record names it. So an
 * optimisation that drops an access's !pcsections costs only the exact
 * wasm offset, never a site. */
#include <stdlib.h>

#include <llvm-c/Disassembler.h>

#include "llvm.h"

static int site_cmp(const void *x, const void *y)
{
    const struct llv_site *a = x, *b = y;
    return (a->pc > b->pc) - (a->pc < b->pc);
}

/* True when the instruction's legacy prefixes include SS (0x36). */
static bool ss_prefixed(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (p[i]) {
        case 0x36: return true;
        case 0xF0: case 0xF2: case 0xF3: case 0x2E: case 0x3E: case 0x26: case 0x64:
        case 0x65: case 0x66: case 0x67: continue;
        default: return false;
        }
    }
    return false;
}

/* Walks one function; recs (sorted) from *k on are the records at or
 * after its start. */
static bool scan(struct cc_artifact *a, LLVMDisasmContextRef dc, const struct cc_func_code *fc,
                 const struct llv_site *recs, size_t n, size_t *k)
{
    uint32_t wasm = 0, pc = fc->offset, end = fc->offset + fc->size;
    char text[160];
    while (pc < end) {
        while (*k < n && recs[*k].pc < pc)
            (*k)++;
        bool recorded = *k < n && recs[*k].pc == pc;
        if (recorded)
            wasm = recs[*k].wasm;
        uint8_t *p = a->code.data + pc;
        size_t len = LLVMDisasmInstruction(dc, p, end - pc, pc, text, sizeof text);
        if (len == 0)
            len = 1; /* not an instruction (padding): step over the byte */
        if (!recorded && ss_prefixed(p, len) &&
            !cc_trap_add(a, pc, TRI_TRAP_MEMORY_OOB, wasm))
            return false;
        pc += (uint32_t)len;
    }
    return true;
}

bool llv_sites_add(struct cc_artifact *a, struct llv_site *recs, size_t n, struct err *e)
{
    qsort(recs, n, sizeof *recs, site_cmp);
    for (size_t i = 0; i < n; i++) {
        if (recs[i].pc >= a->code.len || recs[i].trap == 0 || recs[i].trap >= TRI_TRAP_COUNT)
            return err_set(e, ERR_LIMIT, NO_OFFSET, "llvm: bad trap record");
        if ((i == 0 || recs[i].pc != recs[i - 1].pc) &&
            !cc_trap_add(a, recs[i].pc, recs[i].trap, recs[i].wasm))
            return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    }
    LLVMDisasmContextRef dc = LLVMCreateDisasm(LLV_TRIPLE, NULL, 0, NULL, NULL);
    if (!dc)
        return err_set(e, ERR_UNSUPPORTED, NO_OFFSET, "llvm: no x86-64 disassembler");
    bool ok = true;
    size_t k = 0;
    for (size_t i = 0; ok && i < a->funcs.len; i++)
        ok = scan(a, dc, &a->funcs.data[i], recs, n, &k);
    LLVMDisasmDispose(dc);
    return ok || err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
}
