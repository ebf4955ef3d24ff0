/* Exit statuses: `exit.wasm N` leaves through exit(N) from a nested call
 * after output that must still be flushed; `exit.wasm return N` returns N
 * from main; `exit.wasm trap` executes unreachable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void leave(int status)
{
    printf("leaving with %d\n", status);
    exit(status);
}

__attribute__((noinline)) static void crash(void)
{
    printf("about to trap\n");
    fflush(stdout);
    __builtin_trap();
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "trap"))
        crash();
    if (argc > 2 && !strcmp(argv[1], "return"))
        return atoi(argv[2]);
    leave(argc > 1 ? atoi(argv[1]) : 0);
    printf("not reached\n");
    return 99;
}
