/* Conversions between host (Linux) values and WASI ones: errno, file
 * types, file attributes and timestamps. */
#include <errno.h>
#include <sys/socket.h>

#include "wasi.h"

uint16_t wasi_errno_of(int host_errno)
{
    switch (host_errno) {
    case 0: return WASI_ESUCCESS;
#define WASI_ERRNO_CASE(n) case E##n: return WASI_E##n;
    WASI_HOST_ERRNOS(WASI_ERRNO_CASE)
#undef WASI_ERRNO_CASE
    default: return WASI_EIO;
    }
}

uint8_t wasi_filetype_of_mode(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return WASI_FT_REG;
    case S_IFDIR: return WASI_FT_DIR;
    case S_IFLNK: return WASI_FT_SYMLINK;
    case S_IFCHR: return WASI_FT_CHAR;
    case S_IFBLK: return WASI_FT_BLOCK;
    case S_IFSOCK: return WASI_FT_SOCK_STREAM;
    default: return WASI_FT_UNKNOWN; /* FIFOs have no WASI type */
    }
}

uint8_t wasi_filetype_of_fd(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return WASI_FT_UNKNOWN;
    uint8_t t = wasi_filetype_of_mode(st.st_mode);
    int so = 0;
    socklen_t len = sizeof so;
    if (t == WASI_FT_SOCK_STREAM && getsockopt(fd, SOL_SOCKET, SO_TYPE, &so, &len) == 0 &&
        so == SOCK_DGRAM)
        t = WASI_FT_SOCK_DGRAM;
    return t;
}

static uint64_t ns_of(struct timespec t)
{
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void wasi_filestat_put(uint8_t *p, const struct stat *st)
{
    __builtin_memset(p, 0, WASI_FILESTAT_SIZE);
    wasi_st64(p + 0, st->st_dev);
    wasi_st64(p + 8, st->st_ino);
    p[16] = wasi_filetype_of_mode(st->st_mode);
    wasi_st64(p + 24, st->st_nlink);
    wasi_st64(p + 32, (uint64_t)st->st_size);
    wasi_st64(p + 40, ns_of(st->st_atim));
    wasi_st64(p + 48, ns_of(st->st_mtim));
    wasi_st64(p + 56, ns_of(st->st_ctim));
}

/* One timestamp: set to `ns` (flag set), to now (now_flag), else left alone. */
static struct timespec time_of(uint64_t ns, bool set, bool now)
{
    if (now)
        return (struct timespec){0, UTIME_NOW};
    if (set)
        return (struct timespec){(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    return (struct timespec){0, UTIME_OMIT};
}

uint16_t wasi_times_get(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2])
{
    if (fst > 15 || ((fst & WASI_FST_ATIM) && (fst & WASI_FST_ATIM_NOW)) ||
        ((fst & WASI_FST_MTIM) && (fst & WASI_FST_MTIM_NOW)))
        return WASI_EINVAL;
    ts[0] = time_of(atim, fst & WASI_FST_ATIM, fst & WASI_FST_ATIM_NOW);
    ts[1] = time_of(mtim, fst & WASI_FST_MTIM, fst & WASI_FST_MTIM_NOW);
    return WASI_ESUCCESS;
}
