import CStereoKernels
import Dispatch

/// The minimum and the first index reaching it of `S = forward + backward` over `0..<count`,
/// writing S to `total` (`stride` entries; those at and after `count` are set to `UInt16.max`).
///
/// SIMD kernel: 16 disparities per step in `SIMD16<UInt16>` (sum and minimum, then the search for
/// the chunk holding the first minimum); plain version `aggregatedMinimumReference`.
/// - Complexity: O(D).
@inline(__always)
func aggregatedMinimum(
    forward: UnsafePointer<UInt16>, backward: UnsafePointer<UInt16>, count: Int, stride: Int,
    total: UnsafeMutablePointer<UInt16>
) -> (minimum: UInt16, index: Int) {
    let f = UnsafeRawPointer(forward), b = UnsafeRawPointer(backward), t = UnsafeMutableRawPointer(total)
    var minimum = SIMD16<UInt16>(repeating: .max)
    let lane = SIMD16<UInt16>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    var k = 0
    while k < stride {
        var sum = f.loadUnaligned(fromByteOffset: 2 * k, as: SIMD16<UInt16>.self)
            &+ b.loadUnaligned(fromByteOffset: 2 * k, as: SIMD16<UInt16>.self)
        if k + 16 > count {
            sum.replace(with: .max, where: lane .>= SIMD16(repeating: UInt16(truncatingIfNeeded: max(count - k, 0))))
        }
        t.storeBytes(of: sum, toByteOffset: 2 * k, as: SIMD16<UInt16>.self)
        minimum = lanewiseMin(minimum, sum)
        k += 16
    }
    let value = horizontalMin(minimum)
    // The first index holding the minimum: the chunk of 16 first (lanes equal to it, folded to one
    // mask word), then within it.
    let target = SIMD16<UInt16>(repeating: value)
    var index = 0
    while true {
        let equal = SIMD16<UInt16>(repeating: 0).replacing(with: 1, where: t.loadUnaligned(fromByteOffset: 2 * index, as: SIMD16<UInt16>.self) .== target)
        if horizontalMax(equal) != 0 { break }
        index += 16
    }
    while total[index] != value { index += 1 }
    return (value, index)
}

/// The largest lane, by halving (as `horizontalMin`).
@inline(__always)
func horizontalMax(_ v: SIMD16<UInt16>) -> UInt16 {
    let a = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
    let b = a.lowHalf.replacing(with: a.highHalf, where: a.highHalf .> a.lowHalf)
    let c = b.lowHalf.replacing(with: b.highHalf, where: b.highHalf .> b.lowHalf)
    return max(c[0], c[1])
}

/// Plain version of `aggregatedMinimum` (same results).
func aggregatedMinimumReference(
    forward: UnsafePointer<UInt16>, backward: UnsafePointer<UInt16>, count: Int, stride: Int,
    total: UnsafeMutablePointer<UInt16>
) -> (minimum: UInt16, index: Int) {
    var best = (minimum: UInt16.max, index: 0)
    for i in 0..<stride {
        total[i] = i < count ? forward[i] &+ backward[i] : .max
        if i < count && (i == 0 || total[i] < best.minimum) { best = (total[i], i) }
    }
    return best
}

