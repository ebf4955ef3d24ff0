/* The artifact cache: compiled artifacts on disk, keyed by the module's
 * bytes, the backend and its options. Artifacts are flat, so a file is a
 * header and the artifact's arrays as they are in memory. Writes go to a
 * temporary file renamed into place, so concurrent writers and readers
 * never see half a file; a file that fails any check is ignored (and the
 * module compiled again), never trusted. The key includes the build id of
 * the binary holding the compilers, so a rebuilt Trident never runs code
 * an older one cached; without a build id there is no cache. */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"

enum { CACHE_VERSION = 1 };

struct cache_header {
    char magic[8];          /* "TRIDART" + version */
    uint64_t key[2];        /* two independent hashes of everything below */
    uint64_t module_len;
    char backend[CC_BACKEND_NAME_MAX];
    uint8_t opt_level, bounds_checks, pad[6];
    uint32_t code_len, nfuncs, nrelocs, ntraps;
};

/* ---- the build id (the GNU note of the object holding this code) ---- */

struct id_search {
    uintptr_t addr;   /* an address inside the object we want */
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

static struct id_search self_id;
static pthread_once_t self_id_once = PTHREAD_ONCE_INIT;

static void find_build_id(void)
{
    self_id.addr = (uintptr_t)&find_build_id;
    dl_iterate_phdr(id_visit, &self_id);
}

static const struct id_search *build_id(void)
{
    pthread_once(&self_id_once, find_build_id);
    return self_id.len ? &self_id : NULL;
}

/* False when there is no build id (and so no cache). */
static bool make_header(struct cache_header *h, const char *backend,
                        const struct cc_options *o, const uint8_t *bytes, size_t len)
{
    const struct id_search *id = build_id();
    if (!id)
        return false;
    memset(h, 0, sizeof *h);
    memcpy(h->magic, "TRIDART", 7);
    h->magic[7] = (char)('0' + CACHE_VERSION);
    h->module_len = len;
    strncpy(h->backend, backend, sizeof h->backend - 1);
    h->opt_level = o->opt_level;
    h->bounds_checks = o->bounds_checks;
    const uint8_t opts[2] = {o->opt_level, o->bounds_checks};
    for (int k = 0; k < 2; k++) {
        uint64_t x = hash_bytes(bytes, len, 0x9E3779B97F4A7C15ull * (uint64_t)(k + 1));
        x = hash_bytes(h->backend, sizeof h->backend, x);
        x = hash_bytes(id->id, id->len, x);
        h->key[k] = hash_bytes(opts, sizeof opts, x);
    }
    return true;
}

/* The cache folder: the engine's, else $XDG_CACHE_HOME/trident, else
 * $HOME/.cache/trident. Created if missing. */
static bool cache_dir(const tri_engine *e, char *out, size_t n)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int w = e->cache_dir     ? snprintf(out, n, "%s", e->cache_dir)
          : xdg && *xdg      ? snprintf(out, n, "%s/trident", xdg)
          : home && *home    ? snprintf(out, n, "%s/.cache/trident", home)
                             : -1;
    if (w < 0 || (size_t)w >= n)
        return false;
    for (char *p = out + 1; *p; p++) { /* mkdir -p */
        if (*p != '/')
            continue;
        *p = 0;
        bool ok = mkdir(out, 0755) == 0 || errno == EEXIST;
        *p = '/';
        if (!ok)
            return false;
    }
    return mkdir(out, 0755) == 0 || errno == EEXIST;
}

static bool cache_path(const tri_engine *e, const struct cache_header *h, char *out, size_t n)
{
    char dir[4096];
    if (!cache_dir(e, dir, sizeof dir))
        return false;
    int w = snprintf(out, n, "%s/%016llx%016llx.art", dir, (unsigned long long)h->key[0],
                     (unsigned long long)h->key[1]);
    return w > 0 && (size_t)w < n;
}

/* Copies n records of size sz from *p into a fresh array. */
static void *take(const uint8_t **p, size_t n, size_t sz)
{
    void *a = malloc(n ? n * sz : 1);
    if (a && n)
        memcpy(a, *p, n * sz);
    *p += n * sz;
    return a;
}

static bool parse(const uint8_t *data, size_t size, const struct cache_header *want,
                  struct cc_artifact *a)
{
    struct cache_header h;
    if (size < sizeof h)
        return false;
    memcpy(&h, data, sizeof h);
    size_t body = (size_t)h.code_len + (size_t)h.nfuncs * sizeof(struct cc_func_code) +
                  (size_t)h.nrelocs * sizeof(struct cc_reloc) +
                  (size_t)h.ntraps * sizeof(struct cc_trap_site);
    if (memcmp(&h, want, offsetof(struct cache_header, code_len)) || size != sizeof h + body)
        return false;
    const struct cc_options o = {h.opt_level, h.bounds_checks};
    cc_artifact_init(a, h.backend, &o);
    const uint8_t *p = data + sizeof h;
    a->code.data = take(&p, h.code_len, 1);
    a->code.len = a->code.cap = h.code_len;
    a->funcs.data = take(&p, h.nfuncs, sizeof *a->funcs.data);
    a->funcs.len = a->funcs.cap = h.nfuncs;
    a->relocs.data = take(&p, h.nrelocs, sizeof *a->relocs.data);
    a->relocs.len = a->relocs.cap = h.nrelocs;
    a->traps.data = take(&p, h.ntraps, sizeof *a->traps.data);
    a->traps.len = a->traps.cap = h.ntraps;
    if (a->code.data && a->funcs.data && a->relocs.data && a->traps.data)
        return true;
    cc_artifact_free(a);
    return false;
}

bool rt_cache_load(const tri_engine *e, const char *backend, const struct cc_options *o,
                   const uint8_t *bytes, size_t len, struct cc_artifact *a)
{
    struct cache_header want;
    char path[4200];
    if (!make_header(&want, backend, o, bytes, len) || !cache_path(e, &want, path, sizeof path) ||
        access(path, R_OK) != 0)
        return false;
    struct err err;
    err_clear(&err);
    uint8_t *data;
    size_t size;
    if (!file_read(path, &data, &size, &err))
        return false;
    bool ok = parse(data, size, &want, a);
    free(data);
    return ok;
}

static bool write_all(FILE *f, const void *p, size_t n) { return !n || fwrite(p, n, 1, f) == 1; }

void rt_cache_store(const tri_engine *e, const uint8_t *bytes, size_t len,
                    const struct cc_artifact *a)
{
    struct cache_header h;
    char path[4200], tmp[4300];
    if (!make_header(&h, a->backend, &a->options, bytes, len) ||
        !cache_path(e, &h, path, sizeof path))
        return;
    h.code_len = (uint32_t)a->code.len;
    h.nfuncs = (uint32_t)a->funcs.len;
    h.nrelocs = (uint32_t)a->relocs.len;
    h.ntraps = (uint32_t)a->traps.len;
    snprintf(tmp, sizeof tmp, "%s.%ld.%p.tmp", path, (long)getpid(), (void *)&h);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return;
    bool ok = write_all(f, &h, sizeof h) && write_all(f, a->code.data, a->code.len) &&
              write_all(f, a->funcs.data, a->funcs.len * sizeof *a->funcs.data) &&
              write_all(f, a->relocs.data, a->relocs.len * sizeof *a->relocs.data) &&
              write_all(f, a->traps.data, a->traps.len * sizeof *a->traps.data);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}
