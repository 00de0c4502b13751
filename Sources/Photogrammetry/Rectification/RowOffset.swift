import CStereoKernels
import Raster

/// The residual vertical offset between two rectified tiles: content at left row y is at right
/// row y + offset. Over a tile the RPCs' relative pointing error is close to a translation
/// (s2p corrects it with its `pointing_accuracy` step, from SIFT matches); measured on the
/// Réunion pair: -0.79 px (median over 133 patches, 10-90 % from -1.04 to -0.28).
public struct RowOffsetEstimate: Sendable, Equatable {
    /// Median sub-pixel row offset over the patches that matched (pixels).
    public var offset: Double
    /// Patches that matched with a correlation above the threshold.
    public var patches: Int
    /// Half the 10-90 % inter-percentile range of the per-patch offsets (pixels).
    public var spread: Double
}

extension RowOffsetEstimate {
    /// The median and spread of the per-patch offsets; nil when fewer than `minimumPatches`.
    init?(patchOffsets: [Double], minimumPatches: Int) {
        guard patchOffsets.count >= max(1, minimumPatches) else { return nil }
        let sorted = patchOffsets.sorted(), n = sorted.count
        self.init(offset: sorted[n / 2], patches: n, spread: (sorted[n * 9 / 10] - sorted[n / 10]) / 2)
    }
}

/// The best row `row` refined by a parabola through the correlations of the rows below, at and
/// above it (vertex clamped to ±0.5; the row itself when the parabola is not concave).
func refinedRow(_ row: Int, correlation c: Double, below: Double, above: Double) -> Double {
    let curvature = below - 2 * c + above
    let refined = curvature < 0 ? 0.5 * (below - above) / curvature : 0
    return Double(row) + min(max(refined, -0.5), 0.5)
}

/// Estimates the row offset of a rectified pair by normalised cross-correlation of square
/// patches (side 2 `patchRadius` + 1) on a grid (`step` pixels), each searched over the
/// disparities (x_right = x_left - d) and the rows -`searchRows`...`searchRows`; a patch with
/// NaN or a best correlation below `minimumCorrelation` (or at the edge of the row search) is
/// skipped; the best row is refined by a parabola through its neighbours' correlations.
///
/// Same result as `estimateRowOffsetReference` up to rounding: each left patch is made zero-mean
/// once (its covariance with a right window is then one dot product), and the right windows'
/// sums, sums of squares and NaN counts come from integral images. The dots of a patch with all
/// the windows of one row of the search come from one kernel call (`relief_window_dots`: 16 or 8
/// windows per pass, the same sums as `windowDot`); `batched` false computes each disparity's dot
/// on its own (the tests' reference: equal results).
///
/// - Returns: nil when fewer than `minimumPatches` patches match.
/// - Complexity: O(patches · |disparities| · (2 searchRows + 1) · patch area) multiply-adds (one
///   per pixel pair instead of five), plus O(tile) for the integral images.
public func estimateRowOffset(
    left: ImageBuffer<Float>, right: ImageBuffer<Float>, disparities: ClosedRange<Int>,
    searchRows: Int = 3, patchRadius: Int = 7, step: Int = 12, minimumCorrelation: Double = 0.9, minimumPatches: Int = 10
) -> RowOffsetEstimate? {
    estimateRowOffset(left: left, right: right, disparities: disparities, searchRows: searchRows, patchRadius: patchRadius,
                      step: step, minimumCorrelation: minimumCorrelation, minimumPatches: minimumPatches, batched: true)
}

