/* text: the WebAssembly text format (.wat) and the script format (.wast).
 *
 * The module parser turns text into the bytes of a binary module, so
 * everything after it (decode, validate, the backends) is shared with .wasm
 * input. The script parser turns a .wast file into a list of commands whose
 * modules are already converted to bytes (or carry their text error).
 *
 * The second half of this header is internal to src/text/. */
#ifndef TRI_TEXT_H
#define TRI_TEXT_H

#include "../base/base.h"
#include "../decode/decode.h"

/* ---- modules ---- */

/* Parses a text module, either one `(module $id? field*)` form or a bare
 * list of module fields, and appends its binary encoding to *out (owned by
 * the caller). On failure returns false with e set: ERR_MALFORMED (or
 * ERR_NOMEM) and the byte offset in src. */
bool txt_parse_module(const char *src, size_t len, struct buf *out, struct err *e);

/* True when the bytes are a binary module (they start with "\0asm"). */
bool txt_is_binary(const uint8_t *p, size_t len);

/* Gives the binary module for file contents that are either binary or text.
 * Binary input is returned as is (*out = p, *owned = false); text is parsed
 * into a malloc'd buffer the caller frees (*owned = true). On a text error
 * returns false with e->offset the byte offset in p. */
bool txt_module_bytes(const uint8_t *p, size_t len, uint8_t **out, size_t *out_len,
                      bool *owned, struct err *e);

/* The 1-based line and column of byte offset `offset` in src. */
void txt_line_col(const char *src, size_t len, size_t offset, uint32_t *line, uint32_t *col);

/* ---- script values ---- */

/* A value in a script: an argument, or a result the runtime produced. */
struct txt_value {
    valtype type; /* VT_* */
    union {
        uint32_t i32, f32;  /* floats as raw bits */
        uint64_t i64, f64;
        uint8_t v128[16];   /* little-endian lanes */
        struct {
            bool null;
            uint32_t host;  /* externref: the number of (ref.extern N) */
        } ref;
    } u;
};

enum txt_expect {
    TXT_EXACT,          /* bit-for-bit equal */
    TXT_NAN_CANONICAL,  /* any canonical NaN, either sign */
    TXT_NAN_ARITHMETIC, /* any NaN with the quiet bit set */
    TXT_ANY_REF,        /* (ref.func) or (ref.extern): any non-null reference */
};

/* v128 lane shapes as written after v128.const. */
enum txt_shape { TXT_I8X16, TXT_I16X8, TXT_I32X4, TXT_I64X2, TXT_F32X4, TXT_F64X2 };

/* An expected result of assert_return. */
struct txt_result {
    struct txt_value v;
    uint8_t shape;     /* v128 only: enum txt_shape */
    uint8_t expect[4]; /* enum txt_expect: [0] for scalars, per lane for f32x4 / f64x2 */
};

/* True when the value satisfies the expectation. */
bool txt_result_matches(const struct txt_result *r, const struct txt_value *v);
/* Writes a readable form of the value ("i32:42", "f32:0x7fc00000", ...);
 * returns buf. */
char *txt_value_format(char *buf, size_t n, const struct txt_value *v);
char *txt_result_format(char *buf, size_t n, const struct txt_result *r);

/* ---- scripts ---- */

enum txt_cmd_kind {
    TXT_CMD_MODULE,
    TXT_CMD_REGISTER,
    TXT_CMD_ACTION,
    TXT_CMD_ASSERT_RETURN,
    TXT_CMD_ASSERT_TRAP,
    TXT_CMD_ASSERT_EXHAUSTION,
    TXT_CMD_ASSERT_INVALID,
    TXT_CMD_ASSERT_MALFORMED,
    TXT_CMD_ASSERT_UNLINKABLE,
    TXT_CMD_ASSERT_UNINSTANTIABLE, /* also assert_trap on a module */
};
const char *txt_cmd_name(enum txt_cmd_kind k);

enum txt_mod_kind { TXT_MOD_TEXT, TXT_MOD_BINARY, TXT_MOD_QUOTE };

