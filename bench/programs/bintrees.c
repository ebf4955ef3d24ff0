/* Allocation-heavy binary trees: for each depth d from 4 to 16 in steps of
   2, build and walk 2^(20-d) complete trees of depth d with malloc, freeing
   each, while one long-lived tree stays allocated. SCALE rounds.
   Checksum: the node counts. */
#include "bench.h"

struct node {
    struct node *left, *right;
};

static struct node *build(int depth)
{
    struct node *n = xmalloc(sizeof *n);
    if (depth > 0) {
        n->left = build(depth - 1);
        n->right = build(depth - 1);
    } else {
        n->left = n->right = NULL;
    }
    return n;
}

static uint32_t count(const struct node *n)
{
    return n->left ? 1 + count(n->left) + count(n->right) : 1;
}

static void destroy(struct node *n)
{
    if (n->left) {
        destroy(n->left);
        destroy(n->right);
    }
    free(n);
}

int main(int argc, char **argv)
{
    int rounds = bench_scale(argc, argv, 8);
    struct node *lasting = build(18);
    uint64_t sum = mix(MIX_INIT, count(lasting));
    for (int round = 0; round < rounds; round++)
        for (int d = 4; d <= 16; d += 2) {
            uint32_t total = 0;
            for (int i = 0; i < 1 << (20 - d); i++) {
                struct node *t = build(d);
                total += count(t);
                destroy(t);
            }
            sum = mix(sum, total);
        }
    printf("bintrees x%d: lasting tree has %u nodes\n", rounds, count(lasting));
    destroy(lasting);
    return bench_done("bintrees", sum);
}
