import Testing
@testable import Photogrammetry
import Raster

/// Bad or degenerate inputs: clear errors or all-NaN outputs, never a crash.
@Suite("Matching: bad input and edges")
struct MatchingBadInputTests {
    @Test("mismatched sizes throw sizeMismatch")
    func sizeMismatch() {
        let a = ImageBuffer<Float>(width: 10, height: 8), b = ImageBuffer<Float>(width: 11, height: 8)
        #expect(throws: MatchingError.sizeMismatch(left: (10, 8), right: (11, 8))) {
            try StereoMatcher.match(left: a, right: b, disparities: 0...3)
        }
        #expect(throws: MatchingError.sizeMismatch(left: (10, 8), right: (11, 8))) {
            try StereoMatcher.matchTiled(left: a, right: b, disparities: 0...3)
        }
    }

    @Test("an empty image throws emptyImage")
    func empty() {
        let a = ImageBuffer<Float>(width: 0, height: 5)
        #expect(throws: MatchingError.emptyImage(width: 0, height: 5)) {
            try StereoMatcher.match(left: a, right: a, disparities: 0...3)
        }
    }

    @Test("all-nodata images give all-NaN disparity and confidence")
    func allNodata() throws {
        let nan = ImageBuffer<Float>(width: 20, height: 9, filledWith: .nan)
        let result = try StereoMatcher.match(left: nan, right: nan, disparities: -4...4)
        #expect(result.disparity.storage.filter { !$0.isNaN }.count == 0)
        #expect(result.confidence.storage.filter { !$0.isNaN }.count == 0)
        // The same with a nodata value instead of NaN, in UInt16.
        let zeros = ImageBuffer<UInt16>(width: 20, height: 9, filledWith: 7)
        let coded = try StereoMatcher.match(left: zeros, right: zeros, disparities: 0...4, nodata: 7)
        #expect(coded.disparity.storage.filter { !$0.isNaN }.count == 0)
    }

    @Test("a range wider than the image is searched where it can land; a range outside it gives all NaN")
    func wideRanges() throws {
        let (left, right) = shiftedPair(width: 30, height: 20, disparity: 3, seed: 7)
        let wide = try StereoMatcher.match(left: left, right: right, disparities: -100...100)
        #expect(wide.disparity.width == 30 && wide.disparity.height == 20)
        #expect(wide.disparity.storage.filter { !$0.isNaN && !(-29...29).contains($0) }.count == 0)
        let outside = try StereoMatcher.match(left: left, right: right, disparities: 40...90)
        #expect(outside.disparity.storage.filter { !$0.isNaN }.count == 0)
        let negativeOutside = try StereoMatcher.match(left: left, right: right, disparities: -90...(-30))
        #expect(negativeOutside.disparity.storage.filter { !$0.isNaN }.count == 0)
    }

    @Test("unsupported parameters throw invalidParameter")
    func parameters() {
        let a = ImageBuffer<Float>(width: 10, height: 8)
        var even = StereoMatchingParameters()
        even.censusWidth = 4
        var tooBig = StereoMatchingParameters()
        tooBig.censusWidth = 9
        tooBig.censusHeight = 9
        var penalties = StereoMatchingParameters()
        penalties.p2 = 240
        var order = StereoMatchingParameters()
        order.p1 = 40
        order.p2 = 20
        var gradientTooHeavy = StereoMatchingParameters()  // 24 + 200 + 8 + 32 > 255
        gradientTooHeavy.gradientWeight = 1
        gradientTooHeavy.gradientCap = 200
        var negativeWeight = StereoMatchingParameters()
        negativeWeight.gradientWeight = -1
        for p in [even, tooBig, penalties, order, gradientTooHeavy, negativeWeight] {
            #expect(throws: MatchingError.self) { try StereoMatcher.match(left: a, right: a, disparities: 0...3, parameters: p) }
        }
    }

    @Test("a volume over the memory limit throws; the tiled driver fits it")
    func memoryLimit() throws {
        let (left, right) = shiftedPair(width: 300, height: 200, disparity: 4, seed: 8)
        var small = StereoMatchingParameters()
        small.memoryLimit = 3_000_000  // the whole pair needs 7.7 MB, a 64-px tile with its margins 2.3 MB
        #expect(throws: MatchingError.self) { try StereoMatcher.match(left: left, right: right, disparities: 0...15, parameters: small) }
        let tiled = try StereoMatcher.matchTiled(left: left, right: right, disparities: 0...15, parameters: small)
        let correct = tiled.disparity.storage.filter { abs($0 - 4) <= 0.5 }.count
        // The shift is an exact integer on textured noise: nearly all pixels away from the
        // 4 occluded columns and the borders must find it.
        #expect(correct >= 300 * 200 * 9 / 10)
    }

    @Test("parseDisparityRange reads MIN:MAX and rejects the rest")
    func parse() throws {
        #expect(try parseDisparityRange("-32:16") == -32...16)
        #expect(try parseDisparityRange("5:5") == 5...5)
        #expect(throws: MatchingError.invalidDisparityRange(minimum: 5, maximum: 2)) { try parseDisparityRange("5:2") }
        #expect(throws: MatchingError.self) { try parseDisparityRange("5") }
        #expect(throws: MatchingError.self) { try parseDisparityRange("a:b") }
    }
}

