import Foundation
import Testing
@testable import Photogrammetry
import Raster

/// The sparse analysis on the bundled synthetic pair (testdata/, no sample data needed): its
/// RPCs are exact, so a translation planted in the secondary's RPC is the pointing error to find.
@Suite("Sparse analysis: pointing correction and measured heights on the synthetic pair")
struct SparseAnalysisSyntheticTests {
    typealias Scene = SyntheticStereoScene
    static func path(_ name: String) -> String { SampleSceneTests.testdata + "/" + name }

    static func pair(plant t: SIMD2<Double> = .zero) throws -> (StereoImage, StereoImage) {
        let left = try StereoImage.load(path(Scene.View.left.fileName))
        let right = try StereoImage.load(path(Scene.View.right.fileName))
        // The RPC's projections land `t` short of where the image shows the point.
        let shifted = StereoImage(path: right.path, width: right.width, height: right.height,
                                  model: right.model.cropped(column: t.x, row: t.y))
        return (left, shifted)
    }

    @Test("A planted pointing error is found across the epipolar lines (the along part cannot be seen with two views)",
          arguments: [SIMD2(0.0, 0.0), SIMD2(1.5, -2.0), SIMD2(-4.0, 3.0)])
    func plantedTranslation(_ t: SIMD2<Double>) throws {
        let (left, right) = try Self.pair(plant: t)
        let analysis = try SparseAnalysis.run(reference: left, secondaries: [right], pairROIs: [left.bounds],
                                              heights: 200...500)
        let c = try #require(analysis.corrections[0], "\(analysis.warnings)")
        let found = SIMD2(c.column, c.row)
        // The epipolar direction in the secondary (parallax per metre of height), at the centre.
        let viewing = try PairViewing(reference: left.model, secondary: right.model, column: 128, row: 128, height: 335)
        let g = viewing.epipolarDirection, n = SIMD2(-g.y, g.x)
        // Planted t: the RPC projects t short of the image's point (`cropped`), so the correction
        // to add is +t across the lines. Tolerance 0.1 px: the refinement's ZNCC precision on this
        // texture is about 0.04 px (spread).
        #expect(abs((found * n).sum() - (t * n).sum()) < 0.1, "found \(c), planted \(t)")
        #expect(abs((found * g).sum()) < 0.05, "a pair's correction has no along part: \(c)")
        #expect(c.matches >= 30 && c.spread < 0.2, "\(c)")
        // Heights: the scene spans 321.8-356 m (truth); the measured range holds it, narrowly.
        let global = try #require(analysis.heights?.global)
        #expect(global.lowerBound <= 321.8 && global.upperBound >= 356 && global.upperBound - global.lowerBound < 120, "\(global)")
        // The views corrected: the secondary's shift undoes the planted one up to the along part,
        // and the shares average to zero.
        let applied = analysis.applied
        #expect(applied.count == 2 && simd_length(applied[0] + applied[1]) < 1e-9)
    }

    @Test("The same pair twice: refused as no stereo (no parallax), naming both images")
    func identicalViews() throws {
        let (left, _) = try Self.pair()
        #expect(throws: SparseError.self) {
            try SparseAnalysis.run(reference: left, secondaries: [left], pairROIs: [left.bounds], heights: 200...500)
        }
    }

    @Test("A secondary RPC 40 px off its image across the epipolar lines: an RPC misfit error, not a correction")
    func misfit() throws {
        // This pair's epipolar lines run along the rows (along-track views): a column shift is
        // across them. (A shift along them is a height shift, which two views cannot tell apart.)
        let (left, right) = try Self.pair(plant: SIMD2(40, 0))
        var p = SparseParameters()
        p.maxPointingError = 10
        do {
            let a = try SparseAnalysis.run(reference: left, secondaries: [right], pairROIs: [left.bounds], heights: 200...500, parameters: p)
            // Beyond the row search, no match at all is also acceptable, if said.
            #expect(a.corrections[0] == nil && !a.warnings.isEmpty, "\(String(describing: a.corrections[0]))")
        } catch let error as SparseError {
            #expect("\(error)".contains("disagree"), "\(error)")
        }
    }
}

