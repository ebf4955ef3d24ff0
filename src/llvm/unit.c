/* A chunk's LLVM module: context, types, function declarations, the
 * attributes every function carries and the metadata shared by its
 * instructions (alias classes, invariant loads, branch weights). */
#include <stdio.h>
#include <string.h>

#include "llvm.h"

static LLVMAttributeRef enum_attr(LLVMContextRef ctx, const char *name)
{
    return LLVMCreateEnumAttribute(ctx, LLVMGetEnumAttributeKindForName(name, strlen(name)), 0);
}

static LLVMAttributeRef string_attr(LLVMContextRef ctx, const char *k, const char *v)
{
    return LLVMCreateStringAttribute(ctx, k, (unsigned)strlen(k), v, (unsigned)strlen(v));
}

static LLVMMetadataRef md_string(LLVMContextRef ctx, const char *s)
{
    return LLVMMDStringInContext2(ctx, s, strlen(s));
}

static LLVMMetadataRef md_int(LLVMTypeRef t, uint64_t v)
{
    return LLVMValueAsMetadata(LLVMConstInt(t, v, 0));
}

/* TBAA: one scalar type per alias class under a common root; the access
 * tag of class c is {type c, type c, 0}. */
static void tbaa_init(struct llv_unit *u)
{
    static const char *const names[LLV_TBAA_COUNT] = {
        "vmctx", "stack limit", "memory base", "memory size", "heap",
        "global", "table", "table element", "funcref",
    };
    LLVMMetadataRef root_name = md_string(u->ctx, "trident");
    LLVMMetadataRef root = LLVMMDNodeInContext2(u->ctx, &root_name, 1);
    for (int c = 0; c < LLV_TBAA_COUNT; c++) {
        LLVMMetadataRef ty[3] = {md_string(u->ctx, names[c]), root, md_int(u->t.i64, 0)};
        LLVMMetadataRef type = LLVMMDNodeInContext2(u->ctx, ty, 3);
        LLVMMetadataRef tag[3] = {type, type, md_int(u->t.i64, 0)};
        u->tbaa[c] = LLVMMetadataAsValue(u->ctx, LLVMMDNodeInContext2(u->ctx, tag, 3));
    }
}

static void metadata_init(struct llv_unit *u)
{
    u->md_tbaa = LLVMGetMDKindIDInContext(u->ctx, "tbaa", 4);
    u->md_invariant = LLVMGetMDKindIDInContext(u->ctx, "invariant.load", 14);
    u->md_prof = LLVMGetMDKindIDInContext(u->ctx, "prof", 4);
    u->empty_md = LLVMMetadataAsValue(u->ctx, LLVMMDNodeInContext2(u->ctx, NULL, 0));
    /* Trap branches are cold: the same weights LLVM gives __builtin_expect. */
    LLVMMetadataRef w[3] = {md_string(u->ctx, "branch_weights"), md_int(u->t.i32, 1),
                            md_int(u->t.i32, 2000)};
    u->unlikely = LLVMMetadataAsValue(u->ctx, LLVMMDNodeInContext2(u->ctx, w, 3));
    LLVMMetadataRef rsp = md_string(u->ctx, "rsp");
    u->rsp_name = LLVMMetadataAsValue(u->ctx, LLVMMDNodeInContext2(u->ctx, &rsp, 1));
    tbaa_init(u);
}

static void types_init(struct llv_unit *u)
{
    LLVMContextRef c = u->ctx;
    u->t.i1 = LLVMInt1TypeInContext(c);
    u->t.i8 = LLVMInt8TypeInContext(c);
    u->t.i16 = LLVMInt16TypeInContext(c);
    u->t.i32 = LLVMInt32TypeInContext(c);
    u->t.i64 = LLVMInt64TypeInContext(c);
    u->t.f32 = LLVMFloatTypeInContext(c);
    u->t.f64 = LLVMDoubleTypeInContext(c);
    u->t.ptr = LLVMPointerTypeInContext(c, 0);
    u->t.heap = LLVMPointerTypeInContext(c, LLV_HEAP_AS);
    u->t.void_ = LLVMVoidTypeInContext(c);
}

