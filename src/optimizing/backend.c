/* The optimizing backend's entry: compiles every defined function. */
#include "optimizing.h"

static bool compile(const struct module *m, const struct cc_options *o, struct cc_artifact *out,
                    struct err *e)
{
    cc_artifact_init(out, "optimizing", o);
    struct opt_build *b = opt_build_new(m, o);
    bool ok = b != NULL || err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    for (uint32_t f = m->nfunc_imports; ok && f < m->nfuncs; f++) {
        struct arena a = {0};
        struct opt_func fn;
        ok = opt_pipeline_ir(b, f, &a, &fn, e);
        arena_free(&a);
    }
    opt_build_free(b);
    if (ok)
        ok = err_set(e, ERR_UNSUPPORTED, NO_OFFSET, "optimizing backend: no code generator yet");
    cc_artifact_free(out);
    return ok;
}

const struct cc_backend opt_backend = {"optimizing", compile};