private func simd_length(_ v: SIMD2<Double>) -> Double { (v * v).sum().squareRoot() }

@Suite("Sparse analysis: the joint pointing solve, robust statistics, height ranges")
struct SparseAnalysisUnitTests {
    /// Observations of `ties` tie points at random heights, each seen by the views `seenBy(i)`,
    /// whose misfit at its fitted height is the view's translation `t[k]`.
    static func observations(t: [SIMD2<Double>], g: [SIMD2<Double>], ties: Int, seenBy: (Int) -> [Int]) -> [PointingEstimation.Observation] {
        var rng = SplitMix64(seed: 7)
        var out: [PointingEstimation.Observation] = []
        for i in 0..<ties {
            let dh = Double(rng.next() % 2000) / 10 - 100
            for k in seenBy(i) {
                out.append(PointingEstimation.Observation(tie: i, pair: k, reference: SIMD2(Double(i % 37) * 10, Double(i / 37) * 10),
                                                          fit: EpipolarFit(height: 300 + dh, misfit: t[k], gradient: g[k])))
            }
        }
        return out
    }

    @Test("One secondary: the translation across the epipolar lines, nothing along them (the smallest spread of {0, t})")
    func onePair() {
        let g = [SIMD2(0.3, 0.05)]
        let t = [SIMD2(0.7, -1.2)]
        let solved = PointingEstimation.solve(Self.observations(t: t, g: g, ties: 200) { _ in [0] }, pairs: 1)
        let u = g[0] / simd_length(g[0]), n = SIMD2(-u.y, u.x)
        // The ridge that fixes the free direction costs 1e-6 of the trace: below 1e-5 px.
        #expect(abs((solved[0] * n).sum() - (t[0] * n).sum()) < 1e-5)
        #expect(abs((solved[0] * u).sum()) < 1e-9)
    }

