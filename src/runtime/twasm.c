/* Artifact files (.twasm): the one serialisation of a compiled artifact,
 * written by `trident compile` / tri_module_serialize and by the cache.
 *
 * Layout, little-endian (Trident is x86-64 only):
 *   a 256-byte header (struct header below), then sections at 16-byte
 *   aligned offsets, zero-padded: the module's bytes (precompiled files
 *   embed them: imports, exports and segments come from there; cache
 *   entries do not, the caller has them), the code, the function extents,
 *   the relocations and the trap sites, as the arrays of struct
 *   cc_artifact are in memory.
 * The magic (offset 0), the checksum (8) and the format number (24) keep
 * their places in every format version. The checksum is a 128-bit digest
 * of every byte from offset 24 to the end, so truncation and flipped bits
 * are caught before anything else is read. A file is refused unless it
 * was made by this very build of the runtime (version and build id: the ABI
 * between code and runtime has no other version) and this CPU has every
 * feature the code may use. (Which build of a backend plugin made the code
 * does not matter for running it; the cache key includes it.)
 *
 * The checks catch damage and mismatches, not malice: a .twasm file is
 * native code, to be trusted like an executable. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"

enum { FORMAT = 1, HEADER_SIZE = 256, ALIGN = 16, CHECKED_FROM = 24 };

enum section { S_MODULE, S_CODE, S_FUNCS, S_RELOCS, S_TRAPS, NSECTIONS };

struct header {
    char magic[8];
    uint64_t checksum[2];   /* digest of bytes [CHECKED_FROM, file_len) */
    uint32_t format;        /* FORMAT */
    uint32_t header_size;   /* HEADER_SIZE */
    uint64_t file_len;
    char version[16];       /* TRI_VERSION, NUL-padded */
    uint64_t build[2];      /* digest of the build id of the maker */
    char backend[CC_BACKEND_NAME_MAX];
    uint8_t opt_level, bounds_checks, embedded, pad[5];
    uint64_t cpu_features;  /* rt_cpu_required(backend) when made */
    uint64_t module_hash[2];
    uint64_t module_len;
    struct { uint64_t off, len; } sect[NSECTIONS]; /* bytes */
    uint8_t reserved[HEADER_SIZE - 208];
};
_Static_assert(sizeof(struct header) == HEADER_SIZE, "header layout");
_Static_assert(offsetof(struct header, format) == CHECKED_FROM, "fixed prefix");
/* Records are written as they are in memory: pin their layout. */
_Static_assert(sizeof(struct cc_func_code) == 8, "cc_func_code layout");
_Static_assert(sizeof(struct cc_reloc) == 16, "cc_reloc layout");
_Static_assert(sizeof(struct cc_trap_site) == 12, "cc_trap_site layout");

static const char magic[8] = {0, 't', 'w', 'a', 's', 'm', '\r', '\n'};
static const size_t record_size[NSECTIONS] = {1, 1, sizeof(struct cc_func_code),
                                              sizeof(struct cc_reloc),
                                              sizeof(struct cc_trap_site)};

bool rt_twasm_is(const uint8_t *p, size_t n) { return n >= 8 && !memcmp(p, magic, 8); }

/* ---- build stamps: the build ids of the objects holding code ---- */

struct id_search {
    uintptr_t addr; /* an address inside the object we want */
    uint8_t id[64];
    size_t len;
};

static void note_scan(const uint8_t *p, size_t size, struct id_search *s)
{
    while (size >= sizeof(ElfW(Nhdr))) {
        const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
        size_t name = (n->n_namesz + 3) & ~3u, desc = (n->n_descsz + 3) & ~3u;
        size_t total = sizeof *n + name + desc;
        if (total > size)
            return;
        if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
            !memcmp(p + sizeof *n, "GNU", 4) && n->n_descsz <= sizeof s->id) {
            memcpy(s->id, p + sizeof *n + name, n->n_descsz);
            s->len = n->n_descsz;
            return;
        }
        p += total;
        size -= total;
    }
}

