import Dispatch
import Foundation
import Raster
import Synchronization

/// The step before the tiles: each pair matched densely at a coarse level over a wide height
/// range (`CoarsePairMatch`), a grid of reference points refined at full resolution by ZNCC
/// (`refineCorrespondence`), the secondaries' pointing corrections estimated from those matches
/// (`PointingEstimation`), and the scene's heights from the coarse matches triangulated with the
/// corrected models (`SparseHeights`). A coarse dense match rather than keypoints: the images are
/// compared in epipolar geometry, where the coarse matcher's census and SGM (Hirschmüller 2008,
/// "Stereo processing by semiglobal matching and mutual information", PAMI 30(2)) are robust to
/// the views' radiometric and scale differences, and it gives heights everywhere for the tiles'
/// ranges, as the coarse levels of tSGM do (Rothermel et al. 2012, "SURE"); the full-resolution
/// refinement gives the sub-pixel matches the correction needs. The correction itself follows
/// s2p's pointing step (de Franchis et al. 2014, "On stereo-rectification of pushbroom images",
/// ICIP: a translation in the secondary's image space from matches' distances to their epipolar
/// curves), solved for all views at once so that a tri-stereo set's pairs agree.
public struct SparseAnalysis: Sendable {
    /// One per secondary; nil where too few matches were found (no correction applied).
    public var corrections: [PointingCorrection?]
    /// The measured heights; nil when too few samples were found.
    public var heights: SparseHeights?
    /// Coarse level of each pair (downsampling factor).
    public var factors: [Int]
    /// Reference points tried, and matched in each pair.
    public var candidates: Int
    public var matched: [Int]
    /// Row offset of each pair's coarse rectification, full-resolution pixels.
    public var coarseRowOffsets: [Double?]
    public var warnings: [String]
    public var seconds: Double

    /// The translation (pixels) added to each view's projections, the reference first: each
    /// secondary's relative correction, all shifted by one common translation so that they
    /// average to zero over the views. The views then agree with each other, and the DSM keeps
    /// the mean geolocation of all the views, as a triangulation of uncorrected matches does
    /// (each ray carries its share of the pointing error), instead of moving to the
    /// reference's alone.
    public var applied: [SIMD2<Double>] {
        let relative = [SIMD2<Double>.zero] + corrections.map { c in c.map { SIMD2($0.column, $0.row) } ?? .zero }
        let mean = relative.reduce(.zero, +) / Double(relative.count)
        return relative.map { $0 - mean }
    }

    /// The views with `applied` (reference first, then the secondaries).
    public func corrected(reference: StereoImage, secondaries: [StereoImage]) -> (reference: StereoImage, secondaries: [StereoImage]) {
        let t = applied
        return (Self.translated(reference, by: t[0]), zip(secondaries, t.dropFirst()).map { Self.translated($0, by: $1) })
    }

    /// An image whose projections come out `t` pixels further (exact: the RPC's offsets move).
    static func translated(_ image: StereoImage, by t: SIMD2<Double>) -> StereoImage {
        t == .zero ? image : StereoImage(path: image.path, width: image.width, height: image.height,
                                         model: image.model.cropped(column: -t.x, row: -t.y))
    }

