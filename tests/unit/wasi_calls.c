/* WASI host functions called directly (no wasm): args, environ, clocks,
 * random, stdio through pipes, files in a preopened temporary directory,
 * readdir cookies, poll, sockets, exit, rights and guest-pointer checks. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasi_harness.h"

enum { PATH = 1024, IOV = 2048, DATA = 4096, OUT = 8192, MEMSIZE = 65536 };
#define RIGHTS_RW (WASI_R(FD_READ) | WASI_R(FD_WRITE) | WASI_R(FD_SEEK) | WASI_R(FD_TELL) | \
                   WASI_R(FD_FILESTAT_GET) | WASI_R(FD_FILESTAT_SET_SIZE) |                \
                   WASI_R(FD_FILESTAT_SET_TIMES) | WASI_R(FD_ADVISE) | WASI_R(FD_ALLOCATE) | \
                   WASI_R(FD_SYNC) | WASI_R(FD_DATASYNC) | WASI_R(POLL_FD_READWRITE) |      \
                   WASI_R(FD_FDSTAT_SET_FLAGS))

static char tmp[64];

/* path_open beneath fd 3: the new fd, or -errno. */
static int open_at(struct harness *h, const char *path, int oflags, uint64_t rights, int fdflags)
{
    uint32_t n = put_str(h, PATH, path);
    int r = CALL(h, "path_open", 3, WASI_LOOKUP_FOLLOW, PATH, n, oflags, (int64_t)rights,
                 (int64_t)rights, fdflags, OUT);
    return r ? -r : (int)ld32(h, OUT);
}

/* Writes s to fd with one iovec; returns the errno, count in *n. */
static int write_str(struct harness *h, int fd, const char *s, uint32_t *n)
{
    uint32_t len = put_str(h, DATA, s);
    put_iov(h, IOV, DATA, len);
    int r = CALL(h, "fd_write", fd, IOV, 1, OUT);
    *n = ld32(h, OUT);
    return r;
}

/* Reads up to len bytes; the bytes land at DATA, the count is returned. */
static int read_n(struct harness *h, int fd, uint32_t len)
{
    put_iov(h, IOV, DATA, len);
    int r = CALL(h, "fd_read", fd, IOV, 1, OUT);
    return r ? -r : (int)ld32(h, OUT);
}

static int path_call(struct harness *h, const char *fn, const char *path)
{
    uint32_t n = put_str(h, PATH, path);
    return CALL(h, fn, 3, PATH, n);
}

static void test_args_env(struct harness *h)
{
    CHECK(CALL(h, "args_sizes_get", 0, 4) == 0, "args_sizes_get");
    CHECK(ld32(h, 0) == 3 && ld32(h, 4) == 5 + 4 + 1, "argc %u bytes %u", ld32(h, 0), ld32(h, 4));
    CHECK(CALL(h, "args_get", 16, 64) == 0, "args_get");
    CHECK(ld32(h, 16) == 64 && ld32(h, 20) == 69 && ld32(h, 24) == 73, "argv pointers");
    CHECK(!memcmp(h->m + 64, "prog\0a b\0\0", 10), "argv strings");
    CHECK(CALL(h, "environ_sizes_get", 0, 4) == 0 && ld32(h, 0) == 1 && ld32(h, 4) == 4, "environ sizes");
    CHECK(CALL(h, "environ_get", 16, 128) == 0 && ld32(h, 16) == 128 && !memcmp(h->m + 128, "K=V", 4),
          "environ_get");
    /* Pointers past the end, or straddling it, fault. */
    CHECK(CALL(h, "args_sizes_get", MEMSIZE - 2, 0) == WASI_EFAULT, "argc at the end");
    CHECK(CALL(h, "args_get", 16, MEMSIZE - 9) == WASI_EFAULT, "argv buffer straddles");
    CHECK(CALL(h, "args_get", -1, 64) == WASI_EFAULT, "argv at 4 GiB - 1");
    CHECK(CALL(h, "environ_get", MEMSIZE, 0) == WASI_EFAULT, "environ at the end");
}

