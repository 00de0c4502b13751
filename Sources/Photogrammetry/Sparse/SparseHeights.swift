import Raster

/// Heights of the scene measured by the coarse matches, at reference pixels: the height ranges
/// of the whole ROI and of each tile (robust percentiles plus a margin), so that a single wrong
/// match cannot blow a range up and no height prior is needed.
public struct SparseHeights: Sendable, CustomStringConvertible {
    /// Reference pixel (column, row) and ellipsoidal height of each sample, sorted by bucket.
    let columns: [Float]
    let rows: [Float]
    let heights: [Float]
    /// Samples of bucket b: `bucketStart[b]..<bucketStart[b + 1]`; buckets of `bucketSide`
    /// reference pixels, row by row over `bounds`.
    let bucketStart: [Int32]
    let bucketSide: Int
    let bounds: Window
    let bucketColumns: Int
    /// The height precision of the coarse level, metres (one coarse pixel of disparity).
    public let precision: Double
    let parameters: SparseParameters

    public var count: Int { heights.count }

    public var description: String {
        let g = global.map { String(format: "%.1f...%.1f m", $0.lowerBound, $0.upperBound) } ?? "none"
        return "\(count) height samples over \(bounds), range \(g), precision " + String(format: "%.1f m", precision)
    }

    init(columns: [Float], rows: [Float], heights: [Float], bounds: Window, precision: Double, parameters: SparseParameters) {
        let side = max(16, Int((Double(bounds.pixelCount) / Double(max(1, heights.count)) * 8).squareRoot()))
        let bc = (bounds.width + side - 1) / side, br = (bounds.height + side - 1) / side
        func bucket(_ k: Int) -> Int {
            let i = min(bc - 1, max(0, (Int(columns[k]) - bounds.x) / side))
            let j = min(br - 1, max(0, (Int(rows[k]) - bounds.y) / side))
            return j * bc + i
        }
        var counts = [Int32](repeating: 0, count: bc * br + 1)
        for k in heights.indices { counts[bucket(k) + 1] += 1 }
        for b in 1..<counts.count { counts[b] += counts[b - 1] }
        var next = counts
        var c = [Float](repeating: 0, count: heights.count), r = c, h = c
        for k in heights.indices {
            let b = bucket(k), n = Int(next[b])
            next[b] += 1
            (c[n], r[n], h[n]) = (columns[k], rows[k], heights[k])
        }
        self.columns = c
        self.rows = r
        self.heights = h
        bucketStart = counts
        bucketSide = side
        self.bounds = bounds
        bucketColumns = bc
        self.precision = precision
        self.parameters = parameters
    }

    /// The heights of the samples in `window` (reference pixels).
    func samples(in window: Window) -> [Double] {
        guard let w = window.intersection(bounds) else { return [] }
        let i0 = (w.x - bounds.x) / bucketSide, i1 = (w.maxX - 1 - bounds.x) / bucketSide
        let j0 = (w.y - bounds.y) / bucketSide, j1 = (w.maxY - 1 - bounds.y) / bucketSide
        var out: [Double] = []
        for j in j0...j1 {
            for i in i0...i1 {
                let b = j * bucketColumns + i
                for k in Int(bucketStart[b])..<Int(bucketStart[b + 1]) {
                    let x = Int(columns[k]), y = Int(rows[k])
                    if x >= w.x, x < w.maxX, y >= w.y, y < w.maxY { out.append(Double(heights[k])) }
                }
            }
        }
        return out
    }

    /// The robust range of some heights (percentiles), widened by the margin; nil for none.
    func range(of values: [Double], low: Double, high: Double) -> ClosedRange<Double>? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        let a = RobustStatistics.percentile(sorted: s, low), b = RobustStatistics.percentile(sorted: s, high)
        let margin = max(parameters.minimumMargin, parameters.marginFraction * (b - a), 2 * precision)
        let p = HeightRange.plausible
        return max(p.lowerBound, a - margin)...min(p.upperBound, max(a - margin, b + margin))
    }

    /// The robust extent of all the samples (percentiles `low` and `high`), without margin:
    /// what a given prior is checked against.
    public func core(low: Double, high: Double) -> ClosedRange<Double> {
        let s = heights.map(Double.init).sorted()
        guard !s.isEmpty else { return 0...0 }
        return RobustStatistics.percentile(sorted: s, low)...RobustStatistics.percentile(sorted: s, high)
    }

    /// The whole ROI's range (the 0.1 and 99.9 percentiles, widened).
    public var global: ClosedRange<Double>? {
        range(of: heights.map(Double.init), low: min(parameters.lowPercentile, 0.1), high: max(parameters.highPercentile, 99.9))
    }

    /// The range of a reference tile: the samples over the tile and half a tile around it (a
    /// neighbourhood doubled up to three times while it holds fewer than `minimumTileSamples`),
    /// else `fallback`.
    public func range(for tile: Window, fallback: ClosedRange<Double>) -> ClosedRange<Double> {
        var grow = max(tile.width, tile.height) / 2
        for _ in 0..<4 {
            let values = samples(in: tile.expanded(by: grow))
            if values.count >= parameters.minimumTileSamples,
               let r = range(of: values, low: parameters.lowPercentile, high: parameters.highPercentile) {
                return r
            }
            grow *= 2
        }
        return fallback
    }
}
