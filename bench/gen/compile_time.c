/* Times a backend (singlepass or optimizing) against validation alone on
 * one module, in-process, best of N runs in CPU time (all threads):
 *   compile_time FILE [RUNS [BACKEND]]
 * prints "CODE_BYTES VALIDATE_SECONDS COMPILE_SECONDS CODE_OUT_BYTES"
 * (CODE_BYTES: the function bodies; both times include decoding). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizing/optimizing.h"
#include "singlepass/singlepass.h"

#include "../tool_time.h"

/* One run: decode, then validate (compile == false) or compile. Returns
 * the CPU seconds, or -1 with the error printed. */
static double run(const uint8_t *bytes, size_t len, const struct cc_backend *compile,
                  size_t *code, size_t *out)
{
    struct module m;
    struct err e;
    err_clear(&e);
    struct cc_options o = {.opt_level = 2}; /* the engine's default */
    struct cc_artifact a;
    double t0 = cpu_now();
    bool ok = dec_module(&m, bytes, len, &e);
    if (ok && compile)
        ok = val_module_header(&m, &e) && compile->compile(&m, &o, &a, &e);
    else if (ok)
        ok = val_module(&m, &e);
    double t = cpu_now() - t0;
    if (!ok) {
        fprintf(stderr, "offset %zu: %s\n", e.offset, e.msg);
        return -1;
    }
    *code = code_bytes(&m);
    if (compile) {
        *out = a.code.len;
        cc_artifact_free(&a);
    }
    dec_module_free(&m);
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: compile_time FILE [RUNS [singlepass|optimizing]]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    const char *name = argc > 3 ? argv[3] : "singlepass";
    const struct cc_backend *b = !strcmp(name, "singlepass")   ? &sp_backend
                                 : !strcmp(name, "optimizing") ? &opt_backend
                                                               : NULL;
    if (!b) {
        fprintf(stderr, "compile_time: unknown backend '%s'\n", name);
        return 2;
    }
    struct err e;
    err_clear(&e);
    uint8_t *bytes;
    size_t len, code = 0, out = 0;
    if (!file_read(argv[1], &bytes, &len, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    double best[2] = {1e30, 1e30};
    for (int i = 0; i < runs; i++)
        for (int k = 0; k < 2; k++) {
            double t = run(bytes, len, k ? b : NULL, &code, &out);
            if (t < 0) {
                free(bytes);
                return 1;
            }
            best[k] = t < best[k] ? t : best[k];
        }
    printf("%zu %.6f %.6f %zu\n", code, best[0], best[1], out);
    free(bytes);
    return 0;
}
