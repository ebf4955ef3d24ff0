/* Singlepass tight loops (src/singlepass/tight.c): locals a straight loop
 * body sets stay in registers without stores until the loop ends. Checked
 * against C: results read after the loop (the write-back), more locals set
 * than registers (spills of stale registers), floats, shifts and divisions
 * claiming fixed registers, local.tee with references still on the stack,
 * two branches back, and loops that are not tight around them; a call
 * after each loop makes the results come from the home slots. */
#include "singlepass_util.h"

static const char *tight_wat =
    "(module"
    /* sum and count, both read after the loop */
    " (func (export \"sum\") (param $n i32) (result i64) (local $i i32) (local $s i64)"
    "  (local.set $i (i32.const 0)) (local.set $s (i64.const 0))"
    "  (loop $l"
    "   (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (local.get $i))))"
    "   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
    "   (br_if $l (i32.lt_u (local.get $i) (local.get $n))))"
    "  (drop (call $id (i32.const 0)))" /* the locals' registers go: homes are read */
    "  (i64.add (local.get $s) (i64.mul (i64.extend_i32_u (local.get $i)) (i64.const 1000000))))"
    /* 16 i64 locals rotated each round: more than the registers */
    " (func (export \"rotate\") (param $n i32) (result i64)"
    "  (local $a i64) (local $b i64) (local $c i64) (local $d i64) (local $e i64) (local $f i64)"
    "  (local $g i64) (local $h i64) (local $j i64) (local $k i64) (local $m i64) (local $o i64)"
    "  (local $p i64) (local $q i64) (local $r i64) (local $t i64)"
    "  (local.set $a (i64.const 1)) (local.set $b (i64.const 2)) (local.set $c (i64.const 3))"
    "  (local.set $d (i64.const 4)) (local.set $e (i64.const 5)) (local.set $f (i64.const 6))"
    "  (local.set $g (i64.const 7)) (local.set $h (i64.const 8)) (local.set $j (i64.const 9))"
    "  (local.set $k (i64.const 10)) (local.set $m (i64.const 11)) (local.set $o (i64.const 12))"
    "  (local.set $p (i64.const 13)) (local.set $q (i64.const 14)) (local.set $r (i64.const 15))"
    "  (local.set $t (i64.const 16))"
    "  (loop $l"
    "   (local.set $t (i64.add (local.get $t) (i64.mul (local.get $a) (local.get $r))))"
    "   (local.set $a (local.get $b)) (local.set $b (local.get $c)) (local.set $c (local.get $d))"
    "   (local.set $d (local.get $e)) (local.set $e (local.get $f)) (local.set $f (local.get $g))"
    "   (local.set $g (local.get $h)) (local.set $h (local.get $j)) (local.set $j (local.get $k))"
    "   (local.set $k (local.get $m)) (local.set $m (local.get $o)) (local.set $o (local.get $p))"
    "   (local.set $p (local.get $q)) (local.set $q (local.get $r))"
    "   (local.set $r (i64.xor (local.get $t) (i64.const 0x55)))"
    "   (local.tee $n (i32.sub (local.get $n) (i32.const 1)))"
    "   (br_if $l))"
    "  (drop (call $id (i32.const 0)))"
    "  (i64.add (i64.add (local.get $a) (i64.mul (local.get $h) (i64.const 3)))"
    "   (i64.add (local.get $t) (i64.mul (local.get $r) (i64.const 7)))))"
    /* floats */
    " (func (export \"poly\") (param $n i32) (result f64) (local $x f64) (local $y f64)"
    "  (local.set $x (f64.const 1))"
    "  (loop $l"
    "   (local.set $y (f64.add (f64.mul (local.get $y) (f64.const 0.5)) (local.get $x)))"
    "   (local.set $x (f64.add (local.get $x) (f64.const 1)))"
    "   (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))"
    "  (drop (call $id (i32.const 0)))"
    "  (f64.add (local.get $y) (f64.mul (local.get $x) (f64.const 1000))))"
    /* shifts and divisions claim rcx, rax and rdx from the locals */
    " (func (export \"claims\") (param $n i32) (result i32) (local $a i32) (local $b i32) (local $c i32)"
    "  (local.set $a (i32.const 7)) (local.set $b (i32.const 1000003)) (local.set $c (i32.const 3))"
    "  (loop $l"
    "   (local.set $a (i32.add (local.get $a) (i32.div_u (local.get $b) (local.get $c))))"
    "   (local.set $b (i32.add (i32.rem_u (local.get $b) (i32.const 977)) (i32.shl (local.get $a) (local.get $c))))"
    "   (local.set $c (i32.add (i32.and (local.get $a) (i32.const 7)) (i32.const 1)))"
    "   (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))"
    "  (drop (call $id (i32.const 0)))"
    "  (i32.add (local.get $a) (i32.xor (local.get $b) (local.get $c))))"
    /* x still on the stack when x is set; two branches back */
    " (func (export \"refs\") (param $n i32) (result i32) (local $x i32) (local $y i32)"
    "  (local.set $x (i32.const 1))"
    "  (loop $l"
    "   (local.get $x)"
    "   (local.set $x (i32.add (local.get $x) (i32.const 3)))"
    "   (local.set $y (i32.add (local.get $y)))"
    "   (local.tee $n (i32.sub (local.get $n) (i32.const 1)))"
    "   (br_if $l (i32.and (i32.const 1)))"
    "   (local.set $x (i32.mul (local.get $x) (i32.const 2)))"
    "   (br_if $l (local.get $n)))"
    "  (drop (call $id (i32.const 0)))"
    "  (i32.add (i32.mul (local.get $x) (i32.const 100000)) (local.get $y)))"
    " (func $id (param i32) (result i32) (local.get 0))"
    /* an inner tight loop in an outer one that is not tight */
    " (func (export \"nest\") (param $n i32) (result i32) (local $i i32) (local $s i32) (local $j i32)"
    "  (loop $outer"
    "   (local.set $j (i32.const 0))"
    "   (loop $inner"
    "    (local.set $s (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $j))))"
    "    (local.set $j (i32.add (local.get $j) (i32.const 1)))"
    "    (br_if $inner (i32.lt_u (local.get $j) (i32.const 5))))"
    "   (local.set $s (call $id (i32.add (local.get $s) (local.get $j))))"
    "   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
    "   (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))"
    "  (local.get $s)))";