static void test_clocks_random(struct harness *h)
{
    CHECK(CALL(h, "clock_time_get", 1, 0, 0) == 0, "monotonic");
    uint64_t t0 = ld64(h, 0);
    CHECK(CALL(h, "clock_time_get", 1, 0, 0) == 0 && ld64(h, 0) >= t0, "monotonic goes on");
    CHECK(CALL(h, "clock_time_get", 0, 1000, 8) == 0, "realtime");
    uint64_t now = (uint64_t)time(NULL) * 1000000000u;
    CHECK(ld64(h, 8) + 5000000000u > now && ld64(h, 8) < now + 5000000000u, "realtime is now");
    CHECK(CALL(h, "clock_time_get", 2, 0, 16) == 0 && CALL(h, "clock_time_get", 3, 0, 16) == 0,
          "cpu clocks");
    CHECK(CALL(h, "clock_res_get", 1, 24) == 0 && ld64(h, 24) > 0 && ld64(h, 24) <= 1000000,
          "resolution %llu", (unsigned long long)ld64(h, 24));
    CHECK(CALL(h, "clock_time_get", 4, 0, 0) == WASI_EINVAL, "unknown clock");
    CHECK(CALL(h, "clock_res_get", 0, MEMSIZE - 4) == WASI_EFAULT, "result straddles the end");
    memset(h->m + DATA, 0, 64);
    CHECK(CALL(h, "random_get", DATA, 32) == 0 && CALL(h, "random_get", DATA + 32, 32) == 0, "random");
    CHECK(memcmp(h->m + DATA, h->m + DATA + 32, 32) != 0, "two draws differ");
    CHECK(CALL(h, "random_get", MEMSIZE, 0) == 0, "empty draw at the end");
    CHECK(CALL(h, "random_get", MEMSIZE - 4, 8) == WASI_EFAULT, "draw past the end");
    CHECK(CALL(h, "sched_yield") == 0, "sched_yield");
    CHECK(CALL(h, "proc_raise", 2) == WASI_ENOSYS && CALL(h, "proc_raise", 99) == WASI_EINVAL,
          "proc_raise");
}

static void test_stdio(struct harness *h, int in_w, int out_r)
{
    uint32_t n;
    put_str(h, DATA, "hello");
    put_str(h, DATA + 16, " world");
    put_iov(h, IOV, DATA, 5);
    put_iov(h, IOV + 8, DATA + 16, 6);
    CHECK(CALL(h, "fd_write", 1, IOV, 2, OUT) == 0 && ld32(h, OUT) == 11, "gathered write");
    char buf[32] = {0};
    CHECK(read(out_r, buf, sizeof buf) == 11 && !strcmp(buf, "hello world"), "pipe got '%s'", buf);
    CHECK(write(in_w, "abc", 3) == 3, "feed stdin");
    CHECK(read_n(h, 0, 16) == 3 && !memcmp(h->m + DATA, "abc", 3), "read stdin");
    CHECK(CALL(h, "fd_fdstat_get", 1, OUT) == 0, "fdstat stdout");
    CHECK(h->m[OUT] == WASI_FT_UNKNOWN && !(ld64(h, OUT + 8) & WASI_R(FD_SEEK)), "pipe: no seek");
    CHECK(CALL(h, "fd_seek", 1, 0, 0, OUT) == WASI_ENOTCAPABLE, "seek on a pipe");
    CHECK(write_str(h, 7, "x", &n) == WASI_EBADF, "write to a closed fd");
    CHECK(write_str(h, 0, "x", &n) == WASI_ENOTCAPABLE, "stdin is read-only");
    CHECK(read_n(h, 1, 1) == -WASI_ENOTCAPABLE, "stdout is write-only");
    put_iov(h, IOV, MEMSIZE - 2, 4);
    CHECK(CALL(h, "fd_write", 1, IOV, 1, OUT) == WASI_EFAULT, "iovec past the end");
    CHECK(CALL(h, "fd_write", 1, MEMSIZE - 4, 1, OUT) == WASI_EFAULT, "iovec array past the end");
    CHECK(CALL(h, "fd_write", 1, IOV, 0, MEMSIZE) == WASI_EFAULT, "count past the end");
}

