/* llvm: the LLVM backend (LLVM 19 through its C API; the only folder that
 * includes llvm-c).
 *
 * Pipeline per module: the defined functions are split into chunks of
 * consecutive functions, one LLVM context, module and target machine per
 * chunk, compiled on a thread pool. Each function's IR is built in the
 * validator's hooks (one walk validates and emits), the chunk is optimised
 * with the new pass manager ("default<O2>" unless told otherwise; a lean
 * pipeline for big modules, see llv_effort) and compiled to an ELF
 * relocatable object in memory. Our own ELF reader turns
 * the object into the common artifact (code, constant pools, function
 * extents, relocations, trap sites); the chunks' artifacts are concatenated
 * in function order. No ORC or MCJIT: the runtime loads the artifact like
 * any other backend's.
 *
 * Trap sites (docs/ABI.md section 3), since LLVM moves and merges code:
 *   - Explicit traps (unreachable, division checks, conversions,
 *     call_indirect checks, the stack-limit check, bounds checks) are inline
 *     asm: a `ud2` plus a record {address of the ud2, trap code, wasm offset}
 *     in the section .trident_traps. Every asm text differs (it carries its
 *     offset), so LLVM never merges two of them; duplicated copies each
 *     keep their own record.
 *   - Linear-memory accesses are IR loads and stores through pointers in
 *     address space 258: the x86 backend gives them an SS segment prefix (a
 *     no-op in 64-bit mode). After emission every function is disassembled
 *     and each SS-prefixed instruction becomes a MEMORY_OOB site, whatever
 *     the code generator did with it (folded into an add, vectorised...).
 *     Its wasm offset comes from the DWARF line table: every instruction's
 *     line is the offset of its wasm instruction (the instruction a load
 *     folds into gets the load's), and LLVM keeps lines through its passes.
 *     The accesses are volatile (see memory.c), and so are the stores to
 *     globals and tables: never deleted, speculated, merged or reordered, so
 *     each trap comes from the access wasm names, with the effects before
 *     it done and none after.
 *
 * Frames keep rbp ("frame-pointer"="all", no red zone); the stack-limit
 * check reads rsp after the prologue (llvm.read_register) and compares it
 * with the vmctx's limit. */
#ifndef TRI_LLVM_H
#define TRI_LLVM_H

#include "../compiler/compiler.h"

extern const struct cc_backend llv_backend;

/* ---- shared between the files of llvm/ (they alone see llvm-c) ---- */
#ifdef TRI_HAVE_LLVM

#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/TargetMachine.h>

#include "../validate/validate.h"

#define LLV_TRIPLE "x86_64-unknown-linux-gnu"

/* x86 address space whose accesses get an SS prefix: linear memory. */
enum { LLV_HEAP_AS = 258 };

/* Type-based alias classes: what each load or store touches. Accesses of
 * different classes never alias, so heap stores do not force reloads of the
 * vmctx, globals or tables. */
enum llv_tbaa {
    LLV_TBAA_VMCTX,      /* fields fixed for the instance's life */
    LLV_TBAA_LIMIT,      /* the stack limit */
    LLV_TBAA_MEM_BASE,   /* memory base (moves in bounds-check mode) */
    LLV_TBAA_MEM_SIZE,
    LLV_TBAA_HEAP,
    LLV_TBAA_GLOBAL,
    LLV_TBAA_TABLE,      /* struct cc_vm_table fields */
    LLV_TBAA_ELEM,       /* table elements */
    LLV_TBAA_FUNCREF,    /* struct cc_vm_funcref fields (never change) */
    LLV_TBAA_COUNT
};

/* Per chunk: one LLVM context and module for functions [first, end). */
struct llv_unit {
    const struct module *m;
    const struct cc_options *o;
    struct cc_vmctx_layout layout;
    uint32_t first, end; /* in the function index space */
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    struct {
        LLVMTypeRef i1, i8, i16, i32, i64, f32, f64, ptr, heap, void_;
    } t;
    LLVMValueRef *funcs;                       /* nfuncs, NULL until declared */
    LLVMValueRef builtins[CC_BUILTIN_COUNT];   /* NULL until declared */
    unsigned md_tbaa, md_invariant, md_prof;
    /* Line-table debug info: each instruction's line is its wasm offset. */
    LLVMDIBuilderRef dib;
    LLVMMetadataRef di_file, di_fnty;
    LLVMValueRef tbaa[LLV_TBAA_COUNT];         /* access tags */
    LLVMValueRef empty_md, unlikely, rsp_name; /* shared metadata values */
    LLVMAttributeRef fn_attrs[6];              /* put on every defined function */
    LLVMAttributeRef noreturn;
};

