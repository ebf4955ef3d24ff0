/* Spectral norm of the infinite matrix A(i,j) = 1/((i+j)(i+j+1)/2+i+1),
   truncated to N = 100 * SCALE, by 10 power iterations of A^T A.
   Checksum: the bits of the norm. */
#include <math.h>

#include "bench.h"

static double a(int i, int j)
{
    return 1.0 / ((double)(i + j) * (i + j + 1) / 2 + i + 1);
}

static void times(const double *v, double *out, int n, int transpose)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < n; j++)
            s += (transpose ? a(j, i) : a(i, j)) * v[j];
        out[i] = s;
    }
}

/* out = A^T A v, through tmp. */
static void times_ata(const double *v, double *out, double *tmp, int n)
{
    times(v, tmp, n, 0);
    times(tmp, out, n, 1);
}

int main(int argc, char **argv)
{
    int n = bench_scale(argc, argv, 50) * 100;
    double *u = xmalloc(sizeof(double) * n);
    double *v = xmalloc(sizeof(double) * n);
    double *tmp = xmalloc(sizeof(double) * n);
    for (int i = 0; i < n; i++)
        u[i] = 1;
    for (int i = 0; i < 10; i++) {
        times_ata(u, v, tmp, n);
        times_ata(v, u, tmp, n);
    }
    double vbv = 0, vv = 0;
    for (int i = 0; i < n; i++) {
        vbv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    double norm = sqrt(vbv / vv);
    printf("spectral n=%d: %.9f\n", n, norm);
    free(u);
    free(v);
    free(tmp);
    return bench_done("spectral", mix(MIX_INIT, dbits(norm)));
}
