/* optimizing: the SSA compiler backend (docs/IR.md describes the IR).
 *
 * Each function body is turned into an SSA IR during the validator's walk
 * (build*.c), run through the passes listed in pipeline.c, lowered to
 * machine instructions on virtual registers (isel*.c), given registers by
 * a linear-scan allocator with interval splitting (live.c, regalloc.c,
 * resolve.c, checked by rcheck.c in debug mode) and encoded through the
 * shared x86-64 encoder (emit*.c). Functions compile in parallel
 * (backend.c); everything made for one function lives in its arena.
 *
 * Layout of this header: the IR (opcodes, instructions, blocks, the
 * function), the IR helpers, the passes, then the machine level (MIR),
 * register allocation and emission. */
#ifndef TRI_OPTIMIZING_H
#define TRI_OPTIMIZING_H

#include "../compiler/compiler.h"
#include "../validate/validate.h"
#include "../x64/x64.h"

extern const struct cc_backend opt_backend;

/* ======================= the IR ======================= */

/* Value types. References (funcref, externref) are 64-bit words: I64. */
enum opt_type { OPT_VOID, OPT_I32, OPT_I64, OPT_F32, OPT_F64 };

/* Operand shapes: how arg[] of an instruction is read. */
enum opt_shape {
    SH_NONE,  /* no operands (the first four are their operand counts) */
    SH_A,     /* arg[0] */
    SH_AB,    /* arg[0], arg[1] */
    SH_ABC,   /* arg[0..2] */
    SH_LIST,  /* arg[0] = first index in fn->extra, arg[1] = count */
    SH_TERM,  /* terminator: arg[0] as the op says, targets in the block */
};

/* Op flags. */
enum {
    OF_PURE = 1 << 0,   /* no effect besides its value: removable, movable */
    OF_TRAPS = 1 << 1,  /* may trap (its wasm offset says where) */
    OF_READS = 1 << 2,  /* reads memory (linear memory or runtime state) */
    OF_WRITES = 1 << 3, /* writes memory or runtime state */
    OF_TERM = 1 << 4,   /* ends its block */
    OF_COMM = 1 << 5,   /* commutative in its two operands */
    OF_CALL = 1 << 6,   /* calls out (clobbers everything caller-saved) */
};

/* The IR opcodes: X(NAME, "name", shape, flags). See docs/IR.md for the
 * exact meaning of each. */
#define OPT_OPS(X)                                                                \
    X(NOP, "nop", SH_NONE, OF_PURE)                                               \
    X(PARAM, "param", SH_NONE, OF_PURE)           /* imm: ABI param index */      \
    X(PHI, "phi", SH_LIST, OF_PURE)               /* one operand per pred */      \
    X(ICONST, "iconst", SH_NONE, OF_PURE)         /* imm: value */                \
    X(FCONST, "fconst", SH_NONE, OF_PURE)         /* imm: bits */                 \
    X(ADD, "add", SH_AB, OF_PURE | OF_COMM)                                       \
    X(SUB, "sub", SH_AB, OF_PURE)                                                 \
    X(MUL, "mul", SH_AB, OF_PURE | OF_COMM)                                       \
    X(AND, "and", SH_AB, OF_PURE | OF_COMM)                                       \
    X(OR, "or", SH_AB, OF_PURE | OF_COMM)                                         \
    X(XOR, "xor", SH_AB, OF_PURE | OF_COMM)                                       \
    X(SHL, "shl", SH_AB, OF_PURE)                 /* count mod width */           \
    X(SHR_S, "shr_s", SH_AB, OF_PURE)                                             \
    X(SHR_U, "shr_u", SH_AB, OF_PURE)                                             \
    X(ROTL, "rotl", SH_AB, OF_PURE)                                               \
    X(ROTR, "rotr", SH_AB, OF_PURE)                                               \
    X(DIV_S, "div_s", SH_AB, OF_PURE)   /* b != 0, no overflow: checked before */ \
    X(DIV_U, "div_u", SH_AB, OF_PURE)   /* b != 0: checked before */              \
    X(REM_S, "rem_s", SH_AB, OF_PURE)   /* b != 0; INT_MIN rem -1 = 0 */          \
    X(REM_U, "rem_u", SH_AB, OF_PURE)                                             \
    X(CLZ, "clz", SH_A, OF_PURE)                                                  \
    X(CTZ, "ctz", SH_A, OF_PURE)                                                  \
    X(POPCNT, "popcnt", SH_A, OF_PURE)                                            \
    X(ICMP, "icmp", SH_AB, OF_PURE)     /* aux: enum opt_icc; result i32 */       \
    X(SEXT, "sext", SH_A, OF_PURE)      /* aux: source bits 8, 16, 32 */          \
    X(ZEXT, "zext", SH_A, OF_PURE)      /* i32 -> i64 */                          \
    X(WRAP, "wrap", SH_A, OF_PURE)      /* i64 -> i32 */                          \
    X(FADD, "fadd", SH_AB, OF_PURE | OF_COMM)                                     \
    X(FSUB, "fsub", SH_AB, OF_PURE)                                               \
    X(FMUL, "fmul", SH_AB, OF_PURE | OF_COMM)                                     \
    X(FDIV, "fdiv", SH_AB, OF_PURE)                                               \
    X(FMIN, "fmin", SH_AB, OF_PURE | OF_COMM)                                     \
    X(FMAX, "fmax", SH_AB, OF_PURE | OF_COMM)                                     \
    X(FCOPYSIGN, "fcopysign", SH_AB, OF_PURE)                                     \
    X(FABS, "fabs", SH_A, OF_PURE)                                                \
    X(FNEG, "fneg", SH_A, OF_PURE)                                                \
    X(FSQRT, "fsqrt", SH_A, OF_PURE)                                              \
    X(FROUND, "fround", SH_A, OF_PURE)  /* aux: enum opt_round */                 \
    X(FCMP, "fcmp", SH_AB, OF_PURE)     /* aux: enum opt_fcc; result i32 */       \
    X(FCVT, "fcvt", SH_A, OF_PURE)      /* f32 <-> f64 (promote, demote) */       \
    X(I2F, "i2f", SH_A, OF_PURE)        /* aux: OPT_CVT_SIGNED */                 \
    X(F2I, "f2i", SH_A, OF_PURE | OF_TRAPS) /* aux: OPT_CVT_* flags */            \
    X(BITCAST, "bitcast", SH_A, OF_PURE)  /* same width, other class */          \
    X(SELECT, "select", SH_ABC, OF_PURE)  /* arg[0] != 0 ? arg[1] : arg[2] */     \
    X(LOAD, "load", SH_A, OF_READS | OF_TRAPS)    /* [arg0 + imm], aux: mem */    \
    X(STORE, "store", SH_AB, OF_WRITES | OF_TRAPS) /* [arg0 + imm] = arg1 */      \
    X(SLOT_ADDR, "slot_addr", SH_NONE, OF_PURE)   /* imm: frame slot */           \
    X(CALL, "call", SH_LIST, OF_CALL | OF_READS | OF_WRITES | OF_TRAPS)           \
    X(CALL_IND, "call_ind", SH_LIST, OF_CALL | OF_READS | OF_WRITES | OF_TRAPS)   \
    X(CALL_RT, "call_rt", SH_LIST, OF_CALL | OF_READS | OF_WRITES | OF_TRAPS)     \
    X(TRAP_IF, "trap_if", SH_A, OF_TRAPS)         /* aux: tri_trap_code */        \
    X(JMP, "jmp", SH_TERM, OF_TERM)                                               \
    X(BRIF, "brif", SH_TERM, OF_TERM)   /* arg[0] != 0 ? succ[0] : succ[1] */     \
    X(BR_TABLE, "br_table", SH_TERM, OF_TERM) /* arg0: index; see IR.md */        \
    X(RET, "ret", SH_TERM, OF_TERM)     /* arg[0]: the value or 0 */              \
    X(TRAP, "trap", SH_TERM, OF_TERM | OF_TRAPS) /* aux: tri_trap_code */

