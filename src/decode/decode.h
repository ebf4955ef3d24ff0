/* decode: the WebAssembly 2.0 binary format -> struct module.
 *
 * The decoder checks that the bytes are well formed (the spec's "malformed"
 * class of errors) and nothing more; typing rules belong to validate/.
 * Function bodies, data segments and custom sections point into the caller's
 * buffer, which must outlive the module. Everything else lives in the module's
 * arena, freed by dec_module_free. */
#ifndef TRI_DECODE_H
#define TRI_DECODE_H

#include "../base/base.h"
#include "opcodes.h"

/* ---- value types (their binary encodings) ---- */
enum {
    VT_I32 = 0x7F,
    VT_I64 = 0x7E,
    VT_F32 = 0x7D,
    VT_F64 = 0x7C,
    VT_V128 = 0x7B,
    VT_FUNCREF = 0x70,
    VT_EXTERNREF = 0x6F,
};
typedef uint8_t valtype;

bool dec_is_valtype(uint8_t b);
bool dec_is_reftype(uint8_t b);
const char *dec_valtype_name(valtype t);

enum extern_kind { EXT_FUNC = 0, EXT_TABLE = 1, EXT_MEMORY = 2, EXT_GLOBAL = 3 };
const char *dec_extern_kind_name(enum extern_kind k);

/* ---- immediates ---- */
enum imm_kind {
    IMM_NONE,
    IMM_BLOCK,          /* block type */
    IMM_LABEL,          /* label depth */
    IMM_BR_TABLE,       /* vector of depths + default */
    IMM_FUNC,           /* function index */
    IMM_CALL_INDIRECT,  /* type index, table index */
    IMM_SELECT_T,       /* vector of value types (exactly one is valid) */
    IMM_LOCAL,
    IMM_GLOBAL,
    IMM_TABLE,
    IMM_MEMARG,         /* align, offset */
    IMM_MEMARG_LANE,    /* align, offset, lane */
    IMM_MEMIDX,         /* a memory index byte (must be 0 in 2.0) */
    IMM_I32,
    IMM_I64,
    IMM_F32,            /* raw bits */
    IMM_F64,            /* raw bits */
    IMM_V128,
    IMM_LANE,
    IMM_SHUFFLE,
    IMM_REFTYPE,
    IMM_MEMORY_INIT,    /* data index, memory index */
    IMM_DATA,           /* data index */
    IMM_MEMORY_COPY,    /* dst memory, src memory */
    IMM_TABLE_INIT,     /* elem index, table index */
    IMM_ELEM,           /* elem index */
    IMM_TABLE_COPY,     /* dst table, src table */
};

/* Dense opcode ids: byte for one-byte opcodes, 0x100+n for 0xFC n,
 * 0x200+n for 0xFD n. */
enum op {
#define X(id, code, name, imm, params, results, aux) OP_##id = code,
    OPCODES(X)
#undef X
};
enum { OP_COUNT = 0x300 };

struct op_info {
    const char *name;      /* NULL for an unassigned opcode */
    enum imm_kind imm;
    const char *params;    /* type letters, NULL when typed by hand */
    const char *results;
    uint8_t aux;           /* see opcodes.h */
};
extern const struct op_info dec_ops[OP_COUNT];
/* Maps a type letter of op_info (i I f F V) to its valtype. */
valtype dec_letter_type(char c);

/* Block type: empty, one value type, or a type index. */
struct blocktype {
    enum { BT_EMPTY, BT_VALUE, BT_INDEX } kind;
    valtype value;
    uint32_t index;
};

struct memarg {
    uint32_t align; /* log2 */
    uint32_t offset;
};

/* One decoded instruction. Immediates that are vectors (br_table targets,
 * select types) point into the body's bytes and are read with the helpers
 * below so decoding never allocates. */
struct insn {
    enum op op;
    uint32_t offset; /* byte offset of the opcode in the module */
    union {
        struct blocktype block;
        uint32_t index;   /* label, func, local, global, table, data, elem, type */
        struct { uint32_t type, table; } call_indirect;
        struct { uint32_t a, b; } pair; /* memory.init (data, mem), table.init
                                          (elem, table), copies (dst, src) */
        struct { struct memarg m; uint8_t lane; } mem;
        struct { uint32_t count; const uint8_t *p; uint32_t dflt; } br_table; /* p: first target */
        struct { uint32_t count; valtype type; } select;
        uint8_t lane;
        uint8_t bytes[16]; /* v128.const, i8x16.shuffle */
        int32_t i32;
        int64_t i64;
        uint32_t f32;
        uint64_t f64;
        valtype reftype;
    } imm;
};

/* ---- the byte reader ---- */
struct reader {
    const uint8_t *base; /* start of the module: offsets are relative to it */
    const uint8_t *p, *end;
    struct err *err;
};

bool rd_u8(struct reader *r, uint8_t *out);
bool rd_u32(struct reader *r, uint32_t *out);
bool rd_s32(struct reader *r, int32_t *out);
bool rd_s33(struct reader *r, int64_t *out);
bool rd_s64(struct reader *r, int64_t *out);
bool rd_fixed(struct reader *r, void *out, size_t n);
static inline size_t rd_offset(const struct reader *r) { return (size_t)(r->p - r->base); }
static inline bool rd_done(const struct reader *r) { return r->p >= r->end; }
/* Records a malformed error at the reader's position; returns false. */
bool rd_fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Decodes the next instruction of a function body or constant expression
 * (opcode and immediates, no typing). */
