/* validate: the WebAssembly 2.0 validation algorithm. (Placeholder contract
 * until the validator lands: val_module is the entry point the CLI uses.) */
#ifndef TRI_VALIDATE_H
#define TRI_VALIDATE_H

#include "../decode/decode.h"

/* Validates a decoded module. Returns false with e set (ERR_INVALID, or
 * ERR_MALFORMED for malformations only found while walking bodies), the
 * byte offset and the function index where there is one. */
bool val_module(const struct module *m, struct err *e);

#endif
