/* Encoding allocated machine code through the shared x86-64 encoder:
 * the frame, the moves the resolver placed, control flow, out-of-line
 * stubs (traps, slow paths of conversions) after the body, then the float
 * constants and br_table jump tables.
 *
 * Frame (docs/ABI.md): push rbp; mov rbp, rsp; sub rsp, FRAME; the stack
 * limit check. Right below rbp the IR's frame slots (offsets fixed by
 * isel), then the callee-saved registers the allocator used, then the
 * spill slots (8 bytes each); outgoing stack arguments at [rsp]. */
#include <stdlib.h>
#include <string.h>

#include "optimizing.h"

static const uint8_t saved_order[] = {X64_RBX, X64_R12, X64_R13, X64_R14, X64_R15};

struct x64_mem opt_e_slot(const struct em *m, opt_loc l)
{
    uint32_t s = m->slot_pos ? m->slot_pos[-l - 1] : (uint32_t)(-l - 1);
    return x64_mem_base(X64_RBP, m->spill_base - 8 * (int32_t)s - 8);
}

void opt_e_site(struct em *m, uint8_t trap, uint32_t wasm)
{
    /* room for the body's sites was made at once (opt_emit) */
    struct cc_trap_site *s = m->out->sites.len < m->out->sites.cap
                                 ? &m->out->sites.data[m->out->sites.len++]
                                 : vec_push(&m->out->sites);
    if (!s)
        m->oom = true;
    else
        *s = (struct cc_trap_site){x64_pos(m->a), trap, wasm};
}

x64_label opt_e_stub(struct em *m, uint32_t mi)
{
    struct em_stub *s = vec_push(&m->stubs);
    if (!s) {
        m->oom = true;
        return 0;
    }
    *s = (struct em_stub){mi, x64_label_new(m->a), x64_label_new(m->a)};
    return s->label;
}

struct x64_mem opt_e_const(struct em *m, uint64_t bits, int size)
{
    if (size == 4)
        bits = (uint32_t)bits;
    for (size_t i = m->consts.len; i-- > 0 && i + 16 >= m->consts.len;)
        if (m->consts.data[i].bits == bits)
            return x64_mem_label(m->consts.data[i].label);
    struct em_const *c = vec_push(&m->consts);
    if (!c) {
        m->oom = true;
        return x64_mem_rip(0);
    }
    *c = (struct em_const){bits, x64_label_new(m->a)};
    return x64_mem_label(c->label);
}

/* ---- frame ---- */

