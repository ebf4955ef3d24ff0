/* Script values: constants in invoke arguments and assert_return results
 * (with the nan:canonical / nan:arithmetic patterns and reference forms),
 * matching a runtime value against an expected result, and printing. */
#include <stdio.h>
#include <string.h>

#include "text.h"

static const struct {
    const char *name;
    valtype type;
} consts[] = {
    {"i32.const", VT_I32}, {"i64.const", VT_I64}, {"f32.const", VT_F32},
    {"f64.const", VT_F64}, {"v128.const", VT_V128}, {"ref.null", 0},
    {"ref.extern", VT_EXTERNREF}, {"ref.func", VT_FUNCREF},
};

/* nan:canonical or nan:arithmetic at the next token (results only). */
static bool nan_pattern(struct txt_parser *p, bool result, uint8_t *expect)
{
    if (!result)
        return false;
    if (tp_keyword(p, "nan:canonical"))
        *expect = TXT_NAN_CANONICAL;
    else if (tp_keyword(p, "nan:arithmetic"))
        *expect = TXT_NAN_ARITHMETIC;
    else
        return false;
    return true;
}

static bool v128_value(struct txt_parser *p, struct txt_result *r, bool result)
{
    enum txt_shape shape;
    uint32_t lanes;
    if (!tp_shape(p, &shape, &lanes))
        return false;
    r->shape = (uint8_t)shape;
    for (uint32_t i = 0; i < lanes; i++) {
        bool is_float = shape == TXT_F32X4 || shape == TXT_F64X2;
        if (!(is_float && nan_pattern(p, result, &r->expect[i])) &&
            !tp_lane(p, shape, i, r->v.u.v128))
            return false;
    }
    return true;
}

static bool ref_value(struct txt_parser *p, struct txt_result *r, bool result)
{
    if (r->v.type == 0) { /* ref.null */
        r->v.u.ref.null = true;
        if (tp_keyword(p, "func"))
            r->v.type = VT_FUNCREF;
        else if (tp_keyword(p, "extern"))
            r->v.type = VT_EXTERNREF;
        else
            return tp_fail(p, tp_peek(p, 0), "unexpected token");
        return true;
    }
    if (tp_peek(p, 0)->kind == TK_RPAR && result) {
        r->expect[0] = TXT_ANY_REF;
        return true;
    }
    return tp_nat32(p, &r->v.u.ref.host);
}

bool tp_script_value(struct txt_parser *p, struct txt_result *r, bool result)
{
    memset(r, 0, sizeof *r);
    const struct txt_tok *kw = tp_peek(p, 1);
    size_t k = 0;
    while (k < ARRAY_LEN(consts) && !tp_open(p, consts[k].name))
        k++;
    if (k == ARRAY_LEN(consts))
        return tp_fail(p, kw, "unknown value");
    r->v.type = consts[k].type;
    uint64_t v = 0;
    bool ok;
    switch (r->v.type) {
    case VT_I32:
        ok = tp_int(p, 32, &v);
        r->v.u.i32 = (uint32_t)v;
        break;
    case VT_I64: ok = tp_int(p, 64, &r->v.u.i64); break;
    case VT_F32:
        ok = nan_pattern(p, result, &r->expect[0]) || tp_float(p, false, &v);
        r->v.u.f32 = (uint32_t)v;
        break;
    case VT_F64: ok = nan_pattern(p, result, &r->expect[0]) || tp_float(p, true, &r->v.u.f64); break;
    case VT_V128: ok = v128_value(p, r, result); break;
    default: ok = ref_value(p, r, result); break;
    }
    return ok && tp_close(p);
}

/* ---- matching ---- */

static bool float_matches(uint64_t bits, unsigned mant_bits, unsigned width, uint8_t expect,
                          uint64_t want)
{
    uint64_t exp_mask = ((width == 64 ? ~0ull : (1ull << width) - 1) >> 1) & ~((1ull << mant_bits) - 1);
    uint64_t mant = bits & ((1ull << mant_bits) - 1);
    uint64_t quiet = 1ull << (mant_bits - 1);
    bool is_nan = (bits & exp_mask) == exp_mask && mant;
    switch (expect) {
    case TXT_NAN_CANONICAL: return is_nan && mant == quiet;
    case TXT_NAN_ARITHMETIC: return is_nan && (mant & quiet);
    default: return bits == want;
    }
}

static uint64_t lane_bits(const uint8_t *v128, unsigned lane, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)v128[lane * bytes + i] << (8 * i);
    return v;
}

static bool v128_matches(const struct txt_result *r, const uint8_t *got)
{
    if (r->shape != TXT_F32X4 && r->shape != TXT_F64X2)
        return !memcmp(r->v.u.v128, got, 16);
    unsigned bytes = r->shape == TXT_F32X4 ? 4 : 8;
    for (unsigned i = 0; i < 16 / bytes; i++)
        if (!float_matches(lane_bits(got, i, bytes), bytes == 4 ? 23 : 52, bytes * 8,
                           r->expect[i], lane_bits(r->v.u.v128, i, bytes)))
            return false;
    return true;
}

bool txt_result_matches(const struct txt_result *r, const struct txt_value *v)
{
    if (r->v.type != v->type)
        return false;
    switch (v->type) {
    case VT_I32: return v->u.i32 == r->v.u.i32;
    case VT_I64: return v->u.i64 == r->v.u.i64;
    case VT_F32: return float_matches(v->u.f32, 23, 32, r->expect[0], r->v.u.f32);
    case VT_F64: return float_matches(v->u.f64, 52, 64, r->expect[0], r->v.u.f64);
    case VT_V128: return v128_matches(r, v->u.v128);
    default:
        if (r->expect[0] == TXT_ANY_REF)
            return !v->u.ref.null;
        if (r->v.u.ref.null || v->u.ref.null)
            return r->v.u.ref.null == v->u.ref.null;
        return v->type == VT_FUNCREF || v->u.ref.host == r->v.u.ref.host;
    }
}

/* ---- printing ---- */

char *txt_value_format(char *buf, size_t n, const struct txt_value *v)
{
    const char *t = dec_valtype_name(v->type);
    switch (v->type) {
    case VT_I32: snprintf(buf, n, "i32:%u", v->u.i32); break;
    case VT_I64: snprintf(buf, n, "i64:%llu", (unsigned long long)v->u.i64); break;
    case VT_F32: snprintf(buf, n, "f32:0x%08x", v->u.f32); break;
    case VT_F64: snprintf(buf, n, "f64:0x%016llx", (unsigned long long)v->u.f64); break;
    case VT_V128: {
        const uint8_t *b = v->u.v128;
        snprintf(buf, n, "v128:0x%016llx%016llx", (unsigned long long)lane_bits(b, 1, 8),
                 (unsigned long long)lane_bits(b, 0, 8));
        break;
    }
    default:
        if (v->u.ref.null)
            snprintf(buf, n, "%s:null", t);
        else
            snprintf(buf, n, "%s:%u", t, v->u.ref.host);
    }
    return buf;
}

char *txt_result_format(char *buf, size_t n, const struct txt_result *r)
{
    static const char *const patterns[] = {"", "nan:canonical", "nan:arithmetic", "any"};
    bool scalar_pattern = r->v.type != VT_V128 && r->expect[0] != TXT_EXACT;
    if (scalar_pattern)
        snprintf(buf, n, "%s:%s", dec_valtype_name(r->v.type), patterns[r->expect[0]]);
    else
        txt_value_format(buf, n, &r->v);
    return buf;
}
