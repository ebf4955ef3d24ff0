/* The optimizing backend's IR passes, one by one: each small module is
 * built without optimisations (opt_level 0), the pass under test runs on
 * its first function with the verifier after it, and the dump must show
 * the transformation; then the module runs through the whole pipeline and
 * its results are checked against the same computation in C, including
 * the cases a wrong transformation would get wrong (traps that must stay,
 * division guarded by a condition inside a loop). */
#include <inttypes.h>
#include <string.h>

#include "../../src/optimizing/optimizing.h"
#include "api_util.h"
#include "check.h"

typedef bool (*pass_fn)(struct opt_func *f, struct err *e);

/* The dump of the first function of a WAT module built and run through
 * the pipeline at opt_level `level`, then the given passes (malloc'd,
 * NUL-terminated), or NULL. */
static char *after_at(const char *text, int level, const pass_fn *passes, size_t n)
{
    size_t len = 0;
    uint8_t *bytes = wat(text, &len);
    struct module m;
    struct err e;
    err_clear(&e);
    if (!bytes || !dec_module(&m, bytes, len, &e)) {
        free(bytes);
        return NULL;
    }
    struct cc_options o = {.opt_level = level};
    struct opt_build *b = val_module_header(&m, &e) ? opt_build_new(&m, &o) : NULL;
    struct arena a = {0};
    struct opt_func f;
    bool ok = b && opt_pipeline_ir(b, m.nfunc_imports, &a, &f, &e);
    for (size_t i = 0; ok && i < n; i++) {
        ok = passes[i](&f, &e);
        opt_compact(&f); /* passes may leave stale list entries (opt_in_block) */
        ok = ok && opt_verify(&f, "test", &e);
    }
    struct buf out = {0};
    if (ok)
        opt_dump(&f, &out);
    buf_byte(&out, 0);
    if (!ok)
        printf("note: %s\n", e.msg);
    arena_free(&a);
    opt_build_free(b);
    dec_module_free(&m);
    free(bytes);
    if (!ok || out.oom) {
        buf_free(&out);
        return NULL;
    }
    return (char *)out.data;
}

/* The same, built without optimisations, for passes tested one by one. */
static char *after(const char *text, const pass_fn *passes, size_t n)
{
    return after_at(text, 0, passes, n);
}

