#include "validate.h"
bool val_module(const struct module *m, struct err *e) { (void)m; (void)e; return true; }