/* Every function keeps rbp as frame pointer (backtraces walk it), never
 * unwinds, writes nothing below rsp, calls no C library function LLVM
 * would otherwise synthesise (memset for a store loop, ...), and keeps its
 * calls real calls: a tail call turned into a jump or a loop would make
 * runaway recursion loop forever instead of exhausting the stack. */
static void attrs_init(struct llv_unit *u)
{
    u->fn_attrs[0] = string_attr(u->ctx, "frame-pointer", "all");
    u->fn_attrs[1] = enum_attr(u->ctx, "nounwind");
    u->fn_attrs[2] = enum_attr(u->ctx, "noredzone");
    u->fn_attrs[3] = string_attr(u->ctx, "no-builtins", "");
    u->fn_attrs[4] = string_attr(u->ctx, "no-trapping-math", "true");
    u->fn_attrs[5] = string_attr(u->ctx, "disable-tail-calls", "true");
    u->noreturn = enum_attr(u->ctx, "noreturn");
}

/* Line tables only (DWARF 4, whose line program elf.c reads): the wasm
 * offset of each instruction survives optimisation as its line, and the
 * line table maps the emitted code back to it. */
static void debug_init(struct llv_unit *u)
{
    u->dib = LLVMCreateDIBuilder(u->mod);
    u->di_file = LLVMDIBuilderCreateFile(u->dib, "wasm", 4, "", 0);
    LLVMDIBuilderCreateCompileUnit(u->dib, LLVMDWARFSourceLanguageC, u->di_file, "trident", 7, 1,
                                   "", 0, 0, "", 0, LLVMDWARFEmissionLineTablesOnly, 0, 0, 0,
                                   "", 0, "", 0);
    u->di_fnty = LLVMDIBuilderCreateSubroutineType(u->dib, u->di_file, NULL, 0, LLVMDIFlagZero);
    LLVMAddModuleFlag(u->mod, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18,
                      md_int(u->t.i32, LLVMDebugMetadataVersion()));
    LLVMAddModuleFlag(u->mod, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13,
                      md_int(u->t.i32, 4));
}

bool llv_unit_init(struct llv_unit *u, const struct module *m, const struct cc_options *o,
                   LLVMTargetMachineRef tm, uint32_t first, uint32_t end, struct err *e)
{
    memset(u, 0, sizeof *u);
    u->m = m;
    u->o = o;
    u->first = first;
    u->end = end;
    if (!cc_vmctx_layout(m, &u->layout))
        return err_set(e, ERR_LIMIT, NO_OFFSET, "module too large for a vmctx");
    u->funcs = calloc(m->nfuncs, sizeof *u->funcs);
    if (!u->funcs)
        return err_set(e, ERR_NOMEM, NO_OFFSET, "out of memory");
    u->ctx = LLVMContextCreate();
    u->mod = LLVMModuleCreateWithNameInContext("wasm", u->ctx);
    u->b = LLVMCreateBuilderInContext(u->ctx);
    LLVMSetTarget(u->mod, LLV_TRIPLE);
    LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(u->mod, dl);
    LLVMDisposeTargetData(dl);
    types_init(u);
    metadata_init(u);
    attrs_init(u);
    debug_init(u);
    /* LLVM emits functions in the module's order, and the artifact wants
     * them in index order: declare them so before any call names another. */
    for (uint32_t i = first; i < end; i++)
        llv_func(u, i);
    return true;
}

void llv_unit_finish(struct llv_unit *u)
{
    LLVMDIBuilderFinalize(u->dib);
}

LLVMMetadataRef llv_subprogram(struct llv_unit *u, LLVMValueRef fn, uint32_t index)
{
    size_t len;
    const char *name = LLVMGetValueName2(fn, &len);
    unsigned line = u->m->funcs[index].code_offset;
    LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(u->dib, u->di_file, name, len, name, len,
                                                     u->di_file, line, u->di_fnty, 0, 1, line,
                                                     LLVMDIFlagZero, 1);
    LLVMSetSubprogram(fn, sp);
    return sp;
}

