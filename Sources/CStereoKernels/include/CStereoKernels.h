// Hot loops of Relief's dense matcher in C, each with an SSE2 version (x86-64 baseline, what CI
// builds) and an AVX2 version chosen at run time (`relief_cpu_has_avx2`), two with AVX-512 paths
// chosen the same way (the window refinement's 8-pixel lanes, `relief_cpu_has_avx512`; the census
// costs' bit count at the Auto level, `relief_cpu_has_avx512_popcount`), plus a portable scalar
// fallback on other CPUs. Every function here has a plain Swift reference in
// Sources/Photogrammetry/Matching that it equals bit for bit (MatchingKernelTests,
// MatchingCKernelTests, MatchingBandKernelTests).
// The pointers are borrowed for the call only; nothing is kept.
#ifndef RELIEF_CSTEREOKERNELS_H
#define RELIEF_CSTEREOKERNELS_H

#include <stdbool.h>
#include <stdint.h>

/// Which implementation a kernel call uses.
typedef enum {
    ReliefKernelAuto = 0,  ///< AVX2 when the CPU has it, else SSE2 (else scalar off x86-64)
    ReliefKernelBaseline = 1,  ///< SSE2 on x86-64, scalar elsewhere
    ReliefKernelAVX2 = 2  ///< AVX2; only call when `relief_cpu_has_avx2()`
} ReliefKernelLevel;

/// True when the CPU running this process has AVX2.
bool relief_cpu_has_avx2(void);

/// True when it also has AVX-512 F and VL (and the OS saves the AVX-512 state): the lane kernel
/// of `relief_subpixel_window_row`.
bool relief_cpu_has_avx512(void);

/// True when it also has AVX-512 VPOPCNTDQ: the census cost row's bit count at the Auto level.
bool relief_cpu_has_avx512_popcount(void);

/// Swift's `censusTransformReference`: the census codes of a `width` x `height` image (row y at
/// `y * rowStride`) with a `windowWidth` x `windowHeight` window (odd sides, at most 64 bits),
/// row-major into `codes` (`width * height`). AVX2 over the pixels whose window is inside the image.
/// - Complexity: O(W·H·w·h).
void relief_census(const float *pixels, int32_t width, int32_t height, int32_t rowStride, int32_t windowWidth,
                   int32_t windowHeight, uint64_t *codes, ReliefKernelLevel level);

/// Dot products of a `side` x `side` patch (rows packed) with the `count` windows starting at
/// `windows`, `windows + 1`, ... (rows `rowStride` apart): `out[i]` = Σ patch[v·side + u] ·
/// windows[i + v·rowStride + u], summed as Swift's `windowDot` (four Float partial sums by column
/// modulo 4, the remaining columns into the first, then (s0 + s1) + (s2 + s3)): equal bit for
/// bit at every level (AVX-512 16 windows per pass at Auto, AVX2 8, else one at a time).
/// The caller guarantees every window lies in its buffer.
/// - Complexity: O(count · side²).
void relief_window_dots(const float *patch, const float *windows, int32_t rowStride, int32_t side, int32_t count,
                        float *out, ReliefKernelLevel level);

/// One SGM row (step) of a sweep; the same buffers and steps as Swift's `SGMSweep.run`.
typedef struct {
    const uint8_t *costs;      ///< the tile's cost volume (width * height * stride)
    const float *intensity;    ///< the tile's normalised intensities for the adaptive P2, or NULL
    float gradientScale;       ///< used when intensity != NULL
    int32_t width, height, count, stride;
    int32_t p1, p2;
    int32_t directions;        ///< 2 or 4
    const int32_t *dx, *dy;    ///< `directions` entries; index 0 horizontal (dy == 0)
    int32_t forward;           ///< 1: raster order, 0: reverse raster order
    uint8_t *rows;             ///< 2 * directions * rowLength path-cost bytes
    uint8_t *mins;             ///< 2 * directions * max(width, 2) minima
    const uint8_t *start;      ///< the "before the path starts" vector (vectorLength bytes)
    int32_t rowLength, vectorLength;
    /// Per-pixel windows (`width * height`, NULL for none): cell i of pixel p is disparity
    /// offsets[p] + i of the tile's range. The previous pixel's path costs are then read shifted
    /// by offsets[p] - offsets[previous] (clamped to ±(stride + 1)), so each vector slot holds
    /// its [guard, d0 ... d(stride-1), guard] at byte `origin`, with `origin` >= stride + 2
    /// sentinel bytes before it and after its end that no step writes.
    const int32_t *offsets;
    int32_t origin;
    /// 0: the sums are UInt16. 1: they are UInt8, added in wrapping 8-bit arithmetic: exact for
    /// the cells below `count` when `directions * (maxCost + p2) <= 255` (every path cost lies in
    /// [C, C + P2]), which the caller guarantees; the padding cells' sums are then meaningless.
    int32_t narrowSums;
} ReliefSGMSweep;

/// Runs step `step` of the sweep (row `step`, or `height - 1 - step` backwards), storing the sum
/// of the sweep's path costs of each pixel to `sums + x * stride` (`width * stride` UInt16, or
/// UInt8 with `narrowSums`).
/// - Complexity: O(W·D·directions).
void relief_sgm_sweep_step(const ReliefSGMSweep *sweep, int32_t step, void *sums, ReliefKernelLevel level);

/// One pixel of an SGM sweep for `directions` (2 or 4) directions (Hirschmüller 2008 eq. 13),
/// as Swift's `sgmPixelStep`: previous[j] / out[j] laid out [guard, d0 ... d(stride-1), guard].
/// - Complexity: O(D · directions).
void relief_sgm_pixel_step(const uint8_t *cost, const uint8_t *const *previous, const uint8_t *previousMin,
                           const uint8_t *p2, uint8_t *const *out, uint8_t *outMin, int32_t directions,
                           uint8_t p1, int32_t count, int32_t stride, uint16_t *sum, bool accumulate,
                           ReliefKernelLevel level);

