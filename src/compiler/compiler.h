/* compiler: the contract between backends and the runtime.
 *
 * A backend turns a decoded module into an artifact: machine code for the
 * module's defined functions plus the tables the runtime needs to load and
 * run it (relocations, function extents, trap sites). Every backend makes
 * the same artifact shape and follows docs/ABI.md, so the runtime loads any
 * artifact without knowing who made it and code from different backends
 * calls each other. A new backend is one folder with a header declaring
 * `extern const struct cc_backend NAME_backend;` (see registry.c).
 *
 * The artifact is flat (arrays of plain records, no pointers into compiler
 * memory) so the cache can write it to disk as is. */
#ifndef TRI_COMPILER_H
#define TRI_COMPILER_H

#include <trident.h>

#include "../decode/decode.h"

/* ---- what the runtime tells a backend ---- */
struct cc_options {
    uint8_t opt_level;  /* 0..3 */
    /* Emit explicit bounds checks on every memory access (memory base and
     * size may then change across any call). When false the runtime
     * reserves 8 GiB per memory and faults do the checking. */
    bool bounds_checks;
};

/* ---- the artifact ---- */

/* Where a defined function's code lies in the artifact's code bytes. */
struct cc_func_code {
    uint32_t offset, size;
};

enum cc_reloc_kind {
    CC_RELOC_REL32 = 1, /* int32 at offset = S + addend - (code + offset) */
    CC_RELOC_ABS64 = 2, /* uint64 at offset = S + addend */
};

enum cc_target_kind {
    CC_TARGET_FUNC = 1,    /* S = entry of a *defined* function (index space) */
    CC_TARGET_BUILTIN = 2, /* S = a runtime builtin (enum cc_builtin) */
    CC_TARGET_CODE = 3,    /* S = code + target (constants placed in the code) */
};

struct cc_reloc {
    uint32_t offset;     /* of the field to patch, in the code bytes */
    uint8_t kind;        /* enum cc_reloc_kind */
    uint8_t target_kind; /* enum cc_target_kind */
    uint16_t pad;
    uint32_t target;
    int32_t addend;
};

/* A place where compiled code traps: the faulting instruction (a memory
 * access, ud2, ...) starts at code_offset. */
struct cc_trap_site {
    uint32_t code_offset;
    uint32_t trap;        /* tri_trap_code */
    uint32_t wasm_offset; /* byte offset of the wasm instruction in the module */
};

#define CC_BACKEND_NAME_MAX 16

struct cc_artifact {
    char backend[CC_BACKEND_NAME_MAX]; /* NUL-terminated name of the maker */
    struct cc_options options;
    struct buf code;                     /* all functions, back to back */
    VEC(struct cc_func_code) funcs;      /* one per defined function, in order */
    VEC(struct cc_reloc) relocs;
    VEC(struct cc_trap_site) traps;      /* sorted by code_offset once finished */
};

/* Builder helpers every backend uses. The artifact owns its arrays. */
void cc_artifact_init(struct cc_artifact *a, const char *backend, const struct cc_options *o);
void cc_artifact_free(struct cc_artifact *a);
/* Marks the start of defined function number funcs.len (call in order). */
bool cc_func_begin(struct cc_artifact *a);
/* Closes the function opened last: its size is code.len - its offset. */
void cc_func_end(struct cc_artifact *a);
bool cc_reloc_add(struct cc_artifact *a, uint32_t offset, enum cc_reloc_kind kind,
                  enum cc_target_kind tkind, uint32_t target, int32_t addend);
bool cc_trap_add(struct cc_artifact *a, uint32_t code_offset, tri_trap_code trap,
                 uint32_t wasm_offset);
/* Appends one function made with the x64 encoder (x64_finish is called
 * here): its bytes, its relocations (X64_TARGET_SYM targets are builtins)
 * and its trap sites, whose code offsets are relative to the function. */
struct x64_asm;
bool cc_func_append_x64(struct cc_artifact *a, struct x64_asm *as,
                        const struct cc_trap_site *sites, size_t nsites, struct err *e);
/* Only the tables of such a function whose code the caller put at `base`
 * in a->code: false when out of memory or an addend does not fit. */
bool cc_tables_append_x64(struct cc_artifact *a, uint32_t base, const struct x64_asm *as,
                          const struct cc_trap_site *sites, size_t nsites);
/* Checks the artifact against the module (one extent per defined function,
 * every relocation and trap site inside the code, targets in range) and
 * sorts the trap sites. Records ERR_NOMEM if any append failed. */
bool cc_artifact_finish(struct cc_artifact *a, const struct module *m, struct err *e);
/* The trap site at exactly code_offset, or NULL. traps must be sorted. */
const struct cc_trap_site *cc_trap_find(const struct cc_artifact *a, uint32_t code_offset);
/* The defined function (0-based, not counting imports) whose code holds
 * code_offset, or -1. */
int64_t cc_func_at(const struct cc_artifact *a, uint32_t code_offset);

/* ---- backends ---- */
struct cc_backend {
    const char *name;
    /* Validates every function body (through val_function's walker) and
     * compiles it into *out, which the caller has not initialised. The
     * module header is already validated. On failure returns false with e
     * set and *out freed. */
    bool (*compile)(const struct module *m, const struct cc_options *o, struct cc_artifact *out,
                    struct err *e);
};