enum opt_op {
#define X(id, name, shape, flags) OPT_##id,
    OPT_OPS(X)
#undef X
    OPT_OP_COUNT
};

struct opt_op_info {
    const char *name;
    uint8_t shape; /* enum opt_shape */
    uint8_t flags;
};
extern const struct opt_op_info opt_ops[OPT_OP_COUNT];

/* Integer comparisons (ICMP aux), in wasm's order. */
enum opt_icc { ICC_EQ, ICC_NE, ICC_LT_S, ICC_LT_U, ICC_GT_S, ICC_GT_U, ICC_LE_S, ICC_LE_U,
               ICC_GE_S, ICC_GE_U, ICC_COUNT };
/* Float comparisons (FCMP aux): all false on NaN except NE. */
enum opt_fcc { FCC_EQ, FCC_NE, FCC_LT, FCC_GT, FCC_LE, FCC_GE, FCC_COUNT };
/* FROUND modes. */
enum opt_round { ROUND_CEIL, ROUND_FLOOR, ROUND_TRUNC, ROUND_NEAREST };
/* I2F / F2I aux flags. F2I without SAT traps on NaN (invalid conversion)
 * and on out-of-range values (integer overflow). */
enum { OPT_CVT_SIGNED = 1, OPT_CVT_SAT = 2 };

/* LOAD and STORE aux: the access (low 4 bits) and where it goes. */
enum opt_mem {
    MEM_I8 = 1, MEM_U8, MEM_I16, MEM_U16, MEM_I32, MEM_U32, MEM_64, MEM_F32, MEM_F64,
    MEM_KIND = 0x0f,
    MEM_HEAP = 0x80, /* linear memory: a fault is the trap "out of bounds" */
};

/* Value and block ids are 32-bit indices; 0 is "none" for both values and
 * the entry block is block 0 (so 0 is never a branch target). */
typedef uint32_t opt_val;
#define OPT_NONE 0u

/* One instruction; its id is also the id of the value it defines. */
struct opt_insn {
    uint8_t op;       /* enum opt_op */
    uint8_t type;     /* enum opt_type of the result, OPT_VOID for none */
    uint8_t aux;      /* per op: condition, trap code, memory access, ... */
    uint8_t dead;     /* removed (kept in the arrays, skipped everywhere) */
    uint32_t block;   /* the block it belongs to */
    uint32_t wasm;    /* byte offset of the wasm instruction (trap sites) */
    uint32_t arg[3];  /* operands, by the op's shape */
    int64_t imm;      /* constant, offset, callee, slot, table start;
                       * the fields before it fill 24 bytes, so 32 in all */
};

/* A basic block: phis, then instructions, the last one a terminator. The
 * arrays grow inside the function's arena. succ order matters: BRIF goes
 * to succ[0] when its condition is non-zero; phi operands follow pred
 * order. */
struct opt_block {
    uint32_t *insn, ninsn, cap_insn;
    uint32_t *phi, nphi, cap_phi;
    uint32_t *pred, npred, cap_pred;
    uint32_t *succ, nsucc, cap_succ;
    uint32_t order;  /* position in the layout (opt_order) */
    uint32_t loop;   /* loop depth, for spill costs */
    bool dead;       /* removed */
    bool stale;      /* its lists may hold dead or moved entries (opt_unlist) */
};

/* A frame area the function addresses (multi-value call results). */
struct opt_slot {
    uint32_t size;
    int32_t offset; /* from rbp, set by the frame layout */
};

struct opt_func {
    struct arena *arena;            /* owns everything below; borrowed */
    const struct module *m;
    const struct functype *type;
    uint32_t index;                 /* in the function index space */
    struct opt_insn *insn;          /* ninsn, insn[0] unused */
    uint32_t ninsn, cap_insn;
    struct opt_block *block;
    uint32_t nblock, cap_block;
    uint32_t *extra, nextra, cap_extra; /* operand and target lists */
    struct opt_slot *slot;
    uint32_t nslot, cap_slot;
    uint32_t *alias;                /* replaced value -> replacement, or 0 */
    uint32_t nreplaced;             /* opt_replace calls so far */
    uint32_t nparam_abi;            /* PARAMs: vmctx, [results], wasm params */
    uint32_t *order, norder;        /* block layout after opt_order */
    struct opt_domtree *dom;        /* opt_domtree's, until the CFG changes (pipeline.c) */
};

/* ---- ir.c: making and reading IR ---- */

/* Sets up an empty function (entry block 0 made) in the arena. False on
 * out of memory. */
bool opt_func_init(struct opt_func *f, struct arena *a, const struct module *m, uint32_t index);
/* Makes room for ninsn instructions and nblock blocks in all (so that
 * building a large function does not regrow its arrays many times). */
bool opt_func_reserve(struct opt_func *f, uint32_t ninsn, uint32_t nblock);
/* New block; returns its id or UINT32_MAX on out of memory. */
uint32_t opt_block_new(struct opt_func *f);
/* New instruction appended to block b (or made blockless with b =
 * UINT32_MAX, for phis, until opt_phi_add); returns its id or 0 on out of
 * memory. */
opt_val opt_insn_add(struct opt_func *f, uint32_t b, enum opt_op op, enum opt_type t,
                     opt_val a0, opt_val a1, opt_val a2, int64_t imm);
/* opt_insn_add without the block's list, for the builder, which makes
 * every block's list at the end. Inline: one call per IR instruction. */
static inline opt_val opt_insn_new(struct opt_func *f, uint32_t b, enum opt_op op,
                                   enum opt_type t, opt_val a0, opt_val a1, opt_val a2,
                                   int64_t imm)
{
    /* the alias table follows the instruction array's size */
    if (f->ninsn == f->cap_insn && !opt_func_reserve(f, f->ninsn + 1, 0))
        return OPT_NONE;
    opt_val id = f->ninsn++;
    f->insn[id] = (struct opt_insn){.op = (uint8_t)op, .type = (uint8_t)t, .block = b,
                                    .arg = {a0, a1, a2}, .imm = imm};
    f->alias[id] = OPT_NONE; /* not zeroed ahead: only the ids made are touched */
    return id;
}
/* New phi in block b with room for its operands (one per current pred,
 * all 0 until set). */
opt_val opt_phi_new(struct opt_func *f, uint32_t b, enum opt_type t);
/* Appends n values to fn->extra; returns the first index or UINT32_MAX. */
uint32_t opt_extra_add(struct opt_func *f, const uint32_t *v, uint32_t n);
/* Adds the CFG edge from -> to (once; a second add is ignored). */
bool opt_edge_add(struct opt_func *f, uint32_t from, uint32_t to);
/* Adds the CFG edge from -> to, which the caller knows is not there yet. */
bool opt_edge_new(struct opt_func *f, uint32_t from, uint32_t to);
/* Index of p in b's preds, or UINT32_MAX. */
uint32_t opt_pred_index(const struct opt_func *f, uint32_t b, uint32_t p);
/* Grows *arr (of *cap elements of size elem) in the arena to hold need;
 * the elements past the old *cap are not zeroed. Inline: most calls find
 * room (opt_regrow is the rest). */
