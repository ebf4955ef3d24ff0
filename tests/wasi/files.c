/* Files in the directory argv[1] (a preopen): create, read, write, seek,
 * pread/pwrite, append, truncate, stat, rename, link, symlink, readlink,
 * unlink, mkdir, rmdir, readdir (timestamps are in times.c). Prints one
 * line per step; the status is the number of failed checks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static const char *base;

static const char *p(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", base, name);
    return buf[k];
}

static void create_read_write(void)
{
    char buf[64] = {0};
    int fd = open(p("a.txt"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "hello world\n", 12) == 12);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(read(fd, buf, 5) == 5 && !memcmp(buf, "hello", 5));
    CHECK(lseek(fd, 0, SEEK_CUR) == 5);
    CHECK(pread(fd, buf, 5, 6) == 5 && !memcmp(buf, "world", 5));
    CHECK(pwrite(fd, "WORLD", 5, 6) == 5);
    CHECK(lseek(fd, 0, SEEK_CUR) == 5);
    CHECK(lseek(fd, -1, SEEK_END) == 11);
    CHECK(read(fd, buf, 10) == 1 && buf[0] == '\n');
    CHECK(read(fd, buf, 10) == 0);
    CHECK(close(fd) == 0);
    FILE *f = fopen(p("a.txt"), "r");
    CHECK(f && fgets(buf, sizeof buf, f) && !strcmp(buf, "hello WORLD\n"));
    if (f)
        fclose(f);
    printf("create/read/write/seek/pread/pwrite: %s", buf);
}

static void append_truncate_stat(void)
{
    struct stat st;
    int fd = open(p("a.txt"), O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(write(fd, "more\n", 5) == 5);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 17 && S_ISREG(st.st_mode));
    CHECK(ftruncate(fd, 5) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 5);
    CHECK(close(fd) == 0);
    CHECK(truncate(p("a.txt"), 3) == 0);
    CHECK(stat(p("a.txt"), &st) == 0 && st.st_size == 3 && st.st_nlink == 1);
    /* A write past the end leaves a hole that reads as zeros. */
    fd = open(p("a.txt"), O_RDWR);
    char z[4] = {1, 1, 1, 1};
    CHECK(pwrite(fd, "!", 1, 9) == 1);
    CHECK(pread(fd, z, 4, 4) == 4 && !z[0] && !z[3]);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 10);
    close(fd);
    printf("append/truncate/stat: size %lld\n", (long long)st.st_size);
}

static int cmp(const void *a, const void *b) { return strcmp(a, b); }

/* The names in a directory, . and .. left out, sorted. */
static void list(const char *dir, char *out, size_t cap)
{
    char names[16][64];
    int n = 0;
    DIR *d = opendir(dir);
    CHECK(d);
    struct dirent *e;
    while (d && (e = readdir(d)) && n < 16)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            snprintf(names[n++], 64, "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp);
    out[0] = 0;
    for (int i = 0; i < n; i++)
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? " " : "", names[i]);
}

static void directories(void)
{
    struct stat st;
    char names[512];
    CHECK(mkdir(p("d"), 0755) == 0);
    CHECK(mkdir(p("d"), 0755) == -1 && errno == EEXIST);
    CHECK(stat(p("d"), &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(mkdir(p("d/sub"), 0755) == 0);
    CHECK(rename(p("a.txt"), p("d/b.txt")) == 0);
    CHECK(access(p("a.txt"), F_OK) == -1 && errno == ENOENT);
    for (int i = 0; i < 12; i++) {
        char name[32];
        snprintf(name, sizeof name, "d/file%02d", i);
        int fd = open(p(name), O_CREAT | O_WRONLY, 0644);
        CHECK(fd >= 0 && close(fd) == 0);
    }
    list(p("d"), names, sizeof names);
    printf("readdir: %s\n", names);
    CHECK(rmdir(p("d")) == -1 && errno == ENOTEMPTY);
    CHECK(unlink(p("d/sub")) == -1);
    for (int i = 0; i < 12; i++) {
        char name[32];
        snprintf(name, sizeof name, "d/file%02d", i);
        CHECK(unlink(p(name)) == 0);
    }
    CHECK(unlink(p("d/file00")) == -1 && errno == ENOENT);
    CHECK(rmdir(p("d/sub")) == 0);
    list(p("d"), names, sizeof names);
    printf("after unlink: %s\n", names);
}

static void links(void)
{
    struct stat st;
    char buf[64] = {0};
    CHECK(symlink("d/b.txt", p("sym")) == 0);
    CHECK(readlink(p("sym"), buf, sizeof buf) == 7 && !memcmp(buf, "d/b.txt", 7));
    CHECK(lstat(p("sym"), &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(stat(p("sym"), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 10);
    CHECK(link(p("d/b.txt"), p("hard")) == 0);
    CHECK(stat(p("hard"), &st) == 0 && st.st_nlink == 2);
    int fd = open(p("sym"), O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, 3) == 3 && !memcmp(buf, "hel", 3));
    close(fd);
    CHECK(unlink(p("sym")) == 0 && unlink(p("hard")) == 0 && unlink(p("d/b.txt")) == 0);
    CHECK(rmdir(p("d")) == 0);
    CHECK(stat(p("d"), &st) == -1 && errno == ENOENT);
    printf("symlink/readlink/link/unlink/rmdir: done\n");
}

static void big_file(void)
{
    enum { N = 1 << 20 };
    static unsigned char data[N], back[N];
    for (int i = 0; i < N; i++)
        data[i] = (unsigned char)(i * 7 + (i >> 9));
    FILE *f = fopen(p("big"), "wb");
    CHECK(f && fwrite(data, 1, N, f) == N && fclose(f) == 0);
    f = fopen(p("big"), "rb");
    CHECK(f && fread(back, 1, N, f) == N && fgetc(f) == EOF && fclose(f) == 0);
    CHECK(!memcmp(data, back, N));
    CHECK(unlink(p("big")) == 0);
    printf("1 MiB written and read back\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: files DIR\n");
        return 2;
    }
    base = argv[1];
    create_read_write();
    append_truncate_stat();
    directories();
    links();
    big_file();
    printf("%d failures\n", failures);
    return failures;
}
