/* Singlepass register state: more live values than registers (spills),
 * values and locals across blocks, loops and ifs (merge states and their
 * parallel moves, including cycles), more locals than stay in registers,
 * stack parameters, multi-value blocks and calls, references to locals
 * that change while still on the stack, and results against C. */
#include <math.h>

#include "singlepass_util.h"

/* 40 i32 and 24 f64 values alive at once, then summed. */
static const char *pressure_wat =
    "(module"
    " (func (export \"ints\") (param i32) (result i32)"
    "  (i32.add (local.get 0) (i32.const 1)) (i32.mul (local.get 0) (i32.const 2))"
    "  (i32.xor (local.get 0) (i32.const 3)) (i32.sub (local.get 0) (i32.const 4))"
    "  (i32.add (local.get 0) (i32.const 5)) (i32.mul (local.get 0) (i32.const 6))"
    "  (i32.xor (local.get 0) (i32.const 7)) (i32.sub (local.get 0) (i32.const 8))"
    "  (i32.add (local.get 0) (i32.const 9)) (i32.mul (local.get 0) (i32.const 10))"
    "  (i32.xor (local.get 0) (i32.const 11)) (i32.sub (local.get 0) (i32.const 12))"
    "  (i32.add (local.get 0) (i32.const 13)) (i32.mul (local.get 0) (i32.const 14))"
    "  (i32.xor (local.get 0) (i32.const 15)) (i32.sub (local.get 0) (i32.const 16))"
    "  (i32.add (local.get 0) (i32.const 17)) (i32.mul (local.get 0) (i32.const 18))"
    "  (i32.xor (local.get 0) (i32.const 19)) (i32.sub (local.get 0) (i32.const 20))"
    "  (i32.add (local.get 0) (i32.const 21)) (i32.mul (local.get 0) (i32.const 22))"
    "  (i32.xor (local.get 0) (i32.const 23)) (i32.sub (local.get 0) (i32.const 24))"
    "  (i32.add (local.get 0) (i32.const 25)) (i32.mul (local.get 0) (i32.const 26))"
    "  (i32.xor (local.get 0) (i32.const 27)) (i32.sub (local.get 0) (i32.const 28))"
    "  (i32.add (local.get 0) (i32.const 29)) (i32.mul (local.get 0) (i32.const 30))"
    "  (i32.xor (local.get 0) (i32.const 31)) (i32.sub (local.get 0) (i32.const 32))"
    "  (i32.add (local.get 0) (i32.const 33)) (i32.mul (local.get 0) (i32.const 34))"
    "  (i32.xor (local.get 0) (i32.const 35)) (i32.sub (local.get 0) (i32.const 36))"
    "  (i32.add (local.get 0) (i32.const 37)) (i32.mul (local.get 0) (i32.const 38))"
    "  (i32.xor (local.get 0) (i32.const 39)) (i32.sub (local.get 0) (i32.const 40))"
    "  i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add"
    "  i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add"
    "  i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add"
    "  i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add i32.add)"
    " (func (export \"floats\") (param f64) (result f64) (local $i i32)"
    "  (f64.add (local.get 0) (f64.const 1)) (f64.mul (local.get 0) (f64.const 2))"
    "  (f64.sub (local.get 0) (f64.const 3)) (f64.add (local.get 0) (f64.const 4))"
    "  (f64.mul (local.get 0) (f64.const 5)) (f64.sub (local.get 0) (f64.const 6))"
    "  (f64.add (local.get 0) (f64.const 7)) (f64.mul (local.get 0) (f64.const 8))"
    "  (f64.sub (local.get 0) (f64.const 9)) (f64.add (local.get 0) (f64.const 10))"
    "  (f64.mul (local.get 0) (f64.const 11)) (f64.sub (local.get 0) (f64.const 12))"
    "  (f64.add (local.get 0) (f64.const 13)) (f64.mul (local.get 0) (f64.const 14))"
    "  (f64.sub (local.get 0) (f64.const 15)) (f64.add (local.get 0) (f64.const 16))"
    "  (f64.mul (local.get 0) (f64.const 17)) (f64.sub (local.get 0) (f64.const 18))"
    "  (f64.add (local.get 0) (f64.const 19)) (f64.mul (local.get 0) (f64.const 20))"
    "  (f64.sub (local.get 0) (f64.const 21)) (f64.add (local.get 0) (f64.const 22))"
    "  (f64.mul (local.get 0) (f64.const 23)) (f64.sub (local.get 0) (f64.const 24))"
    "  f64.add f64.add f64.add f64.add f64.add f64.add f64.add f64.add f64.add f64.add"
    "  f64.add f64.add f64.add f64.add f64.add f64.add f64.add f64.add f64.add f64.add"
    "  f64.add f64.add f64.add))";

