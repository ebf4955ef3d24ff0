/* The compiled-code cache through the API, with the singlepass backend:
 * a second compile of the same bytes is a hit; other options or bytes
 * miss; truncated or bit-flipped entries are detected, recompiled and
 * replaced (never run); the folder is trimmed least recently used first;
 * two processes compiling the same module at once both succeed and leave
 * one valid entry; only registered backends are cached; the default
 * folder follows XDG_CACHE_HOME; tri_cache_clean empties it. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "api_util.h"
#include "check.h"
#include "runtime/runtime.h"
#include "singlepass/singlepass.h"

static tri_engine *engine_with(const char *dir, int opt, uint64_t max)
{
    tri_config c;
    tri_config_default(&c);
    c.backend = "singlepass"; /* the entries are looked up with sp_backend */
    c.cache_dir = dir;
    c.opt_level = opt;
    c.cache_max_bytes = max;
    tri_engine *e = NULL;
    tri_error_delete(tri_engine_new(&c, &e));
    return e;
}

/* A module whose f() returns k (same size for every k < 64). */
static uint8_t *module_k(int k, size_t *len)
{
    char text[160];
    snprintf(text, sizeof text, "(module (func (export \"f\") (result i32) (i32.const %d)))", k);
    return wat(text, len);
}

/* Compiles the bytes with e (or the given backend) and returns f(), or -1. */
static int32_t run_f(tri_engine *e, const struct cc_backend *b, const uint8_t *bytes, size_t len)
{
    tri_module *m = NULL;
    tri_error_delete(rt_module_new(e, bytes, len, b ? b : e->backend, &m));
    if (!m)
        return -1;
    tri_store *s = tri_store_new(e);
    tri_instance *i = NULL;
    tri_val out = {0};
    tri_error *r = tri_instance_new(s, m, NULL, 0, &i);
    if (!r)
        r = tri_func_call(s, export_of(i, "f").of.func, NULL, 0, &out, 1);
    tri_store_delete(s);
    tri_module_delete(m);
    bool ok = !r;
    tri_error_delete(r);
    return ok ? out.of.i32 : -1;
}

/* The entry's path for these bytes with e's settings. */
static bool entry_of(tri_engine *e, const uint8_t *bytes, size_t len, char *path, size_t n)
{
    struct rt_cache_key k;
    struct cc_options o = {(uint8_t)e->config.opt_level, e->config.bounds_checks};
    if (!rt_cache_key(e, &sp_backend, &o, bytes, len, &k))
        return false;
    snprintf(path, n, "%s", k.path);
    return true;
}

/* Counts files in dir ending with ext. */
static int count(const char *dir, const char *ext)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));) {
        size_t l = strlen(de->d_name), k = strlen(ext);
        n += l > k && !strcmp(de->d_name + l - k, ext);
    }
    if (d)
        closedir(d);
    return n;
}

static void hits_and_misses(const char *dir)
{
    size_t len, len2;
    uint8_t *a = module_k(7, &len), *b = module_k(8, &len2);
    tri_engine *e = engine_with(dir, 2, 0);
    CHECK(run_f(e, NULL, a, len) == 7 && e->cache_stats.stored == 1, "first compile stored");
    CHECK(count(dir, ".twasm") == 1, "one entry");
    CHECK(run_f(e, NULL, a, len) == 7 && e->cache_stats.hits == 1 && e->cache_stats.stored == 1,
          "second from the cache");
    tri_engine *e1 = engine_with(dir, 1, 0);
    CHECK(run_f(e1, NULL, a, len) == 7 && e1->cache_stats.hits == 0, "other options miss");
    tri_engine_delete(e1);
    CHECK(run_f(e, NULL, b, len2) == 8 && e->cache_stats.hits == 1, "other bytes miss");
    /* A backend that is not the registered one may differ for the same name. */
    struct cc_backend own = sp_backend;
    unsigned stored = e->cache_stats.stored;
    CHECK(run_f(e, &own, a, len) == 7 && e->cache_stats.stored == stored &&
              e->cache_stats.hits == 1, "unregistered backends bypass the cache");
    tri_engine_delete(e);
    free(a);
    free(b);
}

