import CStereoKernels
import Testing
@testable import Photogrammetry

/// The kernels of per-pixel disparity windows (`DisparityBand`): banded SGM aggregation (C sweeps
/// at each instruction set, Swift `runPlain`, the pipelined sweeps), census cost rows with
/// offsets and the right winners with an index base, each equal to its plain reference bit for
/// bit over sizes, window widths, spans and offset patterns (`OffsetPattern`).
@Suite("Matching per-pixel windows: banded kernels equal plain references")
struct MatchingBandKernelTests {
    static let sizes = [(1, 1), (1, 7), (7, 1), (2, 3), (13, 9), (33, 17)]
    /// (window width, span): windows of 16 and 32, spans from the window itself (offsets all 0)
    /// to ~100, where random neighbours jump by more than stride + 1.
    static let shapes = [(16, 16), (16, 17), (16, 40), (16, 100), (32, 32), (32, 33), (32, 70), (32, 100)]
    /// (P1, P2, largest cost) with `maxCost + P1 + 2 P2 <= 255` (`bandSupported`), the second at 255 exactly.
    static let penalties = [(8, 96, 24), (7, 112, 24), (1, 100, 53), (10, 40, 63)]

    @Test("plain banded reference, worked by hand: a 2x1 image, window 3, offsets 0 and 1")
    func referenceByHand() {
        // Pixel 0 searches disparities 0...2 (costs 0, 5, 9), pixel 1 disparities 1...3 (4, 4, 4).
        // P1 2, P2 10. Left-to-right path at pixel 1: d1 from min(5, 0 + 2, 9 + 2, 10) = 2 -> 6;
        // d2 from min(9, 5 + 2, 10) = 7 -> 11; d3 (outside pixel 0's window) from min(9 + 2, 10) -> 14.
        // Right-to-left at pixel 0: d0 from min(4 + 2, 14) - 4 -> 2; d1, d2 from 4 - 4 -> 5, 9.
        // Vertical paths have no predecessor: L = C, twice.
        let s = sgmAggregateBandedReference(costs: [0, 5, 9, 4, 4, 4], width: 2, height: 1, bandWidth: 3, offsets: [0, 1],
                                            intensity: [], p1: 2, p2: 10, gradientScale: nil, paths: .four)
        #expect(s == [0 + 2 + 0 + 0, 5 + 5 + 10, 9 + 9 + 18, 6 + 4 + 8, 11 + 4 + 8, 14 + 4 + 8])
    }

    @Test("plain banded reference with equal offsets is the full reference over the window", arguments: SGMPaths.allCases)
    func referenceEqualOffsets(paths: SGMPaths) {
        var rng = SplitMix64(seed: 60)
        for (width, height) in [(1, 1), (5, 4), (9, 7)] {
            let w = 5, costs = (0..<(width * height * w)).map { _ in UInt8.random(in: 0...24, using: &rng) }
            let intensity = (0..<(width * height)).map { _ in Float.random(in: 0...255, using: &rng) }
            for gradientScale in [nil, Float(8)] {
                let full = sgmAggregateReference(costs: costs, width: width, height: height, count: w, intensity: intensity,
                                                 p1: 8, p2: 96, gradientScale: gradientScale, paths: paths)
                let banded = sgmAggregateBandedReference(
                    costs: costs, width: width, height: height, bandWidth: w, offsets: Array(repeating: 7, count: width * height),
                    intensity: intensity, p1: 8, p2: 96, gradientScale: gradientScale, paths: paths)
                #expect(banded == full, "\(width)x\(height) gradient \(String(describing: gradientScale))")
            }
        }
    }

