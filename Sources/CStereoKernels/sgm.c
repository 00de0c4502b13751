// Semi-global matching kernels (Hirschmüller 2008, eq. 13): SSE2 and AVX2 builds of
// sgm_step.inc, a scalar one off x86-64, and the run-time choice between them.
#include "kernels_internal.h"
#include <math.h>

/// Swift's `effectiveP2`: `max(p1, floor(p2 / (1 + |a - b| / scale)))`, `p2` for NaN.
static inline int relief_effective_p2(int p1, int p2, float scale, float a, float b) {
    const float g = fabsf(a - b);
    if (isnan(g)) return p2;
    const int adapted = (int)floorf((float)p2 / (1.0f + g / scale));
    return adapted > p1 ? adapted : p1;
}

#if RELIEF_X86
#define RELIEF_TARGET __attribute__((target("sse2")))
#define RELIEF_NAME(n) n##_sse2
#define RELIEF_WIDE 0
#include "sgm_step.inc"
#undef RELIEF_TARGET
#undef RELIEF_NAME
#undef RELIEF_WIDE

#define RELIEF_TARGET __attribute__((target("avx2")))
#define RELIEF_NAME(n) n##_avx2
#define RELIEF_WIDE 1
#include "sgm_step.inc"
#undef RELIEF_TARGET
#undef RELIEF_NAME
#undef RELIEF_WIDE
#else
// Scalar: the same wrapping 8-bit arithmetic per lane.
static void pixel_step_scalar(const uint8_t *cost, const uint8_t *const *prev, const uint8_t *prevMin,
                              const uint8_t *p2, uint8_t *const *out, uint8_t *outMin, int n, uint8_t p1,
                              int count, int stride, uint16_t *sum, int accumulate) {
    uint8_t m[4] = {255, 255, 255, 255};
    for (int d = 0; d < stride; d++) {
        uint16_t total = accumulate ? sum[d] : 0;
        for (int j = 0; j < n; j++) {
            uint8_t v = (uint8_t)(255 - p1);
            if (d < count) {
                const uint8_t *p = prev[j];
                uint8_t side = p[d] < p[d + 2] ? p[d] : p[d + 2];
                uint8_t best = (uint8_t)(side + p1);
                if (p[d + 1] < best) best = p[d + 1];
                uint8_t cap = (uint8_t)(prevMin[j] + p2[j]);
                if (cap < best) best = cap;
                v = (uint8_t)(cost[d] + (uint8_t)(best - prevMin[j]));
            }
            out[j][d + 1] = v;
            if (v < m[j]) m[j] = v;
            total = (uint16_t)(total + v);
        }
        sum[d] = total;
    }
    for (int j = 0; j < n; j++) outMin[j] = m[j];
}
#endif

void relief_sgm_pixel_step(const uint8_t *cost, const uint8_t *const *previous, const uint8_t *previousMin,
                           const uint8_t *p2, uint8_t *const *out, uint8_t *outMin, int32_t directions,
                           uint8_t p1, int32_t count, int32_t stride, uint16_t *sum, bool accumulate,
                           ReliefKernelLevel level) {
#if RELIEF_X86
    if (relief_use_avx2(level))
        pixel_step_any_avx2(cost, previous, previousMin, p2, out, outMin, directions, p1, count, stride, sum, accumulate);
    else
        pixel_step_any_sse2(cost, previous, previousMin, p2, out, outMin, directions, p1, count, stride, sum, accumulate);
#else
    (void)level;
    pixel_step_scalar(cost, previous, previousMin, p2, out, outMin, directions, p1, count, stride, sum, accumulate);
#endif
}

#if !RELIEF_X86
static void sweep_step_scalar(const ReliefSGMSweep *s, int32_t step, void *sumRow) {
    uint16_t *sums = s->narrowSums ? NULL : (uint16_t *)sumRow;
    uint16_t wide[s->narrowSums ? s->stride : 1];
    const int width = s->width, height = s->height, n = s->directions;
    const int y = s->forward ? step : height - 1 - step;
    const int current = step & 1, previous = 1 - current;
    const size_t rowLength = (size_t)s->rowLength, vectorLength = (size_t)s->vectorLength;
    const uint8_t *prev[4];
    uint8_t prevMin[4], penalty[4], *out[4], *outMin[4], mins[4];
    for (int xStep = 0; xStep < width; xStep++) {
        const int x = s->forward ? xStep : width - 1 - xStep;
        for (int j = 0; j < n; j++) {
            const int px = x + s->dx[j], py = y + s->dy[j];
            const int inside = px >= 0 && px < width && py >= 0 && py < height;
            int p2 = s->p2;
            if (s->intensity && inside)
                p2 = relief_effective_p2(s->p1, s->p2, s->gradientScale, s->intensity[(size_t)y * width + x],
                                         s->intensity[(size_t)py * width + px]);
            penalty[j] = (uint8_t)p2;
            int shift = 0;
            if (s->offsets && inside) {
                const int limit = s->stride + 1;
                shift = s->offsets[(size_t)y * width + x] - s->offsets[(size_t)py * width + px];
                shift = shift < -limit ? -limit : (shift > limit ? limit : shift);
            }
            const size_t origin = (size_t)s->origin;
            if (s->dy[j] == 0) {
                uint8_t *slots = s->rows + (size_t)(current * n + j) * rowLength;
                const int mySlot = xStep & 1;
                prev[j] = inside ? slots + (size_t)(1 - mySlot) * vectorLength + origin + shift : s->start;
                prevMin[j] = inside ? s->mins[(size_t)(current * n + j) * width + (1 - mySlot)] : 0;
                out[j] = slots + (size_t)mySlot * vectorLength + origin;
                outMin[j] = s->mins + (size_t)(current * n + j) * width + mySlot;
            } else {
                const uint8_t *previousRow = s->rows + (size_t)(previous * n + j) * rowLength;
                prev[j] = inside ? previousRow + (size_t)px * vectorLength + origin + shift : s->start;
                prevMin[j] = inside ? s->mins[(size_t)(previous * n + j) * width + px] : 0;
                out[j] = s->rows + (size_t)(current * n + j) * rowLength + (size_t)x * vectorLength + origin;
                outMin[j] = s->mins + (size_t)(current * n + j) * width + x;
            }
        }
        pixel_step_scalar(s->costs + ((size_t)y * width + x) * s->stride, prev, prevMin, penalty, out, mins, n,
                          (uint8_t)s->p1, s->count, s->stride, s->narrowSums ? wide : sums + (size_t)x * s->stride, 0);
        if (s->narrowSums)
            for (int d = 0; d < s->stride; d++) ((uint8_t *)sumRow)[(size_t)x * s->stride + d] = (uint8_t)wide[d];
        for (int j = 0; j < n; j++) *outMin[j] = mins[j];
    }
}
#endif

void relief_sgm_sweep_step(const ReliefSGMSweep *sweep, int32_t step, void *sums, ReliefKernelLevel level) {
#if RELIEF_X86
    if (relief_use_avx2(level)) sweep_step_avx2(sweep, step, sums);
    else sweep_step_sse2(sweep, step, sums);
#else
    (void)level;
    sweep_step_scalar(sweep, step, sums);
#endif
}