bool dec_insn(struct reader *r, struct insn *in);
/* Reads the br_table target at *p and advances *p. Start with
 * in->imm.br_table.p; the count targets come first, then the default. The
 * targets were checked to be well formed when the instruction was decoded. */
uint32_t dec_br_table_next(const uint8_t **p);
/* A quick look at the instruction at p (< end), for scans of bytes the validator
 * has not reached yet: its opcode (one byte or 0xFC-prefixed) in in->op,
 * the first number of its immediates (low 32 bits) in in->imm.index, a
 * br_table's count and first target in in->imm.br_table; the rest is
 * skipped unread. Returns the byte after it, or NULL for what it does not
 * read (SIMD, an unknown opcode, a memory index flag, bytes that end
 * early). Nothing is checked beyond that. */
const uint8_t *dec_peek(const uint8_t *p, const uint8_t *end, struct insn *in);

/* ---- module structure ---- */
struct name { const uint8_t *p; uint32_t len; }; /* UTF-8, not NUL-terminated */

struct functype {
    uint32_t nparams, nresults;
    valtype *types; /* nparams parameter types, then nresults result types */
};
static inline const valtype *ft_params(const struct functype *f) { return f->types; }
static inline const valtype *ft_results(const struct functype *f) { return f->types + f->nparams; }

struct limits {
    uint64_t min, max;
    bool has_max;
};

struct tabletype { valtype elem; struct limits lim; };
struct memtype { struct limits lim; };
struct globaltype { valtype type; bool mut; };

/* A constant expression, kept as its raw bytes up to and including `end`. */
struct expr {
    const uint8_t *p;
    uint32_t len;
    uint32_t offset; /* in the module */
};

struct import {
    struct name module, field;
    enum extern_kind kind;
    union {
        uint32_t func_type;
        struct tabletype table;
        struct memtype mem;
        struct globaltype global;
    } desc;
};

struct export {
    struct name name;
    enum extern_kind kind;
    uint32_t index;
};

struct global {
    struct globaltype type;
    struct expr init;
};

enum seg_mode { SEG_ACTIVE, SEG_PASSIVE, SEG_DECLARATIVE };

struct elem {
    enum seg_mode mode;
    uint32_t table;
    struct expr offset;   /* active only */
    valtype type;         /* funcref or externref */
    uint32_t count;
    uint32_t *funcs;      /* count function indices, or NULL when ... */
    struct expr *exprs;   /* ... the items are constant expressions */
    uint32_t offset_in_module;
};

struct data {
    enum seg_mode mode; /* never SEG_DECLARATIVE */
    uint32_t memory;
    struct expr offset;
    const uint8_t *bytes;
    uint32_t len;
    uint32_t offset_in_module;
};

/* A run of locals of one type. */
struct local_decl { uint32_t count; valtype type; };

struct func {
    uint32_t type;            /* index into module.types */
    /* defined functions only: */
    uint32_t nlocal_decls;
    struct local_decl *local_decls;
    uint64_t nlocals;         /* excluding parameters */
    const uint8_t *code;      /* first instruction, in the caller's buffer */
    const uint8_t *code_end;  /* one past the final `end` */
    uint32_t body_offset;     /* module offset of the body's size field */
    uint32_t code_offset;     /* module offset of the first instruction */
};

struct custom {
    struct name name;
    const uint8_t *p;
    uint32_t len;
    uint32_t offset;
};

struct local_names {
    uint32_t func;
    uint32_t count;
    uint32_t *index;
    struct name *names;
};

struct module {
    struct arena arena;
    const uint8_t *bytes;
    size_t size;

    uint32_t ntypes;
    struct functype *types;

    uint32_t nimports;
    struct import *imports;

    /* Index spaces: imports first, then definitions. */
    uint32_t nfuncs, nfunc_imports;
    struct func *funcs;
    uint32_t ntables, ntable_imports;
    struct tabletype *tables;
    uint32_t nmems, nmem_imports;
    struct memtype *mems;
    uint32_t nglobals, nglobal_imports;
    struct global *globals; /* init is empty for imported globals */

    uint32_t nexports;
    struct export *exports;

    bool has_start;
    uint32_t start;

    uint32_t nelems;
    struct elem *elems;

    bool has_data_count;
    uint32_t data_count;
    uint32_t ndatas;
    struct data *datas;

    uint32_t ncustoms;
    struct custom *customs;

    /* From the "name" custom section, if present and well formed (a broken
     * name section is ignored, as the spec asks). */
    struct name module_name;
    struct name *func_names; /* nfuncs entries; len 0 when unnamed */
    uint32_t nlocal_names;
    struct local_names *local_names;
};

/* Decodes bytes[0..len) into *m. On failure returns false with e set
 * (ERR_MALFORMED and the byte offset) and *m freed. The bytes are borrowed
 * and must outlive m. */
bool dec_module(struct module *m, const uint8_t *bytes, size_t len, struct err *e);
void dec_module_free(struct module *m);
/* Fills the name fields from the "name" section (called by dec_module). */
void dec_names(struct module *m);

/* The type of function index f (imported or defined). */
static inline const struct functype *dec_func_type(const struct module *m, uint32_t f)
{
    return &m->types[m->funcs[f].type];
}

/* Parses a validated constant expression that holds one instruction plus
 * `end` (all that 2.0 allows). */
bool dec_const_insn(const struct expr *x, struct insn *out);

/* Implementation limits (as the spec tests and other engines expect). */
enum {
    LIMIT_LOCALS = 50000,
    LIMIT_PARAMS = 1000,
    LIMIT_RESULTS = 1000,
    LIMIT_TABLE_MAX = 10000000,
};

#endif
