import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// Accuracy on real pairs with known disparities (`$RELIEF_SAMPLE_DATA`, SOURCES.md sections 8, 10).
@Suite("Matching accuracy on sample data", .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct MatchingAccuracyTests {
    /// bad-1px on Cones = share of known (GT > 0), non-occluded (mask 1) pixels where
    /// |d - gt| > 1 or no disparity was produced; density = share of all pixels with a disparity.
    static func conesScores(_ parameters: StereoMatchingParameters) throws -> (bad: Double, density: Double, result: StereoMatchResult) {
        let folder = "middlebury_cones/tests/pandora/"
        let left = try Dataset(path: SampleData.path(folder + "left.png")).readAll(Float.self)
        let right = try Dataset(path: SampleData.path(folder + "right.png")).readAll(Float.self)
        let truth = try Dataset(path: SampleData.path(folder + "disp_left.tif")).readAll(Float.self)
        let visible = try Dataset(path: SampleData.path(folder + "occlusion.png")).readAll(Float.self)
        // Pandora's Cones configuration: disparities 0..64, nodata 255.
        let result = try StereoMatcher.match(left: left, right: right, disparities: 0...64, parameters: parameters, nodata: 255)
        var known = 0, bad = 0, produced = 0
        for i in truth.storage.indices {
            let d = result.disparity.storage[i]
            if !d.isNaN { produced += 1 }
            guard truth.storage[i] > 0, visible.storage[i] == 1 else { continue }
            known += 1
            if d.isNaN || abs(d - truth.storage[i]) > 1 { bad += 1 }
        }
        return (Double(bad) / Double(known), Double(produced) / Double(truth.storage.count), result)
    }

    @Test("Cones, default parameters: bad-1px <= 10 % (issue's bar; OpenCV SGBM 12.9 %), density >= 80 %")
    func cones() throws {
        let (bad, density, result) = try Self.conesScores(StereoMatchingParameters())
        print(String(format: "Cones default: bad-1px %.2f %%, density %.2f %%", 100 * bad, 100 * density))
        #expect(bad <= 0.10)
        // Density bar: OpenCV SGBM with LR check reaches 82.8 % here; holes count as bad above anyway.
        #expect(density >= 0.80)
        // Nodata (255) pixels of the left image never match: NaN, never 0.
        let left = try Dataset(path: SampleData.path("middlebury_cones/tests/pandora/left.png")).readAll(Float.self)
        let nodataMatched = left.storage.indices.filter { left.storage[$0] == 255 && !result.disparity.storage[$0].isNaN }.count
        #expect(nodataMatched == 0)
        // Confidence lies in [0, 1] wherever it is defined.
        let outside = result.confidence.storage.filter { !$0.isNaN && !(0...1).contains($0) }.count
        #expect(outside == 0)
    }

    @Test("Cones, 4 paths: bad-1px <= 10 %")
    func conesFourPaths() throws {
        var parameters = StereoMatchingParameters()
        parameters.paths = .four
        let (bad, density, _) = try Self.conesScores(parameters)
        print(String(format: "Cones 4 paths: bad-1px %.2f %%, density %.2f %%", 100 * bad, 100 * density))
        #expect(bad <= 0.10)
    }

    @Test("Cones with the second (gradient) cost blended in: bad-1px <= 10 %")
    func conesGradientCost() throws {
        var parameters = StereoMatchingParameters()
        parameters.gradientWeight = 1
        parameters.gradientCap = 8
        let (bad, density, _) = try Self.conesScores(parameters)
        print(String(format: "Cones census + gradient (weight 1, cap 8): bad-1px %.2f %%, density %.2f %%", 100 * bad, 100 * density))
        #expect(bad <= 0.10)
        #expect(density >= 0.80)
    }

    /// The eight Sentinel-2 pairs: the right image is the left one shifted by (c, r) (a point at
    /// left (x, y) is at right (x + c, y + r)), so the horizontal disparity is d = -c.
    static func shiftPairs() throws -> [(folder: String, row: Double, column: Double)] {
        let root = try #require(SampleData.root) + "/subpixel_shift_s2/tests/performance_tests/data_medicis"
        var pairs: [(String, Double, Double)] = []
        for tile in try FileManager.default.contentsOfDirectory(atPath: root).sorted() {
            for name in try FileManager.default.contentsOfDirectory(atPath: root + "/" + tile).sorted() {
                // Names like r+0.00c-0.25.
                guard let c = name.firstIndex(of: "c"), let row = Double(name.dropFirst().prefix(upTo: c)),
                      let column = Double(name[name.index(after: c)...]) else { continue }
                pairs.append((root + "/" + tile + "/" + name, row, column))
            }
        }
        return pairs
    }

    /// Mean signed error (d - (-c)) over the valid pixels at least `border` pixels inside the tile.
    static func meanShiftError(folder: String, column: Double, method: SubpixelMethod) throws -> (error: Double, valid: Int) {
        let left = try Dataset(path: folder + "/left.tif").readAll(Float.self)
        let right = try Dataset(path: folder + "/right.tif").readAll(Float.self)
        var parameters = StereoMatchingParameters()
        parameters.subpixel = method
        // The median would average neighbouring refinements: measure the refinement itself.
        parameters.medianFilter = false
        let result = try StereoMatcher.match(left: left, right: right, disparities: -3...3, parameters: parameters)
        let border = 5
        var sum = 0.0, n = 0
        for y in border..<(left.height - border) {
            for x in border..<(left.width - border) {
                let d = result.disparity[x, y]
                guard !d.isNaN else { continue }
                sum += Double(d) + column
                n += 1
            }
        }
        return (n > 0 ? sum / Double(n) : .nan, n)
    }

    @Test("Sentinel-2 shift pairs: mean disparity error <= 0.05 px on each of the eight (default refinement)")
    func subpixelShifts() throws {
        let pairs = try Self.shiftPairs()
        #expect(pairs.count == 8, "the issue names eight pairs")
        for pair in pairs {
            let (error, valid) = try Self.meanShiftError(folder: pair.folder, column: pair.column,
                                                         method: StereoMatchingParameters().subpixel)
            let (ssd, _) = try Self.meanShiftError(folder: pair.folder, column: pair.column, method: .windowSSD)
            let (vfit, _) = try Self.meanShiftError(folder: pair.folder, column: pair.column, method: .equiangular)
            print(String(format: "%@: r %+.2f c %+.2f: mean error window ZSSD (default) %+.4f px (SSD %+.4f, V fit on S %+.4f), %d valid pixels",
                         ((pair.folder as NSString).deletingLastPathComponent as NSString).lastPathComponent + "/"
                             + (pair.folder as NSString).lastPathComponent, pair.row, pair.column, error, ssd, vfit, valid))
            #expect(abs(ssd) <= 0.05, "window SSD, \(pair.folder)")
            // Tolerance from the issue. Pairs with a row shift are evaluated on their horizontal
            // component only (the matcher assumes rectified rows; the 0.25 px row shift is left as is).
            #expect(abs(error) <= 0.05, "\(pair.folder)")
            #expect(valid >= 100 * 100 / 2, "at least half the inner pixels matched in \(pair.folder)")
        }
    }
}