    /// Runs the analysis of `reference` with `secondaries` over the pairs' ROIs, searching
    /// `heights` (the prior's range, or the RPC's validity range without one).
    /// - Throws: `SparseError` (no parallax, no data, RPC misfit), `RectificationError`,
    ///   `MatchingError`, `RasterError`, `RPCError`.
    public static func run(
        reference: StereoImage, secondaries: [StereoImage], pairROIs: [Window], heights: ClosedRange<Double>,
        parameters p: SparseParameters = SparseParameters()
    ) throws -> SparseAnalysis {
        let start = Date()
        try p.validate()
        precondition(secondaries.count == pairROIs.count, "one ROI per secondary")
        let middle = (heights.lowerBound + heights.upperBound) / 2
        for (secondary, roi) in zip(secondaries, pairROIs) {
            let c = StereoGeometry.centre(roi)
            let viewing = try PairViewing(reference: reference.model, secondary: secondary.model, column: c.x, row: c.y, height: middle)
            if !(viewing.convergence >= 0.05) {
                throw SparseError.noStereo(reference: reference.path, secondary: secondary.path, convergence: viewing.convergence)
            }
        }
        var coarse: [CoarsePairMatch] = []
        for (secondary, roi) in zip(secondaries, pairROIs) {
            // A small ROI is analysed with some context around it: a coarse level of a few
            // pixels holds too little for SGM, and a handful of matches too little for a fit.
            let region = Self.analysisRegion(roi, minimumSide: p.minimumAnalysisSide, in: reference)
            let m = try CoarsePairMatch.match(reference: reference, secondary: secondary, roi: region, heights: heights, parameters: p)
            if m.referenceNodataShare > 0.99 { throw SparseError.noData(image: reference.path, nodataShare: m.referenceNodataShare) }
            if m.secondaryNodataShare > 0.99 { throw SparseError.noData(image: secondary.path, nodataShare: m.secondaryNodataShare) }
            coarse.append(m)
        }
        var warnings: [String] = []

        // Tie points: a grid over the union of the pairs' ROIs, refined in each pair.
        let regions = pairROIs.map { Self.analysisRegion($0, minimumSide: p.minimumAnalysisSide, in: reference) }
        let union = regions.dropFirst().reduce(regions[0]) { StereoGeometry.union($0, $1) }
        let grid = candidateGrid(union, count: p.candidates, radius: p.patchRadius)
        var ties = grid.map { SparseTie(reference: SIMD2(Double($0.x), Double($0.y)), observations: []) }
        var matched: [Int] = []
        for k in secondaries.indices {
            let found = try refine(grid, coarse: coarse[k], reference: reference, secondary: secondaries[k], height: middle, parameters: p)
            for (i, point, correlation) in found { ties[i].observations.append((k, point, correlation)) }
            matched.append(found.count)
        }
        ties = ties.filter { !$0.observations.isEmpty }
        let corrections = try PointingEstimation.estimate(
            ties: ties, reference: reference, secondaries: secondaries, startHeight: middle,
            maxPointingError: p.maxPointingError, minimumMatches: p.minimumMatches)
        for k in secondaries.indices {
            if corrections[k] == nil {
                warnings.append("only \(matched[k]) sparse matches of \(grid.count) points with \(secondaries[k].path) "
                                + "(clouds, water, nodata or no texture?): its pointing is not corrected")
            }
        }
        var analysis = SparseAnalysis(corrections: corrections, heights: nil, factors: coarse.map(\.factor), candidates: grid.count,
                                      matched: matched, coarseRowOffsets: coarse.map { m in m.rowOffset.map { $0 * Double(m.factor) } },
                                      warnings: warnings, seconds: 0)
        let views = analysis.corrected(reference: reference, secondaries: secondaries)
        let corrected = views.secondaries

        // Heights of the coarse matches, triangulated with the corrected models.
        var columns: [Float] = [], rows: [Float] = [], values: [Float] = []
        var precision = 0.0
        for k in secondaries.indices {
            let s = heightSamples(coarse[k], reference: views.reference, secondary: corrected[k], count: p.heightSamples)
            columns += s.columns
            rows += s.rows
            values += s.heights
            let rect = coarse[k].rectification
            let span = rect.heightDisparities.upperBound - rect.heightDisparities.lowerBound
            if span > 0 { precision = max(precision, (heights.upperBound - heights.lowerBound) / span) }
        }
        // The refined matches' heights (exact, few) bound the coarse samples (many, some wrong):
        // samples far outside the matches' extent are dropped.
        let tieHeights = triangulate(ties, reference: views.reference, secondaries: corrected).sorted()
        // Few matches among the points the secondary sees (projected at the matches' median
        // height): clouds, water or nodata over much of the overlap.
        let seenHeight = tieHeights.isEmpty ? middle : tieHeights[tieHeights.count / 2]
        for k in secondaries.indices where corrections[k] != nil {
            let seen = Self.pointsSeen(grid, reference: views.reference, secondary: corrected[k], height: seenHeight)
            if seen > 0, Double(matched[k]) < 0.25 * Double(seen) {
                analysis.warnings.append(String(
                    format: "sparse matches with %@ cover %.0f %% of the %d points it sees: clouds, water or nodata over much of the overlap?",
                    secondaries[k].path, 100 * Double(matched[k]) / Double(seen), seen))
            }
        }
        if tieHeights.count < p.minimumMatches {
            // Without refined matches to bound them, the coarse heights are not to be trusted
            // (a textureless or cloudy image still gives the coarse matcher some disparities).
            values.removeAll()
        } else {
            let a = RobustStatistics.percentile(sorted: tieHeights, 1), b = RobustStatistics.percentile(sorted: tieHeights, 99)
            let pad = max(p.sampleBoundMargin, b - a)
            var kept = 0
            for k in values.indices where Double(values[k]) >= a - pad && Double(values[k]) <= b + pad {
                (columns[kept], rows[kept], values[kept]) = (columns[k], rows[k], values[k])
                kept += 1
            }
            columns.removeLast(columns.count - kept)
            rows.removeLast(rows.count - kept)
            values.removeLast(values.count - kept)
        }
        let grown = Window(x: union.x - union.width / 4, y: union.y - union.height / 4,
                           width: union.width * 3 / 2 + 1, height: union.height * 3 / 2 + 1)
        let sparseHeights = values.count >= p.minimumTileSamples
            ? SparseHeights(columns: columns, rows: rows, heights: values,
                            bounds: grown.clipped(toWidth: reference.width, height: reference.height) ?? reference.bounds,
                            precision: precision, parameters: p)
            : nil
        analysis.heights = sparseHeights
        analysis.seconds = Date().timeIntervalSince(start)
        return analysis
    }

