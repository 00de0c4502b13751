// Dot products of one patch with consecutive windows (the row-offset search's correlations):
// AVX-512 (16 windows per pass), AVX2 (8), and the plain per-window sum, each window's sum formed
// exactly as Swift's `windowDot` (four Float partial sums by column modulo 4, the columns past the
// last multiple of 4 into the first, then (s0 + s1) + (s2 + s3); no FMA contraction), so every
// level gives the same numbers bit for bit.
#include "kernels_internal.h"

/// Swift's `windowDot` for the window at `w`.
static float window_dot(const float *patch, const float *w, int rowStride, int side) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int v = 0; v < side; v++) {
        const float *p = patch + (size_t)v * side, *q = w + (size_t)v * rowStride;
        int u = 0;
        for (; u + 4 <= side; u += 4) {
            s0 += p[u] * q[u];
            s1 += p[u + 1] * q[u + 1];
            s2 += p[u + 2] * q[u + 2];
            s3 += p[u + 3] * q[u + 3];
        }
        for (; u < side; u++) s0 += p[u] * q[u];
    }
    return (s0 + s1) + (s2 + s3);
}

#if RELIEF_X86
/// Windows i..i+7 at once, lane j the window at `windows + i + j`.
__attribute__((target("avx2"))) static void dots_avx2(const float *patch, const float *windows, int rowStride, int side,
                                                       int count, float *out, int *done) {
    int i = *done;
    for (; i + 8 <= count; i += 8) {
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (int v = 0; v < side; v++) {
            const float *p = patch + (size_t)v * side, *q = windows + (size_t)v * rowStride + i;
            int u = 0;
            for (; u + 4 <= side; u += 4) {
                s0 = _mm256_add_ps(s0, _mm256_mul_ps(_mm256_set1_ps(p[u]), _mm256_loadu_ps(q + u)));
                s1 = _mm256_add_ps(s1, _mm256_mul_ps(_mm256_set1_ps(p[u + 1]), _mm256_loadu_ps(q + u + 1)));
                s2 = _mm256_add_ps(s2, _mm256_mul_ps(_mm256_set1_ps(p[u + 2]), _mm256_loadu_ps(q + u + 2)));
                s3 = _mm256_add_ps(s3, _mm256_mul_ps(_mm256_set1_ps(p[u + 3]), _mm256_loadu_ps(q + u + 3)));
            }
            for (; u < side; u++) s0 = _mm256_add_ps(s0, _mm256_mul_ps(_mm256_set1_ps(p[u]), _mm256_loadu_ps(q + u)));
        }
        _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    }
    *done = i;
}

/// Windows i..i+15 at once.
__attribute__((target("avx512f"))) static void dots_avx512(const float *patch, const float *windows, int rowStride,
                                                            int side, int count, float *out, int *done) {
    int i = *done;
    for (; i + 16 <= count; i += 16) {
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (int v = 0; v < side; v++) {
            const float *p = patch + (size_t)v * side, *q = windows + (size_t)v * rowStride + i;
            int u = 0;
            for (; u + 4 <= side; u += 4) {
                s0 = _mm512_add_ps(s0, _mm512_mul_ps(_mm512_set1_ps(p[u]), _mm512_loadu_ps(q + u)));
                s1 = _mm512_add_ps(s1, _mm512_mul_ps(_mm512_set1_ps(p[u + 1]), _mm512_loadu_ps(q + u + 1)));
                s2 = _mm512_add_ps(s2, _mm512_mul_ps(_mm512_set1_ps(p[u + 2]), _mm512_loadu_ps(q + u + 2)));
                s3 = _mm512_add_ps(s3, _mm512_mul_ps(_mm512_set1_ps(p[u + 3]), _mm512_loadu_ps(q + u + 3)));
            }
            for (; u < side; u++) s0 = _mm512_add_ps(s0, _mm512_mul_ps(_mm512_set1_ps(p[u]), _mm512_loadu_ps(q + u)));
        }
        _mm512_storeu_ps(out + i, _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    }
    *done = i;
}
#endif

void relief_window_dots(const float *patch, const float *windows, int32_t rowStride, int32_t side, int32_t count,
                        float *out, ReliefKernelLevel level) {
    int done = 0;
#if RELIEF_X86
    if (level == ReliefKernelAuto && relief_cpu_has_avx512()) dots_avx512(patch, windows, rowStride, side, count, out, &done);
    if (relief_use_avx2(level)) dots_avx2(patch, windows, rowStride, side, count, out, &done);
#else
    (void)level;
#endif
    for (int i = done; i < count; i++) out[i] = window_dot(patch, windows + i, rowStride, side);
}
