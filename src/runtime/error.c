/* Errors and traps as values (tri_error), and the tri_val helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runtime.h"

/* Returned when even the error cannot be allocated; never freed. */
static tri_error oom_error = {.kind = TRI_ERR_NOMEM, .offset = UINT64_MAX,
                              .message = (char *)"out of memory"};

static tri_error *error_vnew(tri_error_kind kind, const char *fmt, va_list ap)
{
    tri_error *e = calloc(1, sizeof *e);
    char *msg = malloc(512);
    if (!e || !msg) {
        free(e);
        free(msg);
        return &oom_error;
    }
    vsnprintf(msg, 512, fmt, ap);
    e->kind = kind;
    e->offset = UINT64_MAX;
    e->message = msg;
    return e;
}

tri_error *rt_error(tri_error_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tri_error *e = error_vnew(kind, fmt, ap);
    va_end(ap);
    return e;
}

tri_error *rt_error_from(const struct err *src)
{
    /* enum err_code and tri_error_kind share their numbering from 1 on. */
    tri_error_kind kind = src->code == ERR_NONE ? TRI_ERR_ARG : (tri_error_kind)src->code;
    tri_error *e = rt_error(kind, "%s", src->msg);
    if (e != &oom_error && src->offset != NO_OFFSET)
        e->offset = src->offset;
    return e;
}

tri_error *rt_trap_error(tri_trap_code code)
{
    tri_error *e = rt_error(TRI_ERR_TRAP, "%s", tri_trap_message(code));
    if (e != &oom_error)
        e->trap = code;
    return e;
}

const char *tri_trap_message(tri_trap_code code)
{
    static const char *const msgs[TRI_TRAP_COUNT] = {
        [TRI_TRAP_NONE] = "no trap",
        [TRI_TRAP_UNREACHABLE] = "unreachable",
        [TRI_TRAP_MEMORY_OOB] = "out of bounds memory access",
        [TRI_TRAP_TABLE_OOB] = "out of bounds table access",
        [TRI_TRAP_UNDEFINED_ELEMENT] = "undefined element",
        [TRI_TRAP_NULL_ELEMENT] = "uninitialized element",
        [TRI_TRAP_BAD_SIGNATURE] = "indirect call type mismatch",
        [TRI_TRAP_DIV_ZERO] = "integer divide by zero",
        [TRI_TRAP_INT_OVERFLOW] = "integer overflow",
        [TRI_TRAP_BAD_CONVERSION] = "invalid conversion to integer",
        [TRI_TRAP_STACK_OVERFLOW] = "call stack exhausted",
        [TRI_TRAP_INTERRUPT] = "interrupted",
        [TRI_TRAP_HOST] = "host trap",
        [TRI_TRAP_EXIT] = "exit",
    };
    return (unsigned)code < TRI_TRAP_COUNT ? msgs[code] : "unknown trap";
}

tri_error *tri_trap_new(const char *message)
{
    tri_error *e = rt_error(TRI_ERR_TRAP, "%s", message ? message : "host trap");
    if (e == &oom_error)
        return NULL;
    e->trap = TRI_TRAP_HOST;
    return e;
}

tri_error *tri_exit_new(int32_t status)
{
    tri_error *e = rt_error(TRI_ERR_TRAP, "exit with status %d", status);
    if (e == &oom_error)
        return NULL;
    e->trap = TRI_TRAP_EXIT;
    e->exit_status = status;
    return e;
}

bool tri_error_exit_status(const tri_error *e, int32_t *status)
{
    if (!e || e->trap != TRI_TRAP_EXIT)
        return false;
    *status = e->exit_status;
    return true;
}

tri_error_kind tri_error_kind_of(const tri_error *e) { return e->kind; }
const char *tri_error_message(const tri_error *e) { return e->message; }
uint64_t tri_error_offset(const tri_error *e) { return e->offset; }
tri_trap_code tri_error_trap_code(const tri_error *e) { return e->trap; }
size_t tri_error_frame_count(const tri_error *e) { return e->nframes; }

const tri_frame *tri_error_frame(const tri_error *e, size_t i)
{
    return i < e->nframes ? &e->frames[i] : NULL;
}

void tri_error_delete(tri_error *e)
{
    if (!e || e == &oom_error)
        return;
    free(e->message);
    free(e);
}

/* ---- values ---- */

tri_val tri_val_i32(int32_t v) { return (tri_val){.kind = TRI_I32, .of.i32 = v}; }
tri_val tri_val_i64(int64_t v) { return (tri_val){.kind = TRI_I64, .of.i64 = v}; }

tri_val tri_val_f32(float v)
{
    tri_val r = {.kind = TRI_F32};
    memcpy(&r.of.f32_bits, &v, 4);
    return r;
}

tri_val tri_val_f64(double v)
{
    tri_val r = {.kind = TRI_F64};
    memcpy(&r.of.f64_bits, &v, 8);
    return r;
}

float tri_val_as_f32(tri_val v)
{
    float f;
    memcpy(&f, &v.of.f32_bits, 4);
    return f;
}

double tri_val_as_f64(tri_val v)
{
    double d;
    memcpy(&d, &v.of.f64_bits, 8);
    return d;
}

bool rt_valkind_supported(uint8_t kind)
{
    return kind == TRI_I32 || kind == TRI_I64 || kind == TRI_F32 || kind == TRI_F64 ||
           kind == TRI_FUNCREF || kind == TRI_EXTERNREF;
}

uint64_t rt_val_to_raw(tri_val v)
{
    switch (v.kind) {
    case TRI_I32: return (uint32_t)v.of.i32;
    case TRI_F32: return v.of.f32_bits;
    case TRI_FUNCREF: return (uintptr_t)v.of.funcref;
    case TRI_EXTERNREF: return (uintptr_t)v.of.externref;
    default: return v.of.i64;
    }
}

tri_val rt_val_from_raw(uint8_t kind, uint64_t raw)
{
    tri_val v = {.kind = kind};
    switch (kind) {
    case TRI_I32: v.of.i32 = (int32_t)(uint32_t)raw; break;
    case TRI_F32: v.of.f32_bits = (uint32_t)raw; break;
    case TRI_FUNCREF: v.of.funcref = (tri_func *)(uintptr_t)raw; break;
    case TRI_EXTERNREF: v.of.externref = (void *)(uintptr_t)raw; break;
    default: v.of.i64 = (int64_t)raw; break;
    }
    return v;
}
