import Dispatch
import Raster

/// Per-pixel disparity windows (tSGM, Rothermel, Wenzel, Fritsch & Haala 2012): pixel p searches
/// disparities `lowest + offsets[p] ..< lowest + offsets[p] + width` of its tile's range
/// (`lowest` the range's lower bound), so the cost volume, the SGM paths and the decision hold
/// `width` cells a pixel instead of the whole range. SGM reads the previous pixel's path costs
/// shifted by the difference of the two offsets; disparities outside the previous window count as
/// unreachable (the sentinel), so eq. 13 of Hirschmüller 2008 holds over each window.
struct DisparityBand: Sendable, Hashable {
    /// Disparities each pixel searches: a multiple of 16 (the kernels' vector width).
    var width: Int
    /// Each pixel's window start, row-major, relative to the range's lower bound.
    var offsets: [Int32]
}

extension StereoMatcher {
    /// Window width of `.pyramid`'s per-pixel windows: one 32-byte AVX2 step per path and pixel.
    /// Measured (Cones, 2000x2000 pair): see `Benchmarks/results/match.md`.
    static let pyramidBandWidth = 32

    /// Whether per-pixel windows can run with `parameters`: the banded path costs need
    /// `maxCost + p1 + 2 p2 <= 255` (a pixel whose window misses its predecessor's minimum starts
    /// at up to `maxCost + p2`), and the second (gradient) cost has no banded kernel.
    static func bandSupported(_ parameters: StereoMatchingParameters) -> Bool {
        parameters.gradientWeight == 0 && parameters.maxCost + parameters.p1 + 2 * parameters.p2 <= 255
    }

