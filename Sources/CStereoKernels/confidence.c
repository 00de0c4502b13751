// Ambiguity confidence of a row of raw census costs (after CNES Pandora's ambiguity), as Swift's
// `ambiguityConfidence` per pixel: A = Σ_d max(0, L + 1 - (c(d) - min)), confidence
// 1 - (A - (L+1)) / ((count - 1)(L+1)). SSE2 and AVX2 (bytes summed with SAD), scalar off x86-64.
#include "kernels_internal.h"
#include <math.h>

static inline float confidence_from(int ambiguity, int count, int levels) {
    if (count <= 1) return 1.0f;
    const float levelCount = (float)(levels + 1);
    return 1.0f - (float)(ambiguity - (levels + 1)) / ((float)(count - 1) * levelCount);
}

#if RELIEF_X86
__attribute__((target("sse2"))) static int ambiguity_sse2(const uint8_t *c, int count, int stride, int levels) {
    const __m128i lane = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m128i m = _mm_set1_epi8(-1);
    for (int k = 0; k < stride; k += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(c + k));
        int remaining = count - k;
        if (remaining < 16) {
            if (remaining < 0) remaining = 0;
            __m128i valid = _mm_cmpgt_epi8(_mm_set1_epi8((char)remaining), lane);
            v = _mm_or_si128(v, _mm_andnot_si128(valid, _mm_set1_epi8(-1)));
        }
        m = _mm_min_epu8(m, v);
    }
    m = _mm_min_epu8(m, _mm_srli_si128(m, 8));
    m = _mm_min_epu8(m, _mm_srli_si128(m, 4));
    m = _mm_min_epu8(m, _mm_srli_si128(m, 2));
    m = _mm_min_epu8(m, _mm_srli_si128(m, 1));
    const __m128i minimum = _mm_set1_epi8((char)(_mm_cvtsi128_si32(m) & 0xFF));
    const __m128i span = _mm_set1_epi8((char)(levels + 1));
    __m128i total = _mm_setzero_si128();
    for (int k = 0; k < stride; k += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(c + k));
        int remaining = count - k;
        if (remaining < 16) {
            if (remaining < 0) remaining = 0;
            __m128i valid = _mm_cmpgt_epi8(_mm_set1_epi8((char)remaining), lane);
            v = _mm_or_si128(v, _mm_andnot_si128(valid, _mm_set1_epi8(-1)));
        }
        __m128i within = _mm_sub_epi8(span, _mm_min_epu8(_mm_sub_epi8(v, minimum), span));
        total = _mm_add_epi64(total, _mm_sad_epu8(within, _mm_setzero_si128()));
    }
    return _mm_cvtsi128_si32(total) + _mm_cvtsi128_si32(_mm_srli_si128(total, 8));
}

