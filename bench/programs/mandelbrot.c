/* Mandelbrot set on a (64*SCALE)^2 grid over [-1.5,0.5]x[-1,1], at most 50
   iterations per point, one bit per pixel packed eight to a byte.
   Checksum: FNV over the packed bitmap. */
#include "bench.h"

static int inside(double cr, double ci)
{
    double zr = 0, zi = 0;
    for (int i = 0; i < 50; i++) {
        double zr2 = zr * zr, zi2 = zi * zi;
        if (zr2 + zi2 > 4.0)
            return 0;
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
    }
    return 1;
}

int main(int argc, char **argv)
{
    int n = bench_scale(argc, argv, 74) * 64;
    uint64_t sum = MIX_INIT;
    uint32_t count = 0;
    for (int y = 0; y < n; y++) {
        double ci = 2.0 * y / n - 1.0;
        unsigned byte = 0;
        for (int x = 0; x < n; x++) {
            int in = inside(2.0 * x / n - 1.5, ci);
            count += in;
            byte = (byte << 1) | in;
            if ((x & 7) == 7) {
                sum = mix(sum, byte);
                byte = 0;
            }
        }
    }
    printf("mandelbrot %dx%d: %u points inside\n", n, n, count);
    return bench_done("mandelbrot", sum);
}
