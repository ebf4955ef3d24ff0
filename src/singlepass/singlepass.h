/* singlepass: the baseline x86-64 backend.
 *
 * One pass over each function body, inside the validator's walk: every
 * validated instruction goes to the backend's hook, which emits its code at
 * once. No
 * IR, no second pass; forward branches are patched by the encoder's labels
 * when their target is bound. The design follows V8's Liftoff and
 * Cranelift's Winch:
 *
 * - A compile-time value stack whose entries live in a register, as a
 *   constant, in their own stack slot, as a reference to a local (not yet
 *   copied), or in the CPU flags (a comparison waiting for the br_if, if or
 *   select that consumes it). Each register has at most one owner, so the
 *   code that writes a register never has to ask who else reads it.
 * - Locals live in their home slot, which local.set always writes (so
 *   calls and labels drop a local's register without a store; a tight
 *   loop writes the locals it sets at its end: tight.c); at most
 *   SP_DIRTY_MAX of them are also in a register or known as a constant,
 *   which keeps merges bounded whatever the number of locals.
 * - When a block, loop or if opens, the stack entries below its params are
 *   moved to their slots (or stay constants), so nothing below a block
 *   changes place inside it and merge states only describe the block's own
 *   values and the locals.
 * - Each control frame keeps the state its label expects: at a loop head
 *   the state at its entry, which every branch back moves to (stores, a
 *   parallel register move, loads); at a block end the values' places the
 *   first branch chose and the locals every path has in the same register
 *   (locals never move to a forward label).
 * - Trap and slow paths are queued and emitted after the body; the
 *   prologue is made last, when the frame size and the callee-saved
 *   registers used are known, and put in front of the body.
 *
 * Frame (rbp-relative): [rbp+16+8k] stack parameters, [rbp-8..-40] saves
 * of rbx r12 r13 r14 r15, [rbp-48] the multi-value result pointer, then one
 * 8-byte home slot per local and per value-stack position.
 * Fixed registers: r15 = vmctx, r14 = memory 0 base (guard mode), r11 and
 * xmm15 = scratch for single instructions. Everything else is allocated. */
#ifndef TRI_SINGLEPASS_H
#define TRI_SINGLEPASS_H

#include "../compiler/compiler.h"
#include "../validate/validate.h"
#include "../x64/x64.h"

extern const struct cc_backend sp_backend;

/* ---- shared between the files of singlepass/ (not for other folders) ---- */

enum {
    SP_DIRTY_MAX = 32,   /* locals in a register or constant at once */
    SP_RESULT_PTR = -48, /* rbp offset of the saved multi-value result pointer */
    SP_HOMES = -48,      /* home slot k is at rbp + SP_HOMES - 8 * (k + 1) */
    SP_FREE = -1,        /* register owners besides slot ids */
    SP_TEMP = -2,        /* held by the instruction being compiled */
};

#define SP_VMCTX X64_R15
#define SP_MEMBASE X64_R14
#define SP_SCRATCH X64_R11
#define SP_XSCRATCH X64_XMM15
#define SP_CALLEE_SAVED                                                                      \
    ((1u << X64_RBX) | (1u << X64_R12) | (1u << X64_R13) | (1u << X64_R14) | (1u << X64_R15))

/* Where a value is. */
enum sp_kind {
    SP_MEM,   /* in its home slot */
    SP_REG,   /* in register reg, which it owns */
    SP_CONST, /* the constant imm */
    SP_LOCAL, /* the current value of local `local` (stack entries only) */
    SP_FLAGS, /* i32 1 when condition code reg holds, else 0 (top entry only) */
};

/* A value-stack entry or a local. Constants keep raw bits: an i32 as its
 * sign-extended value, an f32 as its zero-extended bits. */
struct sp_val {
    uint8_t kind;
    valtype type;
    uint8_t reg;
    uint32_t local;
    int64_t imm;
};

/* An operand popped for one instruction: a register (owned: the
 * instruction may overwrite it), a constant or a memory slot. */
