/* Trident: a WebAssembly runtime. The one public header.
 *
 * Objects and ownership
 *   tri_engine   configuration, backend choice, interned function types.
 *                Thread-safe; outlives every module and store made with it.
 *   tri_module   a compiled module. Immutable and shareable between stores
 *                and threads; reference-counted (instances keep it alive).
 *   tri_store    owns everything instantiated in it: instances, functions,
 *                memories, tables, globals. One thread at a time may use a
 *                store; several stores may run on several threads at once.
 *                Handles into a store are borrowed: valid until
 *                tri_store_delete, never freed one by one.
 *   tri_error    every failure, traps included. Owned by the caller, freed
 *                with tri_error_delete.
 *
 * Conventions: no function aborts or exits. A function that can fail
 * returns a tri_error * (NULL on success) and writes its product through an
 * out-parameter. Names are (pointer, length) pairs: WebAssembly names may
 * hold any UTF-8, NUL included. */
#ifndef TRIDENT_H
#define TRIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tri_engine tri_engine;
typedef struct tri_store tri_store;
typedef struct tri_module tri_module;
typedef struct tri_instance tri_instance;
typedef struct tri_linker tri_linker;
typedef struct tri_func tri_func;
typedef struct tri_memory tri_memory;
typedef struct tri_table tri_table;
typedef struct tri_global tri_global;
typedef struct tri_error tri_error;

/* ---- values and types ---- */

/* Value kinds: the type's byte in the binary format. */
typedef enum tri_valkind {
    TRI_I32 = 0x7F,
    TRI_I64 = 0x7E,
    TRI_F32 = 0x7D,
    TRI_F64 = 0x7C,
    TRI_V128 = 0x7B,
    TRI_FUNCREF = 0x70,
    TRI_EXTERNREF = 0x6F,
} tri_valkind;

/* A typed value. Floats are carried as bits so NaN payloads survive.
 * A null funcref is NULL; a null externref is NULL (so a host cannot pass
 * a non-null externref whose pointer is NULL). */
typedef struct tri_val {
    uint8_t kind; /* tri_valkind */
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        tri_func *funcref; /* borrowed, lives in the store */
        void *externref;   /* the host's, opaque to Trident */
        uint8_t v128[16];
    } of;
} tri_val;

/* Convenience constructors. Floats go through memcpy, so bits are kept. */
tri_val tri_val_i32(int32_t v);
tri_val tri_val_i64(int64_t v);
tri_val tri_val_f32(float v);
tri_val tri_val_f64(double v);
float tri_val_as_f32(tri_val v);
double tri_val_as_f64(tri_val v);

/* A function type. The arrays are borrowed from whoever made the type
 * (module, func or the caller's own storage). */
typedef struct tri_functype {
    uint32_t nparams, nresults;
    const uint8_t *params;  /* tri_valkind each */
    const uint8_t *results;
} tri_functype;

typedef struct tri_limits {
    uint64_t min;
    uint64_t max;  /* meaningful when has_max */
    bool has_max;
} tri_limits;

typedef struct tri_tabletype {
    uint8_t elem; /* TRI_FUNCREF or TRI_EXTERNREF */
    tri_limits limits;
} tri_tabletype;

typedef struct tri_globaltype {
    uint8_t kind; /* tri_valkind */
    bool mut;
} tri_globaltype;

typedef enum tri_externkind {
    TRI_EXTERN_FUNC = 0,
    TRI_EXTERN_TABLE = 1,
    TRI_EXTERN_MEMORY = 2,
    TRI_EXTERN_GLOBAL = 3,
} tri_externkind;

typedef struct tri_externtype {
    tri_externkind kind;
    union {
        tri_functype func;
        tri_tabletype table;
        tri_limits memory; /* in 64 KiB pages */
        tri_globaltype global;
    } of;
} tri_externtype;

/* A store object of any kind, as exports produce and imports consume. */
typedef struct tri_extern {
    tri_externkind kind;
    union {
        tri_func *func;
        tri_table *table;
        tri_memory *memory;
        tri_global *global;
    } of;
} tri_extern;

/* ---- errors and traps ---- */

typedef enum tri_error_kind {
    TRI_ERR_MALFORMED = 1,  /* bytes are not a well-formed module */
    TRI_ERR_INVALID,        /* the module fails validation */
    TRI_ERR_UNLINKABLE,     /* an import is missing or has the wrong type */
    TRI_ERR_TRAP,           /* execution trapped (see tri_error_trap_code) */
    TRI_ERR_LIMIT,          /* an implementation or user limit was hit */
    TRI_ERR_NOMEM,          /* allocation failed */
    TRI_ERR_IO,             /* a file could not be read or written */
    TRI_ERR_ARG,            /* the caller passed a bad argument */
    TRI_ERR_UNSUPPORTED,    /* a feature or backend this build lacks */
} tri_error_kind;

