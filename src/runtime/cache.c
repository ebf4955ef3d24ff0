/* The artifact cache: compiled artifacts on disk, one .twasm file each
 * (twasm.c, without the module's bytes: the caller has them), named by a
 * key that digests the module's bytes, the backend, its options, this
 * build of Trident (and of the backend's plugin, if it is one) and the CPU
 * features the backend would use here.
 *
 * Writes go to a temporary file renamed into place, so concurrent writers
 * and readers never see half a file (two processes compiling the same
 * module both succeed; the last rename wins). A file that fails any check
 * (truncated, bit-flipped, another module's) is a miss: the module is
 * compiled again and the entry replaced, never trusted. A hit touches the
 * file's times; after writes the folder is trimmed to the engine's size
 * limit, least recently used first. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

#define ENTRY_EXT ".twasm"
#define TEMP_EXT ".tmp" /* rt_twasm_save's temporary files */
enum { STALE_TEMP_SECONDS = 600 }; /* a writer's temp file this old was abandoned */

/* ---- the folder ---- */

char *rt_cache_dir_default(const char *configured)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char path[4096];
    int w = configured     ? snprintf(path, sizeof path, "%s", configured)
            : xdg && *xdg  ? snprintf(path, sizeof path, "%s/trident", xdg)
            : home && *home ? snprintf(path, sizeof path, "%s/.cache/trident", home)
                            : -1;
    return w > 0 && (size_t)w < sizeof path ? strdup(path) : NULL;
}

/* mkdir -p on a copy of the engine's folder. */
static bool make_dir(const char *dir)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p)
        return false;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        bool ok = mkdir(p, 0755) == 0 || errno == EEXIST;
        *s = '/';
        if (!ok)
            return false;
    }
    return mkdir(p, 0755) == 0 || errno == EEXIST;
}

const char *tri_engine_cache_dir(const tri_engine *e) { return e->cache_dir; }

/* ---- keys ---- */

bool rt_cache_key(const tri_engine *e, const struct cc_backend *backend,
                  const struct cc_options *o, const uint8_t *bytes, size_t len,
                  struct rt_cache_key *k)
{
    memset(k, 0, sizeof *k);
    uint64_t build[2], maker[2];
    /* The backend may live in a plugin of its own build (llvm): a rebuilt
     * backend must not find the old one's code. */
    if (!e->config.cache || !e->cache_dir || !rt_build_stamp(build) ||
        !rt_code_stamp((uintptr_t)backend->compile, maker))
        return false;
    struct rt_twasm_want *w = &k->want;
    strncpy(w->backend, backend->name, sizeof w->backend - 1);
    w->options = *o;
    w->module_len = len;
    rt_digest(bytes, len, 0, w->module_hash);
    /* Everything a compile depends on, in fixed-size fields. */
    struct {
        uint64_t module_hash[2], module_len, build[2], maker[2], cpu;
        char backend[CC_BACKEND_NAME_MAX], version[16];
        uint8_t opt_level, bounds_checks, pad[6];
    } in;
    memset(&in, 0, sizeof in);
    memcpy(in.module_hash, w->module_hash, sizeof in.module_hash);
    in.module_len = len;
    memcpy(in.build, build, sizeof build);
    memcpy(in.maker, maker, sizeof maker);
    in.cpu = rt_cpu_required(backend->name);
    memcpy(in.backend, w->backend, sizeof in.backend);
    strncpy(in.version, TRI_VERSION, sizeof in.version - 1);
    in.opt_level = o->opt_level;
    in.bounds_checks = o->bounds_checks;
    uint64_t key[2];
    rt_digest(&in, sizeof in, 0, key);
    int n = snprintf(k->path, sizeof k->path, "%s/%016" PRIx64 "%016" PRIx64 ENTRY_EXT,
                     e->cache_dir, key[0], key[1]);
    return n > 0 && (size_t)n < sizeof k->path;
}

/* ---- lookups ---- */