/* A block, loop, if (or else arm) being translated. */
struct llv_ctl {
    enum op op;                 /* OP_BLOCK (also the body), OP_LOOP, OP_IF, OP_ELSE */
    bool dead;                  /* opened in dead code: nothing emitted */
    uint32_t height;            /* value-stack height below the params */
    const valtype *params, *results;
    uint32_t nparams, nresults;
    LLVMBasicBlockRef label;    /* branch target: the loop header or `end` */
    LLVMValueRef *phis;         /* at the label: the loop's params or end_phis */
    LLVMBasicBlockRef end;      /* where `end` continues, with the results */
    LLVMValueRef *end_phis;
    LLVMBasicBlockRef els;      /* if: the else arm until `else` is seen */
    LLVMValueRef *if_params;    /* if: the param values, for the else arm */
};

/* The function being translated. */
struct llv_fn {
    struct llv_unit *u;
    const struct val_func *vf;
    LLVMValueRef fn, vmctx, results; /* results: the hidden result area, or NULL */
    LLVMMetadataRef sp;              /* fn's debug-info subprogram */
    LLVMBuilderRef alloca_b;         /* inserts before the entry block's branch */
    LLVMValueRef *locals;            /* allocas, one per local */
    LLVMValueRef heap_base;          /* guard mode: loaded once in the entry */
    LLVMValueRef results_area;       /* for multi-value calls, results_slots long */
    uint32_t results_slots;
    VEC(LLVMValueRef) stack;
    VEC(struct llv_ctl) ctls;
    struct arena arena;              /* per function: phi and param arrays */
    uint32_t at;                     /* wasm offset of the instruction at hand */
    bool unsupported;                /* SIMD in this function: emit no more of it */
    bool skip;                       /* validate only (SIMD was seen before) */
    bool oom, broken;                /* reported after the instruction */
    struct err *e;
};

/* unit.c: types, declarations and metadata of a chunk's module. */
bool llv_unit_init(struct llv_unit *u, const struct module *m, const struct cc_options *o,
                   LLVMTargetMachineRef tm, uint32_t first, uint32_t end, struct err *e);
/* Completes the module's debug info: call once all functions are built. */
void llv_unit_finish(struct llv_unit *u);
void llv_unit_free(struct llv_unit *u);
/* The debug-info description of defined function index (its line: the
 * body's offset), attached to fn. */
LLVMMetadataRef llv_subprogram(struct llv_unit *u, LLVMValueRef fn, uint32_t index);
/* The LLVM type of a value type; NULL for v128 (unsupported). */
LLVMTypeRef llv_type(const struct llv_unit *u, valtype t);
LLVMTypeRef llv_func_type(const struct llv_unit *u, const struct functype *ft);
/* Function `index` (defined, in this chunk or another), declared on first use. */
LLVMValueRef llv_func(struct llv_unit *u, uint32_t index);
/* Function bodies larger than this (bytes of wasm) are compiled without
 * optimisation: LLVM's code generator is superlinear in the size of a
 * block (a 600 KiB straight-line body took it minutes). The largest bodies
 * of big real modules (esbuild, swc, ruby) stay below it. */
enum { LLV_HUGE_BODY = 256 * 1024 };
/* Marks fn optnone (and noinline, which optnone needs). */
void llv_no_opt(struct llv_unit *u, LLVMValueRef fn);
/* Marks a load or store with an alias class (and as invariant). */
void llv_tbaa(struct llv_unit *u, LLVMValueRef access, enum llv_tbaa cls);
void llv_invariant(struct llv_unit *u, LLVMValueRef load);
LLVMValueRef llv_intrinsic(struct llv_unit *u, const char *name, LLVMTypeRef *types,
                           unsigned ntypes, LLVMTypeRef *fnty);

/* func.c: the value stack and the hooks. */
extern const struct val_hooks llv_hooks;
void llv_push(struct llv_fn *f, LLVMValueRef v);
LLVMValueRef llv_pop(struct llv_fn *f);
/* Pops n values into vals (in stack order). */
void llv_pop_n(struct llv_fn *f, LLVMValueRef *vals, uint32_t n);
/* An alloca in the entry block. */
LLVMValueRef llv_alloca(struct llv_fn *f, LLVMTypeRef t);
/* i8 pointer arithmetic: p + off. */
LLVMValueRef llv_gep(struct llv_fn *f, LLVMValueRef p, LLVMValueRef off);
/* Loads a T at vmctx + off with the given alias class. */
LLVMValueRef llv_vmctx_load(struct llv_fn *f, LLVMTypeRef t, uint32_t off, enum llv_tbaa cls);
LLVMValueRef llv_load(struct llv_fn *f, LLVMTypeRef t, LLVMValueRef p, enum llv_tbaa cls);
LLVMValueRef llv_i32(struct llv_fn *f, uint64_t v);
LLVMValueRef llv_i64(struct llv_fn *f, uint64_t v);

