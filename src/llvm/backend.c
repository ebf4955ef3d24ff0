/* The LLVM backend's entry: splits the defined functions into chunks of
 * consecutive functions, compiles the chunks on a pool of threads (one
 * LLVM context and target machine per chunk) and joins their artifacts in
 * function order.
 *
 * Effort: the level asked for (O0..O3), except that O2 becomes the lean
 * pipeline for a module above LLV_BIG_MODULE (see llvm.h).
 *
 * Errors: a chunk validates all of its functions even when one uses SIMD
 * (which this backend does not compile), so an invalid module is reported
 * invalid; the error kept is the one of the lowest function.
 *
 * Options from the environment (the backend's own knobs, read once per
 * module):
 *   TRIDENT_LLVM_CPU=portable  code for any x86-64-v2 CPU instead of this
 *                              host's (the default, "host");
 *   TRIDENT_LLVM_STATS=1       one line per module on stderr: functions,
 *                              chunks, threads, effort, wasm and code sizes,
 *                              the wall time and the CPU time spent building
 *                              IR, optimising, generating code and reading
 *                              the objects (summed over threads);
 *   TRIDENT_LLVM_DUMP=DIR      writes each chunk's object file to DIR, for
 *                              objdump;
 *   TRIDENT_LLVM_LEAN_ABOVE=N  the default level (O2) compiles modules with
 *                              more than N bytes of function bodies with the
 *                              lean effort (default LLV_BIG_MODULE, 4 MiB). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <llvm-c/Analysis.h>

#include "llvm.h"

enum {
    CHUNK_MIN_BYTES = 8 * 1024,   /* below this a thread is not worth it */
    CHUNK_MAX_BYTES = 256 * 1024, /* bounds the memory of one LLVM module */
};

enum phase { PH_IR, PH_OPT, PH_CODEGEN, PH_READ, PH_COUNT };

struct chunk {
    uint32_t first, end; /* function indices */
    struct cc_artifact art;
    struct err err;
    double ms[PH_COUNT];
};

struct env_options {
    bool portable, stats;
    const char *dump;  /* a folder, or NULL */
    uint64_t big;      /* bytes of bodies above which O2 is lean */
};

struct job {
    const struct module *m;
    const struct cc_options *o;
    struct env_options env;
    enum llv_effort effort;
    struct chunk *chunks;
    size_t nchunks;
    atomic_size_t next;
};

/* Wall time, or the calling thread's CPU time: phases are timed in CPU
 * time, which other processes on the machine do not inflate. */
static double now_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Builds every function's IR; false on an invalid body. A function using
 * SIMD sets *simd and the chunk stops emitting, but goes on validating. */
static bool build(struct llv_unit *u, struct chunk *c, uint32_t *simd)
{
    struct llv_fn f = {.u = u, .e = &c->err};
    f.alloca_b = LLVMCreateBuilderInContext(u->ctx);
    bool ok = true;
    for (uint32_t i = c->first; ok && i < c->end; i++) {
        ok = val_function(u->m, i, &llv_hooks, &f, &c->err);
        if (f.unsupported && *simd == UINT32_MAX)
            *simd = i;
        f.skip = *simd != UINT32_MAX;
    }
    LLVMDisposeBuilder(f.alloca_b);
    llv_unit_finish(u);
    arena_free(&f.arena);
    vec_free(&f.stack);
    vec_free(&f.ctls);
    return ok;
}

static bool verify(struct llv_unit *u, struct err *e)
{
    char *msg = NULL;
    if (!LLVMVerifyModule(u->mod, LLVMReturnStatusAction, &msg)) {
        LLVMDisposeMessage(msg);
        return true;
    }
    err_set(e, ERR_LIMIT, NO_OFFSET, "llvm: invalid IR (backend bug): %.200s", msg ? msg : "");
    LLVMDisposeMessage(msg);
    return false;
}

/* Writes a chunk's object to DIR/chunkN.o (N: its first function). */
static void dump(const char *dir, const struct chunk *c, LLVMMemoryBufferRef buf)
{
    char path[512];
    snprintf(path, sizeof path, "%s/chunk%u.o", dir, c->first);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(LLVMGetBufferStart(buf), 1, LLVMGetBufferSize(buf), f);
        fclose(f);
    }
}

/* CPU milliseconds of this thread since *t, which moves to now. */
static double lap(double *t)
{
    double now = now_ms(CLOCK_THREAD_CPUTIME_ID), ms = now - *t;
    *t = now;
    return ms;
}

