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
    /// twice the min..max of the coarse disparities within `pyramidNeighbourhood` coarse pixels
    /// (widened by `pyramidSlack`; where the spread is wider than the window, its middle), after
    /// filling invalid coarse pixels with the span of the nearest valid ones on their row (else
    /// column) on either side; the middle of `range` where the coarse image has no valid pixel.
    /// - Complexity: O(W·H + coarse pixels · neighbourhood).
    static func bandOffsets(coarse: ImageBuffer<Float>, width: Int, height: Int, range: ClosedRange<Int>,
                            bandWidth: Int) -> [Int32] {
        let (cw, ch) = (coarse.width, coarse.height)
        var low = [Float](repeating: .nan, count: cw * ch), high = low
        for y in 0..<ch {
            for x in 0..<cw {
                let v = coarse.storage[y * coarse.rowStride + x]
                low[y * cw + x] = v
                high[y * cw + x] = v
            }
        }
        fillGaps(&low, &high, count: cw, lines: ch, step: 1, lineStride: cw)  // along rows
        fillGaps(&low, &high, count: ch, lines: cw, step: cw, lineStride: 1)  // then columns
        let k = pyramidNeighbourhood
        let (ownLow, ownHigh) = (low, high)
        low = neighbourhoodExtreme(low, width: cw, height: ch, radius: k, takeMinimum: true)
        high = neighbourhoodExtreme(high, width: cw, height: ch, radius: k, takeMinimum: false)
        let first = range.lowerBound, last = range.upperBound - bandWidth + 1
        let middle = Int32((range.lowerBound + range.upperBound + 1) / 2 - bandWidth / 2)
        var offsets = [Int32](repeating: 0, count: width * height)
        for y in 0..<height {
            let cy = min(y / 2, ch - 1)
            for x in 0..<width {
                let c = cy * cw + min(x / 2, cw - 1)
                var start = Int(middle)
                if !low[c].isNaN {
                    let lo = 2 * Int(low[c].rounded(.down)) - pyramidSlack, hi = 2 * Int(high[c].rounded(.up)) + pyramidSlack
                    let need = hi - lo + 1
                    if need <= bandWidth {
                        start = lo - (bandWidth - need) / 2
                    } else {
                        // A depth edge nearby: centre on the pixel's own coarse span, inside lo...hi.
                        let own = Int(ownLow[c].rounded(.down)) + Int(ownHigh[c].rounded(.up))  // twice its middle
                        start = min(max(own - bandWidth / 2, lo), hi - bandWidth + 1)
                    }
                }
                offsets[y * width + x] = Int32(min(max(start, first), max(first, last)) - first)
            }
        }
        return offsets
    }

    /// Fills NaN entries of `low`/`high` along each line (`count` entries `step` apart, lines
    /// `lineStride` apart) with the min/max of the nearest valid entries before and after them.
    private static func fillGaps(_ low: inout [Float], _ high: inout [Float], count: Int, lines: Int, step: Int,
                                 lineStride: Int) {
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
            }
        }
    }

    /// The minimum (or maximum) of the non-NaN values within `radius` (a square), separably; NaN
    /// where none is.
    private static func neighbourhoodExtreme(_ values: [Float], width: Int, height: Int, radius: Int,
                                             takeMinimum: Bool) -> [Float] {
        func pick(_ a: Float, _ b: Float) -> Float {
            if a.isNaN { return b }
            if b.isNaN { return a }
            return takeMinimum ? min(a, b) : max(a, b)
        }
        var rows = [Float](repeating: .nan, count: values.count)
        for y in 0..<height {
            for x in 0..<width {
                var v = Float.nan
                for i in max(0, x - radius)...min(width - 1, x + radius) { v = pick(v, values[y * width + i]) }
                rows[y * width + x] = v
            }
        }
        var out = rows
        for y in 0..<height {
            for x in 0..<width {
                var v = Float.nan
                for j in max(0, y - radius)...min(height - 1, y + radius) { v = pick(v, rows[j * width + x]) }
                out[y * width + x] = v
            }
        }
        return out
    }
}
