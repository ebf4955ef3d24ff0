/* wasi: WASI preview1 (wasi_snapshot_preview1) as host functions.
 *
 * A wasi_ctx is one program's view of the host: its arguments, its
 * environment, its file-descriptor table (stdio plus preopened directories)
 * and the linear memory its guest pointers refer to. wasi_define puts the
 * 46 functions of /work/shared/wasi/wasi_snapshot_preview1.witx on a linker.
 *
 * Sandbox: a guest reaches the file system only through preopened
 * directories. Every path is resolved beneath the directory fd it is given
 * (openat2 with RESOLVE_BENEATH when the kernel has it, else a walk one
 * component at a time with O_NOFOLLOW); `..` above it, absolute paths and
 * symlinks leading outside fail with ENOTCAPABLE, and symlinks with an
 * absolute target cannot be made (EPERM). The environment holds only what
 * the host puts in wasi_config.
 *
 * Errors: every function returns a WASI errno to the guest; only proc_exit
 * unwinds (tri_exit_new), so the host sees the status as an error. Guest
 * pointers are checked against the memory's size (EFAULT), never trusted.
 *
 * The first half of this header is the contract for hosts (the CLI); the
 * second half is shared by the files of this folder. */
#ifndef TRI_WASI_H
#define TRI_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <trident.h>

#include "../base/base.h"

/* ---- contract for hosts ---- */

struct wasi_ctx;

struct wasi_preopen {
    const char *host;  /* directory on the host */
    const char *guest; /* the name the guest sees (fd_prestat_dir_name) */
};

/* What a program gets. Every array and string is borrowed for the call to
 * wasi_ctx_new only: the context keeps copies. */
struct wasi_config {
    const char *const *argv; /* argv[0] is the program name */
    size_t argc;
    const char *const *env;  /* "KEY=VALUE" strings; nothing else is visible */
    size_t nenv;
    const struct wasi_preopen *dirs; /* become fds 3, 4, ... in order */
    size_t ndirs;
    int stdio[3];            /* host fds for guest fds 0..2 (duplicated), -1: closed */
    bool no_openat2;         /* resolve paths by the portable walk even when
                                openat2 exists (so tests cover both) */
};

/* Makes a context: duplicates the stdio fds and opens each preopen. Fails
 * (ERR_IO naming the directory, ERR_NOMEM) when one cannot be opened.
 * *out is owned by the caller (wasi_ctx_delete). */
bool wasi_ctx_new(const struct wasi_config *cfg, struct wasi_ctx **out, struct err *e);
/* Closes every fd of the table and frees the context. The functions made
 * from it must not be called afterwards: delete the store first. */
void wasi_ctx_delete(struct wasi_ctx *ctx);
/* The memory guest pointers refer to (borrowed; the instance's "memory"
 * export). Until one is set, each call uses its caller's "memory" export. */
void wasi_ctx_set_memory(struct wasi_ctx *ctx, tri_memory *mem);
/* True when paths are resolved with openat2 (else by the walk). */
bool wasi_ctx_uses_openat2(const struct wasi_ctx *ctx);

/* Makes the host function for one import name of wasi_snapshot_preview1 in
 * store s (owned by the store; it borrows ctx). NULL when the name is not a
 * WASI function or out of memory. */
tri_func *wasi_func_new(struct wasi_ctx *ctx, tri_store *s, const char *name);
/* Defines every function of wasi_snapshot_preview1 on the linker. */
bool wasi_define(struct wasi_ctx *ctx, tri_store *s, tri_linker *l, struct err *e);
/* Number of WASI functions and the name of the i-th, for tests and tools. */
size_t wasi_func_count(void);
const char *wasi_func_name(size_t i);

/* ---- errno, in the witx order (the numbers are the ABI) ----
 * Every WASI errno but SUCCESS and NOTCAPABLE has a POSIX namesake. */
