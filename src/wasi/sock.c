/* The sock_* calls. A guest gets sockets only from its host (as stdio or
 * by accepting on one it was given); these work on such fds, answer
 * ENOTSOCK for other files and EBADF for fds that are not open. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "wasi.h"

enum { RI_PEEK = 1, RI_WAITALL = 2, RO_TRUNCATED = 1 };

/* Not being a socket comes before missing rights. */
static uint16_t sock_check(const struct wasi_call *c, uint64_t need)
{
    uint8_t t = c->fd->type;
    if (t != WASI_FT_SOCK_STREAM && t != WASI_FT_SOCK_DGRAM)
        return WASI_ENOTSOCK;
    return (c->fd->base & need) == need ? WASI_ESUCCESS : WASI_ENOTCAPABLE;
}

uint16_t wasi_sock_accept(struct wasi_call *c, const tri_val *a)
{
    uint32_t flags = wasi_u32(a, 1), out = wasi_u32(a, 2);
    uint16_t r = sock_check(c, WASI_R(SOCK_ACCEPT));
    if (r != WASI_ESUCCESS)
        return r;
    if (flags & ~(uint32_t)WASI_FD_NONBLOCK)
        return WASI_EINVAL;
    if (!wasi_mem(c, out, 4))
        return WASI_EFAULT;
    int s = accept4(c->fd->host, NULL, NULL, SOCK_CLOEXEC | (flags ? SOCK_NONBLOCK : 0));
    if (s < 0)
        return wasi_errno_of(errno);
    uint8_t type = wasi_filetype_of_fd(s);
    uint32_t fd;
    if ((r = wasi_fd_add(c->ctx, s, type, wasi_rights_for(type), 0, &fd)) == WASI_ESUCCESS)
        wasi_put_u32(c, out, fd);
    return r;
}

/* recvmsg/sendmsg over the guest's iovecs; *n gets the bytes moved. */
static uint16_t sock_msg(struct wasi_call *c, const tri_val *a, bool send, int flags, ssize_t *n,
                         int *msg_flags)
{
    struct wasi_iovs v;
    uint16_t r = wasi_iovs_get(c, wasi_u32(a, 1), wasi_u32(a, 2), &v);
    if (r != WASI_ESUCCESS)
        return r;
    struct msghdr m = {.msg_iov = v.v, .msg_iovlen = (size_t)v.n};
    do
        *n = send ? sendmsg(c->fd->host, &m, flags) : recvmsg(c->fd->host, &m, flags);
    while (*n < 0 && errno == EINTR);
    int err = errno;
    wasi_iovs_free(&v);
    *msg_flags = m.msg_flags;
    return *n < 0 ? wasi_errno_of(err) : WASI_ESUCCESS;
}

uint16_t wasi_sock_recv(struct wasi_call *c, const tri_val *a)
{
    uint32_t ri = wasi_u32(a, 3), len_out = wasi_u32(a, 4), flags_out = wasi_u32(a, 5);
    uint16_t r = sock_check(c, WASI_R(FD_READ));
    if (r != WASI_ESUCCESS)
        return r;
    if (ri & ~(uint32_t)(RI_PEEK | RI_WAITALL))
        return WASI_EINVAL;
    uint8_t *fo = wasi_mem(c, flags_out, 2);
    if (!fo || !wasi_mem(c, len_out, 4))
        return WASI_EFAULT;
    int flags = (ri & RI_PEEK ? MSG_PEEK : 0) | (ri & RI_WAITALL ? MSG_WAITALL : 0), got;
    ssize_t n;
    if ((r = sock_msg(c, a, false, flags, &n, &got)) != WASI_ESUCCESS)
        return r;
    wasi_put_u32(c, len_out, (uint32_t)n);
    wasi_st16(fo, got & MSG_TRUNC ? RO_TRUNCATED : 0);
    return WASI_ESUCCESS;
}

uint16_t wasi_sock_send(struct wasi_call *c, const tri_val *a)
{
    uint32_t out = wasi_u32(a, 4);
    uint16_t r = sock_check(c, WASI_R(FD_WRITE));
    if (r != WASI_ESUCCESS)
        return r;
    if (wasi_u32(a, 3) != 0) /* siflags: none defined */
        return WASI_EINVAL;
    if (!wasi_mem(c, out, 4))
        return WASI_EFAULT;
    ssize_t n;
    int unused;
    /* MSG_NOSIGNAL: a closed peer is EPIPE for the guest, not SIGPIPE for us. */
    if ((r = sock_msg(c, a, true, MSG_NOSIGNAL, &n, &unused)) != WASI_ESUCCESS)
        return r;
    wasi_put_u32(c, out, (uint32_t)n);
    return WASI_ESUCCESS;
}

uint16_t wasi_sock_shutdown(struct wasi_call *c, const tri_val *a)
{
    static const int how[] = {-1, SHUT_RD, SHUT_WR, SHUT_RDWR};
    uint32_t sd = wasi_u32(a, 1);
    uint16_t r = sock_check(c, WASI_R(SOCK_SHUTDOWN));
    if (r != WASI_ESUCCESS)
        return r;
    if (sd == 0 || sd >= ARRAY_LEN(how))
        return WASI_EINVAL;
    return shutdown(c->fd->host, how[sd]) == 0 ? WASI_ESUCCESS : wasi_errno_of(errno);
}