/* Trap codes. The numbers are part of the ABI (docs/ABI.md): compiled code
 * records them in its trap-site table. */
typedef enum tri_trap_code {
    TRI_TRAP_NONE = 0,
    TRI_TRAP_UNREACHABLE = 1,      /* "unreachable" */
    TRI_TRAP_MEMORY_OOB = 2,       /* "out of bounds memory access" */
    TRI_TRAP_TABLE_OOB = 3,        /* "out of bounds table access" */
    TRI_TRAP_UNDEFINED_ELEMENT = 4,/* "undefined element": call_indirect index >= size */
    TRI_TRAP_NULL_ELEMENT = 5,     /* "uninitialized element": call_indirect of null */
    TRI_TRAP_BAD_SIGNATURE = 6,    /* "indirect call type mismatch" */
    TRI_TRAP_DIV_ZERO = 7,         /* "integer divide by zero" */
    TRI_TRAP_INT_OVERFLOW = 8,     /* "integer overflow" */
    TRI_TRAP_BAD_CONVERSION = 9,   /* "invalid conversion to integer" */
    TRI_TRAP_STACK_OVERFLOW = 10,  /* "call stack exhausted" */
    TRI_TRAP_INTERRUPT = 11,       /* "interrupted" (reserved: fuel, epochs) */
    TRI_TRAP_HOST = 12,            /* raised by a host function; its message */
    TRI_TRAP_EXIT = 13,            /* a host function ended the program (WASI proc_exit) */
    TRI_TRAP_COUNT
} tri_trap_code;

/* The spec's message for a trap code ("unreachable", ...). */
const char *tri_trap_message(tri_trap_code code);

/* One frame of a trap's backtrace, innermost first. */
typedef struct tri_frame {
    uint32_t func_index;   /* in the module's function index space */
    const char *func_name; /* from the name section, or NULL; borrowed from the module */
    const char *module_name; /* or NULL; borrowed */
    uint64_t module_offset;  /* byte offset of the trapping instruction in the
                                module, innermost frame only; else UINT64_MAX */
} tri_frame;

tri_error_kind tri_error_kind_of(const tri_error *e);
/* The message, NUL-terminated, owned by e. For a trap: the trap message. */
const char *tri_error_message(const tri_error *e);
/* Byte offset in the module the error refers to, or UINT64_MAX. */
uint64_t tri_error_offset(const tri_error *e);
/* TRI_TRAP_NONE unless the error is a trap. */
tri_trap_code tri_error_trap_code(const tri_error *e);
/* Backtrace of a trap (0 frames for other errors). The frames are owned by
 * e. Deep backtraces keep their innermost frames only. */
size_t tri_error_frame_count(const tri_error *e);
const tri_frame *tri_error_frame(const tri_error *e, size_t i);
void tri_error_delete(tri_error *e);

/* Makes a trap for a host function to return: kind TRI_ERR_TRAP, code
 * TRI_TRAP_HOST, the message copied. NULL only when out of memory (the
 * runtime then reports an out-of-memory trap). */
tri_error *tri_trap_new(const char *message);

/* Makes the error a host function returns to end the whole program with an
 * exit status (WASI proc_exit): it unwinds like a trap. NULL only when out
 * of memory. */
tri_error *tri_exit_new(int32_t status);
/* True, with *status set, when e was made by tri_exit_new. */
bool tri_error_exit_status(const tri_error *e, int32_t *status);

/* ---- engine ---- */

/* The backend an engine uses when the configuration names none. */
#define TRI_DEFAULT_BACKEND "optimizing"

