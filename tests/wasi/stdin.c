/* Reads stdin to its end in odd-sized chunks; prints the byte and line
 * counts, a checksum, and the first line upper-cased. */
#include <ctype.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    unsigned char buf[777];
    unsigned long bytes = 0, lines = 0, sum = 0;
    char first[80] = {0};
    size_t f = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (!lines && buf[i] != '\n' && f + 1 < sizeof first)
                first[f++] = (char)toupper(buf[i]);
            lines += buf[i] == '\n';
            sum = sum * 31 + buf[i];
        }
        bytes += (unsigned long)n;
    }
    if (n < 0) {
        perror("read");
        return 1;
    }
    printf("bytes %lu lines %lu sum %lu\nfirst %s\n", bytes, lines, sum, first);
    return 0;
}