static void test_prestat(struct harness *h)
{
    CHECK(CALL(h, "fd_prestat_get", 3, OUT) == 0 && h->m[OUT] == 0 && ld32(h, OUT + 4) == 8,
          "prestat of fd 3");
    CHECK(CALL(h, "fd_prestat_dir_name", 3, DATA, 8) == 0 && !memcmp(h->m + DATA, "/sandbox", 8),
          "preopen name");
    CHECK(CALL(h, "fd_prestat_dir_name", 3, DATA, 7) == WASI_ENAMETOOLONG, "short name buffer");
    CHECK(CALL(h, "fd_prestat_get", 4, OUT) == WASI_EBADF, "no fd 4");
    CHECK(CALL(h, "fd_prestat_get", 1, OUT) == WASI_EBADF, "stdout is no preopen");
    CHECK(CALL(h, "fd_fdstat_get", 3, OUT) == 0 && h->m[OUT] == WASI_FT_DIR, "fd 3 is a directory");
}

static void test_file_io(struct harness *h)
{
    uint32_t n;
    int fd = open_at(h, "f.txt", WASI_O_CREAT, RIGHTS_RW, 0);
    CHECK(fd > 3, "create f.txt: %d", fd);
    CHECK(write_str(h, fd, "abcdef", &n) == 0 && n == 6, "write");
    CHECK(CALL(h, "fd_seek", fd, 0, 0, OUT) == 0 && ld64(h, OUT) == 0, "seek set");
    CHECK(read_n(h, fd, 3) == 3 && !memcmp(h->m + DATA, "abc", 3), "read 3");
    CHECK(CALL(h, "fd_tell", fd, OUT) == 0 && ld64(h, OUT) == 3, "tell");
    CHECK(CALL(h, "fd_seek", fd, -1, 1, OUT) == 0 && ld64(h, OUT) == 2, "seek cur -1");
    CHECK(CALL(h, "fd_seek", fd, -2, 2, OUT) == 0 && ld64(h, OUT) == 4, "seek end -2");
    CHECK(CALL(h, "fd_seek", fd, -9, 0, OUT) == WASI_EINVAL, "seek before 0");
    CHECK(CALL(h, "fd_seek", fd, 0, 3, OUT) == WASI_EINVAL, "bad whence");
    put_iov(h, IOV, DATA, 8);
    CHECK(CALL(h, "fd_pread", fd, IOV, 1, 4, OUT) == 0 && ld32(h, OUT) == 2 &&
              !memcmp(h->m + DATA, "ef", 2), "pread");
    put_str(h, DATA, "XY");
    put_iov(h, IOV, DATA, 2);
    CHECK(CALL(h, "fd_pwrite", fd, IOV, 1, 1, OUT) == 0 && ld32(h, OUT) == 2, "pwrite");
    CHECK(CALL(h, "fd_tell", fd, OUT) == 0 && ld64(h, OUT) == 4, "positioned calls keep the offset");
    CHECK(CALL(h, "fd_filestat_get", fd, OUT) == 0 && h->m[OUT + 16] == WASI_FT_REG &&
              ld64(h, OUT + 32) == 6, "filestat size");
    CHECK(CALL(h, "fd_filestat_set_size", fd, 3) == 0, "truncate");
    CHECK(CALL(h, "fd_filestat_get", fd, OUT) == 0 && ld64(h, OUT + 32) == 3, "size 3");
    CHECK(CALL(h, "fd_filestat_set_times", fd, 1000000000, 2000000005, WASI_FST_ATIM | WASI_FST_MTIM) == 0,
          "set times");
    CHECK(CALL(h, "fd_filestat_get", fd, OUT) == 0 && ld64(h, OUT + 40) == 1000000000 &&
              ld64(h, OUT + 48) == 2000000005, "times read back");
    CHECK(CALL(h, "fd_filestat_set_times", fd, 0, 0, WASI_FST_ATIM | WASI_FST_ATIM_NOW) == WASI_EINVAL,
          "contradictory time flags");
    CHECK(CALL(h, "fd_advise", fd, 0, 0, 1) == 0 && CALL(h, "fd_advise", fd, 0, 0, 6) == WASI_EINVAL,
          "advise");
    CHECK(CALL(h, "fd_allocate", fd, 0, 100) == 0, "allocate");
    CHECK(CALL(h, "fd_filestat_get", fd, OUT) == 0 && ld64(h, OUT + 32) == 100, "allocated size");
    CHECK(CALL(h, "fd_sync", fd) == 0 && CALL(h, "fd_datasync", fd) == 0, "sync");
    CHECK(CALL(h, "fd_readdir", fd, DATA, 64, 0, OUT) == WASI_ENOTCAPABLE, "readdir on a file");
    CHECK(CALL(h, "fd_close", fd) == 0 && CALL(h, "fd_close", fd) == WASI_EBADF, "close twice");

    /* Append and truncate on open. */
    fd = open_at(h, "f.txt", 0, RIGHTS_RW, WASI_FD_APPEND);
    CHECK(fd > 3 && write_str(h, fd, "Z", &n) == 0, "append");
    CHECK(CALL(h, "fd_filestat_get", fd, OUT) == 0 && ld64(h, OUT + 32) == 101, "appended at the end");
    CHECK(CALL(h, "fd_fdstat_get", fd, OUT) == 0 && (ld32(h, OUT) >> 16 & WASI_FD_APPEND), "append flag");
    CHECK(CALL(h, "fd_fdstat_set_flags", fd, 0) == 0 && CALL(h, "fd_fdstat_get", fd, OUT) == 0 &&
              !(ld32(h, OUT) >> 16 & WASI_FD_APPEND), "append cleared");
    CHECK(CALL(h, "fd_fdstat_set_flags", fd, WASI_FD_SYNC) == WASI_ENOTSUP, "sync cannot be set");
    CALL(h, "fd_close", fd);
    fd = open_at(h, "f.txt", WASI_O_TRUNC, RIGHTS_RW, 0);
    CHECK(fd > 3 && CALL(h, "fd_filestat_get", fd, OUT) == 0 && ld64(h, OUT + 32) == 0, "trunc");
    /* Rights only shrink. */
    CHECK(CALL(h, "fd_fdstat_set_rights", fd, (int64_t)WASI_R(FD_READ), 0) == 0, "drop rights");
    CHECK(write_str(h, fd, "no", &n) == WASI_ENOTCAPABLE, "write without the right");
    CHECK(CALL(h, "fd_fdstat_set_rights", fd, (int64_t)RIGHTS_RW, 0) == WASI_ENOTCAPABLE, "no regrowth");
    /* Renumber onto another open fd. */
    int other = open_at(h, "f.txt", 0, WASI_R(FD_READ), 0);
    CHECK(CALL(h, "fd_renumber", fd, other) == 0, "renumber");
    CHECK(CALL(h, "fd_fdstat_get", other, OUT) == 0 && ld64(h, OUT + 8) == WASI_R(FD_READ), "moved");
    CHECK(CALL(h, "fd_close", fd) == WASI_EBADF && CALL(h, "fd_renumber", other, 99) == WASI_EBADF,
          "renumber leaves the source closed");
    CALL(h, "fd_close", other);
    CHECK(open_at(h, "f.txt", WASI_O_CREAT | WASI_O_EXCL, RIGHTS_RW, 0) == -WASI_EEXIST, "excl");
    CHECK(open_at(h, "missing", 0, RIGHTS_RW, 0) == -WASI_ENOENT, "missing file");
    CHECK(open_at(h, "f.txt", WASI_O_DIRECTORY, WASI_R(FD_READ), 0) == -WASI_ENOTDIR, "not a dir");
    CHECK(open_at(h, "f.txt/", 0, WASI_R(FD_READ), 0) == -WASI_ENOTDIR, "trailing slash on a file");
}