/* Rewrites path with its first n bytes, or with byte i flipped. */
static void damage_file(const char *path, const uint8_t *good, size_t len, size_t n, long flip)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    uint8_t *copy = malloc(len);
    memcpy(copy, good, len);
    if (flip >= 0)
        copy[flip] ^= (uint8_t)(0x80u >> (flip % 8));
    fwrite(copy, 1, flip >= 0 ? len : n, f);
    fclose(f);
    free(copy);
}

static void damage(const char *dir)
{
    size_t len;
    uint8_t *a = module_k(9, &len);
    tri_engine *e = engine_with(dir, 2, 0);
    char path[4300];
    uint8_t *good = NULL;
    size_t glen = 0;
    struct err err;
    err_clear(&err);
    CHECK(run_f(e, NULL, a, len) == 9 && entry_of(e, a, len, path, sizeof path) &&
              file_read(path, &good, &glen, &err), "entry written");
    int wrong = 0, undetected = 0, trials = 0;
    for (size_t i = 0; good && i < glen * 2; i++, trials++) {
        /* Every length, then every byte flipped. */
        damage_file(path, good, glen, i < glen ? i : glen, i < glen ? -1 : (long)(i - glen));
        unsigned rejected = e->cache_stats.rejected, stored = e->cache_stats.stored;
        wrong += run_f(e, NULL, a, len) != 9;
        undetected += e->cache_stats.stored != stored + 1 ||
                      e->cache_stats.rejected != rejected + 1;
    }
    CHECK(trials > 100 && !wrong && !undetected, "%d damaged entries: %d wrong, %d undetected",
          trials, wrong, undetected);
    uint8_t *now = NULL;
    size_t nlen = 0;
    CHECK(file_read(path, &now, &nlen, &err) && nlen == glen && !memcmp(now, good, glen),
          "the last damaged entry was replaced by a good one");
    free(now);
    free(good);
    free(a);
    tri_engine_delete(e);
}

/* Four entries in a folder that holds three: the least recently used goes. */
static void eviction(const char *dir)
{
    size_t len[4];
    uint8_t *m[4];
    char path[4][4300];
    for (int k = 0; k < 4; k++)
        m[k] = module_k(20 + k, &len[k]);
    tri_engine *probe = engine_with(dir, 2, 0);
    CHECK(run_f(probe, NULL, m[0], len[0]) == 20, "probe");
    struct stat st;
    CHECK(entry_of(probe, m[0], len[0], path[0], sizeof path[0]) && stat(path[0], &st) == 0,
          "entry size");
    tri_engine_delete(probe);
    tri_engine *e = engine_with(dir, 2, (uint64_t)st.st_size * 3 + st.st_size / 2);
    for (int k = 0; k < 3; k++)
        CHECK(run_f(e, NULL, m[k], len[k]) == 20 + k && entry_of(e, m[k], len[k], path[k], 4300),
              "entry %d", k);
    /* Ages: 1 oldest, then 2, then 0; a hit on 0 makes it the newest. */
    struct timespec t[2] = {{1000000, 0}, {1000000, 0}};
    for (int k = 0; k < 3; k++) {
        t[0].tv_sec = t[1].tv_sec = 1000000 + (k == 1 ? 0 : k == 2 ? 10 : 5);
        utimensat(AT_FDCWD, path[k], t, 0);
    }
    unsigned hits = e->cache_stats.hits;
    CHECK(run_f(e, NULL, m[0], len[0]) == 20 && e->cache_stats.hits == hits + 1, "hit on 0");
    CHECK(stat(path[0], &st) == 0 && st.st_mtime > 1000010, "a hit touches the entry");
    CHECK(run_f(e, NULL, m[3], len[3]) == 23, "fourth entry");
    CHECK(count(dir, ".twasm") == 3 && access(path[1], F_OK) != 0 && access(path[0], F_OK) == 0 &&
              access(path[2], F_OK) == 0, "the least recently used entry was evicted");
    tri_engine_delete(e);
    for (int k = 0; k < 4; k++)
        free(m[k]);
}