__attribute__((target("avx2"))) static int ambiguity_avx2(const uint8_t *c, int count, int stride, int levels) {
    const __m256i lane = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                          21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
    // stride is a multiple of 16: a last chunk of 16 is loaded alone, its upper half set to 255.
    __m256i m = _mm256_set1_epi8(-1);
    for (int k = 0; k < stride; k += 32) {
        __m256i v;
        if (k + 32 <= stride) v = _mm256_loadu_si256((const __m256i *)(c + k));
        else v = _mm256_inserti128_si256(_mm256_set1_epi8(-1), _mm_loadu_si128((const __m128i *)(c + k)), 0);
        int remaining = count - k;
        if (remaining < 32) {
            if (remaining < 0) remaining = 0;
            __m256i valid = _mm256_cmpgt_epi8(_mm256_set1_epi8((char)remaining), lane);
            v = _mm256_or_si256(v, _mm256_andnot_si256(valid, _mm256_set1_epi8(-1)));
        }
        m = _mm256_min_epu8(m, v);
    }
    __m128i h = _mm_min_epu8(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    h = _mm_min_epu8(h, _mm_srli_si128(h, 8));
    h = _mm_min_epu8(h, _mm_srli_si128(h, 4));
    h = _mm_min_epu8(h, _mm_srli_si128(h, 2));
    h = _mm_min_epu8(h, _mm_srli_si128(h, 1));
    const __m256i minimum = _mm256_set1_epi8((char)(_mm_cvtsi128_si32(h) & 0xFF));
    const __m256i span = _mm256_set1_epi8((char)(levels + 1));
    __m256i total = _mm256_setzero_si256();
    for (int k = 0; k < stride; k += 32) {
        __m256i v;
        if (k + 32 <= stride) v = _mm256_loadu_si256((const __m256i *)(c + k));
        else v = _mm256_inserti128_si256(_mm256_set1_epi8(-1), _mm_loadu_si128((const __m128i *)(c + k)), 0);
        int remaining = count - k;
        if (remaining < 32) {
            if (remaining < 0) remaining = 0;
            __m256i valid = _mm256_cmpgt_epi8(_mm256_set1_epi8((char)remaining), lane);
            v = _mm256_or_si256(v, _mm256_andnot_si256(valid, _mm256_set1_epi8(-1)));
        }
        __m256i within = _mm256_sub_epi8(span, _mm256_min_epu8(_mm256_sub_epi8(v, minimum), span));
        total = _mm256_add_epi64(total, _mm256_sad_epu8(within, _mm256_setzero_si256()));
    }
    __m128i t = _mm_add_epi64(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
    return _mm_cvtsi128_si32(t) + _mm_cvtsi128_si32(_mm_srli_si128(t, 8));
}
/// ambiguity_avx2 for exactly 32 cells (no padding), the minimum by PHMINPOSUW.
__attribute__((target("avx2"))) static int ambiguity32_avx2(const uint8_t *c, int levels) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)c);
    __m128i h = _mm_min_epu8(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    h = _mm_min_epu8(h, _mm_srli_epi16(h, 8));
    const int low = _mm_cvtsi128_si32(_mm_minpos_epu16(_mm_and_si128(h, _mm_set1_epi16(0x00FF)))) & 0xFF;
    const __m256i span = _mm256_set1_epi8((char)(levels + 1));
    const __m256i within = _mm256_sub_epi8(span, _mm256_min_epu8(_mm256_sub_epi8(v, _mm256_set1_epi8((char)low)), span));
    const __m256i total = _mm256_sad_epu8(within, _mm256_setzero_si256());
    const __m128i t = _mm_add_epi64(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
    return _mm_cvtsi128_si32(t) + _mm_cvtsi128_si32(_mm_srli_si128(t, 8));
}

/// The row with AVX2: ambiguities 8 pixels at a time, then their confidences by 8-lane float
/// operations (the same operations as confidence_from, so the same values); NaN where invalid.
__attribute__((target("avx2"))) static void row_avx2(const uint8_t *costs, const bool *valid, int width, int count,
                                                     int stride, int levels, float *out) {
    const __m256 one = _mm256_set1_ps(1.0f), nan = _mm256_set1_ps(NAN);
    const __m256 denominator = _mm256_set1_ps((float)(count - 1) * (float)(levels + 1));
    const __m256i span = _mm256_set1_epi32(levels + 1);
    int x = 0;
    for (; x + 8 <= width; x += 8) {
        int a[8], keep[8];
        for (int i = 0; i < 8; i++) {
            const uint8_t *c = costs + (size_t)(x + i) * stride;
            keep[i] = valid[x + i] ? -1 : 0;
            a[i] = !valid[x + i] ? 0 : (stride == 32 && count == 32 ? ambiguity32_avx2(c, levels)
                                                                     : ambiguity_avx2(c, count, stride, levels));
        }
        const __m256 q = _mm256_div_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)a), span)),
                                       denominator);
        const __m256 confidence = _mm256_sub_ps(one, q);
        _mm256_storeu_ps(out + x, _mm256_blendv_ps(nan, confidence, _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)keep))));
    }
    for (; x < width; x++)
        out[x] = valid[x] ? confidence_from(ambiguity_avx2(costs + (size_t)x * stride, count, stride, levels), count, levels) : NAN;
}
#else
static int ambiguity_scalar(const uint8_t *c, int count, int stride, int levels) {
    (void)stride;
    int minimum = 255;
    for (int i = 0; i < count; i++) if (c[i] < minimum) minimum = c[i];
    int a = 0;
    for (int i = 0; i < count; i++) { int w = levels + 1 - (c[i] - minimum); a += w > 0 ? w : 0; }
    return a;
}
#endif

void relief_ambiguity_confidence_row(const uint8_t *costs, const bool *valid, int32_t width, int32_t count,
                                     int32_t stride, int32_t levels, float *out, ReliefKernelLevel level) {
#if RELIEF_X86
    const int wide = relief_use_avx2(level);
    if (wide && count > 1) { row_avx2(costs, valid, width, count, stride, levels, out); return; }
#else
    (void)level;
#endif
    for (int x = 0; x < width; x++) {
        if (!valid[x]) { out[x] = NAN; continue; }
        if (count <= 1) { out[x] = 1.0f; continue; }
        const uint8_t *c = costs + (size_t)x * stride;
#if RELIEF_X86
        const int a = wide ? ambiguity_avx2(c, count, stride, levels) : ambiguity_sse2(c, count, stride, levels);
#else
        const int a = ambiguity_scalar(c, count, stride, levels);
#endif
        out[x] = confidence_from(a, count, levels);
    }
}
