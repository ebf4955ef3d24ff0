/* The sandbox: every path_* call tried with `..`, absolute paths and
 * symlinks leading outside the preopened directory, by both resolvers
 * (openat2 and the portable walk). Each must fail with the same errno, and
 * afterwards nothing outside the preopen has changed. Paths that stay
 * inside (through `..` or symlinks) must keep working. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_harness.h"

enum { PATH = 1024, PATH2 = 3072, OUT = 8192 };

enum op {
    OPEN, OPEN_NOFOLLOW, CREATE, STAT, STAT_FOLLOW, MKDIR, RMDIR, UNLINK, RENAME_FROM, RENAME_TO,
    LINK_FROM, LINK_TO, SYMLINK_AT, SYMLINK_TARGET, TIMES_FOLLOW, READLINK,
};

static char root[64], outside_abs[96], secret_abs[128];

static int open_op(struct harness *h, enum op op, uint32_t n)
{
    uint64_t rights = op == CREATE ? WASI_R(FD_WRITE) : WASI_R(FD_READ) | WASI_R(FD_READDIR);
    int r = CALL(h, "path_open", 3, op == OPEN_NOFOLLOW ? 0 : WASI_LOOKUP_FOLLOW, PATH, n,
                 op == CREATE ? WASI_O_CREAT : 0, (int64_t)rights, 0, 0, OUT);
    if (r == 0)
        CALL(h, "fd_close", ld32(h, OUT));
    return r;
}

/* Runs one operation with `path` in the role the op names; "victim" (an
 * inside file) fills the other role of two-path calls. */
static int run_op(struct harness *h, enum op op, const char *path)
{
    uint32_t n = put_str(h, PATH, path), v = put_str(h, PATH2, "victim");
    switch (op) {
    case OPEN:
    case OPEN_NOFOLLOW:
    case CREATE: return open_op(h, op, n);
    case STAT: return CALL(h, "path_filestat_get", 3, 0, PATH, n, OUT);
    case STAT_FOLLOW: return CALL(h, "path_filestat_get", 3, WASI_LOOKUP_FOLLOW, PATH, n, OUT);
    case MKDIR: return CALL(h, "path_create_directory", 3, PATH, n);
    case RMDIR: return CALL(h, "path_remove_directory", 3, PATH, n);
    case UNLINK: return CALL(h, "path_unlink_file", 3, PATH, n);
    case RENAME_FROM: return CALL(h, "path_rename", 3, PATH, n, 3, PATH2, v);
    case RENAME_TO: return CALL(h, "path_rename", 3, PATH2, v, 3, PATH, n);
    case LINK_FROM: return CALL(h, "path_link", 3, WASI_LOOKUP_FOLLOW, PATH, n, 3, PATH2, v);
    case LINK_TO: return CALL(h, "path_link", 3, 0, PATH2, v, 3, PATH, n);
    case SYMLINK_AT: return CALL(h, "path_symlink", PATH2, v, 3, PATH, n);
    case SYMLINK_TARGET: return CALL(h, "path_symlink", PATH, n, 3, PATH2, v);
    case TIMES_FOLLOW:
        return CALL(h, "path_filestat_set_times", 3, WASI_LOOKUP_FOLLOW, PATH, n, 0, 0,
                    WASI_FST_ATIM_NOW | WASI_FST_MTIM_NOW);
    case READLINK: return CALL(h, "path_readlink", 3, PATH, n, OUT + 64, 256, OUT);
    }
    return -1;
}

struct attempt {
    enum op op;
    const char *path; /* "@" stands for the absolute path of outside/secret */
    int expect;
};

