/* Traps: the signal handler that turns a fault at a trap site into an
 * unwind to the host entry, per-thread activations and alternate signal
 * stacks, backtraces by walking rbp frames, and the conversion of a
 * recorded trap into a tri_error. A fault that is not a wasm trap site is
 * passed on untouched, so host bugs still crash as they would have. */
#include <assert.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime.h"

static const int trap_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
static struct sigaction previous[ARRAY_LEN(trap_signals)];
static pthread_once_t signals_once = PTHREAD_ONCE_INIT;
static bool signals_ok;

/* Per thread: the innermost activation, the stack bounds and the limit in
 * force while any activation runs, and our alternate signal stack. */
static _Thread_local struct rt_activation *current;
static _Thread_local uintptr_t thread_stack_lo, thread_limit;
static _Thread_local bool thread_ready;
static pthread_key_t altstack_key;

void rt_activation_push(struct rt_activation *a)
{
    a->prev = current;
    current = a;
}

void rt_activation_pop(struct rt_activation *a) { current = a->prev; }

/* ---- finding wasm code ---- */

static const tri_module *code_at(const tri_store *s, uintptr_t pc, uint32_t *offset)
{
    for (const struct rt_code_ref *r = atomic_load(&s->codes); r; r = r->next)
        if (rt_module_has_pc(r->module, pc, offset))
            return r->module;
    return NULL;
}

void rt_trap_walk(struct rt_activation *a, uintptr_t pc, uintptr_t fp)
{
    uint32_t off;
    a->trap.npcs = 0;
    a->trap.pcs[a->trap.npcs++] = pc;
    /* Each wasm frame: [fp] = caller's rbp, [fp+8] = return address. The
     * walk ends at the first return address outside wasm code (the entry
     * routine) and never goes down the stack. */
    while (a->trap.npcs < RT_MAX_FRAMES && fp && !(fp & 7)) {
        const uintptr_t *frame = (const uintptr_t *)fp;
        uintptr_t ret = frame[1];
        if (!code_at(a->store, ret, &off) || frame[0] <= fp)
            break;
        a->trap.pcs[a->trap.npcs++] = ret;
        fp = frame[0];
    }
}

_Noreturn void rt_trap_raise(tri_trap_code code, tri_error *host_error, uintptr_t pc,
                             uintptr_t fp)
{
    struct rt_activation *a = current;
    assert(a && "builtins and host stubs run only under an activation");
    a->trap.code = code;
    a->trap.host_error = host_error;
    a->trap.has_offset = false;
    rt_trap_walk(a, pc, fp);
    siglongjmp(a->jb, 1);
}

/* The frame for one recorded pc; exact pcs are faulting instructions,
 * the others return addresses (so look up the call before them). */
static void frame_for(const struct rt_activation *a, size_t k, tri_error *e)
{
    bool exact = k == 0 && a->trap.has_offset;
    uintptr_t pc = a->trap.pcs[k] - (exact ? 0 : 1);
    uint32_t off;
    const tri_module *m = code_at(a->store, pc, &off);
    int64_t f = m ? cc_func_at(&m->art, off) : -1;
    if (f < 0)
        return;
    uint32_t index = m->m.nfunc_imports + (uint32_t)f;
    e->frames[e->nframes++] = (tri_frame){
        index, m->func_names[index], m->name,
        exact ? a->trap.wasm_offset : UINT64_MAX};
}

tri_error *rt_trap_to_error(const struct rt_activation *a)
{
    tri_error *e = a->trap.host_error ? a->trap.host_error : rt_trap_error(a->trap.code);
    /* A trap that came back through a host function from a nested
     * activation already holds that activation's frames: this one's are
     * the callers, so they follow. */
    if (e->kind == TRI_ERR_TRAP)
        for (size_t k = 0; k < a->trap.npcs && e->nframes < RT_MAX_FRAMES; k++)
            frame_for(a, k, e);
    if (e->nframes && a->trap.has_offset)
        e->offset = a->trap.wasm_offset;
    return e;
}

/* ---- the signal handler ---- */

static void pass_on(int sig, siginfo_t *si, void *ctx)
{
    size_t i = 0;
    while (trap_signals[i] != sig)
        i++;
    const struct sigaction *old = &previous[i];
    if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
        old->sa_sigaction(sig, si, ctx);
        return;
    }
    if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler != SIG_DFL &&
        old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    /* Default action: restore it and let the faulting instruction run
     * again (or re-send a signal that did not come from a fault). */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
    if (si->si_code <= 0)
        raise(sig);
}

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    struct rt_activation *a = current;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uint32_t off;
    const tri_module *m = a && si->si_code > 0 ? code_at(a->store, pc, &off) : NULL;
    const struct cc_trap_site *site = m ? cc_trap_find(&m->art, off) : NULL;
    if (!site) {
        pass_on(sig, si, ctx);
        return;
    }
    a->trap.code = (tri_trap_code)site->trap;
    a->trap.wasm_offset = site->wasm_offset;
    a->trap.has_offset = true;
    a->trap.host_error = NULL;
    rt_trap_walk(a, pc, (uintptr_t)uc->uc_mcontext.gregs[REG_RBP]);
    siglongjmp(a->jb, 1);
}

static size_t altstack_size;

/* Thread exit: stop using the alternate stack, then free it. */
static void altstack_free(void *p)
{
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
    munmap(p, altstack_size);
}

static void install(void)
{
    altstack_size = 64 * 1024;
    long min = sysconf(_SC_SIGSTKSZ);
    if (min > 0 && (size_t)min * 4 > altstack_size)
        altstack_size = (size_t)min * 4;
    if (pthread_key_create(&altstack_key, altstack_free) != 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    /* NODEFER: we leave the handler by siglongjmp without restoring the
     * mask, so the signal must not stay blocked. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < ARRAY_LEN(trap_signals); i++)
        if (sigaction(trap_signals[i], &sa, &previous[i]) != 0)
            return;
    signals_ok = true;
}

bool rt_signals_init(void)
{
    pthread_once(&signals_once, install);
    return signals_ok;
}

/* ---- per-thread set-up ---- */

/* Gives the thread an alternate signal stack unless it has one (the
 * sanitizers install their own), so a trap on a nearly full stack can
 * still be handled. */
static void altstack_ensure(void)
{
    stack_t cur;
    if (sigaltstack(NULL, &cur) != 0 || !(cur.ss_flags & SS_DISABLE))
        return;
    size_t size = altstack_size;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    stack_t ss = {.ss_sp = p, .ss_size = size};
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(p, size);
        return;
    }
    pthread_setspecific(altstack_key, p);
}

static void stack_bounds(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0)
            thread_stack_lo = (uintptr_t)addr;
        pthread_attr_destroy(&attr);
    }
}

uintptr_t rt_thread_enter(uint64_t max_stack)
{
    if (!thread_ready) {
        altstack_ensure();
        stack_bounds();
        thread_ready = true;
    }
    if (current) /* nested: keep the limit of the outermost entry */
        return thread_limit;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    uintptr_t limit = sp > max_stack ? sp - max_stack : 0;
    if (thread_stack_lo && limit < thread_stack_lo + RT_STACK_SLACK)
        limit = thread_stack_lo + RT_STACK_SLACK;
    thread_limit = limit;
    return limit;
}
