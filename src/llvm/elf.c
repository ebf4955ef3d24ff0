/* Our own reader of the ELF relocatable object LLVM emits for a chunk:
 *   - the code sections, then the constant sections (.rodata.*: float
 *     constants, jump tables) are laid out back to back as the chunk's
 *     code bytes, each at its alignment;
 *   - function symbols f<index> give the extents;
 *   - relocations between laid-out sections (constants, jump tables, calls
 *     inside the chunk) are applied here, as their distance never changes;
 *     calls to functions of other chunks and to builtins become artifact
 *     relocations; absolute ones (R_X86_64_64) too;
 *   - the trap records of .trident_traps and the line table (.debug_line,
 *     wasm offsets of the code) go to sites.c, which makes the trap sites.
 * The object is LLVM's, but every offset is still checked before use. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llvm.h"

struct obj {
    const uint8_t *p;
    size_t len;
    Elf64_Shdr *sh;  /* copies of the section headers */
    uint16_t nsec;
    int64_t *place;  /* per section: offset in the chunk's code, or -1 */
    Elf64_Sym *syms; /* copies */
    size_t nsyms;
    uint16_t strtab; /* section of the symbol names */
    const struct module *m;
    struct cc_artifact *out;
    VEC(struct llv_site) sites;
    uint8_t *lines;  /* a copy of .debug_line, relocated */
    size_t lines_len;
    struct err *e;
};

static bool bad(struct obj *o, const char *what)
{
    return err_set(o->e, ERR_LIMIT, NO_OFFSET, "llvm: unexpected object file: %s", what);
}

static bool in_file(const struct obj *o, uint64_t off, uint64_t n)
{
    return off <= o->len && n <= o->len - off;
}

/* A NUL-terminated string at off in section s, or NULL. */
static const char *str_at(const struct obj *o, uint16_t s, uint64_t off)
{
    if (s >= o->nsec || off >= o->sh[s].sh_size || !in_file(o, o->sh[s].sh_offset, o->sh[s].sh_size))
        return NULL;
    const char *p = (const char *)o->p + o->sh[s].sh_offset + off;
    return memchr(p, 0, o->sh[s].sh_size - off) ? p : NULL;
}

static const char *section_name(const struct obj *o, uint16_t s, uint16_t shstrndx)
{
    const char *n = str_at(o, shstrndx, o->sh[s].sh_name);
    return n ? n : "";
}

static bool read_headers(struct obj *o, uint16_t *shstrndx)
{
    Elf64_Ehdr eh;
    if (o->len < sizeof eh)
        return bad(o, "too short");
    memcpy(&eh, o->p, sizeof eh);
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_type != ET_REL || eh.e_machine != EM_X86_64 ||
        eh.e_shentsize != sizeof(Elf64_Shdr))
        return bad(o, "not an x86-64 relocatable ELF64 object");
    if (!in_file(o, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr)) ||
        eh.e_shstrndx >= eh.e_shnum)
        return bad(o, "section headers out of the file");
    o->nsec = eh.e_shnum;
    o->sh = malloc((eh.e_shnum ? eh.e_shnum : 1) * sizeof *o->sh);
    o->place = malloc((eh.e_shnum ? eh.e_shnum : 1) * sizeof *o->place);
    if (!o->sh || !o->place)
        return err_set(o->e, ERR_NOMEM, NO_OFFSET, "out of memory");
    memcpy(o->sh, o->p + eh.e_shoff, eh.e_shnum * sizeof *o->sh);
    for (uint16_t s = 0; s < o->nsec; s++) {
        o->place[s] = -1;
        if (o->sh[s].sh_type != SHT_NOBITS && !in_file(o, o->sh[s].sh_offset, o->sh[s].sh_size))
            return bad(o, "section out of the file");
    }
    *shstrndx = eh.e_shstrndx;
    return true;
}