/// Updates the right image's winners with one left pixel's aggregated costs (the left-right
/// check's right disparity map, computed from the same volume as in OpenCV's SGBM): for each
/// disparity index i, the right pixel x_r = x - minDisparity - i takes i when `total[i]` is
/// strictly below its best so far (so the first, smallest-x candidate wins ties).
///
/// The right pixels are stored reversed, `b = width - 1 - x_r - minDisparity`, so that the
/// disparities of one left pixel are consecutive: 16 per step in `SIMD16<UInt16>` (compare and
/// select). Entries whose x_r falls outside the row are scratch and never read. Plain version:
/// `updateRightWinnersReference`.
///
/// - Parameters:
///   - total: `stride` aggregated costs, `UInt16.max` from `count` on.
///   - bestCost, bestIndex: `width + stride` entries each, reset to `UInt16.max` / anything per row.
/// - Complexity: O(D).
/// With per-pixel windows, pass x - offset as `x` and the offset as `indexBase` (stored for cell
/// i: indexBase + i).
@inline(__always)
func updateRightWinners(total: UnsafePointer<UInt16>, stride: Int, x: Int, width: Int,
                        bestCost: UnsafeMutablePointer<UInt16>, bestIndex: UnsafeMutablePointer<UInt16>,
                        indexBase: Int = 0) {
    let t = UnsafeRawPointer(total)
    let costs = UnsafeMutableRawPointer(bestCost + (width - 1 - x))
    let indices = UnsafeMutableRawPointer(bestIndex + (width - 1 - x))
    var lane = SIMD16<UInt16>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) &+ SIMD16(repeating: UInt16(indexBase))
    var i = 0
    while i < stride {
        let candidate = t.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
        let current = costs.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
        let better = candidate .< current
        costs.storeBytes(of: current.replacing(with: candidate, where: better), toByteOffset: 2 * i, as: SIMD16<UInt16>.self)
        let index = indices.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
        indices.storeBytes(of: index.replacing(with: lane, where: better), toByteOffset: 2 * i, as: SIMD16<UInt16>.self)
        lane &+= SIMD16(repeating: 16)
        i += 16
    }
}

/// Plain version of `updateRightWinners` (same results on every entry it writes).
func updateRightWinnersReference(total: UnsafePointer<UInt16>, stride: Int, x: Int, width: Int,
                                 bestCost: UnsafeMutablePointer<UInt16>, bestIndex: UnsafeMutablePointer<UInt16>,
                                 indexBase: Int = 0) {
    for i in 0..<stride {
        let b = width - 1 - x + i
        if total[i] < bestCost[b] {
            bestCost[b] = total[i]
            bestIndex[b] = UInt16(indexBase + i)
        }
    }
}

/// Winner-takes-all on the aggregated costs, with uniqueness ratio, sub-pixel refinement,
/// left-right consistency, row by row (`decideRow`), rows split over the cores. Returns the
/// disparities, row-major `width * height`, NaN where invalid.
/// - Complexity: O(W·H·D) time, O(W + D) scratch per worker.
func decideDisparities(
    aggregated: AggregatedVolume, costs: CostVolume, leftValid: [Bool], rightValid: [Bool],
    leftPixels: [Float], rightPixels: [Float], parameters: StereoMatchingParameters
) -> [Float] {
    let (width, height, stride) = (costs.width, costs.height, costs.stride)
    var disparity = [Float](repeating: .nan, count: width * height)
    let chunks = min(height, 16)
    guard chunks > 0, width > 0 else { return disparity }
    let decider = RowDecider(costs: costs, leftValid: leftValid, rightValid: rightValid, leftPixels: leftPixels,
                             rightPixels: rightPixels, parameters: parameters, workers: chunks)
    disparity.withUnsafeMutableBufferPointer { out in
        nonisolated(unsafe) let out = out.baseAddress!
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            for y in (chunk * height / chunks)..<((chunk + 1) * height / chunks) {
                let cell = y * width * stride
                decider.decide(worker: chunk, y: y, forward: aggregated.forward + cell, backward: aggregated.backward + cell,
                               into: out)
            }
        }
    }
    return disparity
}