static int64_t rotate_model(int32_t n)
{
    uint64_t v[16]; /* wrapping like i64 */
    for (int k = 0; k < 16; k++)
        v[k] = (uint64_t)k + 1;
    /* a b c d e f g h j k m o p q r t */
    do {
        v[15] += v[0] * v[14];
        for (int k = 0; k < 14; k++)
            v[k] = v[k + 1];
        v[14] = v[15] ^ 0x55;
    } while (--n);
    return (int64_t)(v[0] + v[7] * 3 + v[15] + v[14] * 7);
}

static double poly_model(int32_t n)
{
    double x = 1, y = 0;
    do {
        y = y * 0.5 + x;
        x += 1;
    } while (--n);
    return y + x * 1000;
}

static int32_t claims_model(int32_t n)
{
    uint32_t a = 7, b = 1000003, c = 3;
    do {
        a += b / c;
        b = b % 977 + (a << (c & 31));
        c = (a & 7) + 1;
    } while (--n);
    return (int32_t)(a + (b ^ c));
}

static int32_t refs_model(int32_t n)
{
    uint32_t x = 1, y = 0; /* wrapping like i32 */
    for (;;) {
        uint32_t old = x;
        x += 3;
        y += old;
        n--;
        if (n & 1)
            continue;
        x *= 2;
        if (!n)
            break;
    }
    return (int32_t)(x * 100000 + y);
}

static int32_t nest_model(int32_t n)
{
    uint32_t s = 0, i = 0, j;
    do {
        for (j = 0; j < 5; j++)
            s += i * j;
        s += j;
        i++;
    } while (i < (uint32_t)n);
    return (int32_t)s;
}

int main(void)
{
    struct env v;
    if (!env_open(&v, tight_wat, false))
        return test_done("singlepass_tight");
    for (int32_t n = 1; n < 40; n += 7) {
        tri_val a = tri_val_i32(n);
        int64_t s = (int64_t)n * (n - 1) / 2 + (int64_t)n * 1000000;
        CHECK(call_int(&v, "sum", &a, 1) == s, "sum(%d)", n);
        CHECK(call_int(&v, "rotate", &a, 1) == rotate_model(n), "rotate(%d)", n);
        CHECK(call_int(&v, "claims", &a, 1) == claims_model(n), "claims(%d)", n);
        CHECK(call_int(&v, "nest", &a, 1) == nest_model(n), "nest(%d)", n);
        tri_val r;
        tri_error *e = call(&v, "poly", &a, 1, &r, 1);
        CHECK(!e && tri_val_as_f64(r) == poly_model(n), "poly(%d)", n);
        tri_error_delete(e);
    }
    for (int32_t n = 2; n < 30; n += 4) {
        tri_val a = tri_val_i32(n);
        CHECK(call_int(&v, "refs", &a, 1) == refs_model(n), "refs(%d)", n);
    }
    env_close(&v);
    return test_done("singlepass_tight");
}
