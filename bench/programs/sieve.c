/* Sieve of Eratosthenes up to 2^23 over a byte array, SCALE times, each pass
   with a different upper bound. Checksum: the prime counts and the last
   prime found in each pass. */
#include "bench.h"

enum { LIMIT = 1 << 23 };

/* Counts primes below n; *last receives the largest. */
static uint32_t sieve(uint8_t *composite, uint32_t n, uint32_t *last)
{
    memset(composite, 0, n);
    uint32_t count = 0;
    for (uint32_t i = 2; i < n; i++) {
        if (composite[i])
            continue;
        count++;
        *last = i;
        for (uint64_t j = (uint64_t)i * i; j < n; j += i)
            composite[j] = 1;
    }
    return count;
}

int main(int argc, char **argv)
{
    int reps = bench_scale(argc, argv, 85);
    uint8_t *composite = xmalloc(LIMIT);
    uint64_t sum = MIX_INIT;
    uint32_t count = 0, last = 0;
    for (int rep = 0; rep < reps; rep++) {
        uint32_t n = LIMIT - (uint32_t)rep * 1009 % (LIMIT / 2);
        count = sieve(composite, n, &last);
        sum = mix(mix(sum, count), last);
    }
    printf("sieve x%d: %u primes, last %u\n", reps, count, last);
    free(composite);
    return bench_done("sieve", sum);
}