bool opt_regrow(struct arena *a, void *arr, uint32_t *cap, uint32_t need, size_t elem);
static inline bool opt_grow(struct arena *a, void *arr, uint32_t *cap, uint32_t need,
                            size_t elem)
{
    return need <= *cap || opt_regrow(a, arr, cap, need, elem);
}
/* Appends v to a u32 array growing in the arena. */
static inline bool opt_push(struct arena *a, uint32_t **arr, uint32_t *n, uint32_t *cap,
                            uint32_t v)
{
    if (*n == *cap && !opt_regrow(a, arr, cap, *n + 1, sizeof **arr))
        return false;
    (*arr)[(*n)++] = v;
    return true;
}
/* The value v stands for after replacements (follows fn->alias). */
opt_val opt_resolve(struct opt_func *f, opt_val v);
/* Records that v is replaced by by. */
void opt_replace(struct opt_func *f, opt_val v, opt_val by);
/* Resolves every operand of every live instruction (copy propagation:
 * passes record replacements, this makes the users see them). */
void opt_resolve_all(struct opt_func *f);
/* The same for phi operands only: for passes that resolve the operands of
 * everything else as they walk the blocks in an order where definitions
 * come first (only a phi can use a value defined later). */
void opt_resolve_phis(struct opt_func *f);
/* Drops from the stale blocks' phi and instruction lists what is dead or
 * was moved to another block (its `block` field names the new one). */
void opt_compact(struct opt_func *f);
/* The same for block b's phi list only (when only phis died). */
void opt_compact_phis(struct opt_func *f, uint32_t b);
/* Removes pred i of block b with the matching phi operands. */
void opt_pred_drop(struct opt_func *f, uint32_t b, uint32_t i);
/* Removes the CFG edge from -> to from both lists (and the phi operands). */
void opt_edge_remove(struct opt_func *f, uint32_t from, uint32_t to);
/* The one value all operands of a phi are (besides the phi itself), 0 when
 * they are only the phi, or the phi when they differ. */
opt_val opt_phi_same(struct opt_func *f, opt_val phi);
/* Number of value operands of an instruction and a pointer to them.
 * Inline: every pass calls it for every instruction. */
static inline uint32_t opt_args(const struct opt_func *f, const struct opt_insn *in,
                                uint32_t **args)
{
    uint32_t *a = (uint32_t *)in->arg;
    *args = a;
    unsigned shape = opt_ops[in->op].shape;
    if (shape <= SH_ABC)
        return shape;
    switch (shape) {
    case SH_LIST:
        *args = f->extra + a[0];
        return a[1];
    case SH_TERM:
        return (in->op == OPT_BRIF || in->op == OPT_BR_TABLE || in->op == OPT_RET) && a[0];
    default: return 0;
    }
}
/* The br_table targets (count entries then the default) of a BR_TABLE. */
const uint32_t *opt_table(const struct opt_func *f, const struct opt_insn *in, uint32_t *count);
/* The IR type of a wasm value type (inline: asked for most wasm
 * instructions). */
static inline enum opt_type opt_type_of(valtype t)
{
    switch (t) {
    case VT_I32: return OPT_I32;
    case VT_F32: return OPT_F32;
    case VT_F64: return OPT_F64;
    default: return OPT_I64; /* i64 and references */
    }
}
static inline bool opt_is_float(enum opt_type t) { return t == OPT_F32 || t == OPT_F64; }
/* The memory access kind that loads or stores a whole value of type t. */
uint8_t opt_mem_of_type(enum opt_type t);
const char *opt_type_name(enum opt_type t);
/* The terminator of b (its last instruction) or NULL. */
struct opt_insn *opt_term(const struct opt_func *f, uint32_t b);

/* ---- dump.c: the textual form (docs/IR.md) ---- */
/* Appends the function's IR as text to out. */
void opt_dump(const struct opt_func *f, struct buf *out);
/* The stage named by env TRIDENT_DUMP_IR ("all" or a stage name), or NULL. */
const char *opt_dump_stage(void);
/* Prints the function to stderr if `stage` is the one asked for. */
void opt_dump_if(const struct opt_func *f, const char *stage);

/* ---- verify.c ---- */
/* Checks the IR's invariants (docs/IR.md); on failure records ERR_LIMIT
 * with what is wrong, naming `stage`. Recomputes the block layout. */
bool opt_verify(const struct opt_func *f, const char *stage, struct err *e);

/* ---- build*.c: IR construction from the validator's walk ---- */
struct opt_build;
/* Hooks for val_function; ctx is a struct opt_build made by
 * opt_build_new. */
extern const struct val_hooks opt_build_hooks;
/* A builder reused across functions by one thread, making each function
 * in the given arena. NULL on out of memory. */
struct opt_build *opt_build_new(const struct module *m, const struct cc_options *o);
void opt_build_free(struct opt_build *b);
/* Walks and builds function `index` into *f (in arena a). */
bool opt_build_func(struct opt_build *b, uint32_t index, struct arena *a, struct opt_func *f,
                    struct err *e);

/* ---- shared between the build*.c files (not for other folders) ---- */

/* The locals at one program point: writes since the last join (a
 * persistent trie, copied on write) and the join block that answers for
 * every local not written since (docs/IR.md, "construction"). */
struct opt_pnode;
struct opt_pstate {
    struct opt_pnode *root;
    uint32_t base;
};

/* Per IR block: what its incoming edges carried. */
struct opt_binfo {
    struct opt_pstate *st;   /* one per pred, in pred order */
    uint32_t nst, cap_st;
    uint32_t *vals;          /* arity per pred: the label's values */
    uint32_t nval, cap_val, arity;
    uint32_t *incomplete;    /* (local, phi) pairs made before sealing */
    uint32_t ninc, cap_inc;
    opt_val table;           /* the last br_table with an edge to it */
    bool sealed;
    bool loop;               /* a loop header (the only joins with back edges) */
    bool opened;             /* a merge or sealed loop header with `open` set: */
    struct opt_pstate open;  /* the locals where its block or if opened (a
                                loop's: its entry edge's), */
    uint32_t wopen, wclose;  /* and opt_build.wserial then and at its end: a
                                local not written between has its value there */
};

/* What build_scan.c found before the walk: labels (numbered as their
 * frames open) whose locals go through frame slots. */
struct opt_scan {
    uint32_t nlabels;        /* 0 when there is no memory label */
    uint8_t *mem;            /* per label: a memory label */
    uint32_t *wstart;        /* per label: its written locals are */
    uint32_t *wlocal;        /* wlocal[wstart[l] .. wstart[l + 1]) */
};

/* A control frame of the walk. */
struct opt_bctl {
    enum op op;          /* OP_BLOCK (also the body), OP_LOOP, OP_IF, OP_ELSE */
    bool dead;           /* opened in dead code: no IR */
    bool has_else;
    bool mem;            /* a memory label (struct opt_scan) */
    uint32_t label;      /* its number (order of opening) */
    struct opt_pstate open_st; /* block, if, memory label: the locals where it opened */
    uint32_t wopen;      /* opt_build.wserial where it opened */
    uint32_t wcounted, nwritten; /* opt_b_check_join: locals written up to that serial */
    uint32_t height;     /* operand stack height below the params */
    uint32_t nparams, nresults;
    const valtype *params, *results;
    uint32_t target;     /* loop: header; others: merge block or UINT32_MAX */
    uint32_t if_block;   /* if: the block its brif ends (the else edge is added later) */
    struct opt_pstate if_st; /* if: the locals at the branch */
    uint32_t saved;      /* if: where its params are kept in saved[] */
};

