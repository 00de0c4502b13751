import Foundation
import Raster

/// What every part of a fanned-out DSM shares, computed once for the whole request
/// (`DSMPipeline.layout`): the DSM grid, the height range, the pairs' ROIs and the matching tile
/// side. The parts then cut the same tile jobs as `DSMPipeline.run` and project onto the same
/// grid, so their points, merged (`DSMPipeline.rasterize`), are the one-job run's points.
/// Codable: a job queue carries it to the workers that match the parts.
public struct DSMLayout: Sendable, Equatable, Codable {
    public var originX: Double
    public var originY: Double
    public var resolution: Double
    public var width: Int
    public var height: Int
    public var epsg: Int?
    /// The height range of the whole ROI (a part's own DEM range could differ).
    public var lowerHeight: Double
    public var upperHeight: Double
    /// Pair k's ROI in the reference, `[x, y, width, height]`.
    public var pairROIs: [[Int]]
    public var tileSize: Int
    /// Each view's pointing correction `[column, row]` (pixels, added to its projections), the
    /// reference first, from the sparse analysis run once for the request
    /// (`SparseAnalysis.applied`); nil: no sparse analysis.
    public var corrections: [[Double]]?
    /// Each tile job's height range `[lower, upper]`, in `jobs` order; nil: `lowerHeight...upperHeight`.
    public var tileHeights: [[Double]]?
    /// Where the heights come from, and the pointing corrections, as the DSM's metadata.
    public var metadata: [String: String]?

    public func grid() throws -> DSMGrid {
        try DSMGrid(originX: originX, originY: originY, resolution: resolution, width: width, height: height, epsg: epsg)
    }

    var windows: [Window] { pairROIs.map { Window(x: $0[0], y: $0[1], width: $0[2], height: $0[3]) } }
    var heights: ClosedRange<Double> { lowerHeight...upperHeight }
    /// The tile jobs of the whole request, in `DSMPipeline.run`'s order, with their heights.
    var jobs: [TileJob] {
        var jobs = DSMPipeline.tileJobs(pairROIs: windows, tileSize: tileSize) { [heights] _ in heights }
        if let tileHeights, tileHeights.count == jobs.count {
            for k in jobs.indices where tileHeights[k].count == 2 && tileHeights[k][0] <= tileHeights[k][1] {
                jobs[k].heights = tileHeights[k][0]...tileHeights[k][1]
            }
        }
        return jobs
    }

    /// The views with the layout's pointing corrections applied.
    func corrected(reference: StereoImage, secondaries: [StereoImage]) -> (reference: StereoImage, secondaries: [StereoImage]) {
        guard let corrections, corrections.count == secondaries.count + 1, corrections.allSatisfy({ $0.count == 2 }) else {
            return (reference, secondaries)
        }
        let t = corrections.map { SIMD2($0[0], $0[1]) }
        return (SparseAnalysis.translated(reference, by: t[0]), zip(secondaries, t.dropFirst()).map { SparseAnalysis.translated($0, by: $1) })
    }

    /// Reference pixels matched, all pairs together (what a split threshold compares).
    public var pixels: Int { windows.reduce(0) { $0 + $1.pixelCount } }

    /// The box of the pairs' ROIs cut into parts, each a block of whole matching tiles (on the
    /// tile grid anchored at the box's corner, pair 0's ROI for a stereo pair) of at most
    /// `maxPixels` (at least one tile), row by row. A job belongs to the part holding its
    /// tile's first pixel: the parts share out the jobs, each exactly once.
    public func parts(maxPixels: Int) -> [Window] {
        let w = windows
        guard let x0 = w.map(\.x).min(), let y0 = w.map(\.y).min(),
              let x1 = w.map(\.maxX).max(), let y1 = w.map(\.maxY).max() else { return [] }
        let columns = (x1 - x0 + tileSize - 1) / tileSize, rows = (y1 - y0 + tileSize - 1) / tileSize
        let perPart = max(1, maxPixels / (tileSize * tileSize))
        // Whole rows of tiles when a row fits, else runs of tiles along a row.
        let (blockColumns, blockRows) = columns <= perPart ? (columns, perPart / columns) : (perPart, 1)
        var out: [Window] = []
        for r in stride(from: 0, to: rows, by: blockRows) {
            for c in stride(from: 0, to: columns, by: blockColumns) {
                let x = x0 + c * tileSize, y = y0 + r * tileSize
                out.append(Window(x: x, y: y, width: min(blockColumns * tileSize, x1 - x), height: min(blockRows * tileSize, y1 - y)))
            }
        }
        return out
    }