struct sp_opnd {
    uint8_t kind; /* SP_REG, SP_CONST or SP_MEM */
    valtype type;
    uint8_t reg;
    bool owned;
    int32_t disp; /* SP_MEM: [rbp + disp] */
    int64_t imm;
};
/* 16 bytes: returned in two registers */
_Static_assert(sizeof(struct sp_opnd) == 16, "sp_opnd fits two registers");

/* One location of a label's state: a value (slot = its index among the
 * values) or a local kept in a register (slot = the local). */
struct sp_mloc {
    uint32_t slot;
    uint8_t kind; /* SP_REG or SP_MEM */
    uint8_t reg;
    valtype type;
};

/* The state a label expects: nvals values (the top of the stack, from the
 * label's height up), then nlocals locals in registers (every other local
 * in its home slot); stored in c->merges from index `at`. */
struct sp_state {
    uint32_t at, nvals, nlocals;
};

struct sp_ctl {
    enum op op;        /* OP_BLOCK, OP_LOOP, OP_IF, OP_ELSE */
    bool dead;         /* opened in unreachable code: no code, no state */
    bool func;         /* the function body: branches to it return */
    bool merged;       /* the label's state exists */
    uint32_t height;   /* stack height below the params */
    uint32_t nparams, nresults;
    const valtype *params, *results;
    x64_label label;   /* branch target: loop head or end */
    uint32_t else_jcc; /* an if's jcc to its else arm: its rel32 field */
    struct sp_state state;      /* the label's, once merged */
    struct sp_state else_state; /* where the else arm starts (see else_state) */
    uint32_t table_stamp;       /* br_table: the last table that visited */
    x64_label table_label;      /* its stub for this frame */
    bool tight;                 /* a loop whose stores of locals wait (tight.c) */
};

/* Code queued for after the body. */
enum sp_stub_kind {
    SP_STUB_TRAP,      /* ud2, a trap site */
    SP_STUB_TRUNC,     /* float->int conversion slow path */
};

struct sp_stub {
    uint8_t kind;
    uint8_t trap; /* SP_STUB_TRAP: tri_trap_code */
    uint16_t op;  /* SP_STUB_TRUNC: the conversion */
    uint8_t src, dst; /* SP_STUB_TRUNC: its registers */
    uint8_t variant;  /* SP_STUB_TRUNC: which test failed */
    x64_label label, back;
    uint32_t wasm_offset;
};

/* A move of the transfer to a label or of a call's arguments. */
struct sp_move {
    struct sp_opnd src;
    uint8_t dst_kind; /* SP_REG or SP_MEM */
    uint8_t dst_reg;
    int32_t dst_disp; /* SP_MEM: [base + disp] */
    uint8_t dst_base; /* SP_MEM: rbp, or rsp for outgoing arguments */
    uint8_t phase;    /* transfers: stores, register moves, loads */
};

struct sp_comp;
/* Compiles one validated instruction of a group (int.c, float.c, ...). */
typedef bool (*sp_handler)(struct sp_comp *c, const struct val_insn *vi);

struct sp_comp {
    const struct module *m;
    sp_handler handlers[OP_COUNT]; /* per opcode */
    struct cc_options opt;
    struct cc_vmctx_layout layout;
    struct err *e;
    struct cc_artifact *art; /* being filled; owned by the caller */
    struct x64_asm a;   /* the body of the function being compiled */
    struct x64_asm pro; /* its prologue, made last */