static int id_visit(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct id_search *s = data;
    bool mine = false;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && s->addr >= lo && s->addr < lo + ph->p_memsz)
            mine = true;
    }
    for (int i = 0; mine && i < info->dlpi_phnum && !s->len; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_NOTE)
            note_scan((const uint8_t *)(info->dlpi_addr + ph->p_vaddr), ph->p_memsz, s);
    }
    return mine;
}

bool rt_code_stamp(uintptr_t addr, uint64_t out[2])
{
    struct id_search s = {.addr = addr};
    dl_iterate_phdr(id_visit, &s);
    rt_digest(s.id, s.len, 0, out);
    return s.len > 0;
}

static uint64_t self_build[2];
static bool self_has_build;
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

static void find_build(void) { self_has_build = rt_code_stamp((uintptr_t)&find_build, self_build); }

bool rt_build_stamp(uint64_t out[2])
{
    pthread_once(&self_once, find_build);
    out[0] = self_build[0];
    out[1] = self_build[1];
    return self_has_build;
}

/* ---- writing ---- */

static const uint8_t zeros[ALIGN];

static void piece(struct rt_twasm_plan *p, const void *data, size_t n)
{
    if (n)
        p->pieces[p->npieces++] = (struct rt_twasm_piece){data, n};
    p->len += n;
}

/* Appends a section (and the padding before it) to the plan. */
static void section(struct rt_twasm_plan *p, struct header *h, enum section s, const void *data,
                    size_t n)
{
    size_t pad = (ALIGN - p->len % ALIGN) % ALIGN;
    piece(p, zeros, pad);
    h->sect[s].off = p->len;
    h->sect[s].len = n;
    piece(p, data, n);
}

bool rt_twasm_plan(struct rt_twasm_plan *p, const struct cc_artifact *a, const uint8_t *module,
                   size_t module_len, bool embed, struct err *e)
{
    _Static_assert(sizeof p->header == HEADER_SIZE, "plan header");
    struct header *h = (struct header *)p->header;
    memset(p, 0, sizeof *p);
    if (!rt_build_stamp(h->build))
        return err_set(e, ERR_UNSUPPORTED, NO_OFFSET,
                       "this trident binary has no build id, so its artifacts cannot be "
                       "told apart from another build's (link with --build-id)");
    memcpy(h->magic, magic, sizeof magic);
    h->format = FORMAT;
    h->header_size = HEADER_SIZE;
    strncpy(h->version, TRI_VERSION, sizeof h->version - 1);
    memcpy(h->backend, a->backend, sizeof h->backend);
    h->backend[sizeof h->backend - 1] = 0;
    h->opt_level = a->options.opt_level;
    h->bounds_checks = a->options.bounds_checks;
    h->embedded = embed;
    h->cpu_features = rt_cpu_required(a->backend);
    rt_digest(module, module_len, 0, h->module_hash);
    h->module_len = module_len;
    piece(p, h, HEADER_SIZE);
    section(p, h, S_MODULE, module, embed ? module_len : 0);
    section(p, h, S_CODE, a->code.data, a->code.len);
    section(p, h, S_FUNCS, a->funcs.data, a->funcs.len * sizeof *a->funcs.data);
    section(p, h, S_RELOCS, a->relocs.data, a->relocs.len * sizeof *a->relocs.data);
    section(p, h, S_TRAPS, a->traps.data, a->traps.len * sizeof *a->traps.data);
    h->file_len = p->len;
    struct rt_digest d;
    rt_digest_init(&d, 0);
    rt_digest_add(&d, p->header + CHECKED_FROM, HEADER_SIZE - CHECKED_FROM);
    for (size_t i = 1; i < p->npieces; i++)
        rt_digest_add(&d, p->pieces[i].data, p->pieces[i].len);
    rt_digest_end(&d, h->checksum);
    return true;
}