/// The decision of one row from its aggregated costs S = forward + backward: winner-takes-all
/// with uniqueness ratio, sub-pixel refinement and left-right consistency. Holds copies of the
/// tile's masks and pixels and one scratch set per worker.
///
/// Per left pixel x: the winner i* minimises S(x, i); it is rejected when the left pixel or its
/// right match x - d is nodata or outside the image, when a disparity more than one step away
/// has `S * (100 - uniqueness) < S(i*) * 100` (OpenCV's rule), or, with the left-right check,
/// when the right image's own winner at x - d (the minimum of S(x_r + d, d) over d, computed from
/// the same row of S as in OpenCV's SGBM) differs by more than the tolerance.
/// Banded volumes (per-pixel windows): index i of pixel x is disparity offset(x) + i; the right
/// winners take each left pixel's window, and the sub-pixel fit needs both neighbours inside it.
final class RowDecider: @unchecked Sendable {
    let width: Int, height: Int, count: Int, stride: Int, minDisparity: Int, span: Int
    nonisolated(unsafe) let offsets: UnsafePointer<Int32>?
    let uniqueness: Int, tolerance: Int?, subpixel: SubpixelMethod
    let leftValid: [Bool], rightValid: [Bool], leftPixels: [Float], rightPixels: [Float]
    /// Whether the C kernel `relief_decide_row` decides the rows (no uniqueness ratio, no fit on
    /// the aggregated costs); otherwise, or when the caller asks for the Swift loop (the tests'
    /// reference), the per-pixel Swift loop below.
    let rowKernel: Bool
    private let scratch: [(total: UnsafeMutablePointer<UInt16>, rightCost: UnsafeMutablePointer<UInt16>,
                           rightIndex: UnsafeMutablePointer<UInt16>, leftWinner: UnsafeMutablePointer<Int>,
                           refined: UnsafeMutablePointer<Float>, measured: UnsafeMutablePointer<UInt8>)]

    init(costs: CostVolume, leftValid: [Bool], rightValid: [Bool], leftPixels: [Float], rightPixels: [Float],
         parameters: StereoMatchingParameters, workers: Int, rowKernel: Bool = true) {
        self.rowKernel = rowKernel && parameters.uniquenessRatio == 0
            && [.none, .windowSSD, .windowZSSD].contains(parameters.subpixel)
        (width, height, count, stride, minDisparity) = (costs.width, costs.height, costs.count, costs.stride, costs.minDisparity)
        offsets = costs.offsets.map { UnsafePointer($0) }
        span = costs.span
        (uniqueness, tolerance, subpixel) = (parameters.uniquenessRatio, parameters.leftRightTolerance, parameters.subpixel)
        (self.leftValid, self.rightValid, self.leftPixels, self.rightPixels) = (leftValid, rightValid, leftPixels, rightPixels)
        // Right winners: slot b = width - 1 - x + offset + i reaches width + span - 2.
        let (width, stride) = (self.width, max(self.stride, costs.span))
        scratch = (0..<workers).map { _ in
            let rightIndex = UnsafeMutablePointer<UInt16>.allocate(capacity: width + stride)
            rightIndex.initialize(repeating: 0, count: width + stride)
            return (UnsafeMutablePointer<UInt16>.allocate(capacity: stride), UnsafeMutablePointer<UInt16>.allocate(capacity: width + stride),
                    rightIndex, UnsafeMutablePointer<Int>.allocate(capacity: max(width, 1)),
                    UnsafeMutablePointer<Float>.allocate(capacity: max(width, 1)), UnsafeMutablePointer<UInt8>.allocate(capacity: max(width, 1)))
        }
    }

    deinit {
        for s in scratch {
            s.total.deallocate(); s.rightCost.deallocate(); s.rightIndex.deallocate(); s.leftWinner.deallocate()
            s.refined.deallocate(); s.measured.deallocate()
        }
    }

