import Raster

/// How the heights of the points falling in one DSM cell become the cell's height.
public enum CellStatistic: String, Sendable, CaseIterable {
    /// The arithmetic mean, summed in Double and rounded once to Float.
    case mean
    /// The median (mean of the two middle heights for an even count): Relief's default for
    /// DSMs, robust to outlying points from mismatches.
    case median
    /// s2p's plyflatten (radius 0, sigma none): the running average
    /// `avg = (z + cnt·avg) / (1 + cnt)` kept in Float32 (`src/plyflatten.c`,
    /// `accumulate_height`), in point order. Bit-identical to plyflatten's output; differs from
    /// `.mean` by at most a few Float32 ulps.
    case plyflattenMean
}

/// One window of a rasterised DSM: heights (NaN where no point fell) and point counts. Not
/// Equatable: NaN cells would make `==` false; compare heights bit for bit instead.
public struct RasterizedWindow: Sendable {
    /// Where the window lies in the grid (cells).
    public var window: Window
    public var heights: ImageBuffer<Float>
    public var counts: ImageBuffer<UInt32>
}

/// Rasterises the points of `cloud` that fall in `window` of `grid` (plyflatten's cell rule,
/// see `DSMGrid`): each cell gets `statistic` of its points' heights, or NaN (count 0) when no
/// point falls in it. Points with a non-finite coordinate are ignored, as are points outside
/// the window.
///
/// - Parameter points: when given, only these point indices are considered, in increasing
///   order (the tiled driver passes each tile's bucket); all points otherwise. Order matters
///   only for `.plyflattenMean` (and summation order for `.mean`), so a subset in increasing
///   order gives, cell for cell, exactly what the full cloud gives.
/// - Complexity: O(n) time for n points considered plus O(k log k) per cell of k points for
///   the median; O(window cells) memory, plus O(points in the window) for the median.
public func rasterizeCloud(
    _ cloud: PointCloud, grid: DSMGrid, window: Window, statistic: CellStatistic, points: [Int32]? = nil
) -> RasterizedWindow {
    precondition(window.x >= 0 && window.y >= 0 && window.maxX <= grid.width && window.maxY <= grid.height && !window.isEmpty,
                 "rasterizeCloud: window \(window) outside the \(grid.width)x\(grid.height) grid")
    let cellCount = window.width * window.height
    var counts = [UInt32](repeating: 0, count: cellCount)
    var heights = [Float](repeating: .nan, count: cellCount)
    switch statistic {
    case .mean:
        var sums = [Double](repeating: 0, count: cellCount)
        forEachPoint(cloud, grid: grid, window: window, points: points) { cell, z in
            sums[cell] += z
            counts[cell] += 1
        }
        for c in 0..<cellCount where counts[c] > 0 { heights[c] = Float(sums[c] / Double(counts[c])) }
    case .plyflattenMean:
        var avg = [Float](repeating: 0, count: cellCount)
        var cnt = [Float](repeating: 0, count: cellCount)
        forEachPoint(cloud, grid: grid, window: window, points: points) { cell, z in
            // plyflatten.c: x->avg = (v * weight + x->cnt * x->avg) / (weight + x->cnt), weight 1;
            // cnt * avg and weight + cnt are Float products, the rest Double.
            let product = cnt[cell] * avg[cell]
            let denominator = 1 + cnt[cell]
            avg[cell] = Float((z + Double(product)) / Double(denominator))
            cnt[cell] += 1
            counts[cell] += 1
        }
        for c in 0..<cellCount where counts[c] > 0 { heights[c] = avg[c] }
    case .median:
        // Counting sort of the heights by cell, then a median per cell.
        forEachPoint(cloud, grid: grid, window: window, points: points) { cell, _ in counts[cell] += 1 }
        var starts = [Int](repeating: 0, count: cellCount + 1)
        for c in 0..<cellCount { starts[c + 1] = starts[c] + Int(counts[c]) }
        var next = starts
        var values = [Double](repeating: 0, count: starts[cellCount])
        forEachPoint(cloud, grid: grid, window: window, points: points) { cell, z in
            values[next[cell]] = z
            next[cell] += 1
        }
        values.withUnsafeMutableBufferPointer { v in
            for c in 0..<cellCount where counts[c] > 0 {
                heights[c] = Float(cellMedian(UnsafeMutableBufferPointer(rebasing: v[starts[c]..<starts[c + 1]])))
            }
        }
    }
    return RasterizedWindow(
        window: window,
        heights: ImageBuffer(width: window.width, height: window.height, pixels: heights),
        counts: ImageBuffer(width: window.width, height: window.height, pixels: counts))
}

/// The median of a non-empty buffer (reorders it): the middle value, or the mean of the two
/// middle values for an even count (numpy's `median`).
func cellMedian(_ values: UnsafeMutableBufferPointer<Double>) -> Double {
    precondition(!values.isEmpty, "median of nothing")
    let n = values.count
    if n == 1 { return values[0] }
    if n == 2 { return (values[0] + values[1]) / 2 }
    var sorted = values  // the same memory: sorts in place
    sorted.sort()
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

/// Calls `body(cell, z)` for every considered point with finite x, y, z that falls inside
/// `window`, in point order; `cell` is the row-major index inside the window.
@inline(__always)
private func forEachPoint(
    _ cloud: PointCloud, grid: DSMGrid, window: Window, points: [Int32]?, _ body: (Int, Double) -> Void
) {
    let x0 = Double(window.x), x1 = Double(window.maxX)
    let y0 = Double(window.y), y1 = Double(window.maxY)
    cloud.x.withUnsafeBufferPointer { xs in
        cloud.y.withUnsafeBufferPointer { ys in
            cloud.z.withUnsafeBufferPointer { zs in
                func visit(_ i: Int) {
                    let z = zs[i]
                    guard z.isFinite else { return }
                    let c = grid.column(x: xs[i]), r = grid.row(y: ys[i])
                    // NaN coordinates fail these comparisons too.
                    guard c >= x0, c < x1, r >= y0, r < y1 else { return }
                    body((Int(r) - window.y) * window.width + (Int(c) - window.x), z)
                }
                if let points {
                    for i in points { visit(Int(i)) }
                } else {
                    for i in 0..<xs.count { visit(i) }
                }
            }
        }
    }
}
