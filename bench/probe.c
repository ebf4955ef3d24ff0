/* The probe: a tiny WASI program (arguments in, stdout out, exit status) that
   tells the harness whether a runtime can run WASI programs at all, so a
   runtime that cannot yet is reported as not available rather than failed.
   `probe.wasm 42` prints "probe 42" and exits with status 0. */
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 3;
    printf("probe %s\n", argv[1]);
    return 0;
}
