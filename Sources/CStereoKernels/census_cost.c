// Census matching costs of one row for codes of at most 32 bits (Hamming distance of the left
// code and the right code at x - d), as Swift's `censusCostRow`: SSE2 (SWAR popcount), AVX2
// (nibble-table popcount, 32 disparities per step) and, where the CPU has AVX-512 VPOPCNTDQ, the
// AVX2 loop with VPOPCNTD (the Auto level), scalar off x86-64.
#include "kernels_internal.h"

#if RELIEF_X86
/// Popcount of four 32-bit lanes (SWAR; Hacker's Delight 5-1).
__attribute__((target("sse2"), always_inline)) static inline __m128i popcount32_sse2(__m128i v) {
    v = _mm_sub_epi32(v, _mm_and_si128(_mm_srli_epi32(v, 1), _mm_set1_epi32(0x55555555)));
    const __m128i m2 = _mm_set1_epi32(0x33333333);
    v = _mm_add_epi32(_mm_and_si128(v, m2), _mm_and_si128(_mm_srli_epi32(v, 2), m2));
    v = _mm_and_si128(_mm_add_epi32(v, _mm_srli_epi32(v, 4)), _mm_set1_epi32(0x0F0F0F0F));
    v = _mm_add_epi32(v, _mm_srli_epi32(v, 8));
    v = _mm_add_epi32(v, _mm_srli_epi32(v, 16));
    return _mm_and_si128(v, _mm_set1_epi32(0x3F));
}

/// 16 costs from disparity index i: (popcount(left ^ right) where both valid, else maxCost).
__attribute__((target("sse2"), always_inline)) static inline void cost16_sse2(
    const uint32_t *codes, const uint32_t *masks, __m128i left, __m128i leftMask, __m128i maxv, uint8_t *out)
{
    __m128i c[4];
    for (int q = 0; q < 4; q++) {
        __m128i right = _mm_loadu_si128((const __m128i *)(codes + 4 * q));
        __m128i valid = _mm_and_si128(_mm_loadu_si128((const __m128i *)(masks + 4 * q)), leftMask);
        __m128i d = popcount32_sse2(_mm_xor_si128(left, right));
        c[q] = _mm_or_si128(_mm_and_si128(d, valid), _mm_andnot_si128(valid, maxv));
    }
    // Costs are <= 64: signed saturation keeps them.
    _mm_storeu_si128((__m128i *)out, _mm_packus_epi16(_mm_packs_epi32(c[0], c[1]), _mm_packs_epi32(c[2], c[3])));
}

__attribute__((target("sse2"))) static void row_sse2(const uint64_t *leftCodes, const bool *leftValid,
                                                     const uint32_t *codes, const uint32_t *masks, int width,
                                                     int stride, uint8_t maxCost, const int32_t *offsets, uint8_t *out) {
    const __m128i maxv = _mm_set1_epi32(maxCost);
    for (int x = 0; x < width; x++) {
        const __m128i left = _mm_set1_epi32((int)(uint32_t)leftCodes[x]);
        const __m128i leftMask = _mm_set1_epi32(leftValid[x] ? -1 : 0);
        const int k0 = width - 1 - x + (offsets ? offsets[x] : 0);
        uint8_t *row = out + (size_t)x * stride;
        for (int i = 0; i < stride; i += 16)
            cost16_sse2(codes + k0 + i, masks + k0 + i, left, leftMask, maxv, row + i);
    }
}

/// Popcount of eight 32-bit lanes: bytes by nibble table, then summed in pairs twice.
__attribute__((target("avx2"), always_inline)) static inline __m256i popcount32_avx2(__m256i v) {
    const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                           0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0F);
    __m256i bytes = _mm256_add_epi8(_mm256_shuffle_epi8(table, _mm256_and_si256(v, low)),
                                    _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), low)));
    return _mm256_madd_epi16(_mm256_maddubs_epi16(bytes, _mm256_set1_epi8(1)), _mm256_set1_epi16(1));
}