bool rt_cache_load(tri_engine *e, const struct rt_cache_key *k, struct cc_artifact *a)
{
    int fd = open(k->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return false;
    struct err err;
    err_clear(&err);
    struct rt_twasm_file f;
    /* A file shortened while we read it fails the read or the checksum. */
    bool ok = fstat(fd, &st) == 0 && rt_twasm_read_fd(fd, (uint64_t)st.st_size, &k->want, &f, &err);
    if (ok)
        futimens(fd, NULL); /* most recently used */
    close(fd);
    if (!ok) {
        atomic_fetch_add(&e->cache_stats.rejected, 1);
        return false;
    }
    *a = f.art;
    atomic_fetch_add(&e->cache_stats.hits, 1);
    return true;
}

/* ---- stores ---- */

struct entry {
    struct timespec used;
    uint64_t size;
    char name[256];
};
typedef VEC(struct entry) entry_vec;

static int older_first(const void *x, const void *y)
{
    const struct entry *a = x, *b = y;
    if (a->used.tv_sec != b->used.tv_sec)
        return a->used.tv_sec < b->used.tv_sec ? -1 : 1;
    return (a->used.tv_nsec > b->used.tv_nsec) - (a->used.tv_nsec < b->used.tv_nsec);
}

static bool has_ext(const char *name, const char *ext)
{
    size_t n = strlen(name), k = strlen(ext);
    return n > k && !strcmp(name + n - k, ext);
}

/* Lists the entries (and removes abandoned temp files); false on OOM. */
static bool list_entries(const char *dir, entry_vec *out, uint64_t *total)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    time_t now = time(NULL);
    bool ok = true;
    *total = 0;
    for (struct dirent *de; ok && (de = readdir(d));) {
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (has_ext(de->d_name, TEMP_EXT) && now - st.st_mtime > STALE_TEMP_SECONDS)
            unlinkat(dirfd(d), de->d_name, 0);
        if (!has_ext(de->d_name, ENTRY_EXT) || strlen(de->d_name) >= sizeof out->data->name)
            continue;
        struct entry *en = vec_push(out);
        ok = en != NULL;
        if (en) {
            *en = (struct entry){st.st_mtim, (uint64_t)st.st_size, ""};
            strcpy(en->name, de->d_name);
            *total += en->size;
        }
    }
    closedir(d);
    return ok;
}

/* Removes the least recently used entries until the folder fits limit. */
static void trim(const char *dir, uint64_t limit)
{
    entry_vec es = {0};
    uint64_t total;
    if (list_entries(dir, &es, &total) && total > limit) {
        qsort(es.data, es.len, sizeof *es.data, older_first);
        char path[4400];
        for (size_t i = 0; i < es.len && total > limit; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, es.data[i].name);
            if (unlink(path) == 0)
                total -= es.data[i].size;
        }
    }
    vec_free(&es);
}

void rt_cache_store(tri_engine *e, const struct rt_cache_key *k, const uint8_t *bytes,
                    size_t len, const struct cc_artifact *a)
{
    struct rt_twasm_plan p;
    struct err err;
    err_clear(&err);
    if (!make_dir(e->cache_dir) || !rt_twasm_plan(&p, a, bytes, len, false, &err) ||
        !rt_twasm_save(k->path, &p, &err))
        return; /* the cache is an optimisation: a failed write only costs time */
    atomic_fetch_add(&e->cache_stats.stored, 1);
    /* A folder scan per write would make many small writes quadratic: scan
     * at an engine's first write, then after each limit/16 bytes written. */
    uint64_t limit = e->config.cache_max_bytes;
    uint64_t since = atomic_fetch_add(&e->cache_unscanned, p.len) + p.len;
    if (!atomic_exchange(&e->cache_scanned, true) || since > limit / 16) {
        atomic_store(&e->cache_unscanned, 0);
        trim(e->cache_dir, limit);
    }
}

tri_error *tri_cache_clean(const tri_engine *e, size_t *removed, uint64_t *bytes)
{
    *removed = 0;
    *bytes = 0;
    if (!e->cache_dir)
        return rt_error(TRI_ERR_ARG, "no cache folder: set XDG_CACHE_HOME or HOME");
    DIR *d = opendir(e->cache_dir);
    if (!d)
        return errno == ENOENT ? NULL
                               : rt_error(TRI_ERR_IO, "cannot open '%s': %s", e->cache_dir,
                                          strerror(errno));
    for (struct dirent *de; (de = readdir(d));) {
        struct stat st;
        if ((!has_ext(de->d_name, ENTRY_EXT) && !has_ext(de->d_name, TEMP_EXT)) ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            unlinkat(dirfd(d), de->d_name, 0) != 0)
            continue;
        *removed += 1;
        *bytes += (uint64_t)st.st_size;
    }
    closedir(d);
    return NULL;
}
