/* The module parser: exact bytes for hand-encoded modules, error positions,
 * nesting limits, and robustness: every truncation and thousands of random
 * mutations of a module must either parse or fail with an error inside the
 * text, never crash (this binary also runs under ASan). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "decode/decode.h"
#include "text/text.h"

/* The length of a module without its trailing "name" section (the debug
 * names, tested on their own in test_names). */
static size_t without_names(const struct buf *b)
{
    size_t at = 8, last = b->len;
    while (at < b->len) {
        struct err e = {0};
        struct reader r = {b->data, b->data + at + 1, b->data + b->len, &e};
        uint32_t size;
        if (!rd_u32(&r, &size) || size > (size_t)(r.end - r.p))
            return b->len;
        if (b->data[at] == 0 && size >= 5 && !memcmp(r.p, "\4name", 5))
            last = at;
        at = (size_t)(r.p - b->data) + size;
    }
    return last;
}

/* Parses text and compares with the expected bytes given as hex: the
 * module without its name section, or (names) that section alone. */
static void expect_module(const char *name, const char *text, const char *hex, bool names)
{
    struct buf want = {0}, got = {0};
    for (const char *h = hex; *h;) {
        unsigned v;
        int n;
        if (sscanf(h, " %2x%n", &v, &n) != 1)
            break;
        buf_byte(&want, (uint8_t)v);
        h += n;
    }
    struct err e;
    err_clear(&e);
    bool ok = txt_parse_module(text, strlen(text), &got, &e);
    CHECK(ok, "%s: %s", name, e.msg);
    size_t names_at = without_names(&got);
    if (names) {
        memmove(got.data, got.data + names_at, got.len - names_at);
        got.len -= names_at;
    } else {
        got.len = names_at;
    }
    size_t same = 0;
    while (same < got.len && same < want.len && got.data[same] == want.data[same])
        same++;
    CHECK(ok && got.len == want.len && same == want.len,
          "%s: %zu bytes, want %zu; first difference at %zu", name, got.len, want.len, same);
    buf_free(&want);
    buf_free(&got);
}

static void expect_bytes(const char *name, const char *text, const char *hex)
{
    expect_module(name, text, hex, false);
}

/* The debug names, as wat2wasm --debug-names writes them: module,
 * functions (imported ones too), every function's parameter and local
 * names (an entry even when it has none), then types, memories, globals. */
static void test_names(void)
{
    expect_module("name section",
                  "(module $m (import \"a\" \"b\" (func $imp (param $p i32)))\n"
                  "  (type $t (func)) (memory $mem 1) (global $g i32 (i32.const 0))\n"
                  "  (func $f (param $x i32) (local $y i32) (local i64)) (func $h))",
                  "00 3d 04 6e 61 6d 65  00 02 01 6d"
                  "01 0c 03 00 03 69 6d 70 01 01 66 02 01 68"
                  "02 10 03 00 01 00 01 70 01 02 00 01 78 01 01 79 02 00"
                  "04 04 01 00 01 74  06 06 01 00 03 6d 65 6d  07 04 01 00 01 67",
                  true);
    expect_module("no names: an empty local map", "(module (func))",
                  "00 0a 04 6e 61 6d 65 02 03 01 00 00", true);
}

