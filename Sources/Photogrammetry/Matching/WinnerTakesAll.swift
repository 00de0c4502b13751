import Dispatch

/// The minimum and the first index reaching it of `S = forward + backward` over `0..<count`,
/// writing S to `total` (`stride` entries; those at and after `count` are set to `UInt16.max`).
///
/// SIMD kernel: 16 disparities per step in `SIMD16<UInt16>`; plain version `aggregatedMinimumReference`.
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
    var index = 0
    while total[index] != value { index += 1 }
    return (value, index)
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
@inline(__always)
func updateRightWinners(total: UnsafePointer<UInt16>, stride: Int, x: Int, width: Int,
                        bestCost: UnsafeMutablePointer<UInt16>, bestIndex: UnsafeMutablePointer<UInt16>) {
    let t = UnsafeRawPointer(total)
    let costs = UnsafeMutableRawPointer(bestCost + (width - 1 - x))
    let indices = UnsafeMutableRawPointer(bestIndex + (width - 1 - x))
    var lane = SIMD16<UInt16>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
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
                                 bestCost: UnsafeMutablePointer<UInt16>, bestIndex: UnsafeMutablePointer<UInt16>) {
    for i in 0..<stride {
        let b = width - 1 - x + i
        if total[i] < bestCost[b] {
            bestCost[b] = total[i]
            bestIndex[b] = UInt16(i)
        }
    }
}

/// Winner-takes-all on the aggregated costs, with uniqueness ratio, sub-pixel refinement,
/// left-right consistency, rows split over the cores. Returns the disparities, row-major
/// `width * height`, NaN where invalid.
///
/// Per left pixel x: the winner i* minimises S(x, i); it is rejected when the left pixel or its
/// right match x - d is nodata or outside the image, when a disparity more than one step away
/// has `S * (100 - uniqueness) < S(i*) * 100` (OpenCV's rule), or, with the left-right check,
/// when the right image's own winner at x - d (the minimum of S(x_r + d, d) over d, computed from
/// the same volume as in OpenCV's SGBM) differs by more than the tolerance.
///
/// - Complexity: O(W·H·D) time, O(W + D) scratch per worker.
func decideDisparities(
    aggregated: AggregatedVolume, costs: CostVolume, leftValid: [Bool], rightValid: [Bool],
    leftPixels: [Float], rightPixels: [Float], parameters: StereoMatchingParameters
) -> [Float] {
    let (width, height, count, stride) = (costs.width, costs.height, costs.count, costs.stride)
    let minDisparity = costs.minDisparity
    var disparity = [Float](repeating: .nan, count: width * height)
    let uniqueness = parameters.uniquenessRatio
    let tolerance = parameters.leftRightTolerance
    let subpixel = parameters.subpixel
    let chunks = min(height, 16)
    guard chunks > 0, width > 0 else { return disparity }
    disparity.withUnsafeMutableBufferPointer { disparityOut in
            leftValid.withUnsafeBufferPointer { leftValid in
                rightValid.withUnsafeBufferPointer { rightValid in
                  leftPixels.withUnsafeBufferPointer { leftPixels in
                    rightPixels.withUnsafeBufferPointer { rightPixels in
                    nonisolated(unsafe) let (disparityOut, leftValid, rightValid) = (disparityOut, leftValid, rightValid)
                    nonisolated(unsafe) let (leftPixels, rightPixels) = (leftPixels.baseAddress!, rightPixels.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                        let total = UnsafeMutablePointer<UInt16>.allocate(capacity: stride)
                        let rightCost = UnsafeMutablePointer<UInt16>.allocate(capacity: width + stride)
                        let rightIndex = UnsafeMutablePointer<UInt16>.allocate(capacity: width + stride)
                        rightIndex.initialize(repeating: 0, count: width + stride)
                        var leftWinner = [Int](repeating: Int.min, count: width)
                        defer { total.deallocate(); rightCost.deallocate(); rightIndex.deallocate() }
                        for y in (chunk * height / chunks)..<((chunk + 1) * height / chunks) {
                            rightCost.update(repeating: .max, count: width + stride)
                            for x in 0..<width { leftWinner[x] = Int.min }
                            for x in 0..<width {
                                let pixel = y * width + x
                                guard leftValid[pixel] else { continue }
                                let cell = pixel * stride
                                let (minimum, best) = aggregatedMinimum(
                                    forward: aggregated.forward + cell, backward: aggregated.backward + cell,
                                    count: count, stride: stride, total: total)
                                if tolerance != nil {
                                    updateRightWinners(total: total, stride: stride, x: x, width: width,
                                                       bestCost: rightCost, bestIndex: rightIndex)
                                }
                                let d = minDisparity + best
                                let xr = x - d
                                guard xr >= 0, xr < width, rightValid[y * width + xr] else { continue }
                                if uniqueness > 0 {
                                    let threshold = Int(minimum) * 100
                                    var unique = true
                                    for i in 0..<count where abs(i - best) > 1 && Int(total[i]) * (100 - uniqueness) < threshold {
                                        unique = false
                                        break
                                    }
                                    guard unique else { continue }
                                }
                                var offset: Float = 0
                                if subpixel == .windowSSD {
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
                            if subpixel == .windowSSD {
                                for x in 0..<width where leftWinner[x] != Int.min {
                                    let offset = subpixelWindowSSDVector(left: leftPixels, right: rightPixels, width: width, height: height,
                                                                         x: x, y: y, disparity: leftWinner[x], radius: 2) ?? 0
                                    disparityOut[y * width + x] = Float(leftWinner[x]) + offset
                                }
                            }
                        }
                    }
                    }
                  }
                }
            }
        }
    return disparity
}