    /* the function */
    const struct functype *type;
    uint32_t nlocals;
    uint32_t body_offset;
    struct sp_val *locals;  /* nlocals */
    int32_t *local_disp;    /* nlocals: rbp offset of each local's home */
    uint32_t *refs;         /* nlocals: SP_LOCAL entries on the stack */
    uint32_t *dirty_pos;    /* nlocals: index in dirty[] or UINT32_MAX */
    uint32_t locals_cap;
    uint32_t dirty[SP_DIRTY_MAX], ndirty, dirty_clock;
    VEC(struct sp_val) stack;
    uint32_t frozen;        /* entries below are SP_MEM or SP_CONST */
    uint32_t max_height;
    VEC(struct sp_ctl) ctls;
    VEC(struct sp_mloc) merges;
    VEC(struct sp_stub) stubs;
    VEC(struct sp_move) moves;
    VEC(struct cc_trap_site) traps; /* code offsets in a */
    int32_t owner[32];      /* per register: SP_FREE, SP_TEMP or a slot id;
                             * a slot id only if busy and not in temps */
    uint32_t busy;          /* registers with an owner */
    uint32_t temps;         /* registers owned SP_TEMP */
    uint32_t locked;        /* registers the current instruction reads */
    uint32_t zext;          /* registers holding i32 parameters at entry */
    uint32_t reg_use[32];   /* when each register's local was last used */
    uint32_t use_clock;
    uint32_t used;          /* callee-saved registers written */
    union {
        struct {
            bool live;      /* the code being emitted can be reached */
            bool failed;    /* sp_fail recorded an error */
        };
        uint16_t go;        /* 1 exactly when live and not failed: fn_insn's
                             * one test */
    };
    bool uses_vmctx, uses_membase;
    bool v128_types;        /* a type of the type section has v128 */
    uint32_t table_count;   /* br_tables so far */
    VEC(uint32_t) table_frames; /* depths the current br_table reaches */
    x64_label ret_label;    /* the epilogue */
    uint32_t at;            /* wasm offset of the current instruction */
    /* tight.c: in a tight loop, locals whose local.set does not store */
    uint32_t defer[SP_DIRTY_MAX], ndefer;
    uint32_t stale;         /* registers of locals newer than their homes */
};

_Static_assert(offsetof(struct sp_comp, go) == offsetof(struct sp_comp, live) &&
                   offsetof(struct sp_comp, failed) == offsetof(struct sp_comp, live) + 1,
               "go reads live (low byte) and failed");

static inline bool sp_is_xmm_type(valtype t) { return t == VT_F32 || t == VT_F64; }

static inline struct sp_val *sp_top(struct sp_comp *c) { return &c->stack.data[c->stack.len - 1]; }

/* Notes that reg gets written (callee-saved ones are then saved). */
static inline void sp_reg_mark_used(struct sp_comp *c, int reg)
{
    c->used |= (1u << reg) & SP_CALLEE_SAVED;
}

/* Gives reg to owner (SP_FREE, SP_TEMP or a slot id). */
static inline void sp_reg_own(struct sp_comp *c, int reg, int32_t owner)
{
    uint32_t bit = 1u << reg;
    c->owner[reg] = owner;
    c->busy = owner == SP_FREE ? c->busy & ~bit : c->busy | bit;
    c->temps = owner == SP_TEMP ? c->temps | bit : c->temps & ~bit;
    if (owner != SP_FREE)
        sp_reg_mark_used(c, reg);
}

/* Ends an instruction: frees its temporaries and locks. Their owner[]
 * entries keep SP_TEMP (read only for busy registers outside temps). */
static inline void sp_regs_release(struct sp_comp *c)
{
    c->busy &= ~c->temps;
    c->temps = c->locked = 0;
}

/* ---- regs.c: the register file ---- */
/* The allocatable registers: caller-saved GP ones first (callee-saved ones
 * cost a save in the prologue), xmm0..14 (xmm15 is the scratch). */
#define SP_GP_CALLER                                                                         \
    ((1u << X64_RAX) | (1u << X64_RCX) | (1u << X64_RDX) | (1u << X64_RSI) | (1u << X64_RDI) | \
     (1u << X64_R8) | (1u << X64_R9) | (1u << X64_R10))
#define SP_GP_CALLEE ((1u << X64_RBX) | (1u << X64_R12) | (1u << X64_R13))
#define SP_XMM_ALL (0x7fffu << 16)