static void pressure(void)
{
    struct env v;
    if (!env_open(&v, pressure_wat, false))
        return;
    for (int32_t x = -3; x < 40; x += 7) {
        uint32_t want = 0, ux = (uint32_t)x;
        for (uint32_t k = 1; k <= 40; k += 4)
            want += (ux + k) + ux * (k + 1) + (ux ^ (k + 2)) + (ux - (k + 3));
        tri_val a = tri_val_i32(x);
        CHECK((uint32_t)call_int(&v, "ints", &a, 1) == want, "ints(%d)", x);
        double fx = x * 0.5, fw = 0;
        for (int k = 1; k <= 24; k += 3)
            fw += (fx + k) + fx * (k + 1) + (fx - (k + 2));
        tri_val b = tri_val_f64(fx), r;
        tri_error *e = call(&v, "floats", &b, 1, &r, 1);
        CHECK(!e && fabs(tri_val_as_f64(r) - fw) < 1e-9, "floats(%g): %g, want %g", fx,
              e ? 0 : tri_val_as_f64(r), fw);
        tri_error_delete(e);
    }
    env_close(&v);
}

/* Merges: values carried out of nested blocks past junk, loops whose
 * locals swap every iteration, if/else arms that leave different states,
 * br_table targets with values, more locals than fit in registers (a loop
 * entered with a constant local no register is left for), and a local
 * that only some paths to a label have in a register. */
