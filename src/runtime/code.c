/* Executable memory: map read-write, copy the artifact's code, add jump
 * veneers for far builtins, apply relocations, then flip to read+execute.
 * Code is never writable and executable at once. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime.h"

enum { VENEER_SIZE = 16 }; /* jmp [rip+2]; 2 bytes pad; .quad target */

static size_t page_round(size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (n + pg - 1) & ~(pg - 1);
}

/* Writes a veneer that jumps to target through an absolute address. */
static void veneer_write(uint8_t *p, uintptr_t target)
{
    static const uint8_t jmp_rip[8] = {0xFF, 0x25, 0x02, 0x00, 0x00, 0x00, 0x0F, 0x0B};
    memcpy(p, jmp_rip, sizeof jmp_rip); /* jmp [rip+2], then ud2 as padding */
    memcpy(p + 8, &target, 8);
}

static uintptr_t target_addr(const struct rt_code *c, const struct cc_artifact *a,
                             uint32_t nfunc_imports, const struct cc_reloc *r, bool *veneer)
{
    *veneer = false;
    switch (r->target_kind) {
    case CC_TARGET_FUNC:
        return (uintptr_t)c->base + a->funcs.data[r->target - nfunc_imports].offset;
    case CC_TARGET_CODE:
        return (uintptr_t)c->base + r->target;
    default:
        if (r->kind == CC_RELOC_REL32) {
            /* Builtins live in the runtime, possibly > 2 GiB away: go
             * through this code's veneer for the builtin. */
            *veneer = true;
            return (uintptr_t)c->base + c->code_len + (size_t)r->target * VENEER_SIZE;
        }
        return (uintptr_t)rt_builtin_addr((enum cc_builtin)r->target);
    }
}

static bool apply_relocs(struct rt_code *c, const struct cc_artifact *a, uint32_t nfunc_imports,
                         struct err *e)
{
    for (size_t i = 0; i < a->relocs.len; i++) {
        const struct cc_reloc *r = &a->relocs.data[i];
        bool veneer;
        uintptr_t s = target_addr(c, a, nfunc_imports, r, &veneer) + (intptr_t)r->addend;
        uint8_t *field = c->base + r->offset;
        if (r->kind == CC_RELOC_ABS64) {
            memcpy(field, &s, 8);
            continue;
        }
        int64_t rel = (int64_t)(s - (uintptr_t)field);
        if (rel < INT32_MIN || rel > INT32_MAX)
            return err_set(e, ERR_LIMIT, NO_OFFSET, "relocation out of 32-bit range");
        int32_t r32 = (int32_t)rel;
        memcpy(field, &r32, 4);
    }
    return true;
}

bool rt_code_load(struct rt_code *c, const struct cc_artifact *a, uint32_t nfunc_imports,
                  struct err *e)
{
    memset(c, 0, sizeof *c);
    if (a->code.len == 0)
        return true;
    /* Veneers for every builtin (a few hundred bytes) keep the lookup
     * trivial: builtin b's veneer is at a fixed place after the code. */
    size_t code_len = (a->code.len + 15) & ~(size_t)15;
    size_t map_len = page_round(code_len + CC_BUILTIN_COUNT * VENEER_SIZE);
    void *p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "cannot map %zu bytes of code", map_len);
    *c = (struct rt_code){p, map_len, code_len};
    memcpy(c->base, a->code.data, a->code.len);
    for (int b = 0; b < CC_BUILTIN_COUNT; b++)
        veneer_write(c->base + code_len + (size_t)b * VENEER_SIZE,
                     (uintptr_t)rt_builtin_addr((enum cc_builtin)b));
    if (!apply_relocs(c, a, nfunc_imports, e) ||
        mprotect(c->base, map_len, PROT_READ | PROT_EXEC) != 0) {
        err_set(e, ERR_NOMEM, NO_OFFSET, "cannot make code executable");
        rt_code_free(c);
        return false;
    }
    return true;
}

void rt_code_free(struct rt_code *c)
{
    if (c->base)
        munmap(c->base, c->map_len);
    memset(c, 0, sizeof *c);
}