/* IR, passes, object, artifact: each step timed. */
static bool compile_unit(struct llv_unit *u, LLVMTargetMachineRef tm, struct chunk *c,
                         const struct job *j)
{
    double t = now_ms(CLOCK_THREAD_CPUTIME_ID);
    uint32_t simd = UINT32_MAX;
    bool ok = build(u, c, &simd);
    if (ok && simd != UINT32_MAX) {
        err_set(&c->err, ERR_UNSUPPORTED, NO_OFFSET, "SIMD (v128) is not supported by the llvm "
                "backend");
        c->err.func = simd;
        return false;
    }
    ok = ok && verify(u, &c->err);
    c->ms[PH_IR] = lap(&t);
    if (!ok || !llv_optimize(u->mod, tm, j->effort, &c->err))
        return false;
    c->ms[PH_OPT] = lap(&t);
    LLVMMemoryBufferRef buf;
    if (!llv_emit(u->mod, tm, &buf, &c->err))
        return false;
    c->ms[PH_CODEGEN] = lap(&t);
    if (j->env.dump)
        dump(j->env.dump, c, buf);
    ok = llv_elf_read((const uint8_t *)LLVMGetBufferStart(buf), LLVMGetBufferSize(buf), u->m,
                      c->first, c->end, !u->o->bounds_checks, &c->art, &c->err);
    LLVMDisposeMemoryBuffer(buf);
    c->ms[PH_READ] = lap(&t);
    return ok;
}

static void compile_chunk(const struct job *j, struct chunk *c)
{
    err_clear(&c->err);
    cc_artifact_init(&c->art, "llvm", j->o);
    LLVMTargetMachineRef tm = llv_target(j->env.portable, j->effort, &c->err);
    if (!tm)
        return;
    struct llv_unit u;
    if (llv_unit_init(&u, j->m, j->o, tm, c->first, c->end, &c->err))
        compile_unit(&u, tm, c, j);
    llv_unit_free(&u);
    LLVMDisposeTargetMachine(tm);
}

static void *worker(void *arg)
{
    struct job *j = arg;
    for (size_t i; (i = atomic_fetch_add(&j->next, 1)) < j->nchunks;)
        compile_chunk(j, &j->chunks[i]);
    return NULL;
}

static uint64_t body_bytes(const struct module *m, uint32_t f)
{
    return (uint64_t)(m->funcs[f].code_end - m->funcs[f].code);
}

static uint64_t module_bytes(const struct module *m)
{
    uint64_t total = 0;
    for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++)
        total += body_bytes(m, f);
    return total;
}

/* The level asked for; the lean effort instead of O2 for a big module. */
static enum llv_effort effort_for(const struct module *m, unsigned opt_level, uint64_t big)
{
    if (opt_level >= 3)
        return LLV_O3;
    if (opt_level == 2 && module_bytes(m) > big)
        return LLV_LEAN;
    return (enum llv_effort)opt_level;
}

/* Consecutive functions, about `per` bytes of body each. */
static struct chunk *split(const struct module *m, size_t *n)
{
    uint64_t total = module_bytes(m);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t want = total / CHUNK_MIN_BYTES;
    uint64_t per_cpu = (uint64_t)(cpus > 0 ? cpus : 1) * 2;
    if (want > per_cpu)
        want = per_cpu;
    if (want < total / CHUNK_MAX_BYTES)
        want = total / CHUNK_MAX_BYTES;
    uint64_t per = total / (want ? want : 1) + 1;
    struct chunk *c = calloc(m->nfuncs - m->nfunc_imports, sizeof *c);
    if (!c)
        return NULL;
    size_t k = 0;
    uint64_t acc = 0;
    c[0].first = m->nfunc_imports;
    for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
        acc += body_bytes(m, f);
        if (acc >= per && f + 1 < m->nfuncs) {
            c[k].end = f + 1;
            c[++k].first = f + 1;
            acc = 0;
        }
    }
    c[k].end = m->nfuncs;
    *n = k + 1;
    return c;
}

/* Compiles every chunk on min(cores, chunks) threads of our own: LLVM
 * recurses deeply on big functions, so they get 64 MiB stacks, whatever
 * the caller's thread has. If no thread starts, the caller does the work. */
static void run_pool(struct job *j)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = cpus > 1 ? (size_t)cpus : 1;
    if (nthreads > j->nchunks)
        nthreads = j->nchunks;
    pthread_t tids[64];
    size_t started = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64u << 20);
    while (started < nthreads && started < ARRAY_LEN(tids) &&
           pthread_create(&tids[started], &attr, worker, j) == 0)
        started++;
    pthread_attr_destroy(&attr);
    if (!started)
        worker(j);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
}

