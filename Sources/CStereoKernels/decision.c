// Winner-takes-all kernels on one pixel's aggregated costs (UInt16), as Swift's
// `aggregatedMinimum` and `updateRightWinners`: SSE2 (unsigned 16-bit compares through a sign
// flip), AVX2, scalar off x86-64; and a whole row's decision from them (`relief_decide_row`,
// RowDecider's loop without uniqueness ratio or cost-curve fit).
#include "kernels_internal.h"
#include <math.h>

#if RELIEF_X86
__attribute__((target("sse2"))) static int32_t minimum_sse2(const uint16_t *f, const uint16_t *b, int count,
                                                             int stride, uint16_t *total) {
    const __m128i flip = _mm_set1_epi16((short)0x8000);
    const __m128i lane = _mm_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7);
    __m128i m = _mm_set1_epi16(0x7FFF);  // UINT16_MAX, flipped
    for (int k = 0; k < stride; k += 8) {
        __m128i s = _mm_add_epi16(_mm_loadu_si128((const __m128i *)(f + k)), _mm_loadu_si128((const __m128i *)(b + k)));
        int remaining = count - k;
        if (remaining < 8) {
            if (remaining < 0) remaining = 0;
            __m128i pad = _mm_cmpgt_epi16(_mm_set1_epi16((short)remaining), lane);  // valid lanes
            s = _mm_or_si128(_mm_and_si128(pad, s), _mm_andnot_si128(pad, _mm_set1_epi16(-1)));
        }
        _mm_storeu_si128((__m128i *)(total + k), s);
        m = _mm_min_epi16(m, _mm_xor_si128(s, flip));
    }
    m = _mm_min_epi16(m, _mm_srli_si128(m, 8));
    m = _mm_min_epi16(m, _mm_srli_si128(m, 4));
    m = _mm_min_epi16(m, _mm_srli_si128(m, 2));
    const __m128i target = _mm_xor_si128(_mm_shufflelo_epi16(m, 0), flip);
    const __m128i all = _mm_unpacklo_epi64(target, target);
    for (int k = 0;; k += 8) {
        int mask = _mm_movemask_epi8(_mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(total + k)), all));
        if (mask) return k + __builtin_ctz((unsigned)mask) / 2;
    }
}

__attribute__((target("avx2"))) static int32_t minimum_avx2(const uint16_t *f, const uint16_t *b, int count,
                                                             int stride, uint16_t *total) {
    const __m256i lane = _mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m256i m = _mm256_set1_epi16(-1);
    for (int k = 0; k < stride; k += 16) {
        __m256i s = _mm256_add_epi16(_mm256_loadu_si256((const __m256i *)(f + k)),
                                     _mm256_loadu_si256((const __m256i *)(b + k)));
        int remaining = count - k;
        if (remaining < 16) {
            if (remaining < 0) remaining = 0;
            __m256i valid = _mm256_cmpgt_epi16(_mm256_set1_epi16((short)remaining), lane);
            s = _mm256_or_si256(s, _mm256_andnot_si256(valid, _mm256_set1_epi16(-1)));
        }
        _mm256_storeu_si256((__m256i *)(total + k), s);
        m = _mm256_min_epu16(m, s);
    }
    __m128i h = _mm_min_epu16(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    const uint16_t value = (uint16_t)_mm_cvtsi128_si32(_mm_minpos_epu16(h));
    const __m256i target = _mm256_set1_epi16((short)value);
    for (int k = 0;; k += 16) {
        unsigned mask = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi16(_mm256_loadu_si256((const __m256i *)(total + k)), target));
        if (mask) return k + __builtin_ctz(mask) / 2;
    }
}

