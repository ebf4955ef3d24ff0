/* Labels, branches, calls, relocations, patching and padding.
 *
 * A label is an index into a.labels. References to a label not yet bound
 * are fixups chained from the label, resolved in one walk at bind time, so
 * a single-pass compiler can branch forward without knowing the distance. */
#include "core.h"

#define NONE UINT32_MAX

x64_label x64_label_new(struct x64_asm *a)
{
    if (a->labels.len == a->labels.cap &&
        !vec_reserve(&a->labels, 2 * a->labels.len + 64)) {
        a->oom = true;
        return NONE;
    }
    a->labels.data[a->labels.len] = (struct x64_label_state){NONE, NONE};
    return (x64_label)a->labels.len++;
}

static struct x64_label_state *label(struct x64_asm *a, x64_label l)
{
    if (l < a->labels.len)
        return &a->labels.data[l];
    if (!a->oom) /* x64_label_new returns NONE after oom */
        x64_misuse(a, "unknown label");
    return NULL;
}

uint32_t x64_label_pos(const struct x64_asm *a, x64_label l)
{
    return l < a->labels.len ? a->labels.data[l].pos : NONE;
}

/* Writes pos - pc into the field, checking that a rel8 field reaches. */
static void resolve(struct x64_asm *a, uint32_t at, uint32_t pc, int size, uint32_t pos)
{
    int64_t rel = (int64_t)pos - (int64_t)pc;
    if (size == 1 && rel != (int8_t)rel)
        x64_misuse(a, "short branch target out of rel8 range");
    x64_write(a, at, rel, size);
}

/* Chains a fixup of the unbound label s, room for it known. */
static inline void put_fixup(struct x64_asm *a, struct x64_label_state *s, uint32_t at,
                             uint32_t pc, int size)
{
    a->fixups.data[a->fixups.len] =
        (struct x64_fixup){.at = at, .pc = pc, .next = s->first, .size = (uint8_t)size};
    s->first = (uint32_t)a->fixups.len++;
}

/* The same, making room first. */
static void queue(struct x64_asm *a, struct x64_label_state *s, uint32_t at, uint32_t pc, int size)
{
    if (a->fixups.len == a->fixups.cap &&
        !vec_reserve(&a->fixups, 2 * a->fixups.len + 64)) {
        a->oom = true;
        return;
    }
    put_fixup(a, s, at, pc, size);
}

void x64_fixup_add(struct x64_asm *a, x64_label l, uint32_t at, uint32_t pc, int size)
{
    struct x64_label_state *s = label(a, l);
    if (s && s->pos != NONE)
        resolve(a, at, pc, size, s->pos);
    else if (s)
        queue(a, s, at, pc, size);
}

/* Resolves the fixups from i on, any size, checked (rel8 reach, the code
 * there after oom). */
static __attribute__((noinline)) void resolve_rest(struct x64_asm *a, uint32_t i, uint32_t pos)
{
    for (; i != NONE; i = a->fixups.data[i].next) {
        const struct x64_fixup *f = &a->fixups.data[i];
        resolve(a, f->at, f->pc, f->size, pos);
    }
}

void x64_label_bind(struct x64_asm *a, x64_label l)
{
    struct x64_label_state *s = label(a, l);
    if (!s)
        return;
    if (s->pos != NONE) {
        x64_misuse(a, "label bound twice");
        return;
    }
    uint32_t pos = x64_pos(a), i = s->first;
    s->pos = pos;
    s->first = NONE;
    /* the usual rel32 fields written here, in a loop that calls nothing;
     * the first other one hands the rest of the chain over */
    for (; i != NONE; i = a->fixups.data[i].next) {
        const struct x64_fixup *f = &a->fixups.data[i];
        if (f->size != 4 || a->oom || (size_t)f->at + 4 > a->code.len) {
            resolve_rest(a, i, pos);
            return;
        }
        int32_t rel = (int32_t)(pos - f->pc);
        memcpy(a->code.data + f->at, &rel, 4);
    }
}

/* A branch with a rel8 form op8 and a rel32 form op32 (whose rel32 is its
 * last 4 bytes). Backward targets get rel8 when it reaches, their distance
 * written at once; forward ones get rel32 unless the caller asked for
 * short, and a fixup. The usual forward rel32 is branch's; this takes the
 * rest. */
