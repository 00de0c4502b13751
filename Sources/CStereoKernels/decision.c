// Winner-takes-all kernels on one pixel's aggregated costs (UInt16, or UInt8 sums widened), as Swift's
// `aggregatedMinimum` and `updateRightWinners`: SSE2 (unsigned 16-bit compares through a sign
// flip), AVX2, scalar off x86-64; and a whole row's decision from them (`relief_decide_row`,
// RowDecider's loop without uniqueness ratio or cost-curve fit; `_narrow` on UInt8 sums).
#include "kernels_internal.h"
#include <math.h>

#if RELIEF_X86
/// Cells k..k+7 (SSE2) or k..k+15 (AVX2) of a sum row as UInt16: loaded, or widened from UInt8.
__attribute__((target("sse2"), always_inline)) static inline __m128i load8_sse2(const void *p, int k, int narrow) {
    if (narrow) return _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)((const uint8_t *)p + k)), _mm_setzero_si128());
    return _mm_loadu_si128((const __m128i *)((const uint16_t *)p + k));
}

__attribute__((target("avx2"), always_inline)) static inline __m256i load16_avx2(const void *p, int k, int narrow) {
    if (narrow) return _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)((const uint8_t *)p + k)));
    return _mm256_loadu_si256((const __m256i *)((const uint16_t *)p + k));
}

