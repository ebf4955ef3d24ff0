/* Random calls to every WASI function (but proc_exit and poll_oneoff,
 * which would end or block the run) with arguments drawn from small fds,
 * pointers near the memory's end, short lengths and wild values, over a
 * memory full of path-like bytes ("a", "b", ".", "/", NUL). In a preopened
 * directory holding symlinks that lead out. Every call must return an
 * errno of the witx, under ASan nothing may be touched out of bounds, and
 * afterwards nothing outside the preopen has changed. Both resolvers, a
 * fixed seed. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_harness.h"

enum { ROUNDS = 40, CALLS = 500, MEMSIZE = 65536 };

static uint64_t seed = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

/* An i32 argument: small (fds, flags, lengths) half the time, else a
 * pointer, one near the memory's end, or anything. Argument 0 is mostly an
 * fd, the preopen above all. */
static int64_t arg32(uint32_t index)
{
    static const int fds[] = {3, 3, 3, 3, 4, 5, 6, 7, 0, 1};
    if (index == 0 && rnd() % 4)
        return fds[rnd() % ARRAY_LEN(fds)];
    switch (rnd() % 10) {
    case 0: case 1: case 2: return (int64_t)(rnd() % 4);
    case 3: case 4: return (int64_t)(rnd() % 16);
    case 5: case 6: return (int64_t)(rnd() % MEMSIZE);
    case 7: return (int64_t)(MEMSIZE - rnd() % 64);
    case 8: return (int64_t)(rnd() % 64);
    default: return (int32_t)rnd();
    }
}

/* An i64 argument: small (offsets, sizes, rights), or anything. Sizes stay
 * below 1 MiB so allocate/truncate cannot fill the disk. */
static int64_t arg64(const char *fn)
{
    bool sized = strstr(fn, "allocate") || strstr(fn, "set_size") || strstr(fn, "pwrite");
    if (sized || rnd() % 3)
        return (int64_t)(rnd() % (1 << 20));
    return (int64_t)rnd();
}

/* Path-like bytes everywhere, so path calls get far into resolution. */
static void scribble(struct harness *h)
{
    static const char alphabet[] = "ab./ab./ab./ab./ab./ab./ab./ab./ab./..\0";
    for (uint32_t i = 0; i < MEMSIZE; i++)
        h->m[i] = (uint8_t)alphabet[rnd() % (sizeof alphabet - 1)];
}

static void round_of_calls(struct harness *h)
{
    for (int k = 0; k < CALLS; k++) {
        size_t i = rnd() % wasi_func_count();
        const char *fn = wasi_func_name(i);
        if (!strcmp(fn, "proc_exit") || !strcmp(fn, "poll_oneoff"))
            continue;
        if (k % 50 == 0)
            scribble(h);
        tri_functype t = tri_func_type(harness_func(h, fn));
        int64_t args[16];
        for (uint32_t p = 0; p < t.nparams; p++)
            args[p] = t.params[p] == TRI_I64 ? arg64(fn) : arg32(p);
        /* Closing the preopen early would leave the path calls nothing to do. */
        if ((!strcmp(fn, "fd_close") || !strcmp(fn, "fd_renumber")) && args[0] == 3 && rnd() % 20)
            args[0] = 4;
        int r = harness_call(h, fn, args, t.nparams);
        CHECK(r >= 0 && r <= WASI_ENOTCAPABLE, "%s returned %d", fn, r);
    }
}

static bool make_tree(const char *root)
{
    char p[256], q[256];
    snprintf(p, sizeof p, "%s/box", root);
    bool ok = mkdir(p, 0755) == 0;
    snprintf(p, sizeof p, "%s/outside", root);
    ok &= mkdir(p, 0755) == 0;
    snprintf(p, sizeof p, "%s/outside/secret", root);
    FILE *f = fopen(p, "w");
    ok &= f && fputs("secret\n", f) >= 0 && fclose(f) == 0;
    snprintf(q, sizeof q, "%s/box/a", root);
    ok &= symlink("../outside", q) == 0;
    snprintf(q, sizeof q, "%s/box/b", root);
    ok &= symlink(p, q) == 0;
    return ok;
}

static void run(bool walk)
{
    char root[] = "/tmp/wasi_fuzz.XXXXXX", box[64], cmd[256];
    CHECK(mkdtemp(root) && make_tree(root), "set-up");
    snprintf(box, sizeof box, "%s/box", root);
    snprintf(cmd, sizeof cmd, "cd %s && find outside -printf '%%p %%s %%T@\\n' | sort", root);
    char before[4096] = {0}, after[4096] = {0};
    FILE *p = popen(cmd, "r");
    CHECK(p && fread(before, 1, sizeof before - 1, p) > 0, "snapshot");
    if (p)
        pclose(p);
    struct wasi_preopen dir = {box, "/"};
    for (int r = 0; r < ROUNDS; r++) {
        /* A fresh context now and then: the calls close and renumber fd 3 too. */
        struct wasi_config cfg = {.dirs = &dir, .ndirs = 1, .stdio = {-1, -1, -1}, .no_openat2 = walk};
        struct harness h;
        if (!harness_init(&h, &cfg)) {
            CHECK(0, "harness");
            break;
        }
        round_of_calls(&h);
        harness_done(&h);
    }
    p = popen(cmd, "r");
    CHECK(p && fread(after, 1, sizeof after - 1, p) > 0, "snapshot");
    if (p)
        pclose(p);
    CHECK(!strcmp(before, after), "%s: outside changed:\n%s\n--- now:\n%s", walk ? "walk" : "openat2",
          before, after);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0, "clean up");
}

int main(void)
{
    run(false);
    run(true);
    return test_done("wasi_fuzz");
}
