/* Explicit traps: `ud2` in inline asm that also records the site (its
 * address, the trap code, the wasm offset) in the section .trident_traps,
 * read back by elf.c. The asm text carries the offset, so no two sites are
 * alike and LLVM cannot merge them; a copy made by tail duplication or
 * unrolling records itself (the numeric label `1` is local to each copy). */
#include <stdio.h>
#include <string.h>

#include "llvm.h"

void llv_trap(struct llv_fn *f, tri_trap_code code)
{
    struct llv_unit *u = f->u;
    char text[192];
    int len = snprintf(text, sizeof text,
                       "1: ud2\n.pushsection .trident_traps,\"\",@progbits\n"
                       ".quad 1b\n.long %u\n.long %u\n.popsection",
                       (unsigned)code, f->at);
    LLVMTypeRef fnty = LLVMFunctionType(u->t.void_, NULL, 0, 0);
    LLVMValueRef asm_ = LLVMGetInlineAsm(fnty, text, (size_t)len, "", 0, 1, 0,
                                         LLVMInlineAsmDialectATT, 0);
    LLVMValueRef call = LLVMBuildCall2(u->b, fnty, asm_, NULL, 0, "");
    LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex, u->fn_attrs[1]); /* nounwind */
    LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex, u->noreturn);
    LLVMBuildUnreachable(u->b);
}

void llv_trap_if(struct llv_fn *f, LLVMValueRef cond, tri_trap_code code)
{
    struct llv_unit *u = f->u;
    LLVMBasicBlockRef trap = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "trap");
    LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(u->ctx, f->fn, "");
    LLVMValueRef br = LLVMBuildCondBr(u->b, cond, trap, cont);
    LLVMSetMetadata(br, u->md_prof, u->unlikely);
    LLVMPositionBuilderAtEnd(u->b, trap);
    llv_trap(f, code);
    LLVMPositionBuilderAtEnd(u->b, cont);
}
