/* The IR as text, one instruction per line (format in docs/IR.md):
 *
 *   b1: preds b0 b3
 *     v9 = phi.i32 [b0 v2] [b3 v8]
 *     v10 = add.i32 v9, v3
 *     brif v11, b2, b4
 *
 * Printed after any stage with env TRIDENT_DUMP_IR=stage (or "all"). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizing.h"

static void put(struct buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *out, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        buf_bytes(out, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static const char *const icc_names[] = {"eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u",
                                        "le_s", "le_u", "ge_s", "ge_u"};
static const char *const fcc_names[] = {"eq", "ne", "lt", "gt", "le", "ge"};
static const char *const round_names[] = {"ceil", "floor", "trunc", "nearest"};
static const char *const mem_names[] = {"?", "i8", "u8", "i16", "u16", "i32", "u32", "64",
                                        "f32", "f64"};

static const char *trap_name(unsigned code)
{
    static const char *const names[] = {"none", "unreachable", "memory_oob", "table_oob",
                                        "undefined_element", "null_element", "bad_signature",
                                        "div_zero", "int_overflow", "bad_conversion",
                                        "stack_overflow"};
    return code < ARRAY_LEN(names) ? names[code] : "?";
}

/* The ".suffix" an op's aux reads as. */
static void put_aux(struct buf *out, const struct opt_insn *in)
{
    switch (in->op) {
    case OPT_ICMP: put(out, ".%s", icc_names[in->aux % ICC_COUNT]); break;
    case OPT_FCMP: put(out, ".%s", fcc_names[in->aux % FCC_COUNT]); break;
    case OPT_FROUND: put(out, ".%s", round_names[in->aux & 3]); break;
    case OPT_SEXT: put(out, ".%u", in->aux); break;
    case OPT_I2F: case OPT_F2I:
        put(out, "%s%s", in->aux & OPT_CVT_SIGNED ? ".s" : ".u",
            in->aux & OPT_CVT_SAT ? ".sat" : "");
        break;
    case OPT_LOAD: case OPT_STORE:
        put(out, ".%s%s", mem_names[(in->aux & MEM_KIND) % ARRAY_LEN(mem_names)],
            in->aux & MEM_HEAP ? ".heap" : "");
        break;
    case OPT_TRAP: case OPT_TRAP_IF: put(out, ".%s", trap_name(in->aux)); break;
    default: break;
    }
}

static void put_targets(struct buf *out, const struct opt_func *f, const struct opt_insn *in)
{
    const struct opt_block *b = &f->block[in->block];
    if (in->op == OPT_BR_TABLE) {
        uint32_t n;
        const uint32_t *t = opt_table(f, in, &n);
        put(out, " [");
        for (uint32_t i = 0; i < n; i++)
            put(out, "%sb%u", i ? " " : "", t[i]);
        put(out, "] default b%u", t[n]);
        return;
    }
    for (uint32_t i = 0; i < b->nsucc; i++)
        put(out, "%sb%u", i || in->op == OPT_BRIF ? ", " : " ", b->succ[i]);
}

static void put_insn(struct buf *out, const struct opt_func *f, opt_val id)
{
    const struct opt_insn *in = &f->insn[id];
    put(out, "  ");
    if (in->type)
        put(out, "v%u = ", id);
    put(out, "%s", opt_ops[in->op].name);
    put_aux(out, in);
    if (in->type)
        put(out, ".%s", opt_type_name(in->type));
    uint32_t *args, n = opt_args(f, in, &args);
    if (in->op == OPT_PHI) {
        for (uint32_t i = 0; i < n; i++)
            put(out, " [b%u v%u]", f->block[in->block].pred[i], args[i]);
    } else {
        for (uint32_t i = 0; i < n; i++)
            put(out, "%s v%u", i ? "," : "", args[i]);
    }
    switch (in->op) {
    case OPT_ICONST: put(out, " %" PRId64, in->imm); break;
    case OPT_FCONST: put(out, " 0x%" PRIx64, in->imm); break;
    case OPT_PARAM: case OPT_SLOT_ADDR: put(out, " %" PRId64, in->imm); break;
    case OPT_LOAD: case OPT_STORE: put(out, " %+" PRId64, in->imm); break;
    case OPT_CALL: put(out, " func %" PRId64, in->imm); break;
    case OPT_CALL_RT: put(out, " %s", cc_builtin_name((enum cc_builtin)in->imm)); break;
    default: break;
    }
    if (opt_ops[in->op].flags & OF_TERM)
        put_targets(out, f, in);
    put(out, "\n");
}

void opt_dump(const struct opt_func *f, struct buf *out)
{
    const struct functype *t = f->type;
    put(out, "func %u (", f->index);
    for (uint32_t i = 0; i < t->nparams; i++)
        put(out, "%s%s", i ? " " : "", dec_valtype_name(ft_params(t)[i]));
    put(out, ") -> (");
    for (uint32_t i = 0; i < t->nresults; i++)
        put(out, "%s%s", i ? " " : "", dec_valtype_name(ft_results(t)[i]));
    put(out, ")\n");
    for (uint32_t b = 0; b < f->nblock; b++) {
        const struct opt_block *bl = &f->block[b];
        if (bl->dead)
            continue;
        put(out, "b%u:", b);
        if (bl->npred)
            put(out, " preds");
        for (uint32_t i = 0; i < bl->npred; i++)
            put(out, " b%u", bl->pred[i]);
        put(out, "\n");
        for (uint32_t i = 0; i < bl->nphi; i++)
            if (!f->insn[bl->phi[i]].dead)
                put_insn(out, f, bl->phi[i]);
        for (uint32_t i = 0; i < bl->ninsn; i++)
            if (!f->insn[bl->insn[i]].dead)
                put_insn(out, f, bl->insn[i]);
    }
}

const char *opt_dump_stage(void)
{
    const char *s = getenv("TRIDENT_DUMP_IR");
    return s && *s ? s : NULL;
}

void opt_dump_if(const struct opt_func *f, const char *stage)
{
    const char *want = opt_dump_stage();
    if (!want || (strcmp(want, "all") && strcmp(want, stage)))
        return;
    struct buf out = {0};
    put(&out, "; after %s\n", stage);
    opt_dump(f, &out);
    if (!out.oom)
        fwrite(out.data, 1, out.len, stderr);
    buf_free(&out);
}