    /// Decides row y into `disparityOut[y * width ..< (y + 1) * width]` (NaN where rejected; the
    /// entries must hold NaN before). `forward`, `backward`: the row's sums, pixel x at `x * stride`.
    /// - Complexity: O(W·D).
    func decide(worker: Int, y: Int, forward: UnsafePointer<UInt16>, backward: UnsafePointer<UInt16>,
                into disparityOut: UnsafeMutablePointer<Float>) {
        let (width, count, stride, minDisparity) = (self.width, self.count, self.stride, self.minDisparity)
        let (uniqueness, tolerance, subpixel) = (self.uniqueness, self.tolerance, self.subpixel)
        let (total, rightCost, rightIndex, leftWinner, _, _) = scratch[worker]
        let offsets = self.offsets.map { $0 + y * width }
        leftValid.withUnsafeBufferPointer { leftValid in
        rightValid.withUnsafeBufferPointer { rightValid in
            if rowKernel {
                relief_decide_row(forward, backward, Int32(width), Int32(count), Int32(stride), Int32(width + max(stride, span)),
                                  offsets, Int32(minDisparity), leftValid.baseAddress! + y * width,
                                  rightValid.baseAddress! + y * width, Int32(clamping: tolerance ?? -1), total, rightCost,
                                  rightIndex, UnsafeMutableRawPointer(leftWinner).assumingMemoryBound(to: Int64.self),
                                  disparityOut + y * width, ReliefKernelAuto)
            } else {
                rightCost.update(repeating: .max, count: width + max(stride, span))
                leftWinner.update(repeating: Int.min, count: width)
                for x in 0..<width {
                    let pixel = y * width + x
                    guard leftValid[pixel] else { continue }
                    // C kernels (AVX2 or SSE2) equal to `aggregatedMinimum` / `updateRightWinners`.
                    let best = Int(relief_aggregated_minimum(forward + x * stride, backward + x * stride,
                                                             Int32(count), Int32(stride), total, ReliefKernelAuto))
                    let minimum = total[best]
                    let windowStart = Int(offsets?[x] ?? 0)
                    if tolerance != nil {
                        relief_update_right_winners(total, Int32(stride), Int32(x - windowStart), Int32(width), rightCost,
                                                    rightIndex, Int32(windowStart), ReliefKernelAuto)
                    }
                    let d = minDisparity + windowStart + best
                    let xr = x - d
                    guard xr >= 0, xr < width, rightValid[y * width + xr] else { continue }
                    if uniqueness > 0 {
                        guard isUnique(total: total, count: count, best: best, minimum: minimum, uniqueness: uniqueness) else { continue }
                    }
                    var offset: Float = 0
                    if subpixel == .windowSSD || subpixel == .windowZSSD {
                        // Measured after the left-right check, on the pixels it keeps.
                    } else if best > 0 && best < count - 1 {
                        offset = subpixel.offset(minus: Float(total[best - 1]), centre: Float(minimum), plus: Float(total[best + 1]))
                    }
                    leftWinner[x] = d
                    disparityOut[pixel] = Float(d) + offset
                }
                if let tolerance {
                    for x in 0..<width where leftWinner[x] != Int.min {
                        // Reversed slot of x_r = x - d: b = width - 1 - x_r - minDisparity.
                        let b = width - 1 - (x - leftWinner[x]) - minDisparity
                        let right = minDisparity + Int(rightIndex[b])
                        if rightCost[b] == .max || abs(right - leftWinner[x]) > tolerance {
                            disparityOut[y * width + x] = .nan
                            leftWinner[x] = Int.min
                        }
                    }
                }
            }
        }
        }
        refine(worker: worker, y: y, into: disparityOut)
    }

    /// `decide` on UInt8 sums (`SGMSweep.runNarrow`), widened in the C row decision: the same
    /// disparities as `decide` on the same sums in UInt16.
    /// - Precondition: `rowKernel`.
    func decideNarrow(worker: Int, y: Int, forward: UnsafePointer<UInt8>, backward: UnsafePointer<UInt8>,
                      into disparityOut: UnsafeMutablePointer<Float>) {
        precondition(rowKernel, "UInt8 sums are decided by the C row kernel only")
        let (width, stride) = (self.width, self.stride)
        let (total, rightCost, rightIndex, leftWinner, _, _) = scratch[worker]
        leftValid.withUnsafeBufferPointer { leftValid in
            rightValid.withUnsafeBufferPointer { rightValid in
                relief_decide_row_narrow(forward, backward, Int32(width), Int32(count), Int32(stride),
                                         Int32(width + max(stride, span)), offsets.map { $0 + y * width },
                                         Int32(minDisparity), leftValid.baseAddress! + y * width,
                                         rightValid.baseAddress! + y * width, Int32(clamping: tolerance ?? -1), total,
                                         rightCost, rightIndex, UnsafeMutableRawPointer(leftWinner).assumingMemoryBound(to: Int64.self),
                                         disparityOut + y * width, ReliefKernelAuto)
            }
        }
        refine(worker: worker, y: y, into: disparityOut)
    }

