/* What the in-process timing tools of bench/ share (validate_time.c,
 * cache_time.c, gen/compile_time.c). Header-only, so that each tool still
 * builds with the one compiler command of the script that runs it. */
#ifndef BENCH_TOOL_TIME_H
#define BENCH_TOOL_TIME_H

#include <time.h>

#include "decode/decode.h"

/* CPU seconds of this process, all threads: other work on a shared machine
 * disturbs it far less than the wall clock. */
static inline double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The bytes of m's function bodies: what a compiler works through (data
 * segments cost no compile work), the measure of every MB/s figure. */
static inline size_t code_bytes(const struct module *m)
{
    size_t n = 0;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
        n += (size_t)(m->funcs[i].code_end - (m->bytes + m->funcs[i].body_offset));
    return n;
}

#endif
