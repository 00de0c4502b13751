// Window-SSD sub-pixel refinement (radius 1..3, one window row of 8 floats per AVX step), as
// Swift's `subpixelWindowSSDVector` operation for operation (lane-wise sums over the rows, the
// same pairwise horizontal sums, no FMA contraction), so the results are equal bit for bit.
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

__attribute__((target("avx2"), always_inline)) static inline float hsum8(__m256 v, __m256 keep) {
    v = _mm256_and_ps(v, keep);
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));  // lanes i + (i + 4)
    __m128 b = _mm_add_ps(a, _mm_movehl_ps(a, a));                                    // (0 + 2), (1 + 3)
    return _mm_cvtss_f32(_mm_add_ss(b, _mm_shuffle_ps(b, b, 1)));
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
    const float s0 = hsum8(minus, keep), s1 = hsum8(centre, keep), s2 = hsum8(plus, keep);
    if (isnan(s0) || isnan(s1) || isnan(s2)) return 0;
    const float n = (float)(side * side);
    float offset = zeroMean
        ? parabola(zero_mean_ssd(s0, hsum8(minus1, keep), n), zero_mean_ssd(s1, hsum8(centre1, keep), n),
                   zero_mean_ssd(s2, hsum8(plus1, keep), n))
        : parabola(s0 / n, s1 / n, s2 / n);
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
        float g2 = hsum8(gg, keep), eg2 = hsum8(eg, keep);
        if (zeroMean) {
            const float e = hsum8(e1, keep), g = hsum8(g1, keep);
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
