/* A WASI reactor (clang -mexec-model=reactor): no _start; _initialize runs
 * the constructors, which `trident run --invoke` must call first. */
#include <stdio.h>

static int base;

__attribute__((constructor)) static void init(void)
{
    base = 42;
}

__attribute__((export_name("answer"))) int answer(int x)
{
    printf("answer(%d)\n", x);
    fflush(stdout);
    return base + x;
}