struct txt_module {
    enum txt_mod_kind kind;
    const char *name;   /* the $id, NUL-terminated, or NULL */
    bool ok;            /* converted to bytes; false: err says why */
    const uint8_t *bytes; /* the binary module (script arena) */
    size_t len;
    struct err err;     /* the text error when !ok */
    uint32_t err_line, err_col; /* where: in the script for text modules,
                                   in the quoted text for quote modules */
    uint32_t line;      /* of the `module` keyword in the script */
};

struct txt_action {
    enum { TXT_INVOKE, TXT_GET } kind;
    const char *module; /* $id of the module, or NULL for the latest */
    const char *field;  /* export name: field_len bytes, may hold NULs */
    uint32_t field_len;
    uint32_t nargs;
    struct txt_value *args;
    uint32_t line;        /* of the `invoke` / `get` keyword */
};

/* One command. All pointers point into the script's arena. */
struct txt_command {
    enum txt_cmd_kind kind;
    uint32_t line;
    struct txt_module module;   /* module and the module assertions */
    struct txt_action action;   /* action, assert_return, _trap, _exhaustion */
    uint32_t nresults;
    struct txt_result *results; /* assert_return */
    const char *text;           /* assertions: the expected message;
                                   register: the name to register as */
    uint32_t text_len;
    const char *reg_module;     /* register: the module's $id or NULL */
};

struct txt_script {
    struct arena arena;
    uint32_t ncommands;
    struct txt_command *commands;
};

/* Parses a .wast script. Malformed module text inside the script does not
 * fail the parse: it is recorded in that command's module (ok = false). A
 * script that cannot be read as commands fails with e set (offset in src).
 * Free with txt_script_free either way. */
bool txt_script_parse(const char *src, size_t len, struct txt_script *s, struct err *e);
void txt_script_free(struct txt_script *s);

/* ======== internal to src/text/ ======== */

/* ---- tokens (lexer.c) ---- */
enum txt_tok_kind {
    TK_EOF,
    TK_LPAR,
    TK_RPAR,
    TK_KEYWORD,  /* starts with a-z */
    TK_NUM,      /* starts with a digit, + or - */
    TK_ID,       /* $name */
    TK_STRING,
    TK_RESERVED, /* any other run of characters */
};

struct txt_tok {
    uint32_t off, len; /* in the source */
    uint8_t kind;
};

struct txt_tokens {
    const char *src;   /* borrowed */
    size_t len;
    struct txt_tok *v; /* owned; ends with a TK_EOF token */
    uint32_t n;        /* tokens, not counting TK_EOF */
};

/* Splits src into tokens, dropping white space and comments. Checks string
 * escapes, so txt_string cannot fail later. */
bool txt_lex(const char *src, size_t len, struct txt_tokens *t, struct err *e);
void txt_tokens_free(struct txt_tokens *t);
/* Appends the bytes a TK_STRING token stands for. */
void txt_string(const char *src, const struct txt_tok *t, struct buf *out);
/* Appends code point v (a Unicode scalar value) as UTF-8. */
void txt_put_utf8(struct buf *out, uint32_t v);
/* True when the token's text is s. */
bool txt_tok_is(const char *src, const struct txt_tok *t, const char *s);

/* ---- numbers (numbers.c) ---- */
enum txt_num { TXT_NUM_OK, TXT_NUM_SYNTAX, TXT_NUM_RANGE };
/* An unsigned decimal or hex natural that fits in 32 bits. */
enum txt_num txt_nat32(const char *s, size_t n, uint32_t *out);
/* An integer literal for a `bits`-wide value (8, 16, 32 or 64): signed or
 * unsigned range, stored as its two's complement bit pattern. */
enum txt_num txt_int(const char *s, size_t n, unsigned bits, uint64_t *out);
/* A float literal, rounded to nearest even; *out gets the raw bits. */
enum txt_num txt_f32(const char *s, size_t n, uint32_t *out);
enum txt_num txt_f64(const char *s, size_t n, uint64_t *out);