static void test_bytes(void)
{
    expect_bytes("simple",
                 "(module (func (export \"f\") (param $x i32) (result i32)\n"
                 "  (i32.add (local.get $x) (i32.const 1))))",
                 "00 61 73 6d 01 00 00 00  01 06 01 60 01 7f 01 7f  03 02 01 00"
                 "07 05 01 01 66 00 00  0a 09 01 07 00 20 00 41 01 6a 0b");
    expect_bytes("forward names, implicit type, inline import, export and segments",
                 "(type $t (func (param i32)))\n"
                 "(import \"m\" \"g\" (global $g (mut i32)))\n"
                 "(func $a (import \"m\" \"f\") (type $t))\n"
                 "(memory (export \"mem\") (data \"hi\"))\n"
                 "(table 2 funcref)\n"
                 "(elem (i32.const 0) $b $a)\n"
                 "(func $b (result i32) (block $l (result i32) (br $l (global.get $g))))",
                 "00 61 73 6d 01 00 00 00"
                 "01 09 02 60 01 7f 00 60 00 01 7f"
                 "02 0e 02 01 6d 01 67 03 7f 01 01 6d 01 66 00 00"
                 "03 02 01 01  04 04 01 70 00 02  05 04 01 01 01 01"
                 "07 07 01 03 6d 65 6d 02 00"
                 "09 08 01 00 41 00 0b 02 01 00"
                 "0a 0b 01 09 00 02 7f 23 00 0c 00 0b 0b"
                 "0b 08 01 00 41 00 0b 02 68 69");
    expect_bytes("flat if/else with labels, locals runs, memarg, v128, select type",
                 "(func (param i32) (local i64 i64 f32)\n"
                 "  local.get 0 if $x nop else $x nop end $x\n"
                 "  i32.const 0 i64.load offset=8 align=4 drop\n"
                 "  v128.const i16x8 1 -1 0 0 0 0 0 0x8000 drop\n"
                 "  i32.const 1 i32.const 2 local.get 0 select (result i32) drop)",
                 "00 61 73 6d 01 00 00 00  01 05 01 60 01 7f 00  03 02 01 00"
                 "0a 33 01 31 02 02 7e 01 7d"
                 "20 00 04 40 01 05 01 0b"
                 "41 00 29 02 08 1a"
                 "fd 0c 01 00 ff ff 00 00 00 00 00 00 00 00 00 00 00 80 1a"
                 "41 01 41 02 20 00 1c 01 7f 1a 0b");
}

/* The error's line and column for a bad module. */
static void expect_error(const char *text, uint32_t line, uint32_t col, const char *msg)
{
    struct buf out = {0};
    struct err e;
    err_clear(&e);
    bool ok = txt_parse_module(text, strlen(text), &out, &e);
    uint32_t l = 0, c = 0;
    if (!ok)
        txt_line_col(text, strlen(text), e.offset, &l, &c);
    CHECK(!ok && l == line && c == col && strstr(e.msg, msg),
          "'%s': %s at %u:%u (%s), want %u:%u %s", text, ok ? "accepted" : "rejected", l, c,
          e.msg, line, col, msg);
    buf_free(&out);
}

static void test_errors(void)
{
    expect_error("(module\n  (func\n    i32.const 1\n    i32.foo))", 4, 5, "unknown operator");
    expect_error("(func (br $nowhere))", 1, 11, "unknown label");
    expect_error("(func) (import \"a\" \"b\" (func))", 1, 9, "import after");
    expect_error("(func $f) (func $f)", 1, 17, "duplicate function");
    expect_error("(func (i32.const 0x1_0000_0000))", 1, 18, "out of range");
    expect_error("(func i32.load align=3)", 1, 16, "power of two");
    expect_error("(func block $a end $b)", 1, 20, "mismatching label");
    expect_error("(type $t (func)) (func (type $t) (param i32))", 1, 34, "inline function type");
    expect_error("(func (; unclosed", 1, 7, "unclosed comment");
    expect_error("(data \"\\q\")", 1, 8, "escape");
    expect_error("(data \"abc)", 1, 7, "unclosed string");
    expect_error("(start 0) (start 0)", 1, 18, "multiple start");
    expect_error("(export \"\\ff\" (func 0))", 1, 9, "UTF-8");
    expect_error("(func (nop)", 1, 12, "unexpected end");
    expect_error("(module) (module)", 1, 10, "unexpected token");
}

/* (func <open> <close>) with `depth` copies of each. */
static bool parse_nested(int depth, const char *open, const char *close, struct err *e)
{
    struct buf text = {0}, out = {0};
    buf_bytes(&text, "(func ", 6);
    for (int i = 0; i < depth; i++)
        buf_bytes(&text, open, strlen(open));
    for (int i = 0; i < depth; i++)
        buf_bytes(&text, close, strlen(close));
    buf_byte(&text, ')');
    err_clear(e);
    bool ok = txt_parse_module((const char *)text.data, text.len, &out, e);
    buf_free(&text);
    buf_free(&out);
    return ok;
}