    /// Indices (in `jobs`) of the jobs whose tile starts in `part`.
    func jobIndices(in part: Window) -> [Int] {
        jobs.enumerated().filter { part.contains(x: $0.element.tile.x, y: $0.element.tile.y) }.map(\.offset)
    }
}

/// What one part gave.
public struct DSMPartSummary: Sendable {
    public var tiles: Int
    public var points: Int
    public var seconds: Double
}

extension DSMPipeline {
    /// The shared layout of a request (`DSMLayout`): geometry, grid and memory plan as `run`
    /// computes them, nothing matched.
    /// - Throws: as `run` before its matching.
    public static func layout(configuration c: DSMConfiguration) throws -> DSMLayout {
        try c.validate()
        let p = try prepare(c)
        let g = p.grid
        return DSMLayout(originX: g.originX, originY: g.originY, resolution: g.resolution, width: g.width, height: g.height,
                         epsg: g.epsg, lowerHeight: p.geometry.heights.lower, upperHeight: p.geometry.heights.upper,
                         pairROIs: p.geometry.pairs.map { [$0.roi.x, $0.roi.y, $0.roi.width, $0.roi.height] },
                         tileSize: p.plan.tileSize,
                         corrections: p.sparse.map { $0.applied.map { [$0.x, $0.y] } },
                         tileHeights: p.jobs.map { [$0.heights.lowerBound, $0.heights.upperBound] },
                         metadata: outputMetadata(sparse: p.sparse, heightSource: p.heights.source, reference: c.reference))
    }

    /// One part of a fanned-out request: matches and triangulates the jobs whose tile starts in
    /// `part` (a window of `layout.parts`) as `run` does them, and writes their points, projected
    /// onto the layout's grid, and each tile's row offset to `path` (`PointSpill.export`: a
    /// temporary name, renamed when complete). The tiles whose row offset cannot be measured are
    /// left for the merge, which redoes them with the median of the whole ROI as `run` does.
    /// `c.roi`, `c.heights` and `c.tileSize` are not used: the layout's are. A part without a job
    /// writes an empty file.
    /// - Throws: as `run`'s matching (`DSMPipelineError.cancelled`, `.tilesFailed`), and
    ///   `.invalidConfiguration` when the point file cannot be written.
    public static func matchPoints(
        configuration c: DSMConfiguration, layout: DSMLayout, part: Window, to path: String,
        progress: (@Sendable (DSMProgress) -> Void)? = nil, isCancelled: (@Sendable () -> Bool)? = nil
    ) throws -> DSMPartSummary {
        let start = Date()
        try c.validate()
        boundBlockCache(budget: c.memoryLimit)
        let (reference, secondaries) = layout.corrected(
            reference: try StereoImage.load(c.reference, model: c.referenceRPC),
            secondaries: try c.secondaryImages.map { try StereoImage.load($0.path, model: $0.rpc) })
        guard secondaries.count == layout.pairROIs.count else {
            throw DSMPipelineError.invalidConfiguration("the layout has \(layout.pairROIs.count) pairs, the configuration \(secondaries.count)")
        }
        let grid = try layout.grid()
        let all = layout.jobs
        let indices = layout.jobIndices(in: part)
        let jobs = indices.map { all[$0] }
        var fixed = c
        fixed.tileSize = layout.tileSize
        let plan = try memoryPlan(fixed, reference: reference, secondaries: secondaries, pairROIs: layout.windows,
                                  heights: layout.heights, grid: grid)
        let spill = try PointSpill(besideOutput: path, grid: grid, jobs: jobs.count)
        defer { spill.remove() }
        let parts = try matchTiles(jobs, workers: max(1, min(plan.workers, jobs.count)), reference: reference, secondaries: secondaries,
                                   configuration: c, store: nil, spill: spill, start: start, redo: false,
                                   progress: progress, isCancelled: isCancelled)
        let entries = indices.indices.map { k in
            PointSpill.FileEntry(job: indices[k], pair: jobs[k].pair, count: parts[k].count, rowOffset: parts[k].rowOffset)
        }
        let points = try spill.export(entries, to: path)
        return DSMPartSummary(tiles: jobs.count, points: points, seconds: Date().timeIntervalSince(start))
    }