static inline uint32_t sp_class_mask(bool xmm)
{
    return xmm ? SP_XMM_ALL : SP_GP_CALLER | SP_GP_CALLEE;
}
/* Allocatable registers of the class that are neither owned nor locked. */
static inline uint32_t sp_reg_free_mask(const struct sp_comp *c, bool xmm)
{
    return sp_class_mask(xmm) & ~c->busy & ~c->locked;
}
/* Holds reg as SP_TEMP, locked until the instruction ends; returns it. */
static inline int sp_reg_hold(struct sp_comp *c, int reg)
{
    sp_reg_own(c, reg, SP_TEMP);
    c->locked |= 1u << reg;
    return reg;
}
/* A free register of the class without spilling (held), or -1. Inline:
 * most instructions take one. */
static inline int sp_reg_try_alloc(struct sp_comp *c, bool xmm)
{
    uint32_t avail = sp_reg_free_mask(c, xmm);
    if (!xmm && (avail & SP_GP_CALLER))
        avail &= SP_GP_CALLER;
    return avail ? sp_reg_hold(c, __builtin_ctz(avail)) : -1;
}
/* sp_reg_alloc when no register is free: spills another value. */
int sp_reg_spill_alloc(struct sp_comp *c, bool xmm);
/* A free register of the class, spilling another value if needed; held
 * like sp_reg_try_alloc's. */
static inline int sp_reg_alloc(struct sp_comp *c, bool xmm)
{
    int r = sp_reg_try_alloc(c, xmm);
    return r >= 0 ? r : sp_reg_spill_alloc(c, xmm);
}
/* Makes reg free of any value (moving or spilling its owner) and holds it. */
void sp_reg_claim(struct sp_comp *c, int reg);
/* Frees every caller-saved register owned by a local (dropped) or by a
 * stack entry below position `below` (spilled). */
void sp_spill_caller_saved(struct sp_comp *c, uint32_t below);
/* Forgets local x's register or constant (its home becomes its place),
 * storing a stale register first. */
void sp_local_forget(struct sp_comp *c, uint32_t x);
/* Stores local x's register (stale: see tight.c) to its home. */
void sp_local_write_back(struct sp_comp *c, uint32_t x);

/* ---- emit.c: moves between registers, slots and constants ---- */
/* The rbp offset of a local's or a stack position's home slot. */
static inline int32_t sp_home_disp(const struct sp_comp *c, uint32_t slot)
{
    return slot < c->nlocals ? c->local_disp[slot] : SP_HOMES - 8 * (int32_t)(slot + 1);
}
/* The vmctx register, noting that the function uses it. */
static inline int sp_vmctx(struct sp_comp *c)
{
    c->uses_vmctx = true;
    return SP_VMCTX;
}
void sp_load(struct sp_comp *c, valtype t, int reg, struct x64_mem m);
void sp_store(struct sp_comp *c, valtype t, struct x64_mem m, int reg);
/* sp_store to the home slot [rbp + disp]. */
void sp_store_home(struct sp_comp *c, valtype t, int32_t disp, int reg);
void sp_store_const(struct sp_comp *c, valtype t, struct x64_mem m, int64_t imm);
void sp_mov(struct sp_comp *c, valtype t, int dst, int src);
void sp_mov_const(struct sp_comp *c, valtype t, int reg, int64_t imm);
/* Puts an operand in register reg. */
void sp_opnd_to(struct sp_comp *c, int reg, const struct sp_opnd *o);
/* Stores an operand to [base + disp] (r11 carries memory-to-memory copies). */
void sp_opnd_store(struct sp_comp *c, int base, int32_t disp, const struct sp_opnd *o);
/* An SP_MEM operand's slot. */
static inline struct x64_mem sp_opnd_mem(const struct sp_opnd *o)
{
    return x64_mem_base(X64_RBP, o->disp);
}
/* sp_trap_here when the list is full: grows it. */
RARE void sp_trap_grow(struct sp_comp *c, tri_trap_code code);
/* Records a trap site at the current code offset. Inline: every memory
 * access in guard mode is one. */