static const struct attempt attempts[] = {
    /* escapes */
    {OPEN, "../outside/secret", WASI_ENOTCAPABLE},
    {OPEN, "/etc/passwd", WASI_ENOTCAPABLE},
    {OPEN, "@", WASI_ENOTCAPABLE},
    {OPEN, "..", WASI_ENOTCAPABLE},
    {OPEN, "sub/../../outside/secret", WASI_ENOTCAPABLE},
    {OPEN, "sub/dotdot/../outside/secret", WASI_ENOTCAPABLE},
    {OPEN, "up/secret", WASI_ENOTCAPABLE},
    {OPEN, "abs/secret", WASI_ENOTCAPABLE},
    {OPEN, "absfile", WASI_ENOTCAPABLE},
    {OPEN, "sub/deep", WASI_ENOTCAPABLE},
    {OPEN, "up", WASI_ENOTCAPABLE},
    {CREATE, "dangle", WASI_ENOTCAPABLE},
    {CREATE, "up/new", WASI_ENOTCAPABLE},
    {CREATE, "../new", WASI_ENOTCAPABLE},
    {MKDIR, "up/newdir", WASI_ENOTCAPABLE},
    {MKDIR, "../newdir", WASI_ENOTCAPABLE},
    {RMDIR, "up/sub", WASI_ENOTCAPABLE},
    {RMDIR, "abs/sub", WASI_ENOTCAPABLE},
    {UNLINK, "up/secret", WASI_ENOTCAPABLE},
    {UNLINK, "../outside/secret", WASI_ENOTCAPABLE},
    {RENAME_FROM, "up/secret", WASI_ENOTCAPABLE},
    {RENAME_TO, "../outside/moved", WASI_ENOTCAPABLE},
    {RENAME_TO, "abs/moved", WASI_ENOTCAPABLE},
    {LINK_FROM, "absfile", WASI_ENOTCAPABLE},
    {LINK_FROM, "up/secret", WASI_ENOTCAPABLE},
    {LINK_TO, "up/hard", WASI_ENOTCAPABLE},
    {SYMLINK_AT, "up/link", WASI_ENOTCAPABLE},
    {SYMLINK_TARGET, "/etc/passwd", WASI_EPERM},
    {STAT_FOLLOW, "abs", WASI_ENOTCAPABLE},
    {STAT, "abs/", WASI_ENOTCAPABLE},
    {STAT, "up/secret", WASI_ENOTCAPABLE},
    {STAT_FOLLOW, "sub/deep", WASI_ENOTCAPABLE},
    {TIMES_FOLLOW, "absfile", WASI_ENOTCAPABLE},
    {TIMES_FOLLOW, "up/secret", WASI_ENOTCAPABLE},
    {READLINK, "up/x", WASI_ENOTCAPABLE},
    /* other failures */
    {OPEN_NOFOLLOW, "absfile", WASI_ELOOP},
    {OPEN, "loop", WASI_ELOOP},
    {OPEN, "sub/file/..", WASI_ENOTDIR},
    {OPEN, "nothing/../sub/file", WASI_ENOENT},
    {OPEN, "", WASI_ENOENT},
    /* staying inside is fine */
    {OPEN, ".", 0},
    {OPEN, "./sub/", 0},
    {OPEN, "inner/file", 0},
    {OPEN, "sub/dotdot/sub/file", 0},
    {OPEN, "sub/dotdot/sub/dotdot/inner/../sub/./file", 0},
    {OPEN, "sub//file", 0},
    {OPEN, "chain0", 0},
    {STAT_FOLLOW, "chain3", 0},
    {STAT, "abs", 0},
    {STAT, "loop", 0},
    {STAT_FOLLOW, "inner/", 0},
    {READLINK, "abs", 0},
    {TIMES_FOLLOW, "inner/file", 0},
    {UNLINK, "absfile", 0}, /* removes the link, not its target */
};

static bool make_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    return f && fputs(text, f) >= 0 && fclose(f) == 0;
}

/* The tree: root/outside/{secret, sub/} and root/box/ with links. */
static bool make_tree(void)
{
    char p[256];
    bool ok = true;
#define AT(rel) (snprintf(p, sizeof p, "%s/%s", root, rel), p)
    ok &= mkdir(AT("outside"), 0755) == 0 && mkdir(AT("outside/sub"), 0755) == 0;
    ok &= make_file(AT("outside/secret"), "top secret\n");
    ok &= mkdir(AT("box"), 0755) == 0 && mkdir(AT("box/sub"), 0755) == 0;
    ok &= make_file(AT("box/sub/file"), "inside\n") && make_file(AT("box/victim"), "v\n");
    ok &= symlink("../outside", AT("box/up")) == 0;
    ok &= symlink(outside_abs, AT("box/abs")) == 0;
    ok &= symlink(secret_abs, AT("box/absfile")) == 0;
    ok &= symlink("..", AT("box/sub/dotdot")) == 0;
    ok &= symlink("../../outside/secret", AT("box/sub/deep")) == 0;
    ok &= symlink("loop", AT("box/loop")) == 0;
    ok &= symlink("../outside/created", AT("box/dangle")) == 0;
    ok &= symlink("sub", AT("box/inner")) == 0;
    /* A chain of 12 links, each to the next, the last to a file inside. */
    for (int i = 0; i < 12; i++) {
        char target[16], name[32];
        snprintf(target, sizeof target, i < 11 ? "chain%d" : "sub/file", i + 1);
        snprintf(name, sizeof name, "box/chain%d", i);
        ok &= symlink(target, AT(name)) == 0;
    }
#undef AT
    return ok;
}