#define WASI_HOST_ERRNOS(X)                                                                       \
    X(2BIG) X(ACCES) X(ADDRINUSE) X(ADDRNOTAVAIL) X(AFNOSUPPORT) X(AGAIN) X(ALREADY) X(BADF)      \
    X(BADMSG) X(BUSY) X(CANCELED) X(CHILD) X(CONNABORTED) X(CONNREFUSED) X(CONNRESET) X(DEADLK)   \
    X(DESTADDRREQ) X(DOM) X(DQUOT) X(EXIST) X(FAULT) X(FBIG) X(HOSTUNREACH) X(IDRM) X(ILSEQ)      \
    X(INPROGRESS) X(INTR) X(INVAL) X(IO) X(ISCONN) X(ISDIR) X(LOOP) X(MFILE) X(MLINK) X(MSGSIZE)  \
    X(MULTIHOP) X(NAMETOOLONG) X(NETDOWN) X(NETRESET) X(NETUNREACH) X(NFILE) X(NOBUFS) X(NODEV)   \
    X(NOENT) X(NOEXEC) X(NOLCK) X(NOLINK) X(NOMEM) X(NOMSG) X(NOPROTOOPT) X(NOSPC) X(NOSYS)       \
    X(NOTCONN) X(NOTDIR) X(NOTEMPTY) X(NOTRECOVERABLE) X(NOTSOCK) X(NOTSUP) X(NOTTY) X(NXIO)      \
    X(OVERFLOW) X(OWNERDEAD) X(PERM) X(PIPE) X(PROTO) X(PROTONOSUPPORT) X(PROTOTYPE) X(RANGE)     \
    X(ROFS) X(SPIPE) X(SRCH) X(STALE) X(TIMEDOUT) X(TXTBSY) X(XDEV)

enum wasi_errno {
    WASI_ESUCCESS = 0,
#define WASI_ERRNO_ENUM(n) WASI_E##n,
    WASI_HOST_ERRNOS(WASI_ERRNO_ENUM)
#undef WASI_ERRNO_ENUM
    WASI_ENOTCAPABLE, /* 76 */
};

/* The WASI errno for a host errno (EIO for ones WASI lacks). */
uint16_t wasi_errno_of(int host_errno);

/* ---- rights: bit numbers in the witx order ---- */
#define WASI_RIGHT_NAMES(X)                                                                       \
    X(FD_DATASYNC) X(FD_READ) X(FD_SEEK) X(FD_FDSTAT_SET_FLAGS) X(FD_SYNC) X(FD_TELL)            \
    X(FD_WRITE) X(FD_ADVISE) X(FD_ALLOCATE) X(PATH_CREATE_DIRECTORY) X(PATH_CREATE_FILE)          \
    X(PATH_LINK_SOURCE) X(PATH_LINK_TARGET) X(PATH_OPEN) X(FD_READDIR) X(PATH_READLINK)           \
    X(PATH_RENAME_SOURCE) X(PATH_RENAME_TARGET) X(PATH_FILESTAT_GET) X(PATH_FILESTAT_SET_SIZE)    \
    X(PATH_FILESTAT_SET_TIMES) X(FD_FILESTAT_GET) X(FD_FILESTAT_SET_SIZE)                         \
    X(FD_FILESTAT_SET_TIMES) X(PATH_SYMLINK) X(PATH_REMOVE_DIRECTORY) X(PATH_UNLINK_FILE)         \
    X(POLL_FD_READWRITE) X(SOCK_SHUTDOWN) X(SOCK_ACCEPT)

enum wasi_right_bit {
#define WASI_RIGHT_ENUM(n) WASI_RB_##n,
    WASI_RIGHT_NAMES(WASI_RIGHT_ENUM)
#undef WASI_RIGHT_ENUM
    WASI_RB_COUNT
};
#define WASI_R(n) (1ull << WASI_RB_##n)
#define WASI_RIGHTS_ALL ((1ull << WASI_RB_COUNT) - 1)

