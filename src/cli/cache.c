/* trident cache dir|clean [--cache-dir=DIR]
 *
 * `dir` prints the folder `trident run` caches compiled code in; `clean`
 * empties it. The folder is --cache-dir, else $XDG_CACHE_HOME/trident,
 * else ~/.cache/trident. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void cache_usage(void)
{
    printf("usage: trident cache dir|clean [--cache-dir=DIR]\n\n"
           "  dir    print the folder compiled code is cached in\n"
           "  clean  remove every cached artifact\n\n"
           "The folder is --cache-dir, else $XDG_CACHE_HOME/trident, else\n"
           "~/.cache/trident. `trident run` uses it unless given --no-cache; it is kept\n"
           "under 1 GiB, least recently used entries going first.\n");
}

static int act(tri_engine *e, const char *what)
{
    const char *dir = tri_engine_cache_dir(e);
    if (!dir) {
        fprintf(stderr, "trident: no cache folder (set XDG_CACHE_HOME or HOME)\n");
        return 1;
    }
    if (!strcmp(what, "dir")) {
        printf("%s\n", dir);
        return 0;
    }
    size_t removed;
    uint64_t bytes;
    tri_error *r = tri_cache_clean(e, &removed, &bytes);
    if (r) {
        fprintf(stderr, "trident: %s\n", tri_error_message(r));
        tri_error_delete(r);
        return 1;
    }
    printf("removed %zu files (%" PRIu64 " bytes) from %s\n", removed, bytes, dir);
    return 0;
}

int cmd_cache(int argc, char **argv)
{
    tri_config c;
    tri_config_default(&c);
    const char *what = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            cache_usage();
            return 0;
        }
        if (!strncmp(argv[i], "--cache-dir=", 12))
            c.cache_dir = argv[i] + 12;
        else if (!strcmp(argv[i], "--cache-dir") && i + 1 < argc)
            c.cache_dir = argv[++i];
        else if (!what && (!strcmp(argv[i], "dir") || !strcmp(argv[i], "clean")))
            what = argv[i];
        else
            return cli_usage_error("cache: unexpected '%s' (usage: trident cache dir|clean "
                                   "[--cache-dir=DIR])", argv[i]);
    }
    if (!what)
        return cli_usage_error("cache: say dir or clean (usage: trident cache dir|clean "
                               "[--cache-dir=DIR])");
    tri_engine *e;
    tri_error *r = tri_engine_new(&c, &e);
    if (r) {
        fprintf(stderr, "trident: %s\n", tri_error_message(r));
        tri_error_delete(r);
        return 1;
    }
    int status = act(e, what);
    tri_engine_delete(e);
    return status;
}
