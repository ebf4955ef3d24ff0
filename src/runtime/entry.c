/* The host<->wasm boundary (ABI sections 5 and 6): one generic entry
 * routine that loads arguments per a signature and calls compiled code, and
 * one generic stub through which compiled code calls host functions. Both
 * are a few lines of x86-64 assembly; everything else is C, so backends
 * compile no trampolines. */
#include <stddef.h>
#include <string.h>

#include "runtime.h"

/* What rt_entry_invoke loads and stores; offsets are used by the asm. */
struct rt_callframe {
    uint64_t gpr[6];       /* rdi rsi rdx rcx r8 r9 */
    uint64_t xmm[8];       /* low 64 bits of xmm0..xmm7 */
    const uint64_t *stack; /* stack arguments, in order */
    uint64_t nstack;
    void *code;
    uint64_t ret_gpr;      /* rax after the call */
    uint64_t ret_xmm;      /* xmm0 after the call */
};
_Static_assert(offsetof(struct rt_callframe, xmm) == 48, "asm offsets");
_Static_assert(offsetof(struct rt_callframe, stack) == 112, "asm offsets");
_Static_assert(offsetof(struct rt_callframe, code) == 128, "asm offsets");
_Static_assert(offsetof(struct rt_callframe, ret_xmm) == 144, "asm offsets");

void rt_entry_invoke(struct rt_callframe *cf);
void rt_host_stub(void);
void rt_host_dispatch(struct rt_hostbind *b, uint64_t *regs, const uint64_t *stack,
                      const uintptr_t *fp);

/* rt_entry_invoke(cf): rbx keeps cf across the call (callee-saved); the
 * stack arguments are copied below a 16-byte aligned rsp. rbp chains to the
 * host so the backtrace walk stops here (this pc is not wasm code).
 * rt_host_stub: spills the 6 GPR and 8 XMM argument registers (112 bytes,
 * which keeps rsp aligned) and calls rt_host_dispatch(bind, spill area,
 * stack arguments, own frame); the results come back through the spill
 * area's rdi and xmm0 slots, loaded into rax and xmm0. */
__asm__(".text\n"
        ".globl rt_entry_invoke\n.hidden rt_entry_invoke\n.type rt_entry_invoke,@function\n"
        ".p2align 4\n"
        "rt_entry_invoke:\n"
        "  push %rbp\n  mov %rsp, %rbp\n  push %rbx\n  push %r12\n"
        "  mov %rdi, %rbx\n"
        "  mov 120(%rbx), %rcx\n  lea 15(,%rcx,8), %rax\n  and $-16, %rax\n  sub %rax, %rsp\n"
        "  mov 112(%rbx), %rsi\n  xor %edx, %edx\n"
        "1: cmp %rcx, %rdx\n  jae 2f\n"
        "  mov (%rsi,%rdx,8), %rax\n  mov %rax, (%rsp,%rdx,8)\n  inc %rdx\n  jmp 1b\n"
        "2: movq 48(%rbx), %xmm0\n  movq 56(%rbx), %xmm1\n  movq 64(%rbx), %xmm2\n"
        "  movq 72(%rbx), %xmm3\n  movq 80(%rbx), %xmm4\n  movq 88(%rbx), %xmm5\n"
        "  movq 96(%rbx), %xmm6\n  movq 104(%rbx), %xmm7\n"
        "  mov 8(%rbx), %rsi\n  mov 16(%rbx), %rdx\n  mov 24(%rbx), %rcx\n"
        "  mov 32(%rbx), %r8\n  mov 40(%rbx), %r9\n  mov 0(%rbx), %rdi\n"
        "  call *128(%rbx)\n"
        "  mov %rax, 136(%rbx)\n  movq %xmm0, 144(%rbx)\n"
        "  lea -16(%rbp), %rsp\n  pop %r12\n  pop %rbx\n  pop %rbp\n  ret\n"
        ".size rt_entry_invoke, .-rt_entry_invoke\n"
        ".globl rt_host_stub\n.hidden rt_host_stub\n.type rt_host_stub,@function\n"
        ".p2align 4\n"
        "rt_host_stub:\n"
        "  push %rbp\n  mov %rsp, %rbp\n  sub $112, %rsp\n"
        "  mov %rdi, 0(%rsp)\n  mov %rsi, 8(%rsp)\n  mov %rdx, 16(%rsp)\n"
        "  mov %rcx, 24(%rsp)\n  mov %r8, 32(%rsp)\n  mov %r9, 40(%rsp)\n"
        "  movq %xmm0, 48(%rsp)\n  movq %xmm1, 56(%rsp)\n  movq %xmm2, 64(%rsp)\n"
        "  movq %xmm3, 72(%rsp)\n  movq %xmm4, 80(%rsp)\n  movq %xmm5, 88(%rsp)\n"
        "  movq %xmm6, 96(%rsp)\n  movq %xmm7, 104(%rsp)\n"
        "  mov %rsp, %rsi\n  lea 16(%rbp), %rdx\n  mov %rbp, %rcx\n"
        "  call rt_host_dispatch\n"
        "  mov 0(%rsp), %rax\n  movq 48(%rsp), %xmm0\n"
        "  leave\n  ret\n"
        ".size rt_host_stub, .-rt_host_stub\n");

void *rt_host_stub_addr(void) { return (void *)rt_host_stub; }

/* ---- argument classification (ABI section 1) ---- */

enum loc_kind { LOC_GPR, LOC_XMM, LOC_STACK };
struct loc { enum loc_kind kind; uint32_t index; };
struct argpos { uint32_t gpr, xmm, stack; };