/* A pending step of a local's lookup (the lookup is iterative so deep
 * chains of joins cannot overflow the C stack). */
struct opt_rframe {
    uint32_t block, phi, next;
    uint32_t ops;            /* a merge: where its operands start in ops */
};

struct opt_build {
    const struct module *m;
    struct cc_options opt;
    struct cc_vmctx_layout layout;
    struct opt_func *f;
    struct arena *a;
    struct err *e;
    uint32_t nlocals;
    valtype *local_types;     /* nlocals, in the arena */
    uint32_t at;              /* wasm offset of the instruction */
    uint32_t cur;             /* block being filled */
    struct opt_pstate st;     /* the locals at the current point */
    uint32_t stamp, depth;    /* trie nodes with another stamp are shared */
    uint32_t *wseq, wserial;  /* per local: the serial of its last write, of wserial */
    struct opt_wnode *wlog;   /* per write serial: the local's earlier writes */
    uint32_t cap_wlog;
    struct opt_kslot *kset;   /* the function's constants (build_const.c) */
    uint32_t kcap, kn;
    opt_val vmctx, results, heap_base;
    opt_val zero[5];          /* by enum opt_type */
    opt_val *params;          /* PARAM of each wasm parameter */
    struct opt_binfo *bi;
    uint32_t nbi, cap_bi;
    uint32_t *spare, nspare, cap_spare; /* threaded-away blocks, marked dead, for reuse */
    struct opt_scan scan;
    bool scanned;             /* opt_b_scan ran before this walk (else: opt_b_check_join) */
    bool rescan;              /* the walk stopped at a memory label: walk again, scanned */
    uint64_t scan_work;       /* opt_b_check_join's counting so far in this walk */
    uint32_t label_seq;       /* labels opened so far */
    uint32_t *home;           /* per local: frame slot + 1 of its memory home, or 0 */
    uint32_t *mem_depth;      /* per local: open memory labels it is written in */
    uint64_t *ckey;           /* join lookups: (block << 32 | local) -> value */
    uint32_t *cval, ccap, cn;
    /* scratch reused across functions (malloc'd) */
    VEC(opt_val) stack;
    VEC(struct opt_bctl) ctl;
    VEC(opt_val) saved;
    VEC(struct opt_rframe) work;
    VEC(opt_val) ops;         /* operands of the merges being looked up */
};

/* build.c */
bool opt_b_nomem(struct opt_build *b);
/* Inline: every step of a local's lookup asks it. */
static inline struct opt_binfo *opt_b_info(struct opt_build *b, uint32_t block)
{
    return &b->bi[block];
}
/* A new instruction in block blk (counted there, for the block lists the
 * builder makes at the end), at the current wasm offset. Inline: one call
 * per IR instruction. */
static inline opt_val opt_b_insn(struct opt_build *b, uint32_t blk, enum opt_op op,
                                 enum opt_type t, opt_val a0, opt_val a1, opt_val a2,
                                 int64_t imm)
{
    opt_val v = opt_insn_new(b->f, blk, op, t, a0, a1, a2, imm);
    if (!v) {
        opt_b_nomem(b);
        return OPT_NONE;
    }
    b->f->insn[v].wasm = b->at;
    b->f->block[blk].cap_insn++;
    return v;
}
/* The same in the current block. */
static inline opt_val opt_b_emit(struct opt_build *b, enum opt_op op, enum opt_type t,
                                 opt_val a0, opt_val a1, opt_val a2, int64_t imm)
{
    return opt_b_insn(b, b->cur, op, t, a0, a1, a2, imm);
}
/* build_const.c: the constant of type t with value (or for floats, bits)
 * v, one per function, in the entry block. */
void opt_b_consts_begin(struct opt_build *b);
opt_val opt_b_const(struct opt_build *b, enum opt_type t, int64_t v);
opt_val opt_b_icmp(struct opt_build *b, enum opt_icc cc, opt_val x, opt_val y);
/* A trap_if on cond (false, with the error set, if cond is 0: it failed). */
bool opt_b_trap_if(struct opt_build *b, opt_val cond, tri_trap_code code);
/* A VEC of the builder's with room for one more (a call only when it
 * must grow). */
#define OPT_B_ROOM(v) ((v)->len < (v)->cap || vec_reserve((v), (v)->len + 1))
/* Pushes v on the operand stack (false, with the error set, when v is 0:
 * making it failed). Inline, as pop: nearly every instruction does both. */
static inline bool opt_b_push(struct opt_build *b, opt_val v)
{
    if (!v || !OPT_B_ROOM(&b->stack))
        return opt_b_nomem(b);
    b->stack.data[b->stack.len++] = v;
    return true;
}
static inline opt_val opt_b_pop(struct opt_build *b) { return b->stack.data[--b->stack.len]; }
/* build_vars.c: locals */
bool opt_b_vars_begin(struct opt_build *b);
opt_val opt_b_local_get(struct opt_build *b, uint32_t local);
bool opt_b_local_set(struct opt_build *b, uint32_t local, opt_val v);
/* Continues after join m (sealed, two preds or more, its opened fields
 * set): from the state where its block or if opened, with the locals
 * written inside marked to be asked of m (when there are few; else m is
 * asked about every local). */
bool opt_b_join(struct opt_build *b, uint32_t m);
/* The current state, frozen (later writes copy). */
struct opt_pstate opt_b_snapshot(struct opt_build *b);
/* Continues from a recorded state. */
void opt_b_adopt(struct opt_build *b, struct opt_pstate s);
/* Fills the phis made in block blk before it was sealed; marks it sealed. */
bool opt_b_seal(struct opt_build *b, uint32_t blk);
/* A phi for a label value at a sealed join, or the one value all edges
 * carry: the k-th of the arity values of each edge. */
opt_val opt_b_merge_value(struct opt_build *b, uint32_t blk, uint32_t k, enum opt_type t);
/* Fills phi (made before sealing) from the edges' k-th values. */
bool opt_b_fill_value_phi(struct opt_build *b, uint32_t blk, opt_val phi, uint32_t k);
/* Memory labels: stores of the locals at the opening, the loads that
 * give them their values at the join (or loop header), the end. */
bool opt_b_mem_open(struct opt_build *b, struct opt_bctl *c);
bool opt_b_mem_enter(struct opt_build *b, const struct opt_bctl *c);
void opt_b_mem_close(struct opt_build *b, const struct opt_bctl *c);
/* The number of distinct locals written after write serial `since` (a
 * walk over the writes: for the few joins opt_b_check_join asks about). */
bool opt_b_written(struct opt_build *b, uint32_t since, uint32_t *n);
/* build_scan.c */
bool opt_b_scan(struct opt_build *b, const struct func *fn, struct opt_scan *out);
/* In a walk without a scan, at each new edge to frame c's label (npred
 * so far) and at its join (final): false (error set) when it is a memory
 * label after all, with rescan set, or out of memory. */
bool opt_b_check_join(struct opt_build *b, struct opt_bctl *c, uint32_t npred, bool final);
/* build_ops.c: everything but control and calls */
bool opt_b_op(struct opt_build *b, const struct val_insn *vi);
opt_val opt_b_load(struct opt_build *b, enum opt_type t, uint8_t mem, opt_val ptr, int64_t disp);
/* build_call.c */
bool opt_b_call(struct opt_build *b, const struct val_insn *vi);
bool opt_b_return(struct opt_build *b);
bool opt_b_builtin(struct opt_build *b, enum cc_builtin id, const opt_val *args, uint32_t n,
                   enum opt_type result);

