/* A tiny test harness for C unit tests: CHECK records a failure with its
 * place and goes on; test_done prints one PASS or FAIL line per test binary
 * in the format tests/run.sh counts. */
#ifndef TRI_CHECK_H
#define TRI_CHECK_H

#include <stdio.h>

static int check_failures;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            check_failures++;                                                  \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);             \
            printf(__VA_ARGS__);                                               \
            printf("\n");                                                      \
        }                                                                      \
    } while (0)

/* Prints the verdict for this binary and returns its exit status. */
static inline int test_done(const char *name)
{
    if (check_failures == 0)
        printf("PASS %s\n", name);
    return check_failures ? 1 : 0;
}

#endif