/// `estimateRowOffset`, with the dots of a search row from one kernel call (`batched`) or one by one.
func estimateRowOffset(
    left: ImageBuffer<Float>, right: ImageBuffer<Float>, disparities: ClosedRange<Int>,
    searchRows: Int, patchRadius: Int, step: Int, minimumCorrelation: Double, minimumPatches: Int, batched: Bool
) -> RowOffsetEstimate? {
    precondition(left.width == right.width && left.height == right.height, "rectified tiles of one size")
    precondition(searchRows >= 1 && patchRadius >= 1 && step >= 1, "positive search, patch and step")
    let r = patchRadius, side = 2 * r + 1, n = Double(side * side)
    let boxes = WindowSums(right)
    var patch = [Float](repeating: 0, count: side * side)
    let dots = UnsafeMutablePointer<Float>.allocate(capacity: max(1, disparities.count))
    defer { dots.deallocate() }
    var offsets: [Double] = []
    right.storage.withUnsafeBufferPointer { rightBuffer in
        let rightPixels = rightBuffer.baseAddress!
        patch.withUnsafeMutableBufferPointer { patchBuffer in
            let centred = patchBuffer.baseAddress!
            /// The correlation with the right window at (x0, y0) (inside the image) whose dot
            /// product with the centred patch is `sab`.
            func correlation(x0: Int, y0: Int, dot sab: Float, _ patchNorm: Double) -> Double? {
                let (sb, sbb, nans) = boxes.sums(x: x0, y: y0, side: side)
                guard nans == 0 else { return nil }
                let vb = sbb - sb * sb / n
                guard vb > 0 else { return nil }
                let c = Double(sab) / (patchNorm * vb).squareRoot()
                return c.isNaN ? nil : c
            }
            func correlation(_ cx: Int, _ cy: Int, _ d: Int, _ dy: Int, _ patchNorm: Double) -> Double? {
                let x0 = cx - r - d, y0 = cy - r + dy
                guard x0 >= 0, x0 + side <= right.width, y0 >= 0, y0 + side <= right.height else { return nil }
                let sab = windowDot(centred, rightPixels + y0 * right.rowStride + x0, rowStride: right.rowStride, side: side)
                return correlation(x0: x0, y0: y0, dot: sab, patchNorm)
            }
            for cy in stride(from: r, to: left.height - r, by: step) {
                for cx in stride(from: r, to: left.width - r, by: step) {
                    // The left patch, zero-mean, and its sum of squared deviations.
                    var sa = 0.0, hasNaN = false
                    for v in 0..<side {
                        for u in 0..<side {
                            let a = left[cx - r + u, cy - r + v]
                            if a.isNaN { hasNaN = true }
                            centred[v * side + u] = a
                            sa += Double(a)
                        }
                    }
                    if hasNaN { continue }
                    let mean = sa / n
                    var va = 0.0
                    for i in 0..<(side * side) {
                        let value = Double(centred[i]) - mean
                        centred[i] = Float(value)
                        va += value * value
                    }
                    guard va > 0 else { continue }
                    var best = (c: -2.0, dy: 0, d: 0)
                    for dy in -searchRows...searchRows {
                        let y0 = cy - r + dy
                        // The disparities whose window lies inside the image (x0 = cx - r - d in
                        // 0...width - side): their dots in one kernel call, leftmost window first.
                        let dLow = max(disparities.lowerBound, cx - r - (right.width - side))
                        let dHigh = min(disparities.upperBound, cx - r)
                        let inside = y0 >= 0 && y0 + side <= right.height && dLow <= dHigh
                        if batched && inside {
                            relief_window_dots(centred, rightPixels + y0 * right.rowStride + cx - r - dHigh, Int32(right.rowStride),
                                               Int32(side), Int32(dHigh - dLow + 1), dots, ReliefKernelAuto)
                        }
                        for d in disparities {
                            let c: Double?
                            if batched {
                                c = inside && d >= dLow && d <= dHigh
                                    ? correlation(x0: cx - r - d, y0: y0, dot: dots[dHigh - d], va) : nil
                            } else {
                                c = correlation(cx, cy, d, dy, va)
                            }
                            if let c, c > best.c { best = (c, dy, d) }
                        }
                    }
                    guard best.c >= minimumCorrelation, abs(best.dy) < searchRows,
                          let below = correlation(cx, cy, best.d, best.dy - 1, va),
                          let above = correlation(cx, cy, best.d, best.dy + 1, va) else { continue }
                    offsets.append(refinedRow(best.dy, correlation: best.c, below: below, above: above))
                }
            }
        }
    }
    return RowOffsetEstimate(patchOffsets: offsets, minimumPatches: minimumPatches)
}

/// Σ patch[v·side + u] · window[v·rowStride + u] over a `side` x `side` square (Float, four
/// partial sums). The caller guarantees both squares lie in their buffers.
@inline(__always)
func windowDot(_ patch: UnsafePointer<Float>, _ window: UnsafePointer<Float>, rowStride: Int, side: Int) -> Float {
    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
    for v in 0..<side {
        let p = patch + v * side, w = window + v * rowStride
        var u = 0
        while u + 4 <= side {
            s0 += p[u] * w[u]
            s1 += p[u + 1] * w[u + 1]
            s2 += p[u + 2] * w[u + 2]
            s3 += p[u + 3] * w[u + 3]
            u += 4
        }
        while u < side { s0 += p[u] * w[u]; u += 1 }
    }
    return (s0 + s1) + (s2 + s3)
}

/// Integral images of a Float image's values, squared values (NaN taken as 0) and NaN count, for
/// O(1) sums over any square window.
struct WindowSums {
    let width: Int
    var sum: [Double], squares: [Double], nans: [Int32]

    init(_ image: ImageBuffer<Float>) {
        width = image.width
        let w = image.width + 1, h = image.height + 1
        sum = [Double](repeating: 0, count: w * h)
        squares = sum
        nans = [Int32](repeating: 0, count: w * h)
        for y in 0..<image.height {
            var rowSum = 0.0, rowSquares = 0.0, rowNaN: Int32 = 0
            for x in 0..<image.width {
                let v = image[x, y]
                if v.isNaN { rowNaN += 1 } else { rowSum += Double(v); rowSquares += Double(v) * Double(v) }
                let i = (y + 1) * w + x + 1
                sum[i] = sum[i - w] + rowSum
                squares[i] = squares[i - w] + rowSquares
                nans[i] = nans[i - w] + rowNaN
            }
        }
    }