/* ---- passes (one file each), run by pipeline.c ---- */
/* Drops blocks the entry does not reach (with their edges and phi
 * operands). For the builder's IR (cfg.c says what it relies on). */
bool opt_pass_prune(struct opt_func *f, struct err *e);
/* Removes phis whose operands are all one value (or the phi itself) and
 * resolves every operand through the replacement table. */
bool opt_pass_phis(struct opt_func *f, struct err *e);
/* Splits edges from blocks with several successors to blocks with several
 * predecessors. */
bool opt_pass_split_edges(struct opt_func *f, struct err *e);
/* Computes the block layout (reverse postorder) and loop depths. */
bool opt_pass_order(struct opt_func *f, struct err *e);
/* Both: the layout made from the dominator tree's (f->dom's) when the
 * split does not change the search's choices, else by a search; forgets
 * f->dom. */
bool opt_pass_split_order(struct opt_func *f, struct err *e);
/* A depth-first numbering of the blocks the entry reaches (1..n in
 * preorder), what the dominators are computed from. */
struct opt_dfs {
    uint32_t *vertex; /* number -> block */
    uint32_t *num;    /* block -> number; zeroed by the caller (0: not reached) */
    uint32_t *parent; /* number -> its parent's number in the search tree */
    /* the blocks with one successor found on the search's stack, each
     * as block << 1 | (it held only its jump): where they went depended
     * on that (cfg.c); zeroed by the caller, grown in the arena */
    uint32_t *jumps, njumps, cap_jumps;
    bool loops;       /* the search found an edge back to a block on its stack */
};
/* opt_pass_order, also numbering its search into d (when not NULL: arrays
 * of nblock + 1 entries). */
bool opt_layout(struct opt_func *f, struct opt_dfs *d, struct err *e);
/* Between the optimisation passes (fold .. dce) a block's phi and
 * instruction lists may keep stale entries: instructions since removed or
 * moved to another block (their `block` names the new one). Readers skip
 * them with opt_in_block; pipeline.c compacts the lists once after the
 * last of those passes (and before a dump or a verification). */
static inline bool opt_in_block(const struct opt_func *f, opt_val v, uint32_t b)
{
    return !f->insn[v].dead && f->insn[v].block == b;
}
/* v leaves its block's list (it dies or moves): the block is marked for
 * opt_compact, which then skips the blocks nothing left. */
static inline void opt_unlist(struct opt_func *f, opt_val v)
{
    uint32_t b = f->insn[v].block;
    if (b < f->nblock)
        f->block[b].stale = true;
}
/* v dies where it is. */
static inline void opt_kill(struct opt_func *f, opt_val v)
{
    opt_unlist(f, v);
    f->insn[v].dead = 1;
}
/* opt_resolve with its common case (v replaced by nothing) inline: the
 * passes resolve every operand they read. */
static inline opt_val opt_resolved(struct opt_func *f, opt_val v)
{
    return f->alias[v] ? opt_resolve(f, v) : v;
}
/* Resolves the operands of v, writing only those replaced (most are not:
 * the instruction's memory stays clean). */
static inline void opt_resolve_args(struct opt_func *f, opt_val v)
{
    uint32_t *args, n = opt_args(f, &f->insn[v], &args);
    for (uint32_t i = 0; i < n; i++)
        if (f->alias[args[i]])
            args[i] = opt_resolve(f, args[i]);
}
/* pass_fold.c: constant folding and algebraic simplification. */
bool opt_pass_fold(struct opt_func *f, struct err *e);
/* The folding of one instruction at a time, for a walk of the caller's
 * (pass_gvn.c folds each instruction before numbering it). */
struct opt_fold {
    struct opt_func *f;
    uint32_t *fresh, nfresh, cap_fresh; /* constants made or moved: go to the entry */
    uint32_t changed;
    bool oom;
    /* when set, each new constant (in the entry block) goes through it and
     * the value returned is used instead: GVN's equal constant */
    opt_val (*intern)(void *ctx, opt_val c);
    void *ctx;
};
/* Per op: what folding looks at (0: nothing, as for most instructions). */
extern const uint8_t opt_fold_kind[OPT_OP_COUNT];
/* opt_fold_insn for a v of kind opt_fold_kind[op], not 0. */
void opt_fold_kind_insn(struct opt_fold *s, opt_val v, uint8_t kind);
/* Simplifies v, whose operands are resolved (opt_resolve_args): v may
 * become a constant (in the entry block), dead with a replacement, or take
 * other operands. May make instructions (f->insn moves). Inline: the
 * walks ask it of every instruction, and most are of no kind folding
 * looks at. */
static inline void opt_fold_insn(struct opt_fold *s, opt_val v)
{
    uint8_t kind = opt_fold_kind[s->f->insn[v].op];
    if (kind)
        opt_fold_kind_insn(s, v, kind);
}
/* Puts the constants made and moved at the start of the entry block.
 * False on out of memory. */
bool opt_fold_finish(struct opt_fold *s);
/* pass_branch.c: branches on constants become jumps; a block jumping to a
 * block with no other predecessor absorbs it. Forgets f->dom when it
 * changes the CFG. */
bool opt_pass_branch(struct opt_func *f, struct err *e);
/* Its rewrite of brif (icmp eq/ne x, 0) alone, before the dominator tree
 * and its layout are made (they then seldom change in opt_pass_branch). */
bool opt_pass_strip(struct opt_func *f, struct err *e);
/* pass_gvn.c: equal pure computations dominated by one another become
 * one; a trap check dominated by an equal one goes. */
bool opt_pass_gvn(struct opt_func *f, struct err *e);
/* fold and gvn in one walk of the dominator tree (each instruction folded,
 * then numbered). */
bool opt_pass_fold_gvn(struct opt_func *f, struct err *e);
/* pass_licm.c: loop depths; pure non-trapping loop invariants move out. */
bool opt_pass_licm(struct opt_func *f, struct err *e);
/* pass_dce.c: removes what no effect needs. */
bool opt_pass_dce(struct opt_func *f, struct err *e);
/* ---- dom.c ---- */
/* Immediate dominators by block id (blocks the entry does not reach get
 * UINT32_MAX, the entry itself). False on out of memory. */
bool opt_dominators(struct opt_func *f, uint32_t *idom);
/* The dominator tree, for passes that walk it keeping scopes: the blocks
 * the entry reaches in preorder (children in layout order), where each
 * block's subtree ends in that order, and depths (the entry's is 0). All
 * arrays are in the function's arena. */
struct opt_domtree {
    uint32_t *idom;   /* per block (opt_dominators) */
    uint32_t *pre, n; /* preorder */
    uint32_t *pos;    /* per block: its index in pre */
    uint32_t *end;    /* per block: index in pre just past its subtree */
    uint32_t *depth;  /* per block */
    const uint32_t *jumps; /* opt_dfs.jumps of the search the tree was made from */
    uint32_t njumps;
    bool loops;            /* the CFG has a loop (opt_dfs.loops) */
};
/* True when a dominates b (by their preorder positions). */
static inline bool opt_dominates(const struct opt_domtree *t, uint32_t a, uint32_t b)
{
    return t->pos[a] <= t->pos[b] && t->pos[b] < t->end[a];
}
/* The tree (in f->dom): made once, with the layout (opt_pass_order), and
 * kept until a pass that changes the CFG runs (pipeline.c forgets it
 * then). NULL on out of memory. */
