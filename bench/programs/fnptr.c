/* Calls through function pointers: an expression tree whose nodes carry
   their evaluation function (virtual dispatch), evaluated for many inputs;
   a table of small operations indexed by data; and a merge sort that
   compares through a comparator pointer. SCALE rounds.
   Checksum: the evaluations, the table results and the sorted order. */
#include "bench.h"

struct expr;
typedef int64_t (*eval_fn)(const struct expr *, int64_t x);

struct expr {
    eval_fn eval;
    const struct expr *a, *b;
    int64_t k;
};

static int64_t ev_const(const struct expr *e, int64_t x) { (void)x; return e->k; }
static int64_t ev_var(const struct expr *e, int64_t x) { (void)e; return x; }
static int64_t ev_add(const struct expr *e, int64_t x) { return e->a->eval(e->a, x) + e->b->eval(e->b, x); }
static int64_t ev_sub(const struct expr *e, int64_t x) { return e->a->eval(e->a, x) - e->b->eval(e->b, x); }
static int64_t ev_mul(const struct expr *e, int64_t x) { return (e->a->eval(e->a, x) * e->b->eval(e->b, x)) % 1000003; }
static int64_t ev_max(const struct expr *e, int64_t x)
{
    int64_t l = e->a->eval(e->a, x), r = e->b->eval(e->b, x);
    return l > r ? l : r;
}

enum { TREE_NODES = 1023 };

/* A complete tree: leaves are constants or x, inner nodes random operators. */
static void build(struct expr *nodes, struct rng *r)
{
    static const eval_fn inner[] = {ev_add, ev_sub, ev_mul, ev_max};
    for (int i = TREE_NODES - 1; i >= 0; i--) {
        struct expr *e = &nodes[i];
        if (2 * i + 2 < TREE_NODES) {
            e->eval = inner[rng_next(r) % 4];
            e->a = &nodes[2 * i + 1];
            e->b = &nodes[2 * i + 2];
        } else {
            e->eval = rng_next(r) % 3 ? ev_const : ev_var;
            e->k = rng_next(r) % 100;
        }
    }
}

typedef uint32_t (*op_fn)(uint32_t, uint32_t);
static uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ b; }
static uint32_t op_rot(uint32_t a, uint32_t b) { return a << (b & 31) | a >> ((32 - (b & 31)) & 31); }
static uint32_t op_addmul(uint32_t a, uint32_t b) { return a * 33 + b; }
static uint32_t op_min(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t op_div(uint32_t a, uint32_t b) { return a / (b | 1); }
static uint32_t op_mix(uint32_t a, uint32_t b) { return (a ^ b) * 0x9e3779b1u; }
static uint32_t op_sub(uint32_t a, uint32_t b) { return a - b; }
static uint32_t op_or(uint32_t a, uint32_t b) { return (a | b) >> 1; }

static const op_fn ops[8] = {op_xor, op_rot, op_addmul, op_min, op_div, op_mix, op_sub, op_or};

static uint32_t run_ops(struct rng *r, int n)
{
    uint32_t acc = 1;
    for (int i = 0; i < n; i++) {
        uint32_t v = rng_next(r);
        acc = ops[(v ^ acc) & 7](acc, v);
    }
    return acc;
}

struct item {
    uint32_t key, id;
};
typedef int (*cmp_fn)(const struct item *, const struct item *);

static int by_key(const struct item *a, const struct item *b) { return (a->key > b->key) - (a->key < b->key); }
static int by_key_desc(const struct item *a, const struct item *b) { return by_key(b, a); }

/* Stable top-down merge sort through cmp. */
static void msort(struct item *a, struct item *tmp, int n, cmp_fn cmp)
{
    if (n < 2)
        return;
    int h = n / 2;
    msort(a, tmp, h, cmp);
    msort(a + h, tmp, n - h, cmp);
    int i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp(&a[j], &a[i]) < 0 ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    memcpy(a, tmp, sizeof *a * (size_t)k);
}

static uint64_t one_round(struct rng *r, struct expr *tree, struct item *items, struct item *tmp)
{
    enum { ITEMS = 1 << 15 };
    build(tree, r);
    uint64_t sum = MIX_INIT;
    for (int64_t x = 0; x < 300; x++)
        sum = mix(sum, (uint64_t)tree[0].eval(&tree[0], x));
    sum = mix(sum, run_ops(r, 1 << 18));
    for (int i = 0; i < ITEMS; i++)
        items[i] = (struct item){rng_next(r) % 5000, (uint32_t)i};
    msort(items, tmp, ITEMS, rng_next(r) & 1 ? by_key : by_key_desc);
    for (int i = 0; i < ITEMS; i += 61)
        sum = mix(sum, (uint64_t)items[i].key << 32 | items[i].id);
    return sum;
}

int main(int argc, char **argv)
{
    int rounds = bench_scale(argc, argv, 200);
    struct expr *tree = xmalloc(sizeof(struct expr) * TREE_NODES);
    struct item *items = xmalloc(sizeof(struct item) << 15), *tmp = xmalloc(sizeof(struct item) << 15);
    struct rng r = {5};
    uint64_t sum = MIX_INIT;
    for (int i = 0; i < rounds; i++)
        sum = mix(sum, one_round(&r, tree, items, tmp));
    printf("fnptr x%d rounds\n", rounds);
    free(tree);
    free(items);
    free(tmp);
    return bench_done("fnptr", sum);
}