static inline void sp_trap_here(struct sp_comp *c, tri_trap_code code)
{
    if (__builtin_expect(c->traps.len == c->traps.cap, 0)) {
        sp_trap_grow(c, code);
        return;
    }
    c->traps.data[c->traps.len++] = (struct cc_trap_site){x64_pos(&c->a), (uint32_t)code, c->at};
}
/* A label whose out-of-line code traps with `code`. */
x64_label sp_trap_label(struct sp_comp *c, tri_trap_code code);
void sp_emit_stubs(struct sp_comp *c);

/* ---- stack.c: the value stack and the locals ---- */
/* sp_stack_push when the stack is full: grows it (after out of memory the
 * error is recorded and v dropped: the walk stops at this instruction). */
RARE void sp_stack_grow_push(struct sp_comp *c, struct sp_val v);
/* Appends v. Inline (with the pushes below): the most frequent
 * instructions are a push and little else. */
static inline void sp_stack_push(struct sp_comp *c, struct sp_val v)
{
    size_t len = c->stack.len;
    if (__builtin_expect(len == c->stack.cap, 0)) {
        sp_stack_grow_push(c, v);
        return;
    }
    c->stack.data[len++] = v;
    c->stack.len = len;
    if (len > c->max_height)
        c->max_height = (uint32_t)len;
}
/* Pushes a value in reg, which the entry then owns. */
static inline void sp_push_reg(struct sp_comp *c, valtype t, int reg)
{
    /* sp_reg_own for the slot the entry takes, an owner neither SP_FREE
     * nor SP_TEMP */
    uint32_t bit = 1u << reg;
    c->owner[reg] = (int32_t)(c->nlocals + c->stack.len);
    c->busy |= bit;
    c->temps &= ~bit;
    sp_reg_mark_used(c, reg);
    sp_stack_push(c, (struct sp_val){.kind = SP_REG, .type = t, .reg = (uint8_t)reg});
}
static inline void sp_push_const(struct sp_comp *c, valtype t, int64_t imm)
{
    sp_stack_push(c, (struct sp_val){.kind = SP_CONST, .type = t, .imm = imm});
}
void sp_push_mem(struct sp_comp *c, valtype t);
/* Pushes a comparison's result, left in the flags only when the next
 * instruction consumes it (br_if, if, select, i32.eqz; else it becomes a
 * register now), so that no other instruction has to look for it. The
 * last act of the one-byte instruction that made it: it ends the
 * instruction's use of its operands. */
void sp_push_flags(struct sp_comp *c, enum x64_cc cc);
/* sp_pop: see below */
/* Pops into a register the instruction may read (not write). */
int sp_pop_reg(struct sp_comp *c);
/* Pops into a register the instruction owns and may overwrite. */
int sp_pop_owned(struct sp_comp *c);
/* Turns an operand into an owned register. */
int sp_own(struct sp_comp *c, struct sp_opnd *o);
/* Puts an operand that is not in a register into one it owns. */
int sp_opnd_load(struct sp_comp *c, struct sp_opnd *o);
/* The operand's register, loaded into one first if need be. Inline: most
 * operands are registers already. */
static inline int sp_opnd_reg(struct sp_comp *c, struct sp_opnd *o)
{
    return o->kind == SP_REG ? o->reg : sp_opnd_load(c, o);
}
/* Pops an i32 condition: the condition code under which it is non-zero
 * (flags already set). */
enum x64_cc sp_pop_cond(struct sp_comp *c);
/* Local x's current place as an operand (a register's use noted for the
 * spill choice). */
static inline __attribute__((always_inline)) struct sp_opnd sp_local_opnd(struct sp_comp *c,
                                                                        uint32_t x)
{
    const struct sp_val *l = &c->locals[x];
    struct sp_opnd o = {.kind = l->kind, .type = l->type, .reg = l->reg, .imm = l->imm};
    if (l->kind == SP_MEM)
        o.disp = c->local_disp[x];
    else if (l->kind == SP_REG)
        c->reg_use[l->reg] = ++c->use_clock;
    return o;
}
/* Whether a stack entry is an integer in a register, its own or a local's
 * (sp_pop gives such an entry as an SP_REG operand; the handlers' usual
 * paths look for it). */