void llv_unit_free(struct llv_unit *u)
{
    if (u->dib)
        LLVMDisposeDIBuilder(u->dib);
    if (u->b)
        LLVMDisposeBuilder(u->b);
    if (u->mod)
        LLVMDisposeModule(u->mod);
    if (u->ctx)
        LLVMContextDispose(u->ctx);
    free(u->funcs);
    memset(u, 0, sizeof *u);
}

LLVMTypeRef llv_type(const struct llv_unit *u, valtype t)
{
    switch (t) {
    case VT_I32: return u->t.i32;
    case VT_I64: return u->t.i64;
    case VT_F32: return u->t.f32;
    case VT_F64: return u->t.f64;
    case VT_FUNCREF: case VT_EXTERNREF: return u->t.ptr;
    default: return NULL;
    }
}

/* ABI section 1: (vmctx, [results,] params...) -> nothing, or the one result. */
LLVMTypeRef llv_func_type(const struct llv_unit *u, const struct functype *ft)
{
    LLVMTypeRef stack_params[16], *params = stack_params;
    unsigned n = 1 + (ft->nresults > 1) + ft->nparams;
    if (n > ARRAY_LEN(stack_params) && !(params = malloc(n * sizeof *params)))
        return NULL;
    unsigned k = 0;
    params[k++] = u->t.ptr;
    if (ft->nresults > 1)
        params[k++] = u->t.ptr;
    bool ok = true;
    for (uint32_t i = 0; i < ft->nparams; i++)
        ok &= (params[k++] = llv_type(u, ft_params(ft)[i])) != NULL;
    LLVMTypeRef ret = ft->nresults == 1 ? llv_type(u, ft_results(ft)[0]) : u->t.void_;
    LLVMTypeRef fnty = ok && ret ? LLVMFunctionType(ret, params, n, 0) : NULL;
    if (params != stack_params)
        free(params);
    return fnty;
}

LLVMValueRef llv_func(struct llv_unit *u, uint32_t index)
{
    if (u->funcs[index])
        return u->funcs[index];
    char name[24];
    snprintf(name, sizeof name, "f%u", index);
    LLVMTypeRef fnty = llv_func_type(u, dec_func_type(u->m, index));
    if (!fnty)
        return NULL;
    LLVMValueRef fn = LLVMAddFunction(u->mod, name, fnty);
    /* External so LLVM keeps the ABI (no fastcc, no dropped arguments) and
     * the symbol; hidden (hence dso_local) so calls are direct rel32. */
    LLVMSetLinkage(fn, LLVMExternalLinkage);
    LLVMSetVisibility(fn, LLVMHiddenVisibility);
    for (size_t i = 0; i < ARRAY_LEN(u->fn_attrs); i++)
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, u->fn_attrs[i]);
    u->funcs[index] = fn;
    return fn;
}

void llv_no_opt(struct llv_unit *u, LLVMValueRef fn)
{
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, enum_attr(u->ctx, "optnone"));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, enum_attr(u->ctx, "noinline"));
}

void llv_tbaa(struct llv_unit *u, LLVMValueRef access, enum llv_tbaa cls)
{
    LLVMSetMetadata(access, u->md_tbaa, u->tbaa[cls]);
}

void llv_invariant(struct llv_unit *u, LLVMValueRef load)
{
    LLVMSetMetadata(load, u->md_invariant, u->empty_md);
}

LLVMValueRef llv_intrinsic(struct llv_unit *u, const char *name, LLVMTypeRef *types,
                           unsigned ntypes, LLVMTypeRef *fnty)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    *fnty = LLVMIntrinsicGetType(u->ctx, id, types, ntypes);
    return LLVMGetIntrinsicDeclaration(u->mod, id, types, ntypes);
}
