/* The .wast script layer: command kinds, lines, names, values and result
 * patterns; txt_result_matches; and robustness against truncated scripts. */
#include <string.h>

#include "check.h"
#include "text/text.h"

static const char script[] =
    "(module $A (func (export \"f\") (param i32) (result i32) local.get 0))\n"
    "(register \"a\" $A)\n"
    "(module binary \"\\00asm\" \"\\01\\00\\00\\00\")\n"
    "(module quote \"(func\" \" nop)\")\n"
    "(invoke $A \"f\" (i32.const -1))\n"
    "(assert_return (invoke \"f\" (i32.const 7)) (i32.const 7))\n"
    "(assert_return (get $A \"g\") (f32.const nan:canonical))\n"
    "(assert_return (invoke \"v\" (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -1))\n"
    "  (v128.const f32x4 nan:arithmetic 1.0 -0x1p-149 nan:canonical) (f64.const -nan:0x1))\n"
    "(assert_return (invoke \"r\" (ref.null extern) (ref.extern 5)) (ref.func) (ref.extern) (ref.null func))\n"
    "(assert_trap (invoke \"t\") \"unreachable\")\n"
    "(assert_exhaustion (invoke \"e\") \"call stack exhausted\")\n"
    "(assert_malformed (module quote \"(func i32.bogus)\") \"unknown operator\")\n"
    "(assert_invalid (module (func (result i32))) \"type mismatch\")\n"
    "(assert_unlinkable (module (import \"x\" \"y\" (func))) \"unknown import\")\n"
    "(assert_trap (module (func $s unreachable) (start $s)) \"unreachable\")\n"
    "(assert_uninstantiable (module (func $s unreachable) (start $s)) \"unreachable\")\n";

static void test_commands(void)
{
    static const enum txt_cmd_kind kinds[] = {
        TXT_CMD_MODULE, TXT_CMD_REGISTER, TXT_CMD_MODULE, TXT_CMD_MODULE,
        TXT_CMD_ACTION, TXT_CMD_ASSERT_RETURN, TXT_CMD_ASSERT_RETURN, TXT_CMD_ASSERT_RETURN,
        TXT_CMD_ASSERT_RETURN, TXT_CMD_ASSERT_TRAP, TXT_CMD_ASSERT_EXHAUSTION,
        TXT_CMD_ASSERT_MALFORMED, TXT_CMD_ASSERT_INVALID, TXT_CMD_ASSERT_UNLINKABLE,
        TXT_CMD_ASSERT_UNINSTANTIABLE, TXT_CMD_ASSERT_UNINSTANTIABLE,
    };
    static const uint32_t lines[] = {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17};
    struct txt_script s;
    struct err e;
    err_clear(&e);
    CHECK(txt_script_parse(script, strlen(script), &s, &e), "%s", e.msg);
    CHECK(s.ncommands == ARRAY_LEN(kinds), "%u commands", s.ncommands);
    for (uint32_t i = 0; i < s.ncommands && i < ARRAY_LEN(kinds); i++)
        CHECK(s.commands[i].kind == kinds[i] && s.commands[i].line == lines[i],
              "command %u: %s on line %u", i, txt_cmd_name(s.commands[i].kind), s.commands[i].line);
    if (s.ncommands != ARRAY_LEN(kinds)) {
        txt_script_free(&s);
        return;
    }
    const struct txt_command *c = s.commands;
    CHECK(c[0].module.ok && !strcmp(c[0].module.name, "$A") && txt_is_binary(c[0].module.bytes, c[0].module.len),
          "text module");
    CHECK(!strcmp(c[1].text, "a") && !strcmp(c[1].reg_module, "$A"), "register");
    CHECK(c[2].module.kind == TXT_MOD_BINARY && c[2].module.len == 8, "binary module");
    CHECK(c[3].module.kind == TXT_MOD_QUOTE && c[3].module.ok, "quote module");
    CHECK(c[4].action.kind == TXT_INVOKE && !strcmp(c[4].action.module, "$A") &&
              c[4].action.nargs == 1 && c[4].action.args[0].u.i32 == 0xFFFFFFFF,
          "invoke");
    CHECK(c[6].action.kind == TXT_GET && c[6].results[0].expect[0] == TXT_NAN_CANONICAL, "get");
    const struct txt_command *v = &c[7];
    CHECK(v->action.args[0].type == VT_V128 && v->action.args[0].u.v128[15] == 0xFF, "v128 arg");
    CHECK(v->nresults == 2 && v->results[0].shape == TXT_F32X4 &&
              v->results[0].expect[0] == TXT_NAN_ARITHMETIC && v->results[0].expect[3] == TXT_NAN_CANONICAL &&
              v->results[0].v.u.v128[7] == 0x3f && v->results[0].v.u.v128[8] == 1 &&
              v->results[0].v.u.v128[11] == 0x80,
          "v128 result lanes");
    CHECK(v->results[1].v.u.f64 == 0xfff0000000000001ull, "f64 -nan:0x1");
    const struct txt_command *r = &c[8];
    CHECK(r->action.args[0].u.ref.null && r->action.args[1].u.ref.host == 5, "ref args");
    CHECK(r->results[0].v.type == VT_FUNCREF && r->results[0].expect[0] == TXT_ANY_REF &&
              r->results[1].v.type == VT_EXTERNREF && r->results[1].expect[0] == TXT_ANY_REF &&
              r->results[2].v.u.ref.null,
          "ref results");
    CHECK(!c[11].module.ok && c[11].module.err.code == ERR_MALFORMED && c[11].module.err_col == 7,
          "malformed quote: %u:%u %s", c[11].module.err_line, c[11].module.err_col, c[11].module.err.msg);
    CHECK(!strcmp(c[12].text, "type mismatch") && c[12].module.ok, "invalid module parses");
    txt_script_free(&s);
}