/* Lists the directory at fd with a buffer of `len` bytes per call,
 * following the cookies; returns the names found, joined by ' '. */
static void list_dir(struct harness *h, int fd, uint32_t len, char *names, size_t cap)
{
    uint64_t cookie = 0;
    names[0] = 0;
    for (int calls = 0; calls < 100; calls++) {
        if (CALL(h, "fd_readdir", fd, DATA, len, (int64_t)cookie, OUT) != 0)
            return;
        uint32_t used = ld32(h, OUT), at = 0;
        while (at + WASI_DIRENT_SIZE <= used) {
            uint32_t nl = ld32(h, DATA + at + 16);
            if (at + WASI_DIRENT_SIZE + nl > used)
                break; /* truncated: ask again from this entry */
            char name[64] = {0};
            memcpy(name, h->m + DATA + at + WASI_DIRENT_SIZE, nl < 63 ? nl : 63);
            if (strcmp(name, ".") && strcmp(name, "..") && strlen(names) + nl + 2 < cap) {
                strcat(names, name);
                strcat(names, h->m[DATA + at + 20] == WASI_FT_DIR ? "/ " : " ");
            }
            cookie = ld64(h, DATA + at);
            at += WASI_DIRENT_SIZE + nl;
        }
        if (used < len)
            return;
    }
}