static inline bool sp_in_gp_reg(const struct sp_comp *c, const struct sp_val *v)
{
    return !sp_is_xmm_type(v->type) &&
           (v->kind == SP_REG || (v->kind == SP_LOCAL && c->locals[v->local].kind == SP_REG));
}
/* Whether a stack entry is an integer in a frame slot, its own or a
 * local's home. */
static inline bool sp_in_slot(const struct sp_comp *c, const struct sp_val *v)
{
    return !sp_is_xmm_type(v->type) &&
           (v->kind == SP_MEM || (v->kind == SP_LOCAL && c->locals[v->local].kind == SP_MEM));
}
/* Loads an integer operand's slot into free register r, which becomes
 * the operand's (owned). */
static inline __attribute__((always_inline)) int sp_load_slot(struct sp_comp *c, struct sp_opnd *o,
                                                              int r)
{
    x64_load_frame(&c->a, o->type == VT_I32 ? 4 : 8, r, o->disp);
    *o = (struct sp_opnd){.kind = SP_REG, .type = o->type, .reg = (uint8_t)r, .owned = true};
    return r;
}
/* sp_pop of a top entry of the given kind: a handler that tested it
 * passes the constant, and the other kinds' paths fold away. */
static inline __attribute__((always_inline)) struct sp_opnd sp_pop_kind(struct sp_comp *c,
                                                                        uint8_t kind)
{
    uint32_t pos = (uint32_t)--c->stack.len;
    if (c->frozen > pos)
        c->frozen = pos;
    const struct sp_val *v = &c->stack.data[pos];
    struct sp_opnd o = {.kind = kind, .type = v->type, .reg = v->reg};
    switch (kind) {
    case SP_REG: {
        /* sp_reg_own(SP_TEMP) of a register the entry owned: already busy
         * and marked used */
        uint32_t bit = 1u << o.reg;
        o.owned = true;
        c->owner[o.reg] = SP_TEMP;
        c->temps |= bit;
        c->locked |= bit;
        return o;
    }
    case SP_CONST:
        o.imm = v->imm;
        return o;
    case SP_MEM:
        o.disp = sp_home_disp(c, c->nlocals + pos);
        return o;
    default: /* SP_LOCAL */
        c->refs[v->local]--;
        o = sp_local_opnd(c, v->local);
        if (o.kind == SP_REG)
            c->locked |= 1u << o.reg;
        return o;
    }
}
/* Pops the top entry as an operand: a register entry's register becomes
 * the instruction's (owned), a local's register is only locked; never
 * flags (only their consumers meet them: sp_push_flags). Inline,
 * each kind on its own path: pops are the most frequent operation. */
static inline __attribute__((always_inline)) struct sp_opnd sp_pop(struct sp_comp *c)
{
    return sp_pop_kind(c, sp_top(c)->kind);
}
/* Moves the entries in [frozen, below) to their slots (or constants). */
void sp_freeze(struct sp_comp *c, uint32_t below);
void sp_truncate(struct sp_comp *c, uint32_t height);
/* The location an entry has, with SP_LOCAL resolved to the local's. */
static inline struct sp_opnd sp_resolve(struct sp_comp *c, uint32_t pos)
{
    const struct sp_val *v = &c->stack.data[pos];
    if (v->kind == SP_LOCAL)
        return sp_local_opnd(c, v->local);
    struct sp_opnd o = {.kind = v->kind, .type = v->type, .reg = v->reg, .imm = v->imm};
    if (v->kind == SP_MEM)
        o.disp = sp_home_disp(c, c->nlocals + pos);
    return o;
}
/* Pushes local x: a reference (SP_LOCAL), or its constant. */
static inline void sp_local_get(struct sp_comp *c, uint32_t x)
{
    const struct sp_val *l = &c->locals[x];
    if (l->kind == SP_CONST) {
        sp_push_const(c, l->type, l->imm);
        return;
    }
    c->refs[x]++;
    sp_stack_push(c, (struct sp_val){.kind = SP_LOCAL, .type = l->type, .local = x});
}
/* sp_local_set's general case. */
void sp_local_set_slow(struct sp_comp *c, uint32_t x, bool tee);
/* sp_dirty_add when dirty[] is full: forgets one dirty local other than
 * keep. */
