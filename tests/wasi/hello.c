/* The smallest command: one line out, status 0. Also the start-up benchmark. */
#include <stdio.h>

int main(void)
{
    puts("hello, world");
    return 0;
}
