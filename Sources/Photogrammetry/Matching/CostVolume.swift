import CStereoKernels
import Dispatch

/// A matching-cost volume of 8-bit cells for one tile: cell (x, y, i) is the cost of disparity
/// `minDisparity + i` at left pixel (x, y), at `(y * width + x) * stride + i`. `stride` is the
/// disparity count rounded up to 16 (one `SIMD16<UInt8>`); cells `count..<stride` are padding.
/// Banded (per-pixel windows, `offsets` set): cell (x, y, i) is disparity
/// `minDisparity + offsets[y * width + x] + i`, each pixel's window `count` (a multiple of 16)
/// wide inside the tile's `span` disparities.
/// Owns its memory (freed on deinit) and keeps it when reshaped to a tile that fits, so that a
/// `MatchingWorkspace` matches tile after tile without new allocations (and page faults).
/// Not shared across threads except read-only.
final class CostVolume: @unchecked Sendable {
    private(set) var width = 0
    private(set) var height = 0
    private(set) var minDisparity = 0
    private(set) var count = 0
    private(set) var stride = 0
    private(set) var cells: UnsafeMutablePointer<UInt8>
    private var capacity = 0
    /// Banded volumes: each pixel's window start (disparity index in the tile's range), else nil.
    private(set) var offsets: UnsafeMutablePointer<Int32>?
    private var offsetStorage: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
    private var offsetCapacity = 1
    /// Disparities of the tile's range: `count` for a full volume, more for a banded one.
    private(set) var span = 0

    init() { cells = .allocate(capacity: 1) }

    convenience init(width: Int, height: Int, minDisparity: Int, count: Int) {
        self.init()
        reshape(width: width, height: height, minDisparity: minDisparity, count: count)
    }

    deinit { cells.deallocate(); offsetStorage.deallocate() }

    /// Sets the tile's shape, reallocating only when it needs more cells than held. The cells'
    /// contents are undefined afterwards (`fillCensusCosts` writes every one).
    /// - Parameter band: per-pixel windows (`DisparityBand`: offsets `width * height`, each in
    ///   `0...count - band.width`, and the window width, a multiple of 16); nil for a full volume.
    func reshape(width: Int, height: Int, minDisparity: Int, count: Int, band: DisparityBand? = nil) {
        (self.width, self.height, self.minDisparity, self.count, span) = (width, height, minDisparity, count, count)
        offsets = nil
        if let band {
            precondition(band.offsets.count == width * height && band.width % 16 == 0 && band.width <= count)
            if band.offsets.count > offsetCapacity {
                offsetStorage.deallocate()
                offsetStorage = .allocate(capacity: band.offsets.count)
                offsetCapacity = band.offsets.count
            }
            _ = band.offsets.withUnsafeBufferPointer { UnsafeMutableBufferPointer(start: offsetStorage, count: $0.count).initialize(from: $0) }
            offsets = offsetStorage
            self.count = band.width
        }
        stride = CostVolume.stride(for: self.count)
        let total = max(width * height * stride, 1)
        if total > capacity {
            cells.deallocate()
            cells = .allocate(capacity: total)
            capacity = total
        }
    }

    /// Disparities rounded up to a whole number of 16-byte vectors.
    static func stride(for count: Int) -> Int { (count + 15) / 16 * 16 }

    subscript(x: Int, y: Int, i: Int) -> UInt8 { cells[(y * width + x) * stride + i] }
}

/// Buffers that `StereoMatcher.match` reuses from one call to the next (the cost volume and the
/// half-sweep sums of `sgmAggregatePipelined`, about 3 bytes per cell of the largest tile seen,
/// and the per-tile arrays of `TileBuffers`):
/// pass one workspace to every tile of a worker, as OpenCV's SGBM keeps its buffer between
/// `compute` calls. Not thread-safe: one workspace per concurrent caller.
public final class MatchingWorkspace: @unchecked Sendable {
    let costs = CostVolume()
    /// The two whole-tile sum volumes of the unpipelined path (`sgmAggregate`), allocated only when used.
    let aggregated = AggregatedVolume()
    /// Per-tile arrays (`TileBuffers`), taken by a match and put back when it ends.
    var tile = TileBuffers()
    private(set) var sums: UnsafeMutablePointer<UInt16> = .allocate(capacity: 1)
    private var sumsCapacity = 1
    public init() {}
    deinit { sums.deallocate() }