/* trap.c: explicit traps. */
/* Ends the current block with a trap site. */
void llv_trap(struct llv_fn *f, tri_trap_code code);
/* Traps when cond (i1) holds; code continues in a new block otherwise. */
void llv_trap_if(struct llv_fn *f, LLVMValueRef cond, tri_trap_code code);

/* control.c: blocks, branches, return. Each handler returns false only
 * with f->e set. */
bool llv_control(struct llv_fn *f, const struct val_insn *vi);
bool llv_ctl_open_body(struct llv_fn *f);
void llv_return(struct llv_fn *f, LLVMValueRef *vals);

/* numeric.c and float.c: the numeric instructions. */
bool llv_numeric(struct llv_fn *f, enum op op, const struct insn *in);
LLVMValueRef llv_float_arith(struct llv_fn *f, LLVMOpcode opc, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef llv_float_minmax(struct llv_fn *f, bool max, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef llv_trunc_trap(struct llv_fn *f, LLVMValueRef x, LLVMTypeRef to, bool sign);
LLVMValueRef llv_demote(struct llv_fn *f, LLVMValueRef x);

/* memory.c: linear memory. */
bool llv_memory(struct llv_fn *f, const struct insn *in);
/* Gives user the location (wasm offset) of operand if that is a heap load. */
void llv_like_access(LLVMValueRef user, LLVMValueRef operand);

/* call.c: calls and builtins. */
bool llv_call(struct llv_fn *f, const struct val_insn *vi);
/* Calls a runtime builtin with vmctx prepended to args. */
LLVMValueRef llv_builtin(struct llv_fn *f, enum cc_builtin b, LLVMValueRef *args, unsigned n);

/* variable.c: locals, globals, tables, references. */
bool llv_variable(struct llv_fn *f, const struct val_insn *vi);

/* target.c: LLVM set-up, target machines, passes, object emission. */
/* How hard a module is optimised: the levels O0..O3 (their values), and
 * the lean effort the default level (O2) takes for big modules. */
enum llv_effort { LLV_O0, LLV_O1, LLV_O2, LLV_O3, LLV_LEAN };
/* Modules with more than this many bytes of function bodies are compiled
 * with the lean effort unless O3 is asked for: LLVM's O2 takes about 30 s
 * of CPU per MiB of wasm (esbuild, 10 MiB: 303 s; lean: 228 s, of which
 * 180 s is the code generator). The benchmark programs (under 200 KiB)
 * and most applications stay below it. */
enum { LLV_BIG_MODULE = 4 << 20 };
bool llv_init(struct err *e);
LLVMTargetMachineRef llv_target(bool portable, enum llv_effort effort, struct err *e);
bool llv_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, enum llv_effort effort,
                  struct err *e);
/* The object file's bytes; *buf owns them (LLVMDisposeMemoryBuffer). */
bool llv_emit(LLVMModuleRef mod, LLVMTargetMachineRef tm, LLVMMemoryBufferRef *buf,
              struct err *e);

/* elf.c, lines.c and sites.c: the object file -> a chunk's artifact. */
/* Reads an x86-64 ELF relocatable object made for functions [first, end)
 * into out (initialised by the caller): code and constants, extents,
 * relocations and trap sites (memory accesses among them when guard, the
 * guard-page mode where they fault). */
bool llv_elf_read(const uint8_t *obj, size_t len, const struct module *m, uint32_t first,
                  uint32_t end, bool guard, struct cc_artifact *out, struct err *e);
/* An explicit trap's record: code offset, trap code, wasm offset. */
struct llv_site {
    uint32_t pc, trap, wasm;
};
/* A line-table row: from code offset pc on, the wasm offset `line` (0:
 * unknown). */
struct llv_row {
    uint32_t pc, line;
};
/* The rows of a .debug_line section (addresses already relocated to code
 * offsets), sorted by pc; *rows is malloc'd, owned by the caller. */
bool llv_lines_read(const uint8_t *p, size_t len, struct llv_row **rows, size_t *n,
                    struct err *e);
/* Adds the trap sites of a chunk whose functions start at index first:
 * the explicit traps recorded, and when guard every SS-prefixed
 * instruction of the functions' code with the wasm offset the line table
 * gives it. */
bool llv_sites_add(struct cc_artifact *a, const struct module *m, uint32_t first, bool guard,
                   const struct llv_site *recs, size_t n, const struct llv_row *rows,
                   size_t nrows, struct err *e);

#endif /* TRI_HAVE_LLVM */

#endif