/* ---- other witx enums and flags used across files ---- */
enum wasi_filetype {
    WASI_FT_UNKNOWN, WASI_FT_BLOCK, WASI_FT_CHAR, WASI_FT_DIR, WASI_FT_REG,
    WASI_FT_SOCK_DGRAM, WASI_FT_SOCK_STREAM, WASI_FT_SYMLINK,
};
enum { WASI_FD_APPEND = 1, WASI_FD_DSYNC = 2, WASI_FD_NONBLOCK = 4, WASI_FD_RSYNC = 8,
       WASI_FD_SYNC = 16 };                                                  /* fdflags */
enum { WASI_FST_ATIM = 1, WASI_FST_ATIM_NOW = 2, WASI_FST_MTIM = 4, WASI_FST_MTIM_NOW = 8 };
enum { WASI_LOOKUP_FOLLOW = 1 };                                             /* lookupflags */
enum { WASI_O_CREAT = 1, WASI_O_DIRECTORY = 2, WASI_O_EXCL = 4, WASI_O_TRUNC = 8 };
enum { WASI_FILESTAT_SIZE = 64, WASI_DIRENT_SIZE = 24, WASI_FDSTAT_SIZE = 24,
       WASI_SUBSCRIPTION_SIZE = 48, WASI_EVENT_SIZE = 32 };

/* ---- the context ---- */

struct wasi_fd {
    int host;              /* owned host fd; -1 marks a free slot */
    uint8_t type;          /* enum wasi_filetype, fixed at open */
    uint64_t base, inheriting; /* rights */
    char *preopen;         /* guest name of a preopened directory (owned), or NULL */
};

struct wasi_binding; /* one per WASI function: what its tri_func's data points at */

struct wasi_ctx {
    char **argv, **env;    /* owned copies, NUL-terminated strings */
    size_t argc, nenv;
    VEC(struct wasi_fd) fds;
    bool openat2;          /* resolve paths with openat2 */
    tri_memory *memory;    /* borrowed, or NULL: use the caller's export */
    struct wasi_binding *bindings; /* owned, wasi_func_count() entries */
};

/* ---- one call in progress ---- */
struct wasi_call {
    struct wasi_ctx *ctx;
    uint8_t *mem;          /* the guest's memory, valid for this call */
    uint64_t memlen;
    struct wasi_fd *fd;    /* argument 0, checked, when the function's row
                              names the rights it needs (else NULL); points
                              into the table, so wasi_fd_add invalidates it */
    tri_error *trap;       /* set by proc_exit: unwinds instead of returning */
};

/* Each WASI function: reads its arguments (already of the declared kinds)
 * and returns the errno the guest gets. */
typedef uint16_t (*wasi_handler)(struct wasi_call *c, const tri_val *a);

/* Every function: its wasm parameters as letters (i = i32, I = i64; all
 * return an i32 errno except proc_exit), and the rights argument 0 must
 * have as an open fd, checked before the handler runs (EBADF/ENOTCAPABLE),
 * or WASI_NOFD when argument 0 is no fd or the handler checks it itself. */
