/* Tries to get out of the preopen /sandbox (host layout made by
 * tests/cli/wasi_programs.sh: sandbox/up -> ../outside, sandbox/abs -> the
 * absolute path of outside/secret, outside/secret next to the sandbox).
 * Each attempt prints "name: refused (errno)" or "name: ESCAPED"; the
 * status is the number of escapes. The shell checks the host side. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int escapes;

static void report(const char *name, int ok)
{
    if (ok) {
        escapes++;
        printf("%s: ESCAPED\n", name);
    } else {
        printf("%s: refused (%s)\n", name, strerror(errno));
    }
}

static int try_open(const char *path, int flags)
{
    int fd = open(path, flags, 0644);
    if (fd >= 0)
        close(fd);
    return fd >= 0;
}

/* path_open straight on fd 3, past wasi-libc's own path handling. */
static int raw_open(const char *path, __wasi_lookupflags_t follow, __wasi_oflags_t oflags)
{
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(3, follow, path, oflags, __WASI_RIGHTS_FD_READ |
                                        __WASI_RIGHTS_FD_WRITE, 0, 0, &fd);
    errno = e;
    if (!e)
        (void)__wasi_fd_close(fd);
    return !e;
}

int main(void)
{
    struct stat st;
    char buf[64];
    report("open ../outside/secret", try_open("/sandbox/../outside/secret", O_RDONLY));
    report("open /etc/passwd", try_open("/etc/passwd", O_RDONLY));
    report("open via up/ symlink", try_open("/sandbox/up/secret", O_RDONLY));
    report("open absolute symlink", try_open("/sandbox/abs", O_RDONLY));
    report("create via up/", try_open("/sandbox/up/created", O_CREAT | O_WRONLY));
    report("create through dangling link", try_open("/sandbox/dangle", O_CREAT | O_WRONLY));
    report("truncate via up/", try_open("/sandbox/up/secret", O_WRONLY | O_TRUNC));
    report("mkdir ../made", mkdir("/sandbox/../made", 0755) == 0);
    report("mkdir up/made", mkdir("/sandbox/up/made", 0755) == 0);
    report("unlink up/secret", unlink("/sandbox/up/secret") == 0);
    report("rename out", rename("/sandbox/inside", "/sandbox/up/moved") == 0);
    report("rename in", rename("/sandbox/up/secret", "/sandbox/stolen") == 0);
    report("link in", linkat(AT_FDCWD, "/sandbox/abs", AT_FDCWD, "/sandbox/hard",
                             AT_SYMLINK_FOLLOW) == 0);
    report("symlink to /etc/passwd", symlink("/etc/passwd", "/sandbox/evil") == 0);
    report("stat via up/", stat("/sandbox/up/secret", &st) == 0);
    report("readlink via up/", readlink("/sandbox/up/x", buf, sizeof buf) >= 0);
    report("chdir up", chdir("/sandbox/up") == 0 && try_open("secret", O_RDONLY));
    report("raw ..", raw_open("..", 1, 0));
    report("raw /etc/passwd", raw_open("/etc/passwd", 1, 0));
    report("raw sub/../../outside/secret", raw_open("sub/../../outside/secret", 1, 0));
    report("raw up/secret", raw_open("up/secret", 1, 0));
    report("raw abs", raw_open("abs", 1, 0));
    report("raw create dangle", raw_open("dangle", 1, __WASI_OFLAGS_CREAT));
    /* Staying inside works, also by way of .. and links that stay in. */
    printf("inside via ..: %s\n", try_open("/sandbox/sub/../inside", O_RDONLY) ? "ok" : strerror(errno));
    printf("inside via link: %s\n", try_open("/sandbox/in/inside", O_RDONLY) ? "ok" : strerror(errno));
    printf("%d escapes\n", escapes);
    return escapes;
}
