/* The optimizing backend's entry: every defined function goes through
 * opt_compile_func on a pool of threads (each with one builder, one arena
 * and one code buffer, reset between functions so their memory is
 * reused). A finished function is appended to the artifact as soon as
 * every function before it is, so the output does not depend on the
 * schedule and only the few finished out of order wait in memory. The
 * first failure in function order is the one reported. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "optimizing.h"

enum { MAX_THREADS = 16, FUNCS_PER_THREAD = 8 };

/* A function finished before an earlier one: it owns its code until it
 * is appended. */
struct result {
    struct opt_code code;
    struct err err;
    bool done, ok;
};

struct job {
    const struct module *m;
    const struct cc_options *o;
    struct cc_artifact *out;
    struct result *res;   /* one per defined function */
    uint32_t n;
    atomic_uint next;     /* next function to take */
    atomic_uint fail_at;  /* lowest failed function so far (n: none) */
    pthread_mutex_t lock; /* guards what follows, out and res[].done */
    uint32_t appended;    /* functions appended to out so far */
    bool failed;          /* err holds the first failure; nothing more is appended */
    struct err err;
};

static void code_free(struct opt_code *c)
{
    x64_free(&c->a);
    vec_free(&c->sites);
}

/* Later functions need not be compiled. */
static void stop_after(struct job *j, uint32_t k)
{
    unsigned cur = atomic_load(&j->fail_at);
    while (k < cur && !atomic_compare_exchange_weak(&j->fail_at, &cur, k))
        ;
}

/* Appends function k, the next in order; false (with j->err) when it
 * failed to compile or to append. */
static bool append(struct job *j, uint32_t k, struct opt_code *c, bool ok, const struct err *e)
{
    if (ok && cc_func_append_x64(j->out, &c->a, c->sites.data, c->sites.len, &j->err)) {
        j->appended = k + 1;
        return true;
    }
    if (!ok)
        j->err = *e;
    if (j->err.func == NO_FUNC)
        j->err.func = j->m->nfunc_imports + k;
    j->failed = true;
    stop_after(j, k);
    return false;
}

/* Function k is compiled into c: appends it and the parked ones after it,
 * or parks it (its result takes c's buffers). */
static void finish(struct job *j, uint32_t k, struct opt_code *c, bool ok, const struct err *e)
{
    if (!ok)
        stop_after(j, k);
    pthread_mutex_lock(&j->lock);
    if (j->failed) {
        /* nothing more is appended */
    } else if (k != j->appended) {
        j->res[k] = (struct result){.code = *c, .err = *e, .done = true, .ok = ok};
        *c = (struct opt_code){0};
        x64_init(&c->a);
    } else if (append(j, k, c, ok, e)) {
        for (struct result *r = &j->res[k + 1]; r->done; r++) {
            bool more = append(j, j->appended, &r->code, r->ok, &r->err);
            code_free(&r->code);
            r->done = false;
            if (!more)
                break;
        }
    }
    pthread_mutex_unlock(&j->lock);
}

static void *worker(void *arg)
{
    struct job *j = arg;
    struct opt_build *b = opt_build_new(j->m, j->o);
    struct arena a = {0};
    struct opt_code c = {0};
    x64_init(&c.a);
    struct err e;
    for (;;) {
        uint32_t k = atomic_fetch_add(&j->next, 1);
        if (k >= j->n || k > atomic_load(&j->fail_at))
            break;
        err_clear(&e);
        x64_reset(&c.a);
        c.sites.len = 0;
        bool ok = b ? opt_compile_func(b, j->m->nfunc_imports + k, &a, &c, &e)
                    : err_set(&e, ERR_NOMEM, NO_OFFSET, "out of memory");
        arena_reset(&a);
        finish(j, k, &c, ok, &e);
    }
    code_free(&c);
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
    struct job j = {.m = m, .o = o, .out = out, .n = n, .res = calloc(n + 1, sizeof *j.res)};
    if (!j.res || pthread_mutex_init(&j.lock, NULL)) {
        free(j.res);
        cc_artifact_free(out);
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    }
    atomic_init(&j.next, 0);
    atomic_init(&j.fail_at, n);
    run(&j);
    pthread_mutex_destroy(&j.lock);
    bool ok = !j.failed;
    if (!ok)
        *e = j.err;
    for (uint32_t k = 0; k < n; k++) /* parked behind a failure */
        if (j.res[k].done)
            code_free(&j.res[k].code);
    free(j.res);
    if (!ok)
        cc_artifact_free(out);
    return ok;
}

const struct cc_backend opt_backend = {"optimizing", compile};