static bool has(const char *names, const char *name)
{
    char key[80];
    snprintf(key, sizeof key, " %s ", name);
    char all[1100];
    snprintf(all, sizeof all, " %s", names);
    return strstr(all, key) != NULL;
}

static void test_dirs(struct harness *h)
{
    CHECK(path_call(h, "path_create_directory", "d") == 0, "mkdir");
    CHECK(path_call(h, "path_create_directory", "d") == WASI_EEXIST, "mkdir again");
    int fd = open_at(h, "d/a", WASI_O_CREAT, RIGHTS_RW, 0);
    CHECK(fd > 3, "create d/a");
    CALL(h, "fd_close", fd);
    CHECK(path_call(h, "path_remove_directory", "d") == WASI_ENOTEMPTY, "rmdir non-empty");
    uint32_t n = put_str(h, PATH, "d/a"), m = put_str(h, PATH + 100, "d/b");
    CHECK(CALL(h, "path_rename", 3, PATH, n, 3, PATH + 100, m) == 0, "rename");
    CHECK(CALL(h, "path_link", 3, 0, PATH + 100, m, 3, PATH, n) == 0, "link d/b -> d/a");
    CHECK(CALL(h, "path_filestat_get", 3, 0, PATH, n, OUT) == 0 && ld64(h, OUT + 24) == 2, "two links");
    n = put_str(h, PATH, "b");
    m = put_str(h, PATH + 100, "d/s");
    CHECK(CALL(h, "path_symlink", PATH, n, 3, PATH + 100, m) == 0, "symlink");
    CHECK(CALL(h, "path_readlink", 3, PATH + 100, m, DATA, 64, OUT) == 0 && ld32(h, OUT) == 1 &&
              h->m[DATA] == 'b', "readlink");
    CHECK(CALL(h, "path_readlink", 3, PATH + 100, m, DATA, 0, OUT) == 0 && ld32(h, OUT) == 0,
          "readlink truncates");
    CHECK(CALL(h, "path_filestat_get", 3, 0, PATH + 100, m, OUT) == 0 &&
              h->m[OUT + 16] == WASI_FT_SYMLINK, "lstat of the link");
    CHECK(CALL(h, "path_filestat_get", 3, WASI_LOOKUP_FOLLOW, PATH + 100, m, OUT) == 0 &&
              h->m[OUT + 16] == WASI_FT_REG, "stat through the link");
    CHECK(CALL(h, "path_filestat_set_times", 3, WASI_LOOKUP_FOLLOW, PATH + 100, m, 5, 7000000000,
               WASI_FST_ATIM | WASI_FST_MTIM) == 0, "path set times");
    n = put_str(h, PATH, "d/b");
    CHECK(CALL(h, "path_filestat_get", 3, 0, PATH, n, OUT) == 0 && ld64(h, OUT + 48) == 7000000000u,
          "times landed on the target");
    char names[1024];
    for (uint32_t len = 30; len <= 1030; len += 500) {
        list_dir(h, 3, len, names, sizeof names);
        CHECK(has(names, "d/") && has(names, "f.txt"), "readdir of fd 3 (%u): %s", len, names);
    }
    fd = open_at(h, "d", WASI_O_DIRECTORY, WASI_R(FD_READDIR) | WASI_R(PATH_OPEN), 0);
    CHECK(fd > 3, "open d");
    list_dir(h, fd, 40, names, sizeof names);
    CHECK(has(names, "a") && has(names, "b") && has(names, "s") && strlen(names) == 6,
          "readdir with cookies: '%s'", names);
    CHECK(CALL(h, "fd_readdir", fd, MEMSIZE - 10, 20, 0, OUT) == WASI_EFAULT, "readdir buffer");
    CALL(h, "fd_close", fd);
    CHECK(path_call(h, "path_unlink_file", "d/s") == 0 && path_call(h, "path_unlink_file", "d/a") == 0,
          "unlink");
    CHECK(path_call(h, "path_unlink_file", "d") == WASI_EISDIR, "unlink a directory");
    CHECK(path_call(h, "path_unlink_file", "d/b/") == WASI_ENOTDIR, "unlink file/");
    CHECK(path_call(h, "path_unlink_file", "d/b") == 0 && path_call(h, "path_remove_directory", "d/") == 0,
          "rmdir");
    CHECK(path_call(h, "path_remove_directory", "d") == WASI_ENOENT, "gone");
    CHECK(path_call(h, "path_create_directory", "") == WASI_ENOENT, "empty path");
    h->m[PATH] = 0xff;
    CHECK(CALL(h, "path_create_directory", 3, PATH, 1) == WASI_EILSEQ, "not UTF-8");
    CHECK(CALL(h, "path_create_directory", 3, PATH, 0x10000) == WASI_EFAULT, "path past the end");
    CHECK(CALL(h, "path_create_directory", 1, PATH, 1) == WASI_ENOTCAPABLE, "stdout is no directory");
}