/* Appends section s to the code at its alignment; int3 pads code. */
static void place(struct obj *o, uint16_t s, uint8_t pad)
{
    struct buf *code = &o->out->code;
    uint64_t align = o->sh[s].sh_addralign ? o->sh[s].sh_addralign : 1;
    while (code->len % align)
        buf_byte(code, pad);
    o->place[s] = (int64_t)code->len;
    buf_bytes(code, o->p + o->sh[s].sh_offset, o->sh[s].sh_size);
}

/* Code first, then the read-only data the code refers to. */
static bool layout(struct obj *o)
{
    for (int pass = 0; pass < 2; pass++) {
        for (uint16_t s = 1; s < o->nsec; s++) {
            const Elf64_Shdr *h = &o->sh[s];
            if (!(h->sh_flags & SHF_ALLOC) || h->sh_size == 0 || h->sh_type == SHT_X86_64_UNWIND)
                continue;
            if (h->sh_type == SHT_NOBITS || (h->sh_flags & SHF_WRITE))
                return bad(o, "writable data");
            if (h->sh_type != SHT_PROGBITS)
                continue;
            bool exec = h->sh_flags & SHF_EXECINSTR;
            if (exec == (pass == 0))
                place(o, s, exec ? 0xCC : 0);
        }
    }
    return true;
}

static bool read_symbols(struct obj *o)
{
    for (uint16_t s = 0; s < o->nsec; s++) {
        const Elf64_Shdr *h = &o->sh[s];
        if (h->sh_type != SHT_SYMTAB)
            continue;
        if (h->sh_entsize != sizeof(Elf64_Sym) || h->sh_link >= o->nsec)
            return bad(o, "symbol table");
        o->nsyms = h->sh_size / sizeof(Elf64_Sym);
        o->syms = malloc((o->nsyms ? o->nsyms : 1) * sizeof *o->syms);
        if (!o->syms)
            return err_set(o->e, ERR_NOMEM, NO_OFFSET, "out of memory");
        memcpy(o->syms, o->p + h->sh_offset, o->nsyms * sizeof *o->syms);
        o->strtab = (uint16_t)h->sh_link;
        return true;
    }
    return bad(o, "no symbol table");
}

/* "f123" -> 123; false for any other name. */
static bool func_index(const char *name, uint32_t *index)
{
    if (name[0] != 'f' || name[1] < '0' || name[1] > '9')
        return false;
    char *end;
    unsigned long v = strtoul(name + 1, &end, 10);
    if (*end || v > UINT32_MAX)
        return false;
    *index = (uint32_t)v;
    return true;
}

static bool read_extents(struct obj *o, uint32_t first, uint32_t end)
{
    uint32_t n = end - first;
    if (!vec_reserve(&o->out->funcs, n))
        return err_set(o->e, ERR_NOMEM, NO_OFFSET, "out of memory");
    o->out->funcs.len = n;
    memset(o->out->funcs.data, 0xFF, n * sizeof *o->out->funcs.data);
    for (size_t i = 0; i < o->nsyms; i++) {
        const Elf64_Sym *sym = &o->syms[i];
        const char *name = str_at(o, o->strtab, sym->st_name);
        uint32_t index;
        if (ELF64_ST_TYPE(sym->st_info) != STT_FUNC || sym->st_shndx == SHN_UNDEF || !name ||
            !func_index(name, &index) || index < first || index >= end)
            continue;
        if (sym->st_shndx >= o->nsec || o->place[sym->st_shndx] < 0)
            return bad(o, "function outside the code");
        o->out->funcs.data[index - first] = (struct cc_func_code){
            (uint32_t)(o->place[sym->st_shndx] + sym->st_value), (uint32_t)sym->st_size};
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct cc_func_code *fc = &o->out->funcs.data[i];
        if (fc->offset == UINT32_MAX || (uint64_t)fc->offset + fc->size > o->out->code.len)
            return bad(o, "a function is missing");
        if (i && fc->offset < fc[-1].offset + fc[-1].size)
            return bad(o, "functions out of order");
    }
    return true;
}

/* Where symbol i points: a laid-out offset (*defined), or an artifact
 * target (a function of another chunk or a builtin). */