/* vmctx takes the first GPR, the hidden result pointer the second. */
static struct argpos argpos_start(const tri_functype *t)
{
    return (struct argpos){t->nresults > 1 ? 2 : 1, 0, 0};
}

static struct loc next_loc(struct argpos *p, uint8_t kind)
{
    bool sse = kind == TRI_F32 || kind == TRI_F64;
    if (sse && p->xmm < 8)
        return (struct loc){LOC_XMM, p->xmm++};
    if (!sse && p->gpr < 6)
        return (struct loc){LOC_GPR, p->gpr++};
    return (struct loc){LOC_STACK, p->stack++};
}

static uint32_t stack_slots(const tri_functype *t)
{
    struct argpos p = argpos_start(t);
    for (uint32_t i = 0; i < t->nparams; i++)
        next_loc(&p, t->params[i]);
    return p.stack;
}

/* ---- host -> wasm ---- */

enum { SMALL = 16 }; /* arguments or results kept on the C stack */

static tri_error *enter(tri_store *s, struct rt_callframe *cf)
{
    struct rt_activation act;
    memset(&act.trap, 0, sizeof act.trap);
    act.store = s;
    rt_store_set_stack_limit(s, rt_thread_enter(s->engine->config.max_stack));
    rt_activation_push(&act);
    if (sigsetjmp(act.jb, 0) == 0) {
        rt_entry_invoke(cf);
        rt_activation_pop(&act);
        return NULL;
    }
    rt_activation_pop(&act);
    return rt_trap_to_error(&act);
}

static tri_error *call_wasm(tri_func *f, const uint64_t *args, uint64_t *results)
{
    const tri_functype *t = f->type;
    uint64_t small[SMALL];
    uint32_t nstack = stack_slots(t);
    uint64_t *stack = nstack <= SMALL ? small : malloc(nstack * sizeof *stack);
    if (!stack)
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    struct rt_callframe cf = {.gpr = {(uintptr_t)f->vm.vmctx}, .code = f->vm.code,
                              .stack = stack, .nstack = nstack};
    if (t->nresults > 1)
        cf.gpr[1] = (uintptr_t)results;
    struct argpos p = argpos_start(t);
    for (uint32_t i = 0; i < t->nparams; i++) {
        struct loc l = next_loc(&p, t->params[i]);
        uint64_t *slot = l.kind == LOC_GPR ? &cf.gpr[l.index]
                       : l.kind == LOC_XMM ? &cf.xmm[l.index] : &stack[l.index];
        *slot = args[i];
    }
    tri_error *r = enter(f->store, &cf);
    if (!r && t->nresults == 1) {
        bool sse = t->results[0] == TRI_F32 || t->results[0] == TRI_F64;
        results[0] = sse ? cf.ret_xmm : cf.ret_gpr;
    }
    if (stack != small)
        free(stack);
    return r;
}

/* Calls a host function with raw values (for the start function and
 * tri_func_call on host functions alike). */
static tri_error *call_host(tri_func *f, tri_instance *caller, const uint64_t *args,
                            uint64_t *results)
{
    const tri_functype *t = f->type;
    tri_val small[SMALL];
    size_t n = (size_t)t->nparams + t->nresults;
    tri_val *v = n <= SMALL ? small : calloc(n, sizeof *v);
    if (!v)
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < t->nparams; i++)
        v[i] = rt_val_from_raw(t->params[i], args[i]);
    for (uint32_t i = 0; i < t->nresults; i++)
        v[t->nparams + i] = rt_val_from_raw(t->results[i], 0);
    tri_error *r = f->fn(f->data, caller, v, t->nparams, v + t->nparams, t->nresults);
    for (uint32_t i = 0; !r && i < t->nresults; i++) {
        v[t->nparams + i].kind = t->results[i]; /* the declared type decides, not the host */
        results[i] = rt_val_to_raw(v[t->nparams + i]);
    }
    if (v != small)
        free(v);
    return r;
}

tri_error *rt_call(tri_func *f, const uint64_t *args, uint64_t *results)
{
    return f->fn ? call_host(f, NULL, args, results) : call_wasm(f, args, results);
}

/* ---- wasm -> host ---- */

/* Called by rt_host_stub. regs: the spilled rdi..r9 then xmm0..xmm7;
 * fp: the stub's frame, so fp[0] is the wasm caller's rbp and fp[1] the
 * return address into it. */
void rt_host_dispatch(struct rt_hostbind *b, uint64_t *regs, const uint64_t *stack,
                      const uintptr_t *fp)
{
    const tri_functype *t = b->func->type;
    uint64_t small[SMALL];
    size_t n = (size_t)t->nparams + t->nresults;
    uint64_t *raw = n <= SMALL ? small : malloc(n * sizeof *raw);
    if (!raw)
        rt_trap_raise(TRI_TRAP_HOST, rt_error(TRI_ERR_NOMEM, "out of memory"), fp[1], fp[0]);
    struct argpos p = argpos_start(t);
    for (uint32_t i = 0; i < t->nparams; i++) {
        struct loc l = next_loc(&p, t->params[i]);
        raw[i] = l.kind == LOC_GPR ? regs[l.index]
               : l.kind == LOC_XMM ? regs[6 + l.index] : stack[l.index];
    }
    uint64_t *res = raw + t->nparams;
    tri_error *r = call_host(b->func, b->caller, raw, res);
    if (r) {
        if (raw != small)
            free(raw);
        rt_trap_raise(TRI_TRAP_HOST, r, fp[1], fp[0]);
    }
    if (t->nresults == 1)
        regs[0] = regs[6] = res[0];
    else if (t->nresults > 1)
        memcpy((void *)(uintptr_t)regs[1], res, t->nresults * sizeof *res);
    if (raw != small)
        free(raw);
}
