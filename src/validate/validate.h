/* validate: the WebAssembly 2.0 validation algorithm.
 *
 * Module-level checks (types, limits, imports/exports, constant expressions,
 * segments, start function) and a function-body walker. The walker
 * validates one instruction at a time and then hands it to the running
 * backend through a hook table, so a single-pass compiler validates and
 * emits in one loop and the other backends build their IR from the same
 * walk. Nothing in validate/ knows which backend runs. */
#ifndef TRI_VALIDATE_H
#define TRI_VALIDATE_H

#include "../decode/decode.h"

/* The function being walked, as the hooks see it. */
struct val_func {
    const struct module *m;
    uint32_t index;                /* in the function index space */
    const struct functype *type;
    uint32_t nlocals;              /* parameters + declared locals */
    const valtype *local_types;    /* nlocals entries, parameters first;
                                      borrowed, valid during the walk */
};

/* One validated instruction, with what the validator resolved about it. */
struct val_insn {
    const struct insn *in;
    /* True when the instruction is dead code: an unreachable, br, br_table
     * or return comes before it in its block or in an enclosing block (a
     * block opened in dead code is dead throughout). For else and end it is
     * true when the end of the block's (or then-arm's) body cannot be
     * reached by falling through. */
    bool unreachable;
    /* block, loop, if: the block type's params and results.
     * else, end: the params and results of the block they close (the
     *   function's own type for the body's final end).
     * call, call_indirect: the callee type's params and results.
     * br, br_if, br_table: params = the target label's types (nparams of them;
     *   for br_table the default target's, all targets have the same arity).
     * return: params = the function's results. Otherwise empty.
     * The arrays are borrowed from the module or from static storage and
     * stay valid as long as the module. */
    const valtype *params, *results;
    uint32_t nparams, nresults;
    /* drop, select: the operand type (0 when unknown, in dead code only);
     * local.*, global.*: the variable's type; table.* (and call_indirect):
     * the table's element type (table.copy and table.init: the destination
     * table's); ref.null / ref.is_null: the reference type (ref.is_null gets
     * VT_FUNCREF when its operand is unknown in dead code); ref.func:
     * VT_FUNCREF. Otherwise 0. */
    valtype type;
};

/* Hooks a backend plugs into the walker. Any may be NULL. insn sees every
 * instruction in order, after it was validated, including the body's final
 * end (then end follows). Each returns
 * false to stop the walk after recording its own error in the err it was
 * given by val_function's caller. */
struct val_hooks {
    bool (*begin)(void *ctx, const struct val_func *f);
    bool (*insn)(void *ctx, const struct val_insn *vi);
    bool (*end)(void *ctx, const struct val_func *f);
};

/* Validates everything but function bodies. */
bool val_module_header(const struct module *m, struct err *e);

/* Validates the body of defined function `func` (an index in the function
 * index space, >= m->nfunc_imports), calling the hooks for each instruction.
 * The module header must have been validated. Safe to call from several
 * threads at once for different functions. Each call sets up its own stacks,
 * and a body using ref.func its own table of declared references (a pass
 * over exports, segments and globals). */
bool val_function(const struct module *m, uint32_t func, const struct val_hooks *hooks,
                  void *ctx, struct err *e);

/* val_function for every defined function in index order, with one set of
 * stacks and one table of declared references for all (faster than
 * separate calls). Stops at the first failure. */
bool val_functions(const struct module *m, const struct val_hooks *hooks, void *ctx,
                   struct err *e);

/* Implementation limit on the operand stack's height in a function, as
 * ERR_LIMIT (multi-value results could otherwise turn a small body into a
 * huge stack). */
enum { VAL_LIMIT_OPERANDS = 1 << 20 };

/* Validates the whole module: val_module_header, then every body. Returns
 * false with e set (ERR_INVALID, or ERR_MALFORMED for malformations only
 * found while walking bodies), the byte offset and the function index where
 * there is one. */
bool val_module(const struct module *m, struct err *e);

/* ---- shared between the files of validate/ (not for other folders) ---- */

/* Checks that x is a constant expression of type t. Only imported globals
 * are visible to constant expressions in 2.0. */
bool val_const_expr(const struct module *m, const struct expr *x, valtype t, struct err *e);

/* Checks the immediates of one decoded instruction against the module
 * (indices exist, lanes, data count) and fills what they resolve to into vi
 * (block and callee types, table types). Locals, labels, globals and memory
 * accesses are left to the walker. */
bool val_immediates(const struct module *m, const struct insn *in, struct val_insn *vi,
                    struct err *e);

/* Describes a function type as vi's params and results. */
void val_set_type(struct val_insn *vi, const struct functype *t);

/* Builds the set C.refs of functions that ref.func may name in a body: every
 * function index in exports, element segments and global initializers.
 * Returns a malloc'd bitmap of m->nfuncs bits owned by the caller, or NULL
 * on out of memory (e set). The header must have been validated. */
uint8_t *val_declared_funcs(const struct module *m, struct err *e);

#endif