/// End-to-end behaviour on synthetic pairs with a known integer shift.
@Suite("Matching: synthetic pairs")
struct MatchingSyntheticTests {
    @Test("a known shift is found, for positive and negative disparities", arguments: [-6, 0, 5])
    func knownShift(shift: Int) throws {
        let (left, right) = shiftedPair(width: 80, height: 60, disparity: shift, seed: UInt64(100 + shift + 10))
        for paths in SGMPaths.allCases {
            var parameters = StereoMatchingParameters()
            parameters.paths = paths
            let result = try StereoMatcher.match(left: left, right: right, disparities: (shift - 7)...(shift + 9), parameters: parameters)
            let correct = result.disparity.storage.filter { abs($0 - Float(shift)) <= 0.25 }.count
            // Exact integer shift of a textured image: >= 85 % of the pixels (borders and the
            // |shift| columns without a match excluded by the margin).
            #expect(correct >= 80 * 60 * 85 / 100, "shift \(shift) \(paths): \(correct) correct")
        }
    }

    @Test("every width 1...67 and range shape runs and keeps its output in range")
    func sweepWidths() throws {
        let ranges: [ClosedRange<Int>] = [0...0, -2...(-2), -3...5, 1...20]
        for width in 1...67 {
            let (left, right) = shiftedPair(width: width, height: 5 + width % 4, disparity: 1, seed: UInt64(width))
            for range in ranges {
                let result = try StereoMatcher.match(left: left, right: right, disparities: range)
                #expect(result.disparity.width == width)
                let ok = result.disparity.storage.allSatisfy { $0.isNaN || (Float(range.lowerBound) - 0.5...Float(range.upperBound) + 0.5).contains($0) }
                #expect(ok, "width \(width) range \(range)")
            }
        }
    }

    @Test("pipelined aggregation and decision equal the two-volume path bit for bit, widths 1...40, any range",
          arguments: SGMPaths.allCases)
    func pipelinedEqualsTwoVolumes(paths: SGMPaths) throws {
        let ranges: [ClosedRange<Int>] = [0...0, -3...5, 1...20, -19...(-2)]
        for width in [1, 2, 5, 16, 17, 33, 40] {
            for height in [1, 2, 3, 8, 13] {
                let (left, right) = shiftedPair(width: width, height: height, disparity: 2, seed: UInt64(31 * width + height))
                for range in ranges {
                    for variant in 0..<3 {
                        var parameters = StereoMatchingParameters()
                        parameters.paths = paths
                        if variant == 1 { parameters.uniquenessRatio = 10; parameters.p2GradientScale = 8; parameters.subpixel = .parabola }
                        if variant == 2 { parameters.leftRightTolerance = nil; parameters.subpixel = .equiangular }
                        let a = try StereoMatcher.matchTile(left: left, right: right, disparities: range, parameters: parameters,
                                                            nodata: nil, workspace: nil, pipelined: true)
                        let b = try StereoMatcher.matchTile(left: left, right: right, disparities: range, parameters: parameters,
                                                            nodata: nil, workspace: nil, pipelined: false)
                        let same = zip(a.disparity.storage, b.disparity.storage).allSatisfy { $0.bitPattern == $1.bitPattern }
                        #expect(same, "\(paths) \(width)x\(height) range \(range) variant \(variant)")
                    }
                }
            }
        }
    }