static const char *merge_wat =
    "(module"
    " (func (export \"fib\") (param i32) (result i64) (local i64 i64 i64)"
    "  (local.set 2 (i64.const 1))"
    "  (block (loop"
    "   (br_if 1 (i32.eqz (local.get 0)))"
    "   (local.set 3 (i64.add (local.get 1) (local.get 2)))"
    "   (local.set 1 (local.get 2)) (local.set 2 (local.get 3))"
    "   (local.set 0 (i32.sub (local.get 0) (i32.const 1)))"
    "   (br 0)))"
    "  (local.get 1))"
    " (func (export \"swap\") (param i32 i32 i32) (result i32)"
    "  (block (loop"
    "   (br_if 1 (i32.eqz (local.get 2)))"
    "   (local.get 1) (local.get 0) (local.set 1) (local.set 0)"
    "   (local.set 2 (i32.sub (local.get 2) (i32.const 1)))"
    "   (br 0)))"
    "  (i32.sub (i32.mul (local.get 0) (i32.const 10)) (local.get 1)))"
    " (func (export \"carry\") (param i32) (result i32)"
    "  (i32.const 100)"
    "  (block (result i32 i32)"
    "   (i32.const 7) (i32.const 8) (i32.const 9)"
    "   (i32.add (local.get 0) (i32.const 1)) (i32.mul (local.get 0) (i32.const 3))"
    "   (br_if 0 (i32.gt_s (local.get 0) (i32.const 5)))"
    "   (drop) (drop) (drop) (drop) (drop) (i32.const 1) (i32.const 2))"
    "  i32.sub i32.add)"
    " (func (export \"arms\") (param i32 i32) (result i32) (local i32 i32)"
    "  (if (result i32) (local.get 0)"
    "   (then (local.set 2 (i32.const 5)) (local.set 3 (local.get 1)) (i32.const 1))"
    "   (else (local.set 3 (i32.const 6)) (local.set 2 (i32.mul (local.get 1) (i32.const 2)))"
    "         (i32.const 2)))"
    "  (i32.add (i32.mul (local.get 2) (i32.const 100)) (local.get 3)) i32.add)"
    " (func (export \"table\") (param i32) (result i32) (local i32)"
    "  (local.set 1 (i32.const 1000))"
    "  (block (result i32) (block (result i32) (block (result i32)"
    "    (local.set 1 (i32.const 2000)) (i32.const 10) (local.get 0)"
    "    (br_table 0 1 2 1 0))"
    "   (i32.add (i32.const 1)) (local.set 1 (i32.const 3000)))"
    "   (i32.add (i32.const 2)))"
    "  (local.get 1) i32.add)"
    " (func (export \"many\") (param i32) (result i32)"
    "  (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)"
    "  (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)"
    "  (local $k i32) (local $s i32)"
    "  (loop"
    "   (local.set 1 (i32.add (local.get 1) (local.get 0)))"
    "   (local.set 5 (i32.add (local.get 5) (i32.const 2)))"
    "   (local.set 9 (i32.add (local.get 9) (local.get 1)))"
    "   (local.set 13 (i32.add (local.get 13) (i32.const 3)))"
    "   (local.set 17 (i32.add (local.get 17) (local.get 5)))"
    "   (local.set 21 (i32.add (local.get 21) (i32.const 5)))"
    "   (local.set 25 (i32.add (local.get 25) (local.get 9)))"
    "   (local.set 29 (i32.add (local.get 29) (i32.const 7)))"
    "   (local.set 33 (i32.add (local.get 33) (local.get 13)))"
    "   (local.set 37 (i32.add (local.get 37) (i32.const 11)))"
    "   (local.set 40 (i32.add (local.get 40) (local.get 17)))"
    "   (local.set 2 (local.get 1)) (local.set 6 (local.get 5)) (local.set 10 (local.get 9))"
    "   (local.set 14 (local.get 13)) (local.set 18 (local.get 17)) (local.set 22 (local.get 21))"
    "   (local.set 26 (local.get 25)) (local.set 30 (local.get 29)) (local.set 34 (local.get 33))"
    "   (local.set 38 (local.get 37)) (local.set 39 (local.get 40))"
    "   (local.set $k (i32.add (local.get $k) (i32.const 1)))"
    "   (br_if 0 (i32.lt_u (local.get $k) (i32.const 10))))"
    "  (local.set $s (i32.const 0))"
    "  (local.set $s (i32.add (local.get $s) (i32.add (local.get 2) (local.get 6))))"
    "  (local.set $s (i32.add (local.get $s) (i32.add (local.get 10) (local.get 14))))"
    "  (local.set $s (i32.add (local.get $s) (i32.add (local.get 18) (local.get 22))))"
    "  (local.set $s (i32.add (local.get $s) (i32.add (local.get 26) (local.get 30))))"
    "  (local.set $s (i32.add (local.get $s) (i32.add (local.get 34) (local.get 38))))"
    "  (i32.add (local.get $s) (local.get 39)))"
    " (func (export \"constloop\") (param $x i32) (result i32)"
    "  (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32)"
    "  (local $f i32) (local $g i32) (local $h i32) (local $i i32) (local $j i32) (local $n i32)"
    "  (local.set $a (i32.add (local.get $x) (i32.const 1)))"
    "  (local.set $b (i32.add (local.get $x) (i32.const 2)))"
    "  (local.set $c (i32.add (local.get $x) (i32.const 3)))"
    "  (local.set $d (i32.add (local.get $x) (i32.const 4)))"
    "  (local.set $e (i32.add (local.get $x) (i32.const 5)))"
    "  (local.set $f (i32.add (local.get $x) (i32.const 6)))"
    "  (local.set $g (i32.add (local.get $x) (i32.const 7)))"
    "  (local.set $h (i32.add (local.get $x) (i32.const 8)))"
    "  (local.set $i (i32.add (local.get $x) (i32.const 9)))"
    "  (local.set $j (i32.add (local.get $x) (i32.const 10)))"
    "  (local.set $n (i32.const 0))"
    "  (loop"
    "   (local.set $n (i32.add (local.get $n) (i32.const 1)))"
    "   (local.set $a (i32.sub (local.get $a) (i32.const 1)))"
    "   (br_if 0 (i32.ne (local.get $a) (i32.sub (local.get $x) (i32.const 9)))))"
    "  (i32.add (i32.mul (local.get $n) (i32.const 1000))"
    "   (i32.add (i32.add (local.get $b) (local.get $j)) (local.get $a))))"
    " (func (export \"meet\") (param i32 i32) (result i32) (local i32)"
    "  (local.set 2 (i32.add (local.get 1) (i32.const 1)))"
    "  (block"
    "   (if (local.get 0) (then (local.set 2 (i32.mul (local.get 2) (i32.const 3)))))"
    "   (local.set 1 (i32.add (local.get 1) (local.get 2)))"
    "   (br_if 0 (i32.eq (local.get 0) (i32.const 2)))"
    "   (local.set 2 (i32.const 7)))"
    "  (i32.add (i32.mul (local.get 1) (i32.const 100)) (local.get 2)))"
    " (func (export \"refs\") (param i32) (result i32)"
    "  (local.get 0) (local.get 0) (local.set 0 (i32.const 5))"
    "  (local.get 0) (local.tee 0 (i32.const 7)) (local.get 0)"
    "  i32.add i32.add i32.sub i32.add))";