/* Writes the planned file to fd and closes it; returns 0, or the errno of
 * the first failure. */
static int write_plan(int fd, const struct rt_twasm_plan *p)
{
    int err = 0;
    for (size_t i = 0; i < p->npieces && !err; i++) {
        const uint8_t *s = p->pieces[i].data;
        for (size_t left = p->pieces[i].len; left && !err;) {
            ssize_t n = write(fd, s, left);
            if (n <= 0)
                err = n < 0 ? errno : EIO;
            else
                s += n, left -= (size_t)n;
        }
    }
    if (close(fd) != 0 && !err)
        err = errno;
    return err;
}

/* A path that exists and is not a regular file (/dev/null, a pipe) is
 * written in place: renaming over it would replace the device itself. */
static bool save_in_place(const char *path, const struct rt_twasm_plan *p, struct err *e)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, ERR_IO, NO_OFFSET, "cannot open '%s': %s", path, strerror(errno));
    int err = write_plan(fd, p);
    return !err || err_set(e, ERR_IO, NO_OFFSET, "cannot write '%s': %s", path, strerror(err));
}

bool rt_twasm_save(const char *path, const struct rt_twasm_plan *p, struct err *e)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return save_in_place(path, p, e);
    static atomic_uint counter;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.%u.tmp", path, (long)getpid(),
             atomic_fetch_add(&counter, 1));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(e, ERR_IO, NO_OFFSET, "cannot create '%s': %s", tmp, strerror(errno));
    int err = write_plan(fd, p);
    if (!err && rename(tmp, path) == 0)
        return true;
    err = err ? err : errno;
    unlink(tmp);
    return err_set(e, ERR_IO, NO_OFFSET, "cannot write '%s': %s", path, strerror(err));
}

/* ---- reading ---- */

static bool check_stamp(const struct header *h, struct err *e)
{
    uint64_t build[2];
    bool has = rt_build_stamp(build);
    if (!memchr(h->version, 0, sizeof h->version))
        return err_set(e, ERR_MALFORMED, NO_OFFSET, "damaged .twasm file: bad version field");
    if (has && !strcmp(h->version, TRI_VERSION) && !memcmp(h->build, build, sizeof build))
        return true;
    return err_set(e, ERR_UNSUPPORTED, NO_OFFSET,
                   "made by trident %s (build %016" PRIx64 "), this is trident %s (build "
                   "%016" PRIx64 "): compile the module again",
                   h->version, h->build[0], TRI_VERSION, has ? build[0] : 0);
}

static bool check_cpu(const struct header *h, struct err *e)
{
    uint64_t missing = h->cpu_features & ~rt_cpu_host();
    if (!missing)
        return true;
    char names[512];
    rt_cpu_names(missing, names, sizeof names);
    return err_set(e, ERR_UNSUPPORTED, NO_OFFSET,
                   "compiled for CPU features this CPU lacks: %s", names);
}

/* Where a file's bytes come from: memory, or a file descriptor. */
struct source {
    const uint8_t *mem; /* NULL: read fd */
    int fd;
    uint64_t len;
};

static bool src_read(const struct source *s, uint64_t off, void *dst, size_t n)
{
    if (s->mem) {
        memcpy(dst, s->mem + off, n);
        return true;
    }
    for (uint8_t *p = dst; n;) {
        ssize_t r = pread(s->fd, p, n, (off_t)off);
        if (r <= 0)
            return false;
        p += r;
        off += (uint64_t)r;
        n -= (size_t)r;
    }
    return true;
}