static __attribute__((noinline)) void branch_other(struct x64_asm *a, uint32_t op8,
                                                   uint32_t op32, x64_label l, bool short_fwd)
{
    struct x64_label_state *s = label(a, l);
    if (!s)
        return;
    uint32_t here = x64_pos(a);
    if (s->pos != NONE) {
        int64_t rel8 = (int64_t)s->pos - (int64_t)(here + 2);
        uint32_t len32 = op32 > 0xff ? 6 : 5; /* 0F 8x: jcc; E9: jmp */
        if (rel8 == (int8_t)rel8)
            x64_emit_o(a, op8, 0, 1, rel8);
        else
            x64_emit_o(a, op32, 0, 4, (int64_t)s->pos - (int64_t)(here + len32));
        return;
    }
    int size = short_fwd ? 1 : 4;
    x64_emit_o(a, short_fwd ? op8 : op32, 0, size, 0);
    queue(a, s, x64_pos(a) - (uint32_t)size, x64_pos(a), size);
}

/* The usual forward rel32 (a label not bound yet, room for the code and
 * the fixup), written directly: the opcode bytes and a zero rel32 in one
 * store, and its fixup; frameless, everything else in branch_other. */
static inline void branch(struct x64_asm *a, uint32_t op8, uint32_t op32, x64_label l,
                          bool short_fwd)
{
    uint32_t here = x64_pos(a);
    if (short_fwd || l >= a->labels.len || a->labels.data[l].pos != NONE ||
        a->code.cap - a->code.len < X64_ROOM || a->fixups.len == a->fixups.cap) {
        branch_other(a, op8, op32, l, short_fwd);
        return;
    }
    struct x64_label_state *s = &a->labels.data[l];
    bool two = op32 > 0xff; /* 0F 8x: jcc; E9: jmp */
    uint64_t w = two ? 0x0f | (op32 & 0xff) << 8 : op32 & 0xff;
    memcpy(a->code.data + here, &w, 8);
    uint32_t end = here + 5 + two;
    a->code.len = end;
    put_fixup(a, s, end - 4, end, 4);
}

void x64_jmp(struct x64_asm *a, x64_label l) { branch(a, 0xeb, 0xe9, l, false); }
void x64_jmp_short(struct x64_asm *a, x64_label l) { branch(a, 0xeb, 0xe9, l, true); }

void x64_jcc(struct x64_asm *a, enum x64_cc cc, x64_label l)
{
    branch(a, 0x70 + (cc & 15u), OP_0F(0x80 + (cc & 15u)), l, false);
}

void x64_jcc_short(struct x64_asm *a, enum x64_cc cc, x64_label l)
{
    branch(a, 0x70 + (cc & 15u), OP_0F(0x80 + (cc & 15u)), l, true);
}

uint32_t x64_jcc_fwd_slow(struct x64_asm *a, enum x64_cc cc)
{
    x64_emit_o(a, OP_0F(0x80 + (cc & 15u)), 0, 4, 0);
    return x64_pos(a) - 4;
}

void x64_call(struct x64_asm *a, x64_label l)
{
    if (label(a, l)) {
        x64_emit_o(a, 0xe8, 0, 4, 0);
        x64_fixup_add(a, l, x64_pos(a) - 4, x64_pos(a), 4);
    }
}

void x64_label_rel32(struct x64_asm *a, x64_label l, uint32_t base)
{
    x64_emit_data(a, 0, 4);
    x64_fixup_add(a, l, x64_pos(a) - 4, base, 4);
}

void x64_data(struct x64_asm *a, uint64_t v, int size)
{
    if (size == 1 || size == 2 || size == 4 || size == 8)
        x64_emit_data(a, (int64_t)v, size);
    else
        x64_misuse(a, "data size must be 1, 2, 4 or 8");
}

void x64_patch32(struct x64_asm *a, uint32_t at, uint32_t v)
{
    if ((size_t)at + 4 > a->code.len && !a->oom)
        x64_misuse(a, "patch outside the code");
    x64_write(a, at, v, 4);
}

void x64_patch_rel32(struct x64_asm *a, uint32_t at, uint32_t to)
{
    x64_patch32(a, at, (uint32_t)(to - (at + 4)));
}