    /// Per-pixel windows of `bandWidth` disparities inside `range` for a `width` x `height` image,
    /// predicted from its half-resolution disparities `coarse`: each pixel's window is centred on
    /// twice the min..max of the coarse disparities within `pyramidNeighbourhood` coarse pixels,
    /// widened by `pyramidSlack`; where that is wider than the window (a depth edge), on twice the
    /// pixel's own coarse disparity, inside that min..max. Invalid coarse pixels count with the
    /// span of the nearest valid ones on their row (else column), before and after them, and as
    /// own disparity the nearer one's (the smaller at equal distances); the middle of `range`
    /// where the coarse image has no valid pixel.
    /// - Complexity: O(W·H + coarse pixels · neighbourhood).
    static func bandOffsets(coarse: ImageBuffer<Float>, width: Int, height: Int, range: ClosedRange<Int>,
                            bandWidth: Int) -> [Int32] {
        let (cw, ch) = (coarse.width, coarse.height)
        var low = [Float](repeating: .nan, count: cw * ch)
        coarse.storage.withUnsafeBufferPointer { source in
            low.withUnsafeMutableBufferPointer { low in
                for y in 0..<ch { for x in 0..<cw { low[y * cw + x] = source[y * coarse.rowStride + x] } }
            }
        }
        var (high, own) = (low, low)
        fillGaps(&low, &high, &own, count: cw, lines: ch, step: 1, lineStride: cw)  // along rows
        fillGaps(&low, &high, &own, count: ch, lines: cw, step: cw, lineStride: 1)  // then columns
        let k = pyramidNeighbourhood
        // Pixels still without a span (the coarse image has no valid pixel) never win a min / max.
        low = neighbourhoodExtreme(low.map { $0.isNaN ? .infinity : $0 }, width: cw, height: ch, radius: k, takeMinimum: true)
        high = neighbourhoodExtreme(high.map { $0.isNaN ? -.infinity : $0 }, width: cw, height: ch, radius: k, takeMinimum: false)
        let first = range.lowerBound, last = max(range.lowerBound, range.upperBound - bandWidth + 1)
        let middle = (range.lowerBound + range.upperBound + 1) / 2 - bandWidth / 2
        // One window per coarse pixel (its 2x2 fine pixels share it), then spread to the fine grid.
        var coarseOffsets = [Int32](repeating: 0, count: cw * ch)
        for c in 0..<(cw * ch) {
            var start = middle
            if low[c].isFinite {
                let lo = 2 * Int(low[c].rounded(.down)) - pyramidSlack, hi = 2 * Int(high[c].rounded(.up)) + pyramidSlack
                let need = hi - lo + 1
                if need <= bandWidth {
                    start = lo - (bandWidth - need) / 2
                } else {
                    // A depth edge nearby: centre on the pixel's own coarse disparity (or its
                    // nearest valid one's), inside lo...hi.
                    start = min(max(Int((2 * own[c]).rounded()) - bandWidth / 2, lo), hi - bandWidth + 1)
                }
            }
            coarseOffsets[c] = Int32(min(max(start, first), last) - first)
        }
        var offsets = [Int32](repeating: 0, count: width * height)
        coarseOffsets.withUnsafeBufferPointer { source in
            offsets.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    let row = min(y / 2, ch - 1) * cw
                    for x in 0..<width { out[y * width + x] = source[row + min(x / 2, cw - 1)] }
                }
            }
        }
        return offsets
    }

    /// Fills NaN entries of `low`/`high` along each line (`count` entries `step` apart, lines
    /// `lineStride` apart) with the min/max of the nearest valid entries before and after them,
    /// and `own` with the nearer one's (the smaller at equal distances: the background side of an
    /// occlusion).
    private static func fillGaps(_ low: inout [Float], _ high: inout [Float], _ own: inout [Float], count: Int,
                                 lines: Int, step: Int, lineStride: Int) {
        var before = [Int](repeating: -1, count: count)
        for line in 0..<lines {
            let base = line * lineStride
            var last = -1
            for i in 0..<count {
                if !low[base + i * step].isNaN { last = i }
                before[i] = last
            }
            var next = -1
            for i in stride(from: count - 1, through: 0, by: -1) {
                let index = base + i * step
                if !low[index].isNaN { next = i; continue }
                let a = before[i], b = next
                guard a >= 0 || b >= 0 else { continue }
                let first = a >= 0 ? a : b, second = b >= 0 ? b : a
                low[index] = min(low[base + first * step], low[base + second * step])
                high[index] = max(high[base + first * step], high[base + second * step])
                let (u, v) = (own[base + first * step], own[base + second * step])
                let (da, db) = (a >= 0 ? i - a : Int.max, b >= 0 ? b - i : Int.max)
                own[index] = da < db ? u : (db < da ? v : min(u, v))
            }
        }
    }

    /// The minimum (or maximum) of `values` (no NaN) within `radius` (a square), separably, rows
    /// split over the cores.
    /// - Complexity: O(W·H·radius).
    private static func neighbourhoodExtreme(_ values: [Float], width: Int, height: Int, radius: Int,
                                             takeMinimum: Bool) -> [Float] {
        var rows = [Float](repeating: 0, count: values.count)
        var out = rows
        let chunks = min(height, 8)
        values.withUnsafeBufferPointer { values in
            rows.withUnsafeMutableBufferPointer { rows in
                nonisolated(unsafe) let (values, rows) = (values, rows)
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    for y in (chunk * height / chunks)..<((chunk + 1) * height / chunks) {
                        for x in 0..<width {
                            var v = values[y * width + x]
                            for i in max(0, x - radius)...min(width - 1, x + radius) {
                                v = takeMinimum ? min(v, values[y * width + i]) : max(v, values[y * width + i])
                            }
                            rows[y * width + x] = v
                        }
                    }
                }
            }
        }
        rows.withUnsafeBufferPointer { rows in
            out.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let (rows, out) = (rows, out)
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    for y in (chunk * height / chunks)..<((chunk + 1) * height / chunks) {
                        let j0 = max(0, y - radius), j1 = min(height - 1, y + radius)
                        for x in 0..<width { out[y * width + x] = rows[j0 * width + x] }
                        for j in j0...j1 {
                            for x in 0..<width {
                                out[y * width + x] = takeMinimum ? min(out[y * width + x], rows[j * width + x])
                                                                 : max(out[y * width + x], rows[j * width + x])
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
