/* The optimizing compiler's table of contents: every stage a function goes
 * through, in order. Each IR pass is one file and one row below; the IR
 * is dumped after any stage on request (TRIDENT_DUMP_IR=stage) and
 * verified after each in debug mode (opt_checks_on). */
#include <stdlib.h>
#include <string.h>

#include "optimizing.h"

/* IR passes, in order. Optimisations (constant folding, GVN, LICM, DCE,
 * ...) go between "phis" and "split". */
static const struct pass {
    const char *name;
    bool (*run)(struct opt_func *f, struct err *e);
    bool verify; /* the IR is complete after it (operands resolved) */
} passes[] = {
    {"prune", opt_pass_prune, false},      /* cfg.c: drop unreachable blocks */
    {"phis", opt_pass_phis, true},         /* phis.c: remove trivial phis */
    {"split", opt_pass_split_edges, true}, /* cfg.c: no critical edges for regalloc */
    {"order", opt_pass_order, true},       /* cfg.c: block layout */
};

bool opt_checks_on(void)
{
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
    return true;
#endif
#endif
    const char *s = getenv("TRIDENT_OPT_CHECK");
    return s && *s && strcmp(s, "0") != 0;
}

/* Dumps and (in debug mode) verifies after a stage. */
static bool after(struct opt_func *f, const char *stage, bool check, struct err *e)
{
    opt_dump_if(f, stage);
    return !check || opt_verify(f, stage, e);
}

bool opt_pipeline_ir(struct opt_build *b, uint32_t index, struct arena *a, struct opt_func *f,
                     struct err *e)
{
    bool check = opt_checks_on();
    if (!opt_build_func(b, index, a, f, e))
        return false;
    opt_dump_if(f, "build");
    for (size_t i = 0; i < ARRAY_LEN(passes); i++)
        if (!passes[i].run(f, e) || !after(f, passes[i].name, check && passes[i].verify, e))
            return false;
    return true;
}

/* Register allocation: liveness and intervals, linear scan, the moves
 * that join the pieces, operands rewritten to registers; checked against
 * a copy of the code made before the rewrite in debug mode. */
static bool allocate(struct ra *ra, struct mres *res, bool check, struct err *e)
{
    struct mfunc *mf = ra->mf;
    if (!opt_live(ra) || !opt_regalloc(ra) || !opt_resolve_moves(ra, res))
        return err_ok(e) ? err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory") : false;
    struct mi *orig = check ? arena_array(mf->arena, mf->nmi + 1, sizeof *orig) : NULL;
    if (check && !orig)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    if (orig)
        memcpy(orig, mf->mi, mf->nmi * sizeof *orig);
    if (!opt_rewrite(ra) || (check && !opt_regalloc_check(ra, res, orig, e)))
        return false;
    opt_mdump(mf, "alloc");
    return true;
}

bool opt_compile_func(struct opt_build *b, uint32_t index, struct arena *a, struct opt_code *out,
                      struct err *e)
{
    struct opt_func f;
    struct mfunc mf;
    bool check = opt_checks_on();
    if (!opt_pipeline_ir(b, index, a, &f, e) || !opt_isel(&f, &mf, e))
        return false;
    opt_mdump(&mf, "mir");
    struct ra ra = {.mf = &mf, .e = e};
    struct mres res;
    return allocate(&ra, &res, check, e) && opt_emit(&ra, &res, out, e);
}