/* A module big enough that two compiles overlap. */
static uint8_t *big_module(size_t *len)
{
    size_t cap = 400000, at = 0;
    char *t = malloc(cap);
    at += (size_t)snprintf(t + at, cap - at, "(module (func (export \"f\") (result i32) (call 1))");
    for (int i = 1; i <= 2000; i++)
        at += (size_t)snprintf(t + at, cap - at,
                               "(func (result i32) (i32.add (i32.const %d) (i32.mul (i32.const "
                               "3) (i32.const 4))))", i);
    snprintf(t + at, cap - at, ")");
    uint8_t *b = wat(t, len);
    free(t);
    return b;
}

/* Two processes compile the same module into an empty folder at once. */
static void concurrent(const char *dir)
{
    size_t len;
    uint8_t *b = big_module(&len);
    CHECK(b, "big module");
    for (int round = 0; b && round < 3; round++) {
        tri_engine *cleaner = engine_with(dir, 2, 0);
        size_t removed;
        uint64_t bytes;
        tri_error_delete(tri_cache_clean(cleaner, &removed, &bytes));
        tri_engine_delete(cleaner);
        int go[2];
        CHECK(pipe(go) == 0, "pipe");
        pid_t kids[2];
        for (int k = 0; k < 2; k++)
            if ((kids[k] = fork()) == 0) {
                char c;
                close(go[1]);
                if (read(go[0], &c, 1) != 0) /* wait until the parent closes it */
                    _exit(3);
                tri_engine *e = engine_with(dir, 2, 0);
                _exit(run_f(e, NULL, b, len) == 13 ? 0 : 1);
            }
        close(go[0]);
        close(go[1]); /* both start now */
        int ok = 0;
        for (int k = 0; k < 2; k++) {
            int st;
            ok += waitpid(kids[k], &st, 0) == kids[k] && WIFEXITED(st) && WEXITSTATUS(st) == 0;
        }
        CHECK(ok == 2, "round %d: both processes compiled and ran", round);
        CHECK(count(dir, ".twasm") == 1 && count(dir, ".tmp") == 0, "round %d: one entry",
              round);
        tri_engine *e = engine_with(dir, 2, 0);
        CHECK(run_f(e, NULL, b, len) == 13 && e->cache_stats.hits == 1, "round %d: valid", round);
        tri_engine_delete(e);
    }
    free(b);
}

static void folders(const char *root)
{
    char xdg[600], want[700];
    snprintf(xdg, sizeof xdg, "%s/xdg", root);
    snprintf(want, sizeof want, "%s/trident", xdg);
    setenv("XDG_CACHE_HOME", xdg, 1);
    tri_engine *e = engine_with(NULL, 2, 0);
    CHECK(e && tri_engine_cache_dir(e) && !strcmp(tri_engine_cache_dir(e), want),
          "default folder under XDG_CACHE_HOME");
    size_t len, removed = 0;
    uint64_t bytes = 0;
    uint8_t *a = module_k(5, &len);
    CHECK(run_f(e, NULL, a, len) == 5 && count(want, ".twasm") == 1, "written there");
    tri_error *r = tri_cache_clean(e, &removed, &bytes);
    CHECK(!r && removed == 1 && bytes > 256 && count(want, ".twasm") == 0, "clean");
    tri_error_delete(r);
    tri_engine_delete(e);
    tri_config c;
    tri_config_default(&c);
    c.cache = false;
    tri_error_delete(tri_engine_new(&c, &e));
    CHECK(run_f(e, NULL, a, len) == 5 && count(want, ".twasm") == 0, "cache off writes nothing");
    tri_engine_delete(e);
    free(a);
}

int main(void)
{
    char root[] = "/tmp/tri-cache-XXXXXX";
    CHECK(mkdtemp(root), "mkdtemp");
    const char *parts[] = {"hits", "damage", "lru", "race"};
    void (*steps[])(const char *) = {hits_and_misses, damage, eviction, concurrent};
    for (int i = 0; i < 4; i++) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/%s/sub", root, parts[i]); /* made on demand */
        steps[i](dir);
    }
    folders(root);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0, "cleanup");
    return test_done("cache_store");
}
