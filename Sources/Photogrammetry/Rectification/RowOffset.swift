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

/// Estimates the row offset of a rectified pair by normalised cross-correlation of square
/// patches (side 2 `patchRadius` + 1) on a grid (`step` pixels), each searched over the
/// disparities (x_right = x_left - d) and the rows -`searchRows`...`searchRows`; a patch with
/// NaN or a best correlation below `minimumCorrelation` (or at the edge of the row search) is
/// skipped; the best row is refined by a parabola through its neighbours' correlations.
///
/// - Returns: nil when fewer than `minimumPatches` patches match.
/// - Complexity: O(patches · |disparities| · (2 searchRows + 1) · patch area); a 435 x 367
///   tile with 79 disparities: about 10⁸ multiply-adds.
public func estimateRowOffset(
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
            let curvature = below - 2 * best.c + above
            let refined = curvature < 0 ? 0.5 * (below - above) / curvature : 0
            offsets.append(Double(best.dy) + min(max(refined, -0.5), 0.5))
        }
    }
    guard offsets.count >= max(1, minimumPatches) else { return nil }
    offsets.sort()
    let n = offsets.count
    return RowOffsetEstimate(offset: offsets[n / 2], patches: n, spread: (offsets[n * 9 / 10] - offsets[n / 10]) / 2)
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