/* The checksum of a whole file whose layout this build does not know. */
static bool src_checksum_ok(const struct source *s, const struct header *h)
{
    struct rt_digest d;
    rt_digest_init(&d, 0);
    uint8_t chunk[65536];
    for (uint64_t at = CHECKED_FROM; at < s->len;) {
        size_t n = s->len - at < sizeof chunk ? (size_t)(s->len - at) : sizeof chunk;
        if (!src_read(s, at, chunk, n))
            return false;
        rt_digest_add(&d, chunk, n);
        at += n;
    }
    uint64_t sum[2];
    rt_digest_end(&d, sum);
    return sum[0] == h->checksum[0] && sum[1] == h->checksum[1];
}

/* The header of a file of this format and length, with its sections back
 * to back in order, each at the next aligned offset, the last ending the
 * file: a damaged header cannot make us read or allocate past the file. */
static bool check_layout(const struct source *s, const struct header *h, struct err *e)
{
    if (h->format != FORMAT && !src_checksum_ok(s, h))
        return err_set(e, ERR_MALFORMED, NO_OFFSET, "damaged .twasm file: checksum mismatch");
    if (h->format != FORMAT)
        return err_set(e, ERR_UNSUPPORTED, NO_OFFSET,
                       ".twasm format %u, this trident reads format %u: compile the module "
                       "again", h->format, FORMAT);
    if (h->file_len != s->len)
        return err_set(e, ERR_MALFORMED, NO_OFFSET,
                       "truncated or damaged .twasm file: %" PRIu64 " bytes, the header says "
                       "%" PRIu64, s->len, h->file_len);
    uint64_t at = HEADER_SIZE;
    bool ok = h->header_size == HEADER_SIZE;
    for (int i = 0; ok && i < NSECTIONS; i++) {
        uint64_t off = (at + ALIGN - 1) / ALIGN * ALIGN, len = h->sect[i].len;
        ok = h->sect[i].off == off && len <= s->len - off && len % record_size[i] == 0 &&
             len / record_size[i] <= UINT32_MAX;
        at = off + len;
    }
    if (!ok || at != s->len)
        return err_set(e, ERR_MALFORMED, NO_OFFSET, "damaged .twasm file: sections out of place");
    return true;
}

/* Reads every section into a fresh buffer (bufs, owned by the caller even
 * on failure), digesting them and the padding, and checks the checksum. */
static bool read_sections(const struct source *s, const struct header *h,
                          void *bufs[NSECTIONS], struct err *e)
{
    struct rt_digest d;
    rt_digest_init(&d, 0);
    rt_digest_add(&d, (const uint8_t *)h + CHECKED_FROM, HEADER_SIZE - CHECKED_FROM);
    uint64_t at = HEADER_SIZE;
    for (int i = 0; i < NSECTIONS; i++) {
        uint8_t pad[ALIGN];
        size_t gap = (size_t)(h->sect[i].off - at), len = (size_t)h->sect[i].len;
        bufs[i] = malloc(len ? len : 1);
        if (!bufs[i])
            return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
        if (!src_read(s, at, pad, gap) || !src_read(s, h->sect[i].off, bufs[i], len))
            return err_set(e, ERR_IO, NO_OFFSET, "cannot read the .twasm file");
        rt_digest_add(&d, pad, gap);
        rt_digest_add(&d, bufs[i], len);
        at = h->sect[i].off + len;
    }
    uint64_t sum[2];
    rt_digest_end(&d, sum);
    if (sum[0] != h->checksum[0] || sum[1] != h->checksum[1])
        return err_set(e, ERR_MALFORMED, NO_OFFSET, "damaged .twasm file: checksum mismatch");
    return true;
}

static bool matches(const struct header *h, const struct rt_twasm_want *w, struct err *e)
{
    if (h->embedded || strcmp(h->backend, w->backend) || h->opt_level != w->options.opt_level ||
        h->bounds_checks != w->options.bounds_checks || h->module_len != w->module_len ||
        h->module_hash[0] != w->module_hash[0] || h->module_hash[1] != w->module_hash[1])
        return err_set(e, ERR_ARG, NO_OFFSET, "the cache entry is for another module");
    return true;
}