    @Test("banded SGM aggregation: C sweeps (each level) and Swift runPlain equal the plain reference",
          arguments: SGMPaths.allCases)
    func aggregation(paths: SGMPaths) {
        var rng = SplitMix64(seed: 61)
        let kernels: [ReliefKernelLevel?] = [nil] + MatchingCKernelTests.levels.map { Optional($0) }
        var combination = 0, compared = 0
        for (width, height) in Self.sizes {
            for (w, span) in Self.shapes {
                for pattern in OffsetPattern.allCases {
                    for gradientScale in [nil, Float(8)] {
                        let (p1, p2, maxCost) = Self.penalties[combination % Self.penalties.count]
                        combination += 1
                        let offsets = pattern.offsets(width: width, height: height, span: span, bandWidth: w, rng: &rng)
                        let minDisparity = Int.random(in: -60...20, using: &rng)
                        let (volume, packed) = randomBandedVolume(
                            width: width, height: height, minDisparity: minDisparity, span: span,
                            band: DisparityBand(width: w, offsets: offsets), maxCost: maxCost, rng: &rng)
                        var intensity = (0..<(width * height)).map { _ in Float.random(in: 0...255, using: &rng) }
                        intensity[0] = .nan  // nodata: the constant P2
                        let plain = sgmAggregateBandedReference(
                            costs: packed, width: width, height: height, bandWidth: w, offsets: offsets, intensity: intensity,
                            p1: p1, p2: p2, gradientScale: gradientScale, paths: paths)
                        for level in kernels {
                            let fast = sgmAggregate(volume, intensity: intensity, p1: p1, p2: p2, gradientScale: gradientScale,
                                                    paths: paths, kernels: level)
                            var mismatches = 0
                            for y in 0..<height {
                                for x in 0..<width {
                                    for i in 0..<w where fast[x, y, i] != plain[(y * width + x) * w + i] { mismatches += 1 }
                                }
                            }
                            #expect(mismatches == 0, """
                                \(paths) \(width)x\(height) window \(w) span \(span) \(pattern) P1 \(p1) P2 \(p2) \
                                gradient \(String(describing: gradientScale)) level \(level.map { "\($0.rawValue)" } ?? "Swift"): \
                                \(mismatches) of \(width * height * w) cells differ
                                """)
                            compared += 1
                        }
                    }
                }
            }
        }
        #expect(compared == combination * kernels.count)
    }

    @Test("banded pipelined aggregation (the matcher's path) gives the reference's sums, in UInt16 and (P2 32, where they fit) UInt8",
          arguments: SGMPaths.allCases)
    func pipelined(paths: SGMPaths) {
        var rng = SplitMix64(seed: 62)
        #expect(!narrowSumsExact(paths: .eight, maxCost: 24, p2: 96) && narrowSumsExact(paths: paths, maxCost: 24, p2: 32))
        for (width, height) in [(1, 1), (7, 1), (1, 7), (33, 17), (20, 30)] {
            for (w, span) in [(16, 40), (32, 100)] {
                for pattern in OffsetPattern.allCases {
                    for (p2, narrow) in [(96, false), (32, true)] {
                        let offsets = pattern.offsets(width: width, height: height, span: span, bandWidth: w, rng: &rng)
                        let (volume, packed) = randomBandedVolume(width: width, height: height, minDisparity: 0, span: span,
                                                                  band: DisparityBand(width: w, offsets: offsets), maxCost: 24, rng: &rng)
                        let plain = sgmAggregateBandedReference(costs: packed, width: width, height: height, bandWidth: w,
                                                                offsets: offsets, intensity: [], p1: 8, p2: p2, gradientScale: nil,
                                                                paths: paths)
                        let cells = width * height * w
                        let sums = UnsafeMutableRawPointer.allocate(byteCount: 2 * cells, alignment: 16)
                        let decided = UnsafeMutablePointer<Int>.allocate(capacity: cells)
                        decided.initialize(repeating: -1, count: cells)
                        defer { sums.deallocate(); decided.deallocate() }
                        nonisolated(unsafe) let out = decided
                        sgmAggregatePipelined(volume, intensity: [], p1: 8, p2: p2, gradientScale: nil, paths: paths,
                                              sums: sums, narrow: narrow) { _, y, forward, backward in
                            // Distinct rows per call: no two calls write the same entries.
                            for k in 0..<(width * w) {
                                out[y * width * w + k] = narrow
                                    ? Int(forward.load(fromByteOffset: k, as: UInt8.self)) + Int(backward.load(fromByteOffset: k, as: UInt8.self))
                                    : Int(forward.load(fromByteOffset: 2 * k, as: UInt16.self)) + Int(backward.load(fromByteOffset: 2 * k, as: UInt16.self))
                            }
                        }
                        let same = (0..<cells).allSatisfy { decided[$0] == plain[$0] }
                        #expect(same, "\(paths) \(width)x\(height) window \(w) span \(span) \(pattern) P2 \(p2) narrow \(narrow)")
                    }
                }
            }
        }
    }

    @Test("census cost rows with window offsets: C (each level) and Swift SIMD equal the reference, widths 1...67")
    func censusCostRows() {
        var rng = SplitMix64(seed: 63)
        let shapes = [(16, 16), (16, 17), (16, 45), (32, 33), (32, 100), (48, 70)]
        let lowerBounds = [-70, -20, -3, 0, 5]
        for width in 1...67 {
            // 24 and 32 bits: the SIMD16<UInt32> path and the C kernel; 48: the SIMD8<UInt64> path (no C kernel).
            for bits in [24, 32, 48] {
                let mask: UInt64 = (1 << UInt64(bits)) - 1
                let left = (0..<width).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) & mask }
                let right = (0..<width).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) & mask }
                let leftValid = (0..<width).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }
                let rightValid = (0..<width).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }
                for (w, span) in shapes {
                    let lowerBound = lowerBounds[(width + w) % lowerBounds.count]
                    // Offsets at both ends of 0...span - w and in between.
                    let offsets = (0..<width).map { x -> Int32 in
                        switch x % 3 {
                        case 0: Int32(span - w)
                        case 1: 0
                        default: Int32.random(in: 0...Int32(span - w), using: &rng)
                        }
                    }
                    var plain = [UInt8](repeating: 0, count: width * w)
                    censusCostRowReference(leftCodes: left, leftValid: leftValid, rightCodes: right, rightValid: rightValid,
                                           width: width, minDisparity: lowerBound, count: w, stride: w, maxCost: UInt8(bits),
                                           out: &plain, offsets: offsets)
                    let scratch = (width + max(w, span) + 8) * 8
                    let codes = UnsafeMutableRawPointer.allocate(byteCount: scratch, alignment: 16)
                    let masks = UnsafeMutableRawPointer.allocate(byteCount: scratch, alignment: 16)
                    defer { codes.deallocate(); masks.deallocate() }
                    let kernels: [ReliefKernelLevel?] = bits <= 32 ? [nil] + MatchingCKernelTests.levels.map { Optional($0) } : [nil]
                    for level in kernels {
                        var fast = [UInt8](repeating: 0, count: width * w)
                        offsets.withUnsafeBufferPointer { offsets in
                            censusCostRow(leftCodes: left, leftValid: leftValid, rightCodes: right, rightValid: rightValid,
                                          width: width, minDisparity: lowerBound, count: w, stride: w, maxCost: UInt8(bits),
                                          scratchCodes: codes, scratchMasks: masks, out: &fast, kernels: level,
                                          offsets: offsets.baseAddress, span: span)
                        }
                        #expect(fast == plain, """
                            width \(width) bits \(bits) window \(w) span \(span) from \(lowerBound) \
                            level \(level.map { "\($0.rawValue)" } ?? "Swift")
                            """)
                    }
                }
            }
        }
    }

    @Test("census reference with offsets: cell i of pixel x is the cost of disparity lowest + offset + i")
    func censusReferenceMeaning() {
        // Codes 0b1, 0b11, 0b111, ...: the Hamming distance of codes a and b is |a - b| in bits.
        let width = 40
        let codes = (0..<width).map { UInt64((1 << ($0 % 20 + 1)) - 1) }
        let valid = [Bool](repeating: true, count: width)
        let offsets = (0..<width).map { Int32($0 % 5) }
        var out = [UInt8](repeating: 0, count: width * 16)
        censusCostRowReference(leftCodes: codes, leftValid: valid, rightCodes: codes, rightValid: valid, width: width,
                               minDisparity: -3, count: 16, stride: 16, maxCost: 24, out: &out, offsets: offsets)
        for x in 0..<width {
            for i in 0..<16 {
                let xr = x - (-3 + x % 5 + i)
                let expected = (0..<width).contains(xr) ? UInt8(abs(x % 20 - xr % 20)) : 24
                #expect(out[x * 16 + i] == expected, "x \(x) i \(i)")
            }
        }
    }

    @Test("right winners with an index base: C (each level) and Swift equal the reference and brute force, widths 1...67")
    func rightWinners() {
        var rng = SplitMix64(seed: 64)
        let levels: [ReliefKernelLevel?] = [nil] + MatchingCKernelTests.levels.map { Optional($0) }
        for width in 1...67 {
            for (w, span) in [(16, 16), (16, 21), (32, 33), (32, 100)] {
                // Small totals: many ties (the first, smallest-x candidate must win); large ones near UInt16.max.
                let high: UInt16 = width % 3 == 0 ? 65_534 : 20
                let bases = (0..<width).map { x in x % 4 == 0 ? span - w : Int.random(in: 0...(span - w), using: &rng) }
                let totals = (0..<width).map { _ in (0..<w).map { _ in UInt16.random(in: 0...high, using: &rng) } }
                let slots = width + max(w, span)
                var plainCost = [UInt16](repeating: .max, count: slots), plainIndex = [UInt16](repeating: 0, count: slots)
                for x in 0..<width {
                    updateRightWinnersReference(total: totals[x], stride: w, x: x - bases[x], width: width,
                                                bestCost: &plainCost, bestIndex: &plainIndex, indexBase: bases[x])
                }
                // Brute force over the right pixels: slot b = width - 1 - x_r - minDisparity (minDisparity 0 here)
                // takes the smallest total over the left pixels x whose window holds disparity x - x_r.
                var bruteCost = [UInt16](repeating: .max, count: slots), bruteIndex = [UInt16](repeating: 0, count: slots)
                for x in 0..<width {
                    for i in 0..<w {
                        let b = width - 1 - (x - bases[x] - i)
                        if totals[x][i] < bruteCost[b] { bruteCost[b] = totals[x][i]; bruteIndex[b] = UInt16(bases[x] + i) }
                    }
                }
                #expect(plainCost == bruteCost && plainIndex == bruteIndex, "reference, width \(width) window \(w) span \(span)")
                for level in levels {
                    var cost = [UInt16](repeating: .max, count: slots), index = [UInt16](repeating: 0, count: slots)
                    for x in 0..<width {
                        if let level {
                            relief_update_right_winners(totals[x], Int32(w), Int32(x - bases[x]), Int32(width), &cost, &index,
                                                        Int32(bases[x]), level)
                        } else {
                            totals[x].withUnsafeBufferPointer { total in
                                updateRightWinners(total: total.baseAddress!, stride: w, x: x - bases[x], width: width,
                                                   bestCost: &cost, bestIndex: &index, indexBase: bases[x])
                            }
                        }
                    }
                    let label = "width \(width) window \(w) span \(span) level \(level.map { "\($0.rawValue)" } ?? "Swift")"
                    #expect(cost == plainCost, "costs, \(label)")
                    #expect((0..<slots).allSatisfy { plainCost[$0] == .max || index[$0] == plainIndex[$0] }, "indices, \(label)")
                }
            }
        }
    }
}
