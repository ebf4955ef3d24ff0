/* The bundled example: a WASI command that greets and sums its arguments. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long sum = 0;
    for (int i = 1; i < argc; i++)
        sum += strtol(argv[i], NULL, 10);
    printf("Hello from WebAssembly! %d argument(s), sum %ld\n", argc - 1, sum);
    return 0;
}