/* The backend of that name, or NULL when unknown or not built in. */
const struct cc_backend *cc_backend_find(const char *name);
/* True for "singlepass", "optimizing" and "llvm", built in or not. */
bool cc_backend_known(const char *name);
/* The name of known backend number i (from 0), NULL past the last: for
 * listing them. */
const char *cc_backend_name(size_t i);

/* ---- the instance context (vmctx); see docs/ABI.md ---- */

/* Fixed header, at these byte offsets in every vmctx. */
enum {
    CC_VMCTX_INSTANCE = 0,     /* runtime-private */
    CC_VMCTX_STACK_LIMIT = 8,  /* uintptr: trap when rsp would go below */
    CC_VMCTX_INTERRUPT = 16,   /* reserved for fuel/interruption; ignore */
    CC_VMCTX_MEM_BASE = 24,    /* uint8_t *: memory 0's bytes */
    CC_VMCTX_MEM_SIZE = 32,    /* uint64: memory 0's size in bytes */
    CC_VMCTX_EXIT_PC = 40,     /* written by builtin thunks; runtime-private */
    CC_VMCTX_EXIT_FP = 48,     /* written by builtin thunks; runtime-private */
    CC_VMCTX_HEADER_SIZE = 64,
};

/* A function reference: what funcref values point at, what table
 * elements hold, what ref.func yields. */
struct cc_vm_funcref {
    void *code;       /* entry, called with vmctx in rdi */
    void *vmctx;      /* the callee's context */
    uint32_t type_id; /* the engine's canonical id of its type */
    uint32_t pad;
};
enum { CC_FUNCREF_CODE = 0, CC_FUNCREF_VMCTX = 8, CC_FUNCREF_TYPE_ID = 16 };

/* An imported function: called as code(vmctx, args...). */
struct cc_vm_import {
    void *code;
    void *vmctx;
};

/* A table, pointed at by the vmctx (tables may be shared and grow). */
struct cc_vm_table {
    uintptr_t *elems; /* funcref: struct cc_vm_funcref * or 0; externref: host word */
    uint32_t size;
    uint32_t pad;
};
enum { CC_TABLE_ELEMS = 0, CC_TABLE_SIZE = 8 };

/* Globals live in 16-byte cells, value in the low bytes, little-endian. */
enum { CC_GLOBAL_CELL_SIZE = 16 };

/* Byte offsets of the variable parts of a module's vmctx. */
struct cc_vmctx_layout {
    uint32_t type_ids; /* uint32_t[ntypes]: canonical id per module type index */
    uint32_t imports;  /* struct cc_vm_import[nfunc_imports] */
    uint32_t funcrefs; /* struct cc_vm_funcref *[nfuncs]: ref.func results */
    uint32_t tables;   /* struct cc_vm_table *[ntables] */
    uint32_t globals;  /* void *[nglobals]: each global's cell */
    uint32_t size;     /* total bytes */
};
/* False when the module is too big for 32-bit offsets (< 2 GiB vmctx). */
bool cc_vmctx_layout(const struct module *m, struct cc_vmctx_layout *l);

/* ---- runtime builtins compiled code calls ----
 * Reached through relocations (CC_TARGET_BUILTIN, target = the id). Each
 * takes the caller's vmctx first; i32 operands as uint32_t. Those that can
 * trap do not return when they do. X(ID, symbol, C signature) */
#define CC_BUILTINS(X)                                                                        \
    X(MEMORY_GROW, rt_builtin_memory_grow, "int32_t (vmctx, uint32_t delta)")                  \
    X(MEMORY_FILL, rt_builtin_memory_fill, "void (vmctx, uint32_t d, uint32_t val, uint32_t n)") \
    X(MEMORY_COPY, rt_builtin_memory_copy, "void (vmctx, uint32_t d, uint32_t s, uint32_t n)")  \
    X(MEMORY_INIT, rt_builtin_memory_init,                                                     \
      "void (vmctx, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)")                        \
    X(DATA_DROP, rt_builtin_data_drop, "void (vmctx, uint32_t seg)")                           \
    X(TABLE_GET, rt_builtin_table_get, "uintptr_t (vmctx, uint32_t table, uint32_t i)")        \
    X(TABLE_SET, rt_builtin_table_set, "void (vmctx, uint32_t table, uint32_t i, uintptr_t v)") \
    X(TABLE_GROW, rt_builtin_table_grow,                                                       \
      "int32_t (vmctx, uint32_t table, uintptr_t init, uint32_t delta)")                       \
    X(TABLE_FILL, rt_builtin_table_fill,                                                       \
      "void (vmctx, uint32_t table, uint32_t i, uintptr_t v, uint32_t n)")                     \
    X(TABLE_COPY, rt_builtin_table_copy,                                                       \
      "void (vmctx, uint32_t dst, uint32_t src, uint32_t d, uint32_t s, uint32_t n)")          \
    X(TABLE_INIT, rt_builtin_table_init,                                                       \
      "void (vmctx, uint32_t table, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)")        \
    X(ELEM_DROP, rt_builtin_elem_drop, "void (vmctx, uint32_t seg)")                           \
    X(TRAP, rt_builtin_trap, "void (vmctx, uint32_t trap_code) -- never returns")

enum cc_builtin {
#define X(id, sym, sig) CC_BUILTIN_##id,
    CC_BUILTINS(X)
#undef X
    CC_BUILTIN_COUNT
};

/* The builtin's symbol name, for diagnostics and disassembly listings. */
const char *cc_builtin_name(enum cc_builtin b);

#endif
