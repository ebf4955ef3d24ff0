/* The optimizing backend's entry: every defined function goes through
 * opt_compile_func on a pool of threads (each with one builder and one
 * arena, reset between functions so their memory is reused), and the
 * results are appended to the artifact in function order, so the output
 * does not depend on the schedule. The first failure in function order
 * is the one reported. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "optimizing.h"

enum { MAX_THREADS = 16, FUNCS_PER_THREAD = 8 };

struct result {
    struct opt_code code;
    struct err err;
    bool done, ok;
};

struct job {
    const struct module *m;
    const struct cc_options *o;
    struct result *res;   /* one per defined function */
    uint32_t n;
    atomic_uint next;     /* next function to take */
    atomic_uint fail_at;  /* lowest failed function so far (n: none) */
};

static void compile_one(struct job *j, struct opt_build *b, struct arena *a, uint32_t k)
{
    struct result *r = &j->res[k];
    err_clear(&r->err);
    x64_init(&r->code.a);
    r->ok = b ? opt_compile_func(b, j->m->nfunc_imports + k, a, &r->code, &r->err)
              : err_set(&r->err, ERR_NOMEM, NO_OFFSET, "out of memory");
    if (!r->ok && r->err.func == NO_FUNC)
        r->err.func = j->m->nfunc_imports + k;
    r->done = true;
    arena_reset(a);
    if (!r->ok) { /* lower the bound: later functions need not be compiled */
        unsigned cur = atomic_load(&j->fail_at);
        while (k < cur && !atomic_compare_exchange_weak(&j->fail_at, &cur, k))
            ;
    }
}

static void *worker(void *arg)
{
    struct job *j = arg;
    struct opt_build *b = opt_build_new(j->m, j->o);
    struct arena a = {0};
    for (;;) {
        uint32_t k = atomic_fetch_add(&j->next, 1);
        if (k >= j->n || k > atomic_load(&j->fail_at))
            break;
        compile_one(j, b, &a, k);
    }
    arena_free(&a);
    opt_build_free(b);
    return NULL;
}

static uint32_t thread_count(uint32_t nfuncs)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t n = nfuncs / FUNCS_PER_THREAD + 1;
    if (cpus > 0 && n > (uint32_t)cpus)
        n = (uint32_t)cpus;
    return n > MAX_THREADS ? MAX_THREADS : n;
}

/* Runs the workers (the calling thread is one of them). */
static void run(struct job *j)
{
    pthread_t t[MAX_THREADS];
    uint32_t n = thread_count(j->n), started = 0;
    while (started + 1 < n && !pthread_create(&t[started], NULL, worker, j))
        started++;
    worker(j);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(t[i], NULL);
}

/* Appends the compiled functions in order; false with e at the first
 * failure (in function order). */
static bool assemble(struct job *j, struct cc_artifact *out, struct err *e)
{
    bool ok = true;
    for (uint32_t k = 0; k < j->n; k++) {
        struct result *r = &j->res[k];
        if (ok && !r->ok) {
            *e = r->err;
            ok = false;
        }
        if (ok && !cc_func_append_x64(out, &r->code.a, r->code.sites.data, r->code.sites.len, e))
            ok = false;
        if (r->done) {
            x64_free(&r->code.a);
            vec_free(&r->code.sites);
        }
    }
    return ok;
}

/* v128 anywhere in a signature or a global: SIMD is not supported yet
 * (locals are checked as each body is built). */
static bool uses_simd(const struct module *m)
{
    for (uint32_t t = 0; t < m->ntypes; t++) {
        const struct functype *ft = &m->types[t];
        if (memchr(ft->types, VT_V128, ft->nparams + ft->nresults))
            return true;
    }
    for (uint32_t g = 0; g < m->nglobals; g++)
        if (m->globals[g].type.type == VT_V128)
            return true;
    return false;
}

static bool compile(const struct module *m, const struct cc_options *o, struct cc_artifact *out,
                    struct err *e)
{
    cc_artifact_init(out, "optimizing", o);
    if (uses_simd(m)) {
        cc_artifact_free(out);
        return err_set(e, ERR_UNSUPPORTED, NO_OFFSET,
                       "SIMD (v128) is not supported by the optimizing backend");
    }
    uint32_t n = m->nfuncs - m->nfunc_imports;
    struct job j = {.m = m, .o = o, .n = n, .res = calloc(n + 1, sizeof *j.res)};
    if (!j.res) {
        cc_artifact_free(out);
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    }
    atomic_init(&j.next, 0);
    atomic_init(&j.fail_at, n);
    run(&j);
    bool ok = assemble(&j, out, e);
    free(j.res);
    if (!ok)
        cc_artifact_free(out);
    return ok;
}

const struct cc_backend opt_backend = {"optimizing", compile};