/// The AVX2 row, bits counted by `popcount` (a constant after inlining: the nibble table, or
/// VPOPCNTD where the CPU has AVX-512 VPOPCNTDQ with VL).
__attribute__((target("avx2"), always_inline)) static inline void row_any_avx2(
    const uint64_t *leftCodes, const bool *leftValid, const uint32_t *codes, const uint32_t *masks, int width,
    int stride, uint8_t maxCost, const int32_t *offsets, uint8_t *out, __m256i (*popcount)(__m256i)) {
    const __m256i maxv = _mm256_set1_epi32(maxCost);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int x = 0; x < width; x++) {
        const __m256i left = _mm256_set1_epi32((int)(uint32_t)leftCodes[x]);
        const __m256i leftMask = _mm256_set1_epi32(leftValid[x] ? -1 : 0);
        const int k0 = width - 1 - x + (offsets ? offsets[x] : 0);
        uint8_t *row = out + (size_t)x * stride;
        int i = 0;
        for (; i + 32 <= stride; i += 32) {
            __m256i c[4];
            for (int q = 0; q < 4; q++) {
                __m256i right = _mm256_loadu_si256((const __m256i *)(codes + k0 + i + 8 * q));
                __m256i valid = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(masks + k0 + i + 8 * q)), leftMask);
                __m256i d = popcount(_mm256_xor_si256(left, right));
                c[q] = _mm256_blendv_epi8(maxv, d, valid);
            }
            __m256i packed = _mm256_packus_epi16(_mm256_packs_epi32(c[0], c[1]), _mm256_packs_epi32(c[2], c[3]));
            _mm256_storeu_si256((__m256i *)(row + i), _mm256_permutevar8x32_epi32(packed, order));
        }
        if (i < stride)
            cost16_sse2(codes + k0 + i, masks + k0 + i, _mm256_castsi256_si128(left), _mm256_castsi256_si128(leftMask),
                        _mm256_castsi256_si128(maxv), row + i);
    }
}

__attribute__((target("avx2"))) static void row_avx2(const uint64_t *leftCodes, const bool *leftValid,
                                                     const uint32_t *codes, const uint32_t *masks, int width,
                                                     int stride, uint8_t maxCost, const int32_t *offsets, uint8_t *out) {
    row_any_avx2(leftCodes, leftValid, codes, masks, width, stride, maxCost, offsets, out, popcount32_avx2);
}

__attribute__((target("avx2,avx512f,avx512vl,avx512vpopcntdq"), always_inline)) static inline __m256i popcount32_vpopcnt(__m256i v) {
    return _mm256_popcnt_epi32(v);
}

__attribute__((target("avx2,avx512f,avx512vl,avx512vpopcntdq"))) static void row_vpopcnt(
    const uint64_t *leftCodes, const bool *leftValid, const uint32_t *codes, const uint32_t *masks, int width,
    int stride, uint8_t maxCost, const int32_t *offsets, uint8_t *out) {
    row_any_avx2(leftCodes, leftValid, codes, masks, width, stride, maxCost, offsets, out, popcount32_vpopcnt);
}
#else
static void row_scalar(const uint64_t *leftCodes, const bool *leftValid, const uint32_t *codes,
                       const uint32_t *masks, int width, int stride, uint8_t maxCost, const int32_t *offsets,
                       uint8_t *out) {
    for (int x = 0; x < width; x++) {
        const uint32_t left = (uint32_t)leftCodes[x];
        const int k0 = width - 1 - x + (offsets ? offsets[x] : 0);
        for (int i = 0; i < stride; i++) {
            const int valid = leftValid[x] && masks[k0 + i];
            out[(size_t)x * stride + i] = valid ? (uint8_t)__builtin_popcount(left ^ codes[k0 + i]) : maxCost;
        }
    }
}
#endif

void relief_census_cost_row32(const uint64_t *leftCodes, const bool *leftValid, const uint32_t *codes,
                              const uint32_t *masks, int32_t width, int32_t stride, uint8_t maxCost,
                              const int32_t *offsets, uint8_t *out, ReliefKernelLevel level) {
#if RELIEF_X86
    if (level == ReliefKernelAuto && relief_cpu_has_avx512_popcount())
        row_vpopcnt(leftCodes, leftValid, codes, masks, width, stride, maxCost, offsets, out);
    else if (relief_use_avx2(level)) row_avx2(leftCodes, leftValid, codes, masks, width, stride, maxCost, offsets, out);
    else row_sse2(leftCodes, leftValid, codes, masks, width, stride, maxCost, offsets, out);
#else
    (void)level;
    row_scalar(leftCodes, leftValid, codes, masks, width, stride, maxCost, offsets, out);
#endif
}