    /// `sums` with room for at least `count` entries (contents undefined).
    func reserveSums(_ count: Int) -> UnsafeMutablePointer<UInt16> {
        if count > sumsCapacity {
            sums.deallocate()
            sums = .allocate(capacity: count)
            sumsCapacity = count
        }
        return sums
    }
}

/// Population count of eight 64-bit lanes (SWAR bit counting; Hacker's Delight 5-1), written with
/// shifts and adds only so it vectorises on baseline x86-64 (no POPCNT, no 64-bit multiply).
@inline(__always)
func popcount(_ value: SIMD8<UInt64>) -> SIMD8<UInt64> {
    var v = value
    v = v &- ((v &>> 1) & SIMD8(repeating: 0x5555_5555_5555_5555))
    let m2 = SIMD8<UInt64>(repeating: 0x3333_3333_3333_3333)
    v = (v & m2) &+ ((v &>> 2) & m2)
    v = (v &+ (v &>> 4)) & SIMD8(repeating: 0x0F0F_0F0F_0F0F_0F0F)
    v = v &+ (v &>> 8)
    v = v &+ (v &>> 16)
    v = v &+ (v &>> 32)
    return v & SIMD8(repeating: 0x7F)
}

/// Population count of sixteen 32-bit lanes (SWAR, as `popcount(_: SIMD8<UInt64>)`).
@inline(__always)
func popcount(_ value: SIMD16<UInt32>) -> SIMD16<UInt32> {
    var v = value
    v = v &- ((v &>> 1) & SIMD16(repeating: 0x5555_5555))
    let m2 = SIMD16<UInt32>(repeating: 0x3333_3333)
    v = (v & m2) &+ ((v &>> 2) & m2)
    v = (v &+ (v &>> 4)) & SIMD16(repeating: 0x0F0F_0F0F)
    v = v &+ (v &>> 8)
    v = v &+ (v &>> 16)
    return v & SIMD16(repeating: 0x3F)
}