typedef struct tri_config {
    const char *backend;     /* "singlepass", "optimizing" (default), "llvm" */
    int opt_level;           /* 0..3, for the backends that optimise; default 2 */
    /* Artifact cache folder (created when first written), or NULL for
     * $XDG_CACHE_HOME/trident, else $HOME/.cache/trident. */
    const char *cache_dir;
    /* Keep compiled code on disk, so a module compiled before (same bytes,
     * backend, options, Trident build and CPU) loads without compiling.
     * Default true. Damaged or stale entries are ignored and replaced. */
    bool cache;
    /* Size limit of the cache folder in bytes: after a write, the least
     * recently used entries go until it fits. 0 means 1 GiB. */
    uint64_t cache_max_bytes;
    /* Explicit bounds checks instead of a 4 GiB reservation + guard pages
     * per memory, for hosts that cannot reserve 8 GiB of address space. */
    bool bounds_checks;
    /* Largest linear memory any instance may have, in bytes (memory.grow
     * past it returns -1). 0 means the 4 GiB that 32-bit memories allow. */
    uint64_t memory_limit;
    /* Bytes of native stack wasm may use per call from the host before it
     * traps with "call stack exhausted". 0 means the default (1 MiB). */
    uint64_t max_stack;
} tri_config;

/* Fills c with the defaults. */
void tri_config_default(tri_config *c);

/* Makes an engine. config may be NULL for the defaults; it is copied.
 * Fails with TRI_ERR_ARG for an unknown backend name. A known backend that
 * is not built in makes tri_module_new fail (TRI_ERR_UNSUPPORTED) for
 * modules with function bodies; modules without code still work. */
tri_error *tri_engine_new(const tri_config *config, tri_engine **out);
/* Frees the engine; every module and store made with it must be gone. */
void tri_engine_delete(tri_engine *e);
/* True when the backend of that name is built in. */
bool tri_backend_available(const char *name);

/* ---- modules ---- */

/* Decodes, validates and compiles a module: binary (.wasm), text (.wat,
 * recognised by not starting with "\0asm"), or precompiled (.twasm, see
 * tri_module_serialize: loaded without compiling, whatever the engine's
 * backend). The bytes are copied. */
tri_error *tri_module_new(tri_engine *e, const uint8_t *bytes, size_t len, tri_module **out);
/* Decodes and validates only (binary or text): NULL when it is valid. */
tri_error *tri_module_validate(tri_engine *e, const uint8_t *bytes, size_t len);
/* Drops the caller's reference; instances keep the module alive. */
void tri_module_delete(tri_module *m);

typedef struct tri_importtype {
    const char *module; size_t module_len; /* borrowed from the module, NUL-terminated too */
    const char *name; size_t name_len;
    tri_externtype type;                   /* arrays borrowed from the module */
} tri_importtype;

typedef struct tri_exporttype {
    const char *name; size_t name_len;     /* borrowed, NUL-terminated too */
    tri_externtype type;
} tri_exporttype;

size_t tri_module_import_count(const tri_module *m);
void tri_module_import(const tri_module *m, size_t i, tri_importtype *out);
size_t tri_module_export_count(const tri_module *m);
void tri_module_export(const tri_module *m, size_t i, tri_exporttype *out);

/* ---- precompiled modules and the cache ---- */

#define TRI_VERSION "0.1.0"

/* Serialises a compiled module as a .twasm file: its code, the tables to
 * load it, and the module's own bytes. *out is malloc'd and owned by the
 * caller (free it). tri_module_new loads it only in this same build of
 * Trident (TRI_VERSION and build id), on a CPU with every feature its code
 * may use, and with an engine whose bounds-check mode the code allows;
 * otherwise, or when the file is damaged (a 128-bit checksum covers it),
 * it fails saying why. A .twasm file is native code: trust it as you would
 * an executable. */
tri_error *tri_module_serialize(const tri_module *m, uint8_t **out, size_t *len);
/* The engine's cache folder (borrowed, lives as long as the engine), or
 * NULL when it has none (no cache_dir, XDG_CACHE_HOME or HOME). */
const char *tri_engine_cache_dir(const tri_engine *e);
/* Removes every entry from the engine's cache folder; *removed and *bytes
 * get how many files and bytes went. */
tri_error *tri_cache_clean(const tri_engine *e, size_t *removed, uint64_t *bytes);

/* ---- stores ---- */

/* NULL when out of memory. */
tri_store *tri_store_new(tri_engine *e);
/* Frees the store and everything in it (running host finalisers). Must not
 * be called while wasm of this store is running. */
void tri_store_delete(tri_store *s);

/* ---- instances and linking ---- */

/* Instantiates m with imports given in the module's import order (n must
 * equal tri_module_import_count). Follows the spec's order: type checks of
 * the imports (TRI_ERR_UNLINKABLE naming the import), then globals, tables,
 * memories, element and data segments in order, then the start function.
 * When a segment or the start function traps, the error is that trap and
 * the effects made so far stay visible (as the spec requires); *out is then
 * NULL. */
tri_error *tri_instance_new(tri_store *s, tri_module *m, const tri_extern *imports, size_t n,
                            tri_instance **out);
