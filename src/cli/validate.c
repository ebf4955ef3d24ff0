/* trident validate [-v] FILE...: decode and validate each module (binary or
 * text); -v prints each valid module's size and the time taken to decode
 * and validate it (as `trident compile -v` does). */
#include <stdio.h>
#include <string.h>

#include "../decode/decode.h"
#include "../text/text.h"
#include "../validate/validate.h"
#include "cli.h"

static int validate_file(const char *path, bool verbose)
{
    struct err e;
    err_clear(&e);
    uint8_t *bytes;
    size_t len;
    if (!file_read(path, &bytes, &len, &e)) {
        fprintf(stderr, "trident: %s\n", e.msg);
        return 1;
    }
    uint8_t *wasm = bytes;
    size_t wasm_len = len;
    bool owned = false;
    /* A .wasm file is binary whatever it holds (an empty or damaged one is
     * malformed, not an empty text module); other files go by content. */
    size_t n = strlen(path);
    bool binary = n >= 5 && !strcmp(path + n - 5, ".wasm");
    if (!binary && !txt_module_bytes(bytes, len, &wasm, &wasm_len, &owned, &e)) {
        uint32_t line, col;
        txt_line_col((const char *)bytes, len, e.offset, &line, &col);
        fprintf(stderr, "%s:%u:%u: %s\n", path, line, col, e.msg);
        free(bytes);
        return 1;
    }
    struct module m;
    struct cli_clock start = cli_clock_now();
    bool ok = dec_module(&m, wasm, wasm_len, &e) && val_module(&m, &e);
    if (!ok) {
        cli_print_err(path, &e);
    } else if (verbose) {
        struct cli_clock t = cli_elapsed(start);
        fprintf(stderr, "%s: valid: %u functions in %.1f ms wall, %.1f ms CPU\n", path,
                m.nfuncs - m.nfunc_imports, t.wall_ms, t.cpu_ms);
    }
    dec_module_free(&m);
    if (owned)
        free(wasm);
    free(bytes);
    return ok ? 0 : 1;
}

static void validate_usage(void)
{
    printf("usage: trident validate [-v] FILE.wasm|FILE.wat...\n\n"
           "Decodes and validates each module against the WebAssembly 2.0 rules and\n"
           "prints nothing for a valid one; for an invalid one it prints the file, the\n"
           "byte offset (line and column in text), the function and the reason on\n"
           "stderr. A .wasm file is always read as binary.\n\n"
           "options:\n"
           "  -v                 print each valid module's number of functions and the\n"
           "                     time to decode and validate it (wall clock and CPU)\n"
           "  -h, --help         this text\n\n"
           "exit status: 0 when every module is valid; 1 when one is not or cannot be\n"
           "read; 2 for a usage error.\n");
}

int cmd_validate(int argc, char **argv)
{
    int status = 0, files = 0;
    bool verbose = false;
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            validate_usage();
            return 0;
        }
        if (!strcmp(argv[i], "-v"))
            verbose = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("validate: unknown option '%s'", argv[i]);
        else
            files++;
    }
    if (!files)
        return cli_usage_error("validate: no file given (usage: trident validate [-v] FILE...)");
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "-v") && validate_file(argv[i], verbose))
            status = 1;
    return status;
}