/// minimum_avx2 for exactly 16n cells (no padding; n = 2 or 4, a constant after inlining): the
/// sums stay in registers, the first index of the minimum found there instead of by a reload.
__attribute__((target("avx2"), always_inline)) static inline int32_t minimum_few_avx2(const uint16_t *f, const uint16_t *b,
                                                                                    uint16_t *total, int n) {
    __m256i s[4];
    __m256i m = _mm256_set1_epi16(-1);
    for (int k = 0; k < n; k++) {
        s[k] = _mm256_add_epi16(_mm256_loadu_si256((const __m256i *)(f + 16 * k)),
                                _mm256_loadu_si256((const __m256i *)(b + 16 * k)));
        _mm256_storeu_si256((__m256i *)(total + 16 * k), s[k]);
        m = _mm256_min_epu16(m, s[k]);
    }
    const __m128i h = _mm_min_epu16(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    const __m256i target = _mm256_broadcastw_epi16(_mm_minpos_epu16(h));
    for (int k = 0; k < n - 1; k++) {
        const unsigned mask = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi16(s[k], target));
        if (mask) return 16 * k + __builtin_ctz(mask) / 2;
    }
    return 16 * (n - 1) + __builtin_ctz((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi16(s[n - 1], target))) / 2;
}

__attribute__((target("avx2"))) static int32_t minimum32_avx2(const uint16_t *f, const uint16_t *b, uint16_t *total) {
    return minimum_few_avx2(f, b, total, 2);
}

__attribute__((target("avx2"))) static int32_t minimum64_avx2(const uint16_t *f, const uint16_t *b, uint16_t *total) {
    return minimum_few_avx2(f, b, total, 4);
}

__attribute__((target("sse2"))) static void winners_sse2(const uint16_t *total, int stride, int x, int width,
                                                          uint16_t *bestCost, uint16_t *bestIndex, int base) {
    const __m128i flip = _mm_set1_epi16((short)0x8000);
    uint16_t *costs = bestCost + (width - 1 - x), *indices = bestIndex + (width - 1 - x);
    __m128i lane = _mm_add_epi16(_mm_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7), _mm_set1_epi16((short)base));
    for (int i = 0; i < stride; i += 8) {
        __m128i candidate = _mm_loadu_si128((const __m128i *)(total + i));
        __m128i current = _mm_loadu_si128((const __m128i *)(costs + i));
        __m128i better = _mm_cmplt_epi16(_mm_xor_si128(candidate, flip), _mm_xor_si128(current, flip));
        _mm_storeu_si128((__m128i *)(costs + i),
                         _mm_or_si128(_mm_and_si128(better, candidate), _mm_andnot_si128(better, current)));
        __m128i index = _mm_loadu_si128((const __m128i *)(indices + i));
        _mm_storeu_si128((__m128i *)(indices + i),
                         _mm_or_si128(_mm_and_si128(better, lane), _mm_andnot_si128(better, index)));
        lane = _mm_add_epi16(lane, _mm_set1_epi16(8));
    }
}

__attribute__((target("avx2"))) static void winners_avx2(const uint16_t *total, int stride, int x, int width,
                                                          uint16_t *bestCost, uint16_t *bestIndex, int base) {
    uint16_t *costs = bestCost + (width - 1 - x), *indices = bestIndex + (width - 1 - x);
    __m256i lane = _mm256_add_epi16(_mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                    _mm256_set1_epi16((short)base));
    for (int i = 0; i < stride; i += 16) {
        __m256i candidate = _mm256_loadu_si256((const __m256i *)(total + i));
        __m256i current = _mm256_loadu_si256((const __m256i *)(costs + i));
        // candidate < current <=> max(candidate, current) != candidate
        __m256i notBetter = _mm256_cmpeq_epi16(_mm256_max_epu16(candidate, current), candidate);
        _mm256_storeu_si256((__m256i *)(costs + i), _mm256_min_epu16(candidate, current));
        __m256i index = _mm256_loadu_si256((const __m256i *)(indices + i));
        _mm256_storeu_si256((__m256i *)(indices + i), _mm256_blendv_epi8(lane, index, notBetter));
        lane = _mm256_add_epi16(lane, _mm256_set1_epi16(16));
    }
}
#else
static int32_t minimum_scalar(const uint16_t *f, const uint16_t *b, int count, int stride, uint16_t *total) {
    int index = 0;
    for (int i = 0; i < stride; i++) {
        total[i] = i < count ? (uint16_t)(f[i] + b[i]) : UINT16_MAX;
        if (total[i] < total[index]) index = i;
    }
    return index;
}

