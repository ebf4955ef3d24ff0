/* The host side of a benchmark program translated by wasm2c: a minimal WASI
   preview1 (what wasi-libc's start-up, stdio, exit, clocks and random need)
   and main(), which instantiates the module and calls _start.
   wabt 1.0.32 ships the wasm2c runtime (wasm-rt-impl.c) but no WASI, hence
   this file. Built by bench/build.sh as: wasm2c -n prog X.wasm -o prog.c,
   then gcc -O2 prog.c wasi.c wasm-rt-impl.c. The `Z_` symbol names are
   wabt 1.0.32's mangling (newer wabt spells them `w2c_`). */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "prog.h"
#include "wasm-rt-impl.h"

/* The imported "module" instance: the program's memory and arguments. */
struct Z_wasi_snapshot_preview1_instance_t {
    wasm_rt_memory_t *mem; /* borrowed from the program's instance */
    int argc;
    char **argv;
};

enum { WASI_OK = 0, WASI_EBADF = 8, WASI_EFAULT = 21, WASI_EINVAL = 28, WASI_ESPIPE = 70 };

/* A pointer to len bytes of linear memory at addr, or NULL if out of range. */
static uint8_t *at(struct Z_wasi_snapshot_preview1_instance_t *w, uint32_t addr, uint64_t len)
{
    if ((uint64_t)addr + len > w->mem->size)
        return NULL;
    return w->mem->data + addr;
}

static int put32(struct Z_wasi_snapshot_preview1_instance_t *w, uint32_t addr, uint32_t v)
{
    uint8_t *p = at(w, addr, 4);
    if (p)
        memcpy(p, &v, 4); /* wasm and x86-64 are both little-endian */
    return p != NULL;
}

static int put64(struct Z_wasi_snapshot_preview1_instance_t *w, uint32_t addr, uint64_t v)
{
    uint8_t *p = at(w, addr, 8);
    if (p)
        memcpy(p, &v, 8);
    return p != NULL;
}

u32 Z_wasi_snapshot_preview1Z_args_sizes_get(struct Z_wasi_snapshot_preview1_instance_t *w,
                                              u32 argc_at, u32 size_at)
{
    uint32_t size = 0;
    for (int i = 0; i < w->argc; i++)
        size += (uint32_t)strlen(w->argv[i]) + 1;
    return put32(w, argc_at, (uint32_t)w->argc) && put32(w, size_at, size) ? WASI_OK : WASI_EFAULT;
}

u32 Z_wasi_snapshot_preview1Z_args_get(struct Z_wasi_snapshot_preview1_instance_t *w, u32 argv_at,
                                       u32 buf_at)
{
    for (int i = 0; i < w->argc; i++) {
        size_t n = strlen(w->argv[i]) + 1;
        uint8_t *dst = at(w, buf_at, n);
        if (!dst || !put32(w, argv_at + 4 * (uint32_t)i, buf_at))
            return WASI_EFAULT;
        memcpy(dst, w->argv[i], n);
        buf_at += (uint32_t)n;
    }
    return WASI_OK;
}

/* The environment is empty, as in the node runner. */
u32 Z_wasi_snapshot_preview1Z_environ_sizes_get(struct Z_wasi_snapshot_preview1_instance_t *w,
                                                 u32 count_at, u32 size_at)
{
    return put32(w, count_at, 0) && put32(w, size_at, 0) ? WASI_OK : WASI_EFAULT;
}

u32 Z_wasi_snapshot_preview1Z_environ_get(struct Z_wasi_snapshot_preview1_instance_t *w, u32 env_at,
                                          u32 buf_at)
{
    (void)w, (void)env_at, (void)buf_at;
    return WASI_OK;
}

static FILE *stream(u32 fd)
{
    return fd == 1 ? stdout : fd == 2 ? stderr : NULL;
}