/* Appends a chunk's artifact to the module's, shifting its offsets. The
 * chunk starts at a 64-byte boundary, the largest alignment its constant
 * sections ask for. */
static bool join(struct cc_artifact *out, const struct cc_artifact *c)
{
    while (out->code.len % 64)
        buf_byte(&out->code, 0xCC);
    uint32_t base = (uint32_t)out->code.len;
    buf_bytes(&out->code, c->code.data, c->code.len);
    if (!vec_reserve(&out->funcs, out->funcs.len + c->funcs.len) ||
        !vec_reserve(&out->relocs, out->relocs.len + c->relocs.len) ||
        !vec_reserve(&out->traps, out->traps.len + c->traps.len) || out->code.oom)
        return false;
    for (size_t i = 0; i < c->funcs.len; i++)
        out->funcs.data[out->funcs.len++] =
            (struct cc_func_code){c->funcs.data[i].offset + base, c->funcs.data[i].size};
    for (size_t i = 0; i < c->relocs.len; i++) {
        struct cc_reloc r = c->relocs.data[i];
        r.offset += base;
        if (r.target_kind == CC_TARGET_CODE)
            r.target += base;
        out->relocs.data[out->relocs.len++] = r;
    }
    for (size_t i = 0; i < c->traps.len; i++) {
        struct cc_trap_site t = c->traps.data[i];
        t.code_offset += base;
        out->traps.data[out->traps.len++] = t;
    }
    return true;
}

/* The error to report: the first invalid function's, else the first
 * other failure. */
static const struct err *first_error(const struct chunk *c, size_t n)
{
    const struct err *other = NULL;
    for (size_t i = 0; i < n; i++) {
        if (c[i].err.code == ERR_INVALID || c[i].err.code == ERR_MALFORMED)
            return &c[i].err;
        if (c[i].err.code != ERR_NONE && !other)
            other = &c[i].err;
    }
    return other;
}

static void print_stats(const struct job *j, const struct cc_artifact *out, double wall)
{
    static const char *const efforts[] = {"O0", "O1", "O2", "O3", "lean"};
    double ms[PH_COUNT] = {0};
    for (size_t i = 0; i < j->nchunks; i++)
        for (int p = 0; p < PH_COUNT; p++)
            ms[p] += j->chunks[i].ms[p];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN), n = (long)j->nchunks;
    fprintf(stderr,
            "llvm: %u functions in %ld chunks on %ld threads at %s: %llu bytes of wasm -> %zu "
            "bytes of code in %.1f ms (ir %.1f, opt %.1f, codegen %.1f, read %.1f ms of CPU "
            "summed over threads)\n",
            j->m->nfuncs - j->m->nfunc_imports, n, cpus < n ? cpus : n, efforts[j->effort],
            (unsigned long long)module_bytes(j->m), out->code.len, wall, ms[PH_IR], ms[PH_OPT],
            ms[PH_CODEGEN], ms[PH_READ]);
}

static bool compile(const struct module *m, const struct cc_options *o, struct cc_artifact *out,
                    struct err *e)
{
    double t0 = now_ms(CLOCK_MONOTONIC);
    cc_artifact_init(out, "llvm", o);
    if (!llv_init(e))
        return false;
    if (m->nfuncs == m->nfunc_imports)
        return true;
    const char *cpu = getenv("TRIDENT_LLVM_CPU"), *big = getenv("TRIDENT_LLVM_LEAN_ABOVE");
    struct job j = {.m = m, .o = o,
                    .env = {cpu && !strcmp(cpu, "portable"), getenv("TRIDENT_LLVM_STATS") != NULL,
                            getenv("TRIDENT_LLVM_DUMP"),
                            big ? strtoull(big, NULL, 10) : LLV_BIG_MODULE}};
    j.effort = effort_for(m, o->opt_level, j.env.big);
    if (!(j.chunks = split(m, &j.nchunks)))
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    run_pool(&j);
    const struct err *bad = first_error(j.chunks, j.nchunks);
    bool ok = !bad;
    if (bad)
        *e = *bad;
    for (size_t i = 0; i < j.nchunks; i++) {
        if (ok && !join(out, &j.chunks[i].art))
            ok = err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
        cc_artifact_free(&j.chunks[i].art);
    }
    if (ok && j.env.stats)
        print_stats(&j, out, now_ms(CLOCK_MONOTONIC) - t0);
    free(j.chunks);
    if (!ok)
        cc_artifact_free(out);
    return ok;
}

const struct cc_backend llv_backend = {"llvm", compile};