    @Test("automatic tile shapes fit the memory budget; full-width strips where they fit")
    func tileShapes() throws {
        // 2000x2000, 0...127 at 512 MiB: four full-width strips of 500 rows.
        let strips = StereoMatcher.tileShape(width: 2000, height: 2000, disparities: 0...127, memoryLimit: 512 << 20)
        #expect(strips?.0 == 2000 && strips?.1 == 500)
        for (width, height, range, limit) in [(3000, 900, -40...25, 64 << 20), (20000, 300, 0...63, 256 << 20),
                                               (777, 5000, -5...90, 32 << 20), (50000, 50000, 0...255, 512 << 20)] {
            guard let (w, h) = StereoMatcher.tileShape(width: width, height: height, disparities: range, memoryLimit: limit) else {
                Issue.record("\(width)x\(height): no shape"); continue
            }
            let margin = StereoMatcher.tileMargin
            let windowWidth = min(width, w + max(range.upperBound, 0) - min(range.lowerBound, 0) + 2 * margin)
            let windowHeight = min(height, h + 2 * margin)
            #expect(w >= 1 && h >= 16 && w <= width && h <= height)
            #expect(StereoMatcher.estimatedBytes(width: windowWidth, height: windowHeight, disparityCount: range.count) <= limit,
                    "\(width)x\(height) \(range): tile \(w)x\(h)")
        }
    }

    @Test("tiles agree with one whole-image match away from tile seams")
    func tiledMatchesWhole() throws {
        let (left, right) = shiftedPair(width: 150, height: 110, disparity: 7, seed: 11)
        let whole = try StereoMatcher.match(left: left, right: right, disparities: 0...20)
        let tiled = try StereoMatcher.matchTiled(left: left, right: right, disparities: 0...20, tileSize: 48)
        var same = 0
        for i in whole.disparity.storage.indices {
            let a = whole.disparity.storage[i], b = tiled.disparity.storage[i]
            if (a.isNaN && b.isNaN) || abs(a - b) <= 0.01 { same += 1 }
        }
        // Tiles see 32 px of context: SGM paths are cut there, so a few pixels may differ.
        #expect(same >= whole.disparity.storage.count * 97 / 100, "\(same) of \(whole.disparity.storage.count)")
    }

    @Test("UInt16 input (12-bit) matches like the same image in Float")
    func uint16() throws {
        let (left, right) = shiftedPair(width: 60, height: 40, disparity: 2, seed: 12)
        let scale: (ImageBuffer<Float>) -> ImageBuffer<UInt16> = { image in
            ImageBuffer(width: image.width, height: image.height,
                        pixels: image.storage.map { $0.isNaN ? 0 : UInt16($0 * 16) })
        }
        let a = try StereoMatcher.match(left: left, right: right, disparities: 0...8)
        let b = try StereoMatcher.match(left: scale(left), right: scale(right), disparities: 0...8, nodata: 0)
        var agree = 0
        for i in a.disparity.storage.indices where abs(a.disparity.storage[i] - b.disparity.storage[i]) <= 0.05 || (a.disparity.storage[i].isNaN && b.disparity.storage[i].isNaN) {
            agree += 1
        }
        // Census is invariant to the 12-bit scaling; the refinement sees rounded intensities.
        #expect(agree >= a.disparity.storage.count * 95 / 100)
    }
}