void x64_reloc_add(struct x64_asm *a, uint32_t offset, enum x64_reloc_kind kind,
                   enum x64_target tkind, uint32_t target, int64_t addend)
{
    /* grown here only when full (vec_push would zero each record first) */
    if (a->relocs.len == a->relocs.cap &&
        !vec_reserve(&a->relocs, 2 * a->relocs.len + 16)) {
        a->oom = true;
        return;
    }
    a->relocs.data[a->relocs.len++] =
        (struct x64_reloc){.offset = offset, .kind = (uint8_t)kind,
                           .target_kind = (uint8_t)tkind, .target = target, .addend = addend};
}

/* ---- calls, indirect jumps, returns, traps ---- */

/* call or jmp rel32 (op E8 or E9) to a relocation target. */
static __attribute__((noinline)) void rel32_reloc_slow(struct x64_asm *a, uint32_t op,
                                                       enum x64_target kind, uint32_t target)
{
    x64_emit_o(a, op, 0, 4, 0);
    x64_reloc_add(a, x64_pos(a) - 4, X64_RELOC_REL32, kind, target, -4);
}

/* The same, written directly when the code and the relocations have room
 * (a call per wasm call), frameless. */
static void rel32_reloc(struct x64_asm *a, uint32_t op, enum x64_target kind, uint32_t target)
{
    struct buf *b = &a->code;
    if (b->cap - b->len < X64_ROOM || a->oom || a->relocs.len == a->relocs.cap) {
        rel32_reloc_slow(a, op, kind, target);
        return;
    }
    uint64_t w = op; /* the opcode and a zero rel32 */
    memcpy(b->data + b->len, &w, 8);
    b->len += 5;
    a->relocs.data[a->relocs.len++] =
        (struct x64_reloc){.offset = (uint32_t)b->len - 4, .kind = X64_RELOC_REL32,
                           .target_kind = (uint8_t)kind, .target = target, .addend = -4};
}

void x64_call_reloc(struct x64_asm *a, enum x64_target kind, uint32_t target)
{
    rel32_reloc(a, 0xe8, kind, target);
}

void x64_jmp_reloc(struct x64_asm *a, enum x64_target kind, uint32_t target)
{
    rel32_reloc(a, 0xe9, kind, target);
}

void x64_movabs_reloc(struct x64_asm *a, int dst, enum x64_target kind, uint32_t target,
                      int64_t addend)
{
    x64_movabs(a, dst, 0);
    x64_reloc_add(a, x64_pos(a) - 8, X64_RELOC_ABS64, kind, target, addend);
}

/* FF /4 is jmp r/m64, FF /2 call r/m64 (64-bit without REX.W). */
void x64_jmp_r(struct x64_asm *a, int reg) { x64_emit_rm(a, 0xff, DIGIT(4), reg, NULL, 0, 0); }
void x64_jmp_m(struct x64_asm *a, struct x64_mem m) { x64_emit_rm(a, 0xff, DIGIT(4), 0, &m, 0, 0); }
void x64_call_r(struct x64_asm *a, int reg) { x64_emit_rm(a, 0xff, DIGIT(2), reg, NULL, 0, 0); }
void x64_call_m(struct x64_asm *a, struct x64_mem m) { x64_emit_rm(a, 0xff, DIGIT(2), 0, &m, 0, 0); }
void x64_ret(struct x64_asm *a) { x64_emit_o(a, 0xc3, 0, 0, 0); }
void x64_ud2(struct x64_asm *a) { x64_emit_o(a, OP_0F(0x0b), 0, 0, 0); }
void x64_int3(struct x64_asm *a) { x64_emit_o(a, 0xcc, 0, 0, 0); }

/* ---- padding ---- */

/* The recommended multi-byte no-ops of 1 to 9 bytes: 0F 1F /0 with
 * growing addressing modes, 66 in front for the in-between sizes. */
static const uint8_t nops[10][9] = {
    {0},
    {0x90},
    {0x66, 0x90},
    {0x0f, 0x1f, 0x00},
    {0x0f, 0x1f, 0x40, 0x00},
    {0x0f, 0x1f, 0x44, 0x00, 0x00},
    {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
    {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
    {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
    {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
};

void x64_nop(struct x64_asm *a, uint32_t n)
{
    while (n > 0) {
        uint32_t k = n < 9 ? n : 9;
        for (uint32_t i = 0; i < k; i++)
            x64_emit_data(a, nops[k][i], 1);
        n -= k;
    }
}

void x64_align(struct x64_asm *a, uint32_t align)
{
    if (align == 0 || (align & (align - 1)))
        x64_misuse(a, "alignment must be a power of two");
    else
        x64_nop(a, (align - x64_pos(a) % align) % align);
}
