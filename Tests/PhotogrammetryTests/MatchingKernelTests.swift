import Testing
@testable import Photogrammetry
import Raster

/// Every SIMD kernel equals its plain version bit for bit, over image widths 1...67 (all tails of
/// the 8- and 16-lane loops), census windows up to 9x7, and disparity ranges of any sign,
/// including single-disparity and wider-than-the-image ranges.
@Suite("Matching kernels: SIMD equals plain")
struct MatchingKernelTests {
    static let windows = [(3, 3), (5, 5), (7, 5), (9, 7)]

    @Test("census transform, widths 1...67, windows 3x3 to 9x7, with nodata")
    func census() {
        var rng = SplitMix64(seed: 1)
        for width in 1...67 {
            for (ww, wh) in Self.windows {
                let image = randomImage(width: width, height: 1 + width % 9, rng: &rng)
                let fast = image.storage.withUnsafeBufferPointer {
                    censusTransform($0, width: image.width, height: image.height, rowStride: image.rowStride, windowWidth: ww, windowHeight: wh)
                }
                let plain = image.storage.withUnsafeBufferPointer {
                    censusTransformReference($0, width: image.width, height: image.height, rowStride: image.rowStride, windowWidth: ww, windowHeight: wh)
                }
                #expect(fast == plain, "census \(ww)x\(wh) width \(width)")
            }
        }
    }

    @Test("census codes use the window's bits only and mark darker neighbours")
    func censusMeaning() {
        // A 3x3 image with a bright centre: all 8 neighbours darker, so all 8 bits set.
        let image = ImageBuffer<Float>(width: 3, height: 3, pixels: [1, 1, 1, 1, 9, 1, 1, 1, 1])
        let codes = image.storage.withUnsafeBufferPointer {
            censusTransform($0, width: 3, height: 3, rowStride: 3, windowWidth: 3, windowHeight: 3)
        }
        #expect(codes[4] == 0xFF)
        #expect(codes[0] == 0)  // the corner: no neighbour is darker than 1
    }