/* ---- names (symtab.c) ---- */
struct txt_sym;
struct txt_symtab {
    struct txt_sym *slots; /* owned */
    uint32_t cap, count;
};
/* Adds name -> index. Returns 1 when added, 0 when the name already exists,
 * -1 when out of memory. The name is borrowed and must outlive the table. */
int txt_sym_add(struct txt_symtab *t, const char *name, uint32_t len, uint32_t index);
bool txt_sym_find(const struct txt_symtab *t, const char *name, uint32_t len, uint32_t *index);
void txt_sym_free(struct txt_symtab *t);
/* Writes the table as a binary name map: a count, then (index, name) pairs
 * in index order, each $id without its '$'. */
void txt_sym_write_map(const struct txt_symtab *t, struct buf *out);
/* The opcode id of an instruction name, or -1. `select` gives OP_SELECT. */
int txt_op_lookup(const char *name, uint32_t len);

/* ---- the module parser (module.c, fields.c, segments.c, types.c, instr.c) ---- */
/* The index spaces names live in (NS_: name space). */
enum txt_space { NS_FUNC, NS_TABLE, NS_MEM, NS_GLOBAL, NS_TYPE, NS_ELEM, NS_DATA, NS_COUNT };
enum { SEC_COUNT = 13 }; /* binary section ids 0..12 */

struct txt_ftype {
    uint32_t nparams, nresults;
    valtype *types; /* params then results, in the parser's arena */
};

/* A block's label. Flat blocks also keep their opcode and, for an if,
 * 1 + the offset of its `else` byte (0: none yet). */
struct txt_label {
    const char *name; /* NULL: unnamed */
    uint32_t len;
    int op;
    size_t else_at;
};

struct txt_parser {
    const struct txt_tokens *tk;
    const char *src;
    uint32_t pos;
    struct err *err;
    struct arena arena;

    struct txt_symtab names[NS_COUNT];
    uint32_t count[NS_COUNT];   /* pass 2: definitions seen so far */
    VEC(struct txt_ftype) types;

    struct buf sec[SEC_COUNT];  /* section contents, without their count */
    uint32_t nsec[SEC_COUNT];
    bool has_start, uses_data_count;
    const char *module_id;      /* the module's $id (NULL: none), for the name section */
    uint32_t module_id_len;
    struct buf local_names;     /* the name section's local entries, one per function */
    uint32_t nlocal_names;

    /* the function being parsed */
    struct txt_symtab locals;
    VEC(valtype) local_types;
    VEC(struct txt_label) labels;
    uint32_t depth;             /* nesting of the instruction being parsed */
    VEC(valtype) sig;           /* the type use being parsed */
    struct buf scratch;         /* folded instructions waiting for their operands */
    struct buf body;            /* a function body or a segment's offset */
    struct buf items;           /* a segment's items */
};