    /// The window fits (`.windowSSD`, `.windowZSSD`) of row y's kept winners (`leftWinner`), written
    /// as their disparities; nothing for the other methods (fitted, or none, in the decision).
    private func refine(worker: Int, y: Int, into disparityOut: UnsafeMutablePointer<Float>) {
        guard subpixel == .windowSSD || subpixel == .windowZSSD else { return }
        let (width, height) = (self.width, self.height)
        let (_, _, _, leftWinner, refined, measured) = scratch[worker]
        let zeroMean = subpixel == .windowZSSD
        leftPixels.withUnsafeBufferPointer { leftPixels in
        rightPixels.withUnsafeBufferPointer { rightPixels in
            // The C kernels for the whole row (AVX-512 lanes, AVX2 per pixel, the plain version in
            // C at borders and NaN: equal bit for bit), the Swift one without AVX2. Int.min marks
            // no winner.
            relief_subpixel_window_row(leftPixels.baseAddress!, rightPixels.baseAddress!, Int32(width), Int32(height),
                                       Int32(y), UnsafeRawPointer(leftWinner).assumingMemoryBound(to: Int64.self),
                                       2, 1, zeroMean, refined, measured)
            for x in 0..<width where leftWinner[x] != Int.min {
                var offset = refined[x]
                if measured[x] == 0 {
                    offset = subpixelWindowSSDVector(left: leftPixels.baseAddress!, right: rightPixels.baseAddress!,
                                                     width: width, height: height, x: x, y: y,
                                                     disparity: leftWinner[x], radius: 2, zeroMean: zeroMean) ?? 0
                }
                disparityOut[y * width + x] = Float(leftWinner[x]) + offset
            }
        }
        }
    }
}

/// OpenCV's uniqueness rule on one pixel's aggregated costs: false when a disparity more than one
/// step from the winner `best` has `total * (100 - uniqueness) < minimum * 100`.
///
/// SIMD kernel: 16 disparities per step, widened to `SIMD16<UInt32>`, the winner's neighbours and
/// the padding from `count` on masked out. Plain version: `isUniqueReference`.
/// - Complexity: O(D).
@inline(__always)
func isUnique(total: UnsafePointer<UInt16>, count: Int, best: Int, minimum: UInt16, uniqueness: Int) -> Bool {
    let t = UnsafeRawPointer(total)
    let threshold = SIMD16<UInt32>(repeating: UInt32(minimum) * 100)
    let factor = SIMD16<UInt32>(repeating: UInt32(100 - uniqueness))
    let lane = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    let low = SIMD16<Int32>(repeating: Int32(best - 1)), high = SIMD16<Int32>(repeating: Int32(best + 1))
    let limit = SIMD16<Int32>(repeating: Int32(count))
    var k = 0
    while k < count {
        let v = t.loadUnaligned(fromByteOffset: 2 * k, as: SIMD16<UInt16>.self)
        var wide = SIMD16<UInt32>()
        for i in 0..<16 { wide[i] = UInt32(v[i]) }
        let index = lane &+ SIMD16(repeating: Int32(k))
        let far = (index .< low) .| (index .> high)
        let inRange = index .< limit
        let beats = (wide &* factor) .< threshold
        if any(beats .& far .& inRange) { return false }
        k += 16
    }
    return true
}

/// Plain version of `isUnique` (same answer).
func isUniqueReference(total: UnsafePointer<UInt16>, count: Int, best: Int, minimum: UInt16, uniqueness: Int) -> Bool {
    let threshold = Int(minimum) * 100
    for i in 0..<count where abs(i - best) > 1 && Int(total[i]) * (100 - uniqueness) < threshold { return false }
    return true
}