#define WASI_NOFD UINT64_MAX
#define WASI_FUNCS(X)                                                                             \
    X(args_get, "ii", WASI_NOFD)                                                                  \
    X(args_sizes_get, "ii", WASI_NOFD)                                                            \
    X(environ_get, "ii", WASI_NOFD)                                                               \
    X(environ_sizes_get, "ii", WASI_NOFD)                                                         \
    X(clock_res_get, "ii", WASI_NOFD)                                                             \
    X(clock_time_get, "iIi", WASI_NOFD)                                                           \
    X(fd_advise, "iIIi", WASI_R(FD_ADVISE))                                                       \
    X(fd_allocate, "iII", WASI_R(FD_ALLOCATE))                                                    \
    X(fd_close, "i", 0)                                                                           \
    X(fd_datasync, "i", WASI_R(FD_DATASYNC))                                                      \
    X(fd_fdstat_get, "ii", 0)                                                                     \
    X(fd_fdstat_set_flags, "ii", WASI_R(FD_FDSTAT_SET_FLAGS))                                     \
    X(fd_fdstat_set_rights, "iII", 0)                                                             \
    X(fd_filestat_get, "ii", WASI_R(FD_FILESTAT_GET))                                             \
    X(fd_filestat_set_size, "iI", WASI_R(FD_FILESTAT_SET_SIZE))                                   \
    X(fd_filestat_set_times, "iIIi", WASI_R(FD_FILESTAT_SET_TIMES))                               \
    X(fd_pread, "iiiIi", WASI_R(FD_READ) | WASI_R(FD_SEEK))                                       \
    X(fd_prestat_get, "ii", 0)                                                                    \
    X(fd_prestat_dir_name, "iii", 0)                                                              \
    X(fd_pwrite, "iiiIi", WASI_R(FD_WRITE) | WASI_R(FD_SEEK))                                     \
    X(fd_read, "iiii", WASI_R(FD_READ))                                                           \
    X(fd_readdir, "iiiIi", WASI_R(FD_READDIR))                                                    \
    X(fd_renumber, "ii", 0)                                                                       \
    X(fd_seek, "iIii", 0)                                                                         \
    X(fd_sync, "i", WASI_R(FD_SYNC))                                                              \
    X(fd_tell, "ii", WASI_R(FD_TELL))                                                             \
    X(fd_write, "iiii", WASI_R(FD_WRITE))                                                         \
    X(path_create_directory, "iii", WASI_R(PATH_CREATE_DIRECTORY))                                \
    X(path_filestat_get, "iiiii", WASI_R(PATH_FILESTAT_GET))                                      \
    X(path_filestat_set_times, "iiiiIIi", WASI_R(PATH_FILESTAT_SET_TIMES))                        \
    X(path_link, "iiiiiii", WASI_R(PATH_LINK_SOURCE))                                             \
    X(path_open, "iiiiiIIii", WASI_R(PATH_OPEN))                                                  \
    X(path_readlink, "iiiiii", WASI_R(PATH_READLINK))                                             \
    X(path_remove_directory, "iii", WASI_R(PATH_REMOVE_DIRECTORY))                                \
    X(path_rename, "iiiiii", WASI_R(PATH_RENAME_SOURCE))                                          \
    X(path_symlink, "iiiii", WASI_NOFD)                                                           \
    X(path_unlink_file, "iii", WASI_R(PATH_UNLINK_FILE))                                          \
    X(poll_oneoff, "iiii", WASI_NOFD)                                                             \
    X(proc_exit, "i", WASI_NOFD)                                                                  \
    X(proc_raise, "i", WASI_NOFD)                                                                 \
    X(sched_yield, "", WASI_NOFD)                                                                 \
    X(random_get, "ii", WASI_NOFD)                                                                \
    X(sock_accept, "iii", 0)                                                                      \
    X(sock_recv, "iiiiii", 0)                                                                     \
    X(sock_send, "iiiii", 0)                                                                      \
    X(sock_shutdown, "ii", 0)

#define WASI_HANDLER_DECL(name, params, need) uint16_t wasi_##name(struct wasi_call *c, const tri_val *a);
WASI_FUNCS(WASI_HANDLER_DECL)
#undef WASI_HANDLER_DECL

/* One binding per WASI function for ctx (owned by the caller, free()). */
struct wasi_binding *wasi_bindings_new(struct wasi_ctx *ctx);

/* Argument i as an unsigned 32-bit value / as a 64-bit value. */
static inline uint32_t wasi_u32(const tri_val *a, int i) { return (uint32_t)a[i].of.i32; }
static inline uint64_t wasi_u64(const tri_val *a, int i) { return (uint64_t)a[i].of.i64; }

/* ---- guest memory (mem.c) ----
 * A guest region [ptr, ptr+len) is usable when it lies inside the memory;
 * these return NULL / false otherwise, and the caller answers EFAULT. */