RARE void sp_dirty_evict(struct sp_comp *c, uint32_t keep);
/* Notes that local x has a register or constant (its entry in dirty[]). */
static inline void sp_dirty_add(struct sp_comp *c, uint32_t x)
{
    if (c->dirty_pos[x] != UINT32_MAX)
        return;
    if (c->ndirty == SP_DIRTY_MAX)
        sp_dirty_evict(c, x);
    c->dirty_pos[x] = c->ndirty;
    c->dirty[c->ndirty++] = x;
}
/* local.set x (local.tee when tee). Inline, its usual case on its own
 * path: the new value is an integer in a register of its own (no copy), x
 * has no references on the stack and its home is written now; the
 * register passes from the entry to x. */
static inline void sp_local_set(struct sp_comp *c, uint32_t x, bool tee)
{
    const struct sp_val *v = sp_top(c);
    if (v->kind != SP_REG || c->refs[x] || c->ndefer || sp_is_xmm_type(v->type)) {
        sp_local_set_slow(c, x, tee);
        return;
    }
    int reg = v->reg;
    uint32_t len = (uint32_t)--c->stack.len;
    if (c->frozen > len)
        c->frozen = len;
    x64_store_frame(&c->a, v->type == VT_I32 ? 4 : 8, c->local_disp[x], reg);
    struct sp_val *l = &c->locals[x];
    if (l->kind == SP_REG && c->owner[l->reg] == (int32_t)x) /* not reg: the entry's */
        sp_reg_own(c, l->reg, SP_FREE);
    l->kind = SP_REG;
    l->reg = (uint8_t)reg;
    l->imm = 0;
    c->owner[reg] = (int32_t)x; /* busy and marked used as the entry's */
    c->reg_use[reg] = ++c->use_clock;
    sp_dirty_add(c, x);
    if (tee)
        sp_local_get(c, x);
}
/* Sets local x's location (a register must be owned by nobody else). */
void sp_local_place(struct sp_comp *c, uint32_t x, uint8_t kind, uint8_t reg, int64_t imm);
bool sp_locals_begin(struct sp_comp *c, const struct val_func *f);
/* False (ERR_UNSUPPORTED recorded) for v128. */
bool sp_check_type(struct sp_comp *c, valtype t);
/* sp_check_type for the na types at a and the nb at b (a signature). */
bool sp_check_types_slow(struct sp_comp *c, const valtype *a, uint32_t na, const valtype *b,
                         uint32_t nb);
/* The same for a signature of the type section: only a module with v128
 * in one of its types needs the look (it is made per block and call). */
static inline bool sp_check_types(struct sp_comp *c, const valtype *a, uint32_t na,
                                  const valtype *b, uint32_t nb)
{
    return !c->v128_types || sp_check_types_slow(c, a, na, b, nb);
}

/* ---- merge.c: labels' states and the moves that reach them ---- */
/* sp_state_init's general case. */
bool sp_state_init_slow(struct sp_comp *c, struct sp_state *st, uint32_t nvals,
                        const valtype *types, bool *same);
/* Makes a state from the current one, for its top nvals values. *same
 * tells whether it is the current state itself: every dirty local and
 * every value kept in the register it has (then no moves lead there, and
 * sp_state_plan need not be asked). Inline for most labels: no values, no
 * local in a register (merges.data then only needs to exist, for the
 * empty state's pointers). */
static inline bool sp_state_init(struct sp_comp *c, struct sp_state *st, uint32_t nvals,
                                 const valtype *types, bool *same)
{
    if (nvals || c->ndirty || !c->merges.cap)
        return sp_state_init_slow(c, st, nvals, types, same);
    *st = (struct sp_state){(uint32_t)c->merges.len, 0, 0};
    *same = true;
    return true;
}
/* Puts the moves from the current state to st (values going to height)
 * in c->moves, loading the locals st keeps in registers (a loop head);
 * false when there are none. */
