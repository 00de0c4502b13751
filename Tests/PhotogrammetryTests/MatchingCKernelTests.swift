import CStereoKernels
import Testing
@testable import Photogrammetry

/// The C kernels (Sources/CStereoKernels) equal their plain Swift versions bit for bit, in each
/// instruction set this CPU runs: SSE2 always, AVX2 when present (the run-time choice of
/// `ReliefKernelAuto`). Same sweeps as `MatchingKernelTests`: disparity counts and widths 1...67
/// (every tail of the 16- and 32-lane loops), ranges of any sign, single-disparity ranges.
@Suite("Matching C kernels: SSE2 and AVX2 equal plain")
struct MatchingCKernelTests {
    /// The instruction sets to check here (AVX2 only where the CPU has it).
    static let levels: [ReliefKernelLevel] = [ReliefKernelBaseline] + (relief_cpu_has_avx2() ? [ReliefKernelAVX2] : [])

    @Test("census transform in C, each instruction set, widths 1...67, windows 3x3 to 9x7, with nodata and row strides")
    func census() {
        var rng = SplitMix64(seed: 41)
        for level in Self.levels {
            for width in 1...67 {
                for (ww, wh) in MatchingKernelTests.windows {
                    let height = 1 + (width * 7) % 13, rowStride = width + width % 3
                    var pixels = [Float](repeating: 0, count: height * rowStride)
                    for i in pixels.indices { pixels[i] = Float(Int.random(in: 0..<6, using: &rng)) }  // ties
                    for _ in 0..<(width / 5) { pixels[Int.random(in: 0..<pixels.count, using: &rng)] = .nan }
                    var codes = [UInt64](repeating: 0xDEAD, count: width * height)
                    relief_census(pixels, Int32(width), Int32(height), Int32(rowStride), Int32(ww), Int32(wh), &codes, level)
                    let plain = pixels.withUnsafeBufferPointer {
                        censusTransformReference($0, width: width, height: height, rowStride: rowStride, windowWidth: ww, windowHeight: wh)
                    }
                    #expect(codes == plain, "census \(ww)x\(wh) width \(width) level \(level.rawValue)")
                }
            }
        }
    }