    /// The merge of a fanned-out request: the parts' point files (any order) fused and rasterised
    /// onto the layout's grid into `c.output` (and `c.pointCloud`, `c.confidence` when asked),
    /// as `run` writes them from its own points. The tiles whose row offset could not be measured
    /// are first matched again here with their pair's median over the whole ROI
    /// (`redoWithPairRowOffset`, as in `run`), which needs the images.
    /// - Throws: `DSMPipelineError.noPoints` when the files hold none, `.invalidConfiguration`
    ///   for an unreadable file or a job in none of them, and `run`'s output errors.
    public static func rasterize(configuration c: DSMConfiguration, layout: DSMLayout, pointFiles: [String]) throws -> DSMSummary {
        boundBlockCache(budget: c.memoryLimit)
        let grid = try layout.grid()
        let jobs = layout.jobs
        let spill = try PointSpill(besideOutput: c.output, grid: grid, jobs: jobs.count,
                                   streamBins: try rasterizationTiling(grid: grid, parameters: c.rasterization),
                                   keepsChunks: c.pointCloud != nil)
        defer { spill.remove() }
        var found = [TilePoints?](repeating: nil, count: jobs.count)
        for file in pointFiles {
            for e in try spill.importFile(file) {
                var t = TilePoints(rowOffset: e.rowOffset)
                t.spilledCount = e.count
                found[e.job] = t
            }
        }
        if let k = found.firstIndex(where: { $0 == nil }) {
            throw DSMPipelineError.invalidConfiguration("the point files hold no result for tile \(jobs[k].tile) of pair \(jobs[k].pair)")
        }
        var parts = found.map { $0! }
        if c.correctRowOffset, parts.contains(where: { $0.rowOffset == nil }) {
            let (reference, secondaries) = layout.corrected(
                reference: try StereoImage.load(c.reference, model: c.referenceRPC),
                secondaries: try c.secondaryImages.map { try StereoImage.load($0.path, model: $0.rpc) })
            redoWithPairRowOffset(&parts, jobs: jobs, workers: max(1, c.threads ?? ProcessInfo.processInfo.activeProcessorCount),
                                  reference: reference, secondaries: secondaries, configuration: c,
                                  store: nil, spill: spill)
        }
        guard parts.contains(where: { $0.count > 0 }) else {
            throw DSMPipelineError.noPoints(roi: layout.windows.first ?? Window(x: 0, y: 0, width: 0, height: 0))
        }
        var c = c
        c.outputMetadata = layout.metadata ?? [:]
        let workers = MemoryPlan.rasterWorkers(
            limit: c.memoryLimit, threads: c.threads ?? ProcessInfo.processInfo.activeProcessorCount,
            rasterizationBytes: MemoryPlan.rasterizationBytes(grid: grid, points: layout.pixels, parameters: c.rasterization),
            cacheBytes: GDALBlockCache.bytes)
        return try writeOutputs(spill: spill, grid: grid, configuration: c, workers: workers)
    }
}
