/* The runtime builtins compiled code calls (CC_BUILTINS in compiler.h).
 * Each is reached through a thunk that records the caller's pc and rbp in
 * the vmctx, so a builtin that traps can unwind with a backtrace. */
#include <string.h>

#include "runtime.h"

_Static_assert(CC_VMCTX_EXIT_PC == 40 && CC_VMCTX_EXIT_FP == 48, "thunk offsets");

/* rt_thunk_ID: exit pc = return address, exit fp = rbp, then tail-jump. */
#define THUNK(id, sym, sig)                                                                   \
    ".globl rt_thunk_" #id "\n.hidden rt_thunk_" #id "\n.type rt_thunk_" #id ",@function\n"   \
    "rt_thunk_" #id ":\n  mov (%rsp), %rax\n  mov %rax, 40(%rdi)\n  mov %rbp, 48(%rdi)\n"    \
    "  jmp " #sym "\n"
__asm__(".text\n.p2align 4\n" CC_BUILTINS(THUNK));
#undef THUNK

#define X(id, sym, sig) extern char rt_thunk_##id[];
CC_BUILTINS(X)
#undef X

void *rt_builtin_addr(enum cc_builtin b)
{
    static void *const thunks[] = {
#define X(id, sym, sig) rt_thunk_##id,
        CC_BUILTINS(X)
#undef X
    };
    return (unsigned)b < ARRAY_LEN(thunks) ? thunks[b] : NULL;
}

static _Noreturn void trap(uint8_t *vmctx, tri_trap_code code)
{
    uintptr_t pc, fp;
    memcpy(&pc, vmctx + CC_VMCTX_EXIT_PC, sizeof pc);
    memcpy(&fp, vmctx + CC_VMCTX_EXIT_FP, sizeof fp);
    rt_trap_raise(code, NULL, pc, fp);
}

static void check(uint8_t *vmctx, tri_trap_code code)
{
    if (code != TRI_TRAP_NONE)
        trap(vmctx, code);
}

/* Declared here, defined below: the symbols compiled code reaches. */
int32_t rt_builtin_memory_grow(uint8_t *vmctx, uint32_t delta);
void rt_builtin_memory_fill(uint8_t *vmctx, uint32_t d, uint32_t val, uint32_t n);
void rt_builtin_memory_copy(uint8_t *vmctx, uint32_t d, uint32_t s, uint32_t n);
void rt_builtin_memory_init(uint8_t *vmctx, uint32_t seg, uint32_t d, uint32_t s, uint32_t n);
void rt_builtin_data_drop(uint8_t *vmctx, uint32_t seg);
uintptr_t rt_builtin_table_get(uint8_t *vmctx, uint32_t table, uint32_t i);
void rt_builtin_table_set(uint8_t *vmctx, uint32_t table, uint32_t i, uintptr_t v);
int32_t rt_builtin_table_grow(uint8_t *vmctx, uint32_t table, uintptr_t init, uint32_t delta);
void rt_builtin_table_fill(uint8_t *vmctx, uint32_t table, uint32_t i, uintptr_t v, uint32_t n);
void rt_builtin_table_copy(uint8_t *vmctx, uint32_t dst, uint32_t src, uint32_t d, uint32_t s,
                           uint32_t n);
void rt_builtin_table_init(uint8_t *vmctx, uint32_t table, uint32_t seg, uint32_t d, uint32_t s,
                           uint32_t n);
void rt_builtin_elem_drop(uint8_t *vmctx, uint32_t seg);
void rt_builtin_trap(uint8_t *vmctx, uint32_t code);

int32_t rt_builtin_memory_grow(uint8_t *vmctx, uint32_t delta)
{
    return (int32_t)rt_memory_grow(rt_instance_of(vmctx)->memory, delta);
}

void rt_builtin_memory_fill(uint8_t *vmctx, uint32_t d, uint32_t val, uint32_t n)
{
    tri_memory *m = rt_instance_of(vmctx)->memory;
    if ((uint64_t)d + n > m->size)
        trap(vmctx, TRI_TRAP_MEMORY_OOB);
    memset(m->base + d, (int)(uint8_t)val, n);
}

void rt_builtin_memory_copy(uint8_t *vmctx, uint32_t d, uint32_t s, uint32_t n)
{
    tri_memory *m = rt_instance_of(vmctx)->memory;
    if ((uint64_t)d + n > m->size || (uint64_t)s + n > m->size)
        trap(vmctx, TRI_TRAP_MEMORY_OOB);
    memmove(m->base + d, m->base + s, n);
}

void rt_builtin_memory_init(uint8_t *vmctx, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
    check(vmctx, rt_memory_init(rt_instance_of(vmctx), seg, d, s, n));
}

void rt_builtin_data_drop(uint8_t *vmctx, uint32_t seg)
{
    rt_instance_of(vmctx)->datas[seg].len = 0;
}

uintptr_t rt_builtin_table_get(uint8_t *vmctx, uint32_t table, uint32_t i)
{
    tri_table *t = rt_instance_of(vmctx)->tables[table];
    if (i >= t->vm.size)
        trap(vmctx, TRI_TRAP_TABLE_OOB);
    return t->vm.elems[i];
}

void rt_builtin_table_set(uint8_t *vmctx, uint32_t table, uint32_t i, uintptr_t v)
{
    tri_table *t = rt_instance_of(vmctx)->tables[table];
    if (i >= t->vm.size)
        trap(vmctx, TRI_TRAP_TABLE_OOB);
    t->vm.elems[i] = v;
}

int32_t rt_builtin_table_grow(uint8_t *vmctx, uint32_t table, uintptr_t init, uint32_t delta)
{
    return (int32_t)rt_table_grow(rt_instance_of(vmctx)->tables[table], delta, init);
}

void rt_builtin_table_fill(uint8_t *vmctx, uint32_t table, uint32_t i, uintptr_t v, uint32_t n)
{
    check(vmctx, rt_table_fill(rt_instance_of(vmctx)->tables[table], i, v, n));
}

void rt_builtin_table_copy(uint8_t *vmctx, uint32_t dst, uint32_t src, uint32_t d, uint32_t s,
                           uint32_t n)
{
    tri_instance *inst = rt_instance_of(vmctx);
    check(vmctx, rt_table_copy(inst->tables[dst], inst->tables[src], d, s, n));
}

void rt_builtin_table_init(uint8_t *vmctx, uint32_t table, uint32_t seg, uint32_t d, uint32_t s,
                           uint32_t n)
{
    check(vmctx, rt_table_init(rt_instance_of(vmctx), table, seg, d, s, n));
}

void rt_builtin_elem_drop(uint8_t *vmctx, uint32_t seg)
{
    rt_instance_of(vmctx)->elems[seg].len = 0;
}

void rt_builtin_trap(uint8_t *vmctx, uint32_t code)
{
    trap(vmctx, code > TRI_TRAP_NONE && code < TRI_TRAP_COUNT ? (tri_trap_code)code
                                                               : TRI_TRAP_UNREACHABLE);
}
