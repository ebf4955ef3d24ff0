/* base: arenas, growable arrays, byte buffers and error records.
 * Knows nothing about WebAssembly; every other folder builds on it. */
#ifndef TRI_BASE_H
#define TRI_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* The rare out-of-line side of an inline fast path (a full buffer, an
 * unusual form): the callee saves every register it uses, so that the
 * hot code around the fast path keeps its values in caller-saved
 * registers instead of saving callee-saved ones in every prologue. */
#if defined(__clang__) && defined(__x86_64__)
#define RARE __attribute__((preserve_most))
#else
#define RARE
#endif

/* ---- arena: many small allocations freed at once ---- */

struct arena_block;
struct arena {
    struct arena_block *head;  /* newest block first */
    size_t total;              /* bytes handed out, for statistics */
    unsigned char *next, *end; /* the free part of head */
};

/* Returns zeroed memory aligned to 16, or NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t size);
/* arena_alloc(n * size) with overflow check. */
void *arena_array(struct arena *a, size_t n, size_t size);
/* The out-of-line part of arena_alloc_raw: what head has no room for. */
void *arena_alloc_block(struct arena *a, size_t size);
/* The same without the zeroing, for memory the caller writes before it
 * reads it (the contents are whatever was there). Inline: the compilers
 * allocate in their hot loops. Sizes are rounded up to 16, so the room
 * in head stays a multiple of 16 (size 0 takes the slow way). */
static inline void *arena_alloc_raw(struct arena *a, size_t size)
{
    if (size - 1 >= (size_t)(a->end - a->next))
        return arena_alloc_block(a, size);
    void *p = a->next;
    size = (size + 15) & ~(size_t)15;
    a->next += size;
    a->total += size;
    return p;
}
static inline void *arena_array_raw(struct arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return arena_alloc_raw(a, n * size);
}
/* Copies len bytes and appends a NUL; NULL when out of memory. */
char *arena_strndup(struct arena *a, const char *s, size_t len);
/* Frees every block; the arena may be used again afterwards. */
void arena_free(struct arena *a);
/* Forgets every allocation but keeps the memory (up to a limit) for the
 * next ones: for an arena filled and emptied many times. */
void arena_reset(struct arena *a);

/* ---- vec: a growable array of any element type ----
 * Declare with VEC(type) name = {0}; grow with vec_push(&v, sizeof *v.data).
 * The macro form keeps the element type visible at the use site. */
#define VEC(T) struct { T *data; size_t len, cap; }

/* Makes room for one more element of size elem and returns a pointer to it
 * (zeroed), or NULL when out of memory. v must point to a VEC. */
void *vec_grow_(void *v, size_t elem);
#define vec_push(v) ((__typeof__((v)->data))vec_grow_((v), sizeof *(v)->data))
/* Makes sure at least n elements fit without reallocating; false on OOM. */
bool vec_reserve_(void *v, size_t elem, size_t n);
#define vec_reserve(v, n) vec_reserve_((v), sizeof *(v)->data, (n))
#define vec_free(v) (free((v)->data), (v)->data = NULL, (v)->len = (v)->cap = 0)

/* ---- buf: a growable byte buffer ---- */
struct buf {
    uint8_t *data;
    size_t len, cap;
    bool oom; /* set once an append failed; later appends do nothing */
};
void buf_bytes(struct buf *b, const void *p, size_t n);
void buf_byte(struct buf *b, uint8_t c);
void buf_u32leb(struct buf *b, uint32_t v);
void buf_s32leb(struct buf *b, int32_t v);
void buf_s64leb(struct buf *b, int64_t v);
void buf_u32le(struct buf *b, uint32_t v);
void buf_u64le(struct buf *b, uint64_t v);
/* Appends formatted text (no terminating NUL), however long. */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_free(struct buf *b);

/* ---- errors: the first failure is recorded and never overwritten ---- */
enum err_code {
    ERR_NONE = 0,
    ERR_MALFORMED,   /* the bytes are not a well-formed module (decode) */
    ERR_INVALID,     /* well-formed but fails validation */
    ERR_UNLINKABLE,  /* imports cannot be resolved */
    ERR_TRAP,        /* execution trapped */
    ERR_LIMIT,       /* an implementation limit was exceeded */
    ERR_NOMEM,       /* allocation failed */
    ERR_IO,          /* a file could not be read or written */
    ERR_ARG,         /* a caller passed a bad argument */
    ERR_UNSUPPORTED, /* a feature this build does not have */
};

struct err {
    enum err_code code;
    size_t offset;      /* byte offset in the module, or SIZE_MAX if none */
    uint32_t func;      /* function index, or UINT32_MAX if none */
    char msg[256];
};

#define NO_OFFSET SIZE_MAX
#define NO_FUNC UINT32_MAX

/* Records the error unless one is already recorded. Returns false so callers
 * can write `return err_set(...)`. */
bool err_set(struct err *e, enum err_code code, size_t offset,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
bool err_vset(struct err *e, enum err_code code, size_t offset,
              const char *fmt, va_list ap);
static inline bool err_ok(const struct err *e) { return e->code == ERR_NONE; }
void err_clear(struct err *e);
const char *err_code_name(enum err_code code);

/* ---- small helpers ---- */

/* FNV-1a 64-bit, for hash tables and keys. */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);
/* True when the n bytes are valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool utf8_valid(const uint8_t *p, size_t n);
/* Reads a whole file into a malloc'd buffer (owned by the caller). */
bool file_read(const char *path, uint8_t **data, size_t *len, struct err *e);

#endif