const struct opt_domtree *opt_domtree(struct opt_func *f, struct err *e);
/* Walks the tree in preorder: enter(ctx, b) for each block, leave(ctx,
 * b) when b's subtree is done (for passes that keep scoped facts). */
bool opt_domwalk(struct opt_func *f, const struct opt_domtree *t,
                 void (*enter)(void *ctx, uint32_t b), void (*leave)(void *ctx, uint32_t b),
                 void *ctx, struct err *e);

/* ======================= the machine level (MIR) ======================= */

/* Registers in machine instructions: physical registers are enum x64_reg
 * (0..31); virtual registers are MR_V0 + n; MR_NONE is no register. */
enum { MR_V0 = 64, MR_NONE = UINT32_MAX };
#define MR_IS_V(r) ((uint32_t)(r) - MR_V0 < MR_NONE - MR_V0) /* one comparison */

/* Reserved scratch registers: never allocated, free for any single
 * instruction's expansion and for the move resolver. */
#define OPT_SCRATCH X64_R11
#define OPT_XSCRATCH X64_XMM15

/* Machine instruction kinds: what emit*.c encodes. Registers named by the
 * fields; `iuse`/`idef` are masks of physical registers an instruction
 * reads or writes besides them (division, shifts by cl, calls). */
enum mk {
    MK_ENTRY,    /* defines the ABI argument registers (idef) */
    MK_MOV,      /* def = use0 (size 4 or 8; XMM by register class) */
    MK_MOVI,     /* def = imm (GP) */
    MK_FCONST,   /* def = the float with bits imm (size 4 or 8) */
    MK_LOAD,     /* def = [mem]; op = enum opt_mem kind; size = result size */
    MK_STORE,    /* [mem] = use0; op = enum opt_mem kind */
    MK_STOREI,   /* [mem] = imm; op = enum opt_mem kind */
    MK_LEA,      /* def = address of mem */
    MK_SLOT,     /* def = address of frame slot imm */
    MK_ALU,      /* def = use0 op (use1 | imm if use1 is MR_NONE | [mem]); op: x64_alu;
                    CMP and TEST have no def */
    MK_SHIFT,    /* def = use0 shifted by imm, or by cl (iuse rcx) when imm < 0 */
    MK_UNARY,    /* def = op use0 (x64_unary NOT, NEG) */
    MK_IMUL,     /* def = use0 * (use1 | imm) */
    MK_DIV,      /* rax, rdx = rdx:rax / use0 (op: x64_unary DIV or IDIV); cc = 1
                    for rem_s (INT_MIN rem -1 must not fault) */
    MK_BITOP,    /* def = op(use0) (x64_rmop POPCNT, LZCNT, TZCNT) */
    MK_EXT,      /* def = extension of use0: op x64_ext, cc = source bytes */
    MK_SETCC,    /* def = cond ? 1 : 0 after a compare; cc, ext = parity mode */
    MK_CMOV,     /* def = cond ? use1 : use0 (GP or XMM); cc, ext = parity mode */
    MK_SSE,      /* def = use0 op (use1 | [mem] | the float imm when ext); op: x64_sse */
    MK_SSE1,     /* def = op(use0) with imm8 (ROUNDSS/SD) or none (SQRT, CVT) */
    MK_UCOMI,    /* compares use0 with use1 (flags only); size 4 or 8 */
    MK_CVT,      /* def = op(use0): x64_cvt; size = GP side */
    MK_FSIGN,    /* def = fabs/fneg(use0) or fcopysign(use0, use1); op: enum opt_op */
    MK_FMINMAX,  /* def = fmin/fmax(use0, use1); op: enum opt_op */
    MK_F2I,      /* def = f2i(use0); op: OPT_CVT_* flags; size = result; ext =
                    source size; traps (wasm offset) unless saturating */
    MK_U2F,      /* def = u64 use0 to float; size 4 or 8 */
    /* control flow and calls from here on (emit.c dispatches on it) */
    MK_JMP,      /* to block imm */
    MK_JCC,      /* cond ? block imm : block disp; cc, ext = parity mode */
    MK_BR_TABLE, /* use0 = index (clobbered); imm = IR table start; disp = count */
    MK_RET,      /* returns (iuse: rax or xmm0 when a value) */
    MK_TRAP,     /* ud2, a trap site (trap, wasm) */
    MK_TRAPIF,   /* traps when cond holds; cc, ext = parity mode */
    MK_CALL,     /* op = enum mcall; imm = function or builtin; use0 = code */
    MK_COUNT
};

/* Parity handling of a float condition: PAR_NONE, or PAR_AND (the cc and
 * not unordered: eq) or PAR_OR (the cc or unordered: ne). */
enum { PAR_NONE, PAR_AND, PAR_OR };
enum mcall { CALL_FUNC, CALL_BUILTIN, CALL_REG };

struct mi {
    uint8_t kind;   /* enum mk */
    uint8_t op;     /* per kind */
    uint8_t size;   /* operand size in bytes */
    uint8_t cc;     /* condition code and the like */
    uint8_t ext;    /* per kind */
    uint8_t scale;  /* memory operand: 1, 2, 4, 8; 0 when there is none */
    uint8_t trap;   /* trap code of a trap site at this instruction, or 0 */
    uint8_t pad;
    uint32_t def;
    uint32_t use[2];
    uint32_t base, index; /* memory operand ([base + index*scale + disp]) */
    int32_t disp;
    uint32_t iuse, idef;  /* implicit physical registers */
    /* A trap site (trap set; TRAP, TRAPIF, F2I) and every memory access
     * (LOAD, STORE, STOREI, ALU or SSE with a memory operand) keep their
     * wasm offset in imm's upper half (the set mir.c's dump reads): their
     * immediate, if any (STOREI), is 32 bits. Written after imm. 48 bytes
     * in all, for the walks after isel. */
    union {
        int64_t imm;
        struct {
            int32_t imm32;
            uint32_t wasm;
        };
    };
};
_Static_assert(sizeof(struct mi) == 48, "struct mi: the later walks read it often");

struct mphi {
    uint32_t def;
    uint32_t *ops; /* one per pred */
};

/* A machine block; blocks are in layout order and numbered by it. */
struct mblock {
    uint32_t first, n;      /* instructions [first, first + n) */
    struct mphi *phi;
    uint32_t nphi;
    uint32_t bytes;         /* at most how many bytes its instructions take
                               (isel adds them up), for emission's jump sizing */
    uint32_t *pred, npred;  /* machine block numbers */
    uint32_t *succ, nsucc;
};

struct mfunc {
    struct arena *arena;
    const struct opt_func *f;
    struct mi *mi;
    uint32_t nmi, cap_mi;
    struct mblock *block;
    uint32_t nblock;
    uint8_t *vclass;        /* per virtual register: 1 = XMM */
    uint32_t nvreg, cap_vreg;
    uint32_t out_args;      /* bytes of outgoing stack arguments (max) */
    uint32_t slot_bytes;    /* the IR's frame slots, right below rbp */
    uint32_t nspill;        /* spill slots (8 bytes each), set by regalloc */
    uint32_t used_saved;    /* callee-saved registers written (mask) */
    uint32_t nsites;        /* instructions that are trap sites (trap set) */
};