    @Test("SGM pixel step (2 and 4 directions), disparity counts 1...67")
    func pixelStep() {
        var rng = SplitMix64(seed: 31)
        for level in Self.levels {
        for count in 1...67 {
            for (p1, p2) in [(0, 0), (8, 32), (10, 150), (1, 192)] {
                for directions in [2, 4] {
                    let stride = CostVolume.stride(for: count)
                    let maxCost = 255 - p1 - p2
                    let sentinel = UInt8(255 - p1)
                    let cost = (0..<stride).map { _ in UInt8.random(in: 0...UInt8(maxCost), using: &rng) }
                    var previous: [[UInt8]] = [], previousMin: [UInt8] = [], penalties: [UInt8] = []
                    for _ in 0..<directions {
                        // Within the bounds of eq. 13's invariant (see MatchingKernelTests).
                        var v = [UInt8](repeating: sentinel, count: stride + 16)
                        for d in 0..<count { v[d + 1] = UInt8.random(in: 0...UInt8(maxCost + p2), using: &rng) }
                        v[Int.random(in: 1...count, using: &rng)] = UInt8.random(in: 0...UInt8(maxCost), using: &rng)
                        previous.append(v)
                        previousMin.append(v[1...count].min()!)
                        penalties.append(UInt8.random(in: UInt8(p1)...UInt8(p2), using: &rng))
                    }
                    let sumStart = (0..<stride).map { _ in UInt16.random(in: 0...1000, using: &rng) }
                    let accumulate = count % 2 == 0
                    var plainSum = sumStart
                    var plainOut: [[UInt8]] = [], plainMin: [UInt8] = []
                    for j in 0..<directions {
                        var out = [UInt8](repeating: sentinel, count: stride + 16)
                        plainMin.append(sgmStepReference(cost: cost, previous: previous[j], previousMin: previousMin[j], p1: UInt8(p1),
                                                         p2: penalties[j], count: count, stride: stride, out: &out, sum: &plainSum,
                                                         accumulate: accumulate || j > 0))
                        plainOut.append(out)
                    }
                    let prevs = previous.map { v -> UnsafeMutablePointer<UInt8> in
                        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: v.count)
                        p.initialize(from: v, count: v.count)
                        return p
                    }
                    let outs = (0..<directions).map { _ in
                        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: stride + 16)
                        p.initialize(repeating: sentinel, count: stride + 16)
                        return p
                    }
                    defer { prevs.forEach { $0.deallocate() }; outs.forEach { $0.deallocate() } }
                    var mins = [UInt8](repeating: 0, count: directions)
                    var sum = sumStart
                    let prevPointers: [UnsafePointer<UInt8>?] = prevs.map { UnsafePointer($0) }
                    let outPointers: [UnsafeMutablePointer<UInt8>?] = outs
                    relief_sgm_pixel_step(cost, prevPointers, previousMin, penalties, outPointers, &mins, Int32(directions),
                                          UInt8(p1), Int32(count), Int32(stride), &sum, accumulate, level)
                    let label = "level \(level.rawValue) count \(count) P1 \(p1) P2 \(p2) x\(directions)"
                    #expect(Array(sum[0..<count]) == Array(plainSum[0..<count]), "sums, \(label)")
                    #expect(mins == plainMin, "minima, \(label)")
                    for j in 0..<directions {
                        #expect((1...count).allSatisfy { outs[j][$0] == plainOut[j][$0] }, "path costs, \(label)")
                        #expect(((count + 1)...(stride + 1)).allSatisfy { outs[j][$0] == sentinel }, "padding, \(label)")
                    }
                }
            }
        }
        }
    }

    @Test("whole SGM aggregation: C sweeps (each level) and the Swift sweeps equal the per-path plain version",
          arguments: SGMPaths.allCases)
    func aggregation(paths: SGMPaths) {
        var rng = SplitMix64(seed: 32)
        let sizes = [(1, 1), (1, 7), (7, 1), (2, 3), (13, 9), (40, 6)]
        // Counts 32 and 64: the 4-direction fast path of the AVX2 sweep (multiples of 32 disparities).
        let ranges: [ClosedRange<Int>] = [0...0, -3...3, 2...19, -40...(-5), 0...47, 0...31, -10...53]
        let kernels: [ReliefKernelLevel?] = [nil] + Self.levels.map { Optional($0) }
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
                    var intensity = (0..<(width * height)).map { _ in Float.random(in: 0...255, using: &rng) }
                    intensity[0] = .nan  // nodata: the constant P2
                    let plain = sgmAggregateReference(costs: packed, width: width, height: height, count: count, intensity: intensity,
                                                      p1: 8, p2: 96, gradientScale: gradientScale, paths: paths)
                    for level in kernels {
                        let fast = sgmAggregate(volume, intensity: intensity, p1: 8, p2: 96, gradientScale: gradientScale,
                                                paths: paths, kernels: level)
                        var same = true
                        for y in 0..<height { for x in 0..<width { for i in 0..<count where fast[x, y, i] != plain[(y * width + x) * count + i] { same = false } } }
                        #expect(same, "\(paths) \(width)x\(height) range \(range) gradient \(String(describing: gradientScale)) level \(String(describing: level?.rawValue))")
                    }
                }
            }
        }
    }

    @Test("census cost rows (codes of at most 32 bits), widths 1...67, ranges of any sign and width")
    func censusCostRows() {
        var rng = SplitMix64(seed: 33)
        let ranges: [ClosedRange<Int>] = [0...0, -1...(-1), 5...5, -3...4, 0...15, 0...16, 0...31, 0...32, -20...(-3), -70...70, 2...40]
        for width in 1...67 {
            for bits in [24, 32] {
                let mask: UInt64 = (1 << UInt64(bits)) - 1
                let left = (0..<width).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) & mask }
                let right = (0..<width).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) & mask }
                let leftValid = (0..<width).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }
                let rightValid = (0..<width).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }
                for range in ranges {
                    let count = range.count, stride = CostVolume.stride(for: count)
                    var plain = [UInt8](repeating: 0, count: width * stride)
                    censusCostRowReference(leftCodes: left, leftValid: leftValid, rightCodes: right, rightValid: rightValid,
                                           width: width, minDisparity: range.lowerBound, count: count, stride: stride,
                                           maxCost: UInt8(bits), out: &plain)
                    let codes = UnsafeMutableRawPointer.allocate(byteCount: (width + stride + 8) * 8, alignment: 16)
                    let masks = UnsafeMutableRawPointer.allocate(byteCount: (width + stride + 8) * 8, alignment: 16)
                    defer { codes.deallocate(); masks.deallocate() }
                    for level in Self.levels + [ReliefKernelAuto] {  // Auto: VPOPCNTD where the CPU has AVX-512 VPOPCNTDQ
                        var fast = [UInt8](repeating: 0, count: width * stride)
                        censusCostRow(leftCodes: left, leftValid: leftValid, rightCodes: right, rightValid: rightValid,
                                      width: width, minDisparity: range.lowerBound, count: count, stride: stride, maxCost: UInt8(bits),
                                      scratchCodes: codes, scratchMasks: masks, out: &fast, kernels: level)
                        let same = (0..<width).allSatisfy { x in (0..<count).allSatisfy { fast[x * stride + $0] == plain[x * stride + $0] } }
                        #expect(same, "width \(width) range \(range) bits \(bits) level \(level.rawValue)")
                    }
                }
            }
        }
    }

    @Test("aggregated minimum (ties: first index) and right-image winners, counts and widths 1...67")
    func decision() {
        var rng = SplitMix64(seed: 34)
        for level in Self.levels {
            for count in 1...67 {
                let stride = CostVolume.stride(for: count)
                // Small values: many ties, so the first-index rule is exercised; and wrapping sums.
                let high: UInt16 = count % 3 == 0 ? 65_000 : 20
                let forward = (0..<stride).map { _ in UInt16.random(in: 0...high, using: &rng) }
                let backward = (0..<stride).map { _ in UInt16.random(in: 0...high, using: &rng) }
                var totalC = [UInt16](repeating: 0, count: stride), totalPlain = totalC
                let index = relief_aggregated_minimum(forward, backward, Int32(count), Int32(stride), &totalC, level)
                let plain = aggregatedMinimumReference(forward: forward, backward: backward, count: count, stride: stride, total: &totalPlain)
                #expect(Int(index) == plain.index && totalC[Int(index)] == plain.minimum, "count \(count) level \(level.rawValue)")
                #expect(totalC == totalPlain, "count \(count) level \(level.rawValue)")
            }
            for width in 1...67 {
                let count = 1 + width % 40, stride = CostVolume.stride(for: count)
                var costC = [UInt16](repeating: .max, count: width + stride), costPlain = costC
                var indexC = [UInt16](repeating: 0, count: width + stride), indexPlain = indexC
                for x in 0..<width {
                    let total = (0..<stride).map { $0 < count ? UInt16.random(in: 0...20, using: &rng) : UInt16.max }
                    relief_update_right_winners(total, Int32(stride), Int32(x), Int32(width), &costC, &indexC, 0, level)
                    updateRightWinnersReference(total: total, stride: stride, x: x, width: width, bestCost: &costPlain, bestIndex: &indexPlain)
                }
                #expect(costC == costPlain, "width \(width) level \(level.rawValue)")
                let sameIndex = (0..<(width + stride)).allSatisfy { costPlain[$0] == .max || indexC[$0] == indexPlain[$0] }
                #expect(sameIndex, "width \(width) level \(level.rawValue)")
            }
        }
    }

    @Test("ambiguity confidence rows, counts 1...67, with nodata pixels")
    func confidenceRows() {
        var rng = SplitMix64(seed: 35)
        for level in Self.levels {
            for count in 1...67 {
                let stride = CostVolume.stride(for: count), width = 9 + count % 11  // groups of 8 and tails
                let costs = (0..<(width * stride)).map { _ in UInt8.random(in: 0...24, using: &rng) }
                let valid = (0..<width).map { $0 != 4 }
                var fast = [Float](repeating: 0, count: width)
                relief_ambiguity_confidence_row(costs, valid, Int32(width), Int32(count), Int32(stride), 17, &fast, level)
                for x in 0..<width {
                    let swift = costs.withUnsafeBufferPointer {
                        ambiguityConfidence($0.baseAddress! + x * stride, count: count, stride: stride, levels: 17)
                    }
                    if valid[x] {
                        #expect(fast[x] == swift, "count \(count) x \(x) level \(level.rawValue)")
                    } else {
                        #expect(fast[x].isNaN, "nodata pixel, count \(count)")
                    }
                }
            }
        }
    }

    @Test("row decision in C (relief_decide_row) equals RowDecider's Swift loop bit for bit: full and per-pixel windows, left-right tolerances, nodata, ties")
    func rowDecision() {
        var rng = SplitMix64(seed: 42)
        var decided = 0
        for width in [1, 2, 5, 17, 40, 67] {
            let height = 3
            let (left, right) = shiftedPair(width: width, height: height, disparity: 2, seed: UInt64(width))
            for shape in decisionShapes {
                let volume = decisionVolume(width: width, height: height, shape: shape, rng: &rng)
                let stride = volume.stride
                for tolerance in [nil, 0, 1, 3] as [Int?] {
                    for subpixel in [SubpixelMethod.none, .windowZSSD] {
                        var parameters = StereoMatchingParameters()
                        (parameters.leftRightTolerance, parameters.subpixel) = (tolerance, subpixel)
                        let leftValid = (0..<(width * height)).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }
                        let rightValid = (0..<(width * height)).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }
                        // Small sums: ties between disparities (the first index wins).
                        let forward = (0..<(width * stride)).map { _ in UInt16.random(in: 0..<24, using: &rng) }
                        let backward = (0..<(width * stride)).map { _ in UInt16.random(in: 0..<24, using: &rng) }
                        var outputs: [[Float]] = []
                        for rowKernel in [true, false] {
                            let decider = RowDecider(costs: volume, leftValid: leftValid, rightValid: rightValid,
                                                     leftPixels: left.storage, rightPixels: right.storage,
                                                     parameters: parameters, workers: 1, rowKernel: rowKernel)
                            #expect(decider.rowKernel == rowKernel)
                            var out = [Float](repeating: .nan, count: width * height)
                            out.withUnsafeMutableBufferPointer { out in
                                decider.decide(worker: 0, y: 1, forward: forward, backward: backward, into: out.baseAddress!)
                            }
                            outputs.append(out)
                        }
                        #expect(outputs[0].map(\.bitPattern) == outputs[1].map(\.bitPattern),
                                "width \(width) shape \(shape) tolerance \(String(describing: tolerance)) \(subpixel)")
                        decided += outputs[0].filter { !$0.isNaN }.count
                    }
                }
            }
        }
        #expect(decided > 500)
    }

    @Test("window SSD / ZSSD refinement in C (AVX2) equals the Swift SIMD version bit for bit")
    func windowRefinement() throws {
        try #require(relief_cpu_has_avx2(), "the C refinement kernel is AVX2 only; the Swift one runs elsewhere")
        var rng = SplitMix64(seed: 36)
        let (left, right) = shiftedPair(width: 67, height: 20, disparity: 3, seed: 37)
        var compared = 0
        for sample in 0..<800 {
            let x = Int.random(in: 0..<67, using: &rng), y = Int.random(in: 0..<20, using: &rng)
            let d = Int.random(in: -2...8, using: &rng), radius = Int.random(in: 1...3, using: &rng)
            let zeroMean = sample % 2 == 1
            var offset: Float = .nan
            let done = relief_subpixel_window(left.storage, right.storage, 67, 20, Int32(x), Int32(y), Int32(d),
                                              Int32(radius), 1, zeroMean, &offset)
            guard done == 1 else { continue }  // border windows: the caller falls back to Swift
            let swift = left.storage.withUnsafeBufferPointer { l in
                right.storage.withUnsafeBufferPointer { r in
                    subpixelWindowSSDVector(left: l.baseAddress!, right: r.baseAddress!, width: 67, height: 20,
                                            x: x, y: y, disparity: d, radius: radius, zeroMean: zeroMean)
                }
            }
            #expect(offset == swift, "x \(x) y \(y) d \(d) r \(radius) zero-mean \(zeroMean)")
            compared += 1
        }
        #expect(compared > 300)
    }

    @Test("window refinement of a whole row (AVX-512 lanes where present, the plain version at borders and NaN) equals the Swift SIMD version bit for bit")
    func windowRefinementRow() throws {
        try #require(relief_cpu_has_avx2(), "the C refinement kernels are AVX2 and up; the Swift one runs elsewhere")
        var rng = SplitMix64(seed: 39)
        let (width, height) = (67, 20)
        var (left, right) = shiftedPair(width: width, height: height, disparity: 3, seed: 40)
        // A few NaN pixels: the windows holding them are declined, lane by lane.
        for _ in 0..<6 {
            left.storage[Int.random(in: 0..<(width * height), using: &rng)] = .nan
            right.storage[Int.random(in: 0..<(width * height), using: &rng)] = .nan
        }
        var winners = [Int64](repeating: .min, count: width)
        var refined = [Float](repeating: .nan, count: width), measured = [UInt8](repeating: 9, count: width)
        var (compared, laned, declined) = (0, 0, 0)
        for sample in 0..<240 {
            let y = Int.random(in: 0..<height, using: &rng), radius = Int.random(in: 1...3, using: &rng)
            let zeroMean = sample % 2 == 1, iterations = sample % 3
            // Disparities: one value, a slow ramp, small noise (lanes within 6 of each other), or
            // wide noise (per-pixel route); some pixels without a winner.
            let base = Int.random(in: -2...8, using: &rng)
            for x in 0..<width {
                let d: Int
                switch sample % 4 {
                case 0: d = base
                case 1: d = base + x / 9
                case 2: d = base + Int.random(in: -3...3, using: &rng)
                default: d = Int.random(in: -2...14, using: &rng)
                }
                winners[x] = Int.random(in: 0..<8, using: &rng) == 0 ? .min : Int64(d)
            }
            let count = left.storage.withUnsafeBufferPointer { l in
                right.storage.withUnsafeBufferPointer { r in
                    relief_subpixel_window_row(l.baseAddress!, r.baseAddress!, Int32(width), Int32(height), Int32(y),
                                               winners, Int32(radius), Int32(iterations), zeroMean, &refined, &measured)
                }
            }
            laned += Int(count)
            for x in 0..<width {
                guard winners[x] != .min else {
                    #expect(measured[x] == 0, "no winner at x \(x)")
                    continue
                }
                var single: Float = .nan
                let done = relief_subpixel_window(left.storage, right.storage, Int32(width), Int32(height), Int32(x), Int32(y),
                                                  Int32(winners[x]), Int32(radius), Int32(iterations), zeroMean, &single)
                // Every pixel with a winner is measured; where the per-pixel kernel declines
                // (borders, NaN) by the plain version, which the Swift SIMD one falls back to there.
                #expect(measured[x] == 1, "x \(x) y \(y) d \(winners[x]) r \(radius)")
                if done == 0 { declined += 1 }
                let swift = left.storage.withUnsafeBufferPointer { l in
                    right.storage.withUnsafeBufferPointer { r in
                        subpixelWindowSSDVector(left: l.baseAddress!, right: r.baseAddress!, width: width, height: height,
                                                x: x, y: y, disparity: Int(winners[x]), radius: radius,
                                                iterations: iterations, zeroMean: zeroMean)
                    }
                }
                #expect(refined[x].bitPattern == (swift ?? 0).bitPattern,
                        "x \(x) y \(y) d \(winners[x]) r \(radius) zero-mean \(zeroMean) iterations \(iterations)")
                compared += 1
            }
        }
        #expect(compared > 2000)
        #expect(declined > 200, "border and NaN windows measured by the plain version: \(declined)")
        if relief_cpu_has_avx512() {
            #expect(laned > (compared - declined) / 2, "most pixels measured 8 at a time (\(laned) of \(compared - declined))")
        } else {
            #expect(laned == 0)
        }
    }

    @Test("ZSSD refinement ignores a brightness offset between the views; SSD does not")
    func zeroMeanIgnoresOffset() {
        let (left, right) = shiftedPair(width: 67, height: 20, disparity: 3, seed: 38)
        let brighter = right.storage.map { $0 + 40 }
        var zssdMoved: Float = 0, ssdMoved: Float = 0
        left.storage.withUnsafeBufferPointer { l in
            right.storage.withUnsafeBufferPointer { r in
                brighter.withUnsafeBufferPointer { b in
                    for x in 20..<40 {
                        for zeroMean in [false, true] {
                            let plain = subpixelWindowSSD(left: l.baseAddress!, right: r.baseAddress!, width: 67, height: 20,
                                                          x: x, y: 10, disparity: 3, radius: 2, zeroMean: zeroMean) ?? .nan
                            let shifted = subpixelWindowSSD(left: l.baseAddress!, right: b.baseAddress!, width: 67, height: 20,
                                                            x: x, y: 10, disparity: 3, radius: 2, zeroMean: zeroMean) ?? .nan
                            if zeroMean { zssdMoved = max(zssdMoved, abs(shifted - plain)) } else { ssdMoved = max(ssdMoved, abs(shifted - plain)) }
                        }
                    }
                }
            }
        }
        // 1e-3 px: float rounding of sums of values up to ~300 (the offset cancels exactly in exact arithmetic).
        #expect(zssdMoved <= 1e-3, "ZSSD moved by \(zssdMoved) px")
        #expect(ssdMoved > 0.01, "SSD should move with an offset of 40 (moved \(ssdMoved) px)")
    }
}
