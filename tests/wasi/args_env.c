/* Prints argv and the environment (sorted), then the value of $GREETING. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    printf("argc %d\n", argc);
    for (int i = 1; i < argc; i++) /* argv[0] is the file name as given */
        printf("argv[%d] '%s'\n", i, argv[i]);
    int n = 0;
    while (environ[n])
        n++;
    qsort(environ, (size_t)n, sizeof *environ, cmp);
    printf("environ %d\n", n);
    for (int i = 0; i < n; i++)
        printf("  %s\n", environ[i]);
    const char *g = getenv("GREETING");
    printf("GREETING %s\n", g ? g : "(unset)");
    return 0;
}
