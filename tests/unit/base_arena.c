/* The arena: allocations are 16-aligned and do not overlap (inline bump
 * allocation and the blocks behind it), size 0 still gives memory, sizes
 * that cannot be met give NULL, arena_alloc zeroes, and a reset arena
 * hands out its kept memory again. */
#include <stdint.h>
#include <string.h>

#include "base/base.h"
#include "check.h"

enum { N = 4000 };

/* Allocates many pieces of mixed sizes (tiny, 0, larger than a block),
 * fills each with its own byte and checks none was overwritten. */
static void mixed(struct arena *a)
{
    static unsigned char *p[N];
    static size_t len[N];
    for (int i = 0; i < N; i++) {
        len[i] = i % 97 == 0 ? 70000 + (size_t)i : i % 13 == 0 ? 0 : (size_t)(i * 7) % 300 + 1;
        p[i] = arena_alloc_raw(a, len[i]);
        CHECK(p[i] != NULL, "piece %d of %zu bytes", i, len[i]);
        if (!p[i])
            return;
        CHECK((uintptr_t)p[i] % 16 == 0, "piece %d not aligned", i);
        memset(p[i], i & 0xff, len[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < len[i]; k++)
            if (p[i][k] != (i & 0xff)) {
                CHECK(0, "piece %d byte %zu overwritten", i, k);
                break;
            }
}

int main(void)
{
    struct arena a = {0};
    mixed(&a);
    size_t before = a.total;
    CHECK(before > 0, "nothing counted");
    CHECK(arena_alloc_raw(&a, SIZE_MAX) == NULL, "SIZE_MAX bytes");
    CHECK(arena_alloc_raw(&a, SIZE_MAX - 8) == NULL, "SIZE_MAX - 8 bytes");
    CHECK(arena_array_raw(&a, SIZE_MAX / 2, 4) == NULL, "overflowing array");
    CHECK(a.total == before, "failed allocations counted");
    unsigned char *z = arena_alloc_raw(&a, 64);
    if (z)
        memset(z, 0xab, 64);
    arena_reset(&a);
    CHECK(a.total == 0, "reset keeps a count");
    mixed(&a); /* from the kept block, then fresh ones */
    uint32_t *zero = arena_array(&a, 1000, sizeof *zero);
    CHECK(zero != NULL, "zeroed array");
    for (int i = 0; zero && i < 1000; i++)
        if (zero[i]) {
            CHECK(0, "arena_array element %d not zero", i);
            break;
        }
    arena_free(&a);
    CHECK(a.head == NULL && a.total == 0, "free leaves blocks");
    CHECK(arena_alloc_raw(&a, 0) != NULL, "an arena is usable after free");
    arena_free(&a);
    return test_done("base_arena");
}
