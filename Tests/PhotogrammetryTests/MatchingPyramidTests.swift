import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// `DisparitySearch.pyramid`: the window prediction, the fall-backs to full search, and accuracy
/// against the bars `.full` meets (issue 4).
@Suite("Matching: coarse-to-fine (pyramid) search")
struct MatchingPyramidTests {
    static func pyramid(_ paths: SGMPaths = .eight) -> StereoMatchingParameters {
        var p = StereoMatchingParameters()
        p.search = .pyramid
        p.paths = paths
        return p
    }

    @Test("half resolution: NaN-aware 2x2 means, odd edges, all-NaN blocks stay NaN")
    func halfResolutionMeans() {
        let n = Float.nan
        // 3x3: blocks {1,2,4,5}, {3,6}, {7,8}, {9}; the second has a NaN, one block is all NaN.
        let out = halfResolution([1, 2, 3, 4, n, 6, 7, 8, n], width: 3, height: 3)
        #expect(out[0] == 7.0 / 3 && out[1] == 4.5 && out[2] == 7.5 && out[3].isNaN)
    }

    @Test("predicted window: twice the coarse min..max plus slack, 16-wide, clamped; whole range without data")
    func window() {
        var coarse = ImageBuffer<Float>(width: 64, height: 64, filledWith: .nan)
        #expect(StereoMatcher.predictedWindow(coarse, tile: (0, 64, 0, 64), range: -40...90) == -40...90)
        for y in 0..<64 { for x in 0..<64 { coarse[x, y] = 10 + Float(x % 3) } }  // 10...12 -> 20...24 fine
        let w = StereoMatcher.predictedWindow(coarse, tile: (0, 64, 0, 64), range: -40...90)
        #expect(w.count % 16 == 0 && w.contains(20 - StereoMatcher.pyramidSlack) && w.contains(24 + StereoMatcher.pyramidSlack))
        // At the range's ends the window slides inside it, keeping its width.
        let low = StereoMatcher.predictedWindow(coarse, tile: (0, 64, 0, 64), range: 19...200)
        #expect(low.lowerBound == 19 && low.count == w.count)
        let high = StereoMatcher.predictedWindow(coarse, tile: (0, 64, 0, 64), range: -100...25)
        #expect(high.upperBound == 25 && high.count == w.count)
        // A tile whose neighbourhood is all NaN searches the whole range even if others have data.
        for y in 0..<64 { for x in 40..<64 { coarse[x, y] = .nan } }
        #expect(StereoMatcher.predictedWindow(coarse, tile: (90, 128, 0, 64), range: 0...63) == 0...63)
    }

    @Test("fall-backs: a range of width 1, narrow ranges and tiny images give exactly the full search's output",
          arguments: [(80, 60, 0...0), (80, 60, -6...9), (120, 90, -30...30), (40, 200, 0...80), (200, 30, -40...40)])
    func fallBack(width: Int, height: Int, range: ClosedRange<Int>) throws {
        let (left, right) = shiftedPair(width: width, height: height, disparity: 3, seed: 7)
        let full = try StereoMatcher.matchTiled(left: left, right: right, disparities: range)
        let pyramid = try StereoMatcher.matchTiled(left: left, right: right, disparities: range, parameters: Self.pyramid())
        let differing = zip(full.disparity.storage, pyramid.disparity.storage).filter { !($0 == $1 || ($0.isNaN && $1.isNaN)) }.count
        #expect(differing == 0)
    }

    @Test("known shifts, positive and negative ranges, over a range the pyramid narrows", arguments: [-37, -5, 0, 22, 51])
    func knownShift(shift: Int) throws {
        let (left, right) = shiftedPair(width: 300, height: 140, disparity: shift, seed: UInt64(200 + shift + 40))
        let range = (shift >= 0 ? 0...63 : -63...0)
        for paths in SGMPaths.allCases {
            var full = StereoMatchingParameters()
            full.paths = paths
            func correct(_ parameters: StereoMatchingParameters) throws -> Int {
                try StereoMatcher.match(left: left, right: right, disparities: range, parameters: parameters)
                    .disparity.storage.filter { abs($0 - Float(shift)) <= 0.25 }.count
            }
            let (pyramid, reference) = (try correct(Self.pyramid(paths)), try correct(full))
            // As the full search's test (>= 85 % of the pixels that have a match; |shift| columns
            // do not, nor the borders), and within 0.5 % of the pixels of the full search.
            #expect(pyramid >= (300 - abs(shift)) * 140 * 84 / 100, "shift \(shift) \(paths): \(pyramid) correct")
            #expect(pyramid >= reference - 300 * 140 / 200, "shift \(shift) \(paths): \(pyramid) correct, full \(reference)")
        }
    }