__attribute__((target("sse2"), always_inline)) static inline int32_t minimum_sse2(const void *f, const void *b, int count,
                                                                               int stride, uint16_t *total, int narrow) {
    const __m128i flip = _mm_set1_epi16((short)0x8000);
    const __m128i lane = _mm_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7);
    __m128i m = _mm_set1_epi16(0x7FFF);  // UINT16_MAX, flipped
    for (int k = 0; k < stride; k += 8) {
        __m128i s = _mm_add_epi16(load8_sse2(f, k, narrow), load8_sse2(b, k, narrow));
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

__attribute__((target("avx2"), always_inline)) static inline int32_t minimum_avx2(const void *f, const void *b, int count,
                                                                               int stride, uint16_t *total, int narrow) {
    const __m256i lane = _mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m256i m = _mm256_set1_epi16(-1);
    for (int k = 0; k < stride; k += 16) {
        __m256i s = _mm256_add_epi16(load16_avx2(f, k, narrow), load16_avx2(b, k, narrow));
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
__attribute__((target("avx2"), always_inline)) static inline int32_t minimum_few_avx2(const void *f, const void *b,
                                                                                    uint16_t *total, int n, int narrow) {
    __m256i s[4];
    __m256i m = _mm256_set1_epi16(-1);
    for (int k = 0; k < n; k++) {
        s[k] = _mm256_add_epi16(load16_avx2(f, 16 * k, narrow), load16_avx2(b, 16 * k, narrow));
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


/// The decision's minimum for UInt16 or UInt8 (`narrow`) sums: in registers for 32 or 64 cells
/// without padding, else the general loop.
__attribute__((target("avx2"))) static int32_t minimum_pick_avx2(const void *f, const void *b, int count, int stride,
                                                                 uint16_t *total, int narrow) {
    if (narrow) {
        if (count == stride && stride == 32) return minimum_few_avx2(f, b, total, 2, 1);
        if (count == stride && stride == 64) return minimum_few_avx2(f, b, total, 4, 1);
        return minimum_avx2(f, b, count, stride, total, 1);
    }
    if (count == stride && stride == 32) return minimum_few_avx2(f, b, total, 2, 0);
    if (count == stride && stride == 64) return minimum_few_avx2(f, b, total, 4, 0);
    return minimum_avx2(f, b, count, stride, total, 0);
}

__attribute__((target("avx2"))) static int32_t minimum_wide_avx2(const uint16_t *f, const uint16_t *b, int count, int stride,
                                                                 uint16_t *total) {
    return minimum_avx2(f, b, count, stride, total, 0);
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
static inline int32_t minimum_scalar(const void *f, const void *b, int count, int stride, uint16_t *total, int narrow) {
    int index = 0;
    for (int i = 0; i < stride; i++) {
        const int fi = narrow ? ((const uint8_t *)f)[i] : ((const uint16_t *)f)[i];
        const int bi = narrow ? ((const uint8_t *)b)[i] : ((const uint16_t *)b)[i];
        total[i] = i < count ? (uint16_t)(fi + bi) : UINT16_MAX;
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
    return relief_use_avx2(level) ? minimum_wide_avx2(forward, backward, count, stride, total)
                                  : minimum_sse2(forward, backward, count, stride, total, 0);
#else
    (void)level;
    return minimum_scalar(forward, backward, count, stride, total, 0);
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

/// relief_decide_row on UInt16 (`narrow` 0) or UInt8 sums, a constant after inlining.
__attribute__((always_inline)) static inline void decide_row(
    const void *forward, const void *backward, int narrow, int32_t width, int32_t count, int32_t stride,
    int32_t rightLength, const int32_t *offsets, int32_t minDisparity, const bool *leftValid, const bool *rightValid,
    int32_t tolerance, uint16_t *total, uint16_t *rightCost, uint16_t *rightIndex, int64_t *leftWinner, float *out,
    ReliefKernelLevel level) {
    const size_t cell = narrow ? 1 : 2;
#if RELIEF_X86
    const int avx2 = relief_use_avx2(level);
#else
    (void)level;
#endif
    for (int i = 0; i < rightLength; i++) rightCost[i] = UINT16_MAX;
    for (int x = 0; x < width; x++) leftWinner[x] = INT64_MIN;
    for (int x = 0; x < width; x++) {
        if (!leftValid[x]) continue;
        const void *f = (const uint8_t *)forward + (size_t)x * stride * cell;
        const void *b = (const uint8_t *)backward + (size_t)x * stride * cell;
        const int windowStart = offsets ? offsets[x] : 0;
#if RELIEF_X86
        // One of the two sum rows was stored half a tile ago and is read from memory: fetched 8
        // pixels ahead (Cones: the minimum's perf samples -15 %; reads past the row's end are hints).
        {
            const size_t ahead = (size_t)8 * stride * cell;
            _mm_prefetch((const char *)f + ahead, _MM_HINT_T0);
            _mm_prefetch((const char *)b + ahead, _MM_HINT_T0);
        }
        int best;
        if (!avx2) best = minimum_sse2(f, b, count, stride, total, narrow);
        else best = minimum_pick_avx2(f, b, count, stride, total, narrow);
        if (tolerance >= 0) {
            if (avx2) winners_avx2(total, stride, x - windowStart, width, rightCost, rightIndex, windowStart);
            else winners_sse2(total, stride, x - windowStart, width, rightCost, rightIndex, windowStart);
        }
#else
        const int best = minimum_scalar(f, b, count, stride, total, narrow);
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

void relief_decide_row(const uint16_t *forward, const uint16_t *backward, int32_t width, int32_t count,
                       int32_t stride, int32_t rightLength, const int32_t *offsets, int32_t minDisparity,
                       const bool *leftValid, const bool *rightValid, int32_t tolerance, uint16_t *total,
                       uint16_t *rightCost, uint16_t *rightIndex, int64_t *leftWinner, float *out,
                       ReliefKernelLevel level) {
    decide_row(forward, backward, 0, width, count, stride, rightLength, offsets, minDisparity, leftValid, rightValid,
               tolerance, total, rightCost, rightIndex, leftWinner, out, level);
}

void relief_decide_row_narrow(const uint8_t *forward, const uint8_t *backward, int32_t width, int32_t count,
                              int32_t stride, int32_t rightLength, const int32_t *offsets, int32_t minDisparity,
                              const bool *leftValid, const bool *rightValid, int32_t tolerance, uint16_t *total,
                              uint16_t *rightCost, uint16_t *rightIndex, int64_t *leftWinner, float *out,
                              ReliefKernelLevel level) {
    decide_row(forward, backward, 1, width, count, stride, rightLength, offsets, minDisparity, leftValid, rightValid,
               tolerance, total, rightCost, rightIndex, leftWinner, out, level);
}