    @Test("census cost rows, widths 1...67, ranges of any sign and width")
    func costRow() {
        var rng = SplitMix64(seed: 2)
        let ranges: [ClosedRange<Int>] = [0...0, -1...(-1), 5...5, -3...4, 0...15, 0...16, -20...(-3), -70...70, 2...40]
        for width in 1...67 {
          // 62-bit codes (9x7 window, the SIMD8<UInt64> path) and 24-bit codes (5x5, the SIMD16<UInt32> path).
          for bits in [62, 24] {
            let mask: UInt64 = (1 << UInt64(bits)) - 1
            let left = (0..<width).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) & mask }
            let right = (0..<width).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) & mask }
            let leftValid = (0..<width).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }
            let rightValid = (0..<width).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }
            for range in ranges {
                let count = range.count, stride = CostVolume.stride(for: count)
                var fast = [UInt8](repeating: 0, count: width * stride)
                var plain = [UInt8](repeating: 0, count: width * stride)
                let codes = UnsafeMutableRawPointer.allocate(byteCount: (width + stride + 8) * 8, alignment: 16)
                let masks = UnsafeMutableRawPointer.allocate(byteCount: (width + stride + 8) * 8, alignment: 16)
                defer { codes.deallocate(); masks.deallocate() }
                censusCostRow(leftCodes: left, leftValid: leftValid, rightCodes: right, rightValid: rightValid,
                              width: width, minDisparity: range.lowerBound, count: count, stride: stride, maxCost: UInt8(bits),
                              scratchCodes: codes, scratchMasks: masks, out: &fast)
                censusCostRowReference(leftCodes: left, leftValid: leftValid, rightCodes: right, rightValid: rightValid,
                                       width: width, minDisparity: range.lowerBound, count: count, stride: stride,
                                       maxCost: UInt8(bits), out: &plain)
                let same = (0..<width).allSatisfy { x in (0..<count).allSatisfy { fast[x * stride + $0] == plain[x * stride + $0] } }
                #expect(same, "cost row width \(width) range \(range) bits \(bits)")
            }
          }
        }
    }

    @Test("SGM pixel step (2 and 4 directions) on random vectors, disparity counts 1...67")
    func sgmPixelStepEqualsPlain() {
        var rng = SplitMix64(seed: 3)
        for count in 1...67 {
            for (p1, p2) in [(0, 0), (8, 32), (10, 150), (1, 192)] {
                for directions in [2, 4] {
                    let stride = CostVolume.stride(for: count)
                    let maxCost = 255 - p1 - p2
                    let sentinel = UInt8(255 - p1)
                    var cost = [UInt8](repeating: 0, count: stride)
                    for d in 0..<stride { cost[d] = UInt8.random(in: 0...UInt8(maxCost), using: &rng) }
                    var previous: [[UInt8]] = [], previousMin: [UInt8] = [], penalties: [UInt8] = []
                    for _ in 0..<directions {
                        // Path costs as the invariant of eq. 13 bounds them: each in [0, maxCost + P2],
                        // the minimum at most maxCost.
                        var v = [UInt8](repeating: sentinel, count: stride + 16)
                        for d in 0..<count { v[d + 1] = UInt8.random(in: 0...UInt8(maxCost + p2), using: &rng) }
                        v[Int.random(in: 1...count, using: &rng)] = UInt8.random(in: 0...UInt8(maxCost), using: &rng)
                        previous.append(v)
                        previousMin.append(v[1...count].min()!)
                        penalties.append(UInt8.random(in: UInt8(p1)...UInt8(p2), using: &rng))  // adaptive P2 in [P1, P2]
                    }
                    let sumStart = (0..<stride).map { _ in UInt16.random(in: 0...1000, using: &rng) }
                    let accumulate = count % 2 == 0  // both the adding and the storing step
                    // Plain: one direction after the other.
                    var plainSum = sumStart
                    var plainOut: [[UInt8]] = [], plainMin: [UInt8] = []
                    for j in 0..<directions {
                        var out = [UInt8](repeating: sentinel, count: stride + 16)
                        plainMin.append(sgmStepReference(cost: cost, previous: previous[j], previousMin: previousMin[j], p1: UInt8(p1),
                                                         p2: penalties[j], count: count, stride: stride, out: &out, sum: &plainSum,
                                                         accumulate: accumulate || j > 0))
                        plainOut.append(out)
                    }
                    // SIMD: all directions at once.
                    let outs = (0..<directions).map { _ in UnsafeMutablePointer<UInt8>.allocate(capacity: stride + 16) }
                    let mins = UnsafeMutablePointer<UInt8>.allocate(capacity: directions)
                    let prevs = previous.map { v -> UnsafeMutablePointer<UInt8> in
                        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: v.count)
                        p.initialize(from: v, count: v.count)
                        return p
                    }
                    defer { outs.forEach { $0.deallocate() }; prevs.forEach { $0.deallocate() }; mins.deallocate() }
                    for o in outs { o.initialize(repeating: sentinel, count: stride + 16) }
                    let states = (0..<directions).map { j in
                        SGMPathState(previous: UnsafePointer(prevs[j]), previousMin: previousMin[j], p2: penalties[j],
                                     out: outs[j], outMin: mins + j)
                    }
                    var fastSum = sumStart
                    sgmPixelStep(cost: cost, states: states, directions: directions, p1: UInt8(p1), count: count,
                                 stride: stride, sum: &fastSum, accumulate: accumulate)
                    #expect(Array(fastSum[0..<count]) == Array(plainSum[0..<count]), "sums, count \(count) P1 \(p1) P2 \(p2) x\(directions)")
                    for j in 0..<directions {
                        #expect(mins[j] == plainMin[j], "minimum, count \(count) direction \(j)")
                        #expect((1...count).allSatisfy { outs[j][$0] == plainOut[j][$0] }, "path costs, count \(count) direction \(j)")
                        // Padding and guards keep the sentinel, so the next step cannot read garbage.
                        #expect(((count + 1)...(stride + 1)).allSatisfy { outs[j][$0] == sentinel })
                    }
                }
            }
        }
    }

    @Test("whole SGM aggregation equals the per-path plain version", arguments: SGMPaths.allCases)
    func aggregation(paths: SGMPaths) {
        var rng = SplitMix64(seed: 4)
        let sizes = [(1, 1), (1, 7), (7, 1), (13, 9), (33, 17)]
        let ranges: [ClosedRange<Int>] = [0...0, -3...3, 2...19, -40...(-5)]
        for (width, height) in sizes {
            for range in ranges {
                for gradientScale in [nil, Float(8)] {
                    let count = range.count
                    let volume = CostVolume(width: width, height: height, minDisparity: range.lowerBound, count: count)
                    var packed = [UInt8](repeating: 0, count: width * height * count)
                    for cell in 0..<(width * height) {
                        for i in 0..<volume.stride {
                            let c = UInt8.random(in: 0...24, using: &rng)
                            volume.cells[cell * volume.stride + i] = c
                            if i < count { packed[cell * count + i] = c }
                        }
                    }
                    let intensity = (0..<(width * height)).map { _ in Float.random(in: 0...255, using: &rng) }
                    let fast = sgmAggregate(volume, intensity: intensity, p1: 8, p2: 96, gradientScale: gradientScale, paths: paths)
                    let plain = sgmAggregateReference(costs: packed, width: width, height: height, count: count, intensity: intensity,
                                                      p1: 8, p2: 96, gradientScale: gradientScale, paths: paths)
                    var same = true
                    for y in 0..<height { for x in 0..<width { for i in 0..<count where fast[x, y, i] != plain[(y * width + x) * count + i] { same = false } } }
                    #expect(same, "\(paths) \(width)x\(height) range \(range) gradient \(String(describing: gradientScale))")
                }
            }
        }
    }

    @Test("uniqueness check, counts 1...67, every winner position and ratio")
    func uniquenessEqualsPlain() {
        var rng = SplitMix64(seed: 6)
        for count in 1...67 {
            let stride = CostVolume.stride(for: count)
            for ratio in [1, 5, 15, 50, 99] {
                for _ in 0..<4 {
                    var total = (0..<stride).map { _ in UInt16.random(in: 0...400, using: &rng) }
                    for i in count..<stride { total[i] = .max }
                    let best = Int.random(in: 0..<count, using: &rng)
                    total[best] = total[0..<count].min()!
                    let a = isUnique(total: total, count: count, best: best, minimum: total[best], uniqueness: ratio)
                    let b = isUniqueReference(total: total, count: count, best: best, minimum: total[best], uniqueness: ratio)
                    #expect(a == b, "count \(count) ratio \(ratio) best \(best)")
                }
            }
        }
    }

    @Test("aggregated minimum and ambiguity confidence, counts 1...67")
    func decisionKernels() {
        var rng = SplitMix64(seed: 5)
        for count in 1...67 {
            let stride = CostVolume.stride(for: count)
            let forward = (0..<stride).map { _ in UInt16.random(in: 0...300, using: &rng) }
            let backward = (0..<stride).map { _ in UInt16.random(in: 0...300, using: &rng) }
            var totalFast = [UInt16](repeating: 0, count: stride), totalPlain = totalFast
            let a = aggregatedMinimum(forward: forward, backward: backward, count: count, stride: stride, total: &totalFast)
            let b = aggregatedMinimumReference(forward: forward, backward: backward, count: count, stride: stride, total: &totalPlain)
            #expect(a.minimum == b.minimum && a.index == b.index, "count \(count)")
            #expect(totalFast == totalPlain)
            let costs = (0..<stride).map { _ in UInt8.random(in: 0...24, using: &rng) }
            #expect(ambiguityConfidence(costs, count: count, stride: stride, levels: 17)
                    == ambiguityConfidenceReference(costs, count: count, levels: 17), "count \(count)")
        }
    }

    @Test("ambiguity confidence: 1 for one sharp minimum, 0 for a flat curve")
    func confidenceBounds() {
        var sharp = [UInt8](repeating: 24, count: 32)
        sharp[7] = 0
        #expect(ambiguityConfidence(sharp, count: 32, stride: 32, levels: 17) == 1)
        let flat = [UInt8](repeating: 5, count: 32)
        #expect(ambiguityConfidence(flat, count: 32, stride: 32, levels: 17) == 0)
    }

    @Test("sub-pixel fits: the V fit is exact on a V, the parabola on a parabola; parabola bias on a V is δ/(2(1-δ)) - δ")
    func subpixelFits() {
        for delta: Float in [-0.4, -0.25, 0, 0.1, 0.25, 0.45] {
            let v = { (d: Float) in 3 * abs(d - delta) + 1 }
            #expect(abs(subpixelEquiangular(minus: v(-1), centre: v(0), plus: v(1)) - delta) < 1e-6)
            let p = { (d: Float) in 2 * (d - delta) * (d - delta) + 1 }
            #expect(abs(subpixelParabola(minus: p(-1), centre: p(0), plus: p(1)) - delta) < 1e-6)
            // Pixel locking of the parabola on V-shaped costs (Shimizu & Okutomi 2005).
            let locked = subpixelParabola(minus: v(-1), centre: v(0), plus: v(1))
            #expect(abs(locked - delta / (2 * (1 - abs(delta)))) < 1e-6)
        }
    }

    @Test("right-image winners of the left-right check, widths 1...67, disparity counts 1...40")
    func rightWinners() {
        var rng = SplitMix64(seed: 6)
        for width in 1...67 {
            let count = 1 + width % 40, stride = CostVolume.stride(for: count)
            var costFast = [UInt16](repeating: .max, count: width + stride), costPlain = costFast
            var indexFast = [UInt16](repeating: 0, count: width + stride), indexPlain = indexFast
            for x in 0..<width {
                // Few distinct values, so that ties (first candidate wins) are exercised.
                let total = (0..<stride).map { $0 < count ? UInt16.random(in: 0...20, using: &rng) : UInt16.max }
                updateRightWinners(total: total, stride: stride, x: x, width: width, bestCost: &costFast, bestIndex: &indexFast)
                updateRightWinnersReference(total: total, stride: stride, x: x, width: width, bestCost: &costPlain, bestIndex: &indexPlain)
            }
            #expect(costFast == costPlain, "width \(width)")
            let sameIndex = (0..<(width + stride)).allSatisfy { costPlain[$0] == .max || indexFast[$0] == indexPlain[$0] }
            #expect(sameIndex, "width \(width)")
        }
    }

    @Test("3x3 median with nodata, widths 1...67")
    func median() {
        var rng = SplitMix64(seed: 7)
        for width in 1...67 {
            for nanShare in [0.0, 0.02, 0.3, 0.7] {  // up to 8 NaN neighbours in the SIMD path
                let image = randomImage(width: width, height: 1 + width % 7, levels: 1000, nanShare: nanShare, rng: &rng)
                let fast = medianFilter3x3(image.storage, width: image.width, height: image.height)
                let plain = medianFilter3x3Reference(image.storage, width: image.width, height: image.height)
                let same = zip(fast, plain).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
                #expect(same, "width \(width) nodata share \(nanShare)")
            }
        }
    }

    @Test("window-SSD and -ZSSD refinement: vectorised equals the plain version within float rounding, radius 1...3")
    func windowSSD() {
        var rng = SplitMix64(seed: 8)
        let (left, right) = shiftedPair(width: 67, height: 20, disparity: 3, seed: 9)
        var compared = 0
        left.storage.withUnsafeBufferPointer { l in
            right.storage.withUnsafeBufferPointer { r in
                for sample in 0..<600 {
                    let x = Int.random(in: 0..<67, using: &rng), y = Int.random(in: 0..<20, using: &rng)
                    let d = Int.random(in: -2...8, using: &rng), radius = Int.random(in: 1...3, using: &rng)
                    let zeroMean = sample % 2 == 1  // windowSSD and windowZSSD
                    let fast = subpixelWindowSSDVector(left: l.baseAddress!, right: r.baseAddress!, width: 67, height: 20,
                                                       x: x, y: y, disparity: d, radius: radius, zeroMean: zeroMean)
                    let plain = subpixelWindowSSD(left: l.baseAddress!, right: r.baseAddress!, width: 67, height: 20, x: x, y: y,
                                                  disparity: d, radius: radius, zeroMean: zeroMean)
                    #expect((fast == nil) == (plain == nil))
                    if let fast, let plain {
                        // 1e-4 px: the sums differ only by the order of float additions.
                        #expect(abs(fast - plain) <= 1e-4, "x \(x) y \(y) d \(d) r \(radius): \(fast) vs \(plain)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 450)
    }

    @Test("gradient cost rows, widths 1...67, ranges of any sign and width, weights and caps")
    func gradientCostRows() {
        var rng = SplitMix64(seed: 10)
        let ranges: [ClosedRange<Int>] = [0...0, -1...(-1), -3...4, 0...16, -70...70, 2...40]
        for width in 1...67 {
            let left = (0..<width).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let right = (0..<width).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let leftValid = (0..<width).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }
            let rightValid = (0..<width).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }
            for range in ranges {
                for (weight16, cap) in [(UInt16(16), UInt8(16)), (255, 255), (1, 8), (0, 0)] {
                    let count = range.count, stride = CostVolume.stride(for: count)
                    // Census costs underneath, at most 24 (5x5), so that cost + term fits a byte.
                    let base = (0..<(width * stride)).map { _ in UInt8.random(in: 0...24, using: &rng) }
                    var fast = base, plain = base
                    let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 2 * (width + stride + 16))
                    defer { scratch.deallocate() }
                    let capped = UInt8(min(Int(cap), 255 - 24))
                    gradientCostRow(leftGradients: left, leftValid: leftValid, rightGradients: right, rightValid: rightValid,
                                    width: width, minDisparity: range.lowerBound, count: count, stride: stride,
                                    weight16: weight16, cap: capped, scratch: scratch, out: &fast)
                    gradientCostRowReference(leftGradients: left, leftValid: leftValid, rightGradients: right, rightValid: rightValid,
                                             width: width, minDisparity: range.lowerBound, count: count, stride: stride,
                                             weight16: weight16, cap: capped, out: &plain)
                    let same = (0..<width).allSatisfy { x in (0..<count).allSatisfy { fast[x * stride + $0] == plain[x * stride + $0] } }
                    #expect(same, "gradient row width \(width) range \(range) weight \(weight16) cap \(capped)")
                }
            }
        }
    }

    @Test("quantised gradients: a ramp of slope 3 gives 131, NaN neighbours give 128")
    func gradients() {
        let ramp: [Float] = [0, 3, 6, 9, .nan, 15]
        let g = quantisedGradients(ramp, width: 6, height: 1, low: 0, scale: 1)
        #expect(Array(g[0...2]) == [131, 131, 131])
        #expect(g[3] == 128 && g[5] == 128)  // their neighbourhoods hold the NaN
    }
}