    /// Sum, sum of squares and NaN count over the `side` x `side` window at (x, y).
    func sums(x: Int, y: Int, side: Int) -> (sum: Double, squares: Double, nans: Int32) {
        let w = width + 1
        let a = y * w + x, b = a + side, c = a + side * w, d = c + side
        return (sum[d] - sum[b] - sum[c] + sum[a], squares[d] - squares[b] - squares[c] + squares[a],
                nans[d] - nans[b] - nans[c] + nans[a])
    }
}

/// The plain version of `estimateRowOffset` (the reference its tests compare with): it
/// estimates the row offset of a rectified pair by normalised cross-correlation of square
/// patches (side 2 `patchRadius` + 1) on a grid (`step` pixels), each searched over the
/// disparities (x_right = x_left - d) and the rows -`searchRows`...`searchRows`; a patch with
/// NaN or a best correlation below `minimumCorrelation` (or at the edge of the row search) is
/// skipped; the best row is refined by a parabola through its neighbours' correlations.
///
/// - Returns: nil when fewer than `minimumPatches` patches match.
/// - Complexity: O(patches · |disparities| · (2 searchRows + 1) · patch area); a 435 x 367
///   tile with 79 disparities: about 10⁸ multiply-adds.
func estimateRowOffsetReference(
    left: ImageBuffer<Float>, right: ImageBuffer<Float>, disparities: ClosedRange<Int>,
    searchRows: Int = 3, patchRadius: Int = 7, step: Int = 12, minimumCorrelation: Double = 0.9, minimumPatches: Int = 10
) -> RowOffsetEstimate? {
    precondition(left.width == right.width && left.height == right.height, "rectified tiles of one size")
    precondition(searchRows >= 1 && patchRadius >= 1 && step >= 1, "positive search, patch and step")
    let r = patchRadius
    func correlation(_ cx: Int, _ cy: Int, _ d: Int, _ dy: Int) -> Double? {
        let x0 = cx - r - d, x1 = cx + r - d, y0 = cy - r + dy, y1 = cy + r + dy
        guard x0 >= 0, x1 < right.width, y0 >= 0, y1 < right.height else { return nil }
        var sa = 0.0, sb = 0.0, sab = 0.0, saa = 0.0, sbb = 0.0
        for v in -r...r {
            for u in -r...r {
                let a = Double(left[cx + u, cy + v]), b = Double(right[cx + u - d, cy + v + dy])
                sa += a
                sb += b
                sab += a * b
                saa += a * a
                sbb += b * b
            }
        }
        let n = Double((2 * r + 1) * (2 * r + 1))
        let cov = sab - sa * sb / n, va = saa - sa * sa / n, vb = sbb - sb * sb / n
        guard va > 0, vb > 0 else { return nil }
        let c = cov / (va * vb).squareRoot()
        return c.isNaN ? nil : c
    }
    var offsets: [Double] = []
    for cy in stride(from: r, to: left.height - r, by: step) {
        for cx in stride(from: r, to: left.width - r, by: step) {
            var best = (c: -2.0, dy: 0, d: 0)
            for dy in -searchRows...searchRows {
                for d in disparities {
                    if let c = correlation(cx, cy, d, dy), c > best.c { best = (c, dy, d) }
                }
            }
            guard best.c >= minimumCorrelation, abs(best.dy) < searchRows,
                  let below = correlation(cx, cy, best.d, best.dy - 1),
                  let above = correlation(cx, cy, best.d, best.dy + 1) else { continue }
            offsets.append(refinedRow(best.dy, correlation: best.c, below: below, above: above))
        }
    }
    return RowOffsetEstimate(patchOffsets: offsets, minimumPatches: minimumPatches)
}

extension TileRectification {
    /// The same rectification with the right map moved by `offset` rows, so that content at left
    /// row y, found at right row y + offset, lands on row y (a pointing correction in the
    /// rectified frame). Triangulation then uses the corrected right points, as s2p's does after
    /// its pointing correction.
    public func correctingRowOffset(_ offset: Double) -> TileRectification {
        let right = self.right.followed(by: .translation(x: 0, y: -offset))
        return TileRectification(
            tile: tile, heights: heights, reference: reference, secondary: secondary, fundamental: fundamental,
            left: left, right: right, leftInverse: leftInverse, rightInverse: right.inverse!,
            width: width, height: height, horizontalMargin: horizontalMargin, verticalMargin: verticalMargin,
            disparities: disparities, heightDisparities: heightDisparities, fitRowResidual: fitRowResidual)
    }
}
