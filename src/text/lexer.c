/* The lexer: source text -> tokens. White space and comments are dropped;
 * block comments nest. A token is a parenthesis or a maximal run of
 * identifier characters and strings: a run that mixes them (like `$l"a"`)
 * becomes TK_RESERVED, which no grammar rule accepts, as the spec asks. */
#include <pthread.h>
#include <string.h>

#include "text.h"

/* Character classes, indexed by byte. */
enum { C_OTHER, C_SPACE, C_IDCHAR };

static uint8_t char_class(unsigned char c)
{
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        return C_SPACE;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return C_IDCHAR;
    if (c > 0x20 && c < 0x7f && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c))
        return C_IDCHAR;
    return C_OTHER;
}

static uint8_t classes[256];
static pthread_once_t classes_once = PTHREAD_ONCE_INIT;

static void init_classes(void)
{
    for (int c = 0; c < 256; c++)
        classes[c] = char_class((unsigned char)c);
}

struct lexer {
    const char *s;
    size_t pos, len;
    struct err *err;
};

static bool lex_fail(struct lexer *lx, size_t at, const char *msg)
{
    return err_set(lx->err, ERR_MALFORMED, at, "%s", msg);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Length of the UTF-8 sequence starting with byte c, 0 when invalid. */
static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
}

/* Reads \u{hex}: the code point, or -1 when malformed or not a scalar value. */
static long unicode_escape(const char *s, size_t len, size_t *i)
{
    size_t j = *i;
    if (j >= len || s[j] != '{')
        return -1;
    long v = 0;
    size_t digits = 0;
    for (j++; j < len && s[j] != '}'; j++) {
        if (s[j] == '_' && digits && j + 1 < len && hex_value(s[j + 1]) >= 0)
            continue;
        int h = hex_value(s[j]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
        digits++;
        if (v > 0x10FFFF)
            return -1;
    }
    if (j >= len || !digits || (v >= 0xD800 && v < 0xE000))
        return -1;
    *i = j + 1;
    return v;
}

/* Checks the string starting at the opening quote; leaves pos after it. */
static bool scan_string(struct lexer *lx)
{
    size_t start = lx->pos;
    const char *s = lx->s;
    size_t i = start + 1;
    while (i < lx->len && s[i] != '"') {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            size_t at = i++;
            if (i >= lx->len)
                break;
            char e = s[i++];
            if (e == 'u') {
                if (unicode_escape(s, lx->len, &i) < 0)
                    return lex_fail(lx, at, "malformed unicode escape");
            } else if (hex_value(e) >= 0) {
                if (i >= lx->len || hex_value(s[i]) < 0)
                    return lex_fail(lx, at, "illegal escape");
                i++;
            } else if (!strchr("tnr\"'\\", e)) {
                return lex_fail(lx, at, "illegal escape");
            }
        } else if (c < 0x20 || c == 0x7f) {
            return lex_fail(lx, i, "illegal control character in string");
        } else if (c >= 0x80) {
            size_t n = utf8_len(c);
            if (!n || i + n > lx->len || !utf8_valid((const uint8_t *)s + i, n))
                return lex_fail(lx, i, "malformed UTF-8 encoding");
            i += n;
        } else {
            i++;
        }
    }
    if (i >= lx->len)
        return lex_fail(lx, start, "unclosed string");
    lx->pos = i + 1;
    return true;
}

/* Skips a block comment starting at "(;", with nesting. */
static bool skip_block_comment(struct lexer *lx)
{
    size_t start = lx->pos;
    int depth = 0;
    const char *s = lx->s;
    while (lx->pos + 1 < lx->len) {
        if (s[lx->pos] == '(' && s[lx->pos + 1] == ';') {
            depth++;
            lx->pos += 2;
        } else if (s[lx->pos] == ';' && s[lx->pos + 1] == ')') {
            lx->pos += 2;
            if (--depth == 0)
                return true;
        } else {
            lx->pos++;
        }
    }
    return lex_fail(lx, start, "unclosed comment");
}

/* Skips white space and comments; false on a bad comment. */
static bool skip_space(struct lexer *lx)
{
    const char *s = lx->s;
    while (lx->pos < lx->len) {
        unsigned char c = (unsigned char)s[lx->pos];
        if (classes[c] == C_SPACE) {
            lx->pos++;
        } else if (c == ';' && lx->pos + 1 < lx->len && s[lx->pos + 1] == ';') {
            const char *nl = memchr(s + lx->pos, '\n', lx->len - lx->pos);
            lx->pos = nl ? (size_t)(nl - s) + 1 : lx->len;
        } else if (c == '(' && lx->pos + 1 < lx->len && s[lx->pos + 1] == ';') {
            if (!skip_block_comment(lx))
                return false;
        } else {
            return true;
        }
    }
    return true;
}

