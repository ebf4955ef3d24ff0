/* Times Trident's decode + validate of one module, single-threaded, best of
 * N runs, without process start-up or file reading. CPU time, so a busy
 * machine disturbs the figure less.
 *   validate_time FILE [RUNS]
 * prints "SIZE CODE_BYTES BEST_SECONDS" (CODE_BYTES: the function bodies). */
#include <stdio.h>
#include <stdlib.h>

#include "decode/decode.h"
#include "validate/validate.h"
#include "tool_time.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: validate_time FILE [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    struct err e;
    err_clear(&e);
    uint8_t *bytes;
    size_t len;
    if (!file_read(argv[1], &bytes, &len, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    double best = 1e30;
    size_t code = 0;
    for (int i = 0; i < runs; i++) {
        struct module m;
        double t0 = cpu_now();
        bool ok = dec_module(&m, bytes, len, &e) && val_module(&m, &e);
        double t = cpu_now() - t0;
        if (!ok) {
            fprintf(stderr, "%s: offset %zu: %s\n", argv[1], e.offset, e.msg);
            free(bytes);
            return 1;
        }
        code = code_bytes(&m);
        dec_module_free(&m);
        best = t < best ? t : best;
    }
    printf("%zu %zu %.6f\n", len, code, best);
    free(bytes);
    return 0;
}
