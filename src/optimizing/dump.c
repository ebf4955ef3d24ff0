/* The IR as text, one instruction per line (format in docs/IR.md):
 *
 *   b1: preds b0 b3
 *     v9 = phi.i32 [b0 v2] [b3 v8]
 *     v10 = add.i32 v9, v3
 *     brif v11, b2, b4
 *
 * Printed after any stage with env TRIDENT_DUMP_IR=stage (or "all"). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizing.h"

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
    case OPT_ICMP: buf_printf(out, ".%s", icc_names[in->aux % ICC_COUNT]); break;
    case OPT_FCMP: buf_printf(out, ".%s", fcc_names[in->aux % FCC_COUNT]); break;
    case OPT_FROUND: buf_printf(out, ".%s", round_names[in->aux & 3]); break;
    case OPT_SEXT: buf_printf(out, ".%u", in->aux); break;
    case OPT_I2F: case OPT_F2I:
        buf_printf(out, "%s%s", in->aux & OPT_CVT_SIGNED ? ".s" : ".u",
            in->aux & OPT_CVT_SAT ? ".sat" : "");
        break;
    case OPT_LOAD: case OPT_STORE:
        buf_printf(out, ".%s%s", mem_names[(in->aux & MEM_KIND) % ARRAY_LEN(mem_names)],
            in->aux & MEM_HEAP ? ".heap" : "");
        break;
    case OPT_TRAP: case OPT_TRAP_IF: buf_printf(out, ".%s", trap_name(in->aux)); break;
    default: break;
    }
}

static void put_targets(struct buf *out, const struct opt_func *f, const struct opt_insn *in)
{
    const struct opt_block *b = &f->block[in->block];
    if (in->op == OPT_BR_TABLE) {
        uint32_t n;
        const uint32_t *t = opt_table(f, in, &n);
        buf_printf(out, " [");
        for (uint32_t i = 0; i < n; i++)
            buf_printf(out, "%sb%u", i ? " " : "", t[i]);
        buf_printf(out, "] default b%u", t[n]);
        return;
    }
    for (uint32_t i = 0; i < b->nsucc; i++)
        buf_printf(out, "%sb%u", i || in->op == OPT_BRIF ? ", " : " ", b->succ[i]);
}

static void put_insn(struct buf *out, const struct opt_func *f, opt_val id)
{
    const struct opt_insn *in = &f->insn[id];
    buf_printf(out, "  ");
    if (in->type)
        buf_printf(out, "v%u = ", id);
    buf_printf(out, "%s", opt_ops[in->op].name);
    put_aux(out, in);
    if (in->type)
        buf_printf(out, ".%s", opt_type_name(in->type));
    uint32_t *args, n = opt_args(f, in, &args);
    if (in->op == OPT_PHI) {
        for (uint32_t i = 0; i < n; i++)
            buf_printf(out, " [b%u v%u]", f->block[in->block].pred[i], args[i]);
    } else {
        for (uint32_t i = 0; i < n; i++)
            buf_printf(out, "%s v%u", i ? "," : "", args[i]);
    }
    switch (in->op) {
    case OPT_ICONST: buf_printf(out, " %" PRId64, in->imm); break;
    case OPT_FCONST: buf_printf(out, " 0x%" PRIx64, in->imm); break;
    case OPT_PARAM: case OPT_SLOT_ADDR: buf_printf(out, " %" PRId64, in->imm); break;
    case OPT_LOAD: case OPT_STORE: buf_printf(out, " %+" PRId64, in->imm); break;
    case OPT_CALL: buf_printf(out, " func %" PRId64, in->imm); break;
    case OPT_CALL_RT: buf_printf(out, " %s", cc_builtin_name((enum cc_builtin)in->imm)); break;
    default: break;
    }
    if (opt_ops[in->op].flags & OF_TERM)
        put_targets(out, f, in);
    buf_printf(out, "\n");
}

void opt_dump(const struct opt_func *f, struct buf *out)
{
    const struct functype *t = f->type;
    buf_printf(out, "func %u (", f->index);
    for (uint32_t i = 0; i < t->nparams; i++)
        buf_printf(out, "%s%s", i ? " " : "", dec_valtype_name(ft_params(t)[i]));
    buf_printf(out, ") -> (");
    for (uint32_t i = 0; i < t->nresults; i++)
        buf_printf(out, "%s%s", i ? " " : "", dec_valtype_name(ft_results(t)[i]));
    buf_printf(out, ")\n");
    for (uint32_t b = 0; b < f->nblock; b++) {
        const struct opt_block *bl = &f->block[b];
        if (bl->dead)
            continue;
        buf_printf(out, "b%u:", b);
        if (bl->npred)
            buf_printf(out, " preds");
        for (uint32_t i = 0; i < bl->npred; i++)
            buf_printf(out, " b%u", bl->pred[i]);
        buf_printf(out, "\n");
        for (uint32_t i = 0; i < bl->nphi; i++)
            if (!f->insn[bl->phi[i]].dead)
                put_insn(out, f, bl->phi[i]);
        for (uint32_t i = 0; i < bl->ninsn; i++)
            if (!f->insn[bl->insn[i]].dead)
                put_insn(out, f, bl->insn[i]);
    }
}

static const char *dump_stage;
static pthread_once_t dump_once = PTHREAD_ONCE_INIT;

static void read_dump_env(void)
{
    const char *s = getenv("TRIDENT_DUMP_IR");
    dump_stage = s && *s ? s : NULL;
}

/* Read once per process: it is asked after every stage of every function. */
const char *opt_dump_stage(void)
{
    pthread_once(&dump_once, read_dump_env);
    return dump_stage;
}

void opt_dump_if(const struct opt_func *f, const char *stage)
{
    const char *want = opt_dump_stage();
    if (!want || (strcmp(want, "all") && strcmp(want, stage)))
        return;
    struct buf out = {0};
    buf_printf(&out, "; after %s\n", stage);
    opt_dump(f, &out);
    if (!out.oom)
        fwrite(out.data, 1, out.len, stderr);
    buf_free(&out);
}
