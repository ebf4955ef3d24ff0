/* Building, checking and querying artifacts: the helpers every backend
 * shares, so each one fills the same tables the same way. */
#include <string.h>

#include "compiler.h"

void cc_artifact_init(struct cc_artifact *a, const char *backend, const struct cc_options *o)
{
    memset(a, 0, sizeof *a);
    strncpy(a->backend, backend, sizeof a->backend - 1);
    if (o)
        a->options = *o;
}

void cc_artifact_free(struct cc_artifact *a)
{
    buf_free(&a->code);
    vec_free(&a->funcs);
    vec_free(&a->relocs);
    vec_free(&a->traps);
}

bool cc_func_begin(struct cc_artifact *a)
{
    struct cc_func_code *f = vec_push(&a->funcs);
    if (!f)
        return false;
    f->offset = (uint32_t)a->code.len;
    return true;
}

void cc_func_end(struct cc_artifact *a)
{
    if (a->funcs.len == 0)
        return;
    struct cc_func_code *f = &a->funcs.data[a->funcs.len - 1];
    f->size = (uint32_t)(a->code.len - f->offset);
}

bool cc_reloc_add(struct cc_artifact *a, uint32_t offset, enum cc_reloc_kind kind,
                  enum cc_target_kind tkind, uint32_t target, int32_t addend)
{
    /* grown here only when full: a backend appends one per call site */
    if (a->relocs.len == a->relocs.cap && !vec_reserve(&a->relocs, 2 * a->relocs.len + 64))
        return false;
    a->relocs.data[a->relocs.len++] =
        (struct cc_reloc){.offset = offset, .kind = (uint8_t)kind,
                          .target_kind = (uint8_t)tkind, .target = target, .addend = addend};
    return true;
}

bool cc_trap_add(struct cc_artifact *a, uint32_t code_offset, tri_trap_code trap,
                 uint32_t wasm_offset)
{
    struct cc_trap_site *t = vec_push(&a->traps);
    if (!t)
        return false;
    *t = (struct cc_trap_site){code_offset, (uint32_t)trap, wasm_offset};
    return true;
}

static int trap_cmp(const void *x, const void *y)
{
    const struct cc_trap_site *a = x, *b = y;
    return (a->code_offset > b->code_offset) - (a->code_offset < b->code_offset);
}

static bool check_reloc(const struct cc_artifact *a, const struct module *m,
                        const struct cc_reloc *r, struct err *e)
{
    size_t width = r->kind == CC_RELOC_REL32 ? 4 : r->kind == CC_RELOC_ABS64 ? 8 : 0;
    if (!width || (size_t)r->offset + width > a->code.len)
        return err_set(e, ERR_LIMIT, NO_OFFSET, "artifact: bad relocation at code offset %u",
                       r->offset);
    bool ok = (r->target_kind == CC_TARGET_FUNC && r->target >= m->nfunc_imports &&
               r->target < m->nfuncs) ||
              (r->target_kind == CC_TARGET_BUILTIN && r->target < CC_BUILTIN_COUNT) ||
              (r->target_kind == CC_TARGET_CODE && r->target < a->code.len);
    if (!ok)
        return err_set(e, ERR_LIMIT, NO_OFFSET,
                       "artifact: relocation at code offset %u has a bad target %u (kind %u)",
                       r->offset, r->target, r->target_kind);
    return true;
}


bool cc_artifact_finish(struct cc_artifact *a, const struct module *m, struct err *e)
{
    if (a->code.oom)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory while compiling");
    if (a->code.len > UINT32_MAX)
        return err_set(e, ERR_LIMIT, NO_OFFSET, "compiled code exceeds 4 GiB");
    if (a->funcs.len != m->nfuncs - m->nfunc_imports)
        return err_set(e, ERR_LIMIT, NO_OFFSET, "artifact: %zu function extents for %u functions",
                       a->funcs.len, m->nfuncs - m->nfunc_imports);
    for (size_t i = 0; i < a->funcs.len; i++) {
        const struct cc_func_code *f = &a->funcs.data[i];
        if ((size_t)f->offset + f->size > a->code.len)
            return err_set(e, ERR_LIMIT, NO_OFFSET, "artifact: function %zu outside the code", i);
    }
    for (size_t i = 0; i < a->relocs.len; i++)
        if (!check_reloc(a, m, &a->relocs.data[i], e))
            return false;
    /* One pass checks the sites' codes and whether they are sorted:
     * artifacts loaded from files come sorted, and a sort would cost more
     * than the rest of loading them. Without a branch per site: a sorted
     * list is inside the code when its last site is; only an unsorted or
     * bad one is looked at again, site by site. */
    bool unsorted = false, bad = false;
    uint32_t prev = 0;
    for (size_t i = 0; i < a->traps.len; i++) {
        const struct cc_trap_site *t = &a->traps.data[i];
        bad |= t->trap - 1u >= TRI_TRAP_COUNT - 1u; /* 0 is no trap */
        unsorted |= t->code_offset < prev;
        prev = t->code_offset;
    }
    if (bad || unsorted || (a->traps.len && prev >= a->code.len))
        for (size_t i = 0; i < a->traps.len; i++) {
            const struct cc_trap_site *t = &a->traps.data[i];
            if (t->code_offset >= a->code.len || t->trap == 0 || t->trap >= TRI_TRAP_COUNT)
                return err_set(e, ERR_LIMIT, NO_OFFSET, "artifact: bad trap site %zu", i);
        }
    if (unsorted)
        qsort(a->traps.data, a->traps.len, sizeof *a->traps.data, trap_cmp);
    return true;
}

const struct cc_trap_site *cc_trap_find(const struct cc_artifact *a, uint32_t code_offset)
{
    size_t lo = 0, hi = a->traps.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t at = a->traps.data[mid].code_offset;
        if (at == code_offset)
            return &a->traps.data[mid];
        if (at < code_offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int64_t cc_func_at(const struct cc_artifact *a, uint32_t code_offset)
{
    /* Extents are in code order because backends emit functions in order. */
    size_t lo = 0, hi = a->funcs.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct cc_func_code *f = &a->funcs.data[mid];
        if (code_offset < f->offset)
            hi = mid;
        else if (code_offset >= f->offset + f->size)
            lo = mid + 1;
        else
            return (int64_t)mid;
    }
    return -1;
}