void *wasi_mem(struct wasi_call *c, uint32_t ptr, uint64_t len);
bool wasi_put_u32(struct wasi_call *c, uint32_t ptr, uint32_t v);
bool wasi_put_u64(struct wasi_call *c, uint32_t ptr, uint64_t v);
static inline void wasi_st16(uint8_t *p, uint16_t v) { __builtin_memcpy(p, &v, 2); }
static inline void wasi_st32(uint8_t *p, uint32_t v) { __builtin_memcpy(p, &v, 4); }
static inline void wasi_st64(uint8_t *p, uint64_t v) { __builtin_memcpy(p, &v, 8); }
static inline uint32_t wasi_ld32(const uint8_t *p) { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
static inline uint64_t wasi_ld64(const uint8_t *p) { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }

/* Guest iovec arrays as host ones pointing into the memory. At most
 * IOV_MAX entries and UINT32_MAX bytes in all are kept (the result is a
 * u32), which is a legal short transfer. */
struct wasi_iovs {
    struct iovec *v;       /* small or heap */
    int n;
    struct iovec small[16];
};
uint16_t wasi_iovs_get(struct wasi_call *c, uint32_t ptr, uint32_t n, struct wasi_iovs *out);
void wasi_iovs_free(struct wasi_iovs *v);

/* A guest path copied into a NUL-terminated host string (owned by the
 * caller, free()). EFAULT, EINVAL (a NUL inside), EILSEQ (not UTF-8),
 * ENAMETOOLONG, ENOMEM. */
uint16_t wasi_path_get(struct wasi_call *c, uint32_t ptr, uint32_t len, char **out);

/* ---- fd table (fdtab.c) ---- */

/* The fd when it is open and has every right in `need`: WASI_ESUCCESS, or
 * EBADF / ENOTCAPABLE. */
uint16_t wasi_fd_get(struct wasi_ctx *ctx, uint32_t fd, uint64_t need, struct wasi_fd **out);
/* Puts a host fd in the lowest free slot (taking ownership, closing it on
 * failure); *fd gets the guest number. */
uint16_t wasi_fd_add(struct wasi_ctx *ctx, int host, uint8_t type, uint64_t base,
                     uint64_t inheriting, uint32_t *fd);
/* Closes a slot and frees its preopen name. */
void wasi_fd_release(struct wasi_fd *f);
/* The rights a descriptor of this type can ever have. */
uint64_t wasi_rights_for(uint8_t type);
uint64_t wasi_rights_inheriting_for(uint8_t type);

/* ---- host <-> WASI conversions (host.c) ---- */
uint8_t wasi_filetype_of_mode(unsigned mode);
/* The filetype of an open host fd (sockets told apart by SO_TYPE). */
uint8_t wasi_filetype_of_fd(int fd);
/* Writes a WASI filestat (64 bytes) for a host struct stat. */
void wasi_filestat_put(uint8_t *p, const struct stat *st);
/* The timespec pair for utimensat/futimens; EINVAL for contradictory flags. */
uint16_t wasi_times_get(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]);

/* ---- sandboxed paths (resolve.c) ---- */

/* A resolved path: a directory fd beneath the starting one and a single
 * final component in it (never empty, no '/'; "." when the path named a
 * directory by "." or ".."). */
struct wasi_resolved {
    int dir;               /* owned; close with wasi_resolved_free */
    const char *name;      /* points into `buf` (or is ".") */
    bool trailing_slash;   /* the path ended in '/': it must name a directory */
    char *buf;             /* owned */
};

/* Resolves path beneath directory fd `dirfd`. With follow, a symlink as the
 * final component is expanded (beneath the same start) until it is not one.
 * Errors: ENOTCAPABLE for an escape, ENOENT for "", ELOOP, ENOTDIR, .... */
uint16_t wasi_resolve(const struct wasi_ctx *ctx, int dirfd, const char *path, bool follow,
                      struct wasi_resolved *out);
void wasi_resolved_free(struct wasi_resolved *r);
/* Opens path beneath dirfd with open(2) flags (O_NOFOLLOW unless follow);
 * returns the host fd or a negated WASI errno. */
int wasi_open_beneath(const struct wasi_ctx *ctx, int dirfd, const char *path, int flags,
                      unsigned mode, bool follow);
/* True when this kernel resolves with openat2 (checked once). */
bool wasi_have_openat2(void);

#endif
