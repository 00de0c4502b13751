import CStereoKernels
import Testing
@testable import Photogrammetry

/// UInt8 sums (`SGMSweep.runNarrow`, `relief_decide_row_narrow`): the SGM sweeps' sums stored in
/// one byte where `narrowSumsExact` says they fit, which the matcher's default parameters do
/// (8 paths: 4 × (24 + 32) = 224). Each kernel level against the UInt16 sums and decision; the
/// pipelined aggregation with UInt8 sums in `MatchingBandKernelTests.pipelined`.
@Suite("Matching with UInt8 sums: equal to UInt16 where they fit")
struct MatchingNarrowSumsTests {
    /// One sweep's sums over the whole volume, UInt16 or (`narrow`) UInt8 widened.
    static func sweepSums(_ volume: CostVolume, intensity: [Float], p2: Int, gradientScale: Float?, paths: SGMPaths,
                          forward: Bool, level: ReliefKernelLevel, narrow: Bool) -> [UInt16] {
        let rowLength = volume.width * volume.stride, cells = rowLength * volume.height
        return intensity.withUnsafeBufferPointer { intensity in
            let sweep = SGMSweep(volume, intensity: intensity, p1: 8, p2: p2, gradientScale: gradientScale,
                                 directions: sgmDirections(paths, forward: forward), forward: forward, kernels: level)
            if narrow {
                var sums = [UInt8](repeating: 0, count: cells)
                sums.withUnsafeMutableBufferPointer { sums in
                    sweep.runNarrow(steps: 0..<volume.height, rowSums: { sums.baseAddress! + $0 * rowLength }, completed: { _, _ in })
                }
                return sums.map { UInt16($0) }
            }
            var sums = [UInt16](repeating: 0, count: cells)
            sums.withUnsafeMutableBufferPointer { sums in
                sweep.run(steps: 0..<volume.height, rowSums: { sums.baseAddress! + $0 * rowLength }, completed: { _, _ in })
            }
            return sums
        }
    }

    @Test("SGM sweeps with UInt8 sums (each level): the UInt16 sums modulo 256, and below 256 wherever narrowSumsExact holds; full and per-pixel windows",
          arguments: SGMPaths.allCases)
    func sweeps(paths: SGMPaths) {
        var rng = SplitMix64(seed: 71)
        // (range count, window width or nil): counts 32 and 64 take the AVX2 fast path's whole
        // chunks, the others its 16-wide tail and padding; windows of 16 and 32 over a span of 70.
        let shapes: [(Int, Int?)] = [(1, nil), (7, nil), (32, nil), (40, nil), (64, nil), (70, 16), (70, 32)]
        var exactCells = 0
        for (width, height) in [(1, 1), (7, 1), (1, 7), (13, 9), (40, 6)] {
            for (count, band) in shapes {
                for (p2, gradientScale) in [(32, nil), (32, Float(8)), (96, nil)] as [(Int, Float?)] {
                    let volume: CostVolume
                    if let band {
                        let offsets = OffsetPattern.random.offsets(width: width, height: height, span: count, bandWidth: band, rng: &rng)
                        volume = randomBandedVolume(width: width, height: height, minDisparity: -5, span: count,
                                                    band: DisparityBand(width: band, offsets: offsets), maxCost: 24, rng: &rng).0
                    } else {
                        volume = CostVolume(width: width, height: height, minDisparity: -3, count: count)
                        for i in 0..<(width * height * volume.stride) { volume.cells[i] = UInt8.random(in: 0...24, using: &rng) }
                    }
                    var intensity = (0..<(width * height)).map { _ in Float.random(in: 0...255, using: &rng) }
                    intensity[0] = .nan
                    let exact = narrowSumsExact(paths: paths, maxCost: 24, p2: p2)
                    for forward in [true, false] {
                        for level in MatchingCKernelTests.levels + [ReliefKernelAuto] {
                            let wide = Self.sweepSums(volume, intensity: intensity, p2: p2, gradientScale: gradientScale,
                                                      paths: paths, forward: forward, level: level, narrow: false)
                            let narrow = Self.sweepSums(volume, intensity: intensity, p2: p2, gradientScale: gradientScale,
                                                        paths: paths, forward: forward, level: level, narrow: true)
                            var wrapped = 0, overflowing = 0
                            for pixel in 0..<(width * height) {
                                for i in 0..<volume.count {
                                    let cell = pixel * volume.stride + i
                                    if narrow[cell] != wide[cell] & 0xFF { wrapped += 1 }
                                    if exact && wide[cell] > 255 { overflowing += 1 }
                                }
                            }
                            if exact { exactCells += width * height * volume.count }
                            #expect(wrapped == 0 && overflowing == 0, """
                                \(paths) \(width)x\(height) count \(count) band \(String(describing: band)) P2 \(p2) \
                                gradient \(String(describing: gradientScale)) forward \(forward) level \(level.rawValue): \
                                \(wrapped) not the UInt16 sums modulo 256, \(overflowing) above 255
                                """)
                        }
                    }
                }
            }
        }
        #expect(exactCells > 10_000)
    }

    @Test("C row decision on UInt8 sums equals the decision on the same sums in UInt16: full and per-pixel windows, tolerances, nodata")
    func rowDecision() {
        var rng = SplitMix64(seed: 72)
        var decided = 0
        for width in [1, 2, 5, 17, 40, 67] {
            let height = 3
            let (left, right) = shiftedPair(width: width, height: height, disparity: 2, seed: UInt64(width))
            for shape in decisionShapes {
                let volume = decisionVolume(width: width, height: height, shape: shape, rng: &rng)
                let stride = volume.stride
                for tolerance in [nil, 0, 1] as [Int?] {
                    var parameters = StereoMatchingParameters()
                    (parameters.leftRightTolerance, parameters.subpixel) = (tolerance, .windowZSSD)
                    let leftValid = (0..<(width * height)).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }
                    let rightValid = (0..<(width * height)).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }
                    // The whole byte range (totals up to 510), half the time near 0 for ties.
                    let small = Bool.random(using: &rng)
                    let forward = (0..<(width * stride)).map { _ in UInt8.random(in: 0...(small ? 20 : 255), using: &rng) }
                    let backward = (0..<(width * stride)).map { _ in UInt8.random(in: 0...(small ? 20 : 255), using: &rng) }
                    let decider = RowDecider(costs: volume, leftValid: leftValid, rightValid: rightValid,
                                             leftPixels: left.storage, rightPixels: right.storage,
                                             parameters: parameters, workers: 1)
                    #expect(decider.rowKernel)
                    var (fromWide, fromNarrow) = ([Float](repeating: .nan, count: width * height), [Float](repeating: .nan, count: width * height))
                    fromWide.withUnsafeMutableBufferPointer { out in
                        decider.decide(worker: 0, y: 1, forward: forward.map { UInt16($0) }, backward: backward.map { UInt16($0) },
                                       into: out.baseAddress!)
                    }
                    fromNarrow.withUnsafeMutableBufferPointer { out in
                        decider.decideNarrow(worker: 0, y: 1, forward: forward, backward: backward, into: out.baseAddress!)
                    }
                    #expect(fromWide.map(\.bitPattern) == fromNarrow.map(\.bitPattern),
                            "width \(width) shape \(shape) tolerance \(String(describing: tolerance))")
                    decided += fromWide.filter { !$0.isNaN }.count
                }
            }
        }
        #expect(decided > 300)
    }
}