    /// Bad-1px (%) of `d` against `truth` (NaN counts as bad).
    static func badShare(_ d: ImageBuffer<Float>, _ truth: ImageBuffer<Float>) -> Double {
        var known = 0, bad = 0
        for i in truth.storage.indices where !truth.storage[i].isNaN {
            known += 1
            if d.storage[i].isNaN || abs(d.storage[i] - truth.storage[i]) > 1 { bad += 1 }
        }
        return 100 * Double(bad) / Double(known)
    }

    @Test("many seams: per-pixel windows over tiles forced by a small memory budget, and one window per small tile (the fall-back without banded kernels) as good as one tile")
    func seams() throws {
        let (left, right, truth) = steppedSyntheticPair(size: 320, disparities: 64, seed: 11)
        // Per-pixel windows: one tile, then tiles that fit 4 MiB (91 rows of 320 px at 32
        // disparities, 64 of them margins: a dozen fine tiles; the coarse level, 160 px, fits).
        var small = Self.pyramid()
        small.memoryLimit = 4 << 20
        let oneTile = try StereoMatcher.matchTiled(left: left, right: right, disparities: 0...63, parameters: Self.pyramid()).disparity
        let tiled = try StereoMatcher.matchTiled(left: left, right: right, disparities: 0...63, parameters: small).disparity
        let (one, many) = (Self.badShare(oneTile, truth), Self.badShare(tiled, truth))
        #expect(many <= one + 0.5, "banded: one tile \(one) %, tiles \(many) %")
        // One window per fine tile: with P2 = 112 the banded path costs could overflow 8 bits
        // (maxCost + P1 + 2 P2 > 255), so `.pyramid` falls back to windows per tile.
        var perTile = Self.pyramid()
        perTile.p2 = 112
        #expect(!StereoMatcher.bandSupported(perTile))
        var fullP2 = StereoMatchingParameters()
        fullP2.p2 = 112
        let reference = Self.badShare(try StereoMatcher.matchTiled(left: left, right: right, disparities: 0...63,
                                                                    parameters: fullP2).disparity, truth)
        for side in [48, 100] {
            let d = try StereoMatcher.matchPyramid(left: left, right: right, disparities: 0...63, parameters: perTile,
                                                   nodata: nil, workspace: MatchingWorkspace(), tileSide: side).disparity
            let bad = Self.badShare(d, truth)
            #expect(bad <= reference + 0.5, "tile \(side): \(bad) %, full search \(reference) %")
        }
        for shift in [-23, 17] {
            let (l, r) = shiftedPair(width: 300, height: 140, disparity: shift, seed: UInt64(500 + shift + 40))
            for parameters in [small, perTile] {
                let d = try StereoMatcher.matchPyramid(left: l, right: r, disparities: shift < 0 ? -63...0 : 0...63,
                                                       parameters: parameters, nodata: nil, workspace: MatchingWorkspace(),
                                                       tileSide: 40).disparity
                let correct = d.storage.filter { abs($0 - Float(shift)) <= 0.25 }.count
                #expect(correct >= (300 - abs(shift)) * 140 * 84 / 100, "shift \(shift) p2 \(parameters.p2): \(correct) correct")
            }
        }
    }

    @Test("bad input: all nodata, one side nodata, a range outside the image: NaN, no crash")
    func badInput() throws {
        let (left, right) = shiftedPair(width: 200, height: 120, disparity: 4, seed: 3)
        let empty = ImageBuffer<Float>(width: 200, height: 120, filledWith: .nan)
        for (l, r) in [(empty, empty), (left, empty), (empty, right)] {
            let result = try StereoMatcher.matchTiled(left: l, right: r, disparities: -40...40, parameters: Self.pyramid())
            #expect(result.disparity.storage.allSatisfy { $0.isNaN })
        }
        let outside = try StereoMatcher.matchTiled(left: left, right: right, disparities: 500...600, parameters: Self.pyramid())
        #expect(outside.disparity.storage.allSatisfy { $0.isNaN })
        // A nodata value (not NaN) is honoured at both levels.
        var holed = left
        for y in 40..<80 { for x in 60..<140 { holed[x, y] = 255 } }
        let result = try StereoMatcher.matchTiled(left: holed, right: right, disparities: 0...63, parameters: Self.pyramid(), nodata: 255)
        let matchedNodata = (40..<80).reduce(0) { n, y in n + (60..<140).filter { !result.disparity[$0, y].isNaN }.count }
        #expect(matchedNodata == 0)
    }