/// Census matching costs of one row: `out[x * stride + i]` = Hamming distance between left code
/// `x` and right code `x - (minDisparity + i)` (convention x_right = x_left - d), or `maxCost`
/// when either pixel is invalid or `x - d` falls outside the row. Cells `count..<stride` get
/// costs of the same formula (padding, ignored downstream).
///
/// SIMD kernel: the right row is laid out reversed so that the right pixels of consecutive
/// disparities are consecutive in memory, then XOR, SWAR popcount and validity select, 16
/// disparities per step in `SIMD16<UInt32>` lanes when codes have at most 32 bits (`maxCost <= 32`,
/// census windows with at most 33 pixels: 5x5, 7x3), else 8 per step in `SIMD8<UInt64>`.
/// With `kernels` set and codes of at most 32 bits, the per-pixel loop is the C kernel
/// `relief_census_cost_row32` (SSE2, or AVX2 with 32 disparities per step); nil keeps the Swift
/// SIMD loop. Plain version: `censusCostRowReference`.
///
/// - Parameters:
///   - leftValid, rightValid: one flag per pixel (false = nodata).
///   - scratchCodes, scratchMasks: caller-owned, at least `(width + max(stride, span) + 8) * 8`
///     bytes each, 8-byte aligned (rebound to UInt32 or UInt64 here).
///   - offsets, span: per-pixel windows (a banded volume): cell i of pixel x is disparity
///     `minDisparity + offsets[x] + i`, inside `span` disparities; nil for a full volume.
/// - Complexity: O(W·D) time.
func censusCostRow(
    leftCodes: UnsafePointer<UInt64>, leftValid: UnsafePointer<Bool>,
    rightCodes: UnsafePointer<UInt64>, rightValid: UnsafePointer<Bool>,
    width: Int, minDisparity: Int, count: Int, stride: Int, maxCost: UInt8,
    scratchCodes: UnsafeMutableRawPointer, scratchMasks: UnsafeMutableRawPointer,
    out: UnsafeMutablePointer<UInt8>, kernels: ReliefKernelLevel? = ReliefKernelAuto,
    offsets: UnsafePointer<Int32>? = nil, span: Int = 0
) {
    precondition(stride % 16 == 0 && stride >= count)
    // Reversed, extended right row: entry k holds the right pixel xr = width - 1 - k - minDisparity.
    let extended = width + max(stride, span) + 8
    if maxCost <= 32 {
        let codes32 = scratchCodes.bindMemory(to: UInt32.self, capacity: extended)
        let masks32 = scratchMasks.bindMemory(to: UInt32.self, capacity: extended)
        for k in 0..<extended {
            let xr = width - 1 - k - minDisparity
            let valid = xr >= 0 && xr < width && rightValid[xr]
            codes32[k] = valid ? UInt32(truncatingIfNeeded: rightCodes[xr]) : 0
            masks32[k] = valid ? ~0 : 0
        }
        if let kernels {
            relief_census_cost_row32(leftCodes, leftValid, codes32, masks32, Int32(width), Int32(stride), maxCost, offsets,
                                     out, kernels)
            return
        }
        let codes = UnsafeRawPointer(codes32), masks = UnsafeRawPointer(masks32)
        let word = MemoryLayout<UInt32>.stride
        let maxVector = SIMD16<UInt32>(repeating: UInt32(maxCost))
        for x in 0..<width {
            let left = SIMD16<UInt32>(repeating: UInt32(truncatingIfNeeded: leftCodes[x]))
            let leftMask = SIMD16<UInt32>(repeating: leftValid[x] ? ~0 : 0)
            let k0 = width - 1 - x + Int(offsets?[x] ?? 0)
            let row = UnsafeMutableRawPointer(out + x * stride)
            var i = 0
            while i < stride {
                let right = codes.loadUnaligned(fromByteOffset: (k0 + i) * word, as: SIMD16<UInt32>.self)
                let valid = masks.loadUnaligned(fromByteOffset: (k0 + i) * word, as: SIMD16<UInt32>.self) & leftMask
                let distance = popcount(left ^ right)
                let cost = (distance & valid) | (maxVector & ~valid)
                row.storeBytes(of: narrow(cost), toByteOffset: i, as: SIMD16<UInt8>.self)
                i += 16
            }
        }
        return
    }
    let codes64 = scratchCodes.bindMemory(to: UInt64.self, capacity: extended)
    let masks64 = scratchMasks.bindMemory(to: UInt64.self, capacity: extended)
    for k in 0..<extended {
        let xr = width - 1 - k - minDisparity
        let valid = xr >= 0 && xr < width && rightValid[xr]
        codes64[k] = valid ? rightCodes[xr] : 0
        masks64[k] = valid ? ~0 : 0
    }
    let codes = UnsafeRawPointer(codes64)
    let masks = UnsafeRawPointer(masks64)
    let maxVector = SIMD8<UInt64>(repeating: UInt64(maxCost))
    let word = MemoryLayout<UInt64>.stride
    for x in 0..<width {
        let left = SIMD8<UInt64>(repeating: leftCodes[x])
        let leftMask = SIMD8<UInt64>(repeating: leftValid[x] ? ~0 : 0)
        let k0 = width - 1 - x + Int(offsets?[x] ?? 0)
        let row = UnsafeMutableRawPointer(out + x * stride)
        var i = 0
        while i < stride {
            let right = codes.loadUnaligned(fromByteOffset: (k0 + i) * word, as: SIMD8<UInt64>.self)
            let valid = masks.loadUnaligned(fromByteOffset: (k0 + i) * word, as: SIMD8<UInt64>.self) & leftMask
            let distance = popcount(left ^ right)
            let cost = (distance & valid) | (maxVector & ~valid)
            row.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: cost), toByteOffset: i, as: SIMD8<UInt8>.self)
            i += 8
        }
    }
}

/// Plain version of `censusCostRow` for cells `0..<count` (same values).
/// - Complexity: O(W·D) time.
func censusCostRowReference(
    leftCodes: UnsafePointer<UInt64>, leftValid: UnsafePointer<Bool>,
    rightCodes: UnsafePointer<UInt64>, rightValid: UnsafePointer<Bool>,
    width: Int, minDisparity: Int, count: Int, stride: Int, maxCost: UInt8,
    out: UnsafeMutablePointer<UInt8>, offsets: UnsafePointer<Int32>? = nil
) {
    for x in 0..<width {
        for i in 0..<count {
            let xr = x - (minDisparity + Int(offsets?[x] ?? 0) + i)
            var cost = maxCost
            if xr >= 0 && xr < width && leftValid[x] && rightValid[xr] {
                cost = UInt8((leftCodes[x] ^ rightCodes[xr]).nonzeroBitCount)
            }
            out[x * stride + i] = cost
        }
    }
}

