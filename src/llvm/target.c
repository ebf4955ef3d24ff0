/* LLVM set-up: target initialisation (once per process), target machines
 * for the host CPU or a portable baseline, the optimisation pipeline and
 * object emission into memory. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <llvm-c/Error.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "llvm.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool init_ok;

static void init(void)
{
    /* The asm parser reads our trap asm; the disassembler finds the
     * memory accesses in the emitted code (sites.c). */
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    LLVMInitializeX86AsmParser();
    LLVMInitializeX86Disassembler();
    init_ok = LLVMIsMultithreaded();
}

bool llv_init(struct err *e)
{
    pthread_once(&init_once, init);
    if (!init_ok)
        return err_set(e, ERR_UNSUPPORTED, NO_OFFSET, "llvm: the library is not thread-safe");
    return true;
}

/* Per effort: the pass pipeline and the code generator's level. The lean
 * one keeps what pays on wasm its producer already optimised (locals into
 * registers, address arithmetic folded, loop invariants hoisted, redundant
 * loads removed, the CFG cleaned) and drops the inliner, the loop and
 * vector transformations and the interprocedural passes: on esbuild its
 * passes take a sixth of O2's time, and the benchmark programs compiled
 * with it run within a few percent of O2 (sha256, hashmap: 7-11% slower). */
static const struct {
    const char *passes;
    LLVMCodeGenOptLevel codegen;
} efforts[] = {
    [LLV_O0] = {"function(sroa,early-cse,simplifycfg)", LLVMCodeGenLevelLess},
    [LLV_O1] = {"default<O1>", LLVMCodeGenLevelLess},
    [LLV_O2] = {"default<O2>", LLVMCodeGenLevelDefault},
    [LLV_O3] = {"default<O3>", LLVMCodeGenLevelAggressive},
    [LLV_LEAN] = {"function(sroa,early-cse<memssa>,instcombine<no-verify-fixpoint>,simplifycfg,"
                  "loop-mssa(licm),gvn,simplifycfg)",
                  LLVMCodeGenLevelLess},
};

/* Position-independent code in the small code model: constants and jump
 * tables are reached rip-relative, calls are rel32, nothing needs a GOT,
 * and the code runs wherever the runtime maps it. */
LLVMTargetMachineRef llv_target(bool portable, enum llv_effort effort, struct err *e)
{
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(LLV_TRIPLE, &target, &msg)) {
        err_set(e, ERR_UNSUPPORTED, NO_OFFSET, "llvm: no x86-64 target: %s", msg ? msg : "");
        LLVMDisposeMessage(msg);
        return NULL;
    }
    /* x86-64-v2 has SSE4.1 (roundss for ceil/floor/trunc/nearest) and
     * popcnt: the portable code needs no library calls either. */
    char *cpu = portable ? NULL : LLVMGetHostCPUName();
    char *host = portable ? NULL : LLVMGetHostCPUFeatures();
    /* Measured on the benchmark programs: gathers and scatters are slower
     * than scalar loads for the table lookups LLVM's vectoriser gives them,
     * and its AVX-512 loops ran sieve at half speed; AVX2 code is as fast
     * as native code everywhere. */
    char features[4096];
    snprintf(features, sizeof features, "%s%s+prefer-no-gather,+prefer-no-scatter,-avx512f",
             host ? host : "", host && *host ? "," : "");
    LLVMDisposeMessage(host);
    LLVMCodeGenOptLevel level = efforts[effort].codegen;
    LLVMTargetMachineRef tm =
        LLVMCreateTargetMachine(target, LLV_TRIPLE, cpu ? cpu : "x86-64-v2", features, level,
                                LLVMRelocPIC, LLVMCodeModelSmall);
    LLVMDisposeMessage(cpu);
    if (!tm)
        err_set(e, ERR_UNSUPPORTED, NO_OFFSET, "llvm: cannot make a target machine");
    return tm;
}

bool llv_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, enum llv_effort effort,
                  struct err *e)
{
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMErrorRef err = LLVMRunPasses(mod, efforts[effort].passes, tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (err) {
        char *msg = LLVMGetErrorMessage(err);
        err_set(e, ERR_LIMIT, NO_OFFSET, "llvm: optimisation failed: %s", msg);
        LLVMDisposeErrorMessage(msg);
        return false;
    }
    return true;
}

bool llv_emit(LLVMModuleRef mod, LLVMTargetMachineRef tm, LLVMMemoryBufferRef *buf,
              struct err *e)
{
    char *msg = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &msg, buf)) {
        err_set(e, ERR_LIMIT, NO_OFFSET, "llvm: code generation failed: %s", msg ? msg : "");
        LLVMDisposeMessage(msg);
        return false;
    }
    return true;
}
