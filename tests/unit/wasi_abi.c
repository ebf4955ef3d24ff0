/* The WASI ABI against independent sources: errno numbers and rights bits
 * against wasi-libc's <wasi/api.h>, the function list against the witx,
 * and every host function's wasm type against the imports clang emits for
 * tests/wasi/abi.c (which calls all of them). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode/decode.h"
#include "wasi_harness.h"

#define API_H "/usr/include/wasm32-wasi/wasi/api.h"
#define WITX "../shared/wasi/wasi_snapshot_preview1.witx"

struct named { const char *name; unsigned value; };

static const struct named errnos[] = {
    {"SUCCESS", WASI_ESUCCESS},
#define WASI_ERRNO_ROW(n) {#n, WASI_E##n},
    WASI_HOST_ERRNOS(WASI_ERRNO_ROW)
#undef WASI_ERRNO_ROW
    {"NOTCAPABLE", WASI_ENOTCAPABLE},
};

static const struct named rights[] = {
#define WASI_RIGHT_ROW(n) {#n, WASI_RB_##n},
    WASI_RIGHT_NAMES(WASI_RIGHT_ROW)
#undef WASI_RIGHT_ROW
};

static char *slurp(const char *path)
{
    uint8_t *data;
    size_t len;
    struct err e = {0};
    if (!file_read(path, &data, &len, &e))
        return NULL;
    char *s = realloc(data, len + 1);
    if (!s) {
        free(data);
        return NULL;
    }
    s[len] = 0;
    return s;
}

/* Checks each "#define PREFIX<NAME> ... <value>" line of api.h against the
 * table; fmt is the sscanf pattern after the name. */
static void check_defines(const char *api, const char *prefix, const char *fmt,
                          const struct named *tab, size_t n)
{
    size_t seen = 0, plen = strlen(prefix);
    for (const char *p = strstr(api, prefix); p; p = strstr(p + 1, prefix)) {
        char name[64];
        unsigned v;
        if (strncmp(p - 8, "#define ", 8) || sscanf(p + plen, "%63[A-Z0-9_]", name) != 1)
            continue;
        if (sscanf(p + plen + strlen(name), fmt, &v) != 1)
            continue;
        seen++;
        size_t i = 0;
        while (i < n && strcmp(tab[i].name, name))
            i++;
        CHECK(i < n && tab[i].value == v, "%s%s = %u in api.h, ours %d", prefix, name, v,
              i < n ? (int)tab[i].value : -1);
    }
    CHECK(seen == n, "%s: api.h has %zu, we have %zu", prefix, seen, n);
}

static bool ours(const char *name, size_t len)
{
    for (size_t i = 0; i < wasi_func_count(); i++)
        if (strlen(wasi_func_name(i)) == len && !memcmp(wasi_func_name(i), name, len))
            return true;
    return false;
}

static void check_witx(void)
{
    char *witx = slurp(WITX);
    CHECK(witx, "cannot read %s", WITX);
    if (!witx)
        return;
    size_t n = 0;
    for (const char *p = strstr(witx, "(export \""); p; p = strstr(p + 1, "(export \"")) {
        const char *name = p + 9, *end = strchr(name, '"');
        n++;
        CHECK(end && ours(name, (size_t)(end - name)), "witx function %.*s is missing",
              end ? (int)(end - name) : 8, name);
    }
    CHECK(n == wasi_func_count() && n == 46, "witx has %zu functions, we have %zu", n,
          wasi_func_count());
    free(witx);
}

/* Compiles tests/wasi/abi.c and compares its imports with our types. */
static void check_signatures(struct harness *h)
{
    char dir[] = "/tmp/wasi_abi.XXXXXX", wasm[64], cmd[256];
    CHECK(mkdtemp(dir), "mkdtemp");
    snprintf(wasm, sizeof wasm, "%s/abi.wasm", dir);
    snprintf(cmd, sizeof cmd, "clang-19 --target=wasm32-wasi --sysroot=/usr -O2 tests/wasi/abi.c -o %s",
             wasm);
    CHECK(system(cmd) == 0, "cannot compile tests/wasi/abi.c");
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct err e = {0};
    struct module m = {0};
    bool ok = file_read(wasm, &bytes, &len, &e) && dec_module(&m, bytes, len, &e);
    CHECK(ok, "decode abi.wasm: %s", e.msg);
    size_t matched = 0;
    for (uint32_t i = 0; ok && i < m.nimports; i++) {
        const struct import *im = &m.imports[i];
        char name[64] = {0};
        memcpy(name, im->field.p, im->field.len < 63 ? im->field.len : 63);
        tri_func *f = harness_func(h, name);
        CHECK(f, "no host function for import %s", name);
        if (!f || im->kind != EXT_FUNC)
            continue;
        const struct functype *want = &m.types[im->desc.func_type];
        tri_functype got = tri_func_type(f);
        bool same = want->nparams == got.nparams && want->nresults == got.nresults &&
                    !memcmp(ft_params(want), got.params, got.nparams) &&
                    !memcmp(ft_results(want), got.results, got.nresults);
        CHECK(same, "%s: type differs from clang's import", name);
        matched += same;
    }
    CHECK(matched == 46, "%zu of 46 imports match", matched);
    if (ok)
        dec_module_free(&m);
    free(bytes);
    unlink(wasm);
    rmdir(dir);
}

int main(void)
{
    char *api = slurp(API_H);
    CHECK(api, "cannot read %s", API_H);
    if (api) {
        check_defines(api, "__WASI_ERRNO_", " (UINT16_C(%u))", errnos, ARRAY_LEN(errnos));
        check_defines(api, "__WASI_RIGHTS_", " ((__wasi_rights_t)(1 << %u))", rights,
                      ARRAY_LEN(rights));
        free(api);
    }
    check_witx();
    struct wasi_config cfg = {.stdio = {-1, -1, -1}};
    struct harness h;
    CHECK(harness_init(&h, &cfg), "set-up");
    check_signatures(&h);
    harness_done(&h);
    return test_done("wasi_abi");
}
