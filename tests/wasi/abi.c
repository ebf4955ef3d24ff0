/* Calls every wasi_snapshot_preview1 function once, each in a way that
 * fails with a known errno (or succeeds without side effects), and prints
 * "name errno" per call. Linking it checks all 46 import signatures; the
 * output checks the errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

/* proc_raise left wasi-libc's header; it is still in the witx. */
__attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("proc_raise")))
int32_t raw_proc_raise(int32_t sig);

#define BAD 99 /* never an open fd */
#define SHOW(name, call) printf("%s %d\n", name, (int)(call))

int main(int argc, char **argv)
{
    __wasi_size_t a, b;
    uint8_t buf[64];
    uint8_t *ptrs[64];
    __wasi_timestamp_t t;
    __wasi_fdstat_t fdstat;
    __wasi_filestat_t st;
    __wasi_prestat_t pre;
    __wasi_fd_t fd;
    __wasi_filesize_t pos;
    __wasi_iovec_t iov = {buf, sizeof buf};
    __wasi_ciovec_t ciov = {buf, 1};
    __wasi_roflags_t ro;
    __wasi_subscription_t sub;
    __wasi_event_t ev;
    memset(&sub, 0, sizeof sub);

    SHOW("args_sizes_get", __wasi_args_sizes_get(&a, &b));
    SHOW("args_get", a < 64 ? __wasi_args_get(ptrs, (uint8_t *)ptrs) : -1);
    SHOW("environ_sizes_get", __wasi_environ_sizes_get(&a, &b));
    SHOW("environ_get", a < 8 ? __wasi_environ_get(ptrs, (uint8_t *)ptrs + 64) : -1);
    SHOW("clock_res_get", __wasi_clock_res_get(7, &t));
    SHOW("clock_time_get", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t));
    SHOW("fd_advise", __wasi_fd_advise(BAD, 0, 0, __WASI_ADVICE_NORMAL));
    SHOW("fd_allocate", __wasi_fd_allocate(BAD, 0, 1));
    SHOW("fd_close", __wasi_fd_close(BAD));
    SHOW("fd_datasync", __wasi_fd_datasync(BAD));
    SHOW("fd_fdstat_get", __wasi_fd_fdstat_get(BAD, &fdstat));
    SHOW("fd_fdstat_set_flags", __wasi_fd_fdstat_set_flags(BAD, 0));
    SHOW("fd_fdstat_set_rights", __wasi_fd_fdstat_set_rights(BAD, 0, 0));
    SHOW("fd_filestat_get", __wasi_fd_filestat_get(BAD, &st));
    SHOW("fd_filestat_set_size", __wasi_fd_filestat_set_size(BAD, 0));
    SHOW("fd_filestat_set_times", __wasi_fd_filestat_set_times(BAD, 0, 0, 0));
    SHOW("fd_pread", __wasi_fd_pread(BAD, &iov, 1, 0, &a));
    SHOW("fd_prestat_get", __wasi_fd_prestat_get(BAD, &pre));
    SHOW("fd_prestat_dir_name", __wasi_fd_prestat_dir_name(BAD, buf, sizeof buf));
    SHOW("fd_pwrite", __wasi_fd_pwrite(BAD, &ciov, 1, 0, &a));
    SHOW("fd_read", __wasi_fd_read(BAD, &iov, 1, &a));
    SHOW("fd_readdir", __wasi_fd_readdir(BAD, buf, sizeof buf, 0, &a));
    SHOW("fd_renumber", __wasi_fd_renumber(BAD, BAD + 1));
    SHOW("fd_seek", __wasi_fd_seek(BAD, 0, __WASI_WHENCE_SET, &pos));
    SHOW("fd_sync", __wasi_fd_sync(BAD));
    SHOW("fd_tell", __wasi_fd_tell(BAD, &pos));
    SHOW("fd_write", __wasi_fd_write(BAD, &ciov, 1, &a));
    SHOW("path_create_directory", __wasi_path_create_directory(BAD, "d"));
    SHOW("path_filestat_get", __wasi_path_filestat_get(BAD, 0, "f", &st));
    SHOW("path_filestat_set_times", __wasi_path_filestat_set_times(BAD, 0, "f", 0, 0, 0));
    SHOW("path_link", __wasi_path_link(BAD, 0, "a", BAD, "b"));
    SHOW("path_open", __wasi_path_open(BAD, 0, "f", 0, 0, 0, 0, &fd));
    SHOW("path_readlink", __wasi_path_readlink(BAD, "l", buf, sizeof buf, &a));
    SHOW("path_remove_directory", __wasi_path_remove_directory(BAD, "d"));
    SHOW("path_rename", __wasi_path_rename(BAD, "a", BAD, "b"));
    SHOW("path_symlink", __wasi_path_symlink("a", BAD, "b"));
    SHOW("path_unlink_file", __wasi_path_unlink_file(BAD, "f"));
    SHOW("poll_oneoff", __wasi_poll_oneoff(&sub, &ev, 0, &a));
    SHOW("proc_raise", raw_proc_raise(99));
    SHOW("sched_yield", __wasi_sched_yield());
    SHOW("random_get", __wasi_random_get(buf, 0));
    SHOW("sock_accept", __wasi_sock_accept(BAD, 0, &fd));
    SHOW("sock_recv", __wasi_sock_recv(BAD, &iov, 1, 0, &a, &ro));
    SHOW("sock_send", __wasi_sock_send(BAD, &ciov, 1, 0, &a));
    SHOW("sock_shutdown", __wasi_sock_shutdown(BAD, __WASI_SDFLAGS_WR));
    /* With stdin not a socket: the socket calls say so. */
    SHOW("sock_recv stdin", __wasi_sock_recv(0, &iov, 1, 0, &a, &ro));
    SHOW("sock_shutdown stdin", __wasi_sock_shutdown(0, __WASI_SDFLAGS_RD));
    fflush(stdout);
    if (argc > 1) /* the raw exit, status as given */
        __wasi_proc_exit((__wasi_exitcode_t)atoi(argv[1]));
    return 0;
}