/* Token access. */
static inline const struct txt_tok *tp_peek(const struct txt_parser *p, uint32_t ahead)
{
    uint32_t i = p->pos + ahead;
    return &p->tk->v[i < p->tk->n ? i : p->tk->n];
}
/* Records a malformed error at token t; returns false. */
bool tp_fail(struct txt_parser *p, const struct txt_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool tp_oom(struct txt_parser *p);
/* True (and consumes both) when the next tokens are "(" and keyword kw. */
bool tp_open(struct txt_parser *p, const char *kw);
/* True when the next tokens are "(" and keyword kw; consumes nothing. */
bool tp_at_open(const struct txt_parser *p, const char *kw);
bool tp_keyword(struct txt_parser *p, const char *kw);
bool tp_close(struct txt_parser *p);
/* Skips one token, or a whole parenthesised form when at "(". */
bool tp_skip(struct txt_parser *p);
/* Optional $id: sets name and len (name NULL when absent). */
void tp_opt_id(struct txt_parser *p, const char **name, uint32_t *len);
bool tp_nat32(struct txt_parser *p, uint32_t *out);
/* A string token's bytes appended to out; fails when the next token is not a string. */
bool tp_string(struct txt_parser *p, struct buf *out);
/* A string that must be valid UTF-8, written as a binary name (length + bytes). */
bool tp_name(struct txt_parser *p, struct buf *out);
/* An index: a nat or a $id resolved in space sp. */
bool tp_index(struct txt_parser *p, enum txt_space sp, uint32_t *out);
/* True when the next token can start an index (a nat or an $id). */
bool tp_at_index(const struct txt_parser *p);

/* names.c: the "name" custom section (debug names for backtraces) */
/* Records the current function's named parameters and locals. */
void tp_note_local_names(struct txt_parser *p, uint32_t func);
void tp_write_names(struct txt_parser *p, struct buf *out);

/* types.c */
bool tp_valtype(struct txt_parser *p, valtype *out);
bool tp_reftype(struct txt_parser *p, valtype *out);
/* (type $id? (func (param ...)* (result ...)*)) after "(type": pass 1. */
bool tp_type_def(struct txt_parser *p);
/* A type use: (type x)? (param ...)* (result ...)*. Resolves it to a type
 * index, adding an implicit type when needed. When bind is true parameters
 * may be named and are added to the current function's locals. */
bool tp_typeuse(struct txt_parser *p, bool bind, uint32_t *index);
/* A block type: written as an s33 into out. */
bool tp_blocktype(struct txt_parser *p, struct buf *out);

/* instr.c */
/* Literals: an integer for a `bits`-wide value, a float (raw bits). */
bool tp_int(struct txt_parser *p, unsigned bits, uint64_t *out);
bool tp_float(struct txt_parser *p, bool f64, uint64_t *out);
/* A v128 shape keyword, and one lane of that shape stored into v128. */
bool tp_shape(struct txt_parser *p, enum txt_shape *out, uint32_t *lanes);
bool tp_lane(struct txt_parser *p, enum txt_shape shape, uint32_t lane, uint8_t v128[16]);
/* Instructions up to ")" or, in a flat block, "end" / "else", into out. */
bool tp_instrs(struct txt_parser *p, struct buf *out);
/* One folded instruction then `end` (the abbreviated offset or item). */
bool tp_folded_expr(struct txt_parser *p, struct buf *out);
/* A constant expression: instructions then `end`. */
bool tp_expr(struct txt_parser *p, struct buf *out);
/* Writes an opcode (with its 0xFC / 0xFD prefix). */
void tp_emit_op(struct buf *out, int op);

/* fields.c / segments.c: pass 2 of one module field, after "(" keyword. */
bool tp_field_func(struct txt_parser *p);
bool tp_field_table(struct txt_parser *p);
bool tp_field_memory(struct txt_parser *p);
bool tp_field_global(struct txt_parser *p);
bool tp_field_import(struct txt_parser *p);
bool tp_field_export(struct txt_parser *p);
bool tp_field_elem(struct txt_parser *p);
bool tp_field_data(struct txt_parser *p);
/* values.c: a script constant `(i32.const 1)` etc. When `result` is true
 * the nan:canonical / nan:arithmetic patterns and (ref.func) / (ref.extern)
 * without a number are accepted too. */
bool tp_script_value(struct txt_parser *p, struct txt_result *r, bool result);

/* segments.c: the segment an inline (elem ...) of table `table` of element
 * type t, or an inline (data ...) of memory `mem`, creates; *count gets its
 * number of elements, *len its number of bytes. */
bool tp_inline_elem(struct txt_parser *p, uint32_t table, valtype t, uint32_t *count);
bool tp_inline_data(struct txt_parser *p, uint32_t mem, uint32_t *len);

/* Parses one module from the tokens at *pos: a `(module ...)` form (then
 * *pos moves past it) or bare fields up to the first token that is not "("
 * (then *pos is left there). Used by txt_parse_module and the script parser. */
bool txt_parse_tokens(const struct txt_tokens *tk, uint32_t *pos, struct buf *out,
                      struct err *e);

#endif
