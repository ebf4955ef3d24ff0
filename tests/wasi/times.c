/* Timestamps of argv[1]/t (in a preopen): set exactly to the nanosecond,
 * one left alone (UTIME_OMIT), one set to now, through a path and an fd;
 * and the clocks: realtime is now, monotonic never goes back, a 20 ms
 * sleep takes at least 20 ms, CPU time exists, resolution is sane. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

static double ms_between(struct timespec a, struct timespec b)
{
    return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

static void file_times(const char *dir)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/t", dir);
    int fd = open(path, O_CREAT | O_RDWR, 0644);
    CHECK(fd >= 0);
    struct timespec ts[2] = {{1000000000, 0}, {1500000000, 123456789}};
    CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0);
    CHECK(stat(path, &st) == 0 && st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 0 &&
          st.st_mtim.tv_sec == 1500000000 && st.st_mtim.tv_nsec == 123456789);
    /* "Leave atime, set mtime to now" straight through WASI: this
     * wasi-libc's UTIME_NOW/UTIME_OMIT differ between its header and its
     * build, so futimens refuses them before asking the host. */
    CHECK(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW) == 0);
    time_t t = time(NULL);
    CHECK(fstat(fd, &st) == 0 && st.st_atim.tv_sec == 1000000000 &&
          st.st_mtim.tv_sec > t - 60 && st.st_mtim.tv_sec <= t + 60);
    CHECK(close(fd) == 0 && unlink(path) == 0);
    printf("file times: exact, kept, now\n");
}

static void clocks(void)
{
    struct timespec a, b, res;
    CHECK(clock_gettime(CLOCK_REALTIME, &a) == 0);
    CHECK(a.tv_sec > 1600000000 && a.tv_sec - time(NULL) < 5 && time(NULL) - a.tv_sec < 5);
    CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0 &&
          res.tv_nsec <= 1000000);
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    for (int i = 0; i < 1000; i++) {
        CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
        CHECK(ms_between(a, b) >= 0);
        a = b;
    }
    struct timespec sleep = {0, 20000000};
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0 && nanosleep(&sleep, NULL) == 0 &&
          clock_gettime(CLOCK_MONOTONIC, &b) == 0);
    double ms = ms_between(a, b);
    CHECK(ms >= 20 && ms < 5000);
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a) == 0);
    printf("clocks: realtime, monotonic, sleep, cpu\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: times DIR\n");
        return 2;
    }
    file_times(argv[1]);
    clocks();
    printf("%d failures\n", failures);
    return failures;
}
