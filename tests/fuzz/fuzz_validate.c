/* libFuzzer target: decode + validate arbitrary bytes. Input starting with
 * the binary magic is a whole module; other input is a function body (first
 * byte: its type) placed in a fixed module where every index space has
 * entries, so mutations reach the typing rules. Besides crashes, leaks and
 * undefined behaviour it checks two properties:
 *  - val_module and (val_module_header + val_function with hooks on every
 *    body) agree on the verdict and the error;
 *  - every val_insn handed to the hooks is well formed (type arrays present
 *    and holding value types, operand types valid), and its instruction is
 *    what dec_insn decodes at that offset (the walker decodes the frequent
 *    forms itself, for speed). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "validate/validate.h"

static void require(bool cond)
{
    if (!cond)
        __builtin_trap();
}

static void check_types(const valtype *t, uint32_t n)
{
    require(n == 0 || t != NULL);
    for (uint32_t i = 0; i < n; i++)
        require(dec_is_valtype(t[i]));
}

/* The walker's decoding of the instruction matches the decoder's. */
static void check_decoding(const struct module *m, const struct insn *in)
{
    struct err e;
    err_clear(&e);
    struct reader r = {m->bytes, m->bytes + in->offset, m->bytes + m->size, &e};
    struct insn ref;
    require(dec_insn(&r, &ref) && ref.op == in->op && ref.offset == in->offset);
    switch (dec_ops[in->op].imm) {
    case IMM_LOCAL: case IMM_GLOBAL: case IMM_LABEL: case IMM_FUNC:
        require(ref.imm.index == in->imm.index);
        break;
    case IMM_I32:
        require(ref.imm.i32 == in->imm.i32);
        break;
    case IMM_BLOCK:
        require(ref.imm.block.kind == in->imm.block.kind &&
                (ref.imm.block.kind != BT_VALUE || ref.imm.block.value == in->imm.block.value) &&
                (ref.imm.block.kind != BT_INDEX || ref.imm.block.index == in->imm.block.index));
        break;
    case IMM_MEMARG:
        require(ref.imm.mem.m.align == in->imm.mem.m.align &&
                ref.imm.mem.m.offset == in->imm.mem.m.offset);
        break;
    default:
        break;
    }
}

static bool on_insn(void *ctx, const struct val_insn *vi)
{
    check_decoding(ctx, vi->in);
    check_types(vi->params, vi->nparams);
    check_types(vi->results, vi->nresults);
    /* Only dead code may leave an operand type unknown. */
    require(vi->type == 0 || dec_is_valtype(vi->type));
    require(vi->type != 0 || vi->unreachable ||
            (vi->in->op != OP_DROP && vi->in->op != OP_SELECT && vi->in->op != OP_LOCAL_GET));
    return true;
}

static bool on_begin(void *ctx, const struct val_func *f)
{
    (void)ctx;
    check_types(f->local_types, f->nlocals);
    return true;
}

static const struct val_hooks hooks = {on_begin, on_insn, NULL};

/* The verdict of the per-function entry points, for comparison. */
static bool by_function(const struct module *m, struct err *e)
{
    if (!val_module_header(m, e))
        return false;
    for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++)
        if (!val_function(m, f, &hooks, (void *)m, e))
            return false;
    return true;
}

/* Types [] -> [], [i32] -> [i32], [i32 i64 f32 f64 v128 funcref externref]
 * -> [i32 i64], [] -> [i32 i32]; imported globals i32 and mut i64; two
 * functions (the fuzzed one, whose type index is patched in, and one of
 * type 0); a funcref and an externref table; one memory; globals mut f32
 * and funcref; an export; a passive and a declarative element segment; two
 * passive data segments. */
static const uint8_t head[] = {
    0, 'a', 's', 'm', 1, 0, 0, 0,
    1, 26, 4, 0x60, 0, 0, 0x60, 1, 0x7f, 1, 0x7f,
    0x60, 7, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 2, 0x7f, 0x7e, 0x60, 0, 2, 0x7f, 0x7f,
    2, 15, 2, 1, 'm', 1, 'g', 3, 0x7f, 0, 1, 'm', 1, 'h', 3, 0x7e, 1,
    3, 3, 2, 0 /* patched */, 0,
    4, 7, 2, 0x70, 0, 1, 0x6f, 0, 0,
    5, 3, 1, 0, 1,
    6, 14, 2, 0x7d, 1, 0x43, 0, 0, 0, 0, 0x0b, 0x70, 0, 0xd2, 1, 0x0b,
    7, 5, 1, 1, 'f', 0, 1,
    9, 10, 2, 1, 0, 2, 0, 1, 3, 0, 1, 0,
    12, 1, 2,
};
enum { TYPE_AT = 56, NTYPES = 4 };
static const uint8_t tail[] = {11, 5, 2, 1, 0, 1, 0};

/* The module around a fuzzed body; NULL when out of memory. */
static uint8_t *wrap_body(const uint8_t *data, size_t size, size_t *len)
{
    struct buf b = {0}, code = {0};
    buf_bytes(&b, head, sizeof head);
    b.data[TYPE_AT] = data[0] % NTYPES;
    buf_byte(&code, 2);
    buf_u32leb(&code, (uint32_t)(size - 1));
    buf_bytes(&code, data + 1, size - 1);
    buf_bytes(&code, "\x02\x00\x0b", 3);
    buf_byte(&b, 10);
    buf_u32leb(&b, (uint32_t)code.len);
    buf_bytes(&b, code.data, code.len);
    buf_bytes(&b, tail, sizeof tail);
    buf_free(&code);
    *len = b.len;
    return b.oom ? (buf_free(&b), NULL) : b.data;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct module m;
    struct err e1, e2;
    err_clear(&e1);
    err_clear(&e2);
    uint8_t *wrapped = NULL;
    if (size == 0)
        return 0;
    if (size < 4 || memcmp(data, "\0asm", 4)) {
        wrapped = wrap_body(data, size, &size);
        if (!wrapped)
            return 0;
        data = wrapped;
    }
    if (!dec_module(&m, data, size, &e1)) {
        free(wrapped);
        return 0;
    }
    bool ok1 = val_module(&m, &e1);
    bool ok2 = by_function(&m, &e2);
    require(ok1 == ok2);
    require(ok1 || (e1.code == e2.code && e1.offset == e2.offset && e1.func == e2.func &&
                    !strcmp(e1.msg, e2.msg)));
    dec_module_free(&m);
    free(wrapped);
    return 0;
}