/// Census costs of one row for codes of at most 32 bits, as Swift's `censusCostRow`: `codes`,
/// `masks`: the reversed, extended right row (width + stride + 8 entries, plus the largest
/// offset); `out[x * stride + i]` for disparity index `offsets[x] + i` (`offsets` NULL: i).
/// - Complexity: O(W·D).
void relief_census_cost_row32(const uint64_t *leftCodes, const bool *leftValid, const uint32_t *codes,
                              const uint32_t *masks, int32_t width, int32_t stride, uint8_t maxCost,
                              const int32_t *offsets, uint8_t *out, ReliefKernelLevel level);

/// Minimum and first index of S = forward + backward over 0..<count, S written to `total`
/// (`UINT16_MAX` from `count` to `stride`), as Swift's `aggregatedMinimum`. Returns the index;
/// the minimum is `total[index]`.
/// - Complexity: O(D).
int32_t relief_aggregated_minimum(const uint16_t *forward, const uint16_t *backward, int32_t count, int32_t stride,
                                  uint16_t *total, ReliefKernelLevel level);

/// The right image's winners update of the left-right check, as Swift's `updateRightWinners`
/// (the index stored for cell i is indexBase + i).
/// - Complexity: O(D).
void relief_update_right_winners(const uint16_t *total, int32_t stride, int32_t x, int32_t width,
                                 uint16_t *bestCost, uint16_t *bestIndex, int32_t indexBase, ReliefKernelLevel level);

/// One row's decision as Swift's `RowDecider.decide` without a uniqueness ratio and without a fit
/// on the aggregated costs (sub-pixel `.none` or the window fits, measured afterwards): for each
/// x with `leftValid[x]`, the first minimum of S = forward + backward over its `count` cells
/// (window start `offsets[x]`, or 0 when `offsets` is NULL), the right winners updated when
/// `tolerance >= 0`; d = minDisparity + start + index is kept (`leftWinner[x] = d`, `out[x] = d`)
/// when x - d is a valid right pixel of the row; then, with `tolerance >= 0`, dropped again (NaN,
/// INT64_MIN) where the right winner at x - d is missing or maps back farther than `tolerance`.
/// `rightCost` / `rightIndex`: `rightLength` = width + max(stride, span) entries; `total`: stride.
/// Entries of `out` not kept are left as they are (the caller's NaN).
/// - Complexity: O(W·D).
void relief_decide_row(const uint16_t *forward, const uint16_t *backward, int32_t width, int32_t count,
                       int32_t stride, int32_t rightLength, const int32_t *offsets, int32_t minDisparity,
                       const bool *leftValid, const bool *rightValid, int32_t tolerance, uint16_t *total,
                       uint16_t *rightCost, uint16_t *rightIndex, int64_t *leftWinner, float *out,
                       ReliefKernelLevel level);

/// `relief_decide_row` on UInt8 sums (`ReliefSGMSweep.narrowSums`): S = forward + backward in
/// 16 bits, the same decision as `relief_decide_row` on the sums widened to UInt16.
/// - Complexity: O(W·D).
void relief_decide_row_narrow(const uint8_t *forward, const uint8_t *backward, int32_t width, int32_t count,
                              int32_t stride, int32_t rightLength, const int32_t *offsets, int32_t minDisparity,
                              const bool *leftValid, const bool *rightValid, int32_t tolerance, uint16_t *total,
                              uint16_t *rightCost, uint16_t *rightIndex, int64_t *leftWinner, float *out,
                              ReliefKernelLevel level);

/// Swift's `ambiguityConfidence`; NaN where `valid[x]` is false.
/// - Complexity: O(W·D).
void relief_ambiguity_confidence_row(const uint8_t *costs, const bool *valid, int32_t width, int32_t count,
                                     int32_t stride, int32_t levels, float *out, ReliefKernelLevel level);

/// Swift's `subpixelWindowSSDVector` (radius 1...3) with AVX2, equal bit for bit: returns 1 and
/// writes `offset`, or 0 where the caller must use the Swift versions (no AVX2, a window at the
/// border or holding NaN).
/// - Complexity: O(iterations · (2r+1)) vector steps.
int32_t relief_subpixel_window(const float *left, const float *right, int32_t width, int32_t height, int32_t x,
                               int32_t y, int32_t disparity, int32_t radius, int32_t iterations, bool zeroMean,
                               float *offset);


/// `relief_subpixel_window` for every pixel x of row y with `winners[x] != INT64_MIN` (its
/// disparity): `done[x] = 1` and `offsets[x]` set where it measured the pixel (bit for bit as
/// `relief_subpixel_window`; where that declines, near the borders or with NaN in the window, as
/// Swift's plain `subpixelWindowSSD`, which `subpixelWindowSSDVector` falls back to there, its nil
/// as 0), `done[x] = 0` where the caller must use the Swift versions (no AVX2, and pixels without
/// a winner). With AVX-512 (F, VL) 8 neighbouring pixels are measured at once, one
/// per lane, when their disparities differ by 6 at most. Returns the number of pixels measured so.
/// - Complexity: O(W · iterations · (2r+1)²).
int32_t relief_subpixel_window_row(const float *left, const float *right, int32_t width, int32_t height, int32_t y,
                                   const int64_t *winners, int32_t radius, int32_t iterations, bool zeroMean,
                                   float *offsets, uint8_t *done);

#endif
