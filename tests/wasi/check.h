/* CHECK for the test programs: a failed condition prints FAIL with its
 * line and errno; main returns the count, so a failure is also the exit
 * status. */
#ifndef WASI_TEST_CHECK_H
#define WASI_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            printf("FAIL line %d: %s (errno %d %s)\n", __LINE__, #c, errno, strerror(errno));     \
            failures++;                                                                           \
        }                                                                                         \
    } while (0)

#endif
