/* The artifact cache: a second compile of the same bytes comes from disk
 * (the backend is not called) and runs the same; other options or bytes
 * miss; a damaged file is ignored and replaced. */
#include <dirent.h>
#include <sys/stat.h>

#include "api_util.h"
#include "check.h"
#include "runtime_backend.h"

static int compiles;
static bool counting_compile(const struct module *m, const struct cc_options *o,
                             struct cc_artifact *out, struct err *e)
{
    compiles++;
    return test_compile(m, o, out, e);
}
static const struct cc_backend counting = {"test", counting_compile};

static void body_const(struct emit *e) { x64_mov_ri(e->a, 4, X64_RAX, 1234); }

static const char *const text = "(module (func (export \"f\") (result i32) unreachable))";

/* Compiles text with the engine and returns what f() gives, or -1. */
static int32_t compile_and_run(tri_engine *e, const char *src)
{
    size_t len;
    uint8_t *bytes = wat(src, &len);
    tri_module *m = NULL;
    tri_error *r = bytes ? rt_module_new(e, bytes, len, &counting, &m) : NULL;
    free(bytes);
    tri_error_delete(r);
    if (!m)
        return -1;
    tri_store *s = tri_store_new(e);
    tri_instance *i = NULL;
    tri_val out = {0};
    tri_error_delete(tri_instance_new(s, m, NULL, 0, &i));
    if (i)
        tri_error_delete(tri_func_call(s, export_of(i, "f").of.func, NULL, 0, &out, 1));
    tri_store_delete(s);
    tri_module_delete(m);
    return i ? out.of.i32 : -1;
}

/* The one .art file in dir (path into out), or false. */
static bool only_file(const char *dir, char *out, size_t n)
{
    DIR *d = opendir(dir);
    int count = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        if (de->d_name[0] != '.') {
            count++;
            snprintf(out, n, "%s/%s", dir, de->d_name);
        }
    if (d)
        closedir(d);
    return count == 1;
}

static tri_engine *engine_with(const char *dir, int opt)
{
    tri_config c;
    tri_config_default(&c);
    c.cache = true;
    c.cache_dir = dir;
    c.opt_level = opt;
    tri_engine *e = NULL;
    tri_error_delete(tri_engine_new(&c, &e));
    return e;
}

int main(void)
{
    test_bodies[0] = body_const;
    char root[] = "/tmp/tri-cache-XXXXXX";
    CHECK(mkdtemp(root), "mkdtemp");
    char dir[64], file[512];
    snprintf(dir, sizeof dir, "%s/a/b", root); /* created on demand */
    tri_engine *e = engine_with(dir, 2);
    CHECK(compile_and_run(e, text) == 1234 && compiles == 1, "first compile");
    CHECK(only_file(dir, file, sizeof file), "one file in the cache");
    CHECK(compile_and_run(e, text) == 1234 && compiles == 1, "second from the cache");
    tri_engine *e1 = engine_with(dir, 1);
    CHECK(compile_and_run(e1, text) == 1234 && compiles == 2, "other options miss");
    tri_engine_delete(e1);
    CHECK(compile_and_run(e, "(module (func (export \"f\") (result i32) unreachable) (memory 1))")
              == 1234 && compiles == 3, "other bytes miss");

    /* Damage: a truncated file, then one whose relocation points outside. */
    FILE *f = fopen(file, "r+b");
    CHECK(f && ftruncate(fileno(f), 100) == 0, "truncate");
    if (f)
        fclose(f);
    CHECK(compile_and_run(e, text) == 1234 && compiles == 4, "truncated file ignored");
    CHECK(compile_and_run(e, text) == 1234 && compiles == 4, "and rewritten");
    struct stat st;
    CHECK(stat(file, &st) == 0 && st.st_size > 100, "rewritten whole");
    f = fopen(file, "r+b"); /* the last record is the trap site: send it past the code */
    uint32_t far = 0xFFFFFFF0u;
    CHECK(f && fseek(f, -12, SEEK_END) == 0 && fwrite(&far, 4, 1, f) == 1, "corrupt");
    if (f)
        fclose(f);
    CHECK(compile_and_run(e, text) == 1234 && compiles == 5, "bad trap site ignored");
    tri_engine_delete(e);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0, "cleanup");
    return test_done("runtime_cache");
}