bool sp_state_plan(struct sp_comp *c, const struct sp_state *st, uint32_t height);
/* The same for a forward label: moves for the values only, and st then
 * keeps only the locals the current state has in the same registers. */
bool sp_state_meet(struct sp_comp *c, struct sp_state *st, uint32_t height);
/* Makes st the current state (what the code at its label starts with). */
void sp_state_enter(struct sp_comp *c, const struct sp_state *st, uint32_t height);
/* Appends a move to c->moves; sp_run_moves emits them all by phase:
 * stores in order, then register moves in parallel, then loads. */
enum sp_phase { SP_PHASE_STORE, SP_PHASE_REG, SP_PHASE_LOAD };
void sp_move_add(struct sp_comp *c, enum sp_phase phase, const struct sp_opnd *src,
                 uint8_t dst_kind, uint8_t dst_reg, uint8_t dst_base, int32_t dst_disp);
void sp_run_moves(struct sp_comp *c);
/* A register move: dst = src, of a GP or an XMM type. */
struct sp_rmove {
    uint8_t dst, src;
    valtype type;
};
/* Register moves with distinct destinations, as one parallel move (mv is
 * reordered). */
void sp_parallel_moves(struct sp_comp *c, struct sp_rmove *mv, uint32_t n);

/* ---- tight.c: loops whose locals stay in registers ---- */
/* After a loop opens in state st: when its body is tight (straight code
 * branching only back to it), the locals st keeps in registers that the
 * body sets are stored at the loop's end instead of at each local.set. */
void sp_tight_begin(struct sp_comp *c, struct sp_ctl *t, uint32_t at);
/* At the tight loop's end: stores the stale locals. */
void sp_tight_end(struct sp_comp *c);
/* local.set x in a tight loop, the new value in a register if in_reg:
 * whether its store waits (then the caller marks the register stale). */
bool sp_tight_set(struct sp_comp *c, uint32_t x, bool in_reg);

/* ---- control.c ---- */
/* Sets the handlers of the control instructions (unreachable .. return). */
void sp_control_handlers(sp_handler *handlers);

/* ---- call.c ---- */
/* call and call_indirect. */
bool sp_call_insn(struct sp_comp *c, const struct val_insn *vi);
/* Calls a builtin with nimm immediates then nargs i32/ref operands; pushes
 * its result (if any) of type result. */
bool sp_builtin(struct sp_comp *c, enum cc_builtin b, uint32_t nimm, int64_t i0, int64_t i1,
                uint32_t nargs, const valtype *args, valtype result);

/* ---- the instruction groups ---- */
bool sp_int_op(struct sp_comp *c, const struct val_insn *vi);
/* Sets the handlers of the comparisons and the frequent binary integer
 * instructions, which skip sp_int_op's dispatch. */
void sp_int_handlers(sp_handler *handlers);
bool sp_float_op(struct sp_comp *c, const struct val_insn *vi);
bool sp_convert_op(struct sp_comp *c, const struct val_insn *vi);
bool sp_load_op(struct sp_comp *c, const struct val_insn *vi);
bool sp_store_op(struct sp_comp *c, const struct val_insn *vi);
/* memory.size, memory.grow and the bulk memory instructions. */
bool sp_memory_op(struct sp_comp *c, const struct val_insn *vi);
bool sp_var_op(struct sp_comp *c, const struct val_insn *vi);
/* Sets every handler to sp_var_op, then the frequent variable and
 * constant instructions to handlers of their own. */
void sp_var_handlers(sp_handler *handlers);
void sp_emit_trunc_stub(struct sp_comp *c, const struct sp_stub *s);

/* Records ERR_NOMEM (or another failure) for the function being compiled. */
bool sp_fail(struct sp_comp *c, enum err_code code, const char *msg);

#endif