static void many_model(int32_t x, uint32_t *out)
{
    uint32_t l[42] = {0};
    for (int k = 0; k < 10; k++) {
        l[1] += (uint32_t)x, l[5] += 2, l[9] += l[1], l[13] += 3, l[17] += l[5], l[21] += 5;
        l[25] += l[9], l[29] += 7, l[33] += l[13], l[37] += 11, l[40] += l[17];
        for (int j = 1; j <= 37; j += 4)
            l[j + 1] = l[j];
        l[39] = l[40];
    }
    uint32_t s = 0;
    for (int j = 2; j <= 38; j += 4)
        s += l[j];
    *out = s + l[39];
}

static void merges(void)
{
    struct env v;
    if (!env_open(&v, merge_wat, false))
        return;
    tri_val a[3] = {tri_val_i32(50)};
    CHECK(call_int(&v, "fib", a, 1) == 12586269025ll, "fib(50)");
    for (int32_t n = 0; n < 5; n++) {
        a[0] = tri_val_i32(3), a[1] = tri_val_i32(4), a[2] = tri_val_i32(n);
        CHECK(call_int(&v, "swap", a, 3) == (n % 2 ? 37 : 26), "swap %d", n);
    }
    for (int32_t x = 3; x < 9; x++) {
        a[0] = tri_val_i32(x);
        int32_t want = x > 5 ? 100 + ((x + 1) - 3 * x) : 100 + (1 - 2);
        CHECK(call_int(&v, "carry", a, 1) == want, "carry(%d)", x);
    }
    for (int32_t c = 0; c < 2; c++) {
        a[0] = tri_val_i32(c), a[1] = tri_val_i32(9);
        CHECK(call_int(&v, "arms", a, 2) == (c ? 509 + 1 : 1806 + 2), "arms(%d)", c);
    }
    static const int32_t table_want[] = {3013, 2012, 2010, 2012, 3013, 3013};
    for (int32_t i = 0; i < 6; i++) {
        a[0] = tri_val_i32(i);
        CHECK(call_int(&v, "table", a, 1) == table_want[i], "table(%d)", i);
    }
    uint32_t want;
    many_model(13, &want);
    a[0] = tri_val_i32(13);
    CHECK((uint32_t)call_int(&v, "many", a, 1) == want, "many");
    a[0] = tri_val_i32(100);
    CHECK(call_int(&v, "refs", a, 1) == 100 + (100 - (5 + (7 + 7))), "refs");
    a[0] = tri_val_i32(20);
    CHECK(call_int(&v, "constloop", a, 1) == 10000 + 22 + 30 + 11, "constloop");
    for (int32_t c = 0; c < 3; c++) {
        int32_t l2 = c ? 3 * 5 : 5, l1 = 4 + l2;
        a[0] = tri_val_i32(c), a[1] = tri_val_i32(4);
        CHECK(call_int(&v, "meet", a, 2) == l1 * 100 + (c == 2 ? l2 : 7), "meet(%d)", c);
    }
    env_close(&v);
}

/* Parameters past the argument registers, multi-value results, and calls
 * through a table, from wasm and from the host. */