static void test_poll(struct harness *h, int in_w)
{
    /* One relative clock of 20 ms. */
    memset(h->m + DATA, 0, 3 * WASI_SUBSCRIPTION_SIZE);
    st64(h, DATA, 42);
    h->m[DATA + 8] = 0;
    st32(h, DATA + 16, 1);
    st64(h, DATA + 24, 20000000);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK(CALL(h, "poll_oneoff", DATA, OUT, 1, OUT + 512) == 0 && ld32(h, OUT + 512) == 1, "clock");
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
    CHECK(ms >= 19.9 && ms < 2000, "slept %.1f ms", ms);
    CHECK(ld64(h, OUT) == 42 && h->m[OUT + 10] == 0 && ld32(h, OUT + 8) == 0, "clock event");
    /* stdin with data ready, plus a 10 s clock that must not be waited for. */
    CHECK(write(in_w, "xyz", 3) == 3, "feed");
    st64(h, DATA, 42);
    st64(h, DATA + 24, 10000000000u);
    st64(h, DATA + 48, 7);
    h->m[DATA + 56] = 1;
    st32(h, DATA + 64, 0);
    st64(h, DATA + 96, 8);
    h->m[DATA + 104] = 1;
    st32(h, DATA + 112, 55); /* a bad fd: an event with EBADF */
    CHECK(CALL(h, "poll_oneoff", DATA, OUT, 3, OUT + 512) == 0, "poll fd");
    CHECK(ld32(h, OUT + 512) == 2, "two events, got %u", ld32(h, OUT + 512));
    CHECK(ld64(h, OUT) == 7 && h->m[OUT + 10] == 1 && ld64(h, OUT + 16) == 3, "stdin readable, 3 bytes");
    CHECK(ld64(h, OUT + 32) == 8 && (ld32(h, OUT + 40) & 0xffff) == WASI_EBADF, "bad fd event");
    CHECK(read_n(h, 0, 8) == 3, "drain");
    /* stdout (a pipe with room) is writable; stdin is not. */
    memset(h->m + DATA, 0, WASI_SUBSCRIPTION_SIZE);
    st64(h, DATA, 9);
    h->m[DATA + 8] = 2;
    st32(h, DATA + 16, 1);
    CHECK(CALL(h, "poll_oneoff", DATA, OUT, 1, OUT + 512) == 0 && ld32(h, OUT + 512) == 1 &&
              ld64(h, OUT) == 9 && h->m[OUT + 10] == 2 && (ld32(h, OUT + 8) & 0xffff) == 0,
          "stdout writable");
    st32(h, DATA + 16, 0);
    CHECK(CALL(h, "poll_oneoff", DATA, OUT, 1, OUT + 512) == 0 &&
              (ld32(h, OUT + 8) & 0xffff) == WASI_ENOTCAPABLE, "stdin (read-only) not for writing");
    CHECK(CALL(h, "poll_oneoff", DATA, OUT, 0, OUT + 512) == WASI_EINVAL, "no subscriptions");
    CHECK(CALL(h, "poll_oneoff", DATA, MEMSIZE - 40, 2, OUT + 512) == WASI_EFAULT, "events past the end");
}

