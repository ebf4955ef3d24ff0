/* CPU features an artifact's code may use. Each artifact file records the
 * features its backend may have emitted; loading refuses it on a CPU that
 * lacks any of them (running it would die of SIGILL at some later call).
 *
 * singlepass and optimizing emit fixed instruction sets; LLVM targets the
 * host CPU (llvm/target.c), so its code may use anything the host has. */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "runtime.h"

enum reg { EAX, EBX, ECX, EDX };

/* Where cpuid reports each feature: leaf, subleaf, register, bit. A
 * feature's mask bit is its index here, recorded in artifact files, so
 * new features go at the end. */
static const struct feature {
    const char *name;
    uint32_t leaf, sub;
    enum reg reg;
    uint8_t bit;
} features[] = {
    {"sse3", 1, 0, ECX, 0},          {"pclmul", 1, 0, ECX, 1},
    {"ssse3", 1, 0, ECX, 9},         {"fma", 1, 0, ECX, 12},
    {"sse4.1", 1, 0, ECX, 19},       {"sse4.2", 1, 0, ECX, 20},
    {"movbe", 1, 0, ECX, 22},        {"popcnt", 1, 0, ECX, 23},
    {"aes", 1, 0, ECX, 25},          {"avx", 1, 0, ECX, 28},
    {"f16c", 1, 0, ECX, 29},         {"bmi1", 7, 0, EBX, 3},
    {"avx2", 7, 0, EBX, 5},          {"bmi2", 7, 0, EBX, 8},
    {"avx512f", 7, 0, EBX, 16},      {"avx512dq", 7, 0, EBX, 17},
    {"adx", 7, 0, EBX, 19},          {"avx512ifma", 7, 0, EBX, 21},
    {"avx512cd", 7, 0, EBX, 28},     {"sha", 7, 0, EBX, 29},
    {"avx512bw", 7, 0, EBX, 30},     {"avx512vl", 7, 0, EBX, 31},
    {"avx512vbmi", 7, 0, ECX, 1},    {"avx512vbmi2", 7, 0, ECX, 6},
    {"gfni", 7, 0, ECX, 8},          {"vaes", 7, 0, ECX, 9},
    {"vpclmulqdq", 7, 0, ECX, 10},   {"avx512vnni", 7, 0, ECX, 11},
    {"avx512bitalg", 7, 0, ECX, 12}, {"avx512vpopcntdq", 7, 0, ECX, 14},
    {"avx512fp16", 7, 0, EDX, 23},   {"avxvnni", 7, 1, EAX, 4},
    {"avx512bf16", 7, 1, EAX, 5},    {"lzcnt", 0x80000001, 0, ECX, 5},
};
enum { NFEATURES = sizeof features / sizeof features[0] };
_Static_assert(NFEATURES < 64, "features fit a 64-bit mask");

static uint64_t bit_of(const char *name)
{
    for (size_t i = 0; i < NFEATURES; i++)
        if (!strcmp(features[i].name, name))
            return 1ull << i;
    return 0;
}

static uint32_t leaf_reg(uint32_t leaf, uint32_t sub, enum reg reg)
{
    unsigned r[4] = {0};
    if (!__get_cpuid_count(leaf, sub, &r[EAX], &r[EBX], &r[ECX], &r[EDX]))
        return 0;
    return r[reg];
}

/* AVX state (and AVX-512 state) must be enabled by the OS, not just
 * present in the CPU, or its instructions fault. */
static uint64_t os_support(uint64_t have)
{
    uint32_t xcr0 = 0;
    if (leaf_reg(1, 0, ECX) & (1u << 27)) { /* OSXSAVE: xgetbv is allowed */
        uint32_t hi;
        __asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(hi) : "c"(0));
    }
    uint64_t avx = bit_of("avx") | bit_of("avx2") | bit_of("fma") | bit_of("f16c") |
                   bit_of("vaes") | bit_of("vpclmulqdq") | bit_of("avxvnni");
    uint64_t avx512 = 0;
    for (size_t i = 0; i < NFEATURES; i++)
        if (!strncmp(features[i].name, "avx512", 6))
            avx512 |= 1ull << i;
    if ((xcr0 & 0x6) != 0x6)
        have &= ~(avx | avx512);
    if ((xcr0 & 0xe0) != 0xe0)
        have &= ~avx512;
    return have;
}

static uint64_t host_mask;
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

static void detect(void)
{
    uint64_t have = 0;
    for (size_t i = 0; i < NFEATURES; i++)
        if (leaf_reg(features[i].leaf, features[i].sub, features[i].reg) &
            (1u << features[i].bit))
            have |= 1ull << i;
    host_mask = os_support(have);
}

uint64_t rt_cpu_host(void)
{
    pthread_once(&host_once, detect);
    return host_mask;
}

uint64_t rt_cpu_required(const char *backend)
{
    /* singlepass: SSE4.1 rounding and lane ops, SSSE3 pshufb, popcnt. The
     * optimizing backend adds lzcnt and tzcnt (BMI1). */
    uint64_t base = bit_of("ssse3") | bit_of("sse4.1") | bit_of("popcnt");
    if (!strcmp(backend, "none"))
        return 0;
    if (!strcmp(backend, "singlepass"))
        return base;
    if (!strcmp(backend, "optimizing"))
        return base | bit_of("lzcnt") | bit_of("bmi1");
    return rt_cpu_host(); /* llvm, and backends we know nothing about */
}

size_t rt_cpu_names(uint64_t mask, char *out, size_t n)
{
    size_t w = 0;
    if (n)
        out[0] = 0;
    for (size_t i = 0; i < 64; i++) {
        if (!(mask & (1ull << i)))
            continue;
        char unknown[24];
        snprintf(unknown, sizeof unknown, "feature%zu", i);
        const char *name = i < NFEATURES ? features[i].name : unknown;
        int k = snprintf(out + w, w < n ? n - w : 0, "%s%s", w ? " " : "", name);
        w += k > 0 ? (size_t)k : 0;
    }
    return w;
}