static const char *calls_wat =
    "(module"
    " (type $wide (func (param i32 f64 i64 f32 i32 f64 i32 f64 i64 f64 i32 f64 i32 f64 i64"
    "                           f64 i32 f64 i32 f32) (result i64)))"
    " (func $wide (type $wide)"
    "  (i64.extend_i32_s (local.get 0)) (i64.trunc_f64_s (local.get 1)) i64.add"
    "  (local.get 2) i64.add (i64.trunc_f32_s (local.get 3)) i64.add"
    "  (i64.extend_i32_s (local.get 4)) i64.add (i64.trunc_f64_s (local.get 5)) i64.add"
    "  (i64.extend_i32_s (local.get 6)) i64.add (i64.trunc_f64_s (local.get 7)) i64.add"
    "  (local.get 8) i64.add (i64.trunc_f64_s (local.get 9)) i64.add"
    "  (i64.extend_i32_s (local.get 10)) i64.add (i64.trunc_f64_s (local.get 11)) i64.add"
    "  (i64.extend_i32_s (local.get 12)) i64.add (i64.trunc_f64_s (local.get 13)) i64.add"
    "  (local.get 14) i64.add (i64.trunc_f64_s (local.get 15)) i64.add"
    "  (i64.extend_i32_s (local.get 16)) i64.add (i64.trunc_f64_s (local.get 17)) i64.add"
    "  (i64.extend_i32_s (local.get 18)) i64.add (i64.trunc_f32_s (local.get 19)) i64.add)"
    " (func $four (param i32) (result i32 i64 f32 f64)"
    "  (local.get 0) (i64.extend_i32_u (i32.mul (local.get 0) (i32.const 3)))"
    "  (f32.convert_i32_s (local.get 0)) (f64.const 0.5))"
    " (table 2 funcref) (elem (i32.const 0) $wide $four)"
    " (func (export \"direct\") (param i32) (result i64)"
    "  (call $wide (local.get 0) (f64.const 2) (i64.const 3) (f32.const 4) (i32.const 5)"
    "   (f64.const 6) (i32.const 7) (f64.const 8) (i64.const 9) (f64.const 10) (i32.const 11)"
    "   (f64.const 12) (i32.const 13) (f64.const 14) (i64.const 15) (f64.const 16)"
    "   (i32.const 17) (f64.const 18) (i32.const 19) (f32.const 20)))"
    " (func (export \"indirect\") (param i32) (result i64)"
    "  (call_indirect (type $wide) (local.get 0) (f64.const 2) (i64.const 3) (f32.const 4)"
    "   (i32.const 5) (f64.const 6) (i32.const 7) (f64.const 8) (i64.const 9) (f64.const 10)"
    "   (i32.const 11) (f64.const 12) (i32.const 13) (f64.const 14) (i64.const 15)"
    "   (f64.const 16) (i32.const 17) (f64.const 18) (i32.const 19) (f32.const 20)"
    "   (i32.const 0)))"
    " (func (export \"multi\") (param i32) (result i64) (local i32 i64 f32 f64)"
    "  (call $four (local.get 0))"
    "  (local.set 4) (local.set 3) (local.set 2) (local.set 1)"
    "  (i64.add (i64.extend_i32_u (local.get 1)) (local.get 2))"
    "  (i64.trunc_f32_s (local.get 3)) i64.add"
    "  (i64.trunc_f64_s (f64.mul (local.get 4) (f64.const 4))) i64.add)"
    " (export \"four\" (func $four)))";

static void calls(void)
{
    struct env v;
    if (!env_open(&v, calls_wat, false))
        return;
    tri_val a = tri_val_i32(1000);
    CHECK(call_int(&v, "direct", &a, 1) == 1000 + 209, "direct");
    CHECK(call_int(&v, "indirect", &a, 1) == 1000 + 209, "indirect");
    a = tri_val_i32(6);
    CHECK(call_int(&v, "multi", &a, 1) == 6 + 18 + 6 + 2, "multi");
    tri_val r[4];
    tri_error *e = call(&v, "four", &a, 1, r, 4);
    CHECK(!e && r[0].of.i32 == 6 && r[1].of.i64 == 18 && tri_val_as_f32(r[2]) == 6.0f &&
              tri_val_as_f64(r[3]) == 0.5,
          "four from the host");
    tri_error_delete(e);
    env_close(&v);
}

int main(void)
{
    pressure();
    merges();
    calls();
    return test_done("singlepass_regs");
}