static uint32_t nsaved(const struct mfunc *mf)
{
    uint32_t n = 0;
    for (size_t i = 0; i < ARRAY_LEN(saved_order); i++)
        n += (mf->used_saved >> saved_order[i]) & 1;
    return n;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Where each spill slot goes: the most used nearest rbp, where an 8-bit
 * displacement reaches them (the uses are the resolver's moves, the only
 * code that addresses slots). Left NULL (slot order) when they all reach. */
static void order_slots(struct em *m)
{
    const struct mfunc *mf = m->mf;
    uint32_t n = mf->nspill;
    if (m->spill_base - 8 * (int64_t)n >= -128)
        return;
    uint64_t *key = arena_array(mf->arena, n, sizeof *key);
    m->slot_pos = arena_array_raw(mf->arena, n, sizeof *m->slot_pos);
    if (!key || !m->slot_pos) {
        m->oom = true;
        return;
    }
    for (uint32_t k = 0; k < m->res->nmoves; k++) {
        const struct mmove *mv = &m->res->moves[k];
        if (mv->src < 0) /* a slot (HOLD is positive) */
            key[-mv->src - 1] += 1ull << 32;
        if (mv->dst < 0)
            key[-mv->dst - 1] += 1ull << 32;
    }
    for (uint32_t s = 0; s < n; s++) /* by uses, most first; then by slot */
        key[s] = ((UINT64_MAX - key[s]) & ~(uint64_t)UINT32_MAX) | s;
    qsort(key, n, sizeof *key, cmp_u64);
    for (uint32_t i = 0; i < n; i++)
        m->slot_pos[(uint32_t)key[i]] = i;
}

/* Lays out the frame below the IR's slots (placed by isel); returns its
 * size (rounded to 16) or 0 on overflow. */
static uint32_t layout(struct em *m)
{
    const struct mfunc *mf = m->mf;
    uint64_t off = mf->slot_bytes + 8 * (uint64_t)nsaved(mf);
    m->spill_base = -(int32_t)off;
    off += 8 * (uint64_t)mf->nspill + mf->out_args;
    off = (off + 15) & ~(uint64_t)15;
    return off < (1u << 30) ? (uint32_t)off : 0;
}

static void prologue(struct em *m, uint32_t frame, x64_label overflow)
{
    struct x64_asm *a = m->a;
    x64_push(a, X64_RBP);
    x64_mov_rr(a, 8, X64_RBP, X64_RSP);
    if (frame)
        x64_alu_ri(a, X64_SUB, 8, X64_RSP, (int32_t)frame);
    x64_alu_rm(a, X64_CMP, 8, X64_RSP, x64_mem_base(X64_RDI, CC_VMCTX_STACK_LIMIT));
    x64_jcc(a, X64_CC_B, overflow);
    int32_t k = -(int32_t)m->mf->slot_bytes;
    for (size_t i = 0; i < ARRAY_LEN(saved_order); i++)
        if ((m->mf->used_saved >> saved_order[i]) & 1)
            x64_store_frame(a, 8, k -= 8, saved_order[i]);
}

static void epilogue(struct em *m)
{
    struct x64_asm *a = m->a;
    int32_t k = -(int32_t)m->mf->slot_bytes;
    for (size_t i = 0; i < ARRAY_LEN(saved_order); i++)
        if ((m->mf->used_saved >> saved_order[i]) & 1)
            x64_load_frame(a, 8, saved_order[i], k -= 8);
    x64_mov_rr(a, 8, X64_RSP, X64_RBP);
    x64_pop(a, X64_RBP);
    x64_ret(a);
}

/* ---- moves ---- */

static void move(struct em *m, opt_loc src, opt_loc dst)
{
    struct x64_asm *a = m->a;
    if (src == dst)
        return;
    if (src == OPT_LOC_HOLD || dst == OPT_LOC_HOLD) { /* any value fits xmm15 */
        opt_loc o = src == OPT_LOC_HOLD ? dst : src;
        bool to = dst == OPT_LOC_HOLD;
        if (o < 0 && to)
            x64_sse_rm(a, X64_MOVSD, OPT_XSCRATCH, opt_e_slot(m, o));
        else if (o < 0)
            x64_sse_mr(a, X64_MOVSD, opt_e_slot(m, o), OPT_XSCRATCH);
        else if (X64_IS_XMM(o))
            x64_sse_rr(a, X64_MOVAPS, to ? OPT_XSCRATCH : o, to ? o : OPT_XSCRATCH);
        else
            x64_cvt_rr(a, to ? X64_MOVD_XR : X64_MOVD_RX, 8, to ? OPT_XSCRATCH : o,
                       to ? o : OPT_XSCRATCH);
        return;
    }
    if (src < 0 && dst < 0) { /* the frame path: same bytes, fewer tests */
        x64_load_frame(a, 8, OPT_SCRATCH, opt_e_slot(m, src).disp);
        x64_store_frame(a, 8, opt_e_slot(m, dst).disp, OPT_SCRATCH);
    } else if (src < 0) {
        if (X64_IS_XMM(dst))
            x64_sse_rm(a, X64_MOVSD, dst, opt_e_slot(m, src));
        else
            x64_load_frame(a, 8, dst, opt_e_slot(m, src).disp);
    } else if (dst < 0) {
        if (X64_IS_XMM(src))
            x64_sse_mr(a, X64_MOVSD, opt_e_slot(m, dst), src);
        else
            x64_store_frame(a, 8, opt_e_slot(m, dst).disp, src);
    } else if (X64_IS_XMM(src)) {
        x64_sse_rr(a, X64_MOVAPS, dst, src);
    } else {
        x64_mov_rr(a, 8, dst, src);
    }
}

/* The resolver's moves before instruction i (groups are sorted); returns
 * the instruction the next group goes before (UINT32_MAX: none). */
static uint32_t moves_before(struct em *m, uint32_t i, uint32_t *g)
{
    const struct mres *r = m->res;
    for (; *g < r->ngroups && r->groups[*g].at == i; (*g)++)
        for (uint32_t k = 0; k < r->groups[*g].n; k++) {
            const struct mmove *mv = &r->moves[r->groups[*g].first + k];
            move(m, mv->src, mv->dst);
        }
    return *g < r->ngroups ? r->groups[*g].at : UINT32_MAX;
}

/* ---- control ---- */

/* Where a jump to block b really goes: blocks that hold nothing but a
 * jump (with no moves on it; bound_blocks lists them) are skipped, so
 * split edges and empty arms cost nothing and are not emitted. Chains are
 * followed to their end once (each block is resolved once); in a cycle of
 * such blocks, the block where the walk met the cycle stays: then true
 * (it is emitted after all, which bound_blocks did not count on). */
static bool thread_jumps(struct em *m, const uint32_t *skips, uint32_t nskip, uint32_t *path)
{
    const struct mfunc *mf = m->mf;
    const uint32_t walking = UINT32_MAX - 1;
    bool cycle = false;
    for (uint32_t k = 0; k < nskip; k++) {
        uint32_t n = 0, t = skips[k];
        while (m->target[t] == UINT32_MAX) {
            m->target[t] = walking;
            path[n++] = t;
            t = (uint32_t)mf->mi[mf->block[t].first].imm;
        }
        cycle |= m->target[t] == walking;
        uint32_t end = m->target[t] == walking ? t : m->target[t];
        m->target[end] = end; /* the end of the walk, or where it met a cycle */
        while (n)
            if (path[--n] != end)
                m->target[path[n]] = end;
    }
    return cycle;
}

/* The first block from b on that is emitted: the others hold only a jump
 * that every jump to them goes past, and nothing falls into them. */
static uint32_t next_emitted(const struct em *m, uint32_t b)
{
    while (b < m->mf->nblock && m->target[b] != b)
        b++;
    return b;
}

/* The most bytes each kind of instruction is encoded in (jumps long, REX
 * prefixes, immediates of 32 bits) besides its memory operand's SIB byte
 * and displacement (opt_s_mem); kinds with long sequences are given too
 * much to matter. For bounding how far a forward jump goes. */
const uint8_t opt_kind_bytes[MK_COUNT] = {
    [MK_ENTRY] = 0,  [MK_MOV] = 5,     [MK_MOVI] = 12,   [MK_FCONST] = 10, [MK_LOAD] = 6,
    [MK_STORE] = 6,  [MK_STOREI] = 8,  [MK_LEA] = 4,     [MK_SLOT] = 8,    [MK_ALU] = 11,
    [MK_SHIFT] = 8,  [MK_UNARY] = 8,   [MK_IMUL] = 8,    [MK_DIV] = 16,    [MK_BITOP] = 6,
    [MK_EXT] = 6,    [MK_SETCC] = 16,  [MK_CMOV] = 18,   [MK_SSE] = 14,    [MK_SSE1] = 8,
    [MK_UCOMI] = 6,  [MK_CVT] = 10,    [MK_FSIGN] = 128, [MK_FMINMAX] = 128,
    [MK_F2I] = 128,  [MK_U2F] = 128,   [MK_JMP] = 5,     [MK_JCC] = 18,    [MK_BR_TABLE] = 48,
    [MK_RET] = 48,   [MK_TRAP] = 2,    [MK_TRAPIF] = 12, [MK_CALL] = 5,
};
enum { JUMP_TAIL = 12 /* after a block's first jump: jcc, jmp */ };

/* A slot's load or store: 7 bytes with a disp8 (the first `near` places),
 * 10 with a disp32. */
static uint32_t slot_bytes(const struct em *m, opt_loc l, uint32_t near)
{
    uint32_t pos = m->slot_pos ? m->slot_pos[-l - 1] : (uint32_t)(-l - 1);
    return pos < near ? 7 : 10;
}

/* A resolver move: a register to a register, or a slot's load or store
 * (through r11 for slot to slot; movsd for XMM registers). */
static uint32_t move_bytes(const struct em *m, const struct mmove *mv, uint32_t near)
{
    uint32_t n = 0;
    if (mv->src < 0)
        n += slot_bytes(m, mv->src, near);
    if (mv->dst < 0)
        n += slot_bytes(m, mv->dst, near);
    return n ? n : 5;
}

/* m->before[b]: at most how many bytes the blocks emitted before b take
 * (a prefix sum of bounds: isel summed each block's instructions, the
 * moves are added here), so that a forward jump whose target is near for
 * sure takes the 2-byte form. In the same walk, with skips, it decides
 * which blocks are skipped (one jump and no moves: m->target UINT32_MAX,
 * listed in skips; the others their own target) and returns how many;
 * without, it takes m->target's word. */
static uint32_t bound_blocks(struct em *m, uint32_t *skips)
{
    const struct mfunc *mf = m->mf;
    const struct mres *r = m->res;
    uint64_t sum = 0;
    uint32_t nskip = 0;
    /* slot places whose disp8 reaches (spill_base - 8 * place - 8 >= -128) */
    uint32_t near = m->spill_base + 128 >= 8 ? (uint32_t)(m->spill_base + 128) / 8 : 0;
    for (uint32_t b = 0, g = 0; b < mf->nblock; b++) { /* both in code order */
        const struct mblock *bl = &mf->block[b];
        bool out = m->target[b] == b;
        if (skips) {
            out = bl->n != 1 || mf->mi[bl->first].kind != MK_JMP ||
                  (g < r->ngroups && r->groups[g].at == bl->first);
            m->target[b] = out ? b : UINT32_MAX;
            if (!out)
                skips[nskip++] = b;
        }
        m->before[b] = sum < UINT32_MAX ? (uint32_t)sum : UINT32_MAX;
        for (; g < r->ngroups && r->groups[g].at < bl->first + bl->n; g++)
            for (uint32_t k = 0; out && k < r->groups[g].n; k++)
                sum += move_bytes(m, &r->moves[r->groups[g].first + k], near);
        sum += out ? bl->bytes : 0;
    }
    return nskip;
}

/* Whether block b starts within a rel8 of the end of a jump at the end of
 * the current block. */
static bool near(const struct em *m, uint32_t b)
{
    return b > m->cur && m->before[b] != UINT32_MAX &&
           m->before[b] - m->before[m->cur + 1] + JUMP_TAIL <= 127;
}

/* ---- jumps to blocks ----
 * Blocks are not encoder labels: they get their places in order, so a
 * jump backwards knows its distance (rel8 when it reaches, as the encoder
 * would choose) and a forward one leaves a fixup that patch_jumps fills
 * once every block has its place: one pass over an array, no label per
 * block and no chains. */
enum { FIX_SHORT = 1u << 31 }; /* in em_fix.block: the field is a rel8 */

/* Appends a jump to block b: op8 is the rel8 opcode, op32 the rel32 one
 * (one byte, or two little-endian: 0F 8x); a forward one is short when
 * near() says it reaches from the end of the block (tail: the jump ends
 * the block). */
static void jump(struct em *m, uint32_t op8, uint32_t op32, uint32_t b, bool tail)
{
    struct buf *c = &m->a->code;
    uint32_t here = (uint32_t)c->len, n32 = op32 > 0xff ? 2 : 1;
    uint32_t op = op8, nop = 1, size = 1;
    int64_t rel = 0;
    if (m->pos[b] != UINT32_MAX) { /* backwards */
        rel = (int64_t)m->pos[b] - (here + 2);
        if (rel != (int8_t)rel) {
            op = op32, nop = n32, size = 4;
            rel = (int64_t)m->pos[b] - (here + n32 + 4);
        }
    } else {
        if (!tail || !near(m, b))
            op = op32, nop = n32, size = 4;
        if (m->nfix == m->cap_fix) {
            m->bad = true;
            return;
        }
        m->fix[m->nfix++] = (struct em_fix){here + nop + size, b | (size == 1 ? FIX_SHORT : 0)};
    }
    if (c->cap - c->len >= X64_FAST_ROOM && !m->a->oom) { /* one store */
        uint64_t w = op | (uint64_t)(uint32_t)rel << (8 * nop);
        memcpy(c->data + here, &w, 8);
        c->len += nop + size;
    } else {
        x64_data(m->a, op, (int)nop);
        x64_data(m->a, (uint64_t)rel, (int)size);
    }
}

static void jcc_to(struct em *m, enum x64_cc cc, uint32_t b, bool tail)
{
    jump(m, 0x70 + (cc & 15u), 0x800f + ((cc & 15u) << 8), b, tail);
}

static void jmp_to(struct em *m, uint32_t b) { jump(m, 0xeb, 0xe9, b, true); }

/* Fills the forward jumps' fields; a rel8 that does not reach (near()
 * would be wrong) or a block never placed is an internal error. */
static void patch_jumps(struct em *m)
{
    struct buf *c = &m->a->code;
    if (m->a->oom)
        return;
    for (uint32_t k = 0; k < m->nfix; k++) {
        uint32_t end = m->fix[k].end, b = m->fix[k].block & ~FIX_SHORT;
        int64_t rel = (int64_t)m->pos[b] - end;
        if (m->pos[b] == UINT32_MAX || end > c->len) {
            m->bad = true;
        } else if (m->fix[k].block & FIX_SHORT) {
            m->bad |= rel != (int8_t)rel;
            c->data[end - 1] = (uint8_t)rel;
        } else {
            int32_t r = (int32_t)rel;
            memcpy(c->data + end - 4, &r, 4);
        }
    }
}

/* Jumps to `to` when the condition (with parity handling) holds, else
 * to `no`; either may be the next block emitted (then no jump). */
static void branch(struct em *m, enum x64_cc cc, uint8_t par, uint32_t to, uint32_t no)
{
    to = m->target[to];
    no = m->target[no];
    bool to_next = to == m->next, no_next = no == m->next;
    if (par == PAR_AND) { /* cc and ordered */
        jcc_to(m, X64_CC_P, no, true);
        if (to_next) {
            jcc_to(m, x64_cc_not(cc), no, true);
            return;
        }
        jcc_to(m, cc, to, true);
    } else if (par == PAR_OR) { /* cc or unordered */
        jcc_to(m, X64_CC_P, to, true);
        if (to_next) {
            jcc_to(m, x64_cc_not(cc), no, true);
            return;
        }
        jcc_to(m, cc, to, true);
    } else if (to_next) {
        jcc_to(m, x64_cc_not(cc), no, true);
        return;
    } else {
        jcc_to(m, cc, to, true);
    }
    if (!no_next)
        jmp_to(m, no);
}

static void trap_if(struct em *m, const struct mi *mi, uint32_t i)
{
    struct x64_asm *a = m->a;
    x64_label stub = opt_e_stub(m, i);
    if (mi->ext == PAR_AND) {
        x64_label skip = x64_label_new(a);
        x64_jcc_short(a, X64_CC_P, skip);
        x64_jcc(a, mi->cc, stub);
        x64_label_bind(a, skip);
        return;
    }
    if (mi->ext == PAR_OR)
        x64_jcc(a, X64_CC_P, stub);
    x64_jcc(a, mi->cc, stub);
}

/* idx < count ? jump to table[idx] : default. The table holds offsets
 * from its own start; the index register is the instruction's own copy. */
static void br_table(struct em *m, const struct mi *mi)
{
    struct x64_asm *a = m->a;
    const struct opt_func *f = m->mf->f;
    uint32_t n = (uint32_t)mi->disp, idx = mi->use[0];
    const uint32_t *tab = f->extra + mi->imm;
    struct em_table *t = vec_push(&m->tables);
    if (!t) {
        m->oom = true;
        return;
    }
    *t = (struct em_table){(uint32_t)(mi - m->mf->mi), x64_label_new(a)};
    x64_alu_ri(a, X64_CMP, 4, (int)idx, (int32_t)n);
    jcc_to(m, X64_CC_AE, m->target[f->block[tab[n]].order], false); /* code follows */
    x64_lea(a, 8, OPT_SCRATCH, x64_mem_label(t->label));
    x64_ext_rm(a, X64_SX, 8, 4, (int)idx, x64_mem_index(OPT_SCRATCH, (int)idx, 4, 0));
    x64_alu_rr(a, X64_ADD, 8, (int)idx, OPT_SCRATCH);
    x64_jmp_r(a, (int)idx);
}

static void call(struct em *m, const struct mi *mi)
{
    switch (mi->op) {
    case CALL_FUNC: x64_call_reloc(m->a, X64_TARGET_FUNC, (uint32_t)mi->imm); break;
    case CALL_BUILTIN: x64_call_reloc(m->a, X64_TARGET_SYM, (uint32_t)mi->imm); break;
    default: x64_call_r(m->a, (int)mi->use[0]); break;
    }
}

static void control(struct em *m, const struct mi *mi, uint32_t i)
{
    switch (mi->kind) {
    case MK_JMP:
        if (m->target[mi->imm] != m->next)
            jmp_to(m, m->target[mi->imm]);
        break;
    case MK_JCC: branch(m, mi->cc, mi->ext, (uint32_t)mi->imm, (uint32_t)mi->disp); break;
    case MK_BR_TABLE: br_table(m, mi); break;
    case MK_RET: epilogue(m); break;
    case MK_TRAP:
        opt_e_site(m, mi->trap, mi->wasm);
        x64_ud2(m->a);
        break;
    case MK_TRAPIF: trap_if(m, mi, i); break;
    case MK_CALL: call(m, mi); break;
    default: break; /* the kinds before MK_JMP are opt_e_ops' */
    }
}

/* ---- after the body ---- */

static void stubs(struct em *m, x64_label overflow, uint32_t wasm)
{
    struct x64_asm *a = m->a;
    x64_label_bind(a, overflow);
    opt_e_site(m, TRI_TRAP_STACK_OVERFLOW, wasm);
    x64_ud2(a);
    for (size_t k = 0; k < m->stubs.len; k++) { /* f2i stubs may add trap stubs */
        struct em_stub s = m->stubs.data[k];
        const struct mi *mi = &m->mf->mi[s.mi];
        x64_label_bind(a, s.label);
        if (mi->kind == MK_F2I) {
            opt_e_f2i_stub(m, &s);
            continue;
        }
        opt_e_site(m, mi->trap, mi->wasm);
        x64_ud2(a);
    }
}

static void data(struct em *m)
{
    struct x64_asm *a = m->a;
    x64_align(a, 8);
    for (size_t k = 0; k < m->consts.len; k++) {
        x64_label_bind(a, m->consts.data[k].label);
        x64_data(a, m->consts.data[k].bits, 8);
    }
    for (size_t k = 0; k < m->tables.len; k++) {
        const struct mi *mi = &m->mf->mi[m->tables.data[k].mi];
        const uint32_t *tab = m->mf->f->extra + mi->imm;
        x64_align(a, 4);
        x64_label_bind(a, m->tables.data[k].label);
        uint32_t base = x64_pos(a);
        for (int32_t j = 0; j < mi->disp; j++) {
            uint32_t to = m->pos[m->target[m->mf->f->block[tab[j]].order]];
            m->bad |= to == UINT32_MAX; /* as patch_jumps: a block never placed */
            x64_data(a, to - base, 4);
        }
    }
}

bool opt_emit(const struct ra *ra, const struct mres *res, struct opt_code *out,
              struct err *e)
{
    const struct mfunc *mf = ra->mf;
    struct arena *ar = mf->arena;
    struct em m = {.mf = mf, .res = res, .a = &out->a, .out = out};
    m.pos = arena_array_raw(ar, mf->nblock + 1, sizeof *m.pos);
    m.cap_fix = 3 * mf->nblock; /* a block ends in at most three jumps */
    m.fix = arena_array_raw(ar, m.cap_fix + 1, sizeof *m.fix);
    m.target = arena_array_raw(ar, mf->nblock + 1, sizeof *m.target);
    m.before = arena_array_raw(ar, mf->nblock + 1, sizeof *m.before);
    uint32_t frame = layout(&m);
    if (!m.pos || !m.fix || !m.target || !m.before)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    if (!frame && (mf->nspill || mf->f->nslot || mf->out_args || mf->used_saved))
        return err_set(e, ERR_LIMIT, NO_OFFSET, "function frame too large");
    memset(m.pos, 0xff, mf->nblock * sizeof *m.pos);
    order_slots(&m);
    uint32_t *skips = arena_array_raw(ar, mf->nblock + 1, sizeof *skips);
    uint32_t *path = arena_array_raw(ar, mf->nblock + 1, sizeof *path);
    if (!skips || !path)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    if (thread_jumps(&m, skips, bound_blocks(&m, skips), path))
        bound_blocks(&m, NULL); /* a cycle of jumps: one of them is emitted */
    if (!vec_reserve(&out->sites, out->sites.len + mf->nsites))
        m.oom = true;
    x64_label overflow = x64_label_new(m.a);
    prologue(&m, frame, overflow);
    uint32_t g = 0, at = res->ngroups ? res->groups[0].at : UINT32_MAX;
    for (m.cur = next_emitted(&m, 0); m.cur < mf->nblock; m.cur = m.next) {
        const struct mblock *bl = &mf->block[m.cur];
        m.next = next_emitted(&m, m.cur + 1);
        m.pos[m.cur] = x64_pos(m.a);
        for (uint32_t i = bl->first, end = i + bl->n; i < end; i++) {
            const struct mi *mi = &mf->mi[i];
            if (i == at) /* most have none */
                at = moves_before(&m, i, &g);
            if (mi->kind < MK_JMP) /* the control kinds come last */
                opt_e_ops[mi->kind](&m, mi);
            else
                control(&m, mi, i);
        }
    }
    patch_jumps(&m);
    stubs(&m, overflow, mf->f->m->funcs[mf->f->index].code_offset);
    data(&m);
    vec_free(&m.stubs);
    vec_free(&m.consts);
    vec_free(&m.tables);
    if (m.bad)
        return err_set(e, ERR_ARG, NO_OFFSET, "optimizing: a block jump's field is wrong");
    return !m.oom || err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
}
