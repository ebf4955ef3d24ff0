/* The backend registry. A backend folder announces itself with a header
 * declaring its `struct cc_backend`; __has_include picks the header up, so a
 * new backend needs no edit here beyond its row, and an absent one is
 * reported unavailable instead of breaking the link. The llvm backend is a
 * plugin loaded on first use (see the Makefile), so a process that never
 * asks for it never maps libLLVM. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

#ifdef TRI_LLVM_PLUGIN
static const struct cc_backend *llvm_backend;
static pthread_once_t llvm_once = PTHREAD_ONCE_INIT;

/* Opens the plugin named by $TRIDENT_LLVM_PLUGIN, else the one beside the
 * executable or in its parent folder (where the test binaries live). */
static void llvm_load(void)
{
    const char *env = getenv("TRIDENT_LLVM_PLUGIN");
    char exe[PATH_MAX], path[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    const char *dirs[] = {exe, "/.."};
    for (int i = env ? -1 : 0; i < 2 && !llvm_backend; i++) {
        if (i < 0)
            snprintf(path, sizeof path, "%s", env);
        else
            snprintf(path, sizeof path, "%s%s/" TRI_LLVM_PLUGIN, exe, i ? dirs[1] : "");
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (h)
            llvm_backend = dlsym(h, "llv_backend");
    }
}

static const struct cc_backend *llvm_find(void)
{
    pthread_once(&llvm_once, llvm_load);
    return llvm_backend;
}
#endif

static const struct {
    const char *name;
    const struct cc_backend *backend; /* NULL when not built in */
} backends[] = {
    {"singlepass", SINGLEPASS},
    {"optimizing", OPTIMIZING},
    {"llvm", NULL},
};

const struct cc_backend *cc_backend_find(const char *name)
{
#ifdef TRI_LLVM_PLUGIN
    if (!strcmp(name, "llvm"))
        return llvm_find();
#endif
    for (size_t i = 0; i < ARRAY_LEN(backends); i++)
        if (!strcmp(name, backends[i].name))
            return backends[i].backend;
    return NULL;
}

const char *cc_backend_name(size_t i)
{
    return i < ARRAY_LEN(backends) ? backends[i].name : NULL;
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
