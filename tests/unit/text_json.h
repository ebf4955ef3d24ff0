/* A small JSON reader for tests that compare against wast2json output.
 * Parses a whole document into a tree allocated in an arena. */
#ifndef TRI_TEST_TEXT_JSON_H
#define TRI_TEST_TEXT_JSON_H

#include <string.h>

#include "text/text.h"

enum json_kind { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct json {
    enum json_kind kind;
    char *str;            /* J_STR: decoded UTF-8 (NUL-terminated); J_NUM: the text */
    size_t len;
    size_t n;             /* J_ARR / J_OBJ: number of items */
    struct json **items;
    char **keys;          /* J_OBJ */
};

struct json_reader {
    const char *p, *end;
    struct arena *arena;
};

static void json_ws(struct json_reader *r)
{
    while (r->p < r->end && strchr(" \t\r\n", *r->p))
        r->p++;
}

static unsigned long json_hex4(struct json_reader *r)
{
    char tmp[5] = {0};
    if (r->end - r->p < 4)
        return 0;
    memcpy(tmp, r->p, 4);
    r->p += 4;
    return strtoul(tmp, NULL, 16);
}

/* A string at its opening quote; decoded into the arena. */
static char *json_string(struct json_reader *r, size_t *len)
{
    struct buf b = {0};
    for (r->p++; r->p < r->end && *r->p != '"'; r->p++) {
        if (*r->p != '\\') {
            buf_byte(&b, (uint8_t)*r->p);
            continue;
        }
        char e = *++r->p;
        const char *map = strchr("\"\"\\\\//b\bf\fn\nr\rt\t", e);
        if (e == 'u') {
            r->p++;
            unsigned long c = json_hex4(r);
            if (c >= 0xD800 && c < 0xDC00 && r->p + 6 <= r->end && r->p[0] == '\\') {
                r->p += 2;
                c = 0x10000 + ((c - 0xD800) << 10) + (json_hex4(r) - 0xDC00);
            }
            txt_put_utf8(&b, (uint32_t)c);
            r->p--;
        } else if (map) {
            buf_byte(&b, (uint8_t)map[1]);
        }
    }
    r->p++;
    *len = b.len;
    char *s = arena_strndup(r->arena, b.len ? (const char *)b.data : "", b.len);
    buf_free(&b);
    return s;
}

static struct json *json_value(struct json_reader *r);

/* The items of an array or object, up to the closing bracket. */
static bool json_items(struct json_reader *r, struct json *j, char close)
{
    VEC(struct json *) items = {0};
    VEC(char *) keys = {0};
    r->p++;
    json_ws(r);
    while (r->p < r->end && *r->p != close) {
        if (close == '}') {
            size_t n;
            *vec_push(&keys) = json_string(r, &n);
            json_ws(r);
            r->p++; /* : */
        }
        *vec_push(&items) = json_value(r);
        json_ws(r);
        if (r->p < r->end && *r->p == ',')
            r->p++;
        json_ws(r);
    }
    r->p++;
    j->n = items.len;
    j->items = arena_array(r->arena, items.len + 1, sizeof *j->items);
    j->keys = arena_array(r->arena, keys.len + 1, sizeof *j->keys);
    if (items.len)
        memcpy(j->items, items.data, items.len * sizeof *j->items);
    if (keys.len)
        memcpy(j->keys, keys.data, keys.len * sizeof *j->keys);
    vec_free(&items);
    vec_free(&keys);
    return true;
}

static struct json *json_value(struct json_reader *r)
{
    struct json *j = arena_alloc(r->arena, sizeof *j);
    json_ws(r);
    if (r->p >= r->end)
        return j;
    char c = *r->p;
    if (c == '{' || c == '[') {
        j->kind = c == '{' ? J_OBJ : J_ARR;
        json_items(r, j, c == '{' ? '}' : ']');
    } else if (c == '"') {
        j->kind = J_STR;
        j->str = json_string(r, &j->len);
    } else {
        const char *s = r->p;
        while (r->p < r->end && !strchr(",]} \t\r\n", *r->p))
            r->p++;
        j->len = (size_t)(r->p - s);
        j->str = arena_strndup(r->arena, s, j->len);
        j->kind = c == 'n' ? J_NULL : (c == 't' || c == 'f') ? J_BOOL : J_NUM;
    }
    return j;
}

static struct json *json_parse(const char *text, size_t len, struct arena *a)
{
    struct json_reader r = {text, text + len, a};
    return json_value(&r);
}

/* The member `key` of an object, or NULL. */
static const struct json *json_get(const struct json *o, const char *key)
{
    for (size_t i = 0; o && o->kind == J_OBJ && i < o->n; i++)
        if (!strcmp(o->keys[i], key))
            return o->items[i];
    return NULL;
}

/* The string member `key`, or "" when absent. */
static const char *json_str(const struct json *o, const char *key)
{
    const struct json *j = json_get(o, key);
    return j && j->str ? j->str : "";
}

#endif
