/* runtime: engine, store, module, instance, memories, tables, globals,
 * executable code, the host<->wasm boundary and traps.
 *
 * This header defines the objects behind include/trident.h's handles and
 * the rt_ functions the runtime's files share. The public API is the
 * contract for hosts; this one is for the runtime itself (and for tests
 * that need to load hand-made artifacts). Layouts shared with compiled code
 * are in compiler/compiler.h and docs/ABI.md. */
#ifndef TRI_RUNTIME_H
#define TRI_RUNTIME_H

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <trident.h>

#include "../compiler/compiler.h"

enum {
    RT_PAGE = 65536,
    RT_MAX_PAGES = 65536,                  /* 4 GiB */
    RT_MAX_FRAMES = 32,                    /* backtrace frames kept per trap */
    RT_STACK_SLACK = 256 * 1024,           /* stack left below the wasm limit */
    RT_DEFAULT_MAX_STACK = 1024 * 1024,
    RT_DEFAULT_CACHE_MAX = 1 << 30,        /* 1 GiB of cache folder */
};
#define RT_GUARD_RESERVE (8ull << 30) /* 4 GiB + 4 GiB guard per memory */

/* ---- engine ---- */

struct rt_type; /* an interned function type, engine-owned */

struct tri_engine {
    tri_config config;
    char *cache_dir;                  /* the cache folder (config.cache_dir or the
                                         default), owned; NULL when there is none */
    struct {
        atomic_uint hits, rejected, stored; /* for tests and statistics */
    } cache_stats;
    atomic_uint_least64_t cache_unscanned; /* bytes written since the last trim */
    atomic_bool cache_scanned;        /* trimmed once already */
    const struct cc_backend *backend; /* NULL: not built in (modules without code only) */
    char backend_name[CC_BACKEND_NAME_MAX];
    pthread_mutex_t lock;             /* guards the type table */
    struct arena arena;               /* interned types live here */
    struct rt_type **types;           /* open-addressing table, cap a power of 2 */
    uint32_t ntypes, cap;
};

/* Interns a function type; returns its canonical id (>= 1), or 0 when out
 * of memory. *out (may be NULL) gets the engine-owned copy. */
uint32_t rt_type_intern(tri_engine *e, const tri_functype *t, const tri_functype **out);

/* ---- values ----
 * Inside the runtime a value is a raw 64-bit slot as compiled code sees it
 * (ABI section 1): integers and float bits in the low bytes, funcref as a
 * struct cc_vm_funcref * (== tri_func *), externref as the host word. */
uint64_t rt_val_to_raw(tri_val v);
tri_val rt_val_from_raw(uint8_t kind, uint64_t raw);
bool rt_valkind_supported(uint8_t kind);

/* ---- errors ---- */
struct tri_error {
    tri_error_kind kind;
    tri_trap_code trap;
    int32_t exit_status;  /* TRI_TRAP_EXIT only */
    uint64_t offset;
    size_t nframes;
    tri_frame frames[RT_MAX_FRAMES];
    char *message;        /* owned */
};
/* A new error with a formatted message; never NULL (falls back to a static
 * out-of-memory error that tri_error_delete leaves alone). */
