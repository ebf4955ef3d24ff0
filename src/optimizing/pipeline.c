/* The optimizing compiler's table of contents: every stage a function goes
 * through, in order. Each IR pass is one file and one row below; the IR
 * is dumped after any stage on request (TRIDENT_DUMP_IR=stage) and
 * verified after each in debug mode (opt_checks_on). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "optimizing.h"

/* IR passes, in order. The optimisations (`opt`) run at opt_level 1 and
 * up; the others make the IR what isel expects. */
static const struct pass {
    const char *name;
    bool (*run)(struct opt_func *f, struct err *e);
    bool verify; /* the IR is complete after it (operands resolved) */
    bool opt;
    bool cfg;    /* may change the CFG (the dominator tree is made again) */
    /* when the next pass runs too: both in one walk, instead of each */
    bool (*with_next)(struct opt_func *f, struct err *e);
} passes[] = {
    {"prune", opt_pass_prune, false, false, true, NULL}, /* cfg.c: drop unreachable blocks */
    {"phis", opt_pass_phis, true, false, false, NULL},   /* phis.c: remove trivial phis */
    {"strip", opt_pass_strip, true, true, false, NULL},  /* pass_branch.c: brif on x, not
                                                             on a compare of x with 0 */
    {"licm", opt_pass_licm, true, true, false, NULL},    /* pass_licm.c: loop invariants out */
    {"fold", opt_pass_fold, true, true, false, opt_pass_fold_gvn}, /* pass_fold.c: constants,
                                                                       identities */
    {"gvn", opt_pass_gvn, true, true, false, NULL},      /* pass_gvn.c: common subexpressions,
                                                             copies, repeated trap checks */
    {"branch", opt_pass_branch, true, true, false, NULL}, /* pass_branch.c: constant branches,
                                     merging (forgets the tree itself if it changes) */
    {"dce", opt_pass_dce, true, true, false, NULL},      /* pass_dce.c: what nothing needs */
    {"split", opt_pass_split_edges, true, false, true, opt_pass_split_order}, /* cfg.c: no
                                                                     critical edges */
    {"order", opt_pass_order, true, false, false, NULL},      /* cfg.c: block layout */
};

/* Whether a pass runs: optimisations only from opt_level 1, and not when
 * env TRIDENT_OPT_SKIP names them (comma-separated; for measuring what
 * each one buys). */
static bool runs(const struct pass *p, int level, const char *skip)
{
    if (!p->opt)
        return true;
    if (level < 1)
        return false;
    size_t n = strlen(p->name);
    for (const char *s = skip; s && (s = strstr(s, p->name)); s += n)
        if ((s == skip || s[-1] == ',') && (s[n] == ',' || !s[n]))
            return false;
    return true;
}

/* getenv(name), read once per process: the pipeline asks for every
 * function, and getenv walks the whole environment (the variables are set
 * before anything compiles). Threads racing here read the same value. */
static const char *env_once(_Atomic(const char *) *value, atomic_bool *read, const char *name)
{
    if (!atomic_load_explicit(read, memory_order_acquire)) {
        atomic_store_explicit(value, getenv(name), memory_order_relaxed);
        atomic_store_explicit(read, true, memory_order_release);
    }
    return atomic_load_explicit(value, memory_order_relaxed);
}

bool opt_checks_on(void)
{
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
    return true;
#endif
#endif
    static _Atomic(const char *) value;
    static atomic_bool read;
    const char *s = env_once(&value, &read, "TRIDENT_OPT_CHECK");
    return s && *s && strcmp(s, "0") != 0;
}

/* env TRIDENT_OPT_SKIP (see runs). */
static const char *skip_list(void)
{
    static _Atomic(const char *) value;
    static atomic_bool read;
    return env_once(&value, &read, "TRIDENT_OPT_SKIP");
}

/* Dumps and (in debug mode) verifies after a stage, with the block lists
 * compacted first (the optimisations leave stale entries: opt_in_block). */
static bool after(struct opt_func *f, const char *stage, bool check, struct err *e)
{
    if (check || opt_dump_stage())
        opt_compact(f);
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
    const char *skip = skip_list();
    bool stale = false; /* lists may hold stale entries: compacted once, when the opts end */
    for (size_t i = 0; i < ARRAY_LEN(passes); i++) {
        if (!runs(&passes[i], b->opt.opt_level, skip))
            continue;
        if (stale && !passes[i].opt)
            opt_compact(f);
        stale = passes[i].opt;
        const struct pass *p = &passes[i];
        bool both = p->with_next && i + 1 < ARRAY_LEN(passes) &&
                    runs(&passes[i + 1], b->opt.opt_level, skip);
        if (!(both ? p->with_next : p->run)(f, e))
            return false;
        i += both; /* dumped and verified under the second's name */
        if (passes[i].cfg)
            f->dom = NULL;
        if (!after(f, passes[i].name, check && passes[i].verify, e))
            return false;
    }
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