static bool resolve(struct obj *o, uint32_t i, bool *defined, int64_t *at,
                    enum cc_target_kind *kind, uint32_t *target)
{
    if (i >= o->nsyms)
        return bad(o, "relocation symbol");
    const Elf64_Sym *sym = &o->syms[i];
    *defined = sym->st_shndx != SHN_UNDEF;
    if (*defined) {
        if (sym->st_shndx >= o->nsec || o->place[sym->st_shndx] < 0)
            return bad(o, "relocation against a section not laid out");
        *at = o->place[sym->st_shndx] + (int64_t)sym->st_value;
        return true;
    }
    const char *name = str_at(o, o->strtab, sym->st_name);
    if (name && func_index(name, target) && *target >= o->m->nfunc_imports &&
        *target < o->m->nfuncs) {
        *kind = CC_TARGET_FUNC;
        return true;
    }
    for (int b = 0; name && b < CC_BUILTIN_COUNT; b++)
        if (!strcmp(name, cc_builtin_name((enum cc_builtin)b))) {
            *kind = CC_TARGET_BUILTIN;
            *target = (uint32_t)b;
            return true;
        }
    return err_set(o->e, ERR_LIMIT, NO_OFFSET, "llvm: code refers to unknown symbol '%s'",
                   name ? name : "?");
}

static bool apply(struct obj *o, int64_t base, const Elf64_Rela *r)
{
    uint32_t type = ELF64_R_TYPE(r->r_info);
    uint64_t p = (uint64_t)base + r->r_offset;
    bool defined;
    int64_t s = 0;
    enum cc_target_kind kind = 0;
    uint32_t target = 0;
    if (!resolve(o, ELF64_R_SYM(r->r_info), &defined, &s, &kind, &target))
        return false;
    bool rel = type == R_X86_64_PC32 || type == R_X86_64_PLT32;
    if ((!rel && type != R_X86_64_64) || p + (rel ? 4 : 8) > o->out->code.len)
        return err_set(o->e, ERR_LIMIT, NO_OFFSET, "llvm: unsupported relocation type %u", type);
    if (r->r_addend < INT32_MIN || r->r_addend > INT32_MAX)
        return bad(o, "relocation addend");
    if (!defined)
        return cc_reloc_add(o->out, (uint32_t)p, rel ? CC_RELOC_REL32 : CC_RELOC_ABS64, kind,
                            target, (int32_t)r->r_addend) ||
               err_set(o->e, ERR_NOMEM, NO_OFFSET, "out of memory");
    if (!rel)
        return cc_reloc_add(o->out, (uint32_t)p, CC_RELOC_ABS64, CC_TARGET_CODE, (uint32_t)s,
                            (int32_t)r->r_addend) ||
               err_set(o->e, ERR_NOMEM, NO_OFFSET, "out of memory");
    int64_t v = s + r->r_addend - (int64_t)p;
    if (v < INT32_MIN || v > INT32_MAX)
        return bad(o, "relocation out of range");
    int32_t v32 = (int32_t)v;
    memcpy(o->out->code.data + p, &v32, 4);
    return true;
}

/* .trident_traps records: {quad address (relocated), trap code, wasm
 * offset}, written by trap.c's asm. */
static bool records(struct obj *o, uint16_t rs, const Elf64_Rela *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool defined;
        int64_t s = 0;
        enum cc_target_kind kind;
        uint32_t target, words[2];
        if (!resolve(o, ELF64_R_SYM(r[i].r_info), &defined, &s, &kind, &target))
            return false;
        if (!defined || r[i].r_offset + 16 > o->sh[rs].sh_size)
            return bad(o, "trap record");
        memcpy(words, o->p + o->sh[rs].sh_offset + r[i].r_offset + 8, 8);
        struct llv_site *site = vec_push(&o->sites);
        if (!site)
            return err_set(o->e, ERR_NOMEM, NO_OFFSET, "out of memory");
        *site = (struct llv_site){(uint32_t)(s + r[i].r_addend), words[0], words[1]};
    }
    return true;
}

/* A copy of .debug_line whose addresses (R_X86_64_64 into the code) are
 * filled in as code offsets. */
