/* The walker's hook calls: their order and what val_insn tells a backend
 * (block and callee types, label types, operand types, dead code). */
#include "check.h"
#include "validate_build.h"

struct rec {
    enum op op;
    bool unreachable;
    uint32_t nparams, nresults;
    valtype params[4], results[4];
    valtype type;
};

struct log {
    struct rec recs[64];
    int n, begins, ends;
    uint32_t nlocals;
    valtype locals[4];
    int stop_after; /* insn returns false at this call (0: never) */
    struct err *e;
};

static bool on_begin(void *ctx, const struct val_func *f)
{
    struct log *l = ctx;
    l->begins++;
    l->nlocals = f->nlocals;
    memcpy(l->locals, f->local_types, f->nlocals < 4 ? f->nlocals : 4);
    return true;
}

static bool on_insn(void *ctx, const struct val_insn *vi)
{
    struct log *l = ctx;
    if (l->n == 64)
        return false;
    struct rec *r = &l->recs[l->n++];
    *r = (struct rec){vi->in->op, vi->unreachable, vi->nparams, vi->nresults, {0}, {0}, vi->type};
    if (vi->nparams)
        memcpy(r->params, vi->params, vi->nparams < 4 ? vi->nparams : 4);
    if (vi->nresults)
        memcpy(r->results, vi->results, vi->nresults < 4 ? vi->nresults : 4);
    if (l->n == l->stop_after)
        return err_set(l->e, ERR_UNSUPPORTED, vi->in->offset, "stopped by the hook");
    return true;
}

static bool on_end(void *ctx, const struct val_func *f)
{
    (void)f;
    ((struct log *)ctx)->ends++;
    return true;
}

static const struct val_hooks hooks = {on_begin, on_insn, on_end};

/* Types: 0 = [i32] -> [i32], 1 = [i32 i64] -> [f32], 2 = [] -> [].
 * Functions: 0 (type 0), 1 (type 1), 2 and 3 (type 2). */
static void build(struct buf *b)
{
    mb_begin(b);
    mb_section(b, S_TYPE, BYTES(3, 0x60, 1, VT_I32, 1, VT_I32, 0x60, 2, VT_I32, VT_I64, 1, VT_F32,
                                0x60, 0, 0));
    mb_section(b, S_FUNC, BYTES(4, 0, 1, 2, 2));
    static const uint8_t f0[] = {
        1, 1, VT_I64,           /* one i64 local */
        0x20, 0,                /* local.get 0 */
        0x02, 0,                /* block (type 0): [i32] -> [i32] */
        0x20, 0, 0x0D, 0,       /*   local.get 0, br_if 0 */
        0x0B,                   /* end */
        0x20, 1, 0x10, 1,       /* local.get 1, call 1 */
        0x1A,                   /* drop (f32) */
        0x20, 0, 0x20, 0, 0x20, 0, 0x1B, /* select (i32) */
        0x0F,                   /* return */
        0x02, 0x40,             /* block, opened in dead code */
        0x41, 1, 0x1A,          /*   i32.const 1, drop */
        0x0B,                   /* end */
        0x1A,                   /* drop of an unknown operand */
        0x0B,
    };
    static const uint8_t f1[] = {0, 0x00, 0x0B};
    static const uint8_t f2[] = {
        0,
        0x41, 0, 0x04, VT_I32,  /* i32.const 0, if (result i32) */
        0x41, 1,                /*   i32.const 1 */
        0x05, 0x00,             /* else unreachable */
        0x0B,                   /* end */
        0x03, 0x40,             /* loop */
        0x41, 0, 0x0E, 1, 0, 1, /*   i32.const 0, br_table 0 1 */
        0x0B,                   /* end */
        0x1A, 0x0B,             /* drop, end */
    };
    static const uint8_t f3[] = {0, 0x00, 0xD1, 0x1A, 0x0B}; /* unreachable ref.is_null drop */
    const uint8_t *bodies[] = {f0, f1, f2, f3};
    const size_t lens[] = {sizeof f0, sizeof f1, sizeof f2, sizeof f3};
    mb_code(b, 4, bodies, lens);
}

