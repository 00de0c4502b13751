// Run-time choice between the SSE2 and the AVX2 kernels (CPUID, with the OS's YMM state check).
#include "CStereoKernels.h"
#include "kernels_internal.h"

#if RELIEF_X86
#include <cpuid.h>

static int detect_avx2(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned osxsave = 1u << 27, avx = 1u << 28;
    if ((c & osxsave) == 0 || (c & avx) == 0) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;  // XMM and YMM state enabled by the OS
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & (1u << 5)) != 0;
}

static int detect_avx512(void) {
    if (!detect_avx2()) return 0;
    unsigned a, b, c, d;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xE6) != 0xE6) return 0;  // XMM, YMM, opmask and both ZMM states enabled by the OS
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & (1u << 16)) != 0 && (b & (1u << 31)) != 0;  // AVX512F, AVX512VL
}
#endif

bool relief_cpu_has_avx512_popcount(void) {
#if RELIEF_X86
    static int cached = -1;  // benign race: every thread computes the same value
    if (cached < 0) {
        unsigned a, b, c, d;
        cached = relief_cpu_has_avx512() && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 14)) != 0;
    }
    return cached == 1;
#else
    return false;
#endif
}

bool relief_cpu_has_avx512(void) {
#if RELIEF_X86
    static int cached = -1;  // benign race: every thread computes the same value
    if (cached < 0) cached = detect_avx512();
    return cached == 1;
#else
    return false;
#endif
}

bool relief_cpu_has_avx2(void) {
#if RELIEF_X86
    static int cached = -1;  // benign race: every thread computes the same value
    if (cached < 0) cached = detect_avx2();
    return cached == 1;
#else
    return false;
#endif
}

int relief_use_avx2(ReliefKernelLevel level) {
    if (level == ReliefKernelAVX2) return 1;
    if (level == ReliefKernelBaseline) return 0;
    return relief_cpu_has_avx2();
}