    @Test("stepped, slanted synthetic pair: bad-1px within 0.5 point of the full search")
    func steppedPair() throws {
        let (left, right, truth) = steppedSyntheticPair(size: 320, disparities: 64, seed: 11)
        func bad(_ parameters: StereoMatchingParameters) throws -> Double {
            let d = try StereoMatcher.matchTiled(left: left, right: right, disparities: 0...63, parameters: parameters).disparity
            var known = 0, bad = 0
            for i in truth.storage.indices where !truth.storage[i].isNaN {
                known += 1
                if d.storage[i].isNaN || abs(d.storage[i] - truth.storage[i]) > 1 { bad += 1 }
            }
            return 100 * Double(bad) / Double(known)
        }
        let full = try bad(StereoMatchingParameters()), pyramid = try bad(Self.pyramid())
        print(String(format: "stepped pair 320x320, 64 disparities: bad-1px full %.2f %%, pyramid %.2f %%", full, pyramid))
        #expect(pyramid <= full + 0.5)
    }
}

/// `--search` on the command line (`SGMOptions`, shared by `dsm-run match` and `dsm-run dsm`).
@Suite("Matching command line: --search")
struct MatchingSearchOptionTests {
    @Test("--search is listed for match and dsm, and a bad value fails with a message")
    func searchOption() throws {
        for command in ["match", "dsm"] {
            let help = try DSMRunProcess.run([command, "--help"])
            #expect(help.status == 0 && (help.out + help.err).contains("--search"), "\(command) --help")
        }
        let bad = try DSMRunProcess.run(["match", "l.png", "r.png", "--disparity", "0:9", "-o", "/tmp/x.tif", "--search", "coarse"])
        #expect(bad.status != 0 && (bad.out + bad.err).contains("--search"))
    }
}

/// Accuracy of `.pyramid` on the sample data, same bars as `.full` (`MatchingAccuracyTests`).
@Suite("Matching accuracy on sample data, pyramid search", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct MatchingPyramidAccuracyTests {
    @Test("Cones, pyramid, 8 and 4 paths: bad-1px <= 10 % (goal 6 %), density >= 80 %", arguments: SGMPaths.allCases)
    func cones(paths: SGMPaths) throws {
        let (bad, density, result) = try MatchingAccuracyTests.conesScores(MatchingPyramidTests.pyramid(paths))
        print(String(format: "Cones pyramid %d paths: bad-1px %.2f %%, density %.2f %%", paths.rawValue, 100 * bad, 100 * density))
        #expect(bad <= 0.10)
        #expect(density >= 0.80)
        #expect(result.confidence.storage.filter { !$0.isNaN && !(0...1).contains($0) }.count == 0)
    }

    @Test("Sentinel-2 shift pairs, pyramid over -40...40 (so that a coarse level runs): mean error <= 0.05 px on each")
    func subpixelShifts() throws {
        let pairs = try MatchingAccuracyTests.shiftPairs()
        #expect(pairs.count == 8)
        for pair in pairs {
            let left = try Dataset(path: pair.folder + "/left.tif").readAll(Float.self)
            let right = try Dataset(path: pair.folder + "/right.tif").readAll(Float.self)
            var parameters = MatchingPyramidTests.pyramid()
            parameters.medianFilter = false
            let d = try StereoMatcher.match(left: left, right: right, disparities: -40...40, parameters: parameters).disparity
            var sum = 0.0, n = 0
            for y in 5..<(left.height - 5) {
                for x in 5..<(left.width - 5) where !d[x, y].isNaN {
                    sum += Double(d[x, y]) + pair.column
                    n += 1
                }
            }
            let error = sum / Double(max(n, 1))
            print(String(format: "%@: pyramid mean error %+.4f px, %d valid", (pair.folder as NSString).lastPathComponent, error, n))
            #expect(abs(error) <= 0.05, "\(pair.folder)")
            #expect(n >= 100 * 100 / 2)
        }
    }
}

/// A textured pair with a slanted, stepped integer disparity field in 0..<disparities (as
/// `match-bench synthetic`): right(x_r, y) = left(x_r + d(x_r, y), y); the truth is in left
/// coordinates, NaN where no right pixel maps.
func steppedSyntheticPair(size: Int, disparities: Int, seed: UInt64) -> (ImageBuffer<Float>, ImageBuffer<Float>, ImageBuffer<Float>) {
    let (left, _) = shiftedPair(width: size, height: size, disparity: 0, seed: seed)
    var right = ImageBuffer<Float>(width: size, height: size, filledWith: .nan)
    var truth = ImageBuffer<Float>(width: size, height: size, filledWith: .nan)
    for y in 0..<size {
        for xr in 0..<size {
            let d = Int(Float(disparities - 1) * (0.3 + 0.4 * Float(xr) / Float(size) + 0.2 * Float((y / 60) % 2)))
            guard xr + d < size else { continue }
            right[xr, y] = left[xr + d, y]
            truth[xr + d, y] = Float(d)
        }
    }
    return (left, right, truth)
}