/* Checks one record: op, dead or not, and the counts and first types. */
#define EXPECT(r, OP, DEAD, NP, P0, NR, R0, TYPE)                                      \
    do {                                                                               \
        const struct rec *r_ = (r);                                                    \
        CHECK(r_->op == (OP), "op %#x, expected %#x", r_->op, (unsigned)(OP));         \
        CHECK(r_->unreachable == (DEAD), "op %#x: unreachable %d", r_->op, r_->unreachable); \
        CHECK(r_->nparams == (NP) && (!(NP) || r_->params[0] == (P0)),                 \
              "op %#x: %u params, first %#x", r_->op, r_->nparams, r_->params[0]);     \
        CHECK(r_->nresults == (NR) && (!(NR) || r_->results[0] == (R0)),               \
              "op %#x: %u results, first %#x", r_->op, r_->nresults, r_->results[0]);  \
        CHECK(r_->type == (TYPE), "op %#x: type %#x", r_->op, r_->type);               \
    } while (0)

static void walk(const struct module *m, uint32_t f, struct log *l, struct err *e)
{
    memset(l, 0, sizeof *l);
    l->e = e;
    err_clear(e);
    CHECK(val_function(m, f, &hooks, l, e), "function %u: %s", f, e->msg);
    CHECK(l->begins == 1 && l->ends == 1, "function %u: %d begin, %d end", f, l->begins, l->ends);
}

static void test_f0(const struct module *m)
{
    struct log l;
    struct err e;
    walk(m, 0, &l, &e);
    CHECK(l.nlocals == 2 && l.locals[0] == VT_I32 && l.locals[1] == VT_I64, "locals");
    CHECK(l.n == 19, "%d instructions", l.n);
    if (l.n != 19)
        return;
    const struct rec *r = l.recs;
    EXPECT(&r[0], OP_LOCAL_GET, false, 0, 0, 0, 0, VT_I32);
    EXPECT(&r[1], OP_BLOCK, false, 1, VT_I32, 1, VT_I32, 0);
    EXPECT(&r[3], OP_BR_IF, false, 1, VT_I32, 0, 0, 0);
    EXPECT(&r[4], OP_END, false, 1, VT_I32, 1, VT_I32, 0);
    EXPECT(&r[5], OP_LOCAL_GET, false, 0, 0, 0, 0, VT_I64);
    EXPECT(&r[6], OP_CALL, false, 2, VT_I32, 1, VT_F32, 0);
    CHECK(r[6].params[1] == VT_I64, "call's second param");
    EXPECT(&r[7], OP_DROP, false, 0, 0, 0, 0, VT_F32);
    EXPECT(&r[11], OP_SELECT, false, 0, 0, 0, 0, VT_I32);
    EXPECT(&r[12], OP_RETURN, false, 1, VT_I32, 0, 0, 0);
    EXPECT(&r[13], OP_BLOCK, true, 0, 0, 0, 0, 0);
    EXPECT(&r[14], OP_I32_CONST, true, 0, 0, 0, 0, 0);
    EXPECT(&r[15], OP_DROP, true, 0, 0, 0, 0, VT_I32);
    EXPECT(&r[16], OP_END, true, 0, 0, 0, 0, 0);
    EXPECT(&r[17], OP_DROP, true, 0, 0, 0, 0, 0);
    EXPECT(&r[18], OP_END, true, 1, VT_I32, 1, VT_I32, 0);
}

static void test_f2_f3(const struct module *m)
{
    struct log l;
    struct err e;
    walk(m, 2, &l, &e);
    CHECK(l.n == 12, "%d instructions", l.n);
    if (l.n == 12) {
        const struct rec *r = l.recs;
        EXPECT(&r[1], OP_IF, false, 0, 0, 1, VT_I32, 0);
        EXPECT(&r[3], OP_ELSE, false, 0, 0, 1, VT_I32, 0); /* then-arm falls through */
        EXPECT(&r[4], OP_UNREACHABLE, false, 0, 0, 0, 0, 0);
        EXPECT(&r[5], OP_END, true, 0, 0, 1, VT_I32, 0);   /* else-arm does not */
        EXPECT(&r[6], OP_LOOP, false, 0, 0, 0, 0, 0);
        EXPECT(&r[8], OP_BR_TABLE, false, 0, 0, 0, 0, 0);
        EXPECT(&r[9], OP_END, true, 0, 0, 0, 0, 0);
        EXPECT(&r[10], OP_DROP, false, 0, 0, 0, 0, VT_I32);
        EXPECT(&r[11], OP_END, false, 0, 0, 0, 0, 0);
    }
    walk(m, 3, &l, &e);
    CHECK(l.n == 4, "%d instructions", l.n);
    if (l.n == 4)
        EXPECT(&l.recs[1], OP_REF_IS_NULL, true, 0, 0, 0, 0, VT_FUNCREF);
}

/* A hook that fails stops the walk with its own error; bad indices are
 * refused. */