static bool line_table(struct obj *o, uint16_t ls, const Elf64_Rela *r, size_t n)
{
    o->lines_len = o->sh[ls].sh_size;
    if (!(o->lines = malloc(o->lines_len ? o->lines_len : 1)))
        return err_set(o->e, ERR_NOMEM, NO_OFFSET, "out of memory");
    memcpy(o->lines, o->p + o->sh[ls].sh_offset, o->lines_len);
    for (size_t i = 0; i < n; i++) {
        bool defined;
        int64_t s = 0;
        enum cc_target_kind kind;
        uint32_t target;
        if (ELF64_R_TYPE(r[i].r_info) != R_X86_64_64)
            continue;
        if (!resolve(o, ELF64_R_SYM(r[i].r_info), &defined, &s, &kind, &target))
            return false;
        uint64_t v = (uint64_t)(s + r[i].r_addend);
        if (!defined || r[i].r_offset + 8 > o->lines_len)
            return bad(o, "line table address");
        memcpy(o->lines + r[i].r_offset, &v, 8);
    }
    return true;
}

static int rela_cmp(const void *x, const void *y)
{
    const Elf64_Rela *a = x, *b = y;
    return (a->r_offset > b->r_offset) - (a->r_offset < b->r_offset);
}

/* The relocations of section h, copied and sorted by offset. */
static Elf64_Rela *relas(struct obj *o, const Elf64_Shdr *h, size_t *n)
{
    *n = h->sh_size / sizeof(Elf64_Rela);
    Elf64_Rela *r = malloc((*n ? *n : 1) * sizeof *r);
    if (!r) {
        err_set(o->e, ERR_NOMEM, NO_OFFSET, "out of memory");
        return NULL;
    }
    memcpy(r, o->p + h->sh_offset, *n * sizeof *r);
    qsort(r, *n, sizeof *r, rela_cmp);
    return r;
}

static bool relocate(struct obj *o, uint16_t shstrndx)
{
    for (uint16_t s = 0; s < o->nsec; s++) {
        const Elf64_Shdr *h = &o->sh[s];
        if (h->sh_type != SHT_RELA)
            continue;
        if (h->sh_info >= o->nsec || h->sh_entsize != sizeof(Elf64_Rela))
            return bad(o, "relocation section");
        uint16_t ts = (uint16_t)h->sh_info;
        const char *name = section_name(o, ts, shstrndx);
        bool traps = !strcmp(name, ".trident_traps"), lines = !strcmp(name, ".debug_line");
        if (!traps && !lines && o->place[ts] < 0)
            continue; /* the rest of the debug info, .eh_frame: not loaded */
        size_t n;
        Elf64_Rela *r = relas(o, h, &n);
        bool ok = r != NULL;
        if (ok)
            ok = traps ? records(o, ts, r, n) : lines ? line_table(o, ts, r, n) : true;
        for (size_t k = 0; ok && !traps && !lines && k < n; k++)
            ok = apply(o, o->place[ts], &r[k]);
        free(r);
        if (!ok)
            return false;
    }
    return true;
}

bool llv_elf_read(const uint8_t *obj, size_t len, const struct module *m, uint32_t first,
                  uint32_t end, bool guard, struct cc_artifact *out, struct err *e)
{
    struct obj o = {.p = obj, .len = len, .m = m, .out = out, .e = e};
    uint16_t shstrndx;
    bool ok = read_headers(&o, &shstrndx) && layout(&o) && read_symbols(&o) &&
              read_extents(&o, first, end) && relocate(&o, shstrndx);
    if (ok && out->code.oom)
        ok = err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    struct llv_row *rows = NULL;
    size_t nrows = 0;
    if (ok && o.lines && guard)
        ok = llv_lines_read(o.lines, o.lines_len, &rows, &nrows, e);
    if (ok)
        ok = llv_sites_add(out, m, first, guard, o.sites.data, o.sites.len, rows, nrows, e);
    free(rows);
    free(o.lines);
    free(o.sh);
    free(o.place);
    free(o.syms);
    vec_free(&o.sites);
    return ok;
}