/* ---- mir.c ---- */
bool opt_mfunc_init(struct mfunc *mf, const struct opt_func *f);
/* A new virtual register of the class; MR_NONE on out of memory. Inline:
 * isel makes one for most values (opt_vreg_grow is the rare rest). */
bool opt_vreg_grow(struct mfunc *mf);
static inline uint32_t opt_vreg_new(struct mfunc *mf, bool xmm)
{
    if (mf->nvreg == mf->cap_vreg && !opt_vreg_grow(mf))
        return MR_NONE;
    mf->vclass[mf->nvreg] = xmm;
    return MR_V0 + mf->nvreg++;
}
/* Makes room for one more instruction; false on out of memory. */
bool opt_mi_grow(struct mfunc *mf);
/* Appends an instruction (zeroed but for kind, size and MR_NONE
 * registers); NULL on out of memory. Inline: isel adds every one. */
static inline struct mi *opt_mi_add(struct mfunc *mf, enum mk kind, int size)
{
    if (mf->nmi == mf->cap_mi && !opt_mi_grow(mf))
        return NULL;
    struct mi *m = &mf->mi[mf->nmi++];
    *m = (struct mi){.kind = (uint8_t)kind, .size = (uint8_t)size, .def = MR_NONE,
                     .use = {MR_NONE, MR_NONE}, .base = MR_NONE, .index = MR_NONE};
    return m;
}
/* The most bytes an instruction is encoded in (emit.c's table), besides
 * the memory operand's SIB byte and displacement (opt_s_mem adds them);
 * isel sums them per block as it adds the instructions. */
extern const uint8_t opt_kind_bytes[MK_COUNT];
/* True when the register (physical or virtual) is an XMM one. */
bool opt_reg_xmm(const struct mfunc *mf, uint32_t r);
/* The MIR as text (debugging; TRIDENT_DUMP_IR=mir or =alloc). */
void opt_mdump(const struct mfunc *mf, const char *stage);
/* Masks of the System V caller-saved registers and the allocatable ones. */
extern const uint32_t opt_caller_saved, opt_allocatable;
/* The integer and SSE argument registers in order. */
extern const uint8_t opt_int_args[6];

/* ---- isel*.c: instruction selection ---- */
bool opt_isel(struct opt_func *f, struct mfunc *mf, struct err *e);

/* Shared between the isel*.c files. */
enum { FOLD_NO, FOLD_CONST, FOLD_ALIAS, FOLD_ADDR, FOLD_INDEX, FOLD_FLAGS, FOLD_DEAD, FOLD_SLOT,
       FOLD_LOAD };
struct isel {
    struct opt_func *f;
    struct mfunc *mf;
    struct err *e;
    uint32_t *vreg;   /* IR value -> virtual register, MR_NONE until made */
    uint8_t *fold;    /* IR value -> FOLD_*: how its users see it */
    uint32_t *pidx;   /* IR block with one successor: its index among that one's preds */
    uint32_t bytes;   /* at most how many bytes the block's instructions so far take */
    bool oom;
};
/* Appends an instruction (on failure records out of memory and returns a
 * scratch instruction, so callers need not check). */
struct mi *opt_s_nomem(struct isel *s);
static inline struct mi *opt_s_add(struct isel *s, enum mk kind, int size)
{
    struct mi *m = opt_mi_add(s->mf, kind, size);
    s->bytes += opt_kind_bytes[kind];
    return m ? m : opt_s_nomem(s);
}
/* Makes m a trap site (trap 0: none) at wasm offset `wasm`. */
static inline void opt_s_site(struct isel *s, struct mi *m, uint8_t trap, uint32_t wasm)
{
    m->trap = trap;
    m->wasm = wasm;
    s->mf->nsites += trap != 0;
}
/* The virtual register that holds v (made on first use). */
uint32_t opt_s_vreg_make(struct isel *s, opt_val v);
static inline uint32_t opt_s_vreg(struct isel *s, opt_val v)
{
    return s->vreg[v] != MR_NONE ? s->vreg[v] : opt_s_vreg_make(s, v);
}
/* v in a register at this point: constants and folded values are
 * materialised into a new virtual register here (opt_s_reg_make; the
 * inline part answers the usual case, a value already given one: only
 * values computed where they are defined get one in vreg, and zero
 * extensions of those, which are their operand's register). */
uint32_t opt_s_reg_make(struct isel *s, opt_val v);
static inline uint32_t opt_s_reg(struct isel *s, opt_val v)
{
    uint32_t r = s->vreg[v];
    return r != MR_NONE ? r : opt_s_reg_make(s, v);
}
/* True, with the value, when v is a constant that fits a sign-extended
 * 32-bit immediate in an operation of `size` bytes. opt_s_imm_of asks the
 * IR; the inline opt_s_imm, once the folds are decided, looks at those
 * first (only a constant or a zero extension can be one). */
bool opt_s_imm_of(const struct isel *s, opt_val v, int size, int64_t *imm);
static inline bool opt_s_maybe_const(const struct isel *s, opt_val v)
{
    return s->fold[v] == FOLD_CONST || s->fold[v] == FOLD_ALIAS;
}
static inline bool opt_s_imm(const struct isel *s, opt_val v, int size, int64_t *imm)
{
    return opt_s_maybe_const(s, v) && opt_s_imm_of(s, v, size, imm);
}
/* Emits the compare behind condition v; returns its condition code and
 * parity handling in *par. */
enum x64_cc opt_s_cond(struct isel *s, opt_val v, uint8_t *par);
/* A memory operand [base + index*scale + disp]. */
struct maddr {
    uint32_t base, index;
    uint8_t scale;
    int32_t disp;
};
/* The memory operand for address p + disp (emitting what it needs first).
 * Operands are always computed before the instruction using them is
 * added: adding may move the instruction array. */
struct maddr opt_s_addr(struct isel *s, opt_val p, int64_t disp);
/* Gives m the memory operand a (and counts its SIB byte and displacement
 * into s->bytes). */
static inline void opt_s_mem(struct isel *s, struct mi *m, struct maddr a)
{
    m->base = a.base;
    m->index = a.index;
    m->scale = a.scale;
    m->disp = a.disp;
    s->bytes += a.base != MR_NONE && a.disp == (int8_t)a.disp ? 2 : 5;
}
/* The memory operand a and trap site of IR load or store `access` in m
 * (its own instruction, or the one a load is folded into). */
void opt_s_memop(struct isel *s, const struct opt_insn *access, struct mi *m, struct maddr a);
/* The operand size of a value of type t (inline: asked for nearly every
 * instruction). */
static inline int opt_s_size(enum opt_type t) { return t == OPT_I64 || t == OPT_F64 ? 8 : 4; }
/* isel_call.c: the parameters at entry; a call with its arguments put
 * where System V wants them. */
bool opt_s_entry(struct isel *s);
bool opt_s_call(struct isel *s, opt_val v);
/* isel_ops.c: one non-control instruction. */
bool opt_s_op(struct isel *s, opt_val v);

/* ---- live.c, regalloc.c, resolve.c: register allocation ---- */

/* The register operand fields of an instruction, as ra.use names them. */
enum { OPT_OPND_USE0, OPT_OPND_USE1, OPT_OPND_BASE, OPT_OPND_INDEX, OPT_OPND_DEF };

/* A location: a physical register (>= 0) or spill slot s as -(s + 1). */
typedef int32_t opt_loc;

/* A live interval (or a piece of one after splitting) of a virtual
 * register: [start, end) in positions (instruction i reads at 2i and
 * writes at 2i + 1). */
