/* libFuzzer target: decode + validate arbitrary bytes. Besides crashes,
 * leaks and undefined behaviour it checks two properties:
 *  - val_module and (val_module_header + val_function with hooks on every
 *    body) agree on the verdict and the error;
 *  - every val_insn handed to the hooks is well formed (type arrays present
 *    and holding value types, operand types valid). */
#include <stdint.h>
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

static bool on_insn(void *ctx, const struct val_insn *vi)
{
    (*(uint64_t *)ctx)++;
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
    for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
        uint64_t count = 0;
        if (!val_function(m, f, &hooks, &count, e))
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct module m;
    struct err e1, e2;
    err_clear(&e1);
    err_clear(&e2);
    if (!dec_module(&m, data, size, &e1))
        return 0;
    bool ok1 = val_module(&m, &e1);
    bool ok2 = by_function(&m, &e2);
    require(ok1 == ok2);
    require(ok1 || (e1.code == e2.code && e1.offset == e2.offset && e1.func == e2.func &&
                    !strcmp(e1.msg, e2.msg)));
    dec_module_free(&m);
    return 0;
}