    /// How many reference grid points, localised at `height`, project inside the secondary.
    static func pointsSeen(_ grid: [(x: Int, y: Int)], reference: StereoImage, secondary: StereoImage, height: Double) -> Int {
        grid.reduce(0) { n, p in
            guard let g = try? reference.model.localization(column: Double(p.x), row: Double(p.y), height: height) else { return n }
            let q = secondary.model.projection(longitude: g.longitude, latitude: g.latitude, height: height)
            return n + (q.column >= 0 && q.row >= 0 && q.column < Double(secondary.width) && q.row < Double(secondary.height) ? 1 : 0)
        }
    }

    /// The ties' heights, each triangulated from all its views (failures dropped).
    static func triangulate(_ ties: [SparseTie], reference: StereoImage, secondaries: [StereoImage]) -> [Double] {
        let results = Mutex<[Double]>([])
        let chunk = 64
        DispatchQueue.concurrentPerform(iterations: (ties.count + chunk - 1) / chunk) { c in
            var local: [Double] = []
            for t in ties[(c * chunk)..<min(ties.count, (c + 1) * chunk)] {
                let views = [RPCObservation(model: reference.model, column: t.reference.x, row: t.reference.y)]
                    + t.observations.map { RPCObservation(model: secondaries[$0.pair].model, column: $0.point.x, row: $0.point.y) }
                if let g = try? RPCModel.triangulate(views), g.height.isFinite, (g.residuals.max() ?? .infinity) <= 2 {
                    local.append(g.height)
                }
            }
            results.withLock { $0 += local }
        }
        return results.withLock { $0 }
    }

    /// `roi` grown about its centre to at least `minimumSide` pixels a side, inside the image.
    static func analysisRegion(_ roi: Window, minimumSide: Int, in image: StereoImage) -> Window {
        let w = min(image.width, max(roi.width, minimumSide)), h = min(image.height, max(roi.height, minimumSide))
        let x = min(max(0, roi.x - (w - roi.width) / 2), image.width - w)
        let y = min(max(0, roi.y - (h - roi.height) / 2), image.height - h)
        return Window(x: x, y: y, width: w, height: h)
    }