static void test_nesting(void)
{
    struct err e;
    CHECK(!parse_nested(100000, "(block ", ")", &e) && e.code == ERR_LIMIT,
          "100000 nested folded blocks: %s", e.msg);
    CHECK(parse_nested(100000, "block ", "end ", &e), "100000 nested flat blocks: %s", e.msg);
    CHECK(parse_nested(100000, "(block block ", "end)", &e) == false && e.code == ERR_LIMIT,
          "mixed nesting: %s", e.msg);
    CHECK(parse_nested(5000, "(i32.eqz ", ")", &e), "5000 nested operands: %s", e.msg);
}

static const char sample[] =
    "(module $m\n"
    "  (type $t (func (param i32 i64) (result f32)))\n"
    "  (import \"env\" \"f\" (func $imp (type $t)))\n"
    "  (global $g (export \"g\") (mut f64) (f64.const -0x1.8p3))\n"
    "  (memory $mem 1 2) (table $tab 4 funcref)\n"
    "  (func $main (export \"main\") (param $a i32) (result i32) (local $l v128)\n"
    "    (local.set $l (v128.const f32x4 1.5 nan:0x1 -inf 0x1p-149))\n"
    "    (block $out (result i32)\n"
    "      (loop $top\n"
    "        (br_if $out (i32.eqz (local.get $a)) (i32.const 7))\n"
    "        (call_indirect $tab (type $t) (local.get $a) (i64.const 9) (i32.const 0))\n"
    "        drop\n"
    "        (if (result i32) (local.get $a) (then (i32.const 1)) (else (i32.const 2)))\n"
    "        (br_table $out $top 0 (i32.const 3))))\n"
    "    (memory.fill (i32.const 0) (i32.const 1) (i32.const 2)) ;; comment\n"
    "    (table.init $tab $e (i32.const 0) (i32.const 0) (i32.const 0)) (; block ;)\n"
    "    (ref.is_null (ref.func $main)) drop)\n"
    "  (elem $e func $main $imp) (elem declare funcref (ref.func $main))\n"
    "  (data $d (memory $mem) (offset (i32.const 16)) \"\\00\\ff\\u{1F600}text\")\n"
    "  (start $imp2) (func $imp2))\n";

/* Parses text; checks the error contract; decodes what parsed. */
static void parse_any(const char *text, size_t len)
{
    struct buf out = {0};
    struct err e;
    err_clear(&e);
    if (txt_parse_module(text, len, &out, &e)) {
        CHECK(out.len >= 8 && txt_is_binary(out.data, out.len), "output is not a module");
        struct module m;
        if (dec_module(&m, out.data, out.len, &e))
            dec_module_free(&m);
    } else {
        CHECK(e.code != ERR_NONE && (e.offset == NO_OFFSET || e.offset <= len),
              "bad error record: code %d offset %zu", e.code, e.offset);
    }
    buf_free(&out);
}

static void test_robustness(void)
{
    size_t len = strlen(sample);
    struct buf out = {0};
    struct err e;
    err_clear(&e);
    CHECK(txt_parse_module(sample, len, &out, &e), "sample: %s", e.msg);
    buf_free(&out);
    for (size_t n = 0; n < len; n++)
        parse_any(sample, n);
    static const char alphabet[] = "()$\";_ .0x1p-+enaf\\u{}\n\xff";
    char copy[sizeof sample];
    uint64_t rng = 12345;
    for (int i = 0; i < 20000; i++) {
        memcpy(copy, sample, len);
        size_t n = len;
        for (int k = 0; k < 1 + i % 4; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (rng >> 33) % n;
            if (rng & 1)
                copy[at] = alphabet[(rng >> 20) % (sizeof alphabet - 1)];
            else
                memmove(copy + at, copy + at + 1, --n - at);
        }
        parse_any(copy, n);
    }
}

int main(void)
{
    test_bytes();
    test_names();
    test_errors();
    test_nesting();
    test_robustness();
    return test_done("text_parse");
}