u32 Z_wasi_snapshot_preview1Z_fd_write(struct Z_wasi_snapshot_preview1_instance_t *w, u32 fd,
                                       u32 iovs, u32 count, u32 written_at)
{
    FILE *f = stream(fd);
    if (!f)
        return WASI_EBADF;
    uint32_t total = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *iov = at(w, iovs + 8 * i, 8);
        if (!iov)
            return WASI_EFAULT;
        uint32_t buf, len;
        memcpy(&buf, iov, 4);
        memcpy(&len, iov + 4, 4);
        uint8_t *data = at(w, buf, len);
        if (!data)
            return WASI_EFAULT;
        total += (uint32_t)fwrite(data, 1, len, f);
    }
    return put32(w, written_at, total) ? WASI_OK : WASI_EFAULT;
}

u32 Z_wasi_snapshot_preview1Z_fd_close(struct Z_wasi_snapshot_preview1_instance_t *w, u32 fd)
{
    (void)w;
    return fd <= 2 ? WASI_OK : WASI_EBADF;
}

u32 Z_wasi_snapshot_preview1Z_fd_seek(struct Z_wasi_snapshot_preview1_instance_t *w, u32 fd,
                                      u64 offset, u32 whence, u32 result_at)
{
    (void)w, (void)offset, (void)whence, (void)result_at;
    return fd <= 2 ? WASI_ESPIPE : WASI_EBADF;
}

/* fdstat: filetype u8 at 0, flags u16 at 2, two u64 rights at 8 and 16.
   The stdio fds are character devices with every right. */
u32 Z_wasi_snapshot_preview1Z_fd_fdstat_get(struct Z_wasi_snapshot_preview1_instance_t *w, u32 fd,
                                            u32 stat_at)
{
    uint8_t *p = at(w, stat_at, 24);
    if (fd > 2)
        return WASI_EBADF;
    if (!p)
        return WASI_EFAULT;
    memset(p, 0, 24);
    p[0] = 2;
    return put64(w, stat_at + 8, ~0ull) && put64(w, stat_at + 16, ~0ull) ? WASI_OK : WASI_EFAULT;
}

u32 Z_wasi_snapshot_preview1Z_clock_time_get(struct Z_wasi_snapshot_preview1_instance_t *w,
                                             u32 id, u64 precision, u32 time_at)
{
    static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                    CLOCK_THREAD_CPUTIME_ID};
    struct timespec ts;
    (void)precision;
    if (id >= sizeof ids / sizeof ids[0] || clock_gettime(ids[id], &ts))
        return WASI_EINVAL;
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return put64(w, time_at, ns) ? WASI_OK : WASI_EFAULT;
}

u32 Z_wasi_snapshot_preview1Z_random_get(struct Z_wasi_snapshot_preview1_instance_t *w, u32 buf,
                                         u32 len)
{
    uint8_t *p = at(w, buf, len);
    if (!p)
        return WASI_EFAULT;
    for (uint32_t done = 0; done < len;) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n <= 0)
            return WASI_EINVAL;
        done += (uint32_t)n;
    }
    return WASI_OK;
}

void Z_wasi_snapshot_preview1Z_proc_exit(struct Z_wasi_snapshot_preview1_instance_t *w, u32 code)
{
    (void)w;
    fflush(stdout);
    exit((int)code);
}

int main(int argc, char **argv)
{
    static Z_prog_instance_t prog;
    struct Z_wasi_snapshot_preview1_instance_t wasi = {NULL, argc, argv};
    wasm_rt_init();
    Z_prog_init_module();
    Z_prog_instantiate(&prog, &wasi);
    wasi.mem = Z_progZ_memory(&prog);
    wasm_rt_trap_t trap = (wasm_rt_trap_t)wasm_rt_impl_try();
    if (trap != WASM_RT_TRAP_NONE) {
        fflush(stdout);
        fprintf(stderr, "%s: wasm trap %d\n", argv[0], (int)trap);
        return 134;
    }
    Z_progZ__start(&prog);
    return 0;
}