    /// About `count` points on a square grid over `roi` (cell centres), `radius` + 1 from its edges.
    static func candidateGrid(_ roi: Window, count: Int, radius: Int) -> [(x: Int, y: Int)] {
        let inner = Window(x: roi.x + radius + 1, y: roi.y + radius + 1,
                           width: max(1, roi.width - 2 * radius - 2), height: max(1, roi.height - 2 * radius - 2))
        let step = max(2 * radius + 1, Int((Double(inner.pixelCount) / Double(count)).squareRoot().rounded()))
        var out: [(x: Int, y: Int)] = []
        for y in stride(from: inner.y + step / 2, to: inner.maxY, by: step) {
            for x in stride(from: inner.x + step / 2, to: inner.maxX, by: step) { out.append((x, y)) }
        }
        return out
    }

    /// Side of the reference blocks refined together (one read of each image per block).
    static let blockSide = 512

    /// The grid points matched at full resolution in one secondary: (grid index, secondary
    /// point, correlation). Blocks of points in parallel, each reading its two windows.
    static func refine(
        _ grid: [(x: Int, y: Int)], coarse: CoarsePairMatch, reference: StereoImage, secondary: StereoImage, height: Double,
        parameters p: SparseParameters
    ) throws -> [(Int, SIMD2<Double>, Double)] {
        let blocks = Dictionary(grouping: grid.indices) { i in (grid[i].y / blockSide) * 1_000_000 + grid[i].x / blockSide }
        let keys = Array(blocks.keys).sorted()
        let results = Mutex<(found: [(Int, SIMD2<Double>, Double)], error: Error?)>(([], nil))
        let next = Atomic<Int>(0)
        let r = p.patchRadius, search = coarse.factor + 2
        DispatchQueue.concurrentPerform(iterations: min(keys.count, ProcessInfo.processInfo.activeProcessorCount)) { _ in
            while true {
                let b = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard b < keys.count else { break }
                do {
                    let found = try refineBlock(blocks[keys[b]]!, grid: grid, coarse: coarse, reference: reference, secondary: secondary,
                                                height: height, radius: r, search: search, minimumCorrelation: p.minimumCorrelation)
                    results.withLock { $0.found += found }
                } catch {
                    results.withLock { if $0.error == nil { $0.error = error } }
                }
            }
        }
        let (found, error) = results.withLock { ($0.found, $0.error) }
        if let error { throw error }
        return found.sorted { $0.0 < $1.0 }
    }

