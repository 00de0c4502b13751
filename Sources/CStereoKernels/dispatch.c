// Run-time choice between the SSE2, AVX2 and AVX-512 kernels (CPUID, with the OS's register state checks).
#include "CStereoKernels.h"
#include "kernels_internal.h"

/// The instruction sets the kernels use, as bits of one CPUID probe (with the OS's state checks).
enum { FeatureAVX2 = 1, FeatureAVX512 = 2, FeatureAVX512Popcount = 4 };

#if RELIEF_X86
#include <cpuid.h>

static int detect_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned osxsave = 1u << 27, avx = 1u << 28;
    if ((c & osxsave) == 0 || (c & avx) == 0) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;  // XMM and YMM state enabled by the OS
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    if ((b & (1u << 5)) == 0) return 0;  // AVX2
    int features = FeatureAVX2;
    // AVX512F and AVX512VL, with the opmask and both ZMM states enabled by the OS.
    if ((lo & 0xE6) == 0xE6 && (b & (1u << 16)) != 0 && (b & (1u << 31)) != 0) {
        features |= FeatureAVX512;
        if ((c & (1u << 14)) != 0) features |= FeatureAVX512Popcount;  // VPOPCNTDQ
    }
    return features;
}
#endif

static int features(void) {
#if RELIEF_X86
    static int cached = -1;  // benign race: every thread computes the same value
    if (cached < 0) cached = detect_features();
    return cached;
#else
    return 0;
#endif
}

bool relief_cpu_has_avx2(void) { return (features() & FeatureAVX2) != 0; }

bool relief_cpu_has_avx512(void) { return (features() & FeatureAVX512) != 0; }

bool relief_cpu_has_avx512_popcount(void) { return (features() & FeatureAVX512Popcount) != 0; }

int relief_use_avx2(ReliefKernelLevel level) {
    if (level == ReliefKernelAVX2) return 1;
    if (level == ReliefKernelBaseline) return 0;
    return relief_cpu_has_avx2();
}
