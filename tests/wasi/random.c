/* Randomness: getentropy and arc4random fill buffers that are not all
 * zero, differ between draws, and look uniform enough (each byte value
 * appears in 64 KiB of draws, no value more than 3x its share). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    unsigned char a[256], b[256];
    static unsigned char big[65536];
    unsigned counts[256] = {0};
    int bad = 0;
    if (getentropy(a, sizeof a) || getentropy(b, sizeof b))
        return printf("getentropy failed\n"), 1;
    bad += !memcmp(a, b, sizeof a);
    for (size_t i = 0; i < sizeof big; i += 256)
        bad += getentropy(big + i, 256) != 0;
    for (size_t i = 0; i < sizeof big; i++)
        counts[big[i]]++;
    for (int v = 0; v < 256; v++)
        bad += counts[v] == 0 || counts[v] > 3 * sizeof big / 256;
    bad += arc4random() == arc4random() && arc4random() == arc4random();
    printf("random: %s\n", bad ? "BAD" : "ok");
    return bad != 0;
}