static void winners_scalar(const uint16_t *total, int stride, int x, int width, uint16_t *bestCost, uint16_t *bestIndex,
                           int base) {
    for (int i = 0; i < stride; i++) {
        const int b = width - 1 - x + i;
        if (total[i] < bestCost[b]) { bestCost[b] = total[i]; bestIndex[b] = (uint16_t)(base + i); }
    }
}
#endif

int32_t relief_aggregated_minimum(const uint16_t *forward, const uint16_t *backward, int32_t count, int32_t stride,
                                  uint16_t *total, ReliefKernelLevel level) {
#if RELIEF_X86
    return relief_use_avx2(level) ? minimum_avx2(forward, backward, count, stride, total)
                                  : minimum_sse2(forward, backward, count, stride, total);
#else
    (void)level;
    return minimum_scalar(forward, backward, count, stride, total);
#endif
}

void relief_update_right_winners(const uint16_t *total, int32_t stride, int32_t x, int32_t width,
                                  uint16_t *bestCost, uint16_t *bestIndex, int32_t indexBase, ReliefKernelLevel level) {
#if RELIEF_X86
    if (relief_use_avx2(level)) winners_avx2(total, stride, x, width, bestCost, bestIndex, indexBase);
    else winners_sse2(total, stride, x, width, bestCost, bestIndex, indexBase);
#else
    (void)level;
    winners_scalar(total, stride, x, width, bestCost, bestIndex, indexBase);
#endif
}

void relief_decide_row(const uint16_t *forward, const uint16_t *backward, int32_t width, int32_t count,
                       int32_t stride, int32_t rightLength, const int32_t *offsets, int32_t minDisparity,
                       const bool *leftValid, const bool *rightValid, int32_t tolerance, uint16_t *total,
                       uint16_t *rightCost, uint16_t *rightIndex, int64_t *leftWinner, float *out,
                       ReliefKernelLevel level) {
#if RELIEF_X86
    const int avx2 = relief_use_avx2(level);
#else
    (void)level;
#endif
    for (int i = 0; i < rightLength; i++) rightCost[i] = UINT16_MAX;
    for (int x = 0; x < width; x++) leftWinner[x] = INT64_MIN;
    for (int x = 0; x < width; x++) {
        if (!leftValid[x]) continue;
        const uint16_t *f = forward + (size_t)x * stride, *b = backward + (size_t)x * stride;
        const int windowStart = offsets ? offsets[x] : 0;
#if RELIEF_X86
        int best;
        if (!avx2) best = minimum_sse2(f, b, count, stride, total);
        else if (count == stride && stride == 32) best = minimum32_avx2(f, b, total);
        else if (count == stride && stride == 64) best = minimum64_avx2(f, b, total);
        else best = minimum_avx2(f, b, count, stride, total);
        if (tolerance >= 0) {
            if (avx2) winners_avx2(total, stride, x - windowStart, width, rightCost, rightIndex, windowStart);
            else winners_sse2(total, stride, x - windowStart, width, rightCost, rightIndex, windowStart);
        }
#else
        const int best = minimum_scalar(f, b, count, stride, total);
        if (tolerance >= 0) winners_scalar(total, stride, x - windowStart, width, rightCost, rightIndex, windowStart);
#endif
        const int64_t d = (int64_t)minDisparity + windowStart + best;
        const int64_t xr = x - d;
        if (xr < 0 || xr >= width || !rightValid[xr]) continue;
        leftWinner[x] = d;
        out[x] = (float)d;
    }
    if (tolerance < 0) return;
    for (int x = 0; x < width; x++) {
        const int64_t d = leftWinner[x];
        if (d == INT64_MIN) continue;
        // Reversed slot of x_r = x - d: b = width - 1 - x_r - minDisparity.
        const int64_t b = width - 1 - (x - d) - minDisparity;
        const int64_t right = (int64_t)minDisparity + rightIndex[b];
        const int64_t gap = right > d ? right - d : d - right;
        if (rightCost[b] == UINT16_MAX || gap > tolerance) {
            out[x] = NAN;
            leftWinner[x] = INT64_MIN;
        }
    }
}
