/* A program for the clang under test to compile: primes by sieve, then
 * a line per argument, so running the result checks the whole toolchain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    enum { N = 1000 };
    char *composite = calloc(N, 1);
    int count = 0, last = 0;
    for (int i = 2; i < N; i++) {
        if (composite[i])
            continue;
        count++;
        last = i;
        for (int j = i * i; j < N; j += i)
            composite[j] = 1;
    }
    printf("%d primes below %d, the last %d\n", count, N, last);
    for (int i = 1; i < argc; i++)
        printf("arg %d: %s (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    free(composite);
    return count == 168 ? 0 : 1;
}