static void test_matching(void)
{
    struct txt_result canon = {.v = {.type = VT_F32}, .expect = {TXT_NAN_CANONICAL}};
    struct txt_result arith = {.v = {.type = VT_F32}, .expect = {TXT_NAN_ARITHMETIC}};
    struct txt_value f = {.type = VT_F32};
    f.u.f32 = 0x7fc00000;
    CHECK(txt_result_matches(&canon, &f) && txt_result_matches(&arith, &f), "canonical nan");
    f.u.f32 = 0xffc00000;
    CHECK(txt_result_matches(&canon, &f), "negative canonical nan");
    f.u.f32 = 0x7fc00001;
    CHECK(!txt_result_matches(&canon, &f) && txt_result_matches(&arith, &f), "arithmetic nan");
    f.u.f32 = 0x7fa00000;
    CHECK(!txt_result_matches(&canon, &f) && !txt_result_matches(&arith, &f), "signalling nan");
    f.u.f32 = 0x7f800000;
    CHECK(!txt_result_matches(&arith, &f), "infinity is no nan");
    struct txt_result exact = {.v = {.type = VT_F32}};
    exact.v.u.f32 = 0x80000000;
    f.u.f32 = 0;
    CHECK(!txt_result_matches(&exact, &f), "-0 is not +0");
    struct txt_value i = {.type = VT_I32};
    CHECK(!txt_result_matches(&exact, &i), "types differ");

    struct txt_result lanes = {.v = {.type = VT_V128}, .shape = TXT_F64X2,
                               .expect = {TXT_NAN_CANONICAL, TXT_EXACT}};
    struct txt_value v = {.type = VT_V128};
    uint64_t l0 = 0xfff8000000000000ull, l1 = 0x3ff0000000000000ull;
    memcpy(v.u.v128, &l0, 8);
    memcpy(v.u.v128 + 8, &l1, 8);
    memcpy(lanes.v.u.v128 + 8, &l1, 8);
    CHECK(txt_result_matches(&lanes, &v), "f64x2 lanes");
    v.u.v128[8] ^= 1;
    CHECK(!txt_result_matches(&lanes, &v), "f64x2 exact lane differs");

    struct txt_result any_func = {.v = {.type = VT_FUNCREF}, .expect = {TXT_ANY_REF}};
    struct txt_value ref = {.type = VT_FUNCREF};
    CHECK(txt_result_matches(&any_func, &ref), "non-null funcref");
    ref.u.ref.null = true;
    CHECK(!txt_result_matches(&any_func, &ref), "null is not (ref.func)");
    struct txt_result ext5 = {.v = {.type = VT_EXTERNREF}};
    ext5.v.u.ref.host = 5;
    struct txt_value e = {.type = VT_EXTERNREF};
    e.u.ref.host = 5;
    CHECK(txt_result_matches(&ext5, &e), "ref.extern 5");
    e.u.ref.host = 6;
    CHECK(!txt_result_matches(&ext5, &e), "ref.extern 6 is not 5");
}

static void test_truncated(void)
{
    size_t len = strlen(script);
    for (size_t n = 0; n < len; n++) {
        struct txt_script s;
        struct err e;
        err_clear(&e);
        if (!txt_script_parse(script, n, &s, &e))
            CHECK(e.code != ERR_NONE && (e.offset == NO_OFFSET || e.offset <= n), "error record");
        CHECK(s.ncommands <= 16, "commands");
        txt_script_free(&s);
    }
    struct txt_script s;
    struct err e;
    err_clear(&e);
    CHECK(!txt_script_parse("(module) (bogus)", 16, &s, &e) && s.ncommands == 1 && e.offset == 10,
          "unknown command: %s at %zu", e.msg, e.offset);
    txt_script_free(&s);
}

int main(void)
{
    test_commands();
    test_matching();
    test_truncated();
    return test_done("text_script");
}
