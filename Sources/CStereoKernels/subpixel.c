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

/// One window row's differences at d - 1, d, d + 1 (`a` minus each right row), added to the
/// sums of squares `acc[0..2]` and the plain sums `acc[3..5]` (products and sums rounded apart).
__attribute__((target("avx2"), always_inline)) static inline void add_differences(__m256 a, __m256 rm, __m256 r0,
                                                                                 __m256 rp, __m256 *acc) {
    const __m256 em = _mm256_sub_ps(a, rm), e0 = _mm256_sub_ps(a, r0), ep = _mm256_sub_ps(a, rp);
    acc[0] = _mm256_add_ps(acc[0], _mm256_mul_ps(em, em));
    acc[1] = _mm256_add_ps(acc[1], _mm256_mul_ps(e0, e0));
    acc[2] = _mm256_add_ps(acc[2], _mm256_mul_ps(ep, ep));
    acc[3] = _mm256_add_ps(acc[3], em);
    acc[4] = _mm256_add_ps(acc[4], e0);
    acc[5] = _mm256_add_ps(acc[5], ep);
}

/// One window row of a Gauss-Newton step on the right row linearly interpolated at t between
/// `here` and `next`: acc[0] += residual x gradient, acc[1] += gradient², acc[2] += residual,
/// acc[3] += gradient.
__attribute__((target("avx2"), always_inline)) static inline void add_step(__m256 a, __m256 here, __m256 next, __m256 t,
                                                                          __m256 *acc) {
    const __m256 gradient = _mm256_sub_ps(next, here);
    const __m256 residual = _mm256_sub_ps(a, _mm256_add_ps(here, _mm256_mul_ps(t, gradient)));
    acc[0] = _mm256_add_ps(acc[0], _mm256_mul_ps(residual, gradient));
    acc[1] = _mm256_add_ps(acc[1], _mm256_mul_ps(gradient, gradient));
    acc[2] = _mm256_add_ps(acc[2], residual);
    acc[3] = _mm256_add_ps(acc[3], gradient);
}

/// True when window_avx2 can measure pixel x (its 8-wide loads inside the row and the image).
static inline int window_inside(int width, int height, int x, int y, long d, int radius) {
    const long x0 = x - radius;
    return y >= radius && y + radius < height && x0 >= 0 && x0 + 8 <= width && x0 - d - 1 >= 0 && x0 - d + 9 <= width;
}

