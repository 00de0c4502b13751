// Census transform (Zabih & Woodfill 1994) of a float image into 64-bit codes: Swift's
// `censusTransformReference` exactly (bit k set when the k-th window neighbour in scan order,
// centre skipped, is strictly darker than the centre; neighbours outside the image and NaN compare
// as "not darker"; a NaN centre gives 0). AVX2: 8 pixels per step where the whole window is inside
// the image (no border test), the plain loop elsewhere and on other CPUs.
#include "kernels_internal.h"

/// The plain code of pixel (x, y), with border tests.
static inline uint64_t census_pixel(const float *pixels, int width, int height, long rowStride, int rx, int ry,
                                    int x, int y) {
    const float centre = pixels[(long)y * rowStride + x];
    uint64_t code = 0;
    int k = 0;
    for (int dy = -ry; dy <= ry; dy++) {
        for (int dx = -rx; dx <= rx; dx++) {
            if (dx == 0 && dy == 0) continue;
            const int nx = x + dx, ny = y + dy;
            if (nx >= 0 && nx < width && ny >= 0 && ny < height && pixels[(long)ny * rowStride + nx] < centre)
                code |= (uint64_t)1 << k;
            k++;
        }
    }
    return code;
}

#if RELIEF_X86
/// Codes of pixels x0 .. x0 + 8n - 1 of row y, whose windows are all inside the image.
__attribute__((target("avx2"), always_inline)) static inline void census_row_any_avx2(
    const float *pixels, long rowStride, int rx, int ry, int y, int x0, int n, uint64_t *out) {
    for (int g = 0; g < n; g++) {
        const int x = x0 + 8 * g;
        const float *centrePointer = pixels + (long)y * rowStride + x;
        const __m256 centre = _mm256_loadu_ps(centrePointer);
        __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
        int k = 0;
        for (int dy = -ry; dy <= ry; dy++) {
            const float *row = centrePointer + (long)dy * rowStride;
            for (int dx = -rx; dx <= rx; dx++) {
                if (dx == 0 && dy == 0) continue;
                // Ordered compare: NaN on either side is "not darker".
                const __m256i darker = _mm256_castps_si256(_mm256_cmp_ps(_mm256_loadu_ps(row + dx), centre, _CMP_LT_OQ));
                if (k < 32) lo = _mm256_or_si256(lo, _mm256_and_si256(darker, _mm256_set1_epi32((int)(1u << k))));
                else hi = _mm256_or_si256(hi, _mm256_and_si256(darker, _mm256_set1_epi32((int)(1u << (k - 32)))));
                k++;
            }
        }
        const __m256i first = _mm256_or_si256(_mm256_cvtepu32_epi64(_mm256_castsi256_si128(lo)),
                                              _mm256_slli_epi64(_mm256_cvtepu32_epi64(_mm256_castsi256_si128(hi)), 32));
        const __m256i second = _mm256_or_si256(_mm256_cvtepu32_epi64(_mm256_extracti128_si256(lo, 1)),
                                               _mm256_slli_epi64(_mm256_cvtepu32_epi64(_mm256_extracti128_si256(hi, 1)), 32));
        _mm256_storeu_si256((__m256i *)(out + x), first);
        _mm256_storeu_si256((__m256i *)(out + x + 4), second);
    }
}

/// census_row_any_avx2, with the default 5x5 window's loops unrolled (constant bits and offsets).
__attribute__((target("avx2"))) static void census_row_avx2(const float *pixels, long rowStride, int rx, int ry,
                                                            int y, int x0, int n, uint64_t *out) {
    if (rx == 2 && ry == 2) census_row_any_avx2(pixels, rowStride, 2, 2, y, x0, n, out);
    else census_row_any_avx2(pixels, rowStride, rx, ry, y, x0, n, out);
}
#endif

void relief_census(const float *pixels, int32_t width, int32_t height, int32_t rowStride, int32_t windowWidth,
                   int32_t windowHeight, uint64_t *codes, ReliefKernelLevel level) {
    const int rx = windowWidth / 2, ry = windowHeight / 2;
#if RELIEF_X86
    const int avx2 = relief_use_avx2(level);
#else
    const int avx2 = 0;
    (void)level;
#endif
    for (int y = 0; y < height; y++) {
        uint64_t *out = codes + (long)y * width;
        int x = 0;
        if (avx2 && y >= ry && y + ry < height && width - 2 * rx >= 8) {
            // Windows inside the image: x in rx ... width - 1 - rx, 8 at a time.
            for (; x < rx; x++) out[x] = census_pixel(pixels, width, height, rowStride, rx, ry, x, y);
            const int n = (width - 2 * rx) / 8;
#if RELIEF_X86
            census_row_avx2(pixels, rowStride, rx, ry, y, rx, n, out);
            // The last inside pixels: one more group ending at width - 1 - rx (it recomputes a few
            // codes, the same values).
            if (rx + 8 * n < width - rx) census_row_avx2(pixels, rowStride, rx, ry, y, width - rx - 8, 1, out);
#endif
            x = width - rx;
        }
        for (; x < width; x++) out[x] = census_pixel(pixels, width, height, rowStride, rx, ry, x, y);
    }
}