extension CostVolume {
    /// Fills the volume from census codes of both images (row-major, `width * height`),
    /// rows split over the cores, and writes each valid left pixel's `ambiguityConfidence` (with
    /// `confidenceLevels`) to `confidence` while its costs are still in cache (NaN elsewhere).
    /// - Complexity: O(W·H·D) time, O(W + D) scratch per worker.
    func fillCensusCosts(left: [UInt64], leftValid: [Bool], right: [UInt64], rightValid: [Bool], maxCost: UInt8,
                         gradients: GradientCostInputs? = nil, confidence: inout [Float], confidenceLevels: Int) {
        precondition(confidence.count == width * height)
        let noGradients: [UInt8] = []
        let leftGradients = gradients?.left ?? noGradients, rightGradients = gradients?.right ?? noGradients
        let chunks = min(height, 16)
        guard chunks > 0 else { return }
        nonisolated(unsafe) let cells = self.cells
        let (width, height, stride, minDisparity, count) = (self.width, self.height, self.stride, self.minDisparity, self.count)
        precondition(offsets == nil || gradients == nil, "banded volumes take no gradient cost")
        nonisolated(unsafe) let offsets = self.offsets
        let span = self.span
        confidence.withUnsafeMutableBufferPointer { confidence in
        leftGradients.withUnsafeBufferPointer { lg in
        rightGradients.withUnsafeBufferPointer { rg in
        nonisolated(unsafe) let (lg, rg) = (lg, rg)
        left.withUnsafeBufferPointer { lc in
            right.withUnsafeBufferPointer { rc in
                leftValid.withUnsafeBufferPointer { lv in
                    rightValid.withUnsafeBufferPointer { rv in
                        nonisolated(unsafe) let (lc, rc, lv, rv, confidence) = (lc, rc, lv, rv, confidence)
                        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                            let y0 = chunk * height / chunks, y1 = (chunk + 1) * height / chunks
                            let scratchCount = width + max(stride, span) + 8
                            let codes = UnsafeMutableRawPointer.allocate(byteCount: scratchCount * 8, alignment: 16)
                            let masks = UnsafeMutableRawPointer.allocate(byteCount: scratchCount * 8, alignment: 16)
                            let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: 2 * (width + stride + 16))
                            defer { codes.deallocate(); masks.deallocate(); bytes.deallocate() }
                            for y in y0..<y1 {
                                censusCostRow(
                                    leftCodes: lc.baseAddress! + y * width, leftValid: lv.baseAddress! + y * width,
                                    rightCodes: rc.baseAddress! + y * width, rightValid: rv.baseAddress! + y * width,
                                    width: width, minDisparity: minDisparity, count: count, stride: stride, maxCost: maxCost,
                                    scratchCodes: codes, scratchMasks: masks, out: cells + y * width * stride,
                                    offsets: offsets.map { UnsafePointer($0 + y * width) }, span: span)
                                if let gradients {
                                    gradientCostRow(
                                        leftGradients: lg.baseAddress! + y * width, leftValid: lv.baseAddress! + y * width,
                                        rightGradients: rg.baseAddress! + y * width, rightValid: rv.baseAddress! + y * width,
                                        width: width, minDisparity: minDisparity, count: count, stride: stride,
                                        weight16: gradients.weight16, cap: gradients.cap, scratch: bytes,
                                        out: cells + y * width * stride)
                                }
                                // C kernel equal to `ambiguityConfidence` per pixel (tested).
                                relief_ambiguity_confidence_row(cells + y * width * stride, lv.baseAddress! + y * width,
                                                                Int32(width), Int32(count), Int32(stride), Int32(confidenceLevels),
                                                                confidence.baseAddress! + y * width, ReliefKernelAuto)
                            }
                        }
                    }
                }
            }
        }
        }
        }
        }
    }
}

/// The second cost's inputs for `fillCensusCosts`: both images' `quantisedGradients` (same
/// intensity mapping), the weight in 1/16 and the cap of the gradient term.
struct GradientCostInputs: Sendable {
    var left: [UInt8]
    var right: [UInt8]
    var weight16: UInt16
    var cap: UInt8
}
