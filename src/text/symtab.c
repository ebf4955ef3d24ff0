/* Symbol tables: $id -> index maps (open addressing, linear probing), and
 * the instruction-name table built once from the opcode list. */
#include <pthread.h>
#include <string.h>

#include "text.h"

struct txt_sym {
    const char *name; /* NULL: empty slot */
    uint32_t len, index;
};

static uint32_t slot_of(const struct txt_symtab *t, const char *name, uint32_t len)
{
    uint32_t mask = t->cap - 1;
    uint32_t i = (uint32_t)hash_bytes(name, len, 0) & mask;
    while (t->slots[i].name &&
           !(t->slots[i].len == len && !memcmp(t->slots[i].name, name, len)))
        i = (i + 1) & mask;
    return i;
}

static bool grow(struct txt_symtab *t)
{
    uint32_t cap = t->cap ? t->cap * 2 : 16;
    struct txt_sym *old = t->slots;
    uint32_t old_cap = t->cap;
    t->slots = calloc(cap, sizeof *t->slots);
    if (!t->slots) {
        t->slots = old;
        return false;
    }
    t->cap = cap;
    for (uint32_t i = 0; i < old_cap; i++)
        if (old[i].name)
            t->slots[slot_of(t, old[i].name, old[i].len)] = old[i];
    free(old);
    return true;
}

int txt_sym_add(struct txt_symtab *t, const char *name, uint32_t len, uint32_t index)
{
    if ((t->count + 1) * 2 > t->cap && !grow(t))
        return -1;
    uint32_t i = slot_of(t, name, len);
    if (t->slots[i].name)
        return 0;
    t->slots[i] = (struct txt_sym){name, len, index};
    t->count++;
    return 1;
}

bool txt_sym_find(const struct txt_symtab *t, const char *name, uint32_t len, uint32_t *index)
{
    if (!t->cap)
        return false;
    uint32_t i = slot_of(t, name, len);
    if (!t->slots[i].name)
        return false;
    *index = t->slots[i].index;
    return true;
}

void txt_sym_free(struct txt_symtab *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->count = 0;
}

/* The instruction names, filled once from dec_ops. If building it runs out
 * of memory the table stays partial and unknown names are reported. */
static struct txt_symtab op_names;
static pthread_once_t op_names_once = PTHREAD_ONCE_INIT;

static void build_op_names(void)
{
    for (int op = 0; op < OP_COUNT; op++) {
        const char *name = dec_ops[op].name;
        if (name && txt_sym_add(&op_names, name, (uint32_t)strlen(name), (uint32_t)op) < 0)
            return;
    }
}

int txt_op_lookup(const char *name, uint32_t len)
{
    pthread_once(&op_names_once, build_op_names);
    uint32_t op;
    return txt_sym_find(&op_names, name, len, &op) ? (int)op : -1;
}

static int by_index(const void *a, const void *b)
{
    uint32_t x = ((const struct txt_sym *)a)->index, y = ((const struct txt_sym *)b)->index;
    return (x > y) - (x < y);
}

void txt_sym_write_map(const struct txt_symtab *t, struct buf *out)
{
    struct txt_sym *v = malloc((t->count ? t->count : 1) * sizeof *v);
    if (!v) {
        out->oom = true;
        return;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->cap; i++)
        if (t->slots[i].name)
            v[n++] = t->slots[i];
    qsort(v, n, sizeof *v, by_index);
    buf_u32leb(out, n);
    for (uint32_t i = 0; i < n; i++) { /* the name without its '$' */
        buf_u32leb(out, v[i].index);
        buf_u32leb(out, v[i].len - 1);
        buf_bytes(out, v[i].name + 1, v[i].len - 1);
    }
    free(v);
}