static void test_sockets(struct harness *h)
{
    CHECK(CALL(h, "sock_shutdown", 3, 3) == WASI_ENOTSOCK, "shutdown of a directory");
    CHECK(CALL(h, "sock_recv", 40, IOV, 1, 0, OUT, OUT + 4) == WASI_EBADF, "recv on no fd");
    CHECK(CALL(h, "sock_accept", 1, 0, OUT) == WASI_ENOTSOCK, "accept on a pipe");
    CHECK(CALL(h, "sock_send", 1, IOV, 1, 0, OUT) == WASI_ENOTSOCK, "send on a pipe");
}

/* The socket calls on a real socket: guest fd 0 is one end of a pair. */
static void test_socketpair(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    struct wasi_config cfg = {.stdio = {sv[0], -1, -1}};
    struct harness h;
    CHECK(harness_init(&h, &cfg), "init");
    close(sv[0]);
    put_str(&h, DATA, "ping");
    put_iov(&h, IOV, DATA, 4);
    CHECK(CALL(&h, "sock_send", 0, IOV, 1, 0, OUT) == 0 && ld32(&h, OUT) == 4, "send");
    char buf[8] = {0};
    CHECK(read(sv[1], buf, sizeof buf) == 4 && !strcmp(buf, "ping"), "peer got it");
    CHECK(write(sv[1], "pong!", 5) == 5, "peer writes");
    put_iov(&h, IOV, DATA + 100, 4);
    CHECK(CALL(&h, "sock_recv", 0, IOV, 1, 1, OUT, OUT + 4) == 0 && ld32(&h, OUT) == 4, "peek");
    CHECK(CALL(&h, "sock_recv", 0, IOV, 1, 0, OUT, OUT + 4) == 0 && !memcmp(h.m + DATA + 100, "pong", 4),
          "recv");
    CHECK(CALL(&h, "sock_recv", 0, IOV, 1, 4, OUT, OUT + 4) == WASI_EINVAL, "bad riflags");
    CHECK(CALL(&h, "sock_shutdown", 0, 2) == 0 && CALL(&h, "sock_shutdown", 0, 0) == WASI_EINVAL, "shutdown");
    CHECK(read(sv[1], buf, sizeof buf) == 0, "peer sees EOF");
    harness_done(&h);
    close(sv[1]);
}

static void test_exit(struct harness *h)
{
    int32_t status = 0;
    CHECK(CALL(h, "proc_exit", 7) == -1, "proc_exit unwinds");
    CHECK(h->last && tri_error_exit_status(h->last, &status) && status == 7, "status %d", status);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/wasi_calls.XXXXXX");
    CHECK(mkdtemp(tmp), "mkdtemp");
    int in[2], out[2];
    CHECK(pipe(in) == 0 && pipe(out) == 0, "pipes");
    const char *argv[] = {"prog", "a b", ""}, *env[] = {"K=V"};
    struct wasi_preopen dir = {tmp, "/sandbox"};
    struct wasi_config cfg = {argv, 3, env, 1, &dir, 1, {in[0], out[1], 2}, false};
    struct harness h;
    if (!harness_init(&h, &cfg))
        return printf("FAIL wasi_calls: set-up\n"), 1;
    close(in[0]);
    close(out[1]);
    test_args_env(&h);
    test_clocks_random(&h);
    test_stdio(&h, in[1], out[0]);
    test_prestat(&h);
    test_file_io(&h);
    test_dirs(&h);
    test_poll(&h, in[1]);
    test_sockets(&h);
    test_exit(&h);
    harness_done(&h);
    test_socketpair();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0, "clean up");
    return test_done("wasi_calls");
}