__attribute__((target("avx2"))) static int window_avx2(const float *left, const float *right, int width, int height,
                                                        int x, int y, int d, int radius, int iterations, int zeroMean,
                                                        float *result) {
    if (!window_inside(width, height, x, y, d, radius)) return 0;
    const int x0 = x - radius;
    const int side = 2 * radius + 1;
    const __m256 keep = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(side), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
    const long first = (long)(y - radius) * width + x0;
    // acc: squares at d - 1, d, d + 1, then the plain differences.
    __m256 acc[6];
    for (int k = 0; k < 6; k++) acc[k] = _mm256_setzero_ps();
    for (int row = 0; row < side; row++) {
        const long start = first + (long)row * width;
        add_differences(_mm256_loadu_ps(left + start), _mm256_loadu_ps(right + start - d + 1),
                        _mm256_loadu_ps(right + start - d), _mm256_loadu_ps(right + start - d - 1), acc);
    }
    float sums[4], firsts[4];
    _mm_storeu_ps(sums, hsum4x8(acc[0], acc[1], acc[2], acc[3], keep));
    const float s0 = sums[0], s1 = sums[1], s2 = sums[2];
    if (isnan(s0) || isnan(s1) || isnan(s2)) return 0;
    const float n = (float)(side * side);
    float offset;
    if (zeroMean) {
        _mm_storeu_ps(firsts, hsum4x8(acc[4], acc[5], acc[4], acc[5], keep));
        offset = parabola(zero_mean_ssd(s0, sums[3], n), zero_mean_ssd(s1, firsts[0], n), zero_mean_ssd(s2, firsts[1], n));
    } else {
        offset = parabola(s0 / n, s1 / n, s2 / n);
    }
    for (int it = 0; it < iterations; it++) {
        const float negative = -((float)d + offset);
        const float kf = floorf(negative);
        const long k = (long)kf;
        const __m256 t = _mm256_set1_ps(negative - kf);
        __m256 step[4];
        for (int q = 0; q < 4; q++) step[q] = _mm256_setzero_ps();
        for (int row = 0; row < side; row++) {
            const long start = first + (long)row * width;
            add_step(_mm256_loadu_ps(left + start), _mm256_loadu_ps(right + start + k), _mm256_loadu_ps(right + start + k + 1),
                     t, step);
        }
        float four[4];
        _mm_storeu_ps(four, hsum4x8(step[1], step[0], step[2], step[3], keep));
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

/// window_avx2 for the 8 pixels xg..xg+7 of a row at once, one pixel per lane: the same
/// operations in the same order per pixel (a column of the window per step, its rows summed in
/// order, then the columns as hsum4x8 adds them: ((q0+q1)+(q2+q3))+((q4+q5)+(q6+q7)), columns
/// from 2r+1 on zero), so each lane equals window_avx2 bit for bit. Each lane's right samples are
/// picked from two 8-wide loads by VPERMT2PS, so the lanes' disparities may differ by up to 6.
/// Returns the mask of the lanes it measured (a winner, inside, no NaN); the others are left to
/// the caller.
__attribute__((target("avx2,avx512f,avx512vl"))) static unsigned lanes_avx512(
    const float *left, const float *right, int width, int height, int xg, int y, const int64_t *winners,
    int radius, int iterations, int zeroMean, float *offsets)
{
    if (y < radius || y + radius >= height) return 0;
    int di[8];
    unsigned active = 0;
    long dlo = 0, dhi = 0;
    for (int i = 0; i < 8 && xg + i < width; i++) {
        const int64_t w = winners[xg + i];
        if (w == INT64_MIN || !window_inside(width, height, xg + i, y, w, radius)) continue;
        if (active == 0 || w < dlo) dlo = w;
        if (active == 0 || w > dhi) dhi = w;
        active |= 1u << i;
    }
    if (__builtin_popcount(active) < 2 || dhi - dlo > 6) return 0;
    for (int i = 0; i < 8; i++) di[i] = (active >> i) & 1 ? (int)winners[xg + i] : (int)dhi;
    // Every load inside the images (rows are contiguous: lanes read neighbouring rows' samples
    // only where they are not picked).
    const long total = (long)width * height;
    const long top = (long)(y - radius) * width, bottom = (long)(y + radius) * width;
    if (top + xg - radius - 1 - dhi < 0 || top + xg - radius < 0) return 0;
    if (bottom + xg + radius + 1 - dhi + 16 > total || bottom + xg + radius + 8 > total) return 0;

    const int side = 2 * radius + 1;
    const __m256i d = _mm256_loadu_si256((const __m256i *)di);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i pick = _mm256_add_epi32(lane, _mm256_sub_epi32(_mm256_set1_epi32((int)dhi), d));
    const __m256 zero = _mm256_setzero_ps();
    // Pass 1: the squared and plain differences at d - 1, d, d + 1 per window column.
    __m256 q[6][8];
    for (int c = 0; c < 8; c++)
        for (int k = 0; k < 6; k++) q[k][c] = zero;
    if (dlo == dhi && bottom + xg - radius + 17 - dhi <= total && bottom + xg - radius + 16 <= total) {
        // One disparity for every lane: lane i's column c is image column xg - r + c + i for all
        // of them, so the column sums are computed once per image column, for the 16 columns from
        // xg - r (rows summed in the same order: the same numbers), and lane i of column c taken
        // from column c + i by VALIGND.
        __m256 lo[6] = {zero, zero, zero, zero, zero, zero}, hi[6] = {zero, zero, zero, zero, zero, zero};
        for (int row = 0; row < side; row++) {
            const long start = top + (long)row * width;
            const float *a = left + start + xg - radius, *r = right + start + xg - radius - dhi;
            add_differences(_mm256_loadu_ps(a), _mm256_loadu_ps(r + 1), _mm256_loadu_ps(r), _mm256_loadu_ps(r - 1), lo);
            add_differences(_mm256_loadu_ps(a + 8), _mm256_loadu_ps(r + 9), _mm256_loadu_ps(r + 8), _mm256_loadu_ps(r + 7), hi);
        }
        for (int k = 0; k < 6; k++) {
            const __m256i l = _mm256_castps_si256(lo[k]), h = _mm256_castps_si256(hi[k]);
            q[k][0] = lo[k];
            q[k][1] = _mm256_castsi256_ps(_mm256_alignr_epi32(h, l, 1));
            q[k][2] = _mm256_castsi256_ps(_mm256_alignr_epi32(h, l, 2));
            if (side > 3) {
                q[k][3] = _mm256_castsi256_ps(_mm256_alignr_epi32(h, l, 3));
                q[k][4] = _mm256_castsi256_ps(_mm256_alignr_epi32(h, l, 4));
            }
            if (side > 5) {
                q[k][5] = _mm256_castsi256_ps(_mm256_alignr_epi32(h, l, 5));
                q[k][6] = _mm256_castsi256_ps(_mm256_alignr_epi32(h, l, 6));
            }
        }
    } else {
        for (int c = 0; c < side; c++) {
            __m256 acc[6] = {zero, zero, zero, zero, zero, zero};
            for (int row = 0; row < side; row++) {
                const long start = top + (long)row * width;
                const float *r = right + start + xg - radius + c - dhi;
                add_differences(_mm256_loadu_ps(left + start + xg - radius + c),
                                _mm256_permutex2var_ps(_mm256_loadu_ps(r + 1), pick, _mm256_loadu_ps(r + 9)),
                                _mm256_permutex2var_ps(_mm256_loadu_ps(r), pick, _mm256_loadu_ps(r + 8)),
                                _mm256_permutex2var_ps(_mm256_loadu_ps(r - 1), pick, _mm256_loadu_ps(r + 7)), acc);
            }
            for (int k = 0; k < 6; k++) q[k][c] = acc[k];
        }
    }
#define RELIEF_TREE(v) _mm256_add_ps(_mm256_add_ps(_mm256_add_ps((v)[0], (v)[1]), _mm256_add_ps((v)[2], (v)[3])), \
                                     _mm256_add_ps(_mm256_add_ps((v)[4], (v)[5]), _mm256_add_ps((v)[6], (v)[7])))
    const __m256 s0 = RELIEF_TREE(q[0]), s1 = RELIEF_TREE(q[1]), s2 = RELIEF_TREE(q[2]);
    // NaN in any of the three sums: window_avx2 declines (the caller falls back).
    const __m256 ordered = _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(s0, s0, _CMP_ORD_Q), _mm256_cmp_ps(s1, s1, _CMP_ORD_Q)),
                                         _mm256_cmp_ps(s2, s2, _CMP_ORD_Q));
    active &= (unsigned)_mm256_movemask_ps(ordered);
    if (active == 0) return 0;
    const __m256 n = _mm256_set1_ps((float)(side * side));
    const __m256 two = _mm256_set1_ps(2.0f), half = _mm256_set1_ps(0.5f), minusHalf = _mm256_set1_ps(-0.5f);
    const __m256 sign = _mm256_set1_ps(-0.0f);
