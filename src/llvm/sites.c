/* Trap sites of a chunk. Explicit traps come from our asm records as they
 * are. Memory accesses are found by walking every function's instructions
 * (LLVM's disassembler gives the lengths): each SS-prefixed instruction is
 * an access and becomes a MEMORY_OOB site. Its wasm offset is the line the
 * line table gives its address (func.c makes lines wasm offsets); where
 * LLVM left an instruction without a line (line 0, code it merged), the
 * last line before it in the function. */
#include <llvm-c/Disassembler.h>

#include "llvm.h"

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

/* Walks one function; rows from *k on are the line-table rows at or after
 * its start. wasm starts as the function's body offset. */
static bool scan(struct cc_artifact *a, LLVMDisasmContextRef dc, const struct cc_func_code *fc,
                 const struct llv_row *rows, size_t n, size_t *k, uint32_t wasm)
{
    uint32_t pc = fc->offset, end = fc->offset + fc->size;
    char text[160];
    while (pc < end) {
        for (; *k < n && rows[*k].pc <= pc; (*k)++)
            if (rows[*k].line)
                wasm = rows[*k].line;
        uint8_t *p = a->code.data + pc;
        size_t len = LLVMDisasmInstruction(dc, p, end - pc, pc, text, sizeof text);
        if (len == 0)
            len = 1; /* not an instruction (padding): step over the byte */
        if (ss_prefixed(p, len) && !cc_trap_add(a, pc, TRI_TRAP_MEMORY_OOB, wasm))
            return false;
        pc += (uint32_t)len;
    }
    return true;
}

bool llv_sites_add(struct cc_artifact *a, const struct module *m, uint32_t first, bool guard,
                   const struct llv_site *recs, size_t n, const struct llv_row *rows,
                   size_t nrows, struct err *e)
{
    for (size_t i = 0; i < n; i++) {
        if (recs[i].pc >= a->code.len || recs[i].trap == 0 || recs[i].trap >= TRI_TRAP_COUNT)
            return err_set(e, ERR_LIMIT, NO_OFFSET, "llvm: bad trap record");
        if (!cc_trap_add(a, recs[i].pc, recs[i].trap, recs[i].wasm))
            return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    }
    if (!guard)
        return true; /* accesses are checked before they happen */
    LLVMDisasmContextRef dc = LLVMCreateDisasm(LLV_TRIPLE, NULL, 0, NULL, NULL);
    if (!dc)
        return err_set(e, ERR_UNSUPPORTED, NO_OFFSET, "llvm: no x86-64 disassembler");
    bool ok = true;
    size_t k = 0;
    for (size_t i = 0; ok && i < a->funcs.len; i++)
        ok = scan(a, dc, &a->funcs.data[i], rows, nrows, &k, m->funcs[first + i].code_offset);
    LLVMDisasmDispose(dc);
    return ok || err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
}
