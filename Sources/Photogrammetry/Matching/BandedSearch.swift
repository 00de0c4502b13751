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
        for i in low.indices where low[i].isNaN { (low[i], high[i]) = (.infinity, -.infinity) }
        var scratch = [Float](unsafeUninitializedCapacity: cw * ch) { $1 = cw * ch }
        neighbourhoodExtreme(&low, width: cw, height: ch, radius: k, takeMinimum: true, scratch: &scratch)
        neighbourhoodExtreme(&high, width: cw, height: ch, radius: k, takeMinimum: false, scratch: &scratch)
        let first = range.lowerBound, last = max(range.lowerBound, range.upperBound - bandWidth + 1)
        let middle = (range.lowerBound + range.upperBound + 1) / 2 - bandWidth / 2
        // One window per coarse pixel (its 2x2 fine pixels share it), then spread to the fine
        // grid: both row by row over the cores.
        // Every entry of both is written below (uninitialised: no serial zeroing of fresh pages).
        var coarseOffsets = [Int32](unsafeUninitializedCapacity: cw * ch) { $1 = cw * ch }
        var offsets = [Int32](unsafeUninitializedCapacity: width * height) { $1 = width * height }
        low.withUnsafeBufferPointer { low in
        high.withUnsafeBufferPointer { high in
        own.withUnsafeBufferPointer { own in
        coarseOffsets.withUnsafeMutableBufferPointer { coarseOffsets in
            nonisolated(unsafe) let (low, high, own, coarseOffsets) = (low, high, own, coarseOffsets)
            concurrentRows(ch) { cy in
                for c in (cy * cw)..<((cy + 1) * cw) {
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
            }
        }
        }
        }
        }
        coarseOffsets.withUnsafeBufferPointer { source in
            offsets.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let (source, out) = (source, out)
                concurrentRows((height + 1) / 2) { cy in
                    let row = min(cy, ch - 1) * cw
                    let target = out.baseAddress! + 2 * cy * width
                    for x in 0..<width { target[x] = source[row + min(x >> 1, cw - 1)] }
                    if 2 * cy + 1 < height { (target + width).update(from: target, count: width) }
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
        low.withUnsafeMutableBufferPointer { low in
        high.withUnsafeMutableBufferPointer { high in
        own.withUnsafeMutableBufferPointer { own in
            nonisolated(unsafe) let (low, high, own) = (low, high, own)
            concurrentRanges(lines) { lineRange in
                var before = [Int](repeating: -1, count: count)
                for line in lineRange {
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
        }
        }
        }
    }

    /// Replaces `values` (no NaN) by their minimum (or maximum) within `radius` (a square),
    /// separably (the row pass into `scratch`, the same size), rows split over the cores.
    /// - Complexity: O(W·H·radius).
    private static func neighbourhoodExtreme(_ values: inout [Float], width: Int, height: Int, radius: Int,
                                             takeMinimum: Bool, scratch rows: inout [Float]) {
        precondition(values.count == width * height && rows.count == width * height)
        values.withUnsafeMutableBufferPointer { values in
            rows.withUnsafeMutableBufferPointer { rows in
                nonisolated(unsafe) let (values, rows) = (values.baseAddress!, rows.baseAddress!)
                concurrentRows(height) { y in
                    let source = values + y * width, target = rows + y * width
                    for x in 0..<width {
                        let range = max(0, x - radius)...min(width - 1, x + radius)
                        target[x] = takeMinimum ? extreme(source, range, <) : extreme(source, range, >)
                    }
                }
                concurrentRows(height) { y in
                    let j0 = max(0, y - radius), j1 = min(height - 1, y + radius)
                    let target = values + y * width
                    target.update(from: rows + j0 * width, count: width)
                    for j in j0...j1 {
                        if takeMinimum { combine(target, rows + j * width, width, <) } else { combine(target, rows + j * width, width, >) }
                    }
                }
            }
        }
    }

    /// The first of `values[range]` that no later one beats (`beats(b, a)`: b replaces a).
    @inline(__always)
    private static func extreme(_ values: UnsafePointer<Float>, _ range: ClosedRange<Int>,
                                _ beats: (Float, Float) -> Bool) -> Float {
        var v = values[range.lowerBound]
        for i in range where beats(values[i], v) { v = values[i] }
        return v
    }

    /// `target[x]` replaced by `source[x]` where it beats it, for x in 0..<count.
    @inline(__always)
    private static func combine(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, _ count: Int,
                                _ beats: (Float, Float) -> Bool) {
        for x in 0..<count where beats(source[x], target[x]) { target[x] = source[x] }
    }
}

/// Runs `body` on each of `count` rows, the rows split into at most 8 contiguous ranges run
/// concurrently (`concurrentRanges`).
@inline(__always)
func concurrentRows(_ count: Int, _ body: @Sendable (Int) -> Void) {
    concurrentRanges(count) { range in for row in range { body(row) } }
}

/// Runs `body` on at most 8 contiguous ranges splitting `0..<count`, concurrently: chunk c is
/// `c * count / chunks ..< (c + 1) * count / chunks`.
func concurrentRanges(_ count: Int, _ body: @Sendable (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let chunks = min(count, 8)
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        body((chunk * count / chunks)..<((chunk + 1) * count / chunks))
    }
}