/* Names in a directory, sorted and joined. */
static void listing(const char *dir, char *out, size_t cap)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (strlen(out) + strlen(ents[i]->d_name) + 2 < cap) {
            strcat(out, ents[i]->d_name);
            strcat(out, " ");
        }
        free(ents[i]);
    }
    if (n >= 0)
        free(ents);
}

static void run_mode(bool walk)
{
    snprintf(root, sizeof root, "/tmp/wasi_sandbox.XXXXXX");
    if (!mkdtemp(root)) {
        CHECK(0, "mkdtemp");
        return;
    }
    snprintf(outside_abs, sizeof outside_abs, "%s/outside", root);
    snprintf(secret_abs, sizeof secret_abs, "%s/outside/secret", root);
    CHECK(make_tree(), "tree");
    struct stat before, after;
    CHECK(stat(secret_abs, &before) == 0, "stat secret");
    char box[96];
    snprintf(box, sizeof box, "%s/box", root);
    struct wasi_preopen dir = {box, "/"};
    struct wasi_config cfg = {.dirs = &dir, .ndirs = 1, .stdio = {-1, -1, -1}, .no_openat2 = walk};
    struct harness h;
    if (!harness_init(&h, &cfg)) {
        CHECK(0, "set-up");
        return;
    }
    const char *mode = walk ? "walk" : "openat2";
    CHECK(wasi_ctx_uses_openat2(h.ctx) == (!walk && wasi_have_openat2()), "%s mode", mode);
    if (!walk && !wasi_have_openat2())
        printf("note: this kernel has no openat2; both runs use the walk\n");
    usleep(20000); /* so a changed mtime would show */
    for (size_t i = 0; i < ARRAY_LEN(attempts); i++) {
        const struct attempt *t = &attempts[i];
        int r = run_op(&h, t->op, t->path[0] == '@' ? secret_abs : t->path);
        CHECK(r == t->expect, "%s: op %d on '%s' gave %d, expected %d", mode, t->op, t->path, r,
              t->expect);
    }
    /* A path with a NUL inside, and one longer than PATH_MAX. */
    memcpy(h.m + PATH, "sub\0file", 8);
    CHECK(CALL(&h, "path_filestat_get", 3, 0, PATH, 8, OUT) == WASI_EINVAL, "%s: NUL in a path", mode);
    memset(h.m + PATH, 'a', 5000);
    CHECK(CALL(&h, "path_filestat_get", 3, 0, PATH, 5000, OUT) == WASI_ENAMETOOLONG, "%s: long path", mode);
    /* Outside, nothing was created, removed, renamed or touched. */
    char names[512];
    listing(root, names, sizeof names);
    CHECK(!strcmp(names, ". .. box outside "), "%s: root holds '%s'", mode, names);
    listing(outside_abs, names, sizeof names);
    CHECK(!strcmp(names, ". .. secret sub "), "%s: outside holds '%s'", mode, names);
    CHECK(stat(secret_abs, &after) == 0 && after.st_size == before.st_size &&
              after.st_mtim.tv_nsec == before.st_mtim.tv_nsec &&
              after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
              after.st_atim.tv_sec == before.st_atim.tv_sec && after.st_nlink == 1,
          "%s: the secret is untouched", mode);
    harness_done(&h);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0, "clean up");
}

int main(void)
{
    run_mode(false);
    run_mode(true);
    return test_done("wasi_sandbox");
}
