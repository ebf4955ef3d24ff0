/* The DWARF line table (.debug_line, versions 2 to 4) of a chunk's object:
 * the rows that map code addresses to "lines", which are wasm offsets
 * here (func.c gives each instruction the offset of its wasm instruction
 * as its line). The section comes with its address relocations applied,
 * so DW_LNE_set_address operands are offsets in the chunk's code. */
#include <stdlib.h>
#include <string.h>

#include "llvm.h"

struct cursor {
    const uint8_t *p, *end;
    bool bad;
};

static uint64_t u8(struct cursor *c)
{
    if (c->p >= c->end) {
        c->bad = true;
        return 0;
    }
    return *c->p++;
}

static uint64_t fixed(struct cursor *c, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= u8(c) << (8 * i);
    return v;
}

static uint64_t uleb(struct cursor *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        uint64_t b = u8(c);
        if (shift < 64)
            v |= (b & 0x7F) << shift;
        if (!(b & 0x80) || c->bad)
            return v;
    }
}

static int64_t sleb(struct cursor *c)
{
    uint64_t v = 0, b;
    unsigned shift = 0;
    do {
        b = u8(c);
        if (shift < 64)
            v |= (b & 0x7F) << shift;
        shift += 7;
    } while ((b & 0x80) && !c->bad);
    if (shift < 64 && (b & 0x40))
        v |= ~0ull << shift;
    return (int64_t)v;
}

struct header {
    uint8_t min_len, opcode_base, line_range;
    int8_t line_base;
    const uint8_t *lengths; /* standard_opcode_lengths, opcode_base - 1 of them */
};

/* Reads one unit's header; c then points at its line program. */
static bool read_header(struct cursor *c, struct header *h)
{
    unsigned version = (unsigned)fixed(c, 2);
    if (version < 2 || version > 4)
        return false;
    uint64_t header_len = fixed(c, 4);
    const uint8_t *program = c->p + header_len;
    h->min_len = (uint8_t)u8(c);
    if (version >= 4)
        u8(c); /* maximum_operations_per_instruction: 1 on x86 */
    u8(c);     /* default_is_stmt */
    h->line_base = (int8_t)u8(c);
    h->line_range = (uint8_t)u8(c);
    h->opcode_base = (uint8_t)u8(c);
    h->lengths = c->p;
    if (c->bad || h->line_range == 0 || h->opcode_base == 0 || program > c->end ||
        program < c->p)
        return false;
    c->p = program; /* directories and files: not needed */
    return true;
}

struct state {
    uint64_t addr, line;
};

struct rows {
    struct llv_row *data;
    size_t len, cap;
};

static bool emit(struct rows *rows, const struct state *s)
{
    struct llv_row *r = vec_push(rows);
    if (r)
        *r = (struct llv_row){(uint32_t)s->addr, (uint32_t)s->line};
    return r != NULL;
}

/* Runs one unit's line program, appending its rows. */
static bool run(struct cursor *c, const struct header *h, struct rows *rows)
{
    struct state s = {0, 1};
    while (c->p < c->end && !c->bad) {
        uint8_t op = (uint8_t)u8(c);
        if (op >= h->opcode_base) { /* special: advance both, add a row */
            unsigned adj = op - h->opcode_base;
            s.addr += (adj / h->line_range) * h->min_len;
            s.line += h->line_base + (int)(adj % h->line_range);
            if (!emit(rows, &s))
                return false;
            continue;
        }
        switch (op) {
        case 0: { /* extended */
            uint64_t len = uleb(c);
            const uint8_t *next = c->p + len;
            if (len == 0 || next > c->end)
                return c->bad = true, true;
            uint8_t sub = (uint8_t)u8(c);
            if (sub == 1) /* end_sequence: its row only marks the end */
                s = (struct state){0, 1};
            else if (sub == 2) { /* set_address */
                s.addr = fixed(c, 8);
            }
            c->p = next;
            break;
        }
        case 1: /* copy */
            if (!emit(rows, &s))
                return false;
            break;
        case 2: s.addr += uleb(c) * h->min_len; break;
        case 3: s.line += (uint64_t)sleb(c); break;
        case 8: s.addr += ((255u - h->opcode_base) / h->line_range) * h->min_len; break;
        case 9: s.addr += fixed(c, 2); break;
        default: /* operands we do not need: skip them */
            for (unsigned i = 0; i < h->lengths[op - 1]; i++)
                uleb(c);
            break;
        }
    }
    return true;
}

static int row_cmp(const void *x, const void *y)
{
    const struct llv_row *a = x, *b = y;
    return (a->pc > b->pc) - (a->pc < b->pc);
}

/* Rows come in address order within a sequence, and LLVM writes one
 * sequence per code section: sorting is rarely needed, and then rows at
 * the same address lose their order (a small imprecision at worst). */
static void sort_rows(struct rows *r)
{
    for (size_t i = 1; i < r->len; i++)
        if (r->data[i].pc < r->data[i - 1].pc) {
            qsort(r->data, r->len, sizeof *r->data, row_cmp);
            return;
        }
}

bool llv_lines_read(const uint8_t *p, size_t len, struct llv_row **out, size_t *n,
                    struct err *e)
{
    struct rows rows = {0};
    struct cursor c = {p, p + len, false};
    bool ok = true;
    while (ok && c.p < c.end && !c.bad) {
        uint64_t unit_len = fixed(&c, 4);
        if (unit_len >= 0xFFFFFFF0u || unit_len > (uint64_t)(c.end - c.p)) {
            c.bad = true;
            break;
        }
        struct cursor unit = {c.p, c.p + unit_len, false};
        struct header h;
        c.p += unit_len;
        if (!read_header(&unit, &h) || h.opcode_base - 1u > (size_t)(unit.end - h.lengths)) {
            c.bad = true;
            break;
        }
        ok = run(&unit, &h, &rows);
        c.bad |= unit.bad;
    }
    if (!ok || c.bad) {
        vec_free(&rows);
        return ok ? err_set(e, ERR_LIMIT, NO_OFFSET, "llvm: unreadable line table")
                  : err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    }
    sort_rows(&rows);
    *out = rows.data;
    *n = rows.len;
    return true;
}
