// Window-SSD sub-pixel refinement (radius 1..3, one window row of 8 floats per AVX step), as
// Swift's `subpixelWindowSSDVector` operation for operation (lane-wise sums over the rows, the
// same pairwise horizontal sums, four at once by HADDPS, no FMA contraction), so the results are
// equal bit for bit.
#include "kernels_internal.h"
#include <math.h>

#if RELIEF_X86
static inline float clamp_half(float v) {  // Swift's min(max(v, -0.5), 0.5), NaN kept
    float a = (-0.5f > v) ? -0.5f : v;
    return (0.5f < a) ? 0.5f : a;
}

static inline float parabola(float minus, float centre, float plus) {
    const float curvature = minus - 2 * centre + plus;
    if (!(curvature > 0)) return 0;
    return clamp_half((minus - plus) / (2 * curvature));
}

static inline float zero_mean_ssd(float squares, float firsts, float n) {
    const float mean = firsts / n;
    return squares / n - mean * mean;
}

/// The lane sums of four vectors (lanes cleared where `keep` is not set), each added as Swift's
/// `horizontalSum`: ((v0 + v1) + (v2 + v3)) + ((v4 + v5) + (v6 + v7)), by two rounds of HADDPS.
__attribute__((target("avx2"), always_inline)) static inline __m128 hsum4x8(__m256 a, __m256 b, __m256 c, __m256 d,
                                                                          __m256 keep) {
    const __m256 ab = _mm256_hadd_ps(_mm256_and_ps(a, keep), _mm256_and_ps(b, keep));
    const __m256 cd = _mm256_hadd_ps(_mm256_and_ps(c, keep), _mm256_and_ps(d, keep));
    const __m256 abcd = _mm256_hadd_ps(ab, cd);  // lanes i and i + 4: the halves of sum i
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

__attribute__((target("avx2"))) static int window_avx2(const float *left, const float *right, int width, int height,
                                                        int x, int y, int d, int radius, int iterations, int zeroMean,
                                                        float *result) {
    const int x0 = x - radius;
    if (!(y >= radius && y + radius < height && x0 >= 0 && x0 + 8 <= width && x0 - d - 1 >= 0 && x0 - d + 9 <= width))
        return 0;
    const int side = 2 * radius + 1;
    const __m256 keep = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(side), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
    const long first = (long)(y - radius) * width + x0;
    __m256 minus = _mm256_setzero_ps(), centre = minus, plus = minus, minus1 = minus, centre1 = minus, plus1 = minus;
    for (int row = 0; row < side; row++) {
        const long start = first + (long)row * width;
        const __m256 a = _mm256_loadu_ps(left + start);
        const __m256 em = _mm256_sub_ps(a, _mm256_loadu_ps(right + start - d + 1));
        const __m256 e0 = _mm256_sub_ps(a, _mm256_loadu_ps(right + start - d));
        const __m256 ep = _mm256_sub_ps(a, _mm256_loadu_ps(right + start - d - 1));
        minus = _mm256_add_ps(minus, _mm256_mul_ps(em, em));
        centre = _mm256_add_ps(centre, _mm256_mul_ps(e0, e0));
        plus = _mm256_add_ps(plus, _mm256_mul_ps(ep, ep));
        minus1 = _mm256_add_ps(minus1, em);
        centre1 = _mm256_add_ps(centre1, e0);
        plus1 = _mm256_add_ps(plus1, ep);
    }
    float sums[4], firsts[4];
    _mm_storeu_ps(sums, hsum4x8(minus, centre, plus, minus1, keep));
    const float s0 = sums[0], s1 = sums[1], s2 = sums[2];
    if (isnan(s0) || isnan(s1) || isnan(s2)) return 0;
    const float n = (float)(side * side);
    float offset;
    if (zeroMean) {
        _mm_storeu_ps(firsts, hsum4x8(centre1, plus1, centre1, plus1, keep));
        offset = parabola(zero_mean_ssd(s0, sums[3], n), zero_mean_ssd(s1, firsts[0], n), zero_mean_ssd(s2, firsts[1], n));
    } else {
        offset = parabola(s0 / n, s1 / n, s2 / n);
    }
    for (int it = 0; it < iterations; it++) {
        const float negative = -((float)d + offset);
        const float kf = floorf(negative);
        const long k = (long)kf;
        const __m256 t = _mm256_set1_ps(negative - kf);
        __m256 eg = _mm256_setzero_ps(), gg = eg, e1 = eg, g1 = eg;
        for (int row = 0; row < side; row++) {
            const long start = first + (long)row * width;
            const __m256 a = _mm256_loadu_ps(left + start);
            const __m256 here = _mm256_loadu_ps(right + start + k);
            const __m256 next = _mm256_loadu_ps(right + start + k + 1);
            const __m256 gradient = _mm256_sub_ps(next, here);
            const __m256 residual = _mm256_sub_ps(a, _mm256_add_ps(here, _mm256_mul_ps(t, gradient)));
            eg = _mm256_add_ps(eg, _mm256_mul_ps(residual, gradient));
            gg = _mm256_add_ps(gg, _mm256_mul_ps(gradient, gradient));
            e1 = _mm256_add_ps(e1, residual);
            g1 = _mm256_add_ps(g1, gradient);
        }
        float four[4];
        _mm_storeu_ps(four, hsum4x8(gg, eg, e1, g1, keep));
        float g2 = four[0], eg2 = four[1];
        if (zeroMean) {
            const float e = four[2], g = four[3];
            eg2 -= e * g / n;
            g2 -= g * g / n;
        }
        if (!(g2 > 0)) break;
        offset += clamp_half(-eg2 / g2);
        offset = clamp_half(offset);
    }
    *result = offset;
    return 1;
}
#endif

int32_t relief_subpixel_window(const float *left, const float *right, int32_t width, int32_t height, int32_t x,
                               int32_t y, int32_t disparity, int32_t radius, int32_t iterations, bool zeroMean,
                               float *offset) {
#if RELIEF_X86
    if (radius < 1 || radius > 3 || !relief_cpu_has_avx2()) return 0;
    return window_avx2(left, right, width, height, x, y, disparity, radius, iterations, zeroMean, offset);
#else
    (void)left; (void)right; (void)width; (void)height; (void)x; (void)y; (void)disparity; (void)radius;
    (void)iterations; (void)zeroMean; (void)offset;
    return 0;
#endif
}