/* Scans a run of identifier characters and strings; returns its kind. */
static bool scan_atom(struct lexer *lx, uint8_t *kind)
{
    size_t start = lx->pos;
    unsigned strings = 0, idchars = 0;
    while (lx->pos < lx->len) {
        unsigned char c = (unsigned char)lx->s[lx->pos];
        if (classes[c] == C_IDCHAR) {
            lx->pos++;
            idchars++;
        } else if (c == '"') {
            if (!scan_string(lx))
                return false;
            strings++;
        } else {
            break;
        }
    }
    if (lx->pos == start)
        return lex_fail(lx, start, "unexpected character");
    unsigned char c = (unsigned char)lx->s[start];
    if (strings)
        *kind = strings == 1 && !idchars ? TK_STRING : TK_RESERVED;
    else if (c == '$' && idchars > 1)
        *kind = TK_ID;
    else if (c >= 'a' && c <= 'z')
        *kind = TK_KEYWORD;
    else if ((c >= '0' && c <= '9') || c == '+' || c == '-')
        *kind = TK_NUM;
    else
        *kind = TK_RESERVED;
    return true;
}

static bool push_token(struct txt_tokens *t, size_t *cap, uint8_t kind, size_t off, size_t len)
{
    if (t->n + 1 >= *cap) {
        size_t ncap = *cap ? *cap * 2 : 1024;
        struct txt_tok *v = realloc(t->v, ncap * sizeof *v);
        if (!v)
            return false;
        t->v = v;
        *cap = ncap;
    }
    t->v[t->n++] = (struct txt_tok){(uint32_t)off, (uint32_t)len, kind};
    return true;
}

bool txt_lex(const char *src, size_t len, struct txt_tokens *t, struct err *e)
{
    pthread_once(&classes_once, init_classes);
    memset(t, 0, sizeof *t);
    t->src = src;
    t->len = len;
    if (len >= UINT32_MAX)
        return err_set(e, ERR_LIMIT, NO_OFFSET, "text too large");
    struct lexer lx = {src, 0, len, e};
    size_t cap = 0;
    for (;;) {
        if (!skip_space(&lx))
            break;
        size_t start = lx.pos;
        uint8_t kind = TK_EOF;
        if (lx.pos >= len) {
            if (!push_token(t, &cap, TK_EOF, len, 0))
                break;
            t->n--; /* the EOF token is not counted */
            return true;
        }
        char c = src[lx.pos];
        if (c == '(' || c == ')') {
            kind = c == '(' ? TK_LPAR : TK_RPAR;
            lx.pos++;
        } else if (!scan_atom(&lx, &kind)) {
            break;
        }
        if (!push_token(t, &cap, kind, start, lx.pos - start))
            break;
    }
    if (err_ok(e))
        err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    txt_tokens_free(t);
    return false;
}

void txt_tokens_free(struct txt_tokens *t)
{
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

void txt_put_utf8(struct buf *out, uint32_t v)
{
    if (v < 0x80) {
        buf_byte(out, (uint8_t)v);
    } else if (v < 0x800) {
        buf_byte(out, (uint8_t)(0xC0 | v >> 6));
        buf_byte(out, (uint8_t)(0x80 | (v & 0x3F)));
    } else if (v < 0x10000) {
        buf_byte(out, (uint8_t)(0xE0 | v >> 12));
        buf_byte(out, (uint8_t)(0x80 | (v >> 6 & 0x3F)));
        buf_byte(out, (uint8_t)(0x80 | (v & 0x3F)));
    } else {
        buf_byte(out, (uint8_t)(0xF0 | v >> 18));
        buf_byte(out, (uint8_t)(0x80 | (v >> 12 & 0x3F)));
        buf_byte(out, (uint8_t)(0x80 | (v >> 6 & 0x3F)));
        buf_byte(out, (uint8_t)(0x80 | (v & 0x3F)));
    }
}

void txt_string(const char *src, const struct txt_tok *t, struct buf *out)
{
    const char *s = src + t->off + 1;
    size_t n = t->len - 2, i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && s[run] != '\\')
            run++;
        buf_bytes(out, s + i, run - i);
        if (run >= n)
            break;
        i = run + 1;
        char c = s[i++];
        switch (c) {
        case 't': buf_byte(out, '\t'); break;
        case 'n': buf_byte(out, '\n'); break;
        case 'r': buf_byte(out, '\r'); break;
        case '"': case '\'': case '\\': buf_byte(out, (uint8_t)c); break;
        case 'u': txt_put_utf8(out, (uint32_t)unicode_escape(s, n, &i)); break;
        default:
            buf_byte(out, (uint8_t)(hex_value(c) * 16 + hex_value(s[i])));
            i++;
        }
    }
}

bool txt_tok_is(const char *src, const struct txt_tok *t, const char *s)
{
    size_t n = strlen(s);
    return t->len == n && !memcmp(src + t->off, s, n);
}

void txt_line_col(const char *src, size_t len, size_t offset, uint32_t *line, uint32_t *col)
{
    if (offset > len)
        offset = len;
    uint32_t l = 1;
    size_t start = 0;
    for (const char *p = src; (p = memchr(p, '\n', offset - (size_t)(p - src))); p++) {
        l++;
        start = (size_t)(p - src) + 1;
    }
    *line = l;
    *col = (uint32_t)(offset - start) + 1;
}

bool txt_is_binary(const uint8_t *p, size_t len)
{
    return len >= 4 && !memcmp(p, "\0asm", 4);
}
