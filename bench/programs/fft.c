/* Iterative radix-2 complex FFT of 2^16 points: forward, then inverse, SCALE
   times over the same buffer (so rounding error accumulates the same way on
   every target). Twiddles come from our own sine series rather than libm,
   whose last bit differs between glibc and wasi-libc.
   Checksum: the bits of a sample of the result. */
#include "bench.h"

enum { LOG2N = 16, N = 1 << LOG2N };

#define PI 3.141592653589793

/* sin(x) for x in [-pi, pi] by its Taylor series, to double precision. */
static double series_sin(double x)
{
    double term = x, s = x, x2 = x * x;
    for (int k = 1; k < 14; k++) {
        term *= -x2 / ((2 * k) * (2 * k + 1));
        s += term;
    }
    return s;
}

static void bit_reverse(double *re, double *im)
{
    for (uint32_t i = 0, j = 0; i < N; i++) {
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
        uint32_t bit = N >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j |= bit;
    }
}

/* In-place transform; sign -1 forward, +1 inverse (unscaled). */
static void fft(double *re, double *im, const double *wre, const double *wim, int sign)
{
    bit_reverse(re, im);
    for (int len = 2; len <= N; len <<= 1) {
        int half = len >> 1, step = N / len;
        for (int start = 0; start < N; start += len)
            for (int k = 0; k < half; k++) {
                double cr = wre[k * step], ci = sign * wim[k * step];
                int a = start + k, b = a + half;
                double tr = re[b] * cr - im[b] * ci;
                double ti = re[b] * ci + im[b] * cr;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
    }
}

int main(int argc, char **argv)
{
    int reps = bench_scale(argc, argv, 350);
    double *re = xmalloc(sizeof(double) * N), *im = xmalloc(sizeof(double) * N);
    double *wre = xmalloc(sizeof(double) * N / 2), *wim = xmalloc(sizeof(double) * N / 2);
    for (int k = 0; k < N / 2; k++) {
        double angle = 2 * PI * k / N; /* in [0, pi) */
        wim[k] = series_sin(angle);
        wre[k] = series_sin(PI / 2 - angle); /* cos, argument in (-pi/2, pi/2] */
    }
    struct rng r = {7};
    for (int i = 0; i < N; i++) {
        re[i] = rng_double(&r) - 0.5;
        im[i] = 0;
    }
    for (int rep = 0; rep < reps; rep++) {
        fft(re, im, wre, wim, -1);
        fft(re, im, wre, wim, 1);
        for (int i = 0; i < N; i++) {
            re[i] *= 1.0 / N;
            im[i] *= 1.0 / N;
        }
    }
    uint64_t sum = MIX_INIT;
    for (int i = 0; i < N; i += 97)
        sum = mix(mix(sum, dbits(re[i])), dbits(im[i]));
    printf("fft 2^%d x%d: re[1]=%.12f\n", LOG2N, reps, re[1]);
    free(re);
    free(im);
    free(wre);
    free(wim);
    return bench_done("fft", sum);
}