static unsigned count(const char *s, const char *what)
{
    unsigned n = 0;
    for (const char *p = s; p && (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* True when `what` first appears in the dump before `where` does. */
static bool before(const char *s, const char *what, const char *where)
{
    const char *a = strstr(s, what), *b = strstr(s, where);
    return a && (!b || a < b);
}

static tri_engine *engine;
static tri_store *store;

/* Calls export "f" of a module (whole pipeline) with i32 arguments; the
 * i32 result, or the trap message in *trap (when not NULL). */
static int32_t run(const char *text, const int32_t *args, size_t n, const char **trap)
{
    static char msg[128];
    tri_module *m = wat_module(engine, text, NULL);
    tri_instance *inst = NULL;
    tri_val in[4], out = {0};
    for (size_t i = 0; i < n; i++)
        in[i] = tri_val_i32(args[i]);
    tri_error *r = m ? tri_instance_new(store, m, NULL, 0, &inst) : tri_trap_new("no module");
    tri_extern f = inst ? export_of(inst, "f") : (tri_extern){0};
    if (!r)
        r = tri_func_call(store, f.of.func, in, n, &out, 1);
    if (trap)
        *trap = NULL;
    if (r) {
        snprintf(msg, sizeof msg, "%s", tri_error_message(r));
        CHECK(trap, "unexpected error: %s", msg);
        if (trap)
            *trap = msg;
    }
    tri_error_delete(r);
    tri_module_delete(m);
    return out.of.i32;
}

static const pass_fn fold[] = {opt_pass_fold};

/* Constants fold, identities vanish, powers of two become shifts, a
 * division by a non-zero constant keeps no trap check, and the inverse of
 * a comparison replaces its eqz. */
static void test_fold(void)
{
    const char *text =
        "(module (func (export \"f\") (param i32 i32) (result i32)"
        "  (i32.add (i32.add (i32.mul (local.get 0) (i32.const 8)) (i32.const 0))"
        "   (i32.add (i32.div_u (local.get 0) (i32.const 16))"
        "    (i32.add (i32.rem_u (local.get 1) (i32.const 4))"
        "     (i32.add (i32.eqz (i32.lt_s (local.get 0) (local.get 1)))"
        "      (i32.add (i32.const 2) (i32.const 3))))))))";
    char *d = after(text, fold, 1);
    CHECK(d, "fold failed");
    CHECK(count(d, "= mul") == 0 && count(d, "= shl") == 1, "mul by 8:\n%s", d);
    CHECK(count(d, "= div_u") == 0 && count(d, "= shr_u") == 1, "div_u by 16:\n%s", d);
    CHECK(count(d, "= rem_u") == 0 && count(d, "= and") == 1, "rem_u by 4:\n%s", d);
    CHECK(count(d, "trap_if") == 0, "checks of constant divisors:\n%s", d);
    CHECK(count(d, "icmp.ge_s") == 1 && count(d, "icmp.eq") == 0, "eqz of lt_s:\n%s", d);
    CHECK(count(d, "iconst.i32 5\n") == 1 && count(d, "= add") == 4, "2 + 3, x + 0:\n%s", d);
    free(d);
    static const int32_t xs[][2] = {{0, 0}, {7, 3}, {-9, 5}, {INT32_MIN, -1}, {123456, -77}};
    for (size_t i = 0; i < ARRAY_LEN(xs); i++) {
        uint32_t x = (uint32_t)xs[i][0], y = (uint32_t)xs[i][1];
        uint32_t want = x * 8 + x / 16 + y % 4 + !(xs[i][0] < xs[i][1]) + 5;
        CHECK((uint32_t)run(text, xs[i], 2, NULL) == want, "fold result for %d %d", xs[i][0],
              xs[i][1]);
    }
}

/* A signed division by -1 keeps its overflow check; by zero it traps. */
static void test_fold_traps(void)
{
    const char *text = "(module (func (export \"f\") (param i32 i32) (result i32)"
                       "  (i32.add (i32.div_s (local.get 0) (i32.const -1))"
                       "           (i32.div_u (local.get 1) (i32.const 0)))))";
    char *d = after(text, fold, 1);
    CHECK(d && count(d, "trap_if.int_overflow") == 1 && count(d, "trap_if.div_zero") == 1,
          "checks that must stay:\n%s", d ? d : "");
    free(d);
    const char *trap;
    run(text, (int32_t[]){INT32_MIN, 1}, 2, &trap);
    CHECK(trap && strstr(trap, "overflow"), "INT_MIN / -1: %s", trap ? trap : "no trap");
    run(text, (int32_t[]){5, 1}, 2, &trap);
    CHECK(trap && strstr(trap, "divide by zero"), "x / 0: %s", trap ? trap : "no trap");
}

/* An if on a constant loses its branch and the arm not taken; the
 * straight-line blocks left merge into one. */
static void test_branch(void)
{
    static const pass_fn passes[] = {opt_pass_fold, opt_pass_branch};
    const char *text = "(module (func (export \"f\") (param i32) (result i32)"
                       "  (if (result i32) (i32.eq (i32.const 3) (i32.const 3))"
                       "    (then (i32.add (local.get 0) (i32.const 10)))"
                       "    (else (i32.mul (local.get 0) (local.get 0))))))";
    char *d = after(text, passes, 2);
    CHECK(d && count(d, "brif") == 0 && count(d, "= mul") == 0, "constant if:\n%s", d);
    CHECK(d && count(d, "\nb") == 1, "one block left:\n%s", d);
    free(d);
    CHECK(run(text, (int32_t[]){5}, 1, NULL) == 15, "constant if result");
}

/* Equal computations where one dominates the other become one (operands
 * in either order for commutative ops); in two arms of an if they stay. */
static void test_gvn(void)
{
    static const pass_fn passes[] = {opt_pass_gvn};
    const char *text =
        "(module (func (export \"f\") (param i32 i32) (result i32) (local i32)"
        "  (local.set 2 (i32.add (i32.mul (local.get 0) (local.get 1))"
        "                        (i32.mul (local.get 1) (local.get 0))))"
        "  (if (local.get 0) (then (local.set 2 (i32.add (local.get 2)"
        "      (i32.mul (local.get 0) (local.get 1))))))"
        "  (if (result i32) (local.get 1)"
        "    (then (i32.sub (local.get 2) (i32.xor (local.get 0) (local.get 1))))"
        "    (else (i32.add (local.get 2) (i32.xor (local.get 0) (local.get 1)))))))";
    char *d = after(text, passes, 1);
    CHECK(d && count(d, "= mul") == 1, "one mul expected:\n%s", d ? d : "");
    CHECK(d && count(d, "= xor") == 2, "xor in both arms:\n%s", d ? d : "");
    free(d);
    static const int32_t xs[][2] = {{0, 0}, {3, 4}, {-5, 0}, {0, 9}, {1000, -3}};
    for (size_t i = 0; i < ARRAY_LEN(xs); i++) {
        uint32_t x = (uint32_t)xs[i][0], y = (uint32_t)xs[i][1], v = 2 * x * y;
        if (x)
            v += x * y;
        uint32_t want = y ? v - (x ^ y) : v + (x ^ y);
        CHECK((uint32_t)run(text, xs[i], 2, NULL) == want, "gvn result for %d %d", xs[i][0],
              xs[i][1]);
    }
}

/* Folding and numbering in one walk (as the pipeline runs them): the
 * constant a folded multiplication makes is the one a later shift uses,
 * so the two shifts are one; equal constants folded in two arms of an if
 * are one value in the entry block, and the phi joining them goes. */
static void test_fold_gvn(void)
{
    static const pass_fn passes[] = {opt_pass_fold_gvn};
    const char *text =
        "(module (func (export \"f\") (param i32 i32) (result i32)"
        "  (i32.add (i32.add (i32.mul (local.get 0) (i32.const 8))"
        "                    (i32.shl (local.get 0) (i32.const 3)))"
        "    (if (result i32) (local.get 1)"
        "      (then (i32.add (i32.const 2) (i32.const 3)))"
        "      (else (i32.const 5))))))";
    char *d = after(text, passes, 1);
    CHECK(d && count(d, "= mul") == 0 && count(d, "= shl") == 1, "one shift:\n%s", d ? d : "");
    CHECK(d && count(d, "iconst.i32 3\n") == 1 && count(d, "iconst.i32 5\n") == 1,
          "one of each constant:\n%s", d ? d : "");
    CHECK(d && count(d, "= phi") == 0 && before(d, "iconst.i32 5", "\nb1:"),
          "phi of equal constants kept:\n%s", d ? d : "");
    free(d);
    static const int32_t xs[][2] = {{0, 0}, {3, 1}, {-5, 0}, {1 << 29, 7}};
    for (size_t i = 0; i < ARRAY_LEN(xs); i++) {
        uint32_t want = (uint32_t)xs[i][0] * 16 + 5;
        CHECK((uint32_t)run(text, xs[i], 2, NULL) == want, "fold+gvn result for %d %d",
              xs[i][0], xs[i][1]);
    }
}

/* Appends `acc += x ^ k` for k in [from, to) to the WAT text at *p. */
static char *xor_sum(char *p, int from, int to)
{
    for (int k = from; k < to; k++)
        p += sprintf(p, "(local.set 1 (i32.add (local.get 1) (i32.xor (local.get 0) "
                        "(i32.const %d))))", k);
    return p;
}

/* A function large enough that GVN's table grows (past GROWN slots) while
 * an if's arm is in scope: equal values there are still found after the
 * table is made again, and leaving the arm forgets what it added, so a
 * second if cannot take the first one's values. */
static void test_gvn_grown(void)
{
    static const pass_fn passes[] = {opt_pass_gvn};
    enum { N = 4000, K = 5000, M = 100 };
    char *text = malloc(100 * (N + 3 * M) + 400), *p = text;
    if (!text)
        return;
    p += sprintf(p, "(module (func (export \"f\") (param i32) (result i32) (local i32)");
    p = xor_sum(p, 0, N);
    p += sprintf(p, "(if (i32.and (local.get 0) (i32.const 1)) (then ");
    p = xor_sum(xor_sum(p, K, K + M), K, K + M);
    p += sprintf(p, "))(if (i32.and (local.get 0) (i32.const 2)) (then ");
    p = xor_sum(p, K, K + M);
    sprintf(p, ")) (local.get 1)))");
    char *d = after(text, passes, 1);
    CHECK(d && count(d, "= xor") == N + 2 * M, "%u xors, want %d", count(d, "= xor"),
          N + 2 * M);
    free(d);
    for (int32_t x = 0; x < 4; x++) {
        uint32_t want = 0;
        for (int k = 0; k < N; k++)
            want += (uint32_t)(x ^ k);
        for (int k = K; k < K + M; k++)
            want += (uint32_t)(x ^ k) * ((x & 1) * 2 + (x >> 1 & 1));
        CHECK((uint32_t)run(text, &x, 1, NULL) == want, "grown gvn result for %d", x);
    }
    free(text);
}

/* A "pass" that checks opt_dominators against dominator sets worked out
 * the slow way (at most 64 blocks, as bit sets): each immediate dominator
 * is the strict dominator with the most dominators of its own. */
static bool check_dominators(struct opt_func *f, struct err *e)
{
    (void)e;
    uint32_t nb = f->nblock, idom[64];
    uint64_t dom[64], reach = 1;
    CHECK(nb <= 64, "test CFG too large: %u blocks", nb);
    if (nb > 64 || !opt_dominators(f, idom))
        return nb <= 64;
    for (bool more = true; more;) { /* reachable: some live pred reachable */
        more = false;
        for (uint32_t b = 1; b < nb; b++)
            for (uint32_t i = 0; !(reach >> b & 1) && i < f->block[b].npred; i++)
                if (reach >> f->block[b].pred[i] & 1)
                    reach |= (uint64_t)1 << b, more = true;
    }
    for (uint32_t b = 0; b < nb; b++)
        dom[b] = b ? ~(uint64_t)0 : 1;
    for (bool more = true; more;) {
        more = false;
        for (uint32_t b = 1; b < nb; b++) {
            uint64_t d = ~(uint64_t)0;
            for (uint32_t i = 0; i < f->block[b].npred; i++)
                if (reach >> f->block[b].pred[i] & 1)
                    d &= dom[f->block[b].pred[i]];
            d |= (uint64_t)1 << b;
            if ((reach >> b & 1) && d != dom[b])
                dom[b] = d, more = true;
        }
    }
    for (uint32_t b = 1; b < nb; b++) {
        uint32_t want = UINT32_MAX;
        int most = -1; /* dominators of the deepest strict dominator so far */
        for (uint32_t d = 0; (reach >> b & 1) && d < nb; d++)
            if (d != b && (dom[b] >> d & 1) && __builtin_popcountll(dom[d]) > most)
                want = d, most = __builtin_popcountll(dom[d]);
        CHECK(idom[b] == want, "idom of b%u: %u, want %u", b, idom[b], want);
    }
    return true;
}

/* A loop with two exits, an if and a br_table joining three ways. */
static const char mixed_cfg[] =
    "(module (func (export \"f\") (param i32) (result i32) (local i32)"
    "  (block (loop (block (br_if 1 (local.get 0)) (br_if 0 (i32.eqz (local.get 0)))"
    "    (local.set 1 (i32.const 1)))"
    "    (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))"
    "  (if (local.get 1) (then (local.set 0 (i32.const 3)))"
    "    (else (block (block (br_table 0 1 0 (local.get 0))) (local.set 0 (i32.const 4)))))"
    "  (local.get 0)))";

/* Dominators of CFGs with loops, joins of many edges, single-predecessor
 * chains and a br_table (checked against the slow way). */
static void test_dominators(void)
{
    static const pass_fn passes[] = {check_dominators};
    static const char *const texts[] = {
        mixed_cfg,
        "(module (func (export \"f\") (param i32) (result i32)"
        "  (block (block (block (loop (br_if 1 (local.get 0)) (br_if 2 (local.get 0))"
        "    (br_if 3 (local.get 0)) (br_if 0 (local.get 0)))"
        "    (loop (br_if 0 (i32.eqz (local.get 0)))) (br 1))"
        "    (if (local.get 0) (then (br 1)))) (local.set 0 (i32.const 7)))"
        "  (local.get 0)))",
    };
    for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
        char *d = after(texts[i], passes, 1);
        CHECK(d != NULL, "dominators of module %zu", i);
        free(d);
    }
}

/* A "pass" that checks the layout the pipeline made against a search of
 * the final CFG (opt_pass_order's): the same, although
 * opt_pass_split_order made it without one. */
static bool check_layout(struct opt_func *f, struct err *e)
{
    uint32_t n = f->norder, *order = f->order;
    if (!opt_pass_order(f, e))
        return false;
    CHECK(n == f->norder && !memcmp(order, f->order, n * sizeof *order),
          "layout differs from a search's (%u blocks, %u now)", n, f->norder);
    return true;
}

/* Splitting critical edges (forward ones, back edges of loops, br_table
 * targets) and the layout from the dominator tree's search. */
static void test_split_order(void)
{
    static const pass_fn passes[] = {check_layout};
    static const char *const texts[] = {
        mixed_cfg,
        "(module (func (export \"f\") (param i32) (result i32) (local i32)"
        "  (loop (loop (local.set 1 (i32.add (local.get 1) (local.get 0)))"
        "    (br_if 0 (i32.and (local.get 1) (i32.const 1)))"
        "    (br_if 1 (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))"
        "  (local.get 1)))",
        "(module (func (export \"f\") (param i32) (result i32) (local i32)"
        "  (block $x (loop $a (local.set 1 (i32.add (local.get 1) (i32.const 1)))"
        "    (loop $b (local.set 0 (i32.sub (local.get 0) (i32.const 1)))"
        "      (br_table $a $b $x (i32.and (local.get 0) (i32.const 3))))))"
        "  (local.get 1)))",
    };
    for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
        char *d = after_at(texts[i], 1, passes, 1);
        CHECK(d && count(d, "jmp") >= 2, "layout of module %zu:\n%s", i, d ? d : "");
        free(d);
    }
    CHECK(run(texts[1], (int32_t[]){4}, 1, NULL) == 14, "nested loops");
    CHECK(run(texts[2], (int32_t[]){10}, 1, NULL) == 2, "br_table to two loops");
}

/* The second division by the same divisor needs no zero check (GVN
 * numbers trap checks). */
static void test_traps(void)
{
    static const pass_fn passes[] = {opt_pass_gvn};
    const char *text = "(module (func (export \"f\") (param i32 i32) (result i32)"
                       "  (i32.add (i32.div_u (local.get 0) (local.get 1))"
                       "           (i32.rem_u (local.get 0) (local.get 1)))))";
    char *d = after(text, passes, ARRAY_LEN(passes));
    CHECK(d && count(d, "trap_if.div_zero") == 1, "one zero check expected:\n%s", d ? d : "");
    free(d);
    CHECK(run(text, (int32_t[]){17, 5}, 2, NULL) == 5, "17 / 5 + 17 %% 5");
    const char *trap;
    run(text, (int32_t[]){17, 0}, 2, &trap);
    CHECK(trap && strstr(trap, "divide by zero"), "x / 0: %s", trap ? trap : "no trap");
}

/* The invariant multiplication leaves the loop, and so does the invariant
 * xor with the constant it uses (licm runs before fold has moved the
 * constants to the entry); the division it guards and the heap load stay
 * inside (with y = 0 the loop must not trap). */
static void test_licm(void)
{
    static const pass_fn passes[] = {opt_pass_licm};
    const char *text =
        "(module (memory 1) (func (export \"f\") (param $x i32) (param $y i32) (result i32)"
        "  (local $i i32) (local $s i32)"
        "  (loop $l"
        "    (local.set $s (i32.add (local.get $s) (i32.mul (local.get $x) (local.get $y))))"
        "    (local.set $s (i32.sub (local.get $s) (i32.xor (local.get $x) (i32.const 12345))))"
        "    (if (local.get $y) (then (local.set $s (i32.add (local.get $s)"
        "        (i32.add (i32.div_u (local.get $x) (local.get $y))"
        "                 (i32.load (local.get $x)))))))"
        "    (local.set $i (i32.add (local.get $i) (i32.const 1)))"
        "    (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))"
        "  (local.get $s)))";
    char *d = after(text, passes, ARRAY_LEN(passes));
    CHECK(d && before(d, "= mul", "\nb1:"), "mul not hoisted:\n%s", d ? d : "");
    CHECK(d && before(d, "iconst.i32 12345", "\nb1:") && before(d, "= xor", "\nb1:"),
          "xor with a constant not hoisted:\n%s", d ? d : "");
    CHECK(d && !before(d, "= div_u", "\nb1:") && !before(d, "= load.i32.heap", "\nb1:") &&
              !before(d, "trap_if", "\nb1:"),
          "trapping code hoisted:\n%s", d ? d : "");
    free(d);
    CHECK(run(text, (int32_t[]){6, 0}, 2, NULL) == -10 * (6 ^ 12345), "y = 0: no trap");
    CHECK(run(text, (int32_t[]){6, 3}, 2, NULL) == 10 * (18 + 2 - (6 ^ 12345)), "x = 6, y = 3");
    const char *trap;
    run(text, (int32_t[]){70000, 1}, 2, &trap);
    CHECK(trap && strstr(trap, "out of bounds"), "load out of bounds: %s",
          trap ? trap : "no trap");
}

/* A loop whose one back edge is a jump (the search of the dominator
 * tree finds it through a block of one successor) is found too. */
static void test_licm_jump(void)
{
    static const pass_fn passes[] = {opt_pass_licm};
    const char *text =
        "(module (func (export \"f\") (param $x i32) (param $y i32) (result i32)"
        "  (local $i i32) (local $s i32)"
        "  (block $e (loop $l"
        "    (br_if $e (i32.ge_u (local.get $i) (i32.const 10)))"
        "    (local.set $s (i32.add (local.get $s) (i32.mul (local.get $x) (local.get $y))))"
        "    (local.set $i (i32.add (local.get $i) (i32.const 1)))"
        "    (br $l)))"
        "  (local.get $s)))";
    char *d = after(text, passes, ARRAY_LEN(passes));
    CHECK(d && before(d, "= mul", "\nb1:"), "mul not hoisted:\n%s", d ? d : "");
    free(d);
    CHECK(run(text, (int32_t[]){6, 7}, 2, NULL) == 420, "10 * x * y");
}

/* A loop variable nothing reads (a phi and its increment) goes. */
static void test_dce(void)
{
    static const pass_fn passes[] = {opt_pass_dce};
    const char *text = "(module (func (export \"f\") (param i32) (result i32) (local i32 i32)"
                       "  (loop $l"
                       "    (local.set 2 (i32.add (local.get 2) (i32.const 7)))"
                       "    (local.set 1 (i32.add (local.get 1) (i32.const 1)))"
                       "    (br_if $l (i32.lt_u (local.get 1) (local.get 0))))"
                       "  (local.get 1)))";
    char *d = after(text, passes, 1);
    CHECK(d && count(d, "= phi") == 1 && count(d, "iconst.i32 7") == 0, "dead counter kept:\n%s",
          d ? d : "");
    free(d);
    CHECK(run(text, (int32_t[]){5}, 1, NULL) == 5, "loop count");
}

int main(void)
{
    setenv("TRIDENT_OPT_CHECK", "1", 1);
    if (!engine_store_new("optimizing", &engine, &store))
        return 1;
    test_fold();
    test_fold_traps();
    test_branch();
    test_gvn();
    test_fold_gvn();
    test_gvn_grown();
    test_dominators();
    test_split_order();
    test_traps();
    test_licm();
    test_licm_jump();
    test_dce();
    tri_store_delete(store);
    tri_engine_delete(engine);
    return test_done("opt_pass");
}