/* Finds an export by name; false when there is none. */
bool tri_instance_export(tri_instance *i, const char *name, size_t len, tri_extern *out);
size_t tri_instance_export_count(const tri_instance *i);
/* The i-th export, in the module's order; name borrowed from the module. */
void tri_instance_export_nth(tri_instance *i, size_t n, const char **name, size_t *len,
                             tri_extern *out);
const tri_module *tri_instance_module(const tri_instance *i);

/* A linker resolves imports by (module, name). Definitions are borrowed
 * store objects; the linker belongs to the store and dies with it. */
tri_linker *tri_linker_new(tri_store *s);
/* Defines one name; a second definition of the same name replaces the first. */
tri_error *tri_linker_define(tri_linker *l, const char *module, size_t module_len,
                             const char *name, size_t name_len, tri_extern ext);
/* Defines every export of an instance under the module name. */
tri_error *tri_linker_define_instance(tri_linker *l, const char *module, size_t module_len,
                                      tri_instance *i);
/* Looks every import of m up and instantiates it. An import with no
 * definition fails with TRI_ERR_UNLINKABLE "unknown import MODULE.NAME";
 * one of the wrong type with "incompatible import type for MODULE.NAME". */
tri_error *tri_linker_instantiate(tri_linker *l, tri_module *m, tri_instance **out);

/* ---- functions ---- */

/* A host function. args holds nargs values of the declared param types;
 * write nresults values of the declared result types into results. Return
 * NULL, or a trap (tri_trap_new) that unwinds the wasm caller; ownership
 * passes to the runtime. caller is the instance whose import was called,
 * or NULL when the call came through a table, ref or the host. */
typedef tri_error *(*tri_host_fn)(void *data, tri_instance *caller, const tri_val *args,
                                  size_t nargs, tri_val *results, size_t nresults);

/* Makes a host function in the store. type is copied. finalizer (may be
 * NULL) is called on data when the store is deleted. NULL when out of
 * memory or the type has a kind Trident does not support. */
tri_func *tri_func_new(tri_store *s, const tri_functype *type, tri_host_fn fn, void *data,
                       void (*finalizer)(void *data));
/* The function's type; arrays owned by the function's engine or module. */
tri_functype tri_func_type(const tri_func *f);
/* Calls f. args must match the params (count and kinds: TRI_ERR_ARG
 * otherwise); results receives the results. A trap comes back as an error
 * of kind TRI_ERR_TRAP and leaves the store usable. May be called from
 * host functions (re-entrantly). */
tri_error *tri_func_call(tri_store *s, tri_func *f, const tri_val *args, size_t nargs,
                         tri_val *results, size_t nresults);

/* ---- memories (sizes in 64 KiB pages) ---- */

tri_error *tri_memory_new(tri_store *s, tri_limits limits, tri_memory **out);
tri_limits tri_memory_type(const tri_memory *m);
/* The memory's bytes; the pointer changes after a grow in bounds-check mode. */
uint8_t *tri_memory_data(tri_memory *m);
/* Current size in bytes. */
size_t tri_memory_data_size(const tri_memory *m);
uint64_t tri_memory_pages(const tri_memory *m);
/* Grows by delta pages; *old_pages (may be NULL) gets the previous size.
 * TRI_ERR_LIMIT past the declared maximum or the engine's memory limit. */
tri_error *tri_memory_grow(tri_memory *m, uint64_t delta, uint64_t *old_pages);

/* ---- tables ---- */

/* init fills every element; its kind must be the element type. */
tri_error *tri_table_new(tri_store *s, tri_tabletype type, tri_val init, tri_table **out);
tri_tabletype tri_table_type(const tri_table *t);
uint32_t tri_table_size(const tri_table *t);
/* false when i is out of bounds. */
bool tri_table_get(const tri_table *t, uint32_t i, tri_val *out);
tri_error *tri_table_set(tri_table *t, uint32_t i, tri_val v);
tri_error *tri_table_grow(tri_table *t, uint32_t delta, tri_val init, uint32_t *old_size);

/* ---- globals ---- */

tri_error *tri_global_new(tri_store *s, tri_globaltype type, tri_val init, tri_global **out);
tri_globaltype tri_global_type(const tri_global *g);
tri_val tri_global_get(const tri_global *g);
/* TRI_ERR_ARG for an immutable global or a value of the wrong kind. */
tri_error *tri_global_set(tri_global *g, tri_val v);

#ifdef __cplusplus
}
#endif

#endif