#define RELIEF_CLAMP(v) _mm256_min_ps(half, _mm256_max_ps(minusHalf, (v)))
    __m256 m = s0, c0 = s1, p = s2;
    if (zeroMean) {
        const __m256 f0 = RELIEF_TREE(q[3]), f1 = RELIEF_TREE(q[4]), f2 = RELIEF_TREE(q[5]);
        const __m256 mean0 = _mm256_div_ps(f0, n), mean1 = _mm256_div_ps(f1, n), mean2 = _mm256_div_ps(f2, n);
        m = _mm256_sub_ps(_mm256_div_ps(s0, n), _mm256_mul_ps(mean0, mean0));
        c0 = _mm256_sub_ps(_mm256_div_ps(s1, n), _mm256_mul_ps(mean1, mean1));
        p = _mm256_sub_ps(_mm256_div_ps(s2, n), _mm256_mul_ps(mean2, mean2));
    } else {
        m = _mm256_div_ps(s0, n); c0 = _mm256_div_ps(s1, n); p = _mm256_div_ps(s2, n);
    }
    const __m256 curvature = _mm256_add_ps(_mm256_sub_ps(m, _mm256_mul_ps(two, c0)), p);
    __m256 offset = _mm256_and_ps(_mm256_cmp_ps(curvature, zero, _CMP_GT_OQ),
                                  RELIEF_CLAMP(_mm256_div_ps(_mm256_sub_ps(m, p), _mm256_mul_ps(two, curvature))));
    // Gauss-Newton steps on the linearly interpolated right image.
    const __m256 df = _mm256_cvtepi32_ps(d);
    unsigned running = active;
    for (int it = 0; it < iterations && running; it++) {
        const __m256 negative = _mm256_xor_ps(_mm256_add_ps(df, offset), sign);
        const __m256 kf = _mm256_floor_ps(negative);
        const __m256 t = _mm256_sub_ps(negative, kf);
        // k = -d - 1 + b with b in {0, 1} while the offset is in [-0.5, 0.5]; other lanes fall back.
        const __m256i b = _mm256_add_epi32(_mm256_cvttps_epi32(kf), _mm256_add_epi32(d, _mm256_set1_epi32(1)));
        const unsigned inRange = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(
            _mm256_cmpeq_epi32(_mm256_and_si256(b, _mm256_set1_epi32(~1)), _mm256_setzero_si256())));
        active &= inRange | ~running;
        running &= inRange;
        if (!running) break;
        const __m256i here = _mm256_add_epi32(pick, b), next = _mm256_add_epi32(here, _mm256_set1_epi32(1));
        __m256 g[4][8];
        for (int c = 0; c < 8; c++) {
            for (int k = 0; k < 4; k++) g[k][c] = zero;
            if (c >= side) continue;
            __m256 step[4] = {zero, zero, zero, zero};
            for (int row = 0; row < side; row++) {
                const long start = top + (long)row * width;
                const float *r = right + start + xg - radius + c - 1 - dhi;
                const __m256 lo = _mm256_loadu_ps(r), hi = _mm256_loadu_ps(r + 8);
                add_step(_mm256_loadu_ps(left + start + xg - radius + c), _mm256_permutex2var_ps(lo, here, hi),
                         _mm256_permutex2var_ps(lo, next, hi), t, step);
            }
            g[0][c] = step[1]; g[1][c] = step[0]; g[2][c] = step[2]; g[3][c] = step[3];
        }
        __m256 g2 = RELIEF_TREE(g[0]), eg2 = RELIEF_TREE(g[1]);
        if (zeroMean) {
            const __m256 e = RELIEF_TREE(g[2]), gs = RELIEF_TREE(g[3]);
            eg2 = _mm256_sub_ps(eg2, _mm256_div_ps(_mm256_mul_ps(e, gs), n));
            g2 = _mm256_sub_ps(g2, _mm256_div_ps(_mm256_mul_ps(gs, gs), n));
        }
        const unsigned positive = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(g2, zero, _CMP_GT_OQ));
        const unsigned step = running & positive;
        const __m256 moved = RELIEF_CLAMP(_mm256_add_ps(offset, RELIEF_CLAMP(_mm256_div_ps(_mm256_xor_ps(eg2, sign), g2))));
        const __m256 take = _mm256_castsi256_ps(_mm256_cmpgt_epi32(
            _mm256_and_si256(_mm256_set1_epi32((int)step), _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128)),
            _mm256_setzero_si256()));
        offset = _mm256_blendv_ps(offset, moved, take);
        running = step;
    }