/* What a whole file says about itself: who made it, for which CPU, and for
 * a cache lookup, whether it is the entry for that module. */
static bool check_meaning(const struct header *h, const struct rt_twasm_want *want,
                          struct err *e)
{
    if (!memchr(h->backend, 0, sizeof h->backend) ||
        (h->embedded && h->sect[S_MODULE].len != h->module_len))
        return err_set(e, ERR_MALFORMED, NO_OFFSET, "inconsistent .twasm file header");
    if (!check_stamp(h, e) || !check_cpu(h, e) || (want && !matches(h, want, e)))
        return false;
    if (!want && !h->embedded)
        return err_set(e, ERR_ARG, NO_OFFSET,
                       "a cache entry, not a .twasm file: it lacks the module's bytes");
    return true;
}

static bool read_file(const struct source *s, const struct rt_twasm_want *want,
                      struct rt_twasm_file *out, struct err *e)
{
    struct header h;
    uint8_t first[8] = {0};
    if (s->len < sizeof first || !src_read(s, 0, first, sizeof first) ||
        !rt_twasm_is(first, sizeof first))
        return err_set(e, ERR_MALFORMED, NO_OFFSET, "not a .twasm file");
    if (s->len < HEADER_SIZE || !src_read(s, 0, &h, HEADER_SIZE))
        return err_set(e, ERR_MALFORMED, NO_OFFSET, "truncated .twasm file (%" PRIu64 " bytes)",
                       s->len);
    void *bufs[NSECTIONS] = {0};
    if (!check_layout(s, &h, e) || !read_sections(s, &h, bufs, e) || !check_meaning(&h, want, e)) {
        for (int i = 0; i < NSECTIONS; i++)
            free(bufs[i]);
        return false;
    }
    memset(out, 0, sizeof *out);
    if (h.embedded) {
        out->module = bufs[S_MODULE];
        out->module_len = h.module_len;
    } else {
        free(bufs[S_MODULE]); /* empty: a cache entry */
    }
    struct cc_artifact *a = &out->art;
    const struct cc_options o = {h.opt_level, h.bounds_checks};
    cc_artifact_init(a, h.backend, &o);
    a->code.data = bufs[S_CODE];
    a->code.len = a->code.cap = h.sect[S_CODE].len;
    a->funcs.data = bufs[S_FUNCS];
    a->funcs.len = a->funcs.cap = h.sect[S_FUNCS].len / record_size[S_FUNCS];
    a->relocs.data = bufs[S_RELOCS];
    a->relocs.len = a->relocs.cap = h.sect[S_RELOCS].len / record_size[S_RELOCS];
    a->traps.data = bufs[S_TRAPS];
    a->traps.len = a->traps.cap = h.sect[S_TRAPS].len / record_size[S_TRAPS];
    return true;
}

bool rt_twasm_read(const uint8_t *data, size_t len, const struct rt_twasm_want *want,
                   struct rt_twasm_file *out, struct err *e)
{
    const struct source s = {data, -1, len};
    return read_file(&s, want, out, e);
}

bool rt_twasm_read_fd(int fd, uint64_t len, const struct rt_twasm_want *want,
                      struct rt_twasm_file *out, struct err *e)
{
    const struct source s = {NULL, fd, len};
    return read_file(&s, want, out, e);
}

tri_error *tri_module_serialize(const tri_module *m, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    struct rt_twasm_plan p;
    struct err e;
    err_clear(&e);
    if (!rt_twasm_plan(&p, &m->art, m->m.bytes, m->m.size, true, &e))
        return rt_error_from(&e);
    uint8_t *data = malloc(p.len);
    if (!data)
        return rt_error(TRI_ERR_NOMEM, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < p.npieces; i++) {
        memcpy(data + at, p.pieces[i].data, p.pieces[i].len);
        at += p.pieces[i].len;
    }
    *out = data;
    *len = p.len;
    return NULL;
}