    @Test("Two secondaries seeing the same ties: their disagreement along the lines is solved, up to the one free shift, chosen as the smallest spread of the views' corrections")
    func twoPairs() {
        // Opposite along-track views (a tri-stereo set around its reference).
        let g = [SIMD2(0.35, 0.02), SIMD2(-0.33, 0.03)]
        let t = [g[0] * 1.5 + SIMD2(-g[0].y, g[0].x) * 2, g[1] * -0.7 + SIMD2(-g[1].y, g[1].x) * -3]
        var obs: [PointingEstimation.Observation] = []
        var rng = SplitMix64(seed: 11)
        for i in 0..<300 {
            let dh = Double(rng.next() % 2000) / 10 - 100
            for k in 0..<2 {
                // Each view's fit height is the tie's true height shifted by its along misfit.
                let shift = (t[k] * g[k]).sum() / (g[k] * g[k]).sum()
                obs.append(PointingEstimation.Observation(
                    tie: i, pair: k, reference: SIMD2(Double(i % 20) * 20, Double(i / 20) * 20),
                    fit: EpipolarFit(height: 300 + dh + shift, misfit: t[k] - g[k] * shift, gradient: g[k])))
            }
        }
        let solved = PointingEstimation.solve(obs, pairs: 2)
        // Within the family t_k + g_k c (one c for both: a shift of the whole scene).
        let c = ((solved[0] - t[0]) * g[0]).sum() / (g[0] * g[0]).sum()
        for k in 0..<2 { #expect(simd_length(solved[k] - (t[k] + g[k] * c)) < 1e-6, "\(solved[k]) vs \(t[k]) + \(c) g") }
        // The chosen member: the spread of {0, t_1, t_2} is smallest (its derivative along the family is zero).
        let w = [SIMD2<Double>.zero, solved[0], solved[1]], d = [SIMD2<Double>.zero, g[0], g[1]]
        let wm = w.reduce(.zero, +) / 3, dm = d.reduce(.zero, +) / 3
        let derivative = zip(w, d).reduce(0) { $0 + (($1.0 - wm) * ($1.1 - dm)).sum() }
        #expect(abs(derivative) < 1e-9, "\(derivative)")
    }

    @Test("Robust inliers: 5 % gross outliers dropped, the affine part measured")
    func inliers() {
        var obs: [PointingEstimation.Observation] = []
        var rng = SplitMix64(seed: 3)
        for i in 0..<400 {
            let x = Double(i % 20) * 50, y = Double(i / 20) * 50
            // 0.3 px across misfit, a drift of 0.5 px over 1000 px in x, small noise; every 20th wrong.
            var across = 0.3 + 0.0005 * x + (Double(rng.next() % 100) / 1000 - 0.05)
            if i % 20 == 0 { across += 25 }
            obs.append(PointingEstimation.Observation(tie: i, pair: 0, reference: SIMD2(x, y),
                                                      fit: EpipolarFit(height: 0, misfit: SIMD2(0, across), gradient: SIMD2(1, 0))))
        }
        let (kept, span) = PointingEstimation.robustInliers(obs)
        #expect(kept.count == 380, "\(kept.count)")
        #expect(abs(span - 0.475) < 0.05, "\(span)")
    }

    @Test("Percentiles interpolate; NMAD of normal-like data")
    func statistics() {
        #expect(RobustStatistics.percentile(sorted: [0, 10], 50) == 5)
        #expect(RobustStatistics.percentile(sorted: [1, 2, 3, 4, 5], 100) == 5)
        #expect(RobustStatistics.median([3, 1, 2]) == 2)
        #expect(abs(RobustStatistics.nmad([-1, 0, 1, 2, 1000]) - 1.4826) < 1e-9)
    }

    @Test("Tile ranges: one wild sample does not widen them, a tile without samples takes its neighbourhood's")
    func tileRanges() {
        var columns: [Float] = [], rows: [Float] = [], heights: [Float] = []
        for j in 0..<100 {
            for i in 0..<100 {
                guard i >= 50 || j >= 50 else { continue }  // the top-left quarter has no sample
                columns.append(Float(i * 10)); rows.append(Float(j * 10))
                heights.append(Float(500 + i))  // 500-599 m across the scene
            }
        }
        heights[1234] = 5000  // one mismatch
        let h = SparseHeights(columns: columns, rows: rows, heights: heights, bounds: Window(x: 0, y: 0, width: 1000, height: 1000),
                              precision: 2, parameters: SparseParameters())
        let global = h.global!
        #expect(global.upperBound < 700 && global.lowerBound > 400, "\(global)")
        let tile = h.range(for: Window(x: 600, y: 600, width: 100, height: 100), fallback: 0...9000)
        // Heights 555-574 over the tile and half a tile around it (columns 550-740), margin
        // max(20 m, 20 % of the span, twice the precision) = 20 m.
        #expect(abs(tile.lowerBound - 535) < 1 && abs(tile.upperBound - 594) < 1, "\(tile)")
        let empty = h.range(for: Window(x: 100, y: 100, width: 100, height: 100), fallback: 0...9000)
        #expect(empty != 0...9000 && empty.upperBound < 700, "\(empty)")
    }

    @Test("A given prior the matches contradict is replaced by the measurement, with a warning; one that holds is narrowed")
    func priorChecked() throws {
        let h = SparseHeights(columns: [Float](repeating: 10, count: 100), rows: (0..<100).map(Float.init),
                              heights: (0..<100).map { Float(2300 + $0) }, bounds: Window(x: 0, y: 0, width: 100, height: 100),
                              precision: 1, parameters: SparseParameters())
        let low = try HeightDecision.decide(prior: .range(try .given(1820)), searched: try .given(1820), measured: h,
                                            parameters: SparseParameters())
        #expect(low.warnings.count == 1 && low.warnings[0].contains("outside the given range"), "\(low.warnings)")
        #expect(low.range.lower > 2200 && low.range.upper < 2450, "\(low.range)")
        let right = try HeightDecision.decide(prior: .range(try .given(2350)), searched: try .given(2350), measured: h,
                                              parameters: SparseParameters())
        #expect(right.warnings.isEmpty && right.range.lower >= 2250 && right.range.upper <= 2450, "\(right.range)")
        let none = try HeightDecision.decide(prior: .measured, searched: try .given(1000, margin: 1000), measured: nil,
                                             parameters: SparseParameters())
        #expect(none.warnings.first?.contains("too few sparse matches") == true && none.range.span == 2000)
    }
}

@Suite("Coarse to fine below the minimum side when the full search cannot fit the budget")
struct PyramidWideRangeTests {
    @Test("A 240x40 pair over 240 disparities in 4 MB: matched, not refused")
    func wideRangeSmallImage() throws {
        let (w, h, d) = (240, 40, 37)
        var rng = SplitMix64(seed: 5)
        let right = (0..<(w * h)).map { _ in Float(rng.next() % 256) }
        var left = [Float](repeating: .nan, count: w * h)
        for y in 0..<h { for x in d..<w { left[y * w + x] = right[y * w + x - d] } }
        var p = StereoMatchingParameters()
        p.search = .pyramid
        p.memoryLimit = 4 << 20
        // The full search's smallest tile (all 40 rows, all 240 columns) needs about 7.4 MB.
        #expect(!StereoMatcher.fullSearchFits(width: w, height: h, range: 0...239, memoryLimit: p.memoryLimit))
        let r = try StereoMatcher.match(left: ImageBuffer(width: w, height: h, pixels: left),
                                        right: ImageBuffer(width: w, height: h, pixels: right), disparities: 0...239, parameters: p)
        let found = r.disparity.storage.filter { !$0.isNaN }
        let right37 = found.filter { abs($0 - Float(d)) <= 1 }.count
        #expect(found.count > w * h / 3 && Double(right37) > 0.9 * Double(found.count), "\(right37) of \(found.count)")
    }
}

@Suite("Sparse analysis: the corrections do not depend on which view is the reference",
       .enabled(if: SampleData.root != nil, SampleData.skipMessage))
struct SparseAnalysisTripletTests {
    @Test("Marseille triplet with img_02 or img_01 as the reference: the same translation for each image")
    func referenceIndependence() throws {
        let folder = "s2p_marseille_triplet/input_triplet/"
        let images = try ["img_01", "img_02", "img_03"].map { try StereoImage.load(try SampleData.path(folder + $0 + ".tif")) }
        func applied(reference r: Int) throws -> [String: SIMD2<Double>] {
            let others = images.indices.filter { $0 != r }
            let roi = Window(x: 300, y: 300, width: 400, height: 400)
            let a = try SparseAnalysis.run(reference: images[r], secondaries: others.map { images[$0] },
                                           pairROIs: others.map { _ in roi }, heights: 0...400)
            var out: [String: SIMD2<Double>] = [:]
            for (v, t) in zip([r] + others, a.applied) { out[images[v].path] = t }
            return out
        }
        let a = try applied(reference: 1), b = try applied(reference: 0)
        // Measured (release, the s2p ROI): img_02 (-0.04, +0.36), img_01 (+0.62, -0.20), img_03
        // (-0.58, -0.16) px with either reference, within 0.03 px. Tolerance 0.1 px: the tie points
        // differ (the grid is on each reference's pixels).
        for (path, t) in a {
            let u = try #require(b[path])
            #expect(simd_length(t - u) < 0.1, "\(path): \(t) with img_02, \(u) with img_01")
        }
    }
}
