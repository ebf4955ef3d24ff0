/* Dense double-precision matrix multiply, C = A * B, in i-k-j order (the
   cache-friendly loop nest), repeated SCALE times with A nudged each time so
   no repetition can be skipped. Checksum: the bits of every trace. */
#include "bench.h"

enum { N = 256 };

static void multiply(const double *a, const double *b, double *c)
{
    memset(c, 0, sizeof(double) * N * N);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            double aik = a[i * N + k];
            const double *brow = b + k * N;
            double *crow = c + i * N;
            for (int j = 0; j < N; j++)
                crow[j] += aik * brow[j];
        }
}

int main(int argc, char **argv)
{
    int reps = bench_scale(argc, argv, 240);
    double *a = xmalloc(sizeof(double) * N * N);
    double *b = xmalloc(sizeof(double) * N * N);
    double *c = xmalloc(sizeof(double) * N * N);
    struct rng r = {42};
    for (int i = 0; i < N * N; i++) {
        a[i] = rng_double(&r) - 0.5;
        b[i] = rng_double(&r) - 0.5;
    }
    uint64_t sum = MIX_INIT;
    for (int rep = 0; rep < reps; rep++) {
        a[rep % (N * N)] += 0.25;
        multiply(a, b, c);
        double trace = 0;
        for (int i = 0; i < N; i++)
            trace += c[i * N + i];
        sum = mix(sum, dbits(trace));
    }
    printf("matmul %dx%d x%d: c[0]=%.9f\n", N, N, reps, c[0]);
    free(a);
    free(b);
    free(c);
    return bench_done("matmul", sum);
}
