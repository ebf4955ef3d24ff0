/* The backend registry. A backend folder announces itself with a header
 * declaring its `struct cc_backend`; __has_include picks the header up, so a
 * new backend needs no edit here beyond its row, and an absent one is
 * reported unavailable instead of breaking the link. */
#include <string.h>

#include "compiler.h"

#if __has_include("../singlepass/singlepass.h")
#include "../singlepass/singlepass.h"
#define SINGLEPASS (&sp_backend)
#else
#define SINGLEPASS NULL
#endif

#if __has_include("../optimizing/optimizing.h")
#include "../optimizing/optimizing.h"
#define OPTIMIZING (&opt_backend)
#else
#define OPTIMIZING NULL
#endif

#if defined(TRI_LLVM_BACKEND) && __has_include("../llvm/llvm.h")
#include "../llvm/llvm.h"
#define LLVM_BACKEND (&llv_backend)
#else
#define LLVM_BACKEND NULL
#endif

static const struct {
    const char *name;
    const struct cc_backend *backend; /* NULL when not built in */
} backends[] = {
    {"singlepass", SINGLEPASS},
    {"optimizing", OPTIMIZING},
    {"llvm", LLVM_BACKEND},
};

const struct cc_backend *cc_backend_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(backends); i++)
        if (!strcmp(name, backends[i].name))
            return backends[i].backend;
    return NULL;
}

bool cc_backend_known(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(backends); i++)
        if (!strcmp(name, backends[i].name))
            return true;
    return false;
}

const char *cc_builtin_name(enum cc_builtin b)
{
    static const char *const names[] = {
#define X(id, sym, sig) #sym,
        CC_BUILTINS(X)
#undef X
    };
    return (unsigned)b < ARRAY_LEN(names) ? names[b] : "?";
}