struct lsi {
    uint32_t vreg;
    uint32_t start, end;
    uint32_t u0, u1;   /* its uses: ra.use[u0 .. u1) (position << 3 | field) */
    opt_loc loc;       /* register, spill slot, or INT32_MIN before allocation */
};

/* What the allocator knows of a virtual register. */
struct vinfo {
    uint32_t *piece;         /* its intervals in order (ids in ra.iv) */
    uint32_t npiece, cap_piece;
    uint32_t u0, u1;         /* its uses: ra.use[u0 .. u1) */
    uint32_t hint;           /* preferred physical register, a phi mate (virtual), or MR_NONE */
    int32_t slot;            /* spill slot, or -1 */
};

struct ra {
    struct mfunc *mf;
    struct err *e;
    struct lsi *iv;          /* intervals and their pieces */
    uint32_t niv, cap_iv;
    struct vinfo *v;         /* per virtual register */
    uint32_t *use, nuse;     /* the operands (definitions too) grouped by vreg, sorted:
                                position << 3 | field (OPT_OPND_*); nuse in all */
    uint32_t *pstart, *ppos; /* per vreg: where phis use it (the last position of the
                                predecessor), sorted: ppos[pstart[v] .. pstart[v+1]) */
    uint32_t *bstart;        /* per block: the position where it starts */
    uint32_t *iblock;        /* instruction -> block */
    uint32_t *reach;         /* per block: the end of the blocks it reaches by forward
                                edges, and 1 + the latest loop header it can then
                                jump back to (0: none), both sequential pairs */
    uint32_t *fix[32], nfix[32], cap_fix[32]; /* fixed ranges: [from, to) pairs */
    uint32_t *calls, ncall, cap_call; /* the calls' write positions, in order: each
                                         takes every caller-saved register there */
    uint32_t *met, *stack;   /* opt_live_in: per block, 1 + the last register whose
                                walk met it; the walk's stack */
};

/* The position of use u (ra.use's entry). */
static inline uint32_t opt_upos(const struct ra *ra, uint32_t u) { return ra->use[u] >> 3; }
/* Liveness and intervals (live.c). */
bool opt_live(struct ra *ra);
/* Whether register v is live into block s, a block after its definition's
 * (after opt_live). Exact; cheap when asked about one register at a time. */
bool opt_live_in(struct ra *ra, uint32_t v, uint32_t s);
/* Linear scan with splitting (regalloc.c): every piece gets a location. */
bool opt_regalloc(struct ra *ra);
/* Where vreg is at position pos (after allocation). */
opt_loc opt_loc_at(const struct ra *ra, uint32_t vreg, uint32_t pos);

/* A move of the resolution: src -> dst. OPT_LOC_HOLD is the scratch XMM
 * register that keeps one value while a cycle of moves is broken. */
struct mmove {
    opt_loc src, dst;
};
#define OPT_LOC_HOLD INT32_MAX
/* Moves to emit before instruction `at`, in order (a parallel move
 * already made sequential by resolve.c). */
struct mgroup {
    uint32_t at;         /* instruction index */
    uint32_t first, n;   /* moves[first .. first+n) */
};
struct mres {
    struct mmove *moves;
    uint32_t nmoves, cap_moves;
    struct mgroup *groups;  /* sorted by at, then as made */
    uint32_t ngroups, cap_groups;
};
bool opt_resolve_moves(struct ra *ra, struct mres *out);
/* Replaces every virtual register operand by its allocated register. */
bool opt_rewrite(struct ra *ra);
/* Debug checker: simulates the allocated code and checks every operand
 * reads the value its virtual register should hold. */
bool opt_regalloc_check(struct ra *ra, const struct mres *res, const struct mi *orig,
                        struct err *e);

/* ---- emit*.c: encoding ---- */

/* One compiled function: code and the trap sites in it (offsets relative
 * to the function). Relocations stay in the assembler. */
struct opt_code {
    struct x64_asm a;
    VEC(struct cc_trap_site) sites;
};
bool opt_emit(const struct ra *ra, const struct mres *res, struct opt_code *out,
              struct err *e);

/* Shared between the emit*.c files. */
struct em_stub {       /* out-of-line code, emitted after the body */
    uint32_t mi;       /* the instruction it belongs to */
    x64_label label;   /* its start */
    x64_label back;    /* where it returns (f2i), unused for traps */
};
struct em_const {      /* a float constant in the pool after the code */
    uint64_t bits;
    x64_label label;
};
struct em_table {     /* a br_table's jump table, after the code */
    uint32_t mi;       /* the br_table instruction */
    x64_label label;   /* the table's start */
};
struct em_fix {        /* a forward jump to a block, patched at the end */
    uint32_t end;      /* where its field ends */
    uint32_t block;    /* the block, with FIX_SHORT (emit.c) for a rel8 field */
};
struct em {
    const struct mfunc *mf;
    const struct mres *res;
    struct x64_asm *a;
    struct opt_code *out;
    uint32_t *pos;        /* per block: its code offset once placed, else UINT32_MAX */
    struct em_fix *fix;   /* the forward jumps to blocks */
    uint32_t nfix, cap_fix;
    uint32_t *target;     /* per block: where jumps to it go (past empty blocks) */
    uint32_t *before;     /* per block: the most bytes the code before it takes */
    uint32_t cur;         /* the block being emitted */
    uint32_t next;        /* the block emitted after it (what it falls into) */
    VEC(struct em_stub) stubs;
    VEC(struct em_const) consts;
    VEC(struct em_table) tables;
    int32_t spill_base;   /* rbp offset of spill slot 0's end */
    uint32_t *slot_pos;   /* spill slot -> its place in the frame, or NULL: the same */
    bool oom;
    bool bad;             /* a jump could not be encoded as decided (a bug) */
};
/* emit.c */
struct x64_mem opt_e_slot(const struct em *m, opt_loc l);
void opt_e_site(struct em *m, uint8_t trap, uint32_t wasm);
x64_label opt_e_stub(struct em *m, uint32_t mi);
/* [rip + constant], for f32 (size 4) or f64 (size 8) bits. */
struct x64_mem opt_e_const(struct em *m, uint64_t bits, int size);
/* emit_ops.c: the encoder of each kind before MK_JMP (control flow is
 * emit.c's) */
typedef void (*opt_e_fn)(struct em *m, const struct mi *mi);
extern const opt_e_fn opt_e_ops[MK_JMP];
/* emit_float.c */
void opt_e_fsign(struct em *m, const struct mi *mi);
void opt_e_fminmax(struct em *m, const struct mi *mi);
void opt_e_u2f(struct em *m, const struct mi *mi);
void opt_e_f2i(struct em *m, const struct mi *mi);
void opt_e_f2i_stub(struct em *m, const struct em_stub *s);

/* ---- pipeline.c: the compiler's table of contents ---- */
/* Builds function `index` and runs the IR passes (verifying between them
 * in debug mode). */
bool opt_pipeline_ir(struct opt_build *b, uint32_t index, struct arena *a, struct opt_func *f,
                     struct err *e);
/* The whole way for one function: IR, selection, allocation, encoding
 * into out (whose assembler the caller set up). Everything but out lives
 * in arena a. */
bool opt_compile_func(struct opt_build *b, uint32_t index, struct arena *a, struct opt_code *out,
                      struct err *e);

/* Debug checks (verifier between stages, register allocation checker):
 * on in ASan builds and when env TRIDENT_OPT_CHECK is set. */
bool opt_checks_on(void);

#endif
