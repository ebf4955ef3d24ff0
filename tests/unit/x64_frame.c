/* x64_load_frame / x64_store_frame must give the bytes of x64_mov_rm /
 * x64_mov_mr on x64_mem_base(X64_RBP, disp) for every register, size and
 * displacement class, appended one after another. */
#include <string.h>

#include "check.h"
#include "x64/x64.h"

static const int32_t disps[] = {0, 1, -8, 127, -128, 128, -129, 4096, -70000, INT32_MIN};

int main(void)
{
    struct x64_asm a, b;
    x64_init(&a);
    x64_init(&b);
    for (int size = 4; size <= 8; size += 4)
        for (int reg = 0; reg < 16; reg++)
            for (unsigned i = 0; i < sizeof disps / sizeof *disps; i++) {
                struct x64_mem m = x64_mem_base(X64_RBP, disps[i]);
                x64_load_frame(&a, size, reg, disps[i]);
                x64_mov_rm(&b, size, reg, m);
                x64_store_frame(&a, size, disps[i], reg);
                x64_mov_mr(&b, size, m, reg);
                CHECK(a.code.len == b.code.len &&
                          !memcmp(a.code.data, b.code.data, a.code.len),
                      "size %d reg %d disp %d: %zu bytes, want %zu", size, reg, disps[i],
                      a.code.len, b.code.len);
            }
    x64_free(&a);
    x64_free(&b);
    return test_done("x64_frame");
}
