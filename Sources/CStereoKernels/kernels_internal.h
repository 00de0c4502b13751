// Shared by the kernel files: the ISA switch and the per-ISA entry points.
#ifndef RELIEF_KERNELS_INTERNAL_H
#define RELIEF_KERNELS_INTERNAL_H
#include "CStereoKernels.h"
#include <stddef.h>

#if defined(__x86_64__) && !defined(RELIEF_NO_X86)  // RELIEF_NO_X86: check the scalar versions here
#define RELIEF_X86 1
#include <immintrin.h>
#else
#define RELIEF_X86 0
#endif

/// 1 when `level` (Auto resolved by CPUID) selects the AVX2 kernels.
int relief_use_avx2(ReliefKernelLevel level);

#endif