#undef RELIEF_TREE
#undef RELIEF_CLAMP
    float out[8];
    _mm256_storeu_ps(out, offset);
    for (int i = 0; i < 8; i++)
        if ((active >> i) & 1) offsets[xg + i] = out[i];
    return active;
}
#endif

#if RELIEF_X86
/// Swift's plain `subpixelWindowSSD` (the window clipped to the image, NaN pixels skipped, the
/// right samples' bounds checked one by one), operation for operation in scalar float arithmetic
/// (no FMA contraction), so equal to it bit for bit: what `subpixelWindowSSDVector` falls back to
/// near the borders and where a window holds NaN. Returns 0 where it returns nil (no valid pair).
static int window_plain(const float *left, const float *right, int width, int height, int x, int y, int64_t d,
                        int radius, int iterations, int zeroMean, float *result) {
#pragma clang fp contract(off)
    float s0 = 0, s1 = 0, s2 = 0, f0 = 0, f1 = 0, f2 = 0;
    long c0 = 0, c1 = 0, c2 = 0;
    const int y0 = y - radius > 0 ? y - radius : 0, y1 = y + radius < height - 1 ? y + radius : height - 1;
    const int x0 = x - radius > 0 ? x - radius : 0, x1 = x + radius < width - 1 ? x + radius : width - 1;
    for (int wy = y0; wy <= y1; wy++) {
        const long row = (long)wy * width;
        for (int wx = x0; wx <= x1; wx++) {
            const float l = left[row + wx];
            if (isnan(l)) continue;
            const int64_t xr = wx - d;
            if (xr + 1 < width && xr + 1 >= 0) {
                const float r = right[row + xr + 1];
                if (!isnan(r)) { s0 += (l - r) * (l - r); f0 += l - r; c0++; }  // d - 1
            }
            if (xr < width && xr >= 0) {
                const float r = right[row + xr];
                if (!isnan(r)) { s1 += (l - r) * (l - r); f1 += l - r; c1++; }
            }
            if (xr - 1 < width && xr - 1 >= 0) {
                const float r = right[row + xr - 1];
                if (!isnan(r)) { s2 += (l - r) * (l - r); f2 += l - r; c2++; }  // d + 1
            }
        }
    }
    if (!(c0 > 0 && c1 > 0 && c2 > 0)) return 0;
    const float n0 = (float)c0, n1 = (float)c1, n2 = (float)c2;
    float offset = zeroMean ? parabola(zero_mean_ssd(s0, f0, n0), zero_mean_ssd(s1, f1, n1), zero_mean_ssd(s2, f2, n2))
                            : parabola(s0 / n0, s1 / n1, s2 / n2);
    for (int it = 0; it < iterations; it++) {
        const float shift = (float)d + offset;
        float eg = 0, gg = 0, e = 0, g = 0, used = 0;
        for (int wy = y0; wy <= y1; wy++) {
            const long row = (long)wy * width;
            for (int wx = x0; wx <= x1; wx++) {
                const float l = left[row + wx];
                // Right samples at xr - 1, xr, xr + 1 (linear interpolation).
                const float xr = (float)wx - shift;
                const float down = floorf(xr);
                if (isnan(l) || !(down >= 0)) continue;
                const long i = (long)down;
                if (!(i + 1 < width)) continue;
                const float t = xr - (float)i;
                const float b = right[row + i], c = right[row + i + 1];
                const float r = b + t * (c - b);
                const float gradient = c - b;  // derivative of the linear interpolant
                const float residual = l - r;
                if (isnan(residual) || isnan(gradient)) continue;
                eg += residual * gradient;
                gg += gradient * gradient;
                e += residual;
                g += gradient;
                used += 1;
            }
        }
        if (zeroMean && used > 0) {
            eg -= e * g / used;
            gg -= g * g / used;
        }
        if (!(gg > 0)) break;
        offset += clamp_half(-eg / gg);
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

int32_t relief_subpixel_window_row(const float *left, const float *right, int32_t width, int32_t height, int32_t y,
                                   const int64_t *winners, int32_t radius, int32_t iterations, bool zeroMean,
                                   float *offsets, uint8_t *done) {
    int32_t laned = 0;
#if RELIEF_X86
    const int avx2 = radius >= 1 && radius <= 3 && relief_cpu_has_avx2();
    const int avx512 = avx2 && relief_cpu_has_avx512();
    for (int xg = 0; xg < width; xg += 8) {
        const unsigned measured = avx512 ? lanes_avx512(left, right, width, height, xg, y, winners, radius, iterations,
                                                        zeroMean, offsets) : 0;
        laned += __builtin_popcount(measured);
        for (int i = 0; i < 8 && xg + i < width; i++) {
            const int x = xg + i;
            if ((measured >> i) & 1) { done[x] = 1; continue; }
            const int64_t w = winners[x];
            // Checked here too so that (int)w is taken only for a disparity inside the image.
            if (w == INT64_MIN || !avx2) { done[x] = 0; continue; }
            if (window_inside(width, height, x, y, w, radius)
                && window_avx2(left, right, width, height, x, y, (int)w, radius, iterations, zeroMean, &offsets[x])) {
                done[x] = 1;
                continue;
            }
            // Near a border or with NaN in the window: what subpixelWindowSSDVector falls back to
            // (its nil as offset 0, as the caller takes it).
            if (!window_plain(left, right, width, height, x, y, w, radius, iterations, zeroMean, &offsets[x])) offsets[x] = 0;
            done[x] = 1;
        }
    }
#else
    (void)left; (void)right; (void)height; (void)y; (void)winners; (void)radius; (void)iterations; (void)zeroMean;
    (void)offsets;
    for (int x = 0; x < width; x++) done[x] = 0;
#endif
    return laned;
}
