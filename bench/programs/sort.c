/* Sorting 2^18 random 32-bit integers three ways: quicksort (median of
   three, insertion sort below 16), bottom-up merge sort and heapsort; the
   results must agree and be ordered. SCALE rounds with fresh data.
   Checksum: a sample of each sorted array. */
#include "bench.h"

enum { N = 1 << 18 };

static void swap(uint32_t *a, uint32_t *b)
{
    uint32_t t = *a;
    *a = *b;
    *b = t;
}

static void insertion(uint32_t *a, int n)
{
    for (int i = 1; i < n; i++) {
        uint32_t v = a[i];
        int j = i;
        for (; j > 0 && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

static void quicksort(uint32_t *a, int n)
{
    while (n > 16) {
        int mid = n / 2;
        if (a[mid] < a[0])
            swap(&a[mid], &a[0]);
        if (a[n - 1] < a[0])
            swap(&a[n - 1], &a[0]);
        if (a[n - 1] < a[mid])
            swap(&a[n - 1], &a[mid]);
        uint32_t pivot = a[mid];
        int i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            swap(&a[i++], &a[j--]);
        }
        /* recurse into the smaller side, loop on the larger */
        if (j + 1 < n - j - 1) {
            quicksort(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            quicksort(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    insertion(a, n);
}

/* Sorts a using tmp; the result ends up in a. */
static void mergesort(uint32_t *a, uint32_t *tmp, int n)
{
    uint32_t *src = a, *dst = tmp;
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n;
            int hi = lo + 2 * width < n ? lo + 2 * width : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[i] <= src[j] ? src[i++] : src[j++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, sizeof(uint32_t) * n);
}

static void sift_down(uint32_t *a, int root, int n)
{
    for (int child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && a[child + 1] > a[child])
            child++;
        if (a[root] >= a[child])
            return;
        swap(&a[root], &a[child]);
    }
}

static void heapsort(uint32_t *a, int n)
{
    for (int i = n / 2 - 1; i >= 0; i--)
        sift_down(a, i, n);
    for (int end = n - 1; end > 0; end--) {
        swap(&a[0], &a[end]);
        sift_down(a, 0, end);
    }
}

int main(int argc, char **argv)
{
    int rounds = bench_scale(argc, argv, 24);
    uint32_t *q = xmalloc(sizeof(uint32_t) * N), *m = xmalloc(sizeof(uint32_t) * N);
    uint32_t *h = xmalloc(sizeof(uint32_t) * N), *tmp = xmalloc(sizeof(uint32_t) * N);
    struct rng r = {2024};
    uint64_t sum = MIX_INIT;
    for (int round = 0; round < rounds; round++) {
        uint32_t range = round % 2 ? 1000 : 0xffffffffu; /* many duplicates on odd rounds */
        for (int i = 0; i < N; i++)
            q[i] = m[i] = h[i] = rng_next(&r) % range;
        quicksort(q, N);
        mergesort(m, tmp, N);
        heapsort(h, N);
        for (int i = 0; i < N; i++)
            if (q[i] != m[i] || q[i] != h[i] || (i && q[i - 1] > q[i])) {
                printf("sort: results differ at %d FAILED\n", i);
                return 1;
            }
        for (int i = 0; i < N; i += 4099)
            sum = mix(sum, q[i]);
    }
    printf("sort x%d: 2^18 keys, median %u\n", rounds, q[N / 2]);
    free(q);
    free(m);
    free(h);
    free(tmp);
    return bench_done("sort", sum);
}