static void test_stop_and_args(const struct module *m)
{
    struct log l = {.stop_after = 3};
    struct err e;
    err_clear(&e);
    l.e = &e;
    CHECK(!val_function(m, 0, &hooks, &l, &e), "the walk went on");
    CHECK(l.n == 3 && l.ends == 0, "%d insns, %d ends after the stop", l.n, l.ends);
    CHECK(e.code == ERR_UNSUPPORTED && e.func == 0, "error %d in func %u", e.code, e.func);
    err_clear(&e);
    CHECK(!val_function(m, 4, &hooks, &l, &e) && e.code == ERR_ARG, "function 4 accepted");
}

/* Immediates as the walker's fast decoding reads them: LEB128s of one to
 * five bytes, negative constants, a two-byte local index, a memarg with a
 * multi-byte offset. */
static int64_t imms[16];
static int nimms;

static bool on_imm(void *ctx, const struct val_insn *vi)
{
    (void)ctx;
    const struct insn *in = vi->in;
    if (nimms < 16 && in->op == OP_I32_CONST)
        imms[nimms++] = in->imm.i32;
    else if (nimms < 16 && in->op == OP_LOCAL_GET)
        imms[nimms++] = in->imm.index;
    else if (nimms < 16 && in->op == OP_I32_LOAD)
        imms[nimms++] = in->imm.mem.m.offset;
    return true;
}

static void test_immediates(void)
{
    struct buf b;
    mb_begin(&b);
    mb_section(&b, S_TYPE, BYTES(1, 0x60, 0, 0));
    mb_section(&b, S_FUNC, BYTES(1, 0));
    mb_section(&b, S_MEM, BYTES(1, 0, 1));
    static const uint8_t body[] = {
        1, 0xC8, 0x01, VT_I32,                      /* 200 i32 locals */
        0x41, 0x7F, 0x1A,                           /* i32.const -1 */
        0x41, 0xC0, 0x00, 0x1A,                     /* i32.const 64 */
        0x41, 0x80, 0x40, 0x1A,                     /* i32.const -8192 */
        0x41, 0xFF, 0xFF, 0xFF, 0x3F, 0x1A,         /* i32.const 2^27 - 1 */
        0x41, 0x80, 0x80, 0x80, 0x40, 0x1A,         /* i32.const -2^27 */
        0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x1A,   /* i32.const INT32_MIN */
        0x20, 0x96, 0x01, 0x1A,                     /* local.get 150 */
        0x41, 0, 0x28, 2, 0xAC, 0x02, 0x1A,         /* i32.load offset=300 */
        0x0B,
    };
    const uint8_t *bodies[] = {body};
    const size_t lens[] = {sizeof body};
    mb_code(&b, 1, bodies, lens);
    struct module m;
    struct err e;
    err_clear(&e);
    static const struct val_hooks h = {NULL, on_imm, NULL};
    bool decoded = dec_module(&m, b.data, b.len, &e);
    CHECK(decoded && val_module_header(&m, &e) && val_function(&m, 0, &h, NULL, &e), "%s",
          e.msg);
    static const int64_t want[] = {-1, 64, -8192, (1 << 27) - 1, -(1 << 27), INT32_MIN, 150, 0,
                                   300};
    CHECK(nimms == 9, "%d immediates", nimms);
    for (int i = 0; i < nimms && i < 9; i++)
        CHECK(imms[i] == want[i], "immediate %d: %lld, expected %lld", i, (long long)imms[i],
              (long long)want[i]);
    if (decoded)
        dec_module_free(&m);
    buf_free(&b);
}

/* val_functions walks every body in order with the same hooks. */
static void test_all(const struct module *m)
{
    struct log l = {0};
    struct err e;
    err_clear(&e);
    l.e = &e;
    CHECK(val_functions(m, &hooks, &l, &e), "%s", e.msg);
    CHECK(l.begins == 4 && l.ends == 4 && l.n == 19 + 2 + 12 + 4, "%d begin, %d end, %d insns",
          l.begins, l.ends, l.n);
}

int main(void)
{
    struct buf b;
    build(&b);
    struct module m;
    struct err e;
    err_clear(&e);
    CHECK(!b.oom && dec_module(&m, b.data, b.len, &e), "decode: %s", e.msg);
    if (err_ok(&e)) {
        CHECK(val_module_header(&m, &e), "header: %s", e.msg);
        CHECK(val_module(&m, &e), "module: %s", e.msg);
        test_f0(&m);
        test_f2_f3(&m);
        test_stop_and_args(&m);
        test_all(&m);
        test_immediates();
        dec_module_free(&m);
    }
    buf_free(&b);
    return test_done("validate_hooks");
}