tri_error *rt_error(tri_error_kind kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
tri_error *rt_error_from(const struct err *e);
tri_error *rt_trap_error(tri_trap_code code);

/* ---- executable code ---- */
struct rt_code {
    uint8_t *base;   /* mapping start, read+execute once loaded */
    size_t map_len;
    size_t code_len; /* the artifact's bytes; veneers follow */
};
/* Maps the artifact's code, resolves relocations against `funcs` (defined
 * function entries) and builtins, and makes it executable. */
bool rt_code_load(struct rt_code *c, const struct cc_artifact *a, uint32_t nfunc_imports,
                  struct err *e);
void rt_code_free(struct rt_code *c);
/* The address compiled code calls for a builtin (its thunk). */
void *rt_builtin_addr(enum cc_builtin b);

/* ---- artifact files and the cache ---- */

/* A 128-bit digest (digest.c): fast, not cryptographic. Streaming: init,
 * add pieces, end. */
struct rt_digest {
    uint64_t v[4];
    uint8_t buf[32];
    size_t fill;
    uint64_t total;
};
void rt_digest_init(struct rt_digest *d, uint64_t seed);
void rt_digest_add(struct rt_digest *d, const void *data, size_t n);
void rt_digest_end(struct rt_digest *d, uint64_t out[2]);
void rt_digest(const void *data, size_t n, uint64_t seed, uint64_t out[2]);

/* CPU features (cpu.c) as a mask: what this CPU has, what code from a
 * backend may use here, and the names of a mask's features. */
uint64_t rt_cpu_host(void);
uint64_t rt_cpu_required(const char *backend);
size_t rt_cpu_names(uint64_t mask, char *out, size_t n);

/* Digest of the build id of the runtime's own object (the executable or
 * library holding it), or of the object whose code holds addr (a backend
 * plugin); false when the object has none. */
bool rt_build_stamp(uint64_t out[2]);
bool rt_code_stamp(uintptr_t addr, uint64_t out[2]);

/* .twasm files (twasm.c). True when the bytes start like one. */
bool rt_twasm_is(const uint8_t *p, size_t n);
/* A file to write, as pieces borrowed from the artifact and module (and
 * the header inside the plan: do not copy a plan). */
struct rt_twasm_piece {
    const void *data;
    size_t len;
};
struct rt_twasm_plan {
    _Alignas(16) uint8_t header[256];
    struct rt_twasm_piece pieces[12];
    size_t npieces;
    size_t len; /* of the whole file */
};
/* Plans the file for a finished artifact; the module's bytes are digested
 * and, when embed, stored in it. */
bool rt_twasm_plan(struct rt_twasm_plan *p, const struct cc_artifact *a, const uint8_t *module,
                   size_t module_len, bool embed, struct err *e);
/* Writes the planned file whole under a temporary name (PATH.PID.N.tmp)
 * and renames it into place, so readers never see half a file; a PATH
 * that is not a regular file (/dev/null, a pipe) is written directly. */
bool rt_twasm_save(const char *path, const struct rt_twasm_plan *p, struct err *e);
/* What a cache entry must be for: compared with its header. */
struct rt_twasm_want {
    char backend[CC_BACKEND_NAME_MAX];
    struct cc_options options;
    uint64_t module_hash[2];
    uint64_t module_len;
};
struct rt_twasm_file { /* everything owned by the caller once read */
    struct cc_artifact art;
    uint8_t *module; /* the embedded module bytes (malloc'd; a cache entry has none) */
    size_t module_len;
};
/* Checks a whole file (length, layout, checksum, maker, CPU; with want,
 * that it is a cache entry for that module) while reading it into *out.
 * On failure e says why: ERR_MALFORMED for damage, ERR_UNSUPPORTED for
 * another build or CPU, ERR_ARG for the wrong kind of file. From memory,
 * or from a file of len bytes (each section read once, into its array). */
bool rt_twasm_read(const uint8_t *data, size_t len, const struct rt_twasm_want *want,
                   struct rt_twasm_file *out, struct err *e);
bool rt_twasm_read_fd(int fd, uint64_t len, const struct rt_twasm_want *want,
                      struct rt_twasm_file *out, struct err *e);

/* The cache (cache.c). The folder for a configured one (NULL: the XDG
 * default), malloc'd, or NULL when there is none. */
char *rt_cache_dir_default(const char *configured);
struct rt_cache_key {
    struct rt_twasm_want want;
    char path[4200]; /* the entry's file */
};
/* False when the engine does not cache (or cannot). */
bool rt_cache_key(const tri_engine *e, const struct cc_backend *backend,
                  const struct cc_options *o, const uint8_t *bytes, size_t len,
                  struct rt_cache_key *k);
/* Fills *a from the entry when it is whole and for this module; false
 * (a untouched) on a miss. */
bool rt_cache_load(tri_engine *e, const struct rt_cache_key *k, struct cc_artifact *a);
/* Writes a finished artifact, then trims the folder; failures are silent
 * (the cache is an optimisation). */
void rt_cache_store(tri_engine *e, const struct rt_cache_key *k, const uint8_t *bytes,
                    size_t len, const struct cc_artifact *a);

/* ---- modules ---- */
struct tri_module {
    tri_engine *engine;
    atomic_int refs;
    uint8_t *bytes;                 /* owned copy; m points into it */
    struct module m;
    struct cc_artifact art;
    struct rt_code code;
    struct cc_vmctx_layout layout;
    uint32_t *type_ids;             /* canonical id per module type index */
    const tri_functype **types;     /* engine-owned, per module type index */
    tri_importtype *imports;        /* names NUL-terminated in m.arena */
    tri_exporttype *exports;
    const char **func_names;        /* per function index, or NULL entries */
    const char *name;               /* module name, or NULL */
};
/* Makes a module from bytes with an explicit backend (NULL: the module
 * must have no function bodies). Tests use this to load artifacts made by
 * a backend of their own. */
tri_error *rt_module_new(tri_engine *e, const uint8_t *bytes, size_t len,
                         const struct cc_backend *backend, tri_module **out);
void rt_module_retain(tri_module *m);
/* The module whose code holds pc and the code offset, or NULL. */
bool rt_module_has_pc(const tri_module *m, uintptr_t pc, uint32_t *offset);

/* ---- store objects ---- */

/* Everything a store owns is on one list so deletion frees it all. */
struct rt_object {
    struct rt_object *next;
    void (*destroy)(struct rt_object *o);
};

/* Modules whose code runs in the store, for the signal handler: a list
 * that only grows, published with atomic stores so a handler on this
 * thread can read it at any time. */
struct rt_code_ref {
    const tri_module *module;
    struct rt_code_ref *next;
};

struct tri_store {
    tri_engine *engine;
    struct rt_object *objects;             /* newest first */
    _Atomic(struct rt_code_ref *) codes;
    VEC(uint8_t *) vmctxs;                 /* of every instance, for stack limits */
    uintptr_t stack_limit;                 /* the value now in every vmctx */
};
void rt_store_adopt(tri_store *s, struct rt_object *o, void (*destroy)(struct rt_object *));
bool rt_store_add_code(tri_store *s, const tri_module *m);
/* Writes limit into every instance's vmctx when it changed. */
void rt_store_set_stack_limit(tri_store *s, uintptr_t limit);

/* A host function's binding: what a host {code, vmctx} pair's vmctx points
 * at. caller is the importing instance for import entries, else NULL. */
struct rt_hostbind {
    tri_func *func;
    tri_instance *caller;
};

struct tri_func {
    struct cc_vm_funcref vm; /* first: funcref values point here */
    struct rt_object obj;
    tri_store *store;
    const tri_functype *type; /* engine-owned */
    /* wasm functions */
    tri_instance *instance;
    uint32_t index;
    /* host functions */
    tri_host_fn fn;
    void *data;
    void (*finalizer)(void *);
    struct rt_hostbind bind;
};

struct tri_memory {
    struct rt_object obj;
    tri_store *store;
    tri_limits type;     /* min = the current size in pages */
    uint8_t *base;
    uint64_t size;       /* bytes */
    uint64_t max_pages;  /* declared max capped by the engine's limit */
    bool guard;          /* 8 GiB reservation (else mremap on grow) */
    VEC(uint8_t *) views; /* vmctx of each instance using it as memory 0 */
};
tri_error *rt_memory_create(tri_store *s, tri_limits lim, tri_memory **out);
/* Grows by delta pages: the old size in pages, or -1. */
int64_t rt_memory_grow(tri_memory *m, uint64_t delta);
bool rt_memory_add_view(tri_memory *m, uint8_t *vmctx);

struct tri_table {
    struct rt_object obj;
    tri_store *store;
    tri_tabletype type;    /* limits.min = the current size */
    struct cc_vm_table vm; /* what vmctx points at */
    uint32_t cap;
    uint32_t max;
};
tri_error *rt_table_create(tri_store *s, tri_tabletype type, uint64_t init, tri_table **out);
/* Grows by delta elements set to init: the old size, or -1. */
int64_t rt_table_grow(tri_table *t, uint32_t delta, uint64_t init);
/* Bounds-checked bulk operations; TRI_TRAP_NONE or the trap. */
tri_trap_code rt_table_fill(tri_table *t, uint32_t i, uint64_t v, uint32_t n);
tri_trap_code rt_table_copy(tri_table *dst, tri_table *src, uint32_t d, uint32_t s, uint32_t n);

struct tri_global {
    struct rt_object obj;
    tri_store *store;
    tri_globaltype type;
    _Alignas(16) uint8_t cell[CC_GLOBAL_CELL_SIZE];
};
tri_error *rt_global_create(tri_store *s, tri_globaltype type, uint64_t raw, tri_global **out);
static inline uint64_t rt_global_raw(const tri_global *g)
{
    uint64_t v;
    __builtin_memcpy(&v, g->cell, 8);
    return v;
}

/* ---- instances ---- */
struct rt_segment {
    uint32_t len;       /* 0 once dropped */
    const uint8_t *bytes; /* data segments: in the module's bytes */
    uint64_t *refs;     /* element segments: evaluated items, owned */
};

struct tri_instance {
    struct rt_object obj;
    tri_store *store;
    tri_module *module;       /* one reference held */
    uint8_t *vmctx;           /* owned, layout per module->layout */
    tri_func **funcs;         /* nfuncs: imports then own functions */
    tri_func *own_funcs;      /* the defined functions' records, owned */
    tri_table **tables;
    tri_memory *memory;       /* memory 0 or NULL */
    tri_global **globals;
    struct rt_hostbind *binds; /* per function import (host ones used) */
    struct rt_segment *datas;
    struct rt_segment *elems;
    tri_extern *exports;      /* in the module's export order */
};
static inline tri_instance *rt_instance_of(const uint8_t *vmctx)
{
    tri_instance *i;
    __builtin_memcpy(&i, vmctx + CC_VMCTX_INSTANCE, sizeof i);
    return i;
}
/* Evaluates a validated constant expression of the module. */
uint64_t rt_const_eval(const tri_instance *inst, const struct expr *x);
/* Bounds-checked segment operations shared by instantiation and builtins. */
tri_trap_code rt_memory_init(tri_instance *inst, uint32_t seg, uint32_t d, uint32_t s, uint32_t n);
tri_trap_code rt_table_init(tri_instance *inst, uint32_t table, uint32_t seg, uint32_t d,
                            uint32_t s, uint32_t n);
/* Import matching for instantiation and the linker; NULL when ext fits. */
tri_error *rt_import_check(const tri_store *s, const tri_module *m, size_t i,
                           const tri_extern *ext);

/* ---- calls and traps ---- */

/* Calls function f (wasm or host) with raw arguments; results land in
 * results (8-byte slots). */
tri_error *rt_call(tri_func *f, const uint64_t *args, uint64_t *results);
/* The generic host stub's address: the code of every host {code, vmctx}. */
void *rt_host_stub_addr(void);

/* What the signal handler or a raise records before unwinding. */
struct rt_trap_state {
    tri_trap_code code;
    uint32_t wasm_offset;
    bool has_offset;
    tri_error *host_error; /* a host function's own error, passed through */
    uintptr_t pcs[RT_MAX_FRAMES];
    uint32_t npcs;
};

/* One host->wasm call in progress on this thread. */
struct rt_activation {
    sigjmp_buf jb;
    struct rt_activation *prev;
    tri_store *store;
    struct rt_trap_state trap;
};

/* Installs the signal handlers (once per process). */
bool rt_signals_init(void);
/* Prepares this thread (alternate signal stack, stack bounds) and returns
 * the stack limit wasm entered now must respect. */
uintptr_t rt_thread_enter(uint64_t max_stack);
void rt_activation_push(struct rt_activation *a);
void rt_activation_pop(struct rt_activation *a);
/* Records a backtrace starting at a wasm pc and frame pointer. */
void rt_trap_walk(struct rt_activation *a, uintptr_t pc, uintptr_t fp);
/* Unwinds to the innermost entry with this trap; fp/pc locate the wasm
 * frame that called into the runtime. Does not return. */
_Noreturn void rt_trap_raise(tri_trap_code code, tri_error *host_error, uintptr_t pc,
                             uintptr_t fp);
/* Turns a recorded trap into an error with its backtrace. */
tri_error *rt_trap_to_error(const struct rt_activation *a);

#endif