    static func refineBlock(
        _ indices: [Int], grid: [(x: Int, y: Int)], coarse: CoarsePairMatch, reference: StereoImage, secondary: StereoImage,
        height: Double, radius r: Int, search s: Int, minimumCorrelation: Double
    ) throws -> [(Int, SIMD2<Double>, Double)] {
        var points: [(i: Int, p1: (x: Int, y: Int), p2: SIMD2<Double>)] = []
        for i in indices {
            let p1 = grid[i]
            if let prediction = coarse.predict(SIMD2(Double(p1.x), Double(p1.y))) { points.append((i, p1, prediction.secondary)) }
        }
        guard !points.isEmpty else { return [] }
        let cx = Double(points.map(\.p1.x).reduce(0, +)) / Double(points.count)
        let cy = Double(points.map(\.p1.y).reduce(0, +)) / Double(points.count)
        let warp = try LocalWarp.at(SIMD2(cx, cy), height: height, reference: reference.model, secondary: secondary.model)
        let reach = Int((Double(r + s) * max(abs(warp.dx.x) + abs(warp.dy.x), abs(warp.dx.y) + abs(warp.dy.y))).rounded(.up)) + 3
        let x0 = points.map(\.p1.x).min()! - r - 1, x1 = points.map(\.p1.x).max()! + r + 2
        let y0 = points.map(\.p1.y).min()! - r - 1, y1 = points.map(\.p1.y).max()! + r + 2
        let leftWindow = Window(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
        let sx = points.map(\.p2.x), sy = points.map(\.p2.y)
        let rightWindow = Window(x: Int(sx.min()!.rounded(.down)) - reach, y: Int(sy.min()!.rounded(.down)) - reach,
                                 width: Int((sx.max()! - sx.min()!).rounded(.up)) + 2 * reach + 1,
                                 height: Int((sy.max()! - sy.min()!).rounded(.up)) + 2 * reach + 1)
        // Predictions scattered over far more than the block (a failed coarse match): not read.
        guard let inside = rightWindow.intersection(secondary.bounds), inside.pixelCount <= 16 * max(leftWindow.pixelCount, 1 << 16) else {
            return []
        }
        let left = try readWindow(reference.path, leftWindow)
        let right = try readWindow(secondary.path, inside)
        var out: [(Int, SIMD2<Double>, Double)] = []
        for q in points {
            if let m = refineCorrespondence(reference: left, secondary: right, at: q.p1, predicted: q.p2, warp: warp, radius: r,
                                            search: s, minimumCorrelation: minimumCorrelation) {
                out.append((q.i, m.point, m.correlation))
            }
        }
        return out
    }

    /// A window of band 1 as Float, NaN outside the image and for its nodata.
    static func readWindow(_ path: String, _ window: Window) throws -> ImagePatchSource {
        let dataset = try Dataset(path: path)
        var pixels = try dataset.read(Float.self, band: 1, window: window, fill: .nan)
        try dataset.maskNodata(&pixels)
        return ImagePatchSource(pixels: pixels, origin: (window.x, window.y))
    }

    /// Up to about `count` coarse matches of a pair triangulated with the (corrected) models:
    /// reference pixel and height. Matches whose residual exceeds the coarse level's precision
    /// are dropped.
    static func heightSamples(
        _ m: CoarsePairMatch, reference: StereoImage, secondary: StereoImage, count: Int
    ) -> (columns: [Float], rows: [Float], heights: [Float]) {
        let rect = m.rectification, w = m.disparity.width, h = m.disparity.height
        let step = max(1, Int((Double(w * h) / Double(max(1, count))).squareRoot().rounded(.up)))
        let rowsToDo = Array(stride(from: 0, to: h, by: step))
        let limit = 2 * Double(m.factor) + 2
        let results = Mutex<[Int: (columns: [Float], rows: [Float], heights: [Float])]>([:])
        let disparity = m.disparity
        DispatchQueue.concurrentPerform(iterations: rowsToDo.count) { n in
            let j = rowsToDo[n]
            var views = [RPCObservation(model: reference.model, column: 0, row: 0),
                         RPCObservation(model: secondary.model, column: 0, row: 0)]
            var out: (columns: [Float], rows: [Float], heights: [Float]) = ([], [], [])
            for i in stride(from: 0, to: w, by: step) {
                let d = disparity[i, j]
                guard !d.isNaN else { continue }
                let s = rect.sensorPoints(x: Double(i), y: Double(j), disparity: Double(d))
                let a = CoarseView.full(s.reference, factor: m.factor), b = CoarseView.full(s.secondary, factor: m.factor)
                (views[0].column, views[0].row) = (a.x, a.y)
                (views[1].column, views[1].row) = (b.x, b.y)
                guard let g = try? RPCModel.triangulate(views), (g.residuals.max() ?? .infinity) <= limit,
                      HeightRange.plausible.contains(g.height) else { continue }
                out.columns.append(Float(a.x))
                out.rows.append(Float(a.y))
                out.heights.append(Float(g.height))
            }
            results.withLock { $0[n] = out }
        }
        let all = results.withLock { $0 }
        var out: (columns: [Float], rows: [Float], heights: [Float]) = ([], [], [])
        for n in all.keys.sorted() {
            out.columns += all[n]!.columns
            out.rows += all[n]!.rows
            out.heights += all[n]!.heights
        }
        return out
    }
}
